"""The vision and graph entries of ``boltzgym fit``: registered, configurable, trained through ``fit``."""

import numpy as np
import pytest

from boltzgym.models.datasets import Dataset, load_dataset
from boltzgym.models.registry import import_object, make_config, model_entry
from boltzgym.models.zoo import image_shape

NAMES = ["cnn", "vgg", "resnet", "plainnet", "densenet", "highway", "gnn"]


@pytest.mark.parametrize("name", NAMES)
def test_registered_with_config_and_trainer(name):
    entry = model_entry(name)
    assert callable(import_object(entry.train))
    config = make_config(name, ["epochs=2"])
    assert config.epochs == 2


def test_config_errors_name_the_key():
    with pytest.raises(ValueError, match="aggregate must be one of"):
        make_config("gnn", ["aggregate=median"])
    with pytest.raises(ValueError, match="widths and blocks"):
        make_config("resnet", ["widths=8,16", "blocks=1"])


def test_image_shape_of_square_rows():
    assert image_shape(load_dataset("digits")) == (1, 8, 8)


def test_tiny_resnet_trains_through_fit_on_a_digits_subset():
    digits = load_dataset("digits")
    subset = Dataset("digits", "classification", digits.x_train[:200], digits.y_train[:200],
                     digits.x_test[:100], digits.y_test[:100], n_classes=10)  # fmt: skip
    config = make_config("resnet", ["widths=8,16", "blocks=1,1", "batch_size=50"])
    summary = import_object(model_entry("resnet").train)(config, subset, epochs=3, seed=0)
    assert summary["depth"] == 6 and summary["epochs"] == 3
    losses = [row["train_loss"] for row in summary["history"]]
    assert losses[-1] < losses[0]


def test_gnn_on_karate_fits_the_labelled_leaders_and_scores_the_rest():
    config = make_config("gnn", ["hidden_sizes=16,16", "epochs=40"])
    summary = import_object(model_entry("gnn").train)(config, load_dataset("karate"), seed=0)
    assert summary["train_loss"] < 0.1
    assert summary["test_accuracy"] > 0.5
    graph = import_object(model_entry("gnn").train)(
        make_config("gnn", ["epochs=1", "batch_size=256"]), load_dataset("digits-graph"), seed=0
    )
    assert np.isfinite(graph["test_loss"]) and 0 <= graph["test_accuracy"] <= 1


def test_resnet_q_network_is_registered_for_dqn():
    import gymnasium as gym
    import torch

    from boltzgym.agents.networks import q_network_factory

    space = gym.spaces.Box(0, 255, (6, 6, 3), dtype=np.uint8)
    net = q_network_factory("resnet")(space, 4, widths=[8, 16], blocks=[1, 1])
    q = net(torch.randint(0, 256, (5, 6, 6, 3), dtype=torch.uint8))
    assert q.shape == (5, 4) and torch.isfinite(q).all()
    with pytest.raises(ValueError, match="unknown argument"):
        q_network_factory("resnet")(space, 4, depth=3)


def test_degradation_experiment_reports_both_nets_by_depth(tmp_path):
    from boltzgym.models.registry import experiment_function

    summary = experiment_function("degradation")(tmp_path, depths=(8, 14), widths=(4, 8), epochs=1, n_train=64)
    assert summary["depths"] == [8, 14]
    for key in ("plain_train_loss", "residual_train_loss", "plain_test_accuracy", "residual_test_accuracy"):
        assert len(summary[key]) == 2 and all(np.isfinite(summary[key]))
    assert (tmp_path / "degradation.png").stat().st_size > 0
    with pytest.raises(ValueError, match="depths must be 2 \\+ 6 n"):
        experiment_function("degradation")(tmp_path, depths=(10,))
