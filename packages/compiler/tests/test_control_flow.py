"""XLA lowering of the control-flow primitives: cond as ``stablehlo.case``, while as
``stablehlo.while`` (consts in the loop state), scan as a ``stablehlo.while`` over a counter
with ``unroll`` iterations per trip; results against the NumPy backend, eagerly and under
jit, nested, with jit inside branches and bodies, and transformed."""

from __future__ import annotations

import numpy as np
import pytest

import kiln
import kiln.compiler.rules.control_flow  # noqa: F401  (registers the rules)
from kiln import lax
from kiln.core.backend import get_backend
from kiln.core.config import config, enable_x64
from kiln.core.primitives.control_flow import cond_p, scan_p, while_p

f32 = np.float32


def cpu(x):
    return kiln.device_put(x, get_backend("cpu").devices()[0])


def on_numpy(f, *args):
    with config.override("jax_platforms", "numpy"):
        return kiln.tree_util.tree_map(np.asarray, f(*args))


def on_xla(f, *args):
    return kiln.tree_util.tree_map(np.asarray, kiln.jit(f, backend="cpu")(*args))


def assert_same(f, *args, rtol=1e-6):
    want, got = on_numpy(f, *args), on_xla(f, *args)
    for g, w in zip(kiln.tree_util.tree_leaves(got), kiln.tree_util.tree_leaves(want)):
        np.testing.assert_allclose(g, w, rtol=rtol, atol=1e-6)


def hlo_text(f, *args) -> str:
    return kiln.jit(f, backend="cpu").lower(*args).as_text(generic=True)


def test_cond_lowers_to_case_with_a_region_per_branch():
    def f(i, x):
        return lax.switch(i, [lax.sin, lax.cos, lambda x: lax.mul(x, 3.0)], x)

    text = hlo_text(f, 1, np.ones(3, f32))
    assert text.count('"stablehlo.case"') == 1
    assert '"stablehlo.sine"' in text and '"stablehlo.cosine"' in text
    for i in (-1, 0, 1, 2, 5):
        assert_same(f, i, np.linspace(0, 1, 3).astype(f32))


def test_while_lowers_to_while_with_consts_in_the_loop_state():
    def f(x, a):
        return lax.while_loop(lambda c: lax.lt(c[0], a), lambda c: (lax.add(c[0], 1.0),
                                                                   lax.mul(c[1], a)), (0.0, x))

    text = hlo_text(f, np.ones(2, f32), f32(3))
    assert text.count('"stablehlo.while"') == 1
    assert_same(f, np.array([1.0, 2.0], f32), f32(3))


@pytest.mark.parametrize("unroll", [1, 2, 4, 7])
@pytest.mark.parametrize("reverse", [False, True])
def test_scan_lowers_to_a_while_over_a_counter(unroll, reverse):
    def f(c, xs):
        return lax.scan(lambda c, x: (lax.add(lax.sin(c), x), lax.mul(c, x)), c, xs,
                        reverse=reverse, unroll=unroll)

    xs = np.linspace(-1, 1, 7).astype(f32)
    text = hlo_text(f, f32(0.5), xs)
    trips, left_over = divmod(7, unroll)
    assert text.count('"stablehlo.while"') == (1 if trips else 0)
    # the body appears once per unrolled iteration, plus once per iteration left over
    assert text.count('"stablehlo.sine"') == (unroll if trips else 0) + left_over
    assert_same(f, f32(0.5), xs)


def test_eager_primitives_compile_rather_than_fall_back_to_the_host():
    branches = tuple(kiln.make_jaxpr(g)(f32(0)) for g in (lax.sin, lax.cos))
    assert get_backend("cpu").supports(cond_p)
    assert get_backend("cpu").supports(while_p) and get_backend("cpu").supports(scan_p)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (out,) = cond_p.bind(cpu(np.int32(1)), cpu(f32(2)), branches=branches)
        assert np.isclose(np.asarray(out), np.cos(2))
        c, ys = lax.scan(lambda c, x: (lax.add(c, x), c), cpu(f32(0)), cpu(np.ones(3, f32)))
        assert float(c) == 3.0


def test_nested_control_flow_and_jit_inside_bodies():
    inner = kiln.jit(lambda x: lax.mul(x, 2.0))

    def f(xs):
        def step(c, x):
            c = lax.cond(lax.gt(x, 0.0), inner, lambda c: lax.sub(c, 1.0), c)
            n = lax.while_loop(lambda n: lax.lt(n, c), lambda n: lax.add(n, 1.5), 0.0)
            return c, lax.fori_loop(0, 2, lambda i, m: lax.add(m, n), n)

        return lax.scan(step, f32(1), xs)

    xs = np.array([1.0, -1.0, 2.0, 0.5], f32)
    text = hlo_text(f, xs)
    assert '"func.call"' in text and text.count('"stablehlo.while"') >= 3
    assert_same(f, xs)


def test_cond_with_no_outputs_and_with_one_branch():
    one = (kiln.make_jaxpr(lax.sin)(f32(0)),)
    assert np.isclose(np.asarray(cond_p.bind(cpu(np.int32(0)), cpu(f32(1)),
                                             branches=one)[0]), np.sin(1))
    nothing = (kiln.make_jaxpr(lambda x: [])(f32(0)),) * 2
    assert cond_p.bind(cpu(np.int32(0)), cpu(f32(1)), branches=nothing) == []


def test_float64_and_integer_loops():
    with enable_x64():
        def f(c, xs):
            return lax.scan(lambda c, x: (lax.add(lax.mul(c, c), x), c), c, xs)

        xs = np.linspace(0, 0.1, 5)
        assert_same(f, np.float64(0.1), xs, rtol=1e-12)
        assert on_xla(f, np.float64(0.1), xs)[1].dtype == np.float64
    assert_same(lambda n: lax.while_loop(lambda c: lax.gt(c[0], 1),
                                         lambda c: (lax.div(c[0], 2), lax.add(c[1], 1)),
                                         (n, 0)), np.int32(1000))


def test_transformed_control_flow_on_xla():
    def loss(w, xs):
        def step(h, x):
            h = lax.tanh(lax.add(lax.mul(h, w), x))
            return h, h

        h, hs = lax.scan(step, f32(0), xs)
        return lax.add(h, lax.reduce_sum(lax.cond(lax.gt(h, 0.0), lax.sin, lax.cos, hs), (0,)))

    xs = np.linspace(-1, 1, 6).astype(f32)
    assert_same(kiln.grad(loss), f32(0.8), xs, rtol=1e-5)
    assert_same(kiln.vmap(kiln.grad(loss), in_axes=(0, None)), np.array([0.1, 0.8], f32), xs,
                rtol=1e-5)
