"""Recurrent networks of notes 4.2 written out gate by gate: :class:`RNN`, :class:`LSTM` (optionally with peepholes)
and :class:`GRU`.

All three are batch-first (input ``(batch, time, features)``), stack ``num_layers`` layers (notes 4.2: "deep" RNNs
stack modules) and can run a second, time-reversed direction (``bidirectional=True``; the outputs of both
directions are concatenated). Parameters carry torch's names and gate order (``weight_ih_l{k}[_reverse]``, ...), so
:meth:`from_torch` copies an ``nn.RNN/LSTM/GRU`` and :meth:`to_torch` gives one back: train on torch's fused kernels,
read the formulas here. Every constructor takes torch's factory keywords ``device`` and ``dtype`` (as ``nn.LSTM``
does). Variable-length batches take ``lengths``; steps past a sequence's end leave its state alone
and output zeros (as ``pack_padded_sequence`` does).

Notes corrections (stated where the formulas are):

- LSTM cell update: the notes write the new cell state without the forget gate on the old state; the correct update
  (Gers et al. 2000) is ``c_t = f_t * c_{t-1} + i_t * c'_t``.
- Peephole LSTM (Gers & Schmidhuber 2002): the input and forget gates look at ``c_{t-1}``, but the output gate looks
  at the *new* cell state ``c_t``, not ``c_{t-1}``. Peephole weights are diagonal (one weight per cell).
- The notes' GRU symbols map to Cho et al. 2014 as: the notes' update gate ``z`` is Cho's ``z`` (how much of the old
  state is kept), the reset gate ``r`` is Cho's ``r``, and the candidate ``h~`` is Cho's ``\\tilde h``; Cho writes
  ``h_t = z * h_{t-1} + (1 - z) * h~``, the convention torch follows, whereas some texts swap ``z`` and ``1 - z``.
  Torch (and this module) apply the reset gate after the recurrent matrix product: ``n = tanh(W_in x + b_in +
  r * (W_hn h + b_hn))`` (Cho et al.'s eq. 8 applies it before; the two differ only in where ``b_hn`` sits).

Exploding gradients (notes 4.2) are handled by the training loop: :data:`DEFAULT_CLIP_GRAD_NORM` is applied by
``fit`` for the recurrent models registered here.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from boltzgym.utils.validation import check_bool, check_int

DEFAULT_CLIP_GRAD_NORM = 1.0
_GATES = {"rnn": 1, "lstm": 4, "gru": 3}


class _Recurrent(nn.Module):
    """Shared parameter layout, input checks and the layer/direction/time loops; subclasses define ``cell``."""

    kind = "rnn"

    def __init__(
        self, input_size: int, hidden_size: int, num_layers: int = 1, bidirectional: bool = False, bias: bool = True,
        device=None, dtype=None,
    ) -> None:  # fmt: skip
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        self.input_size = check_int("input_size", input_size, minimum=1)
        self.hidden_size = check_int("hidden_size", hidden_size, minimum=1)
        self.num_layers = check_int("num_layers", num_layers, minimum=1)
        self.bidirectional = check_bool("bidirectional", bidirectional)
        self.bias = check_bool("bias", bias)
        self.num_directions = 2 if self.bidirectional else 1
        gates = _GATES[self.kind] * self.hidden_size
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else self.hidden_size * self.num_directions
            for suffix in self._suffixes(layer):
                weight_ih = torch.empty(gates, layer_input, **factory_kwargs)
                self.register_parameter("weight_ih" + suffix, nn.Parameter(weight_ih))
                weight_hh = torch.empty(gates, self.hidden_size, **factory_kwargs)
                self.register_parameter("weight_hh" + suffix, nn.Parameter(weight_hh))
                if self.bias:
                    self.register_parameter("bias_ih" + suffix, nn.Parameter(torch.empty(gates, **factory_kwargs)))
                    self.register_parameter("bias_hh" + suffix, nn.Parameter(torch.empty(gates, **factory_kwargs)))
        self.reset_parameters()

    def _suffixes(self, layer: int) -> list[str]:
        return [f"_l{layer}"] + ([f"_l{layer}_reverse"] if self.bidirectional else [])

    def reset_parameters(self) -> None:
        """Uniform(-1/sqrt(hidden), 1/sqrt(hidden)) for every parameter, torch's initialisation."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for parameter in self.parameters():
            nn.init.uniform_(parameter, -bound, bound)

    def _weights(self, suffix: str) -> tuple:
        get = lambda name: getattr(self, name + suffix, None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    # ---- forward -------------------------------------------------------------------------------------------------
    def forward(self, x: torch.Tensor, state=None, lengths=None):
        """Run the network over ``x`` of shape ``(batch, time, input_size)``.

        Args:
            x: a batch-first tensor. A list of sequences of different lengths is refused: pad them and pass
                ``lengths``.
            state: initial hidden state ``(num_layers * num_directions, batch, hidden)`` (for the LSTM a pair
                ``(h_0, c_0)``); zeros when ``None``.
            lengths: true length of each sequence, shape ``(batch,)``; ``None`` means all are ``time`` long.

        Returns:
            ``(output, final_state)``: output ``(batch, time, num_directions * hidden)`` (zeros past each length)
            and the final state shaped like ``state``, taken at each sequence's last valid step, as torch does.
        """
        x, lengths = self._check_input(x, lengths)
        batch, steps, _ = x.shape
        h0, c0 = self._initial_state(state, batch, x)
        mask = (torch.arange(steps, device=x.device)[None, :] < lengths[:, None]).to(x.dtype)  # (batch, time)
        final_h, final_c = [], []
        layer_input = x
        for layer in range(self.num_layers):
            outputs = []
            for direction, suffix in enumerate(self._suffixes(layer)):
                index = layer * self.num_directions + direction
                seq = layer_input if direction == 0 else _reverse_padded(layer_input, lengths)
                h = h0[index]
                c = c0[index] if c0 is not None else None
                out = []
                for t in range(steps):
                    h_new, c_new = self.cell(seq[:, t], h, c, suffix)
                    keep = mask[:, t, None]  # state frozen past the sequence's end
                    h = keep * h_new + (1 - keep) * h
                    if c is not None:
                        c = keep * c_new + (1 - keep) * c
                    out.append(h_new * keep)
                out = torch.stack(out, dim=1)
                outputs.append(out if direction == 0 else _reverse_padded(out, lengths))
                final_h.append(h)
                final_c.append(c)
            layer_input = torch.cat(outputs, dim=-1)
        h_n = torch.stack(final_h)
        if self.kind == "lstm":
            return layer_input, (h_n, torch.stack(final_c))
        return layer_input, h_n

    def _check_input(self, x, lengths):
        if isinstance(x, (list, tuple)):
            sizes = {len(item) for item in x}
            if len(sizes) > 1:
                raise ValueError(
                    f"x is a ragged batch (sequence lengths {sorted(sizes)}): pad it to a (batch, time, features) "
                    "tensor and pass lengths"
                )
            x = torch.stack([torch.as_tensor(item) for item in x])
        if not isinstance(x, torch.Tensor) or x.dim() != 3:
            raise ValueError(f"x must be a (batch, time, features) tensor, got shape {tuple(getattr(x, 'shape', ()))}")
        if x.shape[-1] != self.input_size:
            raise ValueError(f"x must have {self.input_size} features (input_size), got {x.shape[-1]}")
        batch, steps = x.shape[:2]
        if lengths is None:
            return x, torch.full((batch,), steps, dtype=torch.long, device=x.device)
        lengths = torch.as_tensor(lengths, dtype=torch.long, device=x.device)
        if lengths.shape != (batch,) or bool((lengths < 1).any()) or bool((lengths > steps).any()):
            raise ValueError(f"lengths must be {batch} integers in [1, {steps}], got {lengths.tolist()}")
        return x, lengths

    def _initial_state(self, state, batch: int, x: torch.Tensor):
        shape = (self.num_layers * self.num_directions, batch, self.hidden_size)
        if state is None:
            zeros = x.new_zeros(shape)
            return zeros, (zeros if self.kind == "lstm" else None)
        h0, c0 = state if self.kind == "lstm" else (state, None)
        for name, tensor in (("h_0", h0), ("c_0", c0)):
            if tensor is not None and tuple(tensor.shape) != shape:
                raise ValueError(f"state {name} must have shape {shape}, got {tuple(tensor.shape)}")
        return h0, c0

    # ---- torch interop -------------------------------------------------------------------------------------------
    _torch_class = nn.RNN

    @classmethod
    def from_torch(cls, module: nn.Module):
        """A copy of a batch-first ``torch.nn.RNN/LSTM/GRU`` with the same weights (and so the same outputs)."""
        if type(module) is not cls._torch_class:
            raise TypeError(f"module must be a torch.nn.{cls._torch_class.__name__}, got {type(module).__name__}")
        if not module.batch_first or getattr(module, "proj_size", 0):
            raise ValueError("module must have batch_first=True and no projection (proj_size=0)")
        kwargs = dict(
            input_size=module.input_size,
            hidden_size=module.hidden_size,
            num_layers=module.num_layers,
            bidirectional=module.bidirectional,
            bias=module.bias,
        )
        if cls.kind == "rnn":
            kwargs["nonlinearity"] = module.nonlinearity
        weight = next(module.parameters())
        ours = cls(**kwargs, device=weight.device, dtype=weight.dtype)
        ours.load_state_dict(module.state_dict())
        return ours

    def to_torch(self) -> nn.Module:
        """The matching batch-first ``torch.nn`` module with these weights (torch's fused kernels), on this module's
        device and in its dtype."""
        weight = next(self.parameters())
        kwargs = dict(num_layers=self.num_layers, bidirectional=self.bidirectional, bias=self.bias, batch_first=True)
        if self.kind == "rnn":
            kwargs["nonlinearity"] = self.nonlinearity
        module = self._torch_class(
            self.input_size, self.hidden_size, **kwargs, device=weight.device, dtype=weight.dtype
        )
        module.load_state_dict(self.state_dict())
        return module


def _reverse_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each sequence of ``x`` (batch, time, ...) within its own length; padding stays at the end."""
    steps = x.shape[1]
    t = torch.arange(steps, device=x.device)[None, :]
    index = torch.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)
    return x.gather(1, index[..., None].expand_as(x))


def _affine(x, weight, bias):
    return x @ weight.T + bias if bias is not None else x @ weight.T


class RNN(_Recurrent):
    """Elman network (notes 4.2): ``h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``.

    Args:
        input_size, hidden_size, num_layers, bidirectional, bias: as ``torch.nn.RNN`` (always batch-first).
        nonlinearity: ``"tanh"`` (default) or ``"relu"``.

    Example:
        >>> rnn = RNN(3, 8)
        >>> out, h = rnn(torch.zeros(2, 5, 3))
        >>> out.shape, h.shape
        (torch.Size([2, 5, 8]), torch.Size([1, 2, 8]))
    """

    kind = "rnn"
    _torch_class = nn.RNN

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bidirectional: bool = False,
                 bias: bool = True, nonlinearity: str = "tanh", device=None, dtype=None) -> None:  # fmt: skip
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bidirectional, bias, device=device, dtype=dtype)

    def cell(self, x, h, c, suffix):
        w_ih, w_hh, b_ih, b_hh = self._weights(suffix)
        pre = _affine(x, w_ih, b_ih) + _affine(h, w_hh, b_hh)  # notes 4.2: h_t = f(U x_t + W h_{t-1})
        return (torch.tanh(pre) if self.nonlinearity == "tanh" else torch.relu(pre)), None


class LSTM(_Recurrent):
    """Long short-term memory (notes 4.2; Hochreiter & Schmidhuber 1997 with the forget gate of Gers et al. 2000).

    Gate by gate (torch's order i, f, g, o)::

        i_t  = sigmoid(W_i x_t + U_i h_{t-1} + b_i [+ p_i * c_{t-1}])    input gate
        f_t  = sigmoid(W_f x_t + U_f h_{t-1} + b_f [+ p_f * c_{t-1}])    forget gate
        c'_t = tanh(W_g x_t + U_g h_{t-1} + b_g)                          candidate cell
        c_t  = f_t * c_{t-1} + i_t * c'_t                                 (the notes drop f_t * c_{t-1}: corrected)
        o_t  = sigmoid(W_o x_t + U_o h_{t-1} + b_o [+ p_o * c_t])         output gate sees the NEW c_t (peephole)
        h_t  = o_t * tanh(c_t)

    Args:
        input_size, hidden_size, num_layers, bidirectional, bias: as ``torch.nn.LSTM`` (always batch-first).
        peephole: add the diagonal peephole connections ``p_i, p_f, p_o`` (Gers & Schmidhuber 2002; initialised to
            zero, so a fresh peephole cell computes what the standard cell computes). Torch has no peephole LSTM:
            :meth:`to_torch` refuses one.
    """

    kind = "lstm"
    _torch_class = nn.LSTM

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bidirectional: bool = False,
                 bias: bool = True, peephole: bool = False, device=None, dtype=None) -> None:  # fmt: skip
        super().__init__(input_size, hidden_size, num_layers, bidirectional, bias, device=device, dtype=dtype)
        self.peephole = check_bool("peephole", peephole)
        if self.peephole:
            for layer in range(self.num_layers):
                for suffix in self._suffixes(layer):
                    peephole_weight = torch.zeros(3, hidden_size, device=device, dtype=dtype)
                    self.register_parameter("weight_peephole" + suffix, nn.Parameter(peephole_weight))

    def cell(self, x, h, c, suffix):
        w_ih, w_hh, b_ih, b_hh = self._weights(suffix)
        gates = _affine(x, w_ih, b_ih) + _affine(h, w_hh, b_hh)
        pre_i, pre_f, pre_g, pre_o = gates.chunk(4, dim=-1)
        if self.peephole:
            p_i, p_f, p_o = getattr(self, "weight_peephole" + suffix)
            pre_i = pre_i + p_i * c  # Gers & Schmidhuber 2002: input and forget gates see c_{t-1}
            pre_f = pre_f + p_f * c
        i_t, f_t, candidate = torch.sigmoid(pre_i), torch.sigmoid(pre_f), torch.tanh(pre_g)
        c_t = f_t * c + i_t * candidate  # notes 4.2 (corrected): c_t = f_t c_{t-1} + i_t c'_t
        if self.peephole:
            pre_o = pre_o + p_o * c_t  # the output gate sees the new cell state c_t
        o_t = torch.sigmoid(pre_o)
        return o_t * torch.tanh(c_t), c_t

    def to_torch(self) -> nn.Module:
        if self.peephole:
            raise ValueError("to_torch: torch.nn.LSTM has no peephole connections; use peephole=False")
        return super().to_torch()


class GRU(_Recurrent):
    """Gated recurrent unit (notes 4.2; Cho et al. 2014), torch's gate order r, z, n::

        r_t = sigmoid(W_r x_t + b_ir + U_r h_{t-1} + b_hr)          reset gate (Cho's r)
        z_t = sigmoid(W_z x_t + b_iz + U_z h_{t-1} + b_hz)          update gate (Cho's z)
        n_t = tanh(W_n x_t + b_in + r_t * (U_n h_{t-1} + b_hn))     candidate (Cho's h~; the notes' h~)
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}                       Cho et al. eq. 7: z keeps the old state

    Args: as ``torch.nn.GRU`` (always batch-first).
    """

    kind = "gru"
    _torch_class = nn.GRU

    def cell(self, x, h, c, suffix):
        w_ih, w_hh, b_ih, b_hh = self._weights(suffix)
        x_r, x_z, x_n = _affine(x, w_ih, b_ih).chunk(3, dim=-1)
        h_r, h_z, h_n = _affine(h, w_hh, b_hh).chunk(3, dim=-1)
        r_t = torch.sigmoid(x_r + h_r)
        z_t = torch.sigmoid(x_z + h_z)
        n_t = torch.tanh(x_n + r_t * h_n)
        return (1 - z_t) * n_t + z_t * h, None


class SequenceRegressor(nn.Module):
    """A recurrent torso (``rnn``, ``lstm`` or ``gru``) and a linear head on its last output (or on every step).

    Used by ``boltzgym fit`` on the sequence tasks: ``per_step=False`` reads out one vector per sequence (adding
    problem), ``per_step=True`` one per time step (copy/reverse, CTC frame scores). ``device``, ``dtype``: torch's
    factory keywords (as ``nn.Linear``'s).
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, out_features: int, num_layers: int = 1,
                 bidirectional: bool = False, per_step: bool = False, fused: bool = True,
                 device: torch.device | str | None = None, dtype: torch.dtype | None = None) -> None:  # fmt: skip
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        classes = {"rnn": RNN, "lstm": LSTM, "gru": GRU}
        if cell not in classes:
            raise ValueError(f"cell must be one of {sorted(classes)}, got {cell!r}")
        recurrent = classes[cell](input_size, hidden_size, num_layers, bidirectional, **factory_kwargs)
        self.recurrent = recurrent.to_torch() if fused else recurrent  # same weights, torch's fused kernel
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), out_features, **factory_kwargs)
        self.per_step = per_step

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.recurrent(x)
        return self.head(out if self.per_step else out[:, -1])
