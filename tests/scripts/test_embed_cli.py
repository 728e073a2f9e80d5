"""``boltzgym embed``: the run folder (summary, vectors gensim can read, checkpoint, plot) and bad arguments."""

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


def test_embed_writes_the_run_folder(tmp_path, corpus_file, capsys):
    out = tmp_path / "run"
    argv = ["embed", "--corpus", str(corpus_file), "--vector-size", "12", "--window", "3", "--epochs", "6",
            "--min-count", "1", "--sample", "0", "--words", "apple,tiger", "--topn", "3"]  # fmt: skip
    argv += ["--out", str(out), "--json"]
    assert cli.main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary == json.loads((out / "summary.json").read_text())
    assert summary["vocabulary"] == 12 and summary["tokens"] == 1600 and summary["epochs"] == 6
    assert {w for w, _ in summary["neighbours"]["apple"]} <= set(FRUIT)
    assert {w for w, _ in summary["neighbours"]["tiger"]} <= set(ANIMALS)
    vectors = KeyedVectors.load_word2vec_format(out / "vectors.txt")
    model = Word2Vec.load(out / "checkpoint")
    np.testing.assert_array_equal(vectors.vectors, model.wv.vectors)
    assert (out / "projection.png").stat().st_size > 0
    assert (out / "metrics.csv").read_text().splitlines()[0] == "epoch,loss"


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--corpus", "no-such-file.txt"], "--corpus 'no-such-file.txt' is neither `lee` nor an existing text file"),
        (["--words", "apple,unicorn"], "--words: ['unicorn'] not in the vocabulary"),
        (["--min-count", "1000"], "has no word seen --min-count=1000 times"),
        (["--alpha", "0.01", "--min-alpha", "0.1"], "--min-alpha must be <= --alpha"),
    ],
)
def test_embed_bad_arguments_exit_2_and_leave_no_folder(tmp_path, corpus_file, capsys, extra, message):
    out = tmp_path / "run"
    argv = ["embed", "--corpus", str(corpus_file), "--min-count", "1", "--epochs", "1", "--out", str(out), *extra]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists()
