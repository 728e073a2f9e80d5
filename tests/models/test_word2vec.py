"""Word2Vec (notes 4.3): the SGNS kernel against a NumPy reference on the same draws, the tables, reproducibility,
learning a planted structure, gensim compatibility (tokens, vocabulary, subsampling, evaluation, file formats),
persistence and errors."""

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from boltzgym.models.datasets import load_dataset
from boltzgym.models.embeddings import _word2vec_kernels as kernels
from boltzgym.models.embeddings.keyed_vectors import KeyedVectors
from boltzgym.models.embeddings.word2vec import Word2Vec, gensim_test_file, lee_corpus, simple_preprocess
from boltzgym.utils.rng import make_streams, next_below, next_double

gensim = pytest.importorskip("gensim")  # the dev install includes it (pyproject: dev, text extras)


def planted_corpus(n_sentences=300, seed=0, topic_size=6):
    """Two topics whose words co-occur only with each other: a0, a1, ... and b0, b1, ... (``topic_size`` each)."""
    rng = np.random.default_rng(seed)
    topics = [[f"a{i}" for i in range(topic_size)], [f"b{i}" for i in range(topic_size)]]
    return [list(rng.choice(topics[s % 2], size=8)) for s in range(n_sentences)]


@pytest.fixture(scope="module")
def lee():
    return lee_corpus()


# --- the kernel ---------------------------------------------------------------------------------------------


def reference_update(syn0, syn1neg, context, targets, alpha, sigmoid):
    """One SGNS step in NumPy float32, word2vec.c's order: output rows in turn, the input row at the end."""
    v = syn0[context].copy()
    work = np.zeros_like(v)
    loss = 0.0
    for k, target in enumerate(targets):
        label = np.float32(1.0 if k == 0 else 0.0)
        f = np.float32(np.dot(v.astype(np.float64), syn1neg[target].astype(np.float64)))
        if f >= kernels.MAX_EXP:
            s = np.float32(1.0)
        elif f <= -kernels.MAX_EXP:
            s = np.float32(0.0)
        else:
            s = sigmoid[int((float(f) + kernels.MAX_EXP) * (sigmoid.size / kernels.MAX_EXP / 2.0))]
        g = (label - s) * np.float32(alpha)
        work = work + g * syn1neg[target]
        syn1neg[target] = syn1neg[target] + g * v
        z = -float(f) if k == 0 else float(f)
        loss += math.log1p(math.exp(z)) if z < 30 else z  # -log sigma(+-f)
    syn0[context] = v + work
    return loss


def test_sgns_update_equals_numpy_reference_exactly():
    # Vectors on a dyadic grid (k/64) make every dot product exact whatever order the vectorised kernel sums in;
    # every other operation is elementwise, so the kernel and the reference must agree bit for bit.
    rng = np.random.default_rng(0)
    d = 21  # not a multiple of the SIMD width
    syn0 = (rng.integers(-32, 33, size=(6, d)) / 64).astype(np.float32)
    syn1neg = (rng.integers(-32, 33, size=(6, d)) / 64).astype(np.float32)
    syn1neg[4] = 2 * np.sign(syn0[1]) + 0.5  # a noise word with u.v >= 6: the table saturates to sigma = 1
    targets = np.array([2, 0, 4, 5], dtype=np.int32)
    alpha, sigmoid = 0.25, kernels.sigmoid_table()
    expected0, expected1 = syn0.copy(), syn1neg.copy()
    expected_loss = reference_update(expected0, expected1, 1, targets, alpha, sigmoid)
    work = np.zeros(d, np.float32)
    loss = kernels.sgns_update(syn0, syn1neg, 1, targets, targets.size, alpha, sigmoid, work, True)
    np.testing.assert_array_equal(syn0, expected0)
    np.testing.assert_array_equal(syn1neg, expected1)
    assert not np.array_equal(syn0[1], (rng.integers(-32, 33, size=d) / 64).astype(np.float32))
    assert loss == pytest.approx(expected_loss, rel=1e-12)


def reference_epoch(corpus, syn0, syn1neg, tables, schedule, states):
    """The serial epoch in Python, drawing from the same xoshiro stream in the same order as the kernel."""
    words, starts = corpus.words, corpus.sentence_starts
    n = len(tables.noise_threshold)
    for sentence in range(len(starts) - 1):
        start, end = starts[sentence], starts[sentence + 1]
        progress = (schedule.words_before + start) / schedule.total_words
        alpha = max(schedule.alpha_end, schedule.alpha_start - (schedule.alpha_start - schedule.alpha_end) * progress)
        kept = [
            w
            for w in words[start:end]
            if tables.keep_probability[w] >= 1 or next_double(states, 0) < tables.keep_probability[w]
        ]
        for i, centre in enumerate(kept):
            reduced = next_below(states, 0, schedule.window)
            for j in range(max(0, i - schedule.window + reduced), min(len(kept), i + schedule.window + 1 - reduced)):
                if j == i:
                    continue
                targets = [centre]
                for _ in range(schedule.negative):
                    u = next_double(states, 0) * n
                    noise = int(u) if u - int(u) < tables.noise_threshold[int(u)] else tables.noise_alias[int(u)]
                    if noise != centre:
                        targets.append(noise)
                reference_update(syn0, syn1neg, kept[j], targets, alpha, tables.sigmoid)


def test_epoch_kernel_equals_python_reference_on_the_same_draws():
    rng = np.random.default_rng(1)
    words = rng.integers(0, 7, size=40).astype(np.int32)
    corpus = kernels.Corpus(words, np.array([0, 9, 25, 40], dtype=np.int64), np.array([0, 3], dtype=np.int64))
    counts = np.bincount(words, minlength=7).astype(np.float64)
    threshold, alias = kernels.alias_table(counts**0.75)
    keep = np.minimum(1.0, 0.5 + 1.0 / counts)  # some words subsampled
    tables = kernels.Tables(keep, threshold, alias, kernels.sigmoid_table())
    schedule = kernels.Schedule(3, 2, 0.05, 0.001, 40, 120, False)
    syn0 = ((rng.random((7, 10)) - 0.5) / 10).astype(np.float32)
    syn1neg = ((rng.random((7, 10)) - 0.5) / 10).astype(np.float32)
    expected0, expected1, expected_states = syn0.copy(), syn1neg.copy(), make_streams(3, 1)
    reference_epoch(corpus, expected0, expected1, tables, schedule, expected_states)
    stats = np.zeros((1, len(kernels.STATS)))
    space = kernels.Workspace(
        make_streams(3, 1),
        np.zeros((1, 16), np.int32),
        np.zeros((1, 10), np.float32),
        np.zeros((1, 3), np.int32),
        stats,
    )
    kernels.train_epoch(corpus, syn0, syn1neg, tables, schedule, space)
    np.testing.assert_array_equal(space.rng_states, expected_states)  # the same number of draws, in the same order
    np.testing.assert_allclose(syn0, expected0, rtol=1e-5, atol=1e-7)  # (dot products summed in another order)
    np.testing.assert_allclose(syn1neg, expected1, rtol=1e-5, atol=1e-7)
    assert stats[0, 0] == 40 and 0 < stats[0, 1] < 40 and stats[0, 2] > 0


def test_alias_table_gives_the_unigram_power_distribution_exactly():
    weights = np.array([50.0, 20.0, 7.0, 3.0, 1.0, 1.0]) ** 0.75
    threshold, alias = kernels.alias_table(weights)
    n = weights.size
    implied = threshold.copy()
    for column in range(n):
        if alias[column] != column:
            implied[alias[column]] += 1.0 - threshold[column]
    np.testing.assert_allclose(implied / n, weights / weights.sum(), rtol=1e-12)


# --- gensim compatibility: tokens, vocabulary, subsampling, evaluation, files ---------------------------------


def test_tokens_vocabulary_and_subsampling_match_gensim(lee):
    lines = gensim_test_file("lee_background.cor").read_text(encoding="utf-8").splitlines()
    assert [simple_preprocess(line) for line in lines[:50]] == [gensim.utils.simple_preprocess(x) for x in lines[:50]]
    ours = Word2Vec(lee, min_count=5, epochs=1, vector_size=8)
    theirs = gensim.models.Word2Vec(min_count=5, sg=1, sample=1e-3)
    theirs.build_vocab(lee)
    assert set(ours.wv.index_to_key) == set(theirs.wv.index_to_key)
    keep = ours._keep_probability()
    for word in ours.wv.index_to_key[:200]:
        index = ours.wv.get_index(word)
        assert ours.wv.get_vecattr(word, "count") == theirs.wv.get_vecattr(word, "count")
        assert keep[index] == pytest.approx(theirs.wv.get_vecattr(word, "sample_int") / (2**32 - 1), abs=1e-9)
    assert keep.min() < 0.2  # "the" and friends are subsampled
    dataset = load_dataset("lee")
    assert dataset.kind == "text" and len(dataset.x_train) == 300 and dataset.x_train[5] == lee[5]
    assert all(Path(dataset.metadata[key]).is_file() for key in ("word_pairs", "analogies"))


def test_text_and_binary_formats_round_trip_with_gensim(tmp_path, lee):
    model = Word2Vec(lee, min_count=5, epochs=1, vector_size=16, seed=0)
    for binary in (False, True):
        path = tmp_path / f"vectors-{binary}.txt"
        model.wv.save_word2vec_format(path, binary=binary)
        theirs = gensim.models.KeyedVectors.load_word2vec_format(str(path), binary=binary)
        assert theirs.index_to_key == model.wv.index_to_key
        np.testing.assert_array_equal(theirs.vectors, model.wv.vectors)  # bit for bit, text included
        back_path = tmp_path / f"gensim-{binary}.txt"
        theirs.save_word2vec_format(str(back_path), binary=binary)
        back = KeyedVectors.load_word2vec_format(back_path, binary=binary)
        assert back.index_to_key == model.wv.index_to_key
        np.testing.assert_array_equal(back.vectors, model.wv.vectors)
    # the same vectors give gensim's neighbours, similarities and WordSim-353 correlation
    theirs = gensim.models.KeyedVectors.load_word2vec_format(str(tmp_path / "vectors-False.txt"))
    assert [w for w, _ in model.wv.most_similar("fire", topn=5)] == [w for w, _ in theirs.most_similar("fire", topn=5)]
    assert (
        model.wv.most_similar(positive=["fire", "police"], negative=["people"], topn=3)[0][0]
        == theirs.most_similar(positive=["fire", "police"], negative=["people"], topn=3)[0][0]
    )
    assert model.wv.similarity("fire", "police") == pytest.approx(float(theirs.similarity("fire", "police")), abs=1e-6)
    pairs = gensim_test_file("wordsim353.tsv")
    ours_eval, theirs_eval = model.wv.evaluate_word_pairs(pairs), theirs.evaluate_word_pairs(str(pairs))
    assert ours_eval[1].statistic == pytest.approx(theirs_eval[1].statistic, abs=1e-6)
    assert ours_eval[2] == pytest.approx(theirs_eval[2])
    analogies = gensim_test_file("questions-words.txt")
    ours_score, ours_sections = model.wv.evaluate_word_analogies(analogies)
    theirs_score, theirs_sections = theirs.evaluate_word_analogies(str(analogies))
    assert ours_score == theirs_score and ours_sections[-1]["correct"] == theirs_sections[-1]["correct"]
    assert len(ours_sections[-1]["incorrect"]) == len(theirs_sections[-1]["incorrect"]) > 100


# --- training ---------------------------------------------------------------------------------------------


def test_same_seed_same_vectors_and_save_load_round_trip(tmp_path):
    corpus = planted_corpus(60)
    first = Word2Vec(corpus, vector_size=12, min_count=1, epochs=2, seed=7)
    second = Word2Vec(corpus, vector_size=12, min_count=1, epochs=2, seed=7)
    other = Word2Vec(corpus, vector_size=12, min_count=1, epochs=2, seed=8)
    np.testing.assert_array_equal(first.wv.vectors, second.wv.vectors)
    np.testing.assert_array_equal(first.syn1neg, second.syn1neg)
    assert not np.allclose(first.wv.vectors, other.wv.vectors)
    loaded = Word2Vec.load(first.save(tmp_path / "model"))
    np.testing.assert_array_equal(loaded.wv.vectors, first.wv.vectors)
    np.testing.assert_array_equal(loaded.syn1neg, first.syn1neg)
    assert loaded.wv.index_to_key == first.wv.index_to_key and loaded.window == first.window


@pytest.mark.parametrize("workers", [1, 2])
def test_learns_a_planted_structure_and_the_loss_falls(workers):
    # 24 words a topic: Hogwild needs rare write conflicts; on 12 words two threads collide on nearly every update
    # and the learnt structure depends on thread timing (a CI run on a loaded machine gave 0.48 for the margin below)
    corpus = planted_corpus(1600, topic_size=24)  # 12,800 words
    model = Word2Vec(
        corpus, vector_size=16, window=3, min_count=1, epochs=3, sample=0, workers=workers, compute_loss=True
    )
    assert model._chunk_starts().size - 1 >= 4 * workers  # every worker has work
    a, b = [f"a{i}" for i in range(24)], [f"b{i}" for i in range(24)]
    within = np.mean([model.wv.similarity(x, y) for group in (a, b) for x in group for y in group if x != y])
    between = np.mean([model.wv.similarity(x, y) for x in a for y in b])
    assert within > between + 0.5, (within, between)
    assert {word for word, _ in model.wv.most_similar("a0", topn=10)} <= set(a[1:])
    untrained = (model.negative + 1) * math.log(2)  # every sigma(u.v) = 1/2 while the output vectors are zero
    assert model.training_loss[-1] / model.training_pairs[-1] < 0.5 * untrained
    assert model.training_loss[-1] < model.training_loss[0]


# --- errors -----------------------------------------------------------------------------------------------


def test_errors_name_the_argument_or_the_word():
    corpus = planted_corpus(20)
    with pytest.raises(ValueError, match="sentences is empty"):
        Word2Vec([[], []])
    with pytest.raises(ValueError, match="min_count=100 leaves no word"):
        Word2Vec(corpus, min_count=100)
    with pytest.raises(TypeError, match=r"sentences\[0\] must be a list of str"):
        Word2Vec(["a sentence as one string"])
    with pytest.raises(ValueError, match="vector_size must be >= 1"):
        Word2Vec(corpus, vector_size=0)
    with pytest.raises(ValueError, match="sg must be 1"):
        Word2Vec(corpus, sg=0)
    with pytest.raises(ValueError, match="min_alpha must be <= alpha"):
        Word2Vec(corpus, alpha=0.01, min_alpha=0.1)
    model = Word2Vec(corpus, vector_size=4, min_count=1, epochs=1)
    for call in (
        lambda: model.wv["zebra"],
        lambda: model.wv.most_similar("zebra"),
        lambda: model.wv.similarity("a0", "zebra"),
    ):
        with pytest.raises(KeyError, match="Key 'zebra' not present"):
            call()


def test_word2vec_does_not_import_torch():
    code = (
        "import sys; from boltzgym.models.embeddings.word2vec import Word2Vec; "
        "Word2Vec([['a', 'b', 'a']], min_count=1, vector_size=4, epochs=1); assert 'torch' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
