"""Restricted Boltzmann machine trained by CD-k or PCD-k in jitted epochs: a drop-in for ``BernoulliRBM``.

Notes 5.3 (限制玻尔兹曼机): a Boltzmann machine whose units split into a visible and a hidden layer with no
connections inside a layer, so each layer is sampled in one block given the other (``sims/_bipartite_kernels.py``).

Energy and attributes follow scikit-learn's ``BernoulliRBM``: ``components_`` W (n_components, n_features),
``intercept_visible_`` b, ``intercept_hidden_`` c, E(v, h) = -h^T W v - b^T v - c^T h, p(v, h) = exp(-E) / Z, and
p(h_j = 1 | v) = sigmoid((W v + c)_j), p(v_i = 1 | h) = sigmoid((W^T h + b)_i)  # notes 5.3: P(s_i=1) = sigmoid(...)

Training ascends the mean log-likelihood, whose gradient is <v h^T>_data - <v h^T>_model (Hinton 2002). The model
term is estimated from k block-Gibbs steps started at the data (CD-k, Hinton 2002) or at persistent chains carried
across updates (PCD-k, Tieleman 2008; scikit-learn's choice with k = 1). A whole epoch of minibatch updates runs in
one jitted kernel, which removes the Python overhead per minibatch that dominates ``BernoulliRBM.fit`` at its
default batch size of 10. That kernel computes in float32 (``TRAINING_DTYPE``; the fitted attributes stay float64 and
hold its results exactly) and makes no BLAS call: at these sizes the products are sums of a few rows of the weights,
one per nonzero unit (``sims/_bipartite_kernels.py``). Evaluation (``transform``, ``free_energy``, the likelihoods)
is float64.

Two differences from ``BernoulliRBM``, both from Hinton's "A practical guide to training RBMs" (2010): the rows are
shuffled every epoch (scikit-learn visits them in the same order every time), and ``fit`` starts the visible biases
at log(p_i / (1 - p_i)) of the data's marginals p_i (scikit-learn starts them at 0). ``score_samples`` keeps
scikit-learn's meaning (the stochastic pseudo-log-likelihood); the true log-likelihood is ``log_likelihood``.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from boltzgym.sims import _bipartite_kernels as kernels
from boltzgym.sims import rbm_eval
from boltzgym.sims.bipartite import block_gibbs_sample
from boltzgym.utils.checkpoint import load_checkpoint, load_checkpoint_arrays, save_checkpoint
from boltzgym.utils.progress import progress_bar
from boltzgym.utils.reporting import report
from boltzgym.utils.resources import array_bytes, check_memory
from boltzgym.utils.rng import make_streams
from boltzgym.utils.validation import DivergenceError, check_in_range, check_int, check_positive, check_seed

SCHEDULES = ("constant", "linear")
TRAINING_DTYPE = np.float32  # the precision of the training arithmetic (see RBM)
CHECKPOINT_FORMAT = "boltzgym-rbm"


class RBMInputWarning(UserWarning):
    """Data outside [0, 1] given to Bernoulli visible units (accepted, as ``BernoulliRBM`` accepts it)."""


VISIBLE_UNITS = ("bernoulli", "gaussian")


class RBM(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Restricted Boltzmann machine (Bernoulli hidden units; Bernoulli or Gaussian visible units) trained by
    contrastive divergence (CD-k) or persistent contrastive divergence (PCD-k).

    The first six parameters are ``sklearn.neural_network.BernoulliRBM``'s, with its defaults, so this class
    replaces a ``BernoulliRBM`` in a Pipeline or wherever its fitted attributes are read.

    Args:
        n_components: number of hidden units.
        learning_rate: step size on the minibatch-mean gradient (scikit-learn's ``learning_rate``; 0.1).
        batch_size: samples per minibatch (scikit-learn's default 10).
        n_iter: epochs (passes over the data) of ``fit``.
        verbose: print one line per epoch to stderr when > 0.
        random_state: seed (int >= 0) or None; the same seed gives the same model on CPU.
        cd_k: Gibbs steps per negative phase (k of CD-k/PCD-k), >= 1.
        persistent: PCD (persistent chains, ``batch_size`` of them, as scikit-learn) when true, else CD-k.
        momentum: classical momentum in [0, 1) (Hinton's guide uses 0.5 then 0.9); 0 is plain SGD like scikit-learn.
        weight_decay: L2 coefficient on the weights (not the biases), e.g. 1e-4; 0 by default.
        learning_rate_schedule: ``"constant"``, or ``"linear"`` decay from ``learning_rate`` to
            ``learning_rate / n_iter`` over the epochs of ``fit`` (annealing the step helps PCD converge).
        visible_units: ``"bernoulli"`` (0/1 units, ``BernoulliRBM``'s model) or ``"gaussian"``: real visible
            units with unit variance, E(v, h) = ||v - b||^2 / 2 - h^T W v - c^T h (Hinton 2010, section 13.2), for
            data standardized to unit variance per feature; use a smaller learning rate (e.g. 0.01).

    Attributes:
        components_: W, float64 (n_components, n_features). intercept_hidden_: c (n_components,).
        intercept_visible_: b (n_features,). h_samples_: the persistent hidden chains (batch_size, n_components).
        n_features_in_: number of visible units.

    Example:
        >>> from boltzgym.models.datasets import bars_and_stripes
        >>> X = bars_and_stripes(3)
        >>> rbm = RBM(n_components=8, n_iter=5, random_state=0).fit(X)
        >>> rbm.transform(X).shape
        (14, 8)
    """

    def __init__(
        self,
        n_components: int = 256,
        *,
        learning_rate: float = 0.1,
        batch_size: int = 10,
        n_iter: int = 10,
        verbose: int = 0,
        random_state: int | None = None,
        cd_k: int = 1,
        persistent: bool = True,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        learning_rate_schedule: str = "constant",
        visible_units: str = "bernoulli",
    ):
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.verbose = verbose
        self.random_state = random_state
        self.cd_k = cd_k
        self.persistent = persistent
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.learning_rate_schedule = learning_rate_schedule
        self.visible_units = visible_units

    # ------------------------------------------------------------------ validation
    def _check_params(self) -> None:
        check_int("n_components", self.n_components, minimum=1)
        check_positive("learning_rate", self.learning_rate)
        check_int("batch_size", self.batch_size, minimum=1)
        check_int("n_iter", self.n_iter, minimum=1)
        check_seed("random_state", self.random_state)
        check_int("cd_k", self.cd_k, minimum=1)
        if not isinstance(self.persistent, bool | np.bool_):
            raise TypeError(f"persistent must be a bool, got {self.persistent!r}")
        check_in_range("momentum", self.momentum, 0.0, 0.999)
        check_positive("weight_decay", self.weight_decay, allow_zero=True)
        if self.visible_units not in VISIBLE_UNITS:
            raise ValueError(f"visible_units must be one of {list(VISIBLE_UNITS)}, got {self.visible_units!r}")
        if self.learning_rate_schedule not in SCHEDULES:
            raise ValueError(
                f"learning_rate_schedule must be one of {list(SCHEDULES)}, got {self.learning_rate_schedule!r}"
            )

    @property
    def _gaussian(self) -> bool:
        return self.visible_units == "gaussian"

    def _check_data(self, X, name: str = "X", reset: bool = False) -> np.ndarray:
        """``X`` as C-contiguous float64 (n_samples, n_features): values in [0, 1] (probabilities allowed) for
        Bernoulli visible units, finite reals for Gaussian ones."""
        if name == "X":  # sklearn's checks and messages (n_features_in_, sparse input, 1-d input, ...)
            X = validate_data(self, X, reset=reset, dtype=np.float64, order="C")
        else:
            X = check_array(X, dtype=np.float64, order="C", input_name=name)
        if not reset and X.shape[1] != self._n_features:  # components_ assigned without n_features_in_
            raise ValueError(
                f"{name} has {X.shape[1]} features, but {type(self).__name__} is expecting {self._n_features} "
                "features as input"
            )
        if not self._gaussian and (X.min(initial=0.0) < 0.0 or X.max(initial=0.0) > 1.0):
            # A warning, not an error: BernoulliRBM accepts any reals, and test data scaled by a MinMaxScaler fitted
            # on the training data routinely leaves [0, 1] by a little.
            warnings.warn(
                f"{name} should hold values in [0, 1] (binary data or probabilities) for Bernoulli visible units, "
                f"got values in [{X.min()}, {X.max()}]; scale it (e.g. MinMaxScaler) or use visible_units='gaussian'",
                RBMInputWarning,
                stacklevel=3,
            )
        return X

    @property
    def _n_features_out(self) -> int:
        return self.components_.shape[0]

    @property
    def _n_features(self) -> int:
        """Visible units: ``n_features_in_``, or the width of assigned ``components_`` (copied from elsewhere)."""
        return self.n_features_in_ if hasattr(self, "n_features_in_") else self.components_.shape[1]

    @property
    def _generator(self) -> np.random.Generator:
        """The model's generator: made by ``fit``, or from ``random_state`` when the parameters were assigned."""
        if not hasattr(self, "_rng"):
            self._rng = np.random.default_rng(self.random_state)
        return self._rng

    @classmethod
    def from_bernoulli_rbm(cls, model, **params) -> RBM:
        """An ``RBM`` with the fitted parameters of a scikit-learn ``BernoulliRBM`` (same energy convention).

        ``params`` override the hyperparameters copied from ``model.get_params()`` (e.g. ``cd_k=5`` to continue
        training it here with ``partial_fit``).
        """
        check_is_fitted(model, "components_")
        settings = {key: value for key, value in model.get_params().items() if key in cls().get_params()}
        rbm = cls(**{**settings, **params})
        rbm.components_ = np.array(model.components_, dtype=np.float64, order="C")
        rbm.intercept_hidden_ = np.array(model.intercept_hidden_, dtype=np.float64)
        rbm.intercept_visible_ = np.array(model.intercept_visible_, dtype=np.float64)
        rbm.n_features_in_ = rbm.components_.shape[1]
        rbm.h_samples_ = np.array(model.h_samples_, dtype=np.float64, order="C")
        n_features = rbm.n_features_in_
        rbm._velocities = (np.zeros_like(rbm.components_), np.zeros(n_features), np.zeros(rbm.n_components))
        rbm._streams = make_streams(int(rbm._generator.integers(2**63)), rbm.h_samples_.shape[0])
        return rbm

    # ------------------------------------------------------------------ training
    def _initialize(self, X: np.ndarray) -> None:
        n_features = X.shape[1]
        # weights and their velocity in float64, the epoch's float32 transposed copies and gradient: under four
        # (n_components, n_features) float64 arrays
        weights = 4 * array_bytes((self.n_components, n_features), np.float64, "n_components")
        check_memory(weights, "n_components", f"an RBM of {self.n_components} x {n_features} weights")
        self._rng = np.random.default_rng(self.random_state)
        self.components_ = self._rng.normal(0.0, 0.01, size=(self.n_components, n_features))
        self.intercept_hidden_ = np.zeros(self.n_components)
        if self._gaussian:
            self.intercept_visible_ = X.mean(axis=0)
        else:
            self.intercept_visible_ = rbm_eval.base_rate_visible_bias(X)
        self.h_samples_ = np.zeros((self.batch_size, self.n_components))
        self._velocities = (np.zeros_like(self.components_), np.zeros(n_features), np.zeros(self.n_components))
        self._streams = make_streams(int(self._rng.integers(2**63)), self.batch_size)

    def _run_epoch(self, X: np.ndarray, order: np.ndarray, learning_rate: float) -> None:
        if self.h_samples_.shape != (self.batch_size, self.n_components):  # batch_size changed by set_params
            self.h_samples_ = np.zeros((self.batch_size, self.n_components))
            self._streams = make_streams(int(self._generator.integers(2**63)), self.batch_size)
        if self.components_.shape != (self.n_components, X.shape[1]):
            raise ValueError(
                f"n_components={self.n_components} does not match the fitted components_ of shape "
                f"{self.components_.shape}; call fit to start again"
            )
        for name in ("components_", "intercept_visible_", "intercept_hidden_"):  # user-assigned arrays
            setattr(self, name, np.ascontiguousarray(getattr(self, name), dtype=np.float64))
        # The epoch's arithmetic runs in float32 (TRAINING_DTYPE) on the transposed weights; the attributes stay
        # float64 and hold the float32 results exactly, so converting back and forth each epoch loses nothing.
        dtype = TRAINING_DTYPE
        weights_t = np.ascontiguousarray(self.components_.T, dtype=dtype)
        velocities = tuple(np.ascontiguousarray(v.T if v.ndim == 2 else v, dtype=dtype) for v in self._velocities)
        visible_bias = self.intercept_visible_.astype(dtype)
        hidden_bias = self.intercept_hidden_.astype(dtype)
        chains = self.h_samples_.astype(dtype)
        kernels.contrastive_divergence_epoch(
            weights_t,
            visible_bias,
            hidden_bias,
            velocities,
            np.ascontiguousarray(X, dtype=dtype),
            order.astype(np.int64),
            self.batch_size,
            self.cd_k,
            (bool(self.persistent), self._gaussian),
            chains,
            np.array([learning_rate, self.momentum, self.weight_decay], dtype=dtype),
            self._streams,
        )
        self.components_[...] = weights_t.T
        self.intercept_visible_[...] = visible_bias
        self.intercept_hidden_[...] = hidden_bias
        self.h_samples_[...] = chains
        for velocity, updated in zip(self._velocities, velocities):
            velocity[...] = updated.T if updated.ndim == 2 else updated

    def _epoch_learning_rate(self, epoch: int) -> float:
        if self.learning_rate_schedule == "linear":
            return self.learning_rate * (1.0 - epoch / self.n_iter)
        return float(self.learning_rate)

    def fit(self, X, y=None, callback: Callable[[int, RBM], bool | None] | None = None) -> RBM:
        """Fit the model to ``X`` (n_samples, n_features), values in [0, 1], for ``n_iter`` epochs.

        Args:
            X: training data; binary, or probabilities in [0, 1] as ``BernoulliRBM`` accepts.
            y: ignored (scikit-learn API).
            callback: called as ``callback(epoch, self)`` after each epoch (epoch counts from 1); training stops
                early when it returns ``False``.
        """
        self._check_params()
        X = self._check_data(X, reset=True)
        self._initialize(X)
        X = np.ascontiguousarray(X, dtype=TRAINING_DTYPE)  # once, not every epoch
        for epoch in range(self.n_iter):
            start = time.perf_counter()
            last_good = self._parameters()
            self._run_epoch(X, self._generator.permutation(X.shape[0]), self._epoch_learning_rate(epoch))
            self._check_finite(epoch + 1, last_good)
            if self.verbose:
                sys.stderr.write(f"[RBM] epoch {epoch + 1}/{self.n_iter}, {time.perf_counter() - start:.3f}s\n")
            if callback is not None and callback(epoch + 1, self) is False:
                break
        return self

    def _parameters(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.components_.copy(), self.intercept_visible_.copy(), self.intercept_hidden_.copy()

    def _check_finite(self, epoch: int, last_good: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        """Raise :class:`DivergenceError` when an epoch left non-finite parameters, restoring those before it."""
        if np.isfinite(self.components_.sum() + self.intercept_visible_.sum() + self.intercept_hidden_.sum()):
            return  # a sum is NaN or inf when a term is (float32-sized terms cannot overflow it)
        self.components_, self.intercept_visible_, self.intercept_hidden_ = last_good
        self._velocities = (np.zeros_like(self.components_), *(np.zeros_like(a) for a in last_good[1:]))
        raise DivergenceError(
            f"RBM training diverged in epoch {epoch}: the weights became non-finite (NaN or inf) with "
            f"learning_rate={self.learning_rate}; training stopped and the parameters before that epoch were kept "
            "(lower learning_rate, or raise weight_decay)"
        )

    def partial_fit(self, X, y=None) -> RBM:
        """One epoch of minibatch updates over ``X`` in its given order (initializing the model on first call).

        With ``len(X) <= batch_size`` it is one minibatch update on ``X``, as ``BernoulliRBM.partial_fit`` makes.
        """
        self._check_params()
        first = not hasattr(self, "components_")
        X = self._check_data(X, reset=first)
        if first:
            self._initialize(X)
        last_good = self._parameters()
        self._run_epoch(X, np.arange(X.shape[0]), float(self.learning_rate))
        self._check_finite(1, last_good)
        return self

    # ------------------------------------------------------------------ checkpoints
    def save(self, path) -> Path:
        """Write the fitted model as a checkpoint folder (:mod:`boltzgym.utils.checkpoint`): hyperparameters and
        generator state in ``config.json``, parameters, persistent chains and momenta in ``parameters.npz``;
        ``partial_fit`` on the loaded model continues the same training."""
        check_is_fitted(self, "components_")
        velocity_w, velocity_b, velocity_c = self._velocities
        arrays = {
            "components_": self.components_,
            "intercept_visible_": self.intercept_visible_,
            "intercept_hidden_": self.intercept_hidden_,
            "h_samples_": self.h_samples_,
            "velocity_components": velocity_w,
            "velocity_visible": velocity_b,
            "velocity_hidden": velocity_c,
            "streams": self._streams,
        }
        config = {
            "params": self.get_params(),
            "n_features_in": int(self._n_features),
            "rng_state": self._generator.bit_generator.state,
        }
        return save_checkpoint(path, CHECKPOINT_FORMAT, 1, config, arrays={"parameters.npz": arrays})

    @classmethod
    def load(cls, path) -> RBM:
        """Load a model written by :meth:`save`; every problem is one ``CheckpointError`` naming the file."""
        checkpoint = load_checkpoint(path, CHECKPOINT_FORMAT, 1)
        config = checkpoint.config
        try:
            rbm = cls(**config["params"])
            rbm._check_params()
            n_features = check_int("n_features_in", config["n_features_in"], minimum=1)
            rbm._rng = np.random.default_rng()
            rbm._rng.bit_generator.state = config["rng_state"]
        except KeyError as exc:
            raise checkpoint.error("config.json", f"is corrupt: missing field {exc}") from exc
        except (TypeError, ValueError) as exc:
            raise checkpoint.error("config.json", f"is corrupt: {exc}") from exc
        hidden, chains = rbm.n_components, checkpoint.arrays.get("parameters.npz", {}).get("h_samples_")
        n_chains = chains.shape[0] if chains is not None and chains.ndim == 2 else -1
        shapes = {
            "components_": (hidden, n_features),
            "intercept_visible_": (n_features,),
            "intercept_hidden_": (hidden,),
            "h_samples_": (n_chains, hidden),
            "velocity_components": (hidden, n_features),
            "velocity_visible": (n_features,),
            "velocity_hidden": (hidden,),
            "streams": (n_chains, 4),
        }
        arrays = load_checkpoint_arrays(checkpoint, "parameters.npz", shapes)
        for name in ("components_", "intercept_visible_", "intercept_hidden_", "h_samples_"):
            setattr(rbm, name, np.ascontiguousarray(arrays[name], dtype=np.float64))
        rbm._velocities = tuple(
            np.ascontiguousarray(arrays[name], dtype=np.float64)
            for name in ("velocity_components", "velocity_visible", "velocity_hidden")
        )
        rbm._streams = np.ascontiguousarray(arrays["streams"], dtype=np.uint64)
        rbm.n_features_in_ = n_features
        return rbm

    # ------------------------------------------------------------------ inference
    def transform(self, X) -> np.ndarray:
        """The hidden units' probabilities p(h_j = 1 | v), shape (n_samples, n_components)."""
        check_is_fitted(self, "components_")
        X = self._check_data(X)
        drive = X @ self.components_.T + self.intercept_hidden_
        return 0.5 * (1.0 + np.tanh(0.5 * drive))  # sigmoid, overflow-free

    def free_energy(self, X) -> np.ndarray:
        """F(v) = -b^T v - sum_j softplus((W v + c)_j) for each row v; p(v) = exp(-F(v)) / Z."""
        check_is_fitted(self, "components_")
        X = self._check_data(X)
        params = (self.components_, self.intercept_visible_, self.intercept_hidden_)
        return rbm_eval.free_energy(*params, X, gaussian_visible=self._gaussian)

    def score_samples(self, X) -> np.ndarray:
        """The pseudo-log-likelihood of each row, as ``BernoulliRBM.score_samples`` computes it.

        n_features * log sigmoid(F(v~) - F(v)), where v~ is v with one randomly chosen unit flipped (drawn from the
        model's generator). For the true log-likelihood use ``log_likelihood``. Bernoulli visible units only.
        """
        check_is_fitted(self, "components_")
        if self._gaussian:
            raise ValueError("score_samples (pseudo-likelihood) needs visible_units='bernoulli'; use log_likelihood")
        X = self._check_data(X)
        flipped = X.copy()
        rows = np.arange(X.shape[0])
        columns = self._generator.integers(0, X.shape[1], size=X.shape[0])
        flipped[rows, columns] = 1.0 - flipped[rows, columns]
        energy = self.free_energy(X)
        energy_flipped = self.free_energy(flipped)
        return -X.shape[1] * np.logaddexp(0.0, -(energy_flipped - energy))

    def _gibbs_chains(self, visible: np.ndarray, n_steps: int) -> np.ndarray:
        visible, _ = block_gibbs_sample(
            self.components_,
            self.intercept_visible_,
            self.intercept_hidden_,
            visible,
            n_steps,
            gaussian_visible=self._gaussian,
            seed=int(self._generator.integers(2**63)),
        )
        return visible

    def gibbs(self, v) -> np.ndarray:
        """One block-Gibbs step from each row of ``v``: h ~ p(h | v), then a visible sample from p(v | h)."""
        check_is_fitted(self, "components_")
        return self._gibbs_chains(self._check_data(v, name="v"), 1)

    def sample(self, n_samples: int, n_steps: int = 1000) -> np.ndarray:
        """``n_samples`` visible samples after ``n_steps`` block-Gibbs steps from random states (uniform 0/1 states,
        or standard normal ones for Gaussian visible units)."""
        check_is_fitted(self, "components_")
        n_samples = check_int("n_samples", n_samples, minimum=1)
        n_steps = check_int("n_steps", n_steps, minimum=1)
        if self._gaussian:
            start = self._generator.standard_normal((n_samples, self._n_features))
        else:
            start = (self._generator.random((n_samples, self._n_features)) < 0.5).astype(np.float64)
        return self._gibbs_chains(start, n_steps)

    # ------------------------------------------------------------------ evaluation
    def log_partition(
        self,
        method: str = "exact",
        *,
        n_chains: int = 100,
        n_betas: int = 14501,
        random_state: int | None = None,
        base_visible_bias=None,
    ) -> float | tuple[float, float]:
        """log Z: a float for ``method="exact"``, ``(estimate, standard_error)`` for ``method="ais"``.

        Exact enumeration needs a layer of at most ``rbm_eval.MAX_EXACT_UNITS`` (25) units. AIS uses ``n_chains``
        runs over ``n_betas`` inverse temperatures (Salakhutdinov & Murray 2008) from a base-rate model with visible
        biases ``base_visible_bias`` (default zeros, the uniform distribution; the paper uses the data's marginals,
        ``rbm_eval.base_rate_visible_bias(X)``, which ``log_likelihood`` passes).
        """
        check_is_fitted(self, "components_")
        params = (self.components_, self.intercept_visible_, self.intercept_hidden_)
        if method == "exact":
            if self._gaussian:
                return rbm_eval.log_partition_exact_gaussian(*params)
            return rbm_eval.log_partition_exact(*params)
        if method == "ais":
            if self._gaussian:
                raise ValueError("method='ais' needs visible_units='bernoulli'; Gaussian units support method='exact'")
            return rbm_eval.log_partition_ais(
                *params,
                n_chains=n_chains,
                n_betas=n_betas,
                base_visible_bias=base_visible_bias,
                random_state=random_state,
            )
        raise ValueError(f"method must be 'exact' or 'ais', got {method!r}")

    def log_likelihood(self, X, method: str = "exact", **ais_options) -> float | tuple[float, float]:
        """The mean log-likelihood (nats) of the binary rows of ``X``: mean(-F(v)) - log Z (a log density for
        Gaussian visible units, whose ``X`` may be any finite reals).

        A float for ``method="exact"``; ``(estimate, standard_error)`` for ``method="ais"``, where the error is
        log Z's (the free energies are exact). ``ais_options`` go to ``log_partition``.
        """
        check_is_fitted(self, "components_")
        if self._gaussian:
            X = self._check_data(X)
        else:
            X = rbm_eval.check_binary("X", X, n_features=self._n_features)
        mean_negative_free_energy = float(-self.free_energy(X).mean())
        if method == "ais":
            ais_options.setdefault("base_visible_bias", rbm_eval.base_rate_visible_bias(X))
        result = self.log_partition(method, **ais_options)
        if method == "ais":
            log_z, standard_error = result
            return mean_negative_free_energy - log_z, standard_error
        return mean_negative_free_energy - result


def fit_with_log_likelihood(
    rbm: RBM,
    X,
    *,
    method: str = "exact",
    eval_every: int = 1,
    ais_chains: int = 100,
    ais_betas: int = 2001,
    progress: bool = False,
) -> list[dict]:
    """Fit ``rbm`` on binary ``X`` and record the mean log-likelihood every ``eval_every`` epochs and at the end.

    Returns ``[{"epoch", "log_likelihood", "log_likelihood_stderr"}, ...]`` (stderr 0 for exact). AIS uses seeds
    derived from ``rbm.random_state`` so the record is reproducible.
    """
    X = rbm_eval.check_binary("X", X)
    eval_every = check_int("eval_every", eval_every, minimum=1)
    if method not in ("exact", "ais"):
        raise ValueError(f"method must be 'exact' or 'ais', got {method!r}")
    history: list[dict] = []
    bar = progress_bar(total=rbm.n_iter, desc="rbm epochs", enabled=progress)

    def record(epoch: int, model: RBM) -> None:
        bar.update(1)
        if epoch % eval_every and epoch != model.n_iter:
            return
        with np.errstate(over="ignore", invalid="ignore"):  # a diverged model is reported below, in one line
            if method == "exact":
                value, error = model.log_likelihood(X, "exact"), 0.0
            else:
                seed = None if model.random_state is None else model.random_state + epoch
                value, error = model.log_likelihood(X, "ais", n_chains=ais_chains, n_betas=ais_betas, random_state=seed)
        if not np.isfinite(value):
            raise DivergenceError(
                f"RBM training diverged by epoch {epoch}: the log-likelihood is {value} (learning_rate="
                f"{model.learning_rate}); training stopped (lower learning_rate, or raise weight_decay)"
            )
        history.append({"epoch": epoch, "log_likelihood": value, "log_likelihood_stderr": error})
        report(**history[-1])  # for a sweep's early-stopping scheduler (a no-op unless one listens)

    try:
        rbm.fit(X, callback=record)
    finally:
        bar.close()
    return history
