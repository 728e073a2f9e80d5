"""MLP, ConvNet and the dueling head: shapes, layer choices, identities and argument errors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from boltzgym.models.q_networks.heads import DuelingHead
from boltzgym.models.supervised.mlp import MLP
from boltzgym.models.vision.conv import ConvNet


def test_mlp_shapes_and_layers():
    net = MLP(4, [8, 6], 3, activation="tanh", batch_norm=True, dropout=0.5)
    assert net(torch.zeros(5, 4)).shape == (5, 3)
    kinds = [type(layer) for layer in net.layers]
    assert kinds == [nn.Linear, nn.BatchNorm1d, nn.Tanh, nn.Dropout] * 2 + [nn.Linear]
    assert [layer.out_features for layer in net.layers if isinstance(layer, nn.Linear)] == [8, 6, 3]


def test_mlp_without_output_layer_is_a_feature_extractor():
    net = MLP(3, [7], out_features=None, activation="sigmoid")
    features = net(torch.randn(2, 3))
    assert net.out_features == 7 and features.shape == (2, 7)
    assert torch.all((features > 0) & (features < 1))  # ends with the sigmoid


def test_mlp_dropout_is_off_in_eval_mode():
    torch.manual_seed(0)
    net = MLP(4, [64], 2, dropout=0.5).eval()
    x = torch.randn(3, 4)
    torch.testing.assert_close(net(x), net(x))


def test_mlp_rejects_bad_arguments_by_name():
    with pytest.raises(ValueError, match="activation"):
        MLP(4, [8], 2, activation="gelu")
    with pytest.raises(ValueError, match="dropout"):
        MLP(4, [8], 2, dropout=1.0)
    with pytest.raises(
        ValueError, match=r"hidden_sizes must be a list of positive integers, e\.g\. \[64, 64\], got \[0\]"
    ):
        MLP(4, [0], 2)
    with pytest.raises(TypeError, match=r"hidden_sizes must be a list of positive integers, .* got \(8\.5,\)"):
        MLP(4, [8.5], 2)
    with pytest.raises(ValueError, match="in_features must be >= 1, got 0"):
        MLP(0, [8], 2)


def test_convnet_shapes_and_stride_arithmetic():
    net = ConvNet((3, 5, 5), out_features=10)
    assert net(torch.zeros(2, 3, 5, 5)).shape == (2, 10)
    strided = ConvNet(
        (1, 84, 84),
        channels=(32, 64, 64),
        kernel_sizes=(8, 4, 3),
        strides=(4, 2, 1),
        paddings=(0, 0, 0),
        out_features=16,
    )
    flat = strided.linear[0].in_features
    assert flat == 64 * 7 * 7  # the Nature DQN encoder: 84 -> 20 -> 9 -> 7
    with pytest.raises(ValueError, match="input_shape"):
        ConvNet((4, 4))
    with pytest.raises(ValueError, match="same length"):
        ConvNet((1, 4, 4), channels=(8, 8), kernel_sizes=(3,))


def test_dueling_head_mean_q_equals_the_value_stream():
    torch.manual_seed(0)
    head = DuelingHead(5, 4)
    features = torch.randn(6, 5)
    q = head(features)
    torch.testing.assert_close(q.mean(dim=1, keepdim=True), head.value(features))
    advantage = head.advantage(features)
    torch.testing.assert_close(q - q.mean(dim=1, keepdim=True), advantage - advantage.mean(dim=1, keepdim=True))
    with pytest.raises(ValueError, match="n_actions"):
        DuelingHead(5, 0)


def test_docstring_examples_run():
    import doctest

    from boltzgym.models.q_networks import heads
    from boltzgym.models.supervised import mlp
    from boltzgym.models.vision import conv

    for module in (mlp, conv, heads):
        assert doctest.testmod(module).failed == 0, module.__name__


def _sequential_reference(mlp: MLP, x: torch.Tensor) -> torch.Tensor:
    return mlp.layers(x)  # nn.Sequential's module calls: what MLP.forward computed before it evaluated layers itself


@pytest.mark.parametrize(
    "kwargs",
    [
        {"activation": "relu"},
        {"activation": "tanh"},
        {"activation": "sigmoid", "out_features": None},
        {"activation": "relu", "batch_norm": True, "dropout": 0.3},  # these layers are still called as modules
    ],
)
def test_mlp_forward_equals_the_module_calls_bit_for_bit(kwargs):
    kwargs = {"out_features": 3, **kwargs}
    torch.manual_seed(0)
    mlp = MLP(5, [16, 8], **kwargs)
    x = torch.randn(32, 5)
    for training in (True, False):
        mlp.train(training)
        state = torch.get_rng_state()
        output = mlp(x)
        output.square().sum().backward()
        grads = [p.grad.clone() for p in mlp.parameters()]
        mlp.zero_grad()
        torch.set_rng_state(state)  # the same dropout masks
        reference = _sequential_reference(mlp, x)
        reference.square().sum().backward()
        assert torch.equal(output, reference)
        assert all(torch.equal(g, p.grad) for g, p in zip(grads, mlp.parameters(), strict=True))
        mlp.zero_grad()


def test_mlp_hooks_still_run():
    mlp = MLP(4, [8], 2)
    x = torch.randn(3, 4)
    calls = []
    handle = mlp.layers[1].register_forward_hook(lambda module, args, output: calls.append("relu") or output * 0)
    assert torch.equal(mlp(x), mlp.layers[2](torch.zeros(3, 8)))  # the hook zeroed the hidden layer
    assert calls == ["relu"]
    handle.remove()
    handle = nn.modules.module.register_module_forward_hook(lambda module, args, output: calls.append("global"))
    try:
        mlp(x)
    finally:
        handle.remove()
    assert calls.count("global") == 5  # MLP, Sequential and its three layers, as module calls run them
    assert torch.equal(mlp(x), _sequential_reference(mlp, x))
