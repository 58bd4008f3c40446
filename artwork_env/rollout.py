"""The one rollout loop: choose, step, report, on a (native) vector env.

Training, greedy evaluation, logging data for offline evaluation and the online half of
the replay study all run members through an env the same way; they differ only in how the
artworks are chosen and what is done with each visit. `rollout` is that loop, written once:

    def on_visit(visit: Visit) -> bool:        # learn, log, count; False stops the loop
        agent.update(visit.obs, visit.actions, visit.reward, visit.info)
        return total < budget
    rollout(env, lambda obs: agent.act(obs, explore=True), on_visit, seed=0)

The observation handed to `choose` is the agent observation (`agent_observation`: the
env's arrays plus `title_ids` and `episode_start`). numpy's BLAS runs on one thread inside
the loop (`artwork_env.threads`: its threads and the kernels' would wait on each other).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from artwork_env.env import Observation, agent_observation
from artwork_env.threads import blas_on_one_thread


@dataclass(frozen=True, eq=False)
class Visit:
    """One batched visit: what was chosen on which observation, and what followed."""

    obs: Observation  # the agent observation the artworks were chosen on
    actions: np.ndarray  # (N, K)
    reward: np.ndarray  # (N,)
    terminated: np.ndarray  # (N,) bool
    truncated: np.ndarray  # (N,) bool
    info: dict[str, Any]  # the env's step info (feedback and ground truth)

    @property
    def ended(self) -> np.ndarray:
        """(N,) the member's episode ended on this visit (a new member comes next)."""
        return self.terminated | self.truncated


def rollout(env: Any, choose: Callable[[Observation], np.ndarray],
            on_visit: Callable[[Visit], bool],
            seed: int | list[int] | None = None,
            options: dict[str, Any] | None = None) -> None:
    """Reset `env` with `seed` (and `options`), then choose and step until `on_visit`
    returns False.

    `env` is a vector env with SAME_STEP autoreset (`ArtworkVectorEnv`): ended members are
    replaced within the step, and `episode_start` marks them in the next observation.
    `choose` and `on_visit` run with numpy's BLAS on one thread (`blas_on_one_thread`).
    """
    with blas_on_one_thread():
        obs, info = env.reset(seed=seed, options=options)
        episode_start = np.ones(env.num_envs, dtype=bool)
        while True:
            agent_obs = agent_observation(obs, info, episode_start)
            actions = choose(agent_obs)
            obs, reward, terminated, truncated, info = env.step(actions)
            visit = Visit(agent_obs, actions, reward, terminated, truncated, info)
            episode_start = visit.ended
            if not on_visit(visit):
                return
