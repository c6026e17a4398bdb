"""dot_general, lax.dot and lax.batch_matmul: values against NumPy eagerly and under jit,
JAX's dtype rules (the full table recorded from JAX 0.10.2), errors, precision handling and
printed jaxprs."""

from __future__ import annotations

import warnings

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kiln
from kiln import lax

bf16 = ml_dtypes.bfloat16
RNG = np.random.default_rng(3)


def rand(shape, dtype):
    dt = np.dtype(dtype)
    if dt == np.bool_:
        return RNG.random(shape) < 0.5
    if np.issubdtype(dt, np.complexfloating):
        return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(dt)
    if dt.kind in "iu":
        return RNG.integers(0 if dt.kind == "u" else -4, 5, shape).astype(dt)
    return RNG.standard_normal(shape).astype(dt)


def ref_dot(lhs, rhs, dims):
    """dot_general by NumPy: move batch, free, contracting dims into place, then matmul."""
    (lc, rc), (lb, rb) = dims
    lf = [d for d in range(lhs.ndim) if d not in (*lc, *lb)]
    rf = [d for d in range(rhs.ndim) if d not in (*rc, *rb)]
    kind = np.complex128 if "c" in (lhs.dtype.kind, rhs.dtype.kind) else np.float64
    lhs, rhs = lhs.astype(kind), rhs.astype(kind)
    size = lambda x, ds: int(np.prod([x.shape[d] for d in ds], dtype=np.int64))
    batch = [lhs.shape[d] for d in lb]
    lm = np.transpose(lhs, [*lb, *lf, *lc]).reshape(batch + [size(lhs, lf), size(lhs, lc)])
    rm = np.transpose(rhs, [*rb, *rc, *rf]).reshape(batch + [size(rhs, rc), size(rhs, rf)])
    out = np.matmul(lm, rm)
    return out.reshape(batch + [lhs.shape[d] for d in lf] + [rhs.shape[d] for d in rf])


CASES = [
    ((2, 3), (3, 4), (((1,), (0,)), ((), ()))),
    ((3,), (3,), (((0,), (0,)), ((), ()))),
    ((2, 3), (3,), (((1,), (0,)), ((), ()))),
    ((5, 2, 3), (5, 3, 4), (((2,), (1,)), ((0,), (0,)))),
    ((3, 2, 5), (4, 3, 5), (((0,), (1,)), ((2,), (2,)))),
    ((2, 3, 4), (4, 3, 2), (((1, 2), (1, 0)), ((), ()))),
    ((2, 3), (4,), (((), ()), ((), ()))),
    ((), (), (((), ()), ((), ()))),
    ((2, 0), (0, 3), (((1,), (0,)), ((), ()))),
    ((0, 2), (2, 3), (((1,), (0,)), ((), ()))),
]


def check(got, want, dtype):
    got = np.asarray(got)
    assert got.dtype == np.dtype(dtype), (got.dtype, dtype)
    if np.dtype(dtype).kind in "iub":
        np.testing.assert_array_equal(got, want)
    else:
        tol = {np.dtype(bf16): 5e-2, np.dtype(np.float16): 5e-3}.get(np.dtype(dtype), 1e-5)
        target = np.complex128 if got.dtype.kind == "c" else np.float64
        np.testing.assert_allclose(got.astype(target), want, rtol=tol, atol=tol)


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float16, bf16, np.int8, np.uint32,
                                   np.int32, np.complex64, np.bool_],
                         ids=lambda d: np.dtype(d).name)
def test_values_match_numpy(dtype, jit) -> None:
    for lshape, rshape, dims in CASES:
        lhs, rhs = rand(lshape, dtype), rand(rshape, dtype)
        f = lambda a, b, dims=dims: lax.dot_general(a, b, dims)
        got = (kiln.jit(f) if jit else f)(lhs, rhs)
        want = ref_dot(lhs, rhs, dims)
        if np.dtype(dtype) == np.bool_:
            want = want != 0
        elif np.dtype(dtype).kind in "iu":
            want = want.astype(np.int64).astype(dtype)
        check(got, want, dtype)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=0, max_size=2),
       st.lists(st.integers(0, 3), min_size=0, max_size=2),
       st.lists(st.integers(0, 3), min_size=0, max_size=2),
       st.lists(st.integers(0, 3), min_size=0, max_size=2), st.randoms())
def test_random_dimension_numbers(batch, contract, lfree, rfree, rnd) -> None:
    # lay out each operand's batch, contracting and free dims in a random order
    def layout(free):
        kinds = ["b"] * len(batch) + ["c"] * len(contract) + ["f"] * len(free)
        rnd.shuffle(kinds)
        counters, shape, where = {"b": 0, "c": 0, "f": 0}, [], {"b": [], "c": [], "f": []}
        for i, k in enumerate(kinds):
            size = {"b": batch, "c": contract, "f": free}[k][counters[k]]
            counters[k] += 1
            shape.append(size)
            where[k].append(i)
        return tuple(shape), where

    lshape, lw = layout(lfree)
    rshape, rw = layout(rfree)
    dims = ((tuple(lw["c"]), tuple(rw["c"])), (tuple(lw["b"]), tuple(rw["b"])))
    lhs, rhs = rand(lshape, np.float32), rand(rshape, np.float32)
    got = lax.dot_general(lhs, rhs, dims)
    np.testing.assert_allclose(got, ref_dot(lhs, rhs, dims), rtol=1e-5, atol=1e-5)
    assert got.shape == tuple(batch) + tuple(lfree) + tuple(rfree)


def test_dot_and_batch_matmul() -> None:
    a, b = rand((2, 3), np.float32), rand((3, 4), np.float32)
    np.testing.assert_allclose(lax.dot(a, b), a @ b, rtol=1e-6)
    np.testing.assert_allclose(lax.dot(a[0], b), a[0] @ b, rtol=1e-6)
    np.testing.assert_allclose(lax.dot(a, b[:, 0]), a @ b[:, 0], rtol=1e-6)
    np.testing.assert_allclose(lax.dot(a[0], b[:, 1]), a[0] @ b[:, 1], rtol=1e-6)
    x, y = rand((5, 2, 3), np.float32), rand((5, 3, 4), np.float32)
    np.testing.assert_allclose(lax.batch_matmul(x, y), x @ y, rtol=1e-5)
    np.testing.assert_allclose(kiln.jit(lax.batch_matmul)(x, y), x @ y, rtol=1e-5)
    np.testing.assert_allclose(lax.batch_matmul(a, b), a @ b, rtol=1e-6)


# -- mixed dtypes and preferred_element_type: values recorded from JAX ---------------------------


def test_mixed_and_preferred_values() -> None:
    i8 = lambda *v: np.array(v, np.int8)
    assert int(lax.dot(i8(100, 100), i8(1, 2))) == 44  # wraps around in int8
    assert int(lax.dot(i8(100, 100), i8(1, 2), preferred_element_type=np.int32)) == 300
    assert bool(lax.dot(np.array([True, False]), np.array([True, True])))
    assert not bool(lax.dot(np.array([False, False]), np.array([True, True])))
    t = np.array([True, True])
    assert int(lax.dot(t, t, preferred_element_type=np.int32)) == 2
    u8 = np.array([200, 200], np.uint8)
    assert int(lax.dot(u8, i8(1, 1))) == -112
    assert float(lax.dot(u8, i8(1, 1), preferred_element_type=np.float32)) == 400.0
    assert int(lax.dot(u8, i8(-1, 1), preferred_element_type=np.int16)) == 0
    f = np.array([1.5, 2.0], np.float32)
    assert float(lax.dot(f, np.array([3, 1], np.int8))) == 6.5
    assert float(lax.dot(f, np.array([True, False]))) == 1.5
    c = np.array([1 + 2j, 2], np.complex64)
    assert complex(lax.dot(c, np.array([3.0, 1.0], np.float32))) == 5 + 6j
    h = np.array([1e4, 1e4], np.float16)
    assert float(lax.dot(h, h, preferred_element_type=np.float32)) == 2e8
    assert float(lax.dot(np.array([1e4, -1e4], np.float16), h)) == 0.0  # no f16 overflow
    c2 = np.array([1 + 2j, 3j], np.complex64), np.array([1 + 1j, 2], np.complex64)
    assert float(lax.dot(*c2, preferred_element_type=np.float32)) == -1.0  # the real part
    ones = np.ones(2, np.float32)
    assert int(lax.dot(np.array([1.5, 2.7], np.float32), ones,
                       preferred_element_type=np.int32)) == 4
    assert not bool(lax.dot(np.array([0.5, -0.5], np.float32), ones, preferred_element_type=bool))
    assert complex(lax.dot(np.array([1, 2], np.int32), np.array([3, 4], np.int32),
                           preferred_element_type=np.complex64)) == 11
    x, y = rand((2, 3), bf16), rand((3, 4), bf16)
    got = lax.dot(x, y, preferred_element_type=np.float32)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, x.astype(np.float32) @ y.astype(np.float32), rtol=1e-6)


# Result dtype of dot(lhs, rhs) for every pair, recorded from JAX 0.10.2 ("ERR": TypeError).
_NAMES = ["bool", "int4", "int8", "uint8", "int16", "uint16", "int32", "uint32", "float8_e4m3fn",
          "float8_e5m2", "float8_e4m3b11fnuz", "float8_e4m3fnuz", "float8_e4m3", "float16",
          "bfloat16", "float32", "complex64"]
_SHORT = "b i4 i8 u8 i16 u16 i32 u32 f8_e4m3fn f8_e5m2 f8_e4m3b11fnuz f8_e4m3fnuz f8_e4m3 " \
         "f16 bf16 f32 c64".split()
_F8 = "f8_e4m3fn f8_e5m2 f8_e4m3b11fnuz f8_e4m3fnuz f8_e4m3"
_TABLE = {
    "b": f"b i4 i8 u8 i16 u16 i32 u32 {_F8} f16 bf16 f32 c64",
    "i4": f"i4 i4 i8 u8 i16 u16 i32 u32 {_F8} f16 bf16 f32 c64",
    "i8": f"i8 i8 i8 i8 i16 u16 i32 u32 {_F8} f16 bf16 f32 c64",
    "u8": f"u8 u8 i8 u8 i16 u16 i32 u32 {_F8} f16 bf16 f32 c64",
    "i16": f"i16 i16 i16 i16 i16 i16 i32 u32 {_F8} f16 bf16 f32 c64",
    "u16": f"u16 u16 u16 u16 i16 u16 i32 u32 {_F8} f16 bf16 f32 c64",
    "i32": f"i32 i32 i32 i32 i32 i32 i32 i32 {_F8} f16 bf16 f32 c64",
    "u32": f"u32 u32 u32 u32 u32 u32 i32 u32 {_F8} f16 bf16 f32 c64",
    "f8_e4m3fn": " ".join(["f8_e4m3fn"] * 9)
    + " f8_e5m2 f8_e4m3fn f8_e4m3fn f8_e4m3fn f16 bf16 f32 c64",
    "f8_e5m2": " ".join(["f8_e5m2"] * 13) + " f16 bf16 f32 c64",
    "f8_e4m3b11fnuz": " ".join(["f8_e4m3b11fnuz"] * 8)
    + " f8_e4m3fn f8_e5m2 f8_e4m3b11fnuz f8_e4m3fnuz f8_e4m3 f16 bf16 f32 c64",
    "f8_e4m3fnuz": " ".join(["f8_e4m3fnuz"] * 8)
    + " f8_e4m3fn f8_e5m2 f8_e4m3fnuz f8_e4m3fnuz ERR f16 bf16 f32 c64",
    "f8_e4m3": " ".join(["f8_e4m3"] * 8)
    + " f8_e4m3fn f8_e5m2 f8_e4m3 ERR f8_e4m3 f16 bf16 f32 c64",
    "f16": " ".join(["f16"] * 14) + " bf16 f32 c64",
    "bf16": " ".join(["bf16"] * 15) + " f32 c64",
    "f32": " ".join(["f32"] * 16) + " c64",
    "c64": " ".join(["c64"] * 17),
}


def _dt(name):
    return np.dtype(getattr(ml_dtypes, name, None) or name)


@pytest.mark.parametrize("lhs", range(len(_NAMES)), ids=_NAMES)
def test_result_dtype_table_matches_jax(lhs) -> None:
    expected = _TABLE[_SHORT[lhs]].split()
    for rhs, want in enumerate(expected):
        a = kiln.ShapeDtypeStruct((2,), _dt(_NAMES[lhs]))
        b = kiln.ShapeDtypeStruct((2,), _dt(_NAMES[rhs]))
        if want == "ERR":
            with pytest.raises(TypeError, match="^lax.dot_general argument type error: "):
                kiln.eval_shape(lax.dot, a, b)
        else:
            got = kiln.eval_shape(lax.dot, a, b).dtype
            assert got == _dt(_NAMES[_SHORT.index(want)]), (_NAMES[lhs], _NAMES[rhs], got)


@pytest.mark.parametrize("lhs,preferred,precision,result", [
    (np.int32, np.int8, None, "TypeError"), (np.float32, np.float16, None, np.float16),
    (np.float32, np.complex64, None, np.complex64), (np.float32, np.bool_, None, np.bool_),
    (np.int32, np.bool_, None, "TypeError"), (np.int32, np.uint32, None, np.uint32),
    (np.int32, np.float16, None, "TypeError"), (np.int32, np.complex64, None, np.complex64),
    (np.complex64, np.int32, None, np.int32), (bf16, np.float32, None, np.float32),
    (np.int8, np.float32, None, np.float32), (np.complex64, np.float32, None, np.float32),
    (np.int32, np.int8, "F16_F16_F32", np.int8), (np.float32, np.float32, None, np.float32),
])
def test_preferred_element_type_rules(lhs, preferred, precision, result) -> None:
    a = kiln.ShapeDtypeStruct((2,), lhs)
    f = lambda x, y: lax.dot(x, y, preferred_element_type=preferred, precision=precision)
    if result == "TypeError":
        with pytest.raises(TypeError, match=f"^`preferred_element_type` must not be narrower "
                                            f"than the original type, got preferred_element_type "
                                            f"of {np.dtype(preferred).name} for result type of "
                                            f"{np.dtype(lhs).name}.$"):
            kiln.eval_shape(f, a, a)
    else:
        assert kiln.eval_shape(f, a, a).dtype == result


def test_weak_type_only_when_both_operands_are_weak() -> None:
    weak = kiln.ShapeDtypeStruct((2, 3), np.float32, weak_type=True)
    weak2 = kiln.ShapeDtypeStruct((3, 4), np.float32, weak_type=True)
    strong = kiln.ShapeDtypeStruct((3, 4), np.float32)
    assert kiln.eval_shape(lax.dot, weak, weak2).weak_type
    assert not kiln.eval_shape(lax.dot, weak, strong).weak_type
    f = lambda x, y: lax.dot(x, y, preferred_element_type=np.float32)
    assert kiln.eval_shape(f, weak, weak2).weak_type


def test_preferred_float64_is_canonicalized_with_jax_warning() -> None:
    a = np.ones(2, np.float32)
    with pytest.warns(UserWarning, match="Explicitly requested dtype float64 requested in dot "
                                         "is not available, and will be truncated to dtype "
                                         "float32"):
        assert lax.dot(a, a, preferred_element_type=np.float64).dtype == np.float32
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert lax.dot(a, a, preferred_element_type=float).dtype == np.float32
    with kiln.enable_x64():
        assert lax.dot(a, a, preferred_element_type=np.float64).dtype == np.float64


# -- errors ---------------------------------------------------------------------------------------

ONES = np.ones((2, 3), np.float32)


@pytest.mark.parametrize("rhs,dims,msg", [
    ((3, 2), (([2], [0]), ([], [])),
     "dot_general requires lhs dimension numbers to be nonnegative and less than the number of "
     "axes of the lhs value, got lhs_batch of () and lhs_contracting of (2,) for lhs of rank 2"),
    ((3, 2), (([1], [-1]), ([], [])),
     "dot_general requires rhs dimension numbers to be nonnegative and less than the number of "
     "axes of the rhs value, got rhs_batch of () and rhs_contracting of (-1,) for rhs of rank 2"),
    ((3, 2), (([1], [1]), ([], [])),
     "dot_general requires contracting dimensions to have the same shape, got (3,) and (2,)."),
    ((3, 2), (([1], [0]), ([0], [])),
     "dot_general requires equal numbers of lhs_batch and rhs_batch dimensions, got lhs_batch "
     "(0,) and rhs_batch ()."),
    ((3, 2), (([1], [0]), ([1], [1])),
     "dot_general requires lhs batch dimensions to be disjoint from contracting dimensions, got "
     "lhs_batch (1,) and lhs_contracting (1,)."),
    ((3, 2), (([1, 1], [0, 0]), ([], [])),
     "dot_general requires lhs contracting dimensions to be distinct, got lhs_contracting "
     "(1, 1)."),
    ((3, 3), (([1], [0]), ([0], [1])),
     "dot_general requires lhs batch dimensions and rhs batch dimensions to have the same "
     "shape, got (2,) and (3,)."),
])
def test_dimension_number_errors(rhs, dims, msg) -> None:
    with pytest.raises(TypeError) as info:
        kiln.make_jaxpr(lambda x, y: lax.dot_general(x, y, dims))(ONES, np.ones(rhs, np.float32))
    assert str(info.value) == msg


def test_wrapper_errors() -> None:
    ok = lax.dot_general(ONES, np.ones((3, 2), np.float32), (([1], [0]), ([0], [1])))
    assert ok.shape == (2,) and np.asarray(ok).tolist() == [3.0, 3.0]
    for lhs, rhs in [((2, 3), (2, 3)), ((2, 3, 4), (4, 3)), ((), ())]:
        with pytest.raises(ValueError, match=r"^jax\.lax\.dot: dimension_numbers must be "
                                             "specified when not performing simple"):
            lax.dot(np.ones(lhs, np.float32), np.ones(rhs, np.float32))
    with pytest.raises(ValueError, match=r"^Arguments to batch_matmul must be at least 2D, "
                                         "got 2, 1$"):
        lax.batch_matmul(ONES, np.ones(2, np.float32))
    with pytest.raises(ValueError, match=r"^Arguments to batch_matmul must have same ndim, "
                                         "got 2, 3$"):
        lax.batch_matmul(ONES, np.ones((1, 2, 3), np.float32))
    for bad in ("bogus", 3, (lax.Precision.HIGH, "high")):
        with pytest.raises(ValueError, match=r"^Precision argument must be one of:\n- None,\n"):
            lax.dot(ONES, ONES.T, precision=bad)


# -- precision and printing (recorded from JAX 0.10.2) --------------------------------------------


def test_precision_values() -> None:
    assert lax.Precision("highest") is lax.Precision.HIGHEST
    assert lax.Precision("tensorfloat32") is lax.Precision.HIGH
    assert lax.Precision("fastest") is lax.Precision.DEFAULT
    assert repr(lax.Precision.HIGH) == "Precision.HIGH" and str(lax.Precision.HIGH) == "HIGH"
    assert str(lax.DotAlgorithmPreset.BF16_BF16_F32) == "BF16_BF16_F32"
    assert lax.DotAlgorithm(np.float16, np.float16, np.float32).num_primitive_operations == 1


Y = np.ones((3, 4), np.float32)


@pytest.mark.parametrize("f,args,text", [
    (lambda x, y: lax.dot(x, y), (ONES, Y),
     "{ lambda ; a:f32[2,3] b:f32[3,4]. let\n"
     "    c:f32[2,4] = dot_general[dimension_numbers=(([1], [0]), ([], []))] a b\n"
     "  in (c,) }"),
    (lambda x, y: lax.dot_general(x, y, (([1], [0]), ([], [])),
                                  precision=lax.Precision.HIGHEST), (ONES, Y),
     "{ lambda ; a:f32[2,3] b:f32[3,4]. let\n"
     "    c:f32[2,4] = dot_general[\n"
     "      dimension_numbers=(([1], [0]), ([], []))\n"
     "      precision=(Precision.HIGHEST, Precision.HIGHEST)\n"
     "    ] a b\n"
     "  in (c,) }"),
    (lambda x, y: lax.dot_general(x, y, (([1], [0]), ([], [])), precision=("highest", "default")),
     (ONES, Y),
     "{ lambda ; a:f32[2,3] b:f32[3,4]. let\n"
     "    c:f32[2,4] = dot_general[\n"
     "      dimension_numbers=(([1], [0]), ([], []))\n"
     "      precision=(Precision.HIGHEST, Precision.DEFAULT)\n"
     "    ] a b\n"
     "  in (c,) }"),
    (lambda x, y: lax.dot(x, y, precision="BF16_BF16_F32"), (ONES, Y),
     "{ lambda ; a:f32[2,3] b:f32[3,4]. let\n"
     "    c:f32[2,4] = dot_general[\n"
     "      dimension_numbers=(([1], [0]), ([], []))\n"
     "      precision=BF16_BF16_F32\n"
     "    ] a b\n"
     "  in (c,) }"),
    (lambda x, y: lax.dot(x, y, precision="F16_F16_F32", preferred_element_type=np.float16),
     (ONES, Y),
     "{ lambda ; a:f32[2,3] b:f32[3,4]. let\n"
     "    c:f16[2,4] = dot_general[\n"
     "      dimension_numbers=(([1], [0]), ([], []))\n"
     "      precision=F16_F16_F32\n"
     "      preferred_element_type=float16\n"
     "    ] a b\n"
     "  in (c,) }"),
    (lambda x, y: lax.dot(x, y, preferred_element_type=np.int32), (ONES, Y),
     "{ lambda ; a:f32[2,3] b:f32[3,4]. let\n"
     "    c:i32[2,4] = dot_general[\n"
     "      dimension_numbers=(([1], [0]), ([], []))\n"
     "      preferred_element_type=int32\n"
     "    ] a b\n"
     "  in (c,) }"),
    (lambda x, y: lax.dot_general(x, y, (([2], [1]), ([0], [0])), preferred_element_type=np.int32),
     (np.ones((5, 2, 3), np.int8), np.ones((5, 3, 4), np.int8)),
     "{ lambda ; a:i8[5,2,3] b:i8[5,3,4]. let\n"
     "    c:i32[5,2,4] = dot_general[\n"
     "      dimension_numbers=(([2], [1]), ([0], [0]))\n"
     "      preferred_element_type=int32\n"
     "    ] a b\n"
     "  in (c,) }"),
    (lambda x, y: lax.batch_matmul(x, y), (np.ones((5, 2, 3), np.int8), np.ones((5, 3, 4), bool)),
     "{ lambda ; a:i8[5,2,3] b:bool[5,3,4]. let\n"
     "    c:i8[5,2,4] = dot_general[dimension_numbers=(([2], [1]), ([0], [0]))] a b\n"
     "  in (c,) }"),
    (lambda x: lax.dot(x, x, preferred_element_type=float), (np.ones(2, np.float32),),
     "{ lambda ; a:f32[2]. let\n"
     "    b:f32[] = dot_general[\n"
     "      dimension_numbers=(([0], [0]), ([], []))\n"
     "      preferred_element_type=float32\n"
     "    ] a a\n"
     "  in (b,) }"),
])
def test_printed_jaxprs_match_jax(f, args, text) -> None:
    assert str(kiln.make_jaxpr(f)(*args)) == text


def test_default_matmul_precision_config() -> None:
    with kiln.default_matmul_precision("float32"):
        text = str(kiln.make_jaxpr(lax.dot)(ONES, Y))
    assert "precision=(Precision.HIGHEST, Precision.HIGHEST)" in text
