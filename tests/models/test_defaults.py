"""One source of defaults (issue 20): every registered model's ``--set`` defaults are its constructor's, every model
key changes the built model, and every trainer runs on the device it is given."""

from __future__ import annotations

import inspect
import types
import typing

import numpy as np
import pytest
import torch
from registry_data import cut_dataset

import boltzgym.models.training as training
from boltzgym.models.config import TRAINING_KEYS, TrainSettings, default_differences
from boltzgym.models.registry import MODELS, make_config
from boltzgym.utils.imports import import_object

NAMES = sorted(MODELS)
# the models that train in torch (the RBM and Word2Vec are NumPy/Numba: they refuse any device but the CPU)
TORCH_NAMES = [name for name in NAMES if issubclass(import_object(MODELS[name].config).model_class, torch.nn.Module)]
# another valid value for the string keys (the first that differs from the default is used)
STRING_ALTERNATIVES = {
    "activation": ("tanh", "relu"),
    "aggregate": ("sum", "mean"),
    "readout": ("sum", "mean"),
    "pooling": ("max", "avg"),
    "attention": ("channel", "none"),
    "generator_loss": ("minimax", "non-saturating"),
    "averaging": ("ema", "none"),
    "adversarial_loss": ("least-squares", "non-saturating"),
    "learning_rate_schedule": ("linear", "constant"),
    "visible_units": ("gaussian", "bernoulli"),
}


def config_class(name: str) -> type:
    return import_object(MODELS[name].config)


def small_dataset(name: str):
    """The model's default dataset cut to 64 training and 32 test rows (a trainer runs one quick epoch on it)."""
    return cut_dataset(name, 64, 32)


def build(name: str, config):
    return import_object(MODELS[name].build)(config, small_dataset(name), 0)


def fingerprint(model):
    """What a model key can change: the module structure, the weights and buffers (one seed), which parameters train,
    and the plain settings each submodule keeps (rates, weights of losses); for a NumPy estimator (the RBM,
    Word2Vec) the settings it keeps."""
    if not isinstance(model, torch.nn.Module):
        return (
            repr(type(model)),
            {},
            [],
            [{k: v for k, v in vars(model).items() if isinstance(v, (bool, int, float, str))}],
        )
    settings = [
        {k: v for k, v in vars(module).items() if not k.startswith("_") and isinstance(v, (bool, int, float, str))}
        for module in model.modules()
    ]
    tensors = {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}
    tensors.update({f"buffer:{name}": b.detach().clone() for name, b in model.named_buffers() if b is not None})
    return repr(model), tensors, [p.requires_grad for p in model.parameters()], settings


def same_model(a, b) -> bool:
    return (
        a[0] == b[0]
        and a[1].keys() == b[1].keys()
        and all(a[1][k].shape == b[1][k].shape and torch.equal(a[1][k], b[1][k]) for k in a[1])
        and a[2:] == b[2:]
    )


def other_value(key: str, value, annotation):
    """A valid value of ``key`` other than ``value``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):  # an optional key: its other type
        (annotation,) = [a for a in typing.get_args(annotation) if a is not type(None)]
    kind = typing.get_origin(annotation) or annotation
    if key in STRING_ALTERNATIVES:
        return next(v for v in STRING_ALTERNATIVES[key] if v != value)
    if kind is bool:
        return not value
    if kind is tuple:
        return (*value[:-1], 2 * value[-1]) if value else (8,)
    if kind is int:
        return 2 * value if value else 1
    if kind is float:
        return 0.5 * value if value else 0.5
    raise AssertionError(f"no alternative value for {key}={value!r} ({annotation})")


# --- (1) the CLI's defaults are the Python API's ---------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_cli_defaults_equal_the_constructors(name):
    cls = config_class(name)
    assert default_differences(cls) == {}
    signature = inspect.signature(cls.model_class.__init__)
    for key, value in cls.declared_defaults.items():  # a declared default is a real choice, never a copy
        assert value != signature.parameters[key].default, (name, key)
    fit_method = getattr(cls.model_class, "fit", None)
    fit_parameters = inspect.signature(fit_method).parameters if fit_method is not None else {}
    if "epochs" in fit_parameters:  # the GANs' own fit: the CLI's epochs and batch size are its defaults
        for key in ("epochs", "batch_size"):
            assert getattr(cls(), key) == fit_parameters[key].default, (name, key)


def test_training_settings_defaults_are_fits():
    fit_parameters = inspect.signature(training.fit).parameters
    settings = TrainSettings()
    shared = [key for key in TRAINING_KEYS if key in fit_parameters]
    assert shared == [
        "epochs",
        "batch_size",
        "learning_rate",
        "optimizer",
        "validation_split",
        "clip_grad_norm",
        "input_noise",
    ]
    for key in shared:
        assert getattr(settings, key) == fit_parameters[key].default, key
    assert settings.patience == fit_parameters["early_stopping_patience"].default


@pytest.mark.parametrize(
    ("name", "key", "drifted"),
    [("bigan", "latent_size", 16), ("cyclegan", "identity_weight", 5.0), ("mlp", "activation", "tanh"),
     ("densenet", "growth_rate", 24), ("gan", "label_smoothing", 0.2), ("rnn", "num_layers", 2)],
)  # fmt: skip
def test_a_drifted_default_is_caught(monkeypatch, name, key, drifted):
    cls = config_class(name)
    field = cls.__dataclass_fields__[key]
    monkeypatch.setattr(field, "default", drifted)  # a second copy of the default that disagrees
    assert key in default_differences(cls)


def test_a_declared_default_that_drifts_from_its_declaration_is_caught(monkeypatch):
    cls = config_class("mlp")
    assert cls.declared_defaults == {"hidden_sizes": (256,), "dropout": 0.2}
    monkeypatch.setattr(cls.__dataclass_fields__["dropout"], "default", 0.1)  # neither MLP()'s nor the declared
    assert default_differences(cls) == {"dropout": (0.1, 0.2)}


# --- (2) every model key acts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_model_key_changes_the_built_model(name):
    cls = config_class(name)
    hints = typing.get_type_hints(cls)
    default = cls()
    reference = fingerprint(build(name, default))
    assert cls.model_keys, name
    for key in cls.model_keys:
        value = other_value(key, getattr(default, key), hints[key])
        config = make_config(name, {key: value})
        try:
            model = build(name, config)
        except ValueError as exc:  # refused for this data, naming the key: honoured or refused, never ignored
            assert key in str(exc), (name, key, str(exc))
            continue
        assert not same_model(fingerprint(model), reference), f"{name}: --set {key}={value} did not change the model"


def test_densenet_has_no_widths_key_and_a_renamed_key_keeps_its_alias(capsys):
    with pytest.raises(ValueError, match="--set widths: unknown key for model 'densenet'"):
        make_config("densenet", ["widths=200000,200000"])
    config = make_config("cgan", ["hidden_sizes=64"])
    assert config.generator_sizes == config.discriminator_sizes == (64,)
    assert (
        capsys.readouterr().err.strip()
        == "--set hidden_sizes: deprecated, it sets generator_sizes, discriminator_sizes"
    )


# --- (3) every trainer honours device ----------------------------------------------------------------------------


class RequestedDevice(str):
    """The device string a test asks for: the trainers must pass it (or what it resolved to) on, never their own."""


@pytest.mark.parametrize("name", TORCH_NAMES)
def test_every_trainer_trains_on_the_requested_device(monkeypatch, name):
    real_resolve = training.resolve_device
    requested, resolved, arguments = RequestedDevice("cpu"), [], []

    def spy(device="auto"):
        arguments.append(device)
        resolved.append(real_resolve(device))
        return resolved[-1]

    monkeypatch.setattr(training, "resolve_device", spy)
    seen = []

    def record_batch_devices(module, inputs):
        seen.extend(x.device for x in inputs if torch.is_tensor(x))

    config = make_config(name, {"n_importance_samples": 2} if name == "vae" else {})
    handle = torch.nn.modules.module.register_module_forward_pre_hook(record_batch_devices)
    try:
        summary = import_object(MODELS[name].train)(config, small_dataset(name), epochs=1, seed=0, device=requested)
    finally:
        handle.remove()
    assert arguments[0] is requested  # resolved first, before any work
    assert len(arguments) >= 2  # and fit resolved it again
    assert all(a is requested or any(a is r for r in resolved) for a in arguments), arguments  # never "cpu"/"auto"
    assert seen and {d.type for d in seen} == {"cpu"}
    assert next(summary["model"].parameters()).device.type == "cpu"
    assert np.isfinite(summary["train_loss"])


@pytest.mark.parametrize("name", sorted(set(NAMES) - set(TORCH_NAMES)))
def test_numpy_models_refuse_any_device_but_the_cpu(name):
    train = import_object(MODELS[name].train)
    with pytest.raises(ValueError, match="^device: .* runs on the CPU"):
        train(config_class(name)(), None, device="cuda")


@pytest.mark.parametrize("name", TORCH_NAMES)
def test_an_absent_device_is_refused_before_any_work(monkeypatch, name):
    def refuse(device="auto"):
        raise ValueError(f"--device {device}: CUDA is not available on this machine")

    monkeypatch.setattr(training, "resolve_device", refuse)
    train = import_object(MODELS[name].train)
    with pytest.raises(ValueError, match="^--device cuda: CUDA is not available"):
        train(config_class(name)(), None, device="cuda")  # the refusal comes before the dataset is even read
