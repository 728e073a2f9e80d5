"""``boltzgym experiment rl-annealing``: a DQN learns an annealing schedule (Mills, Ronagh & Tamblyn 2020).

Claim: an agent that sets beta from what the replicas look like (``boltzgym/AnnealingControl-v0``) anneals at
least as well as the default geometric schedule at the same sweep budget, on held-out instances of the class it
trained on; Mills et al. report it beating a linear schedule and reaching the ground state more often.

Setting: periodic 2D +-J glasses (4x4 by default, so the ground state is known by enumerating the 2^16 states),
training instances seeded ``0..n_train-1``, validation ones ``5_000 + i``, held-out ones ``10_000 + i``;
``n_steps`` blocks of ``sweeps_per_step`` Metropolis sweeps (the budget: 20 sweeps by default, where schedules
still differ; at 40 sweeps every schedule reaches the 4x4 ground state in ~99% of reads). The actions change
log(beta) by -1, 0 (keep), 1, 2 or 4 geometric log-steps, up to 4 beta_cold. DQN (``boltzgym.agents.dqn``;
gamma = 1 and one-step targets: the return is then exactly the episode's energy drop) trains on the training
instances for ``total_timesteps`` env steps; every ``eval_freq`` steps its greedy schedule anneals the validation
instances and the best weights are kept (``BestOnValidation``: model selection, as with early stopping; the
held-out instances are never seen). Each schedule then anneals ``num_reads`` replicas per held-out instance: the
learned policy (greedy, episodes of 16 replicas), ``anneal``'s default geometric and linear schedules over
``default_beta_range`` at the same number of sweeps, and the best geometric schedule of a small sweep of its end
points on the training instances. Reported: mean final energy per spin, ground-state probability (fraction of
replicas ending in a ground state) per schedule, a plot of the learned beta(t) beside the geometric and linear ones.
"""

from __future__ import annotations

import copy
import itertools
from pathlib import Path

import numpy as np

from boltzgym.agents.callbacks import Callback
from boltzgym.envs.annealing_control import AnnealingControlEnv, make_instance
from boltzgym.sims.annealing import anneal
from boltzgym.sims.schedules import default_beta_range
from boltzgym.utils.deprecation import renamed_kwargs
from boltzgym.utils.plotting import new_figure, save_figure
from boltzgym.utils.validation import check_count, setting_ranges

HELD_OUT_OFFSET = 10_000
VALIDATION_OFFSET = 5_000
REPLICAS = 16  # replicas per episode (the observation's statistics are over them)
# Actions: change log(beta) by these multiples of the geometric log-step (0 keeps beta; 2 and 4 let the agent
# cool faster than the geometric schedule, as the linear schedule does early on), up to 4 beta_cold.
LOG_BETA_STEPS = (-1.0, 0.0, 1.0, 2.0, 4.0)
BETA_MAX_FACTOR = 4.0
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
    """One greedy episode; returns the replicas' final energies and beta / beta_hot at each step."""
    obs, _ = env.reset(seed=seed)
    betas, terminated = [], False
    while not terminated:
        action, _ = agent.predict(obs, deterministic=True)
        obs, _, terminated, _, info = env.step(int(action))
        betas.append(info["beta"] / env.beta_hot)
    return env.energies.copy(), betas


class BestOnValidation(Callback):
    """Keep the weights whose greedy schedule anneals best on validation instances (model selection).

    Every ``eval_freq`` env steps, from the first gradient step on, the greedy policy anneals each validation
    instance ``episodes`` times (their replicas are the reads; the same reset seeds every time, so evaluations
    are comparable). The score is the fraction of reads that end in a ground state when the ground states are
    known, then (to break ties, or alone when they are not) minus the mean final energy per spin. The validation
    instances are drawn from the training class but are neither training nor
    held-out instances; :meth:`restore` loads the best weights into the agent at the end.
    """

    def __init__(self, env_kwargs: dict, seeds: list[int], eval_freq: int, episodes: int = 8) -> None:
        super().__init__()
        self.envs = [AnnealingControlEnv(instance_seeds=[s], **env_kwargs) for s in seeds]
        n_spins = env_kwargs["n_spins"]
        self.ground = [
            ground_state_energy(make_instance("lattice2d", n_spins, s)) if n_spins <= ENUMERATION_LIMIT else None
            for s in seeds
        ]
        self.eval_freq = check_count("eval_freq", eval_freq, minimum=1)
        self.episodes = check_count("episodes", episodes, minimum=1)
        self.best_score, self.best_state, self.best_step = (-np.inf, -np.inf), None, 0
        self.history: list[tuple[int, float, float]] = []

    def score(self) -> tuple[float, float]:
        """(ground-state fraction or 0, -mean final energy per spin) of the agent's greedy schedule."""
        hits, energies = [], []
        for index, (env, exact) in enumerate(zip(self.envs, self.ground)):
            for episode in range(self.episodes):
                final, _ = _rollout_policy(self.agent, env, seed=index * self.episodes + episode)
                energies.append(final.mean() / env.n_spins)
                hits.append(0.0 if exact is None else float(np.mean(final <= exact + 1e-9)))
        return float(np.mean(hits)), -float(np.mean(energies))

    def on_step(self) -> bool:
        if self._due(self.eval_freq) and self.agent.num_timesteps > self.agent.config.learning_starts:
            self._evaluate()
        return True

    def on_training_end(self) -> None:
        self._evaluate()  # the final weights compete too

    def _evaluate(self) -> None:
        score = self.score()
        self.history.append((self.agent.num_timesteps, *score))
        if score > self.best_score:
            self.best_score, self.best_step = score, self.agent.num_timesteps
            self.best_state = copy.deepcopy(self.agent.q_net.state_dict())

    def restore(self) -> None:
        """Load the best weights into the agent (its target network too)."""
        self.agent.q_net.load_state_dict(self.best_state)
        self.agent.target_net.load_state_dict(self.best_state)


@renamed_kwargs(n_reads="num_reads")
@setting_ranges(
    n_spins=(4, 4096),
    n_train=(1, 10_000),
    n_validation=(1, 10_000),
    n_instances=(1, 10_000),
    n_steps=(1, 1000),
    sweeps_per_step=(1, 10_000),
    num_reads=(1, 65_536),
    total_timesteps=(1, 10_000_000),
    eval_freq=(1, 10_000_000),
)
def rl_annealing_experiment(
    out_dir: str | Path,
    seed: int = 0,
    progress: bool = False,
    n_spins: int = 16,
    n_train: int = 20,
    n_validation: int = 20,
    n_instances: int = 20,
    n_steps: int = 10,
    sweeps_per_step: int = 2,
    num_reads: int = 128,
    total_timesteps: int = 6000,
    eval_freq: int = 500,
) -> dict:
    """Train DQN on AnnealingControl-v0 and compare schedules on held-out instances; write
    ``rl_annealing.png`` into ``out_dir`` and return the figures (see the module docstring)."""
    from boltzgym.agents.dqn import DQN, DQNConfig

    for name, value in (("n_train", n_train), ("n_validation", n_validation), ("n_instances", n_instances),
                        ("num_reads", num_reads)):  # fmt: skip
        check_count(name, value, minimum=1)
    num_sweeps = n_steps * sweeps_per_step
    episodes_per_instance = max(1, num_reads // REPLICAS)
    env_kwargs = {"n_spins": n_spins, "n_replicas": REPLICAS, "n_steps": n_steps, "sweeps_per_step": sweeps_per_step,
                  "log_beta_steps": LOG_BETA_STEPS, "beta_max_factor": BETA_MAX_FACTOR}  # fmt: skip
    train_env = AnnealingControlEnv(instance_seeds=range(n_train), **env_kwargs)
    validation = BestOnValidation(env_kwargs, [VALIDATION_OFFSET + i for i in range(n_validation)], eval_freq)
    config = DQNConfig(learning_starts=500, train_freq=16, gradient_steps=8, exploration_fraction=0.3, gamma=1.0,
                       n_step=1, target_update_interval=200)  # fmt: skip
    agent = DQN(train_env, config, seed=seed).learn(total_timesteps, callback=validation, progress_bar=progress)
    validation.restore()

    # Tuned geometric: the best (beta_hot, beta_cold) multiples on the training instances.
    def geometric_energy(model, factors, read_seed, schedule="geometric"):
        hot, cold = default_beta_range(model)
        beta_range = (hot * factors[0], cold * factors[1])
        result = anneal(model, num_sweeps, num_reads, beta_range, schedule=schedule, seed=read_seed)
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
            "n_validation_instances": n_validation,
            "num_sweeps": num_sweeps,
            "num_reads": episodes_per_instance * REPLICAS,
            "selected_step": validation.best_step,
            "validation_history": [list(row) for row in validation.history],
            "tuned_beta_factors": list(best_factors),
            "learned_beta_over_beta_hot": np.mean(learned_betas, axis=0).tolist(),
        }
    )
    _plot(out_dir, np.mean(learned_betas, axis=0), n_spins, n_steps, sweeps_per_step, summary)
    return summary


def _plot(out_dir, learned: np.ndarray, n_spins: int, n_steps: int, sweeps_per_step: int, summary: dict) -> None:
    hot, cold = default_beta_range(make_instance("lattice2d", n_spins, HELD_OUT_OFFSET))  # +-J: the same ends for all
    sweeps = np.arange(n_steps * sweeps_per_step)
    figure, axis = new_figure(figsize=(6, 4))
    axis.step(sweeps, np.repeat(learned, sweeps_per_step), where="post", label="learned (DQN, mean over held-out)")
    axis.plot(sweeps, np.geomspace(1.0, cold / hot, sweeps.size), label="default geometric")
    axis.plot(sweeps, np.linspace(1.0, cold / hot, sweeps.size), label="linear", linestyle=":")
    axis.set_yscale("log")
    axis.set_xlabel("sweep")
    axis.set_ylabel("beta / beta_hot")
    title = f"{n_spins}-spin +-J glasses, {sweeps.size} sweeps; E/N held-out: RL {summary['rl_mean_energy']:.3f}, "
    title += f"geometric {summary['geometric_mean_energy']:.3f}"
    if "rl_ground_state_probability" in summary:
        title += (
            f"\nP(ground) RL {summary['rl_ground_state_probability']:.3f}, geometric "
            f"{summary['geometric_ground_state_probability']:.3f}, "
            f"linear {summary['linear_ground_state_probability']:.3f}"
        )
    axis.set_title(title, fontsize=8)
    axis.legend()
    save_figure(figure, Path(out_dir) / "rl_annealing.png")
