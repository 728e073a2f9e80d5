"""Jitted Houdayer isoenergetic cluster moves (arithmetic only; no validation).

Conventions of ``boltzgym.sims._kernels``: spins int8 ``(R, N)`` in {-1, +1}; local fields ``fields (R, N)``
(float64, or int64 for integer models) and ``energies (R,)`` kept up to date by every flip (``dE = 2 s_i f_i``);
couplings CSR (``indptr`` uint64 ``(N + 1,)``, ``indices`` uint32, ``data`` of the fields' dtype). ``pairs``
int64 ``(P, 2)`` lists the replicas paired at one temperature; ``rng`` uint64 ``(1, 4)``, one xoshiro256** stream
(``boltzgym.utils.rng``) drawn in pair order, so the result depends only on the seed.

One move on a pair ``(a, b)`` (Houdayer, Eur. Phys. J. B 22, 479, 2001): the sites where the replicas differ
(``s_a s_b = -1``) split into clusters connected by nonzero couplings; one site is drawn uniformly among them, and
its whole cluster is flipped in both replicas. ``E_a + E_b`` is unchanged (every bond leaving the cluster joins a
site where the replicas agree), the set of differing sites too, so the reverse move has the same probability: the
move keeps ``exp(-beta (E_a + E_b))`` invariant and is always accepted.
"""

from __future__ import annotations

from numba import njit

from boltzgym.utils.rng import next_double


@njit(cache=True)
def houdayer_moves(states, fields, energies, pairs, indptr, indices, data, rng, stack, members, mark, flipped):
    """One cluster move per row of ``pairs``, in place. ``stack`` and ``members`` int64 ``(N,)`` are scratch
    space, ``mark`` bool ``(N,)`` all False (and left so); ``flipped`` int64 ``(P,)`` receives each cluster's size
    (0 when the replicas are equal or opposite everywhere: no move)."""
    n = states.shape[1]
    for p in range(pairs.shape[0]):
        a, b = pairs[p, 0], pairs[p, 1]
        differing = 0
        for i in range(n):
            if states[a, i] != states[b, i]:
                differing += 1
        flipped[p] = 0
        if differing == 0 or differing == n:
            continue
        target = int(next_double(rng, 0) * differing)
        seed_site = 0
        for i in range(n):
            if states[a, i] != states[b, i]:
                if target == 0:
                    seed_site = i
                    break
                target -= 1
        # grow the cluster of differing sites around seed_site (depth-first), then flip it in both replicas
        top, size = 1, 0
        stack[0] = seed_site
        mark[seed_site] = True
        while top > 0:
            top -= 1
            i = stack[top]
            members[size] = i
            size += 1
            for k in range(indptr[i], indptr[i + 1]):
                j = indices[k]
                if data[k] != 0 and not mark[j] and states[a, j] != states[b, j]:
                    mark[j] = True
                    stack[top] = j
                    top += 1
        for m in range(size):
            i = members[m]
            mark[i] = False
            for r in (a, b):
                spin = states[r, i]
                energies[r] += 2 * spin * fields[r, i]
                for k in range(indptr[i], indptr[i + 1]):
                    fields[r, indices[k]] -= 2 * spin * data[k]
                states[r, i] = -spin
        flipped[p] = size
