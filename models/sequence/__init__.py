"""Notes chapter 4.1-4.2 and 4.4, sequences: RNN/LSTM/GRU cells, attention, the Transformer, seq2seq, CTC, the
sequence tasks and their ``fit`` trainers.

Public names load on first use (``from boltzgym.models.sequence import ...``).
"""

from __future__ import annotations

from boltzgym.utils.imports import lazy_namespace

# Public name -> defining module, imported on first use.
_EXPORTS: dict[str, str] = {
    "dot_product_attention": "boltzgym.models.sequence.attention",
    "AdditiveAttention": "boltzgym.models.sequence.attention",
    "MultiHeadAttention": "boltzgym.models.sequence.attention",
    "positional_encoding": "boltzgym.models.sequence.attention",
    "rotation_matrix": "boltzgym.models.sequence.attention",
    "collapse": "boltzgym.models.sequence.ctc",
    "greedy_decode": "boltzgym.models.sequence.ctc",
    "viterbi_align": "boltzgym.models.sequence.ctc",
    "ctc_beam_search": "boltzgym.models.sequence.ctc",
    "ctc_digits": "boltzgym.models.sequence.ctc_tasks",
    "input_lengths": "boltzgym.models.sequence.ctc_tasks",
    "target_lengths": "boltzgym.models.sequence.ctc_tasks",
    "ctc_batch_loss": "boltzgym.models.sequence.ctc_tasks",
    "edit_distance": "boltzgym.models.sequence.ctc_tasks",
    "label_error_rates": "boltzgym.models.sequence.ctc_tasks",
    "RNN": "boltzgym.models.sequence.recurrent",
    "LSTM": "boltzgym.models.sequence.recurrent",
    "GRU": "boltzgym.models.sequence.recurrent",
    "SequenceRegressor": "boltzgym.models.sequence.recurrent",
    "Seq2SeqLSTM": "boltzgym.models.sequence.seq2seq",
    "adding": "boltzgym.models.sequence.tasks",
    "copy_task": "boltzgym.models.sequence.tasks",
    "reverse_task": "boltzgym.models.sequence.tasks",
    "RecurrentConfig": "boltzgym.models.sequence.trainers",
    "TransformerConfig": "boltzgym.models.sequence.trainers",
    "Seq2SeqConfig": "boltzgym.models.sequence.trainers",
    "train_rnn": "boltzgym.models.sequence.trainers",
    "train_lstm": "boltzgym.models.sequence.trainers",
    "train_gru": "boltzgym.models.sequence.trainers",
    "exact_match": "boltzgym.models.sequence.trainers",
    "train_transformer": "boltzgym.models.sequence.trainers",
    "train_seq2seq": "boltzgym.models.sequence.trainers",
    "causal_mask": "boltzgym.models.sequence.transformer",
    "TransformerEncoderLayer": "boltzgym.models.sequence.transformer",
    "TransformerDecoderLayer": "boltzgym.models.sequence.transformer",
    "Seq2SeqTransformer": "boltzgym.models.sequence.transformer",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_namespace(__name__, _EXPORTS)
