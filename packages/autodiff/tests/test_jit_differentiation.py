"""Differentiating jit without inlining it: the jvp of a jit is one jit of the jvp jaxpr,
and grad of a jit runs one forward program (known) and one backward program (transposed),
each traced once per signature."""

from __future__ import annotations

import numpy as np
import pytest

import kiln
from kiln import lax
from kiln.core import jit_p
from kiln.core.config import config
from kiln.core.numpy_backend import NumpyBackend


def f(x):
    return lax.mul(lax.sin(x), 2.0)


def eqn_names(closed):
    return [e.primitive.name for e in closed.eqns]


def test_jvp_of_jit_is_one_jit():
    jaxpr = kiln.make_jaxpr(lambda x, t: kiln.jvp(kiln.jit(f), (x,), (t,)))(1.0, 1.0)
    assert eqn_names(jaxpr) == ["jit"]
    inner = jaxpr.eqns[0].params["jaxpr"]
    assert len(inner.in_avals) == 2 and len(inner.out_avals) == 2
    assert "cos" in eqn_names(inner)


def test_grad_of_jit_stages_a_forward_and_a_backward_jit():
    jaxpr = kiln.make_jaxpr(kiln.grad(kiln.jit(f)))(1.0)
    assert eqn_names(jaxpr) == ["jit", "jit"]
    forward, backward = (e.params["jaxpr"] for e in jaxpr.eqns)
    assert set(eqn_names(forward)) == {"sin", "cos", "mul"}
    assert eqn_names(backward) == ["mul", "mul"]  # ct * 2, then * cos x (a residual)
    assert jaxpr.eqns[1].invars[0] is jaxpr.eqns[0].outvars[-1]  # the residual flows through


def test_grad_of_jit_runs_two_programs_traced_once(monkeypatch):
    applied = []
    original = NumpyBackend.apply_primitive

    def counting(self, prim, args, params):
        applied.append(prim.name)
        return original(self, prim, args, params)

    monkeypatch.setattr(NumpyBackend, "apply_primitive", counting)
    traces = []

    @kiln.jit
    def g(x):
        traces.append(1)
        return lax.reduce_sum(lax.mul(lax.sin(x), x), (0,))

    x = np.linspace(0.0, 1.0, 5, dtype=np.float32)
    with config.override("jax_platforms", "numpy"):
        for _ in range(3):
            grad = kiln.grad(g)(x)
            np.testing.assert_allclose(grad, np.cos(x) * x + np.sin(x), rtol=1e-6)
            assert applied.count("jit") == 2 and "sin" not in applied
            applied.clear()
    assert len(traces) == 1


def test_transformed_jit_bodies_are_cached():
    from kiln.autodiff.jvp import jvp_jaxpr
    from kiln.autodiff.partial_eval import partial_eval_jaxpr
    from kiln.autodiff.transpose import transpose_jaxpr

    closed = kiln.make_jaxpr(f)(1.0)
    assert jvp_jaxpr(closed, [True])[0] is jvp_jaxpr(closed, [True])[0]
    assert partial_eval_jaxpr(closed, [True]) is partial_eval_jaxpr(closed, [True])
    linear = kiln.make_jaxpr(lambda t: lax.mul(t, 3.0))(1.0)
    assert transpose_jaxpr(linear, [True], [True])[0] is transpose_jaxpr(linear, [True],
                                                                          [True])[0]


@pytest.mark.parametrize("argnums", [0, 1, (0, 1)])
def test_grad_of_jit_with_several_arguments(argnums):
    @kiln.jit
    def h(x, y):
        return lax.reduce_sum(lax.mul(lax.exp(x), lax.cos(y)), (0,))

    x = np.array([0.1, 0.2], np.float32)
    y = np.array([0.3, 0.4], np.float32)
    got = kiln.grad(h, argnums=argnums)(x, y)
    want = {0: np.exp(x) * np.cos(y), 1: -np.exp(x) * np.sin(y)}
    if isinstance(argnums, int):
        np.testing.assert_allclose(got, want[argnums], rtol=1e-6)
    else:
        for g, i in zip(got, argnums):
            np.testing.assert_allclose(g, want[i], rtol=1e-6)


def test_nested_jits_are_split_recursively():
    inner = kiln.jit(lambda x: lax.mul(lax.sin(x), x))
    outer = kiln.jit(lambda x: lax.exp(inner(x)))
    x = 0.5
    np.testing.assert_allclose(kiln.grad(outer)(x),
                               np.exp(np.sin(x) * x) * (np.cos(x) * x + np.sin(x)), rtol=1e-6)
    jaxpr = kiln.make_jaxpr(kiln.grad(outer))(x)
    assert eqn_names(jaxpr) == ["jit", "jit"]
    assert "jit" in eqn_names(jaxpr.eqns[0].params["jaxpr"])
    assert "jit" in eqn_names(jaxpr.eqns[1].params["jaxpr"])


def test_jit_primitive_rules_are_registered():
    from kiln.core.primitive import get_rule

    for kind in ("jvp", "transpose", "partial_eval"):
        assert get_rule(kind, jit_p) is not None
