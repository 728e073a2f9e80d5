"""The experiments behind ``boltzgym hopfield`` (notes 5.3): storage capacity against load, and digit recall.

``capacity``: retrieval success and final overlap of a Hopfield network against the load alpha = P/N, with the
estimated critical load (theory: 0.138), and a dense associative memory at loads far above it. ``recall``: store
binarized 8x8 digits, corrupt them and recall them; an image grid of stored / probe / recalled digits.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from boltzgym.utils.metrics import write_csv
from boltzgym.utils.plotting import new_figure, save_figure

DENSE_ALPHAS = (0.5, 1.0, 2.0, 4.0)


def capacity_summary(n: int, trials: int, seed: int, flip_fraction: float = 0.1, rule: str = "hebbian",
                     progress: bool = False, num_sweeps: int = 10) -> dict:  # fmt: skip
    """The ``boltzgym hopfield capacity`` summary: keys ``n, alphas, success_rate, mean_overlap, alpha_c`` for the
    classical network, and ``dense_alphas, dense_success_rate, dense_mean_overlap`` for the dense memory."""
    from boltzgym.sims.capacity import capacity_experiment

    classical = capacity_experiment(
        n, None, trials, flip_fraction, num_sweeps=num_sweeps, rule=rule, seed=seed, progress=progress
    )
    dense = capacity_experiment(n, DENSE_ALPHAS, trials, flip_fraction, memory="dense", seed=seed)
    return {
        "n": n,
        "alphas": classical.alphas.round(4).tolist(),
        "success_rate": classical.success_rate.tolist(),
        "mean_overlap": classical.mean_overlap.tolist(),
        "alpha_c": classical.alpha_c,
        "rule": rule,
        "num_sweeps": num_sweeps,
        "trials": trials,
        "flip_fraction": flip_fraction,
        "dense_alphas": list(DENSE_ALPHAS),
        "dense_success_rate": dense.success_rate.tolist(),
        "dense_mean_overlap": dense.mean_overlap.tolist(),
        "seed": seed,
    }


def plot_capacity(summary: dict, path: Path) -> None:
    """``capacity.png``: success rate and final overlap against the load, with the theoretical and estimated alpha_c."""
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


def recall_summary(n_patterns: int, flip_fraction: float, rule: str, mode: str, beta: float, num_sweeps: int,
                   seed: int) -> tuple[dict, object]:  # fmt: skip
    """Run ``digit_recall_experiment``; returns ``(summary, result)``."""
    from boltzgym.sims.capacity import digit_recall_experiment

    result = digit_recall_experiment(n_patterns, flip_fraction, rule, mode, beta, num_sweeps, seed)
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
        "num_sweeps": num_sweeps,
        "recalled": int(np.sum(result.overlaps[-1] == 1.0)),
        "seed": seed,
    }
    return summary, result


def plot_recall(result, summary: dict, path: Path) -> None:
    """``recall.png``: stored, corrupted and recalled digits, one column per digit."""
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


def capacity_run(
    out_dir,
    n: int = 200,
    trials: int = 3,
    seed: int = 0,
    flip_fraction: float = 0.1,
    rule: str = "hebbian",
    progress: bool = False,
    num_sweeps: int = 10,
) -> tuple[dict, list[dict]]:
    """The capacity experiment written into ``out_dir`` (``metrics.csv``, ``capacity.png``); returns
    ``(summary, rows)`` with one row ``alpha, success_rate, mean_overlap`` per load."""
    out_dir = Path(out_dir)
    summary = capacity_summary(n, trials, seed, flip_fraction, rule, progress, num_sweeps)
    rows = [
        {"alpha": a, "success_rate": s, "mean_overlap": m}
        for a, s, m in zip(summary["alphas"], summary["success_rate"], summary["mean_overlap"])
    ]
    write_csv(out_dir / "metrics.csv", rows)
    plot_capacity(summary, out_dir / "capacity.png")
    return summary, rows


def recall_run(
    out_dir,
    n_patterns: int = 6,
    flip_fraction: float = 0.15,
    rule: str = "pseudoinverse",
    mode: str = "async",
    beta: float = float("inf"),
    num_sweeps: int = 8,
    seed: int = 0,
) -> dict:
    """The recall experiment written into ``out_dir`` (``metrics.csv`` per sweep, ``recall.png``); returns the
    summary."""
    out_dir = Path(out_dir)
    summary, result = recall_summary(n_patterns, flip_fraction, rule, mode, beta, num_sweeps, seed)
    rows = [
        {"sweep": k, "mean_overlap": float(result.overlaps[k].mean()), "mean_energy": float(result.energies[k].mean())}
        for k in range(result.overlaps.shape[0])
    ]
    write_csv(out_dir / "metrics.csv", rows)
    plot_recall(result, summary, out_dir / "recall.png")
    return summary


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
