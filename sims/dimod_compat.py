"""dwave-neal's sampler on our kernels: a ``dimod.Sampler`` returning ``dimod.SampleSet``s.

dimod writes ``E(s) = sum_i h_i s_i + sum_(i<j) J_ij s_i s_j`` (a positive ``J`` is antiferromagnetic),
the opposite sign of ``boltzgym.sims.ising``; the conversion happens here, and the sample sets carry dimod's
energies (computed by dimod from the BQM). Code written for ``neal.SimulatedAnnealingSampler`` runs unchanged::

    from boltzgym.sims import SimulatedAnnealingSampler   # instead of: from neal import SimulatedAnnealingSampler
    sampleset = SimulatedAnnealingSampler().sample_ising({0: 0.5}, {(0, 1): -1.0}, num_reads=10, seed=1)
    sampleset.first.sample, sampleset.first.energy, sampleset.record.sample

As neal does, a model without variables (an empty BQM, or one with only an offset) gives ``num_reads`` (by
default one) empty samples whose energy is the offset: Ocean composites such as dwave-preprocessing's
``FixVariablesComposite`` hand their child such a model when every variable is fixed. ``num_sweeps=0`` returns
the initial states. An unknown keyword argument draws dimod's ``SamplerUnknownArgWarning`` and is ignored
(dimod's convention for samplers).

Two parameters beyond neal's: ``method`` (``"auto"``: the multi-spin kernel of ``boltzgym.sims.multispin`` when
the model qualifies and ``num_reads >= MULTISPIN_MIN_READS``, else single-spin Metropolis; or ``"metropolis"``,
``"glauber"``, ``"multispin"``) and ``parallel`` (as in ``anneal``).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from numbers import Integral

import dimod
import numpy as np
import scipy.sparse as sp

from boltzgym.sims._engine import check_memory
from boltzgym.sims.annealing import anneal
from boltzgym.sims.ising import IsingModel
from boltzgym.sims.multispin import multispin_reason
from boltzgym.sims.schedules import check_beta_range, check_custom_schedule, default_beta_range

__all__ = ["SimulatedAnnealingSampler", "ising_model_from_bqm", "ising_model_from_dimod", "sample_ising", "sample_qubo"]

_DENSE_FRACTION = 0.25
# method="auto" runs the multi-spin kernel from this many reads: one word of 64 reads costs about as much as
# 6 single-spin reads, so below ~16 reads (or one core's share of them) the single-spin kernel is as fast.
MULTISPIN_MIN_READS = 32
_METHODS = ("auto", "metropolis", "glauber", "multispin")


def _couplings_matrix(rows, cols, values, fields, n) -> IsingModel:
    """Our ``IsingModel`` from dimod biases (pairs once each): ``J' = -J_dimod`` symmetrized, ``h' = -h``."""
    values = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(values)) or not np.all(np.isfinite(fields)):
        raise ValueError("h and J must hold finite biases")
    couplings = sp.coo_matrix((-np.r_[values, values], (np.r_[rows, cols], np.r_[cols, rows])), shape=(n, n)).tocsr()
    if couplings.nnz > _DENSE_FRACTION * n * n:
        couplings = couplings.toarray()
    return IsingModel(couplings, -np.asarray(fields, dtype=np.float64))


def ising_model_from_bqm(bqm: dimod.BinaryQuadraticModel) -> tuple[IsingModel, list]:
    """``(IsingModel, variables)`` of a BQM's spin form (column ``k`` of our states is ``variables[k]``).

    Raises ``ValueError`` for a model without variables (``SimulatedAnnealingSampler`` answers those itself)."""
    spin = bqm.spin
    variables = list(spin.variables)
    if not variables:
        raise ValueError("the model has no variables: there is nothing to sample")
    linear, (rows, cols, values), _ = spin.to_numpy_vectors(variable_order=variables)
    return _couplings_matrix(rows, cols, values, linear, len(variables)), variables


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
    return _couplings_matrix(rows_array, cols_array, values, fields, n), list(index)


def _schedule(
    model, num_sweeps, num_sweeps_per_beta, beta_range, beta_schedule_type, beta_schedule
) -> tuple[np.ndarray, tuple[float, float]]:
    """The betas of one read (each repeated ``num_sweeps_per_beta`` times; none for ``num_sweeps=0``) and the
    ``(hot, cold)`` range they span, refusing what neal refuses."""
    if isinstance(num_sweeps_per_beta, bool) or not isinstance(num_sweeps_per_beta, Integral):
        raise TypeError(f"num_sweeps_per_beta must be a positive integer, got {num_sweeps_per_beta!r}")
    if num_sweeps_per_beta < 1:
        raise ValueError(f"num_sweeps_per_beta must be a positive integer, got {num_sweeps_per_beta}")
    if num_sweeps is not None and (isinstance(num_sweeps, bool) or not isinstance(num_sweeps, Integral)):
        raise TypeError(f"num_sweeps must be a non-negative integer, got {num_sweeps!r}")
    if beta_schedule_type == "custom":
        if beta_schedule is None:
            raise ValueError("beta_schedule must be given when beta_schedule_type='custom'")
        betas = check_custom_schedule(beta_schedule, "beta_schedule")
        if num_sweeps is not None and num_sweeps != betas.size * num_sweeps_per_beta:
            raise ValueError(
                f"num_sweeps must equal len(beta_schedule) * num_sweeps_per_beta = "
                f"{betas.size * num_sweeps_per_beta} with a custom schedule, got {num_sweeps}"
            )
        if beta_range is not None and (beta_range[0] != betas[0] or beta_range[-1] != betas[-1]):
            raise ValueError("beta_range must match the first and last betas of a custom beta_schedule (or be None)")
    elif beta_schedule_type in ("geometric", "linear"):
        if beta_schedule is not None:
            raise ValueError(f"beta_schedule is only used with beta_schedule_type='custom', got {beta_schedule_type!r}")
        num_sweeps = 1000 if num_sweeps is None else num_sweeps
        if num_sweeps < 0:
            raise ValueError(f"num_sweeps must be >= 0, got {num_sweeps}")
        if num_sweeps % num_sweeps_per_beta:
            raise ValueError(
                f"num_sweeps must be divisible by num_sweeps_per_beta, got {num_sweeps} and {num_sweeps_per_beta}"
            )
        if beta_range is not None and (np.ndim(beta_range) != 1 or len(beta_range) != 2):
            raise ValueError(f"beta_range must be a (hot, cold) pair of betas, got {beta_range!r}")
        low, high = default_beta_range(model) if beta_range is None else check_beta_range(beta_range)
        num_betas = num_sweeps // num_sweeps_per_beta
        if beta_schedule_type == "geometric":
            if low <= 0:
                raise ValueError(f"beta_range must have beta_min > 0 for a geometric schedule, got {low}")
            betas = np.geomspace(low, high, num_betas) if num_betas > 1 else np.array([high] * num_betas)
        else:
            betas = np.linspace(low, high, num_betas) if num_betas > 1 else np.array([high] * num_betas)
        if num_betas == 0:  # num_sweeps=0: no sweep; the range is reported as neal reports it
            return np.empty(0), (float(low), float(high))
    else:
        raise ValueError(f"beta_schedule_type must be 'geometric', 'linear' or 'custom', got {beta_schedule_type!r}")
    return np.repeat(betas, num_sweeps_per_beta), (float(betas[0]), float(betas[-1]))


def _initial_states(initial_states, generator, num_reads, variables, vartype, seed) -> np.ndarray | None:
    """``initial_states`` (anything ``dimod.as_samples`` reads) as int8 spins ``(num_reads, n)`` in our column
    order, expanded as neal does: ``"random"`` fills missing rows at random, ``"tile"`` repeats, ``"none"``
    refuses fewer rows than ``num_reads``; extra rows are dropped."""
    if generator not in ("none", "tile", "random"):
        raise ValueError(f"initial_states_generator must be 'none', 'tile' or 'random', got {generator!r}")
    if initial_states is None or (hasattr(initial_states, "__len__") and len(initial_states) == 0):
        if generator == "none":
            raise ValueError("initial_states_generator='none' needs initial_states")
        return None
    array, labels = dimod.as_samples(initial_states)
    if set(labels) != set(variables):
        raise ValueError("initial_states must have exactly the model's variables")
    array = array[:, [list(labels).index(v) for v in variables]] if list(labels) != variables else array
    spins = (2 * array - 1 if vartype is dimod.BINARY else array).astype(np.int8)
    if not np.all(np.abs(spins) == 1):
        raise ValueError(f"initial_states must hold {'0/1' if vartype is dimod.BINARY else '-1/+1'} values")
    if spins.shape[0] >= num_reads:
        return np.ascontiguousarray(spins[:num_reads])
    if generator == "none":
        raise ValueError(f"initial_states has {spins.shape[0]} rows, fewer than num_reads={num_reads}")
    if generator == "tile":
        return np.ascontiguousarray(np.resize(spins, (num_reads, spins.shape[1])))
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[1])
    extra = rng.choice(np.array([-1, 1], dtype=np.int8), size=(num_reads - spins.shape[0], spins.shape[1]))
    return np.concatenate([spins, extra])


class SimulatedAnnealingSampler(dimod.Sampler):
    """Simulated annealing as ``neal.SimulatedAnnealingSampler`` (same parameters, same refusals), on
    boltzgym's kernels (all cores, and 64 reads per word on +-1 models).

    Example:
        >>> sampleset = SimulatedAnnealingSampler().sample_ising({}, {(0, 1): -1.0}, num_reads=4, seed=0)
        >>> sampleset.first.energy
        -1.0
    """

    parameters = {
        "beta_range": [],
        "num_reads": [],
        "num_sweeps": [],
        "num_sweeps_per_beta": [],
        "beta_schedule_type": ["beta_schedule_options"],
        "beta_schedule": [],
        "seed": [],
        "initial_states": [],
        "initial_states_generator": [],
        "randomize_order": [],
        "proposal_acceptance_criteria": [],
        "method": ["method_options"],
        "parallel": [],
        "interrupt_function": [],
    }
    properties = {"beta_schedule_options": ("linear", "geometric", "custom"), "method_options": _METHODS}

    def sample(
        self,
        bqm: dimod.BinaryQuadraticModel,
        beta_range=None,
        num_reads: int | None = None,
        num_sweeps: int | None = None,
        num_sweeps_per_beta: int = 1,
        beta_schedule_type: str = "geometric",
        seed: int | None = None,
        initial_states=None,
        initial_states_generator: str = "random",
        randomize_order: bool = False,
        proposal_acceptance_criteria: str = "Metropolis",
        beta_schedule=None,
        method: str = "auto",
        parallel: bool | None = None,
        interrupt_function=None,
        **kwargs,
    ) -> dimod.SampleSet:
        """Anneal ``bqm`` (SPIN or BINARY) ``num_reads`` times; returns a ``dimod.SampleSet`` in ``bqm``'s vartype
        with ``info`` holding ``beta_range``, ``beta_schedule_type``, ``method``, ``timing``.

        ``interrupt_function`` (as neal's): called with no arguments after each read (after each word of 64
        reads with ``method="multispin"``); when it returns True the reads done so far are returned. The reads
        then run one batch at a time, each batch seeded from ``seed``: reproducible, but not the same samples as
        the all-at-once run of the same seed (whose reads share one schedule of per-read streams)."""
        self.remove_unknown_kwargs(**kwargs)  # dimod's convention: a SamplerUnknownArgWarning each, then go on
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, Integral) or not 0 <= seed < 2**32):
            raise ValueError(f"seed must be an integer in [0, 2**32) or None, got {seed!r}")
        if proposal_acceptance_criteria not in ("Metropolis", "Gibbs"):
            raise ValueError(f"proposal_acceptance_criteria must be 'Metropolis' or 'Gibbs', got "
                             f"{proposal_acceptance_criteria!r}")  # fmt: skip
        if method not in _METHODS:
            raise ValueError(f"method must be one of {list(_METHODS)}, got {method!r}")
        if num_reads is not None and (
            isinstance(num_reads, bool) or not isinstance(num_reads, Integral) or num_reads < 1
        ):
            raise ValueError(f"num_reads must be a positive integer, got {num_reads!r}")
        if bqm.num_variables == 0:  # neal's answer: num_reads empty samples (1 by default), energy the offset
            rows = 1 if num_reads is None else int(num_reads)
            info = {"beta_range": beta_range, "beta_schedule_type": beta_schedule_type, "method": None,
                    "timing": {"seconds": 0.0, "attempts_per_second": 0.0}}  # fmt: skip
            return dimod.SampleSet.from_samples_bqm((np.empty((rows, 0), dtype=np.int8), []), bqm, info=info)
        model, variables = ising_model_from_bqm(bqm)
        betas, schedule_range = _schedule(
            model, num_sweeps, num_sweeps_per_beta, beta_range, beta_schedule_type, beta_schedule
        )
        if num_reads is None:  # one read per initial state (``as_samples`` counts the rows of every accepted form)
            given = 0 if initial_states is None else dimod.as_samples(initial_states)[0].shape[0]
            num_reads = given or 1
        check_memory("sample", {"num_reads": int(num_reads) * len(variables) * (1 + 8 + 8 + 1 + 8)})
        states = _initial_states(initial_states, initial_states_generator, num_reads, variables, bqm.vartype, seed)
        if method == "auto":
            multispin = (
                proposal_acceptance_criteria == "Metropolis"
                and not randomize_order
                and num_reads >= MULTISPIN_MIN_READS
                and multispin_reason(model) is None
            )
            method = "multispin" if multispin else "metropolis"
        if proposal_acceptance_criteria == "Gibbs":
            if method == "multispin":
                raise ValueError("method='multispin' is Metropolis only; proposal_acceptance_criteria='Gibbs' needs "
                                 "method='auto' or 'glauber'")  # fmt: skip
            method = "glauber"
        if interrupt_function is not None and not callable(interrupt_function):
            raise TypeError(f"interrupt_function must be callable or None, got {type(interrupt_function).__name__}")
        num_reads = int(num_reads)
        if betas.size == 0:  # num_sweeps=0: the initial states, as neal returns them
            if states is None:
                rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[1])
                states = rng.choice(np.array([-1, 1], dtype=np.int8), size=(num_reads, len(variables)))
            samples = states if bqm.vartype is dimod.SPIN else (states + 1) // 2
            info = {"beta_range": schedule_range, "beta_schedule_type": beta_schedule_type, "method": method,
                    "timing": {"seconds": 0.0, "attempts_per_second": 0.0}}  # fmt: skip
            return dimod.SampleSet.from_samples_bqm((samples, variables), bqm, info=info)
        batch = num_reads if interrupt_function is None else (64 if method == "multispin" else 1)
        starts = range(0, num_reads, batch)
        # batched reads draw their seeds from ``seed`` whatever their count, so a run cut short repeats the first
        # batches of a longer one (a single batch seeded by ``seed`` itself would break that for num_reads=1)
        seeds = [seed]
        if interrupt_function is not None:
            seeds = np.random.SeedSequence(seed).generate_state(len(starts)).tolist()
        results = []
        for start, batch_seed in zip(starts, seeds, strict=True):
            stop = min(start + batch, num_reads)
            results.append(anneal(model, num_reads=stop - start, betas=betas, method=method,
                                  order="random" if randomize_order else "sequential",
                                  initial_states=None if states is None else states[start:stop],
                                  seed=batch_seed, parallel=parallel))  # fmt: skip
            if interrupt_function is not None and interrupt_function():
                break
        final_states = np.concatenate([result.states for result in results])
        samples = final_states if bqm.vartype is dimod.SPIN else (final_states + 1) // 2
        seconds = sum(result.seconds for result in results)
        attempts = sum(result.n_attempts for result in results)
        info = {
            "beta_range": schedule_range,
            "beta_schedule_type": beta_schedule_type,
            "method": method,
            "timing": {"seconds": seconds, "attempts_per_second": attempts / seconds if seconds > 0 else float("inf")},
        }
        return dimod.SampleSet.from_samples_bqm((samples, variables), bqm, info=info)


def sample_ising(h, J: Mapping, **parameters) -> dimod.SampleSet:
    """``SimulatedAnnealingSampler().sample_ising(h, J, **parameters)`` (dimod's convention; see the class)."""
    return SimulatedAnnealingSampler().sample_ising(h, J, **parameters)


def sample_qubo(Q: Mapping, **parameters) -> dimod.SampleSet:
    """``SimulatedAnnealingSampler().sample_qubo(Q, **parameters)``: 0/1 samples of ``E = sum Q_uv x_u x_v``."""
    return SimulatedAnnealingSampler().sample_qubo(Q, **parameters)
