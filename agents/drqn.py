"""DRQN (Hausknecht & Stone 2015): the recurrent parts of :class:`~boltzgym.agents.dqn.DQN`.

With a recurrent Q-network (``q_network="lstm"|"gru"``, see :mod:`boltzgym.agents.networks`) DQN replays whole
sequences (:meth:`~boltzgym.agents.replay.ReplayBuffer.sample_sequences`: cut at their episode's start, padded and
masked) and carries the hidden state while acting. Its update is DQN's (Double DQN, n-step targets, Huber loss;
``DQN._recurrent_gradient_step``) at every real step of every sequence, both networks unrolled from the zero state.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from boltzgym.agents.networks import reset_state
from boltzgym.agents.replay import SequenceBatch


def unroll_sequences(q_net: nn.Module, target_net: nn.Module, batch: SequenceBatch, double_q: bool, device):
    """Both networks unrolled over ``batch`` from the zero state, as flat per-step tensors for DQN's targets:
    ``(q, returns, discounts, next_q_target, next_q_online, weights)``; ``q`` is ``Q(h_t, a_t)`` (with gradient),
    ``weights`` is 1 on real steps and 0 on padding, ``next_q_online`` is ``None`` unless ``double_q``."""
    obs, actions, returns, discounts, bootstrap, mask = (
        torch.as_tensor(array, device=device)
        for array in (batch.observations, batch.actions, batch.returns, batch.discounts, batch.bootstrap, batch.mask)
    )
    q_all, _ = q_net.unroll(obs)  # (batch, length + 1, n_actions); position t sees o_1..o_t only
    at_bootstrap = bootstrap[..., None].expand(-1, -1, q_all.shape[-1])
    with torch.no_grad():
        next_q_target = target_net.unroll(obs)[0].gather(1, at_bootstrap).flatten(0, 1)
        next_q_online = q_all.detach().gather(1, at_bootstrap).flatten(0, 1) if double_q else None
    q = q_all[:, :-1].gather(2, actions[..., None]).flatten()
    return q, returns.flatten(), discounts.flatten(), next_q_target, next_q_online, mask.flatten().float()


def recurrent_greedy_actions(q_net: nn.Module, batch: np.ndarray, state, episode_start, device: torch.device):
    """Greedy actions for a batch of observations and the new hidden state, as SB3's ``RecurrentPPO.predict``:
    ``state`` is the previous call's (``None``: zeros), ``episode_start`` resets the rows where it is True."""
    if state is not None:
        state = tuple(torch.as_tensor(np.asarray(part), device=device) for part in state)
    if episode_start is not None:
        state = reset_state(state, np.broadcast_to(np.asarray(episode_start, dtype=bool), (len(batch),)))
    with torch.inference_mode():
        q, state = q_net.step(torch.as_tensor(batch, device=device), state)
    return q.argmax(dim=1).cpu().numpy(), tuple(part.cpu().numpy() for part in state)
