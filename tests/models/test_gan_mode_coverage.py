"""GAN mode coverage (issue 16): the VEEGAN metric on hand-made samples, packing, standardisation, R1, and a
diverging GAN that stops with a message and keeps its last good checkpoint."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from boltzgym.models.generative.gan import GAN
from boltzgym.models.generative.metrics import mixture_modes, mode_coverage
from boltzgym.models.training import CHECKPOINT_FORMAT, CHECKPOINT_VERSION, TrainingDiverged
from boltzgym.utils.checkpoint import load_checkpoint


@pytest.fixture(autouse=True)
def one_torch_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def test_coverage_counts_high_quality_samples_at_known_distances():
    modes = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    sigma = 1.0
    samples = np.array(
        [
            [2.9, 0.0],  # 2.9 sigma from mode 0: high quality
            [0.0, -3.0],  # exactly 3 sigma from mode 0: high quality (the rule is <= 3 sigma)
            [10.0, 3.1],  # 3.1 sigma from mode 1: low quality, so mode 1 is not covered by it
            [5.0, 5.0],  # between all modes: low quality
            [0.5, 10.5],  # mode 2, high quality
        ]
    )
    result = mode_coverage(samples, modes, sigma)
    assert result == {"modes_covered": 2, "n_modes": 3, "high_quality_fraction": pytest.approx(3 / 5)}
    # one high-quality sample suffices to cover a mode (VEEGAN / PacGAN rule)
    result = mode_coverage(np.vstack([samples, [[10.0, 0.0]]]), modes, sigma)
    assert result["modes_covered"] == 3 and result["high_quality_fraction"] == pytest.approx(4 / 6)


def test_grid_samples_between_modes_are_low_quality_and_cover_nothing():
    modes, sigma = mixture_modes("grid-25")
    bridges = (modes[:-1] + modes[1:]) / 2  # midpoints of neighbouring modes: 1 unit = 20 sigma away
    assert mode_coverage(bridges, modes, sigma)["modes_covered"] == 0
    half = np.vstack([modes[:12], bridges[:12]])  # 12 exact modes + 12 bridges
    assert mode_coverage(half, modes, sigma) == {"modes_covered": 12, "n_modes": 25, "high_quality_fraction": 0.5}


def test_packing_concatenates_consecutive_samples():
    gan = GAN(pack=3, seed=0)
    first = gan.discriminator.body.layers[0]
    assert first.in_features == 2 * 3
    x = torch.randn(7, 2)  # 7 rows -> 2 packs of 3, the remainder dropped
    logits = gan.discriminator(x)
    assert logits.shape == (2,)
    manual = gan.discriminator.head(gan.discriminator.body(x[:6].reshape(2, 6)))
    assert torch.allclose(logits, manual.squeeze(-1))


def test_standardisation_is_invisible_in_data_units_and_the_lr_decays_linearly():
    x = np.random.default_rng(0).normal([5.0, -3.0], 4.0, size=(64, 2)).astype(np.float32)
    gan = GAN(generator_sizes=(16,), discriminator_sizes=(16,), learning_rate=1e-3, learning_rate_decay=0.5, seed=0)
    gan.fit(x, epochs=2, batch_size=32)  # 4 steps; the last half decays: lr factors 1, 1, 1, 1/2
    assert int(gan.steps_done) == int(gan.total_steps) == 4
    assert [row["learning_rate"] for row in gan.history_.history] == pytest.approx([1e-3, 5e-4])
    gan.fit(x, epochs=2, batch_size=32)  # a second fit runs its own schedule again (not from lr 0)
    assert [row["learning_rate"] for row in gan.history_.history] == pytest.approx([1e-3, 5e-4])
    assert torch.allclose(gan.data_shift, torch.from_numpy(x.mean(0)))
    z = torch.randn(5, gan.latent_size)
    with torch.no_grad():
        raw = gan.generator(z)
        assert torch.allclose(gan.generate(z), gan.data_shift + gan.data_scale * raw)
        u = torch.randn(4, 2)
        assert torch.allclose(gan.judge(gan.data_shift + gan.data_scale * u), gan.discriminator(u))


def test_r1_penalty_matches_its_formula_on_a_linear_discriminator():
    gan = GAN(pack=1, discriminator_sizes=(), gradient_penalty=2.0, label_smoothing=0.0, clip_grad_norm=None,
              averaging="none", standardize=False, seed=0)  # fmt: skip
    weight = gan.discriminator.head.weight  # D(x) = w.x + b: grad_x D = w for every sample
    expected_penalty = 0.5 * 2.0 * weight.detach().pow(2).sum()
    plain = GAN(pack=1, discriminator_sizes=(), gradient_penalty=0.0, label_smoothing=0.0, clip_grad_norm=None,
                averaging="none", standardize=False, seed=0)  # fmt: skip
    real = torch.randn(16, 2)
    seen = {}
    for name, model in (("r1", gan), ("plain", plain)):
        optimizers = {k: torch.optim.SGD(v.parameters(), lr=0.0) for k, v in
                      (("discriminator", model.discriminator), ("generator", model.generator))}  # fmt: skip
        torch.manual_seed(1)
        seen[name] = model.training_step((real,), optimizers)["d_loss"]
    assert seen["r1"] - seen["plain"] == pytest.approx(float(expected_penalty), rel=1e-5)


def test_mode_collapse_experiment_reports_each_variant_and_draws_the_samples(tmp_path):
    from boltzgym.experiments import experiment_function, experiment_options

    function = experiment_function("mode-collapse")
    options = experiment_options("mode-collapse", ["mixtures=ring-8", "n_seeds=1", "epochs=2", "n_points=256"])
    result = function(tmp_path, seed=0, **options)
    assert result["n_modes/ring-8"] == 8 and result["seeds"] == [0]
    for variant in ("vanilla", "fixed"):
        covered = result[f"{variant}/ring-8/modes_covered"]
        assert len(covered) == 1 and 0 <= covered[0] <= 8
        assert 0.0 <= result[f"{variant}/ring-8/mean_high_quality_fraction"] <= 1.0
    assert (tmp_path / "mode_collapse.png").stat().st_size > 0
    with pytest.raises(ValueError, match="variants"):
        function(tmp_path, variants="vanilla,wgan")


def test_a_diverging_gan_stops_with_a_message_and_keeps_the_last_good_checkpoint(tmp_path):
    x = np.random.default_rng(0).normal(size=(64, 2)).astype(np.float32)
    gan = GAN(generator_sizes=(16,), discriminator_sizes=(16,), averaging="none", seed=0)
    steps = {"n": 0}

    def poison_after_two_epochs(module, inputs, output):
        # 3 discriminator calls per step (real, fake for D, fake for G), 2 steps per epoch: epoch 3 begins at call 13
        steps["n"] += 1
        return output * float("nan") if steps["n"] > 3 * 2 * 2 else output

    gan.discriminator.register_forward_hook(poison_after_two_epochs)
    with pytest.raises(TrainingDiverged, match=r"diverged at epoch 3.*last good checkpoint \(epoch 2\)"):
        gan.fit(x, epochs=5, batch_size=32, run_dir=tmp_path)
    checkpoint = load_checkpoint(tmp_path / "checkpoint", CHECKPOINT_FORMAT, CHECKPOINT_VERSION)
    assert checkpoint.counters["epoch"] == 2
    saved = checkpoint.states["model.pt"]
    for name, value in gan.state_dict().items():  # the model holds the epoch-2 weights, finite, as saved
        assert torch.isfinite(value).all() and torch.equal(value, saved[name]), name


def test_each_ablation_variant_is_vanilla_with_one_fix_at_the_default_value():
    import inspect

    from boltzgym.experiments.mode_collapse import VARIANTS
    from boltzgym.models.generative.gan import GAN

    defaults = inspect.signature(GAN).parameters
    vanilla = VARIANTS["vanilla"]
    assert all(vanilla[key] != defaults[key].default for key in ("pack", "gradient_penalty", "label_smoothing"))
    for name, fix in (("packing", "pack"), ("r1", "gradient_penalty"), ("smoothing", "label_smoothing"),
                      ("clipping", "clip_grad_norm")):  # fmt: skip
        changed = {key for key, value in VARIANTS[name].items() if value != vanilla[key]}
        assert changed == {fix}
        assert VARIANTS[name][fix] == defaults[fix].default  # the value the fixed GAN uses
