"""Q-networks for DQN, chosen by name from a registry of factories (or given as a factory).

A factory is ``factory(observation_space, n_actions, **kwargs) -> nn.Module``; the module maps a batch of
observations, as the replay buffer stores them (``int64`` state indices for Discrete spaces, ``uint8``
``(batch, H, W, C)`` images, ``float32`` vectors), to Q-values ``(batch, n_actions)``.

Built-in names:

- ``"mlp"``: one-hot (Discrete) or flattened (Box; images scaled to [0, 1]) observations into an MLP torso and
  a linear head. Keyword arguments: ``net_arch``, ``activation``, ``batch_norm``, ``dropout``, ``dueling``.
- ``"cnn"``: image observations through a ConvNet (``conv_channels``, ``conv_features``), then the MLP torso.
- ``"dueling"``: like ``"mlp"`` (``"cnn"`` for images) with the dueling head (Wang et al. 2016).
- ``"lstm"``, ``"gru"``: a :class:`RecurrentQNetwork` (DRQN, Hausknecht & Stone 2015): the ``"mlp"``/``"cnn"``
  encoder, then an LSTM or GRU, then the head; DQN then replays sequences and carries the hidden state while acting.
  Extra keyword argument: ``hidden_size`` (64).

Other packages add names with :func:`register_q_network` (a factory or a lazy ``"module:function"`` string), or
by adding a line to :data:`Q_NETWORKS`, so that ``DQN(env, q_network="resnet")`` and
``boltzgym train dqn --set q_network=resnet`` find them. Checkpoints record the name and the JSON keyword
arguments; a factory passed as a callable that is not registered must be passed again to ``DQN.load``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from boltzgym.agents.env_steps import observation_kind
from boltzgym.models.q_networks.heads import DuelingHead
from boltzgym.models.sizing import check_model_fits
from boltzgym.models.supervised.mlp import ACTIVATIONS, MLP, apply_layers, hook_free
from boltzgym.models.vision.conv import ConvNet
from boltzgym.utils.imports import import_object, lazy_namespace
from boltzgym.utils.io import to_json
from boltzgym.utils.validation import check_bool, check_count, check_widths

QNetworkFactory = Callable[..., nn.Module]

# name -> factory, or "module:function" imported on first use (model packages append their entries here)
Q_NETWORKS: dict[str, QNetworkFactory | str] = {
    "mlp": "boltzgym.agents.networks:mlp_q_network",
    "cnn": "boltzgym.agents.networks:cnn_q_network",
    "dueling": "boltzgym.agents.networks:dueling_q_network",
    "resnet": "boltzgym.models.q_networks.vision:resnet_q_network",
    "attention": "boltzgym.models.q_networks.vision:attention_q_network",
    "per-agent": "boltzgym.agents.independent_dqn:per_agent_q_network",
    "shared-agents": "boltzgym.agents.independent_dqn:shared_q_network",
    "vae-encoder": "boltzgym.models.q_networks.encoders:vae_encoder_q_network",
    "ae-encoder": "boltzgym.models.q_networks.encoders:ae_encoder_q_network",
    "lstm": "boltzgym.agents.networks:lstm_q_network",
    "gru": "boltzgym.agents.networks:gru_q_network",
}
BUILTIN_Q_NETWORKS = ("mlp", "cnn", "dueling", "lstm", "gru")
RECURRENT_Q_NETWORKS = ("lstm", "gru")


def register_q_network(name: str, factory: QNetworkFactory | str) -> None:
    """Make ``factory`` (a callable or a ``"module:function"`` string) available as ``q_network=name``."""
    if not isinstance(name, str) or not name or ":" in name:
        raise ValueError(f"q_network name must be a non-empty string without ':', got {name!r}")
    if not (callable(factory) or (isinstance(factory, str) and ":" in factory)):
        raise TypeError(f"factory must be callable or a 'module:function' string, got {factory!r}")
    Q_NETWORKS[name] = factory


def q_network_factory(name: str) -> QNetworkFactory:
    """The factory registered as ``name`` (``ValueError`` naming ``q_network`` when there is none)."""
    if name not in Q_NETWORKS:
        raise ValueError(f"q_network {name!r} is not a registered Q-network; expected one of {sorted(Q_NETWORKS)}")
    factory = Q_NETWORKS[name]
    if isinstance(factory, str):
        factory = import_object(factory)
        Q_NETWORKS[name] = factory
    return factory


def registered_name(factory: QNetworkFactory) -> str | None:
    """The name under which ``factory`` is registered, if any."""
    for name in Q_NETWORKS:
        if Q_NETWORKS[name] is factory or (isinstance(Q_NETWORKS[name], str) and q_network_factory(name) is factory):
            return name
    return None


def resolve_q_network(value: Any) -> tuple[Any, QNetworkFactory | None]:
    """``(name, factory)`` for ``DQN(q_network=value)``: a name (or None) passes through with no factory; a
    callable is recorded by its registered name, or as ``"custom:<module>.<name>"`` with the callable kept."""
    if not callable(value):
        return value, None
    name = registered_name(value)
    if name is not None:
        return name, None
    return f"custom:{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', repr(value))}", value


def check_q_network_choice(name: Any, kwargs: Any) -> None:
    """Raise ``ValueError``/``TypeError`` naming ``q_network``/``q_network_kwargs`` unless ``name`` is None, a
    registered name or a ``custom:`` name, and ``kwargs`` a dict of JSON values with string keys."""
    if name is not None and (not isinstance(name, str) or (not name.startswith("custom:") and name not in Q_NETWORKS)):
        raise ValueError(
            f"q_network must be one of {sorted(Q_NETWORKS)} or a factory(observation_space, n_actions, **kwargs), "
            f"got {name!r}"
        )
    if not isinstance(kwargs, dict) or not all(isinstance(key, str) for key in kwargs):
        raise TypeError(f"q_network_kwargs must be a dict of keyword arguments, got {kwargs!r}")
    try:
        to_json(kwargs)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"q_network_kwargs must hold JSON values (checkpoints record them): {exc}") from exc


class QNetwork(nn.Module):
    """Q-values ``(batch, n_actions)`` from raw observations: encoder (one-hot / ConvNet / flatten), MLP, head.

    Args:
        observation_space, n_actions: the env's spaces (a Box or Discrete observation space).
        net_arch: hidden widths of the MLP torso (empty: a linear Q-function of the features).
        activation: ``relu``, ``tanh`` or ``sigmoid``.
        batch_norm, dropout: BatchNorm1d / dropout in the torso (notes 2.1, 2.3).
        dueling: the dueling head ``V(s) + A(s, a) - mean_a A(s, a)`` instead of a linear one.
        conv: encode ``(H, W, C)`` uint8 images with a ConvNet (3x3 kernels, ``conv_channels``,
            ``conv_features``) instead of flattening them.
        device, dtype: torch's factory keywords (as ``nn.Linear``'s); observations are cast to ``dtype``.
    """

    def __init__(
        self,
        observation_space: gym.Space,
        n_actions: int,
        *,
        net_arch: tuple[int, ...] = (64, 64),
        activation: str = "relu",
        batch_norm: bool = False,
        dropout: float = 0.0,
        dueling: bool = False,
        conv: bool = False,
        conv_channels: tuple[int, ...] = (16, 32),
        conv_features: int = 128,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        self.kind = observation_kind(observation_space)
        self.encoder: nn.Module = nn.Identity()
        if self.kind == "discrete":
            self.n_states = int(observation_space.n)
            in_features = self.n_states
        elif conv:
            if self.kind != "image":
                raise ValueError(f"q_network 'cnn' needs uint8 (H, W, C) image observations, got {observation_space}")
            height, width, channels = observation_space.shape
            conv_channels = check_widths("conv_channels", conv_channels, example="[16, 32]")
            self.encoder = ConvNet(
                (channels, height, width),
                channels=conv_channels,
                kernel_sizes=(3,) * len(conv_channels),
                strides=(1,) * len(conv_channels),
                paddings=(1,) * len(conv_channels),
                out_features=check_count("conv_features", conv_features, 1),
                **factory_kwargs,
            )
            in_features = self.encoder.out_features
        else:
            in_features = int(np.prod(observation_space.shape))
        if not isinstance(activation, str) or activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        self.torso = MLP(
            in_features,
            check_widths("net_arch", net_arch, example="[64, 64]", allow_empty=True),
            out_features=None,
            activation=activation,
            batch_norm=check_bool("batch_norm", batch_norm),
            dropout=dropout,
            **factory_kwargs,
        )
        if check_bool("dueling", dueling):
            self.head: nn.Module = DuelingHead(self.torso.out_features, n_actions, **factory_kwargs)
        else:
            self.head = nn.Linear(self.torso.out_features, n_actions, **factory_kwargs)

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        # observations in the parameters' dtype (float32 by default); a Linear head's weight is read directly, as
        # walking parameters() on every forward cost ~5% of a CartPole run's update time
        head = self.head
        dtype = head.weight.dtype if isinstance(head, nn.Linear) else next(head.parameters()).dtype
        if self.kind == "discrete":
            x = F.one_hot(observations.long(), self.n_states).to(dtype)
        elif self.kind == "image" and not isinstance(self.encoder, nn.Identity):
            x = self.encoder(observations.permute(0, 3, 1, 2).to(dtype).div_(255.0))
        elif self.kind == "image":
            x = observations.to(dtype).reshape(len(observations), -1).div_(255.0)
        else:  # (batch, features), also for shape (); no op where the observations are that already
            x = observations if observations.dtype == dtype else observations.to(dtype)
            x = x if x.dim() == 2 else x.reshape(len(x), -1)
        torso = self.torso  # an MLP evaluates its own layers without module calls where it can
        return apply_layers((torso, head), x) if hook_free((torso, head)) else head(torso(x))


_MLP_KEYS = ("net_arch", "activation", "batch_norm", "dropout", "dueling")
_CNN_KEYS = (*_MLP_KEYS, "conv_channels", "conv_features")


def mlp_q_network(observation_space: gym.Space, n_actions: int, **kwargs: Any) -> QNetwork:
    """``"mlp"``: one-hot or flattened observations, MLP torso, linear (or dueling) head."""
    return QNetwork(observation_space, n_actions, **_known(kwargs, _MLP_KEYS, "mlp"))


def cnn_q_network(observation_space: gym.Space, n_actions: int, **kwargs: Any) -> QNetwork:
    """``"cnn"``: a ConvNet encoder for ``(H, W, C)`` uint8 images, then the MLP torso and head."""
    return QNetwork(observation_space, n_actions, conv=True, **_known(kwargs, _CNN_KEYS, "cnn"))


def dueling_q_network(observation_space: gym.Space, n_actions: int, **kwargs: Any) -> QNetwork:
    """``"dueling"``: the ``"mlp"`` network (``"cnn"`` for images) with the dueling head."""
    kwargs = {**_known(kwargs, _CNN_KEYS, "dueling"), "dueling": True}
    conv = observation_kind(observation_space) == "image"
    if not conv:
        kwargs = {key: value for key, value in kwargs.items() if key in _MLP_KEYS}
    return QNetwork(observation_space, n_actions, conv=conv, **kwargs)


def _known(kwargs: dict[str, Any], keys: tuple[str, ...], name: str) -> dict[str, Any]:
    unknown = sorted(set(kwargs) - set(keys))
    if unknown:
        raise ValueError(f"q_network_kwargs: unknown argument(s) {unknown} for {name!r}; expected {list(keys)}")
    return kwargs


class RecurrentQNetwork(nn.Module):
    """DRQN's Q-network (Hausknecht & Stone 2015): observation encoder, a recurrent layer, Q-value head.

    ``Q(h_t, a)`` depends on the whole history ``o_1..o_t`` through the hidden state ``h_t``, which is what a partially
    observable task (the T-maze) needs. The recurrent layer is the gate-by-gate ``boltzgym.models.sequence.recurrent``
    cell
    run on torch's fused kernel (``to_torch``: same weights and initialisation).

    - :meth:`unroll` ``(batch, time, *obs) -> (Q (batch, time, n_actions), state)`` from ``state`` (``None``: zeros);
    - :meth:`step` one observation per sequence ``(batch, *obs) -> (Q (batch, n_actions), state)``;
    - ``forward(observations)`` is ``step`` from the zero state (the first step of an episode).

    A state is a tuple of tensors ``(num_layers, batch, hidden_size)``: ``(h, c)`` for the LSTM, ``(h,)`` for the GRU.
    """

    is_recurrent = True

    def __init__(self, observation_space: gym.Space, n_actions: int, *, cell: str = "lstm", hidden_size: int = 64,
                 dueling: bool = False, device: torch.device | str | None = None, dtype: torch.dtype | None = None,
                 **encoder: Any) -> None:  # fmt: skip
        from boltzgym.models.sequence.recurrent import GRU, LSTM  # lazy: only recurrent agents need it

        super().__init__()
        classes = {"lstm": LSTM, "gru": GRU}
        if cell not in classes:
            raise ValueError(f"cell must be one of {sorted(classes)}, got {cell!r}")
        self.hidden_size = check_count("hidden_size", hidden_size, 1)
        conv = observation_kind(observation_space) == "image"
        factory_kwargs = {"device": device, "dtype": dtype}
        self.encoder = QNetwork(observation_space, self.hidden_size, conv=conv, **encoder, **factory_kwargs)
        self.recurrent = classes[cell](self.hidden_size, self.hidden_size, **factory_kwargs).to_torch()
        if cell == "lstm":  # forget-gate bias 1 (Gers et al. 2000; Jozefowicz et al. 2015): remember by default
            with torch.no_grad():
                for bias in (self.recurrent.bias_ih_l0, self.recurrent.bias_hh_l0):
                    bias[self.hidden_size : 2 * self.hidden_size] = 1.0  # torch's gate order: i, f, g, o
        self.lstm = cell == "lstm"
        self.head = (
            DuelingHead(hidden_size, n_actions, **factory_kwargs)
            if check_bool("dueling", dueling)
            else nn.Linear(hidden_size, n_actions, **factory_kwargs)
        )

    def unroll(self, observations: torch.Tensor, state: tuple[torch.Tensor, ...] | None = None):
        batch, length = observations.shape[:2]
        features = F.relu(self.encoder(observations.reshape(batch * length, *observations.shape[2:])))
        packed = None if state is None else (state if self.lstm else state[0])
        output, new_state = self.recurrent(features.reshape(batch, length, -1), packed)
        return self.head(output), (new_state if self.lstm else (new_state,))

    def step(self, observations: torch.Tensor, state: tuple[torch.Tensor, ...] | None = None):
        q, state = self.unroll(observations[:, None], state)
        return q[:, 0], state

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        return self.step(observations)[0]


def reset_state(state: tuple[torch.Tensor, ...] | None, episode_start) -> tuple[torch.Tensor, ...] | None:
    """``state`` with the sequences where ``episode_start`` (a bool array ``(batch,)``) is True set back to zeros."""
    if state is None:
        return None
    keep = torch.as_tensor(~np.asarray(episode_start, dtype=bool), dtype=state[0].dtype, device=state[0].device)
    return tuple(tensor * keep[None, :, None] for tensor in state)


def lstm_q_network(observation_space: gym.Space, n_actions: int, **kwargs: Any) -> RecurrentQNetwork:
    """``"lstm"``: DRQN with an LSTM layer (``hidden_size``, plus the ``"mlp"``/``"cnn"`` encoder's arguments)."""
    return RecurrentQNetwork(observation_space, n_actions, cell="lstm", **_known(kwargs, _RECURRENT_KEYS, "lstm"))


def gru_q_network(observation_space: gym.Space, n_actions: int, **kwargs: Any) -> RecurrentQNetwork:
    """``"gru"``: DRQN with a GRU layer."""
    return RecurrentQNetwork(observation_space, n_actions, cell="gru", **_known(kwargs, _RECURRENT_KEYS, "gru"))


_RECURRENT_KEYS = (*_CNN_KEYS, "hidden_size")


def default_q_network(observation_space: gym.Space) -> str:
    """The built-in name used when none is given: ``"cnn"`` for images, else ``"mlp"``."""
    return "cnn" if observation_kind(observation_space) == "image" else "mlp"


def builtin_kwargs(name: str, config: Any) -> dict[str, Any]:
    """The keyword arguments a built-in factory takes from a :class:`~boltzgym.agents.dqn.DQNConfig`."""
    keys = _MLP_KEYS if name == "mlp" else _CNN_KEYS
    if name in RECURRENT_Q_NETWORKS:
        keys = ("net_arch", "activation", "dueling", "conv_channels", "conv_features")
    values = {key: getattr(config, key) for key in keys}
    if name == "dueling":
        values.pop("dueling")
    return values


def network_factory(config: Any, observation_space: gym.Space, custom: QNetworkFactory | None):
    """The factory and keyword arguments that ``config.q_network`` (a :class:`~boltzgym.agents.dqn.DQNConfig`)
    names; ``custom`` is the callable behind a ``"custom:..."`` name (``ValueError`` naming ``q_network`` when
    it is missing, e.g. at load)."""
    name = config.q_network or ("lstm" if config.recurrent else default_q_network(observation_space))
    if name.startswith("custom:"):
        if custom is None:
            raise ValueError(
                f"q_network: this agent's network comes from the factory {name[7:]!r}, which is not registered; "
                "pass it again, e.g. DQN.load(path, q_network=factory), or register it with "
                "boltzgym.agents.networks.register_q_network"
            )
        return custom, dict(config.q_network_kwargs)
    kwargs = builtin_kwargs(name, config) if name in BUILTIN_Q_NETWORKS else {}
    return q_network_factory(name), {**kwargs, **config.q_network_kwargs}


def check_q_network(module: Any, observation_space: gym.Space, n_actions: int, dtype: np.dtype) -> nn.Module:
    """Raise ``TypeError``/``ValueError`` naming ``q_network`` unless ``module`` is an ``nn.Module`` mapping a
    batch of two observations to Q-values of shape ``(2, n_actions)``."""
    if not isinstance(module, nn.Module):
        raise TypeError(f"q_network: the factory must return a torch.nn.Module, got {type(module).__name__}")
    probe = torch.as_tensor(np.zeros((2, *observation_space.shape), dtype=dtype))
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            output = module(probe)
    except Exception as exc:
        raise ValueError(f"q_network: the network failed on observations {tuple(probe.shape)}: {exc}") from exc
    finally:
        module.train(was_training)
    if not isinstance(output, torch.Tensor) or tuple(output.shape) != (2, n_actions):
        shape = tuple(output.shape) if isinstance(output, torch.Tensor) else type(output).__name__
        raise ValueError(f"q_network: the network maps a batch of 2 observations to {shape}, expected (2, {n_actions})")
    return module


def numpy_mlp(q_net: nn.Module) -> list[tuple[np.ndarray, np.ndarray, Any]] | None:
    """``(weight, bias, activation)`` NumPy views of a plain MLP Q-network on CPU (vector observations, no
    batch norm, dropout or dueling), else ``None``.

    The views share memory with the torch parameters, which the optimizer updates in place, so they always
    hold the current weights. Acting through them skips torch's per-call overhead (~30 us per step on CPU).
    """
    activations = {nn.ReLU: lambda x: np.maximum(x, 0.0, out=x), nn.Tanh: lambda x: np.tanh(x, out=x)}
    if type(q_net) is not QNetwork or q_net.kind != "vector" or not isinstance(q_net.head, nn.Linear):
        return None
    if any(p.device.type != "cpu" or p.dtype != torch.float32 for p in q_net.parameters()):
        return None
    layers: list[tuple[np.ndarray, np.ndarray, Any]] = []
    for module in [*q_net.torso.layers, q_net.head]:
        if isinstance(module, nn.Linear):
            layers.append((module.weight.detach().numpy().T, module.bias.detach().numpy(), None))
        elif type(module) in activations and layers and layers[-1][2] is None:
            weight, bias, _ = layers[-1]
            layers[-1] = (weight, bias, activations[type(module)])
        else:
            return None
    return layers


def numpy_mlp_forward(layers: list[tuple[np.ndarray, np.ndarray, Any]], x: np.ndarray) -> np.ndarray:
    """Q-values of the rows of ``x`` through the :func:`numpy_mlp` views ``layers``."""
    x = x.astype(np.float32)
    for weight, bias, activation in layers:
        x = x @ weight + bias
        if activation is not None:
            activation(x)
    return x


# the DQN settings that size a built-in network (named when it is refused)
NETWORK_SIZE_KEYS = ("net_arch", "conv_channels", "conv_features", "q_network_kwargs", "batch_size")


def check_network_size(factory, kwargs, observation_space, n_actions: int, shape, obs_dtype, config) -> None:
    """Refuse a Q-network too large to train before it is built (sized on the meta device, models.sizing), naming
    the settings of ``config`` changed from their defaults. Only the built-in factories, which just build modules:
    others may pretrain or read files (the encoder Q-networks) and are sized by what they build."""
    if factory not in {q_network_factory(name) for name in BUILTIN_Q_NETWORKS}:
        return
    defaults = type(config)()
    changed = [key for key in NETWORK_SIZE_KEYS if getattr(config, key) != getattr(defaults, key)]
    batch = torch.from_numpy(np.zeros((config.batch_size, *shape), dtype=obs_dtype))
    check_model_fits(lambda: factory(observation_space, n_actions, **kwargs), [batch], config, changed)


@contextlib.contextmanager
def torch_scope(n_threads: int | None, rng_state: torch.Tensor):
    """Run a block with ``n_threads`` torch threads (None: unchanged) and torch's RNG in ``rng_state``, restoring
    both afterwards (torch's global RNG state is left untouched); yields a list that holds the block's final RNG
    state once the block ends normally."""
    threads = torch.get_num_threads()
    if n_threads is not None:
        torch.set_num_threads(n_threads)
    final: list[torch.Tensor] = [rng_state]
    try:
        with torch.random.fork_rng(devices=[]):
            torch.set_rng_state(rng_state)
            yield final
            final[0] = torch.get_rng_state()
    finally:
        torch.set_num_threads(threads)


# moved to agents.update_steps with the other helpers of a DQN update (the old spelling warns once per use)
__getattr__, __dir__ = lazy_namespace(
    __name__,
    {},
    {name: f"boltzgym.agents.update_steps:{name}" for name in ("clip_grad_norm", "fused_adam")},
)

__all__ = [
    "Q_NETWORKS",
    "QNetwork",
    "RecurrentQNetwork",
    "check_q_network",
    "cnn_q_network",
    "dueling_q_network",
    "mlp_q_network",
    "observation_kind",
    "q_network_factory",
    "register_q_network",
    "reset_state",
]
