"""Word2Vec settings for the Lee corpus (``boltzgym fit word2vec`` trains, through
``boltzgym.models.embeddings.trainers``).

Word2Vec's defaults are gensim's (5 epochs, min_count 5); the Lee corpus is small (300 documents, 58,152 tokens),
so the old ``boltzgym embed`` trained it for 30 epochs with min_count 2 (:data:`LEE`), the setting of
``benchmarks/word2vec.py`` and the README's figures, and showed 5 neighbours per word.
"""

from __future__ import annotations

LEE: dict = {"epochs": 30, "min_count": 2}
NEIGHBOURS = 5  # neighbours per query word that the old `boltzgym embed` printed (most_similar's default is 10)
