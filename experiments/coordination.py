"""Experiment ``coordination``: which independent learners find the optimum of Claus & Boutilier's games.

Claim (Claus & Boutilier 1998; Matignon, Laurent & Le Fort-Piat 2012, "Independent reinforcement learners in
cooperative Markov games: a survey"): in the climbing game, two independent Q-learners rarely end on the optimal
joint action (0, 0) with payoff 11: while the partner explores, action 0 earns the average of 11, -30 and 0, so
each settles on a safe action (relative overgeneralisation). Hysteretic (Matignon et al. 2007), lenient (Panait et
al. 2006; Wei & Luke 2016) and distributed Q-learners (Lauer & Riedmiller 2000) discount the partner's exploration
and end on (0, 0) on at least 9 seeds of 10. In the penalty game with ``k = -100`` the coordinating learners pick
one of the two optima (0, 0) or (2, 2) (payoff 10), not the safe (1, 1) (payoff 2).

Every learner is memoryless (one state; the matrix game is stateless), with ``gamma = 0`` and epsilon-greedy
exploration decaying from 1 to 0 over the first third of ``steps`` (to 0: a learner that still explores keeps
knocking its partner's value of action 0 below 7 with a -30, one step of 0.1 * 41, once leniency has cooled);
it trains ``steps`` joint steps for each of ``n_seeds`` seeds (``seed``, ``seed + 1``, ...), then
:func:`~boltzgym.agents.independent.matrix_game_outcome` reads the greedy joint action. Returns, per game and
learner, ``<game>_<learner>_optimal`` (seeds that end on an optimal joint action), ``..._joint_actions`` (each
seed's) and ``..._seconds``; writes ``coordination.png`` (seeds ending on each joint action, one panel per game).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from boltzgym.utils.validation import check_count, check_in_range, check_int, setting_ranges

LEARNERS = {  # summary name -> (class name in boltzgym.agents, its hyperparameters beyond SETTINGS)
    "independent_q": ("IndependentQLearning", {}),
    "hysteretic_q": ("HystereticQLearning", {"decrease_rate": 0.1}),
    "lenient_q": ("LenientQLearning", {}),
    "distributed_q": ("DistributedQLearning", {}),
}
SETTINGS = {"gamma": 0.0, "learning_rate": 0.1, "epsilon_start": 1.0, "epsilon_end": 0.0}


@setting_ranges(n_seeds=(1, 100), steps=(1, 10_000_000), k=(-1000.0, 0.0))
def coordination_experiment(out_dir: str | Path, seed: int = 0, progress: bool = False, n_seeds: int = 10,
                            steps: int = 30_000, k: float = -100.0,
                            games: tuple = ("climbing", "penalty")) -> dict:  # fmt: skip
    """Train every learner of :data:`LEARNERS` on each game for ``n_seeds`` seeds; write ``coordination.png``."""
    import boltzgym.agents as agents
    from boltzgym.agents.independent import matrix_game_outcome
    from boltzgym.envs.matrix_game import GAME_NAMES, PENALTY_GAMES, parallel_env
    from boltzgym.utils.plotting import new_figure, save_figure
    from boltzgym.utils.progress import progress_bar

    n_seeds = check_count("n_seeds", n_seeds, 1)
    steps = check_int("steps", steps, minimum=1)
    k = check_in_range("k", k, -100.0, 0.0)
    games = (games,) if isinstance(games, str) else tuple(games)
    unknown = [game for game in games if game not in GAME_NAMES]
    if unknown or not games:
        raise ValueError(f"games must name games of {GAME_NAMES}, got {games!r}")

    def make_env(game: str):
        return parallel_env(game=game, n_rounds=50, **({"k": k} if game in PENALTY_GAMES else {}))

    summary: dict = {"n_seeds": n_seeds, "steps": steps, "k": k, "games": list(games)}
    settings = {**SETTINGS, "exploration_steps": max(1, steps // 3)}
    figure, axes = new_figure(1, len(games), figsize=(5.2 * len(games), 3.8), squeeze=False)
    bar = progress_bar(total=len(games) * len(LEARNERS) * n_seeds, desc="coordination", enabled=progress)
    for panel, game in zip(axes[0], games):
        payoffs = make_env(game).payoffs[0]
        optimal = {tuple(int(i) for i in index) for index in np.argwhere(payoffs == payoffs.max())}
        labels = [f"({a0},{a1})" for a0 in range(payoffs.shape[0]) for a1 in range(payoffs.shape[1])]
        width = 0.8 / len(LEARNERS)
        for i, (name, (class_name, extra)) in enumerate(LEARNERS.items()):
            start = time.perf_counter()
            joint_actions = []
            for run in range(n_seeds):
                env = make_env(game)
                learners = getattr(agents, class_name)(env, memoryless=True, seed=seed + run, **settings, **extra)
                outcome = matrix_game_outcome(learners.learn(steps), make_env(game), seed=seed + run)
                joint_actions.append(tuple(outcome["greedy_joint_action"].values()))
                bar.update(1)
            key = f"{game}_{name}"
            summary[f"{key}_seconds"] = time.perf_counter() - start
            summary[f"{key}_joint_actions"] = [list(joint) for joint in joint_actions]
            summary[f"{key}_optimal"] = sum(joint in optimal for joint in joint_actions)
            counts = np.zeros(payoffs.size)
            for a0, a1 in joint_actions:
                counts[a0 * payoffs.shape[1] + a1] += 1
            positions = np.arange(payoffs.size) + (i - (len(LEARNERS) - 1) / 2) * width
            panel.bar(
                positions, counts, width, label=f"{name.replace('_', ' ')}: {summary[f'{key}_optimal']}/{n_seeds}"
            )
        title = game if game not in PENALTY_GAMES else f"{game}, k = {k:g}"
        ticks = [f"{label}\n{payoffs.flat[j]:g}" for j, label in enumerate(labels)]
        panel.set_xticks(np.arange(payoffs.size), ticks, fontsize=7)
        panel.set(xlabel="greedy joint action at the end (payoff)", ylabel=f"seeds (of {n_seeds})", title=title)
        panel.legend(fontsize=7, title="ends on an optimum", title_fontsize=7)
    bar.close()
    figure.suptitle(f"Independent learners, {steps} steps, memoryless, gamma 0, seeds {seed}..{seed + n_seeds - 1}")
    figure.tight_layout()
    save_figure(figure, Path(out_dir) / "coordination.png", dpi=120)
    return summary
