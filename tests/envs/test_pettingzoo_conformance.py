"""PettingZoo's own test suite over every boltzgym multi-agent env: the AEC ``api_test`` (through
``parallel_to_aec``, the module's ``env()``), ``parallel_api_test``, both seed tests, ``max_cycles_test`` and,
where a global state exists, ``state_test``. Variants cover each env's reward and game options."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from pettingzoo.test import api_test, max_cycles_test, parallel_api_test, parallel_seed_test, seed_test, state_test

from boltzgym.envs import PETTINGZOO_ENVS, matrix_game, multiplayer_bandit, spin_game

MODULES = {"matrix_game": matrix_game, "multiplayer_bandit": multiplayer_bandit, "spin_game": spin_game}
VARIANTS = [
    ("matrix_game", {"game": "prisoners-dilemma", "n_rounds": 20}),
    ("matrix_game", {"game": "stag-hunt", "n_rounds": 20, "noise_std": 0.5}),
    ("matrix_game", {"game": np.arange(12.0).reshape(2, 2, 3), "n_rounds": 10}),  # 2 x 3 actions
    ("multiplayer_bandit", {"n_players": 3, "horizon": 20}),
    ("spin_game", {"side": 4, "n_agents": 4, "reward": "selfish", "n_rounds": 15}),
    ("spin_game", {"side": 3, "n_agents": 3, "reward": "shared", "n_rounds": 15, "couplings": "gaussian"}),
    ("spin_game", {"side": 4, "n_agents": 2, "reward": "difference", "n_rounds": 15, "instance_seed": 3}),
]
IDS = [f"{name}-{i}" for i, (name, _) in enumerate(VARIANTS)]
# PettingZoo's warnings for observations (and the matrix game's state) that are NumPy scalars rather than arrays:
# Discrete spaces hold scalars (their ``sample()`` returns ``np.int64``), which is what these envs return.
SCALAR_WARNINGS = "(Observation|State) is not NumPy array|Observation is not a NumPy array"


@pytest.fixture(autouse=True)
def _only_known_warnings():
    """Every warning of PettingZoo's tests fails the test, except the scalar-observation ones."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", message=SCALAR_WARNINGS)
        yield


@pytest.mark.parametrize(("name", "kwargs"), VARIANTS, ids=IDS)
def test_aec_api_test_through_parallel_to_aec(name, kwargs):
    api_test(MODULES[name].env(**kwargs), num_cycles=30)


@pytest.mark.parametrize(("name", "kwargs"), VARIANTS, ids=IDS)
def test_parallel_api_test(name, kwargs):
    parallel_api_test(MODULES[name].parallel_env(**kwargs), num_cycles=30)


@pytest.mark.parametrize(("name", "kwargs"), VARIANTS, ids=IDS)
def test_parallel_and_aec_seed_tests(name, kwargs):
    module = MODULES[name]
    parallel_seed_test(lambda: module.parallel_env(**kwargs), num_cycles=30)
    seed_test(lambda: module.env(**kwargs), num_cycles=30)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_max_cycles(name):
    max_cycles_test(MODULES[name])


@pytest.mark.parametrize("name", sorted(MODULES))
def test_max_cycles_is_the_episode_length_and_conflicts_are_refused(name):
    module = MODULES[name]
    own = "horizon" if name == "multiplayer_bandit" else "n_rounds"
    env = module.parallel_env(max_cycles=7)
    assert getattr(env, own) == 7
    with pytest.raises(ValueError, match=f"max_cycles=7 and {own}=8"):
        module.parallel_env(max_cycles=7, **{own: 8})


@pytest.mark.parametrize(("name", "kwargs"), [v for v in VARIANTS if v[0] != "multiplayer_bandit"])
def test_state_test_where_a_global_state_exists(name, kwargs):
    module = MODULES[name]
    state_test(module.env(**kwargs), module.parallel_env(**kwargs), num_cycles=10)


def test_spin_game_state_is_every_spin_and_observations_are_numpy_codes():
    env = spin_game.parallel_env(side=3, n_agents=3, n_rounds=5)
    observations, _ = env.reset(seed=1)
    state = env.state()
    assert state.dtype == np.int8 and state.shape == (9,) and env.state_space.contains(state)
    bits = 2 ** np.arange(3)
    for index, agent in enumerate(env.agents):
        assert isinstance(observations[agent], np.int64)
        assert observations[agent] == ((state[3 * index : 3 * index + 3] > 0) @ bits)
    state[0] *= -1  # a copy: changing it leaves the game alone
    assert env.state()[0] == -state[0]


def test_matrix_game_state_is_the_shared_observation():
    env = matrix_game.parallel_env(game="prisoners-dilemma", n_rounds=3)
    observations, _ = env.reset(seed=0)
    assert env.state() == observations["player_0"] == 4  # "no previous round"
    observations, *_ = env.step({"player_0": 1, "player_1": 0})
    assert env.state() == observations["player_1"] == 2 and isinstance(env.state(), np.int64)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_rgb_array_frames_have_one_size_through_an_episode(name):
    env = MODULES[name].parallel_env(render_mode="rgb_array", **{"max_cycles": 4})
    env.reset(seed=0)
    frames = [env.render()]
    while env.agents:
        env.step({agent: env.action_space(agent).sample() for agent in env.agents})
        frames.append(env.render())
    assert len({frame.shape for frame in frames}) == 1
    assert all(frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3 for frame in frames)


def test_spin_game_frame_shows_the_spins():
    env = spin_game.parallel_env(side=3, n_agents=3, render_mode="rgb_array")
    env.reset(seed=2)
    frame, size = env.render(), env.cell_size
    centres = frame[size // 2 :: size, size // 2 :: size]
    expected = np.where((env.state().reshape(3, 3) > 0)[..., None], 250, 30)
    np.testing.assert_array_equal(centres, np.broadcast_to(expected, (3, 3, 3)))


def test_every_listed_pettingzoo_env_has_an_aec_factory():
    for env_id, (entry_point, _) in PETTINGZOO_ENVS.items():
        module_name, _, factory = entry_point.partition(":")
        assert factory == "parallel_env", env_id
        assert module_name.rsplit(".", 1)[1] in MODULES, env_id
