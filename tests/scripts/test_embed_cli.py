"""``boltzgym fit word2vec`` (and its deprecated alias ``embed``): the run folder (summary, vectors gensim can read,
checkpoint, plot) and bad arguments."""

import json

import numpy as np
import pytest

from boltzgym.models.embeddings.keyed_vectors import KeyedVectors
from boltzgym.models.embeddings.word2vec import Word2Vec
from boltzgym.scripts import cli

FRUIT = ["apple", "banana", "cherry", "grape", "lemon", "mango"]
ANIMALS = ["tiger", "lion", "zebra", "horse", "camel", "sheep"]


@pytest.fixture
def corpus_file(tmp_path):
    rng = np.random.default_rng(0)
    lines = [" ".join(rng.choice(FRUIT if i % 2 else ANIMALS, size=8)).capitalize() + "." for i in range(200)]
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_fit_word2vec_writes_the_run_folder(tmp_path, corpus_file, capsys):
    out = tmp_path / "run"
    argv = ["fit", "word2vec", "--data", str(corpus_file), "--set", "vector_size=12", "--set", "window=3",
            "--epochs", "6", "--set", "min_count=1", "--set", "sample=0", "--set", "words=apple,tiger",
            "--set", "topn=3"]  # fmt: skip
    argv += ["--out", str(out), "--json"]
    assert cli.main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary == json.loads((out / "summary.json").read_text())
    assert summary["vocabulary"] == 12 and summary["tokens"] == 1600 and summary["epochs"] == 6
    assert summary["n_parameters"] == 2 * 12 * 12
    assert {w for w, _ in summary["neighbours"]["apple"]} <= set(FRUIT)
    assert {w for w, _ in summary["neighbours"]["tiger"]} <= set(ANIMALS)
    vectors = KeyedVectors.load_word2vec_format(out / "vectors.txt")
    model = Word2Vec.load(out / "checkpoint")
    np.testing.assert_array_equal(vectors.vectors, model.wv.vectors)
    assert (out / "projection.png").stat().st_size > 0
    assert (out / "metrics.csv").read_text().splitlines()[0] == "epoch,train_loss"
    assert (out / "learning_curve.png").is_file()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--data", "no-such-file.txt"], "unknown dataset 'no-such-file.txt'"),
        (["--set", "words=apple,unicorn"], "--set words: ['unicorn'] not in the vocabulary"),
        (["--set", "min_count=1000"], "--set min_count=1000: data"),
        (["--set", "alpha=0.01", "--set", "min_alpha=0.1"], "min_alpha must be <= alpha"),
        (["--device", "cuda"], "--device cuda: word2vec runs on the CPU"),
    ],
)
def test_fit_word2vec_bad_arguments_exit_2_and_leave_no_folder(tmp_path, corpus_file, capsys, extra, message):
    out = tmp_path / "run"
    argv = ["fit", "word2vec", "--data", str(corpus_file), "--set", "min_count=1", "--epochs", "1", "--out", str(out)]
    argv += extra
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists()
