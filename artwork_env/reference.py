"""Reference choices computed from ground truth, to see what personalisation adds."""

from __future__ import annotations

import numpy as np

from artwork_env.arrays import random_allowed
from artwork_env.compiled.core import ArtworkSimulator, cascade_expected_reward
from artwork_env.model import rng
from artwork_env.model.config import ModelConfig
from artwork_env.model.page import chosen_probabilities
from artwork_env.model.rewards import slot_gain


def best_nonpersonalised_artworks(config: ModelConfig, n_members: int = 20_000,
                                  seed: int = 0) -> np.ndarray:
    """(T,) the best single artwork per title for everybody: what an A/B test finds.

    Monte Carlo over the traffic an A/B test would see: `n_members` fresh members' rows as
    the recommender fills them. For every title, the artwork with the highest mean
    expected reward of the slot once examined (over the members it was shown to, at the
    slot it was shown in, the left neighbour's artwork averaged out). A title the sample
    never showed gets the best artwork for the whole population at the first slot.
    """
    if n_members < 1:
        raise ValueError(f"n_members must be >= 1, got {n_members}")
    sim = fresh_members(config, n_members, seed)
    page = sim.page_model()
    reward, penalty = config.reward, config.bounce_penalty
    gain = slot_gain(reward, penalty, page.click.mean(axis=2), page.play)  # (N, K, M)
    n_titles, n_art = sim.world.n_titles, sim.n_artworks
    totals = np.zeros((n_titles, n_art))
    np.add.at(totals, sim.state.titles.ravel(), gain.reshape(-1, n_art))
    shown = np.bincount(sim.state.titles.ravel(), minlength=n_titles) > 0
    for title in np.flatnonzero(~shown):  # rare: titles no sampled member was shown
        sim.set_rows(np.full_like(sim.state.titles, title))
        page = sim.page_model()
        totals[title] = slot_gain(reward, penalty, page.click[:, 0, 0, :],
                                  page.play[:, 0, :]).sum(0)
    totals[~sim.world.artwork_exists] = -np.inf
    return totals.argmax(axis=1)


def fresh_members(config: ModelConfig, n_members: int, seed: int, first: int = 0
                  ) -> ArtworkSimulator:
    """A simulator holding fresh members `first`..`first + n_members - 1` of the stream drawn
    from `seed`, on their first visit (the rows the recommender fills for them)."""
    sim = ArtworkSimulator(config, n_members)
    sim.reset_members(np.arange(n_members), rng.numbered_keys(seed, first, n_members))
    return sim


def reference_values(config: ModelConfig, n_visits: int = 20_000, seed: int = 0,
                     n_members_for_best: int = 20_000) -> dict[str, dict[str, float]]:
    """Exact expected take rate and reward per visit of the reference policies on first visits.

    Policies: `random` (uniform over the allowed artworks), `global_best` (the best
    non-personalised artwork per title) and `oracle` (the myopic oracle). Each is averaged
    over the same `n_visits` fresh members, using the simulator's exact expectations, so
    the only noise is the choice of members (and the random policy's draws).
    """
    sim = fresh_members(config, n_visits, seed + 1)
    exists = sim.candidates()
    actions = {
        "random": random_allowed(np.random.default_rng(seed), exists),
        "global_best": best_nonpersonalised_artworks(config, n_members_for_best,
                                                     seed)[sim.state.titles],
        "oracle": sim.oracle()[1],
    }
    plays_config = config.replace(reward="play")
    page = sim.page_model()
    out = {}
    for name, action in actions.items():
        click, play = chosen_probabilities(page, action)
        plays = cascade_expected_reward(plays_config, click, play, page.patience)
        reward = cascade_expected_reward(config, click, play, page.patience)
        out[name] = {"take_rate": float(plays.mean() / config.n_slots),
                     "reward": float(reward.mean()),
                     "reward_se": float(reward.std(ddof=1) / np.sqrt(n_visits))}
    return out
