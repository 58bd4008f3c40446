"""Logged bandit data: what a logging policy showed, with what probability, and what happened.

In memory a `LoggedData` holds one row per visit and (n, K) arrays per slot. On disk it is
Parquet with one row per (visit, slot), named after Open Bandit Pipeline's vocabulary where
it has a word for the thing:

| column | meaning | OBP name |
|---|---|---|
| `slate_id` | visit index, in logging order | `slate_id` |
| `position` | slot k, 0 = leftmost | `position` |
| `title_id` | the title the recommender put in the slot | (`item` of a slate) |
| `action` | the artwork shown | `action` |
| `pscore` | probability that the logger chose that artwork there | `pscore_item_position` |
| `pscore_cascade` | product of `pscore` over slots 0..k | `pscore_cascade` |
| `pscore_page` | product of `pscore` over the whole row | `pscore` (slate) |
| `action_mask` | which artworks existed (the allowed set), M booleans | |
| `click`, `play`, `bounce` | what the member did at the slot | `reward` components |
| `reward` | the slot's share of the visit's reward (the row sums to it) | `reward` |
| `context` | the member observation (repeated on the K rows of a visit) | `context` |
| `title_context` | the slot's `titles` observation row | |
| `artwork_seen`, `artwork_last_shown` | the two member-specific artwork features, M each | |
| `episode_start` | the visit is the member's first of an episode | |

The static artwork features (theme, face, visual attributes: OBP's `action_context`) are
the world's, rebuilt from the model configuration saved in the file's metadata, so
`observations()` returns exactly what the agents saw. Metadata (key `artwork_env`, JSON):
`schema_version`, `env_id`, `config`, `logging_policy`, `seed`, `n_visits`, `interrupted`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from artwork_env.envs.env import Observation
from artwork_env.errors import Refused, short
from artwork_env.model.config import ModelConfig
from artwork_env.model.layout import ObservationLayout
from artwork_env.model.rewards import slot_rewards
from artwork_env.model.world import World, build_world

SCHEMA_VERSION = 1
METADATA_KEY = b"artwork_env"
REQUIRED_COLUMNS = ("slate_id", "position", "title_id", "action", "pscore", "action_mask",
                    "click", "play", "bounce", "reward", "context", "title_context",
                    "artwork_seen", "artwork_last_shown", "episode_start")
INTEGER_COLUMNS = ("slate_id", "position", "title_id", "action")
BINARY_COLUMNS = ("action_mask", "click", "play", "bounce", "episode_start")
"""Booleans, or integers 0 and 1."""
REAL_COLUMNS = ("pscore", "reward", "context", "title_context", "artwork_seen",
                "artwork_last_shown")
MIN_PSCORE = 1e-9
"""The smallest propensity read: an importance weight of at most 1e9 per slot, so a page
weight over the default 6 slots stays finite (1e54); a smaller one is a logging error."""


@dataclass(frozen=True, eq=False)
class LoggedData:
    """n logged visits of K slots: contexts, logged artworks, propensities and outcomes.

    Contexts are kept compact (`member`, `titles`, `title_ids`, the two member-specific
    artwork features, the mask); `observations(start, stop)` rebuilds the agents' full
    observation for a range of visits.
    """

    config: ModelConfig
    member: np.ndarray  # (n, member features) float32
    titles: np.ndarray  # (n, K, title features) float32
    title_ids: np.ndarray  # (n, K) int64
    artwork_seen: np.ndarray  # (n, K, M) float32
    artwork_last_shown: np.ndarray  # (n, K, M) float32
    action_mask: np.ndarray  # (n, K, M) int8
    episode_start: np.ndarray  # (n,) bool
    actions: np.ndarray  # (n, K) int64
    pscore: np.ndarray  # (n, K) float64
    clicks: np.ndarray  # (n, K) bool
    plays: np.ndarray  # (n, K) bool
    bounces: np.ndarray  # (n, K) bool
    slot_reward: np.ndarray  # (n, K) float64
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        validate(self)

    @property
    def n_visits(self) -> int:
        """Number of logged visits."""
        return self.actions.shape[0]

    @property
    def n_slots(self) -> int:
        """Slots per row (K)."""
        return self.actions.shape[1]

    @property
    def n_artworks(self) -> int:
        """Candidate artworks per slot (M, the largest count)."""
        return self.action_mask.shape[2]

    @property
    def reward(self) -> np.ndarray:
        """(n,) the reward of each visit (the sum of its slots' rewards)."""
        return self.slot_reward.sum(axis=1)

    @property
    def pscore_cascade(self) -> np.ndarray:
        """(n, K) probability of the logged artworks of slots 0..k."""
        return np.cumprod(self.pscore, axis=1)

    @property
    def pscore_page(self) -> np.ndarray:
        """(n,) probability of the whole logged row."""
        return self.pscore.prod(axis=1)

    @property
    def world(self) -> World:
        """The world the data was logged in (cached per configuration)."""
        return build_world(self.config)

    @property
    def layout(self) -> ObservationLayout:
        """The observation layout of the logged contexts."""
        return ObservationLayout.of_world(self.config, self.world)

    def observations(self, start: int = 0, stop: int | None = None) -> Observation:
        """The agents' observation (with `title_ids`, `episode_start`) of visits start..stop."""
        part = slice(start, stop)
        title_ids = self.title_ids[part]
        artworks = self.world.artwork_features[title_ids]  # fancy indexing copies
        cols = self.layout.artwork
        artworks[..., cols.index("times_shown")] = self.artwork_seen[part]
        artworks[..., cols.index("shown_last")] = self.artwork_last_shown[part]
        return {"member": self.member[part], "titles": self.titles[part],
                "artworks": artworks, "action_mask": self.action_mask[part],
                "title_ids": title_ids, "episode_start": self.episode_start[part]}

    def subset(self, index: np.ndarray | slice) -> LoggedData:
        """The visits selected by `index` (same metadata)."""
        arrays = {name: getattr(self, name)[index] for name in _ARRAY_FIELDS}
        return LoggedData(config=self.config, metadata=dict(self.metadata), **arrays)


_ARRAY_FIELDS = ("member", "titles", "title_ids", "artwork_seen", "artwork_last_shown",
                 "action_mask", "episode_start", "actions", "pscore", "clicks", "plays",
                 "bounces", "slot_reward")


def concatenate(parts: list[LoggedData], metadata: dict[str, Any]) -> LoggedData:
    """Visits of several batches (same configuration) in order, with `metadata`."""
    if not parts:
        raise ValueError("no logged visits to concatenate")
    arrays = {name: np.concatenate([getattr(p, name) for p in parts]) for name in _ARRAY_FIELDS}
    return LoggedData(config=parts[0].config, metadata=metadata, **arrays)


def validate(data: LoggedData) -> None:
    """Refuse inconsistent data with a message naming the problem (`ValueError`): no
    visits, shapes that disagree with each other or with the configuration's world, title
    ids outside its catalog, propensities outside (0, 1], actions outside the mask."""
    n, k = data.actions.shape
    m = data.action_mask.shape[-1]
    if n == 0:
        raise ValueError("no logged visits (zero rows)")
    if data.action_mask.shape != (n, k, m) or data.pscore.shape != (n, k):
        raise ValueError(f"inconsistent shapes: actions {data.actions.shape}, pscore "
                         f"{data.pscore.shape}, action_mask {data.action_mask.shape}")
    shapes = data.layout.shapes()
    for name, array in (("member", data.member), ("titles", data.titles),
                        ("action_mask", data.action_mask)):
        if array.shape[1:] != shapes[name]:
            raise ValueError(f"{name} has shape {array.shape[1:]} per visit; the configuration "
                             f"in the metadata (n_slots={data.config.n_slots}, its world) "
                             f"gives {shapes[name]}")
    n_titles = data.world.n_titles
    if (data.title_ids < 0).any() or (data.title_ids >= n_titles).any():
        bad = data.title_ids[(data.title_ids < 0) | (data.title_ids >= n_titles)]
        raise ValueError(f"title_id must be in [0, {n_titles}) (the catalog of the "
                         f"configuration); {bad.size} are not (first: {int(bad[0])})")
    if not np.all(np.isfinite(data.pscore)):
        raise ValueError("pscore has missing or non-finite values")
    bad = (data.pscore < MIN_PSCORE) | (data.pscore > 1.0)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(f"pscore must be in [{MIN_PSCORE:g}, 1]: {int(bad.sum())} of {bad.size} "
                         "values are "
                         f"not (first: visit {i}, position {j}, pscore {data.pscore[i, j]!r}); "
                         f"a zero propensity means the logging policy could not have shown "
                         f"that artwork")
    if (data.actions < 0).any() or (data.actions >= m).any():
        raise ValueError(f"action must be an artwork index in [0, {m})")
    allowed = np.take_along_axis(data.action_mask, data.actions[..., None], axis=2)[..., 0]
    if not allowed.all():
        i, j = np.argwhere(allowed == 0)[0]
        raise ValueError(f"{int((allowed == 0).sum())} logged actions are not in action_mask "
                         f"(first: visit {i}, position {j}, action {data.actions[i, j]})")
    if not np.all(np.isfinite(data.slot_reward)):
        raise ValueError("reward has missing or non-finite values")
    if (data.plays & ~data.clicks).any():
        raise ValueError(f"{int((data.plays & ~data.clicks).sum())} slots have a play without a "
                         "click")
    expected = slot_rewards(data.config.reward, data.config.bounce_penalty, data.clicks,
                            data.plays)
    wrong = np.abs(data.slot_reward - expected) > 1e-9 * (1.0 + np.abs(expected))
    if wrong.any():
        i, j = np.argwhere(wrong)[0]
        raise ValueError(f"reward must be the slot's {data.config.reward} reward of its click "
                         f"and play (bounce_penalty {data.config.bounce_penalty:g}); "
                         f"{int(wrong.sum())} are not (first: visit {i}, position {j}: "
                         f"{data.slot_reward[i, j]!r}, not {expected[i, j]!r})")


# ------------------------------------------------------------------------------ Parquet
def write_parquet(data: LoggedData, path: str | Path) -> Path:
    """Write `data` to `path` atomically: a temporary file in the same folder, then a rename,
    so an interrupted write never leaves a half file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n, k = data.actions.shape

    def per_slot(values: np.ndarray, dtype: Any = None) -> np.ndarray:
        return np.asarray(values, dtype=dtype).reshape(n * k, *values.shape[2:])

    def fixed_list(values: np.ndarray) -> pa.FixedSizeListArray:
        flat = values.reshape(len(values), -1)
        return pa.FixedSizeListArray.from_arrays(pa.array(flat.ravel()), flat.shape[1])

    columns = {
        "slate_id": np.repeat(np.arange(n, dtype=np.int64), k),
        "position": np.tile(np.arange(k, dtype=np.int16), n),
        "title_id": per_slot(data.title_ids, np.int32),
        "action": per_slot(data.actions, np.int16),
        "pscore": per_slot(data.pscore),
        "pscore_cascade": per_slot(data.pscore_cascade),
        "pscore_page": np.repeat(data.pscore_page, k),
        "action_mask": fixed_list(per_slot(data.action_mask, bool)),
        "click": per_slot(data.clicks), "play": per_slot(data.plays),
        "bounce": per_slot(data.bounces), "reward": per_slot(data.slot_reward),
        "context": fixed_list(np.repeat(data.member, k, axis=0)),
        "title_context": fixed_list(per_slot(data.titles)),
        "artwork_seen": fixed_list(per_slot(data.artwork_seen)),
        "artwork_last_shown": fixed_list(per_slot(data.artwork_last_shown)),
        "episode_start": np.repeat(data.episode_start, k),
    }
    meta = {**data.metadata, "schema_version": SCHEMA_VERSION, "config": data.config.to_dict(),
            "n_visits": n}
    table = pa.table(columns).replace_schema_metadata({METADATA_KEY: json.dumps(meta)})
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read_parquet(path: str | Path) -> LoggedData:
    """Read a dataset written by `write_parquet`; refuse bad input (`Refused`: one line
    naming the file, the column or key, and the problem)."""
    import pyarrow.parquet as pq

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no dataset at {path}")
    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as error:  # (pyarrow's ArrowInvalid is a ValueError)
        raise Refused(f"{path}: not a readable Parquet file ({short(str(error), 200)})") from None
    raw = (table.schema.metadata or {}).get(METADATA_KEY)
    if raw is None:
        raise Refused(f"{path}: no '{METADATA_KEY.decode()}' metadata: not a dataset "
                         f"written by artwork_env (scripts/collect.py)")
    try:
        meta = json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise Refused(f"{path}: its '{METADATA_KEY.decode()}' metadata is not JSON "
                         f"({error})") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("config"), dict):
        raise Refused(f"{path}: its '{METADATA_KEY.decode()}' metadata has no 'config' "
                         "object (the model configuration the data was logged with)")
    if meta.get("schema_version") != SCHEMA_VERSION:
        raise Refused(f"{path}: schema version {meta.get('schema_version')!r}; this "
                         f"artwork_env reads version {SCHEMA_VERSION}")
    missing = [c for c in REQUIRED_COLUMNS if c not in table.column_names]
    if missing:
        raise Refused(f"{path}: dataset is missing columns {missing}; required: "
                         f"{list(REQUIRED_COLUMNS)}")
    if table.num_rows == 0:
        raise Refused(f"{path}: no logged visits (zero rows)")
    try:
        data = from_columns({c: _column(table, c) for c in REQUIRED_COLUMNS}, meta, str(path))
    except Refused:
        raise
    except ValueError as error:
        message = str(error)
        raise Refused(message if message.startswith(f"{path}:") else f"{path}: {message}"
                      ) from None
    if meta.get("n_visits", data.n_visits) != data.n_visits:
        raise Refused(f"{path}: the metadata says {meta['n_visits']} visits, the data "
                         f"holds {data.n_visits}")
    return data


def _column(table: Any, name: str) -> np.ndarray:
    """A column as numpy; fixed-size lists become 2-D arrays."""
    column = table.column(name).combine_chunks()
    if column.null_count:
        raise ValueError(f"column {name!r} has {column.null_count} missing values")
    if hasattr(column, "flatten") and hasattr(column.type, "list_size"):
        return column.flatten().to_numpy(zero_copy_only=False).reshape(len(column), -1)
    return column.to_numpy(zero_copy_only=False)


def from_columns(columns: dict[str, np.ndarray], meta: dict[str, Any],
                 source: str = "dataset") -> LoggedData:
    """A `LoggedData` from long-format columns (one row per visit and slot); every column's
    values checked before they are converted (integers, 0/1 flags, finite reals)."""
    for name in REQUIRED_COLUMNS:
        values = np.asarray(columns[name])
        kind = values.dtype.kind
        if name in INTEGER_COLUMNS and kind not in "iu":
            raise ValueError(f"{source}: column {name!r} must hold integers, got {values.dtype}")
        if name in BINARY_COLUMNS and (kind not in "biu" or (
                kind != "b" and values.size and not np.isin(values, (0, 1)).all())):
            raise ValueError(f"{source}: column {name!r} must hold booleans (or 0 and 1), got "
                             f"{values.dtype}" + ("" if kind not in "iu" else " values "
                                                  "outside 0/1"))
        if name in REAL_COLUMNS and (kind not in "biuf" or not np.isfinite(
                values.astype(np.float64, copy=False)).all()):
            raise ValueError(f"{source}: column {name!r} must hold finite numbers")
    try:
        config = ModelConfig.from_kwargs(**meta["config"])
    except (ValueError, TypeError) as error:
        raise ValueError(f"{source}: the configuration in its metadata is not valid: "
                         f"{error}") from None
    k = config.n_slots
    rows = len(columns["slate_id"])
    order = np.lexsort((columns["position"], columns["slate_id"]))
    columns = {name: values[order] for name, values in columns.items()}
    if rows % k or not np.array_equal(columns["position"], np.tile(np.arange(k), rows // k)):
        raise ValueError(f"{source}: every slate_id must have exactly one row per position "
                         f"0..{k - 1}")
    n = rows // k
    if np.any(columns["slate_id"].reshape(n, k) != columns["slate_id"][::k, None]):
        raise ValueError(f"{source}: the rows of a slate_id must be its {k} positions")

    def visit(name: str, dtype: Any = None) -> np.ndarray:
        values = np.asarray(columns[name], dtype=dtype)
        return values.reshape(n, k, *values.shape[1:])

    return LoggedData(
        config=config, member=visit("context", np.float32)[:, 0],
        titles=visit("title_context", np.float32), title_ids=visit("title_id", np.int64),
        artwork_seen=visit("artwork_seen", np.float32),
        artwork_last_shown=visit("artwork_last_shown", np.float32),
        action_mask=visit("action_mask", np.int8), episode_start=visit("episode_start", bool)[:, 0],
        actions=visit("action", np.int64), pscore=visit("pscore", np.float64),
        clicks=visit("click", bool), plays=visit("play", bool), bounces=visit("bounce", bool),
        slot_reward=visit("reward", np.float64), metadata=meta)
