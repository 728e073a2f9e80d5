"""``boltzgym experiment rl-annealing``: a DQN learns an annealing schedule (Mills, Ronagh & Tamblyn 2020).

Claim: an agent that sets beta from what the replicas look like (``boltzgym/AnnealingControl-v0``) anneals at
least as well as the default geometric schedule at the same sweep budget, on held-out instances of the class it
trained on; Mills et al. report it beating a linear schedule and reaching the ground state more often.

Setting: periodic 2D +-J glasses (4x4 by default, so the ground state is known by enumerating the 2^16 states),
training instances seeded ``0..n_train-1``, held-out ones ``10_000 + i``; ``n_steps`` blocks of
``sweeps_per_step`` Metropolis sweeps (the budget). DQN (``boltzgym.agents.dqn``) trains on the training
instances for ``total_timesteps`` env steps; each schedule then anneals ``n_reads`` replicas per held-out
instance: the learned policy (greedy, episodes of 16 replicas), ``anneal``'s default geometric and linear
schedules over ``default_beta_range`` at the same number of sweeps, and the best geometric schedule of a small
sweep of its end points on the training instances. Reported: mean final energy per spin, ground-state
probability (fraction of replicas ending in a ground state) per schedule, a plot of the learned beta(t) beside
the geometric one.
"""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import numpy as np

from boltzgym.envs.annealing_control import AnnealingControlEnv, make_instance
from boltzgym.sims.annealing import anneal
from boltzgym.sims.schedules import default_beta_range
from boltzgym.utils.io import atomic_write_bytes
from boltzgym.utils.validation import check_count

HELD_OUT_OFFSET = 10_000
ENUMERATION_LIMIT = 20  # spins: ground states by enumeration up to 2^20 states
TUNING_FACTORS = (0.5, 1.0, 2.0)  # multiples of default beta_hot and beta_cold swept for the tuned schedule


def ground_state_energy(model) -> float:
    """The exact ground-state energy of a small ``IsingModel`` by enumerating all ``2^N`` states (N <= 20)."""
    n = model.n_spins
    if n > ENUMERATION_LIMIT:
        raise ValueError(f"model must have at most {ENUMERATION_LIMIT} spins to enumerate, got {n}")
    best = np.inf
    codes = np.arange(2**n, dtype=np.int64)
    for chunk in np.array_split(codes, max(1, 2**n // 65536)):
        states = (((chunk[:, None] >> np.arange(n)) & 1) * 2 - 1).astype(np.int8)
        best = min(best, float(np.min(model.energy(states))))
    return best


def _rollout_policy(agent, env: AnnealingControlEnv, seed: int) -> tuple[np.ndarray, list[float]]:
    obs, _ = env.reset(seed=seed)
    betas, truncated = [], False
    while not truncated:
        action, _ = agent.predict(obs, deterministic=True)
        obs, _, _, truncated, info = env.step(int(action))
        betas.append(info["beta"] / env.beta_hot)
    return env.energies.copy(), betas


def rl_annealing_experiment(
    out_dir: str | Path,
    seed: int = 0,
    progress: bool = False,
    n_spins: int = 16,
    n_train: int = 20,
    n_instances: int = 10,
    n_steps: int = 8,
    sweeps_per_step: int = 5,
    n_reads: int = 64,
    total_timesteps: int = 6000,
) -> dict:
    """Train DQN on AnnealingControl-v0 and compare schedules on held-out instances; write
    ``rl_annealing.png`` into ``out_dir`` and return the figures (see the module docstring)."""
    import torch

    from boltzgym.agents.dqn import DQN, DQNConfig

    for name, value in (("n_train", n_train), ("n_instances", n_instances), ("n_reads", n_reads)):
        check_count(name, value, minimum=1)
    n_sweeps = n_steps * sweeps_per_step
    replicas = 16
    episodes_per_instance = max(1, n_reads // replicas)
    env_kwargs = {"n_spins": n_spins, "n_replicas": replicas, "n_steps": n_steps, "sweeps_per_step": sweeps_per_step}
    train_env = AnnealingControlEnv(instance_seeds=range(n_train), **env_kwargs)
    config = DQNConfig(learning_starts=500, train_freq=32, gradient_steps=16, exploration_fraction=0.3)
    torch.manual_seed(seed)
    agent = DQN(train_env, config, seed=seed).learn(total_timesteps, progress_bar=progress)

    # Tuned geometric: the best (beta_hot, beta_cold) multiples on the training instances.
    def geometric_energy(model, factors, read_seed, schedule="geometric"):
        hot, cold = default_beta_range(model)
        beta_range = (hot * factors[0], cold * factors[1])
        result = anneal(model, n_sweeps, n_reads, beta_range, schedule=schedule, seed=read_seed)
        return result.energies

    train_models = [make_instance("lattice2d", n_spins, s) for s in range(min(n_train, 10))]
    tuning = {
        factors: np.mean([geometric_energy(m, factors, seed + 1).mean() for m in train_models])
        for factors in itertools.product(TUNING_FACTORS, TUNING_FACTORS)
    }
    best_factors = min(tuning, key=tuning.get)

    results = {name: [] for name in ("rl", "geometric", "linear", "tuned_geometric")}
    ground = {name: [] for name in results}
    learned_betas = []
    for index in range(n_instances):
        instance_seed = HELD_OUT_OFFSET + index
        model = make_instance("lattice2d", n_spins, instance_seed)
        env = AnnealingControlEnv(instance_seeds=[instance_seed], **env_kwargs)
        rl = []
        for episode in range(episodes_per_instance):
            energies, betas = _rollout_policy(agent, env, seed + 1000 * index + episode)
            rl.append(energies)
            learned_betas.append(betas)
        energies = {
            "rl": np.concatenate(rl),
            "geometric": geometric_energy(model, (1.0, 1.0), seed + index),
            "linear": geometric_energy(model, (1.0, 1.0), seed + index, schedule="linear"),
            "tuned_geometric": geometric_energy(model, best_factors, seed + index),
        }
        exact = ground_state_energy(model) if n_spins <= ENUMERATION_LIMIT else None
        for name, values in energies.items():
            results[name].append(values.mean() / n_spins)
            if exact is not None:
                ground[name].append(np.mean(values <= exact + 1e-9))

    summary = {f"{name}_mean_energy": float(np.mean(values)) for name, values in results.items()}
    if n_spins <= ENUMERATION_LIMIT:
        summary.update({f"{name}_ground_state_probability": float(np.mean(g)) for name, g in ground.items()})
    summary.update(
        {
            "n_instances": n_instances,
            "n_train_instances": n_train,
            "n_sweeps": n_sweeps,
            "n_reads": n_reads,
            "tuned_beta_factors": list(best_factors),
            "learned_beta_over_beta_hot": np.mean(learned_betas, axis=0).tolist(),
        }
    )
    _plot(out_dir, np.mean(learned_betas, axis=0), n_spins, n_steps, sweeps_per_step, summary)
    return summary


def _plot(out_dir, learned: np.ndarray, n_spins: int, n_steps: int, sweeps_per_step: int, summary: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    hot, cold = default_beta_range(make_instance("lattice2d", n_spins, HELD_OUT_OFFSET))  # +-J: the same ends for all
    sweeps = np.arange(n_steps * sweeps_per_step)
    figure, axis = plt.subplots(figsize=(6, 4))
    axis.step(sweeps, np.repeat(learned, sweeps_per_step), where="post", label="learned (DQN, mean over held-out)")
    axis.plot(sweeps, np.geomspace(1.0, cold / hot, sweeps.size), label="default geometric")
    axis.set_yscale("log")
    axis.set_xlabel("sweep")
    axis.set_ylabel("beta / beta_hot")
    axis.set_title(
        f"E/N held-out: RL {summary['rl_mean_energy']:.3f}, geometric {summary['geometric_mean_energy']:.3f}",
        fontsize=9,
    )
    axis.legend()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    atomic_write_bytes(Path(out_dir) / "rl_annealing.png", buffer.getvalue())
