"""The page response and its exact ground truth, as pure functions of the page model.

`PageModel` holds every slot's click and play probability for every artwork choice (and
every left neighbour, for salience); `cascade_expected_reward` and
`policy_expected_reward` give the exact expected reward of a row and of a stochastic
policy from it (docs/model.md, section 5). `VisitOutcome` is what one visit produced.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from artwork_env.model.config import ModelConfig
from artwork_env.model.rewards import slot_gain


@dataclass(frozen=True, eq=False)
class PageModel:
    """Response probabilities of the current rows for every artwork choice.

    `click[n, k, b, a]`: probability that member n clicks slot k, if examined, when it
    shows artwork a and slot k-1 shows artwork b (slot 0 ignores b). `play[n, k, a]`:
    probability of a quality play after that click. `patience[n]`: probability of looking
    at the next slot. `exists[n, k, a]`: artwork a is a real candidate in slot k.
    `misrepresentation[n, k, a]`: how much artwork a oversells slot k's title to member n
    (a theme outside the title, plus the promise gap): what lowers the play probability and,
    with `long_term` > 0, the trust a click on it costs (docs/model.md, section 4b).
    """

    click: np.ndarray  # (N, K, M, M) float32
    play: np.ndarray  # (N, K, M) float32
    patience: np.ndarray  # (N,)
    exists: np.ndarray  # (N, K, M) bool
    misrepresentation: np.ndarray  # (N, K, M) float64


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

    @classmethod
    def empty(cls, n: int, n_slots: int) -> VisitOutcome:
        """Uninitialised arrays of the right shapes and dtypes for n members and K slots,
        for a compiled visit to write into."""
        def flags() -> np.ndarray:
            return np.empty((n, n_slots), dtype=bool)
        return cls(reward=np.empty(n), terminated=np.empty(n, dtype=bool),
                   churned=np.empty(n, dtype=bool), clicks=flags(), plays=flags(),
                   bounces=flags(), examined=flags(),
                   titles=np.empty((n, n_slots), dtype=np.int64), expected_reward=np.empty(n),
                   oracle_expected_reward=np.empty(n),
                   oracle_action=np.empty((n, n_slots), dtype=np.int64))


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


def chosen_probabilities(page: PageModel, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-slot click and play probabilities (N, K) of the chosen artworks `actions` (N, K)
    (slot k's click given its left neighbour's chosen artwork), in float64."""
    n, n_slots = actions.shape
    prev = np.zeros_like(actions)
    prev[:, 1:] = actions[:, :-1]
    rows = np.arange(n)[:, None]
    slots = np.arange(n_slots)[None, :]
    return (page.click[rows, slots, prev, actions].astype(np.float64),
            page.play[rows, slots, actions].astype(np.float64))


def best_rows(config: ModelConfig, page: PageModel, sign: float = 1.0,
              click_cost: np.ndarray | None = None) -> np.ndarray:
    """(N, K) the rows that maximise sign x E[R - sum of click_cost over the clicks]: the
    myopic oracle's dynamic programme from the right, O(K M^2) per member,

      F_k(b) = max_a [g_k(b, a) + patience (1 - c_k(b, a) p_k(a)) F_{k+1}(a)],  F_K = 0,

    with g_k = sign x (slot gain - c_k(b, a) click_cost[k, a]). `sign=-1` finds the worst
    row; `click_cost` (N, K, M) prices what a click on an artwork sets in motion (the
    planner's surrogates). Runs in float32 like the compiled oracle.
    """
    click = np.ascontiguousarray(page.click.transpose(1, 0, 2, 3))  # (K, N, M, M)
    play = np.ascontiguousarray(page.play.transpose(1, 0, 2))[:, :, None, :]
    # a copy: for `click` the gain is `click` itself, and `click` may be a view of the page
    # model's own array (a transpose of a length-1 axis stays contiguous)
    gain = np.array(slot_gain(config.reward, config.bounce_penalty, click, play))
    if click_cost is not None:
        cost = np.ascontiguousarray(click_cost.transpose(1, 0, 2), dtype=np.float32)
        gain -= click * cost[:, :, None, :]
    gain *= np.float32(sign)
    go_on = click * play
    np.subtract(1.0, go_on, out=go_on)
    go_on *= page.patience.astype(np.float32)[:, None, None]
    exists = page.exists.transpose(1, 0, 2)
    n, n_slots, n_art = page.play.shape
    future = np.zeros((n, n_art), dtype=np.float32)
    best_next = np.zeros((n, n_slots, n_art), dtype=np.int64)
    for k in range(n_slots - 1, -1, -1):  # K steps, each over all members at once
        q = gain[k] + go_on[k] * future[:, None, :]
        q[~np.broadcast_to(exists[k][:, None, :], q.shape)] = -np.inf
        best_next[:, k] = q.argmax(axis=2)
        future = np.take_along_axis(q, best_next[:, k][..., None], axis=2)[..., 0]
    actions = np.zeros((n, n_slots), dtype=np.int64)
    actions[:, 0] = best_next[:, 0, 0]
    for k in range(1, n_slots):
        actions[:, k] = best_next[np.arange(n), k, actions[:, k - 1]]
    return actions
