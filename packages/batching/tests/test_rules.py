"""Batching rules against Python loops over the batch, on random shapes, dimension numbers and
batch positions (hypothesis): the families whose rules rewrite dimension numbers
(dot_general, gather, scatter, dynamic slicing), broadcasting elementwise ops, reductions and
structural ops."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import kiln
from kiln import lax
from kiln.batching import vmap
from kiln.core.primitives.indexing import (
    GatherDimensionNumbers,
    GatherScatterMode,
    ScatterDimensionNumbers,
    gather_p,
    scatter_add_p,
    scatter_p,
)

SETTINGS = settings(max_examples=25, deadline=None)
B = 3  # batch size


def member(shape, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape).astype(np.float32)


def check_against_loop(fun, args, in_axes, rtol=1e-5):
    """vmap(fun) on args batched at in_axes (None: unbatched) equals the loop; args are given
    per member as lists (batched) or single values (unbatched)."""
    batched = [x if a is None else np.stack(x, axis=a) for x, a in zip(args, in_axes)]
    got = vmap(fun, in_axes=tuple(in_axes))(*batched)
    outs = [fun(*[x if a is None else x[k] for x, a in zip(args, in_axes)]) for k in range(B)]
    leaves_got = got if isinstance(got, (tuple, list)) else [got]
    leaves_want = [np.stack([np.asarray(o[i] if isinstance(o, (tuple, list)) else o)
                             for o in outs]) for i in range(len(leaves_got))]
    for g, w in zip(leaves_got, leaves_want):
        g = np.asarray(g)
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, w.shape, g.dtype, w.dtype)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=1e-5)


def operand(draw, shape, batched, seed):
    """Per-member values (a list) when batched, else one value, and a batch axis."""
    if not batched:
        return member(shape, seed), None
    axis = draw(st.integers(0, len(shape)))
    return [member(shape, seed + k) for k in range(B)], axis


# -- dot_general ------------------------------------------------------------------------------


@st.composite
def dot_general_cases(draw):
    n_batch, n_contract = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    n_lfree, n_rfree = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    sizes = draw(st.lists(st.integers(1, 3), min_size=8, max_size=8))
    batch, contract = sizes[:n_batch], sizes[2:2 + n_contract]
    lfree, rfree = sizes[4:4 + n_lfree], sizes[6:6 + n_rfree]
    lkinds = ["b"] * n_batch + ["c"] * n_contract + ["f"] * n_lfree
    rkinds = ["b"] * n_batch + ["c"] * n_contract + ["f"] * n_rfree
    lperm = draw(st.permutations(range(len(lkinds))))
    rperm = draw(st.permutations(range(len(rkinds))))
    lsizes, rsizes = batch + contract + lfree, batch + contract + rfree
    lshape = tuple(lsizes[i] for i in lperm)
    rshape = tuple(rsizes[i] for i in rperm)
    lpos = {old: new for new, old in enumerate(lperm)}
    rpos = {old: new for new, old in enumerate(rperm)}
    lb = tuple(lpos[i] for i in range(n_batch))
    rb = tuple(rpos[i] for i in range(n_batch))
    lc = tuple(lpos[n_batch + i] for i in range(n_contract))
    rc = tuple(rpos[n_batch + i] for i in range(n_contract))
    which = draw(st.sampled_from(["both", "lhs", "rhs"]))
    lhs = operand(draw, lshape, which != "rhs", 0)
    rhs = operand(draw, rshape, which != "lhs", 10)
    return lhs, rhs, ((lc, rc), (lb, rb))


@SETTINGS
@given(dot_general_cases())
def test_dot_general(case):
    (lhs, la), (rhs, ra), dn = case
    check_against_loop(lambda x, y: lax.dot_general(x, y, dn), [lhs, rhs], [la, ra])


def test_dot_general_with_both_batched_folds_into_batch_dimensions():
    closed = kiln.make_jaxpr(vmap(lambda x, y: lax.dot_general(x, y, (((1,), (0,)), ((), ()))),
                                  in_axes=(1, 2)))(np.ones((2, 5, 3), np.float32),
                                                   np.ones((3, 4, 5), np.float32))
    assert [e.primitive.name for e in closed.jaxpr.eqns] == ["dot_general"]


# -- elementwise ------------------------------------------------------------------------------


@st.composite
def elementwise_cases(draw):
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=3)))
    args = []
    for i in range(3):
        scalar = draw(st.booleans()) and i > 0
        s = () if scalar else shape
        args.append(operand(draw, s, draw(st.booleans()) or i == 0, 20 * i))
    return args


@SETTINGS
@given(elementwise_cases())
def test_broadcasting_elementwise_ops(case):
    (x, xa), (y, ya), (z, za) = case
    check_against_loop(lambda a, b, c: lax.add(lax.mul(a, b), lax.sin(c)),
                       [x, y, z], [xa, ya, za])


@SETTINGS
@given(elementwise_cases())
def test_select_n_and_clamp(case):
    (x, xa), (lo, la), (hi, ha) = case

    def fun(x, lo, hi):
        # the bounds and the predicate are scalars or have x's shape
        return (lax.clamp(lo, x, lax.add(hi, 1.0)),
                lax.select_n(lax.gt(lo, 0.0), x, lax.mul(x, hi)))

    check_against_loop(fun, [x, lo, hi], [xa, la, ha])


def test_elementwise_ops_batched_alike_are_not_moved():
    closed = kiln.make_jaxpr(vmap(lax.add, in_axes=2, out_axes=2))(
        np.ones((2, 3, 4), np.float32), np.ones((2, 3, 4), np.float32))
    assert [e.primitive.name for e in closed.jaxpr.eqns] == ["add"]


# -- reductions and structural ops -------------------------------------------------------------


@SETTINGS
@given(st.lists(st.integers(1, 3), min_size=1, max_size=3), st.data())
def test_reductions_and_argmax(shape, data):
    axes = tuple(sorted(data.draw(st.sets(st.integers(0, len(shape) - 1), min_size=1))))
    x, xa = operand(data.draw, tuple(shape), True, 3)
    check_against_loop(lambda v: (lax.reduce_sum(v, axes), lax.reduce_max(v, axes),
                                  lax.argmax(v, axes[0], np.int32), lax.cumsum(v, axes[0])),
                       [x], [xa])


@SETTINGS
@given(st.lists(st.integers(1, 3), min_size=1, max_size=3), st.data())
def test_transpose_broadcast_reshape_squeeze(shape, data):
    shape = tuple(shape)
    perm = tuple(data.draw(st.permutations(range(len(shape)))))
    x, xa = operand(data.draw, shape, True, 5)
    out_shape = (2,) + shape
    dims = tuple(range(1, len(shape) + 1))

    def fun(v):
        moved = lax.transpose(v, perm)
        wide = lax.broadcast_in_dim(v, out_shape, dims)
        flat = lax.reshape(v, (int(np.prod(shape)),))
        back = lax.squeeze(lax.reshape(v, (1,) + shape), (0,))
        return moved, wide, flat, back

    check_against_loop(fun, [x], [xa])


# -- indexing ---------------------------------------------------------------------------------


@SETTINGS
@given(st.data())
def test_dynamic_slice_and_update_with_batched_or_shared_indices(data):
    x, xa = operand(data.draw, (4, 5), data.draw(st.booleans()), 7)
    upd, ua = operand(data.draw, (2, 3), data.draw(st.booleans()), 9)
    index_batched = data.draw(st.booleans())
    if index_batched:
        i = [np.int32(v) for v in data.draw(st.lists(st.integers(-1, 4), min_size=B,
                                                     max_size=B))]
        ia = 0
    else:
        i, ia = np.int32(data.draw(st.integers(-1, 4))), None
    if xa is None and ua is None and ia is None:
        xa, x = 0, [x] * B

    def fun(x, u, i):
        return (lax.dynamic_slice(x, (i, np.int32(1)), (2, 3)),
                lax.dynamic_update_slice(x, u, (np.int32(1), i)))

    check_against_loop(fun, [x, upd, i], [xa, ua, ia])


def take_rows(x, idx, mode=GatherScatterMode.CLIP):
    """x[idx] for a (n, k) operand and (m, 1) indices, as a gather."""
    dn = GatherDimensionNumbers(offset_dims=(1,), collapsed_slice_dims=(0,),
                                start_index_map=(0,))
    return gather_p.bind(x, idx, dimension_numbers=dn, slice_sizes=(1, x.shape[1]),
                         indices_are_sorted=False, unique_indices=False, mode=mode,
                         fill_value=None)


def add_rows(x, idx, upd, prim=scatter_add_p):
    dn = ScatterDimensionNumbers(update_window_dims=(1,), inserted_window_dims=(0,),
                                 scatter_dims_to_operand_dims=(0,))
    return prim.bind(x, idx, upd, dimension_numbers=dn, indices_are_sorted=False,
                     unique_indices=False, mode=GatherScatterMode.FILL_OR_DROP,
                     update_jaxpr=None, update_consts=())


@SETTINGS
@given(st.data())
def test_gather_and_scatter_with_any_operands_batched(data):
    flags = data.draw(st.lists(st.booleans(), min_size=3, max_size=3).filter(any))
    x, xa = operand(data.draw, (5, 3), flags[0], 11)
    upd, ua = operand(data.draw, (4, 3), flags[2], 13)
    rng = np.random.default_rng(data.draw(st.integers(0, 100)))
    if flags[1]:
        idx = [rng.integers(-1, 6, (4, 1)).astype(np.int32) for _ in range(B)]
        ia = data.draw(st.sampled_from([0, 1]))
    else:
        idx, ia = rng.integers(-1, 6, (4, 1)).astype(np.int32), None

    def fun(x, i, u):
        return take_rows(x, i), add_rows(x, i, u), add_rows(x, i, u, scatter_p)

    check_against_loop(fun, [x, idx, upd], [xa, ia, ua])


def test_gather_with_both_batched_uses_batching_dims():
    closed = kiln.make_jaxpr(vmap(take_rows))(np.ones((2, 5, 3), np.float32),
                                             np.zeros((2, 4, 1), np.int32))
    (eqn,) = closed.jaxpr.eqns
    dn = eqn.params["dimension_numbers"]
    assert dn.operand_batching_dims == (0,) and dn.start_indices_batching_dims == (0,)
