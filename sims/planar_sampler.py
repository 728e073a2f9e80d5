"""The exact planar ground state as a ``dimod.Sampler``: ``PlanarGroundStateSampler``.

For Ising problems on an open-boundary square lattice with no linear biases, whose variables are labelled
``(row, column)`` as ``networkx.grid_2d_graph`` labels them, the sampler returns one exact ground state
(``boltzgym.sims.planar``, minimum-weight perfect matching with PyMatching). dimod writes
``E(s) = sum_i h_i s_i + sum_(i<j) J_ij s_i s_j`` (a positive ``J`` antiferromagnetic), the opposite sign of
``boltzgym.sims.ising``; the conversion happens here, and the sample set carries dimod's energy of the BQM::

    import networkx as nx
    from boltzgym.sims.planar_sampler import PlanarGroundStateSampler
    J = {edge: 1.0 for edge in nx.grid_2d_graph(3, 4).edges}
    sampleset = PlanarGroundStateSampler().sample_ising({}, J)
    sampleset.first.energy    # -17.0: all 17 bonds satisfied

Anything else is refused before any work, with a ``ValueError`` saying why: a nonzero linear bias (a field, also
what a BINARY model's conversion to spins usually brings), a variable that is not a ``(row, column)`` pair, an
interaction that is not a lattice bond (non-planar input), or more than ``MAX_PLANAR_SITES`` sites.
"""

from __future__ import annotations

import dimod
import numpy as np

from boltzgym.sims.planar import MAX_PLANAR_SITES, planar_ground_state, planar_lattice_from_couplings

__all__ = ["PlanarGroundStateSampler"]


class PlanarGroundStateSampler(dimod.Sampler):
    """One exact ground state of a planar (open square lattice, no field) Ising problem per call.

    ``info`` holds ``exact`` (True), ``tolerance`` (how far above the minimum the energy may lie because the
    matching rounds real weights; 0 for integer couplings) and ``timing`` (seconds of the solve).

    Example:
        >>> sampler = PlanarGroundStateSampler()
        >>> J = {((0, 0), (0, 1)): 1.0, ((0, 1), (1, 1)): -1.0, ((1, 1), (1, 0)): 1.0, ((1, 0), (0, 0)): 1.0}
        >>> sampler.sample_ising({}, J).first.energy   # one frustrated plaquette: one bond stays unsatisfied
        -2.0
    """

    parameters: dict = {}
    properties: dict = {"max_sites": MAX_PLANAR_SITES}

    def sample(self, bqm: dimod.BinaryQuadraticModel, **kwargs) -> dimod.SampleSet:
        """An exact ground state of ``bqm`` (SPIN or BINARY), as a one-row ``dimod.SampleSet`` in its vartype."""
        if kwargs:
            raise TypeError(f"unknown parameters {sorted(kwargs)}; PlanarGroundStateSampler takes none")
        if len(bqm.variables) > MAX_PLANAR_SITES:
            raise ValueError(f"bqm has {len(bqm.variables)} variables, more than the {MAX_PLANAR_SITES} sites allowed")
        spin = bqm.spin
        fields = {v: bias for v, bias in spin.linear.items() if bias != 0}
        if fields:
            variable, bias = next(iter(fields.items()))
            raise ValueError(
                f"bqm has linear biases (fields), e.g. {bias!r} on {variable!r}: exact planar ground states need "
                f"h = 0 (a BINARY model's spin form usually has fields)"
            )
        variables = list(spin.variables)
        for variable in variables:
            if (
                not isinstance(variable, tuple)
                or len(variable) != 2
                or not all(isinstance(x, int | np.integer) and x >= 0 for x in variable)
            ):
                raise ValueError(f"variables must be (row, column) pairs of integers >= 0, got {variable!r}")
        if not variables:
            raise ValueError("bqm has no variables: there is nothing to sample")
        shape = (1 + max(v[0] for v in variables), 1 + max(v[1] for v in variables))
        couplings = {(u, v): -float(bias) for (u, v), bias in spin.quadratic.items()}  # our sign: J = -J_dimod
        lattice = planar_lattice_from_couplings(couplings, shape)
        result = planar_ground_state(lattice)
        row = np.array([[result.spins[v] for v in variables]], dtype=np.int8)
        samples = row if bqm.vartype is dimod.SPIN else (row + 1) // 2
        info = {"exact": True, "tolerance": result.tolerance, "timing": {"seconds": result.seconds}}
        return dimod.SampleSet.from_samples_bqm((samples, variables), bqm, info=info)
