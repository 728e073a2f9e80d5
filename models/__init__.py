"""Trainable models of the notes, by chapter, on one training loop (:func:`fit`) and one datasets module.

Subpackages: ``supervised`` (ch. 1), ``optim`` (ch. 2), ``vision`` (ch. 3.1-3.2), ``graph`` (ch. 3.3), ``sequence``
(ch. 4.1-4.2, 4.4), ``embeddings`` (ch. 4.3, Word2Vec in NumPy/Numba), ``generative`` (ch. 5) and ``q_networks``
(the torsos DQN builds by name); on top: ``training`` (``fit``), ``datasets`` and ``registry`` (``boltzgym fit``).

Public names load on first use: ``from boltzgym.models import fit, MLP, ResNet, LSTM, VAE, Word2Vec`` works, and
importing this package imports no torch (``datasets`` and ``embeddings`` never do).
"""

from __future__ import annotations

from boltzgym.utils.imports import alias_modules, lazy_namespace

# Public name -> defining module, imported on first use.
_EXPORTS: dict[str, str] = {
    # the one training loop and the one datasets module
    "fit": "boltzgym.models.training",
    "FitResult": "boltzgym.models.training",
    "TrainingDiverged": "boltzgym.models.training",
    "evaluate": "boltzgym.models.training",
    "Dataset": "boltzgym.models.datasets",
    "load_dataset": "boltzgym.models.datasets",
    "dataset_names": "boltzgym.models.datasets",
    "make_config": "boltzgym.models.registry",
    # chapter 1
    "MLP": "boltzgym.models.supervised.mlp",
    "Perceptron": "boltzgym.models.supervised.neurons",
    "ThresholdUnit": "boltzgym.models.supervised.neurons",
    "RBFLayer": "boltzgym.models.supervised.neurons",
    "LogicNetwork": "boltzgym.models.supervised.logic",
    # chapter 2
    "Quickprop": "boltzgym.models.optim.optimizers",
    "Newton": "boltzgym.models.optim.optimizers",
    "NotesDropout": "boltzgym.models.optim.regularization",
    # chapter 3
    "CNN": "boltzgym.models.vision.networks",
    "VGG": "boltzgym.models.vision.networks",
    "Highway": "boltzgym.models.vision.networks",
    "ResNet": "boltzgym.models.vision.networks",
    "PlainNet": "boltzgym.models.vision.networks",
    "DenseNet": "boltzgym.models.vision.networks",
    "CBAM": "boltzgym.models.vision.networks",
    "ConvNet": "boltzgym.models.vision.conv",
    "GNN": "boltzgym.models.graph.gnn",
    # chapter 4
    "RNN": "boltzgym.models.sequence.recurrent",
    "LSTM": "boltzgym.models.sequence.recurrent",
    "GRU": "boltzgym.models.sequence.recurrent",
    "SequenceRegressor": "boltzgym.models.sequence.recurrent",
    "MultiHeadAttention": "boltzgym.models.sequence.attention",
    "Seq2SeqTransformer": "boltzgym.models.sequence.transformer",
    "Seq2SeqLSTM": "boltzgym.models.sequence.seq2seq",
    "Word2Vec": "boltzgym.models.embeddings.word2vec",
    "KeyedVectors": "boltzgym.models.embeddings.keyed_vectors",
    # chapter 5
    "TiedAutoencoder": "boltzgym.models.generative.autoencoder",
    "DeepAutoencoder": "boltzgym.models.generative.autoencoder",
    "VAE": "boltzgym.models.generative.vae",
    "GAN": "boltzgym.models.generative.gan",
    "ConditionalGAN": "boltzgym.models.generative.gan_extensions",
    "LapGAN": "boltzgym.models.generative.gan_extensions",
    "BiGAN": "boltzgym.models.generative.gan_extensions",
    "CycleGAN": "boltzgym.models.generative.gan_extensions",
    # Q-network parts
    "DuelingHead": "boltzgym.models.q_networks.heads",
    "EncoderQNetwork": "boltzgym.models.q_networks.encoders",
    "ImageQNetwork": "boltzgym.models.q_networks.vision",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_namespace(__name__, _EXPORTS)

# Module paths before the models were grouped by chapter (0.1.0); importing one warns and names the new path.
alias_modules(
    {
        "boltzgym.models.mlp": "boltzgym.models.supervised.mlp",
        "boltzgym.models.neurons": "boltzgym.models.supervised.neurons",
        "boltzgym.models.logic": "boltzgym.models.supervised.logic",
        "boltzgym.models.losses": "boltzgym.models.supervised.losses",
        "boltzgym.models.normalization": "boltzgym.models.optim.normalization",
        "boltzgym.models.regularization": "boltzgym.models.optim.regularization",
        "boltzgym.models.conv": "boltzgym.models.vision.conv",
        "boltzgym.models.vision_training": "boltzgym.models.vision.trainers",
        "boltzgym.models.attention": "boltzgym.models.sequence.attention",
        "boltzgym.models.transformer": "boltzgym.models.sequence.transformer",
        "boltzgym.models.seq2seq": "boltzgym.models.sequence.seq2seq",
        "boltzgym.models.ctc": "boltzgym.models.sequence.ctc",
        "boltzgym.models.ctc_tasks": "boltzgym.models.sequence.ctc_tasks",
        "boltzgym.models.sequence_tasks": "boltzgym.models.sequence.trainers",
        "boltzgym.models.word2vec": "boltzgym.models.embeddings.word2vec",
        "boltzgym.models.keyed_vectors": "boltzgym.models.embeddings.keyed_vectors",
        "boltzgym.models.vae": "boltzgym.models.generative.vae",
        "boltzgym.models.autoencoder": "boltzgym.models.generative.autoencoder",
        "boltzgym.models.gan": "boltzgym.models.generative.gan",
        "boltzgym.models.gan_extensions": "boltzgym.models.generative.gan_extensions",
        "boltzgym.models.generative_metrics": "boltzgym.models.generative.metrics",
        "boltzgym.models.generative_training": "boltzgym.models.generative.trainers",
        "boltzgym.models.generative_digits": "boltzgym.models.generative.digits",
        "boltzgym.models.heads": "boltzgym.models.q_networks.heads",
        "boltzgym.models.encoder_q_network": "boltzgym.models.q_networks.encoders",
    }
)
