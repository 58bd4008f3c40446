"""Counter-based random numbers, vectorised over members.

Each member carries a 64-bit key; every random number it needs is a hash of
(key, visit counter, stream, index). Member i's numbers therefore do not depend on how
many other members share the batch, so a single env, `SyncVectorEnv` and the native
vector env give bit-identical trajectories for the same seeds. The hash is SplitMix64's
finaliser (Steele et al., 2014), applied twice; numpy's uint64 arithmetic wraps, which is
what the hash wants.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from gymnasium.utils import seeding

from artwork_env.model.elementary import (  # the hash's constants and finaliser, defined once
    _COUNTER,
    _GOLDEN,
    _LOW24,
    _S8,
    _S11,
    _S40,
    _STREAM,
    first_hashes,
    normal_batch,
    splitmix64,
)

# Stream tags: one per kind of draw, so adding a draw never shifts another.
MEMBER, HISTORY, ROW, CASCADE, CHURN, EPISODE, ROLLOUT = 1, 2, 3, 4, 5, 6, 7


def _hashes(keys: np.ndarray, counter: np.ndarray, stream: int, n: int) -> np.ndarray:
    """(N, n) uint64 hashes of (key, counter, stream, 0..n-1)."""
    base = keys ^ (counter * _COUNTER) ^ np.uint64((stream * int(_STREAM)) % 2**64)
    splitmix64(base)
    x = base[:, None] + np.arange(1, n + 1, dtype=np.uint64) * _GOLDEN
    return splitmix64(x)


def uniform(keys: np.ndarray, counter: np.ndarray, stream: int, n: int) -> np.ndarray:
    """(N, n) float64 uniforms in [0, 1) with 53 random bits each."""
    return (_hashes(keys, counter, stream, n) >> _S11).astype(np.float64) * 2.0**-53


def uniform32(keys: np.ndarray, counter: np.ndarray, stream: int, n: int) -> np.ndarray:
    """(N, n) float32 uniforms in (0, 1) with 24 random bits each, two per hash (cheap noise)."""
    h = _hashes(keys, counter, stream, (n + 1) // 2)
    out = np.empty((len(keys), 2 * h.shape[1]), dtype=np.float32)
    out[:, 0::2] = (h >> _S40).astype(np.float32)
    out[:, 1::2] = ((h >> _S8) & _LOW24).astype(np.float32)
    out += 0.5
    out *= np.float32(2.0**-24)
    return out[:, :n]


def normal(keys: np.ndarray, counter: np.ndarray, stream: int, n: int) -> np.ndarray:
    """(N, n) standard normals (float32 precision) by the Box-Muller transform on
    `uniform32`: sqrt(-2 log u_j) (cos, sin)(2 pi u_{half + j}). Computed by the compiled
    `elementary.normals`, the one implementation of its log, cos and sin."""
    keys = np.ascontiguousarray(keys, dtype=np.uint64)
    counter = np.ascontiguousarray(np.broadcast_to(counter, keys.shape), dtype=np.uint64)
    return normal_batch(keys, counter, stream, n)


def rollout_keys(keys: np.ndarray, counter: np.ndarray, n: int) -> np.ndarray:
    """(N, n) uint64 keys of n imagined futures of each member from visit `counter` on (the
    planner's rollouts): a stream of their own, so no rollout replays the member's draws."""
    keys = np.ascontiguousarray(keys, dtype=np.uint64)
    counter = np.ascontiguousarray(np.broadcast_to(counter, keys.shape), dtype=np.uint64)
    return _hashes(keys, counter, ROLLOUT, n)


def derive_keys(keys: np.ndarray, counter: np.ndarray) -> np.ndarray:
    """New (N,) uint64 keys from parent keys and a counter (one member episode from a stream):
    the first hash of (key, counter, EPISODE), computed by the compiled `elementary.hashes`
    (integer arithmetic: the same bits as `_hashes(keys, counter, EPISODE, 1)[:, 0]`)."""
    keys = np.ascontiguousarray(keys, dtype=np.uint64)
    if np.shape(counter) != keys.shape:  # (broadcasting costs more than the hash at N = 1)
        counter = np.broadcast_to(counter, keys.shape)
    counter = np.ascontiguousarray(counter, dtype=np.uint64)
    return first_hashes(keys, counter, EPISODE)


# ------------------------------------------------------------------ member keys, in one place
def stream_key(gen: np.random.Generator) -> np.uint64:
    """The key of a member stream, drawn from a seeded generator (`reset(seed=s)` draws it
    from `np_random` seeded with s; episode e of the stream is `derive_keys(key, e)`)."""
    return np.uint64(gen.integers(0, 2**63, size=1)[0])


def stream_keys(seeds: list[int | None]) -> np.ndarray:
    """(N,) stream keys, each drawn exactly as `ArtworkEnv.reset(seed=s)` draws its own
    (seeded lists are remembered: an evaluation resets with the same seeds every time)."""
    if any(s is None for s in seeds):
        return np.array([stream_key(seeding.np_random(s)[0]) for s in seeds], dtype=np.uint64)
    return _seeded_stream_keys(tuple(int(s) for s in seeds)).copy()


@lru_cache(maxsize=16)
def _seeded_stream_keys(seeds: tuple[int, ...]) -> np.ndarray:
    return np.array([stream_key(seeding.np_random(s)[0]) for s in seeds], dtype=np.uint64)


def numbered_keys(seed: int, first: int, n: int) -> np.ndarray:
    """(n,) keys of members `first`..`first + n - 1` of the numbered stream of `seed` (the
    fresh members of reference computations, independent of any env's streams)."""
    return derive_keys(np.full(n, seed, dtype=np.uint64),
                       np.arange(first, first + n, dtype=np.uint64))


def spawn_seeds(seed: int, n: int, bits: int = 32) -> list[int]:
    """`n` member-stream seeds for one seed, well apart from other seeds' (NumPy's
    `SeedSequence`): reset a vector env with them for streams no other seed shares.

    `bits=64` for training runs (two runs' members coincide with probability about
    (runs x n)^2 / 2^65); the 32-bit form draws the published offline-evaluation logs."""
    dtype = {32: np.uint32, 64: np.uint64}[bits]
    return [int(s) for s in np.random.SeedSequence(seed).generate_state(n, dtype=dtype)]
