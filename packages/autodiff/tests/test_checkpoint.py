"""checkpoint/remat: the same values and derivatives, the printed primitive, and what each
policy saves (residuals) and recomputes on the backward pass."""

from __future__ import annotations

import numpy as np
import pytest

import kiln
from kiln import lax
from kiln.autodiff import checkpoint_name, checkpoint_policies


def f(x):
    return lax.mul(lax.sin(x), 2.0)


def g(x):  # two chained stages, so policies have something to choose between
    y = lax.sin(lax.dot_general(x, x, (((1,), (0,)), ((), ()))))
    return lax.reduce_sum(lax.exp(y), (0, 1))


def eqn_names(jaxpr):
    return [e.primitive.name for e in jaxpr.eqns]


def test_checkpoint_keeps_values_and_derivatives():
    x = np.float32(0.6)
    assert float(kiln.checkpoint(f)(x)) == float(f(x))
    np.testing.assert_allclose(kiln.grad(kiln.checkpoint(f))(x), 2 * np.cos(0.6), rtol=1e-6)
    m = np.array([[0.1, 0.2], [0.3, -0.4]], np.float32)
    for policy in (None, checkpoint_policies.everything_saveable,
                   checkpoint_policies.nothing_saveable, checkpoint_policies.dots_saveable):
        np.testing.assert_allclose(kiln.grad(kiln.checkpoint(g, policy=policy))(m),
                                   kiln.grad(g)(m), rtol=1e-6)
    assert kiln.remat is kiln.checkpoint


def test_checkpoint_prints_as_jax_does():
    assert str(kiln.make_jaxpr(kiln.checkpoint(f))(1.0)) == (
        "{ lambda ; a:f32[]. let\n"
        "    b:f32[] = remat2[\n"
        "      differentiated=False\n"
        "      jaxpr={ lambda ; c:f32[]. let\n"
        "          d:f32[] = sin c\n"
        "          e:f32[] = mul d 2.0:f32[]\n"
        "        in (e,) }\n"
        "      policy=None\n"
        "      prevent_cse=True\n"
        "    ] a\n"
        "  in (b,) }")
    text = str(kiln.make_jaxpr(kiln.checkpoint(
        f, policy=checkpoint_policies.nothing_saveable))(1.0))
    assert "policy=<function nothing_saveable at 0xXXXXXXXXXXXX>" in text


def test_default_policy_recomputes_on_the_backward_pass():
    jaxpr = kiln.make_jaxpr(kiln.grad(kiln.checkpoint(f)))(1.0)
    # the forward pass runs inline; the backward remat recomputes cos from the input
    assert eqn_names(jaxpr) == ["sin", "mul", "remat2"]
    backward = jaxpr.eqns[-1]
    assert backward.params["differentiated"] is True
    assert eqn_names(backward.params["jaxpr"]) == ["cos", "mul", "mul"]
    assert backward.invars[0] is jaxpr.jaxpr.invars[0]  # the only residual is x itself


def residual_count(policy):
    m = np.ones((2, 2), np.float32)
    jaxpr = kiln.make_jaxpr(lambda m: kiln.linearize(kiln.checkpoint(g, policy=policy),
                                                     m)[1](m))(m)
    remat = [e for e in jaxpr.eqns if e.primitive.name == "remat2"]
    (eqn,) = remat
    return len(eqn.invars) - 1, eqn_names(eqn.params["jaxpr"])


def test_policies_choose_what_is_saved():
    saved_none, recomputed_none = residual_count(checkpoint_policies.nothing_saveable)
    saved_all, recomputed_all = residual_count(checkpoint_policies.everything_saveable)
    saved_dots, recomputed_dots = residual_count(checkpoint_policies.dots_saveable)
    assert saved_none == 1  # only the input
    # the tangent map has two dot_generals; a third recomputes the primal one
    assert recomputed_none.count("dot_general") == 3 and "cos" in recomputed_none
    assert recomputed_dots.count("dot_general") == 2 and "cos" in recomputed_dots
    assert recomputed_all.count("dot_general") == 2 and "cos" not in recomputed_all
    assert saved_all > saved_dots > saved_none


def test_names_and_name_policies():
    def h(x):
        y = checkpoint_name(lax.sin(x), "y")
        return lax.exp(y)

    x = np.float32(0.3)
    only_y = checkpoint_policies.save_only_these_names("y")
    np.testing.assert_allclose(kiln.grad(kiln.checkpoint(h, policy=only_y))(x),
                               np.exp(np.sin(0.3)) * np.cos(0.3), rtol=1e-6)
    jaxpr = kiln.make_jaxpr(lambda x: kiln.linearize(kiln.checkpoint(h, policy=only_y),
                                                     x)[1](x))(x)
    (remat,) = [e for e in jaxpr.eqns if e.primitive.name == "remat2"]
    assert "sin" not in eqn_names(remat.params["jaxpr"])  # y was saved, not recomputed


def test_checkpoint_under_jit_vmap_and_higher_order():
    c = kiln.checkpoint(lambda x: lax.mul(lax.sin(x), x))
    x = np.array([0.2, 0.4], np.float32)
    np.testing.assert_allclose(kiln.vmap(kiln.grad(c))(x), np.cos(x) * x + np.sin(x),
                               rtol=1e-6)
    np.testing.assert_allclose(kiln.jit(kiln.vmap(c))(x), np.sin(x) * x, rtol=1e-6)
    np.testing.assert_allclose(kiln.grad(kiln.grad(c))(0.5),
                               2 * np.cos(0.5) - 0.5 * np.sin(0.5), rtol=1e-5)


def test_static_argnums():
    c = kiln.checkpoint(lambda n, x: lax.integer_pow(x, n), static_argnums=(0,))
    assert float(kiln.grad(c, argnums=1)(3, 2.0)) == 12.0


@pytest.mark.parametrize("name", ["everything_saveable", "nothing_saveable", "dots_saveable",
                                  "checkpoint_dots", "dots_with_no_batch_dims_saveable",
                                  "save_only_these_names", "save_anything_except_these_names"])
def test_policy_names(name):
    assert callable(getattr(kiln.checkpoint_policies, name))
