"""Reference choices computed from ground truth, to see what personalisation adds."""

from __future__ import annotations

import numpy as np

from artwork_env import rng
from artwork_env.config import ModelConfig
from artwork_env.core import ArtworkSimulator, cascade_expected_reward, slot_gain


def best_nonpersonalised_artworks(config: ModelConfig, n_members: int = 2000,
                                  seed: int = 0) -> np.ndarray:
    """(T,) the best single artwork per title for the whole population (what an A/B test finds).

    Monte Carlo over `n_members` fresh members of the population: for each title, the
    artwork with the highest mean expected reward when the title is examined with no left
    neighbour (the member's familiarity with the title included, salience excluded).
    """
    if n_members < 1:
        raise ValueError(f"n_members must be >= 1, got {n_members}")
    sim = ArtworkSimulator(config.replace(n_slots=1), n_members)
    keys = rng.derive_keys(np.full(n_members, seed, dtype=np.uint64),
                           np.arange(n_members, dtype=np.uint64))
    sim.reset_members(np.arange(n_members), keys)
    best = np.zeros(sim.world.n_titles, dtype=np.int64)
    for title in range(sim.world.n_titles):
        sim.set_rows(np.full((n_members, 1), title))
        page = sim.page_model()
        mean_gain = slot_gain(config, page.click[:, 0, 0, :], page.play[:, 0, :]).mean(axis=0)
        mean_gain[~sim.world.artwork_exists[title]] = -np.inf
        best[title] = int(mean_gain.argmax())
    return best


def reference_values(config: ModelConfig, n_visits: int = 20_000, seed: int = 0,
                     n_members_for_best: int = 2000) -> dict[str, dict[str, float]]:
    """Exact expected take rate and reward per visit of the reference policies on first visits.

    Policies: `random` (uniform over the allowed artworks), `global_best` (the best
    non-personalised artwork per title) and `oracle` (the myopic oracle). Each is averaged
    over the same `n_visits` fresh members, using the simulator's exact expectations, so
    the only noise is the choice of members (and the random policy's draws).
    """
    sim = ArtworkSimulator(config, n_visits)
    keys = rng.derive_keys(np.full(n_visits, seed + 1, dtype=np.uint64),
                           np.arange(n_visits, dtype=np.uint64))
    sim.reset_members(np.arange(n_visits), keys)
    exists = sim.page_model().exists
    draws = np.random.default_rng(seed).random(exists.shape) * exists
    actions = {
        "random": draws.argmax(axis=2),
        "global_best": best_nonpersonalised_artworks(config, n_members_for_best, seed)[sim.titles],
        "oracle": sim.oracle()[1],
    }
    plays_config = config.replace(reward="play")
    page = sim.page_model()
    out = {}
    for name, action in actions.items():
        click, play = sim.chosen_probabilities(page, action)
        plays = cascade_expected_reward(plays_config, click, play, page.patience)
        reward = cascade_expected_reward(config, click, play, page.patience)
        out[name] = {"take_rate": float(plays.mean() / config.n_slots),
                     "reward": float(reward.mean()),
                     "reward_se": float(reward.std(ddof=1) / np.sqrt(n_visits))}
    return out
