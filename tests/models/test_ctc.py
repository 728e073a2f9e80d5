"""CTC alignment and decoding against brute-force enumeration of all paths on tiny inputs."""

import itertools
import math
from collections import defaultdict

import numpy as np
import pytest
import torch

from boltzgym.models.sequence.ctc import collapse, ctc_beam_search, ctc_loss, greedy_decode, viterbi_align


def _random_log_probs(seed, steps, classes):
    return torch.log_softmax(
        torch.randn(steps, classes, generator=torch.Generator().manual_seed(seed)) * 2, dim=1
    ).double()


def _all_paths(log_probs):
    steps, classes = log_probs.shape
    for path in itertools.product(range(classes), repeat=steps):
        yield path, float(sum(log_probs[t, s] for t, s in enumerate(path)))


@pytest.mark.parametrize("seed", range(4))
def test_viterbi_align_is_the_best_path_collapsing_to_target(seed):
    log_probs = _random_log_probs(seed, 5, 3)
    target = [1, 1] if seed % 2 else [2, 1]
    path, log_prob = viterbi_align(log_probs, target)
    assert collapse(path) == target
    best = max(lp for p, lp in _all_paths(log_probs) if collapse(p) == target)
    assert math.isclose(log_prob, best, abs_tol=1e-9)
    assert math.isclose(sum(float(log_probs[t, s]) for t, s in enumerate(path)), best, abs_tol=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_beam_search_with_wide_beam_finds_most_probable_labelling(seed):
    log_probs = _random_log_probs(seed + 10, 5, 3)
    totals = defaultdict(lambda: -math.inf)
    for path, lp in _all_paths(log_probs):
        key = tuple(collapse(path))
        totals[key] = np.logaddexp(totals[key], lp)
    best = max(totals, key=totals.get)
    labelling, log_prob = ctc_beam_search(log_probs, beam_width=1000)
    assert tuple(labelling) == best
    assert math.isclose(log_prob, totals[best], abs_tol=1e-9)
    # the summed probability is what nn.CTCLoss computes
    loss = (
        ctc_loss(reduction="sum")(log_probs[:, None].float(), torch.tensor([best]), [5], [len(best)]) if best else None
    )
    if loss is not None:
        assert math.isclose(-float(loss), totals[best], abs_tol=1e-4)


@pytest.mark.parametrize("seed", range(3))
def test_greedy_equals_best_path_decoding(seed):
    log_probs = _random_log_probs(seed + 20, 4, 3)
    best_path = max(_all_paths(log_probs), key=lambda item: item[1])[0]
    assert greedy_decode(log_probs) == collapse(best_path)


def test_bad_input():
    log_probs = _random_log_probs(0, 3, 4)
    with pytest.raises(ValueError, match="needs more than T=3"):
        viterbi_align(log_probs, [1, 2, 3, 1])
    with pytest.raises(ValueError, match="needs more than T=3"):
        viterbi_align(log_probs, [1, 1, 2])  # a repeat needs a blank between
    with pytest.raises(ValueError, match="blank"):
        greedy_decode(log_probs, blank=4)
    with pytest.raises(ValueError, match="target"):
        viterbi_align(log_probs, [0])
    with pytest.raises(ValueError, match="beam_width"):
        ctc_beam_search(log_probs, beam_width=0)
    with pytest.raises(ValueError, match="shape"):
        greedy_decode(torch.zeros(3))
