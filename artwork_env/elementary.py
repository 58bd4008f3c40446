"""Elementary functions, compiled once and shared by the compiled core and the numpy
specification, so that the two agree bit for bit.

Only +, -, *, / and sqrt are correctly rounded everywhere; exp, log, sin, cos and pow are
not: numpy's SIMD versions and the C library's (which numba calls) can differ in the last
bit. Every such function the model needs is here, compiled by numba: the counter-based
hashes of `artwork_env.rng` (`uniforms`, `uniforms32`, `normals`), `exp`, `power` and the
float32 `sigmoid32`, each with a batched form for numpy callers.

The float32 exp of `sigmoid32` (`expf`, the model's most frequent call: 252 a page) is
written out here rather than taken from the C library, so that a loop of sigmoids compiles
to vector instructions instead of one library call per value. It is the algorithm of the
GNU C library's `expf` (from Arm's optimized-routines), with its fused multiply-adds where
glibc's x86-64 FMA build has them: on the development machine it returns the same bits as
that library for every one of the 2^32 float32 inputs (`tests/test_elementary.py`), so no
draw changed when it replaced the library call.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

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
    """`rng.uniform32`: float32 in (0, 1), two per hash (the pairs in a loop without a
    branch, which vectorises, then an odd last one)."""
    n = out.shape[0]
    pairs = n // 2
    for j in range(pairs):
        h = _hash(base, j)
        out[2 * j] = (np.float32(h >> _S40) + _HALF32) * _SCALE24
        out[2 * j + 1] = (np.float32((h >> _S8) & _LOW24) + _HALF32) * _SCALE24
    if n % 2:
        out[n - 1] = (np.float32(_hash(base, pairs) >> _S40) + _HALF32) * _SCALE24


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


@intrinsic
def fma(typingctx: object, a: types.Type, b: types.Type, c: types.Type) -> tuple:
    """a * b + c in float64 with one rounding (LLVM's `llvm.fma`: an FMA instruction where
    the CPU has one)."""
    signature = types.float64(types.float64, types.float64, types.float64)

    def codegen(context: object, builder: ir.IRBuilder, sig: object, args: list) -> object:
        double = ir.DoubleType()
        function = builder.module.declare_intrinsic(
            "llvm.fma", [double], ir.FunctionType(double, [double, double, double]))
        return builder.call(function, args)

    return signature, codegen


def _exp2_table(bits: int) -> np.ndarray:
    """EXP2F_TABLE[i] = the bits of 2^(i / 2^bits) (correctly rounded to float64) less
    i << (52 - bits), so that adding k << (52 - bits) for an integer k gives 2^(k / 2^bits)."""
    size = 1 << bits
    with localcontext() as context:
        context.prec = 60
        powers = [float(Decimal(2) ** (Decimal(i) / size)) for i in range(size)]
    return np.array([int(np.float64(v).view(np.uint64)) - (i << (52 - bits))
                     for i, v in enumerate(powers)], dtype=np.uint64)


EXP2F_TABLE = _exp2_table(5)
_EXPF_N = 32.0
_INV_LN2_N = float.fromhex("0x1.71547652b82fep+0") * _EXPF_N  # N / ln 2
_EXPF_SHIFT = float.fromhex("0x1.8p+52")  # adding it rounds to an integer
_EXPF_C0 = float.fromhex("0x1.c6af84b912394p-5") / _EXPF_N ** 3  # 2^(r/N) ~ 1 + C2 r + ...
_EXPF_C1 = float.fromhex("0x1.ebfce50fac4f3p-3") / _EXPF_N ** 2
_EXPF_C2 = float.fromhex("0x1.62e42ff0c52d6p-1") / _EXPF_N
_EXPF_OVERFLOW = np.float32(float.fromhex("0x1.62e42ep6"))  # above: inf
_EXPF_UNDERFLOW = np.float32(-float.fromhex("0x1.9fe368p6"))  # below: 0
_INDEX_MASK, _TABLE_SHIFT = np.uint64(31), np.uint64(47)


@njit(cache=True, inline="always")
def expf(x: np.float32) -> np.float32:
    """exp in float32, computed in float64: x N / ln 2 = k + r with k an integer and
    |r| <= 1/2 (N = 32), exp(x) = 2^(k/N) 2^(r/N), 2^(k/N) from `EXP2F_TABLE` and the
    exponent bits, 2^(r/N) ~ 1 + C2 r + C1 r^2 + C0 r^3; inf above 88.72, 0 below -103.97,
    NaN for NaN. No branch on the main path, so loops of it vectorise."""
    xd = np.float64(x)
    shifted = fma(_INV_LN2_N, xd, _EXPF_SHIFT)
    k = np.float64(shifted).view(np.uint64)  # k in the low bits
    kd = shifted - _EXPF_SHIFT
    r = fma(_INV_LN2_N, xd, -kd)
    scale = np.uint64(EXP2F_TABLE[k & _INDEX_MASK] + (k << _TABLE_SHIFT)).view(np.float64)
    y = fma(fma(_EXPF_C0, r, _EXPF_C1), r * r, fma(_EXPF_C2, r, 1.0))
    result = np.float32(y * scale)
    if x > _EXPF_OVERFLOW:
        result = np.float32(np.inf)
    if x < _EXPF_UNDERFLOW:
        result = np.float32(0.0)
    if x != x:
        result = x + x
    return result


@njit(cache=True, inline="always")
def sigmoid32(x: np.float32) -> np.float32:
    """The logistic function in float32: 1 / (1 + exp(-x)) (`expf`)."""
    return np.float32(1.0) / (np.float32(1.0) + expf(-x))


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
