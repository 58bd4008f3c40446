"""Run a logging policy in the environment and keep what a real system would log."""

from __future__ import annotations

import time
from typing import Any, Protocol

import gymnasium as gym
import numpy as np

from artwork_env.core import slot_rewards
from artwork_env.env import Observation, agent_observation
from artwork_env.ope.dataset import LoggedData, concatenate


class LoggingPolicy(Protocol):
    """What `collect` needs of a policy (`agents.policies.Policy` provides it)."""

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


def member_seeds(seed: int, n: int) -> list[int]:
    """`n` distinct member-stream seeds for a collection seed, well apart from other seeds'."""
    return [int(s) for s in np.random.SeedSequence(seed).generate_state(n, dtype=np.uint32)]


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
    env = gym.make_vec(env_id, num_envs=batch_size, vectorization_mode="vector_entry_point",
                       **env_kwargs)
    config = env.unwrapped.config
    obs, info = env.reset(seed=member_seeds(seed, batch_size))
    episode_start = np.ones(batch_size, dtype=bool)
    parts: list[LoggedData] = []
    logged, interrupted, started = 0, False, time.time()
    bar = _progress(n_visits) if progress else None
    try:
        while logged < n_visits:
            agent_obs = agent_observation(obs, info, episode_start)
            actions, pscore = policy.sample(agent_obs)
            obs, reward, terminated, truncated, step = env.step(actions)
            take = min(batch_size, n_visits - logged)
            parts.append(_batch(config, agent_obs, actions, pscore, step, take))
            policy.update(agent_obs, actions, reward, step)
            episode_start = terminated | truncated
            info = step
            logged += take
            if bar is not None:
                bar.update(take)
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


def _batch(config: Any, obs: Observation, actions: np.ndarray, pscore: np.ndarray,
           info: dict[str, Any], take: int) -> LoggedData:
    """The first `take` visits of a stepped batch as `LoggedData`."""
    part = slice(0, take)
    clicks, plays, bounces = (np.asarray(info[key], dtype=bool)[part]
                              for key in ("clicks", "plays", "bounces"))
    return LoggedData(
        config=config, member=obs["member"][part], titles=obs["titles"][part],
        title_ids=np.asarray(obs["title_ids"], dtype=np.int64)[part],
        artwork_seen=obs["artworks"][part, ..., -2],
        artwork_last_shown=obs["artworks"][part, ..., -1],
        action_mask=obs["action_mask"][part], episode_start=obs["episode_start"][part],
        actions=np.asarray(actions, dtype=np.int64)[part],
        pscore=np.asarray(pscore, dtype=np.float64)[part], clicks=clicks, plays=plays,
        bounces=bounces,
        slot_reward=slot_rewards(config.reward, config.bounce_penalty, clicks, plays, bounces))


def _progress(total: int) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="visit", desc="logging")
