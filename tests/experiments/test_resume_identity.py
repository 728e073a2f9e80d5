"""`fit --resume` resumes the same run or refuses: the identity saved in OUT/run.json against the new command."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boltzgym.experiments.fitting import RESUMABLE_CHANGES, identity_differences
from boltzgym.scripts import cli

values = st.one_of(st.integers(-5, 5), st.floats(-2, 2, allow_nan=False), st.booleans(), st.sampled_from(["a", "b"]))
identities = st.fixed_dictionaries(
    {
        "format": st.just("boltzgym-fit-run/1"),
        "model": st.sampled_from(["mlp", "resnet"]),
        "data": st.sampled_from(["digits", "sine"]),
        "seed": st.integers(0, 3),
        "settings": st.dictionaries(st.sampled_from(["learning_rate", "hidden_sizes", "optimizer", "dropout"]), values),
    }
)


@settings(max_examples=200, deadline=None)
@given(identities, identities)
def test_differences_are_empty_exactly_for_the_same_run_and_name_each_difference(saved, current):
    differences = identity_differences(saved, current)
    assert (differences == []) == (saved == current)
    for key, flag in (("model", "MODEL"), ("data", "--data"), ("seed", "--seed")):
        named = f"{flag} {current[key]} (the run has {saved[key]})" in differences
        assert named == (saved[key] != current[key])
    for key in set(saved["settings"]) | set(current["settings"]):
        named = any(d.startswith(f"--set {key}=") for d in differences)
        assert named == (saved["settings"].get(key, "<unset>") != current["settings"].get(key, "<unset>"))


@settings(max_examples=100, deadline=None)
@given(identities, st.sampled_from(["learning_rate", "hidden_sizes", "optimizer", "dropout"]), values)
def test_changing_one_setting_is_named_alone(saved, key, value):
    current = json.loads(json.dumps(saved))
    current["settings"][key] = value
    differences = identity_differences(saved, current)
    if saved["settings"].get(key, "<unset>") == value:
        assert differences == []
    else:
        assert differences == [f"--set {key}={value} (the run has {saved['settings'].get(key, '<unset>')})"]


def test_only_epochs_may_change_on_resume():
    assert RESUMABLE_CHANGES == ("epochs",)


TINY = ["fit", "mlp", "--data", "digits", "--set", "hidden_sizes=8"]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (["--set", "learning_rate=0.5"], "--set learning_rate=0.5 (the run has 0.001)"),
        (["--set", "optimizer=sgd"], "--set optimizer=sgd (the run has adamw)"),
        (["--data", "binary-digits"], "--data binary-digits (the run has digits)"),
        (["--seed", "3"], "--seed 3 (the run has 0)"),
    ],
)
def test_a_resumed_fit_with_other_settings_is_refused_in_one_line(tmp_path, capsys, change, named):
    out = str(tmp_path / "run")
    assert cli.main([*TINY, "--epochs", "1", "--out", out]) == 0
    capsys.readouterr()
    before = (tmp_path / "run" / "summary.json").read_text()
    argv = [*TINY, "--epochs", "2", "--out", out, "--resume"]
    if change[0] == "--data":
        argv[3] = change[1]
    else:
        argv += change
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and named in err[0] and "only --epochs may change" in err[0]
    assert (tmp_path / "run" / "summary.json").read_text() == before  # the finished run is untouched


def test_a_resumed_fit_may_train_longer(tmp_path, capsys):
    out = str(tmp_path / "run")
    assert cli.main([*TINY, "--epochs", "1", "--out", out]) == 0
    assert cli.main([*TINY, "--epochs", "2", "--out", out, "--resume"]) == 0
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["epochs"] == 2
