"""``boltzgym hopfield``: the capacity experiment and digit recall with Hopfield networks (notes 5.3)."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from boltzgym.scripts._common import (
    add_common_arguments,
    finish,
    format_table,
    new_figure,
    positive_int,
    progress_enabled,
    run_dir,
    save_figure,
    write_metrics_csv,
)

HELP = "Hopfield networks: storage capacity against load, and recall of corrupted digits"
DESCRIPTION = (
    "capacity: retrieval success and final overlap of a Hebbian Hopfield network against the load alpha = P/N,\n"
    "with the estimated critical load (theory: 0.138), and a dense associative memory at loads far above it.\n"
    "recall: store binarized 8x8 digits, corrupt them and recall; writes an image grid (stored / probe / recall)."
)
EXAMPLES = [
    "boltzgym hopfield capacity --n 200 --trials 5 --seed 0",
    "boltzgym hopfield capacity --n 100 --trials 2 --json",
    "boltzgym hopfield recall --patterns 6 --noise 0.15 --rule pseudoinverse",
    "boltzgym hopfield recall --rule hebbian --mode sync --json",
]
DENSE_ALPHAS = (0.5, 1.0, 2.0, 4.0)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("experiment", choices=["capacity", "recall"], help="which experiment to run")
    add_common_arguments(parser)
    # Options that only one experiment reads default to None, so that run() can reject them for the other.
    parser.add_argument("--n", type=positive_int, default=None, help="capacity: neurons N (default: 200)")
    parser.add_argument(
        "--trials", type=positive_int, default=None, help="capacity: pattern sets per load (default: 3)"
    )
    parser.add_argument(
        "--patterns", type=positive_int, default=None, help="recall: digits 0..P-1 to store (default 6)"
    )
    parser.add_argument("--noise", type=float, default=0.15, help="fraction of flipped neurons in probes")
    parser.add_argument("--rule", choices=["hebbian", "pseudoinverse", "storkey"], default=None,
                        help="storage rule (default: hebbian for capacity, pseudoinverse for recall)")  # fmt: skip
    parser.add_argument("--mode", choices=["async", "sync"], default=None, help="recall: dynamics (default: async)")
    parser.add_argument("--beta", type=float, default=None, help="recall: inverse temperature (default: inf)")
    parser.add_argument("--sweeps", type=positive_int, default=None, help="sweeps (default: 10 capacity, 8 recall)")


# experiment -> options it does not read (given anyway, they are an error rather than silently ignored)
UNUSED_OPTIONS = {"capacity": ("patterns", "mode", "beta"), "recall": ("n", "trials")}


def capacity_summary(n: int, trials: int, seed: int, flip_fraction: float = 0.1, rule: str = "hebbian",
                     progress: bool = False, n_sweeps: int = 10) -> dict:  # fmt: skip
    """The ``boltzgym hopfield capacity`` summary: keys ``n, alphas, success_rate, mean_overlap, alpha_c`` for the
    classical network, and ``dense_alphas, dense_success_rate, dense_mean_overlap`` for the dense memory."""
    from boltzgym.sims.capacity import capacity_experiment

    classical = capacity_experiment(
        n, None, trials, flip_fraction, n_sweeps=n_sweeps, rule=rule, seed=seed, progress=progress
    )
    dense = capacity_experiment(n, DENSE_ALPHAS, trials, flip_fraction, memory="dense", seed=seed)
    return {
        "n": n,
        "alphas": classical.alphas.round(4).tolist(),
        "success_rate": classical.success_rate.tolist(),
        "mean_overlap": classical.mean_overlap.tolist(),
        "alpha_c": classical.alpha_c,
        "rule": rule,
        "sweeps": n_sweeps,
        "trials": trials,
        "flip_fraction": flip_fraction,
        "dense_alphas": list(DENSE_ALPHAS),
        "dense_success_rate": dense.success_rate.tolist(),
        "dense_mean_overlap": dense.mean_overlap.tolist(),
        "seed": seed,
    }


def plot_capacity(summary: dict, path: Path) -> None:
    fig, ax = new_figure(figsize=(6.4, 4.0))
    ax.plot(summary["alphas"], summary["success_rate"], "o-", label="success rate (m >= 0.95)")
    ax.plot(summary["alphas"], summary["mean_overlap"], "s--", label="mean final overlap")
    ax.axvline(0.138, color="grey", linestyle=":", label="theory alpha_c = 0.138")
    if np.isfinite(summary["alpha_c"]):
        ax.axvline(
            summary["alpha_c"], color="red", linestyle="-.", label=f"estimated alpha_c = {summary['alpha_c']:.3f}"
        )
    ax.set_xlabel("load alpha = P / N")
    ax.set_ylabel("rate / overlap")
    dense = ", ".join(f"{a:g}: {r:.2f}" for a, r in zip(summary["dense_alphas"], summary["dense_success_rate"]))
    ax.set_title(
        f"{summary['rule']} Hopfield net, N = {summary['n']}\ndense memory success at alpha {dense}", fontsize=9
    )
    ax.set_ylim(-0.05, 1.05)
    ax.legend(fontsize=8, loc="lower left")
    save_figure(fig, path)


def recall_summary(n_patterns: int, flip_fraction: float, rule: str, mode: str, beta: float, n_sweeps: int,
                   seed: int) -> tuple[dict, object]:  # fmt: skip
    """Run ``digit_recall_experiment``; returns ``(summary, result)``."""
    from boltzgym.sims.capacity import digit_recall_experiment

    result = digit_recall_experiment(n_patterns, flip_fraction, rule, mode, beta, n_sweeps, seed)
    summary = {
        "patterns": n_patterns,
        "n": int(result.patterns.shape[1]),
        "rule": rule,
        "mode": mode,
        "beta": beta if np.isfinite(beta) else "inf",
        "noise": flip_fraction,
        "initial_overlap": result.overlaps[0].tolist(),
        "final_overlap": result.overlaps[-1].tolist(),
        "mean_final_overlap": float(result.overlaps[-1].mean()),
        "recalled": int(np.sum(result.overlaps[-1] == 1.0)),
        "seed": seed,
    }
    return summary, result


def plot_recall(result, summary: dict, path: Path) -> None:
    n_patterns = result.patterns.shape[0]
    fig, axes = new_figure(3, n_patterns, figsize=(1.3 * n_patterns + 0.6, 4.3), squeeze=False)
    for column in range(n_patterns):
        for row, (images, name) in enumerate(
            [(result.patterns, "stored"), (result.probes, "probe"), (result.recalled, "recall")]
        ):
            ax = axes[row][column]
            ax.imshow(images[column].reshape(8, 8), cmap="gray_r", vmin=-1, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if column == 0:
                ax.set_ylabel(name)
        axes[2][column].set_xlabel(f"m = {result.overlaps[-1][column]:.2f}")
    fig.suptitle(f"{summary['rule']} rule, {summary['mode']} recall, {summary['noise']:.0%} flipped", fontsize=10)
    save_figure(fig, path)


def run(args: argparse.Namespace) -> dict:
    from boltzgym.utils.validation import check_probability

    check_probability("--noise", args.noise)
    for option in UNUSED_OPTIONS[args.experiment]:
        if getattr(args, option) is not None:
            raise ValueError(f"--{option} does not apply to 'hopfield {args.experiment}'")
    from boltzgym.utils.resources import check_memory, checked_size

    if args.experiment == "capacity":
        n = args.n or 200  # weights, the patterns of the highest load and the rule's workspace: ~4 N x N float64
        check_memory(checked_size((n, n), "--n") * 32, "--n", f"a Hopfield network of {n} neurons")
    else:
        n_probes = args.patterns or 6  # one probe per digit, 64 neurons, overlaps and energies per sweep
        sweeps = args.sweeps or 8
        check_memory(checked_size((sweeps + 1, n_probes), "--sweeps") * 16, "--sweeps", f"{sweeps} recall sweeps")
    beta = float("inf") if args.beta is None else args.beta
    if beta <= 0 or np.isnan(beta):
        raise ValueError(f"--beta must be > 0 (inf for zero temperature), got {beta}")
    out_dir = run_dir(args, f"hopfield-{args.experiment}")  # checked and locked before any work
    if args.experiment == "capacity":
        rule = args.rule or "hebbian"
        summary = capacity_summary(
            args.n or 200, args.trials or 3, args.seed, args.noise, rule, progress_enabled(args), args.sweeps or 10
        )
        rows = [
            {"alpha": a, "success_rate": s, "mean_overlap": m}
            for a, s, m in zip(summary["alphas"], summary["success_rate"], summary["mean_overlap"])
        ]
        write_metrics_csv(out_dir / "metrics.csv", rows)
        plot_capacity(summary, out_dir / "capacity.png")
        table = format_table(["alpha", "success_rate", "mean_overlap"], [tuple(r.values()) for r in rows])
        table += f"\n\nestimated alpha_c = {summary['alpha_c']:.3f} (theory 0.138)"
    else:
        rule = args.rule or "pseudoinverse"
        n_patterns = args.patterns or 6
        summary, result = recall_summary(n_patterns, args.noise, rule, args.mode or "async", beta, args.sweeps or 8,
                                         args.seed)  # fmt: skip
        rows = [
            {
                "sweep": k,
                "mean_overlap": float(result.overlaps[k].mean()),
                "mean_energy": float(result.energies[k].mean()),
            }
            for k in range(result.overlaps.shape[0])
        ]
        write_metrics_csv(out_dir / "metrics.csv", rows)
        plot_recall(result, summary, out_dir / "recall.png")
        table = format_table(
            ["digit", "initial_overlap", "final_overlap"],
            [(k, summary["initial_overlap"][k], summary["final_overlap"][k]) for k in range(n_patterns)],
        )
    return finish(args, out_dir, summary, table)


def demo_part(out_dir, seed: int = 0, progress: bool = False) -> dict:
    """Demo: recall 6 corrupted digits with the projection and the Hebbian rule; image grid of each."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    overlaps = {}
    for rule in ("pseudoinverse", "hebbian"):
        summary, result = recall_summary(6, 0.15, rule, "async", float("inf"), 8, seed)
        plot_recall(result, summary, out_dir / f"recall_{rule}.png")
        overlaps[rule] = summary["mean_final_overlap"]
    return {
        "result": (
            f"6 digits, 15% flipped: mean recall overlap {overlaps['pseudoinverse']:.2f} (projection rule) "
            f"vs {overlaps['hebbian']:.2f} (Hebbian)"
        ),
        "mean_final_overlap": overlaps,
    }
