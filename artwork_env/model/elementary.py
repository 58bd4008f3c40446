"""Elementary functions, compiled once and shared by the compiled core and the numpy
specification, so that the two agree bit for bit.

Only +, -, *, / and sqrt are correctly rounded everywhere; exp, log, sin, cos and pow are
not: numpy's SIMD versions and the C library's (which numba calls) can differ in the last
bit. Every such function the model needs is here, compiled by numba: the counter-based
hashes of `artwork_env.model.rng` (`uniforms`, `uniforms32`, `normals`), `exp`, `power` and the
float32 `sigmoid32`, each with a batched form for numpy callers.

The float32 exp of `sigmoid32` (`expf`: a page's 216 click and 36 play probabilities) and
the log, sin and cos of the Box-Muller transform (`logf`, `sincosf`: 17 of each a member
draw) are written out here rather than taken from the C library, so that a loop of them
compiles to vector instructions instead of one library call per value. Each is the
algorithm of the GNU C library's function (from Arm's optimized-routines), with its fused
multiply-adds where glibc's x86-64 FMA build has them: on the development machine each
returns the same bits as that library for every float32 input of its domain
(`tests/test_elementary.py`), so no draw changed when they replaced the library calls.
They also make those bits the same on every platform, whatever its C library.
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
    """`rng.normal`: Box-Muller in float32 on `uniforms32`; scratch holds 2 ceil(n/2). The
    pairs run in a loop without a branch (`logf`, `sincosf`), which vectorises; an odd n
    ends with one more cosine."""
    half = (n + 1) // 2
    uniforms32(base, scratch[:2 * half])
    for j in range(n - half):
        radius = np.sqrt(np.float32(-2.0) * logf(scratch[j]))
        sine, cosine = sincosf(_TWO_PI32 * scratch[half + j])
        out[j] = np.float64(radius * cosine)
        out[half + j] = np.float64(radius * sine)
    if n % 2:
        radius = np.sqrt(np.float32(-2.0) * logf(scratch[half - 1]))
        out[half - 1] = np.float64(radius * sincosf(_TWO_PI32 * scratch[n])[1])


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


def _hex(values: str) -> np.ndarray:
    """float64 array of C hexadecimal float literals."""
    return np.array([float.fromhex(v) for v in values.split()])


# logf: 1/c and log(c) near the centre of each of 16 subintervals of [0.699, 1.398), ln 2,
# and the polynomial of log1p(r) less r (glibc's e_logf_data.c)
_LOGF_INVC = _hex("""0x1.661ec79f8f3bep+0 0x1.571ed4aaf883dp+0 0x1.49539f0f010bp+0
    0x1.3c995b0b80385p+0 0x1.30d190c8864a5p+0 0x1.25e227b0b8eap+0 0x1.1bb4a4a1a343fp+0
    0x1.12358f08ae5bap+0 0x1.0953f419900a7p+0 0x1p+0 0x1.e608cfd9a47acp-1 0x1.ca4b31f026aap-1
    0x1.b2036576afce6p-1 0x1.9c2d163a1aa2dp-1 0x1.886e6037841edp-1 0x1.767dcf5534862p-1""")
_LOGF_LOGC = _hex("""-0x1.57bf7808caadep-2 -0x1.2bef0a7c06ddbp-2 -0x1.01eae7f513a67p-2
    -0x1.b31d8a68224e9p-3 -0x1.6574f0ac07758p-3 -0x1.1aa2bc79c81p-3 -0x1.a4e76ce8c0e5ep-4
    -0x1.1973c5a611cccp-4 -0x1.252f438e10c1ep-5 0x0p+0 0x1.aa5aa5df25984p-5
    0x1.c5e53aa362eb4p-4 0x1.526e57720db08p-3 0x1.bc2860d22477p-3 0x1.1058bc8a07ee1p-2
    0x1.4043057b6ee09p-2""")
_LN2 = float.fromhex("0x1.62e42fefa39efp-1")
_LOGF_A0, _LOGF_A1, _LOGF_A2 = _hex("-0x1.00ea348b88334p-2 0x1.5575b0be00b6ap-2 "
                                    "-0x1.ffffef20a4123p-2")
_LOGF_OFF, _LOGF_EXPONENT = np.uint32(0x3f330000), np.uint32(0xff800000)
_S19, _LOW4 = np.uint32(19), np.uint32(15)


@njit(cache=True, inline="always")
def logf(x: np.float32) -> np.float32:
    """log in float32 of a positive normal x (the uniforms `normals` gives it; other inputs
    are outside its domain): x = 2^k z with z in [0.699, 1.398), c near z from a table of
    16, log x = k ln 2 + log c + log1p(z/c - 1), the last a cubic. glibc's
    `logf`, fused multiply-adds included: the C library's bits for every positive normal
    float32 on the development machine."""
    ix = np.float32(x).view(np.uint32)
    tmp = ix - _LOGF_OFF
    i = (tmp >> _S19) & _LOW4
    k = np.float64(np.int32(tmp) >> 23)
    z = np.float64(np.uint32(ix - (tmp & _LOGF_EXPONENT)).view(np.float32))
    r = fma(z, _LOGF_INVC[i], -1.0)
    y0 = fma(k, _LN2, _LOGF_LOGC[i])
    r2 = r * r
    y = fma(_LOGF_A0, r2, fma(_LOGF_A1, r, _LOGF_A2))
    return np.float32(fma(y, r2, y0 + r))


# sincosf: 2/pi x 2^24, pi/2, and the polynomials of cos and sin on [-pi/4, pi/4]
# (glibc's s_sincosf_data.c, first entry)
_HPI_INV, _HPI = _hex("0x1.45F306DC9C883p+23 0x1.921FB54442D18p0")
_COS0, _COS1, _COS2, _COS3, _COS4 = _hex("0x1p0 -0x1.ffffffd0c621cp-2 0x1.55553e1068f19p-5 "
                                          "-0x1.6c087e89a359dp-10 0x1.99343027bf8c3p-16")
_SIN1, _SIN2, _SIN3 = _hex("-0x1.555545995a603p-3 0x1.1107605230bc4p-7 -0x1.994eb3774cf24p-13")
_S20, _TOP_MASK = np.uint32(20), np.uint32(0x7ff)
_PIO4_TOP = np.float32(float.fromhex("0x1.921FB6p-1")).view(np.uint32) >> _S20
_TINY_TOP = np.float32(2.0**-12).view(np.uint32) >> _S20


@njit(cache=True, inline="always")
def sincosf(y: np.float32) -> tuple[np.float32, np.float32]:
    """(sin y, cos y) in float32 for |y| < 120 (the Box-Muller angles are in [0, 2 pi)):
    from |y| about pi/4 on, y less n pi/2 (n the quadrant), a polynomial of each on
    [-pi/4, pi/4], the quadrant's signs and swap; below 2^-12, (y, 1). glibc's `sincosf`
    with its fused multiply-adds, written without branches: the C library's bits for every
    |y| < 120 on the development machine."""
    top = (np.float32(y).view(np.uint32) >> _S20) & _TOP_MASK
    x = np.float64(y)
    n = np.int32(0)
    if top >= _PIO4_TOP:
        n = (np.int32(x * _HPI_INV) + np.int32(0x800000)) >> 24
        x = fma(-np.float64(n), _HPI, x)
    x2 = x * x
    x3 = x2 * x
    x4 = x2 * x2
    sine = fma(x3 * x2, fma(x2, _SIN3, _SIN2), fma(x3, _SIN1, x))
    cosine = fma(x4 * x2, fma(x2, _COS4, _COS3), fma(x4, _COS2, fma(x2, _COS1, _COS0)))
    quadrant = n & 3
    if quadrant == 1 or quadrant == 2:
        sine = -sine
    if quadrant >= 2:
        cosine = -cosine
    if quadrant & 1:
        sine, cosine = cosine, sine
    if top < _TINY_TOP:
        return y, np.float32(1.0)
    return np.float32(sine), np.float32(cosine)


@njit(cache=True)
def library_normals(base: np.uint64, n: int, scratch: np.ndarray, out: np.ndarray) -> None:
    """`normals` with the C library's log, cos and sin, one value at a time (how it was
    computed before `logf` and `sincosf`): the reference the tests and
    `benchmarks/env_throughput.py` compare it with."""
    half = (n + 1) // 2
    uniforms32(base, scratch[:2 * half])
    for j in range(half):
        radius = np.sqrt(np.float32(-2.0) * np.log(scratch[j]))
        angle = _TWO_PI32 * scratch[half + j]
        out[j] = np.float64(radius * np.cos(angle))
        if half + j < n:
            out[half + j] = np.float64(radius * np.sin(angle))


@njit(cache=True)
def library_sigmoid32(x: np.ndarray) -> None:
    """`sigmoid32` with the C library's exp, in place over a 1-d float32 array (the
    reference of `kernels._sigmoid_in_place`)."""
    for j in range(x.shape[0]):
        x[j] = np.float32(1.0) / (np.float32(1.0) + np.exp(-x[j]))


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
