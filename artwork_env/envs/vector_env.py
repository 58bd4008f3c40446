"""A native vector environment: N members in one set of array operations.

`gymnasium.make_vec("ArtworkBandit-v0", num_envs=N)` (or with
`vectorization_mode="vector_entry_point"`) returns `ArtworkVectorEnv`: the batch core with N
members, no Python object per member. Member i seeded with `seed + i` follows exactly the
trajectory of a single `ArtworkEnv` reset with `seed + i` (the core's random numbers are
counter-based per member), so results agree bit for bit with `SyncVectorEnv`.

Autoreset is SAME_STEP by default (declared in `metadata["autoreset_mode"]`): a member
whose episode ends is replaced by a fresh one within the same `step`; the returned
observation is the new member's, the ended member's last observation is in
`info["final_obs"]` (mask `info["_final_obs"]`) and the title ids of its rows in
`info["final_row_titles"]` (N, K), zero for the others. The final observations are new
arrays every step, the caller's to keep.
The step keys of `info` (clicks, plays, ..., regret) describe the visit that just happened
for every member; `info["row_titles"]` gives the title ids of the rows in the returned
observation.

`autoreset_mode=AutoresetMode.NEXT_STEP` (Gymnasium's default for `SyncVectorEnv`, and
what its vector observation wrappers expect) returns the ended member's last observation
instead, and the next `step` resets that member: its action is ignored, its reward is 0,
and the step keys of `info` are masked out for it (`info["_clicks"]` False). The members
are the same, bit for bit, as with SAME_STEP; in the one-visit bandit env every other
step of a member is such a reset.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from artwork_env.compiled.core import ArtworkSimulator, VisitOutcome
from artwork_env.envs.env import (
    STEP_KEYS,
    ArtworkEnv,
    batched_info,
    check_missing_artwork,
    observation_space,
    substitute_missing,
    validate_actions,
)
from artwork_env.envs.rendering import render_visit
from artwork_env.model import rng
from artwork_env.model.config import ModelConfig
from artwork_env.validation import is_integer

MAX_NUM_ENVS = 1 << 20
"""The most members one vector env holds: a bound that names the problem before numpy
runs out of memory (a member of `ArtworkPersonalization-v1` takes about 40 kB at its peak,
so this many take about 40 GB)."""


def final_observations(arrays: dict[str, np.ndarray], ended: np.ndarray,
                       n: int) -> np.ndarray:
    """(N,) object array for `info["final_obs"]`: for each member in `ended`, a dict of its
    rows of `arrays` (the ended members' observation, in `ended`'s order); None for the
    others."""
    names = list(arrays)
    rows = np.empty(len(ended), dtype=object)
    rows[:] = [dict(zip(names, member)) for member in zip(*arrays.values())]
    final = np.full(n, None, dtype=object)
    final[ended] = rows
    return final


def make_vector(env_id: str, num_envs: int, **env_kwargs: Any) -> ArtworkVectorEnv:
    """The native vector env of a registered id with N members and these model parameters
    (`gymnasium.make_vec(env_id, num_envs, vectorization_mode="vector_entry_point")`)."""
    import gymnasium as gym

    return gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="vector_entry_point",
                        **env_kwargs)


def _first_episode(options: dict[str, Any] | None) -> int:
    """The `episode` reset option (0 without it), checked."""
    unknown = sorted(map(str, set(options or {}) - {"episode"}))
    if unknown:
        raise ValueError(f"unknown reset option(s) {unknown}; the vector env takes 'episode'")
    if options is None or "episode" not in options:
        return 0
    episode = options["episode"]
    if isinstance(episode, bool) or not isinstance(episode, (int, np.integer)) or episode < 0:
        raise ValueError(f"options['episode'] must be a non-negative int, got {episode!r}")
    return int(episode)


class ArtworkVectorEnv(VectorEnv):
    """N members of `ArtworkEnv` stepped together by the batch core."""

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 2,
                "autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(self, num_envs: int = 1, render_mode: str | None = None,
                 render_member: int = 0,
                 autoreset_mode: AutoresetMode | str = AutoresetMode.SAME_STEP,
                 missing_artwork: str = "substitute",
                 **params: Any) -> None:
        self.missing_artwork = check_missing_artwork(missing_artwork)
        if not is_integer(num_envs) or not 1 <= num_envs <= MAX_NUM_ENVS:
            raise ValueError(f"num_envs must be an integer in [1, {MAX_NUM_ENVS:,}] (the "
                             f"members held in memory at once), got {num_envs!r}")
        modes = (AutoresetMode.SAME_STEP, AutoresetMode.NEXT_STEP)
        try:
            mode = AutoresetMode(autoreset_mode)
        except ValueError:
            mode = None
        if mode not in modes:
            raise ValueError(f"autoreset_mode must be {' or '.join(m.name for m in modes)} "
                             f"(an AutoresetMode or its value), got {autoreset_mode!r}")
        self.metadata = {**self.metadata, "autoreset_mode": mode}
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} "
                             f"or None, got {render_mode!r}")
        if (isinstance(render_member, bool) or not isinstance(render_member, (int, np.integer))
                or not 0 <= render_member < num_envs):
            raise ValueError(f"render_member must be in [0, {num_envs}), got {render_member}")
        self.num_envs = num_envs
        self.render_mode = render_mode
        self.render_member = render_member
        self.config = ModelConfig.from_kwargs(**params)
        self.sim = ArtworkSimulator(self.config, num_envs)
        self.world = self.sim.world
        # only worlds whose titles have fewer artworks than the action space can miss one
        self._substitutes = (self.missing_artwork == "substitute"
                             and int(self.world.n_artworks.min()) < self.sim.n_artworks)
        self.single_observation_space = observation_space(self.sim)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.single_action_space = spaces.MultiDiscrete(
            np.full(self.config.n_slots, self.sim.n_artworks, dtype=np.int64))
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._stream_keys: np.ndarray | None = None
        self._episodes = np.zeros(num_envs, dtype=np.uint64)
        self._resetting = np.zeros(num_envs, dtype=bool)  # NEXT_STEP: reset on this step
        self._shown: tuple[np.ndarray, np.ndarray | None, VisitOutcome | None, int] | None = None

    def reset(self, *, seed: int | list[int | None] | None = None,
              options: dict[str, Any] | None = None) -> tuple[dict, dict[str, Any]]:
        """Draw N fresh members; member i is seeded with `seed + i` (or `seed[i]`).

        `options={"episode": e}` with a seed starts every member stream at its episode e
        instead of 0 (the members a stream would have drawn after e one-visit episodes: how
        a training run resumes on the members it would have met next)."""
        episode = _first_episode(options)
        if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
            seed = [int(seed) + i for i in range(self.num_envs)]
        if seed is not None and (isinstance(seed, (str, bytes, bool)) or not hasattr(
                seed, "__len__") or len(seed) != self.num_envs):
            raise ValueError(f"seed must be an int or a list of {self.num_envs} seeds, got "
                             f"{seed!r}")
        super().reset(seed=None if seed is None else seed[0])
        if seed is not None or self._stream_keys is None:
            self._stream_keys = rng.stream_keys(seed or [None] * self.num_envs)
            self._episodes[:] = episode
        else:
            self._episodes += np.uint64(1)
        everyone = np.arange(self.num_envs)
        self._resetting[:] = False
        self.sim.reset_members(everyone, rng.derive_keys(self._stream_keys, self._episodes))
        self._shown = (self.sim.state.titles[self.render_member].copy(), None, None, 0)
        return self.sim.observe(), {"row_titles": self.sim.state.titles.copy(),
                                    "_row_titles": np.ones(self.num_envs, dtype=bool)}

    def step(self, actions: np.ndarray) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray,
                                                 dict[str, Any]]:
        """One visit for every member; ended members are replaced at once (SAME_STEP) or on
        the next step (NEXT_STEP)."""
        if self._stream_keys is None:
            raise RuntimeError("call reset() before step()")
        resetting = self._resetting.copy()
        if resetting.any():  # NEXT_STEP: these members are already fresh; ignore actions
            actions = np.array(actions, copy=True)
            if actions.shape == (self.num_envs, self.config.n_slots):
                actions[resetting] = np.argmax(self.sim.candidates()[resetting], axis=2)
        substituted = np.zeros(self.num_envs, dtype=np.int64)
        if self._substitutes:
            actions, substituted = substitute_missing(actions, self.sim)
        actions = validate_actions(actions, self.sim)
        member = self.render_member
        outcome = self.sim.visit_step(actions)
        self._shown = (outcome.titles[member], actions[member], outcome,
                       int(self.sim.state.visit[member]))
        info: dict[str, Any] = batched_info(outcome, substituted)
        visited = ~resetting
        info.update({f"_{key}": visited.copy() for key in STEP_KEYS})
        reward, terminated = outcome.reward, outcome.terminated
        if resetting.any():  # the visit did not happen: the same fresh members again
            for key in STEP_KEYS:  # masked out, and zero where masked, as Gymnasium's are
                info[key] = np.where(resetting.reshape(-1, *[1] * (info[key].ndim - 1)),
                                     np.zeros_like(info[key]), info[key])
            again = np.flatnonzero(resetting)
            self.sim.reset_members(again, rng.derive_keys(self._stream_keys[again],
                                                          self._episodes[again]))
            reward, terminated = np.where(resetting, 0.0, reward), terminated & visited
            self._resetting[:] = False
        ended = np.flatnonzero(terminated)
        next_step = self.metadata["autoreset_mode"] is AutoresetMode.NEXT_STEP
        final = self.sim.observe(ended) if ended.size and next_step else None
        if ended.size and not next_step:
            info["final_obs"] = final_observations(self.sim.observe(ended), ended,
                                                   self.num_envs)
            info["_final_obs"] = terminated.copy()
        final_titles = self.sim.state.titles[ended].copy()
        if ended.size and not next_step:
            info["final_row_titles"] = np.zeros_like(self.sim.state.titles)
            info["final_row_titles"][ended] = final_titles
            info["_final_row_titles"] = terminated.copy()
        if ended.size:
            self._episodes[ended] += np.uint64(1)
            self.sim.reset_members(ended, rng.derive_keys(self._stream_keys[ended],
                                                          self._episodes[ended]))
        obs = self.sim.observe()
        info["row_titles"] = self.sim.state.titles.copy()
        if ended.size and next_step:  # show the ended members' last page until next step
            for name in obs:
                obs[name][ended] = final[name]
            info["row_titles"][ended] = final_titles
            self._resetting[ended] = True
        info["_row_titles"] = np.ones(self.num_envs, dtype=bool)
        truncated = np.zeros(self.num_envs, dtype=bool)
        return obs, reward, terminated, truncated, info

    def render(self) -> str | np.ndarray | None:
        """The last page of member `render_member` (see `ArtworkEnv.render`)."""
        if self.render_mode is None or self._shown is None:
            return None
        titles, actions, outcome, visit = self._shown
        return render_visit(self.render_mode, self.world, titles, actions, outcome,
                            self.render_member, visit)

    # ground truth for the pages now shown, as the single env offers it
    def oracle(self) -> tuple[np.ndarray, np.ndarray]:
        """Ground truth: (N,) myopic oracle values and (N, K) actions for the pages shown."""
        return self.sim.oracle()

    def worst(self) -> tuple[np.ndarray, np.ndarray]:
        """Ground truth: (N,) lowest expected reward of any row and (N, K) its artworks,
        for the pages now shown (the floor of "% of oracle")."""
        return self.sim.worst()

    def expected_reward(self, actions: np.ndarray) -> np.ndarray:
        """Ground truth: (N,) exact expected reward of `actions` on the pages now shown."""
        return self.sim.expected_reward(validate_actions(actions, self.sim))


__all__ = ["ArtworkEnv", "ArtworkVectorEnv", "make_vector"]
