"""Differentiating control flow: jvp, linearize, vjp and grad through cond, switch,
while_loop, fori_loop, scan and map, against hand-derived derivatives and finite
differences; what partial evaluation stores for the backward pass; JAX's error for
reverse mode through while_loop; checkpoint inside scan bodies and jit inside branches."""

from __future__ import annotations

import numpy as np
import pytest

import kiln
import kiln.autodiff
from kiln import lax
from kiln.core.primitives.control_flow import cond_p, scan_p, while_p

f32 = np.float32


def numeric_grad(f, x, eps=1e-3):
    """Central differences of a scalar function of one float32 array, in float64."""
    x = np.asarray(x, np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[i] = eps
        g[i] = (float(f((x + d).astype(f32))) - float(f((x - d).astype(f32)))) / (2 * eps)
    return g


def prims(closed):
    return [e.primitive.name for e in closed.eqns]


# -- cond and switch ----------------------------------------------------------------------------


def piecewise(x):
    return lax.cond(lax.gt(x, 0.0), lambda x: lax.mul(lax.sin(x), x), lax.cos, x)


@pytest.mark.parametrize("x", [1.3, -0.7])
def test_grad_and_jvp_of_cond(x):
    want = np.cos(x) * x + np.sin(x) if x > 0 else -np.sin(x)
    assert np.isclose(kiln.grad(piecewise)(f32(x)), want, rtol=1e-6)
    assert np.isclose(kiln.jit(kiln.grad(piecewise))(f32(x)), want, rtol=1e-6)
    primal, tangent = kiln.jvp(piecewise, (f32(x),), (f32(2),))
    assert np.isclose(tangent, 2 * want, rtol=1e-6)
    primal, f_jvp = kiln.linearize(piecewise, f32(x))
    assert np.isclose(f_jvp(f32(1)), want, rtol=1e-6)
    out, vjp_fun = kiln.vjp(piecewise, f32(x))
    assert np.isclose(vjp_fun(f32(1))[0], want, rtol=1e-6)


def test_grad_through_cond_reaches_closed_over_values():
    def f(x, y, p):
        return lax.cond(p, lambda x: lax.mul(x, y), lambda x: lax.mul(lax.mul(x, x), y), x)

    assert kiln.grad(f, argnums=(0, 1))(f32(2), f32(3), True) == (3.0, 2.0)
    assert kiln.grad(f, argnums=(0, 1))(f32(2), f32(3), False) == (12.0, 4.0)


def test_grad_of_switch_with_pytrees_and_integer_outputs():
    def f(i, params):
        def branch(k):
            return lambda p: {"y": lax.mul(p["w"], float(k + 1)), "n": np.int32(k)}

        out = lax.switch(i, [branch(0), branch(1), branch(2)], params)
        return lax.reduce_sum(out["y"], (0,))

    g = kiln.grad(f, argnums=1)(2, {"w": np.ones(3, f32)})
    np.testing.assert_allclose(g["w"], np.full(3, 3.0))


def test_cond_partial_eval_runs_a_known_cond_and_stages_a_linear_one():
    jaxpr = kiln.make_jaxpr(lambda x: kiln.linearize(piecewise, x)[1](x))(1.0)
    conds = [e for e in jaxpr.eqns if e.primitive is cond_p]
    assert len(conds) == 2
    known, linear = conds
    # the linear branches only multiply by residuals: no sin or cos recomputed
    for branch in linear.params["branches"]:
        assert set(prims(branch)) <= {"mul", "add_any", "neg"}
    # the primal output, then the residuals: the true branch saves three f32 scalars, the
    # false branch one, and they share slots by type (three, not four)
    assert len(known.outvars) == 1 + 3


def test_cond_transpose_with_linear_branches():
    def f(x, p):
        return lax.cond(p, lambda x: lax.mul(x, 3.0), lambda x: lax.neg(x), x)

    t = kiln.autodiff.linear_transpose(lambda x: f(x, True), f32(1))
    assert float(t(f32(1))[0]) == 3.0
    t = kiln.autodiff.linear_transpose(lambda x: f(x, False), f32(1))
    assert float(t(f32(2))[0]) == -2.0


def test_second_derivatives_through_cond():
    g2 = kiln.grad(kiln.grad(piecewise))
    x = 0.8
    assert np.isclose(g2(f32(x)), 2 * np.cos(x) - x * np.sin(x), rtol=1e-5)


# -- while_loop and fori_loop -------------------------------------------------------------------


def doubling(x):
    return lax.while_loop(lambda c: lax.lt(c, 10.0), lambda c: lax.mul(c, 2.0), x)


def test_jvp_and_linearize_of_while_loop():
    assert kiln.jvp(doubling, (f32(1),), (f32(1),)) == (16.0, 16.0)
    primal, f_jvp = kiln.linearize(doubling, f32(3))
    assert float(primal) == 12.0 and float(f_jvp(f32(1))) == 4.0
    jaxpr = kiln.make_jaxpr(lambda x, t: kiln.jvp(doubling, (x,), (t,)))(1.0, 1.0)
    (eqn,) = jaxpr.eqns
    assert eqn.primitive is while_p and len(eqn.outvars) == 2


def test_jvp_of_while_with_tangents_in_consts_and_known_carries():
    def f(x, a):
        return lax.while_loop(lambda c: lax.lt(c[0], 4),
                              lambda c: (lax.add(c[0], 1), lax.mul(c[1], a)), (0, x))[1]

    _, tangent = kiln.jvp(f, (f32(2), f32(1.5)), (f32(0), f32(1)))
    assert np.isclose(tangent, 2 * 4 * 1.5 ** 3)
    _, f_jvp = kiln.linearize(f, f32(2), f32(1.5))
    assert np.isclose(f_jvp(f32(1), f32(0)), 1.5 ** 4)


REVERSE_ERROR = ("Reverse-mode differentiation does not work for lax.while_loop or "
                 "lax.fori_loop with dynamic start/stop values. Try using lax.scan, or using "
                 "fori_loop with static start/stop.")


def test_reverse_mode_through_while_loop_is_jax_error():
    with pytest.raises(ValueError) as e:
        kiln.grad(doubling)(f32(1))
    assert str(e.value) == REVERSE_ERROR
    fori = kiln.grad(lambda x, n: lax.fori_loop(0, n, lambda i, c: lax.mul(c, 2.0), x))
    assert float(fori(f32(1), 3)) == 8.0  # concrete bounds: a scan, as in JAX
    with pytest.raises(ValueError, match="Reverse-mode differentiation does not work"):
        kiln.jit(fori)(f32(1), 3)  # traced bounds: a while loop
    with pytest.raises(ValueError, match="Reverse-mode differentiation does not work"):
        kiln.vjp(doubling, f32(1))[1](f32(1))


def test_reverse_mode_through_loops_that_do_not_touch_the_derivative():
    # the loop only computes an integer: nothing of it is staged
    def f(x):
        n = lax.while_loop(lambda n: lax.lt(n, 5), lambda n: lax.add(n, 1), 0)
        return lax.mul(x, lax.convert_element_type(n, f32))

    assert float(kiln.grad(f)(f32(1))) == 5.0


def test_fori_loop_with_static_bounds_differentiates_in_reverse_mode():
    def f(x):
        return lax.fori_loop(0, 3, lambda i, c: lax.mul(
            c, lax.add(c, lax.convert_element_type(i, f32))), x)

    assert np.isclose(kiln.grad(f)(f32(0.7)), numeric_grad(f, f32(0.7)), rtol=1e-3)
    jaxpr = kiln.make_jaxpr(kiln.grad(f))(0.7)
    scans = [e for e in jaxpr.eqns if e.primitive is scan_p]
    assert [e.params["reverse"] for e in scans] == [False, True]


# -- scan ---------------------------------------------------------------------------------------


def scan_loss(c, xs, w):
    def step(c, x):
        c = lax.tanh(lax.add(lax.mul(c, w), x))
        return c, lax.mul(c, c)

    c, ys = lax.scan(step, c, xs)
    return lax.add(c, lax.reduce_sum(ys, (0,)))


XS = np.array([0.5, -1.5, 2.0, 0.25], f32)


@pytest.mark.parametrize("argnum", [0, 1, 2])
def test_grad_of_scan_matches_finite_differences(argnum):
    args = [f32(0.3), XS, f32(0.8)]

    def along(v):
        full = list(args)
        full[argnum] = v
        return scan_loss(*full)

    g = kiln.grad(scan_loss, argnums=argnum)(*args)
    np.testing.assert_allclose(g, numeric_grad(along, args[argnum]), rtol=2e-3, atol=1e-4)
    np.testing.assert_allclose(kiln.jit(kiln.grad(scan_loss, argnums=argnum))(*args), g,
                               rtol=1e-6)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("unroll", [1, 3])
def test_jvp_and_vjp_of_scan_agree(reverse, unroll):
    def f(c, xs):
        return lax.scan(lambda c, x: (lax.mul(lax.sin(c), x), lax.cos(lax.mul(c, x))), c, xs,
                        reverse=reverse, unroll=unroll)

    primals = (f32(0.4), XS)
    tangents = (f32(0.7), np.array([1.0, -1.0, 0.5, 2.0], f32))
    out, out_dot = kiln.jvp(f, primals, tangents)
    out2, vjp_fun = kiln.vjp(f, *primals)
    ct = (f32(1.5), np.array([0.5, 1.0, -2.0, 1.0], f32))
    ct_in = vjp_fun(ct)
    lhs = float(ct[0] * out_dot[0] + np.sum(ct[1] * out_dot[1]))
    rhs = float(ct_in[0] * tangents[0] + np.sum(ct_in[1] * tangents[1]))
    assert np.isclose(lhs, rhs, rtol=1e-5)
    np.testing.assert_allclose(out[1], out2[1])


def test_scan_residuals_are_stacked_and_the_linear_scan_recomputes_nothing():
    def f(c, xs):
        return lax.scan(lambda c, x: (lax.mul(lax.sin(c), x), lax.mul(c, c)), c, xs)

    _, f_jvp = kiln.linearize(f, f32(0.3), XS)
    jaxpr = kiln.make_jaxpr(f_jvp)(f32(1), XS)
    (eqn,) = [e for e in jaxpr.eqns if e.primitive is scan_p]
    body = eqn.params["jaxpr"]
    assert set(prims(body)) <= {"mul", "add_any", "neg"}  # no sin or cos: only residuals
    # residuals: cos(c) and c per iteration (stacked), and xs as it is
    residual_shapes = sorted(np.shape(c) for c in jaxpr.consts)
    assert residual_shapes == [(4,)] * len(residual_shapes) and len(residual_shapes) <= 4


def test_scan_residuals_that_are_consts_are_not_stacked():
    w = np.arange(12, dtype=f32).reshape(3, 4) / 10

    def f(w, xs):
        def step(h, x):
            return lax.tanh(lax.add(lax.dot(w, x), h)), h

        return lax.scan(step, np.zeros(3, f32), xs)[0]

    xs = np.ones((5, 4), f32)
    _, f_jvp = kiln.linearize(f, w, xs)
    jaxpr = kiln.make_jaxpr(f_jvp)(w, xs)
    (eqn,) = [e for e in jaxpr.eqns if e.primitive is scan_p]
    shapes = [v.aval.shape for v in eqn.invars[:eqn.params["num_consts"]]]
    assert (3, 4) in shapes  # w itself, not 5 copies of it
    assert all(v.aval.shape != (5, 3, 4) for v in eqn.invars)


def test_grad_of_scan_with_pytree_carry_and_int_counter():
    def f(x):
        def step(carry, _):
            i, (a, b) = carry
            scale = lax.convert_element_type(i, f32)
            return (lax.add(i, 1), (lax.add(a, lax.mul(b, scale)), lax.mul(b, x))), a

        (_, (a, b)), ys = lax.scan(step, (0, (f32(0), f32(1))), None, length=4)
        return lax.add(a, lax.reduce_sum(ys, (0,)))

    np.testing.assert_allclose(kiln.grad(f)(f32(1.1)), numeric_grad(f, f32(1.1)), rtol=2e-3)


def test_linear_transpose_of_a_scan_with_a_counter():
    # the counter is not linear: the transpose runs it forwards first
    def cumulative_weighted(xs):
        def step(carry, x):
            c, i = carry
            c = lax.add(c, lax.mul(x, lax.convert_element_type(i, f32)))
            return (c, lax.add(i, 1)), c

        return lax.scan(step, (f32(0), 1), xs)[1]

    xs = np.ones(4, f32)
    (ct,) = kiln.autodiff.linear_transpose(cumulative_weighted, xs)(np.array([1, 0, 0, 2], f32))
    # y_k = sum_{j<=k} (j+1) x_j:  x_j gets (j+1) * sum_{k>=j} ct_k
    np.testing.assert_allclose(ct, [1 * 3, 2 * 2, 3 * 2, 4 * 2])


def test_second_order_through_scan():
    def f(x):
        return lax.scan(lambda c, _: (lax.mul(c, x), None), f32(1), None, length=3)[0]

    assert np.isclose(kiln.grad(kiln.grad(f))(f32(2)), 6 * 2)
    jac = kiln.jacfwd(lambda x: lax.scan(lambda c, x: (lax.add(c, x), lax.mul(c, x)), f32(0),
                                         x)[1])(XS)
    jac_r = kiln.jacrev(lambda x: lax.scan(lambda c, x: (lax.add(c, x), lax.mul(c, x)),
                                           f32(0), x)[1])(XS)
    np.testing.assert_allclose(jac, jac_r, rtol=1e-6)


def test_grad_of_map():
    g = kiln.grad(lambda xs: lax.reduce_sum(lax.map(lax.sin, xs), (0,)))(XS)
    np.testing.assert_allclose(g, np.cos(XS), rtol=1e-6)


# -- checkpoint and jit inside bodies -------------------------------------------------------------


def test_checkpoint_inside_scan_body():
    def step(c, x):
        return lax.sin(lax.mul(lax.sin(c), x)), c

    def f(c, xs, remat):
        body = kiln.checkpoint(step) if remat else step
        c, ys = lax.scan(body, c, xs)
        return lax.add(c, lax.reduce_sum(ys, (0,)))

    want = kiln.grad(f, argnums=(0, 1))(f32(0.3), XS, False)
    got = kiln.grad(f, argnums=(0, 1))(f32(0.3), XS, True)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-6)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-6)
    # with checkpoint the forward scan saves only the carry (and xs pass through); the
    # backward scan's body recomputes the sines in a remat2
    jaxpr = kiln.make_jaxpr(lambda c, xs: kiln.vjp(lambda c: f(c, xs, True), c)[1](1.0))(
        0.3, XS)
    forward, backward = [e for e in jaxpr.eqns if e.primitive is scan_p]
    n_res = len(forward.outvars) - 2
    assert n_res == 1
    assert "remat2" in prims(backward.params["jaxpr"])


def test_jit_inside_branches_and_bodies_is_differentiated_without_inlining():
    @kiln.jit
    def inner(x):
        return lax.mul(lax.sin(x), x)

    def f(x):
        y = lax.cond(lax.gt(x, 0.0), inner, lax.neg, x)
        return lax.scan(lambda c, _: (inner(c), None), y, None, length=2)[0]

    np.testing.assert_allclose(kiln.grad(f)(f32(0.9)), numeric_grad(f, f32(0.9)), rtol=2e-3)
    jaxpr = kiln.make_jaxpr(kiln.grad(f))(0.9)
    backward = [e for e in jaxpr.eqns if e.primitive is scan_p][-1]
    assert "jit" in prims(backward.params["jaxpr"])


def test_jvp_of_while_with_jit_body():
    body = kiln.jit(lambda c: lax.mul(c, 3.0))
    f = lambda x: lax.while_loop(lambda c: lax.lt(c, 20.0), body, x)  # noqa: E731
    assert kiln.jvp(f, (f32(1),), (f32(1),)) == (27.0, 27.0)
