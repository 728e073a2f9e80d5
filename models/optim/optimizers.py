"""Optimizers of notes 2.1-2.2 that torch lacks, as ``torch.optim.Optimizer``s, and the map to torch's own.

What the notes describe and where it lives:

============================  ==============================================================================
notes                          torch / boltzgym
============================  ==============================================================================
2.1 gradient descent, SGD      ``torch.optim.SGD(params, lr)``
2.1 averaged SGD (gamma ~ 3)   ``AveragedModel(model, avg_fn=polynomial_averaging(3.0))`` (below)
2.2 Newton's method            :class:`Newton` (below): exact Hessian, ``lr`` in (0, 2)
2.2 Quickprop                  :class:`Quickprop` (below)
2.2 Rprop                      ``torch.optim.Rprop(params, lr, etas=(0.5, 1.2))``: the notes' alpha = 1.2,
                               beta = 0.5; torch's default is iRprop- (no weight backtracking on a sign change)
2.2 momentum                   ``torch.optim.SGD(params, lr, momentum=0.9)``
2.2 Nesterov momentum          ``torch.optim.SGD(params, lr, momentum=0.9, nesterov=True)`` (see below)
2.2 RMSProp                    ``torch.optim.RMSprop(params, lr, alpha=0.9)``
adaptive moments               ``torch.optim.Adam``
============================  ==============================================================================

Where the notes are wrong, this module follows the literature:

- **RMSProp** (Tieleman & Hinton 2012): the notes divide the step by the running mean of the squared gradient,
  ``eta / (E[g^2] + eps)`` (and call ``E[g^2]`` a second derivative); the update divides by its square root,
  ``eta / (sqrt(E[g^2]) + eps)``, which is what ``torch.optim.RMSprop`` does.
- **Quickprop** (Fahlman 1988): the notes write the second derivative as ``(w' - w) / (L'(w') - L'(w))``; that is
  its *inverse*. The secant estimate is ``L''(w) ~ (L'(w') - L'(w)) / (w' - w)``, and the Newton step it gives
  is ``dw = L'(w) / (L'(w_prev) - L'(w)) * dw_prev``.
- **Nesterov momentum**: the notes' scheme evaluates the gradient at ``W + M``, steps ``W'' = W + M - eta g`` and
  damps the momentum, ``M' = beta M - (1 - beta) eta g``. That is Nesterov's look-ahead plus an extra plain
  gradient step; it equals no standard method (it matches torch's only at beta = 1/2). Nesterov's momentum as
  Sutskever et al. (2013) write it, ``v' = mu v - eps grad L(theta + mu v)``, ``theta' = theta + v'``, is
  ``SGD(lr=eps, momentum=mu, nesterov=True)`` in the look-ahead variable ``phi = theta + mu v`` (torch's
  parameters are ``phi``); ``tests/models/test_optim.py`` checks both statements.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import torch
from torch.optim import Optimizer

__all__ = ["Newton", "Quickprop", "polynomial_averaging", "notes_nesterov_step", "sutskever_nesterov_step"]


def _check_lr(lr: float, upper: float | None = None) -> float:
    if not isinstance(lr, (int, float)) or isinstance(lr, bool) or not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a finite number > 0, got {lr!r}")
    if upper is not None and lr >= upper:
        raise ValueError(f"lr must be < {upper} (notes 2.2: Newton's step diverges for lr >= 2), got {lr!r}")
    return float(lr)


class Quickprop(Optimizer):
    """Quickprop (Fahlman 1988, "An empirical study of learning speed in back-propagation networks"; notes 2.2).

    Each weight takes its own secant (quasi-Newton) step, fitting a parabola through the current and the previous
    slope: ``dw(t) = g(t) / (g(t-1) - g(t)) * dw(t-1)`` with ``g = dL/dw``. Where that step would grow the previous
    one by more than ``max_growth`` (mu; the slope did not shrink enough, or grew) the step is ``mu * dw(t-1)``.
    While the slope keeps pointing the way the last step went, the gradient-descent term ``-lr * g(t)`` is added;
    after the minimum was crossed, the secant step alone goes back. A weight whose last step was zero takes the
    plain gradient step ``-lr * g(t)`` (so the first step is gradient descent).

    The notes write the second derivative as ``(w' - w) / (L'(w') - L'(w))``, which is its inverse; the step
    above uses the correct secant estimate ``L'' ~ (L'(w') - L'(w)) / (w' - w)``.

    Args:
        params: parameters or parameter groups.
        lr: the gradient-descent rate epsilon (> 0).
        max_growth: mu, the largest factor by which a step may exceed the previous one (Fahlman: 1.75).
        weight_decay: L2 penalty added to the gradient (Fahlman used a small one, e.g. 1e-4).
    """

    def __init__(self, params: Iterable, lr: float = 0.01, max_growth: float = 1.75, weight_decay: float = 0.0):
        lr = _check_lr(lr)
        if not math.isfinite(max_growth) or max_growth <= 0:
            raise ValueError(f"max_growth must be a finite number > 0, got {max_growth!r}")
        if not math.isfinite(weight_decay) or weight_decay < 0:
            raise ValueError(f"weight_decay must be a finite number >= 0, got {weight_decay!r}")
        super().__init__(params, {"lr": lr, "max_growth": float(max_growth), "weight_decay": float(weight_decay)})

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, mu, decay = group["lr"], group["max_growth"], group["weight_decay"]
            shrink = mu / (1.0 + mu)
            for p in group["params"]:
                if p.grad is None:
                    continue
                slope = -(p.grad + decay * p) if decay else -p.grad  # Fahlman's "slope": the descent direction
                state = self.state[p]
                if not state:
                    state["previous_step"] = torch.zeros_like(p)
                    state["previous_slope"] = torch.zeros_like(p)
                previous_step, previous_slope = state["previous_step"], state["previous_slope"]
                went_up, went_down = previous_step > 0, previous_step < 0
                # gradient term: after a zero step, or while the slope still points the way the last step went
                linear = (previous_step == 0) | (went_up & (slope > 0)) | (went_down & (slope < 0))
                # growth limit: the slope did not shrink by the factor mu / (1 + mu) since the last step
                moved = went_up | went_down
                too_flat = (went_up & (slope >= shrink * previous_slope)) | (
                    went_down & (slope <= shrink * previous_slope)
                )
                denominator = previous_slope - slope
                secant = moved & ~too_flat & (denominator != 0)
                grow = moved & ~secant
                safe = torch.where(secant, denominator, torch.ones_like(denominator))
                new_step = torch.where(linear, lr * slope, torch.zeros_like(p))
                new_step += torch.where(grow, mu * previous_step, torch.zeros_like(p))
                new_step += torch.where(secant, previous_step * slope / safe, torch.zeros_like(p))
                p.add_(new_step)
                previous_step.copy_(new_step)
                previous_slope.copy_(slope)
        return loss


class Newton(Optimizer):
    """Newton's method with the exact Hessian (notes 2.2): ``W' = W - lr * H^-1 grad L``.

    The notes' "parameter normalisation": the Hessian rescales every direction so that one learning rate fits
    all; on a quadratic, ``lr = 1`` lands on the minimum in one step, and the iteration diverges for ``lr >= 2``
    (so ``lr`` must lie in (0, 2)). For non-convex losses, ``damping`` adds ``lambda * I`` to the Hessian
    (Levenberg-Marquardt); where ``H + lambda I`` is still not positive definite, ``lambda`` is raised tenfold
    until it is, so the step always goes downhill. ``backtracking=True`` halves the step until the loss falls
    enough (Armijo's condition).

    The Hessian is computed with autograd over all parameters at once, ``n x n`` for ``n`` parameters, so this is
    for small models: more than ``max_parameters`` parameters is an error.

    ``step(closure)`` needs a closure that computes and returns the loss from the current parameters **without**
    calling ``backward`` (the optimizer differentiates it twice)::

        optimizer = Newton(model.parameters())
        for _ in range(10):
            optimizer.step(lambda: loss_fn(model(x), y))
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1.0,
        damping: float = 0.0,
        backtracking: bool = False,
        max_parameters: int = 2000,
    ):
        lr = _check_lr(lr, upper=2.0)
        if not math.isfinite(damping) or damping < 0:
            raise ValueError(f"damping must be a finite number >= 0, got {damping!r}")
        super().__init__(params, {"lr": lr, "damping": float(damping), "backtracking": bool(backtracking)})
        n = sum(p.numel() for group in self.param_groups for p in group["params"])
        if n > max_parameters:
            raise ValueError(
                f"Newton needs the exact {n} x {n} Hessian: the parameters hold {n} numbers, more than "
                f"max_parameters={max_parameters}; use a smaller model, Quickprop, or raise max_parameters"
            )
        if len(self.param_groups) > 1:
            raise ValueError("Newton takes one parameter group (the Hessian couples every parameter)")

    def step(self, closure: Callable[[], torch.Tensor] | None = None):
        if closure is None:
            raise ValueError("Newton.step needs a closure that returns the loss (without calling backward)")
        group = self.param_groups[0]
        params = [p for p in group["params"] if p.requires_grad]
        with torch.enable_grad():
            loss = closure()
            grads = torch.autograd.grad(loss, params, create_graph=True, allow_unused=True)
            grads = [torch.zeros_like(p) if g is None else g for p, g in zip(params, grads)]
            gradient = torch.cat([g.reshape(-1) for g in grads])
            hessian = _hessian(gradient, params)
        hessian = 0.5 * (hessian + hessian.T)
        gradient = gradient.detach()
        direction = self._newton_direction(hessian, gradient, group["damping"])
        step_size = group["lr"]
        with torch.no_grad():
            start = [p.detach().clone() for p in params]
            self._move(params, start, direction, step_size)
            if group["backtracking"]:
                slope = float(gradient @ direction)  # < 0: a descent direction
                current = float(loss.detach())
                for _ in range(30):
                    with torch.enable_grad():
                        trial = float(closure().detach())
                    if math.isfinite(trial) and trial <= current + 1e-4 * step_size * slope:
                        break
                    step_size *= 0.5
                    self._move(params, start, direction, step_size)
        return loss.detach()

    @staticmethod
    def _newton_direction(hessian: torch.Tensor, gradient: torch.Tensor, damping: float) -> torch.Tensor:
        """``-(H + lambda I)^-1 g``, raising lambda tenfold until ``H + lambda I`` is positive definite."""
        eye = torch.eye(hessian.shape[0], dtype=hessian.dtype, device=hessian.device)
        scale = float(hessian.abs().max()) if hessian.numel() else 1.0
        lam = damping
        for _ in range(60):
            factor, info = torch.linalg.cholesky_ex(hessian + lam * eye)
            if int(info) == 0:
                return -torch.cholesky_solve(gradient.unsqueeze(1), factor).squeeze(1)
            lam = max(10.0 * lam, 1e-8 * max(scale, 1.0))
        raise ValueError("Newton: the Hessian could not be made positive definite (non-finite loss?)")

    @staticmethod
    def _move(params, start, direction, step_size: float) -> None:
        offset = 0
        for p, p0 in zip(params, start):
            n = p.numel()
            p.copy_(p0 + step_size * direction[offset : offset + n].view_as(p))
            offset += n


def _hessian(gradient: torch.Tensor, params: list[torch.Tensor]) -> torch.Tensor:
    """The rows ``d gradient[k] / d params``, one backward pass each (a Hessian-vector product per row; torch's
    batched ``is_grads_batched`` path was slower here, its vmapped intermediates being n times the batch)."""
    rows = []
    for k in range(gradient.numel()):
        parts = torch.autograd.grad(gradient[k], params, retain_graph=True, allow_unused=True)
        rows.append(torch.cat([(torch.zeros_like(p) if g is None else g).reshape(-1) for p, g in zip(params, parts)]))
    return torch.stack(rows).detach()


def polynomial_averaging(gamma: float = 3.0) -> Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]:
    """The notes' averaged SGD (notes 2.1; Shamir & Zhang 2013) as an ``avg_fn`` for ``AveragedModel``.

    ``w_bar_t = (1 - (gamma + 1) / (t + gamma)) w_bar_{t-1} + (gamma + 1) / (t + gamma) w_t``: polynomial-decay
    averaging, which weights late iterates more than a uniform average and so keeps SGD's O(1/T) rate on strongly
    convex problems instead of O(log T / T) for the last iterate. ``gamma = 0`` is the uniform average.

    ``torch.optim.swa_utils.AveragedModel`` calls ``avg_fn(averaged, current, n_averaged)`` from the second
    update on (the first copies the model), so the t-th update has ``t = n_averaged + 1``::

        from torch.optim.swa_utils import AveragedModel
        averaged = AveragedModel(model, avg_fn=polynomial_averaging(3.0))
        for batch in data:
            ...; optimizer.step(); averaged.update_parameters(model)

    torch's ``ASGD`` is not this scheme: it averages uniformly, and only from step ``t0`` (1e6 by default), so
    on a run of a few thousand steps it never averages at all.
    """
    if not math.isfinite(gamma) or gamma < 0:
        raise ValueError(f"gamma must be a finite number >= 0, got {gamma!r}")

    def avg_fn(averaged: torch.Tensor, current: torch.Tensor, n_averaged: torch.Tensor) -> torch.Tensor:
        t = float(n_averaged) + 1.0
        weight = (gamma + 1.0) / (t + gamma)
        return averaged + weight * (current - averaged)

    return avg_fn


def notes_nesterov_step(w, m, gradient_at, lr: float, beta: float):
    """One step of the notes' momentum scheme (notes 2.2, "local optima"), literally as written.

    ``g = grad L(W + M)``; ``W'' = W + M - lr g``; ``M' = beta M - (1 - beta) lr g``. Returns ``(W'', M')``.
    (Kept as a reference: see the module docstring for how it differs from Nesterov's momentum.)
    """
    g = gradient_at(w + m)
    return w + m - lr * g, beta * m - (1.0 - beta) * lr * g


def sutskever_nesterov_step(theta, v, gradient_at, lr: float, mu: float):
    """One step of Nesterov's momentum as Sutskever et al. (2013) write it: ``v' = mu v - lr grad L(theta + mu v)``,
    ``theta' = theta + v'``. Returns ``(theta', v')``; torch's SGD(nesterov=True) holds ``theta + mu v``."""
    v = mu * v - lr * gradient_at(theta + mu * v)
    return theta + v, v
