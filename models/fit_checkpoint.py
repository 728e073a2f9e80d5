"""``fit``'s checkpoint folder (``run_dir/checkpoint``): the model's and optimizers' state dicts, the best weights
when early stopping, the history and the loop's settings, written atomically through
:mod:`boltzgym.utils.checkpoint` and read back with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

from pathlib import Path

from boltzgym.utils.checkpoint import is_checkpoint, load_checkpoint, save_checkpoint

CHECKPOINT_FORMAT = "boltzgym-fit"
CHECKPOINT_VERSION = 2  # 2: the optimizer's name and learning rate are part of the settings
# settings that a resumed run must share with the run that wrote the checkpoint
RESUME_SETTINGS = ("batch_size", "seed", "validation_split", "monitor", "shuffle", "optimizer", "learning_rate")


def has_checkpoint(path: Path) -> bool:
    """Whether ``path`` holds a complete checkpoint of ``fit``."""
    return is_checkpoint(path, CHECKPOINT_FORMAT)


def save_state(path: Path, model, optimizers, settings, history, best, stop_reason: str) -> None:
    """The one place fit writes a checkpoint (through the shared checkpoint-folder writer)."""
    states = {"model.pt": model.state_dict(), "optimizers.pt": {k: o.state_dict() for k, o in optimizers.items()}}
    if best["state"] is not None:
        states["best.pt"] = best["state"]
    config = {
        "settings": settings,
        "history": history,
        "best": {"value": best["value"], "epoch": best["epoch"], "bad_epochs": best["bad_epochs"]},
        "optimizers": sorted(optimizers),
        "stop_reason": stop_reason,
    }
    save_checkpoint(
        path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, config, states=states, counters={"epoch": len(history)}
    )


def load_state(path: Path, model, optimizers, settings, device) -> tuple[list[dict], dict, str]:
    """The one place fit reads a checkpoint; restores model and optimizers in place and returns
    ``(history, best, stop_reason)`` (a run that stopped early or by a callback is not continued)."""
    checkpoint = load_checkpoint(path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, map_location=device)
    saved = checkpoint.config.get("settings", {})
    for key in RESUME_SETTINGS:
        if saved.get(key) != settings[key]:
            raise ValueError(
                f"resume: {key} is {settings[key]!r} but the checkpoint in {path} was written with {saved.get(key)!r}"
            )
    if sorted(optimizers) != checkpoint.config.get("optimizers"):
        raise ValueError(f"resume: optimizers {sorted(optimizers)} differ from the checkpoint's")
    try:
        model.load_state_dict(checkpoint.states["model.pt"])
        for name, state in checkpoint.states["optimizers.pt"].items():
            optimizers[name].load_state_dict(state)
    except (RuntimeError, KeyError, ValueError) as exc:
        raise checkpoint.error("model.pt", f"does not fit this model: {str(exc).splitlines()[0]}") from exc
    best = dict(checkpoint.config["best"])
    best["value"] = float(best["value"])
    best["state"] = checkpoint.states.get("best.pt")
    return list(checkpoint.config["history"]), best, str(checkpoint.config.get("stop_reason", "epochs"))
