"""Neurons, activations and losses of notes 1.1 and 1.3 against autograd and exact constructions."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
import torch
from torch import nn

from boltzgym.models.supervised import losses, neurons
from boltzgym.models.supervised.neurons import (
    ACTIVATIONS,
    Perceptron,
    RBFLayer,
    StepFunction,
    ThresholdUnit,
    activation_derivative,
)

BITS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
def test_activation_derivatives_equal_autograd(name):
    x = torch.linspace(-3, 3, 61, dtype=torch.float64).requires_grad_()
    module, _ = ACTIVATIONS[name]
    (gradient,) = torch.autograd.grad(module()(x).sum(), x)
    torch.testing.assert_close(activation_derivative(name, x.detach()), gradient)


def test_relu_derivative_is_the_indicator_not_the_notes_x_times_indicator():
    x = torch.tensor([-2.0, -0.5, 0.5, 3.0])
    torch.testing.assert_close(activation_derivative("relu", x), torch.tensor([0.0, 0.0, 1.0, 1.0]))
    assert not torch.equal(activation_derivative("relu", x), (x > 0) * x)  # the notes' I(x>0) x


def test_step_is_an_indicator_with_a_straight_through_gradient():
    x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0], requires_grad=True)
    y = StepFunction()(x)
    torch.testing.assert_close(y, torch.tensor([0.0, 0.0, 0.0, 1.0, 1.0]))
    y.sum().backward()
    torch.testing.assert_close(x.grad, torch.tensor([0.0, 1.0, 1.0, 1.0, 0.0]))  # d/dx clip(x, -1, 1)
    assert torch.equal(activation_derivative("threshold", x.detach()), torch.zeros(5))  # the true derivative


def test_threshold_unit_learns_or_by_the_straight_through_estimator():
    torch.manual_seed(0)
    unit = ThresholdUnit(2, 1)
    x, y = torch.tensor(BITS, dtype=torch.float32), torch.tensor([[0.0], [1.0], [1.0], [1.0]])
    optimizer = torch.optim.SGD(unit.parameters(), lr=0.5)
    for _ in range(50):
        optimizer.zero_grad()
        nn.functional.mse_loss(unit(x), y).backward()
        optimizer.step()
    assert torch.equal(unit(x).detach(), y)


@pytest.mark.parametrize("targets", [[0, 0, 0, 1], [0, 1, 1, 1], [1, 1, 0, 0]])
def test_perceptron_rule_converges_on_separable_functions(targets):
    perceptron = Perceptron(2, seed=1).fit(BITS, np.array(targets))
    assert perceptron.predict(BITS).tolist() == targets and perceptron.mistakes_[-1] == 0


def test_perceptron_never_separates_xor_and_checks_input():
    perceptron = Perceptron(2).fit(BITS, np.array([0, 1, 1, 0]), epochs=50)
    assert len(perceptron.mistakes_) == 50 and min(perceptron.mistakes_) > 0
    with pytest.raises(ValueError, match=r"x must have shape \(n, 2\)"):
        perceptron.predict(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="targets must be 4 values in"):
        perceptron.fit(BITS, np.array([0, 2, 1, 0]))
    with pytest.raises(ValueError, match="learning_rate must be > 0"):
        Perceptron(2, learning_rate=0)


def test_rbf_layer_matches_the_formula_and_its_derivatives():
    torch.manual_seed(0)
    x = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    layer = RBFLayer(3, 4, beta=0.7, trainable_beta=True).double()
    y = layer(x)
    w = layer.centers
    squared = ((x[:, None, :] - w[None]) ** 2).sum(-1)
    torch.testing.assert_close(y, torch.exp(-0.7 * squared))
    # single unit j=1, row 2: dy/dw = 2 beta (x - w) y and dy/dx = -2 beta (x - w) y
    grad_x, grad_w = torch.autograd.grad(y[2, 1], (x, w))
    torch.testing.assert_close(grad_w[1], 2 * 0.7 * (x[2] - w[1]) * y[2, 1])
    torch.testing.assert_close(grad_x[2], -2 * 0.7 * (x[2] - w[1]) * y[2, 1])
    (grad_log_beta,) = torch.autograd.grad(layer(x)[2, 1], layer.log_beta)
    torch.testing.assert_close(grad_log_beta / 0.7, -y[2, 1] * squared[2, 1])  # dy/dbeta = -y ||x - w||^2
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 3\)"):
        layer(torch.zeros(2, 4, dtype=torch.float64))
    with pytest.raises(ValueError, match="beta must be > 0"):
        RBFLayer(3, 4, beta=0.0)


def test_half_squared_error_gradient_is_f_minus_y_not_the_notes_2f_minus_y():
    f = torch.tensor([[1.5, -2.0], [0.5, 3.0]], requires_grad=True)
    y = torch.tensor([[1.0, 0.0], [-1.0, 1.0]])
    (gradient,) = torch.autograd.grad(losses.half_squared_error(f, y) * len(f), f)  # undo the batch mean
    torch.testing.assert_close(gradient, f.detach() - y)
    assert not torch.allclose(gradient, 2 * f.detach() - y)
    with pytest.raises(ValueError, match=r"target has shape \(2,\) but output has \(2, 2\)"):
        losses.half_squared_error(f, y[:, 0])


def test_cross_entropy_gradient_in_logits_is_softmax_minus_onehot():
    logits = torch.randn(4, 3, requires_grad=True)
    labels = torch.tensor([0, 2, 1, 2])
    (gradient,) = torch.autograd.grad(nn.functional.cross_entropy(logits, labels), logits)
    expected = (logits.detach().softmax(dim=1) - nn.functional.one_hot(labels, 3)) / 4
    torch.testing.assert_close(gradient, expected)


def test_docstring_examples_run():
    assert doctest.testmod(neurons).failed == 0
