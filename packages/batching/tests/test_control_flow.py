"""vmap of control flow: cond with a batched predicate becomes a selection of both branches
(with an unbatched one it stays a cond), while_loop with a batched predicate runs until every
member is done and masks the carries of those that are, scan keeps batched xs and ys off the
scanned axis. Each against a Python loop over the batch."""

from __future__ import annotations

import numpy as np
import pytest

import kiln
from kiln import lax
from kiln.batching import vmap
from kiln.core.primitives.control_flow import cond_p, scan_p, while_p

f32 = np.float32


def loop(f, *batched, in_axes=0):
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(batched)
    size = next(np.shape(x)[a] for x, a in zip(batched, axes) if a is not None)
    outs = [f(*[x if a is None else np.take(x, k, axis=a) for x, a in zip(batched, axes)])
            for k in range(size)]
    return kiln.tree_util.tree_map(lambda *ys: np.stack([np.asarray(y) for y in ys]), *outs)


def assert_tree_close(got, want):
    got_leaves = kiln.tree_util.tree_leaves(got)
    want_leaves = kiln.tree_util.tree_leaves(want)
    assert len(got_leaves) == len(want_leaves)
    for g, w in zip(got_leaves, want_leaves):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-6, atol=1e-6)


def prims(closed):
    return [e.primitive.name for e in closed.eqns]


# -- cond ---------------------------------------------------------------------------------------


def branchy(p, x, y):
    return lax.cond(p, lambda x: (lax.mul(lax.sin(x), y), x),
                    lambda x: (lax.cos(x), lax.neg(x)), x)


PS = np.array([True, False, False, True])
XS = np.linspace(-1, 1, 12).astype(f32).reshape(4, 3)


@pytest.mark.parametrize("in_axes", [(0, 0, None), (None, 0, None), (0, None, None),
                                     (0, 1, 0), (None, None, 0)])
def test_vmap_of_cond(in_axes):
    ys = np.array([0.5, 2.0, -1.0, 3.0], f32)
    args = (PS if in_axes[0] == 0 else True,
            XS if in_axes[1] == 0 else (XS.T if in_axes[1] == 1 else XS[0]),
            ys if in_axes[2] == 0 else f32(2))
    assert_tree_close(vmap(branchy, in_axes=in_axes)(*args), loop(branchy, *args,
                                                                  in_axes=in_axes))
    assert_tree_close(kiln.jit(vmap(branchy, in_axes=in_axes))(*args),
                      loop(branchy, *args, in_axes=in_axes))


def test_batched_predicate_becomes_a_select_and_unbatched_stays_a_cond():
    jaxpr = kiln.make_jaxpr(vmap(branchy, in_axes=(0, 0, None)))(PS, XS, f32(2))
    assert cond_p not in [e.primitive for e in jaxpr.eqns]
    assert "select_n" in prims(jaxpr) and "stop_gradient" in prims(jaxpr)
    jaxpr = kiln.make_jaxpr(vmap(branchy, in_axes=(None, 0, None)))(True, XS, f32(2))
    (eqn,) = [e for e in jaxpr.eqns if e.primitive is cond_p]
    for branch in eqn.params["branches"]:
        assert [v.aval.shape for v in branch.jaxpr.outvars] == [(4, 3), (4, 3)]


def test_vmap_of_switch_with_batched_index_selects_each_members_branch():
    def f(i, x):
        return lax.switch(i, [lax.sin, lax.cos, lambda x: lax.mul(x, 3.0)], x)

    index = np.array([0, 2, 1, 7, -1], np.int32)  # switch clamps: 7 -> 2, -1 -> 0
    xs = np.linspace(0, 1, 5).astype(f32)
    np.testing.assert_allclose(vmap(f)(index, xs), loop(f, index, xs), rtol=1e-6)


def test_vmap_of_cond_primitive_runs_the_last_branch_out_of_range():
    branches = tuple(kiln.make_jaxpr(g)(f32(0)) for g in (lax.sin, lax.cos, lax.neg))
    index = np.array([-1, 0, 1, 2, 3], np.int32)
    xs = np.linspace(0, 1, 5).astype(f32)
    got = vmap(lambda i, x: cond_p.bind(i, x, branches=branches)[0])(index, xs)
    want = [cond_p.bind(i, x, branches=branches)[0] for i, x in zip(index, xs)]
    np.testing.assert_allclose(got, np.array(want), rtol=1e-6)


def test_vmap_of_grad_of_cond_with_batched_predicate():
    def f(x):
        return lax.cond(lax.gt(x, 0.0), lambda x: lax.sqrt(x), lambda x: lax.mul(x, x), x)

    xs = np.array([4.0, -3.0, 0.25, -0.5], f32)
    np.testing.assert_allclose(vmap(kiln.grad(f))(xs), loop(kiln.grad(f), xs), rtol=1e-6)
    # the branch not taken must not leak NaN into the gradient (sqrt of a negative)
    assert np.all(np.isfinite(vmap(kiln.grad(f))(xs)))


# -- while_loop -----------------------------------------------------------------------------


def halvings(x, limit):
    return lax.while_loop(lambda c: lax.gt(c[0], limit),
                          lambda c: (lax.mul(c[0], 0.5), lax.add(c[1], 1)), (x, 0))


@pytest.mark.parametrize("in_axes", [(0, None), (None, 0), (0, 0)])
def test_vmap_of_while_loop_with_batched_predicate(in_axes):
    xs = np.array([1.0, 100.0, 3.0, 0.1], f32)
    limits = np.array([0.5, 2.0, 10.0, 0.01], f32)
    args = (xs if in_axes[0] == 0 else f32(40), limits if in_axes[1] == 0 else f32(1))
    assert_tree_close(vmap(halvings, in_axes=in_axes)(*args),
                      loop(halvings, *args, in_axes=in_axes))
    assert_tree_close(kiln.jit(vmap(halvings, in_axes=in_axes))(*args),
                      loop(halvings, *args, in_axes=in_axes))


def test_batched_predicate_masks_carries_and_loops_while_any_member_runs():
    jaxpr = kiln.make_jaxpr(vmap(halvings, in_axes=(0, None)))(np.ones(3, f32), f32(1))
    (eqn,) = [e for e in jaxpr.eqns if e.primitive is while_p]
    assert "reduce_or" in prims(eqn.params["cond_jaxpr"])
    assert prims(eqn.params["body_jaxpr"]).count("select_n") == 2  # one per carry


def test_vmap_of_while_loop_with_unbatched_predicate_keeps_carries_unbatched():
    def f(x, n):
        return lax.while_loop(lambda c: lax.lt(c[0], n),
                              lambda c: (lax.add(c[0], 1), lax.mul(c[1], 2.0)), (0, x))

    xs = np.arange(4, dtype=f32)
    counts, values = vmap(f, in_axes=(0, None))(xs, 3)
    assert counts.shape == (4,) and np.all(np.asarray(counts) == 3)
    np.testing.assert_allclose(values, xs * 8)
    jaxpr = kiln.make_jaxpr(vmap(f, in_axes=(0, None)))(xs, 3)
    (eqn,) = [e for e in jaxpr.eqns if e.primitive is while_p]
    assert [v.aval.shape for v in eqn.outvars] == [(), (4,)]


def test_vmap_of_fori_loop_with_batched_bounds():
    def f(n, x):
        return lax.fori_loop(0, n, lambda i, c: lax.add(c, lax.convert_element_type(i, f32)), x)

    ns = np.array([0, 1, 4, 2], np.int32)
    np.testing.assert_allclose(vmap(f)(ns, np.ones(4, f32)), loop(f, ns, np.ones(4, f32)))


# -- scan -------------------------------------------------------------------------------------


def rnn(h, xs, w):
    def step(h, x):
        h = lax.tanh(lax.add(lax.mul(h, w), x))
        return h, lax.mul(h, 2.0)

    return lax.scan(step, h, xs)


HS = np.linspace(-1, 1, 3).astype(f32)
XS_BY_LENGTH = np.linspace(-2, 2, 15).astype(f32).reshape(5, 3)  # (length, batch)
WS = np.array([0.5, -1.0, 1.5], f32)


@pytest.mark.parametrize("args,in_axes", [
    ((HS, XS_BY_LENGTH.T, f32(0.7)), (0, 0, None)),
    ((f32(0.1), XS_BY_LENGTH, f32(0.7)), (None, 1, None)),
    ((HS, XS_BY_LENGTH[:, 0], WS), (0, None, 0)),
    ((f32(0.1), XS_BY_LENGTH[:, 0], WS), (None, None, 0)),
    ((HS, XS_BY_LENGTH, WS), (0, 1, 0)),
])
def test_vmap_of_scan(args, in_axes):
    want = loop(rnn, *args, in_axes=in_axes)
    assert_tree_close(vmap(rnn, in_axes=in_axes)(*args), want)
    assert_tree_close(kiln.jit(vmap(rnn, in_axes=in_axes))(*args), want)


def test_batched_xs_stay_off_the_scanned_axis():
    xs = np.ones((4, 6), f32)
    jaxpr = kiln.make_jaxpr(vmap(rnn, in_axes=(None, 0, None)))(f32(0), xs, f32(1))
    (eqn,) = [e for e in jaxpr.eqns if e.primitive is scan_p]
    assert eqn.params["length"] == 6
    assert [v.aval.shape for v in eqn.outvars] == [(4,), (6, 4)]


def test_vmap_of_map_and_of_vmap():
    xs = np.arange(24, dtype=f32).reshape(2, 3, 4)
    f = vmap(vmap(lambda x: lax.map(lambda r: lax.reduce_sum(r, (0,)), x)))
    np.testing.assert_allclose(f(xs[..., None]), xs)
    g = vmap(lambda x: lax.map(lax.sin, x, batch_size=2))
    np.testing.assert_allclose(g(xs[0]), np.sin(xs[0]), rtol=1e-6)


def test_collectives_over_the_vmapped_axis_inside_bodies():
    def f(x):
        def step(c, _):
            return lax.add(c, lax.psum(x, "i")), None

        return lax.scan(step, f32(0), None, length=3)[0]

    xs = np.arange(4, dtype=f32)
    np.testing.assert_allclose(vmap(f, axis_name="i")(xs), np.full(4, 3 * xs.sum()))

    def g(x):
        return lax.cond(lax.gt(x, 1.0), lambda: lax.pmax(x, "i"), lambda: lax.pmin(x, "i"))

    np.testing.assert_allclose(vmap(g, axis_name="i")(xs), [0, 0, 3, 3])


def test_jit_inside_bodies_under_vmap():
    inner = kiln.jit(lambda c, x: (lax.add(c, x), lax.mul(c, x)))
    xs = np.arange(12, dtype=f32).reshape(3, 4)
    out = vmap(lambda c, xs: lax.scan(inner, c, xs))(np.ones(3, f32), xs)
    assert_tree_close(out, loop(lambda c, xs: lax.scan(inner, c, xs), np.ones(3, f32), xs))
