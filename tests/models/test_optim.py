"""The optimizers of notes 2.1-2.2: Quickprop, Newton, polynomial averaging, and the notes-to-torch map."""

from __future__ import annotations

import math

import pytest
import torch
from torch.optim.swa_utils import AveragedModel

from boltzgym.models.optim.optimizers import (
    Newton,
    Quickprop,
    notes_nesterov_step,
    polynomial_averaging,
    sutskever_nesterov_step,
)


def _separable_quadratic(seed: int = 0, n: int = 20):
    generator = torch.Generator().manual_seed(seed)
    curvature = torch.logspace(-2, 0, n, dtype=torch.float64)  # condition number 100
    target = torch.randn(n, generator=generator, dtype=torch.float64)
    return curvature, target, lambda w: 0.5 * (curvature * (w - target) ** 2).sum()


def _run(optimizer_class, loss_fn, w, steps: int, **kwargs) -> float:
    optimizer = optimizer_class([w], **kwargs)
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(w).backward()
        optimizer.step()
    return w.detach()


def test_quickprop_solves_a_separable_quadratic_where_sgd_at_its_rate_is_still_far():
    curvature, target, loss_fn = _separable_quadratic()
    quickprop = _run(Quickprop, loss_fn, torch.zeros(20, dtype=torch.float64, requires_grad=True), 40, lr=0.5)
    sgd = _run(torch.optim.SGD, loss_fn, torch.zeros(20, dtype=torch.float64, requires_grad=True), 40, lr=0.5)
    flat = curvature < 0.02
    assert float((quickprop - target).abs().max()) < 1e-6 * float(target.abs().max())
    # SGD at the same rate: the flat directions (curvature 0.01) are still >= 60% of their way from the optimum
    assert bool(((sgd - target).abs()[flat] > 0.6 * target.abs()[flat]).all())


def test_quickprop_first_step_is_gradient_descent_and_then_the_secant_step_is_exact_on_a_parabola():
    w = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
    loss_fn = lambda v: 2.0 * (v - 3.0) ** 2  # noqa: E731  (minimum at 3, L'' = 4)
    optimizer = Quickprop([w], lr=0.1, max_growth=10.0)
    optimizer.zero_grad(), loss_fn(w).sum().backward(), optimizer.step()
    assert float(w.detach()) == pytest.approx(0.1 * 12.0)  # -lr * L'(0) = 1.2
    optimizer.zero_grad(), loss_fn(w).sum().backward(), optimizer.step()
    # the secant through L'(0) = -12 and L'(1.2) = -7.2 is exact for a parabola; the gradient term adds lr*7.2
    assert float(w.detach()) == pytest.approx(3.0 + 0.1 * 7.2)


def test_quickprop_growth_limit_caps_each_step_at_max_growth_times_the_last():
    w = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
    optimizer = Quickprop([w], lr=0.01, max_growth=1.75)
    positions = [0.0]
    for _ in range(6):  # a linear loss: the slope never shrinks, so every secant step is capped
        optimizer.zero_grad()
        (-w).sum().backward()
        optimizer.step()
        positions.append(float(w.detach()))
    steps = [b - a for a, b in zip(positions, positions[1:])]
    for previous, step in zip(steps, steps[1:]):
        assert step == pytest.approx(1.75 * previous + 0.01)  # growth-limited step + the gradient term


def test_newton_solves_a_random_spd_quadratic_in_one_step():
    generator = torch.Generator().manual_seed(3)
    a = torch.randn(6, 6, generator=generator, dtype=torch.float64)
    hessian = a @ a.T + 0.5 * torch.eye(6, dtype=torch.float64)
    b = torch.randn(6, generator=generator, dtype=torch.float64)
    w = torch.zeros(6, dtype=torch.float64, requires_grad=True)
    optimizer = Newton([w], lr=1.0)
    optimizer.step(lambda: 0.5 * w @ hessian @ w - b @ w)
    torch.testing.assert_close(w.detach(), torch.linalg.solve(hessian, b), rtol=1e-10, atol=1e-10)


def test_newton_with_lr_below_one_contracts_the_error_by_one_minus_lr():
    w = torch.tensor([4.0, -2.0], dtype=torch.float64, requires_grad=True)
    optimizer = Newton([w], lr=0.5)
    optimizer.step(lambda: 3.0 * w[0] ** 2 + 0.1 * w[1] ** 2)
    torch.testing.assert_close(w.detach(), torch.tensor([2.0, -1.0], dtype=torch.float64))


def test_newton_reaches_the_rosenbrock_minimum_in_a_handful_of_iterations():
    w = torch.tensor([-1.2, 1.0], dtype=torch.float64, requires_grad=True)
    rosenbrock = lambda: (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2  # noqa: E731
    optimizer = Newton([w], lr=1.0)
    iteration = 0
    while iteration < 30:
        iteration += 1
        optimizer.step(rosenbrock)
        if float((w.detach() - 1).abs().max()) < 1e-8:
            break
    assert float((w.detach() - 1).abs().max()) < 1e-8
    assert iteration <= 8  # 6 here; gradient descent needs thousands
    w.data = torch.tensor([-1.2, 1.0], dtype=torch.float64)  # with backtracking: monotone, slower (21 here)
    optimizer = Newton([w], lr=1.0, backtracking=True)
    for _ in range(25):
        before = float(rosenbrock().detach())
        optimizer.step(rosenbrock)
        assert float(rosenbrock().detach()) <= before
    assert float((w.detach() - 1).abs().max()) < 1e-8


def test_newton_on_a_non_convex_point_still_goes_downhill():
    w = torch.tensor([0.1, 0.2], dtype=torch.float64, requires_grad=True)
    saddle = lambda: w[0] ** 2 - w[1] ** 2 + 0.25 * w[1] ** 4  # noqa: E731  (indefinite Hessian at the start)
    before = float(saddle().detach())
    Newton([w], lr=1.0, backtracking=True).step(saddle)
    assert float(saddle().detach()) < before


def test_polynomial_averaging_weights_match_the_notes_formula():
    model = torch.nn.Linear(1, 1, bias=False)
    averaged = AveragedModel(model, avg_fn=polynomial_averaging(3.0))
    values, expected = [2.0, 5.0, -1.0, 4.0], None
    for t, value in enumerate(values, start=1):
        with torch.no_grad():
            model.weight.fill_(value)
        averaged.update_parameters(model)
        weight = (3.0 + 1) / (t + 3.0)
        expected = value if expected is None else (1 - weight) * expected + weight * value
        assert float(averaged.module.weight.detach()) == pytest.approx(expected)


def test_averaged_sgd_ends_closer_to_the_optimum_than_the_last_iterate():
    """Noisy strongly convex problem (notes 2.1): the polynomial average beats SGD's last iterate."""
    last_errors, averaged_errors = [], []
    for seed in range(8):
        generator = torch.Generator().manual_seed(seed)
        optimum = torch.tensor([1.0, -2.0, 0.5])
        w = torch.nn.Parameter(torch.zeros(3))
        averaged = AveragedModel(torch.nn.ParameterList([w]), avg_fn=polynomial_averaging(3.0))
        optimizer = torch.optim.SGD([w], lr=0.1)
        for _ in range(2000):
            optimizer.zero_grad()
            noise = torch.randn(3, generator=generator)
            w.grad = (w.detach() - optimum) + noise  # the gradient of 1/2 |w - w*|^2, observed with noise
            optimizer.step()
            averaged.update_parameters(torch.nn.ParameterList([w]))
        last_errors.append(float((w.detach() - optimum).norm()))
        averaged_errors.append(float((averaged.module[0].detach() - optimum).norm()))
    assert sum(averaged_errors) < 0.5 * sum(last_errors)


def test_sutskever_nesterov_equals_torch_sgd_nesterov_in_the_look_ahead_variable():
    generator = torch.Generator().manual_seed(1)
    a = torch.randn(4, 4, generator=generator, dtype=torch.float64)
    hessian = a @ a.T + torch.eye(4, dtype=torch.float64)
    gradient_at = lambda x: hessian @ x  # noqa: E731
    lr, mu = 0.05, 0.9
    theta, v = torch.ones(4, dtype=torch.float64), torch.zeros(4, dtype=torch.float64)
    phi = torch.nn.Parameter(theta + mu * v)
    optimizer = torch.optim.SGD([phi], lr=lr, momentum=mu, nesterov=True)
    for _ in range(25):
        theta, v = sutskever_nesterov_step(theta, v, gradient_at, lr, mu)
        phi.grad = gradient_at(phi.detach())
        optimizer.step()
        torch.testing.assert_close(phi.detach(), theta + mu * v, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("beta, equal", [(0.9, False), (0.5, True)])
def test_the_notes_momentum_scheme_matches_torch_nesterov_only_at_beta_one_half(beta, equal):
    """The notes' W'' = W + M - eta g, M' = beta M - (1 - beta) eta g, in the variable P = W + M where g is taken,
    follows P' = P + beta M - (2 - beta) eta g; torch's Nesterov with momentum beta and lr = (2 - beta) eta / (1 + beta)
    has the same gradient coefficient, and the same momentum coefficient only when beta = 1/2."""
    hessian = torch.diag(torch.tensor([1.0, 3.0], dtype=torch.float64))
    gradient_at = lambda x: hessian @ x  # noqa: E731
    eta = 0.1
    w, m = torch.tensor([1.0, -1.0], dtype=torch.float64), torch.zeros(2, dtype=torch.float64)
    p = torch.nn.Parameter(w + m)
    optimizer = torch.optim.SGD([p], lr=(2 - beta) * eta / (1 + beta), momentum=beta, nesterov=True)
    gaps = []
    for _ in range(10):
        w, m = notes_nesterov_step(w, m, gradient_at, eta, beta)
        p.grad = gradient_at(p.detach())
        optimizer.step()
        gaps.append(float((p.detach() - (w + m)).abs().max()))
    assert (max(gaps) < 1e-12) == equal


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda w: Quickprop([w], lr=0.0), "lr must be a finite number > 0"),
        (lambda w: Quickprop([w], lr=float("nan")), "lr must be a finite number > 0"),
        (lambda w: Quickprop([w], max_growth=-1), "max_growth"),
        (lambda w: Newton([w], lr=2.0), "lr must be < 2"),
        (lambda w: Newton([w], lr=-0.1), "lr must be a finite number > 0"),
        (lambda w: Newton([w], damping=-1.0), "damping"),
        (lambda w: polynomial_averaging(-1.0), "gamma"),
    ],
)
def test_bad_arguments_name_the_argument(build, message):
    with pytest.raises(ValueError, match=message):
        build(torch.zeros(2, requires_grad=True))


def test_newton_refuses_a_model_too_large_for_an_exact_hessian():
    model = torch.nn.Linear(100, 50)
    with pytest.raises(ValueError, match=r"5050 x 5050 Hessian.*max_parameters=2000"):
        Newton(model.parameters())
    with pytest.raises(ValueError, match="needs a closure"):
        Newton([torch.zeros(1, requires_grad=True)]).step()


def test_quickprop_trains_a_torch_module_like_any_optimizer():
    torch.manual_seed(0)
    x = torch.randn(64, 3)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]])
    model = torch.nn.Linear(3, 1)
    optimizer = Quickprop(model.parameters(), lr=0.05)
    losses = []
    for _ in range(60):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 1e-4 * losses[0] and math.isfinite(losses[-1])
