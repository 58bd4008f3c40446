"""Run a logging policy in the environment and keep what a real system would log."""

from __future__ import annotations

import time
from typing import Any, Protocol

import numpy as np

from artwork_env.envs.env import Observation
from artwork_env.envs.rollout import Visit, rollout
from artwork_env.envs.vector_env import make_vector
from artwork_env.model.layout import ObservationLayout
from artwork_env.model.rewards import slot_rewards
from artwork_env.model.rng import spawn_seeds
from artwork_env.ope.dataset import LoggedData, concatenate


class LoggingPolicy(Protocol):
    """What `collect` needs of a policy (`artwork_env.agents.policies.Policy` provides it)."""

    def sample(self, obs: Observation) -> tuple[np.ndarray, np.ndarray]:
        """(N, K) artworks and the (N, K) probability with which each was chosen."""
        ...

    def update(self, obs: Observation, actions: np.ndarray, reward: np.ndarray,
               info: dict[str, Any]) -> None:
        """Learn from a visit (a no-op for a fixed policy)."""
        ...

    def describe(self) -> dict[str, Any]:
        """Name and parameters (saved with the data)."""
        ...


def collect(policy: LoggingPolicy, n_visits: int, env_id: str = "ArtworkBandit-v0",
            env_kwargs: dict[str, Any] | None = None, seed: int = 0, batch_size: int = 256,
            progress: bool = False) -> LoggedData:
    """Log `n_visits` visits of `policy` (which learns as it goes if it is a learner).

    Visits come in batches of `batch_size` members stepped together (a vector env seeded
    from `seed`); the policy acts on a batch and learns from it before the next. Ctrl-C
    stops early and returns the visits logged so far, marked `interrupted` in the metadata.
    """
    if n_visits < 1:
        raise ValueError(f"n_visits must be >= 1, got {n_visits}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    env_kwargs = dict(env_kwargs or {})
    batch_size = min(batch_size, n_visits)
    env = make_vector(env_id, batch_size, **env_kwargs)
    config = env.unwrapped.config
    parts: list[LoggedData] = []
    pscores: list[np.ndarray] = []
    logged, interrupted, started = 0, False, time.time()
    bar = _progress(n_visits) if progress else None

    def choose(obs: Observation) -> np.ndarray:
        actions, pscore = policy.sample(obs)
        pscores.append(pscore)
        return actions

    def log(visit: Visit) -> bool:
        nonlocal logged
        take = min(batch_size, n_visits - logged)
        parts.append(_batch(config, env.unwrapped.sim.layout, visit, pscores[-1], take))
        policy.update(visit.obs, visit.actions, visit.reward, visit.info)
        logged += take
        if bar is not None:
            bar.update(take)
        return logged < n_visits

    try:
        rollout(env, choose, log, seed=spawn_seeds(seed, batch_size))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if bar is not None:
            bar.close()
        env.close()
    if not parts:  # Ctrl-C before the first batch was logged: nothing to return
        raise KeyboardInterrupt
    meta = {"env_id": env_id, "env_kwargs": env_kwargs, "logging_policy": policy.describe(),
            "seed": seed, "batch_size": batch_size, "interrupted": interrupted,
            "wall_seconds": round(time.time() - started, 3)}
    return concatenate(parts, meta)


def _batch(config: Any, layout: ObservationLayout, visit: Visit, pscore: np.ndarray,
           take: int) -> LoggedData:
    """The first `take` visits of a stepped batch as `LoggedData`."""
    part = slice(0, take)
    obs, info = visit.obs, visit.info
    clicks, plays, bounces = (np.asarray(info[key], dtype=bool)[part]
                              for key in ("clicks", "plays", "bounces"))
    cols = layout.artwork
    return LoggedData(
        config=config, member=obs["member"][part], titles=obs["titles"][part],
        title_ids=np.asarray(obs["title_ids"], dtype=np.int64)[part],
        artwork_seen=obs["artworks"][part, ..., cols.index("times_shown")],
        artwork_last_shown=obs["artworks"][part, ..., cols.index("shown_last")],
        action_mask=obs["action_mask"][part], episode_start=obs["episode_start"][part],
        actions=np.asarray(visit.actions, dtype=np.int64)[part],
        pscore=np.asarray(pscore, dtype=np.float64)[part], clicks=clicks, plays=plays,
        bounces=bounces,
        slot_reward=slot_rewards(config.reward, config.bounce_penalty, clicks, plays))


def _progress(total: int) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="visit", desc="logging")
