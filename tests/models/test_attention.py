"""Attention against torch: MultiHeadAttention.from_torch, Transformer layers, the positional rotation property."""

import pytest
import torch
from torch import nn

from boltzgym.models.sequence.attention import (
    AdditiveAttention,
    MultiHeadAttention,
    dot_product_attention,
    positional_encoding,
    rotation_matrix,
)
from boltzgym.models.sequence.transformer import (
    Seq2SeqTransformer,
    TransformerDecoderLayer,
    TransformerEncoderLayer,
    causal_mask,
)


def test_multihead_from_torch_equal_outputs_with_masks():
    torch.manual_seed(0)
    reference = nn.MultiheadAttention(16, 4, batch_first=True).eval()
    ours = MultiHeadAttention.from_torch(reference).eval()
    q, kv = torch.randn(3, 5, 16), torch.randn(3, 7, 16)
    padding = torch.zeros(3, 7, dtype=torch.bool)
    padding[1, 4:] = True
    out_ref, w_ref = reference(q, kv, kv, key_padding_mask=padding)
    out, w = ours(q, kv, kv, key_padding_mask=padding)
    torch.testing.assert_close(out, out_ref, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(w, w_ref, atol=1e-5, rtol=1e-5)
    assert float(w[1, :, 4:].detach().abs().max()) == 0.0
    mask = causal_mask(5)
    torch.testing.assert_close(ours(q, q, q, attn_mask=mask)[0], reference(q, q, q, attn_mask=mask)[0], atol=1e-5,
                               rtol=1e-5)  # fmt: skip


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_and_decoder_layers_equal_torch(norm_first):
    torch.manual_seed(1)
    enc_ref = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True, norm_first=norm_first).eval()
    dec_ref = nn.TransformerDecoderLayer(16, 2, 32, dropout=0.0, batch_first=True, norm_first=norm_first).eval()
    enc, dec = TransformerEncoderLayer.from_torch(enc_ref).eval(), TransformerDecoderLayer.from_torch(dec_ref).eval()
    src, tgt = torch.randn(2, 6, 16), torch.randn(2, 4, 16)
    padding = torch.tensor([[False] * 6, [False] * 3 + [True] * 3])
    memory = enc(src, src_key_padding_mask=padding)
    torch.testing.assert_close(memory, enc_ref(src, src_key_padding_mask=padding), atol=1e-5, rtol=1e-5)
    out = dec(tgt, memory, tgt_mask=causal_mask(4), memory_key_padding_mask=padding)
    out_ref = dec_ref(tgt, memory, tgt_mask=causal_mask(4), memory_key_padding_mask=padding)
    torch.testing.assert_close(out, out_ref, atol=1e-5, rtol=1e-5)


def test_positional_encoding_rotation_property():
    d, encoding = 16, positional_encoding(50, 16).double()
    assert encoding.shape == (50, 16)
    torch.testing.assert_close(encoding[0, 0::2], torch.zeros(8, dtype=torch.float64))  # sin(0)
    for delta in (1, 7, 20):
        rotated = encoding[:30] @ rotation_matrix(delta, d).T  # P_{t+D} = R(D) P_t for every t
        torch.testing.assert_close(rotated, encoding[delta : delta + 30], atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match="even"):
        positional_encoding(4, 5)


def test_dot_product_and_additive_attention_weights():
    torch.manual_seed(2)
    q, k, v = torch.randn(2, 3, 4), torch.randn(2, 5, 4), torch.randn(2, 5, 6)
    context, weights = dot_product_attention(q, k, v)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3))
    torch.testing.assert_close(context, torch.softmax(q @ k.transpose(1, 2) / 2.0, -1) @ v)
    additive = AdditiveAttention(4, 4, 8)
    context, weights = additive(q, k, v)
    assert context.shape == (2, 3, 6)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3))
    with pytest.raises(ValueError, match="same last dimension"):
        dot_product_attention(q, torch.randn(2, 5, 3), v)
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadAttention(10, 3)


def test_transformer_is_causal_and_decodes():
    torch.manual_seed(3)
    model = Seq2SeqTransformer(12, d_model=16, nhead=2, num_layers=1, dim_feedforward=32).eval()
    src = torch.randint(1, 12, (2, 5))
    tgt = torch.randint(1, 12, (2, 4))
    logits = model(src, tgt)
    changed = tgt.clone()
    changed[:, 3] = (changed[:, 3] % 11) + 1
    torch.testing.assert_close(model(src, changed)[:, :3], logits[:, :3])  # the future does not leak
    greedy = model.greedy_decode(src, 4)
    assert greedy.shape == (2, 4)
    assert torch.equal(model.beam_decode(src, 4, beam_width=1), greedy)
    with pytest.raises(ValueError, match="max_length"):
        model(torch.zeros(1, 200, dtype=torch.long), tgt[:1])
