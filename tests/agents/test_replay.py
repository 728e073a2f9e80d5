"""The replay buffer: storage, uniform sampling, hand-computed n-step returns, persistence."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from boltzgym.agents.replay import ReplayBuffer


def _fill(buffer: ReplayBuffer, rewards, terminated=(), truncated=()) -> None:
    """One env; observation t is [t], next observation [t + 0.5]."""
    for t, reward in enumerate(rewards):
        buffer.add(
            np.array([[t]], dtype=np.float32),
            np.array([t % 2]),
            np.array([reward]),
            np.array([[t + 0.5]], dtype=np.float32),
            np.array([t in terminated]),
            np.array([t in truncated]),
        )


_META = {"capacity": 4, "n_envs": 1, "n_step": 2, "gamma": 0.5, "position": 3, "full": False}


def _at(buffer: ReplayBuffer, rows):
    rows = np.asarray(rows)
    return buffer.gather(rows, np.zeros_like(rows))


def test_n_step_returns_match_hand_computed_values():
    buffer = ReplayBuffer(8, (1,), n_step=3, gamma=0.5)
    # rewards 1, 2, 4 (terminates at t=2), 8, 16 (truncated at t=4), 32 (newest)
    _fill(buffer, [1, 2, 4, 8, 16, 32], terminated={2}, truncated={4})
    batch = _at(buffer, [0, 1, 2, 3, 4, 5])
    np.testing.assert_allclose(batch.returns, [1 + 0.5 * 2 + 0.25 * 4, 2 + 0.5 * 4, 4, 8 + 0.5 * 16, 16, 32])
    np.testing.assert_allclose(batch.discounts, [0, 0, 0, 0.25, 0.5, 0.5])  # gamma^m, 0 after a termination
    np.testing.assert_allclose(batch.next_obs[:, 0], [2.5, 2.5, 2.5, 4.5, 4.5, 5.5])
    np.testing.assert_allclose(batch.obs[:, 0], [0, 1, 2, 3, 4, 5])
    np.testing.assert_array_equal(batch.actions, [0, 1, 0, 1, 0, 1])


def test_one_step_returns_are_the_q_learning_target_terms():
    buffer = ReplayBuffer(8, (1,), n_step=1, gamma=0.5)
    _fill(buffer, [1, 2, 4], terminated={2})
    batch = _at(buffer, [0, 1, 2])
    np.testing.assert_allclose(batch.returns, [1, 2, 4])
    np.testing.assert_allclose(batch.discounts, [0.5, 0.5, 0.0])
    np.testing.assert_allclose(batch.next_obs[:, 0], [0.5, 1.5, 2.5])


def test_n_step_windows_wrap_around_the_ring_but_stop_at_the_newest_step():
    buffer = ReplayBuffer(4, (1,), n_step=3, gamma=0.5)
    _fill(buffer, [1, 2, 4, 8, 16, 32])  # t=0, 1 overwritten: rows hold t = 4, 5, 2, 3
    assert buffer.full and buffer.position == 2 and len(buffer) == 4
    batch = _at(buffer, [2, 3, 0, 1])  # t = 2, 3, 4, 5
    np.testing.assert_allclose(batch.obs[:, 0], [2, 3, 4, 5])
    np.testing.assert_allclose(batch.returns, [4 + 0.5 * 8 + 0.25 * 16, 8 + 0.5 * 16 + 0.25 * 32, 16 + 0.5 * 32, 32])
    np.testing.assert_allclose(batch.discounts, [0.125, 0.125, 0.25, 0.5])
    np.testing.assert_allclose(batch.next_obs[:, 0], [4.5, 5.5, 5.5, 5.5])


def _reference_batch(buffer: ReplayBuffer, rows, envs):
    """The n-step targets by their definition, one sample at a time: from step t, add gamma^k r_{t+k} while step
    t + k is stored and no episode ended at t..t+k-1; bootstrap from the last step's next observation."""
    newest = buffer.position - 1
    returns, discounts, next_obs, masks = [], [], [], []
    for row, env in zip(rows, envs):
        total, k, step = 0.0, 0, row
        while True:
            total += buffer.gamma**k * float(buffer.rewards[step, env])
            k += 1
            if k == buffer.n_step or step == newest % buffer.capacity or buffer.episode_ends[step, env]:
                break
            step = (step + 1) % buffer.capacity
        returns.append(total)
        discounts.append(0.0 if buffer.terminated[step, env] else buffer.gamma**k)
        next_obs.append(buffer.next_observations[step, env])
        masks.append(buffer.next_action_masks[step, env])
    return np.array(returns), np.array(discounts), np.array(next_obs), np.array(masks)


@pytest.mark.parametrize(
    ("capacity", "n_envs", "n_step", "steps"), [(50, 3, 3, 130), (7, 2, 1, 20), (5, 2, 9, 23), (5, 2, 9, 25)]
)
def test_gather_equals_the_n_step_definition_sample_by_sample(capacity, n_envs, n_step, steps):
    """Several envs, episode ends and truncations, a ring that wrapped (the last case back at position 0), windows
    longer than the ring (n_step 9 of 5 rows), image-shaped observations and action masks: every sampled transition
    against the per-sample definition."""
    rng = np.random.default_rng(0)
    buffer = ReplayBuffer(capacity, (2, 3), n_envs=n_envs, n_step=n_step, gamma=0.9, n_actions=4, seed=1)
    for _ in range(steps):
        shape = (n_envs, 2, 3)
        buffer.add(rng.normal(size=shape).astype(np.float32), rng.integers(0, 4, n_envs), rng.normal(size=n_envs),
                   rng.normal(size=shape).astype(np.float32), rng.random(n_envs) < 0.1, rng.random(n_envs) < 0.1,
                   next_masks=rng.random((n_envs, 4)) < 0.7)  # fmt: skip
    rows, envs = buffer._sample_steps(300)
    batch = buffer.gather(rows, envs)
    returns, discounts, next_obs, masks = _reference_batch(buffer, rows, envs)
    np.testing.assert_array_equal(batch.obs, buffer.observations[rows, envs])
    np.testing.assert_array_equal(batch.actions, buffer.actions[rows, envs])
    np.testing.assert_allclose(batch.returns, returns, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(batch.discounts, discounts, rtol=1e-6)
    np.testing.assert_array_equal(batch.next_obs, next_obs)
    np.testing.assert_array_equal(batch.next_action_masks, masks)
    assert batch.returns.dtype == batch.discounts.dtype == np.float32


def test_end_episodes_stops_n_step_windows_at_the_newest_step():
    buffer = ReplayBuffer(8, (1,), n_step=3, gamma=0.5)
    _fill(buffer, [1, 2])
    buffer.end_episodes()  # the envs are reset here: t=2 starts another episode
    buffer.add(np.array([[9]], dtype=np.float32), [0], [4], np.array([[9.5]], dtype=np.float32), [False], [False])
    batch = _at(buffer, [0, 1, 2])
    np.testing.assert_allclose(batch.returns, [1 + 0.5 * 2, 2, 4])
    np.testing.assert_allclose(batch.discounts, [0.25, 0.5, 0.5])  # cut, not terminated: still bootstrapped
    np.testing.assert_allclose(batch.next_obs[:, 0], [1.5, 1.5, 9.5])
    ReplayBuffer(4, (1,)).end_episodes()  # an empty buffer has nothing to mark


def test_sampling_draws_only_stored_transitions_uniformly():
    buffer = ReplayBuffer(100, (1,), seed=0)
    _fill(buffer, [0.0] * 5)
    observed = buffer.sample(5000).obs[:, 0]
    counts = np.bincount(observed.astype(int), minlength=5)
    assert counts.sum() == 5000 and len(counts) == 5
    assert np.all(np.abs(counts - 1000) < 4 * np.sqrt(5000 * 0.2 * 0.8))  # 4 binomial sigmas


def test_sampling_is_reproducible_for_a_seed():
    batches = []
    for _ in range(2):
        buffer = ReplayBuffer(16, (1,), seed=7)
        _fill(buffer, np.arange(10.0))
        batches.append(buffer.sample(32).obs)
    np.testing.assert_array_equal(batches[0], batches[1])


def test_invalid_entries_are_never_sampled_and_vector_columns_are_separate():
    buffer = ReplayBuffer(8, (1,), n_envs=2, n_step=2, gamma=0.5, seed=1)
    for t in range(3):
        buffer.add(
            np.array([[10 * t], [10 * t + 1]], dtype=np.float32),
            np.array([0, 1]),
            np.array([1.0, 100.0]),
            np.array([[10 * t + 5], [10 * t + 6]], dtype=np.float32),
            np.array([False, False]),
            np.array([False, False]),
            valid=np.array([True, t != 1]),
        )
    observed = set(buffer.sample(2000).obs[:, 0].tolist())
    assert observed == {0.0, 1.0, 10.0, 20.0, 21.0}  # env 1 at t=1 (obs 11) is an autoreset step
    batch = buffer.gather(np.array([0, 0]), np.array([0, 1]))
    np.testing.assert_allclose(batch.returns, [1 + 0.5 * 1, 100 + 0.5 * 100])  # each env's own column


def test_sampling_an_empty_buffer_or_a_bad_batch_size_is_refused():
    buffer = ReplayBuffer(8, (1,))
    with pytest.raises(ValueError, match="empty"):
        buffer.sample(3)
    _fill(buffer, [1.0, 2.0])
    with pytest.raises(ValueError, match="batch_size"):
        buffer.sample(0)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="capacity"):
        ReplayBuffer(0, (1,))
    with pytest.raises(ValueError, match="gamma"):
        ReplayBuffer(4, (1,), gamma=1.5)
    with pytest.raises(TypeError, match="n_step"):
        ReplayBuffer(4, (1,), n_step=2.5)


def test_save_load_round_trip_restores_data_and_sampling_state(tmp_path):
    buffer = ReplayBuffer(4, (2,), n_step=2, gamma=0.9, seed=3)
    for t in range(6):
        buffer.add(np.full((1, 2), t), [t % 3], [t], np.full((1, 2), t + 1), [t == 3], [False])
    buffer.sample(5)
    path = buffer.save(tmp_path / "replay.npz")
    restored = ReplayBuffer(4, (2,), n_step=2, gamma=0.9, seed=99).load(path)
    assert (restored.position, restored.full) == (buffer.position, buffer.full)
    first, second = buffer.sample(16), restored.sample(16)
    for name in ("obs", "actions", "returns", "next_obs", "discounts"):
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name))


def test_load_names_a_missing_or_corrupt_file(tmp_path):
    buffer = ReplayBuffer(4, (1,))
    with pytest.raises(FileNotFoundError, match="nothing.npz"):
        buffer.load(tmp_path / "nothing.npz")
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"not an npz file")
    with pytest.raises(ValueError, match="corrupt.npz"):
        buffer.load(corrupt)
    other = ReplayBuffer(8, (1,))
    _fill(other, [1.0])
    with pytest.raises(ValueError, match="capacity"):
        buffer.load(other.save(tmp_path / "other.npz"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(meta=np.array("{'capacity': 4}")), "corrupt: missing 'n_envs'"),
        (lambda d: d.pop("rewards"), "corrupt: missing 'rewards'"),
        (lambda d: d.update(rng_state=np.array("{'bit_generator': 'MT19937'}")), "corrupt: .*PCG64"),
        (lambda d: d.update(observations=d["observations"].astype(np.float64)), "observations is float64"),
        (lambda d: d.update(meta=np.array(str(_META | {"position": 9}))), "position=9"),
    ],
    ids=["meta-key", "array", "rng-state", "dtype", "position"],
)
def test_load_rejects_a_corrupt_file_by_name_and_leaves_the_buffer_unchanged(tmp_path, change, message):
    source = ReplayBuffer(4, (1,), n_step=2, gamma=0.5)
    _fill(source, [1, 2, 3])
    with np.load(source.save(tmp_path / "good.npz")) as data:
        arrays = dict(data)
    change(arrays)
    np.savez(tmp_path / "bad.npz", **arrays)
    buffer = ReplayBuffer(4, (1,), n_step=2, gamma=0.5)
    _fill(buffer, [7])
    with pytest.raises(ValueError, match=f"bad.npz.*{message}"):
        buffer.load(tmp_path / "bad.npz")
    assert (buffer.position, buffer.full) == (1, False)
    np.testing.assert_array_equal(buffer.rewards[:, 0], [7, 0, 0, 0])


def test_replay_module_does_not_import_torch():
    import subprocess

    code = "import sys, boltzgym.agents.replay\nassert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
