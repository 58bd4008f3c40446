"""The reward variants, defined once: what a slot is worth, expected or realised.

A slot's gain is the reward it contributes once the member has examined it:

- `quality_play`: click x (play - bounce_penalty x (1 - play)): a quality play is worth 1,
  a click without one (a bounce) costs `bounce_penalty`;
- `play`: click x play;
- `click`: click.

With probabilities (click, play given click) it is the expected gain of an examined slot
(the page model's ground truth); with the realised 0/1 outcomes (plays imply clicks) it is
the slot's share of the visit's reward, and a visit's reward is the sum over its slots.
"""

from __future__ import annotations

import numpy as np

from artwork_env.model.config import REWARDS

__all__ = ["REWARDS", "reward_event", "slot_gain", "slot_rewards"]


def slot_gain(reward: str, bounce_penalty: float, click: np.ndarray,
              play: np.ndarray) -> np.ndarray:
    """Gain of an examined slot for the reward variant (broadcasts; keeps float32)."""
    if reward == "click":
        return click
    if reward == "play":
        return click * play
    return click * (play - bounce_penalty * (1.0 - play))


def slot_rewards(reward: str, bounce_penalty: float, clicks: np.ndarray,
                 plays: np.ndarray) -> np.ndarray:
    """(N, K) float64 realised reward of each slot from its clicks and quality plays; a row
    sums to the visit's reward."""
    return slot_gain(reward, bounce_penalty, np.asarray(clicks, dtype=np.float64),
                     np.asarray(plays, dtype=np.float64))


def reward_event(reward: str, clicks: np.ndarray, plays: np.ndarray) -> np.ndarray:
    """The Bernoulli event the variant rewards: a click for `click`, else a quality play."""
    return np.asarray(clicks if reward == "click" else plays, dtype=bool)
