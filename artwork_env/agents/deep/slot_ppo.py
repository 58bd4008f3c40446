"""PPO with per-slot credit: each slot's choice is judged by that slot's own outcome.

SB3's PPO takes one scalar reward per step, so on the bandit env every one of a page's
K artwork choices is credited with the whole page's reward, and the signal that slot 3's
image was the one played drowns in the other slots' noise (the plateau that
`benchmarks/credit_assignment.py` measures). `SlotPPO` is the same algorithm, SB3's own
`PPO.train` unchanged, with three pieces swapped so its quantities are (N, K) instead of
(N,):

- `PerSlotCategorical`: the MultiDiscrete distribution with each slot's log-probability
  and entropy kept apart instead of summed, so the clipped ratio is per slot;
- `per_slot_values`: a policy whose value head has one output per slot (two more with
  gamma > 0, below);
- `SlotRolloutBuffer`: stores each slot's share of the reward
(`artwork_env.agents.base.slot_feedback`,
  what the bandits learn from) and whether the member looked at it. A slot's advantage is

      `A[k] = (r[k] - V[k](obs)) * seen[k]`

  where r[k] is its share of the visit's reward and seen[k] is False after the quality
  play (the cascade never showed the member that slot; its choice changed nothing). With
  A[k] per slot (standardised per minibatch, as PPO does by default), PPO's clipped loss
  is the mean over every (page, slot) pair.

With gamma > 0 (lifetimes) a page's later visits have no slot of their own to go to, so the
future is credited to the page as a whole, as PPO credits everything. Two more value
outputs, U (this visit's page reward) and F (the discounted rest of the lifetime, so that
V = U + F is the usual critic), split the page's GAE advantage A (SB3's recurrence on V
and the page reward R = sum_k r[k]) into this visit's surprise R - U and the future's

    Phi = A - (R - U)        (with gae_lambda = 0: gamma V(next obs) - F(obs))

and every slot gets it on top of its own: `A[k] = (r[k] - V[k](obs)) * seen[k] + Phi`. The
targets are r[k] for V[k] (seen slots), R for U and Phi + F for F. With gamma = 0, Phi is
-F with a target of 0, so the one-visit agent keeps its K outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.buffers import DictRolloutBuffer
from stable_baselines3.common.distributions import MultiCategoricalDistribution
from torch import nn

Feedback = Callable[[dict[str, Any]], tuple[np.ndarray, np.ndarray]]
"""A visit's batched `info` -> (each slot's reward share, was it seen), both (N, K)."""


class PerSlotCategorical(MultiCategoricalDistribution):
    """SB3's MultiDiscrete distribution whose log-probability and entropy are (B, K), one
    per slot, instead of their sum over the slots."""

    def log_prob(self, actions: torch.Tensor) -> torch.Tensor:
        """(B, K) log-probability of each slot's action."""
        return torch.stack([dist.log_prob(action) for dist, action in
                            zip(self.distribution, torch.unbind(actions, dim=1))], dim=1)

    def entropy(self) -> torch.Tensor:
        """(B, K) entropy of each slot's choice."""
        return torch.stack([dist.entropy() for dist in self.distribution], dim=1)


def per_slot_values(policy_class: type) -> type:
    """An actor-critic policy class (MultiDiscrete actions) with per-slot log-probabilities,
    entropies and values: `forward` returns them (N, K) for the rollout buffer and
    `evaluate_actions` flattened (N * K,) for `PPO.train`, which then averages its clipped
    loss over (page, slot) pairs. `future_values=True` (a policy keyword) adds the U and
    F outputs of gamma > 0 after the K slots' (module docstring): values are (N, K + 2)."""

    class SlotPolicy(policy_class):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, future_values: bool = False, **kwargs: Any) -> None:
            self.future_values = future_values
            super().__init__(*args, **kwargs)

        def _build(self, lr_schedule) -> None:  # noqa: ANN001  (SB3's signature)
            self.action_dist = PerSlotCategorical(list(self.action_space.nvec))
            super()._build(lr_schedule)
            outputs = len(self.action_space.nvec) + (2 if self.future_values else 0)
            self.value_net = nn.Linear(self.mlp_extractor.latent_dim_vf, outputs)
            self.optimizer = self.optimizer_class(self.parameters(), lr=lr_schedule(1),
                                                  **self.optimizer_kwargs)

        def evaluate_actions(self, obs, actions):  # noqa: ANN001, ANN202  (SB3's signature)
            values, log_prob, entropy = super().evaluate_actions(obs, actions)
            return values.flatten(), log_prob.flatten(), entropy.flatten()

    SlotPolicy.__name__ = SlotPolicy.__qualname__ = f"Slot{policy_class.__name__}"
    return SlotPolicy


class SlotRolloutBuffer(DictRolloutBuffer):
    """SB3's Dict rollout buffer with rewards, values, log-probabilities, advantages and
    returns per slot, (steps, envs, K); the page reward SB3 passes to `add` is replaced by
    each slot's share, read from `feedback()` right after the env step."""

    def __init__(self, *args: Any, feedback: Callable[[], tuple[np.ndarray, np.ndarray]],
                 **kwargs: Any) -> None:
        self.feedback = feedback
        super().__init__(*args, **kwargs)

    def reset(self) -> None:
        """Empty (steps, envs, K) arrays; values and returns (steps, envs, K + 2) with gamma
        > 0 (the U and F outputs)."""
        super().reset()
        shape = (self.buffer_size, self.n_envs, self.action_dim)
        self.rewards, self.log_probs, self.advantages, self.seen = (
            np.zeros(shape, dtype=np.float32) for _ in range(4))
        outputs = self.action_dim + (2 if self.gamma > 0 else 0)
        self.values, self.returns = (np.zeros((*shape[:2], outputs), dtype=np.float32)
                                     for _ in range(2))

    def add(self, obs: dict[str, np.ndarray], action: np.ndarray, reward: np.ndarray,
            episode_start: np.ndarray, value: torch.Tensor, log_prob: torch.Tensor) -> None:
        """One step of every env; `reward` (the page's) is replaced by the slots' shares."""
        share, seen = self.feedback()
        for key in self.observations:
            self.observations[key][self.pos] = np.asarray(obs[key])
        self.actions[self.pos] = np.asarray(action).reshape(self.n_envs, self.action_dim)
        self.rewards[self.pos], self.seen[self.pos] = share, seen
        self.episode_starts[self.pos] = np.asarray(episode_start)
        self.values[self.pos] = value.detach().cpu().numpy()
        self.log_probs[self.pos] = log_prob.detach().cpu().numpy()
        self.pos += 1
        self.full = self.pos == self.buffer_size

    def compute_returns_and_advantage(self, last_values: torch.Tensor,
                                      dones: np.ndarray) -> None:
        """A[k] = (r[k] - V[k]) * seen[k], plus the future's Phi with gamma > 0 (module
        docstring); the value outputs' targets in `returns`."""
        k = self.action_dim
        surprise = (self.rewards - self.values[..., :k]) * self.seen
        self.returns[..., :k] = surprise + self.values[..., :k]
        if self.gamma == 0:
            self.advantages = surprise
            return
        page_reward = self.rewards.sum(axis=2)
        critic = self.values[..., k] + self.values[..., k + 1]  # V = U + F
        last = last_values.detach().cpu().numpy()
        page_advantage = gae(page_reward, critic, last[:, k] + last[:, k + 1],
                             self.episode_starts, dones, self.gamma, self.gae_lambda)
        future = page_advantage - (page_reward - self.values[..., k])
        self.advantages = surprise + future[..., None]
        self.returns[..., k] = page_reward
        self.returns[..., k + 1] = future + self.values[..., k + 1]


def gae(rewards: np.ndarray, values: np.ndarray, last_values: np.ndarray,
        episode_starts: np.ndarray, dones: np.ndarray, gamma: float,
        gae_lambda: float) -> np.ndarray:
    """(steps, envs) generalised advantage estimates: SB3's `RolloutBuffer` recurrence
    (Schulman et al., 2016) on the page's reward and critic, bootstrapped from
    `last_values` after the last step unless `dones`."""
    advantages = np.zeros_like(rewards)
    last_gae = np.zeros(rewards.shape[1], dtype=np.float32)
    for step in reversed(range(rewards.shape[0])):
        if step == rewards.shape[0] - 1:
            next_non_terminal, next_values = 1.0 - dones.astype(np.float32), last_values
        else:
            next_non_terminal, next_values = 1.0 - episode_starts[step + 1], values[step + 1]
        delta = rewards[step] + gamma * next_values * next_non_terminal - values[step]
        last_gae = delta + gamma * gae_lambda * next_non_terminal * last_gae
        advantages[step] = last_gae
    return advantages


class SlotPPO(PPO):
    """PPO with per-slot advantages (module docstring). `feedback` turns the training env's
    last batched `info` into each slot's reward share and whether it was seen; the env
    (possibly wrapped) must keep that info as `last_info` (`ArtworkSB3VecEnv` does)."""

    def __init__(self, policy: Any, env: Any, feedback: Feedback, **kwargs: Any) -> None:
        gamma = kwargs.setdefault("gamma", 0.0)
        if not 0.0 <= gamma <= 1.0:
            raise ValueError(f"gamma must be in [0, 1], got {gamma}")
        if gamma > 0:
            kwargs["policy_kwargs"] = {**(kwargs.get("policy_kwargs") or {}),
                                       "future_values": True}
        self.feedback = feedback
        super().__init__(policy, env, rollout_buffer_class=SlotRolloutBuffer,
                         rollout_buffer_kwargs={"feedback": self._last_feedback}, **kwargs)

    def _last_feedback(self) -> tuple[np.ndarray, np.ndarray]:
        """The slots' shares and seen flags of the training env's last step."""
        return self.feedback(self.env.unwrapped.last_info)

    def _excluded_save_params(self) -> list[str]:
        """Callables tied to this process's env are not saved (weights are)."""
        return [*super()._excluded_save_params(), "feedback", "rollout_buffer_kwargs"]
