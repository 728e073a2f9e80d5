"""Convolution/pooling identities (notes 3.1) against autograd, SPP, and the vision networks (notes 3.2, 4.4)."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from boltzgym.models.pooling import SpatialPyramidPooling, conv_output_size
from boltzgym.models.vision import (
    CBAM,
    VGG,
    BasicBlock,
    ChannelAttention,
    DenseNet,
    Highway,
    HighwayLayer,
    PlainNet,
    ResNet,
    SpatialAttention,
)


@pytest.mark.parametrize("size,kernel,stride,padding", [(8, 3, 1, 0), (8, 3, 2, 1), (7, 2, 2, 0), (28, 5, 3, 2)])
def test_conv_output_size_agrees_with_torch(size, kernel, stride, padding):
    conv = nn.Conv2d(1, 1, kernel, stride, padding)
    assert conv(torch.zeros(1, 1, size, size)).shape[-1] == conv_output_size(size, kernel, stride, padding)
    pool = nn.MaxPool2d(kernel, stride, padding=min(padding, kernel // 2))
    out = pool(torch.zeros(1, 1, size, size)).shape[-1]
    assert out == conv_output_size(size, kernel, stride, min(padding, kernel // 2))


def test_conv_output_size_errors_name_the_argument():
    with pytest.raises(ValueError, match="stride"):
        conv_output_size(8, 3, 0)
    with pytest.raises(ValueError, match="kernel"):
        conv_output_size(2, 5)


def test_input_gradient_is_full_convolution_with_flipped_kernel():
    torch.manual_seed(0)
    x = torch.randn(1, 1, 6, 6, requires_grad=True)
    kernel = torch.randn(1, 1, 3, 3, requires_grad=True)
    y = F.conv2d(x, kernel)  # torch's conv2d is a correlation: y = x ⋆ k
    grad_y = torch.randn_like(y)
    y.backward(grad_y)
    # notes 3.1: dL/dx = full convolution of dL/dy with k = correlation of zero-padded dL/dy with the flipped kernel
    expected_x = F.conv2d(F.pad(grad_y, (2, 2, 2, 2)), kernel.detach().flip(-1, -2))
    torch.testing.assert_close(x.grad, expected_x)
    # notes 3.1: dL/dk = correlation of the input with dL/dy
    expected_k = F.conv2d(x.detach(), grad_y)
    torch.testing.assert_close(kernel.grad, expected_k)


def test_max_pool_routes_gradient_to_argmax_and_mean_pool_spreads_it():
    torch.manual_seed(1)
    x = torch.randn(1, 1, 4, 4, requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    windows = x.detach().reshape(2, 2, 2, 2).permute(0, 2, 1, 3).reshape(4, 4)  # one row per 2x2 window
    grad = x.grad.reshape(2, 2, 2, 2).permute(0, 2, 1, 3).reshape(4, 4)
    assert torch.equal(grad.argmax(1), windows.argmax(1)) and torch.equal(grad.sum(1), torch.ones(4))
    assert int((grad != 0).sum()) == 4
    x.grad = None
    F.avg_pool2d(x, 2).sum().backward()
    torch.testing.assert_close(x.grad, torch.full_like(x, 1 / 4))  # 1 / L^2 with L = 2


def test_spatial_pyramid_pooling_fixed_length_and_global_max():
    spp = SpatialPyramidPooling((1, 2, 4))
    lengths = {spp(torch.randn(2, 3, h, w)).shape for h, w in [(4, 4), (5, 9), (13, 8), (32, 32)]}
    assert lengths == {torch.Size([2, 3 * 21])} and spp.output_size(3) == 63
    x = torch.randn(2, 3, 7, 5)
    torch.testing.assert_close(SpatialPyramidPooling((1,))(x), x.amax(dim=(2, 3)))
    with pytest.raises(ValueError, match="finest level 4"):
        spp(torch.randn(1, 3, 3, 8))
    with pytest.raises(ValueError, match="levels"):
        SpatialPyramidPooling((0, 2))


def test_attention_modules_keep_shape_and_weights_in_unit_interval():
    x = torch.randn(2, 8, 5, 5)
    for module in (ChannelAttention(8), SpatialAttention(), CBAM(8)):
        assert module(x).shape == x.shape
    channel = ChannelAttention(8, use_max=False)
    out = channel(x)
    weights = channel.last_attention
    assert weights.shape == (2, 8) and bool(((weights > 0) & (weights < 1)).all())
    torch.testing.assert_close(out, x * weights[:, :, None, None])
    with pytest.raises(ValueError, match="ChannelAttention"):
        channel(torch.randn(2, 4, 5, 5))


NETS = [
    lambda: VGG((1, 8, 8), 10, stages=((8,), (16,)), hidden=16, attention=True),
    lambda: ResNet((1, 8, 8), 10, widths=(8, 16), blocks=(1, 1), attention=True),
    lambda: PlainNet((1, 8, 8), 10, widths=(8, 16), blocks=(1, 1)),
    lambda: DenseNet((1, 8, 8), 10, growth_rate=4, block_layers=(2, 2), initial_channels=8),
    lambda: Highway((1, 8, 8), 10, width=16, depth=3),
    lambda: Highway((1, 8, 8), 10, width=8, depth=2, conv=True, untied_carry=True),
]


@pytest.mark.parametrize("make", NETS)
def test_nets_shapes_flat_rows_and_channel_errors(make):
    torch.manual_seed(0)
    net = make().eval()
    images = torch.randn(3, 1, 8, 8)
    logits = net(images)
    assert logits.shape == (3, 10)
    torch.testing.assert_close(net(images.reshape(3, 64)), logits)
    with pytest.raises(ValueError, match=r"input: expected 1 input channels, got 3"):
        net(torch.randn(3, 3, 8, 8))


def test_too_small_images_name_the_layer_and_sizes():
    with pytest.raises(ValueError, match=r"VGG stage 3 pool: .*1x1"):
        VGG((1, 8, 8), 10, stages=((4,), (4,), (4,), (4,)))
    with pytest.raises(ValueError, match=r"ResNet stage 4: .*1x1"):
        ResNet((1, 8, 8), 10, widths=(4, 4, 4, 4, 4), blocks=(1, 1, 1, 1, 1))
    with pytest.raises(ValueError, match=r"DenseNet transition 2: .*1x1"):
        DenseNet((1, 4, 4), 10, block_layers=(1, 1, 1, 1))


def test_basic_block_residual_sum_and_projection_only_where_shapes_change():
    assert isinstance(BasicBlock(8, 8).shortcut, nn.Identity)
    assert isinstance(BasicBlock(8, 16, stride=2).shortcut, nn.Sequential)
    block = BasicBlock(8, 8).eval()
    x = torch.randn(2, 8, 4, 4)
    body = block.bn2(block.conv2(block.relu(block.bn1(block.conv1(x)))))
    torch.testing.assert_close(block(x), torch.relu(body + x))
    plain = BasicBlock(8, 16, stride=2, residual=False).eval()
    assert isinstance(plain.shortcut, nn.Identity)
    assert ResNet((1, 8, 8), 10, blocks=(9, 9, 9)).depth == 56


def test_highway_gates_tied_and_untied():
    layer = HighwayLayer(4)
    x = torch.randn(3, 4)
    t = torch.sigmoid(layer.transform_gate(x))
    torch.testing.assert_close(layer(x), torch.relu(layer.transform(x)) * t + x * (1 - t))
    untied = HighwayLayer(4, untied_carry=True)
    t, c = torch.sigmoid(untied.transform_gate(x)), torch.sigmoid(untied.carry_gate(x))
    torch.testing.assert_close(untied(x), torch.relu(untied.transform(x)) * t + x * c)


def test_a_few_training_steps_lower_the_loss():
    torch.manual_seed(0)
    x = torch.randn(32, 1, 8, 8)
    y = (x[:, 0, :4].mean(dim=(1, 2)) > 0).long()  # a learnable rule: the sign of the top half's mean
    for net in (ResNet((1, 8, 8), 3, widths=(8, 16), blocks=(1, 1)), DenseNet((1, 8, 8), 3, 4, (2,), 8)):
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
        losses = []
        for _ in range(15):
            loss = F.cross_entropy(net(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
        assert losses[-1] < 0.6 * losses[0], losses
