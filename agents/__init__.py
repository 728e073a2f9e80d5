"""Agents that the environments drive: bandit policies (UCB and peers), tabular TD learners, planning, DQN/DRQN
and independent multi-agent learners, with SB3's API (``learn(total_timesteps)``, ``predict``, ``save``/``load``).

Public names load on first use: ``from boltzgym.agents import DQN, QLearning, UCB1`` works, and importing this
package imports neither torch nor numba (``DQN`` imports torch when it is first used).
"""

from __future__ import annotations

from boltzgym.utils.imports import lazy_namespace

# Public name -> defining module, imported on first use.
_EXPORTS: dict[str, str] = {
    # bandit policies and simulations (notes 6.1)
    "BanditPolicy": "boltzgym.agents.bandits",
    "UCB1": "boltzgym.agents.bandits",
    "KLUCB": "boltzgym.agents.bandits",
    "EpsilonGreedy": "boltzgym.agents.bandits",
    "DecayingEpsilonGreedy": "boltzgym.agents.bandits",
    "Softmax": "boltzgym.agents.bandits",
    "ThompsonSampling": "boltzgym.agents.bandits",
    "GaussianThompsonSampling": "boltzgym.agents.bandits",
    "make_policy": "boltzgym.agents.bandits",
    "BanditResult": "boltzgym.agents.bandit_simulation",
    "simulate": "boltzgym.agents.bandit_simulation",
    "compare_policies": "boltzgym.agents.bandit_simulation",
    # tabular TD learning (notes 6.2) and planning
    "TabularConfig": "boltzgym.agents.tabular",
    "QLearning": "boltzgym.agents.tabular",
    "SARSA": "boltzgym.agents.tabular",
    "ExpectedSARSA": "boltzgym.agents.tabular",
    "DoubleQLearning": "boltzgym.agents.tabular",
    "LinearQLearning": "boltzgym.agents.linear",
    "OneHotFeatures": "boltzgym.agents.linear",
    "TileCoding": "boltzgym.agents.linear",
    "RBMFeatures": "boltzgym.agents.linear",
    "value_iteration": "boltzgym.agents.planning",
    "policy_iteration": "boltzgym.agents.planning",
    # deep Q-learning (notes 6.3)
    "DQN": "boltzgym.agents.dqn",
    "DQNConfig": "boltzgym.agents.dqn_config",
    "ReplayBuffer": "boltzgym.agents.replay",
    "register_q_network": "boltzgym.agents.networks",
    # multi-agent
    "IndependentQLearning": "boltzgym.agents.independent",
    "HystereticQLearning": "boltzgym.agents.independent",
    "LenientQLearning": "boltzgym.agents.independent",
    "DistributedQLearning": "boltzgym.agents.independent",
    "matrix_game_outcome": "boltzgym.agents.independent",
    "IndependentDQN": "boltzgym.agents.independent_dqn",
    # training helpers
    "Callback": "boltzgym.agents.callbacks",
    "CheckpointCallback": "boltzgym.agents.callbacks",
    "EvalCallback": "boltzgym.agents.callbacks",
    "StopTrainingOnRewardThreshold": "boltzgym.agents.callbacks",
    "evaluate_policy": "boltzgym.agents.evaluation",
    "linear_schedule": "boltzgym.agents.schedules",
    "agent_class": "boltzgym.agents.registry",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_namespace(__name__, _EXPORTS)
