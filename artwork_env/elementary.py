"""Elementary functions, compiled once and shared by the compiled core and the numpy
specification, so that the two agree bit for bit.

Only +, -, *, / and sqrt are correctly rounded everywhere; exp, log, sin, cos and pow are
not: numpy's SIMD versions and the C library's (which numba calls) can differ in the last
bit. Every such function the model needs is here, compiled by numba: the counter-based
hashes of `artwork_env.rng` (`uniforms`, `uniforms32`, `normals`), `exp`, `power` and the
float32 `sigmoid32`, each with a batched form for numpy callers.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_COUNTER = np.uint64(0xD6E8FEB86659FD93)
_STREAM = np.uint64(0xA0761D6478BD642F)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_S11, _S40, _S8 = np.uint64(11), np.uint64(40), np.uint64(8)
_LOW24 = np.uint64(0xFFFFFF)


def splitmix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser (Steele et al., 2014), in place on a uint64 array (numpy) or
    on a uint64 scalar (compiled, `_mix`)."""
    z ^= z >> _S30
    z *= _MIX1
    z ^= z >> _S27
    z *= _MIX2
    z ^= z >> _S31
    return z


ONE = np.uint64(1)
_STREAM_TAGS = np.array([(s * int(_STREAM)) % 2**64 for s in range(128)], dtype=np.uint64)
_TWO_PI32 = np.float32(2.0 * np.pi)
_HALF32, _SCALE24 = np.float32(0.5), np.float32(2.0**-24)


_mix = njit(cache=True, inline="always")(splitmix64)


@njit(cache=True, inline="always")
def base(key: np.uint64, counter: np.uint64, stream: int) -> np.uint64:
    """The mixed (key, counter, stream) every draw of a stream starts from."""
    return _mix(key ^ (counter * _COUNTER) ^ _STREAM_TAGS[stream])


@njit(cache=True, inline="always")
def _hash(base: np.uint64, i: int) -> np.uint64:
    """The hash of draw i of a (key, counter, stream): `rng._hashes` column i."""
    return _mix(base + np.uint64(i + 1) * _GOLDEN)


@njit(cache=True)
def uniforms(base: np.uint64, out: np.ndarray) -> None:
    """`rng.uniform`: float64 in [0, 1) with 53 random bits."""
    for i in range(out.shape[0]):
        out[i] = np.float64(_hash(base, i) >> _S11) * 2.0**-53


@njit(cache=True)
def uniforms32(base: np.uint64, out: np.ndarray) -> None:
    """`rng.uniform32`: float32 in (0, 1), two per hash."""
    for j in range((out.shape[0] + 1) // 2):
        h = _hash(base, j)
        out[2 * j] = (np.float32(h >> _S40) + _HALF32) * _SCALE24
        if 2 * j + 1 < out.shape[0]:
            out[2 * j + 1] = (np.float32((h >> _S8) & _LOW24) + _HALF32) * _SCALE24


@njit(cache=True)
def normals(base: np.uint64, n: int, scratch: np.ndarray, out: np.ndarray) -> None:
    """`rng.normal`: Box-Muller in float32 on `uniforms32`; scratch holds 2 ceil(n/2)."""
    half = (n + 1) // 2
    uniforms32(base, scratch[:2 * half])
    for j in range(half):
        radius = np.sqrt(np.float32(-2.0) * np.log(scratch[j]))
        angle = _TWO_PI32 * scratch[half + j]
        out[j] = np.float64(radius * np.cos(angle))
        if half + j < n:
            out[half + j] = np.float64(radius * np.sin(angle))


@njit(cache=True, inline="always")
def sigmoid32(x: np.float32) -> np.float32:
    """The logistic function in float32: 1 / (1 + exp(-x))."""
    return np.float32(1.0) / (np.float32(1.0) + np.exp(-x))


@njit(cache=True, inline="always")
def exp(x: float) -> float:
    """exp in float64."""
    return np.exp(x)


@njit(cache=True, inline="always")
def power(x: float, y: float) -> float:
    """x ** y in float64."""
    return x ** y


# ------------------------------------------------------------------ batched, for numpy callers
@njit(cache=True)
def normal_batch(keys: np.ndarray, counter: np.ndarray, stream: int, n: int) -> np.ndarray:
    """(N, n) standard normals (`rng.normal`)."""
    out = np.empty((keys.shape[0], n))
    scratch = np.empty(n + 1, dtype=np.float32)
    for i in range(keys.shape[0]):
        normals(base(keys[i], counter[i], stream), n, scratch, out[i])
    return out


@njit(cache=True)
def first_hashes(keys: np.ndarray, counter: np.ndarray, stream: int) -> np.ndarray:
    """(N,) the first hash of each (key, counter, stream) (`rng.derive_keys`)."""
    out = np.empty(keys.shape[0], dtype=np.uint64)
    for i in range(keys.shape[0]):
        out[i] = _hash(base(keys[i], counter[i], stream), 0)
    return out


@njit(cache=True)
def sigmoid32_batch(x: np.ndarray) -> np.ndarray:
    """`sigmoid32` of every entry of a float32 array, in place; returns it."""
    flat = x.reshape(-1)
    for j in range(flat.shape[0]):
        flat[j] = sigmoid32(flat[j])
    return x


@njit(cache=True)
def exp_batch(x: np.ndarray) -> np.ndarray:
    """`exp` of every entry of a float64 array (a new array)."""
    out = np.empty_like(x)
    flat, src = out.reshape(-1), x.reshape(-1)
    for j in range(flat.shape[0]):
        flat[j] = exp(src[j])
    return out


@njit(cache=True)
def power_batch(x: float, y: np.ndarray) -> np.ndarray:
    """`power(x, y)` for every entry of y."""
    out = np.empty(y.shape[0])
    for j in range(y.shape[0]):
        out[j] = power(x, np.float64(y[j]))
    return out
