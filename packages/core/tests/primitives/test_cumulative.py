"""Cumulative reductions (cumsum, cumprod, cummax, cummin, cumlogsumexp): values against
NumPy eagerly and under jit, XLA's semantics, dtype rules, errors and printed jaxprs
(literals recorded from JAX 0.10.2), and the decompositions against the impls."""

from __future__ import annotations

from functools import partial

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kiln
from kiln import lax
from kiln.core.primitive import get_rule
from kiln.core.primitives import cumulative

bf16 = ml_dtypes.bfloat16
RNG = np.random.default_rng(2)


def rand(shape, dtype):
    dt = np.dtype(dtype)
    if np.issubdtype(dt, np.complexfloating):
        return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(dt)
    if dt.kind in "iu":
        return RNG.integers(0 if dt.kind == "u" else -4, 5, shape).astype(dt)
    return RNG.standard_normal(shape).astype(dt)


def np_logcumsumexp(x, axis):
    return np.log(np.cumsum(np.exp(x.astype(np.complex128 if x.dtype.kind == "c"
                                            else np.float64)), axis=axis))


def wide(x):
    if x.dtype.kind in "iu":
        return x.astype(np.int64)
    return x.astype(np.complex128 if x.dtype.kind == "c" else np.float64)


REFS = {
    "cumsum": (lax.cumsum, lambda x, axis: np.cumsum(wide(x), axis=axis)),
    "cumprod": (lax.cumprod, lambda x, axis: np.cumprod(wide(x), axis=axis)),
    "cummax": (lax.cummax, lambda x, axis: np.maximum.accumulate(wide(x), axis=axis)),
    "cummin": (lax.cummin, lambda x, axis: np.minimum.accumulate(wide(x), axis=axis)),
    "cumlogsumexp": (lax.cumlogsumexp, np_logcumsumexp),
}
DTYPES = [np.float32, np.float16, bf16, np.int8, np.uint32, np.int32, np.complex64]
SHAPES_AXES = [((5,), 0), ((3, 4), 0), ((3, 4), 1), ((2, 3, 4), 2), ((0, 3), 0), ((3, 0), 1)]


def check(got, want, dtype):
    got = np.asarray(got)
    assert got.dtype == np.dtype(dtype)
    if np.dtype(dtype).kind in "iu":
        np.testing.assert_array_equal(got, np.asarray(want).astype(dtype))
    else:
        tol = {np.dtype(bf16): 5e-2, np.dtype(np.float16): 5e-3}.get(np.dtype(dtype), 1e-5)
        target = np.complex128 if got.dtype.kind == "c" else np.float64
        np.testing.assert_allclose(got.astype(target), want, rtol=tol, atol=tol)


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", list(REFS))
def test_values_match_numpy(name, dtype, reverse, jit) -> None:
    fn, ref = REFS[name]
    if name == "cumlogsumexp" and np.dtype(dtype).kind in "iu":
        return  # see test_cumlogsumexp_of_integers_fails_like_jax
    for shape, axis in SHAPES_AXES:
        x = rand(shape, dtype)
        f = partial(fn, axis=axis, reverse=reverse)
        got = (kiln.jit(f) if jit else f)(x)
        want = np.flip(ref(np.flip(x, axis), axis), axis) if reverse else ref(x, axis)
        check(got, want, dtype)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=1, max_size=3), st.data())
def test_cumsum_of_random_shapes(shape, data) -> None:
    axis = data.draw(st.integers(0, len(shape) - 1))
    x = rand(tuple(shape), np.float32)
    np.testing.assert_allclose(lax.cumsum(x, axis), np.cumsum(x, axis), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(lax.cummax(x, axis, True),
                                  np.flip(np.maximum.accumulate(np.flip(x, axis), axis), axis))


# -- XLA's semantics, recorded from JAX ----------------------------------------------------------


def test_nans_propagate() -> None:
    f = np.array([1.0, np.nan, 3.0, 0.0, 5.0], np.float32)
    nan = np.nan
    for fn in (lax.cummax, lax.cummin, lax.cumsum, lax.cumlogsumexp):
        np.testing.assert_array_equal(fn(f), [1.0, nan, nan, nan, nan])
    np.testing.assert_array_equal(lax.cummax(f, reverse=True), [nan, nan, 5.0, 5.0, 5.0])


def test_cumlogsumexp_is_stable_and_handles_infinities() -> None:
    inf = np.inf
    np.testing.assert_array_equal(
        lax.cumlogsumexp(np.array([-inf, -inf, 1.0, inf, inf], np.float32)),
        [-inf, -inf, 1.0, inf, inf])
    np.testing.assert_allclose(lax.cumlogsumexp(np.array([1000.0, 1000.0, -1000], np.float32)),
                               [1000.0, 1000.6932, 1000.6932], rtol=1e-6)
    c = np.array([1 + 1j, 2 - 0.5j, 0.3 + 2j, -1 + 3j], np.complex64)
    np.testing.assert_allclose(  # JAX 0.10.2's values
        lax.cumlogsumexp(c),
        [1 + 1j, 2.0858748 - 0.15652561j, 2.0003324 - 0.0037508j, 1.9498031 + 0.00344253j],
        rtol=1e-5, atol=1e-6)


def test_complex_cummax_and_cummin_are_lexicographic() -> None:
    c = np.array([1 + 5j, 1 + 7j, 2 - 1j, -3 + 9j, 2 - 3j], np.complex64)
    np.testing.assert_array_equal(lax.cummax(c), [1 + 5j, 1 + 7j, 2 - 1j, 2 - 1j, 2 - 1j])
    np.testing.assert_array_equal(lax.cummin(c), [1 + 5j, 1 + 5j, 1 + 5j, -3 + 9j, -3 + 9j])


def test_integers_wrap_around() -> None:
    np.testing.assert_array_equal(lax.cumsum(np.array([100, 100, 100], np.int8)), [100, -56, 44])
    np.testing.assert_array_equal(lax.cumprod(np.array([100, 100, 3], np.int8)), [100, 16, 48])
    np.testing.assert_array_equal(lax.cumsum(np.array([1, 3, 2], ml_dtypes.int4)), [1, 4, 6])


def test_negative_zero_is_below_zero() -> None:
    z = np.array([0.0, -0.0, 0.0], np.float32)
    assert np.signbit(lax.cummax(z)).tolist() == [False, False, False]
    assert np.signbit(lax.cummin(z)).tolist() == [False, True, True]


def test_cumlogsumexp_of_integers_fails_like_jax() -> None:
    x = np.array([1, 2, 3], np.int8)
    assert kiln.eval_shape(lax.cumlogsumexp, x).dtype == np.int8  # JAX traces it...
    with pytest.raises(OverflowError):
        lax.cumlogsumexp(x)  # ...and fails running it


# -- rules, errors, printing --------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.int8, np.uint32, bf16, np.complex64,
                                   ml_dtypes.float8_e4m3fn, ml_dtypes.int4],
                         ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", list(REFS))
def test_result_has_the_operand_dtype_and_weak_type(name, dtype) -> None:
    fn = REFS[name][0]
    out = kiln.eval_shape(fn, kiln.ShapeDtypeStruct((2, 3), dtype))
    assert (out.shape, out.dtype, out.weak_type) == ((2, 3), np.dtype(dtype), False)
    weak = kiln.eval_shape(fn, kiln.ShapeDtypeStruct((2, 3), np.float32, weak_type=True))
    assert weak.weak_type


@pytest.mark.parametrize("name", list(REFS))
def test_errors(name) -> None:
    fn = REFS[name][0]
    x = np.ones((2, 3), np.float32)
    trace = lambda f, *a: kiln.make_jaxpr(f)(*a)
    with pytest.raises(TypeError, match=f"^{name} does not accept dtype bool. Accepted dtypes "
                                        "are subtypes of number.$"):
        trace(fn, np.ones(3, bool))
    with pytest.raises(ValueError, match="^XLA operations do not allow negative axes$"):
        trace(partial(fn, axis=-1), x)
    with pytest.raises(ValueError, match=r"^axis 2 is out of bounds for array of shape "
                                         r"\(2, 3\)$"):
        trace(partial(fn, axis=2), x)
    with pytest.raises(ValueError, match=r"^axis 0 is out of bounds for array of shape \(\)$"):
        trace(fn, np.float32(2))


X = np.ones((2, 3), np.float32)


@pytest.mark.parametrize("f,text", [
    (lax.cumsum,
     "{ lambda ; a:f32[2,3]. let b:f32[2,3] = cumsum[axis=0 reverse=False] a in (b,) }"),
    (lambda x: lax.cumprod(x, 1, True),
     "{ lambda ; a:f32[2,3]. let b:f32[2,3] = cumprod[axis=1 reverse=True] a in (b,) }"),
    (lambda x: lax.cumlogsumexp(x, axis=1),
     "{ lambda ; a:f32[2,3]. let\n    b:f32[2,3] = cumlogsumexp[axis=1 reverse=False] a\n"
     "  in (b,) }"),
    (lambda x: lax.cummax(x, axis=1, reverse=True),
     "{ lambda ; a:f32[2,3]. let b:f32[2,3] = cummax[axis=1 reverse=True] a in (b,) }"),
    (lambda x: lax.cummin(x),
     "{ lambda ; a:f32[2,3]. let b:f32[2,3] = cummin[axis=0 reverse=False] a in (b,) }"),
])
def test_printed_jaxprs_match_jax(f, text) -> None:
    assert str(kiln.make_jaxpr(f)(X)) == text


# -- decompositions -----------------------------------------------------------------------------

_NEEDS = {
    "cumsum": ["add"], "cumprod": ["mul"], "cummax": ["max"], "cummin": ["min"],
    "cumlogsumexp": ["max", "sub", "select", "ne", "add", "log1p", "exp", "neg", "abs"],
}


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("name", list(REFS))
def test_decomposition_matches_impl(name, reverse) -> None:
    missing = [n for n in ["slice_in_dim", "concatenate", *_NEEDS[name]] if not hasattr(lax, n)]
    if missing:
        pytest.skip(f"lax functions not defined yet: {missing}")
    decomposition = get_rule("decomposition", cumulative.PRIMITIVES[name])
    for shape, axis in [((7,), 0), ((3, 5), 1), ((4, 2), 0), ((1, 3), 0)]:
        for dtype in (np.float32, np.int32):
            if name == "cumlogsumexp" and dtype == np.int32:
                continue
            x = rand(shape, dtype)
            want = REFS[name][0](x, axis, reverse)
            got = decomposition(x, axis=axis, reverse=reverse)
            assert got.dtype == want.dtype
            np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-6)


def test_x64_values() -> None:
    with kiln.enable_x64():
        x = rand((3, 5), np.float64)
        for fn, ref in REFS.values():
            got = fn(x, 1)
            assert got.dtype == np.float64
            np.testing.assert_allclose(got, ref(x, 1), rtol=1e-12, atol=1e-12)
        i = np.array([2**40, 2**40, 2**40], np.int64)
        assert np.asarray(lax.cumsum(i)).tolist() == [2**40, 2**41, 3 * 2**40]
