"""batchnorm_jacobian against autograd through torch's own batch norm."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from boltzgym.models.optim.normalization import batchnorm_jacobian


def _torch_batchnorm(x: torch.Tensor, eps: float) -> torch.Tensor:
    return F.batch_norm(x, None, None, training=True, eps=eps)


@pytest.mark.parametrize("batch, features, eps", [(2, 1, 1e-5), (7, 3, 1e-5), (16, 2, 0.1)])
def test_closed_form_equals_autograd_of_torch_batch_norm(batch, features, eps):
    x = torch.randn(batch, features, dtype=torch.float64, generator=torch.Generator().manual_seed(batch))
    # autograd: J[j, f, i, g] = dy[j, f] / dx[i, g]; batch norm acts per feature, so only f == g is non-zero
    full = torch.autograd.functional.jacobian(lambda v: _torch_batchnorm(v, eps), x)
    expected = torch.stack([full[:, f, :, f] for f in range(features)])
    torch.testing.assert_close(batchnorm_jacobian(x, eps), expected, rtol=1e-10, atol=1e-12)
    if features > 1:  # no feature's output depends on another feature's inputs
        assert float(full[:, 0, :, 1:].abs().max()) == 0.0


def test_one_feature_input_gives_a_square_matrix_with_the_known_null_space():
    x = torch.tensor([0.5, -1.0, 2.0, 3.5], dtype=torch.float64)
    jacobian = batchnorm_jacobian(x)
    assert jacobian.shape == (4, 4)
    # shifting every input, or scaling them about the mean, leaves the normalized output unchanged (eps -> 0)
    torch.testing.assert_close(jacobian @ torch.ones(4, dtype=torch.float64), torch.zeros(4, dtype=torch.float64))
    centred = x - x.mean()
    assert float((jacobian @ centred).abs().max()) < 1e-5


def test_the_notes_formula_disagrees_with_autograd():
    """The notes' exponents (1/(B var + eps) and power 2/3) give a different matrix: the correction is needed."""
    x = torch.tensor([0.3, -1.2, 2.0, 0.9, -0.4], dtype=torch.float64)
    eps, b = 1e-5, 5
    mu, var = x.mean(), x.var(unbiased=False)
    notes = -1 / (b * var + eps) - torch.outer(x - mu, x - mu) / (b * (var + eps) ** (2 / 3))
    notes += torch.diag(torch.full((b,), float(1 / torch.sqrt(var + eps)), dtype=torch.float64))
    assert float((notes - batchnorm_jacobian(x, eps)).abs().max()) > 0.05


@pytest.mark.parametrize(
    "x, message",
    [(torch.zeros(1, 3), "at least 2 values"), (torch.zeros(2, 2, 2), r"\(batch,\)"), ([1.0, 2.0], r"\(batch,\)")],
)
def test_bad_input_is_named(x, message):
    with pytest.raises(ValueError, match=message):
        batchnorm_jacobian(x)
