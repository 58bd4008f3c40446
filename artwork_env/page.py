"""The page response and its exact ground truth, as pure functions of the page model.

`PageModel` holds every slot's click and play probability for every artwork choice (and
every left neighbour, for salience); `cascade_expected_reward` and
`policy_expected_reward` give the exact expected reward of a row and of a stochastic
policy from it (docs/model.md, section 5). `VisitOutcome` is what one visit produced.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from artwork_env.config import ModelConfig
from artwork_env.rewards import slot_gain


@dataclass(frozen=True, eq=False)
class PageModel:
    """Response probabilities of the current rows for every artwork choice.

    `click[n, k, b, a]`: probability that member n clicks slot k, if examined, when it
    shows artwork a and slot k-1 shows artwork b (slot 0 ignores b). `play[n, k, a]`:
    probability of a quality play after that click. `patience[n]`: probability of looking
    at the next slot. `exists[n, k, a]`: artwork a is a real candidate in slot k.
    """

    click: np.ndarray  # (N, K, M, M) float32
    play: np.ndarray  # (N, K, M) float32
    patience: np.ndarray  # (N,)
    exists: np.ndarray  # (N, K, M) bool


@dataclass(frozen=True, eq=False)
class VisitOutcome:
    """What happened on one visit, for every member of the batch."""

    reward: np.ndarray  # (N,) float
    terminated: np.ndarray  # (N,) bool: churn or end of lifetime
    churned: np.ndarray  # (N,) bool
    clicks: np.ndarray  # (N, K) bool
    plays: np.ndarray  # (N, K) bool
    bounces: np.ndarray  # (N, K) bool
    examined: np.ndarray  # (N, K) bool (ground truth: hidden from a real system)
    titles: np.ndarray  # (N, K) int
    expected_reward: np.ndarray  # (N,)
    oracle_expected_reward: np.ndarray  # (N,)
    oracle_action: np.ndarray  # (N, K)


def cascade_expected_reward(config: ModelConfig, click: np.ndarray, play: np.ndarray,
                            patience: np.ndarray) -> np.ndarray:
    """Expected reward of rows with per-slot click (N, K) and play (N, K) probabilities.

    Slot k is reached if the member looked that far (patience^k) and no earlier slot ended
    the visit with a quality play: E[R] = sum_k patience^k prod_{j<k}(1 - c_j p_j) g_k.
    """
    go_on = patience[:, None] * (1.0 - click * play)
    reach = np.ones_like(click)
    reach[:, 1:] = np.cumprod(go_on[:, :-1], axis=1)
    return (reach * slot_gain(config.reward, config.bounce_penalty, click, play)).sum(axis=1)


def policy_expected_reward(config: ModelConfig, page: PageModel,
                           probabilities: np.ndarray) -> np.ndarray:
    """(N,) exact expected reward of a policy that draws each slot's artwork independently.

    `probabilities` (N, K, M) is the policy's distribution over artworks per slot (a one-hot
    row is a deterministic choice). Because the click at slot k depends only on the artworks
    at k and k-1, the expectation over all M^K rows is a forward pass over slots in
    O(K M^2): `reach[b]` = E[probability of reaching the slot x 1(left artwork = b)].
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    n, n_slots, n_art = page.play.shape
    reach = np.zeros((n, n_art))
    reach[:, 0] = 1.0  # slot 0 ignores its (absent) left neighbour
    value = np.zeros(n)
    for k in range(n_slots):
        joint = reach[:, :, None] * probabilities[:, k, None, :]  # (N, b, a)
        click = page.click[:, k].astype(np.float64)
        play = page.play[:, k, None, :].astype(np.float64)
        value += np.einsum("nba,nba->n", joint,
                           slot_gain(config.reward, config.bounce_penalty, click, play))
        reach = np.einsum("nba,nba->na", joint, 1.0 - click * play) * page.patience[:, None]
    return value
