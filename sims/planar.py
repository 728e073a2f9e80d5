"""Exact ground states of planar Ising models: 2D square lattices with open boundaries, no field.

An ``L x M`` lattice (``rows x cols``) has sites ``(r, c)`` labelled as ``networkx.grid_2d_graph(L, M)`` labels them;
as a flat vector (``IsingModel``) site ``(r, c)`` is index ``r * M + c``. Its couplings are two arrays:
``horizontal[r, c]`` couples ``(r, c)`` and ``(r, c + 1)`` (shape ``(L, M - 1)``) and ``vertical[r, c]`` couples
``(r, c)`` and ``(r + 1, c)`` (shape ``(L - 1, M)``); the energy is that of ``boltzgym.sims.ising``,
``E(s) = -sum_<ij> J_ij s_i s_j`` (``J > 0`` ferromagnetic). Any real couplings are allowed (``+-J``, Gaussian,
zeros for missing bonds); fields are not (a field makes the problem non-planar: NP-hard in general).

The method (Bieche, Uhry, Maynard & Rammal, J. Phys. A 13, 2553, 1980; Barahona, J. Phys. A 15, 3241, 1982):
write ``E(s) = -sum |J_ij| + 2 sum_{unsatisfied} |J_ij|``, a bond ``ij`` being unsatisfied when
``J_ij s_i s_j < 0``. A plaquette (elementary square) whose four couplings have a negative product is frustrated:
an odd number of its bonds is unsatisfied in every state. Draw each bond's dual edge, crossing it, between the two
faces it separates (the outer face for boundary bonds). The dual edges of the unsatisfied bonds of any state have odd
degree exactly at the frustrated plaquettes (the outer face is free), and conversely every such set of bonds is the
unsatisfied set of exactly two states (``s`` and ``-s``). The ground state is therefore a minimum-weight set of dual
edges, weights ``|J_ij|``, whose odd-degree vertices are the frustrated plaquettes: a minimum-weight perfect matching
of the frustrated plaquettes along shortest dual paths, any of them allowed to match to the boundary. That is
the decoding problem of the surface code, which PyMatching's sparse blossom (Higgott & Gidney, Quantum 9, 1600, 2025)
solves; this module only builds the dual graph and reads the spins back.

Details that matter:

- Corner plaquettes (and every plaquette of an ``L = 2`` or ``M = 2`` strip) touch the boundary through two or more
  bonds. Only the lightest boundary bond of each plaquette enters the matching graph (a heavier parallel edge is
  never in a minimum solution), so every matched edge names one bond.
- PyMatching rounds weights to integers (about 2**24 levels up to the largest weight). ``+-J`` weights are exact;
  for real couplings the returned state is a ground state of couplings within ``2**-23 max|J|`` of the true ones, so
  its energy exceeds the true minimum by at most ``n_bonds * 2**-22 * max|J|`` (``PlanarGroundState.tolerance``;
  about 1e-5 on 5 x 5 Gaussian lattices, where the tests find the enumerated minimum every time).
- The spins are read back along a spanning tree (row 0, then down each column), and the energy computed from them
  must equal the matching's ``-sum |J| + 2 w(matching)``; a mismatch raises ``RuntimeError``.
"""

from __future__ import annotations

import numbers
import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from boltzgym.sims.ising import IsingModel
from boltzgym.utils.resources import check_memory
from boltzgym.utils.validation import check_int, check_seed

__all__ = [
    "MAX_PLANAR_SITES",
    "PlanarGroundState",
    "PlanarLattice",
    "planar_ground_state",
    "planar_lattice_from_couplings",
    "planar_lattice_from_model",
    "planar_spin_glass",
    "read_planar_instance",
    "write_planar_instance",
]

# The largest lattice accepted (4096 x 4096 sites); the memory estimate below also has to pass.
MAX_PLANAR_SITES = 4096 * 4096
# Bytes per site the solve allocates at most (bond arrays, the matching graph's CSC matrix, PyMatching's graph).
_BYTES_PER_SITE = 400
# PyMatching's weight grid: 2**24 levels up to the largest weight (see the module docstring).
_WEIGHT_RESOLUTION = 2.0**-22


@dataclass(frozen=True, eq=False)
class PlanarLattice:
    """An ``L x M`` open-boundary square lattice with couplings, no field (see the module docstring).

    Attributes:
        horizontal: float64 ``(L, M - 1)``: ``horizontal[r, c]`` couples ``(r, c)`` and ``(r, c + 1)``.
        vertical: float64 ``(L - 1, M)``: ``vertical[r, c]`` couples ``(r, c)`` and ``(r + 1, c)``.
    """

    horizontal: np.ndarray
    vertical: np.ndarray

    def __post_init__(self):
        horizontal = np.asarray(self.horizontal, dtype=np.float64)
        vertical = np.asarray(self.vertical, dtype=np.float64)
        if horizontal.ndim != 2 or vertical.ndim != 2:
            raise ValueError(f"horizontal and vertical must be 2-D, got shapes {horizontal.shape}, {vertical.shape}")
        rows, cols = horizontal.shape[0], vertical.shape[1]
        if horizontal.shape != (rows, cols - 1) or vertical.shape != (rows - 1, cols) or rows < 1 or cols < 1:
            raise ValueError(
                f"horizontal must be (L, M - 1) and vertical (L - 1, M) for one L x M lattice, got shapes "
                f"{horizontal.shape} and {vertical.shape}"
            )
        if not (np.all(np.isfinite(horizontal)) and np.all(np.isfinite(vertical))):
            raise ValueError("horizontal and vertical must hold finite couplings")
        object.__setattr__(self, "horizontal", np.ascontiguousarray(horizontal))
        object.__setattr__(self, "vertical", np.ascontiguousarray(vertical))

    @property
    def shape(self) -> tuple[int, int]:
        """``(L, M)``: rows and columns."""
        return self.horizontal.shape[0], self.vertical.shape[1]

    @property
    def n_spins(self) -> int:
        """``L * M``."""
        return self.shape[0] * self.shape[1]

    def energy(self, spins) -> np.ndarray:
        """``E(s) = -sum_<ij> J_ij s_i s_j`` of spins shaped ``(L, M)``, ``(L * M,)`` or ``(n, L * M)`` (float64)."""
        rows, cols = self.shape
        s = np.asarray(spins, dtype=np.float64)
        single = s.ndim == 1 or s.shape == (rows, cols)
        s = s.reshape(-1, rows, cols)
        if not np.all(np.abs(s) == 1):
            raise ValueError("spins must hold only -1 and +1")
        bonds = np.einsum("nij,ij,nij->n", s[:, :, :-1], self.horizontal, s[:, :, 1:])
        bonds += np.einsum("nij,ij,nij->n", s[:, :-1, :], self.vertical, s[:, 1:, :])
        return -bonds[0] if single else -bonds

    def to_model(self) -> IsingModel:
        """The same couplings as a sparse ``IsingModel`` over sites ``r * M + c`` (no field)."""
        rows, cols = self.shape
        index = np.arange(rows * cols).reshape(rows, cols)
        i = np.r_[index[:, :-1].ravel(), index[:-1, :].ravel()]
        j = np.r_[index[:, 1:].ravel(), index[1:, :].ravel()]
        values = np.r_[self.horizontal.ravel(), self.vertical.ravel()]
        n = rows * cols
        J = sp.coo_matrix((np.r_[values, values], (np.r_[i, j], np.r_[j, i])), shape=(n, n)).tocsr()
        return IsingModel(J)

    def couplings(self) -> dict[tuple[tuple[int, int], tuple[int, int]], float]:
        """The bonds as ``{((r, c), (r', c')): J}`` (``networkx.grid_2d_graph`` labels), zero couplings included."""
        out = {}
        for (r, c), value in np.ndenumerate(self.horizontal):
            out[((r, c), (r, c + 1))] = float(value)
        for (r, c), value in np.ndenumerate(self.vertical):
            out[((r, c), (r + 1, c))] = float(value)
        return out


@dataclass
class PlanarGroundState:
    """What ``planar_ground_state`` returns.

    Attributes:
        spins: int8 ``(L, M)``, a ground state (``-spins`` is one too); ``spins.ravel()`` is in ``IsingModel`` order.
        energy: its energy ``E(s) = -sum J_ij s_i s_j``, computed from the spins (and checked against the matching).
        n_frustrated: the number of frustrated plaquettes matched.
        matching_weight: ``sum |J|`` over the unsatisfied bonds (``energy = -sum |J| + 2 matching_weight``).
        tolerance: how far ``energy`` may lie above the true minimum because PyMatching rounds weights (0 for
            integer couplings; see the module docstring).
        seconds: wall time of the solve (graph building, matching and read-back).
    """

    spins: np.ndarray
    energy: float
    n_frustrated: int
    matching_weight: float
    tolerance: float
    seconds: float

    @property
    def energy_per_spin(self) -> float:
        """``energy / (L * M)``."""
        return self.energy / self.spins.size

    def sample(self) -> dict[tuple[int, int], int]:
        """The spins as ``{(r, c): s}``."""
        return {(r, c): int(s) for (r, c), s in np.ndenumerate(self.spins)}


def planar_spin_glass(rows: int, cols: int | None = None, couplings: str = "pm", seed: int | None = None):
    """A 2D Edwards-Anderson glass on an open-boundary ``rows x cols`` lattice (``cols`` defaults to ``rows``).

    ``couplings="pm"`` draws each bond ``+-1`` with equal probability, ``"gaussian"`` draws ``N(0, 1)``; the
    horizontal bonds are drawn first (row by row), then the vertical ones. Returns a ``PlanarLattice``.
    """
    rows = check_int("rows", rows, minimum=1)
    cols = rows if cols is None else check_int("cols", cols, minimum=1)
    if couplings not in ("pm", "gaussian"):
        raise ValueError(f"couplings must be 'pm' or 'gaussian', got {couplings!r}")
    _check_size(rows, cols, "rows * cols")
    rng = np.random.default_rng(check_seed("seed", seed))

    def draw(shape):
        return rng.choice([-1.0, 1.0], size=shape) if couplings == "pm" else rng.standard_normal(shape)

    return PlanarLattice(draw((rows, cols - 1)), draw((rows - 1, cols)))


def _check_size(rows: int, cols: int, argument: str) -> None:
    """Refuse a lattice over ``MAX_PLANAR_SITES`` sites or the memory at hand, before any work."""
    n_sites = rows * cols
    if n_sites > MAX_PLANAR_SITES:
        raise ValueError(f"{argument} must be at most {MAX_PLANAR_SITES} sites, got {rows} x {cols} = {n_sites}")
    check_memory(n_sites * _BYTES_PER_SITE, argument=argument, what=f"the planar ground state of {rows} x {cols}")


def _site(label, name: str) -> tuple[int, int]:
    if (
        not isinstance(label, tuple)
        or len(label) != 2
        or not all(isinstance(x, numbers.Integral) and not isinstance(x, bool) and x >= 0 for x in label)
    ):
        raise ValueError(f"{name} must label sites as (row, column) pairs of integers >= 0, got {label!r}")
    return int(label[0]), int(label[1])


def planar_lattice_from_couplings(couplings: Mapping, shape: tuple[int, int] | None = None) -> PlanarLattice:
    """A ``PlanarLattice`` from ``{((r, c), (r', c')): J}`` (our sign: ``E = -sum J s s``), as on
    ``networkx.grid_2d_graph`` edges.

    Every pair must be nearest neighbours of the open square lattice (``|r - r'| + |c - c'| = 1``); a pair given
    twice (either order) adds up. ``shape`` defaults to the bounding box of the labels; missing bonds are 0.
    Raises ``ValueError`` naming the first pair that is not a lattice bond (a diagonal, a long-range or a
    wrap-around coupling: those make the graph non-planar or not a square lattice).
    """
    if not isinstance(couplings, Mapping):
        raise TypeError(f"couplings must be a mapping {{((r, c), (r2, c2)): J}}, got {type(couplings).__name__}")
    pairs = []
    for pair, value in couplings.items():
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise ValueError(f"couplings keys must be pairs of sites ((r, c), (r2, c2)), got {pair!r}")
        a, b = _site(pair[0], "couplings"), _site(pair[1], "couplings")
        if abs(a[0] - b[0]) + abs(a[1] - b[1]) != 1:
            raise ValueError(
                f"couplings must join nearest neighbours of an open square lattice (a planar graph), got the pair "
                f"{pair!r}; couplings beyond those (diagonals, long-range or periodic bonds) are not planar lattices"
            )
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(float(value)):
            raise ValueError(f"couplings must map to finite real numbers, got {value!r} for {pair!r}")
        pairs.append((min(a, b), max(a, b), float(value)))
    if shape is None:
        if not pairs:
            raise ValueError("couplings is empty and no shape was given: there is no lattice")
        rows = 1 + max(max(a[0], b[0]) for a, b, _ in pairs)
        cols = 1 + max(max(a[1], b[1]) for a, b, _ in pairs)
    else:
        if not isinstance(shape, tuple | list) or len(shape) != 2:
            raise ValueError(f"shape must be a pair (rows, cols), got {shape!r}")
        rows, cols = check_int("shape[0]", shape[0], minimum=1), check_int("shape[1]", shape[1], minimum=1)
        for _, b, _ in pairs:
            if b[0] >= rows or b[1] >= cols:
                raise ValueError(f"couplings has the site {b} outside shape {rows} x {cols}")
    _check_size(rows, cols, "couplings")
    horizontal, vertical = np.zeros((rows, cols - 1)), np.zeros((rows - 1, cols))
    for a, b, value in pairs:
        if a[0] == b[0]:
            horizontal[a[0], a[1]] += value
        else:
            vertical[a[0], a[1]] += value
    return PlanarLattice(horizontal, vertical)


def planar_lattice_from_model(model: IsingModel, shape: tuple[int, int]) -> PlanarLattice:
    """A ``PlanarLattice`` from an ``IsingModel`` over sites ``r * M + c`` of an ``L x M`` lattice.

    Refuses (``ValueError``) a model with a field, or with a coupling that is not an open-lattice bond (as the
    periodic lattices of ``boltzgym.sims.problems`` have).
    """
    if not isinstance(model, IsingModel):
        raise TypeError(f"model must be an IsingModel, got {type(model).__name__}")
    if not isinstance(shape, tuple | list) or len(shape) != 2:
        raise ValueError(f"shape must be a pair (rows, cols), got {shape!r}")
    rows, cols = check_int("shape[0]", shape[0], minimum=1), check_int("shape[1]", shape[1], minimum=1)
    if rows * cols != model.n_spins:
        raise ValueError(f"shape must have rows * cols = {model.n_spins} (the model's spins), got {rows} x {cols}")
    if np.any(model.h != 0):
        raise ValueError("model has a nonzero field h: planar ground states are exact only without a field")
    _check_size(rows, cols, "shape")
    J = sp.coo_matrix(model.J)
    keep = J.row < J.col
    i, j, values = J.row[keep], J.col[keep], J.data[keep]
    ri, ci, rj, cj = i // cols, i % cols, j // cols, j % cols
    lattice_bond = ((ri == rj) & (cj == ci + 1)) | ((ci == cj) & (rj == ri + 1))
    if not np.all(lattice_bond[values != 0]):
        k = int(np.flatnonzero(~lattice_bond & (values != 0))[0])
        raise ValueError(
            f"model couples sites ({ri[k]}, {ci[k]}) and ({rj[k]}, {cj[k]}), not nearest neighbours of an open "
            f"{rows} x {cols} lattice: the couplings are not planar (periodic, diagonal or long-range bonds)"
        )
    horizontal, vertical = np.zeros((rows, cols - 1)), np.zeros((rows - 1, cols))
    across = ri == rj
    horizontal[ri[across], ci[across]] = values[across]
    vertical[ri[~across], ci[~across]] = values[~across]
    return PlanarLattice(horizontal, vertical)


def _dual_graph(lattice: PlanarLattice):
    """The matching graph: ``(H, weights, bond_of_column)``.

    Plaquette ``(r, c)`` (``r < L - 1``, ``c < M - 1``, bounded by ``horizontal[r, c]``, ``horizontal[r + 1, c]``,
    ``vertical[r, c]``, ``vertical[r, c + 1]``) is node ``r * (M - 1) + c``. ``H`` (CSC, plaquettes x edges) has
    one column per dual edge: every interior bond (two plaquettes) and, per plaquette on the boundary, its lightest
    boundary bond (one plaquette). ``bond_of_column`` gives the bond of each column as an index into
    ``np.r_[horizontal.ravel(), vertical.ravel()]``.
    """
    rows, cols = lattice.shape
    prows, pcols = rows - 1, cols - 1
    plaquette = np.arange(prows * pcols).reshape(prows, pcols)
    n_horizontal = rows * (cols - 1)
    h_index = np.arange(n_horizontal).reshape(rows, cols - 1)
    v_index = n_horizontal + np.arange((rows - 1) * cols).reshape(rows - 1, cols)
    weights_all = np.abs(np.r_[lattice.horizontal.ravel(), lattice.vertical.ravel()])
    # interior bonds: horizontal[r, c] with 0 < r < L - 1 lies between plaquettes (r - 1, c) and (r, c);
    # vertical[r, c] with 0 < c < M - 1 between (r, c - 1) and (r, c).
    a = np.r_[plaquette[:-1, :].ravel(), plaquette[:, :-1].ravel()]
    b = np.r_[plaquette[1:, :].ravel(), plaquette[:, 1:].ravel()]
    interior = np.r_[h_index[1:-1, :].ravel(), v_index[:, 1:-1].ravel()]
    # boundary bonds: (plaquette, bond) for the top and bottom rows of bonds and the left and right columns.
    bp = np.r_[plaquette[0, :], plaquette[-1, :], plaquette[:, 0], plaquette[:, -1]]
    bb = np.r_[h_index[0, :], h_index[-1, :], v_index[:, 0], v_index[:, -1]]
    # the lightest boundary bond of each plaquette (ties: the first in this order)
    order = np.lexsort((np.arange(bp.size), weights_all[bb], bp))
    first = np.r_[True, bp[order][1:] != bp[order][:-1]]
    bp, bb = bp[order][first], bb[order][first]
    n_edges = interior.size + bp.size
    rows_idx = np.r_[a, b, bp]
    cols_idx = np.r_[np.arange(interior.size), np.arange(interior.size), interior.size + np.arange(bp.size)]
    H = sp.csc_matrix((np.ones(rows_idx.size, dtype=np.uint8), (rows_idx, cols_idx)), shape=(prows * pcols, n_edges))
    bond_of_column = np.r_[interior, bb]
    return H, weights_all[bond_of_column], bond_of_column


def _frustrated(lattice: PlanarLattice) -> np.ndarray:
    """bool ``(L - 1, M - 1)``: plaquettes whose four couplings have a negative product (0 counts as positive)."""
    h_negative, v_negative = lattice.horizontal < 0, lattice.vertical < 0
    parity = h_negative[:-1, :] ^ h_negative[1:, :] ^ v_negative[:, :-1] ^ v_negative[:, 1:]
    return parity


def planar_ground_state(lattice, shape: tuple[int, int] | None = None) -> PlanarGroundState:
    """An exact ground state of a planar Ising model by minimum-weight perfect matching (see the module docstring).

    Args:
        lattice: a ``PlanarLattice``; or ``{((r, c), (r2, c2)): J}`` nearest-neighbour couplings (our sign,
            ``E = -sum J s s``; see ``planar_lattice_from_couplings``); or an ``IsingModel`` with no field over
            sites ``r * M + c`` (then ``shape=(L, M)`` is required).
        shape: ``(L, M)``: required for an ``IsingModel``, optional for a mapping (default: the labels' extent).

    Returns:
        A ``PlanarGroundState`` (spins ``(L, M)``, energy, and the checks' figures).

    Raises:
        ValueError: a field, a coupling that is not a bond of the open square lattice, or a lattice over
            ``MAX_PLANAR_SITES`` sites (or the memory at hand); all refused before any work.
        RuntimeError: the spins' energy disagrees with the matching's (a defect, never expected).

    Example:
        >>> lattice = planar_spin_glass(4, 5, couplings="gaussian", seed=0)
        >>> result = planar_ground_state(lattice)
        >>> bool(abs(lattice.energy(result.spins) - result.energy) < 1e-12)
        True
    """
    if isinstance(lattice, IsingModel):
        if shape is None:
            raise ValueError("shape must be given as (rows, cols) with an IsingModel")
        lattice = planar_lattice_from_model(lattice, shape)
    elif isinstance(lattice, Mapping):
        lattice = planar_lattice_from_couplings(lattice, shape)
    elif not isinstance(lattice, PlanarLattice):
        raise TypeError(
            f"lattice must be a PlanarLattice, a mapping of (site, site) couplings or an IsingModel, "
            f"got {type(lattice).__name__}"
        )
    else:
        if shape is not None and tuple(shape) != lattice.shape:
            raise ValueError(f"shape must be None or the lattice's {lattice.shape}, got {shape!r}")
        _check_size(*lattice.shape, "lattice")
    import pymatching  # loaded lazily (and not timed)

    tick = time.perf_counter()
    rows, cols = lattice.shape
    bonds = np.r_[lattice.horizontal.ravel(), lattice.vertical.ravel()]
    unsatisfied = np.zeros(bonds.size, dtype=bool)
    frustrated = _frustrated(lattice) if rows > 1 and cols > 1 else np.zeros((0, 0), dtype=bool)
    n_frustrated = int(frustrated.sum())
    if n_frustrated:
        H, weights, bond_of_column = _dual_graph(lattice)
        matching = pymatching.Matching.from_check_matrix(H, weights=weights, use_virtual_boundary_node=True)
        correction = matching.decode(frustrated.ravel().astype(np.uint8))
        unsatisfied[bond_of_column[np.flatnonzero(correction)]] = True
    # spins along a spanning tree: row 0 left to right, then down every column (notes: s_j = s_i sign(J) (-1)^u)
    sigma = np.where(bonds < 0, -1, 1) * np.where(unsatisfied, -1, 1)
    n_horizontal = rows * (cols - 1)
    sigma_h = sigma[:n_horizontal].reshape(rows, cols - 1)
    sigma_v = sigma[n_horizontal:].reshape(rows - 1, cols)
    spins = np.empty((rows, cols), dtype=np.int8)
    spins[0] = np.cumprod(np.r_[1, sigma_h[0]])
    spins[1:] = spins[0] * np.cumprod(sigma_v, axis=0)
    energy = float(lattice.energy(spins))
    matching_weight = float(np.abs(bonds[unsatisfied]).sum())
    expected = float(-np.abs(bonds).sum() + 2.0 * matching_weight)
    scale = float(np.abs(bonds).sum()) if bonds.size else 0.0
    if abs(energy - expected) > 1e-9 * max(scale, 1.0):
        raise RuntimeError(
            f"planar ground state: the spins' energy {energy} differs from the matching's {expected}; the unsatisfied "
            "bonds do not match the frustrated plaquettes"
        )
    integer = bool(np.all(bonds == np.round(bonds)))
    largest = float(np.abs(bonds).max()) if bonds.size else 0.0
    tolerance = bonds.size * _WEIGHT_RESOLUTION * largest
    if integer and tolerance < 1.0:
        tolerance = 0.0  # integer energies differ by at least 2: a rounding error below 1 changes nothing
    return PlanarGroundState(spins, energy, n_frustrated, matching_weight, tolerance, time.perf_counter() - tick)


def write_planar_instance(lattice: PlanarLattice, path) -> None:
    """Write ``lattice`` as text: a header ``# planar L M``, then one bond per line, ``r c r2 c2 J`` (our sign,
    ``E = -sum J s s``; ``repr`` precision, so that reading it back gives the same couplings)."""
    rows, cols = lattice.shape
    lines = [f"# planar {rows} {cols}"]
    lines += [f"{a[0]} {a[1]} {b[0]} {b[1]} {value!r}" for (a, b), value in lattice.couplings().items()]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def read_planar_instance(path, what: str = "instance") -> PlanarLattice:
    """Read a lattice written by ``write_planar_instance``, or any text file of ``r c r2 c2 J`` lines (``#``
    comments; a ``# planar L M`` header fixes the shape, else the labels' extent does). Raises ``ValueError``
    naming the line that is not five numbers, or the pair that is not a lattice bond; a binary or non-UTF-8 file
    raises ``ValueError`` naming ``what``, the file and the byte offset before any line is used."""
    from boltzgym.utils.io import read_text_lines  # binary or non-UTF-8: one line naming the file and the offset

    couplings: dict = {}
    shape = None
    for number, line in enumerate(read_text_lines(path, what), start=1):
        text = line.strip()
        if text.startswith("# planar"):
            parts = text.split()
            if len(parts) != 4 or not (parts[2].isdigit() and parts[3].isdigit()):
                raise ValueError(f"{path}:{number}: expected '# planar L M', got {text!r}")
            shape = (int(parts[2]), int(parts[3]))
            continue
        if not text or text.startswith("#"):
            continue
        parts = text.split()
        try:
            r, c, r2, c2 = (int(x) for x in parts[:4])
            value = float(parts[4])
        except (ValueError, IndexError):
            raise ValueError(f"{path}:{number}: expected 'r c r2 c2 J', got {text!r}") from None
        if len(parts) != 5:
            raise ValueError(f"{path}:{number}: expected 'r c r2 c2 J', got {text!r}")
        if min(r, c, r2, c2) < 0:
            raise ValueError(f"{path}:{number}: site labels must be >= 0, got {text!r}")
        key = ((r, c), (r2, c2))
        couplings[key] = couplings.get(key, 0.0) + value
    return planar_lattice_from_couplings(couplings, shape)
