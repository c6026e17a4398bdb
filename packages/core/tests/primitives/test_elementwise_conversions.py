"""Conversions, selection and the identities: convert_element_type, bitcast_convert_type,
reduce_precision, select_n/select, clamp, stop_gradient and copy, against values and errors
recorded from JAX 0.10.2 on CPU."""

from __future__ import annotations

import warnings

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kiln
from kiln import lax
from kiln.core.config import enable_x64

BF16 = np.dtype(ml_dtypes.bfloat16)
nan, inf = np.nan, np.inf


@pytest.fixture(autouse=True, scope="module")
def numpy_backend():
    """kiln-core's tests run on its NumPy reference backend, whatever else is installed."""
    previous = kiln.config.jax_platforms
    kiln.config.update("jax_platforms", "numpy")
    yield
    kiln.config.update("jax_platforms", previous)


def run(fn, *args, jit=False):
    return np.asarray(kiln.jit(fn)(*args) if jit else fn(*args))


def convert(dtype):
    return lambda x: lax.convert_element_type(x, dtype)


# -- convert_element_type ----------------------------------------------------------------------

# (source values, source dtype, target dtype, jax.lax.convert_element_type's result)
CONVERSIONS = [
    ([1.9, -1.9, nan, inf, -inf, 3e9, -3e9], np.float32, np.int32,
     [1, -1, 0, 2147483647, -2147483648, 2147483647, -2147483648]),
    ([1.9, -1.9, nan, inf, -inf, 5e9, -3e9], np.float32, np.uint32,
     [1, 0, 0, 4294967295, 0, 4294967295, 0]),
    ([1.9, -1.9, nan, inf, 300, -300, 127.5], np.float32, np.int8, [1, -1, 0, 127, 127, -128, 127]),
    ([1.9, -1.9, nan, inf, 300, -300], np.float32, np.uint8, [1, 0, 0, 255, 255, 0]),
    ([1.9, -1.9, 300, nan], np.float32, ml_dtypes.int4, [1, -1, 7, 0]),
    ([1.9, -1.9, 300, nan], BF16, np.int32, [1, -1, 300, 0]),
    ([300, -300, 127], np.int32, np.int8, [44, -44, 127]),
    ([300, -1], np.int32, np.uint8, [44, 255]),
    ([7, 8, -9], np.int32, ml_dtypes.int4, [7, -8, 7]),
    ([0, 2, -1], np.int32, np.bool_, [False, True, True]),
    ([0.0, 0.5, nan, -1], np.float32, np.bool_, [False, True, True, True]),
    ([True, False], np.bool_, np.float32, [1.0, 0.0]),
    ([1e6, 1.0000001, 65519, 65520], np.float32, np.float16, [inf, 1.0, 65504, inf]),
    ([1e6, 1.00390625, 1.01171875], np.float32, BF16, [999424.0, 1.0, 1.015625]),
    ([1000, 1.3, nan, 448, 464, 480, -1000], np.float32, ml_dtypes.float8_e4m3fn,
     [nan, 1.25, nan, 448, 448, nan, nan]),
    ([1e6, 1.3], np.float32, ml_dtypes.float8_e5m2, [inf, 1.25]),
    ([2**31 - 1, 16777217], np.int32, np.float32, [2147483648.0, 16777216.0]),
    ([2**32 - 1], np.uint32, np.float32, [4294967296.0]),
]


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("values, src, dst, expected", CONVERSIONS)
def test_convert_matches_xla(values, src, dst, expected, jit):
    x = np.array(values).astype(src)
    got = run(convert(dst), x, jit=jit)
    assert got.dtype == np.dtype(dst)
    np.testing.assert_array_equal(got.astype(np.float64) if got.dtype != bool else got,
                                  np.array(expected, np.float64 if got.dtype != bool else bool))


def test_convert_complex():
    z = np.array([2.7 + 3j, -1.5 - 1j], np.complex64)
    with pytest.warns(np.exceptions.ComplexWarning, match="discards the imaginary part"):
        np.testing.assert_array_equal(run(convert(np.int32), z), [2, -1])
    np.testing.assert_array_equal(run(convert(np.complex64), np.float32(1.5)), 1.5 + 0j)
    np.testing.assert_array_equal(run(convert(np.complex64), np.array([2], BF16)), [2 + 0j])


@pytest.mark.parametrize("shape", [(), (0,), (2, 3)], ids=str)
def test_convert_shapes(shape):
    x = np.full(shape, 2.5, np.float32)
    got = run(convert(np.int8), x)
    assert got.shape == shape and got.dtype == np.int8
    np.testing.assert_array_equal(got, np.full(shape, 2, np.int8))


def test_convert_returns_operand_when_nothing_changes():
    x = lax.add(np.ones(3, np.float32), 1.0)  # a kiln Array
    assert lax.convert_element_type(x, np.float32) is x
    jaxpr = kiln.make_jaxpr(convert(np.float32))(np.ones(3, np.float32))
    assert not jaxpr.eqns
    # A weakly typed operand still converts (to a strong type), as in JAX.
    jaxpr = kiln.make_jaxpr(convert(np.float32))(2.0)
    assert str(jaxpr) == (
        "{ lambda ; a:f32[]. let\n"
        "    b:f32[] = convert_element_type[new_dtype=float32 weak_type=False] a\n"
        "  in (b,) }")


def test_convert_scalar_constants():
    # jax.lax.convert_element_type of Python and NumPy scalars: converted at once, a literal
    # when staged, an Array when eager.
    for value, dtype, expected in [(2.5, np.int32, 2), (True, np.int32, 1), (300, np.int8, 44),
                                   (-1, np.uint32, 4294967295), (np.float32(2.5), np.int32, 2),
                                   (2**40, np.float32, 1099511627776.0), (2**40, np.int32, 0),
                                   (2.0, np.float32, 2.0)]:
        out = lax.convert_element_type(value, dtype)
        assert isinstance(out, kiln.Array) and out.dtype == np.dtype(dtype)
        assert not out.aval.weak_type and np.asarray(out) == expected
    assert str(kiln.make_jaxpr(lambda: lax.convert_element_type(300, np.int8))()) == \
        "{ lambda ; . let  in (44:i8[],) }"
    assert str(kiln.make_jaxpr(lambda: lax.convert_element_type(-1, np.uint32))()) == \
        "{ lambda ; . let  in (4294967295:u32[],) }"
    assert str(kiln.make_jaxpr(lambda: lax.convert_element_type(2.0, np.float32))()) == \
        "{ lambda ; . let  in (2.0:f32[],) }"
    # NaN to an integer type goes through the primitive (XLA gives 0)
    assert np.asarray(lax.convert_element_type(nan, np.int32)) == 0
    assert np.asarray(lax.convert_element_type(inf, np.int32)) == 2147483647
    with pytest.raises(TypeError, match="real number, not 'complex'"), warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        lax.convert_element_type(1 + 2j, np.float32)


def test_convert_canonicalizes_and_warns():
    with pytest.warns(UserWarning, match="Explicitly requested dtype float64 requested in "
                      "convert_element_type is not available, and will be truncated to dtype "
                      "float32"):
        assert run(convert(np.float64), np.float32(1)).dtype == np.float32
    for requested in (np.dtype("float64"), "float64", np.int64, np.complex128):
        with pytest.warns(UserWarning, match="Explicitly requested dtype"):
            lax.convert_element_type(np.float32(1), requested)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert run(convert(float), np.int32(1)).dtype == np.float32
        assert run(convert(int), np.float32(1)).dtype == np.int32
        assert run(convert("bfloat16"), np.float32(1)).dtype == BF16
    with enable_x64():
        assert run(convert(np.float64), np.float32(1)).dtype == np.float64
        assert run(convert(float), np.int32(1)).dtype == np.float64
        np.testing.assert_array_equal(
            run(convert(np.int64), np.array([1e19, -1e19, nan, -2.5], np.float64)),
            [2**63 - 1, -(2**63), 0, -2])
        np.testing.assert_array_equal(
            run(convert(np.uint64), np.array([1e20, 1.8e19, -3], np.float64)),
            np.array([2**64 - 1, 18000000000000000000, 0], np.uint64))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=1,
                max_size=8))
def test_float_to_int_saturates(values):
    x = np.array(values, np.float32)
    got = run(convert(np.int16), x)
    for v, g in zip(values, got.tolist()):
        expected = 0 if np.isnan(v) else int(np.clip(np.trunc(v), -32768, 32767))
        assert g == expected


# -- bitcast_convert_type --------------------------------------------------------------------


def test_bitcast():
    # values from jax.lax.bitcast_convert_type
    np.testing.assert_array_equal(run(lambda x: lax.bitcast_convert_type(x, np.uint8),
                                      np.float32(1.0)), [0, 0, 128, 63])
    np.testing.assert_array_equal(run(lambda x: lax.bitcast_convert_type(x, np.float32),
                                      np.array([[0, 15360]], np.uint16)), [0.0078125])
    np.testing.assert_array_equal(run(lambda x: lax.bitcast_convert_type(x, np.int32),
                                      np.ones((3, 2), np.float16)), [1006648320] * 3)
    x = np.array([1.5, -2.0, nan], np.float32)
    np.testing.assert_array_equal(run(lambda v: lax.bitcast_convert_type(v, np.int32), x),
                                  x.view(np.int32))
    back = run(lambda v: lax.bitcast_convert_type(lax.bitcast_convert_type(v, np.uint16),
                                                  np.float32), x)
    np.testing.assert_array_equal(back.view(np.uint32), x.view(np.uint32))
    np.testing.assert_array_equal(
        run(lambda v: lax.bitcast_convert_type(v, np.float16), np.array([1.0], BF16)),
        np.array([1.0], BF16).view(np.float16))
    assert run(lambda v: lax.bitcast_convert_type(v, np.uint8), np.zeros((0, 2),
                                                                        np.float32)).shape \
        == (0, 2, 4)
    with enable_x64():
        y = np.array([1.0, -0.5])
        np.testing.assert_array_equal(run(lambda v: lax.bitcast_convert_type(v, np.int64), y),
                                      y.view(np.int64))


BITCAST_ERRORS = [
    (np.array([True]), np.int8, TypeError,
     "lax.bitcast_convert_type does not support bool or complex values unless the operand and "
     "destination types match. Got operand dtype=bool, new_dtype=dtype('int8'). Consider "
     "using the arr.view() method instead."),
    (np.ones((3, 3), np.float16), np.int32, ValueError,
     "Attempting to convert array of shape (3, 3) from float16 of size 16 bits to int32 of size "
     "32, bits but 3 * 16 != 32"),
    (np.float16(1), np.int32, ValueError,
     "Attempting to convert array of shape () from float16 of size 16 bits to int32 of size 32, "
     "bits but 1 * 16 != 32"),
]


@pytest.mark.parametrize("x, dtype, error, message", BITCAST_ERRORS)
def test_bitcast_errors(x, dtype, error, message):
    with pytest.raises(error) as info:
        lax.bitcast_convert_type(x, dtype)
    assert str(info.value) == message


def test_bitcast_same_type_for_complex_and_bool():
    z = np.array([1 + 2j], np.complex64)
    np.testing.assert_array_equal(run(lambda v: lax.bitcast_convert_type(v, np.complex64), z), z)
    with pytest.warns(UserWarning, match="in bitcast_convert_type is not available"):
        assert run(lambda v: lax.bitcast_convert_type(v, np.float64), np.float32(1)) == 1.0


# -- reduce_precision ------------------------------------------------------------------------

# (values, exponent_bits, mantissa_bits, jax.lax.reduce_precision's result), on float32
REDUCE_PRECISION = [
    ([1.0000001, 1e6, 65504, 65520, 1e-8, nan, 6e-5, 1e-5, 6.2e-5, 65519], 5, 10,
     [1.0, inf, 65504, inf, 0.0, nan, 0.0, 0.0, 6.198883e-05, 65504]),
    ([1.00390625, 1.01171875, 3e38, inf], 8, 7, [1.0, 1.015625, 3.00405527047391e38, inf]),
    ([0.1, 0.7, 1.2, 3.5, 5], 2, 1, [0.0, 0.0, 1.0, inf, inf]),
    ([nan, -nan, inf, 1.5], 5, 0, [nan, nan, inf, 2.0]),
    ([1.5, -1.75, 3.0], 8, 23, [1.5, -1.75, 3.0]),
]


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("values, exponent_bits, mantissa_bits, expected", REDUCE_PRECISION)
def test_reduce_precision(values, exponent_bits, mantissa_bits, expected, jit):
    fn = lambda x: lax.reduce_precision(x, exponent_bits, mantissa_bits)
    got = run(fn, np.array(values, np.float32), jit=jit)
    np.testing.assert_array_equal(got, np.array(expected, np.float32))


def test_reduce_precision_matches_casts():
    x = np.random.default_rng(0).standard_normal(1000).astype(np.float32) * 100
    for dtype, (exponent, mantissa) in ((np.float16, (5, 10)), (BF16, (8, 7))):
        np.testing.assert_array_equal(lax.reduce_precision(x, exponent, mantissa),
                                      x.astype(dtype).astype(np.float32))
    h = np.array([6e-8, 1.0], np.float16)  # float16 keeps its own denormals
    np.testing.assert_array_equal(run(lambda v: lax.reduce_precision(v, 5, 10), h), h)
    with enable_x64():
        y = np.random.default_rng(1).standard_normal(100)
        np.testing.assert_array_equal(run(lambda v: lax.reduce_precision(v, 8, 23), y),
                                      y.astype(np.float32).astype(np.float64))


@pytest.mark.parametrize("args, error, message", [
    ((np.float32(1), 0, 10), ValueError,
     "reduce_precision: exponent_bits must be positive; got 0"),
    ((np.float32(1), 5, -1), ValueError,
     "reduce_precision: mantissa_bits must be non-negative; got -1"),
    ((np.int32(1), 5, 10), TypeError,
     "reduce_precision does not accept dtype int32. Accepted dtypes are subtypes of floating."),
    ((np.complex64(1), 5, 10), TypeError,
     "reduce_precision does not accept dtype complex64. Accepted dtypes are subtypes of "
     "floating."),
])
def test_reduce_precision_errors(args, error, message):
    with pytest.raises(error) as info:
        lax.reduce_precision(*args)
    assert str(info.value) == message


# -- select_n, select, clamp -----------------------------------------------------------------


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_select(jit):
    pred = np.array([True, False, True])
    a, b = np.array([1, 2, 3], np.float32), np.array([4, 5, 6], np.float32)
    np.testing.assert_array_equal(run(lax.select, pred, a, b, jit=jit), [1, 5, 3])
    np.testing.assert_array_equal(run(lax.select_n, pred, a, b, jit=jit), [4, 2, 6])
    np.testing.assert_array_equal(run(lax.select_n, np.bool_(True), a, b, jit=jit), b)
    cases = [np.full(5, i, np.float32) for i in (1, 2, 3)]
    # jax.lax.select_n with out-of-range indices takes the nearest case
    np.testing.assert_array_equal(
        run(lax.select_n, np.array([0, 1, 2, 5, -1], np.int32), *cases, jit=jit),
        [1, 2, 3, 3, 1])
    np.testing.assert_array_equal(
        run(lax.select_n, np.array([0, 1, 9], np.uint8), *(c[:3] for c in cases), jit=jit),
        [1, 2, 3])
    np.testing.assert_array_equal(run(lax.select_n, np.zeros(2, np.int32), a[:2], jit=jit),
                                  a[:2])
    for dtype in (BF16, np.int8, np.bool_, np.complex64):
        x, y = np.array([0, 1], dtype), np.array([1, 0], dtype)
        got = run(lax.select, np.array([True, False]), x, y, jit=jit)
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(got, np.array([0, 0], dtype))
    assert run(lax.select, np.zeros((0, 2), bool), np.zeros((0, 2)), np.ones((0, 2))).shape \
        == (0, 2)


SELECT_ERRORS = [
    ((np.float32(1), np.ones(1, np.float32), np.ones(1, np.float32)), TypeError,
     "select `which` must be boolean or integer type, got float32."),
    ((np.bool_(True), np.float32(1), np.float32(1), np.float32(1)), TypeError,
     "select with boolean `which` cannot have > 2 cases."),
    ((np.bool_(True), np.ones(2, np.float32), np.ones(1, np.float32)), TypeError,
     "select cases must have the same shapes, got [(2,), (1,)]."),
    ((np.array([True, False, True]), np.ones(2, np.float32), np.ones(2, np.float32)), TypeError,
     "select `which` must be scalar or have the same shape as cases, got `which` shape (3,) but "
     "case shape (2,)."),
    ((np.bool_(True), np.ones(2, np.float32), np.ones(2, np.int32)), TypeError,
     "lax.select requires arguments to have the same dtypes, got float32, int32. (Tip: "
     "jnp.where is a similar function that does automatic type promotion on inputs)."),
    ((np.bool_(True),), ValueError, "select_n() must have at least one case"),
]


@pytest.mark.parametrize("args, error, message", SELECT_ERRORS)
def test_select_errors(args, error, message):
    with pytest.raises(error) as info:
        lax.select_n(*args)
    assert str(info.value) == message


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_clamp(jit):
    x = np.array([-2, 0.5, 3, nan], np.float32)
    np.testing.assert_array_equal(run(lax.clamp, np.float32(0), x, np.float32(1), jit=jit),
                                  [0, 0.5, 1, nan])
    np.testing.assert_array_equal(
        run(lax.clamp, np.array([0, 1, 0, 0], np.float32), x, np.array([1, 2, 2, 1], np.float32),
            jit=jit), [0, 1, 2, nan])
    # min > max gives max, as XLA's clamp does
    assert run(lax.clamp, np.float32(1), np.float32(0.5), np.float32(0), jit=jit) == 0
    np.testing.assert_array_equal(run(lax.clamp, np.int8(-1), np.array([-5, 3, 9], np.int8),
                                      np.int8(4), jit=jit), [-1, 3, 4])
    got = run(lax.clamp, np.array(-1, BF16), np.array([-3, 0.5, 3], BF16), np.array(1, BF16))
    assert got.dtype == BF16
    np.testing.assert_array_equal(got.astype(np.float32), [-1, 0.5, 1])
    np.testing.assert_array_equal(run(lax.clamp, 1j, np.array([1j], np.complex64), 2j), [1j])
    np.testing.assert_array_equal(run(lax.clamp, False, np.array([True]), True), [True])


@pytest.mark.parametrize("args, message", [
    ((np.ones(2, np.float32), np.ones(3, np.float32), 1.0),
     "clamp requires min.shape == operand.shape or min.shape == (), got min.shape=(2,), "
     "operand.shape=(3,)."),
    ((0.0, np.ones(3, np.float32), np.ones(2, np.float32)),
     "clamp requires max.shape == operand.shape or max.shape == (), got max.shape=(2,), "
     "operand.shape=(3,)."),
    ((np.int32(0), np.ones(3, np.float32), np.float32(1)),
     "lax.clamp requires arguments to have the same dtypes, got int32, float32, float32."),
])
def test_clamp_errors(args, message):
    with pytest.raises(TypeError) as info:
        lax.clamp(*args)
    assert str(info.value) == message


# -- the identities ----------------------------------------------------------------------------


def test_stop_gradient_and_copy():
    x = np.array([1.5, -2.0], np.float32)
    np.testing.assert_array_equal(run(lax.stop_gradient, x), x)
    np.testing.assert_array_equal(run(lax.copy_p.bind, x), x)
    out = lax.stop_gradient({"a": x, "b": (np.int32(3), 2.0)})
    assert set(out) == {"a", "b"} and isinstance(out["a"], kiln.Array)
    assert out["b"][1].aval.weak_type and not out["b"][0].aval.weak_type
    jaxpr = kiln.make_jaxpr(lambda v: lax.copy_p.bind(lax.stop_gradient(v)))(x)
    assert [e.primitive.name for e in jaxpr.eqns] == ["stop_gradient", "copy"]
