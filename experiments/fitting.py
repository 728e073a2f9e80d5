"""What ``boltzgym fit MODEL`` runs: a model of ``boltzgym.models.registry.MODELS`` trained on a dataset by name.

:func:`fit_model` is the command without its arguments and printing (tests, sweeps and the demo call it too):
build the config from ``--set`` assignments, load the dataset (a name of ``boltzgym.models.datasets``, or a text
file for ``word2vec``), call the model's trainer, and keep the summary's keys (:data:`SUMMARY_KEYS`, plus the
:data:`OPTIONAL_SUMMARY_KEYS` a model reports where they mean something).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from boltzgym.utils.plotting import new_figure, save_figure

SUMMARY_KEYS = (
    "model",
    "data",
    "seed",
    "epochs",
    "n_parameters",
    "train_loss",
    "test_loss",
    "test_accuracy",
    "seconds",
    "checkpoint",
)
# keys a model adds only where they mean something
OPTIONAL_SUMMARY_KEYS = (
    "test_elbo",  # generative models (notes 5.1-5.2)
    "test_log_likelihood",
    "modes_covered",
    "n_modes",
    "high_quality_fraction",
    "frechet_distance",
    "conditional_accuracy",
    "probe_accuracy",
    "random_probe_accuracy",
    "domain",
    "class_retention",
    "class_retention_ab",
    "class_retention_ba",
    "greedy_label_error_rate",  # CTC (ctc-digits)
    "beam_label_error_rate",
    "final_log_likelihood",  # rbm (notes 5.3)
    "log_likelihood_method",
    "log_likelihood_stderr",
    "optimum_log_likelihood",
    "pseudo_log_likelihood",
    "gradient_estimator",
    "sentences",  # word2vec (notes 4.3)
    "tokens",
    "vocabulary",
    "words_per_second",
    "neighbours",
    "word_pairs",
    "word_pairs_spearman",
    "word_pairs_oov",
    "vectors",
)


def load_data(name: str, seed: int = 0):
    """Dataset ``name`` of ``boltzgym.models.datasets``, or a text file (one sentence per line) when ``name`` is
    the path of an existing file and no dataset's name."""
    from boltzgym.models.datasets import load_dataset, parse_dataset_name

    try:
        parse_dataset_name(name)
    except ValueError:
        if Path(name).is_file():
            from boltzgym.models.embeddings.trainers import text_file_dataset

            return text_file_dataset(name)
        raise
    return load_dataset(name, seed=seed)


def check_data(name: str) -> None:
    """Raise ``ValueError`` naming ``data`` unless ``name`` is a dataset name or an existing file."""
    from boltzgym.models.datasets import parse_dataset_name

    if not Path(name).is_file():
        parse_dataset_name(name)


RUN_FILE = "run.json"  # what a run is: written when it starts, compared when it is resumed
RUN_FORMAT = "boltzgym-fit-run/1"
RESUMABLE_CHANGES = ("epochs",)  # a resumed run may train longer; anything else makes it another run


def run_identity(model: str, data: str, config, seed: int) -> dict:
    """What makes a ``fit`` run the same run: the format of its folder, the model, the data, the seed and every
    ``--set`` value (the config's fields) except :data:`RESUMABLE_CHANGES`, as JSON values."""
    import dataclasses

    from boltzgym.utils.io import to_json

    settings = {f.name: getattr(config, f.name) for f in dataclasses.fields(config) if f.name not in RESUMABLE_CHANGES}
    return json.loads(to_json({"format": RUN_FORMAT, "model": model, "data": data, "seed": seed, "settings": settings}))


def identity_differences(saved: dict, current: dict) -> list[str]:
    """The settings in which ``current`` differs from ``saved``, as the CLI would spell them (``--set key=value
    (the run has old)``), in a stable order; empty when it is the same run."""
    differences = []
    for key, flag in (
        ("format", "the run folder's format"),
        ("model", "MODEL"),
        ("data", "--data"),
        ("seed", "--seed"),
    ):
        if saved.get(key) != current.get(key):
            differences.append(f"{flag} {current.get(key)} (the run has {saved.get(key)})")
    old, new = saved.get("settings", {}), current.get("settings", {})
    for key in sorted(set(old) | set(new)):
        if old.get(key, "<unset>") != new.get(key, "<unset>"):
            differences.append(f"--set {key}={new.get(key, '<unset>')} (the run has {old.get(key, '<unset>')})")
    return differences


def check_resume(out_dir: Path, identity: dict) -> None:
    """``--resume`` continues the same run or nothing: ``ValueError`` naming every difference from the identity
    saved in ``OUT/run.json`` (only ``--epochs`` may change), or naming ``--resume`` when the folder holds a
    checkpoint but no identity to check it against."""
    from boltzgym.utils.io import read_json

    path = Path(out_dir) / RUN_FILE
    if not path.exists():
        if (Path(out_dir) / "checkpoint").exists():
            raise ValueError(
                f"--resume: {out_dir} holds a checkpoint but no {RUN_FILE} (written before run identities were "
                "recorded): its settings cannot be checked; start a fresh run in another --out"
            )
        return  # nothing to resume yet: a fresh run
    differences = identity_differences(read_json(path, RUN_FILE), identity)
    if differences:
        raise ValueError(
            f"--resume: {'; '.join(differences)}: a resumed run must be the same run (only --epochs may change); "
            "use another --out for a new run"
        )


def check_model_size(model: str, config, dataset, seed: int) -> None:
    """Refuse a torch model whose training would not fit in memory before it is built (``models.sizing``),
    naming the ``--set`` keys changed from the model's defaults."""
    from boltzgym.models.registry import model_entry
    from boltzgym.utils.imports import import_object

    entry = model_entry(model)
    model_class = getattr(type(config), "model_class", None)
    if not entry.build or model_class is None:
        return
    import torch

    from boltzgym.models.sizing import check_model_fits

    if not issubclass(model_class, torch.nn.Module):
        return
    default = type(config)()
    changed = [key for key in type(config).model_keys if getattr(config, key) != getattr(default, key)]
    if getattr(config, "batch_size", None) != getattr(default, "batch_size", None):
        changed.append("batch_size")
    rows = dataset.x_train[: getattr(config, "batch_size", 64)]
    example = [torch.as_tensor(rows)] if not isinstance(rows, list) else None
    build = import_object(entry.build)
    check_model_fits(lambda: build(config, dataset, seed), example, config, changed)


def fit_model(
    model: str,
    data: str | None = None,
    assignments: list[str] | None = None,
    epochs: int | None = None,
    seed: int = 0,
    out_dir: Path | None = None,
    resume: bool = False,
    progress: bool = False,
    device: str = "auto",
) -> tuple[dict, list[dict]]:
    """Train registered ``model`` on ``data``; returns ``(summary with SUMMARY_KEYS, per-epoch history)``.

    With ``out_dir`` the run's identity (:func:`run_identity`) is written to ``OUT/run.json``; ``resume=True``
    first checks it (:func:`check_resume`): a resumed run is the same model, data, seed and settings, and only
    ``epochs`` may grow."""
    from boltzgym.models.registry import make_config, model_entry
    from boltzgym.utils.imports import import_object

    entry = model_entry(model)
    config = make_config(model, assignments)
    dataset = load_data(data or entry.data, seed=seed)
    check_model_size(model, config, dataset, seed)
    run_file = None
    if out_dir is not None:
        from boltzgym.utils.io import atomic_write_json

        identity = run_identity(model, dataset.name, config, seed)
        if resume:
            check_resume(out_dir, identity)
        run_file = atomic_write_json(Path(out_dir) / RUN_FILE, identity)
    start = time.perf_counter()
    try:
        result = import_object(entry.train)(
            config, dataset, epochs=epochs, seed=seed, run_dir=out_dir, resume=resume, progress=progress, device=device
        )
    except BaseException:
        if run_file is not None and not (Path(out_dir) / "checkpoint").exists():
            run_file.unlink(missing_ok=True)  # nothing to resume: leave nothing behind
        raise
    result["seconds"] = round(time.perf_counter() - start, 3)
    result.update(model=model, data=dataset.name, seed=seed)
    summary = {key: result.get(key) for key in SUMMARY_KEYS}
    summary.update({key: result[key] for key in OPTIONAL_SUMMARY_KEYS if key in result})
    return summary, result.get("history", [])


def plot_learning_curve(history: list[dict], path: Path, title: str) -> Path | None:
    """Training and validation loss per epoch (log scale), validation accuracy on a second axis; nothing for a
    history without losses (the RBM's holds log-likelihoods, plotted by its trainer)."""
    if not any("train_loss" in row or "val_loss" in row for row in history):
        return None
    fig, ax = new_figure(figsize=(6, 4))
    epochs = [row["epoch"] for row in history]
    for key, label in (("train_loss", "training loss"), ("val_loss", "validation loss")):
        if any(key in row for row in history):
            ax.plot(epochs, [row.get(key) for row in history], label=label)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.xaxis.get_major_locator().set_params(integer=True)
    lines, labels = ax.get_legend_handles_labels()
    if any("val_accuracy" in row for row in history):
        right = ax.twinx()
        right.plot(epochs, [row.get("val_accuracy") for row in history], color="tab:green", label="validation accuracy")
        right.set_ylabel("accuracy")
        more_lines, more_labels = right.get_legend_handles_labels()
        lines, labels = lines + more_lines, labels + more_labels
    ax.legend(lines, labels, loc="center right")
    ax.set_title(title)
    return save_figure(fig, path)


def demo_part(out_dir, seed: int = 0, progress: bool = False) -> dict:
    """Demo: the MLP on sklearn's digits through the one training loop (``boltzgym fit mlp --data digits``)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary, history = fit_model("mlp", "digits", seed=seed, out_dir=out_dir, progress=progress, device="cpu")
    plot_learning_curve(history, out_dir / "learning_curve.png", "mlp on digits")
    summary["result"] = (
        f"MLP on 8x8 digits: test accuracy {summary['test_accuracy']:.3f} after {summary['epochs']} epochs "
        f"({summary['n_parameters']} parameters)"
    )
    return summary
