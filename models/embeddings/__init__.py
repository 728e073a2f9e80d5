"""Notes chapter 4.3, distributional representations: Word2Vec (skip-gram with negative sampling) and its
``KeyedVectors``.

Word2Vec is NumPy and Numba, not torch: it lives here, beside the other chapter-4 models, because a user looks
for it among the models (gensim's names), and it trains through ``boltzgym fit word2vec`` like every model.
Importing this package does not import torch.

Public names load on first use (``from boltzgym.models.embeddings import ...``).
"""

from __future__ import annotations

from boltzgym.utils.imports import lazy_namespace

# Public name -> defining module, imported on first use.
_EXPORTS: dict[str, str] = {
    "KeyedVectors": "boltzgym.models.embeddings.keyed_vectors",
    "simple_preprocess": "boltzgym.models.embeddings.word2vec",
    "read_corpus": "boltzgym.models.embeddings.word2vec",
    "gensim_test_file": "boltzgym.models.embeddings.word2vec",
    "lee_corpus": "boltzgym.models.embeddings.word2vec",
    "lee_dataset": "boltzgym.models.embeddings.word2vec",
    "Word2Vec": "boltzgym.models.embeddings.word2vec",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_namespace(__name__, _EXPORTS)
