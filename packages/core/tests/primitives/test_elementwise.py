"""Elementwise primitives and their kiln.lax wrappers: values against NumPy (eagerly and under
jit), XLA's integer semantics, dtype and shape rules, weak types, and printed jaxprs, all
checked against what JAX 0.10.2 does (recorded here as literals)."""

from __future__ import annotations

import importlib.util
import inspect
import pathlib

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kiln
from kiln import lax
from kiln.core.config import enable_x64
from kiln.core.primitives import elementwise as ew
from kiln.core.testing import check_primitive

BF16 = np.dtype(ml_dtypes.bfloat16)
F16, F32, F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
C64, C128 = np.dtype(np.complex64), np.dtype(np.complex128)
I8, I32, U8, U32 = (np.dtype(t) for t in (np.int8, np.int32, np.uint8, np.uint32))
BOOL = np.dtype(np.bool_)
SHAPES = [(), (0,), (5,), (2, 3)]


@pytest.fixture(autouse=True, scope="module")
def numpy_backend():
    """These are kiln-core's tests: run on its NumPy reference backend, whatever other
    backends are installed."""
    previous = kiln.config.jax_platforms
    kiln.config.update("jax_platforms", "numpy")
    yield
    kiln.config.update("jax_platforms", previous)
RTOL = {BF16: 8e-3, F16: 2e-3, F32: 2e-6, F64: 1e-14, C64: 2e-6, C128: 1e-14}


def run(fn, *args, jit=False):
    """``fn(*args)`` eagerly or under kiln.jit, as a NumPy array."""
    out = kiln.jit(fn)(*args) if jit else fn(*args)
    return np.asarray(out)


def as_wide(x: np.ndarray) -> np.ndarray:
    """``x`` in float64/complex128, where NumPy references are computed."""
    return x.astype(C128 if x.dtype.kind == "c" else F64)


def assert_close(got: np.ndarray, want: np.ndarray, dtype: np.dtype, rtol: float | None = None):
    assert got.dtype == dtype, (got.dtype, dtype)
    rtol = RTOL[dtype] if rtol is None else rtol
    np.testing.assert_allclose(as_wide(got), want, rtol=rtol, atol=rtol, equal_nan=True)


def sample(dtype: np.dtype, shape: tuple[int, ...], lo: float, hi: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    if dtype.kind == "c":
        return (rng.uniform(lo, hi, shape) + 1j * rng.uniform(lo, hi, shape)).astype(dtype)
    if dtype == BOOL:
        return rng.integers(0, 2, shape).astype(bool)
    if dtype.kind in "iu":
        return rng.integers(lo, hi, shape).astype(dtype)
    return rng.uniform(lo, hi, shape).astype(dtype)


# -- the printed forms -------------------------------------------------------------------------


def test_reference_jaxpr():
    x = np.ones(3, np.float32)
    jaxpr = kiln.make_jaxpr(lambda x, y: lax.add(lax.mul(2.0, lax.integer_pow(x, 2)), y))(x, x)
    assert str(jaxpr) == (
        "{ lambda ; a:f32[3] b:f32[3]. let\n"
        "    c:f32[3] = integer_pow[y=2] a\n"
        "    d:f32[3] = mul 2.0:f32[] c\n"
        "    e:f32[3] = add d b\n"
        "  in (e,) }"
    )


_f32 = np.ones(3, np.float32)
_i32 = np.ones(3, np.int32)
_b = np.ones(3, bool)

# (function, args, what jax.make_jaxpr prints)
JAXPRS = [
    (lax.sin, (_f32,), "{ lambda ; a:f32[3]. let b:f32[3] = sin a in (b,) }"),
    (lax.exp2, (_f32,), "{ lambda ; a:f32[3]. let b:f32[3] = exp2 a in (b,) }"),
    (lax.round, (_f32,),
     "{ lambda ; a:f32[3]. let b:f32[3] = round[rounding_method=0] a in (b,) }"),
    (lambda x: lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN), (_f32,),
     "{ lambda ; a:f32[3]. let b:f32[3] = round[rounding_method=1] a in (b,) }"),
    (lax.is_finite, (_f32,), "{ lambda ; a:f32[3]. let b:bool[3] = is_finite a in (b,) }"),
    (lax.reciprocal, (_f32,),
     "{ lambda ; a:f32[3]. let b:f32[3] = integer_pow[y=-1] a in (b,) }"),
    (lax.conj, (_f32,),
     "{ lambda ; a:f32[3]. let b:c64[3] = conj[input_dtype=float32] a in (b,) }"),
    (lax.stop_gradient, (_f32,),
     "{ lambda ; a:f32[3]. let b:f32[3] = stop_gradient a in (b,) }"),
    (lax.copy_p.bind, (_f32,), "{ lambda ; a:f32[3]. let b:f32[3] = copy a in (b,) }"),
    (lax.nextafter, (_f32, _f32),
     "{ lambda ; a:f32[3] b:f32[3]. let c:f32[3] = nextafter a b in (c,) }"),
    (lax.complex, (_f32, _f32),
     "{ lambda ; a:f32[3] b:f32[3]. let c:c64[3] = complex a b in (c,) }"),
    (lax.ge, (_f32, _f32), "{ lambda ; a:f32[3] b:f32[3]. let c:bool[3] = ge a b in (c,) }"),
    (lax.bitwise_and, (_i32, _i32),
     "{ lambda ; a:i32[3] b:i32[3]. let c:i32[3] = and a b in (c,) }"),
    (lax.bitwise_not, (_i32,), "{ lambda ; a:i32[3]. let b:i32[3] = not a in (b,) }"),
    (lax.shift_right_arithmetic, (_i32, _i32),
     "{ lambda ; a:i32[3] b:i32[3]. let\n    c:i32[3] = shift_right_arithmetic a b\n  in (c,) }"),
    (lax.mulhi, (_i32, _i32), "{ lambda ; a:i32[3] b:i32[3]. let c:i32[3] = mulhi a b in (c,) }"),
    (lax.pow, (_f32, _i32), "{ lambda ; a:f32[3] b:i32[3]. let c:f32[3] = pow a b in (c,) }"),
    (lax.betainc, (_f32, _f32, _f32),
     "{ lambda ; a:f32[3] b:f32[3] c:f32[3]. let\n"
     "    d:f32[3] = regularized_incomplete_beta a b c\n  in (d,) }"),
    (lax.select, (_b, _f32, _f32),
     "{ lambda ; a:bool[3] b:f32[3] c:f32[3]. let d:f32[3] = select_n a c b in (d,) }"),
    (lax.select_n, (_i32, _f32, _f32, _f32),
     "{ lambda ; a:i32[3] b:f32[3] c:f32[3] d:f32[3]. let\n"
     "    e:f32[3] = select_n a b c d\n  in (e,) }"),
    (lax.clamp, (np.float32(0), _f32, np.float32(1)),
     "{ lambda ; a:f32[] b:f32[3] c:f32[]. let d:f32[3] = clamp a b c in (d,) }"),
    (lambda x: lax.convert_element_type(x, np.int32), (_f32,),
     "{ lambda ; a:f32[3]. let\n"
     "    b:i32[3] = convert_element_type[new_dtype=int32 weak_type=False] a\n  in (b,) }"),
    (lambda x: lax.convert_element_type(x, np.float32), (_f32,),
     "{ lambda ; a:f32[3]. let  in (a,) }"),
    (lambda x: lax.bitcast_convert_type(x, np.int16), (_f32,),
     "{ lambda ; a:f32[3]. let\n"
     "    b:i16[3,2] = bitcast_convert_type[new_dtype=int16] a\n  in (b,) }"),
    (lambda x: lax.reduce_precision(x, 5, 10), (_f32,),
     "{ lambda ; a:f32[3]. let\n"
     "    b:f32[3] = reduce_precision[exponent_bits=5 mantissa_bits=10] a\n  in (b,) }"),
    (lambda x: lax.mul(x, 2, out_dtype=np.dtype("int32")), (np.ones(2, np.int8),),
     "{ lambda ; a:i8[2]. let b:i32[2] = mul[out_dtype=int32] a 2:i32[] in (b,) }"),
    (lambda x: lax.add(x, 2.0), (_f32,),
     "{ lambda ; a:f32[3]. let b:f32[3] = add a 2.0:f32[] in (b,) }"),
    (lambda x: lax.add(x, lax.convert_element_type(2.0, np.int32)), (np.int32(1),),
     "{ lambda ; a:i32[]. let b:i32[] = add a 2:i32[] in (b,) }"),
    (lambda: lax.convert_element_type(2.5, ml_dtypes.bfloat16), (),
     "{ lambda ; . let  in (2.5:bf16[],) }"),
]


@pytest.mark.parametrize("fn, args, expected", JAXPRS)
def test_printed_jaxpr(fn, args, expected):
    assert str(kiln.make_jaxpr(fn)(*args)) == expected


def test_accuracy_param_is_kept_and_printed_when_set():
    jaxpr = kiln.make_jaxpr(lambda x: lax.sqrt(x, accuracy=lax.AccuracyMode.HIGHEST))(_f32)
    (eqn,) = jaxpr.eqns
    assert eqn.params == {"accuracy": lax.AccuracyMode.HIGHEST}
    assert "sqrt[accuracy=AccuracyMode.HIGHEST] a" in str(jaxpr)
    assert kiln.make_jaxpr(lax.sin)(_f32).eqns[0].params == {"accuracy": None}
    with pytest.raises(ValueError, match="At least one of atol, rtol, or ulps must be set."):
        lax.Tolerance()


# -- unary functions against NumPy -------------------------------------------------------------

# name -> (NumPy reference on float64/complex128, domain, accepts complex)
UNARY = {
    "neg": (np.negative, (-3, 3), True),
    "sign": (np.sign, (-3, 3), True),
    "floor": (np.floor, (-3, 3), False),
    "ceil": (np.ceil, (-3, 3), False),
    "round": (lambda x: np.sign(x) * np.floor(np.abs(x) + 0.5), (-4, 4), False),
    "is_finite": (np.isfinite, (-3, 3), False),
    "abs": (np.abs, (-3, 3), True),
    "square": (np.square, (-3, 3), True),
    "sqrt": (np.sqrt, (0, 4), True),
    "rsqrt": (lambda x: 1 / np.sqrt(x), (0.1, 4), True),
    "cbrt": (np.cbrt, (-4, 4), False),
    "exp": (np.exp, (-3, 3), True),
    "exp2": (np.exp2, (-3, 3), True),
    "log": (np.log, (0.1, 4), True),
    "log1p": (np.log1p, (-0.5, 3), True),
    "expm1": (np.expm1, (-3, 3), True),
    "logistic": (lambda x: 1 / (1 + np.exp(-x)), (-5, 5), True),
    "tanh": (np.tanh, (-3, 3), True),
    "sin": (np.sin, (-3, 3), True),
    "cos": (np.cos, (-3, 3), True),
    "tan": (np.tan, (-1.2, 1.2), True),
    "asin": (np.arcsin, (-0.9, 0.9), True),
    "acos": (np.arccos, (-0.9, 0.9), True),
    "atan": (np.arctan, (-3, 3), True),
    "sinh": (np.sinh, (-3, 3), True),
    "cosh": (np.cosh, (-3, 3), True),
    "asinh": (np.arcsinh, (-3, 3), True),
    "acosh": (np.arccosh, (1.1, 4), True),
    "atanh": (np.arctanh, (-0.9, 0.9), True),
}


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name, dtype", [(name, dtype) for name, (_, _, takes_complex) in
                                         UNARY.items() for dtype in (F32, F16, BF16, C64)
                                         if takes_complex or dtype != C64], ids=str)
def test_unary_against_numpy(name, dtype, shape, jit):
    ref, (lo, hi), _ = UNARY[name]
    x = sample(dtype, shape, lo, hi)
    got = run(getattr(lax, name), x, jit=jit)
    want = ref(as_wide(x))
    out_dtype = {"is_finite": BOOL}.get(name, F32 if name == "abs" and dtype == C64 else dtype)
    if out_dtype == BOOL:
        assert got.dtype == BOOL and np.array_equal(got, want)
    else:
        assert got.shape == shape
        assert_close(got, want, out_dtype, RTOL[dtype])


@pytest.mark.parametrize("name", ["sin", "exp", "log1p", "tanh", "sqrt", "atanh", "cbrt"])
def test_unary_float64_with_x64(name):
    ref, (lo, hi), _ = UNARY[name]
    with enable_x64():
        x = sample(F64, (7,), lo, hi)
        got = run(getattr(lax, name), x)
        assert got.dtype == F64
        np.testing.assert_allclose(got, ref(x), rtol=1e-15)
        z = sample(C128, (3,), 0.1, 0.9)
        if name != "cbrt":
            np.testing.assert_allclose(run(getattr(lax, name), z), ref(z), rtol=1e-14)


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("dtype", [I8, I32, U8, U32], ids=str)
def test_unary_integers(dtype, jit):
    x = sample(dtype, (2, 4), 0 if dtype.kind == "u" else -100, 100)
    bits = dtype.itemsize * 8
    mask = 2**bits - 1
    assert np.array_equal(run(lax.neg, x, jit=jit), -x)
    assert np.array_equal(run(lax.sign, x, jit=jit), np.sign(x))
    assert np.array_equal(run(lax.square, x, jit=jit), x * x)
    assert np.array_equal(run(lax.bitwise_not, x, jit=jit), ~x)
    popcount = [bin(int(v) & mask).count("1") for v in x.ravel()]
    assert np.array_equal(run(lax.population_count, x, jit=jit).ravel(), popcount)
    clz = [bits - (int(v) & mask).bit_length() for v in x.ravel()]
    assert np.array_equal(run(lax.clz, x, jit=jit).ravel(), clz)
    if dtype.kind == "i":
        assert np.array_equal(run(lax.abs, x, jit=jit), np.abs(x))
    for fn in (lax.neg, lax.sign, lax.population_count, lax.clz):
        assert run(fn, x).dtype == dtype


def test_unary_special_values():
    x = np.array([-0.0, 0.0, np.inf, -np.inf, np.nan], np.float32)
    np.testing.assert_array_equal(run(lax.sign, x), [-0.0, 0.0, 1.0, -1.0, np.nan])
    assert np.signbit(run(lax.sign, x)[0])
    np.testing.assert_array_equal(run(lax.is_finite, x), [True, True, False, False, False])
    np.testing.assert_array_equal(run(lax.rsqrt, np.array([4, 0, -1], np.float32)),
                                  [0.5, np.inf, np.nan])
    np.testing.assert_array_equal(run(lax.logistic, np.array([-100, 0, 100], np.float32)),
                                  [0.0, 0.5, 1.0])
    # jax.lax.sign on complex: x / |x|, and 0 for 0
    np.testing.assert_allclose(run(lax.sign, np.array([3 + 4j, 0j], np.complex64)),
                               [0.6 + 0.8j, 0j])
    # abs of the most negative integer wraps, as in XLA
    np.testing.assert_array_equal(run(lax.abs, np.array([-2**31, -3], np.int32)), [-2**31, 3])
    np.testing.assert_array_equal(run(lax.neg, np.array([1, 0], np.uint32)), [2**32 - 1, 0])


def test_round_methods():
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49999997, -0.3], np.float32)
    # jax.lax.round, both methods (AWAY_FROM_ZERO is the default)
    np.testing.assert_array_equal(run(lax.round, x), [-3, -2, -1, 1, 2, 3, 0, -0.0])
    np.testing.assert_array_equal(run(lambda v: lax.round(v, lax.RoundingMethod.TO_NEAREST_EVEN),
                                      x), [-2, -2, -0.0, 0, 2, 2, 0, -0.0])
    np.testing.assert_array_equal(run(lambda v: lax.round(v, 1), x[:3]), [-2, -2, -0.0])
    with pytest.raises(ValueError, match="3 is not a valid RoundingMethod"):
        lax.round(x, 3)
    assert inspect.signature(lax.round).parameters["rounding_method"].default \
        is lax.RoundingMethod.AWAY_FROM_ZERO
    assert list(lax.RoundingMethod) == [0, 1]


# -- binary functions --------------------------------------------------------------------------

BINARY_FLOAT = {
    "add": (np.add, (-3, 3), (-3, 3)),
    "sub": (np.subtract, (-3, 3), (-3, 3)),
    "mul": (np.multiply, (-3, 3), (-3, 3)),
    "div": (np.divide, (-3, 3), (0.5, 3)),
    "rem": (np.fmod, (-5, 5), (0.5, 3)),
    "pow": (np.power, (0.1, 3), (-2, 2)),
    "max": (np.maximum, (-3, 3), (-3, 3)),
    "min": (np.minimum, (-3, 3), (-3, 3)),
    "atan2": (np.arctan2, (-3, 3), (-3, 3)),
}


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("shapes", [((), ()), ((0,), (0,)), ((5,), (5,)), ((2, 3), ()),
                                    ((2, 1), (1, 3))], ids=str)
@pytest.mark.parametrize("name, dtype", [
    (name, dtype) for name in BINARY_FLOAT for dtype in (F32, F16, BF16, C64)
    if dtype != C64 or name not in ("rem", "max", "min", "atan2")  # complex atan2: below
], ids=str)
def test_binary_float_against_numpy(name, dtype, shapes, jit):
    ref, (lo, hi), (lo2, hi2) = BINARY_FLOAT[name]
    x, y = sample(dtype, shapes[0], lo, hi, 1), sample(dtype, shapes[1], lo2, hi2, 2)
    got = run(getattr(lax, name), x, y, jit=jit)
    assert got.shape == np.broadcast_shapes(*shapes)
    want = ref(as_wide(x), as_wide(y))
    assert_close(got, want, dtype, 4 * RTOL[dtype] if name in ("pow", "div") else None)


def test_binary_float64_with_x64():
    with enable_x64():
        x, y = sample(F64, (6,), 0.5, 3, 1), sample(F64, (6,), -2, 2, 2)
        for name, (ref, _, _) in BINARY_FLOAT.items():
            got = run(getattr(lax, name), x, y)
            assert got.dtype == F64
            np.testing.assert_allclose(got, ref(x, y), rtol=1e-15)


def test_float_binary_special_values():
    nan, inf = np.nan, np.inf
    x = np.array([nan, 1, 0.0, -0.0], np.float32)
    y = np.array([1, nan, -0.0, 0.0], np.float32)
    # NaN-propagating, and max(0, -0) = 0, min(0, -0) = -0 either way round (jax.lax.max/min)
    mx, mn = run(lax.max, x, y), run(lax.min, x, y)
    np.testing.assert_array_equal(mx, [nan, nan, 0.0, 0.0])
    np.testing.assert_array_equal(np.signbit(mx[2:]), [False, False])
    np.testing.assert_array_equal(np.signbit(mn[2:]), [True, True])
    np.testing.assert_array_equal(
        run(lax.rem, np.array([5.5, -5.5, 5.5, 1, inf, 1], np.float32),
            np.array([2, 2, -2, 0, 1, inf], np.float32)), [1.5, -1.5, 1.5, nan, nan, 1.0])
    np.testing.assert_array_equal(run(lax.div, np.array([1, -1, 0], np.float32),
                                      np.zeros(3, np.float32)), [inf, -inf, nan])
    # pow with an integer exponent, and C's pow special cases
    np.testing.assert_array_equal(
        run(lax.pow, np.array([2, 2, 0, 0, -2, nan], np.float32),
            np.array([3, -2, 0, -1, 3, 0], np.int32)), [8, 0.25, 1, inf, -8, 1])
    np.testing.assert_array_equal(
        run(lax.pow, np.array([-8, 0, nan, 1], np.float32),
            np.array([1 / 3, 0, 0, nan], np.float32)), [nan, 1, 1, 1])
    np.testing.assert_array_equal(
        run(lax.atan2, np.array([1, -1, 0, -0.0], np.float32), np.array([1, -1, -1, -1],
                                                                         np.float32)),
        np.array([0.7853981852531433, -2.356194496154785, 3.1415927410125732,
                  -3.1415927410125732], np.float32))


def test_nextafter():
    nan = np.nan
    got = run(lax.nextafter, np.array([1, 1, 0, nan, -0.0], np.float32),
              np.array([2, 0, -1, 1, 0.0], np.float32))
    np.testing.assert_array_equal(
        got, np.array([1.0000001192092896, 0.9999999403953552, -1.401298464324817e-45, nan, 0.0],
                      np.float32))
    # jax.lax.nextafter on float16 and bfloat16 (denormals included)
    np.testing.assert_array_equal(
        run(lax.nextafter, np.array([1, 0], F16), np.array([2, 1], F16)).astype(F64),
        [1.0009765625, 5.960464477539063e-08])
    np.testing.assert_array_equal(
        run(lax.nextafter, np.array([1, 0], BF16), np.array([2, 1], BF16)).astype(F64),
        [1.0078125, 9.183549615799121e-41])


def test_complex_functions():
    z = np.array([1 + 1j, 2 - 0.5j, -1 + 3j, 0.3j], np.complex64)
    w = np.array([2 + 0j, 1 + 1j, -0.5 - 1j, 1], np.complex64)
    # jax.lax.atan2 on complex operands
    np.testing.assert_allclose(
        run(lax.atan2, z, w),
        [0.5535744 + 0.40235946j, 1.1071488 - 0.54930615j, -1.3112233 - 0.23887795j,
         0.3095196j], rtol=2e-6)
    np.testing.assert_array_equal(run(lax.real, z), z.real)
    np.testing.assert_array_equal(run(lax.imag, z), z.imag)
    assert run(lax.real, z).dtype == F32 and run(lax.abs, z).dtype == F32
    np.testing.assert_allclose(run(lax.abs, z), np.abs(z), rtol=1e-6)
    np.testing.assert_array_equal(run(lax.conj, z), np.conj(z))
    np.testing.assert_array_equal(run(lax.conj, np.float32(2)), np.complex64(2))
    c = run(lax.complex, np.array([1, np.inf], np.float32), np.array([np.inf, 2], np.float32))
    assert c.dtype == C64
    np.testing.assert_array_equal(c.real, [1, np.inf])
    np.testing.assert_array_equal(c.imag, [np.inf, 2])
    # complex max compares lexicographically
    np.testing.assert_array_equal(run(lax.max, np.array([1 + 2j, 2], np.complex64),
                                      np.array([1 + 3j, 1 + 5j], np.complex64)), [1 + 3j, 2])
    np.testing.assert_allclose(run(lax.pow, np.array([0j, 1j], np.complex64),
                                   np.array([0j, 2], np.complex64)), [1, -1], atol=1e-6)
    with enable_x64():
        assert run(lax.complex, np.float64(1), np.float64(2)).dtype == C128
        assert run(lax.conj, np.float64(1)).dtype == C128


# XLA's integer semantics, recorded from jax.lax on CPU.
IMIN = -(2**31)
INT_GOLDEN = [
    (lax.div, [7, -7, 7, -7, 5, IMIN, 0], [2, 2, -2, -2, 0, -1, 0],
     [3, -3, -3, 3, -1, IMIN, -1], I32),
    (lax.div, [7, 5], [2, 0], [3, 4294967295], U32),
    (lax.div, [-128, 5], [-1, 0], [-128, -1], I8),
    (lax.rem, [7, -7, 7, -7, 5, IMIN, -5], [2, 2, -2, -2, 0, -1, 0], [1, -1, 1, -1, 5, 0, -5], I32),
    (lax.rem, [7, 5], [2, 0], [1, 5], U32),
    (lax.shift_left, [1, 1, 1, 1, -1], [0, 31, 32, 100, 1], [1, IMIN, 0, 0, -2], I32),
    (lax.shift_left, [1, 4], [-1, -2], [0, 0], I32),
    (lax.shift_right_arithmetic, [-8, -8, -8, 8, 8], [1, 31, 32, 32, -1], [-4, -1, -1, 0, 0], I32),
    (lax.shift_right_logical, [-8, -8, -8, 8, 8], [1, 31, 32, 33, -1],
     [2147483644, 1, 0, 0, 0], I32),
    (lax.shift_right_logical, [200, 200], [1, 8], [100, 0], U8),
    (lax.shift_right_arithmetic, [200, 200], [1, 8], [228, 255], U8),
    (lax.shift_left, [200, 200], [1, 8], [144, 0], U8),
    (lax.mulhi, [2**30, -(2**30), 7, -1], [8, 8, 3, -1], [2, -2, 0, 0], I32),
    (lax.mulhi, [2**31, 2**32 - 1], [4, 2**32 - 1], [2, 4294967294], U32),
    (lax.mulhi, [100, -100], [100, 100], [39, -40], I8),
    (lambda x, y: lax.integer_pow(x, 3), [2000], [0], [-589934592], I32),
]


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("fn, x, y, expected, dtype", INT_GOLDEN)
def test_integer_semantics_match_xla(fn, x, y, expected, dtype, jit):
    got = run(fn, np.array(x).astype(dtype), np.array(y).astype(dtype), jit=jit)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, np.array(expected).astype(dtype))


def test_integer_ops_on_64_bits():
    with enable_x64():
        i64, u64 = np.dtype(np.int64), np.dtype(np.uint64)
        x = np.array([2**62 + 12345, -(2**63), -7, 3], i64)
        y = np.array([-(2**61) - 99, -1, 3, 2**40], i64)
        want = [(int(a) * int(b)) >> 64 for a, b in zip(x, y)]
        np.testing.assert_array_equal(run(lax.mulhi, x, y), np.array(want, i64))
        ux, uy = x.astype(u64), y.astype(u64)
        want = [(int(a) * int(b)) >> 64 for a, b in zip(ux, uy)]
        np.testing.assert_array_equal(run(lax.mulhi, ux, uy), np.array(want, u64))
        np.testing.assert_array_equal(run(lax.div, x, np.array([0, -1, 2, -2], i64)),
                                      [-1, -(2**63), -3, -1])
        np.testing.assert_array_equal(run(lax.shift_right_arithmetic, x, np.full(4, 64, i64)),
                                      [0, -1, -1, 0])
        np.testing.assert_array_equal(run(lax.clz, np.array([0, 1, -1], i64)), [64, 63, 0])
        np.testing.assert_array_equal(run(lax.population_count, np.array([-1, 5], i64)),
                                      [64, 2])


def test_narrow_integers():
    i4 = np.dtype(ml_dtypes.int4)
    x, y = np.array([7, -8, 3], i4), np.array([1, -1, 2], i4)
    # int4 arithmetic wraps at 4 bits; shifts and bit counts see 4 bits
    np.testing.assert_array_equal(run(lax.add, x, y).astype(I8), [-8, 7, 5])
    np.testing.assert_array_equal(run(lax.shift_left, x, np.array([1, 0, 4], i4)).astype(I8),
                                  [-2, -8, 0])
    np.testing.assert_array_equal(run(lax.population_count, x).astype(I8), [3, 1, 2])
    np.testing.assert_array_equal(run(lax.clz, x).astype(I8), [1, 0, 2])
    np.testing.assert_array_equal(run(lax.bitwise_not, x).astype(I8), [-8, 7, -4])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(-(2**31), 2**31 - 1), st.integers(-(2**31), 2**31 - 1)),
                min_size=1, max_size=8))
def test_div_rem_identity(pairs):
    x = np.array([p[0] for p in pairs], np.int32)
    y = np.array([p[1] if p[1] != 0 else 1 for p in pairs], np.int32)
    q, r = run(lax.div, x, y), run(lax.rem, x, y)
    for a, b, qi, ri in zip(x.tolist(), y.tolist(), q.tolist(), r.tolist()):
        if (a, b) == (-(2**31), -1):
            assert (qi, ri) == (-(2**31), 0)
            continue
        assert qi == int(a / b) if abs(a) < 2**52 else True  # truncation toward zero
        assert qi * b + ri == a and (ri == 0 or (ri > 0) == (a > 0)) and abs(ri) < abs(b)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-(2**31), 2**31 - 1), min_size=1, max_size=6),
       st.integers(0, 40))
def test_shifts_against_python(values, amount):
    x = np.array(values, np.int32)
    y = np.full_like(x, amount)
    u = [v & 0xFFFFFFFF for v in values]
    expect_left = [(v << amount) & 0xFFFFFFFF if amount < 32 else 0 for v in u]
    expect_logical = [v >> amount if amount < 32 else 0 for v in u]
    expect_arith = [v >> min(amount, 31) for v in values]
    np.testing.assert_array_equal(run(lax.shift_left, x, y).view(np.uint32), expect_left)
    np.testing.assert_array_equal(run(lax.shift_right_logical, x, y).view(np.uint32),
                                  expect_logical)
    np.testing.assert_array_equal(run(lax.shift_right_arithmetic, x, y), expect_arith)


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("dtype", [I8, U32, I32], ids=str)
def test_integer_arithmetic_against_numpy(dtype, jit):
    x = sample(dtype, (2, 5), 0 if dtype.kind == "u" else -100, 100, 3)
    y = sample(dtype, (2, 5), 1, 20, 4)
    for fn, ref in ((lax.add, np.add), (lax.sub, np.subtract), (lax.mul, np.multiply),
                    (lax.max, np.maximum), (lax.min, np.minimum), (lax.rem, np.fmod),
                    (lax.bitwise_and, np.bitwise_and), (lax.bitwise_or, np.bitwise_or),
                    (lax.bitwise_xor, np.bitwise_xor)):
        got = run(fn, x, y, jit=jit)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, ref(x, y))
    np.testing.assert_array_equal(run(lax.div, x, y, jit=jit), np.trunc(x / y).astype(dtype))
    np.testing.assert_array_equal(run(lambda v: lax.integer_pow(v, 2), x), x * x)


# -- comparisons and logic -------------------------------------------------------------------

COMPARISONS = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
               "gt": np.greater, "ge": np.greater_equal}


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("name, dtype", [
    (name, dtype) for name in COMPARISONS for dtype in (F32, BF16, F16, I8, U32, BOOL, C64)
    if dtype != C64 or name in ("eq", "ne")  # complex values are not ordered
], ids=str)
def test_comparisons(name, dtype, jit):
    x = sample(dtype, (3, 4), 0, 3, 5)
    y = sample(dtype, (3, 4), 0, 3, 6)
    y.flat[::3] = x.flat[::3]  # some equal pairs
    got = run(getattr(lax, name), x, y, jit=jit)
    assert got.dtype == BOOL
    np.testing.assert_array_equal(got, COMPARISONS[name](as_wide(x), as_wide(y)))
    nan = np.array([np.nan], F32)
    assert run(getattr(lax, name), nan, nan)[0] == (name == "ne")


def test_total_order_comparisons():
    # jax.lax.eq_to_p, lt_to_p, le_to_p: XLA's TOTALORDER comparisons
    nan = np.nan
    x = np.array([nan, -0.0, -nan, 1.0, nan, 2.0, -np.inf, np.inf], np.float32)
    y = np.array([nan, 0.0, -np.inf, 1.0, -nan, 1.0, nan, nan], np.float32)
    T, F = True, False
    expected = {"eq_to": [T, F, F, T, F, F, F, F], "lt_to": [F, T, T, F, F, F, T, T],
                "le_to": [T, T, T, T, F, F, T, T]}
    for name, want in expected.items():
        prim = getattr(lax, f"{name}_p")
        np.testing.assert_array_equal(run(prim.bind, x, y), want)
        np.testing.assert_array_equal(run(prim.bind, x.astype(F64), y.astype(F64)), want)
        np.testing.assert_array_equal(run(prim.bind, x.astype(BF16), y.astype(BF16)), want)
    np.testing.assert_array_equal(run(lax.lt_to_p.bind, np.array([1, -3], np.int32),
                                      np.array([2, -4], np.int32)), [True, False])
    np.testing.assert_array_equal(run(lax.lt_to_p.bind, np.array([1, 0], np.uint32),
                                      np.array([2**32 - 1, 1], np.uint32)), [True, True])
    assert str(kiln.make_jaxpr(lax.lt_to_p.bind)(x, y)) == \
        "{ lambda ; a:f32[8] b:f32[8]. let c:bool[8] = lt_to a b in (c,) }"


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_logic_on_booleans(jit):
    x, y = np.array([True, True, False, False]), np.array([True, False, True, False])
    np.testing.assert_array_equal(run(lax.bitwise_and, x, y, jit=jit), x & y)
    np.testing.assert_array_equal(run(lax.bitwise_or, x, y, jit=jit), x | y)
    np.testing.assert_array_equal(run(lax.bitwise_xor, x, y, jit=jit), x ^ y)
    np.testing.assert_array_equal(run(lax.bitwise_not, x, jit=jit), ~x)
    np.testing.assert_array_equal(run(lax.max, x, y, jit=jit), x | y)
    assert run(lax.bitwise_and, x, y).dtype == BOOL


# -- integer_pow and reciprocal -------------------------------------------------------------


@pytest.mark.parametrize("y", [0, 1, 2, 3, 5, 8, -1, -2, -3])
@pytest.mark.parametrize("dtype", [F32, F16, BF16, C64], ids=str)
def test_integer_pow(dtype, y):
    x = sample(dtype, (2, 3), 0.5, 2, 7)
    got = run(lambda v: lax.integer_pow(v, y), x)
    assert_close(got, as_wide(x) ** y, dtype, 3 * RTOL[dtype])
    assert np.array_equal(run(lambda v: lax.integer_pow(v, 0), np.array([np.nan], F32)), [1.0])


def test_reciprocal():
    x = np.array([2, 0, -4], np.float32)
    np.testing.assert_array_equal(run(lax.reciprocal, x), [0.5, np.inf, -0.25])
    with pytest.raises(TypeError, match="Integers cannot be raised to negative powers"):
        lax.reciprocal(np.array([2], np.int32))


# -- dtype rules and errors (messages recorded from jax.lax) -----------------------------------

ERRORS = [
    (lax.sin, (np.ones(1, np.int32),),
     "sin does not accept dtype int32. Accepted dtypes are subtypes of floating, complexfloating."),
    (lax.add, (True, False),
     "add does not accept dtype bool at position 0. Accepted dtypes at position 0 are subtypes "
     "of integer, floating, complexfloating."),
    (lax.add, (np.float32(1), np.array(True)),
     "add does not accept dtype bool at position 1. Accepted dtypes at position 1 are subtypes "
     "of integer, floating, complexfloating."),
    (lax.add, (np.ones(1, np.float32), np.ones(1, np.int32)),
     "lax.add requires arguments to have the same dtypes, got float32, int32. (Tip: jnp.add is "
     "a similar function that does automatic type promotion on inputs)."),
    (lax.lt, (np.int32(1), np.float32(1)),
     "lax.lt requires arguments to have the same dtypes, got int32, float32."),
    (lax.shift_left, (np.int32(1), np.uint32(1)),
     "lax.shift_left requires arguments to have the same dtypes, got int32, uint32. (Tip: "
     "jnp.left_shift is a similar function that does automatic type promotion on inputs)."),
    (lax.add, (np.ones(2, np.float32), np.ones(3, np.float32)),
     "add got incompatible shapes for broadcasting: (2,), (3,)."),
    (lax.add, (np.ones(2, np.float32), np.ones((2, 2), np.float32)),
     "add: arrays must have the same number of dimensions, got {1, 2}"),
    (lax.rem, (np.complex64(1), np.complex64(2)),
     "rem does not accept dtype complex64 at position 0. Accepted dtypes at position 0 are "
     "subtypes of integer, floating."),
    (lax.lt, (np.complex64(1), np.complex64(2)),
     "lt does not accept dtype complex64 at position 0. Accepted dtypes at position 0 are "
     "subtypes of integer, floating, bool."),
    (lax.pow, (np.int32(2), np.int32(2)),
     "pow does not accept dtype int32 at position 0. Accepted dtypes at position 0 are subtypes "
     "of floating, complexfloating."),
    (lax.pow, (np.float32(2), np.float16(2)),
     "the first argument to pow must have an inexact dtype (float or complex), and the second "
     "argument must have an inexact or integer dtype, and two inexact dtypes must match, but "
     "got float32 and float16 respectively."),
    (lax.pow, (np.complex64(2), np.float32(2)),
     "the first argument to pow must have an inexact dtype (float or complex), and the second "
     "argument must have an inexact or integer dtype, and two inexact dtypes must match, but "
     "got complex64 and float32 respectively."),
    (lambda x: lax.integer_pow(x, -2), (np.ones(1, np.int32),),
     "Integers cannot be raised to negative powers, got integer_pow(int32[1], -2)"),
    (lambda x: lax.integer_pow(x, 2), (np.array([True]),),
     "integer_pow does not accept dtype bool. Accepted dtypes are subtypes of integer, "
     "floating, complexfloating."),
    (lax.abs, (np.ones(1, np.uint8),),
     "abs does not accept dtype uint8. Accepted dtypes are subtypes of floating, "
     "complexfloating, signedinteger."),
    (lax.abs, (np.ones(1, ml_dtypes.int4),),
     "abs does not accept dtype int4. Support for narrow-width integers is platform-dependent "
     "and limited to a few specific operations, e.g. basic arithmetic and type casting."),
    (lax.real, (np.float32(1),),
     "real does not accept dtype float32. Accepted dtypes are subtypes of complexfloating."),
    (lax.complex, (np.float16(1), np.float16(1)),
     "complex does not accept dtype float16 at position 0. Accepted dtypes at position 0 are "
     "subtypes of float32, float64."),
    (lax.conj, (np.ones(1, np.int32),),
     "conj does not accept dtype int32. Accepted dtypes are subtypes of float32, "
     "complexfloating, float64."),
    (lax.bitwise_not, (np.float32(1),),
     "not does not accept dtype float32. Accepted dtypes are subtypes of integer, bool."),
    (lax.bitwise_or, (np.float16(1), np.float16(1)),
     "or does not accept dtype float16 at position 0. Accepted dtypes at position 0 are "
     "subtypes of integer, bool."),
    (lax.population_count, (np.array([True]),),
     "population_count does not accept dtype bool. Accepted dtypes are subtypes of integer."),
    (lax.mulhi, (np.array([True]), np.array([True])),
     "mulhi does not accept dtype bool at position 0. Accepted dtypes at position 0 are "
     "subtypes of integer."),
    (lax.round, (np.int32(1),),
     "round does not accept dtype int32. Accepted dtypes are subtypes of floating."),
    (lax.cbrt, (np.complex64(1),),
     "cbrt does not accept dtype complex64. Accepted dtypes are subtypes of floating."),
    (lax.square, (np.array([True]),),
     "square does not accept dtype bool. Accepted dtypes are subtypes of integer, floating, "
     "complexfloating."),
    (lax.lgamma, (np.int32(1),),
     "lgamma does not accept dtype int32. Accepted dtypes are subtypes of floating."),
    (lax.nextafter, (np.int32(1), np.int32(1)),
     "nextafter does not accept dtype int32 at position 0. Accepted dtypes at position 0 are "
     "subtypes of floating."),
    (lax.neg, (np.zeros(2, kiln.core.dtypes.float0),),
     "Called neg with a float0 array. float0s do not support any operations by design, "
     "because they are not compatible with non-trivial vector spaces. No implicit dtype "
     "conversion is done. You can use np.zeros_like(arr, dtype=np.float) to cast a float0 array "
     "to a regular zeros array. \nIf you didn't expect to get a float0 you might have "
     "accidentally taken a gradient with respect to an integer argument."),
]


@pytest.mark.parametrize("fn, args, message", ERRORS)
def test_dtype_and_shape_errors(fn, args, message):
    for where in ("eager", "jaxpr"):
        with pytest.raises(TypeError) as info:
            (kiln.make_jaxpr(fn) if where == "jaxpr" else fn)(*args)
        assert str(info.value) == message


# Which dtypes each primitive accepts (from jax.lax, on bool, int8, uint8, int32, uint32, int4,
# float16, bfloat16, float32, float8_e4m3fn, complex64).
_ALL = ["bool", "int8", "uint8", "int32", "uint32", "int4", "float16", "bfloat16", "float32",
        "float8_e4m3fn", "complex64"]
_NUMBERS = _ALL[1:]
_FLOATS = ["float16", "bfloat16", "float32", "float8_e4m3fn"]
_INTS = ["int8", "uint8", "int32", "uint32", "int4"]
ACCEPTED = {
    "neg": _NUMBERS, "sign": _NUMBERS, "add": _NUMBERS, "sub": _NUMBERS, "mul": _NUMBERS,
    "div": _NUMBERS, "square": _NUMBERS, "integer_pow": _NUMBERS,
    "rem": _INTS + _FLOATS, "max": _ALL, "min": _ALL, "eq": _ALL, "ne": _ALL, "clamp": _ALL,
    "lt": _ALL[:-1], "ge": _ALL[:-1], "eq_to": _ALL, "lt_to": _ALL[:-1],
    "floor": _FLOATS, "round": _FLOATS, "is_finite": _FLOATS, "nextafter": _FLOATS,
    "cbrt": _FLOATS, "erf": _FLOATS, "lgamma": _FLOATS, "igamma": _FLOATS,
    "regularized_incomplete_beta": _FLOATS, "reduce_precision": _FLOATS, "zeta": _FLOATS,
    "sin": _FLOATS + ["complex64"], "exp": _FLOATS + ["complex64"],
    "atan2": _FLOATS + ["complex64"], "pow": _FLOATS + ["complex64"],
    "real": ["complex64"], "complex": ["float32"], "conj": ["float32", "complex64"],
    "abs": ["int8", "int32", "float16", "bfloat16", "float32", "float8_e4m3fn", "complex64"],
    "not": ["bool"] + _INTS, "and": ["bool"] + _INTS, "xor": ["bool"] + _INTS,
    "population_count": _INTS, "clz": _INTS, "shift_left": _INTS, "mulhi": _INTS,
}
_ARITY = {**{spec.name: spec.nargs for spec in ew.TABLE}, "clamp": 3}


def _default_params(name: str) -> dict:
    return {"round": {"rounding_method": lax.RoundingMethod.AWAY_FROM_ZERO},
            "integer_pow": {"y": 2}, "mul": {"out_dtype": None},
            "reduce_precision": {"exponent_bits": 5, "mantissa_bits": 2},
            "sin": {"accuracy": None}, "exp": {"accuracy": None},
            "cbrt": {"accuracy": None}, "conj": {"input_dtype": np.dtype(np.float32)}}.get(
                name, {})


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted_dtypes(name):
    prim, nargs = ew.PRIMITIVES[name], _ARITY[name]
    accepted = []
    for name_ in _ALL:
        aval = kiln.core.ShapedArray((2,), np.dtype(getattr(ml_dtypes, name_, None) or name_))
        try:
            kiln.core.abstract_eval(prim, [aval] * nargs, _default_params(name))
        except TypeError:
            continue
        accepted.append(name_)
    assert accepted == ACCEPTED[name]


# -- weak types --------------------------------------------------------------------------------

WEAK = [  # (function, args, result is weakly typed) as in jax.lax
    (lax.eq, (2.0, 3.0), True),
    (lax.is_finite, (2.0,), True),
    (lax.real, (2j,), True),
    (lax.abs, (2j,), True),
    (lax.complex, (2.0, 3.0), True),
    (lax.conj, (2.0,), True),
    (lax.neg, (2,), True),
    (lax.pow, (2.0, 3), True),
    (lax.pow, (np.float32(2), 3), False),
    (lambda x: lax.integer_pow(x, 2), (2.0,), True),
    (lambda x: lax.reduce_precision(x, 5, 10), (2.0,), True),
    (lax.add, (np.float32(2), 3.0), False),
    (lax.select, (True, 2.0, 3.0), True),
    (lax.select_n, (np.int32(1), 2.0, 3.0), True),
    (lax.clamp, (0.0, 2.0, 1.0), True),
    (lax.clamp, (0.0, np.float32(2), 1.0), False),
    (lambda x: lax.convert_element_type(x, np.float32), (2.0,), False),
    (lambda x: lax.bitcast_convert_type(x, np.int32), (2.0,), False),
    (lax.stop_gradient, (2.0,), True),
]


@pytest.mark.parametrize("fn, args, weak", WEAK)
def test_weak_types(fn, args, weak):
    assert fn(*args).aval.weak_type is weak
    assert kiln.make_jaxpr(fn)(*args).out_avals[0].weak_type is weak


def test_python_scalars_are_not_promoted():
    # A Python scalar is a weakly typed int32/float32 (x64 off): lax accepts it only next to
    # that same dtype, as jax.lax does.
    assert run(lax.add, np.ones(2, np.float32), 2.0).dtype == F32
    for fn, args, message in [
        (lax.add, (np.ones(2, np.float16), 2.0), "lax.add requires arguments to have the same "
         "dtypes, got float16, float32. (Tip: jnp.add is a similar function that does "
         "automatic type promotion on inputs)."),
        (lax.mul, (np.ones(2, np.int8), 3), "lax.mul requires arguments to have the same "
         "dtypes, got int8, int32. (Tip: jnp.multiply is a similar function that does "
         "automatic type promotion on inputs)."),
        (lax.clamp, (0, np.ones(2, np.int8), 1), "lax.clamp requires arguments to have the same "
         "dtypes, got int32, int8, int32."),
        (lax.add, (2.0, 3), "lax.add requires arguments to have the same dtypes, got float32, "
         "int32. (Tip: jnp.add is a similar function that does automatic type promotion on "
         "inputs)."),
    ]:
        with pytest.raises(TypeError) as info:
            fn(*args)
        assert str(info.value) == message
    assert str(kiln.make_jaxpr(lambda x: lax.pow(x, 2))(np.ones(2, np.float16))) == \
        "{ lambda ; a:f16[2]. let b:f16[2] = pow a 2:i32[] in (b,) }"


def test_mul_out_dtype():
    x = np.array([100, -100], np.int8)
    # jax.lax.mul(x, x, out_dtype=jnp.int32) multiplies in int32
    np.testing.assert_array_equal(run(lambda v: lax.mul(v, v, out_dtype=np.int32), x),
                                  [10000, 10000])
    np.testing.assert_array_equal(run(lambda a, b: lax.mul(a, b, out_dtype=np.int32), x,
                                      np.array([2, 2], np.int32)), [200, -200])
    assert run(lambda v: lax.mul(v, v, out_dtype=np.int32), x).dtype == I32
    assert lax.mul(2, 3, out_dtype=np.int32).aval.weak_type


# -- the lax signatures ----------------------------------------------------------------------

SIGNATURES = {  # inspect.signature(jax.lax.<name>), parameter names and kinds
    "round": "(x, rounding_method=<RoundingMethod.AWAY_FROM_ZERO: 0>)",
    "nextafter": "(x1, x2)", "mul": "(x, y, *, out_dtype=None)",
    "sqrt": "(x, *, accuracy=None)", "logistic": "(x, *, accuracy=None)",
    "asin": "(x)", "atan2": "(x, y)", "integer_pow": "(x, y)", "mulhi": "(x, y, /)",
    "select_n": "(which, *cases)", "select": "(pred, on_true, on_false)",
    "clamp": "(min, x, max)", "convert_element_type": "(operand, new_dtype)",
    "bitcast_convert_type": "(operand, new_dtype)",
    "reduce_precision": "(operand, exponent_bits, mantissa_bits)", "stop_gradient": "(x)",
    "betainc": "(a, b, x)", "igamma": "(a, x)", "polygamma": "(m, x)", "zeta": "(x, q)",
    "erf_inv": "(x)", "conj": "(x)", "reciprocal": "(x)", "population_count": "(x)",
}


@pytest.mark.parametrize("name", SIGNATURES)
def test_signatures(name):
    sig = inspect.signature(getattr(lax, name))
    plain = sig.replace(parameters=[p.replace(annotation=inspect.Parameter.empty)
                                    for p in sig.parameters.values()],
                        return_annotation=inspect.Signature.empty)
    assert str(plain) == SIGNATURES[name]


def test_lax_exports():
    for name in ("add_p", "copy_p", "stop_gradient_p", "select_n_p", "and_p",
                 "regularized_incomplete_beta_p", "convert_element_type_p", "RoundingMethod",
                 "Tolerance", "AccuracyMode", "bitwise_and", "erf_inv", "reciprocal"):
        assert hasattr(lax, name), name
    assert lax.copy_p.name == "copy" and lax.and_p.name == "and"
    assert "Any" not in lax.elementwise.__all__


# -- conformance ---------------------------------------------------------------------------------


def _examples():
    path = pathlib.Path(__file__).parents[1] / "conformance" / "examples_elementwise.py"
    spec = importlib.util.spec_from_file_location("examples_elementwise", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CORE_CHECKS = ["impl_vs_abstract_eval"]  # other packages' checks are tested there


def test_conformance_examples_cover_every_primitive():
    examples = _examples()
    covered = {prim for prim, _, _ in examples.EXAMPLES}
    assert set(ew.PRIMITIVES.values()) <= covered
    for prim, args, params in examples.EXAMPLES:
        check_primitive(prim, *args, only=CORE_CHECKS, **params)
    with enable_x64():
        for prim, args, params in examples.EXAMPLES_X64:
            check_primitive(prim, *args, only=CORE_CHECKS, **params)
