"""Jitted block (layer-wise) Gibbs kernels for bipartite models: RBMs and any bipartite Ising model.

A bipartite model has a visible layer v (n_visible units) and a hidden layer h (n_hidden units), coupled only
across layers. Every kernel here takes the couplings as ``weights`` of shape ``(n_hidden, n_visible)`` (row j is
hidden unit j's receptive field, the layout of scikit-learn's ``BernoulliRBM.components_``), ``visible_bias``
(n_visible) and ``hidden_bias`` (n_hidden), all float64 and C-contiguous. The energy is

    E(v, h) = - h^T W v - b^T v - c^T h        (W = weights, b = visible_bias, c = hidden_bias)

and p(v, h) ∝ exp(-beta E(v, h)). Units are 0/1 (Boltzmann-machine form); with ``spins=True`` the same kernels
sample spins in {-1, +1} for the same energy (then p(s_i = +1 | rest) = sigmoid(2 beta field_i)). With
``gaussian_visible=True`` the visible units are real with unit variance (Hinton 2010, section 13.2; Welling et al.
2005): E(v, h) = ||v - b||^2 / 2 - h^T W v - c^T h, so p(v | h) = N(b + W^T h, I / beta).

Given one layer the other factorises, so a whole layer is sampled at once (block Gibbs, Hinton 2002):
p(h_j = 1 | v) = sigmoid(beta (W v + c)_j) and p(v_i = 1 | h) = sigmoid(beta (W^T h + b)_i).

Each chain (row of the state arrays) owns one stream of ``boltzgym.utils.rng``: chain results depend only on the seed
and the chain index, never on the thread count. Kernels do only arithmetic; the Python wrappers (``sims/rbm.py``,
``sims/rbm_eval.py``) validate, seed and preallocate.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from boltzgym.utils.rng import next_double, next_normal

# Reassociation lets LLVM vectorize the dot products; no "nnan"/"ninf", so overflow to inf stays well defined.
_FAST = {"reassoc", "contract", "nsz", "arcp"}


@njit(cache=True)
def sigmoid(x):
    """The logistic function 1 / (1 + exp(-x)) of a float64 (exp(-x) = inf for x < -709 correctly gives 0)."""
    return 1.0 / (1.0 + np.exp(-x))


@njit(cache=True)
def softplus(x):
    """log(1 + exp(x)) of a float64, without overflow."""
    if x > 0.0:
        return x + np.log1p(np.exp(-x))
    return np.log1p(np.exp(x))


@njit(cache=True, fastmath=_FAST)
def _sample_hidden(weights, hidden_bias, beta, visible, hidden, chain, spins, states, stream):
    """Sample row ``chain`` of ``hidden`` (n_chains, n_hidden) given row ``chain`` of ``visible``."""
    n_hidden, n_visible = weights.shape
    for j in range(n_hidden):
        field = hidden_bias[j]
        for i in range(n_visible):
            field += weights[j, i] * visible[chain, i]
        if spins:
            hidden[chain, j] = 1.0 if next_double(states, stream) < sigmoid(2.0 * beta * field) else -1.0
        else:
            hidden[chain, j] = 1.0 if next_double(states, stream) < sigmoid(beta * field) else 0.0


@njit(cache=True, fastmath=_FAST)
def _sample_visible(weights, visible_bias, beta, hidden, visible, chain, spins, gaussian, states, stream, field):
    """Sample row ``chain`` of ``visible`` given row ``chain`` of ``hidden``; ``field`` is a (n_visible,) buffer."""
    n_hidden, n_visible = weights.shape
    field[:] = visible_bias
    for j in range(n_hidden):
        h = hidden[chain, j]
        if h != 0.0:
            for i in range(n_visible):
                field[i] += h * weights[j, i]
    for i in range(n_visible):
        if gaussian:
            visible[chain, i] = field[i] + next_normal(states, stream) / np.sqrt(beta)
        elif spins:
            visible[chain, i] = 1.0 if next_double(states, stream) < sigmoid(2.0 * beta * field[i]) else -1.0
        else:
            visible[chain, i] = 1.0 if next_double(states, stream) < sigmoid(beta * field[i]) else 0.0


@njit(cache=True)
def _block_gibbs_chain(
    weights, visible_bias, hidden_bias, beta, visible, hidden, n_steps, spins, gaussian, states, chain
):
    """``n_steps`` sweeps h ~ p(h | v), v ~ p(v | h) of chain ``chain`` (row of ``visible``/``hidden``), in place."""
    field = np.empty(visible.shape[1])
    for _ in range(n_steps):
        _sample_hidden(weights, hidden_bias, beta, visible, hidden, chain, spins, states, chain)
        _sample_visible(weights, visible_bias, beta, hidden, visible, chain, spins, gaussian, states, chain, field)


@njit(cache=True, parallel=True)
def block_gibbs_parallel(weights, visible_bias, hidden_bias, beta, visible, hidden, n_steps, spins, gaussian, states):
    """Run ``n_steps`` block-Gibbs sweeps (h ~ p(h|v), then v ~ p(v|h)) on every chain, in place, chains in parallel.

    Args:
        weights: float64 (n_hidden, n_visible). visible_bias: float64 (n_visible,). hidden_bias: float64 (n_hidden,).
        beta: float inverse temperature.
        visible: float64 (n_chains, n_visible), the starting states; holds the final visible samples.
        hidden: float64 (n_chains, n_hidden); overwritten, holds the hidden samples of the last sweep.
        n_steps: int >= 0. spins: bool, {-1,+1} units instead of {0,1}. gaussian: bool, unit-variance Gaussian
            visible units.
        states: uint64 (n_chains, 4), one xoshiro256** stream per chain.
    """
    for chain in prange(visible.shape[0]):
        _block_gibbs_chain(
            weights, visible_bias, hidden_bias, beta, visible, hidden, n_steps, spins, gaussian, states, chain
        )


@njit(cache=True)
def block_gibbs_serial(weights, visible_bias, hidden_bias, beta, visible, hidden, n_steps, spins, gaussian, states):
    """The serial twin of ``block_gibbs_parallel`` (same arguments, identical results; compiles faster)."""
    for chain in range(visible.shape[0]):
        _block_gibbs_chain(
            weights, visible_bias, hidden_bias, beta, visible, hidden, n_steps, spins, gaussian, states, chain
        )


@njit(cache=True, fastmath=_FAST)
def _minibatch_update(
    weights_t,
    velocity_t,
    visible_bias,
    hidden_bias,
    velocities,
    batch_visible,
    cd_k,
    flags,
    chains,
    hyper,
    states,
    buffers,
):
    """One CD-k/PCD-k update from the minibatch ``batch_visible`` (m, n_visible); see ``contrastive_divergence_epoch``.

    ``weights_t`` and ``velocity_t`` are the weights and their velocity transposed, float64 (n_visible, n_hidden),
    C-contiguous, updated in place; ``velocities`` supplies the bias velocities. ``buffers`` = (stacked_visible
    (2m, n_visible), stacked_hidden (2m, n_hidden), hidden_sample (m, n_hidden)): rows [0, m) of the stacked arrays
    hold the positive phase, rows [m, 2m) the negative phase (hidden probabilities stored negated, so that one matrix
    product gives <v h^T>_data - <v h^T>_model).
    """
    n_visible, n_hidden = weights_t.shape
    learning_rate, momentum, weight_decay = hyper[0], hyper[1], hyper[2]
    _, velocity_b, velocity_c = velocities
    stacked_visible, stacked_hidden, hidden_sample = buffers
    persistent, gaussian = flags
    m = batch_visible.shape[0]
    stacked_visible[:m] = batch_visible
    drive = np.dot(batch_visible, weights_t)
    for slot in range(m):  # positive phase: p(h | v_data)
        for j in range(n_hidden):
            p = sigmoid(drive[slot, j] + hidden_bias[j])  # notes 5.3: P(s_i = 1) = sigmoid(sum_j w_ij s_j + b_i)
            stacked_hidden[slot, j] = p
            if persistent:
                hidden_sample[slot, j] = chains[slot, j]
            else:
                hidden_sample[slot, j] = 1.0 if next_double(states, slot) < p else 0.0
    for _ in range(cd_k):  # negative phase: k block-Gibbs steps v ~ p(v | h), h ~ p(h | v)
        field = np.dot(hidden_sample, weights_t.T)
        for slot in range(m):
            for i in range(n_visible):
                if gaussian:
                    stacked_visible[m + slot, i] = field[slot, i] + visible_bias[i] + next_normal(states, slot)
                else:
                    p = sigmoid(field[slot, i] + visible_bias[i])
                    stacked_visible[m + slot, i] = 1.0 if next_double(states, slot) < p else 0.0
        drive = np.dot(stacked_visible[m:], weights_t)
        for slot in range(m):
            for j in range(n_hidden):
                p = sigmoid(drive[slot, j] + hidden_bias[j])
                stacked_hidden[m + slot, j] = -p  # negated: one product gives the difference
                hidden_sample[slot, j] = 1.0 if next_double(states, slot) < p else 0.0
    if persistent:
        chains[:m] = hidden_sample
    scale = 1.0 / m
    gradient_t = np.dot(stacked_visible.T, stacked_hidden)
    for i in range(n_visible):
        for j in range(n_hidden):
            g = gradient_t[i, j] * scale - weight_decay * weights_t[i, j]
            velocity_t[i, j] = momentum * velocity_t[i, j] + learning_rate * g
            weights_t[i, j] += velocity_t[i, j]
    for i in range(n_visible):
        g = 0.0
        for slot in range(m):
            g += stacked_visible[slot, i] - stacked_visible[m + slot, i]
        velocity_b[i] = momentum * velocity_b[i] + learning_rate * g * scale
        visible_bias[i] += velocity_b[i]
    for j in range(n_hidden):
        g = 0.0
        for slot in range(2 * m):
            g += stacked_hidden[slot, j]
        velocity_c[j] = momentum * velocity_c[j] + learning_rate * g * scale
        hidden_bias[j] += velocity_c[j]


@njit(cache=True, fastmath=_FAST)
def contrastive_divergence_epoch(
    weights, visible_bias, hidden_bias, velocities, data, order, batch_size, cd_k, flags, chains, hyper, states
):
    """One epoch of CD-k or PCD-k minibatch training of a 0/1 RBM at beta = 1, in place.

    For each minibatch B (rows ``data[order[s:s+batch_size]]``) the gradient of the mean log-likelihood is
    estimated as <h v^T>_data - <h v^T>_model (Hinton 2002; Tieleman 2008 for PCD), using hidden probabilities
    on both sides and sampled visible states on the model side. The negative chains start from hidden samples
    drawn given the data (CD-k) or from the persistent hidden samples ``chains`` (PCD-k, updated in place), and run
    k steps v ~ p(v|h), h ~ p(h|v). The update is classical momentum: velocity = momentum * velocity +
    learning_rate * (gradient - weight_decay * weights), then parameter += velocity (no weight decay on biases).
    The matrix products go to BLAS (``np.dot``); sampling draws from the minibatch slot's stream. Within the epoch
    the weights and their velocity are held transposed, (n_visible, n_hidden), and copied back at its end: with that
    layout the hidden drives are V W^T without a transposed operand, the gradient comes out in the layout of the
    update loop, and a 10-row epoch at 256 hidden units ran 12% faster (``benchmarks/rbm.py``); the arithmetic is the
    same up to floating-point summation order inside BLAS.

    Args:
        weights: float64 (n_hidden, n_visible); visible_bias (n_visible,), hidden_bias (n_hidden,): updated in place.
        velocities: tuple of float64 arrays shaped like (weights, visible_bias, hidden_bias), updated in place.
        data: float64 (n_samples, n_visible), values in [0, 1] (any reals for Gaussian visible units).
        order: int64 (n_samples,), the row order this epoch. batch_size: int >= 1. cd_k: int >= 1.
        flags: (persistent, gaussian) bools: PCD instead of CD; unit-variance Gaussian visible units, whose
            negative-phase samples are v ~ N(b + W^T h, I) (the gradient has the same form).
        chains: float64 (batch_size, n_hidden), the persistent hidden samples (unused by CD).
        hyper: float64 (3,): learning_rate, momentum, weight_decay.
        states: uint64 (batch_size, 4): one stream per minibatch slot.
    """
    n_hidden, n_visible = weights.shape
    n_samples = order.shape[0]
    weights_t = np.ascontiguousarray(weights.T)
    velocity_t = np.ascontiguousarray(velocities[0].T)
    full = (
        np.empty((2 * batch_size, n_visible)),
        np.empty((2 * batch_size, n_hidden)),
        np.empty((batch_size, n_hidden)),
    )
    batch_visible = np.empty((batch_size, n_visible))
    for start in range(0, n_samples, batch_size):
        m = min(batch_size, n_samples - start)
        if m == batch_size:
            buffers = full
            rows = batch_visible
        else:  # the last, shorter minibatch
            buffers = (np.empty((2 * m, n_visible)), np.empty((2 * m, n_hidden)), np.empty((m, n_hidden)))
            rows = np.empty((m, n_visible))
        for slot in range(m):
            rows[slot] = data[order[start + slot]]
        _minibatch_update(
            weights_t,
            velocity_t,
            visible_bias,
            hidden_bias,
            velocities,
            rows,
            cd_k,
            flags,
            chains,
            hyper,
            states,
            buffers,
        )
    velocity_w = velocities[0]
    for j in range(n_hidden):
        for i in range(n_visible):
            weights[j, i] = weights_t[i, j]
            velocity_w[j, i] = velocity_t[i, j]


@njit(cache=True, parallel=True, fastmath=_FAST)
def annealed_importance_log_weights(weights, visible_bias, hidden_bias, base_visible_bias, betas, log_weights, states):
    """AIS log importance weights for a 0/1 RBM (Salakhutdinov & Murray 2008, section 4.1), one per chain.

    The path p_k(v) ∝ exp((1 - beta_k) b_A^T v + beta_k b^T v) prod_j (1 + exp(beta_k (W v + c)_j)) runs from the
    base-rate model A (weights 0, visible biases ``base_visible_bias``; exact sample and log Z) at beta_0 = 0 to
    the target RBM at beta_K = 1. Each chain draws v ~ A, then for k = 1..K adds log p*_k(v) - log p*_{k-1}(v) and
    moves v by one block-Gibbs step that leaves p_k invariant.

    Args:
        weights: float64 (n_hidden, n_visible); visible_bias (n_visible,); hidden_bias (n_hidden,).
        base_visible_bias: float64 (n_visible,). betas: float64 (K + 1,), increasing from 0 to 1.
        log_weights: float64 (n_chains,), output. states: uint64 (n_chains, 4), one stream per chain.
    """
    n_hidden, n_visible = weights.shape
    n_chains = log_weights.shape[0]
    n_betas = betas.shape[0]
    for chain in prange(n_chains):
        visible = np.empty(n_visible)
        hidden = np.empty(n_hidden)
        drive = np.empty(n_hidden)
        for i in range(n_visible):
            visible[i] = 1.0 if next_double(states, chain) < sigmoid(base_visible_bias[i]) else 0.0
        log_weight = 0.0
        for k in range(1, n_betas):
            beta_prev = betas[k - 1]
            beta = betas[k]
            for j in range(n_hidden):
                x = hidden_bias[j]
                for i in range(n_visible):
                    x += weights[j, i] * visible[i]
                drive[j] = x
            # log p*_k(v) - log p*_{k-1}(v)
            delta = 0.0
            for i in range(n_visible):
                delta += (beta - beta_prev) * (visible_bias[i] - base_visible_bias[i]) * visible[i]
            for j in range(n_hidden):
                delta += softplus(beta * drive[j]) - softplus(beta_prev * drive[j])
            log_weight += delta
            # one Gibbs transition that leaves p_k invariant
            for j in range(n_hidden):
                hidden[j] = 1.0 if next_double(states, chain) < sigmoid(beta * drive[j]) else 0.0
            for i in range(n_visible):
                x = beta * visible_bias[i] + (1.0 - beta) * base_visible_bias[i]
                for j in range(n_hidden):
                    if hidden[j] != 0.0:
                        x += beta * weights[j, i]
                visible[i] = 1.0 if next_double(states, chain) < sigmoid(x) else 0.0
        log_weights[chain] = log_weight


@njit(cache=True, parallel=True)
def enumerated_log_sum_exp(couplings, enumerated_bias, other_bias, n_blocks, block_maxima, block_sums):
    """Sum exp(log p*(u)) over every 0/1 state u of the enumerated layer, by blocks, in Gray-code order.

    With the other layer summed out, log p*(u) = a^T u + sum_k softplus(d_k + (C^T u)_k), where C =
    ``couplings`` (n_enumerated, n_other), a = ``enumerated_bias``, d = ``other_bias``. Enumerating the hidden layer
    of an RBM, C = W, a = c, d = b; enumerating the visible layer, C = W^T, a = b, d = c. The 2^n states are split
    into ``n_blocks`` (a power of two) blocks by their top bits; block t walks its low bits in Gray-code order,
    updating the drive d + C^T u by one row per state. Block t writes only its slot of the outputs.

    Args:
        couplings: float64 (n, n_other), C-contiguous. enumerated_bias: float64 (n,). other_bias: float64 (n_other,).
        n_blocks: int, a power of two <= 2^n.
        block_maxima, block_sums: float64 (n_blocks,) outputs: block t's log-sum-exp is
            block_maxima[t] + log(block_sums[t]).
    """
    n, n_other = couplings.shape
    low_bits = n - int(np.log2(n_blocks) + 0.5)
    n_low = 1 << low_bits
    for block in prange(n_blocks):
        drive = other_bias.copy()
        linear = 0.0
        for e in range(low_bits, n):  # the block's fixed top bits
            if (block >> (e - low_bits)) & 1:
                linear += enumerated_bias[e]
                for k in range(n_other):
                    drive[k] += couplings[e, k]
        state = np.zeros(low_bits, dtype=np.bool_)
        running_max = -np.inf
        running_sum = 0.0
        for step in range(n_low):
            if step > 0:  # flip the bit that changes between Gray codes step-1 and step
                e = 0
                while not (step >> e) & 1:
                    e += 1
                sign = -1.0 if state[e] else 1.0
                state[e] = not state[e]
                linear += sign * enumerated_bias[e]
                for k in range(n_other):
                    drive[k] += sign * couplings[e, k]
            value = linear
            for k in range(n_other):
                value += softplus(drive[k])
            if value > running_max:
                running_sum = running_sum * np.exp(running_max - value) + 1.0
                running_max = value
            else:
                running_sum += np.exp(value - running_max)
        block_maxima[block] = running_max
        block_sums[block] = running_sum
