"""One vocabulary across commands (docs/vocabulary.md): every old spelling still works as an alias that prints
exactly one deprecation line naming the new form and gives the same result; the trainers' shared options."""

from __future__ import annotations

import json

import pytest

from boltzgym.scripts import cli

# keys that differ between two runs of the same work (wall time, speed, where files went)
VOLATILE = {"seconds", "attempts_per_second", "steps_per_second", "train_seconds", "words_per_second", "checkpoint",
            "vectors", "resumed_from"}  # fmt: skip


def run(capsys, argv: list[str], out) -> tuple[dict, list[str]]:
    """Run ``argv`` into ``out`` with --json; return the summary (volatile keys dropped) and the stderr lines."""
    assert cli.main([*argv, "--out", str(out), "--json", "--no-progress"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    return {k: v for k, v in summary.items() if k not in VOLATILE}, captured.err.strip().splitlines()


def deprecations(err: list[str]) -> list[str]:
    return [line for line in err if " is deprecated; use " in line]


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        (["anneal", "--n", "16", "--sweeps", "20", "--num-reads", "2"],
         ["anneal", "--n", "16", "--num-sweeps", "20", "--num-reads", "2"],
         "boltzgym: --sweeps is deprecated; use --num-sweeps"),
        (["anneal", "--n", "16", "--num-sweeps", "20", "--reads", "2"],
         ["anneal", "--n", "16", "--num-sweeps", "20", "--num-reads", "2"],
         "boltzgym: --reads is deprecated; use --num-reads"),
        (["anneal", "--n", "16", "--num-sweeps", "20", "--num-reads", "2", "--method", "pt"],
         ["anneal", "--n", "16", "--num-sweeps", "20", "--num-reads", "2", "--sampler", "pt"],
         "boltzgym: --method pt is deprecated; use --sampler pt"),
        (["anneal", "--n", "16", "--num-sweeps", "20", "--num-reads", "2", "--method", "sa"],
         ["anneal", "--n", "16", "--num-sweeps", "20", "--num-reads", "2", "--sampler", "sa"],
         "boltzgym: --method sa is deprecated; use --sampler sa"),
        (["hopfield", "recall", "--sweeps", "3"], ["hopfield", "recall", "--num-sweeps", "3"],
         "boltzgym: --sweeps is deprecated; use --num-sweeps"),
        (["train", "q-learning", "--env", "FrozenLake-v1", "--steps", "300", "--eval-episodes", "2"],
         ["train", "q-learning", "--env", "FrozenLake-v1", "--total-timesteps", "300", "--eval-episodes", "2"],
         "boltzgym: --steps is deprecated; use --total-timesteps"),
        (["rbm", "--hidden", "4", "--epochs", "5", "--cd-k", "2", "--learning-rate", "0.1"],
         ["fit", "rbm", "--data", "bars-stripes-3", "--epochs", "5", "--set", "n_components=4", "--set", "cd_k=2",
          "--set", "learning_rate=0.1", "--set", "persistent=false", "--set", "learning_rate_schedule=linear",
          "--set", "momentum=0.5", "--set", "ais_betas=5000"],
         "boltzgym: boltzgym rbm is deprecated; use boltzgym fit rbm"),
    ],
)  # fmt: skip
def test_each_alias_prints_one_deprecation_line_and_gives_the_new_forms_result(capsys, tmp_path, old, new, line):
    old_summary, old_err = run(capsys, old, tmp_path / "old")
    new_summary, new_err = run(capsys, new, tmp_path / "new")
    assert deprecations(old_err) == [line]
    assert deprecations(new_err) == []
    assert old_summary == new_summary


def test_embed_alias_equals_fit_word2vec(capsys, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(["red green blue red green blue", "cat dog cow cat dog cow"] * 40) + "\n")
    old = ["embed", "--corpus", str(corpus), "--vector-size", "8", "--epochs", "2", "--min-count", "1", "--alpha",
           "0.05", "--words", "red"]  # fmt: skip
    new = ["fit", "word2vec", "--data", str(corpus), "--set", "vector_size=8", "--epochs", "2", "--set", "min_count=1",
           "--set", "alpha=0.05", "--set", "words=red", "--set", "topn=5"]  # fmt: skip
    old_summary, old_err = run(capsys, old, tmp_path / "old")
    new_summary, _ = run(capsys, new, tmp_path / "new")
    assert deprecations(old_err) == ["boltzgym: boltzgym embed is deprecated; use boltzgym fit word2vec"]
    assert old_summary == new_summary and len(new_summary["neighbours"]["red"]) == 5


def test_deprecated_flags_are_hidden_from_help(capsys):
    for command, hidden, shown in [("anneal", "--sweeps", "--num-sweeps"), ("train", "--steps", "--total-timesteps")]:
        with pytest.raises(SystemExit):
            cli.main([command, "--help"])
        text = capsys.readouterr().out
        assert shown in text and f"{hidden} " not in text and f"{hidden}\n" not in text


def test_train_list_keys_needs_no_env(capsys):
    from boltzgym.agents.dqn import DQNConfig

    assert cli.main(["train", "dqn", "--list-keys"]) == 0
    rows = {line.split()[0]: line.split(maxsplit=1)[1].strip() for line in capsys.readouterr().out.splitlines()[2:]}
    assert rows["net_arch"] == repr(DQNConfig().net_arch) and rows["learning_rate"] == repr(DQNConfig().learning_rate)
    assert cli.main(["train", "dqn", "--env", "Acrobot-v1", "--list-keys"]) == 0  # the env's preset
    assert "(128, 128)" in capsys.readouterr().out
    assert cli.main(["train", "dqn", "--total-timesteps", "10"]) == 2
    assert "--env is required" in capsys.readouterr().err


def test_train_dqn_takes_list_syntax_and_device(capsys, tmp_path):
    argv = ["train", "dqn", "--env", "CartPole-v1", "--total-timesteps", "64", "--eval-episodes", "1", "--set",
            "net_arch=8,8", "--set", "learning_starts=32", "--set", "batch_size=8", "--device", "cpu"]  # fmt: skip
    summary, _ = run(capsys, argv, tmp_path / "run")
    assert summary["hyperparameters"]["net_arch"] == [8, 8]
    argv = ["train", "q-learning", "--env", "FrozenLake-v1", "--total-timesteps", "10", "--device", "cuda"]
    assert cli.main([*argv, "--out", str(tmp_path / "tabular")]) == 2
    assert "--device cuda: q-learning runs on the CPU" in capsys.readouterr().err


def test_train_resume_is_a_flag_continuing_the_run_in_out(capsys, tmp_path):
    out = tmp_path / "run"
    argv = ["train", "q-learning", "--env", "FrozenLake-v1", "--total-timesteps", "200", "--eval-episodes", "1"]
    assert cli.main([*argv, "--resume"]) == 2
    assert "--resume needs --out" in capsys.readouterr().err
    first, _ = run(capsys, [*argv, "--resume"], out)  # nothing to continue yet: a fresh run
    assert first["num_timesteps"] == 200
    again, err = run(capsys, [*argv, "--resume"], out)
    assert again["num_timesteps"] == 400 and deprecations(err) == []
    old_form, err = run(capsys, [*argv, "--resume", str(out / "checkpoint")], tmp_path / "copy")
    assert deprecations(err) == [
        "boltzgym: --resume PATH is deprecated; use --out RUN --resume (continues RUN/checkpoint)"
    ]
    assert old_form["num_timesteps"] == 600
