"""scikit-learn's own estimator checks on RBM: it passes what BernoulliRBM passes (issue 9, case 9)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from boltzgym.sims.rbm import RBM, RBMInputWarning

# score_samples is the stochastic pseudo-likelihood (one randomly flipped unit per row), exactly as
# BernoulliRBM.score_samples, which fails these two checks for the same reason.
STOCHASTIC_SCORE = "score_samples flips a random unit per row (BernoulliRBM's pseudo-likelihood), as BernoulliRBM does"
EXPECTED_FAILED = {
    "check_methods_sample_order_invariance": STOCHASTIC_SCORE,
    "check_methods_subset_invariance": STOCHASTIC_SCORE,
}


@parametrize_with_checks(
    [RBM(n_components=4, n_iter=2, random_state=0)], expected_failed_checks=lambda estimator: EXPECTED_FAILED
)
def test_sklearn_compatible_estimator(estimator, check, monkeypatch):
    # sklearn's array-API check (numpy namespace) runs only when SciPy's array-API switch is on; set it for the check
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RBMInputWarning)  # the checks feed reals outside [0, 1], on purpose
        check(estimator)


def test_values_outside_the_unit_interval_warn_naming_x():
    with pytest.warns(RBMInputWarning, match=r"X should hold values in \[0, 1\].*got values in \[0.0, 2.0\]"):
        RBM(2, n_iter=1, random_state=0).fit(np.array([[0.0, 2.0], [1.0, 0.0]]))
