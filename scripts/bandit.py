"""``boltzgym bandit``: compare bandit policies on one problem; regret table, plot with the bounds, CSV (the
experiment is ``boltzgym.experiments.bandits``)."""

from __future__ import annotations

import argparse

from boltzgym.scripts._common import (
    add_common_arguments,
    finish,
    float_list,
    name_list,
    positive_int,
    progress_enabled,
    run_dir,
)

HELP = "compare bandit policies (UCB1, KL-UCB, Thompson, epsilon-greedy, ...) by their regret"
DESCRIPTION = (
    "Simulate many independent runs of each bandit policy on one K-armed problem (notes 6.2) and report the\n"
    "cumulative pseudo-regret: a table, metrics.csv and regret.png with Auer et al.'s UCB1 bound and the\n"
    "Lai-Robbins lower bound."
)
EXAMPLES = [
    "boltzgym bandit --arms 10 --horizon 10000 --runs 1000 --policies ucb1,kl-ucb,thompson,eps-greedy --seed 0",
    "boltzgym bandit --means 0.9,0.8,0.5 --horizon 5000 --runs 200 --json",
    "boltzgym bandit --kind gaussian --arms 5 --policies ucb1,thompson-gaussian,softmax",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from boltzgym.agents.bandit_simulation import REWARD_KINDS
    from boltzgym.agents.bandits import POLICY_NAMES

    parser.description += f" Policies: {', '.join(POLICY_NAMES)}."
    parser.add_argument("--arms", type=int, default=None, help="number of arms K >= 2 (default: 10, or len(--means))")
    parser.add_argument(
        "--means", type=float_list, default=None, help="comma-separated arm means (default: drawn from --seed)"
    )
    parser.add_argument("--kind", choices=REWARD_KINDS, default="bernoulli", help="reward distribution")
    parser.add_argument("--reward-std", type=float, default=1.0, help="reward noise of Gaussian arms (default: 1.0)")
    parser.add_argument("--horizon", type=positive_int, default=10000, help="pulls per run (default: 10000)")
    parser.add_argument("--runs", type=positive_int, default=1000, help="independent runs (default: 1000)")
    parser.add_argument(
        "--policies",
        type=name_list,
        default=None,
        help="comma-separated policy names (default: ucb1,kl-ucb,thompson,eps-greedy; for gaussian arms "
        "ucb1,thompson-gaussian,eps-greedy,softmax)",
    )
    add_common_arguments(parser)


def run(args: argparse.Namespace) -> dict:
    from boltzgym.agents.bandit_simulation import check_simulation_memory
    from boltzgym.experiments.bandits import DEFAULT_POLICIES, bandit_experiment
    from boltzgym.utils.metrics import TENSORBOARD_MODULES
    from boltzgym.utils.plotting import warm_up_renderer
    from boltzgym.utils.workers import output_worker

    arms = len(args.means) if args.means else (args.arms or 10)
    n_policies = len(args.policies or DEFAULT_POLICIES[args.kind])
    check_simulation_memory(arms, args.horizon, args.runs, n_policies, flag="--")  # before any allocation
    out_dir = run_dir(args, "bandit")
    # the worker imports the figure's and the events' modules and warms the renderer while this process simulates
    with output_worker(("matplotlib.pyplot", *TENSORBOARD_MODULES)) as worker:
        worker.submit(warm_up_renderer)
        summary, table, _ = bandit_experiment(
            out_dir,
            policies=args.policies,
            arms=args.arms,
            means=args.means,
            kind=args.kind,
            reward_std=args.reward_std,
            horizon=args.horizon,
            runs=args.runs,
            seed=args.seed,
            progress=progress_enabled(args),
            worker=worker,
        )
    return finish(args, out_dir, summary, table)
