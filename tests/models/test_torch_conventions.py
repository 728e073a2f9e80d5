"""Torch conventions (issue 22, item 4): every registered torch model takes torch's factory keywords ``device`` and
``dtype`` (as ``nn.Linear`` does), has a ``forward``, keeps its dtype through its input checks, and works with
``torch.compile``, ``torch.export``, a ``state_dict`` round trip, float64, ``torch.device("meta")`` and (when
present) CUDA.

Each model is built through the registry's ``build(config, dataset, seed, *, device, dtype)`` from a tiny config
(:data:`TINY`) on a few rows of its default dataset. The RBM (``boltzgym.sims``, NumPy/Numba) and Word2Vec
(NumPy/Numba) are not torch modules: they are left out of these checks (:data:`NON_TORCH`).

``torch.compile`` runs with ``backend="aot_eager"`` and ``fullgraph=True``: Dynamo and AOTAutograd trace the whole
forward (graph capture and functionalisation, where compile failures come from) without inductor's C++ code
generation, which took 1.4-4.3 s of CPU per model with a cold cache (mlp, resnet, transformer; its compile workers
not counted) against 0.3-0.7 s for ``aot_eager``, too slow for 22 models in this file's budget; one test compiles
the MLP with inductor. The models whose recurrent layer is torch's fused ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (rnn,
lstm, gru, seq2seq: :data:`TORCH_RNN`) compile with a graph break, as torch's own modules do (Dynamo does not trace
them: "Dynamo does not support RNN, GRU, or LSTM"), so the recurrent layer runs eagerly there; boltzgym's
gate-by-gate cells (``fused=False``) compile whole.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from registry_data import cut_dataset

from boltzgym.models.config import FACTORY_KEYWORDS
from boltzgym.models.registry import MODELS, make_config
from boltzgym.utils.imports import import_object

NON_TORCH = {"rbm", "word2vec"}  # NumPy/Numba estimators, not nn.Modules: no factory keywords to check
TORCH_NAMES = sorted(set(MODELS) - NON_TORCH)
# small widths, so that every check of every model stays fast (the defaults are checked by test_defaults.py)
TINY: dict[str, dict] = {
    "mlp": {"hidden_sizes": (8,)},
    "rbf": {"n_centers": 8},
    "logistic": {},
    "vae": {"hidden_sizes": (8,), "latent_size": 2},
    "gan": {"generator_sizes": (8,), "discriminator_sizes": (8,), "latent_size": 2},
    "ae": {"n_components": 4},
    "cgan": {"generator_sizes": (8,), "discriminator_sizes": (8,), "latent_size": 4},
    "lapgan": {"hidden_sizes": (8,), "latent_size": 4},
    "bigan": {"hidden_sizes": (8,), "latent_size": 4},
    "cyclegan": {"hidden_sizes": (8,)},
    "rnn": {"hidden_size": 4},
    "lstm": {"hidden_size": 4},
    "gru": {"hidden_size": 4},
    "transformer": {"d_model": 8, "nhead": 2, "num_layers": 1, "dim_feedforward": 16, "max_length": 16},
    "seq2seq": {"embedding_dim": 4, "hidden_size": 8},
    "vgg": {"widths": (4,), "convs_per_stage": 1},
    "highway": {"width": 4, "depth": 1},
    "resnet": {"widths": (4, 8)},
    "plainnet": {"widths": (4, 8)},
    "densenet": {"growth_rate": 2, "blocks": (1, 1)},
    "cnn": {"widths": (4,)},
    "gnn": {"hidden_sizes": (4,)},
}
TORCH_RNN = {"rnn", "lstm", "gru", "seq2seq"}  # torch's fused recurrent modules inside: Dynamo breaks the graph there
N_ROWS = 4
N_STEPS = 6  # time steps kept of the sequence sets (the recurrent forward unrolls them)


def dataset(name: str):
    return cut_dataset(name, 16, 16)


def build(name: str, seed: int = 0, **factory_kwargs) -> torch.nn.Module:
    config = make_config(name, TINY[name])
    return import_object(MODELS[name].build)(config, dataset(name), seed, **factory_kwargs)


def unit_rows(name: str) -> np.ndarray:
    from boltzgym.models.generative.digits import unit_images

    return unit_images(dataset(name))[0][:N_ROWS]


def example_inputs(name: str, model: torch.nn.Module, dtype=torch.float32, device="cpu") -> tuple:
    """Arguments of ``model.forward`` for model ``name``: a few rows of its data (or latent noise)."""
    generator = torch.Generator().manual_seed(1)

    def noise(width):
        return torch.randn(N_ROWS, width, generator=generator).to(device=device, dtype=dtype)

    def floats(array):
        return torch.as_tensor(np.asarray(array, dtype=np.float64)).to(device=device, dtype=dtype)

    data = dataset(name)
    if name in ("gan", "bigan"):
        return (noise(model.latent_size),)
    if name == "cgan":
        return noise(model.latent_size), torch.arange(N_ROWS, device=device) % model.n_classes
    if name == "lapgan":
        return noise(model.latent_size), noise(model.latent_size)
    if name == "cyclegan":
        return (floats(unit_rows(name)),)
    if name in ("rnn", "lstm", "gru"):
        return (floats(data.x_train[:N_ROWS, :N_STEPS]),)
    if name in ("transformer", "seq2seq"):
        src = torch.as_tensor(data.x_train[:N_ROWS, :N_STEPS], device=device)
        return src, torch.roll(src, 1, dims=1)
    if name == "gnn":
        return (torch.as_tensor(data.x_train, device=device),)  # node indices into the graph's features
    return (floats(data.x_train[:N_ROWS].reshape(N_ROWS, -1)),)


def training_loss(name: str, model: torch.nn.Module, dtype, device="cpu") -> torch.Tensor:
    """One training step's loss: the model's own ``training_step`` (the GANs), its ``loss`` (the VAE and the
    autoencoders), else a squared output of ``forward``. The GANs step their own optimizers; the caller steps the
    others'."""
    if hasattr(model, "training_step"):
        if name == "gan":
            batch = (torch.as_tensor(dataset(name).x_train[:N_ROWS], dtype=dtype, device=device),)
        elif name == "cgan":
            labels = torch.as_tensor(dataset(name).y_train[:N_ROWS], device=device)
            batch = (torch.as_tensor(unit_rows(name), dtype=dtype, device=device), labels)
        elif name == "cyclegan":
            rows = torch.as_tensor(unit_rows(name), dtype=dtype, device=device)
            batch = (rows, rows.flip(0))
        else:
            batch = (torch.as_tensor(unit_rows(name), dtype=dtype, device=device),)
        return model.training_step(batch, model.make_optimizers())["loss"]
    (x, *rest) = example_inputs(name, model, dtype, device)
    if hasattr(model, "loss"):
        loss = model.loss(x)
        return loss["loss"] if isinstance(loss, dict) else loss
    output = model(x, *rest)
    return output.pow(2).mean()


def floating_tensors(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    tensors = dict(model.named_parameters())
    tensors.update((f"buffer:{k}", b) for k, b in model.named_buffers() if b is not None)
    return {k: t for k, t in tensors.items() if t.dtype.is_floating_point}


def outputs(model: torch.nn.Module, inputs: tuple) -> tuple[torch.Tensor, ...]:
    with torch.no_grad():
        out = model(*inputs)
    return out if isinstance(out, tuple) else (out,)


# --- the factory keywords ---------------------------------------------------------------------------------------


def test_the_torch_models_are_every_registered_model_but_the_numpy_ones():
    for name in NON_TORCH:  # the RBM and Word2Vec are NumPy/Numba estimators
        assert not issubclass(import_object(MODELS[name].config).model_class, torch.nn.Module)
    assert set(TINY) == set(TORCH_NAMES)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_factory_keywords_are_no_set_keys(name):
    fields = {f.name for f in dataclasses.fields(import_object(MODELS[name].config))}
    assert not fields & set(FACTORY_KEYWORDS)


@pytest.mark.parametrize("name", TORCH_NAMES)
def test_the_default_build_is_the_explicit_cpu_float32_build(name):
    """Nothing changes results: the seeded default build creates the same parameters and buffers, in the same
    order, as the build with ``device="cpu", dtype=torch.float32``, and leaves the global RNG where it left it."""
    torch.manual_seed(123)
    default = build(name).state_dict()
    after_default = torch.rand(3)
    torch.manual_seed(123)
    explicit = build(name, device="cpu", dtype=torch.float32).state_dict()
    after_explicit = torch.rand(3)
    assert list(default) == list(explicit)
    for key in default:
        assert default[key].dtype == explicit[key].dtype, key
        assert torch.equal(default[key], explicit[key]), key
    assert torch.equal(after_default, after_explicit)


@pytest.mark.parametrize("name", TORCH_NAMES)
def test_meta_device_builds_hold_no_memory_and_the_same_shapes(name):
    meta, cpu = build(name, device="meta"), build(name)
    tensors = {**dict(meta.named_parameters()), **dict(meta.named_buffers())}
    assert tensors and all(t.is_meta for t in tensors.values() if t is not None)
    meta_state, cpu_state = meta.state_dict(), cpu.state_dict()
    assert list(meta_state) == list(cpu_state)
    assert {k: (v.shape, v.dtype) for k, v in meta_state.items()} == {
        k: (v.shape, v.dtype) for k, v in cpu_state.items()
    }


@pytest.mark.parametrize("name", TORCH_NAMES)
def test_float64_models_compute_and_train_in_float64(name):
    model = build(name, dtype=torch.float64)
    assert floating_tensors(model) and {t.dtype for t in floating_tensors(model).values()} == {torch.float64}
    model.eval()
    for out in outputs(model, example_inputs(name, model, torch.float64)):
        assert out.dtype == torch.float64 or not out.dtype.is_floating_point
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    loss = training_loss(name, model, torch.float64)
    assert loss.dtype == torch.float64 and torch.isfinite(loss)
    if loss.requires_grad:  # the GANs stepped their own optimizers inside training_step
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert {p.grad.dtype for p in model.parameters() if p.grad is not None} <= {torch.float64}
    assert {t.dtype for t in floating_tensors(model).values()} == {torch.float64}


@pytest.mark.parametrize("name", TORCH_NAMES)
def test_state_dict_round_trip_gives_identical_outputs(name):
    source, target = build(name, seed=0).eval(), build(name, seed=1).eval()
    inputs = example_inputs(name, source)
    target.load_state_dict(source.state_dict())
    for a, b in zip(outputs(source, inputs), outputs(target, inputs), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("name", TORCH_NAMES)
def test_torch_compile_matches_eager(name):
    torch._dynamo.reset()
    model = build(name).eval()
    inputs = example_inputs(name, model)
    compiled = torch.compile(model, backend="aot_eager", fullgraph=name not in TORCH_RNN)
    for expected, actual in zip(outputs(model, inputs), outputs(compiled, inputs), strict=True):
        torch.testing.assert_close(actual, expected)


def test_inductor_compiles_the_mlp():
    torch._dynamo.reset()
    model = build("mlp").eval()
    inputs = example_inputs("mlp", model)
    compiled = torch.compile(model, fullgraph=True)  # the default backend, inductor
    torch.testing.assert_close(outputs(compiled, inputs)[0], outputs(model, inputs)[0])


@pytest.mark.parametrize("name", TORCH_NAMES)
@pytest.mark.filterwarnings("ignore:The tensor attributes .*_flat_weights")  # torch's own nn.LSTM/GRU/RNN, as is
def test_torch_export_matches_eager(name):
    model = build(name).eval()
    inputs = example_inputs(name, model)
    exported = torch.export.export(model, inputs)
    for expected, actual in zip(outputs(model, inputs), outputs(exported.module(), inputs), strict=True):
        torch.testing.assert_close(actual, expected)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available on this machine")
@pytest.mark.parametrize("name", TORCH_NAMES)
def test_cuda_builds_compute_on_cuda(name):
    model = build(name, device="cuda")
    assert {t.device.type for t in floating_tensors(model).values()} == {"cuda"}
    model.eval()
    inputs = example_inputs(name, model, device="cuda")
    for out in outputs(model, inputs):
        assert out.device.type == "cuda"
    reference = build(name).eval()
    reference.load_state_dict(model.state_dict())
    cpu_inputs = tuple(x.cpu() for x in inputs)
    for expected, actual in zip(outputs(reference, cpu_inputs), outputs(model, inputs), strict=True):
        torch.testing.assert_close(actual.cpu(), expected, rtol=1e-4, atol=1e-5)
    model.train()
    loss = training_loss(name, model, torch.float32, device="cuda")
    assert loss.device.type == "cuda" and torch.isfinite(loss)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_the_gate_by_gate_cells_compile_export_and_keep_float64(cell):
    """``fused=False``: boltzgym's own cells (a Python loop over time steps) rather than torch's fused kernel."""
    from boltzgym.models.sequence.recurrent import SequenceRegressor

    torch._dynamo.reset()
    model = SequenceRegressor(cell, 2, 4, 1, fused=False).eval()
    x = torch.rand(N_ROWS, N_STEPS, 2, generator=torch.Generator().manual_seed(0))
    expected = outputs(model, (x,))[0]
    torch.testing.assert_close(outputs(torch.compile(model, backend="aot_eager", fullgraph=True), (x,))[0], expected)
    torch.testing.assert_close(outputs(torch.export.export(model, (x,)).module(), (x,))[0], expected)
    double = SequenceRegressor(cell, 2, 4, 1, fused=False, dtype=torch.float64).eval()
    assert outputs(double, (x.double(),))[0].dtype == torch.float64
    meta = SequenceRegressor(cell, 2, 4, 1, fused=False, device="meta")
    assert all(t.is_meta for t in meta.state_dict().values())


# --- the issue's cases --------------------------------------------------------------------------------------------


def test_a_float64_vae_scores_in_float64():
    """``VAE(...).to(float64).elbo(x)`` failed: the input check cast x to float32."""
    from boltzgym.models.generative.vae import VAE

    x = torch.tensor(unit_rows("vae") > 0.5, dtype=torch.float32)
    for model in (VAE(64, 2, (8,)).to(torch.float64), VAE(64, 2, (8,), dtype=torch.float64)):
        assert model.elbo(x).dtype == torch.float64
        assert model.log_likelihood(x, n_samples=3).dtype == torch.float64
        assert model.sample(2).dtype == np.float64


def test_vae_forward_is_the_decoder_of_the_posterior_mean_in_eval_mode():
    from boltzgym.models.generative.vae import VAE

    torch.manual_seed(0)
    model = VAE(64, 2, (8,)).eval()
    x = torch.tensor(unit_rows("vae") > 0.5, dtype=torch.float32)
    out, mu, log_var = model(x)
    expected_mu, expected_log_var = model.encode(x)
    assert torch.equal(mu, expected_mu) and torch.equal(log_var, expected_log_var)
    assert torch.equal(out, model.decoder(mu))
    model.train()  # training mode: z = mu + sigma * omega, drawn from torch's RNG
    torch.manual_seed(1)
    sampled, _, _ = model(x)
    torch.manual_seed(1)
    z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
    assert torch.equal(sampled, model.decoder(z))


def test_q_networks_take_the_factory_keywords():
    import gymnasium as gym

    from boltzgym.agents.networks import QNetwork, RecurrentQNetwork
    from boltzgym.models.generative.autoencoder import DeepAutoencoder
    from boltzgym.models.q_networks import DuelingHead, EncoderQNetwork

    box = gym.spaces.Box(0.0, 1.0, (3,), np.float32)
    image = gym.spaces.Box(0, 255, (4, 4, 2), np.uint8)
    networks = [
        lambda **kw: QNetwork(box, 2, net_arch=(8,), dueling=True, **kw),
        lambda **kw: QNetwork(image, 2, net_arch=(8,), conv=True, conv_channels=(4,), conv_features=8, **kw),
        lambda **kw: RecurrentQNetwork(box, 2, hidden_size=4, net_arch=(8,), **kw),
        lambda **kw: EncoderQNetwork(DeepAutoencoder(3, 2, (4,), **kw), 2, (8,), **kw),
        lambda **kw: DuelingHead(3, 2, hidden_size=4, **kw),
    ]
    observations = [torch.rand(5, 3), torch.randint(0, 256, (5, 4, 4, 2), dtype=torch.uint8), torch.rand(5, 3)]
    observations += [torch.rand(5, 3), torch.rand(5, 3, dtype=torch.float64)]
    for make, obs in zip(networks, observations, strict=True):
        torch.manual_seed(0)
        default = make().state_dict()
        torch.manual_seed(0)
        assert all(torch.equal(a, b) for a, b in zip(default.values(), make(dtype=torch.float32).state_dict().values()))
        meta = make(device="meta")
        assert all(t.is_meta for t in meta.state_dict().values())
        model = make(dtype=torch.float64)
        assert model(obs).dtype == torch.float64
