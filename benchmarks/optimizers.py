"""Notes 2.1-2.2's optimizers side by side: torch's SGD, momentum, Nesterov, RMSprop, Rprop and Adam against
Quickprop, Newton and averaged SGD (boltzgym.models.optim.optimizers), each at the best learning rate of its grid.

(a) Rosenbrock from (-1.2, 1): steps until f < 1e-6; (b) Fahlman's 10-5-10 encoder (sigmoid units, sum-of-squares
error, full batch): mean epochs until every output is within 0.4 of its target, over held-out seeds (Fahlman 1988
reports quickprop needing about a tenth of backprop's epochs; the target here: quickprop <= 1/4 of momentum's);
(c) softmax regression on the digits: the loss after 150 full-batch steps (5 for Newton). Writes optimizers.png.

    python benchmarks/optimizers.py [--seeds 8] [--out runs/bench-optimizers]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from boltzgym.experiments.optimizers import optimizers_experiment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--out", type=Path, default=Path("runs/bench-optimizers"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    result = optimizers_experiment(args.out, encoder_seeds=args.seeds)
    print("(a) Rosenbrock from (-1.2, 1), steps until f < 1e-6 (max 3000)")
    for name, row in result["rosenbrock"].items():
        steps = row["steps_to_target"] if row["steps_to_target"] is not None else "not reached"
        final, seconds = row["final_loss"], row["seconds"]
        print(f"  {name:13s} lr {row['lr']:<7g} steps {steps!s:>12}  final {final:.2e}  {seconds:.3f} s")
    print(f"(b) 10-5-10 encoder, mean epochs over {args.seeds} seeds (max 3000)")
    for name, row in result["encoder"].items():
        solved, seconds = f"{row['solved']}/{row['seeds']}", row["seconds"]
        print(
            f"  {name:13s} lr {row['lr']:<7g} mean epochs {row['mean_epochs']:8.1f}  solved {solved}  {seconds:.2f} s"
        )
    print(f"  quickprop / momentum epochs: {result['quickprop_over_momentum_epochs']:.3f} (target <= 0.25)")
    print("(c) softmax regression on digits, full batch")
    for name, row in result["logistic"].items():
        loss, seconds = row["final_loss"], row["seconds"]
        print(f"  {name:13s} lr {row['lr']:<7g} loss after {row['steps']:3d} steps {loss:.4f}  {seconds:.2f} s")
    print(f"plot: {args.out / 'optimizers.png'}  ({result['seconds']:.0f} s in all)")


if __name__ == "__main__":
    main()
