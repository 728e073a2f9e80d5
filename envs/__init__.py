"""Gymnasium environments, bandits and PettingZoo multi-agent environments.

Importing this package registers every boltzgym environment with Gymnasium under the ``boltzgym/``
namespace (string entry points: nothing heavy is imported until an env is made)::

    import gymnasium as gym
    import boltzgym.envs  # noqa: F401  (registers the ids)
    env = gym.make("boltzgym/BernoulliBandit-v0")

``boltzgym_env_ids()`` lists the registered ids; ``boltzgym envs`` prints them with a one-line summary.
This package does not import torch.
"""

from __future__ import annotations

from gymnasium.envs.registration import register, registry

NAMESPACE = "boltzgym"

# id -> one-line description, printed by `boltzgym envs`. Each capability adds its block below.
ENV_DESCRIPTIONS: dict[str, str] = {}


def _register(env_id: str, entry_point: str, description: str, **kwargs) -> None:
    full_id = f"{NAMESPACE}/{env_id}"
    ENV_DESCRIPTIONS[full_id] = description
    if full_id not in registry:
        register(id=full_id, entry_point=entry_point, **kwargs)


def boltzgym_env_ids() -> list[str]:
    """Every registered ``boltzgym/...`` environment id, sorted."""
    return sorted(ENV_DESCRIPTIONS)


# --- bandits (notes 6.2) ---------------------------------------------------------------------------
_register(
    "BernoulliBandit-v0",
    "boltzgym.envs.bandits:BernoulliBanditEnv",
    "K-armed bandit with Bernoulli rewards (means given or drawn uniform from the seed)",
    max_episode_steps=1000,
)
_register(
    "GaussianBandit-v0",
    "boltzgym.envs.bandits:GaussianBanditEnv",
    "K-armed bandit with Gaussian rewards (the 10-armed testbed when means are drawn)",
    max_episode_steps=1000,
)
_register(
    "DriftingBandit-v0",
    "boltzgym.envs.bandits:DriftingBanditEnv",
    "non-stationary Gaussian bandit: arm means drift as random walks or change abruptly",
    max_episode_steps=1000,
)


# --- tabular MDPs and grids (notes 6.1) -------------------------------------------------------------
_register(
    "GridWorld-v0",
    "boltzgym.envs.gridworld:GridWorldEnv",
    "grid from an ASCII map (start, goal, holes, walls, cliffs), slip and wind; named maps 5x5/cliff/windy/four-rooms",
    max_episode_steps=200,
)
_register(
    "TabularMDP-v0",
    "boltzgym.envs.tabular_mdp:TabularMDPEnv",
    "any finite MDP from arrays P[s,a,s'], R[s,a] and terminal states; seeded random MDPs by default",
    max_episode_steps=100,
)


# --- image observations for DQN (notes 6.1, deep Q-learning) ----------------------------------------
_register(
    "PixelGridWorld-v0",
    "boltzgym.envs.pixel_gridworld:make_pixel_gridworld",
    "GridWorld seen as a uint8 image (one channel per tile type + the agent), for DQN's ConvNet",
)
_register(
    "TMaze-v0",
    "boltzgym.envs.tmaze:TMazeEnv",
    "T-maze (Bakker 2002): the goal side is shown only at the start of a corridor; needs memory (DRQN)",
    max_episode_steps=60,
)


# --- agents meet the simulations: RL-controlled annealing (Mills, Ronagh & Tamblyn 2020) ---------------
_register(
    "AnnealingControl-v0",
    "boltzgym.envs.annealing_control:AnnealingControlEnv",
    "choose beta for a batch of annealing replicas of a spin glass (2D +-J/Gaussian, SK, Max-Cut); reward: energy drop",
)


# --- multi-agent (PettingZoo) ------------------------------------------------------------------------
# PettingZoo has no registry: these are listed by `boltzgym envs` with their factory functions.
PETTINGZOO_ENVS: dict[str, tuple[str, str]] = {
    "boltzgym/RepeatedMatrixGame-v0": (
        "boltzgym.envs.matrix_game:parallel_env",
        "PettingZoo parallel env: repeated two-player matrix game (prisoner's dilemma, stag hunt, ...)",
    ),
    "boltzgym/MultiPlayerBandit-v0": (
        "boltzgym.envs.multiplayer_bandit:parallel_env",
        "PettingZoo parallel env: multi-player Bernoulli bandit where colliding players get nothing",
    ),
    "boltzgym/SpinGame-v0": (
        "boltzgym.envs.spin_game:parallel_env",
        "PettingZoo parallel env: agents flip their own blocks of a shared spin glass (selfish or shared reward)",
    ),
}
