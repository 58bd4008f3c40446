"""The feature map of the contextual agents: one vector per candidate (member, slot, artwork).

Built only from the observation (what Netflix sees), for every candidate at once:

- 1: bias;
- K: slot position one-hot (absorbs the cascade's position decay);
- 2: title relevance (the member's history share in the title's genres, x G), popularity;
- 3: member history x artwork theme: the history share of the theme (x G), that share
  minus the title relevance (the theme's pull beyond the title), theme outside the
  title's genres (clickbait);
- 2: clickbait x history share of the promised theme, clickbait x theme pull;
- 2: cast exposure x face (the member's exposure to the face's actor, x 10), face shown;
- 3 V: device (tv, phone, desktop) x visual attributes (centred);
- 4: familiarity (title in history or clicked before), and familiarity x theme pull,
  x face exposure, x clickbait (the familiarity gate);
- 5: fatigue and change: times this artwork was shown, shown last time, title shown
  before with another artwork, that x familiarity, times the title was shown;
- 2: member engagement: empty-visit streak, bounces last visit.

With the defaults (K = 6, V = 5) that is 42 features.
"""

from __future__ import annotations

import numpy as np

from artwork_env.agents.base import Observation, ProblemSpec

# scales that bring history shares (~1/G) and exposures (~1/H) to order one
HISTORY_SCALE = 12.0
EXPOSURE_SCALE = 10.0


def n_features(spec: ProblemSpec) -> int:
    """Length of the feature vector for a problem."""
    return 1 + spec.n_slots + 2 + 3 + 2 + 2 + spec.n_devices * spec.n_visual + 4 + 5 + 2


def candidate_features(spec: ProblemSpec, obs: Observation) -> np.ndarray:
    """(N, K, M, d) float64 features of every candidate artwork in every slot."""
    k, lay = spec.n_slots, spec.layout
    member, titles, artworks = obs["member"], obs["titles"], obs["artworks"]
    n, _, m, _ = artworks.shape
    genre_hist = member[:, lay.member["genre_history"]].astype(np.float64)
    cast_exposure = member[:, lay.member["cast_exposure"]]
    device = member[:, lay.member["device"]]
    empty_streak = member[:, lay.member.index("empty_streak")]
    last_bounces = member[:, lay.member.index("last_bounces")]
    title_genres = titles[..., lay.title["genres"]]
    popularity, in_history, clicked, title_shown = (
        titles[..., lay.title.index(name)]
        for name in ("popularity", "in_history", "clicked_before", "times_shown"))
    theme = artworks[..., lay.artwork["theme"]]
    face = artworks[..., lay.artwork["face"]]  # last column: no face
    visual = artworks[..., lay.artwork["visual"]]
    seen = artworks[..., lay.artwork.index("times_shown")]
    last = artworks[..., lay.artwork.index("shown_last")]
    a, v = spec.n_actors, spec.n_visual

    relevance = HISTORY_SCALE * np.einsum("ng,nkg->nk", genre_hist, title_genres)[..., None]
    theme_share = HISTORY_SCALE * np.einsum("ng,nkmg->nkm", genre_hist, theme)
    pull = theme_share - relevance
    outside = 1.0 - np.einsum("nkmg,nkg->nkm", theme, (title_genres > 0).astype(np.float64))
    face_exposure = EXPOSURE_SCALE * np.einsum("na,nkma->nkm", cast_exposure, face[..., :a])
    has_face = 1.0 - face[..., a]
    device_visual = (device[:, None, None, :, None] * (visual[..., None, :] - 0.5)).reshape(
        n, k, m, spec.n_devices * v)
    familiar = np.maximum(in_history, clicked)[..., None] * np.ones((1, 1, m))
    changed = (title_shown[..., None] > 0) * (1.0 - last)

    def per_candidate(x: np.ndarray) -> np.ndarray:
        return np.broadcast_to(x, (n, k, m))

    columns = [
        np.ones((n, k, m)),
        *[per_candidate((np.arange(k) == slot)[None, :, None]) for slot in range(k)],
        per_candidate(relevance), per_candidate(popularity[..., None]),
        theme_share, pull, outside,
        outside * theme_share, outside * pull,
        face_exposure, has_face,
        *np.moveaxis(device_visual, -1, 0),
        familiar, familiar * pull, familiar * face_exposure, familiar * outside,
        seen, last, changed, changed * familiar, per_candidate(title_shown[..., None]),
        per_candidate(empty_streak[:, None, None]), per_candidate(last_bounces[:, None, None]),
    ]
    return np.stack(columns, axis=-1)
