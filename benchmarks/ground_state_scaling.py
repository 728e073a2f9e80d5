"""The 2D +-J ground-state energy per spin in the large-size limit, from exact planar ground states.

For each L of ``--sizes`` the exact ground states (``boltzgym.sims.planar``, PyMatching) of ``--instances``
open-boundary L x L +-J glasses (instance ``k`` of size L seeded ``1000 L + k``) give the mean energy per spin
``e(L)`` and its standard error. Open boundaries cost a surface energy, so ``e(L) = e_inf + a / L + b / L^2``;
weighted least squares over the sizes ``>= --fit-from`` gives ``e_inf`` with its standard error (also with
the ``1/L`` term alone), printed beside the published value ``e_inf = -1.4015 +- 0.0008`` (De Simone et al.,
J. Stat. Phys. 84, 1363, 1996) and their difference. Also prints the mean solve time per instance at each L.

    python benchmarks/ground_state_scaling.py                       # L = 8 ... 256
    python benchmarks/ground_state_scaling.py --sizes 16,32,64 --instances 200
"""

from __future__ import annotations

import argparse
import time

import numpy as np

PUBLISHED = (-1.4015, 0.0008)
DEFAULT_INSTANCES = {8: 4000, 16: 2000, 24: 1000, 32: 800, 48: 400, 64: 300, 96: 150, 128: 100, 192: 40, 256: 30}


def measure(sizes, instances: int | None) -> list[dict]:
    """``[{L, n, mean, sem, seconds_per_instance}]``: exact ground-state energies per spin at each size."""
    from boltzgym.sims.planar import planar_ground_state, planar_spin_glass

    rows = []
    for size in sizes:
        count = instances or DEFAULT_INSTANCES.get(size, 100)
        energies, seconds = np.empty(count), 0.0
        for k in range(count):
            result = planar_ground_state(planar_spin_glass(size, couplings="pm", seed=1000 * size + k))
            energies[k] = result.energy_per_spin
            seconds += result.seconds
        rows.append({"L": size, "n": count, "mean": energies.mean(), "sem": energies.std(ddof=1) / np.sqrt(count),
                     "seconds_per_instance": seconds / count})  # fmt: skip
        print(f"L={size:4d}  instances={count:5d}  e={rows[-1]['mean']:.5f} +- {rows[-1]['sem']:.5f}  "
              f"{rows[-1]['seconds_per_instance'] * 1e3:8.1f} ms per instance", flush=True)  # fmt: skip
    return rows


def extrapolate(rows: list[dict], powers: int) -> tuple[float, float, float]:
    """Weighted least squares of ``e(L) = e_inf + sum_{k=1..powers} a_k / L^k``: ``(e_inf, error, chi2/dof)``."""
    sizes = np.array([row["L"] for row in rows], dtype=float)
    y = np.array([row["mean"] for row in rows])
    sigma = np.array([row["sem"] for row in rows])
    X = np.column_stack([sizes**-k for k in range(powers + 1)])
    W = 1.0 / sigma**2
    covariance = np.linalg.inv(X.T @ (X * W[:, None]))
    coefficients = covariance @ (X.T @ (W * y))
    residual = (y - X @ coefficients) / sigma
    dof = max(1, len(y) - powers - 1)
    return float(coefficients[0]), float(np.sqrt(covariance[0, 0])), float(residual @ residual / dof)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="8,16,24,32,48,64,96,128,192,256", help="comma-separated L")
    parser.add_argument("--instances", type=int, default=None, help="instances per size (default: by size)")
    parser.add_argument("--fit-from", type=int, default=16, help="smallest L in the fits (default: 16)")
    args = parser.parse_args()
    sizes = [int(text) for text in args.sizes.split(",")]
    tick = time.perf_counter()
    rows = measure(sizes, args.instances)
    fitted = [row for row in rows if row["L"] >= args.fit_from]
    print(f"\npublished e_inf = {PUBLISHED[0]} +- {PUBLISHED[1]} (De Simone et al. 1996)")
    for powers, label in ((1, "e_inf + a/L"), (2, "e_inf + a/L + b/L^2")):
        if len(fitted) > powers + 1:
            value, error, chi2 = extrapolate(fitted, powers)
            print(f"fit {label:<22} (L >= {args.fit_from}): e_inf = {value:.5f} +- {error:.5f}  "
                  f"chi2/dof = {chi2:.2f}  difference from published = {value - PUBLISHED[0]:+.5f}")  # fmt: skip
    print(f"total wall time {time.perf_counter() - tick:.1f} s")


if __name__ == "__main__":
    main()
