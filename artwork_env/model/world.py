"""The world: genres, cast, titles and their candidate artworks (docs/model.md, section 1).

A `World` is fixed per environment instance: it is generated from `world_seed`, separately
from the episode seed, so the catalog is the same across episodes and vectorised copies.
All arrays are padded to M = `config.max_artworks` artworks per title; `artwork_exists`
says which are real.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from artwork_env.arrays import sigmoid
from artwork_env.model.config import GENRE_NAMES, VISUAL_NAMES, ModelConfig
from artwork_env.model.demo_catalog import DEMO_TITLES
from artwork_env.model.layout import artwork_columns

NO_FACE = -1
SALIENCE_TABLE_LIMIT = 8_000_000  # entries of the precomputed (T, T, M, M) salience table
WORLD_PARAMETERS = ("world_seed", "catalog", "n_genres", "n_actors", "n_titles", "n_artworks",
                    "misrepresent_prob", "face_prob", "appeal_scale")


@dataclass(frozen=True, eq=False)
class World:
    """The catalog. Hidden quantities (`title_quality`, `artwork_appeal`) never reach the agent."""

    genre_names: tuple[str, ...]
    actor_names: tuple[str, ...]
    actor_popularity: np.ndarray  # (A,) in [0, 1]
    title_names: tuple[str, ...]
    title_genres: np.ndarray  # (T, G) genre mix on the simplex
    title_cast: np.ndarray  # (T, A) bool
    title_quality: np.ndarray  # (T,) hidden
    title_popularity: np.ndarray  # (T,) in [0, 1], observable noisy view of quality
    artwork_exists: np.ndarray  # (T, M) bool
    artwork_theme: np.ndarray  # (T, M) genre index (0 where padded)
    artwork_face: np.ndarray  # (T, M) actor index or NO_FACE
    artwork_visual: np.ndarray  # (T, M, V) in [0, 1]
    artwork_appeal: np.ndarray  # (T, M) hidden intrinsic appeal b_a
    artwork_names: tuple[tuple[str, ...], ...]  # per title, one name per real artwork

    @property
    def n_titles(self) -> int:
        """T."""
        return len(self.title_names)

    @property
    def n_genres(self) -> int:
        """G."""
        return len(self.genre_names)

    @property
    def n_actors(self) -> int:
        """A."""
        return len(self.actor_names)

    @property
    def max_artworks(self) -> int:
        """M."""
        return self.artwork_exists.shape[1]

    @property
    def n_visual(self) -> int:
        """V."""
        return self.artwork_visual.shape[2]

    @cached_property
    def sparse_genres(self) -> tuple[np.ndarray, np.ndarray]:
        """(T, J) genre indices and (T, J) weights of each title's genre mix (J <= 3)."""
        width = int((self.title_genres > 0).sum(axis=1).max())
        index = np.argsort(-self.title_genres, axis=1, kind="stable")[:, :width]
        return index, np.take_along_axis(self.title_genres, index, axis=1)

    @cached_property
    def face_slot(self) -> np.ndarray:
        """(T, M) the face's actor index, with A (one past the last actor) for no face."""
        return np.where(self.artwork_face == NO_FACE, self.n_actors, self.artwork_face)

    @cached_property
    def artwork_features(self) -> np.ndarray:
        """(T, M, G + A + 1 + V + 2) float32 observation block of every artwork: theme
        one-hot, face one-hot (last = none), visual attributes, and two columns the
        simulator fills per member (times shown, shown last time)."""
        n_titles, n_art = self.artwork_exists.shape
        cols = artwork_columns(self.n_genres, self.n_actors, self.n_visual)
        out = np.zeros((n_titles, n_art, cols.width), dtype=np.float32)
        t_idx, m_idx = np.nonzero(self.artwork_exists)
        out[t_idx, m_idx, cols["theme"].start + self.artwork_theme[t_idx, m_idx]] = 1.0
        out[t_idx, m_idx, cols["face"].start + self.face_slot[t_idx, m_idx]] = 1.0
        out[t_idx, m_idx, cols["visual"]] = self.artwork_visual[t_idx, m_idx]
        return out

    @cached_property
    def visual_centred(self) -> np.ndarray:
        """(V, T, M) visual attributes minus 1/2, one contiguous block per attribute."""
        return np.moveaxis(self.artwork_visual - 0.5, 2, 0).copy()

    def dissimilarity(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """(..., M, M) how different artwork b of title `left` and a of title `right` look:
        half "different theme", half the (doubled, capped) mean visual difference."""
        theme_differs = self.artwork_theme[left][..., :, None] != \
            self.artwork_theme[right][..., None, :]
        left_visual, right_visual = self.artwork_visual[left], self.artwork_visual[right]
        # the mean over attributes, one attribute at a time: the same sum in the same order
        # as `.mean(axis=-1)`, without its (..., M, M, V) intermediate
        visual_gap = np.abs(left_visual[..., :, None, 0] - right_visual[..., None, :, 0])
        for v in range(1, left_visual.shape[-1]):
            visual_gap += np.abs(left_visual[..., :, None, v] - right_visual[..., None, :, v])
        visual_gap /= left_visual.shape[-1]
        # 0.5 theme_differs + 0.5 min(1, 2 gap), in place
        visual_gap *= 2.0
        np.minimum(visual_gap, 1.0, out=visual_gap)
        visual_gap *= 0.5
        visual_gap += 0.5 * theme_differs
        return visual_gap.astype(np.float32)

    @cached_property
    def salience_table(self) -> np.ndarray | None:
        """(T, T, M, M) every pair's `dissimilarity`, or None for catalogs too large to tabulate."""
        if self.n_titles ** 2 * self.max_artworks ** 2 > SALIENCE_TABLE_LIMIT:
            return None
        titles = np.arange(self.n_titles)
        return self.dissimilarity(titles[:, None], titles[None, :])

    @property
    def misrepresents(self) -> np.ndarray:
        """(T, M) bool: the artwork's theme is a genre the title does not have (clickbait)."""
        theme_in_title = np.take_along_axis(self.title_genres, self.artwork_theme, axis=1) > 0
        return self.artwork_exists & ~theme_in_title

    @property
    def n_artworks(self) -> np.ndarray:
        """(T,) number of real artworks per title."""
        return self.artwork_exists.sum(axis=1)


def build_world(config: ModelConfig) -> World:
    """The world a config describes: generated from `world_seed`, or the demo catalog.

    Worlds are immutable (read-only arrays) and cached by their parameters, so every env of
    one world (a `SyncVectorEnv` of thousands, say) shares one copy.
    """
    world = _cached_world(tuple(getattr(config, name) for name in WORLD_PARAMETERS))
    if config.n_slots > world.n_titles:
        raise ValueError(f"n_slots ({config.n_slots}) must not exceed the catalog's "
                         f"{world.n_titles} titles")
    return world


@lru_cache(maxsize=8)
def _cached_world(key: tuple) -> World:
    # only the world parameters matter here; the page sizes are set small to pass validation
    config = ModelConfig(**dict(zip(WORLD_PARAMETERS, key)), n_slots=1, history_length=1)
    world = _demo_world(config) if config.catalog == "demo" else _generated_world(config)
    for value in vars(world).values():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
    return world


def _generated_world(config: ModelConfig) -> World:
    rng = np.random.default_rng(config.world_seed)
    n_genres, n_actors, n_titles = config.n_genres, config.n_actors, config.n_titles
    low, high = config.artwork_range
    genre_names = tuple(GENRE_NAMES[g] if g < len(GENRE_NAMES) else f"genre-{g}"
                        for g in range(n_genres))
    actor_names = tuple(f"actor {a:02d}" for a in range(n_actors))
    actor_popularity = rng.beta(2.0, 4.0, n_actors)

    title_genres = np.zeros((n_titles, n_genres))
    title_cast = np.zeros((n_titles, n_actors), dtype=bool)
    for t in range(n_titles):
        k = min(n_genres, rng.choice([1, 2, 3], p=[0.35, 0.45, 0.2]))
        chosen = rng.choice(n_genres, size=k, replace=False)
        title_genres[t, chosen] = rng.dirichlet(np.full(k, 3.0))
        size = min(n_actors, int(rng.integers(3, 6)))
        p = actor_popularity / actor_popularity.sum()
        title_cast[t, rng.choice(n_actors, size=size, replace=False, p=p)] = True
    title_quality = rng.normal(0.0, 1.0, n_titles)
    title_popularity = sigmoid(title_quality + rng.normal(0.0, 0.7, n_titles))

    counts = rng.integers(low, high + 1, n_titles)
    exists = np.arange(high)[None, :] < counts[:, None]
    theme = np.zeros((n_titles, high), dtype=np.int64)
    face = np.full((n_titles, high), NO_FACE, dtype=np.int64)
    for t in range(n_titles):
        in_title = np.flatnonzero(title_genres[t] > 0)
        outside = np.flatnonzero(title_genres[t] == 0)
        cast = np.flatnonzero(title_cast[t])
        for m in range(counts[t]):
            if outside.size and rng.random() < config.misrepresent_prob:
                theme[t, m] = rng.choice(outside)
            else:
                theme[t, m] = rng.choice(in_title, p=title_genres[t, in_title])
            if rng.random() < config.face_prob:
                weights = actor_popularity[cast] / actor_popularity[cast].sum()
                face[t, m] = rng.choice(cast, p=weights)
    visual = rng.beta(1.5, 1.5, (n_titles, high, len(VISUAL_NAMES))) * exists[..., None]
    appeal = rng.normal(0.0, config.appeal_scale, (n_titles, high)) * exists
    names = tuple(tuple(_describe(genre_names[theme[t, m]],
                                  actor_names[face[t, m]] if face[t, m] != NO_FACE else None,
                                  visual[t, m]) for m in range(counts[t]))
                  for t in range(n_titles))
    title_names = tuple(
        f"Title {t:03d} ({'/'.join(genre_names[g] for g in np.flatnonzero(title_genres[t]))})"
        for t in range(n_titles))
    return World(genre_names, actor_names, actor_popularity, title_names, title_genres,
                 title_cast, title_quality, title_popularity, exists, theme, face, visual,
                 appeal, names)


def _demo_world(config: ModelConfig) -> World:
    genre_names = GENRE_NAMES
    genre_index = {g: i for i, g in enumerate(genre_names)}
    actors: list[str] = []
    for title in DEMO_TITLES:
        actors += [a for a in title["cast"] if a not in actors]
    actor_index = {a: i for i, a in enumerate(actors)}
    n_titles = len(DEMO_TITLES)
    max_artworks = max(config.max_artworks, max(len(t["artworks"]) for t in DEMO_TITLES))
    title_genres = np.zeros((n_titles, len(genre_names)))
    title_cast = np.zeros((n_titles, len(actors)), dtype=bool)
    exists = np.zeros((n_titles, max_artworks), dtype=bool)
    theme = np.zeros((n_titles, max_artworks), dtype=np.int64)
    face = np.full((n_titles, max_artworks), NO_FACE, dtype=np.int64)
    visual = np.zeros((n_titles, max_artworks, len(VISUAL_NAMES)))
    appeal = np.zeros((n_titles, max_artworks))
    quality = np.zeros(n_titles)
    for t, title in enumerate(DEMO_TITLES):
        for genre, weight in title["genres"].items():
            title_genres[t, genre_index[genre]] = weight
        title_cast[t, [actor_index[a] for a in title["cast"]]] = True
        quality[t] = title["quality"]
        for m, (_, art_theme, art_face, art_visual, art_appeal) in enumerate(title["artworks"]):
            exists[t, m] = True
            theme[t, m] = genre_index[art_theme]
            face[t, m] = NO_FACE if art_face is None else actor_index[art_face]
            visual[t, m] = art_visual
            appeal[t, m] = art_appeal * config.appeal_scale / 0.3
    names = tuple(tuple(a[0] for a in title["artworks"]) for title in DEMO_TITLES)
    return World(genre_names, tuple(actors), np.full(len(actors), 0.5),
                 tuple(t["name"] for t in DEMO_TITLES), title_genres, title_cast, quality,
                 sigmoid(quality), exists, theme, face, visual, appeal, names)


def _describe(theme: str, face: str | None, visual: np.ndarray) -> str:
    """A short human-readable description of a generated artwork."""
    parts = [theme, face or "no face"]
    if visual[1] > 0.7:
        parts.append("close-up")
    if visual[3] > 0.7:
        parts.append("crowded")
    if visual[4] > 0.7:
        parts.append("text-heavy")
    return f"{parts[0]}: " + ", ".join(parts[1:])
