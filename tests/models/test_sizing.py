"""The training-memory estimate: sized on the meta device, never below what torch holds, within a factor of 2."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from boltzgym.models import CNN, MLP, DenseNet, Highway, ResNet
from boltzgym.models.sizing import check_training_memory, estimate_training_memory
from boltzgym.utils.resources import MemoryBudgetError


def held_by_torch(build, inputs, optimizer=torch.optim.Adam) -> int:
    """Bytes torch holds in one real training step: weights, gradients, the optimizer's state after its first
    step, and every tensor autograd saved for the backward pass (each storage once), plus the output."""
    torch.manual_seed(0)
    model = build()
    saved: dict[int, int] = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        saved[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        output = model(*inputs)
    weights = {p.untyped_storage().data_ptr() for p in model.parameters()}
    activations = sum(n for pointer, n in saved.items() if pointer not in weights) + output.numel() * 4
    output.sum().backward()
    opt = optimizer(model.parameters())
    opt.step()
    state = sum(v.numel() * v.element_size() for s in opt.state.values() for v in s.values() if v.ndim > 0)
    parameters = sum(p.numel() * p.element_size() for p in model.parameters())
    gradients = sum(p.grad.numel() * p.grad.element_size() for p in model.parameters())
    return parameters + gradients + state + activations


@settings(max_examples=25, deadline=None)
@given(
    widths=st.lists(st.integers(1, 96), min_size=0, max_size=3),
    n_in=st.integers(1, 40),
    n_out=st.integers(1, 12),
    batch=st.integers(1, 48),
    batch_norm=st.booleans(),
    dropout=st.sampled_from([0.0, 0.3]),
)
def test_the_mlp_estimate_is_never_below_what_torch_holds_and_within_2x(
    widths, n_in, n_out, batch, batch_norm, dropout
):
    def build():
        return MLP(n_in, widths, n_out, batch_norm=batch_norm and batch > 1, dropout=dropout)

    x = torch.randn(batch, n_in)
    estimate = estimate_training_memory(build, [x]).total
    held = held_by_torch(build, [x])
    assert held <= estimate <= 2 * held


@pytest.mark.parametrize(
    "build",
    [
        lambda: ResNet((1, 8, 8), 10),
        lambda: DenseNet((1, 8, 8), 10),
        lambda: Highway((1, 8, 8), 10),
        lambda: CNN((1, 8, 8), 10, pooling="spp"),
    ],
)
def test_vision_estimates_match_what_torch_holds(build):
    x = torch.randn(16, 1, 8, 8)
    estimate = estimate_training_memory(build, [x])
    held = held_by_torch(build, [x])
    assert held <= estimate.total <= 2 * held
    assert estimate.n_parameters == sum(p.numel() for p in build().parameters())


@pytest.mark.parametrize(
    ("optimizer", "name", "momentum"), [(torch.optim.SGD, "sgd", 0.0), (torch.optim.Rprop, "rprop", 0)]
)
def test_optimizer_state_follows_torch(optimizer, name, momentum):
    def build():
        return MLP(8, [32], 4)

    x = torch.randn(4, 8)
    estimate = estimate_training_memory(build, [x], optimizer=name, momentum=momentum)
    assert held_by_torch(build, [x], optimizer) <= estimate.total <= 2 * held_by_torch(build, [x], optimizer)


def test_an_oversized_model_is_sized_without_allocating_and_refused_by_name():
    estimate = estimate_training_memory(lambda: MLP(4, [10**12], 2), [torch.zeros(64, 4)])
    assert estimate.n_parameters == 7 * 10**12 + 2 and estimate.parameters == 4 * estimate.n_parameters
    with pytest.raises(
        MemoryBudgetError,
        match=r"^--set hidden_sizes: training this model would need about .*TiB "
        r"\(7,000,000,000,002 parameters: .*\), more than the .* available; reduce --set hidden_sizes",
    ):
        check_training_memory(estimate, "--set hidden_sizes")
    small = estimate_training_memory(lambda: MLP(4, [8], 2), [torch.zeros(64, 4)])
    assert check_training_memory(small, "--set hidden_sizes") is small


def test_a_model_the_meta_device_cannot_run_is_sized_by_its_parameters():
    class ReadsValues(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(3, 3)

        def forward(self, x):
            return self.linear(x) * float(x.sum())  # a value: no meta kernel can give it

    estimate = estimate_training_memory(ReadsValues, [torch.zeros(2, 3)])
    assert estimate.activations == 0 and estimate.parameters == 12 * 4


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["fit", "mlp", "--set", "hidden_sizes=1000000000000"], "--set hidden_sizes: training this model would need"),
        (["fit", "resnet", "--set", "widths=100000,100000,100000"], "--set widths: training this model would need"),
        (["fit", "lstm", "--set", "hidden_size=10000000"], "--set hidden_size: training this model would need"),
        (["fit", "transformer", "--set", "d_model=1000000"], "--set d_model: training this model would need"),
        (["fit", "gan", "--set", "generator_sizes=1000000000"], "--set generator_sizes: training this model"),
        (["fit", "rbf", "--set", "n_centers=1000000000000"], "--set n_centers: 1,000,000,000,000 RBF centres would"),
        (["fit", "word2vec", "--set", "vector_size=1000000000"], "vector_size: 1,750 words x 1,000,000,000 dimensions"),
        (
            ["train", "dqn", "--env", "CartPole-v1", "--set", "net_arch=1000000000,10", "--total-timesteps", "10"],
            "--set net_arch: training this model would need",
        ),
    ],
)
def test_oversized_models_are_refused_in_one_line_before_they_are_built(tmp_path, capsys, argv, named):
    from boltzgym.scripts import cli

    out = tmp_path / "run"
    assert cli.main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and named in err[0] and "available; reduce" in err[0]
    assert not out.exists() or not any(out.iterdir())  # nothing half-written
