"""``boltzgym train iql|idqn --env <PettingZoo env>``: independent learners on a PettingZoo parallel env.

``iql`` trains :class:`boltzgym.agents.independent.IndependentQLearning` (one tabular learner per agent; ``--set
algorithm=sarsa``, ``--set memoryless=true`` and the tabular hyperparameters), ``idqn``
:class:`boltzgym.agents.independent_dqn.IndependentDQN` (``--set share_parameters=true``, ``net_arch`` and the DQN
hyperparameters). ``--env`` is an id of :data:`boltzgym.envs.PETTINGZOO_ENVS` (``boltzgym envs`` lists them) and
``--total-timesteps`` counts joint steps. Writes into the run folder: ``summary.json``, ``metrics.csv`` (one row per
training episode since step 0: ``episode``, ``timestep`` (joint steps at its end), ``return`` (the agents' mean), as
the tabular trainer's; also in ``tensorboard/`` when tensorboard is installed), ``learning_curve.png`` (the same
curve) and ``checkpoint/`` (``--out RUN --resume`` continues it). The greedy
evaluation runs ``eval_episodes`` episodes seeded ``10_000 + seed + i``; the summary's ``eval_mean_return`` is
the agents' mean return per episode, with each agent's in ``eval_agent_returns`` (and the final energy for the
spin game in ``eval_final_energy``).
"""

from __future__ import annotations

import numpy as np

from boltzgym.experiments.agent_training import (
    TrainRequest,
    agents_of,
    base_summary,
    check_cpu_only,
    learn,
    make_parallel_env,
    plot_learning_curve,
    torch_device,
)
from boltzgym.utils.metrics import write_metrics
from boltzgym.utils.tables import format_table

AGENTS = agents_of(__name__)
EVAL_SEED_OFFSET = 10_000


def _agent_class(name: str):
    from boltzgym.agents.registry import agent_class

    return agent_class(name)


def evaluate(learners, env, n_episodes: int, seed: int) -> tuple[np.ndarray, list[float]]:
    """Greedy joint episodes: ``(returns (episodes, agents), final energies where the env has ``energy()``)``."""
    returns = np.zeros((n_episodes, len(learners.agents)))
    energies = []
    for episode in range(n_episodes):
        observations, _ = env.reset(seed=seed + episode)
        while env.agents:
            actions, _ = learners.predict(observations)
            observations, rewards, *_ = env.step(actions)
            returns[episode] += [rewards.get(agent, 0.0) for agent in learners.agents]
        if callable(getattr(env, "energy", None)):
            energies.append(float(env.energy()))
    return returns, energies


def _training_curve(learners) -> tuple[list[int], list[float]]:
    """End step and the agents' mean return of each training episode."""
    if isinstance(learners.episode_returns, dict):  # IndependentQLearning: per agent
        per_agent = np.array([learners.episode_returns[agent] for agent in learners.agents])
        return list(learners.episode_end_steps), per_agent.mean(axis=0).tolist()
    n = len(learners.agents)  # IndependentDQN: the agents' episodes end together, in agent order
    returns = np.asarray(learners.episode_returns).reshape(-1, n).mean(axis=1)
    steps = np.asarray(learners.dqn.episode_end_steps[::n]) // n
    return steps.tolist(), returns.tolist()


def train(request: TrainRequest) -> tuple[dict, str]:
    """Train (or resume) independent learners as ``request`` says; return the summary and a text table."""
    env = make_parallel_env(request.env_id, request.env_kwargs)
    cls = _agent_class(request.agent)
    hyperparameters = dict(request.hyperparameters)
    if request.agent == "idqn":
        import torch

        torch.set_num_threads(1)  # small networks: threads cost more than they bring
        device = torch_device(request)
        if request.resume is not None and device.type != "cpu":
            raise ValueError(f"--device {request.device}: a resumed idqn run continues on the CPU; pass --device cpu")
        hyperparameters["device"] = str(device)
    else:
        check_cpu_only(request, "iql")
    if request.resume is not None:
        if request.hyperparameters:
            raise ValueError(
                f"--set {sorted(request.hyperparameters)}: cannot change hyperparameters when resuming "
                "(the checkpoint's config is used)"
            )
        learners = cls.load(request.resume, env)
    else:
        learners = cls(env, seed=request.seed, **hyperparameters)
    checkpoint_path = request.out_dir / "checkpoint"
    train_seconds = learn(learners, request, lambda: learners.save(checkpoint_path))
    checkpoint = learners.save(checkpoint_path)

    from pettingzoo import AECEnv

    from boltzgym.agents.independent import matrix_game_outcome

    eval_env = make_parallel_env(request.env_id, request.env_kwargs)
    eval_seed = EVAL_SEED_OFFSET + request.seed
    if isinstance(eval_env, AECEnv):  # turn-based: every agent moves on its own observation
        from boltzgym.agents.independent_dqn import evaluate_turns

        returns, energies = evaluate_turns(learners, eval_env, request.eval_episodes, eval_seed), []
    else:
        returns, energies = evaluate(learners, eval_env, request.eval_episodes, eval_seed)
    team = returns.mean(axis=1)
    steps, curve = _training_curve(learners)
    rows = [{"episode": i, "timestep": int(step), "return": value} for i, (step, value) in enumerate(zip(steps, curve))]
    write_metrics(request.out_dir, rows, step="timestep")
    title = f"{request.agent} on {request.env_id} (mean over agents)"
    plot_learning_curve(steps, curve, request.out_dir / "learning_curve.png", title)
    summary = {
        **base_summary(
            request, learners, team.mean(), team.std(), train_seconds, None, dict(request.hyperparameters), checkpoint
        ),
        "training_episodes": len(curve),
        "agents": list(learners.agents),
        "eval_agent_returns": dict(zip(learners.agents, returns.mean(axis=0).tolist())),
    }
    if energies:
        summary["eval_final_energy"] = float(np.mean(energies))
    if getattr(getattr(eval_env, "unwrapped", eval_env), "payoffs", None) is not None:  # a repeated matrix game
        summary.update(matrix_game_outcome(learners, eval_env, eval_seed))
    table = format_table(
        ["agent", "env", "joint steps", "eval mean return (per agent)", "eval std", "steps/s"],
        [
            (
                request.agent,
                request.env_id,
                learners.num_timesteps,
                summary["eval_mean_return"],
                summary["eval_std_return"],
                summary["steps_per_second"],
            )
        ],
    )
    return summary, table
