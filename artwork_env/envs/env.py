"""The Gymnasium environment: one member, one home-page row per step.

`ArtworkEnv` is the batch core (`ArtworkSimulator`) with N = 1. Registered as
`ArtworkPersonalization-v0` (a member's lifetime of `n_visits` visits, with churn) and
`ArtworkBandit-v0` (`n_visits=1`: one visit of a fresh member per episode).
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from artwork_env.compiled.core import ArtworkSimulator, PageModel, VisitOutcome
from artwork_env.envs.rendering import render_visit
from artwork_env.model import rng
from artwork_env.model.config import ModelConfig
from artwork_env.model.layout import OBSERVATION_DTYPES

Observation = dict[str, np.ndarray]


def observation_space(sim: ArtworkSimulator, batch: tuple[int, ...] = ()) -> spaces.Dict:
    """The Dict observation space of a simulator, with optional leading batch dimensions."""
    return spaces.Dict({key: spaces.Box(0, 1, batch + shape, dtype=OBSERVATION_DTYPES[key])
                        for key, shape in sim.layout.shapes().items()})


def agent_observation(obs: Observation, info: dict[str, Any],
                      episode_start: np.ndarray | bool | None = None) -> Observation:
    """The agent's observation: the env's observation plus `title_ids` (from
    `info["row_titles"]`) and `episode_start` (N,) (True where a member is new: recurrent
    agents restart their memory there). A single env's observation gets a batch axis of one,
    so agents (batched over members) act on `ArtworkEnv` and `ArtworkVectorEnv` alike."""
    if np.ndim(obs["action_mask"]) == 2:  # one member, unbatched
        obs = {key: np.asarray(value)[None] for key, value in obs.items()}
    n = obs["action_mask"].shape[0]
    return {**obs, "title_ids": np.asarray(info["row_titles"]).reshape(n, -1),
            "episode_start": np.ones(n, dtype=bool) if episode_start is None
            else np.broadcast_to(np.asarray(episode_start, dtype=bool), (n,))}


def validate_actions(actions: Any, sim: ArtworkSimulator) -> np.ndarray:
    """Check (N, K) actions against the simulator's current candidates; return them as int64.

    Raises `ValueError` naming the slot and the allowed artworks for a wrong shape or dtype,
    an index out of range or a masked (non-existent) artwork.
    """
    n, n_slots, n_art = sim.n, sim.n_slots, sim.n_artworks
    array = np.asarray(actions)
    if array.shape not in ((n, n_slots),) + (((n_slots,),) if n == 1 else ()):
        raise ValueError(f"action must have shape ({n_slots},) for {n_slots} slots"
                         + (f" per member, (N={n}, {n_slots}) in all" if n > 1 else "")
                         + f", got shape {array.shape}")
    if array.dtype.kind not in "iu":
        raise ValueError(f"action must hold integers (artwork indices 0..{n_art - 1}), "
                         f"got dtype {array.dtype}")
    array = np.ascontiguousarray(array.reshape(n, n_slots), dtype=np.int64)
    first = sim.first_invalid(array)
    if first >= 0:
        member, slot = divmod(first, n_slots)
        allowed = np.flatnonzero(sim.candidates()[member, slot]).tolist()
        who = f"member {member}, " if n > 1 else ""
        raise ValueError(f"invalid artwork {int(array[member, slot])} for {who}slot {slot}: "
                         f"allowed artworks there are {allowed}")
    return array


MISSING_ARTWORK = ("substitute", "raise")
"""What a step does with an artwork the title does not have (worlds with
`n_artworks=(low, high)`): show the title's default artwork 0 instead, counted in
`info["n_substituted"]` (the default, so generic tools that sample the whole action space
run), or raise a `ValueError` naming the slot and the allowed artworks."""


def check_missing_artwork(value: Any) -> str:
    """The `missing_artwork` keyword of the envs, checked."""
    if value not in MISSING_ARTWORK:
        raise ValueError(f"missing_artwork must be one of {MISSING_ARTWORK}, got {value!r}")
    return value


def substitute_missing(actions: Any, sim: ArtworkSimulator) -> tuple[Any, np.ndarray]:
    """Actions with every artwork its title does not have (an index inside the action
    space, outside the title's candidates) replaced by the title's default artwork 0, and
    the (N,) number replaced per member. Input that is not an (N, K) or (K,) integer array
    in range comes back unchanged, for `validate_actions` to name what is wrong."""
    none = np.zeros(sim.n, dtype=np.int64)
    array = np.asarray(actions)
    if (array.dtype.kind not in "iu" or array.size != sim.n * sim.n_slots
            or array.shape not in ((sim.n, sim.n_slots), (sim.n_slots,))
            or array.min(initial=0) < 0 or array.max(initial=0) >= sim.n_artworks):
        return actions, none
    rows = array.reshape(sim.n, sim.n_slots).astype(np.int64)
    missing = ~np.take_along_axis(sim.candidates(), rows[..., None], axis=2)[..., 0]
    if not missing.any():
        return actions, none
    return np.where(missing, 0, rows).reshape(array.shape), missing.sum(axis=1)


class NonFiniteGroundTruth(FloatingPointError):
    """The model's expected reward came out NaN or infinite: a regret computed from it would
    be a lie (NaN compares as no regret), so the step stops here instead."""

    def __init__(self) -> None:
        super().__init__("the model's expected reward is not finite; its parameters lie "
                         "outside what it computes (see ModelConfig's bounds)")


def batched_info(outcome: VisitOutcome, substituted: np.ndarray) -> dict[str, np.ndarray]:
    """The step keys of `info` (`STEP_KEYS`) for every member as (N, ...) arrays: the
    observable feedback of the visit just made, its ground truth, and how many chosen
    artworks were missing and shown as the default (`substitute_missing`)."""
    n, n_slots = outcome.clicks.shape
    if not (np.isfinite(outcome.expected_reward).all()
            and np.isfinite(outcome.oracle_expected_reward).all()):
        raise NonFiniteGroundTruth()
    regret = np.maximum(0.0, outcome.oracle_expected_reward - outcome.expected_reward)
    return {
        "clicks": outcome.clicks, "plays": outcome.plays, "bounces": outcome.bounces,
        "titles": outcome.titles, "n_impressions": np.full(n, n_slots),
        "n_clicks": outcome.clicks.sum(axis=1), "n_plays": outcome.plays.sum(axis=1),
        "n_bounces": outcome.bounces.sum(axis=1), "churned": outcome.churned,
        "expected_reward": outcome.expected_reward,
        "oracle_expected_reward": outcome.oracle_expected_reward,
        "oracle_action": outcome.oracle_action, "regret": regret,
        "n_substituted": substituted,
    }


STEP_KEYS = ("clicks", "plays", "bounces", "titles", "n_impressions", "n_clicks", "n_plays",
             "n_bounces", "churned", "expected_reward", "oracle_expected_reward",
             "oracle_action", "regret", "n_substituted")


def step_info(outcome: VisitOutcome, substituted: np.ndarray, i: int) -> dict[str, Any]:
    """The `info` of member i after a visit: `batched_info`'s row i, arrays copied and
    scalars as Python numbers (built for the one member directly: the single env's step
    pays for every call; `tests/test_env_api.py` checks it equals the row)."""
    clicks, plays, bounces = outcome.clicks[i].copy(), outcome.plays[i].copy(), \
        outcome.bounces[i].copy()
    expected = float(outcome.expected_reward[i])
    oracle = float(outcome.oracle_expected_reward[i])
    if not (math.isfinite(expected) and math.isfinite(oracle)):
        raise NonFiniteGroundTruth()
    return {
        "clicks": clicks, "plays": plays, "bounces": bounces,
        "titles": outcome.titles[i].copy(), "n_impressions": len(clicks),
        "n_clicks": int(np.count_nonzero(clicks)), "n_plays": int(np.count_nonzero(plays)),
        "n_bounces": int(np.count_nonzero(bounces)), "churned": bool(outcome.churned[i]),
        "expected_reward": expected, "oracle_expected_reward": oracle,
        "oracle_action": outcome.oracle_action[i].copy(), "regret": max(0.0, oracle - expected),
        "n_substituted": int(substituted[i]),
    }


class ArtworkEnv(gym.Env[dict, np.ndarray]):
    """Pick one artwork per title of a home-page row; the reward is a quality play.

    Observation: Dict of `member` (history genre histogram, cast exposure, device, region,
    visit progress, empty-visit streak, last bounces, play rate), `titles` (K x ...),
    `artworks` (K x M x ...), `action_mask` (K x M, int8). Action: MultiDiscrete([M] * K).
    Every keyword but `missing_artwork` (`MISSING_ARTWORK`) is a `ModelConfig` parameter;
    `action_masks()` gives the allowed artworks for sb3-contrib's MaskablePPO, and
    `action_space.sample(mask=tuple(obs["action_mask"]))` samples only allowed ones. The
    episode terminates when the member
    churns or their lifetime of `n_visits` visits is over (visit progress is observed, so
    this is a true end of the MDP, not a truncation).
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 2}

    def __init__(self, render_mode: str | None = None, missing_artwork: str = "substitute",
                 **params: Any) -> None:
        self.missing_artwork = check_missing_artwork(missing_artwork)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} "
                             f"or None, got {render_mode!r}")
        self.render_mode = render_mode
        self.config = ModelConfig.from_kwargs(**params)
        self.sim = ArtworkSimulator(self.config, n_members=1)
        self.world = self.sim.world
        # only worlds whose titles have fewer artworks than the action space can miss one
        self._substitutes = (self.missing_artwork == "substitute"
                             and int(self.world.n_artworks.min()) < self.sim.n_artworks)
        self.observation_space = observation_space(self.sim)
        self.action_space = spaces.MultiDiscrete(
            np.full(self.config.n_slots, self.sim.n_artworks, dtype=np.int64))
        self._stream_key: np.ndarray | None = None
        self._episode = 0
        self._member = np.zeros(1, dtype=np.int64)  # its batch position
        self._needs_reset = True
        self._shown: tuple[np.ndarray, np.ndarray | None, VisitOutcome | None] | None = None

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[dict, dict[str, Any]]:
        """Draw a fresh member (the member's randomness all flows from `self.np_random`).
        The single env takes no `options`; any given are refused by name, not ignored."""
        if options:
            raise ValueError(f"reset takes no options here, got {sorted(map(str, options))} "
                             "(the vector env's reset takes 'episode')")
        super().reset(seed=seed)
        if seed is not None or self._stream_key is None:
            self._stream_key = np.array([rng.stream_key(self.np_random)], dtype=np.uint64)
            self._episode = 0
        else:
            self._episode += 1
        key = rng.derive_keys(self._stream_key, np.array([self._episode], dtype=np.uint64))
        self.sim.reset_members(self._member, key)
        self._needs_reset = False
        self._shown = (self.sim.state.titles[0].copy(), None, None)
        return self._observation(), {"row_titles": self.sim.state.titles[0].copy()}

    def step(self, action: np.ndarray) -> tuple[dict, float, bool, bool, dict[str, Any]]:
        """Show the row with the chosen artworks; the member scans it and answers."""
        if self._needs_reset:
            raise RuntimeError("call reset() before step() (and again after the episode ends)")
        if np.ndim(action) != 1:
            raise ValueError(f"action must have shape ({self.sim.n_slots},), one artwork per "
                             f"slot, got shape {np.shape(action)}")
        substituted = np.zeros(1, dtype=np.int64)
        if self._substitutes:
            action, substituted = substitute_missing(action, self.sim)
        actions = validate_actions(action, self.sim)
        outcome = self.sim.visit_step(actions, reuse=True)  # info copies it
        terminated = bool(outcome.terminated[0])
        self._needs_reset = terminated
        self._shown = (outcome.titles[0], actions[0], outcome)
        info = step_info(outcome, substituted, 0)
        info["row_titles"] = self.sim.state.titles[0].copy()  # the next row (the last one if ended)
        return self._observation(), float(outcome.reward[0]), terminated, False, info

    def action_masks(self) -> np.ndarray:
        """(K * M,) bool: the allowed artworks of every slot, flattened (sb3-contrib's
        MaskablePPO reads it through its `action_masks` method)."""
        return self.sim.candidates()[0].reshape(-1).copy()

    def _observation(self) -> dict[str, np.ndarray]:
        return {key: value[0] for key, value in self.sim.observe().items()}

    # ------------------------------------------------------------- ground truth
    def page_model(self) -> PageModel:
        """Ground truth for the page now shown: click/play probabilities of every choice."""
        self._require_page()
        return self.sim.page_model()

    def expected_reward(self, action: np.ndarray) -> float:
        """Ground truth: the exact expected reward of `action` on the page now shown."""
        self._require_page()
        actions = validate_actions(action, self.sim)
        return float(self.sim.expected_reward(actions)[0])

    def oracle(self) -> tuple[float, np.ndarray]:
        """Ground truth: the myopic oracle's expected reward and action for the page now shown.

        A cheating reference: it reads the hidden member.
        """
        self._require_page()
        value, action = self.sim.oracle()
        return float(value[0]), action[0]

    def _require_page(self) -> None:
        if self._needs_reset:
            raise RuntimeError("no page is shown: call reset() first")

    # ---------------------------------------------------------------- rendering
    def render(self) -> str | np.ndarray | None:
        """The last page shown and what the member did ("ansi" text or "rgb_array")."""
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode= to make")
            return None
        if self._shown is None:
            raise RuntimeError("call reset() before render()")
        titles, actions, outcome = self._shown
        return render_visit(self.render_mode, self.world, titles, actions, outcome, 0,
                            int(self.sim.state.visit[0]))
