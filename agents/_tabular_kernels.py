"""Jitted kernels of the tabular TD agents (:mod:`boltzgym.agents.tabular`): the fast path.

``run_steps`` is the whole training loop of QLearning / SARSA / ExpectedSARSA / DoubleQLearning (and of the
coordination rules: hysteretic, lenient and distributed Q-learning) over the dynamics
arrays of :class:`~boltzgym.agents.dynamics.TabularDynamics`, replaying the env's own sampling (one uniform draw from
the env's generator per step and per reset, ``argmax(cumsum(p) > u)``) so that it follows the same trajectory as
the step-by-step loop through the Gymnasium API for the same seeds. The policy helpers (``select_action``,
``policy_expectation``, ...) are shared: the step-by-step loop calls their pure-Python originals (``.py_func``).

Action masks: the policy helpers and the TD update take ``mask`` / ``next_mask``, boolean ``(A,)`` arrays of the
legal actions (PettingZoo's ``action_mask``); illegal actions are never chosen and never enter a max, an argmax or
an expectation, and an all-True mask draws the same numbers and gives the same values as no mask at all (the jitted
loop, for single-agent envs without masks, passes an all-True one).

All random numbers come from ``numpy.random.Generator`` objects passed in (numba draws the same numbers as numpy
and advances the caller's generator). Kernels do arithmetic only; the wrapper validates and preallocates.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from boltzgym.agents.schedules import linear_schedule
from boltzgym.utils.jit import start_numba_runtime

start_numba_runtime()  # numba's one-time start-up at import, not in the first call

jit_linear_schedule = njit(cache=True)(linear_schedule)  # the agents' one schedule, compiled for the loops below

# Algorithm codes (settings[SETTING_ALGORITHM]).
Q_LEARNING, SARSA, EXPECTED_SARSA, DOUBLE_Q = 0, 1, 2, 3
HYSTERETIC, LENIENT, DISTRIBUTED = 4, 5, 6  # the coordination rules of independent learners
# Exploration codes (settings[SETTING_EXPLORATION]).
EPSILON_GREEDY, BOLTZMANN, UCB = 0, 1, 2

# Layout of the float64 ``params`` array.
(
    PARAM_GAMMA,
    PARAM_LEARNING_RATE,
    PARAM_STEP_SIZE_EXPONENT,  # <= 0 means a constant step size
    PARAM_EPSILON_START,
    PARAM_EPSILON_END,
    PARAM_TEMPERATURE_START,
    PARAM_TEMPERATURE_END,
    PARAM_EXPLORATION_STEPS,
    PARAM_UCB_COEF,
    PARAM_DECREASE_RATE,  # hysteretic: beta / alpha, the decrease step relative to the increase step
    PARAM_LENIENCY,  # lenient: K of the leniency 1 - exp(-K T(s, a))
    PARAM_TEMPERATURE_DECAY,  # lenient: T(s, a) <- decay * T(s, a) after each update of (s, a)
) = range(12)
N_PARAMS = 12
# Layout of the int64 ``settings`` array.
SETTING_ALGORITHM, SETTING_EXPLORATION, SETTING_MAX_EPISODE_STEPS = range(3)  # max steps 0: no time limit
# Layout of the int64 ``cursor`` array (carried from one call to the next).
CURSOR_STATE, CURSOR_PENDING_ACTION, CURSOR_EPISODE_STEPS, CURSOR_TIMESTEPS = range(4)


@njit(cache=True)
def greedy_action(row):
    """First index of the largest entry of a float64 ``(A,)`` row (``np.argmax``'s tie-breaking)."""
    best = 0
    for a in range(1, row.shape[0]):
        if row[a] > row[best]:
            best = a
    return best


@njit(cache=True)
def greedy_action_random_ties(row, rng):
    """An index of the largest entry of ``row``, uniform among ties (one ``rng.integers`` draw only when tied).

    The behaviour policy breaks ties at random: with first-index ties an all-zero table would always pick action
    0, and an agent on a sparse-reward task could sit in a corner once epsilon has decayed.
    """
    best = greedy_action(row)
    n_tied = 0
    for a in range(row.shape[0]):
        if row[a] == row[best]:
            n_tied += 1
    if n_tied == 1:
        return best
    pick = rng.integers(0, n_tied)
    for a in range(row.shape[0]):
        if row[a] == row[best]:
            if pick == 0:
                return a
            pick -= 1
    return best


@njit(cache=True)
def masked_values(row, mask):
    """``row`` with ``-inf`` at the illegal actions (a copy; ``row`` itself when every action is legal)."""
    if mask.all():
        return row
    return np.where(mask, row, -np.inf)


@njit(cache=True)
def legal_max(row, mask):
    """The largest legal entry of ``row`` (0.0 when no action is legal: a finished game has nothing to bootstrap)."""
    best = -np.inf
    for a in range(row.shape[0]):
        if mask[a] and row[a] > best:
            best = row[a]
    return best if best > -np.inf else 0.0


@njit(cache=True)
def kth_legal(mask, k):
    """The index of the ``k``-th True entry of ``mask`` (from 0)."""
    for a in range(mask.shape[0]):
        if mask[a]:
            if k == 0:
                return a
            k -= 1
    return -1


@njit(cache=True)
def ucb_action(row, counts_row, coef, mask):
    """UCB1 applied to one state (notes 6.2): ``argmax Q(s,a) + coef*sqrt(2 ln N(s) / n(s,a))`` over legal actions.

    ``row`` float64 ``(A,)`` action values, ``counts_row`` int64 ``(A,)`` visit counts, ``mask`` bool ``(A,)``; an
    untried legal action is taken first (the lowest such index).
    """
    total = 0
    for a in range(row.shape[0]):
        if mask[a]:
            if counts_row[a] == 0:
                return a
            total += counts_row[a]
    log_total = math.log(total)
    best, best_score = kth_legal(mask, 0), -np.inf
    for a in range(row.shape[0]):
        if not mask[a]:
            continue
        score = row[a] + coef * math.sqrt(2.0 * log_total / counts_row[a])  # notes 6.2: mu + alpha sqrt(2 ln t / m)
        if score > best_score:
            best, best_score = a, score
    return best


@njit(cache=True)
def boltzmann_weights(row, temperature):
    """Unnormalised softmax weights ``exp((Q - max Q) / temperature)`` (float64 ``(A,)``) and their sum."""
    top = row[0]
    for a in range(1, row.shape[0]):
        top = max(top, row[a])
    weights = np.empty(row.shape[0])
    total = 0.0
    for a in range(row.shape[0]):
        weights[a] = math.exp((row[a] - top) / temperature)
        total += weights[a]
    return weights, total


@njit(cache=True)
def select_action(row, counts_row, mask, exploration, t, params, rng):
    """The behaviour policy's action at step ``t`` given the state's values ``row`` (float64 ``(A,)``), among the
    legal actions ``mask`` (bool ``(A,)``, at least one True).

    Epsilon-greedy draws ``u = rng.random()`` and, when ``u < epsilon``, ``rng.integers(0, n_legal)`` (the index
    among the legal actions), else takes a greedy action with ties broken by one ``rng.integers`` draw (none
    without ties); Boltzmann draws one ``rng.random()``; UCB draws nothing.
    """
    n_actions = row.shape[0]
    steps = params[PARAM_EXPLORATION_STEPS]
    values = masked_values(row, mask)
    if exploration == EPSILON_GREEDY:
        epsilon = jit_linear_schedule(params[PARAM_EPSILON_START], params[PARAM_EPSILON_END], steps, t)
        if rng.random() < epsilon:
            return kth_legal(mask, rng.integers(0, mask.sum()))
        return greedy_action_random_ties(values, rng)
    if exploration == BOLTZMANN:
        temperature = jit_linear_schedule(params[PARAM_TEMPERATURE_START], params[PARAM_TEMPERATURE_END], steps, t)
        weights, total = boltzmann_weights(values, temperature)
        threshold = rng.random() * total
        cumulative = 0.0
        last = 0
        for a in range(n_actions):
            if mask[a]:
                last = a
            cumulative += weights[a]
            if cumulative > threshold:
                return a
        return last
    return ucb_action(row, counts_row, params[PARAM_UCB_COEF], mask)


@njit(cache=True)
def policy_expectation(row, counts_row, mask, exploration, t, params):
    """``sum_a pi(a|s) row[a]`` under the behaviour policy at step ``t``, over the legal actions ``mask`` (Expected
    SARSA's target)."""
    n_actions = row.shape[0]
    steps = params[PARAM_EXPLORATION_STEPS]
    values = masked_values(row, mask)
    if exploration == EPSILON_GREEDY:
        epsilon = jit_linear_schedule(params[PARAM_EPSILON_START], params[PARAM_EPSILON_END], steps, t)
        best = greedy_action(values)
        n_legal = mask.sum()
        expectation = 0.0
        for a in range(n_actions):
            if not mask[a]:
                continue
            probability = epsilon / n_legal
            if a == best:
                probability += 1.0 - epsilon
            expectation += probability * row[a]
        return expectation
    if exploration == BOLTZMANN:
        temperature = jit_linear_schedule(params[PARAM_TEMPERATURE_START], params[PARAM_TEMPERATURE_END], steps, t)
        weights, total = boltzmann_weights(values, temperature)
        expectation = 0.0
        for a in range(n_actions):
            if mask[a]:
                expectation += weights[a] * row[a]
        return expectation / total
    return row[ucb_action(row, counts_row, params[PARAM_UCB_COEF], mask)]


@njit(cache=True)
def step_size(count, params):
    """``learning_rate``, or ``1 / count**omega`` when the exponent omega is > 0 (count: int64 visits)."""
    omega = params[PARAM_STEP_SIZE_EXPONENT]
    if omega > 0.0:
        return 1.0 / count**omega
    return params[PARAM_LEARNING_RATE]


@njit(cache=True)
def sample_index(cumulative, n, u):
    """First ``k < n`` with ``cumulative[k] > u``, else 0: ``np.argmax(np.cumsum(p) > u)`` as toy-text envs do."""
    for k in range(n):
        if cumulative[k] > u:
            return k
    return 0


@njit(cache=True)
def behaviour_row(q1, q2, s, algorithm):
    """The values the behaviour policy acts on: ``Q[s]``, or ``(Q1[s] + Q2[s]) * 0.5`` for Double Q, or for
    distributed Q-learning its policy's one-hot row ``q2[s]`` once the policy has chosen an action in ``s``."""
    if algorithm == DOUBLE_Q:
        return (q1[s] + q2[s]) * 0.5
    if algorithm == DISTRIBUTED and q2[s].max() > 0.0:
        return q2[s]
    return q1[s]


@njit(cache=True)
def td_update(q1, q2, counts, s, a, r, s2, next_mask, terminated, alpha, algorithm, exploration, t, params, rng):
    """One TD update of ``Q(s, a)`` toward the algorithm's target (notes 6.1, step 3, corrected); in place.

    ``Q(s, a) += alpha * (target - Q(s, a))`` with the target ``r`` beyond a terminating transition, else:
    Q-learning ``r + gamma max_a' Q(s', a')`` (the notes write ``Q(s, a)``: the next state's best value is the
    correct one); SARSA ``r + gamma Q(s', a')`` with ``a'`` drawn now from the behaviour policy (returned, as the
    next action to take); Expected SARSA ``r + gamma sum_a' pi(a'|s') Q(s', a')``; Double Q: a fair coin (one
    ``rng.random()``) picks the table to update, whose greedy action at ``s'`` the other table values.
    The coordination rules of independent learners bootstrap as Q-learning does and differ in how they move:

    - hysteretic (Matignon, Laurent & Le Fort-Piat 2007): ``delta = target - Q(s, a)``; ``Q += alpha * delta``
      when ``delta >= 0``, else ``Q += beta * delta`` with ``beta = alpha * decrease_rate`` (``beta < alpha``: a
      low reward, which may be the partner's exploration, is believed less than a high one);
    - lenient (Panait, Sullivan & Luke 2006; LMRL2, Wei & Luke 2016): ``q2[s, a]`` is the temperature
      ``T(s, a)``; a ``delta <= 0`` is ignored with probability ``1 - exp(-K T(s, a))`` (one ``rng.random()``
      draw, only then), and ``T(s, a) <- temperature_decay * T(s, a)`` after each visit: lenient while young,
      plain Q-learning when cold;
    - distributed (Lauer & Riedmiller 2000, deterministic games): ``Q(s, a) <- max(Q(s, a), target)`` (the first
      visit of ``(s, a)`` sets it), and the policy, the one-hot rows of ``q2``, moves to ``a`` only when this
      raised ``max_b Q(s, b)``: the players, who see the same rewards, switch together to the joint action that
      showed the best value.

    ``q1``/``q2`` float64 ``(S, A)`` (``q2`` for Double Q, lenient and distributed), ``counts`` int64 ``(S, A)``
    (already counting this visit), ``next_mask`` bool ``(A,)`` the legal actions at ``s'`` (every bootstrapped max,
    argmax, sampled action or expectation runs over them only; ignored beyond a terminating transition). Returns
    the next action (SARSA) or -1. The step loop and the jitted loop both call this rule.
    """
    gamma = params[PARAM_GAMMA]
    next_action = -1
    if algorithm == Q_LEARNING:
        target = r if terminated else r + gamma * legal_max(q1[s2], next_mask)
        q1[s, a] += alpha * (target - q1[s, a])
    elif algorithm == SARSA:
        target = r
        if not terminated:
            next_action = select_action(q1[s2], counts[s2], next_mask, exploration, t, params, rng)
            target = r + gamma * q1[s2, next_action]
        q1[s, a] += alpha * (target - q1[s, a])
    elif algorithm == EXPECTED_SARSA:
        target = (
            r if terminated else r + gamma * policy_expectation(q1[s2], counts[s2], next_mask, exploration, t, params)
        )
        q1[s, a] += alpha * (target - q1[s, a])
    elif algorithm == HYSTERETIC:
        target = r if terminated else r + gamma * legal_max(q1[s2], next_mask)
        delta = target - q1[s, a]
        q1[s, a] += (alpha if delta >= 0.0 else alpha * params[PARAM_DECREASE_RATE]) * delta
    elif algorithm == LENIENT:
        target = r if terminated else r + gamma * legal_max(q1[s2], next_mask)
        delta = target - q1[s, a]
        if delta > 0.0 or rng.random() >= 1.0 - math.exp(-params[PARAM_LENIENCY] * q2[s, a]):
            q1[s, a] += alpha * delta
        q2[s, a] *= params[PARAM_TEMPERATURE_DECAY]
    elif algorithm == DISTRIBUTED:
        target = r if terminated else r + gamma * legal_max(q1[s2], next_mask)
        best_before = -np.inf
        for b in range(q1.shape[1]):
            if (counts[s, b] > 1 or (b != a and counts[s, b] > 0)) and q1[s, b] > best_before:
                best_before = q1[s, b]
        if counts[s, a] == 1 or target > q1[s, a]:
            q1[s, a] = target
        if target > best_before:
            q2[s] = 0.0
            q2[s, a] = 1.0
    elif rng.random() < 0.5:  # Double Q, table A updated, valued by B
        target = r if terminated else r + gamma * q2[s2, greedy_action(masked_values(q1[s2], next_mask))]
        q1[s, a] += alpha * (target - q1[s, a])
    else:  # Double Q, table B updated, valued by A
        target = r if terminated else r + gamma * q1[s2, greedy_action(masked_values(q2[s2], next_mask))]
        q2[s, a] += alpha * (target - q2[s, a])
    return next_action


@njit(cache=True)
def run_steps(dynamics, tables, params, settings, cursor, episode_return, n_steps, agent_rng, env_rng, log):
    """Train for ``n_steps`` environment steps in place; return the number of episodes that ended.

    Args:
        dynamics: ``(cumulative (S,A,K) float64, next_states (S,A,K) int64, rewards (S,A,K) float64,
            terminated (S,A,K) bool, n_outcomes (S,A) int64, initial_cumulative (S,) float64)``.
        tables: ``(q1 (S,A) float64, q2 (S,A) float64, counts (S,A) int64)``, updated in place (q2 only for
            Double Q).
        params: float64 ``(N_PARAMS,)``; settings: int64 ``(3,)``; see the layouts above.
        cursor: int64 ``(4,)`` state, pending action (-1: none), steps in the episode, steps so far; updated.
        episode_return: float64 ``(1,)`` return of the running episode; updated.
        agent_rng, env_rng: ``numpy.random.Generator`` of the agent (exploration, Double Q's coin) and of the env.
        log: ``(returns (n_steps,) float64, end_steps (n_steps,) int64)`` filled with the episodes that ended.
    """
    cumulative, next_states, rewards, terminated, n_outcomes, initial_cumulative = dynamics
    q1, q2, counts = tables
    returns_log, end_steps_log = log
    algorithm = settings[SETTING_ALGORITHM]
    exploration = settings[SETTING_EXPLORATION]
    max_episode_steps = settings[SETTING_MAX_EPISODE_STEPS]
    s, pending, episode_steps, t = cursor[0], cursor[1], cursor[2], cursor[3]
    all_legal = np.ones(q1.shape[1], dtype=np.bool_)  # toy-text dynamics have no action masks
    running = episode_return[0]
    n_ended = 0
    for _ in range(n_steps):
        if pending >= 0:
            a = pending
        else:
            row = behaviour_row(q1, q2, s, algorithm)
            a = select_action(row, counts[s], all_legal, exploration, t, params, agent_rng)
        k = sample_index(cumulative[s, a], n_outcomes[s, a], env_rng.random())
        s2, r, done = next_states[s, a, k], rewards[s, a, k], terminated[s, a, k]
        t += 1
        episode_steps += 1
        running += r
        counts[s, a] += 1
        alpha = step_size(counts[s, a], params)
        next_action = td_update(
            q1, q2, counts, s, a, r, s2, all_legal, done, alpha, algorithm, exploration, t, params, agent_rng
        )
        truncated = max_episode_steps > 0 and episode_steps >= max_episode_steps
        if done or truncated:
            returns_log[n_ended] = running
            end_steps_log[n_ended] = t
            n_ended += 1
            running = 0.0
            episode_steps = 0
            s = sample_index(initial_cumulative, initial_cumulative.shape[0], env_rng.random())
            pending = -1
        else:
            s = s2
            pending = next_action
    cursor[0], cursor[1], cursor[2], cursor[3] = s, pending, episode_steps, t
    episode_return[0] = running
    return n_ended
