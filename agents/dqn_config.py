"""DQN's hyperparameters (:class:`DQNConfig`): one typed field each, with its default and a one-line reason, and the
checks that every value (from Python, the CLI's ``--set`` or a checkpoint's JSON) passes before an agent is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from boltzgym.agents.networks import check_q_network_choice
from boltzgym.models.supervised.mlp import ACTIVATIONS
from boltzgym.utils.validation import (
    check_bool,
    check_count,
    check_in_range,
    check_positive,
    check_probability,
    check_widths,
)


@dataclass
class DQNConfig:
    """DQN hyperparameters. Defaults are tuned for CartPole-v1 in 5e4 steps (see benchmarks/dqn_cartpole.py).

    The defaults follow rl-baselines3-zoo's CartPole schedule (lr 2.3e-3, a training phase of many gradient
    steps every 128 env steps against a target network copied every 10 env steps, i.e. frozen during each
    phase: fitted Q-iteration), with a 64x64 network instead of 256x256, batches of 128, 3-step returns,
    Double DQN and a learning rate annealed to 0. Chosen by a sweep over seeds 0..4 (report of issue 6).
    With these settings the greedy policy is often perfect for a while and then collapses (issue 24: 3 of seeds
    10..19 solved at 5e4 steps, every failing one had scored 500 earlier); the CartPole preset of
    ``boltzgym train dqn`` therefore adds ``eval_freq``/``eval_episodes``, which keep the best evaluated weights.
    """

    learning_rate: float = 2.3e-3  # Adam step size (Kingma & Ba 2015; notes 2.2 adaptive learning rates)
    learning_rate_final: float | None = 0.0  # the step size decays linearly to this at the end of learn();
    # None keeps it constant. Annealing to 0 keeps the late policy from being overwritten (notes 2.1)
    buffer_size: int = 50_000  # replay capacity in vector steps (transitions kept per env)
    batch_size: int = 128  # transitions per gradient step (notes 2.1 mini-batches)
    learning_starts: int = 1_000  # env steps of pure collection before the first gradient step
    gamma: float = 0.99  # discount factor
    n_step: int = 3  # length of the n-step return (1 = one-step Q-learning target)
    train_freq: int = 128  # vector steps between training phases
    gradient_steps: int = 64  # gradient steps per training phase
    target_update_interval: int = 10  # env steps between target-network updates
    tau: float = 1.0  # target update coefficient: 1 = hard copy, < 1 = Polyak averaging
    exploration_fraction: float = 0.16  # fraction of the schedule horizon over which epsilon decays
    exploration_initial_eps: float = 1.0  # epsilon at step 0
    exploration_final_eps: float = 0.04  # epsilon after the decay
    max_grad_norm: float = 10.0  # clip the global gradient norm to this (notes 2.3 says ~5; 10 is SB3's value)
    double_q: bool = True  # Double DQN targets (van Hasselt et al. 2016)
    decrease_rate: float = 1.0  # hysteretic DQN (Matignon et al. 2007; Omidshafiei et al. 2017): the loss of a
    # sample whose target is below Q(s, a) is scaled by this, a smaller step down than up for independent learners
    # in cooperative games (1: plain DQN)
    dueling: bool = False  # dueling head (Wang et al. 2016)
    net_arch: tuple[int, ...] = (64, 64)  # hidden layer widths of the MLP torso
    activation: str = "relu"  # MLP activation: relu, tanh or sigmoid
    batch_norm: bool = False  # BatchNorm1d in the MLP torso (notes 2.1)
    dropout: float = 0.0  # dropout in the MLP torso (notes 2.3)
    conv_channels: tuple[int, ...] = (16, 32)  # ConvNet channels for image observations (3x3 kernels)
    conv_features: int = 128  # width of the ConvNet's feature vector
    eval_freq: int = 0  # env steps between greedy evaluations during learn(), whose best weights learn() restores
    # at its end (agents/best_policy.py; SB3's EvalCallback with best_model_save_path); 0: no evaluation, the last
    # weights are kept
    eval_episodes: int = 10  # episodes per evaluation (fresh envs, own reset seeds; not counted in num_timesteps)
    log_interval: int = 100  # gradient steps between logged loss values
    q_network: str | None = None  # a name in agents.networks.Q_NETWORKS ("mlp", "cnn", "dueling", ...); None:
    # "cnn" for image observations, else "mlp" (with the dueling head when dueling=True). A factory passed to
    # DQN(q_network=...) is recorded here by its registered name, or as "custom:<module>.<name>"
    q_network_kwargs: dict = field(default_factory=dict)  # JSON keyword arguments for the factory; for the
    # built-in names they override the fields above (net_arch, activation, ..., conv_features)
    recurrent: bool = False  # DRQN (Hausknecht & Stone 2015): q_network defaults to "lstm"; replay samples sequences
    sequence_length: int = 32  # recurrent: steps per replayed sequence (cut at its episode's start; zero state there)

    def __post_init__(self) -> None:
        # Values may come from the CLI (``--set KEY=VALUE``, read as JSON or else kept as a string) or from a
        # checkpoint's JSON: every field is checked for its type, so that ``double_q="False"`` (truthy) or
        # ``net_arch=64`` fail here, naming the field, instead of silently misconfiguring the agent.
        for name in _BOOL_FIELDS:
            setattr(self, name, check_bool(name, getattr(self, name)))
        self.net_arch = check_widths("net_arch", self.net_arch, example="[64, 64]", allow_empty=True)
        self.conv_channels = check_widths("conv_channels", self.conv_channels, example="[16, 32]")
        for name, minimum in _COUNT_FIELDS.items():
            setattr(self, name, check_count(name, getattr(self, name), minimum))
        check_q_network_choice(self.q_network, self.q_network_kwargs)
        if not isinstance(self.activation, str) or self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {self.activation!r}")
        check_positive("learning_rate", self.learning_rate)
        if self.learning_rate_final is not None:
            check_positive("learning_rate_final", self.learning_rate_final, allow_zero=True)
        check_in_range("gamma", self.gamma, 0.0, 1.0)
        check_in_range("tau", self.tau, 0.0, 1.0)
        if self.tau == 0:
            raise ValueError("tau must be in (0, 1], got 0.0 (the target network would never change)")
        check_probability("exploration_fraction", self.exploration_fraction)
        check_probability("exploration_initial_eps", self.exploration_initial_eps)
        check_probability("exploration_final_eps", self.exploration_final_eps)
        check_positive("max_grad_norm", self.max_grad_norm)
        check_probability("decrease_rate", self.decrease_rate)
        if not 0 <= check_positive("dropout", self.dropout, allow_zero=True) < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> DQNConfig:
        """Build a config from a dict, rejecting unknown keys by name."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown DQN hyperparameter(s) {unknown}; expected names from {sorted(known)}")
        return cls(**values)


_BOOL_FIELDS = ("double_q", "dueling", "batch_norm", "recurrent")
_COUNT_FIELDS = {  # integer fields and their minimum
    "buffer_size": 1,
    "batch_size": 1,
    "learning_starts": 0,
    "n_step": 1,
    "train_freq": 1,
    "gradient_steps": 1,
    "target_update_interval": 1,
    "conv_features": 1,
    "log_interval": 1,
    "eval_freq": 0,
    "eval_episodes": 1,
    "sequence_length": 1,
}
