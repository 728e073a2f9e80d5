"""Single neurons, unit layers and activations of notes 1.1, with what torch lacks written out.

torch already has the linear unit (``nn.Linear``: ``y = Wx + b``, derivatives ``x`` and ``1``) and the smooth
activations (``nn.Sigmoid``, ``nn.Tanh``, ``nn.ReLU``); :data:`ACTIVATIONS` maps the notes' names to them with their
derivatives. This module adds:

- :class:`Perceptron`: ``y = I(w.x + b > 0)`` trained by the perceptron (mistake-driven) rule (Rosenblatt 1958):
  only misclassified rows move the weights, ``w <- w + learning_rate * (t - y) x``.
- :class:`StepFunction` / :class:`ThresholdUnit`: the threshold ``I(x > 0)`` whose true derivative is 0 almost
  everywhere (a delta at 0, as the notes say), trainable by gradient descent through the straight-through estimator
  (Bengio et al. 2013): the backward pass uses the derivative of the clipped identity, ``I(|x| <= 1)``.
- :class:`RBFLayer`: radial-basis-function units ``y_j = exp(-beta * ||x - w_j||^2)``.

Deviation from the notes: the notes give the ReLU derivative as ``I(x>0) x``; the derivative of ``max(0, x)`` is
``I(x>0)`` (taken as 0 at x = 0, as torch does). :func:`activation_derivative` implements the corrected one.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from boltzgym.utils.deprecation import renamed_kwargs
from boltzgym.utils.validation import check_count, check_int, check_positive


def step(x: torch.Tensor) -> torch.Tensor:
    """The threshold ``I(x > 0)`` as a float tensor of 0/1 (notes 1.1)."""
    return (x > 0).to(x.dtype if x.dtype.is_floating_point else torch.float32)


# notes 1.1: name -> (torch module, derivative as a function of the input x and the output y)
ACTIVATIONS: dict[str, tuple[Callable[[], nn.Module], Callable[[torch.Tensor, torch.Tensor], torch.Tensor]]] = {
    "sigmoid": (nn.Sigmoid, lambda x, y: y * (1 - y)),  # y(1 - y)
    "tanh": (nn.Tanh, lambda x, y: 1 - y**2),  # 1 - y^2
    "relu": (nn.ReLU, lambda x, y: (x > 0).to(x.dtype)),  # I(x > 0); the notes' "I(x>0) x" is wrong
    "threshold": (lambda: StepFunction(), lambda x, y: torch.zeros_like(x)),  # 0 except a delta at x = 0
}


def activation_derivative(name: str, x: torch.Tensor) -> torch.Tensor:
    """The derivative of activation ``name`` at ``x`` by the closed forms of notes 1.1 (ReLU corrected)."""
    if name not in ACTIVATIONS:
        raise ValueError(f"name must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    module, derivative = ACTIVATIONS[name]
    with torch.no_grad():
        return derivative(x, module()(x))


class _StraightThroughStep(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return step(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * (x.abs() <= 1).to(grad_output.dtype)  # straight-through: d/dx clip(x, -1, 1)


class StepFunction(nn.Module):
    """The threshold activation ``I(x > 0)``; gradients pass straight through where ``|x| <= 1``.

    Example:
        >>> StepFunction()(torch.tensor([-0.5, 0.0, 2.0]))
        tensor([0., 0., 1.])
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``I(x > 0)`` elementwise (same shape as ``x``)."""
        return _StraightThroughStep.apply(x)


class ThresholdUnit(nn.Module):
    """A layer of threshold units ``y = I(Wx + b > 0)`` (notes 1.1-1.2), trainable by the straight-through estimator.

    Args:
        in_features, out_features: widths.
        device, dtype: torch's factory keywords (as ``nn.Linear``'s).

    Example:
        >>> unit = ThresholdUnit(2, 1)
        >>> with torch.no_grad():
        ...     _ = unit.linear.weight.fill_(1.0), unit.linear.bias.fill_(-1.5)  # an AND gate
        >>> unit(torch.tensor([[0.0, 1.0], [1.0, 1.0]])).flatten()
        tensor([0., 1.], grad_fn=<ViewBackward0>)
    """

    def __init__(self, in_features: int, out_features: int = 1, device=None, dtype=None) -> None:
        super().__init__()
        self.linear = nn.Linear(check_int("in_features", in_features, 1), check_int("out_features", out_features, 1),
                                device=device, dtype=dtype)  # fmt: skip
        self.step = StepFunction()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(batch, in_features)`` to ``(batch, out_features)`` values in {0, 1}."""
        return self.step(self.linear(x))


class Perceptron:
    """Rosenblatt's perceptron (notes 1.1): ``y = I(w.x + b > 0)``, trained by the mistake-driven rule.

    Each epoch visits the rows in a seeded random order; a misclassified row moves the weights by ``learning_rate * (t -
    y) * x`` (and the bias by ``learning_rate * (t - y)``); correct rows change nothing. On linearly separable data the
    rule stops making mistakes after finitely many updates (Novikoff 1962); on XOR it never does.

    Args:
        n_features: input width.
        learning_rate: the step size (> 0; with zero initial weights the decisions do not depend on it).
        seed: the order of the rows.

    Example:
        >>> x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
        >>> p = Perceptron(2).fit(x, np.array([0, 0, 0, 1]))  # AND
        >>> p.predict(x).tolist(), p.mistakes_[-1]
        ([0, 0, 0, 1], 0)
    """

    @renamed_kwargs(lr="learning_rate")
    def __init__(self, n_features: int, learning_rate: float = 1.0, seed: int = 0) -> None:
        self.n_features = check_int("n_features", n_features, minimum=1)
        self.learning_rate = check_positive("learning_rate", learning_rate)
        self.weights = np.zeros(self.n_features)
        self.bias = 0.0
        self.mistakes_: list[int] = []
        self._rng = np.random.default_rng(seed)

    def predict(self, x) -> np.ndarray:
        """``I(x @ w + b > 0)`` as an int array of 0/1."""
        x = self._check_x(x)
        return (x @ self.weights + self.bias > 0).astype(int)

    def fit(self, x, targets, epochs: int = 100) -> Perceptron:
        """Run the perceptron rule until an epoch without mistakes or ``epochs`` epochs; records ``mistakes_``."""
        x = self._check_x(x)
        targets = np.asarray(targets)
        if targets.shape != (len(x),) or not np.isin(targets, (0, 1)).all():
            raise ValueError(f"targets must be {len(x)} values in {{0, 1}}, got shape {targets.shape}")
        epochs = check_count("epochs", epochs, minimum=1)
        for _ in range(epochs):
            mistakes = 0
            for row in self._rng.permutation(len(x)):
                error = targets[row] - int(x[row] @ self.weights + self.bias > 0)
                if error != 0:  # notes 1.1: only wrongly classified samples adjust the weights
                    self.weights += self.learning_rate * error * x[row]
                    self.bias += self.learning_rate * error
                    mistakes += 1
            self.mistakes_.append(mistakes)
            if mistakes == 0:
                break
        return self

    def _check_x(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(f"x must have shape (n, {self.n_features}), got {x.shape}")
        if not np.isfinite(x).all():
            raise ValueError("x holds NaN or inf")
        return x


class RBFLayer(nn.Module):
    """A layer of radial-basis-function units (notes 1.1): ``y_j = exp(-beta * ||x - w_j||^2)``.

    Each unit responds to inputs near its centre ``w_j`` (a row of ``centers``); ``beta`` > 0 sets the width.
    Derivatives (autograd computes them; stated here because the notes' table mixes them up):
    ``dy/dbeta = -y ||x - w||^2``, ``dy/dw = 2 beta (x - w) y`` and ``dy/dx = -2 beta (x - w) y``; the notes'
    ``-2 beta (X - W) y`` is the derivative with respect to the input, not the centre.

    Args:
        in_features: input width.
        n_centers: number of units.
        beta: the inverse squared width, shared by all units.
        centers: optional initial centres ``(n_centers, in_features)`` (e.g. training rows); else N(0, 1).
        trainable_beta: learn ``log beta`` along with the centres.
        device, dtype: torch's factory keywords (as ``nn.Linear``'s); given ``centers`` are copied there (``dtype``
            ``None``: torch's default floating type).

    Example:
        >>> layer = RBFLayer(2, 3, beta=1.0, centers=torch.zeros(3, 2))
        >>> layer(torch.zeros(1, 2))
        tensor([[1., 1., 1.]], grad_fn=<ExpBackward0>)
    """

    def __init__(
        self,
        in_features: int,
        n_centers: int,
        beta: float = 1.0,
        centers: torch.Tensor | None = None,
        trainable_beta: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        in_features = check_int("in_features", in_features, minimum=1)
        n_centers = check_int("n_centers", n_centers, minimum=1)
        beta = check_positive("beta", beta)
        if centers is None:
            centers = torch.randn(n_centers, in_features, **factory_kwargs)
        centers = torch.as_tensor(centers, dtype=dtype or torch.get_default_dtype(), device=device)
        if centers.shape != (n_centers, in_features):
            raise ValueError(f"centers must have shape {(n_centers, in_features)}, got {tuple(centers.shape)}")
        self.centers = nn.Parameter(centers.clone())
        self.log_beta = nn.Parameter(torch.tensor(float(beta), **factory_kwargs).log(), requires_grad=trainable_beta)

    @property
    def beta(self) -> float:
        """The current width parameter beta."""
        return float(self.log_beta.exp())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(batch, in_features)`` to ``(batch, n_centers)`` activations in (0, 1]."""
        if x.ndim != 2 or x.shape[1] != self.centers.shape[1]:
            raise ValueError(f"x must have shape (batch, {self.centers.shape[1]}), got {tuple(x.shape)}")
        squared_distance = torch.cdist(x, self.centers).pow(2)  # notes 1.1: ||x - w||^2
        return torch.exp(-self.log_beta.exp() * squared_distance)
