"""Vision modules (notes 3.1-3.2, 4.4 CV): sizes, backprop identities against autograd, the nets and their errors."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from boltzgym.models.vision.networks import (
    CBAM,
    CNN,
    VGG,
    BasicBlock,
    ChannelAttention,
    DenseNet,
    Highway,
    HighwayLayer,
    PlainNet,
    ResNet,
    SpatialAttention,
    SpatialPyramidPooling,
    conv_output_size,
)


@pytest.mark.parametrize("size,kernel,stride,padding,dilation", [(8, 3, 1, 0, 1), (9, 3, 2, 1, 1), (28, 5, 3, 2, 2)])
def test_conv_output_size_matches_torch(size, kernel, stride, padding, dilation):
    conv = nn.Conv2d(1, 1, kernel, stride, padding, dilation)
    assert conv(torch.zeros(1, 1, size, size)).shape[-1] == conv_output_size(size, kernel, stride, padding, dilation)
    pool = nn.MaxPool2d(kernel, stride, min(padding, kernel // 2), dilation)
    expected = conv_output_size(size, kernel, stride, min(padding, kernel // 2), dilation)
    assert pool(torch.zeros(1, 1, size, size)).shape[-1] == expected


def test_conv_output_size_errors_name_the_argument():
    with pytest.raises(ValueError, match="kernel 5"):
        conv_output_size(3, 5)
    with pytest.raises(ValueError, match="stride"):
        conv_output_size(8, 3, stride=0)


def test_spatial_pyramid_pooling_fixed_length_and_global_max():
    spp = SpatialPyramidPooling((1, 2, 4))
    lengths = {spp(torch.randn(2, 3, h, w)).shape for h, w in [(4, 4), (7, 5), (16, 9)]}
    assert lengths == {torch.Size([2, 3 * 21])}
    x = torch.randn(2, 3, 7, 5)
    assert torch.equal(SpatialPyramidPooling((1,))(x), x.amax(dim=(2, 3)))
    with pytest.raises(ValueError, match="finest level 4"):
        spp(torch.randn(1, 3, 3, 8))


def test_conv_backprop_identities_against_autograd():
    torch.manual_seed(0)
    x = torch.randn(1, 1, 7, 6, dtype=torch.float64, requires_grad=True)
    kernel = torch.randn(1, 1, 3, 2, dtype=torch.float64, requires_grad=True)
    y = F.conv2d(x, kernel)  # torch's "convolution" is a correlation
    grad_y = torch.randn_like(y)
    y.backward(grad_y)
    # notes 3.1: input gradient = full convolution of the output gradient with the kernel (correlation with the flip)
    full = F.conv2d(F.pad(grad_y, (1, 1, 2, 2)), kernel.detach().flip(-1, -2))
    torch.testing.assert_close(x.grad, full)
    # kernel gradient = correlation of the input with the output gradient
    torch.testing.assert_close(kernel.grad, F.conv2d(x.detach(), grad_y))


def test_pooling_gradients_route_to_argmax_and_spread_evenly():
    x = torch.randn(1, 1, 4, 4, requires_grad=True)
    out, indices = F.max_pool2d(x, 2, return_indices=True)
    grad = torch.randn_like(out)
    out.backward(grad)
    expected = torch.zeros(16).index_put_((indices.flatten(),), grad.flatten()).reshape(1, 1, 4, 4)
    assert torch.equal(x.grad, expected)
    x.grad = None
    F.avg_pool2d(x, 2).backward(grad)
    torch.testing.assert_close(x.grad, grad.repeat_interleave(2, -1).repeat_interleave(2, -2) / 4)  # 1 / L^2


@pytest.mark.parametrize(
    "net",
    [
        lambda: VGG((1, 8, 8), 10, (8, 16), attention="cbam"),
        lambda: Highway((1, 8, 8), 10, width=8, depth=2),
        lambda: Highway((1, 8, 8), 10, width=8, depth=2, conv=False, tied=False),
        lambda: ResNet((1, 8, 8), 10, (8, 16), 1, attention="channel"),
        lambda: PlainNet((1, 8, 8), 10, (8, 16), 1, attention="spatial"),
        lambda: DenseNet((1, 8, 8), 10, 4, (2, 2)),
        lambda: CNN((1, 8, 8), 10, (8, 16), pooling="spp"),
        lambda: CNN((1, 8, 8), 10, (8, 16), pooling="lp"),
    ],
)
def test_nets_shapes_flat_input_and_one_training_step(net):
    torch.manual_seed(0)
    model = net()
    x, y = torch.randn(16, 64), torch.randint(0, 10, (16,))
    assert model(x).shape == (16, 10)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(5):
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_resnet_shortcut_and_plain_twin():
    block = BasicBlock(8, 16, stride=2)
    assert isinstance(block.shortcut[0], nn.Conv2d)  # projection where the shape changes
    assert isinstance(BasicBlock(8, 8).shortcut, nn.Identity)
    resnet, plain = ResNet((1, 8, 8), 10, (8, 16), 3), PlainNet((1, 8, 8), 10, (8, 16), 3)
    assert resnet.depth == plain.depth == 14
    # same layers except the projection shortcut(s)
    shortcut = sum(p.numel() for n, p in resnet.named_parameters() if "shortcut" in n)
    assert sum(p.numel() for p in resnet.parameters()) - shortcut == sum(p.numel() for p in plain.parameters())


def test_residual_sum_is_visible():
    block = BasicBlock(4, 4).eval()
    nn.init.zeros_(block.bn2.weight)  # F(x) = 0: the block is relu(x)
    x = torch.randn(2, 4, 5, 5)
    torch.testing.assert_close(block(x), torch.relu(x))


def test_highway_gates_tied_and_untied():
    layer = HighwayLayer(3, tied=True)
    nn.init.constant_(layer.transform_gate.bias, -100.0)  # T = 0, C = 1: carry
    x = torch.randn(4, 3)
    torch.testing.assert_close(layer(x), x)
    untied = HighwayLayer(3, tied=False)
    assert untied.carry_gate is not None
    nn.init.constant_(untied.transform_gate.bias, -100.0)
    nn.init.zeros_(untied.carry_gate.weight)
    nn.init.zeros_(untied.carry_gate.bias)  # C = 1/2, independent of T
    torch.testing.assert_close(untied(x), x / 2)


def test_attention_modules_weights_and_shapes():
    x = torch.randn(2, 6, 5, 5)
    channel, spatial, cbam = ChannelAttention(6), SpatialAttention(3), CBAM(6)
    assert channel(x).shape == spatial(x).shape == cbam(x).shape == x.shape
    assert channel.weights.shape == (2, 6) and spatial.weights.shape == (2, 5, 5)
    assert ((channel.weights > 0) & (channel.weights < 1)).all()
    torch.testing.assert_close(channel(x), x * channel.weights[:, :, None, None])


def test_input_errors_name_the_net_and_sizes():
    with pytest.raises(ValueError, match=r"ResNet: expected input \(batch, 1, H, W\), got shape \(2, 3, 8, 8\)"):
        ResNet((1, 8, 8))(torch.zeros(2, 3, 8, 8))
    with pytest.raises(ValueError, match=r"VGG: image \(1, 1\) too small for stage 2's 2x2 pool"):
        VGG((1, 4, 4), widths=(4, 4, 4, 4))
    with pytest.raises(ValueError, match="attention must be one of"):
        ResNet((1, 8, 8), attention="self")
    with pytest.raises(ValueError, match="pooling must be one of"):
        CNN((1, 8, 8), pooling="median")


def test_torch_threads_scope_sets_and_restores():
    from boltzgym.models.training import torch_threads

    previous = torch.get_num_threads()
    target = 2 if previous == 1 else 1
    with pytest.raises(RuntimeError, match="inside"), torch_threads(target):
        assert torch.get_num_threads() == target
        raise RuntimeError("inside")
    assert torch.get_num_threads() == previous  # restored after an error too
    with torch_threads(0):
        assert torch.get_num_threads() == previous  # 0 leaves torch's setting
    with pytest.raises(ValueError, match="threads"), torch_threads(-1):
        pass


def test_resnet_fit_defaults_build_three_stages_down_to_two_by_two():
    from boltzgym.models.registry import make_config
    from boltzgym.models.vision.trainers import build_vision_model

    config = make_config("resnet", ["threads=0"])
    assert config.widths == (16, 32, 64) and config.threads == 0
    net = build_vision_model("resnet", config, 10)
    assert net.depth == 8  # stem + 3 blocks of 2 convs + head
    assert net.stages(net.stem(torch.zeros(2, 1, 8, 8))).shape == (2, 64, 2, 2)
    with pytest.raises(ValueError, match="threads"):
        make_config("resnet", ["threads=-1"])


def test_degradation_experiment_keys_curves_and_plot(tmp_path):
    from boltzgym.experiments.vision import degradation

    result = degradation(tmp_path, blocks=(1, 2), width=4, epochs=2, n_train=16)
    assert result["depths"] == [6, 10]
    for key in ("plain", "residual"):
        assert len(result[f"{key}_train_loss"]) == len(result[f"{key}_test_accuracy"]) == 2
        assert [len(curve) for curve in result[f"{key}_curves"]] == [2, 2]
        assert result[f"{key}_train_loss"] == [curve[-1] for curve in result[f"{key}_curves"]]
        assert all(0 <= accuracy <= 1 for accuracy in result[f"{key}_test_accuracy"])
    assert (tmp_path / "degradation.png").stat().st_size > 0


def test_attention_maps_experiment_figures_and_plot(tmp_path):
    from boltzgym.experiments.vision import attention_maps

    result = attention_maps(tmp_path, epochs=1)
    assert 0 < result["background_attention"] <= 1 and 0 < result["ink_attention"] <= 1
    assert result["ink_to_background_ratio"] == pytest.approx(result["ink_attention"] / result["background_attention"])
    assert result["channel_weight_class_spread"] >= 0 and 0 <= result["test_accuracy"] <= 1
    assert (tmp_path / "attention_maps.png").stat().st_size > 0
    with pytest.raises(ValueError, match="attention must be"):
        attention_maps(tmp_path, attention="none")
