"""IndependentDQN on turn-based (AEC) PettingZoo games: self-play on tic-tac-toe with masks, predict for the agent
to move, checkpoints; the perfect-player judge; PettingZoo envs by module path."""

from __future__ import annotations

import numpy as np
import pytest
from pettingzoo.utils import BaseWrapper

from boltzgym.agents.independent_dqn import IndependentDQN, is_aec_env
from boltzgym.envs.pettingzoo_envs import make_pettingzoo_env
from boltzgym.experiments.tictactoe import ENV, MinimaxPlayer, RandomPlayer, minimax_value, optimal_moves, play

SMALL = {"learning_starts": 200, "train_freq": 4, "gradient_steps": 1, "batch_size": 32, "net_arch": (32,),
         "buffer_size": 2_000, "target_update_interval": 200}  # fmt: skip


class CheckLegal(BaseWrapper):
    """Fails on any illegal move (PettingZoo's own wrapper would end the game with a penalty instead)."""

    moves = 0

    def step(self, action):
        observation, _, termination, truncation, _ = self.last()
        if not (termination or truncation):
            assert observation["action_mask"][action], f"illegal move {action} in {observation['action_mask']}"
            CheckLegal.moves += 1
        super().step(action)


def test_self_play_never_makes_an_illegal_move_and_counts_agent_turns():
    CheckLegal.moves = 0
    env = CheckLegal(make_pettingzoo_env(ENV))
    learners = IndependentDQN(env, share_parameters=True, seed=0, **SMALL).learn(3_000)
    assert is_aec_env(env) and learners.turns is not None
    assert learners.num_timesteps >= 3_000 and CheckLegal.moves >= 3_000
    returns = np.asarray(learners.episode_returns).reshape(-1, 2)
    assert len(returns) > 300 and np.all(returns.sum(axis=1) == 0)  # zero-sum: one wins what the other loses
    assert np.all(np.isin(returns, [-1.0, 0.0, 1.0]))
    # every stored transition of a finished game is legal and each agent's column holds its own moves
    buffer = learners.dqn.replay_buffer
    valid = buffer.valid[: buffer.rows]
    assert valid.sum() >= 3_000 - 2 and not valid.all()  # the second player's shorter games are padded


def test_predict_returns_the_action_of_the_agent_to_move_and_save_load_keeps_it(tmp_path):
    learners = IndependentDQN(make_pettingzoo_env(ENV), share_parameters=True, seed=1, **SMALL).learn(600)
    env = make_pettingzoo_env(ENV)
    env.reset(seed=0)
    env.step(4)  # player_1 takes the centre
    observation = env.last()[0]
    actions, _ = learners.predict({env.agent_selection: observation})
    assert (
        list(actions) == ["player_2"] and actions["player_2"] != 4 and observation["action_mask"][actions["player_2"]]
    )
    learners.save(tmp_path / "ttt")
    loaded = IndependentDQN.load(tmp_path / "ttt", make_pettingzoo_env(ENV))
    assert loaded.predict({"player_2": observation})[0] == actions
    loaded.learn(100)  # a loaded turn-based learner trains on
    with pytest.raises(ValueError, match="unknown agents"):
        learners.predict({"player_9": observation})


def test_the_judge_is_perfect():
    assert minimax_value(0, 0) == 0  # tic-tac-toe is a draw
    env = make_pettingzoo_env(ENV)
    env.reset(seed=0)
    for square in (0, 4, 8):  # X: 0, 8; O: 4; O to move must block nothing yet but must not lose
        env.step(square)
    assert set(optimal_moves(env.last()[0])) == {1, 3, 5, 7}  # a corner loses to the double threat
    draws = play(env, {"player_1": MinimaxPlayer(0), "player_2": MinimaxPlayer(1)}, 20)
    assert np.all(draws["player_1"] == 0)
    for me, other in (("player_1", "player_2"), ("player_2", "player_1")):
        results = play(env, {me: MinimaxPlayer(2), other: RandomPlayer(3)}, 30)[me]
        assert results.min() == 0 and results.mean() > 0.5


def test_pettingzoo_envs_by_module_path():
    from pettingzoo import AECEnv, ParallelEnv

    assert isinstance(make_pettingzoo_env("pettingzoo.classic.tictactoe_v3"), AECEnv)
    spread = make_pettingzoo_env("mpe2.simple_spread_v3", {"N": 2, "max_cycles": 10})
    assert isinstance(spread, ParallelEnv) and len(spread.possible_agents) == 2
    assert isinstance(make_pettingzoo_env("mpe2.simple_spread_v3", api="aec"), AECEnv)
    assert isinstance(make_pettingzoo_env("boltzgym/RepeatedMatrixGame-v0", {"game": "climbing"}), ParallelEnv)
    with pytest.raises(ValueError, match="env 'pettingzoo.nowhere_v0' is neither"):
        make_pettingzoo_env("pettingzoo.nowhere_v0")
    with pytest.raises(ValueError, match="no parallel form"):
        make_pettingzoo_env("pettingzoo.classic.tictactoe_v3", api="parallel")
    with pytest.raises(ValueError, match="env_kwargs"):
        make_pettingzoo_env("pettingzoo.classic.tictactoe_v3", {"board_size": 4})


def test_evaluate_turns_returns_each_agents_game_results():
    from boltzgym.agents.independent_dqn import evaluate_turns

    learners = IndependentDQN(make_pettingzoo_env(ENV), share_parameters=True, seed=2, **SMALL)
    returns = evaluate_turns(learners, make_pettingzoo_env(ENV), 4, seed=0)
    assert returns.shape == (4, 2) and np.all(returns.sum(axis=1) == 0)
    # a greedy deterministic learner plays the same game every time
    assert np.all(returns == returns[0])
