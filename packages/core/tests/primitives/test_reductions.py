"""Reductions (reduce_sum/prod/max/min/and/or/xor, argmax/argmin, lax.reduce): values
against NumPy eagerly and under jit, JAX's dtype rules, errors and printed jaxprs (literals
recorded from JAX 0.10.2)."""

from __future__ import annotations

from functools import partial

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kiln
from kiln import lax
from kiln.core.primitive import all_primitives

bf16 = ml_dtypes.bfloat16
RNG = np.random.default_rng(1)


def rand(shape: tuple[int, ...], dtype: type) -> np.ndarray:
    dt = np.dtype(dtype)
    if dt == np.bool_:
        return RNG.random(shape) < 0.5
    if np.issubdtype(dt, np.complexfloating):
        return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(dt)
    if dt.kind in "iu":
        return RNG.integers(0 if dt.kind == "u" else -5, 6, shape).astype(dt)
    return RNG.standard_normal(shape).astype(dt)


def run(f, *args, jit: bool):
    return (kiln.jit(f) if jit else f)(*args)


def traced(f, *args):
    """Trace ``f`` (shape-rule errors surface here, as they do under jit)."""
    return kiln.make_jaxpr(f)(*args)


def jaxpr_text(f, *args) -> str:
    return str(kiln.make_jaxpr(f)(*args))


def weak_aval(f, shape, dtype):
    return kiln.eval_shape(f, kiln.ShapeDtypeStruct(shape, dtype, weak_type=True))


def close(got, want, dtype) -> None:
    got = np.asarray(got)
    assert got.dtype == np.dtype(dtype), (got.dtype, dtype)
    tol = {np.dtype(bf16): 3e-2, np.dtype(np.float16): 3e-3}.get(np.dtype(dtype), 1e-5)
    if np.dtype(dtype).kind in "iub":
        np.testing.assert_array_equal(got, np.asarray(want).astype(dtype))
    else:
        np.testing.assert_allclose(got.astype(np.complex128 if got.dtype.kind == "c"
                                              else np.float64),
                                   np.asarray(want), rtol=tol, atol=tol)


# -- values ---------------------------------------------------------------------------------------

NUMERIC = [np.float32, np.float16, bf16, np.int8, np.uint32, np.int32, np.complex64]
SHAPES_AXES = [((3, 4), (0,)), ((3, 4), (1,)), ((2, 3, 4), (0, 2)), ((2, 3, 4), (2, 1, 0)),
               ((), ()), ((3, 0), (1,)), ((3, 0), (0,)), ((4,), ())]


def _np_extremum(np_fn, identity):
    def ref(x, axes):
        wide = x.astype(np.float64) if x.dtype in (np.float16, bf16) else x
        return np_fn(wide, axis=axes, initial=identity(x.dtype))
    return ref


def _max_id(dt):
    dt = np.dtype(dt)
    if dt == np.bool_:
        return False
    if dt.kind in "iu":
        return np.iinfo(dt).min
    return complex(-np.inf, 0) if dt.kind == "c" else -np.inf


def _min_id(dt):
    dt = np.dtype(dt)
    if dt == np.bool_:
        return True
    if dt.kind in "iu":
        return np.iinfo(dt).max
    return complex(np.inf, 0) if dt.kind == "c" else np.inf


def _wide(x):
    if x.dtype.kind in "iu":
        return x.astype(np.int64)
    return x.astype(np.complex128 if x.dtype.kind == "c" else np.float64)


NUMBER_CASES = [
    (lax.reduce_sum, lambda x, axes: np.sum(_wide(x), axis=axes)),
    (lax.reduce_prod, lambda x, axes: np.prod(_wide(x), axis=axes)),
    (lax.reduce_max, _np_extremum(np.max, _max_id)),
    (lax.reduce_min, _np_extremum(np.min, _min_id)),
]


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("dtype", NUMERIC, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("fn,ref", NUMBER_CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_number_reductions_match_numpy(fn, ref, dtype, jit) -> None:
    for shape, axes in SHAPES_AXES:
        x = rand(shape, dtype)
        got = run(partial(fn, axes=axes), x, jit=jit)
        assert got.shape == tuple(d for i, d in enumerate(shape) if i not in axes)
        want = ref(x, axes)
        if np.dtype(dtype).kind in "iu":  # integer arithmetic wraps around
            want = np.asarray(want).astype(dtype)
        close(got, want, dtype)


BITWISE_CASES = [
    (lax.reduce_and, np.bitwise_and), (lax.reduce_or, np.bitwise_or),
    (lax.reduce_xor, np.bitwise_xor),
]


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint8, np.uint32, np.int32],
                         ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("fn,ufunc", BITWISE_CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_bitwise_reductions_match_numpy(fn, ufunc, dtype, jit) -> None:
    for shape, axes in SHAPES_AXES:
        x = rand(shape, dtype)
        if np.dtype(dtype).kind in "iu":
            x = RNG.integers(0, 256, shape).astype(dtype)
        got = run(partial(fn, axes=axes), x, jit=jit)
        identity = np.array(-1).astype(dtype) if ufunc is np.bitwise_and else np.zeros((), dtype)
        want = ufunc.reduce(x, axis=axes, initial=identity[()], dtype=x.dtype)
        close(got, want, dtype)


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float16, bf16, np.int8, np.uint32, np.bool_],
                         ids=lambda d: np.dtype(d).name)
def test_argmax_argmin_match_numpy(dtype, jit) -> None:
    for shape, axis in [((3, 4), 0), ((3, 4), 1), ((5,), 0), ((2, 1, 3), 1)]:
        x = rand(shape, dtype)
        for fn, ref in ((lax.argmax, np.argmax), (lax.argmin, np.argmin)):
            got = run(partial(fn, axis=axis, index_dtype=np.int32), x, jit=jit)
            close(got, ref(x.astype(np.float64) if x.dtype == bf16 else x, axis), np.int32)
    got = lax.argmax(np.array([[1, 7, 7]], np.float32), 1, np.uint8)
    assert got.dtype == np.uint8 and np.asarray(got).tolist() == [1]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.data())
def test_reduce_sum_and_max_over_random_axes(shape, data) -> None:
    axes = data.draw(st.lists(st.integers(0, len(shape) - 1), unique=True))
    x = rand(tuple(shape), np.float32)
    np.testing.assert_allclose(lax.reduce_sum(x, axes), x.sum(axis=tuple(axes)), rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_array_equal(lax.reduce_max(x, axes), x.max(axis=tuple(axes)))


# -- XLA's semantics, recorded from JAX ----------------------------------------------------------


def test_integer_reductions_wrap_around() -> None:
    x = np.array([100, 100], np.int8)
    assert int(lax.reduce_sum(x, (0,))) == -56
    assert int(lax.reduce_prod(x, (0,))) == 16
    assert bool(lax.reduce_xor(np.array([True, True, True]), (0,)))


def test_nans_propagate_through_max_and_min_and_argmax_picks_the_first() -> None:
    f = np.array([1.0, np.nan, 3.0, -np.nan, 5.0], np.float32)
    assert np.isnan(lax.reduce_max(f, (0,))) and np.isnan(lax.reduce_min(f, (0,)))
    assert int(lax.argmax(f, 0, np.int32)) == 1 and int(lax.argmin(f, 0, np.int32)) == 1
    ties = np.array([1.0, 5, 3, 5, 0, 0], np.float32)
    assert int(lax.argmax(ties, 0, np.int32)) == 1 and int(lax.argmin(ties, 0, np.int32)) == 4
    b = np.array([False, True, True])
    assert int(lax.argmax(b, 0, np.int32)) == 1 and int(lax.argmin(b, 0, np.int32)) == 0


def test_max_and_min_order_negative_zero_below_zero() -> None:
    for z in (np.array([0.0, -0.0], np.float32), np.array([-0.0, 0.0], np.float32)):
        assert not np.signbit(lax.reduce_max(z, (0,)))
        assert np.signbit(lax.reduce_min(z, (0,)))
        assert int(lax.argmax(z, 0, np.int32)) == 0 and int(lax.argmin(z, 0, np.int32)) == 0


def test_complex_max_and_min_are_lexicographic() -> None:
    c = np.array([1 + 5j, 1 + 7j, 2 - 1j, -3 + 9j, 2 - 3j], np.complex64)
    assert complex(lax.reduce_max(c, (0,))) == 2 - 1j
    assert complex(lax.reduce_min(c, (0,))) == -3 + 9j
    with pytest.raises(TypeError, match="does not accept dtype complex64"):
        lax.argmax(c, 0, np.int32)  # traceable, but XLA has no complex comparison


@pytest.mark.parametrize("dtype,fn,want", [
    (np.float32, lax.reduce_max, -np.inf), (np.int8, lax.reduce_min, 127),
    (np.uint32, lax.reduce_max, 0), (np.bool_, lax.reduce_max, False),
    (np.bool_, lax.reduce_min, True), (np.complex64, lax.reduce_max, complex(-np.inf, 0)),
    (np.complex64, lax.reduce_min, complex(np.inf, 0)), (np.complex64, lax.reduce_prod, 1),
    (np.int8, lax.reduce_and, -1), (np.uint8, lax.reduce_and, 255),
    (bf16, lax.reduce_max, -np.inf), (ml_dtypes.float8_e4m3fn, lax.reduce_max, -448),
    (ml_dtypes.float8_e4m3fn, lax.reduce_min, 448), (ml_dtypes.int4, lax.reduce_max, -8),
    (np.float32, lax.reduce_sum, 0),
], ids=lambda v: getattr(v, "__name__", str(v)))
def test_empty_reductions_give_the_identity(dtype, fn, want) -> None:
    got = fn(np.zeros((0, 2), dtype), (0,))
    assert got.dtype == np.dtype(dtype) and got.shape == (2,)
    np.testing.assert_array_equal(np.asarray(got).astype(np.complex128), np.full(2, want))


@pytest.mark.parametrize("dtype", [bf16, np.float16, ml_dtypes.float8_e4m3fn, ml_dtypes.int4,
                                   np.complex64, np.int8, np.uint32],
                         ids=lambda d: np.dtype(d).name)
def test_reductions_keep_the_operand_dtype(dtype) -> None:
    x = np.ones((2, 3), dtype)
    for fn in (lax.reduce_sum, lax.reduce_prod, lax.reduce_max, lax.reduce_min):
        assert fn(x, (0,)).dtype == np.dtype(dtype)
    if np.dtype(dtype).kind != "c":
        assert lax.argmax(x, 0, np.int32).dtype == np.int32
    np.testing.assert_array_equal(np.asarray(lax.reduce_sum(x, (0,))).astype(np.complex128),
                                  np.full(3, 2.0))


# -- dtype, shape and weak-type rules ------------------------------------------------------------


@pytest.mark.parametrize("fn,dtype,err,msg", [
    (lax.reduce_sum, np.bool_, TypeError,
     "reduce_sum does not accept dtype bool. Accepted dtypes are subtypes of number."),
    (lax.reduce_prod, np.bool_, TypeError,
     "reduce_prod does not accept dtype bool. Accepted dtypes are subtypes of number."),
    (lax.reduce_and, np.float32, TypeError,
     "logical reduction requires operand dtype bool or int, got float32."),
    (lax.reduce_or, bf16, TypeError,
     "logical reduction requires operand dtype bool or int, got bfloat16."),
    (lax.reduce_xor, np.complex64, TypeError,
     "logical reduction requires operand dtype bool or int, got complex64."),
    (lax.reduce_and, ml_dtypes.int4, TypeError,
     "logical reduction requires operand dtype bool or int, got int4."),
])
def test_dtype_errors(fn, dtype, err, msg) -> None:
    with pytest.raises(err, match="^" + msg.replace(".", r"\.") + "$"):
        traced(lambda x: fn(x, (0,)), np.zeros((2, 3), dtype))


def test_axes_errors() -> None:
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match=r"^reduction axes \(-1,\) contains out-of-bounds "
                                         r"indices for float32\[2,3\]\.$"):
        traced(lambda x: lax.reduce_sum(x, (-1,)), x)
    with pytest.raises(ValueError, match=r"reduction axes \(2,\) contains out-of-bounds"):
        traced(lambda x: lax.reduce_max(x, (2,)), x)
    with pytest.raises(ValueError, match=r"^duplicate value in 'axes' of reduction: \(0, 0\)$"):
        traced(lambda x: lax.reduce_sum(x, (0, 0)), x)
    with pytest.raises(ValueError, match=r"indices for ~float32\[\]\.$"):
        traced(lambda x: lax.reduce_sum(2.0, (0,)), x)
    with pytest.raises(ValueError, match=r"^Invalid axis 2 for operand shape \(2, 3\)$"):
        traced(lambda x: lax.argmax(x, 2, np.int32), x)
    with pytest.raises(ValueError, match=r"^Invalid axis -1 for operand shape \(2, 3\)$"):
        traced(lambda x: lax.argmin(x, -1, np.int32), x)
    with pytest.raises(ValueError, match=r"^argmin and argmax require non-empty reduced "
                                         r"dimension\. operand\.shape=\(0, 3\) axis=0$"):
        traced(lambda x: lax.argmax(x, 0, np.int32), np.zeros((0, 3), np.float32))
    with pytest.raises(TypeError, match="^index_dtype must be an integer type, but got float32$"):
        traced(lambda x: lax.argmax(x, 0, np.float32), x)


def test_weak_types() -> None:
    for fn in (lax.reduce_sum, lax.reduce_max, lax.reduce_min, lax.reduce_prod):
        out = weak_aval(partial(fn, axes=(0,)), (2, 3), np.float32)
        assert (out.shape, out.dtype, out.weak_type) == ((3,), np.float32, True)
    for fn in (lax.reduce_and, lax.reduce_or, lax.reduce_xor):
        assert not weak_aval(partial(fn, axes=(0,)), (2, 3), np.int32).weak_type
    out = weak_aval(lambda x: lax.argmax(x, 0, np.int32), (2, 3), np.float32)
    assert (out.dtype, out.weak_type) == (np.int32, False)
    y = lax.reduce_sum(2.0, ())
    assert y.aval.weak_type and y.dtype == np.float32 and float(y) == 2.0


def test_index_dtype_is_canonicalized_like_jax() -> None:
    x = np.ones((2, 3), np.float32)
    with pytest.warns(UserWarning, match="Explicitly requested dtype int64 requested in argmax "
                                         "is not available, and will be truncated to dtype "
                                         "int32"):
        assert lax.argmax(x, 0, np.int64).dtype == np.int32
    assert jaxpr_text(lambda x: lax.argmax(x, 0, int), x) == (
        "{ lambda ; a:f32[2,3]. let\n"
        "    b:i32[3] = argmax[axes=(0,) index_dtype=int32] a\n"
        "  in (b,) }")
    with kiln.enable_x64():
        assert lax.argmax(x, 0, np.int64).dtype == np.int64


# -- printed jaxprs (recorded from JAX 0.10.2) ---------------------------------------------------

X = np.ones((2, 3), np.float32)
B = np.ones((2, 3), bool)
I = np.ones((2, 3), np.int32)


@pytest.mark.parametrize("f,arg,text", [
    (lambda x: lax.reduce_sum(x, (0,)), X,
     "{ lambda ; a:f32[2,3]. let\n    b:f32[3] = reduce_sum[axes=(0,) out_sharding=None] a\n"
     "  in (b,) }"),
    (lambda x: lax.reduce_max(x, (0, 1)), X,
     "{ lambda ; a:f32[2,3]. let b:f32[] = reduce_max[axes=(0, 1)] a in (b,) }"),
    (lambda x: lax.reduce_min(x, (1,)), X,
     "{ lambda ; a:f32[2,3]. let b:f32[2] = reduce_min[axes=(1,)] a in (b,) }"),
    (lambda x: lax.reduce_prod(x, (1,)), X,
     "{ lambda ; a:f32[2,3]. let b:f32[2] = reduce_prod[axes=(1,)] a in (b,) }"),
    (lambda x: lax.reduce_and(x, (1,)), B,
     "{ lambda ; a:bool[2,3]. let b:bool[2] = reduce_and[axes=(1,)] a in (b,) }"),
    (lambda x: lax.reduce_or(x, (1,)), B,
     "{ lambda ; a:bool[2,3]. let b:bool[2] = reduce_or[axes=(1,)] a in (b,) }"),
    (lambda x: lax.reduce_xor(x, (1,)), I,
     "{ lambda ; a:i32[2,3]. let b:i32[2] = reduce_xor[axes=(1,)] a in (b,) }"),
    (lambda x: lax.argmax(x, 1, np.int32), X,
     "{ lambda ; a:f32[2,3]. let\n    b:i32[2] = argmax[axes=(1,) index_dtype=int32] a\n"
     "  in (b,) }"),
    (lambda x: lax.argmin(x, 0, np.int16), X,
     "{ lambda ; a:f32[2,3]. let\n    b:i16[3] = argmin[axes=(0,) index_dtype=int16] a\n"
     "  in (b,) }"),
    (lambda x: lax.reduce_sum(x, [1, 0]), X,
     "{ lambda ; a:f32[2,3]. let\n    b:f32[] = reduce_sum[axes=(1, 0) out_sharding=None] a\n"
     "  in (b,) }"),
    (lambda x: lax.reduce_sum(2.0, ()), X,
     "{ lambda ; a:f32[2,3]. let\n"
     "    b:f32[] = reduce_sum[axes=() out_sharding=None] 2.0:f32[]\n  in (b,) }"),
])
def test_printed_jaxprs_match_jax(f, arg, text) -> None:
    assert jaxpr_text(f, arg) == text


# -- lax.reduce -----------------------------------------------------------------------------------


def _bitwise(name):
    fn = getattr(lax, name, None)
    if fn is None:
        pytest.skip(f"lax.{name} is not defined yet")
    return fn


@pytest.mark.parametrize("make_comp,init,arg,text", [
    (lambda: lax.add, 0.0, X, "b:f32[3] = reduce_sum[axes=(0,) out_sharding=None] a"),
    (lambda: lax.add, np.float32(0), X, "b:f32[3] = reduce_sum[axes=(0,) out_sharding=None] a"),
    (lambda: lax.add, 0, X, "b:f32[3] = reduce_sum[axes=(0,) out_sharding=None] a"),
    (lambda: lax.add, 0.0, I, "b:i32[3] = reduce_sum[axes=(0,) out_sharding=None] a"),
    (lambda: lax.mul, 1.0, X, "b:f32[3] = reduce_prod[axes=(0,)] a"),
    (lambda: _bitwise("max"), -np.inf, X, "b:f32[3] = reduce_max[axes=(0,)] a"),
    (lambda: _bitwise("min"), np.inf, X, "b:f32[3] = reduce_min[axes=(0,)] a"),
    (lambda: _bitwise("bitwise_and"), -1, I, "b:i32[3] = reduce_and[axes=(0,)] a"),
    (lambda: _bitwise("bitwise_or"), 0, I, "b:i32[3] = reduce_or[axes=(0,)] a"),
    (lambda: _bitwise("bitwise_xor"), 0, I, "b:i32[3] = reduce_xor[axes=(0,)] a"),
    (lambda: _bitwise("bitwise_and"), True, B, "b:bool[3] = reduce_and[axes=(0,)] a"),
    (lambda: _bitwise("bitwise_or"), False, B, "b:bool[3] = reduce_or[axes=(0,)] a"),
])
def test_reduce_with_a_known_monoid_is_the_specific_reduction(make_comp, init, arg, text) -> None:
    comp = make_comp()
    assert f"    {text}\n" in jaxpr_text(lambda x: lax.reduce(x, init, comp, (0,)), arg) \
        or f"let {text} in" in jaxpr_text(lambda x: lax.reduce(x, init, comp, (0,)), arg)


def test_reduce_with_another_computation_carries_its_jaxpr() -> None:
    assert jaxpr_text(lambda x: lax.reduce(x, 1.0, lax.add, (0,)), X) == (
        "{ lambda ; a:f32[2,3]. let\n"
        "    b:f32[3] = reduce[\n"
        "      computation=<function add at 0xXXXXXXXXXXXX>\n"
        "      dimensions=(0,)\n"
        "      jaxpr={ lambda ; c:f32[] d:f32[]. let e:f32[] = add c d in (e,) }\n"
        "    ] a 1.0:f32[]\n"
        "  in (b,) }")
    pair = lambda a, b: (lax.add(a[0], b[0]), lax.mul(a[1], b[1]))
    text = jaxpr_text(lambda x, i: lax.reduce((x, i), (0.0, 0), pair, (0,)), X, I)
    assert text.startswith(
        "{ lambda ; a:f32[2,3] b:i32[2,3]. let\n"
        "    c:f32[3] d:i32[3] = reduce[\n"
        "      computation=<function test_reduce_with_another_computation_carries_its_jaxpr"
        ".<locals>.<lambda> at 0xXXXXXXXXXXXX>\n"
        "      dimensions=(0,)\n"
        "      jaxpr={ lambda ; e:f32[] f:i32[] g:f32[] h:i32[]. let\n"
        "          i:f32[] = add e g\n"
        "          j:i32[] = mul f h\n"
        "        in (i, j) }\n"
        "    ] a b 0.0:f32[] 0:i32[]\n"
        "  in (c, d) }")


@pytest.mark.parametrize("jit", [False, True])
def test_reduce_values_are_a_left_fold(jit) -> None:
    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    fold = lambda a, b: lax.add(lax.mul(a, 2.0), b)
    got = run(lambda x: lax.reduce(x, 0.0, fold, (1,)), x, jit=jit)
    np.testing.assert_array_equal(got, [4.0, 25.0])  # JAX: [4. 25.]
    x3 = rand((2, 3, 4), np.float32)
    got = run(lambda x: lax.reduce(x, 1.0, lax.add, (0, 2)), x3, jit=jit)
    np.testing.assert_allclose(got, x3.sum(axis=(0, 2)) + 1, rtol=1e-5)
    pair = lambda a, b: {"s": lax.add(a["s"], b["s"]), "p": lax.mul(a["p"], b["p"])}
    i = RNG.integers(1, 4, (3, 4)).astype(np.int32)
    got = run(lambda x, i: lax.reduce({"s": x, "p": i}, {"s": 0.0, "p": 1}, pair, (1,)),
              x3[0], i, jit=jit)
    np.testing.assert_allclose(got["s"], x3[0].sum(axis=1), rtol=1e-5)
    np.testing.assert_array_equal(got["p"], i.prod(axis=1))


def test_reduce_of_a_non_elementwise_computation_still_folds() -> None:
    # integer_pow then add: elementwise, but exercise an empty reduction and weak types too
    x = np.zeros((0, 3), np.float32)
    got = lax.reduce(x, 5.0, lambda a, b: lax.add(a, lax.integer_pow(b, 2)), (0,))
    np.testing.assert_array_equal(got, [5.0, 5.0, 5.0])
    assert not got.aval.weak_type


def test_reduce_errors() -> None:
    with pytest.raises(ValueError, match="Operands must have the same tree structure as "
                                         "init_values"):
        lax.reduce(X, (0.0, 1.0), lax.add, (0,))
    with pytest.raises(ValueError, match=r"^reduce found non-scalar initial value: \[\(2,\)\]$"):
        traced(lambda x: lax.reduce(x, np.zeros(2, np.float32), lax.add, (0,)), X)
    with pytest.raises(ValueError, match=r"reduction axes \(3,\) contains out-of-bounds"):
        traced(lambda x: lax.reduce(x, 0.0, lax.add, (3,)), X)
    with pytest.raises(TypeError, match="reduce operand dtypes should match corresponding "
                                        "initial value dtypes"):
        traced(lambda x: lax.reduce(x, 1.0, lax.add, (0,)), I)


def test_reduce_weak_type_of_monoids() -> None:
    strong_init = lambda x: lax.reduce(x, np.float32(0), lax.add, (0,))
    if not any(p.name == "convert_element_type" for p in all_primitives):
        pytest.skip("convert_element_type is not defined yet")
    out = weak_aval(strong_init, (2, 3), np.float32)
    assert not out.weak_type
    text = str(kiln.make_jaxpr(strong_init)(kiln.ShapeDtypeStruct((2, 3), np.float32,
                                                                  weak_type=True)))
    assert text == (
        "{ lambda ; a:f32[2,3]. let\n"
        "    b:f32[3] = reduce_sum[axes=(0,) out_sharding=None] a\n"
        "    c:f32[3] = convert_element_type[new_dtype=float32 weak_type=False] b\n"
        "  in (c,) }")
    assert weak_aval(lambda x: lax.reduce(x, 0.0, lax.add, (0,)), (2, 3), np.float32).weak_type


@pytest.mark.xfail(reason="the NumPy backend runs an impl rule before the shape rule, so eager "
                          "calls raise NumPy's errors rather than JAX's", strict=False)
def test_eager_calls_raise_the_shape_rule_errors() -> None:
    with pytest.raises(TypeError, match="logical reduction requires operand dtype bool or int"):
        lax.reduce_and(np.ones(3, np.float32), (0,))
    with pytest.raises(ValueError, match="contains out-of-bounds indices"):
        lax.reduce_max(np.ones((2, 3), np.float32), (2,))


def test_x64_values() -> None:
    with kiln.enable_x64():
        x = rand((3, 4), np.float64)
        got = lax.reduce_sum(x, (1,))
        assert got.dtype == np.float64
        np.testing.assert_allclose(got, x.sum(axis=1), rtol=1e-12)
        assert lax.argmax(x, 0, np.int64).dtype == np.int64
        np.testing.assert_array_equal(lax.argmax(x, 0, np.int64), np.argmax(x, 0))
        i = np.array([2**40, 2**40], np.int64)
        assert int(lax.reduce_sum(i, (0,))) == 2**41
        np.testing.assert_array_equal(lax.reduce_max(np.array([[-2**62, 3]], np.int64), (1,)),
                                      [3])
