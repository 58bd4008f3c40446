"""One page as K consecutive Discrete(M) decisions, for algorithms without MultiDiscrete (DQN).

`SlotDecisionVecEnv` wraps `ArtworkSB3VecEnv`: decision k picks the artwork of slot k for
every member at once; the observation is the page's observation plus `slot` (one-hot of
the slot being decided) and `chosen` (one-hot of the artworks picked so far). Once the
row is full the member answers: the last decision of the page receives the visit's
reward, the earlier ones 0, and the episode ends with the page's episode. The member and
the page are exactly those of the MultiDiscrete env (tested): the wrapper only changes who
decides when. A masked artwork (titles with fewer candidates) becomes the slot's first
allowed artwork, since DQN cannot mask.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper

Observation = dict[str, np.ndarray]


def slot_observation_space(page_space: spaces.Dict) -> spaces.Dict:
    """The page's observation space plus `slot` (K) and `chosen` (K * M)."""
    n_slots, n_artworks = page_space["action_mask"].shape
    return spaces.Dict({**page_space.spaces,
                        "slot": spaces.Box(0.0, 1.0, (n_slots,), dtype=np.float32),
                        "chosen": spaces.Box(0.0, 1.0, (n_slots * n_artworks,),
                                             dtype=np.float32)})


def slot_observation(page_obs: Observation, slot: int, chosen: np.ndarray) -> Observation:
    """The observation of decision `slot` given the (N, K) artworks chosen so far (-1: none)."""
    n, n_slots, n_artworks = page_obs["action_mask"].shape
    slot_one_hot = np.zeros((n, n_slots), dtype=np.float32)
    slot_one_hot[:, slot] = 1.0
    chosen_one_hot = np.zeros((n, n_slots, n_artworks), dtype=np.float32)
    rows, slots = np.nonzero(chosen >= 0)
    chosen_one_hot[rows, slots, chosen[rows, slots]] = 1.0
    return {**page_obs, "slot": slot_one_hot, "chosen": chosen_one_hot.reshape(n, -1)}


def allowed_choice(page_obs: Observation, slot: int, choice: np.ndarray) -> np.ndarray:
    """`choice` (N,) where allowed in `slot`, else the slot's first allowed artwork."""
    mask = page_obs["action_mask"][:, slot]
    choice = np.asarray(choice, dtype=np.int64).reshape(-1)
    ok = mask[np.arange(len(choice)), choice] > 0
    return np.where(ok, choice, mask.argmax(axis=1))


class SlotDecisionVecEnv(VecEnvWrapper):
    """K Discrete(M) decisions per page over a MultiDiscrete page VecEnv."""

    def __init__(self, venv: VecEnv) -> None:
        self.n_slots, self.n_artworks = venv.observation_space["action_mask"].shape
        super().__init__(venv, slot_observation_space(venv.observation_space),
                         spaces.Discrete(self.n_artworks))
        self._page_obs: Observation | None = None
        self._slot = 0
        self._chosen = np.full((venv.num_envs, self.n_slots), -1, dtype=np.int64)

    def reset(self) -> Observation:
        """Reset the pages; the first decision is slot 0."""
        self._page_obs = self.venv.reset()
        self._slot = 0
        self._chosen[:] = -1
        return slot_observation(self._page_obs, 0, self._chosen)

    def step_async(self, actions: np.ndarray) -> None:
        """Record the choice of the current slot (the page is shown after the last one)."""
        self._chosen[:, self._slot] = allowed_choice(self._page_obs, self._slot, actions)
        if self._slot == self.n_slots - 1:
            self.venv.step_async(self._chosen.copy())

    def step_wait(self) -> tuple[Observation, np.ndarray, np.ndarray, list[dict[str, Any]]]:
        """Next decision; after the last slot, the member's answer and the next page."""
        n = self.num_envs
        if self._slot < self.n_slots - 1:
            self._slot += 1
            return (slot_observation(self._page_obs, self._slot, self._chosen),
                    np.zeros(n, dtype=np.float32), np.zeros(n, dtype=bool),
                    [{} for _ in range(n)])
        page_obs, reward, done, infos = self.venv.step_wait()
        self._page_obs, self._slot = page_obs, 0
        self._chosen[:] = -1
        for i in np.flatnonzero(done):  # terminal observations in the decision format
            terminal = {key: value[None] for key, value in infos[i]["terminal_observation"].items()}
            infos[i]["terminal_observation"] = {
                key: value[0] for key, value in
                slot_observation(terminal, 0, self._chosen[i:i + 1]).items()}
        return slot_observation(page_obs, 0, self._chosen), reward, done, infos
