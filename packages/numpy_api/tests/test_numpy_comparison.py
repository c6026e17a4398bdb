"""Property tests against NumPy: for random inputs, kiln.numpy's values equal NumPy's (exactly
for integer and structural functions, to float32 rounding for the rest) and its dtypes follow
JAX's promotion (``jnp.result_type``)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import kiln.numpy as jnp

sys.path.insert(0, str(Path(__file__).parent))  # the tests run with --import-mode=importlib
from kiln_numpy_strategies import SETTINGS, SHAPES, float_arrays, int_arrays  # noqa: E402

UNARY_FLOAT = ["exp", "expm1", "log1p", "sin", "cos", "tan", "arctan", "sinh", "cosh", "tanh",
               "arcsinh", "cbrt", "square", "abs", "negative", "sign", "floor", "ceil",
               "trunc", "rint", "deg2rad", "rad2deg", "exp2", "reciprocal", "sinc",
               "isfinite", "signbit", "fabs", "positive", "logical_not"]
UNARY_POSITIVE = ["log", "log2", "log10", "sqrt", "arccosh"]
UNARY_UNIT = ["arcsin", "arccos", "arctanh"]
BINARY_FLOAT = ["add", "subtract", "multiply", "divide", "maximum", "minimum", "fmax", "fmin",
                "arctan2", "hypot", "copysign", "logaddexp", "logaddexp2", "heaviside",
                "equal", "less", "greater_equal", "floor_divide", "remainder", "fmod",
                "nextafter"]
BINARY_INT = ["add", "subtract", "multiply", "maximum", "minimum", "bitwise_and",
              "bitwise_or", "bitwise_xor", "equal", "not_equal", "less_equal", "gcd", "lcm"]


def _np_result(name: str, *args: np.ndarray, dtype: np.dtype) -> np.ndarray:
    wide = [a.astype(np.float64) if a.dtype.kind == "f" else a for a in args]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = getattr(np, name)(*wide)
        return np.asarray(out).astype(dtype)


def _assert_close(actual: object, expected: np.ndarray) -> None:
    actual = np.asarray(actual)
    assert actual.shape == expected.shape
    if expected.dtype.kind in "biu":
        np.testing.assert_array_equal(actual, expected)
    else:
        np.testing.assert_allclose(actual, expected, rtol=3e-6, atol=1e-6, equal_nan=True)


@pytest.mark.parametrize("name", UNARY_FLOAT)
@SETTINGS
@given(x=float_arrays())
def test_unary_float_matches_numpy(name: str, x: np.ndarray) -> None:
    out = getattr(jnp, name)(x)
    _assert_close(out, _np_result(name, x, dtype=out.dtype))


@pytest.mark.parametrize("name", UNARY_POSITIVE)
@SETTINGS
@given(x=float_arrays(lo=1.0, hi=1e4))
def test_unary_positive_domain_matches_numpy(name: str, x: np.ndarray) -> None:
    out = getattr(jnp, name)(x)
    _assert_close(out, _np_result(name, x, dtype=out.dtype))


@pytest.mark.parametrize("name", UNARY_UNIT)
@SETTINGS
@given(x=float_arrays(lo=-0.99, hi=0.99))
def test_unary_unit_domain_matches_numpy(name: str, x: np.ndarray) -> None:
    out = getattr(jnp, name)(x)
    _assert_close(out, _np_result(name, x, dtype=out.dtype))


@pytest.mark.parametrize("name", ["sqrt", "exp", "log", "sin", "square", "abs", "floor"])
@SETTINGS
@given(x=int_arrays(lo=1, hi=100))
def test_unary_on_integers_computes_in_default_dtype(name: str, x: np.ndarray) -> None:
    out = getattr(jnp, name)(x)
    assert out.dtype == jnp.result_type(x) if name in ("square", "abs", "floor") else \
        out.dtype == np.float32
    _assert_close(out, _np_result(name, x, dtype=out.dtype))


@pytest.mark.parametrize("name", BINARY_FLOAT)
@SETTINGS
@given(x=float_arrays(shapes=[(2, 3), (3,), ()]), y=float_arrays(shapes=[(2, 3), (1, 3), ()]))
def test_binary_float_matches_numpy(name: str, x: np.ndarray, y: np.ndarray) -> None:
    if name in ("floor_divide", "remainder", "fmod"):
        assume(np.all(np.abs(y) > 1e-3))
    out = getattr(jnp, name)(x, y)
    _assert_close(out, _np_result(name, x, y, dtype=out.dtype))


@pytest.mark.parametrize("name", BINARY_INT)
@SETTINGS
@given(x=int_arrays(shapes=[(2, 3), (3,)]), y=int_arrays(shapes=[(2, 3), (1, 3), ()]))
def test_binary_int_matches_numpy_exactly(name: str, x: np.ndarray, y: np.ndarray) -> None:
    out = getattr(jnp, name)(x, y)
    assert out.dtype == (np.bool_ if name in ("equal", "not_equal", "less_equal") else np.int32)
    np.testing.assert_array_equal(out, getattr(np, name)(x, y))


@pytest.mark.parametrize("name", ["floor_divide", "remainder", "fmod", "divmod"])
@SETTINGS
@given(x=int_arrays(shapes=[(2, 3)], lo=-100, hi=100), y=int_arrays(shapes=[(2, 3)], lo=1, hi=9),
       negate=st.booleans())
def test_integer_division_matches_numpy(name: str, x: np.ndarray, y: np.ndarray,
                                        negate: bool) -> None:
    y = -y if negate else y
    out = getattr(jnp, name)(x, y)
    expected = getattr(np, name)(x, y)
    for o, e in zip(out if name == "divmod" else [out], expected if name == "divmod"
                    else [expected]):
        np.testing.assert_array_equal(o, e)


@SETTINGS
@given(x=int_arrays(shapes=[(4,)], lo=-5, hi=5), n=st.integers(0, 6))
def test_integer_power_matches_numpy(x: np.ndarray, n: int) -> None:
    np.testing.assert_array_equal(jnp.power(x, n), np.power(x, n))
    np.testing.assert_array_equal(jnp.power(x, np.full(4, n, np.int32)), np.power(x, n))


@SETTINGS
@given(x=int_arrays(shapes=[(5,)], lo=0, hi=200, dtype=np.uint8),
       s=st.integers(0, 7))
def test_shifts_match_numpy(x: np.ndarray, s: int) -> None:
    np.testing.assert_array_equal(jnp.left_shift(x, np.uint8(s)), np.left_shift(x, np.uint8(s)))
    np.testing.assert_array_equal(jnp.right_shift(x, np.uint8(s)),
                                  np.right_shift(x, np.uint8(s)))


REDUCTIONS = ["sum", "prod", "max", "min", "mean", "var", "std", "all", "any", "ptp",
              "argmax", "argmin", "median", "count_nonzero", "nansum", "nanmax"]


@pytest.mark.parametrize("name", REDUCTIONS)
@SETTINGS
@given(x=float_arrays(shapes=[(2, 3), (3, 1), (2, 3, 2)], lo=-3, hi=3), data=st.data())
def test_reductions_match_numpy(name: str, x: np.ndarray, data: st.DataObject) -> None:
    axes = [None] + list(range(-x.ndim, x.ndim))
    axis = data.draw(st.sampled_from(axes))
    kwargs = {"axis": axis}
    if name not in ("argmax", "argmin", "count_nonzero"):
        kwargs["keepdims"] = data.draw(st.booleans())
    out = getattr(jnp, name)(x, **kwargs)
    expected = getattr(np, name)(x.astype(np.float64), **kwargs)
    assert out.shape == np.shape(expected)
    if name in ("argmax", "argmin", "count_nonzero"):
        np.testing.assert_array_equal(out, expected)
    else:
        np.testing.assert_allclose(np.asarray(out, np.float64), expected, rtol=2e-5, atol=2e-5)


@SETTINGS
@given(x=float_arrays(shapes=[(2, 3), (4,)]), data=st.data())
def test_cumulative_reductions_match_numpy(x: np.ndarray, data: st.DataObject) -> None:
    axis = data.draw(st.sampled_from([None] + list(range(x.ndim))))
    for name in ("cumsum", "cumprod"):
        np.testing.assert_allclose(getattr(jnp, name)(x, axis=axis),
                                   getattr(np, name)(x.astype(np.float64), axis=axis),
                                   rtol=2e-5, atol=2e-4)


@SETTINGS
@given(x=int_arrays(shapes=[(2, 3), (4,), (3, 1)], dtype=np.int8, lo=-3, hi=3))
def test_small_integer_sums_accumulate_in_int32(x: np.ndarray) -> None:
    out = jnp.sum(x)
    assert out.dtype == np.int32
    assert int(out) == int(x.astype(np.int64).sum())
    assert jnp.cumsum(x).dtype == np.int8


@SETTINGS
@given(x=float_arrays(shapes=[(2, 3, 2)]), data=st.data())
def test_shape_functions_match_numpy(x: np.ndarray, data: st.DataObject) -> None:
    perm = data.draw(st.permutations(range(3)))
    np.testing.assert_array_equal(jnp.transpose(x, perm), np.transpose(x, perm))
    np.testing.assert_array_equal(jnp.reshape(x, (3, -1)), np.reshape(x, (3, -1)))
    np.testing.assert_array_equal(jnp.reshape(x, (4, 3), order="F"),
                                  np.reshape(x, (4, 3), order="F"))
    axis = data.draw(st.integers(-3, 2))
    np.testing.assert_array_equal(jnp.flip(x, axis), np.flip(x, axis))
    shift = data.draw(st.integers(-7, 7))
    np.testing.assert_array_equal(jnp.roll(x, shift, axis), np.roll(x, shift, axis))
    np.testing.assert_array_equal(jnp.roll(x, shift), np.roll(x, shift))
    np.testing.assert_array_equal(jnp.moveaxis(x, axis, 0), np.moveaxis(x, axis, 0))
    np.testing.assert_array_equal(jnp.concatenate([x, x], axis), np.concatenate([x, x], axis))
    np.testing.assert_array_equal(jnp.stack([x, x], axis), np.stack([x, x], axis))
    reps = data.draw(st.tuples(st.integers(1, 2), st.integers(1, 3)))
    np.testing.assert_array_equal(jnp.tile(x, reps), np.tile(x, reps))
    np.testing.assert_array_equal(jnp.repeat(x, 2, axis), np.repeat(x, 2, axis))
    k = data.draw(st.integers(-3, 3))
    np.testing.assert_array_equal(jnp.rot90(x, k), np.rot90(x, k))
    for part_k, part_n in zip(jnp.array_split(x, 3, axis=0), np.array_split(x, 3, axis=0)):
        np.testing.assert_array_equal(part_k, part_n)


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric", "wrap",
                                  "maximum", "minimum", "mean", "linear_ramp"])
@SETTINGS
@given(x=float_arrays(shapes=[(3,), (2, 3)]), data=st.data())
def test_pad_matches_numpy(mode: str, x: np.ndarray, data: st.DataObject) -> None:
    widths = [(data.draw(st.integers(0, 4)), data.draw(st.integers(0, 4))) for _ in x.shape]
    np.testing.assert_allclose(jnp.pad(x, widths, mode=mode), np.pad(x, widths, mode=mode),
                               rtol=1e-6, atol=1e-6)


@SETTINGS
@given(x=float_arrays(shapes=[(5,), (2, 4)], lo=-3, hi=3), stable=st.booleans())
def test_sorting_matches_numpy(x: np.ndarray, stable: bool) -> None:
    x = np.round(x)  # ties
    np.testing.assert_array_equal(jnp.sort(x), np.sort(x))
    np.testing.assert_array_equal(jnp.sort(x, axis=0), np.sort(x, axis=0))
    np.testing.assert_array_equal(jnp.argsort(x), np.argsort(x, kind="stable"))
    np.testing.assert_array_equal(jnp.argsort(x, axis=None), np.argsort(x, axis=None,
                                                                          kind="stable"))
    np.testing.assert_array_equal(jnp.sort(x, descending=True), -np.sort(-x))
    flat = np.sort(x.ravel())
    queries = x.ravel()[::-1]
    for side in ("left", "right"):
        for method in ("scan", "compare_all"):
            np.testing.assert_array_equal(jnp.searchsorted(flat, queries, side=side,
                                                           method=method),
                                          np.searchsorted(flat, queries, side=side))


@SETTINGS
@given(x=int_arrays(shapes=[(6,), (2, 3)], lo=-3, hi=3))
def test_set_functions_match_numpy(x: np.ndarray) -> None:
    values, index, inverse, counts = jnp.unique(x, return_index=True, return_inverse=True,
                                                return_counts=True)
    n_values, n_index, n_inverse, n_counts = np.unique(x, return_index=True,
                                                       return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(values, n_values)
    np.testing.assert_array_equal(index, n_index)
    np.testing.assert_array_equal(np.asarray(inverse).ravel(), n_inverse.ravel())
    np.testing.assert_array_equal(counts, n_counts)
    y = x.ravel()[::2] + 1
    for name in ("union1d", "intersect1d", "setdiff1d", "setxor1d"):
        np.testing.assert_array_equal(getattr(jnp, name)(x, y), getattr(np, name)(x, y))
    np.testing.assert_array_equal(jnp.isin(x, y), np.isin(x, y))
    size = len(n_values) + 2
    padded = jnp.unique(x, size=size, fill_value=99)
    np.testing.assert_array_equal(padded, np.concatenate([n_values, [99, 99]]))


@st.composite
def index_tuples(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple:
    """A random in-bounds NumPy index for ``shape``: ints, slices, None, Ellipsis, integer
    arrays and boolean masks."""
    entries: list = []
    dims = list(shape)
    used_ellipsis = False
    while dims:
        n = dims[0]
        kind = draw(st.sampled_from(["int", "slice", "none", "array", "mask", "ellipsis",
                                     "stop"]))
        if kind == "stop":
            break
        if kind == "int":
            entries.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            entries.append(slice(draw(st.one_of(st.none(), st.integers(-n - 1, n + 1))),
                                 draw(st.one_of(st.none(), st.integers(-n - 1, n + 1))),
                                 draw(st.sampled_from([None, 1, 2, -1, -2, 3]))))
        elif kind == "none":
            entries.append(None)
            continue
        elif kind == "array":
            entries.append(np.asarray(draw(st.lists(st.integers(-n, n - 1), min_size=1,
                                                    max_size=3)), np.int32))
        elif kind == "mask":
            entries.append(np.asarray(draw(st.lists(st.booleans(), min_size=n, max_size=n))))
        elif kind == "ellipsis" and not used_ellipsis:
            used_ellipsis = True
            entries.append(Ellipsis)
            dims = dims[-draw(st.integers(0, len(dims))):] if dims else dims
            continue
        dims = dims[1:]
    return tuple(entries)


@SETTINGS
@given(data=st.data())
def test_indexing_matches_numpy(data: st.DataObject) -> None:
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    idx = data.draw(index_tuples(x.shape))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = x[idx]
    except IndexError:
        assume(False)
    out = jnp.asarray(x)[idx]
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out, expected)


@SETTINGS
@given(data=st.data())
def test_index_updates_match_numpy(data: st.DataObject) -> None:
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    idx = data.draw(index_tuples(x.shape))
    try:
        target_shape = x[idx].shape
    except IndexError:
        assume(False)
    y = np.asarray(data.draw(st.floats(-5, 5, width=32)), np.float32)
    expected = x.copy()
    expected[idx] = y
    np.testing.assert_array_equal(jnp.asarray(x).at[idx].set(y), expected)
    if not any(isinstance(e, np.ndarray) for e in (idx if isinstance(idx, tuple) else (idx,))):
        added = x.copy()
        added[idx] += 1.0
        np.testing.assert_array_equal(jnp.asarray(x).at[idx].add(1.0), added)
    vals = np.arange(np.prod(target_shape), dtype=np.float32).reshape(target_shape)
    expected = x.copy()
    expected[idx] = vals
    if np.unique(np.arange(24).reshape(x.shape)[idx]).size == vals.size:  # no duplicates
        np.testing.assert_array_equal(jnp.asarray(x).at[idx].set(vals), expected)


@SETTINGS
@given(i=int_arrays(shapes=[(6,)], lo=0, hi=3))
def test_scatter_add_accumulates_duplicates_like_numpy(i: np.ndarray) -> None:
    expected = np.zeros(4, np.float32)
    np.add.at(expected, i, 1.5)
    np.testing.assert_array_equal(jnp.zeros(4).at[i].add(1.5), expected)
    np.testing.assert_array_equal(jnp.bincount(i, length=4), np.bincount(i, minlength=4)[:4])


EINSUMS = [("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
           ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]), ("ii->i", [(3, 3)]), ("ij->", [(2, 3)]),
           ("i,i->", [(4,), (4,)]), ("i,j->ij", [(2,), (3,)]), ("...ij,...jk", [(2, 2, 3),
                                                                                (3, 2)]),
           ("ijk,kj->i", [(2, 3, 4), (4, 3)]), ("ab,bc,cd,de->ae", [(2, 3), (3, 2), (2, 4),
                                                                    (4, 2)])]


@pytest.mark.parametrize("spec,shapes", EINSUMS)
@SETTINGS
@given(data=st.data())
def test_einsum_matches_numpy(spec: str, shapes: list, data: st.DataObject) -> None:
    ops = [data.draw(float_arrays(shapes=[s], lo=-2, hi=2)) for s in shapes]
    np.testing.assert_allclose(jnp.einsum(spec, *ops), np.einsum(spec, *[o.astype(np.float64)
                                                                         for o in ops]),
                               rtol=2e-5, atol=2e-5)


@SETTINGS
@given(a=float_arrays(shapes=[(3,), (2, 3), (2, 2, 3)]),
       b=float_arrays(shapes=[(3,), (3, 2), (2, 3, 2), (1, 3, 4)]))
def test_matmul_and_friends_match_numpy(a: np.ndarray, b: np.ndarray) -> None:
    try:
        expected = np.matmul(a.astype(np.float64), b)
    except ValueError:
        with pytest.raises(ValueError):
            jnp.matmul(a, b)
        return
    np.testing.assert_allclose(jnp.matmul(a, b), expected, rtol=2e-5, atol=2e-4)
    if a.ndim <= 2 and b.ndim <= 2:
        np.testing.assert_allclose(jnp.dot(a, b), np.dot(a.astype(np.float64), b), rtol=2e-5,
                                   atol=2e-4)
    # (XLA flushes subnormal products to zero, as JAX does: hence the tiny atol)
    np.testing.assert_allclose(jnp.outer(a, b), np.outer(a, b), rtol=2e-6, atol=1e-30)
    np.testing.assert_allclose(jnp.tensordot(a, b, 0), np.tensordot(a, b, 0), rtol=2e-6,
                               atol=1e-30)
    np.testing.assert_allclose(jnp.kron(a, b), np.kron(a, b), rtol=2e-6, atol=1e-30)


@SETTINGS
@given(x=float_arrays(shapes=[(5,), (2, 3)]), q=st.floats(0, 1, width=32, allow_subnormal=False))
def test_quantiles_match_numpy(x: np.ndarray, q: float) -> None:
    for method in ("linear", "lower", "higher", "midpoint", "nearest"):
        np.testing.assert_allclose(jnp.quantile(x, q, method=method),
                                   np.quantile(x.astype(np.float64), q, method=method),
                                   rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(jnp.percentile(x, 100 * q, axis=-1),
                               np.percentile(x.astype(np.float64), 100 * q, axis=-1),
                               rtol=2e-5, atol=2e-4)


@SETTINGS
@given(x=float_arrays(shapes=[(6,)], lo=-5, hi=5), y=float_arrays(shapes=[(3,)], lo=-2, hi=2))
def test_signal_functions_match_numpy(x: np.ndarray, y: np.ndarray) -> None:
    for mode in ("full", "same", "valid"):
        np.testing.assert_allclose(jnp.convolve(x, y, mode), np.convolve(x, y, mode),
                                   rtol=2e-5, atol=2e-5)
        np.testing.assert_allclose(jnp.correlate(x, y, mode), np.correlate(x, y, mode),
                                   rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(jnp.diff(x, 2), np.diff(x, 2), rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(jnp.gradient(x), np.gradient(x), rtol=1e-5, atol=1e-5)
    xp = np.sort(x)
    assume(np.all(np.diff(xp) > 1e-3))
    np.testing.assert_allclose(jnp.interp(y, xp, x), np.interp(y, xp, x), rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(jnp.polyval(y, x), np.polyval(y, x), rtol=1e-5, atol=1e-4)
    counts, edges = jnp.histogram(x, bins=4)
    n_counts, n_edges = np.histogram(x, bins=4)
    np.testing.assert_allclose(edges, n_edges, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(counts, n_counts)


@pytest.mark.parametrize("shape", SHAPES)
def test_creation_functions_match_numpy(shape: tuple) -> None:
    np.testing.assert_array_equal(jnp.zeros(shape), np.zeros(shape, np.float32))
    np.testing.assert_array_equal(jnp.ones(shape, jnp.int32), np.ones(shape, np.int32))
    np.testing.assert_array_equal(jnp.full(shape, 7), np.full(shape, 7))
    n = int(np.prod(shape)) or 1
    np.testing.assert_array_equal(jnp.arange(n).reshape(shape) if shape else jnp.arange(1),
                                  np.arange(n).reshape(shape) if shape else np.arange(1))
    np.testing.assert_allclose(jnp.linspace(-1, 3, n + 1), np.linspace(-1, 3, n + 1),
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(jnp.eye(n, n + 1, 1), np.eye(n, n + 1, 1))
    np.testing.assert_array_equal(jnp.tri(n, k=-1), np.tri(n, k=-1))
