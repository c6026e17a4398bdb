"""sort, sort_key_val, top_k, approx_max_k/approx_min_k: values against NumPy eagerly and
under jit, XLA's orders (NaNs, signed zeros, complex numbers; recorded from JAX 0.10.2),
stability, dtype rules, errors and printed jaxprs."""

from __future__ import annotations

from functools import partial

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import kiln
from kiln import lax

bf16 = ml_dtypes.bfloat16
RNG = np.random.default_rng(4)
nan, inf = np.nan, np.inf


def rand(shape, dtype):
    dt = np.dtype(dtype)
    if dt == np.bool_:
        return RNG.random(shape) < 0.5
    if np.issubdtype(dt, np.complexfloating):
        return (RNG.integers(-2, 3, shape) + 1j * RNG.integers(-2, 3, shape)).astype(dt)
    if dt.kind in "iu":
        return RNG.integers(0 if dt.kind == "u" else -3, 4, shape).astype(dt)  # many ties
    return RNG.standard_normal(shape).astype(dt)


def maybe_jit(f, jit):
    return kiln.jit(f) if jit else f


DTYPES = [np.float32, np.float16, bf16, np.int8, np.uint32, np.int32, np.bool_, np.complex64]
SHAPES_DIMS = [((6,), 0), ((3, 5), 1), ((3, 5), 0), ((2, 3, 4), 1), ((0, 3), 1), ((3, 0), 1)]


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_sort_matches_numpy_stable_sort(dtype, jit) -> None:
    for shape, dim in SHAPES_DIMS:
        x = rand(shape, dtype)
        got = maybe_jit(partial(lax.sort, dimension=dim), jit)(x)
        assert got.dtype == np.dtype(dtype) and got.shape == shape
        wide = x.astype(np.float32) if x.dtype == bf16 else x  # NumPy sorts complex lexically
        np.testing.assert_array_equal(np.asarray(got), np.sort(wide, axis=dim).astype(dtype))
        keys, idx = maybe_jit(partial(lax.sort_key_val, dimension=dim), jit)(
            x, np.broadcast_to(np.arange(shape[dim]).reshape(
                [-1 if i == dim else 1 for i in range(len(shape))]), shape).astype(np.int32))
        np.testing.assert_array_equal(np.asarray(idx),
                                      np.argsort(wide, axis=dim, kind="stable"))


@pytest.mark.parametrize("jit", [False, True])
def test_sort_with_several_keys_is_lexicographic_and_stable(jit) -> None:
    a, b, c = np.array([2, 1, 2, 1]), np.array([4, 3, 2, 1]), np.array([0, 1, 2, 3])
    out = maybe_jit(lambda *xs: lax.sort(xs, num_keys=2), jit)(a, b, c)
    assert isinstance(out, tuple)
    assert [np.asarray(o).tolist() for o in out] == [[1, 1, 2, 2], [1, 3, 2, 4], [3, 1, 2, 0]]
    out = maybe_jit(lambda *xs: lax.sort(list(xs), num_keys=1), jit)(a, b, c)
    assert [np.asarray(o).tolist() for o in out] == [[1, 1, 2, 2], [3, 1, 4, 2], [1, 3, 0, 2]]
    x = rand((4, 6), np.int8)
    y = rand((4, 6), np.float32)
    k1, k2, v = lax.sort((x, y, np.arange(24.0).reshape(4, 6)), dimension=1, num_keys=2)
    order = np.lexsort((y, x), axis=1)
    np.testing.assert_array_equal(v, np.take_along_axis(np.arange(24.0).reshape(4, 6), order, 1))


@settings(max_examples=50, deadline=None)
@given(hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
                  # XLA's CPU code flushes subnormals to zero, so they may compare equal to 0.
                  elements=st.floats(-3, 3, width=32, allow_subnormal=False)
                  | st.sampled_from([nan, inf, -inf, 0.0])),
       st.data())
def test_sort_and_top_k_properties(x, data) -> None:
    axis = data.draw(st.integers(0, x.ndim - 1))
    got = np.asarray(lax.sort(x, dimension=axis))
    np.testing.assert_array_equal(got, np.sort(x, axis=axis))
    k = data.draw(st.integers(0, x.shape[axis]))
    values, idx = lax.top_k(x, k, axis=axis)
    np.testing.assert_array_equal(np.take_along_axis(x, np.asarray(idx), axis), values)
    # non-NaN values come out in descending order, and each index appears once
    v = np.moveaxis(np.asarray(values), axis, -1)
    a, b = v[..., :-1], v[..., 1:]
    assert ((a >= b) | np.isnan(a) | np.isnan(b)).all()
    i = np.sort(np.moveaxis(np.asarray(idx), axis, -1), axis=-1)
    assert (np.diff(i, axis=-1) > 0).all()


# -- XLA's orders, recorded from JAX -------------------------------------------------------------


def test_sort_puts_nans_last_and_treats_zeros_as_equal() -> None:
    f = np.array([1.0, nan, -nan, -inf, inf, 0.0, -0.0, 0.0, -1.0], np.float32)
    keys, idx = lax.sort_key_val(f, np.arange(9, dtype=np.int32))
    assert np.asarray(idx).tolist() == [3, 8, 5, 6, 7, 0, 4, 1, 2]
    assert np.signbit(keys).tolist() == [True, True, False, True, False, False, False, False,
                                         True]
    g = np.array([-nan, nan, -inf, -0.0, 0.0, -nan], np.float32)
    assert np.asarray(lax.sort_key_val(g, np.arange(6))[1]).tolist() == [2, 3, 4, 0, 1, 5]
    h = np.array([-nan, nan, -inf, -0.0, 0.0, 3], np.float16)
    assert np.asarray(lax.sort_key_val(h, np.arange(6))[1]).tolist() == [2, 3, 4, 5, 0, 1]


def test_complex_sort_is_lexicographic_with_nans_last_in_each_part() -> None:
    c = np.array([complex(1, nan), 1 + 5j, complex(nan, 0), complex(nan, -1), 1 - 2j,
                  complex(-inf, nan), complex(-inf, 1)], np.complex64)
    assert np.asarray(lax.sort_key_val(c, np.arange(7))[1]).tolist() == [6, 5, 4, 1, 0, 3, 2]


def test_top_k_uses_the_total_order_and_is_stable() -> None:
    f = np.array([1.0, nan, -nan, -inf, inf, 0.0, -0.0, 0.0, -1.0], np.float32)
    values, idx = lax.top_k(f, 9)
    assert np.asarray(idx).tolist() == [1, 4, 0, 5, 7, 6, 8, 3, 2]
    assert idx.dtype == np.int32
    g = np.array([-nan, nan, -inf, -0.0, 0.0, -nan], np.float32)
    assert np.asarray(lax.top_k(g, 6)[1]).tolist() == [1, 4, 3, 2, 0, 5]
    for dt in (np.float16, bf16):
        h = np.array([-nan, nan, -inf, -0.0, 0.0, 3], dt)
        assert np.asarray(lax.top_k(h, 6)[1]).tolist() == [1, 5, 4, 3, 2, 0]
    values, idx = lax.top_k(np.array([1, 3, 3, 2, 3]), 3)
    assert (np.asarray(values).tolist(), np.asarray(idx).tolist()) == ([3, 3, 3], [1, 2, 4])
    assert np.asarray(lax.top_k(np.array([True, False, True]), 3)[1]).tolist() == [0, 2, 1]
    x = np.array([[3, 1, 2], [0, 5, 4]], np.int32)
    values, idx = lax.top_k(x, 2, axis=0)
    assert np.asarray(values).tolist() == [[3, 5, 4], [0, 1, 2]]
    assert np.asarray(idx).tolist() == [[0, 1, 1], [1, 0, 0]]
    assert np.asarray(lax.top_k(x, 2, axis=-2)[1]).tolist() == [[0, 1, 1], [1, 0, 0]]


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float16, bf16, np.int8, np.uint32, np.bool_],
                         ids=lambda d: np.dtype(d).name)
def test_top_k_matches_a_stable_descending_sort(dtype, jit) -> None:
    for shape, axis in [((7,), 0), ((3, 5), 1), ((4, 3), 0), ((2, 0), 1)]:
        x = rand(shape, dtype)
        for k in {0, min(1, shape[axis]), shape[axis]}:
            values, idx = maybe_jit(partial(lax.top_k, k=k, axis=axis), jit)(x)
            wide = x.astype(np.float64) if x.dtype != np.bool_ else x.astype(np.int8)
            order = np.argsort(-wide, axis=axis, kind="stable")
            order = np.take(order, np.arange(k), axis=axis)
            np.testing.assert_array_equal(np.asarray(idx), order)
            np.testing.assert_array_equal(np.asarray(values), np.take_along_axis(x, order, axis))
            assert values.dtype == np.dtype(dtype) and idx.dtype == np.int32


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float16, bf16], ids=lambda d: np.dtype(d).name)
def test_approx_max_and_min_k_are_exact(dtype, jit) -> None:
    x = rand((4, 9), dtype)
    wide = x.astype(np.float64)
    values, idx = maybe_jit(partial(lax.approx_max_k, k=3), jit)(x)
    np.testing.assert_array_equal(np.asarray(idx), np.argsort(-wide, axis=1, kind="stable")[:, :3])
    values, idx = maybe_jit(partial(lax.approx_min_k, k=2, reduction_dimension=0), jit)(x)
    np.testing.assert_array_equal(np.asarray(idx), np.argsort(wide, axis=0, kind="stable")[:2])
    np.testing.assert_array_equal(np.asarray(values), np.take_along_axis(x, np.asarray(idx), 0))


def test_approx_top_k_recorded_values() -> None:
    x = np.array([[1.0, 5, 3, 5], [7, 2, 9, 0]], np.float32)
    values, idx = lax.approx_max_k(x, 2, aggregate_to_topk=False)
    assert np.asarray(values).tolist() == [[5, 5, 3, 1], [9, 7, 2, 0]]
    assert np.asarray(idx).tolist() == [[1, 3, 2, 0], [2, 0, 1, 3]]
    values, idx = lax.approx_min_k(x, 2, aggregate_to_topk=False)
    assert np.asarray(idx).tolist() == [[0, 2, 1, 3], [3, 1, 0, 2]]
    values, idx = lax.approx_min_k(x.T, 1, reduction_dimension=0)
    assert np.asarray(values).tolist() == [[1, 0]] and np.asarray(idx).tolist() == [[0, 3]]
    values, idx = lax.approx_min_k(np.array([[1, 1, 3], [7, 2, 2.0]], np.float32), 2)
    assert np.asarray(idx).tolist() == [[0, 1], [1, 2]]
    values, idx = lax.approx_max_k(np.array([[1, 1, 3], [7, 9, 9.0]], np.float32), 2)
    assert np.asarray(idx).tolist() == [[2, 0], [1, 2]]


# -- rules and errors -------------------------------------------------------------------------


def test_avals_and_weak_types() -> None:
    weak = kiln.ShapeDtypeStruct((2, 3), np.float32, weak_type=True)
    out = kiln.eval_shape(lax.sort, weak)
    assert (out.shape, out.dtype, out.weak_type) == ((2, 3), np.float32, True)
    values, idx = kiln.eval_shape(lambda x: lax.top_k(x, 2), weak)
    assert (values.shape, values.weak_type) == ((2, 2), True)
    assert (idx.shape, idx.dtype, idx.weak_type) == ((2, 2), np.int32, True)  # as JAX
    values, idx = kiln.eval_shape(lambda x: lax.approx_max_k(x, 2), weak)
    assert (values.shape, idx.dtype, idx.weak_type) == ((2, 2), np.int32, True)
    out = kiln.eval_shape(lambda x: lax.approx_min_k(x, 2, aggregate_to_topk=False), weak)
    assert out[0].shape == (2, 3)
    ok = kiln.eval_shape(lambda x: lax.approx_max_k(x, 1, aggregate_to_topk=False),
                         kiln.ShapeDtypeStruct((1024,), np.float32))
    assert ok[0].shape == (1024,)
    with pytest.raises(NotImplementedError, match="aggregate_to_topk=False"):
        kiln.eval_shape(lambda x: lax.approx_max_k(x, 1, aggregate_to_topk=False),
                        kiln.ShapeDtypeStruct((2, 129), np.float32))


X = np.ones((2, 3), np.float32)
I = np.ones((2, 3), np.int32)


def trace(f, *args):
    return kiln.make_jaxpr(f)(*args)


@pytest.mark.parametrize("f,args,err,msg", [
    (lambda x: lax.sort(x, dimension=2), (X,), ValueError,
     "axis 2 is out of bounds for array of dimension 2"),
    (lambda x: lax.sort(x, dimension=-3), (X,), ValueError,
     "axis -3 is out of bounds for array of dimension 2"),
    (lambda x: lax.sort(x, num_keys=2), (X,), ValueError,
     "num_keys=2 must equal 1 for a single operand."),
    (lambda x, i: lax.sort((x, i), num_keys=3), (X, I), ValueError,
     "num_keys=3 must be between 1 and len(operand)=2"),
    (lambda x, i: lax.sort((x, i)), (X, np.ones((1, 3), np.int32)), TypeError,
     "Arguments to sort must have equal shapes, got: (2, 3) (1, 3)"),
    (lambda x: lax.sort(()), (X,), TypeError, "Sort requires at least one operand"),
    (lambda x: lax.sort_key_val(x[0] if False else x, 2.0), (np.ones(2, np.float32),),
     TypeError, "Arguments to sort must have equal shapes, got: (2,) ()"),
    (lambda x: lax.sort(x), (np.float32(2),), ValueError,
     "axis -1 is out of bounds for array of dimension 0"),
    (lambda x: lax.top_k(x, 4), (X,), ValueError,
     "k argument to top_k must be no larger than size along axis; got k=4 with shape=[2, 3] "
     "and axis=1"),
    (lambda x: lax.top_k(x, -1), (X,), ValueError,
     "k argument to top_k must be nonnegative, got -1"),
    (lambda x: lax.top_k(x, 1, axis=2), (X,), ValueError,
     "axis 2 is out of bounds for array of dimension 2"),
    (lambda x: lax.top_k(x, 1), (np.ones(2, np.complex64),), ValueError,
     "top_k is not compatible with complex inputs."),
    (lambda x: lax.approx_max_k(x, 4), (X,), ValueError,
     "k must be smaller than the size of reduction_dim 3, got 4"),
    (lambda x: lax.approx_max_k(x, 0), (X,), ValueError, "k must be positive, got 0"),
    (lambda x: lax.approx_max_k(x, 1), (np.float32(2),), TypeError,
     "approx_top_k operand must have >= 1 dimension, got ()"),
    (lambda x: lax.approx_max_k(x, 2), (I,), ValueError, "operand must be a floating type"),
])
def test_errors(f, args, err, msg) -> None:
    with pytest.raises(err) as info:
        trace(f, *args)
    assert str(info.value) == msg


@pytest.mark.parametrize("f,args,text", [
    (lambda x: lax.sort(x), (X,),
     "{ lambda ; a:f32[2,3]. let\n    b:f32[2,3] = sort[dimension=1 is_stable=True num_keys=1] a"
     "\n  in (b,) }"),
    (lambda x: lax.sort(x, dimension=0, is_stable=False), (X,),
     "{ lambda ; a:f32[2,3]. let\n"
     "    b:f32[2,3] = sort[dimension=0 is_stable=False num_keys=1] a\n  in (b,) }"),
    (lambda x, i: lax.sort((x, i), num_keys=2), (X, I),
     "{ lambda ; a:f32[2,3] b:i32[2,3]. let\n"
     "    c:f32[2,3] d:i32[2,3] = sort[dimension=1 is_stable=True num_keys=2] a b\n"
     "  in (c, d) }"),
    (lambda x, i: lax.sort_key_val(x, i), (X, I),
     "{ lambda ; a:f32[2,3] b:i32[2,3]. let\n"
     "    c:f32[2,3] d:i32[2,3] = sort[dimension=1 is_stable=True num_keys=1] a b\n"
     "  in (c, d) }"),
    (lambda x: lax.top_k(x, 2), (X,),
     "{ lambda ; a:f32[2,3]. let\n    b:f32[2,2] c:i32[2,2] = top_k[axis=1 k=2] a\n"
     "  in (b, c) }"),
    (lambda x: lax.top_k(x, 0), (X,),
     "{ lambda ; a:f32[2,3]. let\n    b:f32[2,0] c:i32[2,0] = top_k[axis=1 k=0] a\n"
     "  in (b, c) }"),
    (lambda x: lax.approx_max_k(x, 2), (X,),
     "{ lambda ; a:f32[2,3]. let\n"
     "    b:f32[2,2] c:i32[2,2] = approx_top_k[\n"
     "      aggregate_to_topk=True\n"
     "      is_max_k=True\n"
     "      k=2\n"
     "      recall_target=0.95\n"
     "      reduction_dimension=-1\n"
     "      reduction_input_size_override=-1\n"
     "    ] a\n"
     "  in (b, c) }"),
    (lambda x: lax.approx_min_k(x, 2, reduction_dimension=0), (X,),
     "{ lambda ; a:f32[2,3]. let\n"
     "    b:f32[2,3] c:i32[2,3] = approx_top_k[\n"
     "      aggregate_to_topk=True\n"
     "      is_max_k=False\n"
     "      k=2\n"
     "      recall_target=0.95\n"
     "      reduction_dimension=0\n"
     "      reduction_input_size_override=-1\n"
     "    ] a\n"
     "  in (b, c) }"),
])
def test_printed_jaxprs_match_jax(f, args, text) -> None:
    assert str(trace(f, *args)) == text


def test_return_containers_match_jax() -> None:
    assert isinstance(lax.top_k(X, 1), list)  # JAX returns the primitive's list
    assert isinstance(lax.approx_max_k(X, 1), list)
    assert isinstance(lax.sort_key_val(X, I), tuple)
    assert isinstance(lax.sort([X, I]), tuple)
    assert isinstance(lax.sort(X), kiln.Array)


def test_x64_values() -> None:
    with kiln.enable_x64():
        f = np.array([0.0, -0.0, nan, -nan, 1.0, -inf], np.float64)
        values, idx = lax.top_k(f, 6)
        assert values.dtype == np.float64
        assert np.asarray(idx).tolist() == [2, 4, 0, 1, 5, 3]
        assert np.asarray(lax.sort_key_val(f, np.arange(6))[1]).tolist() == [5, 0, 1, 4, 2, 3]
        big = np.array([2**62, -2**62, 5], np.int64)
        assert np.asarray(lax.sort(big)).tolist() == [-2**62, 5, 2**62]
