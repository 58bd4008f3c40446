"""The deep agents' typed hyperparameters: one frozen dataclass per SB3 algorithm, the one
home of its defaults (`artwork_env.agents.config`).

Each holds the candidate scorer's shape (`hidden`, `interaction_rank`:
`artwork_env.agents.deep.networks`)
and the algorithm's keyword arguments that matter here, with the values tuned on
`ArtworkBandit-v0` as defaults; `artwork_env/agents/hyperparams.yaml` keeps only what another env id
changes (the lifetimes' discount, say). `learning_rate` and `clip_range` may be RL Zoo's
`lin_<start>` (falling linearly to 0 over the run's budget). `policy_kwargs`, when given,
replaces the scorer-based policy altogether (Python only: `--grid` cannot set a dict).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from artwork_env.agents.config import AgentConfig
from artwork_env.agents.hyperparams import parse_schedule
from artwork_env.validation import check_integer, check_real

SCORER_KEYS = ("hidden", "interaction_rank")
"""The candidate scorer's shape: the fields that are not the algorithm's keywords."""


def check_rate(name: str, value: object) -> None:
    """A positive number or RL Zoo's `lin_<start>` with start > 0, else ValueError."""
    if isinstance(value, str):
        parse_schedule(name, value)
    elif check_real(name, value) <= 0:
        raise ValueError(f"{name} must be > 0 or 'lin_<start>', got {value!r}")


@dataclass(frozen=True)
class SB3Config(AgentConfig):
    """What every deep agent has: the candidate scorer and SB3's discount."""

    hidden: int = 64
    """width of the candidate scorer's hidden layers"""
    interaction_rank: int = 0
    """rank of the scorer's two-tower term (member embedding . candidate embedding); 0: none"""
    learning_rate: float | str = 3e-4
    """the optimiser's rate, or 'lin_<start>'"""
    gamma: float = 0.0
    """discount (0 on the one-visit bandit: no future)"""
    policy_kwargs: dict[str, Any] | None = None
    """SB3's policy_kwargs; None: the scorer-based policy"""

    def check(self) -> None:
        """Sizes and rates in range, the discount in [0, 1]."""
        check_integer("hidden", self.hidden)
        check_integer("interaction_rank", self.interaction_rank, low=0)
        check_rate("learning_rate", self.learning_rate)
        check_real("gamma", self.gamma, low=0.0, high=1.0)
        if self.policy_kwargs is not None and not isinstance(self.policy_kwargs, dict):
            raise ValueError(f"policy_kwargs must be a dict or None, got {self.policy_kwargs!r}")

    def scorer(self) -> dict[str, int]:
        """The candidate scorer's keywords."""
        return {key: getattr(self, key) for key in SCORER_KEYS}

    def algorithm_kwargs(self) -> dict[str, Any]:
        """The SB3 algorithm's keywords (the scorer's shape left out; `policy_kwargs` only
        when given)."""
        out = {key: value for key, value in asdict(self).items() if key not in SCORER_KEYS}
        if out["policy_kwargs"] is None:
            del out["policy_kwargs"]
        return out


@dataclass(frozen=True)
class OnPolicyConfig(SB3Config):
    """What PPO and A2C share: a rollout, GAE and an actor-critic loss."""

    n_steps: int = 32
    """visits per member in a rollout (x the members of a batched step)"""
    gae_lambda: float = 0.0
    """GAE's lambda"""
    ent_coef: float = 0.003
    """entropy bonus"""
    vf_coef: float = 0.5
    """value loss weight"""
    max_grad_norm: float = 0.5
    """gradient clipping"""

    def check(self) -> None:
        """Also: a positive rollout, lambda in [0, 1], non-negative coefficients."""
        super().check()
        check_integer("n_steps", self.n_steps)
        check_real("gae_lambda", self.gae_lambda, low=0.0, high=1.0)
        for name in ("ent_coef", "vf_coef", "max_grad_norm"):
            check_real(name, getattr(self, name), low=0.0)


@dataclass(frozen=True)
class PPOConfig(OnPolicyConfig):
    """PPO's (and MaskablePPO's, RecurrentPPO's) hyperparameters."""

    batch_size: int = 256
    """minibatch size"""
    n_epochs: int = 4
    """passes over a rollout"""
    clip_range: float | str = 0.2
    """PPO's clipping, or 'lin_<start>'"""
    target_kl: float | None = None
    """stop an update's epochs past this KL divergence; None: never"""

    def check(self) -> None:
        """Also: positive minibatches and epochs, the clipping, the KL bound."""
        super().check()
        for name in ("batch_size", "n_epochs"):
            check_integer(name, getattr(self, name))
        check_rate("clip_range", self.clip_range)
        if self.target_kl is not None:
            check_real("target_kl", self.target_kl, low=0.0)


@dataclass(frozen=True)
class SlotPPOConfig(PPOConfig):
    """`slot_ppo`'s: PPO's with the values tuned for per-slot credit (docs/results.md)."""

    interaction_rank: int = 16
    learning_rate: float | str = "lin_0.002"
    n_epochs: int = 10
    gae_lambda: float = 0.95


@dataclass(frozen=True)
class A2CConfig(OnPolicyConfig):
    """A2C's hyperparameters."""

    learning_rate: float | str = 7e-4
    n_steps: int = 8


@dataclass(frozen=True)
class DQNConfig(SB3Config):
    """DQN's hyperparameters (a decision is one slot's artwork: K decisions a page)."""

    gamma: float = 0.99
    """discount over the page's decisions (its reward ends the episode)"""
    buffer_size: int = 50_000
    """decisions the replay buffer keeps"""
    learning_starts: int = 1_000
    """decisions before the first update"""
    batch_size: int = 128
    """minibatch size"""
    train_freq: int = 4
    """decisions between updates"""
    gradient_steps: int = 1
    """gradient steps an update"""
    target_update_interval: int = 2_000
    """decisions between target network copies"""
    exploration_fraction: float = 0.3
    """share of the budget over which epsilon falls"""
    exploration_initial_eps: float = 1.0
    """epsilon at the start"""
    exploration_final_eps: float = 0.05
    """epsilon at the end"""
    max_grad_norm: float = 10.0
    """gradient clipping"""

    def check(self) -> None:
        """Also: positive sizes and intervals, probabilities in [0, 1]."""
        super().check()
        for name in ("buffer_size", "batch_size", "train_freq", "gradient_steps",
                     "target_update_interval"):
            check_integer(name, getattr(self, name))
        check_integer("learning_starts", self.learning_starts, low=0)
        for name in ("exploration_fraction", "exploration_initial_eps",
                     "exploration_final_eps"):
            check_real(name, getattr(self, name), low=0.0, high=1.0)
        check_real("max_grad_norm", self.max_grad_norm, low=0.0)
