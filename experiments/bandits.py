"""The experiment behind ``boltzgym bandit`` (notes 6.2): compare bandit policies on one problem by their regret.

Runs ``boltzgym.agents.bandit_simulation.compare_policies`` (the vectorized simulator) and writes into the run
folder ``metrics.csv`` (mean cumulative regret and its standard error per policy at log-spaced times, with both
bounds) and ``regret.png`` (log-scaled time axis, Auer et al.'s UCB1 upper bound and the Lai-Robbins lower bound
drawn as references).
"""

from __future__ import annotations

from concurrent.futures import Executor
from pathlib import Path

import numpy as np

from boltzgym.agents.bandit_simulation import (
    BanditResult,
    auer_ucb1_bound,
    bandit_means,
    compare_policies,
    lai_robbins_bound,
)
from boltzgym.utils.metrics import write_metrics
from boltzgym.utils.plotting import new_figure, save_figure
from boltzgym.utils.progress import progress_bar
from boltzgym.utils.tables import format_table
from boltzgym.utils.workers import InlineExecutor

DEFAULT_POLICIES = {
    "bernoulli": ["ucb1", "kl-ucb", "thompson", "eps-greedy"],
    "gaussian": ["ucb1", "thompson-gaussian", "eps-greedy", "softmax"],
}


PLOT_POINTS = 400  # log-spaced times drawn per curve of regret.png


def log_spaced_steps(horizon: int, count: int) -> np.ndarray:
    """About ``count`` distinct pull counts from 1 to ``horizon``, evenly spaced on a log scale."""
    return np.unique(np.geomspace(1, horizon, num=count).round().astype(np.int64))


def bandit_experiment(
    out_dir: Path,
    policies: list[str] | None = None,
    arms: int | None = None,
    means=None,
    kind: str = "bernoulli",
    reward_std: float = 1.0,
    horizon: int = 10000,
    runs: int = 1000,
    seed: int = 0,
    progress: bool = False,
    worker: Executor | None = None,
) -> tuple[dict, str, dict[str, BanditResult]]:
    """Compare ``policies``; write metrics.csv and regret.png in ``out_dir``; return (summary, table, results).

    ``worker`` (``boltzgym.utils.workers.output_worker``: the command line's) writes the metrics and the figure in
    another process while this one builds the table; without it they are written here. Either way both files exist
    when this returns.
    """
    means = bandit_means(arms, means, kind, seed)
    policies = DEFAULT_POLICIES[kind] if policies is None else policies
    with progress_bar(total=horizon * len(policies), desc="bandit", enabled=progress) as bar:
        results = compare_policies(policies, means, horizon, runs, kind, reward_std, seed, progress=bar.update)

    times = log_spaced_steps(horizon, 60)
    lower = lai_robbins_bound(means, times, kind, reward_std)
    upper = auer_ucb1_bound(means, times)
    rows = [
        {
            "policy": name,
            "t": int(t),
            "regret_mean": float(result.regret_mean[t - 1]),
            "regret_stderr": float(result.regret_stderr[t - 1]),
            "auer_ucb1_bound": float(upper[i]),
            "lai_robbins_bound": float(lower[i]),
        }
        for name, result in results.items()
        for i, t in enumerate(times)
    ]
    worker = worker or InlineExecutor()
    writes = [
        worker.submit(write_metrics, out_dir, rows, step="t", run="policy"),  # a TensorBoard run per policy
        worker.submit(
            plot_regret_curves,
            out_dir / "regret.png",
            *regret_curves(results, PLOT_POINTS),
            means,
            kind,
            reward_std,
            horizon,
            runs,
        ),
    ]

    summary = {
        "means": [float(m) for m in means],
        "horizon": horizon,
        "runs": runs,
        "seed": seed,
        "policies": {
            name: {"final_regret_mean": r.final_regret_mean, "final_regret_stderr": r.final_regret_stderr}
            for name, r in results.items()
        },
    }
    best = int(np.argmax(means))
    table = format_table(
        ["policy", "final regret", "stderr", "regret / ln T", "best-arm pulls %"],
        [
            (
                name,
                r.final_regret_mean,
                r.final_regret_stderr,
                r.final_regret_mean / np.log(horizon) if horizon > 1 else float("nan"),
                100.0 * r.pulls[:, best].mean() / horizon,
            )
            for name, r in results.items()
        ],
    )
    bounds = f"Lai-Robbins lower bound at T={horizon}: {float(lai_robbins_bound(means, horizon, kind, reward_std)):.4g}"
    if kind == "bernoulli":
        bounds += f"; Auer et al. UCB1 upper bound: {float(auer_ucb1_bound(means, horizon)):.4g}"
    table += f"\n\n{bounds}\n({runs} runs, {len(means)} arms, {kind} rewards, seed {seed})"
    for write in writes:
        write.result()  # raises the worker's error, if any
    return summary, table, results


def plot_regret(path: Path, results: dict[str, BanditResult], means, kind: str, reward_std: float) -> Path:
    """Mean cumulative regret (band: +-2 standard errors) per policy against log time, with both bounds."""
    first = next(iter(results.values()))
    times, curves = regret_curves(results, PLOT_POINTS)
    return plot_regret_curves(path, times, curves, means, kind, reward_std, first.horizon, first.runs)


def regret_curves(results: dict[str, BanditResult], count: int) -> tuple[np.ndarray, dict]:
    """About ``count`` log-spaced times and, per policy, ``(mean, stderr)`` of the regret at them: all that a plot
    needs (a few KB, where the results hold whole curves and every run's pulls)."""
    times = log_spaced_steps(next(iter(results.values())).horizon, count)
    return times, {name: (r.regret_mean[times - 1], r.regret_stderr[times - 1]) for name, r in results.items()}


def plot_regret_curves(
    path: Path, times: np.ndarray, curves: dict, means, kind: str, reward_std: float, horizon: int, runs: int
) -> Path:
    """:func:`plot_regret` from :func:`regret_curves`' output (what the command line's worker process receives)."""
    fig, ax = new_figure(figsize=(8, 5))
    top = 0.0
    for name, (mean, stderr) in curves.items():
        ax.plot(times, mean, label=name, linewidth=1.8)
        ax.fill_between(times, mean - 2 * stderr, mean + 2 * stderr, alpha=0.2)
        top = max(top, float(mean[-1] + 2 * stderr[-1]))
    lower = lai_robbins_bound(means, times, kind, reward_std)
    ax.plot(times, lower, "k:", linewidth=1.5, label="Lai-Robbins lower bound (asymptotic)")
    if kind == "bernoulli":
        upper = auer_ucb1_bound(means, times)
        ax.plot(times, upper, "k--", linewidth=1.2, label=f"Auer et al. UCB1 bound (Thm 1), {upper[-1]:.3g} at T")
    ax.set_xscale("log")
    # plain tick labels (1, 10, 100, 1k, 1M), not mathtext's 10^k: its parser was a quarter of the render; minor
    # ticks (and grid lines) at 2 and 5 of each decade, not 2..9: a third of the render went to minor ticks; they
    # are labelled too where the axis spans less than a decade and 1 would be its only label
    from matplotlib.ticker import LogLocator

    ax.xaxis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
    ax.xaxis.set_major_formatter(_pull_count_label)
    ax.xaxis.set_minor_formatter(_pull_count_label if horizon < 10 else "")
    ax.set_ylim(0.0, 1.15 * max(top, float(lower[-1]), 1e-9))
    ax.set_xlim(1, max(horizon, 2))  # a one-pull run still gets a non-degenerate axis
    ax.set_xlabel("pulls t (log scale)")
    ax.set_ylabel("mean cumulative pseudo-regret")
    ax.set_title(f"{len(means)}-armed {kind} bandit, {runs} runs (band: ±2 standard errors)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper left", fontsize=9)
    fig.subplots_adjust(left=0.105, right=0.97, bottom=0.1, top=0.93)  # fixed: one render (a tight box renders twice)
    return save_figure(fig, path, tight=False)


def _pull_count_label(x: float, position=None) -> str:
    """A tick label for a pull count: 1, 20, 300, 4k, 50k, 6M."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if x >= scale:
            return f"{x / scale:g}{suffix}"
    return f"{x:g}"


def demo_part(out_dir: Path, seed: int, progress: bool) -> dict:
    """The demo's bandit part: four policies on a 10-armed Bernoulli problem, 200 runs of 2000 pulls."""
    out_dir.mkdir(parents=True, exist_ok=True)
    means = np.round(np.linspace(0.9, 0.45, 10), 3)
    summary, _, _ = bandit_experiment(out_dir, means=means, horizon=2000, runs=200, seed=seed, progress=progress)
    regrets = ", ".join(f"{name} {v['final_regret_mean']:.1f}" for name, v in summary["policies"].items())
    return {"result": f"regret at t=2000 (200 runs): {regrets}", "policies": summary["policies"]}
