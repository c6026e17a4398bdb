"""Indexing primitives and their lax wrappers (dynamic_slice, dynamic_update_slice, gather,
scatter, scatter-add/sub/mul/min/max, scatter_apply, index_take): values against Python-loop
references written from XLA's semantics and against results recorded from JAX 0.10.2 on CPU
(out-of-bounds handling per mode), eagerly and under jit; weak types, errors and printed
jaxprs recorded from JAX."""

from __future__ import annotations

import itertools
import re

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kiln
from kiln import lax
from kiln.core.config import config, enable_x64
from kiln.core.primitives import indexing as ix
from kiln.lax import GatherDimensionNumbers as GDN
from kiln.lax import GatherScatterMode as Mode
from kiln.lax import ScatterDimensionNumbers as SDN

bf16 = ml_dtypes.bfloat16
RNG = np.random.default_rng(3)
DTYPES = [np.float32, bf16, np.float16, np.int8, np.uint32, np.bool_, np.complex64]
NUMBERS = [np.float32, bf16, np.float16, np.int8, np.uint32, np.complex64]


@pytest.fixture(autouse=True)
def numpy_backend():
    """These tests check the NumPy reference implementations: run on that backend even when
    a compiler backend is installed (its lowerings are checked by its own package)."""
    with config.override("jax_platforms", "numpy"):
        yield


def rand(shape: tuple[int, ...], dtype: type) -> np.ndarray:
    dt = np.dtype(dtype)
    if dt == np.bool_:
        return RNG.random(shape) < 0.5
    if np.issubdtype(dt, np.complexfloating):
        return (RNG.integers(-4, 5, shape) + 1j * RNG.integers(-4, 5, shape)).astype(dt)
    if np.issubdtype(dt, np.integer):
        return RNG.integers(0 if np.issubdtype(dt, np.unsignedinteger) else -4, 5,
                            shape).astype(dt)
    return RNG.integers(-4, 5, shape).astype(dt)  # small integers: sums are exact


def same(got, want) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert (got.shape, got.dtype) == (want.shape, want.dtype), (got.shape, got.dtype,
                                                                  want.shape, want.dtype)
    if got.dtype == bf16:
        got, want = got.astype(np.float32), want.astype(np.float32)
    np.testing.assert_array_equal(got, want)


def eager_and_jit(f, *args) -> list:
    return [f(*args), kiln.jit(f)(*args)]


def has_lax(*names: str) -> bool:
    return all(hasattr(lax, n) for n in names)


needs_elementwise = pytest.mark.skipif(
    not has_lax("lt", "add", "select_n", "convert_element_type"),
    reason="needs the elementwise lax functions lt/add/select_n/convert_element_type")


# -- references written from XLA's semantics (loops, not the impl's vectorised form) ------------


def ref_dynamic_slice(x, starts, sizes):
    starts = [min(max(int(s), 0), d - n) for s, d, n in zip(starts, x.shape, sizes)]
    return x[tuple(slice(s, s + n) for s, n in zip(starts, sizes))]


def ref_dynamic_update_slice(x, update, starts):
    out = np.array(x)
    starts = [min(max(int(s), 0), d - n) for s, d, n in zip(starts, x.shape, update.shape)]
    out[tuple(slice(s, s + n) for s, n in zip(starts, update.shape))] = update
    return out


def _start(vector, batch, index_map, operand_batching, index_batching, ndim):
    start = [0] * ndim
    for k, d in enumerate(index_map):
        start[d] = int(vector[k])
    for od, idim in zip(operand_batching, index_batching):
        start[od] = batch[idim]
    return start


def ref_gather(operand, indices, dn, slice_sizes, mode, fill=None):
    dropped = set(dn.collapsed_slice_dims) | set(dn.operand_batching_dims)
    batch_shape = indices.shape[:-1]
    out_rank = len(dn.offset_dims) + len(batch_shape)
    offsets = iter(s for i, s in enumerate(slice_sizes) if i not in dropped)
    batches = iter(batch_shape)
    out_shape = tuple(next(offsets) if i in dn.offset_dims else next(batches)
                      for i in range(out_rank))
    out = np.zeros(out_shape, operand.dtype)
    upper = [d - s for d, s in zip(operand.shape, slice_sizes)]
    for index in np.ndindex(*out_shape):
        batch = [index[i] for i in range(out_rank) if i not in dn.offset_dims]
        offset = iter(index[i] for i in dn.offset_dims)
        start = _start(indices[tuple(batch)], batch, dn.start_index_map,
                       dn.operand_batching_dims, dn.start_indices_batching_dims, operand.ndim)
        if mode == Mode.FILL_OR_DROP and not all(0 <= s <= u for s, u in zip(start, upper)):
            out[index] = fill
            continue
        start = [min(max(s, 0), u) for s, u in zip(start, upper)]
        out[index] = operand[tuple(s + (0 if d in dropped else next(offset))
                                   for d, s in enumerate(start))]
    return out


def ref_scatter(operand, indices, updates, dn, mode, combine):
    """Applies updates one element at a time, in row-major order of ``updates``."""
    out = np.array(operand)
    window_dims = list(dn.update_window_dims)
    windowed = [d for d in range(operand.ndim)
                if d not in dn.inserted_window_dims and d not in dn.operand_batching_dims]
    window = [1] * operand.ndim
    for d, ud in zip(windowed, window_dims):
        window[d] = updates.shape[ud]
    upper = [d - w for d, w in zip(operand.shape, window)]
    for index in np.ndindex(*updates.shape):
        batch = [index[d] for d in range(updates.ndim) if d not in window_dims]
        start = _start(indices[tuple(batch)], batch, dn.scatter_dims_to_operand_dims,
                       dn.operand_batching_dims, dn.scatter_indices_batching_dims, operand.ndim)
        if mode == Mode.CLIP:
            start = [min(max(s, 0), u) for s, u in zip(start, upper)]
        if not all(0 <= s <= u for s, u in zip(start, upper)):
            continue  # the whole window is dropped
        offset = dict(zip(windowed, (index[d] for d in window_dims)))
        target = tuple(s + offset.get(d, 0) for d, s in enumerate(start))
        with np.errstate(all="ignore"):  # integer wrap-around is intended
            out[target] = combine(out[target], updates[index])
    return out


COMBINE = {
    "scatter": lambda old, new: new,
    "scatter-add": lambda old, new: old + new,
    "scatter-sub": lambda old, new: old - new,
    "scatter-mul": lambda old, new: old * new,
    "scatter-min": min,
    "scatter-max": max,
}


# -- dynamic_slice and dynamic_update_slice -------------------------------------------------------

DS_CASES = [  # (operand shape, start indices, slice sizes)
    ((5,), (1,), (2,)),
    ((5,), (4,), (3,)),  # clamped to 2
    ((5,), (-2,), (2,)),  # negative: from the end
    ((5,), (-9,), (2,)),  # wraps to -4, clamped to 0
    ((4, 6), (3, 2), (2, 3)),
    ((4, 6), (1, -1), (4, 0)),
    ((), (), ()),
    ((0, 3), (0, 1), (0, 2)),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("case", DS_CASES, ids=[str(c[1]) for c in DS_CASES])
def test_dynamic_slice_and_update(case, dtype) -> None:
    shape, starts, sizes = case
    x = rand(shape, dtype)
    wrapped = [s + d if s < 0 else s for s, d in zip(starts, shape)]
    same(lax.dynamic_slice(x, starts, sizes), ref_dynamic_slice(x, wrapped, sizes))
    update = rand(sizes, dtype)
    same(lax.dynamic_update_slice(x, update, starts),
         ref_dynamic_update_slice(x, update, wrapped))
    # Traced indices (no negative-index wrapping, which needs the elementwise ops).
    idx = [np.int32(s) for s in wrapped]
    f = kiln.jit(lambda x, *i: lax.dynamic_slice(x, i, sizes, allow_negative_indices=False))
    same(f(x, *idx), ref_dynamic_slice(x, wrapped, sizes))
    g = kiln.jit(lambda x, u, *i: lax.dynamic_update_slice(x, u, i,
                                                             allow_negative_indices=False))
    same(g(x, update, *idx), ref_dynamic_update_slice(x, update, wrapped))


@pytest.mark.parametrize("index_dtype", [np.int8, np.int16, np.uint8, np.uint32, np.int32])
def test_dynamic_slice_index_dtypes(index_dtype) -> None:
    x = np.arange(300, dtype=np.int32)
    i = np.asarray(100 if index_dtype is np.int8 else 250, index_dtype)
    for out in eager_and_jit(lambda x, i: lax.dynamic_slice(x, (i,), (100,),
                                                            allow_negative_indices=False),
                             x, i):
        same(out, ref_dynamic_slice(x, [int(i)], (100,)))


def test_dynamic_slice_recorded_from_jax() -> None:
    a = np.arange(5, dtype=np.int32)
    same(lax.dynamic_update_slice(a, np.array([9, 9], np.int32), (4,)),
         np.array([0, 1, 2, 9, 9], np.int32))
    same(lax.dynamic_slice(a, (-2,), (2,)), np.array([3, 4], np.int32))
    same(lax.dynamic_slice(a, (-7,), (2,)), np.array([0, 1], np.int32))
    b = np.arange(300, dtype=np.int32)
    same(lax.slice(lax.dynamic_slice(b, (np.uint8(250),), (100,)), (0,), (3,)),
         np.array([200, 201, 202], np.int32))


def test_in_dim_variants() -> None:
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    same(lax.dynamic_slice_in_dim(x, 1, 2, axis=1), x[:, 1:3])
    same(lax.dynamic_slice_in_dim(x, 2, 2), x[1:3])  # clamped
    same(lax.dynamic_slice_in_dim(x, np.int16(-1), 1, axis=1), x[:, 3:])
    same(lax.dynamic_update_slice_in_dim(x, np.zeros((2, 4), np.float32), 5, axis=0),
         np.concatenate([x[:1], np.zeros((2, 4), np.float32)]))
    same(lax.dynamic_update_slice_in_dim(x, np.zeros((1, 4), np.float32), np.int8(-1), 0),
         np.concatenate([x[:2], np.zeros((1, 4), np.float32)]))


@needs_elementwise
def test_in_dim_variants_with_negative_traced_indices() -> None:
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    # Recorded from JAX.
    same(lax.dynamic_index_in_dim(x, -1, 1, False), np.array([3.0, 7.0, 11.0], np.float32))
    same(lax.dynamic_update_index_in_dim(np.arange(5.0, dtype=np.float32), 9.0, -1, 0),
         np.array([0.0, 1.0, 2.0, 3.0, 9.0], np.float32))
    same(lax.dynamic_index_in_dim(x, 1), x[1:2])
    f = kiln.jit(lambda x, i: lax.dynamic_slice(x, (i, i), (2, 2)))
    same(f(x, np.int32(-1)), x[1:3, 2:4])
    same(f(x, np.int8(-3)), x[0:2, 1:3])


def test_dynamic_slice_allow_negative_indices_false() -> None:
    with pytest.raises(ValueError, match=re.escape(
            "Index -1 is out of bounds for dimension 2 if allow_negative_indices=False")):
        lax.dynamic_slice(np.ones((2, 3), np.float32), (-1, 0), (1, 1),
                          allow_negative_indices=False)


def test_dynamic_slice_with_an_index_array() -> None:
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    same(lax.dynamic_slice(x, np.array([1, 2], np.int32), (2, 2),
                           allow_negative_indices=False), x[1:3, 2:4])


def test_dynamic_slice_x64_literals() -> None:
    x = np.arange(5, dtype=np.float32)
    with enable_x64():
        assert str(kiln.make_jaxpr(lambda x: lax.dynamic_slice(x, (1,), (2,)))(x)) == """\
{ lambda ; a:f32[5]. let
    b:f32[2] = dynamic_slice[slice_sizes=(2,)] a 1:i64[]
  in (b,) }"""


# -- gather ---------------------------------------------------------------------------------------

ROWS = GDN(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,))
WINDOWS = GDN(offset_dims=(1, 2), collapsed_slice_dims=(), start_index_map=(0, 1))
OFFSET_FIRST = GDN(offset_dims=(0,), collapsed_slice_dims=(1,), start_index_map=(1, 0))
BATCHED = GDN(offset_dims=(2,), collapsed_slice_dims=(1,), start_index_map=(1,),
              operand_batching_dims=(0,), start_indices_batching_dims=(0,))
SCALAR_OPERAND = GDN(offset_dims=(), collapsed_slice_dims=(), start_index_map=())

GATHER_CASES = [  # (name, operand shape, indices, dimension numbers, slice sizes)
    ("rows", (5, 3), [[0], [4], [-1], [2], [9]], ROWS, (1, 3)),
    ("windows", (4, 5), [[0, 0], [3, 4], [-1, 2], [2, 3]], WINDOWS, (2, 2)),
    ("offset first", (4, 5), [[[1, 2]], [[4, 0]]], OFFSET_FIRST, (3, 1)),
    ("batched", (2, 4, 3), [[[1], [3]], [[0], [5]]], BATCHED, (1, 1, 3)),
    ("no indices", (5, 3), np.zeros((0, 1), np.int32), ROWS, (1, 3)),
    ("empty window", (5, 3), [[1], [7]], GDN((1,), (0,), (0,)), (1, 0)),
    ("scalar operand", (), np.zeros((3, 0), np.int32), SCALAR_OPERAND, ()),
]


@pytest.mark.parametrize("mode", [Mode.CLIP, Mode.FILL_OR_DROP, Mode.PROMISE_IN_BOUNDS],
                         ids=lambda m: m.name)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("case", GATHER_CASES, ids=[c[0] for c in GATHER_CASES])
def test_gather(case, dtype, mode) -> None:
    _, shape, indices, dn, sizes = case
    x = rand(shape, dtype)
    indices = np.asarray(indices, np.int32)
    fill = ix.default_fill_value(np.dtype(dtype))
    want = ref_gather(x, indices, dn, sizes, mode, fill)
    for out in eager_and_jit(lambda x, i: lax.gather(x, i, dn, sizes, mode=mode), x, indices):
        same(out, want)


def test_gather_recorded_from_jax() -> None:
    x = np.arange(5, dtype=np.float32)
    idx = np.array([[4], [-1], [3], [1]], np.int32)
    dn = GDN(offset_dims=(1,), collapsed_slice_dims=(), start_index_map=(0,))
    clipped = [[3.0, 4.0], [0.0, 1.0], [3.0, 4.0], [1.0, 2.0]]
    same(lax.gather(x, idx, dn, (2,), mode="clip"), np.array(clipped, np.float32))
    same(lax.gather(x, idx, dn, (2,)), np.array(clipped, np.float32))  # promise_in_bounds
    nan = np.nan
    same(lax.gather(x, idx, dn, (2,), mode="fill"),
         np.array([[nan, nan], [nan, nan], [3.0, 4.0], [1.0, 2.0]], np.float32))
    same(lax.gather(x > 2, idx, dn, (2,), mode="fill"),
         np.array([[True, True], [True, True], [True, True], [False, False]]))
    same(lax.gather(x.astype(np.uint8), idx, dn, (2,), mode="fill"),
         np.array([[255, 255], [255, 255], [3, 4], [1, 2]], np.uint8))
    op2 = np.arange(20, dtype=np.int32).reshape(4, 5)
    ind2 = np.array([[0, 0], [3, 4], [-1, 2]], np.int32)
    same(lax.gather(op2, ind2, WINDOWS, (2, 2), mode="clip"),
         np.array([[[0, 1], [5, 6]], [[13, 14], [18, 19]], [[2, 3], [7, 8]]], np.int32))
    m = -2147483648
    same(lax.gather(op2, ind2, WINDOWS, (2, 2), mode="fill"),
         np.array([[[0, 1], [5, 6]], [[m, m], [m, m]], [[m, m], [m, m]]], np.int32))
    same(lax.gather(op2, np.array([[[1, 2]], [[4, 0]]], np.int32), OFFSET_FIRST, (3, 1),
                    mode="clip"),
         np.array([[[6], [4]], [[11], [9]], [[16], [14]]], np.int32))
    op = np.arange(24, dtype=np.float32).reshape(2, 4, 3)
    ind = np.array([[[1], [3]], [[0], [5]]], np.int32)
    same(lax.gather(op, ind, BATCHED, (1, 1, 3), mode="fill"),
         np.array([[[3, 4, 5], [9, 10, 11]], [[12, 13, 14], [nan, nan, nan]]], np.float32))
    same(lax.gather(x, idx, dn, (2,), mode="fill", fill_value=-1),
         np.array([[-1, -1], [-1, -1], [3, 4], [1, 2]], np.float32))


def test_gather_one_hot_is_unsupported() -> None:
    with pytest.raises(NotImplementedError):
        lax.gather(np.ones(3, np.float32), np.zeros((1, 1), np.int32),
                   GDN((), (0,), (0,)), (1,), mode="one_hot")


def test_index_take() -> None:
    if not has_lax("rem", "lt", "add", "select_n"):
        pytest.skip("needs the elementwise lax functions rem/lt/add/select_n")
    op2 = np.arange(20, dtype=np.int32).reshape(4, 5)
    out = lax.index_take(op2, (np.array([0, -1, 5], np.int32), np.array([1, 2, -7], np.int32)),
                         (0, 1))
    same(out, np.array([1, 17, 8], np.int32))  # recorded from JAX


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_gather_random_windows(data) -> None:
    """Random operand shapes, index maps and windows of a point-or-window gather."""
    ndim = data.draw(st.integers(1, 3))
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    index_map = data.draw(st.permutations(range(ndim)))[:data.draw(st.integers(0, ndim))]
    collapsed = tuple(sorted(data.draw(st.sets(st.sampled_from(range(ndim)), max_size=ndim))))
    sizes = tuple(1 if d in collapsed else data.draw(st.integers(0, shape[d]))
                  for d in range(ndim))
    batch = tuple(data.draw(st.lists(st.integers(0, 3), max_size=2)))
    n_offsets = ndim - len(collapsed)
    out_rank = n_offsets + len(batch)
    offset_dims = tuple(sorted(data.draw(st.permutations(range(out_rank)))[:n_offsets]))
    dn = GDN(offset_dims, collapsed, tuple(index_map))
    indices = RNG.integers(-2, 6, batch + (len(index_map),)).astype(np.int32)
    x = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
    mode = data.draw(st.sampled_from([Mode.CLIP, Mode.FILL_OR_DROP]))
    want = ref_gather(x, indices, dn, sizes, mode, ix.default_fill_value(x.dtype))
    same(lax.gather(x, indices, dn, sizes, mode=mode), want)


# -- scatter --------------------------------------------------------------------------------------

SCATTER_ROWS = SDN(update_window_dims=(1,), inserted_window_dims=(0,),
                   scatter_dims_to_operand_dims=(0,))
SCATTER_WINDOWS = SDN(update_window_dims=(1, 2), inserted_window_dims=(),
                      scatter_dims_to_operand_dims=(0, 1))
SCATTER_POINTS = SDN(update_window_dims=(), inserted_window_dims=(0, 1),
                     scatter_dims_to_operand_dims=(1, 0))
SCATTER_BATCHED = SDN(update_window_dims=(2,), inserted_window_dims=(1,),
                      scatter_dims_to_operand_dims=(1,), operand_batching_dims=(0,),
                      scatter_indices_batching_dims=(0,))

SCATTER_CASES = [  # (name, operand shape, indices, updates shape, dimension numbers)
    ("rows", (4, 3), [[0], [2], [5], [2], [-1], [0]], (6, 3), SCATTER_ROWS),
    ("windows", (4, 5), [[0, 0], [3, 4], [-1, 2], [1, 1]], (4, 2, 2), SCATTER_WINDOWS),
    ("points", (3, 4), [[[0, 1], [3, 2]], [[0, 1], [9, 0]]], (2, 2), SCATTER_POINTS),
    ("batched", (2, 4, 3), [[[1], [3]], [[0], [5]]], (2, 2, 3), SCATTER_BATCHED),
    ("no updates", (4, 3), np.zeros((0, 1), np.int32), (0, 3), SCATTER_ROWS),
]

SCATTER_PRIMS = {
    "scatter": ix.scatter_p, "scatter-add": ix.scatter_add_p, "scatter-sub": ix.scatter_sub_p,
    "scatter-mul": ix.scatter_mul_p, "scatter-min": ix.scatter_min_p,
    "scatter-max": ix.scatter_max_p,
}
SCATTER_WRAPPERS = {  # the lax function, and the elementwise op it traces
    "scatter": (lax.scatter, None), "scatter-add": (lax.scatter_add, "add"),
    "scatter-sub": (lax.scatter_sub, "sub"), "scatter-mul": (lax.scatter_mul, "mul"),
    "scatter-min": (lax.scatter_min, "min"), "scatter-max": (lax.scatter_max, "max"),
}


def scatter_fn(name: str):
    """The lax wrapper when its update computation can be traced, else the primitive bound
    directly (its impl does not read update_jaxpr)."""
    wrapper, op = SCATTER_WRAPPERS[name]
    if op is None or has_lax(op):
        return wrapper

    def bind(x, i, u, dn, *, mode=None):
        return SCATTER_PRIMS[name].bind(x, i, u, dimension_numbers=dn,
                                        mode=Mode.from_any(mode), update_jaxpr=None,
                                        update_consts=(), indices_are_sorted=False,
                                        unique_indices=False)
    return bind


def _scatter_dtypes(name: str) -> list:
    if name == "scatter":
        return DTYPES
    if name in ("scatter-min", "scatter-max"):
        return [d for d in NUMBERS if d is not np.complex64]
    return NUMBERS


SCATTER_PARAMS = [(n, d) for n in SCATTER_PRIMS for d in _scatter_dtypes(n)]


@pytest.mark.parametrize("mode", [Mode.CLIP, Mode.FILL_OR_DROP, Mode.PROMISE_IN_BOUNDS],
                         ids=lambda m: m.name)
@pytest.mark.parametrize("case", SCATTER_CASES, ids=[c[0] for c in SCATTER_CASES])
@pytest.mark.parametrize("name,dtype", SCATTER_PARAMS,
                         ids=[f"{n}-{np.dtype(d).name}" for n, d in SCATTER_PARAMS])
def test_scatter(name, dtype, case, mode) -> None:
    _, shape, indices, updates_shape, dn = case
    x, updates = rand(shape, dtype), rand(updates_shape, dtype)
    indices = np.asarray(indices, np.int32)
    want = ref_scatter(x, indices, updates, dn, mode, COMBINE[name])
    f = scatter_fn(name)
    for out in eager_and_jit(lambda x, i, u: f(x, i, u, dn, mode=mode), x, indices, updates):
        same(out, want)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_scatter_random_windows(data) -> None:
    """Random operand shapes, index maps and windows (window dims last in the updates, so
    that duplicate targets are met in the same order by the reference's loop)."""
    ndim = data.draw(st.integers(1, 3))
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    to_operand = data.draw(st.permutations(range(ndim)))[:data.draw(st.integers(0, ndim))]
    inserted = tuple(sorted(data.draw(st.sets(st.sampled_from(range(ndim)), max_size=ndim))))
    windowed = [d for d in range(ndim) if d not in inserted]
    window = tuple(data.draw(st.integers(0, shape[d])) for d in windowed)
    batch = tuple(data.draw(st.lists(st.integers(0, 3), max_size=2)))
    dn = SDN(tuple(range(len(batch), len(batch) + len(windowed))), inserted, tuple(to_operand))
    indices = RNG.integers(-2, 6, batch + (len(to_operand),)).astype(np.int32)
    x = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
    updates = RNG.integers(-50, 50, batch + window).astype(np.int32)
    mode = data.draw(st.sampled_from([Mode.CLIP, Mode.FILL_OR_DROP]))
    name = data.draw(st.sampled_from(sorted(SCATTER_PRIMS)))
    same(scatter_fn(name)(x, indices, updates, dn, mode=mode),
         ref_scatter(x, indices, updates, dn, mode, COMBINE[name]))


def test_scatter_recorded_from_jax() -> None:
    x = np.arange(5, dtype=np.float32)
    dn = SDN(update_window_dims=(1,), inserted_window_dims=(), scatter_dims_to_operand_dims=(0,))
    idx = np.array([[4], [-1], [3], [1]], np.int32)
    u = np.array([[10, 20], [30, 40], [50, 60], [70, 80]], np.float32)
    recorded = {  # mode: (scatter, scatter_add)
        "clip": ([30, 70, 80, 50, 60], [30, 111, 82, 63, 84]),
        "fill": ([0, 70, 80, 50, 60], [0, 71, 82, 53, 64]),
        "promise_in_bounds": ([0, 70, 80, 50, 60], [0, 71, 82, 53, 64]),
        "one_hot": ([0, 70, 80, 50, 60], [0, 71, 82, 53, 64]),
    }
    for mode, (replaced, added) in recorded.items():
        same(lax.scatter(x, idx, u, dn, mode=mode), np.array(replaced, np.float32))
        same(lax.scatter_add(x, idx, u, dn, mode=mode), np.array(added, np.float32))
    points = SDN(update_window_dims=(), inserted_window_dims=(0,),
                 scatter_dims_to_operand_dims=(0,))
    same(lax.scatter(x, np.array([[0], [0], [0]]), np.array([1, 2, 3], np.float32), points),
         np.array([3, 1, 2, 3, 4], np.float32))  # the last duplicate wins
    same(lax.scatter(x, np.array([[0], [1], [0]]), np.array([1, 2, 3], np.float32), points,
                     mode="clip"), np.array([3, 2, 2, 3, 4], np.float32))
    op2 = np.arange(20, dtype=np.int32).reshape(4, 5)
    ind2 = np.array([[0, 0], [3, 4], [-1, 2]], np.int32)
    upd2 = np.arange(12, dtype=np.int32).reshape(3, 2, 2) * 10
    same(lax.scatter(op2, ind2, upd2, SCATTER_WINDOWS, mode="clip"), np.array(
        [[0, 10, 80, 90, 4], [20, 30, 100, 110, 9], [10, 11, 12, 40, 50],
         [15, 16, 17, 60, 70]], np.int32))
    same(lax.scatter_mul(op2, ind2, upd2, SCATTER_WINDOWS, mode="clip"), np.array(
        [[0, 10, 160, 270, 4], [100, 180, 700, 880, 9], [10, 11, 12, 520, 700],
         [15, 16, 17, 1080, 1330]], np.int32))
    same(lax.scatter_mul(op2, ind2, upd2, SCATTER_WINDOWS, mode="fill"), np.array(
        [[0, 10, 2, 3, 4], [100, 180, 7, 8, 9], [10, 11, 12, 13, 14], [15, 16, 17, 18, 19]],
        np.int32))
    same(scatter_fn("scatter-min")(op2, ind2, upd2 - 50, SCATTER_WINDOWS, mode="clip"),
         np.array([[-50, -40, 2, 3, 4], [-30, -20, 7, 8, 9], [10, 11, 12, -10, 0],
                   [15, 16, 17, 10, 19]], np.int32))
    same(scatter_fn("scatter-max")(op2, ind2, upd2 - 50, SCATTER_WINDOWS, mode="clip"),
         np.array([[0, 1, 30, 40, 4], [5, 6, 50, 60, 9], [10, 11, 12, 13, 14],
                   [15, 16, 17, 18, 20]], np.int32))
    same(scatter_fn("scatter-sub")(op2, ind2, upd2, SCATTER_WINDOWS, mode="clip"),
         np.array([[0, -9, -78, -87, 4], [-15, -24, -93, -102, 9], [10, 11, 12, -27, -36],
                   [15, 16, 17, -42, -51]], np.int32))
    op = np.arange(24, dtype=np.float32).reshape(2, 4, 3)
    ind = np.array([[[1], [3]], [[0], [5]]], np.int32)
    upd = np.arange(12, dtype=np.float32).reshape(2, 2, 3) + 100
    same(lax.scatter_add(op, ind, upd, SCATTER_BATCHED, mode="fill"), np.array(
        [[[0, 1, 2], [103, 105, 107], [6, 7, 8], [112, 114, 116]],
         [[118, 120, 122], [15, 16, 17], [18, 19, 20], [21, 22, 23]]], np.float32))


def test_scatter_apply() -> None:
    x = np.arange(5, dtype=np.float32)
    f = lambda v: lax.add(lax.mul(v, 2.0), 1.0)  # noqa: E731
    points = SDN((), (0,), (0,))
    idx = np.array([[1], [1], [3]])
    for out in eager_and_jit(lambda x: lax.scatter_apply(x, idx, f, points, update_shape=(3,)),
                             x):
        same(out, np.array([0, 7, 2, 7, 4], np.float32))  # recorded from JAX
    # The update computation is cached per function, so equal calls have equal params.
    j1 = kiln.make_jaxpr(lambda x: lax.scatter_apply(x, idx, f, points, update_shape=(3,)))(x)
    j2 = kiln.make_jaxpr(lambda x: lax.scatter_apply(x, idx, f, points, update_shape=(3,)))(x)
    assert j1.eqns[-1].params["update_jaxpr"] is j2.eqns[-1].params["update_jaxpr"]


def test_scatter_update_jaxprs_are_cached() -> None:
    x, i, u = np.zeros(3, np.float32), np.zeros((1, 1), np.int32), np.ones(1, np.float32)
    dn = SDN((), (0,), (0,))
    eqns = [kiln.make_jaxpr(lambda x: lax.scatter_add(x, i, u, dn))(x).eqns[0]
            for _ in range(2)]
    assert eqns[0].params["update_jaxpr"] is eqns[1].params["update_jaxpr"]


# -- weak types (recorded from JAX) ---------------------------------------------------------------

W, S = (kiln.ShapeDtypeStruct((2, 3), np.float32, weak_type=True),
        kiln.ShapeDtypeStruct((2, 3), np.float32))
IDX = np.array([[0], [1]], np.int32)
WEAK = [
    ("dynamic_slice", lambda x: lax.dynamic_slice(x, (0, 0), (1, 1)), (W,), True),
    ("dynamic_update_slice/weak", lambda x, y: lax.dynamic_update_slice(x, y, (0, 0)),
     (W, W), False),  # the (int32) indices are not weak
    ("dynamic_update_slice/strong", lambda x, y: lax.dynamic_update_slice(x, y, (0, 0)),
     (S, W), False),
    ("gather", lambda x: lax.gather(x, IDX, ROWS, (1, 3)), (W,), True),
    ("scatter/weak operand", lambda x, y: lax.scatter(x, IDX, y, SCATTER_ROWS), (W, S), True),
    ("scatter/strong operand", lambda x, y: lax.scatter(x, IDX, y, SCATTER_ROWS), (S, W),
     False),
    ("scatter_add/weak operand", lambda x, y: lax.scatter_add(x, IDX, y, SCATTER_ROWS),
     (W, S), True),
]


@pytest.mark.parametrize("case", WEAK, ids=[c[0] for c in WEAK])
def test_weak_types(case) -> None:
    _, f, args, weak = case
    assert kiln.eval_shape(f, *args).weak_type == weak


def test_dynamic_update_slice_is_weak_when_everything_is() -> None:
    w = kiln.ShapeDtypeStruct((), np.int32, weak_type=True)
    v = kiln.ShapeDtypeStruct((3,), np.float32, weak_type=True)
    out = kiln.eval_shape(lambda x, y, i: lax.dynamic_update_slice_p.bind(x, y, i), v, v, w)
    assert out.weak_type


# -- errors (types and messages recorded from JAX) ------------------------------------------------

X = np.ones((2, 3), np.float32)
X5 = np.ones((5, 3), np.float32)
I = np.zeros((2, 1), np.int32)  # noqa: E741
U = np.ones((2, 3), np.float32)

ERRORS = [
    (lambda: lax.dynamic_slice(X, (0,), (1,)), ValueError,
     "Length of slice indices must match number of operand dimensions (1 vs (2, 3))"),
    (lambda: lax.dynamic_slice(X, (0, 0), (3, 1)), TypeError,
     "slice slice_sizes must be less than or equal to operand shape, got slice_sizes (3, 1) "
     "for operand shape (2, 3)."),
    (lambda: lax.dynamic_slice(X, (0, 0), (-1, 1)), TypeError,
     "slice slice_sizes must be greater than or equal to zero, got slice_sizes of (-1, 1)."),
    (lambda: lax.dynamic_slice(X, (0.0, 0), (1, 1)), TypeError,
     "index arguments to dynamic_slice must be integers of the same type, got: float32, int32"),
    (lambda: lax.dynamic_slice(X, (np.int16(0), np.int32(0)), (1, 1)), TypeError,
     "index arguments to dynamic_slice must be integers of the same type, got: int16, int32"),
    (lambda: lax.dynamic_slice(X, (np.zeros(1, np.int32), 0), (1, 1),
                               allow_negative_indices=False), TypeError,
     "start_indices arguments to dynamic_slice must be scalars,  got indices "
     "(ShapedArray(int32[1]), ShapedArray(int32[]))"),
    (lambda: lax.dynamic_update_slice(X, X.astype(np.int32), (0, 0)), TypeError,
     "lax.dynamic_update_slice requires arguments to have the same dtypes, got float32, int32."),
    (lambda: lax.dynamic_update_slice(X, X[0], (0, 0)), TypeError,
     "dynamic_update_slice update must have the same rank as operand, got update shape (3,) "
     "for operand shape (2, 3)."),
    (lambda: lax.dynamic_update_slice(X, np.ones((3, 3), np.float32), (0, 0)), TypeError,
     "dynamic_update_slice update shape must be smaller than operand shape, got update shape "
     "(3, 3) for operand shape (2, 3)."),
    (lambda: lax.dynamic_update_slice(X, X, (0,)), ValueError,
     "Length of slice indices must match number of operand dimensions (1 vs (2, 3))"),
    (lambda: lax.dynamic_update_slice(X, X, (0.0, 0)), TypeError,
     "index arguments to dynamic_update_slice must be integers of the same type, got "
     "float32, int32"),
    (lambda: lax.gather(np.ones((5, 3, 4)), I, GDN((2, 1), (0,), (0,)), (1, 3, 4)), TypeError,
     "offset_dims in gather op must be sorted; got (2, 1)"),
    (lambda: lax.gather(X5, I, GDN((2,), (0,), (0,)), (1, 3)), TypeError,
     "Offset dimension 0 in gather op is out of bounds; got 2, but should have been in [0, 2)"),
    (lambda: lax.gather(X5, I, GDN((1,), (0,), (0, 1)), (1, 3)), TypeError,
     "Gather op has 2 elements in start_index_map and the bound of dimension "
     "index_vector_dim=1 of indices is 1. These two numbers must be equal."),
    (lambda: lax.gather(X5, I, GDN((1,), (0,), (2,)), (1, 3)), TypeError,
     "Invalid start_index_map; domain is [0, 2), got: 0->2."),
    (lambda: lax.gather(X5, I, GDN((1,), (3,), (0,)), (1, 3)), TypeError,
     "Invalid collapsed_slice_dims set in gather op; valid range is [0, 2); got: 3."),
    (lambda: lax.gather(X5, I, GDN((1,), (0,), (0,)), (1,)), TypeError,
     "Gather op must have one slice size for every input dimension; got: len(slice_sizes)=1, "
     "input_shape.rank=2"),
    (lambda: lax.gather(X5, I, GDN((1,), (), (0,)), (1, 3)), TypeError,
     "All components of the offset index in a gather op must either be a offset dimension or "
     "explicitly collapsed/batching; got len(slice_sizes)=2, output_slice_sizes=(1,), "
     "collapsed_slice_dims=(), operand_batching_dims=()."),
    (lambda: lax.gather(X5, I, GDN((1,), (0,), (0,)), (1, 4)), TypeError,
     "Slice size at index 1 in gather op is out of range, must be within [0, 3 + 1), got 4."),
    (lambda: lax.gather(X5, I, GDN((1,), (0,), (0,)), (2, 3)), TypeError,
     "Gather op can only collapse slice dims with bound 1, but bound is 2 for index 0 at "
     "position 0."),
    (lambda: lax.gather(X5, I.astype(np.float32), GDN((1,), (0,), (0,)), (1, 3)), ValueError,
     "indices must have an integer type"),
    (lambda: lax.gather(np.ones((2, 4, 3)), np.zeros((3, 1), np.int32),
                        GDN((1,), (1,), (1,), (0,), (0,)), (1, 1, 3)), TypeError,
     "Gather op requires operand batching dimensions and indices batching dimensions to have "
     "the same shape, got (2,) and (3,)."),
    (lambda: lax.gather(np.ones((2, 4, 3)), I, GDN((1, 2), (1,), (1,), (0,), ()), (1, 1, 3)),
     TypeError, "Gather op requires equal numbers of operand_batching_dims and "
     "start_indices_batching_dims, got (0,) and()."),
    (lambda: lax.gather(X5, np.int32(0), GDN((0, 1), (), ()), (1, 3)), TypeError,
     "Gather index leaf dimension must be within [0, rank(indices) + 1). rank(indices) is 0 "
     "and gather index leaf dimension is -1."),
    (lambda: lax.gather(X5, I, ROWS, (1, 3), mode="foo"), ValueError, 'Unknown gather mode "foo"'),
    (lambda: lax.scatter(X5, I, np.ones(3, np.float32), SDN((1,), (0,), (0,))), TypeError,
     "Updates tensor must be of rank 2; got 1."),
    (lambda: lax.scatter(X5, I, U, SDN((1,), (), (0,))), TypeError,
     "Scatter op has window of size 1; doesn't match operand of rank 2."),
    (lambda: lax.scatter(X5, I, np.ones((2, 4), np.float32), SDN((1,), (0,), (0,))), TypeError,
     "Bounds of the window dimensions of updates must not exceed the bounds of the "
     "corresponding dimensions of operand. For dimension 1, updates bound is 4, operand bound "
     "is 3."),
    (lambda: lax.scatter(X5, I, np.ones((3, 3), np.float32), SDN((1,), (0,), (0,))), TypeError,
     "Bounds of the scatter dimensions of updates must be the same as the bounds of the "
     "corresponding dimensions of scatter indices. For scatter dimension 0, updates bound is "
     "3, indices bound is 2."),
    (lambda: lax.scatter(X5, I, U, SDN((1,), (0,), (0, 1))), TypeError,
     "Scatter op has 2 elements in scatter_dims_to_operand_dims and the bound of dimension "
     "index_vector_dim=1 of indices is 1. These two numbers must be equal"),
    (lambda: lax.scatter(X5, I, U, SDN((1,), (0,), (4,))), TypeError,
     "Invalid scatter_dims_to_operand_dims mapping; domain is [0, 2), got: 0->4."),
    (lambda: lax.scatter(np.ones((5, 3, 2), np.float32), I, U, SDN((1,), (2, 0), (0,))),
     TypeError, "inserted_window_dims in scatter op must be sorted; got (2, 0)"),
    (lambda: lax.scatter(X5, I, U.astype(np.int32), SDN((1,), (0,), (0,))), TypeError,
     "lax.scatter requires arguments to have the same dtypes, got float32, int32."),
    (lambda: lax.scatter_add(X5, I, U.astype(np.int32), SDN((1,), (0,), (0,))), TypeError,
     "lax.scatter requires arguments to have the same dtypes, got float32, int32."),
    (lambda: lax.scatter(X5, I.astype(np.float32), U, SDN((1,), (0,), (0,))), ValueError,
     "indices must have an integer type"),
    (lambda: lax.scatter(X5, I, U, SDN((1,), (0,), (0,)), mode="foo"), ValueError,
     'Unknown gather mode "foo"'),
]


@pytest.mark.parametrize("f,exc,msg", ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_errors(f, exc, msg) -> None:
    with pytest.raises(exc, match=re.escape(msg)):
        kiln.make_jaxpr(f)()


def test_scatter_add_of_bools_is_a_type_error() -> None:
    # JAX: add does not accept bool (raised while tracing the update computation).
    with pytest.raises(TypeError):
        lax.scatter_add(X5 > 0, I, U > 0, SDN((1,), (0,), (0,)))


# -- printed jaxprs (recorded from JAX 0.10.2) ----------------------------------------------------


def jaxpr_text(f, *args) -> str:
    return str(kiln.make_jaxpr(f)(*args))


A5 = np.arange(5, dtype=np.float32)
A53 = np.ones((5, 3), np.float32)
GATHER_PRINTED = """\
{{ lambda ; a:f32[5,3] b:i32[2,1]. let
    c:f32[2,3] = gather[
      dimension_numbers=GatherDimensionNumbers(offset_dims=(1,), collapsed_slice_dims=(0,), \
start_index_map=(0,), operand_batching_dims=(), start_indices_batching_dims=())
      fill_value={fill}
      indices_are_sorted=False
      mode=GatherScatterMode.{mode}
      slice_sizes=(1, 3)
      unique_indices=False
    ] a b
  in (c,) }}"""
SCATTER_PRINTED = """\
{{ lambda ; a:f32[5,3] b:i32[2,1] c:f32[2,3]. let
    d:f32[5,3] = {name}[
      dimension_numbers=ScatterDimensionNumbers(update_window_dims=(1,), \
inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,), operand_batching_dims=(), \
scatter_indices_batching_dims=())
      indices_are_sorted={sorted}
      mode=GatherScatterMode.{mode}
      unique_indices={unique}
      update_consts=()
      update_jaxpr={update}
    ] a b c
  in (d,) }}"""


def test_printed_dynamic_slices() -> None:
    assert jaxpr_text(lambda x: lax.dynamic_slice(x, (1,), (2,)), A5) == """\
{ lambda ; a:f32[5]. let
    b:f32[2] = dynamic_slice[slice_sizes=(2,)] a 1:i32[]
  in (b,) }"""
    assert jaxpr_text(lambda x: lax.dynamic_slice(x, (-1,), (2,)), A5) == """\
{ lambda ; a:f32[5]. let
    b:f32[2] = dynamic_slice[slice_sizes=(2,)] a 4:i32[]
  in (b,) }"""
    assert jaxpr_text(lambda x: lax.dynamic_slice(x, (np.int16(-1),), (2,)), A5) == """\
{ lambda ; a:f32[5]. let
    b:f32[2] = dynamic_slice[slice_sizes=(2,)] a 4:i16[]
  in (b,) }"""
    assert jaxpr_text(lambda x, i: lax.dynamic_slice(x, (i,), (2,)), A5, np.uint32(1)) == """\
{ lambda ; a:f32[5] b:u32[]. let
    c:f32[2] = dynamic_slice[slice_sizes=(2,)] a b
  in (c,) }"""
    assert jaxpr_text(lambda x, u: lax.dynamic_update_slice(x, u, (1,)), A5,
                      np.ones(2, np.float32)) == """\
{ lambda ; a:f32[5] b:f32[2]. let
    c:f32[5] = dynamic_update_slice a b 1:i32[]
  in (c,) }"""
    assert jaxpr_text(lambda x: lax.dynamic_slice_in_dim(lax.full((3, 4), 1.0, np.float32),
                                                         1, 2, axis=1), A5) == """\
{ lambda ; a:f32[5]. let
    b:f32[3,4] = broadcast_in_dim 1.0:f32[]
    c:f32[3,2] = dynamic_slice[slice_sizes=(3, 2)] b 0:i32[] 1:i32[]
  in (c,) }"""


@needs_elementwise
def test_printed_dynamic_slices_with_traced_indices() -> None:
    assert jaxpr_text(lambda x, i: lax.dynamic_slice(x, (i,), (2,)), A5, np.int16(1)) == """\
{ lambda ; a:f32[5] b:i16[]. let
    c:bool[] = lt b 0:i16[]
    d:i16[] = add b 5:i16[]
    e:i16[] = select_n c b d
    f:f32[2] = dynamic_slice[slice_sizes=(2,)] a e
  in (f,) }"""
    # A weak index (a Python int argument) is made strong before the add.
    assert jaxpr_text(lambda x, i: lax.dynamic_slice(x, (i,), (2,)), A5, 1) == """\
{ lambda ; a:f32[5] b:i32[]. let
    c:bool[] = lt b 0:i32[]
    d:i32[] = convert_element_type[new_dtype=int32 weak_type=False] b
    e:i32[] = add d 5:i32[]
    f:i32[] = select_n c b e
    g:f32[2] = dynamic_slice[slice_sizes=(2,)] a f
  in (g,) }"""
    assert jaxpr_text(lambda x: lax.dynamic_update_index_in_dim(x, 1.0, 2, 0), A5) == """\
{ lambda ; a:f32[5]. let
    b:f32[5] = jit[
      name=dynamic_update_index_in_dim
      jaxpr={ lambda ; a:f32[5] c:f32[] d:i32[]. let
          e:f32[1] = broadcast_in_dim c
          f:bool[] = lt d 0:i32[]
          g:i32[] = convert_element_type[new_dtype=int32 weak_type=False] d
          h:i32[] = add g 5:i32[]
          i:i32[] = select_n f d h
          b:f32[5] = dynamic_update_slice a e i
        in (b,) }
    ] a 1.0:f32[] 2:i32[]
  in (b,) }"""


def test_printed_gathers() -> None:
    idx = np.zeros((2, 1), np.int32)
    assert jaxpr_text(lambda x, i: lax.gather(x, i, ROWS, (1, 3)), A53, idx) == \
        GATHER_PRINTED.format(fill="None", mode="PROMISE_IN_BOUNDS")
    assert jaxpr_text(lambda x, i: lax.gather(x, i, ROWS, (1, 3), mode="fill"), A53, idx) == \
        GATHER_PRINTED.format(fill="nan", mode="FILL_OR_DROP")
    assert jaxpr_text(lambda x, i: lax.gather(x, i, ROWS, (1, 3), mode="clip"), A53, idx) == \
        GATHER_PRINTED.format(fill="None", mode="CLIP")
    assert jaxpr_text(lambda x, i: lax.gather(x, i, ROWS, (1, 3), mode="fill", fill_value=3),
                      A53, idx) == GATHER_PRINTED.format(fill="3", mode="FILL_OR_DROP")


def test_printed_scatters() -> None:
    idx, upd = np.zeros((2, 1), np.int32), np.ones((2, 3), np.float32)
    args = dict(sorted="False", unique="False")
    assert jaxpr_text(lambda x, i, u: lax.scatter(x, i, u, SCATTER_ROWS), A53, idx, upd) == \
        SCATTER_PRINTED.format(name="scatter", mode="FILL_OR_DROP", update="None", **args)
    assert jaxpr_text(lambda x, i, u: lax.scatter_add(x, i, u, SCATTER_ROWS), A53, idx,
                      upd) == SCATTER_PRINTED.format(
        name="scatter-add", mode="FILL_OR_DROP",
        update="{ lambda ; e:f32[] f:f32[]. let g:f32[] = add e f in (g,) }", **args)
    assert jaxpr_text(lambda x, i, u: lax.scatter_mul(x, i, u, SCATTER_ROWS, mode="clip"), A53,
                      idx, upd) == SCATTER_PRINTED.format(
        name="scatter-mul", mode="CLIP",
        update="{ lambda ; e:f32[] f:f32[]. let g:f32[] = mul e f in (g,) }", **args)
    for name, op in (("scatter-sub", "sub"), ("scatter-min", "min"), ("scatter-max", "max")):
        if not has_lax(op):
            continue
        def f(x, i, u, wrapper=SCATTER_WRAPPERS[name][0]):
            return wrapper(x, i, u, SCATTER_ROWS, mode="promise_in_bounds",
                           indices_are_sorted=True, unique_indices=True)

        assert jaxpr_text(f, A53, idx, upd) == SCATTER_PRINTED.format(
            name=name, mode="PROMISE_IN_BOUNDS", sorted="True", unique="True",
            update=f"{{ lambda ; e:f32[] f:f32[]. let g:f32[] = {op} e f in (g,) }}")


def test_printed_scatter_apply() -> None:
    idx = np.zeros((2, 1), np.int32)
    text = jaxpr_text(lambda x, i: lax.scatter_apply(x, i, lax.sin, SCATTER_ROWS,
                                                     update_shape=(2, 3)), A53, idx)
    assert text == """\
{ lambda ; a:f32[5,3] b:i32[2,1]. let
    c:f32[2,3] = broadcast_in_dim 0.0:f32[]
    d:f32[5,3] = scatter[
      dimension_numbers=ScatterDimensionNumbers(update_window_dims=(1,), \
inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,), operand_batching_dims=(), \
scatter_indices_batching_dims=())
      indices_are_sorted=False
      mode=GatherScatterMode.FILL_OR_DROP
      unique_indices=False
      update_consts=()
      update_jaxpr={ lambda ; e:f32[] f:f32[]. let g:f32[] = sin e in (g,) }
    ] a b c
  in (d,) }"""


def test_mode_parsing_and_param_types() -> None:
    assert Mode.from_any(None) is Mode.FILL_OR_DROP
    assert Mode.from_any("drop") is Mode.FILL_OR_DROP
    assert Mode.from_any("clip") is Mode.CLIP
    assert Mode.from_any("one_hot") is Mode.ONE_HOT
    assert str(Mode.CLIP) == "GatherScatterMode.CLIP"
    assert GDN((1,), (0,), (0,)) == ((1,), (0,), (0,), (), ())
    assert [m.name for m in Mode] == ["CLIP", "FILL_OR_DROP", "PROMISE_IN_BOUNDS", "ONE_HOT"]
    # Dimension numbers given with lists are made hashable.
    eqn = kiln.make_jaxpr(lambda x: lax.gather(x, np.zeros((1, 1), np.int32),
                                               GDN([1], [0], [0]), [1, 3]))(A53).eqns[0]
    assert eqn.params["dimension_numbers"] == GDN((1,), (0,), (0,))
    hash(tuple(eqn.params.items()))


def test_all_modes_and_dtypes_of_a_small_gather_agree_with_clip_in_bounds() -> None:
    # In bounds, every mode gives the same result.
    x = np.arange(12, dtype=np.int32).reshape(4, 3)
    idx = np.array([[0], [3], [1]], np.int32)
    results = [lax.gather(x, idx, ROWS, (1, 3), mode=m) for m in ("clip", "fill",
                                                                   "promise_in_bounds")]
    for a, b in itertools.pairwise(results):
        same(a, b)
    same(results[0], x[[0, 3, 1]])
