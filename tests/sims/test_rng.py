"""The per-stream generator against a pure-Python xoshiro256** and basic distribution checks."""

from __future__ import annotations

import numpy as np
import pytest

from boltzgym.utils.rng import (
    make_streams,
    next_below,
    next_double,
    next_double_words,
    next_normal,
    next_uint53_words,
    next_uint64,
    uint53_threshold,
)

MASK = (1 << 64) - 1


def reference_xoshiro(state: list[int], n: int) -> list[int]:
    s = list(state)
    out = []
    for _ in range(n):
        rotl = lambda x, k: ((x << k) | (x >> (64 - k))) & MASK  # noqa: E731
        out.append(rotl((s[1] * 5) & MASK, 7) * 9 & MASK)
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
    return out


def test_matches_reference_implementation():
    states = make_streams(123, 3)
    expected = reference_xoshiro([int(x) for x in states[1]], 5)
    assert [int(next_uint64(states, 1)) for _ in range(5)] == expected


def test_streams_are_prefix_stable_and_seeded():
    np.testing.assert_array_equal(make_streams(7, 8)[:3], make_streams(7, 3))
    assert not np.array_equal(make_streams(7, 1), make_streams(8, 1))
    with pytest.raises(ValueError, match="n_streams"):
        make_streams(0, 0)


def test_uniform_normal_and_below_moments():
    states = make_streams(0, 1)
    u = np.array([next_double(states, 0) for _ in range(20000)])
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.01 and abs(u.var() - 1 / 12) < 0.005
    z = np.array([next_normal(states, 0) for _ in range(20000)])
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1.0) < 0.03
    k = np.array([next_below(states, 0, 6) for _ in range(12000)])
    counts = np.bincount(k, minlength=6)
    assert counts.min() > 1800 and k.max() == 5


def test_uint53_bits_are_those_behind_the_uniform():
    words = tuple(make_streams(5, 1)[0])
    for _ in range(100):
        m, *next_words = next_uint53_words(*words)
        u, *same_words = next_double_words(*words)
        assert 0 <= int(m) < 2**53 and float(int(m)) * 2.0**-53 == u
        assert next_words == same_words
        words = tuple(np.uint64(word) for word in next_words)  # Python ints would compile an int64 variant


@pytest.mark.parametrize(
    "p",
    [0.0, 1.0, 2.0**-53, 3 * 2.0**-53, 2.0**-60, 0.5, np.nextafter(0.5, 0.0), np.nextafter(0.5, 1.0),
     np.exp(-1.0), np.exp(-44.0), np.nextafter(1.0, 0.0), 1 / 3],
)  # fmt: skip
def test_integer_threshold_decides_exactly_as_the_double_comparison(p):
    threshold = int(uint53_threshold(p))
    assert 0 <= threshold <= 2**53
    # the integers around the threshold (and the ends of the range): m < threshold  <=>  m * 2**-53 < p
    candidates = {0, 1, 2**53 - 1} | {m for m in range(threshold - 2, threshold + 3) if 0 <= m < 2**53}
    for m in candidates:
        assert (m < threshold) == (m * 2.0**-53 < p), m
