"""A stable-baselines3 `VecEnv` over the native vector env: N members, no per-env Python loop
in the simulation (only SB3's list of per-env info dicts is built member by member).

    from stable_baselines3 import PPO
    from artwork_env.envs.sb3 import ArtworkSB3VecEnv
    venv = ArtworkSB3VecEnv("ArtworkBandit-v0", num_envs=64, n_slots=6)
    PPO("MultiInputPolicy", venv).learn(10_000)

Finished episodes report SB3's `episode` info (`r`, `l`, `t`), so SB3's own
`rollout/ep_rew_mean` works without a `Monitor` wrapper, and `terminal_observation`.
`last_info` keeps the batched info of the last step (clicks, plays, ground truth) for
callbacks. `action_masks()` serves MaskablePPO (sb3-contrib).

With `title_ids=True` the observation also holds `title_ids` (K,), the title of every row
(what a bandit's arms are made of; the project's deep agents read it to learn each
artwork's own appeal). The terminal observation's `title_ids` are those of the ended
member's last page.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from stable_baselines3.common.vec_env import VecEnv

import artwork_env  # noqa: F401  (registers the environments)
from artwork_env.envs.vector_env import ArtworkVectorEnv, make_vector


class ArtworkSB3VecEnv(VecEnv):
    """SB3's vectorised-environment interface over `ArtworkVectorEnv`."""

    def __init__(self, env_id: str = "ArtworkBandit-v0", num_envs: int = 1,
                 render_mode: str | None = None, title_ids: bool = False,
                 **env_kwargs: Any) -> None:
        self.venv: ArtworkVectorEnv = make_vector(env_id, num_envs, render_mode=render_mode,
                                                  **env_kwargs)
        self.venv_render_mode = render_mode
        self.title_ids = title_ids
        space = self.venv.single_observation_space
        if title_ids:
            n_titles = self.venv.sim.world.n_titles
            space = spaces.Dict({**space.spaces, "title_ids": spaces.Box(
                0, n_titles - 1, (self.venv.config.n_slots,), dtype=np.int64)})
        super().__init__(num_envs, space, self.venv.single_action_space)
        self._actions: np.ndarray | None = None
        self._returns = np.zeros(num_envs)
        self._lengths = np.zeros(num_envs, dtype=np.int64)
        self._start = time.time()
        self.last_info: dict[str, Any] = {}
        self.last_reward = np.zeros(num_envs)
        self.last_done = np.zeros(num_envs, dtype=bool)
        self.visits = 0  # pages shown so far, all members together
        self.row_titles: np.ndarray | None = None

    def seed_streams(self, seeds: list[int], options: dict[str, Any] | None = None) -> None:
        """Seed the next reset with one seed per member (and its reset `options`)."""
        if len(seeds) != self.num_envs:
            raise ValueError(f"seeds: need {self.num_envs} seeds, got {len(seeds)}")
        self._seeds = list(seeds)
        self.set_options(options or {})

    def reset(self) -> dict[str, np.ndarray]:
        """Reset every member (seeds from `seed()` or `seed_streams()` and options from
        `set_options()`, if any, are used once)."""
        seeds = None if all(s is None for s in self._seeds) else list(self._seeds)
        obs, info = self.venv.reset(seed=seeds, options=self._options[0] or None)
        self._seeds = [None] * self.num_envs
        self._reset_options()
        self._returns[:] = 0.0
        self._lengths[:] = 0
        self.row_titles = info["row_titles"]
        self.reset_infos = [{} for _ in range(self.num_envs)]
        return self._with_titles(obs, self.row_titles)

    def step_async(self, actions: np.ndarray) -> None:
        """Remember the actions of the next `step_wait`."""
        self._actions = np.asarray(actions).reshape(self.num_envs, -1)

    def step_wait(self) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, list[dict]]:
        """One visit for every member; finished episodes restart at once (SB3's convention)."""
        obs, reward, terminated, truncated, info = self.venv.step(self._actions)
        self.last_info, self.last_reward = info, reward
        self.visits += self.num_envs
        self.row_titles = info["row_titles"]
        self._returns += reward
        self._lengths += 1
        done = terminated | truncated
        self.last_done = done
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        for i in np.flatnonzero(done):
            final = info["final_obs"][i]
            if self.title_ids:
                final = {**final, "title_ids": info["final_row_titles"][i]}
            infos[i] = {"terminal_observation": final,
                        "TimeLimit.truncated": bool(truncated[i] and not terminated[i]),
                        "episode": {"r": float(self._returns[i]), "l": int(self._lengths[i]),
                                    "t": round(time.time() - self._start, 6)}}
        self._returns[done] = 0.0
        self._lengths[done] = 0
        return self._with_titles(obs, self.row_titles), reward.astype(np.float32), done, infos

    def _with_titles(self, obs: dict[str, np.ndarray], titles: np.ndarray
                     ) -> dict[str, np.ndarray]:
        """`obs` plus `title_ids` when this env was asked for them."""
        return {**obs, "title_ids": titles.astype(np.int64)} if self.title_ids else obs

    def action_masks(self) -> np.ndarray:
        """(N, K * M) bool: the allowed artworks of every slot, flattened (MaskablePPO)."""
        return self.venv.sim.candidates().reshape(self.num_envs, -1).copy()

    def close(self) -> None:
        """Close the underlying vector env."""
        self.venv.close()

    def render(self, mode: str | None = None) -> Any:
        """The rendered page of the vector env's `render_member`."""
        return self.venv.render()

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        """An attribute of the (shared) env, once per selected member."""
        if attr_name == "render_mode":
            value = self.venv_render_mode
        elif attr_name == "action_masks":  # what sb3-contrib looks for to allow masking
            value = self.action_masks
        else:
            value = getattr(self.venv, attr_name)
        return [value] * len(self._indices(indices))

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        """Set an attribute of the shared env."""
        setattr(self.venv, attr_name, value)

    def env_method(self, method_name: str, *method_args: Any, indices: Any = None,
                   **method_kwargs: Any) -> list[Any]:
        """Call a method of the shared env; `action_masks` is answered per member."""
        if method_name == "action_masks":
            return list(self.action_masks()[self._indices(indices)])
        result = getattr(self.venv, method_name)(*method_args, **method_kwargs)
        return [result] * len(self._indices(indices))

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        """No member is wrapped."""
        return [False] * len(self._indices(indices))

    def _indices(self, indices: Any) -> Sequence[int]:
        if indices is None:
            return range(self.num_envs)
        if isinstance(indices, int):
            return [indices]
        return indices
