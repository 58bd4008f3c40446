"""The one rollout loop: choose, step, yield, on a (native) vector env.

Training, greedy evaluation, logging data for offline evaluation and the online half of
the replay study all run members through an env the same way; they differ only in how the
artworks are chosen and what is done with each visit. `visit_stream` is that loop, written once,
as a generator: it yields each batched visit to its caller and goes on when asked for the
next, so whoever consumes the visits keeps control between them (the training harness
evaluates there, with the training's loop suspended, not running beneath it):

    for visit in visit_stream(env, lambda obs: agent.act(obs, explore=True), seed=0):
        agent.update(visit.obs, visit.actions, visit.reward, visit.info)
        if done(visit):                      # learn, log, count; stop when you like
            break

`rollout(env, choose, on_visit)` is the same loop for callers that prefer a callback
(`on_visit` returning False stops it).

The observation handed to `choose` is the agent observation (`agent_observation`: the
env's arrays plus `title_ids` and `episode_start`). numpy's BLAS runs on one thread inside
the loop (`artwork_env.compiled.threads`: its threads and the kernels' would wait on each other).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import numpy as np

from artwork_env.compiled.threads import blas_on_one_thread
from artwork_env.envs.env import Observation, agent_observation


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


def visit_stream(env: Any, choose: Callable[[Observation], np.ndarray],
           seed: int | list[int] | None = None,
           options: dict[str, Any] | None = None) -> Iterator[Visit]:
    """Reset `env` with `seed` (and `options`), then choose, step and yield each batched
    visit, for as long as the caller asks for more.

    `env` is a vector env with SAME_STEP autoreset (`ArtworkVectorEnv`): ended members are
    replaced within the step, and `episode_start` marks them in the next observation.
    `choose` and the caller's work between visits run with numpy's BLAS on one thread
    (`blas_on_one_thread`), its own count restored when the generator is closed.
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
            yield visit


def rollout(env: Any, choose: Callable[[Observation], np.ndarray],
            on_visit: Callable[[Visit], bool],
            seed: int | list[int] | None = None,
            options: dict[str, Any] | None = None) -> None:
    """`visit_stream` with a callback: hand each visit to `on_visit` until it returns False."""
    with closing(visit_stream(env, choose, seed, options)) as stream:
        for visit in stream:
            if not on_visit(visit):
                return
