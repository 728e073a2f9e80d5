"""Deep Q-Network (notes 6.1, "Deep Q-learning") with the training practice of notes 2, in one file.

Mnih et al., "Human-level control through deep reinforcement learning" (Nature 2015), with the improvements
that are now standard: Double DQN targets (van Hasselt et al., AAAI 2016), an optional dueling head (Wang
et al., ICML 2016), n-step returns (Sutton 1988; Hessel et al. 2018), the Huber loss and gradient-norm
clipping (notes 2.3: "gradient clipping, usually at 5"), and a target network updated by hard copies or by
Polyak averaging (notes 2.1's parameter smoothing). With a recurrent Q-network (``recurrent=True`` or
``q_network="lstm"|"gru"``) it is DRQN (Hausknecht & Stone 2015): replayed sequences unrolled from the zero state
(:meth:`~boltzgym.agents.replay.ReplayBuffer.sample_sequences`), the hidden state carried while acting.
Read top to bottom: targets, the agent with its loop (:meth:`DQN.learn`) and its update
(:meth:`DQN._gradient_step`), then checkpoints; the hyperparameters and their defaults are
:class:`~boltzgym.agents.dqn_config.DQNConfig`, the recurrent (DRQN) parts :mod:`boltzgym.agents.drqn`.

Where this deviates from the notes: notes 6.1 writes the Q-learning update as
``Q(s,a) <- (1-eta) Q(s,a) + eta (R + gamma Q(s,a))``; the correct target (Watkins 1989; Mnih et al. 2015) is
``R + gamma max_a' Q(s', a')``, evaluated at the *next* state, and is what is implemented here (with the
Double DQN choice of a' by the online network and its value from the target network).

The API is Stable-Baselines3's::

    from boltzgym.agents.dqn import DQN
    agent = DQN("CartPole-v1", seed=0).learn(50_000)
    action, _ = agent.predict(obs, deterministic=True)
    agent.save("runs/dqn-cartpole")          # a folder: manifest.json, config.json, model.pt (+ replay.npz)
    agent = DQN.load("runs/dqn-cartpole")    # torch.load(weights_only=True): no code is executed

Checkpoints, and why a saved and reloaded agent continues exactly: :mod:`boltzgym.agents.dqn_checkpoint`.

Importing this module imports torch; ``boltzgym.agents`` itself does not.
"""

from __future__ import annotations

import copy
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from boltzgym.agents import dqn_checkpoint
from boltzgym.agents.best_policy import best_policy_keeper
from boltzgym.agents.callbacks import CallbackList, as_callback
from boltzgym.agents.dqn_config import DQNConfig
from boltzgym.agents.drqn import recurrent_greedy_actions, unroll_sequences
from boltzgym.agents.env_steps import EnvSpec, EnvStepper, env_spec, observation_batch
from boltzgym.agents.masks import explore_some, masked_argmax, random_legal_actions
from boltzgym.agents.networks import (
    check_network_size,
    check_q_network,
    network_factory,
    numpy_mlp,
    numpy_mlp_forward,
    reset_state,
    resolve_q_network,
    torch_scope,
)
from boltzgym.agents.replay import ReplayBuffer
from boltzgym.agents.schedules import linear_schedule
from boltzgym.agents.update_steps import adam_step, clip_grad_norm, fused_adam, target_pairs, update_target
from boltzgym.utils.metrics import MetricsLog
from boltzgym.utils.progress import progress_bar as make_progress_bar
from boltzgym.utils.reporting import listening, report
from boltzgym.utils.validation import (
    DivergenceError,
    check_int,
    check_seed,
)

_ROWS_PER_CHUNK = 8192  # transitions sampled at once in a training phase (bounds memory for image batches)
# Rows per target-network forward pass: a 64-wide layer's activations take 256 KiB. Timed inside CartPole runs, a
# phase's 8,192 rows took ~3.3 ms in one pass or in 4,096-row pieces and ~1.3 ms in pieces of 512-2,048 rows, and
# the whole run was ~15% faster with them (larger pieces also evict what the gradient steps use next).
_TARGET_FORWARD_ROWS = 1024


# --- schedule and targets -------------------------------------------------------------------------------


def td_targets(
    returns: torch.Tensor,
    discounts: torch.Tensor,
    next_q_target: torch.Tensor,
    next_q_online: torch.Tensor | None = None,
    next_action_masks: torch.Tensor | None = None,
) -> torch.Tensor:
    """Bootstrapped targets ``returns + discounts * Q_target(s', a*)`` (notes 6.1, corrected).

    With ``next_q_online`` (the online network's Q-values at ``s'``), Double DQN (van Hasselt et al. 2016):
    ``a* = argmax_a Q_online(s', a)`` evaluated by the target network; without it, plain DQN:
    ``max_a Q_target(s', a)``. ``discounts`` already hold ``gamma^n`` times zero at terminal states (see
    ``ReplayBuffer``). Inputs are ``(batch,)`` and ``(batch, n_actions)`` tensors; no gradient flows. With
    ``next_action_masks`` (bool, the legal actions at ``s'``) no illegal action's value enters a max or an argmax;
    a row with no legal action (a finished game) bootstraps from 0.
    """
    with torch.no_grad():
        if next_action_masks is not None:
            illegal = ~next_action_masks
            next_q_target = next_q_target.masked_fill(illegal, -torch.inf)
            if next_q_online is not None:
                next_q_online = next_q_online.masked_fill(illegal, -torch.inf)
        if next_q_online is not None:
            best = next_q_online.argmax(dim=1, keepdim=True)
            next_value = next_q_target.gather(1, best).squeeze(1)
        else:
            next_value = next_q_target.max(dim=1).values
        if next_action_masks is not None:
            next_value = torch.where(next_action_masks.any(dim=1), next_value, torch.zeros_like(next_value))
        return returns + discounts * next_value


def hysteretic_loss(q: torch.Tensor, targets: torch.Tensor, decrease_rate: float = 1.0) -> torch.Tensor:
    """The Huber loss (delta 1; notes 2: robust loss) of ``q`` against ``targets``, each sample whose target lies
    below its ``q`` weighted by ``decrease_rate`` (hysteretic Q-learning's smaller step down, Matignon et al. 2007;
    as a loss weight, Omidshafiei et al. 2017); ``decrease_rate=1`` is the plain mean Huber loss."""
    if decrease_rate == 1.0:
        return F.smooth_l1_loss(q, targets)
    weights = torch.where(targets >= q.detach(), 1.0, decrease_rate)
    return (F.smooth_l1_loss(q, targets, reduction="none") * weights).mean()


# --- the agent ------------------------------------------------------------------------------------------


class DQN:
    """Deep Q-Network agent for Discrete action spaces (Mnih et al. 2015; Double DQN by default).

    Args:
        env: a Gymnasium env, a ``gymnasium.vector`` env (sync or async; either autoreset mode
            ``NEXT_STEP`` or ``SAME_STEP``), an env id (made with ``gym.make``), or ``None`` (predict only).
        config: a :class:`DQNConfig`; keyword arguments override its fields, e.g.
            ``DQN(env, learning_rate=3e-4, n_step=3)`` (unknown names raise ``ValueError``).
            ``q_network`` is a name from :data:`boltzgym.agents.networks.Q_NETWORKS` (``"mlp"``, ``"cnn"``,
            ``"dueling"``, ...) or a factory ``factory(observation_space, n_actions, **q_network_kwargs)``
            returning an ``nn.Module``; a factory that is not registered must be passed again to :meth:`load`.
        seed: seeds the network initialisation (torch, in a forked RNG so torch's global state is untouched),
            exploration, replay sampling and the environment resets. ``None``: fresh entropy.
        log_dir: folder for ``metrics.csv`` (and TensorBoard events in ``log_dir/tensorboard/`` when installed).
        device: torch device (``"cpu"`` by default: small networks run faster there).
        n_threads: torch CPU threads while :meth:`learn` runs (restored afterwards). 1 by default: for
            the small networks and batches of DQN, extra threads cost more in synchronisation than they
            bring. ``None`` keeps torch's setting.

    Attributes:
        num_timesteps: environment steps taken so far (all envs counted).
        episode_returns: undiscounted return of each finished training episode, with ``episode_end_steps`` the
            ``num_timesteps`` at which it ended.
        evaluations: with ``eval_freq > 0``, the ``(num_timesteps, mean, std)`` of each greedy evaluation during
            :meth:`learn` (:mod:`boltzgym.agents.best_policy`), whose episodes and steps are counted in
            ``eval_episodes_played`` and ``eval_timesteps``; ``best_eval_timesteps``: the step of the weights that
            the last ``learn`` restored. Not kept in checkpoints.
    """

    def __init__(
        self,
        env: gym.Env | gym.vector.VectorEnv | str | None,
        config: DQNConfig | None = None,
        *,
        seed: int | None = None,
        log_dir: str | os.PathLike | None = None,
        device: str = "cpu",
        n_threads: int | None = 1,
        **hyperparameters: Any,
    ) -> None:
        base = asdict(config) if config is not None else {}
        values = {**base, **hyperparameters}
        # a factory given as a callable is recorded by name; one that is not registered is kept for _build
        values["q_network"], self._q_network_factory = resolve_q_network(values.get("q_network"))
        self.config = DQNConfig.from_dict(values)
        self.seed = check_seed("seed", seed)
        self.device = torch.device(device)
        self.n_threads = None if n_threads is None else check_int("n_threads", n_threads, minimum=1)
        self.env = None
        self.n_envs = 1
        self.env_id: str | None = None
        self._spec: EnvSpec | None = None
        spec = None if env is None else self._attach_env(env)
        self._spec = spec
        self.num_timesteps = 0
        self.n_calls = 0  # vector steps
        self.n_updates = 0  # gradient steps
        self.schedule_horizon: int | None = None  # step at which the current learn() call ends
        self.episode_returns: list[float] = []
        self.episode_end_steps: list[int] = []
        self.evaluations: list[tuple[int, float, float]] = []  # eval_freq > 0: (num_timesteps, mean, std) rows
        self.eval_timesteps = 0  # env steps played by those evaluations (not in num_timesteps)
        self.eval_episodes_played = 0
        self.best_eval_timesteps: int | None = None  # the step whose weights learn() restored (eval_freq > 0)
        self.logger = MetricsLog(log_dir)
        seeds = np.random.SeedSequence(self.seed).spawn(3)
        self._rng = np.random.default_rng(seeds[0])
        self._buffer_seed = int(seeds[1].generate_state(1)[0])
        self._torch_seed = int(seeds[2].generate_state(1)[0])
        if spec is not None:
            self._build(spec)

    @classmethod
    def from_spaces(cls, observation_space: gym.Space, action_space: gym.Space, n_envs: int = 1, *,
                    seed: int | None = None, **hyperparameters: Any) -> DQN:  # fmt: skip
        """An agent with no env for an outside loop (the turn loop of :mod:`~boltzgym.agents.independent_dqn`):
        :meth:`act` acts for ``n_envs`` streams of experience, :meth:`record` stores a step of them all and trains
        on schedule. ``observation_space`` may be masked (a ``Dict`` of ``observation`` and ``action_mask``)."""
        agent = cls(None, seed=seed, **hyperparameters)
        agent.n_envs = check_int("n_envs", n_envs, minimum=1)
        agent._check_buffer(agent.n_envs)
        agent._spec = env_spec(observation_space, action_space)
        agent._build(agent._spec)
        return agent

    # --- construction ----------------------------------------------------------------------------------

    def _check_buffer(self, n_envs: int) -> None:
        if self.config.buffer_size * n_envs < self.config.batch_size:
            raise ValueError(f"buffer_size ({self.config.buffer_size} steps x {n_envs} envs) must hold at least "
                             f"batch_size={self.config.batch_size} transitions")  # fmt: skip

    def _attach_env(self, env) -> EnvSpec:
        stepper = EnvStepper(env)
        if self._spec is not None and stepper.spec != self._spec:
            raise ValueError(f"env: its spaces {stepper.spec} differ from the agent's {self._spec}")
        self._check_buffer(stepper.n_envs)
        self._stepper, self.env, self.n_envs = stepper, stepper.env, stepper.n_envs
        self.env_id = stepper.env_id or self.env_id
        return stepper.spec

    def _build(self, spec: EnvSpec) -> None:
        """Networks, optimizer and replay buffer (torch initialisation seeded in a forked RNG)."""
        self.observation_space, self.action_space = spec.spaces()
        factory, kwargs = network_factory(self.config, self.observation_space, self._q_network_factory)
        obs_dtype = {"discrete": np.int64, "image": np.uint8, "vector": np.float32}[spec.kind]
        check_network_size(factory, kwargs, self.observation_space, spec.n_actions, spec.shape, obs_dtype, self.config)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self._torch_seed)
            self.q_net = factory(self.observation_space, spec.n_actions, **kwargs)
            target_net = factory(self.observation_space, spec.n_actions, **kwargs)
            self._torch_rng_state = torch.get_rng_state()
        check_q_network(self.q_net, self.observation_space, spec.n_actions, obs_dtype)
        self.q_net = self.q_net.to(self.device)
        self.target_net = (copy.deepcopy(self.q_net) if target_net is self.q_net else target_net).to(self.device)
        self.target_net.load_state_dict(self.q_net.state_dict())
        self.target_net.requires_grad_(False)
        self.target_net.eval()  # never trained: batch norm uses the copied running statistics
        self._parameters = list(self.q_net.parameters())  # the networks' tensors stay these objects from here on
        self._target_pairs = target_pairs(self.target_net, self.q_net)
        self._fast_policy = numpy_mlp(self.q_net)
        self.optimizer = fused_adam(self.q_net.parameters(), self.config.learning_rate)
        modal = (nn.modules.batchnorm._BatchNorm, nn.modules.dropout._DropoutNd)
        self._has_modes = any(isinstance(m, modal) for m in self.q_net.modules())
        self.q_net.train(not self._has_modes)  # acting mode by default; switched per update when needed
        self.is_recurrent = bool(getattr(self.q_net, "is_recurrent", False))
        if spec.action_mask and self.is_recurrent:
            raise ValueError("env: action masks are not supported with a recurrent q_network (DRQN)")
        if self.config.recurrent and not self.is_recurrent:
            raise ValueError(
                f"recurrent=True needs a recurrent q_network ('lstm', 'gru' or a module with is_recurrent = True), "
                f"got q_network={self.config.q_network!r}"
            )
        self._acting_state = None  # recurrent: the hidden state of each env's episode so far (None: zeros)
        self.replay_buffer = self._new_replay_buffer(spec.shape, obs_dtype)

    def _new_replay_buffer(self, shape: tuple[int, ...], obs_dtype) -> ReplayBuffer:
        config = self.config
        n_actions = self._spec.n_actions if self._spec.action_mask else None
        return ReplayBuffer(config.buffer_size, shape, obs_dtype, self.n_envs, config.n_step, config.gamma,
                            seed=self._buffer_seed, n_actions=n_actions)  # fmt: skip

    def set_env(self, env: gym.Env | gym.vector.VectorEnv | str) -> None:
        """Attach an environment (same spaces) to a loaded agent; a new ``n_envs`` empties the replay buffer."""
        n_envs = self.n_envs
        self._attach_env(env)
        if self.n_envs != n_envs:
            self.replay_buffer = self._new_replay_buffer(self._spec.shape, self.replay_buffer.obs_dtype)

    # --- acting ---------------------------------------------------------------------------------------

    def exploration_rate(self, step: int | None = None) -> float:
        """Epsilon at env step ``step`` (default: now): linear decay over the first ``exploration_fraction``
        of ``[0, schedule_horizon]``, where ``schedule_horizon`` is the step at which the current (or last)
        ``learn`` call ends, as in Stable-Baselines3's progress-based schedules."""
        step = self.num_timesteps if step is None else step
        horizon = self.schedule_horizon or 0
        config = self.config
        return linear_schedule(
            config.exploration_initial_eps,
            config.exploration_final_eps,
            config.exploration_fraction * horizon,
            step,
        )

    def q_values(self, observations: np.ndarray) -> np.ndarray:
        """Q-values ``(batch, n_actions)`` of a batch of observations (NumPy in, NumPy out); for a recurrent network,
        each observation as the first of an episode (zero state: use :meth:`predict` with ``state`` for histories)."""
        with torch.inference_mode():
            return self.q_net(torch.as_tensor(observations, device=self.device)).cpu().numpy()

    def predict(self, observation, state=None, episode_start=None, deterministic: bool = True):
        """The greedy (or epsilon-greedy when ``deterministic=False``) action for one observation or a batch.

        Returns ``(action, state)`` like Stable-Baselines3: an ``int64`` scalar for one observation, an array for
        a batch. A feed-forward network ignores ``state`` and returns it unchanged. A recurrent one (DRQN) takes
        the hidden state returned by the previous call (``None``: the zero state of an episode's first step) and
        ``episode_start`` (bools, one per observation: True resets that row's state, as after an env reset), and
        returns the new state: a tuple of NumPy arrays ``(num_layers, batch, hidden_size)`` as SB3's
        ``RecurrentPPO.predict`` does. For an env whose observations carry an ``action_mask``, ``observation`` is
        such a dict (one or a batch) and the action is always a legal one.
        """
        if self._spec is None:
            raise RuntimeError("this agent has no networks yet: create it with an env or load a checkpoint")
        batch, masks, single = observation_batch(observation, self._spec, self.observation_space)
        if self.is_recurrent:
            actions, state = recurrent_greedy_actions(self.q_net, batch, state, episode_start, self.device)
        else:
            actions = masked_argmax(self.q_values(batch), masks)
        if not deterministic:
            explore = self._rng.random(len(actions)) < self.exploration_rate()
            explore_some(self._rng, actions, explore, self._spec.n_actions, masks)
        return (actions[0] if single else actions), state

    def act(self, observations: np.ndarray, masks: np.ndarray | None = None) -> np.ndarray:
        """Epsilon-greedy actions for a batch of observations at the exploration rate of now (see from_spaces)."""
        return self._act(np.asarray(observations), self.exploration_rate(), masks)

    def _act(self, obs: np.ndarray, epsilon: float, masks: np.ndarray | None = None) -> np.ndarray:
        """Epsilon-greedy actions for a batch of observations (the ``n_envs`` current ones in :meth:`learn`;
        Q-values computed only if needed); with ``masks`` (``(batch, n_actions)`` bool) every action is legal."""
        n_obs = len(obs)
        explore = self._rng.random(n_obs) < epsilon
        n_actions = self._spec.n_actions
        if self.is_recurrent:  # the hidden state must see every observation, also when the action is random
            with torch.inference_mode():
                q, self._acting_state = self.q_net.step(torch.as_tensor(obs, device=self.device), self._acting_state)
            actions = q.argmax(dim=1).cpu().numpy()
        elif explore.all():
            return random_legal_actions(self._rng, n_actions, masks, n_obs)
        elif self._fast_policy is not None:
            actions = masked_argmax(numpy_mlp_forward(self._fast_policy, obs.reshape(n_obs, -1)), masks)
        else:
            with torch.inference_mode():
                actions = masked_argmax(self.q_net(torch.as_tensor(obs, device=self.device)).cpu().numpy(), masks)
        return explore_some(self._rng, actions, explore, n_actions, masks)

    # --- learning -------------------------------------------------------------------------------------

    def learn(self, total_timesteps: int, callback=None, progress_bar: bool = False) -> DQN:
        """Collect ``total_timesteps`` more environment steps (all envs counted), training as configured.

        Each vector step: act epsilon-greedily, store the transition, every ``train_freq`` steps (after
        ``learning_starts``) take ``gradient_steps`` gradient steps, every ``target_update_interval`` env steps
        update the target network, then call ``callback.on_step()`` (``False`` stops). Returns ``self``.
        With ``eval_freq > 0`` the greedy policy is also evaluated every ``eval_freq`` env steps and at the end, and
        the best evaluated weights (online and target networks) are restored before ``on_training_end()``
        (:class:`~boltzgym.agents.best_policy.KeepBestPolicy`; the optimizer's moments are not restored).
        Metrics go to TensorBoard while it runs (a writer opened here and closed at its end, also on an
        error) and to ``log_dir/metrics.csv`` when it ends.
        """
        total_timesteps = check_int("total_timesteps", total_timesteps, minimum=1)
        if self.env is None:
            raise RuntimeError("learn needs an environment: pass env to DQN(...) or DQN.load(path, env=...)")
        self.schedule_horizon = self.num_timesteps + total_timesteps  # SB3's progress: steps / end of this call
        callback = as_callback(callback)
        nets = {"q_net": self.q_net, "target_net": self.target_net}  # weights kept at the best evaluation
        keeper = best_policy_keeper(nets, self.env, self.seed, self.config)
        if keeper is not None:
            callback = CallbackList([keeper, callback])
        callback.init_callback(self)
        callback.on_training_start()
        bar = make_progress_bar(total=total_timesteps, desc="dqn", enabled=progress_bar)
        end = self.num_timesteps + total_timesteps
        obs = self._reset_envs()
        self.logger.open()
        try:
            self._collect_and_train(obs, end, bar, callback)
            if keeper is not None:
                keeper.finish()
                self.best_eval_timesteps = keeper.best_timesteps
        finally:
            bar.close()
            self.logger.close()
        callback.on_training_end()
        self.logger.write_csv()
        return self

    def _collect_and_train(self, obs: np.ndarray, end: int, bar, callback) -> None:
        """The loop of :meth:`learn`, until ``num_timesteps`` reaches ``end`` or the callback stops it."""
        with torch_scope(self.n_threads, self._torch_rng_state) as rng_state:
            while self.num_timesteps < end:
                epsilon = self.exploration_rate()
                actions = self._act(obs, epsilon, self._stepper.masks)
                next_obs, rewards, terminated, truncated, valid, following_obs = self._stepper.step(actions)
                previous = self._store(obs, actions, rewards, next_obs, terminated, truncated, valid,
                                       self._stepper.next_masks, self.n_envs)  # fmt: skip
                obs = following_obs  # differs from next_obs where an episode ended and the env was reset
                if self.is_recurrent:  # a new episode starts from the zero state (an autoreset step too)
                    starts = (terminated | truncated) if valid is None else ((terminated | truncated) | ~valid)
                    self._acting_state = reset_state(self._acting_state, starts)
                self._track_episodes(rewards, terminated | truncated, valid, epsilon)
                self._train_on_schedule(previous)
                bar.update(self.n_envs)
                if not callback.on_step():
                    break
        self._torch_rng_state = rng_state[0]  # dropout draws are reproducible and checkpointed

    def record(self, obs, actions, rewards, next_obs, terminated, truncated, valid=None, next_masks=None,
               n_steps: int | None = None) -> None:  # fmt: skip
        """Store one step of the ``n_envs`` streams (as :meth:`ReplayBuffer.add` takes it), counted as ``n_steps``
        env steps (default ``n_envs``), and train as :meth:`learn` does after each vector step (see
        :meth:`from_spaces`)."""
        previous = self._store(obs, actions, rewards, next_obs, terminated, truncated, valid, next_masks,
                               self.n_envs if n_steps is None else n_steps)  # fmt: skip
        with torch_scope(self.n_threads, self._torch_rng_state) as rng_state:
            self._train_on_schedule(previous)
        self._torch_rng_state = rng_state[0]

    def _store(self, obs, actions, rewards, next_obs, terminated, truncated, valid, next_masks, n_steps) -> int:
        """Add one vector step to the replay buffer and count it; returns the env step count before it."""
        self.replay_buffer.add(obs, actions, rewards, next_obs, terminated, truncated, valid, next_masks)
        previous, self.n_calls, self.num_timesteps = self.num_timesteps, self.n_calls + 1, self.num_timesteps + n_steps
        return previous

    def _train_on_schedule(self, previous: int) -> None:
        """The training phase and target update that are due now that ``num_timesteps`` moved on from ``previous``."""
        config = self.config
        if (
            self.num_timesteps > config.learning_starts
            and self.n_calls % config.train_freq == 0
            and len(self.replay_buffer) >= config.batch_size
        ):
            self._train_phase()
        if self.num_timesteps // config.target_update_interval > previous // config.target_update_interval:
            update_target(self.target_net, self.q_net, config.tau, self._target_pairs)

    def _reset_envs(self) -> np.ndarray:
        """Reset every env, seeded from ``seed`` and the step count (a fresh, reproducible seed per ``learn``
        call); the episodes this cuts end at the newest stored step (see ``ReplayBuffer.end_episodes``)."""
        self.replay_buffer.end_episodes()
        self._acting_state = None
        seed = None
        if self.seed is not None:
            seed = int(np.random.SeedSequence([self.seed, self.num_timesteps]).generate_state(1)[0])
        return self._stepper.reset(seed)

    def _track_episodes(self, rewards, dones, valid, epsilon: float) -> None:
        """Log each episode that ended at this step once."""
        for episode_return, length in self._stepper.finished_episodes(rewards, dones, valid):
            self.episode_returns.append(episode_return)
            self.episode_end_steps.append(self.num_timesteps)
            self.logger.record(
                self.num_timesteps,
                {"charts/episode_return": episode_return, "charts/episode_length": length, "charts/epsilon": epsilon},
            )
            # for a sweep's early-stopping scheduler (a no-op unless one listens)
            if listening():
                report(num_timesteps=self.num_timesteps, train_mean_return=float(np.mean(self.episode_returns[-20:])))

    def _learning_rate(self) -> float:
        config = self.config
        if config.learning_rate_final is None:
            return config.learning_rate
        return linear_schedule(
            config.learning_rate, config.learning_rate_final, self.schedule_horizon, self.num_timesteps
        )

    def _train_phase(self) -> None:
        """``gradient_steps`` steps of Huber-loss regression of Q(s, a) onto the (Double) DQN targets.

        The target network does not change during a phase (it is updated between env steps), so the
        phase's mini-batches are sampled together and ``Q_target(s', .)`` is computed in one forward pass
        per chunk of batches; the online network still moves after every batch.
        """
        config = self.config
        if config.learning_rate_final is not None:
            for group in self.optimizer.param_groups:
                group["lr"] = self._learning_rate()
        if self._has_modes:
            self.q_net.train()
        if self.is_recurrent:
            steps = (self._recurrent_gradient_step() for _ in range(config.gradient_steps))
        else:
            steps = self._feedforward_gradient_steps()
        for loss, q_values in steps:
            self.n_updates += 1
            if self.n_updates % config.log_interval == 0:  # the mean Q only when logged: one op less per update
                self.logger.record(
                    self.num_timesteps, {"losses/td_loss": loss.item(), "losses/q_values": q_values.mean().item()}
                )
        if self._has_modes:
            self.q_net.eval()
        if not torch.isfinite(loss):  # a NaN anywhere in the phase has reached the weights and this loss
            raise DivergenceError(
                f"DQN diverged at step {self.num_timesteps}: the TD loss is {loss.item()} (non-finite rewards or "
                f"observations, or learning_rate={config.learning_rate} too large); training stopped, and the last "
                "good checkpoint (if any) was kept"
            )

    def _feedforward_gradient_steps(self):
        """The phase's ``gradient_steps`` updates on sampled transitions; yields (loss, Q(s, a)) after each."""
        batch_size = self.config.batch_size
        per_chunk = max(1, _ROWS_PER_CHUNK // batch_size)
        remaining = self.config.gradient_steps
        while remaining > 0:
            n_batches = min(per_chunk, remaining)
            remaining -= n_batches
            batch = self.replay_buffer.sample(n_batches * batch_size)
            obs, actions, returns, next_obs, discounts = (
                torch.as_tensor(array, device=self.device)
                for array in (batch.obs, batch.actions, batch.returns, batch.next_obs, batch.discounts)
            )
            masks = None
            if batch.next_action_masks is not None:
                masks = torch.as_tensor(batch.next_action_masks, device=self.device)
            with torch.no_grad():  # in pieces whose activations stay in cache
                next_q_target = torch.cat([self.target_net(part) for part in next_obs.split(_TARGET_FORWARD_ROWS)])
            batches = [t.split(batch_size) for t in (obs, actions, returns, next_obs, discounts, next_q_target)]
            for *tensors, next_masks in zip(*batches, [None] * n_batches if masks is None else masks.split(batch_size)):
                yield self._gradient_step(*tensors, next_masks)

    def _gradient_step(self, obs, actions, returns, next_obs, discounts, next_q_target, next_action_masks=None):
        """One Adam step on the Huber loss between Q(s, a) and the TD targets; returns (loss, Q(s, a)), detached."""
        next_q_online = None
        if self.config.double_q:
            # The argmax pass runs in eval mode: no dropout noise in the choice of a*, and batch norm uses (and
            # does not update) its running statistics, which only the regression pass on obs below updates.
            if self._has_modes:
                self.q_net.eval()
            with torch.no_grad():
                next_q_online = self.q_net(next_obs)
            if self._has_modes:
                self.q_net.train()
        targets = td_targets(returns, discounts, next_q_target, next_q_online, next_action_masks)
        q = self.q_net(obs).gather(1, actions[:, None]).squeeze(1)
        loss = hysteretic_loss(q, targets, self.config.decrease_rate)
        self._optimize(loss)
        return loss.detach(), q.detach()

    def _recurrent_gradient_step(self):
        """DRQN's update (Hausknecht & Stone 2015): every step's Q(h_t, a_t) of replayed sequences, unrolled from
        the zero state (:func:`boltzgym.agents.drqn.unroll_sequences`), regressed onto its Double DQN n-step target."""
        batch = self.replay_buffer.sample_sequences(self.config.batch_size, self.config.sequence_length)
        q, returns, discounts, next_q_target, next_q_online, weights = unroll_sequences(
            self.q_net, self.target_net, batch, self.config.double_q, self.device
        )
        targets = td_targets(returns, discounts, next_q_target, next_q_online)
        loss = (F.smooth_l1_loss(q, targets, reduction="none") * weights).sum() / weights.sum()  # padding masked
        self._optimize(loss)
        return loss.detach(), (q.detach() * weights).sum() / weights.sum()

    def _optimize(self, loss: torch.Tensor) -> None:
        """One Adam step on ``loss`` with the global gradient norm clipped (notes 2.3: gradient clipping)."""
        for parameter in self._parameters:  # zero_grad(set_to_none=True), without its ~15 us of per-call bookkeeping
            parameter.grad = None
        loss.backward()
        clip_grad_norm(self._parameters, self.config.max_grad_norm)
        adam_step(self.optimizer)

    # --- checkpoints ----------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike, include_buffer: bool = False) -> Path:
        """Write a checkpoint folder atomically (:mod:`boltzgym.utils.checkpoint`): ``manifest.json``,
        ``config.json``, ``model.pt`` (+ ``replay.npz``).

        ``path`` is always either the previous complete checkpoint or the new complete one, never a mix. An
        existing ``path`` is replaced only when it is an empty folder or a DQN checkpoint; any other folder or
        file raises ``ValueError`` and is left untouched.
        """
        if self._spec is None:
            raise RuntimeError("nothing to save: this agent has no networks yet")
        return dqn_checkpoint.write(self, path, include_buffer)

    @classmethod
    def load(
        cls,
        path: str | os.PathLike,
        env: gym.Env | gym.vector.VectorEnv | str | None = None,
        log_dir: str | os.PathLike | None = None,
        device: str = "cpu",
        q_network: Any = None,
    ) -> DQN:
        """Load a checkpoint folder written by :meth:`save` (weights via ``torch.load(weights_only=True)``).

        ``env`` (optional) is attached for further training; it must have the checkpoint's spaces.
        ``q_network``: the factory, when the agent was built with a factory that is not registered.
        Raises :class:`~boltzgym.utils.checkpoint.CheckpointError` (a ``ValueError``; a ``FileNotFoundError``
        too for missing files) naming the file when the checkpoint is missing, corrupt, non-finite or of another
        kind.
        """
        return dqn_checkpoint.read(cls, path, env, log_dir, device, q_network)
