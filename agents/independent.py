"""Independent learners on PettingZoo parallel envs: one tabular TD learner per agent (Claus & Boutilier 1998).

Each agent learns its own table with the tabular agents' rules (``boltzgym.agents.tabular``: the same behaviour
policies and the same jitted TD update), treating the other agents as part of the environment. Nothing is shared
and nothing is communicated, which is what makes the known failures of independent learners reproducible: in a
repeated prisoner's dilemma they learn mutual defection; in Claus & Boutilier's climbing game they miss the
optimal joint action (payoff 11) and settle on a safe one (relative overgeneralisation); in a plain coordination
game they do coordinate.

The learners that fix the climbing game change only how far each agent's value moves toward its Q-learning
target: :class:`HystereticQLearning` (a smaller step down than up), :class:`LenientQLearning` (low rewards
forgiven while young) and :class:`DistributedQLearning` (only ever up, for deterministic games; with a policy
that moves only on improvement, which also coordinates between the penalty game's two optima).
:func:`matrix_game_outcome` reads off the greedy joint action a pair of learners ends on, and its payoff.

The API is the single-agent one, per agent::

    from boltzgym.envs.matrix_game import parallel_env
    from boltzgym.agents.independent import IndependentQLearning

    env = parallel_env(game="prisoners-dilemma", n_rounds=50)
    learners = IndependentQLearning(env, memoryless=True, seed=0, gamma=0.0).learn(20_000)
    actions, _ = learners.predict(observations)              # {agent: greedy action}
    learners.save("runs/iql"); learners = IndependentQLearning.load("runs/iql", env)

``memoryless=True`` gives every agent a single state (the stateless setting of matrix-game studies); otherwise each
agent's state is its ``Discrete`` observation. Observations that carry an ``action_mask`` (PettingZoo's
``Dict(observation=Discrete, action_mask=...)``) are honoured: an agent only takes legal actions, and its targets
bootstrap from the legal actions of its next observation only.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

import gymnasium as gym
import numpy as np

from boltzgym.agents.callbacks import as_callback
from boltzgym.agents.masks import is_masked_space
from boltzgym.agents.tabular import AGENT_CLASSES, TabularAgent
from boltzgym.utils.checkpoint import load_checkpoint, save_checkpoint
from boltzgym.utils.progress import progress_bar as make_progress_bar
from boltzgym.utils.validation import check_int, check_seed

CHECKPOINT_FORMAT = "boltzgym-independent-q"
CHECKPOINT_VERSION = 1
ALGORITHMS = {
    "q-learning": "QLearning",
    "sarsa": "SARSA",
    "expected-sarsa": "ExpectedSARSA",
    "double-q": "DoubleQLearning",
    "hysteretic": "HystereticAgent",
    "lenient": "LenientAgent",
    "distributed": "DistributedAgent",
}


class IndependentQLearning:
    """One tabular TD learner per agent of a PettingZoo ``ParallelEnv`` with ``Discrete`` spaces.

    Args:
        env: a PettingZoo parallel env (``possible_agents``, per-agent ``Discrete`` observation and action spaces).
        algorithm: ``"q-learning"`` (default), ``"sarsa"``, ``"expected-sarsa"``, ``"double-q"``, or one of the
            coordination rules ``"hysteretic"``, ``"lenient"``, ``"distributed"`` (the classes below fix it).
        memoryless: every agent sees one state (ignores its observation).
        seed: seeds the env's first reset and each learner's generator (one child seed per agent).
        **hyperparameters: the fields of the rule's config (:class:`~boltzgym.agents.tabular.TabularConfig`, or
            ``HystereticConfig`` / ``LenientConfig``), the same for every agent.
    """

    default_algorithm = "q-learning"

    def __init__(self, env, algorithm: str | None = None, *, memoryless: bool = False, seed: int | None = None,
                 **hyperparameters) -> None:  # fmt: skip
        algorithm = self.default_algorithm if algorithm is None else algorithm
        if algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {sorted(ALGORITHMS)}, got {algorithm!r}")
        if type(self) is not IndependentQLearning and algorithm != self.default_algorithm:
            raise ValueError(f"algorithm of {type(self).__name__} is {self.default_algorithm!r}, got {algorithm!r}")
        self.algorithm, self.memoryless, self.seed = algorithm, bool(memoryless), check_seed("seed", seed)
        agent_class = AGENT_CLASSES[ALGORITHMS[algorithm]]
        self.config = agent_class.config_class.from_kwargs(hyperparameters)
        self.env = env
        self.agents = list(_check_env(env))
        seeds = np.random.SeedSequence(self.seed).spawn(len(self.agents)) if self.seed is not None else None
        self.learners: dict[str, TabularAgent] = {}
        self.masked = {agent: is_masked_space(env.observation_space(agent)) for agent in self.agents}
        for i, agent in enumerate(self.agents):
            n_states = 1 if self.memoryless else int(_inner_space(env.observation_space(agent)).n)
            child = None if seeds is None else int(seeds[i].generate_state(1)[0])
            self.learners[agent] = agent_class.from_spaces(
                n_states, int(env.action_space(agent).n), seed=child, **asdict(self.config)
            )
        self.num_timesteps = 0
        self.episode_returns: dict[str, list[float]] = {agent: [] for agent in self.agents}
        self.episode_end_steps: list[int] = []  # num_timesteps at the end of each training episode

    def _state(self, agent: str, observation) -> int:
        if self.masked[agent]:
            observation = observation["observation"]
        return 0 if self.memoryless else int(observation)

    def _mask(self, agent: str, observation) -> np.ndarray | None:
        """The legal actions of ``agent`` in ``observation`` (its ``action_mask``), or None (all legal)."""
        return np.asarray(observation["action_mask"], dtype=bool) if self.masked[agent] else None

    def learn(self, total_timesteps: int, callback=None, progress_bar: bool = False) -> IndependentQLearning:
        """Run ``total_timesteps`` joint steps (each agent acts and learns once per step); return self.

        The first call resets the env with ``seed``; every episode end resets it (continuing its random stream).
        ``callback`` (:mod:`boltzgym.agents.callbacks`) is called after each joint step; ``False`` stops.
        """
        total_timesteps = check_int("total_timesteps", total_timesteps, minimum=1)
        callback = as_callback(callback)
        callback.init_callback(self)
        callback.on_training_start()
        bar = make_progress_bar(total=total_timesteps, desc="iql", enabled=progress_bar)
        observations, _ = self.env.reset(seed=None if self.seed is None else self.seed + self.num_timesteps)
        pending = {agent: -1 for agent in self.agents}
        returns = {agent: 0.0 for agent in self.agents}
        for _ in range(total_timesteps):
            live = [agent for agent in self.agents if agent in observations]
            states = {agent: self._state(agent, observations[agent]) for agent in live}
            actions = {
                agent: pending[agent]
                if pending[agent] >= 0
                else self.learners[agent].act(states[agent], self._mask(agent, observations[agent]))
                for agent in live
            }
            next_observations, rewards, terminations, truncations, _ = self.env.step(actions)
            self.num_timesteps += 1
            for agent in live:
                following = next_observations.get(agent, observations[agent])
                next_state = self._state(agent, following)
                reward, terminated = float(rewards[agent]), bool(terminations[agent])
                returns[agent] += reward
                pending[agent] = self.learners[agent].observe(
                    states[agent], actions[agent], reward, next_state, terminated, self._mask(agent, following)
                )
            if all(terminations[a] or truncations[a] for a in live):
                for agent in live:
                    self.episode_returns[agent].append(returns[agent])
                self.episode_end_steps.append(self.num_timesteps)
                returns = {agent: 0.0 for agent in self.agents}
                pending = {agent: -1 for agent in self.agents}
                observations, _ = self.env.reset()
            else:
                observations = next_observations
            bar.update(1)
            if not callback.on_step():
                break
        bar.close()
        callback.on_training_end()
        return self

    def predict(self, observations: dict, deterministic: bool = True) -> tuple[dict[str, int], None]:
        """Each agent's greedy action (or behaviour-policy action) for its observation: ``({agent: action}, None)``."""
        missing = [agent for agent in observations if agent not in self.learners]
        if missing:
            raise ValueError(f"observations name unknown agents {missing}; the learners are {self.agents}")
        actions = {}
        for agent, observation in observations.items():
            action, _ = self.learners[agent].predict(
                self._state(agent, observation), deterministic=deterministic, action_mask=self._mask(agent, observation)
            )
            actions[agent] = int(action)
        return actions, None

    def q_tables(self) -> dict[str, np.ndarray]:
        """Each agent's ``(n_states, n_actions)`` action values."""
        return {agent: learner.q_table.copy() for agent, learner in self.learners.items()}

    def save(self, path: str | os.PathLike) -> Path:
        """Write one checkpoint folder (atomically): every learner's tables, counts and generator state."""
        arrays, generators = {}, {}
        for agent, learner in self.learners.items():
            tables = {"q1": learner._q1, "counts": learner._counts}
            if learner._q2 is not None:
                tables["q2"] = learner._q2
            arrays[f"{agent}.npz"] = tables
            generators[agent] = {"rng_state": learner.rng.bit_generator.state, "num_timesteps": learner.num_timesteps}
        config = {"algorithm": self.algorithm, "memoryless": self.memoryless, "seed": self.seed,
                  "agents": self.agents, "hyperparameters": asdict(self.config), "generators": generators}  # fmt: skip
        return save_checkpoint(path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, config, arrays=arrays,
                               counters={"num_timesteps": self.num_timesteps})  # fmt: skip

    @classmethod
    def load(cls, path: str | os.PathLike, env) -> IndependentQLearning:
        """Load learners written by :meth:`save` onto ``env`` (same agents and space sizes); errors name the file."""
        checkpoint = load_checkpoint(path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION)
        config = checkpoint.config
        try:
            learners = cls(env, config["algorithm"], memoryless=config["memoryless"], seed=config["seed"],
                           **config["hyperparameters"])  # fmt: skip
        except (KeyError, TypeError, ValueError) as exc:
            raise checkpoint.error("config.json", f"does not describe these learners ({exc})") from exc
        if learners.agents != config.get("agents"):
            raise checkpoint.error("config.json", f"holds agents {config.get('agents')}, the env has {learners.agents}")
        for agent, learner in learners.learners.items():
            tables = checkpoint.arrays.get(f"{agent}.npz", {})
            for name in ("q1", "counts") + (("q2",) if learner._q2 is not None else ()):
                target = getattr(learner, f"_{name}")
                if name not in tables or tables[name].shape != target.shape:
                    raise checkpoint.error(f"{agent}.npz", f"{name} must have shape {target.shape}")
                target[...] = tables[name]
            learner.rng.bit_generator.state = config["generators"][agent]["rng_state"]
            learner.num_timesteps = int(config["generators"][agent]["num_timesteps"])
        learners.num_timesteps = checkpoint.counters.get("num_timesteps", 0)
        return learners


class HystereticQLearning(IndependentQLearning):
    """Independent hysteretic Q-learners (Matignon, Laurent & Le Fort-Piat 2007): each agent moves its values up
    with ``learning_rate`` and down with ``learning_rate * decrease_rate`` (see
    :class:`~boltzgym.agents.tabular.HystereticAgent`), which finds the climbing game's optimum that independent
    Q-learners miss. Arguments as :class:`IndependentQLearning`; extra hyperparameter ``decrease_rate``."""

    default_algorithm = "hysteretic"


class LenientQLearning(IndependentQLearning):
    """Independent lenient Q-learners (Panait, Sullivan & Luke 2006; LMRL2, Wei & Luke 2016): each agent forgives
    low rewards while its temperature for the pair is high (see :class:`~boltzgym.agents.tabular.LenientAgent`).
    Arguments as :class:`IndependentQLearning`; extra hyperparameters ``max_temperature``, ``leniency`` and
    ``temperature_decay``."""

    default_algorithm = "lenient"


class DistributedQLearning(IndependentQLearning):
    """Independent distributed Q-learners (Lauer & Riedmiller 2000) for deterministic cooperative games: optimistic
    maximum updates and a policy that moves only on improvement (see
    :class:`~boltzgym.agents.tabular.DistributedAgent`). Arguments as :class:`IndependentQLearning`."""

    default_algorithm = "distributed"


def matrix_game_outcome(learners, env, seed: int | None = None) -> dict:
    """The greedy joint action that ``learners`` end on in a repeated matrix game, and its payoff.

    Plays one greedy episode of ``env`` (a :class:`~boltzgym.envs.matrix_game.RepeatedMatrixGame`, reset with
    ``seed``) with ``learners.predict`` and returns the summary keys ``greedy_joint_action`` (``{agent: action}`` of
    the last round: for memoryless learners every round's) and ``greedy_payoff`` (``{agent: expected payoff}`` of
    that joint action, ``env.payoffs``). Works for every learner with ``predict({agent: observation})``.
    """
    payoffs = getattr(env, "payoffs", None)
    if payoffs is None or getattr(payoffs, "ndim", 0) != 3:
        raise TypeError(f"env must be a RepeatedMatrixGame (with payoffs of shape (2, n_0, n_1)), got {env!r}")
    observations, _ = env.reset(seed=seed)
    actions: dict[str, int] = {}
    while env.agents:
        actions, _ = learners.predict(observations)
        observations, *_ = env.step(actions)
    joint = tuple(int(actions[agent]) for agent in env.possible_agents)
    return {
        "greedy_joint_action": dict(zip(env.possible_agents, joint)),
        "greedy_payoff": {agent: float(payoffs[(i, *joint)]) for i, agent in enumerate(env.possible_agents)},
    }


def _inner_space(space):
    """The ``observation`` entry of a masked Dict space (PettingZoo's ``action_mask`` convention), else ``space``."""
    return space["observation"] if is_masked_space(space) else space


def _check_env(env) -> list[str]:
    """The env's agents, after checking it is a parallel env with Discrete spaces (observations may be masked:
    ``Dict(observation=Discrete, action_mask=...)``)."""
    agents = getattr(env, "possible_agents", None)
    if not agents or not callable(getattr(env, "observation_space", None)):
        raise TypeError(f"env must be a PettingZoo ParallelEnv with possible_agents, got {type(env).__name__}")
    for agent in agents:
        for kind in ("observation_space", "action_space"):
            space = getattr(env, kind)(agent)
            if kind == "observation_space":
                space = _inner_space(space)
            if not isinstance(space, gym.spaces.Discrete):
                raise TypeError(f"env.{kind}({agent!r}) must be Discrete for tabular learners, got {space!r}")
    return agents
