"""Per-stream random numbers for jitted kernels: one xoshiro256** generator per replica/chain.

Every replica (or Markov chain) owns one row of a ``(n_streams, 4) uint64`` state array, seeded from the
caller's seed through ``numpy.random.SeedSequence``. Stream ``i`` depends only on ``(seed, i)``: results do
not depend on how many threads a ``prange`` loop uses, nor on how many other streams exist.

xoshiro256** (Blackman & Vigna, "Scrambled linear pseudorandom number generators", 2021) passes BigCrush;
doubles take the top 53 bits. The Python wrappers seed; the ``@njit`` functions only advance states.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from boltzgym.utils.jit import start_numba_runtime

start_numba_runtime()  # numba's one-time start-up at import, not in the first call

_ROT_7 = np.uint64(7)
_ROT_45 = np.uint64(45)
_ROT_17 = np.uint64(17)
_SHIFT_11 = np.uint64(11)
_FIVE = np.uint64(5)
_NINE = np.uint64(9)
TWO_POW_MINUS_53 = 1.0 / 9007199254740992.0  # 2**-53: 53 random bits to a uniform double in [0, 1)


def make_streams(seed: int | None, n_streams: int) -> np.ndarray:
    """Seed ``n_streams`` independent generators; returns a ``(n_streams, 4) uint64`` state array.

    ``seed=None`` draws fresh entropy from the OS. Row ``i`` is the same for a given seed whatever
    ``n_streams`` is (SeedSequence output is prefix-stable).
    """
    if n_streams < 1:
        raise ValueError(f"n_streams must be >= 1, got {n_streams}")
    words = np.random.SeedSequence(seed).generate_state(4 * n_streams, dtype=np.uint64)
    states = words.reshape(n_streams, 4).copy()
    states[np.all(states == 0, axis=1), 0] = 1  # the all-zero state is the one fixed point
    return states


@njit(cache=True, inline="always")
def _rotl(x, k):
    return (x << k) | (x >> (np.uint64(64) - k))


@njit(cache=True, inline="always")
def xoshiro_step(s0, s1, s2, s3):
    """One xoshiro256** step on four uint64 words: returns ``(output, s0, s1, s2, s3)``."""
    result = _rotl(s1 * _FIVE, _ROT_7) * _NINE
    t = s1 << _ROT_17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, _ROT_45)
    return result, s0, s1, s2, s3


@njit(cache=True)
def next_uint64(states, stream):
    """Advance ``states[stream]`` (uint64[4]) and return the next 64-bit output."""
    result, s0, s1, s2, s3 = xoshiro_step(states[stream, 0], states[stream, 1], states[stream, 2], states[stream, 3])
    states[stream, 0] = s0
    states[stream, 1] = s1
    states[stream, 2] = s2
    states[stream, 3] = s3
    return result


@njit(cache=True)
def next_double(states, stream):
    """A uniform double in [0, 1) from ``states[stream]`` (53 random bits)."""
    return float(next_uint64(states, stream) >> _SHIFT_11) * TWO_POW_MINUS_53


@njit(cache=True)
def next_below(states, stream, n):
    """A uniform integer in [0, n) (n >= 1), by multiply-shift on 53-bit doubles (bias < n / 2**53)."""
    return int(next_double(states, stream) * n)


@njit(cache=True)
def next_normal(states, stream):
    """A standard normal draw (Box–Muller, one of the pair)."""
    u1 = 1.0 - next_double(states, stream)  # in (0, 1]
    u2 = next_double(states, stream)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


@njit(cache=True, inline="always")
def next_double_words(s0, s1, s2, s3):
    """``next_double`` on a state held in four local uint64 words: returns ``(u, s0, s1, s2, s3)``.

    Same sequence as ``next_double`` on a row of the state array; hot loops load a row into locals once,
    call this, and store the words back, so the state stays in registers instead of memory.
    """
    result, s0, s1, s2, s3 = xoshiro_step(s0, s1, s2, s3)
    return float(result >> _SHIFT_11) * TWO_POW_MINUS_53, s0, s1, s2, s3


@njit(cache=True, inline="always")
def next_uint53_words(s0, s1, s2, s3):
    """The 53 random bits behind ``next_double_words``: returns ``(m, s0, s1, s2, s3)``, ``m`` uint64 in
    ``[0, 2**53)`` with ``next_double_words``'s ``u == m * 2**-53`` exactly, so ``u < p`` holds exactly when
    ``m < ceil(p * 2**53)`` (see ``uint53_threshold``): hot loops compare integers instead of converting.
    """
    result, s0, s1, s2, s3 = xoshiro_step(s0, s1, s2, s3)
    return result >> _SHIFT_11, s0, s1, s2, s3


@njit(cache=True, inline="always")
def uint53_threshold(p):
    """``ceil(p * 2**53)`` as uint64 for a probability ``0 <= p <= 1``: ``m < uint53_threshold(p)`` exactly when
    ``m * 2**-53 < p`` for every integer ``m`` in ``[0, 2**53)`` (scaling by a power of two is exact)."""
    return np.uint64(np.ceil(p * 9007199254740992.0))
