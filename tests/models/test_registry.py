"""The model and experiment registries: lazy entries, --set parsing and errors naming the key."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from boltzgym.experiments import EXPERIMENTS
from boltzgym.models.registry import MODELS, make_config
from boltzgym.utils.assignments import parse_assignments
from boltzgym.utils.imports import import_object


def test_every_model_entry_resolves_and_has_a_default_dataset():
    from boltzgym.models.datasets import parse_dataset_name

    assert {"mlp", "rbf", "logistic"} <= set(MODELS)
    for name, entry in MODELS.items():
        assert dataclasses.is_dataclass(import_object(entry.config)), name
        assert callable(import_object(entry.train)), name
        parse_dataset_name(entry.data)
    for name, path in EXPERIMENTS.items():
        assert callable(import_object(path)), name


def test_registry_and_datasets_import_without_torch():
    code = "import sys, boltzgym.models.registry, boltzgym.models.datasets; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_set_values_are_parsed_by_field_type():
    config = make_config(
        "mlp", ["hidden_sizes=32,16", "learning_rate=0.01", "batch_norm=true", "patience=none", "epochs=3"]
    )
    assert config.hidden_sizes == (32, 16) and config.learning_rate == 0.01 and config.batch_norm is True
    assert config.patience is None and config.epochs == 3
    assert make_config("mlp", {"hidden_sizes": "[8]"}).hidden_sizes == (8,)
    assert make_config("rbf", ["beta=0.5"]).beta == 0.5


def test_registry_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"--set depth: unknown key for model 'mlp'; known keys: \[.*'hidden_sizes'"):
        make_config("mlp", ["depth=3"])
    with pytest.raises(ValueError, match=r"model must be one of \[.*'logistic', .*'mlp', .*got 'resnet9000'"):
        make_config("resnet9000")
    with pytest.raises(ValueError, match="--set epochs=many: expected int"):
        make_config("mlp", ["epochs=many"])
    with pytest.raises(ValueError, match="learning_rate must be > 0"):
        make_config("mlp", ["lr=-1"])
    with pytest.raises(ValueError, match="--set expects key=value"):
        parse_assignments(["lr"])


def test_the_old_learning_rate_spellings_still_work_with_one_line(capsys):
    config = make_config("mlp", ["lr=0.01"])
    assert config.learning_rate == 0.01
    assert capsys.readouterr().err.strip() == "--set lr: deprecated, it sets learning_rate"
    assert make_config("gan", ["lr_decay=0.5"]).learning_rate_decay == 0.5
    assert capsys.readouterr().err.strip() == "--set lr_decay: deprecated, it sets learning_rate_decay"
    import torch

    from boltzgym.models import MLP, fit

    x, y = torch.randn(16, 4), torch.randint(0, 2, (16,))
    with pytest.warns(DeprecationWarning, match="^fit: lr is deprecated; use learning_rate$"):
        fit(MLP(4, [8], 2), (x, y), epochs=1, lr=0.01)
