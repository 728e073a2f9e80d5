"""Gate-by-gate RNN/LSTM/GRU against torch's fused modules, the peephole cell, lengths and bad input."""

import pytest
import torch
from torch import nn

from boltzgym.models.sequence.recurrent import GRU, LSTM, RNN

CASES = [(RNN, nn.RNN), (LSTM, nn.LSTM), (GRU, nn.GRU)]


@pytest.mark.parametrize("ours_cls,torch_cls", CASES)
@pytest.mark.parametrize("num_layers,bidirectional", [(1, False), (2, True), (3, False)])
def test_from_torch_and_to_torch_agree_with_torch(ours_cls, torch_cls, num_layers, bidirectional):
    torch.manual_seed(0)
    reference = torch_cls(3, 5, num_layers=num_layers, bidirectional=bidirectional, batch_first=True)
    ours = ours_cls.from_torch(reference)
    x = torch.randn(4, 7, 3)
    out_ref, state_ref = reference(x)
    out, state = ours(x)
    torch.testing.assert_close(out, out_ref, atol=1e-5, rtol=1e-5)
    states = state if isinstance(state, tuple) else (state,)
    states_ref = state_ref if isinstance(state_ref, tuple) else (state_ref,)
    for a, b in zip(states, states_ref, strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    back = ours.to_torch()
    torch.testing.assert_close(back(x)[0], out_ref, atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("ours_cls,torch_cls", CASES)
def test_lengths_match_packed_sequences(ours_cls, torch_cls):
    torch.manual_seed(1)
    reference = torch_cls(2, 4, num_layers=2, bidirectional=True, batch_first=True)
    ours = ours_cls.from_torch(reference)
    x = torch.randn(3, 6, 2)
    lengths = torch.tensor([6, 2, 4])
    packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out_packed, state_ref = reference(packed)
    out_ref, _ = nn.utils.rnn.pad_packed_sequence(out_packed, batch_first=True, total_length=6)
    out, state = ours(x, lengths=lengths)
    torch.testing.assert_close(out, out_ref, atol=1e-5, rtol=1e-5)
    h, h_ref = (state[0], state_ref[0]) if isinstance(state, tuple) else (state, state_ref)
    torch.testing.assert_close(h, h_ref, atol=1e-5, rtol=1e-5)


def test_peephole_output_gate_sees_new_cell_state():
    torch.manual_seed(2)
    lstm = LSTM(1, 1, peephole=True)
    with torch.no_grad():
        for p in lstm.parameters():
            p.zero_()
        lstm.weight_ih_l0[:] = torch.tensor([[10.0], [-10.0], [1.0], [0.0]])  # i ~ 1, f ~ 0, g = tanh(x)
        lstm.weight_peephole_l0[:] = torch.tensor([[0.0], [0.0], [3.0]])
    x = torch.tensor([[[2.0]]])
    out, (h, c) = lstm(x)
    c_t = torch.sigmoid(torch.tensor(20.0)) * torch.tanh(torch.tensor(2.0))
    o_t = torch.sigmoid(3.0 * c_t)  # with c_{t-1} = 0 an output peephole on the old state would give 0.5
    torch.testing.assert_close(c[0, 0, 0], c_t)
    torch.testing.assert_close(h[0, 0, 0], o_t * torch.tanh(c_t))
    with pytest.raises(ValueError, match="peephole"):
        lstm.to_torch()


def test_fresh_peephole_cell_equals_standard_cell():
    torch.manual_seed(3)
    standard = LSTM(2, 3)
    peephole = LSTM(2, 3, peephole=True)
    peephole.load_state_dict(standard.state_dict(), strict=False)
    x = torch.randn(2, 5, 2)
    torch.testing.assert_close(peephole(x)[0], standard(x)[0])


def test_bad_input_errors():
    rnn = GRU(2, 3)
    with pytest.raises(ValueError, match="ragged"):
        rnn([torch.zeros(3, 2), torch.zeros(5, 2)])
    with pytest.raises(ValueError, match="features"):
        rnn(torch.zeros(1, 4, 3))
    with pytest.raises(ValueError, match="lengths"):
        rnn(torch.zeros(2, 4, 2), lengths=[5, 1])
    with pytest.raises(TypeError, match="torch.nn.GRU"):
        GRU.from_torch(nn.LSTM(2, 3, batch_first=True))
    with pytest.raises(ValueError, match="batch_first"):
        GRU.from_torch(nn.GRU(2, 3))
    with pytest.raises(ValueError, match="hidden_size"):
        LSTM(2, 0)
