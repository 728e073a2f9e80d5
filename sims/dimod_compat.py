"""A dwave-neal compatible entry point: ``sample_ising(h, J, ...)`` with dimod's energy convention.

dimod writes ``E(s) = sum_i h_i s_i + sum_(i<j) J_ij s_i s_j`` (a positive ``J`` is antiferromagnetic),
the opposite sign of ``boltzgym.sims.ising``; the conversion happens here, so the energies returned are
dimod's (and equal to ours for the converted model). A neal user switches with one import::

    from boltzgym.sims import sample_ising      # instead of neal.SimulatedAnnealingSampler().sample_ising
    result = sample_ising({0: 0.5}, {(0, 1): -1.0}, num_reads=10, num_sweeps=1000, seed=1)
    result.samples, result.energies, result.variables
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from boltzgym.sims.annealing import anneal
from boltzgym.sims.ising import IsingModel
from boltzgym.sims.schedules import check_beta_range, check_custom_schedule, default_beta_range
from boltzgym.utils.validation import check_int

__all__ = ["IsingSampleSet", "ising_model_from_dimod", "sample_ising"]

_DENSE_FRACTION = 0.25


class Sample(NamedTuple):
    """One sample as ``{variable: spin}`` with its energy (like ``dimod.SampleSet.first``)."""

    sample: dict
    energy: float


@dataclass
class IsingSampleSet:
    """What ``sample_ising`` returns.

    Attributes:
        samples: int8 ``(num_reads, n)`` spins; column ``k`` is variable ``variables[k]``.
        energies: dimod-convention energies ``(num_reads,)``.
        variables: the variable labels, in column order.
        info: timing (``seconds``, ``attempts_per_second``) and the ``beta_schedule`` used.
    """

    samples: np.ndarray
    energies: np.ndarray
    variables: list
    info: dict

    @property
    def first(self) -> Sample:
        """The lowest-energy sample, as ``dimod.SampleSet.first``."""
        best = int(np.argmin(self.energies))
        return Sample(dict(zip(self.variables, self.samples[best].tolist())), float(self.energies[best]))

    def __len__(self) -> int:
        return self.samples.shape[0]


def ising_model_from_dimod(h, J: Mapping) -> tuple[IsingModel, list]:
    """Convert dimod-style ``h`` (dict or sequence) and ``J`` (dict of pairs) into ``(IsingModel, variables)``.

    Variables are ordered as dimod does: those of ``h`` first, then new ones as they appear in ``J``. Both
    ``(u, v)`` and ``(v, u)`` may appear; their biases add. Couplings go dense when more than a quarter of
    all pairs are present, else sparse.
    """
    if isinstance(h, Mapping):
        linear = dict(h)
    else:
        try:
            linear = dict(enumerate(h))
        except TypeError as exc:
            raise TypeError(f"h must be a dict or a sequence of fields, got {type(h).__name__}") from exc
    if not isinstance(J, Mapping):
        raise TypeError(f"J must be a dict mapping (u, v) pairs to couplings, got {type(J).__name__}")
    index: dict[Hashable, int] = {}
    for variable in linear:
        index.setdefault(variable, len(index))
    rows, cols, values = [], [], []
    for pair, bias in J.items():
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise ValueError(f"J keys must be (u, v) pairs, got {pair!r}")
        u, v = pair
        if u == v:
            raise ValueError(f"J must not couple a variable to itself, got {pair!r}")
        rows.append(index.setdefault(u, len(index)))
        cols.append(index.setdefault(v, len(index)))
        values.append(float(bias))
    n = len(index)
    if n == 0:
        raise ValueError("h and J are both empty: there is nothing to sample")
    fields = np.zeros(n)
    for variable, bias in linear.items():
        fields[index[variable]] = float(bias)
    rows_array, cols_array = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    values_array = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(values_array)) or not np.all(np.isfinite(fields)):
        raise ValueError("h and J must hold finite biases")
    # ours: E = -sum_(i<j) J'_ij s_i s_j - h'.s, so J' = -J_dimod (symmetrized) and h' = -h_dimod.
    couplings = sp.coo_matrix(
        (-np.r_[values_array, values_array], (np.r_[rows_array, cols_array], np.r_[cols_array, rows_array])),
        shape=(n, n),
    ).tocsr()
    if couplings.nnz > _DENSE_FRACTION * n * n:
        couplings = couplings.toarray()
    return IsingModel(couplings, -fields), list(index)


def sample_ising(
    h,
    J: Mapping,
    num_reads: int = 1,
    num_sweeps: int = 1000,
    num_sweeps_per_beta: int = 1,
    beta_range=None,
    beta_schedule_type: str = "geometric",
    beta_schedule=None,
    seed: int | None = None,
    initial_states=None,
    parallel: bool | None = None,
) -> IsingSampleSet:
    """Simulated annealing with dwave-neal's ``sample_ising`` signature and dimod's energy convention.

    Args:
        h: linear biases, a dict ``{variable: bias}`` or a sequence (variables ``0..n-1``).
        J: quadratic biases ``{(u, v): bias}``.
        num_reads: independent annealing runs (neal's default 1).
        num_sweeps: total sweeps per read (neal's default 1000).
        num_sweeps_per_beta: sweeps at each beta; the schedule has ``num_sweeps // num_sweeps_per_beta`` betas.
        beta_range: ``(hot, cold)`` betas; default as neal (``default_beta_range``).
        beta_schedule_type: ``"geometric"`` (default), ``"linear"`` or ``"custom"``.
        beta_schedule: the betas for ``"custom"`` (each held for ``num_sweeps_per_beta`` sweeps).
        seed: random seed (same seed, same samples).
        initial_states: optional ``(num_reads, n)`` spins in ``variables`` order.
        parallel: run reads on all cores (neal runs them on one); ``None`` (default) decides by the work.

    Returns:
        An ``IsingSampleSet`` with ``samples``, ``energies`` and ``variables``.
    """
    model, variables = ising_model_from_dimod(h, J)
    num_reads = check_int("num_reads", num_reads, minimum=1)
    num_sweeps_per_beta = check_int("num_sweeps_per_beta", num_sweeps_per_beta, minimum=1)
    if beta_schedule_type == "custom":
        if beta_schedule is None:
            raise ValueError("beta_schedule must be given when beta_schedule_type='custom'")
        betas = check_custom_schedule(beta_schedule, "beta_schedule")
    elif beta_schedule_type in ("geometric", "linear"):
        if beta_schedule is not None:
            raise ValueError(f"beta_schedule is only used with beta_schedule_type='custom', got {beta_schedule_type!r}")
        num_sweeps = check_int("num_sweeps", num_sweeps, minimum=1)
        low, high = default_beta_range(model) if beta_range is None else check_beta_range(beta_range)
        num_betas = max(1, num_sweeps // num_sweeps_per_beta)
        if beta_schedule_type == "geometric":
            if low <= 0:
                raise ValueError(f"beta_range must have beta_min > 0 for a geometric schedule, got {low}")
            betas = np.geomspace(low, high, num_betas)
        else:
            betas = np.linspace(low, high, num_betas)
    else:
        raise ValueError(f"beta_schedule_type must be 'geometric', 'linear' or 'custom', got {beta_schedule_type!r}")
    result = anneal(
        model,
        n_reads=num_reads,
        betas=np.repeat(betas, num_sweeps_per_beta),
        initial_states=initial_states,
        seed=seed,
        parallel=parallel,
    )
    info = {
        "seconds": result.seconds,
        "attempts_per_second": result.attempts_per_second,
        "beta_schedule": betas,
    }
    return IsingSampleSet(result.states, result.energies, variables, info)
