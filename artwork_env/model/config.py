"""Every parameter of the simulated world, members and page response, with its default.

`ModelConfig` is the single source of the model's knobs. Each effect of docs/model.md has a
named weight; setting it to 0 switches the effect off (see `ModelConfig.plain_cascade`).
Invalid values raise `ValueError` naming the parameter, so a bad `gymnasium.make(...)`
keyword fails at construction time rather than deep inside numpy. Every real parameter lies
within +-`MAX_MAGNITUDE` (1e6), `bounce_penalty` within [0, `MAX_PENALTY`], probabilities in
[0, 1], where the model's ground truth is finite; should an expected reward still come out
non-finite, the step raises (`artwork_env.envs.env.NonFiniteGroundTruth`), never a zero regret.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, fields

import numpy as np

from artwork_env.validation import check_integer, check_real, is_real

REWARDS = ("quality_play", "play", "click")
REWARD_QUALITY_PLAY, REWARD_PLAY, REWARD_CLICK = range(len(REWARDS))
"""The reward variants' codes in the compiled kernels: their places in `REWARDS`."""
REWARD_CODES = {name: code for code, name in enumerate(REWARDS)}
MAX_PENALTY = 1e6
"""The largest `bounce_penalty`: the exact oracle runs in float32 (max 3.4e38)."""
MAX_MAGNITUDE = 1e6
"""The largest magnitude of every real parameter: the ground truth is finite at this bound
(`tests/test_errors.py` checks each parameter there) and turns NaN only far beyond it."""
WORLD_SIZES = ("n_genres", "n_actors", "n_titles", "n_artworks")
"""The sizes a generated catalog takes from the configuration (the demo catalog has its own)."""
CATALOGS = ("generated", "demo")
GENRE_NAMES = (
    "drama", "comedy", "romance", "action", "thriller", "horror",
    "sci-fi", "documentary", "animation", "crime", "fantasy", "family",
)
VISUAL_NAMES = ("brightness", "close-up", "expressive", "crowded", "text-heavy")
DEVICE_NAMES = ("tv", "phone", "desktop")


@dataclass(frozen=True)
class ModelConfig:
    """All parameters of the model (docs/model.md, sections 1-4), with calibrated defaults."""

    # --- the world (fixed per env instance, generated from `world_seed`) ---
    world_seed: int = 0
    catalog: str = "generated"
    n_genres: int = 12
    n_actors: int = 40
    n_titles: int = 200
    n_artworks: int | tuple[int, int] = 6
    """Artworks per title: an int, or an inclusive (low, high) range (turns on the mask)."""
    misrepresent_prob: float = 0.12
    """Probability that an artwork's theme is a genre the title does not have (clickbait)."""
    face_prob: float = 0.75
    appeal_scale: float = 0.45
    """Standard deviation of the hidden intrinsic appeal b_a of an artwork (logits)."""

    # --- the page and the episode ---
    n_slots: int = 6
    n_visits: int = 20
    """Visits in a member's lifetime (1 for the bandit env)."""
    reward: str = "quality_play"
    bounce_penalty: float = 0.1

    # --- members (hidden) ---
    n_communities: int = 8
    community_mixing: float = 1.5
    """Scale of the logistic-normal community weights: larger = purer membership."""
    taste_noise: float = 0.3
    n_regions: int = 4
    device_probs: tuple[float, ...] = (0.5, 0.35, 0.15)
    history_length: int = 20
    history_noise: float = 2.0
    """Width of the uniform noise on <theta, g_t> when drawing the pre-episode history."""
    base_logit: float = -3.8
    """Mean of the member's base propensity beta (the click logit before anything else)."""
    base_logit_sd: float = 0.4
    position_decay: float = 0.85
    """Mean probability of looking at the next slot (patience); slot k is examined w.p. ~decay^k."""
    patience_spread: float = 0.08
    change_sensitivity: float = 1.0
    """Mean of the member's sensitivity kappa to a changed artwork (0 switches it off)."""

    # --- the recommender that fills the row ---
    recommender_noise: float = 0.6
    recommender_popularity_weight: float = 0.5
    recommender_rewatch_penalty: float = 1.5
    """Score the recommender takes off titles already in the member's viewing history."""

    # --- click response ---
    relevance_weight: float = 0.5
    quality_weight: float = 0.3
    theme_weight: float = 1.5
    cast_weight: float = 1.5
    visual_weight: float = 1.8
    familiarity_discount: float = 0.7
    """gate = 1 - familiarity_discount on titles the member already interacted with."""
    salience_weight: float = 0.6
    change_cost: float = 0.5
    second_look: float = 0.3
    fatigue_weight: float = 0.15
    trust_loss: float = 0.25
    """Fraction of trust lost per bounce."""
    trust_recovery: float = 0.1
    """Fraction of the gap to full trust recovered after each visit."""

    # --- play given click ---
    play_logit: float = 1.2
    fit_weight: float = 0.5
    bait_penalty: float = 1.5
    """Play-logit penalty per unit of misrepresentation (theme outside the title: 1 unit)."""
    promise_gap_weight: float = 0.3
    """Units of misrepresentation per logit of taste for the promised theme above the title's."""

    # --- churn ---
    churn_after: int = 3
    """Consecutive empty visits after which the member may leave."""
    churn_probability: float = 0.3

    # --- long-term effects (docs/model.md, section 4b; ArtworkPersonalization-v1) ---
    long_term: float = 0.0
    """The one knob of the long-term effects: 0 switches them off (the v0 dynamics),
    1 is ArtworkPersonalization-v1's default, larger is stronger."""
    overpromise_trust_loss: float = 2.0
    """Trust a click costs per unit of misrepresentation it uncovers, times `long_term`:
    trust x exp(-long_term x overpromise_trust_loss x misrepresentation)."""
    disappointment_churn: float = 2.0
    """Hazard of leaving per unit of misrepresentation a visit's clicks uncovered, times
    `long_term`: the member leaves w.p. 1 - exp(-long_term x this x misrepresentation)."""

    # validation tables --------------------------------------------------------
    _POSITIVE_INTS = ("n_genres", "n_actors", "n_titles", "n_slots", "n_visits",
                      "n_communities", "n_regions", "history_length", "churn_after")
    _NON_NEGATIVE = (
        "appeal_scale", "bounce_penalty", "history_noise", "community_mixing",
        "taste_noise", "base_logit_sd", "patience_spread", "change_sensitivity",
        "recommender_noise", "recommender_popularity_weight", "recommender_rewatch_penalty",
        "relevance_weight", "quality_weight", "theme_weight", "cast_weight", "visual_weight",
        "salience_weight", "change_cost", "second_look", "fatigue_weight", "fit_weight",
        "bait_penalty", "promise_gap_weight", "long_term", "overpromise_trust_loss",
        "disappointment_churn",
    )
    _PROBABILITIES = ("misrepresent_prob", "face_prob", "familiarity_discount", "trust_loss",
                      "trust_recovery", "churn_probability")

    def __post_init__(self) -> None:
        self.validate()

    @property
    def artwork_range(self) -> tuple[int, int]:
        """(min, max) artworks per title."""
        if isinstance(self.n_artworks, int):
            return self.n_artworks, self.n_artworks
        low, high = self.n_artworks
        return int(low), int(high)

    @property
    def max_artworks(self) -> int:
        """M, the width of the action space."""
        return self.artwork_range[1]

    def validate(self) -> None:
        """Raise `ValueError` naming the first invalid parameter."""
        for name in self._POSITIVE_INTS:
            value = getattr(self, name)
            check_integer(name, value)
        if is_real(self.bounce_penalty) and self.bounce_penalty > MAX_PENALTY:
            raise ValueError(f"bounce_penalty must be <= {MAX_PENALTY:g} (the exact oracle runs "
                             f"in float32), got {self.bounce_penalty!r}")
        for name in self._NON_NEGATIVE:
            _check_real(name, getattr(self, name), low=0.0)
        for name in self._PROBABILITIES:
            _check_real(name, getattr(self, name), low=0.0, high=1.0)
        for name in ("base_logit", "play_logit"):
            _check_real(name, getattr(self, name))
        _check_real("position_decay", self.position_decay, low=0.0, high=1.0)
        if self.reward not in REWARDS:
            raise ValueError(f"reward must be one of {REWARDS}, got {self.reward!r}")
        if self.catalog not in CATALOGS:
            raise ValueError(f"catalog must be one of {CATALOGS}, got {self.catalog!r}")
        check_integer("world_seed", self.world_seed, low=0)
        self._validate_artworks()
        probs = self.device_probs
        if (not isinstance(probs, tuple) or len(probs) != len(DEVICE_NAMES)
                or any(not is_real(p) or p < 0 for p in probs)
                or not math.isclose(sum(probs), 1.0, abs_tol=1e-6)):
            raise ValueError(
                f"device_probs must be {len(DEVICE_NAMES)} non-negative numbers summing to 1 "
                f"(for {DEVICE_NAMES}), got {probs!r}")
        if self.catalog == "demo":
            ignored = [f.name for f in fields(self) if f.name in WORLD_SIZES
                       and getattr(self, f.name) != f.default]
            if ignored:
                raise ValueError(f"{', '.join(ignored)} cannot be set with catalog='demo' (its "
                                 f"titles, genres, cast and artworks are fixed)")
        self._check_size()
        if self.catalog == "generated":
            if self.n_slots > self.n_titles:
                raise ValueError(f"n_slots ({self.n_slots}) must not exceed n_titles "
                                 f"({self.n_titles})")
            if self.history_length > self.n_titles:
                raise ValueError(f"history_length ({self.history_length}) must not exceed "
                                 f"n_titles ({self.n_titles})")

    def _check_size(self) -> None:
        """Refuse worlds whose catalog and population would not fit in half of this
        machine's memory (the catalog's features, the communities' tables, the regions'
        community shifts, one member's observation and page model)."""
        g, a, t, m = self.n_genres, self.n_actors, self.n_titles, self.max_artworks
        c, r, k = self.n_communities, self.n_regions, self.n_slots
        needed = (8 * t * (g + a) + 4 * t * m * (g + a + 9) + 8 * c * (g + a) + 8 * r * c
                  + 4 * (g + a + r + t) + 4 * k * m * (m + g + a + 9))
        try:
            memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):  # not on this platform: no bound
            return
        if needed > memory / 2:
            raise ValueError(
                f"the world of n_titles={t}, n_genres={g}, n_actors={a}, n_artworks={m}, "
                f"n_communities={c}, n_regions={r}, n_slots={k} needs about "
                f"{needed / 2**30:.1f} GiB, more than half of this machine's "
                f"{memory / 2**30:.1f} GiB")

    def _validate_artworks(self) -> None:
        value = self.n_artworks
        if isinstance(value, (list, tuple)):
            ok = (len(value) == 2 and all(isinstance(v, int) and not isinstance(v, bool)
                                          for v in value) and 1 <= value[0] <= value[1])
        else:
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
        if not ok:
            raise ValueError("n_artworks must be a positive integer or a (low, high) range with "
                             f"1 <= low <= high, got {value!r}")

    def replace(self, **changes: object) -> ModelConfig:
        """A copy with some parameters changed (validated)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_kwargs(cls, **kwargs: object) -> ModelConfig:
        """Build from keyword arguments, rejecting unknown names with the list of known ones."""
        known = parameter_names()
        unknown = sorted(set(kwargs) - set(known))
        if unknown:
            raise ValueError(f"unknown parameter(s) {unknown}; known parameters: {known}")
        kwargs = {name: _plain(value) for name, value in kwargs.items()}
        return cls(**kwargs)  # type: ignore[arg-type]

    def plain_cascade(self) -> ModelConfig:
        """The same world with every effect beyond the plain position-based cascade off."""
        return self.replace(
            familiarity_discount=0.0, salience_weight=0.0, change_cost=0.0, second_look=0.0,
            fatigue_weight=0.0, trust_loss=0.0, churn_probability=0.0, bait_penalty=0.0,
            promise_gap_weight=0.0, change_sensitivity=0.0, long_term=0.0)

    def to_dict(self) -> dict[str, object]:
        """The parameters as a JSON-friendly dict."""
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}


def parameter_names() -> list[str]:
    """Names of every model parameter accepted by `ModelConfig` and `gymnasium.make`."""
    return [f.name for f in fields(ModelConfig) if not f.name.startswith("_")]


def _plain(value: object) -> object:
    """numpy scalars as Python numbers, lists and arrays as tuples (`np.int64(5)` is 5)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(_plain(item) for item in value)
    return value


def _check_real(name: str, value: object, low: float | None = None,
                high: float | None = None) -> None:
    check_real(name, value, low, high)
    if abs(value) > MAX_MAGNITUDE:  # type: ignore[arg-type]
        raise ValueError(f"{name} must be within +-{MAX_MAGNITUDE:g} (the model's ground "
                         f"truth is finite there), got {value!r}")
