"""``boltzgym.utils.metrics``: the tag scheme, ``write_metrics`` (CSV and TensorBoard events that always agree),
``MetricsLog``'s stream, and the behaviour without tensorboard."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from boltzgym.utils import metrics
from boltzgym.utils.metrics import EventFile, MetricsLog, metric_tag, write_metrics

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def scalars(folder) -> dict[str, list[tuple[int, float]]]:
    events = event_accumulator.EventAccumulator(str(folder), size_guidance={"scalars": 0}).Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


def event_files(root) -> list:
    return sorted(root.rglob("*tfevents*"))


@pytest.mark.parametrize(
    ("column", "tag"),
    [
        ("charts/epsilon", "charts/epsilon"),  # a column that names its group keeps its name
        ("losses/td_loss", "losses/td_loss"),
        ("eval/mean_return", "eval/mean_return"),
        ("loss", "losses/loss"),
        ("train_loss", "losses/train_loss"),
        ("val_loss", "losses/val_loss"),  # a loss beside the training loss, on one chart group
        ("val_accuracy", "eval/val_accuracy"),
        ("test_accuracy", "eval/test_accuracy"),
        ("return", "charts/return"),
        ("regret_mean", "charts/regret_mean"),
        ("lossy", "charts/lossy"),
    ],
)
def test_metric_tag_groups_columns_as_cleanrl_does(column, tag):
    assert metric_tag(column) == tag


def test_write_metrics_writes_the_csv_and_the_same_scalars(tmp_path):
    rows = [
        {"epoch": 1, "train_loss": 0.5, "val_accuracy": 0.25},
        {"epoch": 2, "train_loss": 0.1 + 0.2, "val_accuracy": None},  # None: an empty cell, no point
        {"epoch": 3, "train_loss": np.float32(0.125), "val_accuracy": np.int64(1)},
    ]
    assert write_metrics(tmp_path, rows, step="epoch") == tmp_path / "metrics.csv"
    with open(tmp_path / "metrics.csv") as handle:
        second = list(csv.DictReader(handle))[1]
    assert second == {"epoch": "2", "train_loss": "0.30000000000000004", "val_accuracy": ""}
    assert scalars(tmp_path / "tensorboard") == {
        "losses/train_loss": [(1, 0.5), (2, float(np.float32(0.1 + 0.2))), (3, 0.125)],
        "eval/val_accuracy": [(1, 0.25), (3, 1.0)],
    }


def test_a_run_column_makes_one_tensorboard_run_per_value_and_rewrites_replace(tmp_path):
    rows = [{"t": t, "policy": p, "regret": 10 * t + i} for i, p in enumerate(["ucb1", "thompson"]) for t in (1, 2)]
    write_metrics(tmp_path, rows, step="t", run="policy")
    root = tmp_path / "tensorboard"
    assert scalars(root / "ucb1") == {"charts/regret": [(1, 10.0), (2, 20.0)]}
    assert scalars(root / "thompson") == {"charts/regret": [(1, 11.0), (2, 21.0)]}
    EventFile(root / "ucb1").close()  # a stale file (an earlier, longer run's stream)
    write_metrics(tmp_path, rows[:2], step="t", run="policy")  # thompson's run is gone, ucb1's holds one file
    assert [path.parent.name for path in event_files(root)] == ["ucb1"]
    assert scalars(root / "ucb1") == {"charts/regret": [(1, 10.0), (2, 20.0)]}
    write_metrics(tmp_path, [], step="t")  # no rows: no events
    assert event_files(root) == []


@pytest.mark.parametrize(
    ("rows", "error", "match"),
    [
        ([{"epoch": 1, "name": "x"}], TypeError, "'name' holds 'x', expected a number"),
        ([{"epoch": 1, "done": True}], TypeError, "'done' holds True"),
        ([{"loss": 1.0}], ValueError, "has no 'epoch' value"),
        ([{"epoch": 1.5, "loss": 1.0}], ValueError, "'epoch' .* holds 1.5, expected a whole number"),
        ([{"epoch": 1, "policy": "a/b"}], ValueError, "'policy' .* holds 'a/b', expected a folder name"),
    ],
)
def test_bad_rows_are_refused_before_any_file_is_written(tmp_path, rows, error, match):
    with pytest.raises(error, match=match):
        write_metrics(tmp_path, rows, step="epoch", run="policy" if "policy" in rows[0] else None)
    assert list(tmp_path.iterdir()) == []


def test_without_tensorboard_only_the_csv_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr(metrics, "_protos", lambda: None)  # as if tensorboard were not installed
    write_metrics(tmp_path / "a", [{"step": 1, "x": 2.0}], step="step")
    log = MetricsLog(tmp_path / "b")
    log.open()
    log.record(1, {"charts/x": 2.0})
    log.close()
    log.write_csv()
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["metrics.csv"]
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["metrics.csv"]
    with pytest.raises(ImportError, match=r"boltzgym\[tensorboard\]"):
        EventFile(tmp_path / "c")


def test_metrics_log_streams_then_leaves_one_file_equal_to_its_csv(tmp_path):
    log = MetricsLog(tmp_path)
    log.open()
    log.record(10, {"charts/episode_return": 3.0, "charts/epsilon": 0.5})
    log.record(12, {"losses/td_loss": 0.25})
    log._writer.flush()
    assert scalars(tmp_path / "tensorboard")["losses/td_loss"] == [(12, 0.25)]  # live, before the run ends
    log.write_csv()  # while open: replaced, and the stream goes on in a new file
    log.record(20, {"losses/td_loss": 0.125})
    log.close()
    log.write_csv()
    assert len(event_files(tmp_path)) == 1
    assert scalars(tmp_path / "tensorboard") == {
        "charts/episode_return": [(10, 3.0)],
        "charts/epsilon": [(10, 0.5)],
        "losses/td_loss": [(12, 0.25), (20, 0.125)],
    }


def test_a_resumed_log_drops_what_an_interrupted_run_streamed_past_its_checkpoint(tmp_path):
    first = MetricsLog(tmp_path)
    first.open()
    for step in (1, 2, 3):
        first.record(step, {"charts/x": float(step)})
    checkpoint_rows = list(first.rows[:2])  # the checkpoint was saved at step 2; the run then died
    first._writer.flush()
    resumed = MetricsLog(tmp_path)
    resumed.rows = checkpoint_rows
    resumed.open()  # the folder now holds the checkpoint's rows only
    assert scalars(tmp_path / "tensorboard") == {"charts/x": [(1, 1.0), (2, 2.0)]}
    resumed.record(3, {"charts/x": 30.0})
    resumed.close()
    resumed.write_csv()
    assert scalars(tmp_path / "tensorboard") == {"charts/x": [(1, 1.0), (2, 2.0), (3, 30.0)]}
    first.close()


def test_rows_that_grow_are_appended_and_changed_rows_rewritten(tmp_path):
    """``fit`` writes its history every epoch: the rows written before are appended to, not written again, while
    any change to them (or to the file) writes the whole file anew; either way the events equal the rows."""
    rows = [{"epoch": 1, "loss": 1.0}]
    write_metrics(tmp_path, rows, step="epoch")
    (first,) = event_files(tmp_path)
    rows.append({"epoch": 2, "loss": 0.5})
    write_metrics(tmp_path, rows, step="epoch")
    assert event_files(tmp_path) == [first]  # appended
    assert scalars(tmp_path / "tensorboard") == {"losses/loss": [(1, 1.0), (2, 0.5)]}
    rows[0]["loss"] = 2.0  # an earlier row changed: the file is written anew
    write_metrics(tmp_path, rows, step="epoch")
    (second,) = event_files(tmp_path)
    assert second != first and scalars(tmp_path / "tensorboard") == {"losses/loss": [(1, 2.0), (2, 0.5)]}
    with open(second, "ab") as handle:  # someone else wrote into the file: written anew too
        handle.write(b"\0")
    write_metrics(tmp_path, [*rows, {"epoch": 3, "loss": 0.25}], step="epoch")
    (third,) = event_files(tmp_path)
    assert third != second
    assert scalars(tmp_path / "tensorboard") == {"losses/loss": [(1, 2.0), (2, 0.5), (3, 0.25)]}
