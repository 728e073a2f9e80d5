"""Word vectors looked up by word, with gensim's ``KeyedVectors`` interface (``model.wv`` of :class:`Word2Vec`).

``wv[word]``, ``wv.most_similar(word, topn)``, ``wv.similarity(a, b)``, ``wv.index_to_key``, ``wv.key_to_index``,
``wv.evaluate_word_pairs(path)`` (Pearson and Spearman correlation with human similarity judgements, as gensim
computes them), ``wv.evaluate_word_analogies(path)`` (3CosAdd accuracy, as gensim) and the word2vec text/binary
formats of the C tool (``save_word2vec_format`` / ``load_word2vec_format``), which gensim reads and writes: vectors
move between the two libraries as files.
An unknown word raises ``KeyError("Key 'word' not present")``, as gensim does. NumPy only (no torch).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from boltzgym.utils.io import atomic_write_bytes

__all__ = ["KeyedVectors"]


class KeyedVectors:
    """A vocabulary (``index_to_key``, most frequent first) and one float32 vector per word (``vectors``, (V, d)).

    Args:
        index_to_key: the words, in row order.
        vectors: float32 array (V, d).
        counts: optional corpus counts per word (``get_vecattr(word, "count")``).
    """

    def __init__(self, index_to_key: Sequence[str], vectors: np.ndarray, counts: np.ndarray | None = None) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(index_to_key):
            raise ValueError(f"vectors must have shape ({len(index_to_key)}, d), got {vectors.shape}")
        self.index_to_key: list[str] = list(index_to_key)
        self.key_to_index: dict[str, int] = {key: i for i, key in enumerate(self.index_to_key)}
        if len(self.key_to_index) != len(self.index_to_key):
            raise ValueError("index_to_key holds a word twice")
        self.vectors = vectors
        self.counts = None if counts is None else np.asarray(counts, dtype=np.int64)

    @property
    def vector_size(self) -> int:
        """The dimension d of the vectors."""
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, key: str) -> bool:
        return key in self.key_to_index

    def __repr__(self) -> str:
        return f"KeyedVectors<vector_size={self.vector_size}, {len(self)} keys>"

    def get_index(self, key: str) -> int:
        """The row of ``key``; ``KeyError("Key 'key' not present")`` for a word outside the vocabulary."""
        try:
            return self.key_to_index[key]
        except (KeyError, TypeError):
            raise KeyError(f"Key '{key}' not present") from None

    def get_vector(self, key: str, norm: bool = False) -> np.ndarray:
        """The vector of ``key`` (unit length with ``norm``); a view, as in gensim."""
        index = self.get_index(key)
        return self.get_normed_vectors()[index] if norm else self.vectors[index]

    def __getitem__(self, keys: str | Iterable[str]) -> np.ndarray:
        if isinstance(keys, str):
            return self.get_vector(keys)
        return np.stack([self.get_vector(key) for key in keys])

    def get_vecattr(self, key: str, attr: str) -> int:
        """``get_vecattr(word, "count")``: the word's corpus count (the one attribute kept)."""
        if attr != "count" or self.counts is None:
            raise KeyError(
                f"attribute {attr!r} not stored (these vectors keep {'count' if self.counts is not None else 'none'})"
            )
        return int(self.counts[self.get_index(key)])

    def get_normed_vectors(self) -> np.ndarray:
        """Every vector scaled to unit length (a zero vector stays zero); recomputed after ``vectors`` change."""
        norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
        return self.vectors / np.where(norms == 0, 1.0, norms)

    def similarity(self, w1: str, w2: str) -> float:
        """Cosine similarity of the two words' vectors."""
        a, b = self.get_vector(w1, norm=True), self.get_vector(w2, norm=True)
        return float(np.dot(a, b))

    def most_similar(
        self,
        positive: str | Sequence[str] | None = None,
        negative: str | Sequence[str] | None = None,
        topn: int | None = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]] | np.ndarray:
        """The ``topn`` words nearest (by cosine) to the mean of the unit vectors of ``positive`` minus those of
        ``negative`` (``most_similar(positive=["king", "woman"], negative=["man"])``), the query words
        excluded; ``topn=None`` returns the similarities to every word. ``restrict_vocab`` searches only the most
        frequent words."""
        positive = [positive] if isinstance(positive, str) else list(positive or [])
        negative = [negative] if isinstance(negative, str) else list(negative or [])
        if not positive and not negative:
            raise ValueError("most_similar needs at least one word in positive or negative")
        if topn is not None and (isinstance(topn, bool) or not isinstance(topn, int) or topn < 0):
            raise ValueError(f"topn must be a non-negative integer or None, got {topn!r}")
        normed = self.get_normed_vectors()
        indices = [self.get_index(word) for word in positive + negative]
        weights = np.array([1.0] * len(positive) + [-1.0] * len(negative), dtype=np.float32)
        query = (weights[:, None] * normed[indices]).mean(axis=0)
        norm = np.linalg.norm(query)
        query = query / norm if norm > 0 else query
        limit = len(self) if restrict_vocab is None else min(int(restrict_vocab), len(self))
        similarities = normed[:limit] @ query
        if topn is None:
            return similarities
        order = np.argsort(-similarities, kind="stable")
        excluded = set(indices)
        return [(self.index_to_key[i], float(similarities[i])) for i in order if i not in excluded][:topn]

    def evaluate_word_pairs(
        self,
        pairs: str | os.PathLike,
        delimiter: str = "\t",
        restrict_vocab: int = 300000,
        case_insensitive: bool = True,
    ):
        """Correlation of the model's cosine similarities with human judgements, as gensim's
        ``evaluate_word_pairs``: ``pairs`` is a file of ``word1<TAB>word2<TAB>score`` lines (``#`` comments), such as
        WordSim-353. Pairs with a word outside the ``restrict_vocab`` most frequent words are skipped.

        Returns ``(pearson, spearman, oov_ratio)``: scipy's ``pearsonr`` and ``spearmanr`` results and the
        percentage of skipped pairs."""
        from scipy import stats

        allowed = self.index_to_key[:restrict_vocab]
        fold = str.upper if case_insensitive else str
        lookup = {fold(key): self.key_to_index[key] for key in reversed(allowed)}  # the most frequent form wins
        gold, model, oov = [], [], 0
        normed = self.get_normed_vectors()
        for first, second, score in read_word_pairs(pairs, delimiter=delimiter):
            a, b = fold(first), fold(second)
            if a not in lookup or b not in lookup:
                oov += 1
                continue
            gold.append(score)
            model.append(float(np.dot(normed[lookup[a]], normed[lookup[b]])))
        if not gold:
            raise ValueError(f"pairs {str(pairs)!r}: no pair with both words in the vocabulary (or no valid lines)")
        return stats.pearsonr(gold, model), stats.spearmanr(gold, model), 100.0 * oov / (len(gold) + oov)

    def evaluate_word_analogies(
        self, analogies: str | os.PathLike, restrict_vocab: int = 300000, case_insensitive: bool = True
    ) -> tuple[float, list[dict]]:
        """Accuracy on analogy questions ``a b c d`` ("a is to b as c is to d"), as gensim's
        ``evaluate_word_analogies``: the answer is the word nearest to ``b - a + c`` (3CosAdd on unit vectors) among
        the ``restrict_vocab`` most frequent words, ``a``, ``b`` and ``c`` excluded; questions with a word outside
        them are skipped; ``: name`` lines start sections (the file ``questions-words.txt`` of Mikolov et al. 2013).

        Returns ``(score, sections)``: the overall accuracy and per section ``{"section", "correct",
        "incorrect"}`` (lists of the questions' word tuples), the last one ``"Total accuracy"``."""
        fold = str.upper if case_insensitive else str
        allowed = self.index_to_key[:restrict_vocab]
        lookup = {fold(key): self.key_to_index[key] for key in reversed(allowed)}
        normed = self.get_normed_vectors()[: len(allowed)]
        sections: list[dict] = []
        with open(analogies, encoding="utf-8") as handle:
            for line in handle:
                if line.startswith(": "):
                    sections.append({"section": line[2:].strip(), "correct": [], "incorrect": []})
                    continue
                words = [fold(word) for word in line.split()]
                if not sections or len(words) != 4 or any(word not in lookup for word in words):
                    continue
                a, b, c, expected = (lookup[word] for word in words)
                query = normed[b] - normed[a] + normed[c]  # the direction of gensim's mean: the same argmax
                similarities = normed @ query
                similarities[[a, b, c]] = -np.inf
                outcome = "correct" if int(np.argmax(similarities)) == expected else "incorrect"
                sections[-1][outcome].append(tuple(words))
        total = {
            "section": "Total accuracy",
            "correct": [q for section in sections for q in section["correct"]],
            "incorrect": [q for section in sections for q in section["incorrect"]],
        }
        answered = len(total["correct"]) + len(total["incorrect"])
        score = len(total["correct"]) / answered if answered else 0.0
        return score, [section for section in sections if section["correct"] or section["incorrect"]] + [total]

    # --- the word2vec C tool's file formats (gensim's save_word2vec_format / load_word2vec_format) -----------

    def save_word2vec_format(self, path: str | os.PathLike, binary: bool = False) -> Path:
        """Write ``"V d"`` then one ``word v_1 ... v_d`` line per word, most frequent first (text: each float32
        written as its shortest round-trip decimal, so loading gives back the same bits; ``binary``: the raw
        little-endian float32 after ``word `` and a newline, as word2vec.c writes). Atomic."""
        words = self.index_to_key
        if any(not word or any(ch.isspace() for ch in word) for word in words):
            raise ValueError("words written in word2vec format must be non-empty and contain no whitespace")
        header = f"{len(self)} {self.vector_size}\n".encode()
        if binary:
            data = self.vectors.astype("<f4")
            body = b"".join(word.encode("utf-8") + b" " + data[i].tobytes() + b"\n" for i, word in enumerate(words))
        else:
            lines = (
                word + " " + " ".join(str(value) for value in row) + "\n" for word, row in zip(words, self.vectors)
            )
            body = "".join(lines).encode("utf-8")
        return atomic_write_bytes(path, header + body)

    @classmethod
    def load_word2vec_format(cls, path: str | os.PathLike, binary: bool = False) -> KeyedVectors:
        """Read a file in the word2vec C tool's text (or ``binary``) format, as written by gensim or by
        :meth:`save_word2vec_format`; ``ValueError`` naming the file and line for a malformed one."""
        path = Path(path)
        data = path.read_bytes()
        newline = data.find(b"\n")
        try:
            n_words, size = (int(x) for x in data[:newline].split())
        except ValueError:
            raise ValueError(f"{str(path)!r}: the first line must be 'n_words vector_size'") from None
        words: list[str] = []
        vectors = np.empty((n_words, size), dtype=np.float32)
        if binary:
            offset = newline + 1
            for i in range(n_words):
                space = data.find(b" ", offset)
                if space < 0 or space + 1 + 4 * size > len(data):
                    raise ValueError(f"{str(path)!r}: truncated at word {i + 1} of {n_words}")
                words.append(data[offset:space].decode("utf-8").lstrip("\n"))
                vectors[i] = np.frombuffer(data, dtype="<f4", count=size, offset=space + 1)
                offset = space + 1 + 4 * size
        else:
            lines = data[newline + 1 :].decode("utf-8").splitlines()
            if len(lines) < n_words:
                raise ValueError(f"{str(path)!r}: the header promises {n_words} words, the file has {len(lines)}")
            for i, line in enumerate(lines[:n_words]):
                parts = line.rstrip().split(" ")
                if len(parts) != size + 1:
                    raise ValueError(f"{str(path)!r} line {i + 2}: expected a word and {size} numbers")
                words.append(parts[0])
                vectors[i] = np.array(parts[1:], dtype=np.float32)
        return cls(words, vectors)


def read_word_pairs(
    pairs: str | os.PathLike, delimiter: str = "\t", what: str = "pairs"
) -> list[tuple[str, str, float]]:
    """The ``word1<TAB>word2<TAB>score`` lines of a word-similarity file (WordSim-353's layout; ``#`` comments and
    other lines skipped, as gensim does). Raises ``ValueError`` naming ``what`` and the file when it is not UTF-8
    text (binary, or a bad byte: the offset is given) or holds no such line."""
    from boltzgym.utils.io import read_text_lines

    rows = []
    for line in read_text_lines(pairs, what):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.rstrip("\r\n").split(delimiter)
        if len(parts) != 3:
            continue
        try:
            rows.append((parts[0], parts[1], float(parts[2])))
        except ValueError:
            continue
    if not rows:
        shown = "<TAB>" if delimiter == "\t" else delimiter
        raise ValueError(f"{what} {str(pairs)!r} holds no 'word1{shown}word2{shown}score' line")
    return rows
