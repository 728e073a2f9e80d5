"""The RBM settings tuned on bars-and-stripes, and the demo's RBM run (``boltzgym fit rbm`` trains, through
``boltzgym.models.rbm_trainer``).

:data:`BARS_AND_STRIPES` was chosen on 3x3 bars-and-stripes, where seeds 0-9 reach -2.76 to -2.79 nats against
the optimum -ln 14 = -2.64: 16 hidden units, CD-10, learning rate 0.2 decayed linearly to 0.2/epochs, momentum
0.5, batch size 10, 2000 epochs; AIS (beyond 25 units) with 5000 inverse temperatures. They were the defaults of
the old ``boltzgym rbm`` command; ``boltzgym fit rbm``'s defaults are the ``RBM`` constructor's.
"""

from __future__ import annotations

from pathlib import Path

BARS_AND_STRIPES: dict = {
    "n_components": 16,
    "cd_k": 10,
    "persistent": False,
    "learning_rate": 0.2,
    "learning_rate_schedule": "linear",
    "batch_size": 10,
    "momentum": 0.5,
    "weight_decay": 0.0,
    "n_iter": 2000,
    "ais_chains": 100,
    "ais_betas": 5000,
}


def assignments(settings: dict) -> list[str]:
    """``settings`` as ``--set`` assignments (``["n_components=16", ...]``)."""
    return [f"{key}={str(value).lower() if isinstance(value, bool) else value}" for key, value in settings.items()]


def demo_part(out_dir, seed: int = 0, progress: bool = False) -> dict:
    """The demo's RBM run: :data:`BARS_AND_STRIPES` on 3x3 bars-and-stripes (``boltzgym fit rbm`` with them)."""
    from boltzgym.experiments.fitting import fit_model

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary, _ = fit_model("rbm", "bars-stripes-3", assignments(BARS_AND_STRIPES), seed=seed, out_dir=out_dir,
                           progress=progress)  # fmt: skip
    return {
        "result": (
            f"RBM log-likelihood {summary['final_log_likelihood']:.3f} nats on 3x3 bars-and-stripes "
            f"(optimum {summary['optimum_log_likelihood']:.3f}) after {summary['epochs']} epochs"
        ),
        "final_log_likelihood": summary["final_log_likelihood"],
    }
