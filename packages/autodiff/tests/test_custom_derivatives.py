"""custom_jvp and custom_vjp: user rules are used (and only when differentiating), through
jit, vmap and nesting; nondiff_argnums, pytree residuals, symbolic zeros, closure_convert;
the printed primitives and JAX's errors."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import kiln
from kiln import lax


def make_custom_jvp_sin():
    calls = []

    @kiln.custom_jvp
    def f(x):
        return lax.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        calls.append("jvp")
        (x,), (t,) = primals, tangents
        return f(x), lax.mul(t, 2.0)  # deliberately not cos: proves the rule is used

    return f, calls


def test_custom_jvp_rule_drives_forward_and_reverse_mode():
    f, calls = make_custom_jvp_sin()
    np.testing.assert_allclose(f(1.0), np.sin(1.0), rtol=1e-6)
    assert calls == []
    assert float(kiln.jvp(f, (1.0,), (3.0,))[1]) == 6.0
    assert float(kiln.grad(f)(1.0)) == 2.0
    assert float(kiln.grad(kiln.jit(f))(1.0)) == 2.0
    assert calls


def test_custom_jvp_prints_as_jax_does():
    f, _ = make_custom_jvp_sin()
    text = str(kiln.make_jaxpr(f)(1.0))
    assert text == (
        "{ lambda ; a:f32[]. let\n"
        "    b:f32[] = custom_jvp_call[\n"
        "      name=f\n"
        "      call_jaxpr={ lambda ; c:f32[]. let d:f32[] = sin c in (d,) }\n"
        "      jvp=f_jvp\n"
        "      symbolic_zeros=False\n"
        "    ] a\n"
        "  in (b,) }")


def test_custom_jvp_under_vmap_and_jvp_of_vmap():
    f, _ = make_custom_jvp_sin()
    x = np.array([0.1, 0.2, 0.3], np.float32)
    np.testing.assert_allclose(kiln.vmap(f)(x), np.sin(x), rtol=1e-6)
    _, t = kiln.jvp(kiln.vmap(f), (x,), (np.ones(3, np.float32),))
    np.testing.assert_allclose(t, [2.0, 2.0, 2.0])
    np.testing.assert_allclose(kiln.vmap(kiln.grad(f))(x), [2.0, 2.0, 2.0])
    g = kiln.grad(lambda x: lax.reduce_sum(kiln.vmap(f)(x), (0,)))(x)
    np.testing.assert_allclose(g, [2.0, 2.0, 2.0])


def test_defjvps():
    @kiln.custom_jvp
    def f(x, y):
        return lax.mul(lax.sin(x), y)

    f.defjvps(lambda x_dot, primal_out, x, y: lax.mul(lax.mul(lax.cos(x), x_dot), y),
              lambda y_dot, primal_out, x, y: lax.mul(lax.sin(x), y_dot))
    gx, gy = kiln.grad(f, argnums=(0, 1))(1.0, 3.0)
    np.testing.assert_allclose(gx, 3 * np.cos(1.0), rtol=1e-6)
    np.testing.assert_allclose(gy, np.sin(1.0), rtol=1e-6)


def test_custom_jvp_nondiff_argnums():
    @functools.partial(kiln.custom_jvp, nondiff_argnums=(0,))
    def apply(fn, x):
        return fn(x)

    @apply.defjvp
    def apply_jvp(fn, primals, tangents):
        (x,), (t,) = primals, tangents
        return apply(fn, x), lax.mul(t, 10.0)

    assert float(kiln.grad(lambda x: apply(lax.sin, x))(0.5)) == 10.0


def test_custom_jvp_stabilises_a_numerically_bad_function(x64):
    # log(1 + exp(x)) overflows for large x; the custom rule's derivative does not
    @kiln.custom_jvp
    def softplus(x):
        return lax.log1p(lax.exp(x))

    @softplus.defjvp
    def softplus_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return softplus(x), lax.mul(t, lax.logistic(x))

    assert float(kiln.grad(softplus)(1000.0)) == 1.0
    np.testing.assert_allclose(kiln.grad(kiln.grad(softplus))(0.0), 0.25)


def test_custom_jvp_with_symbolic_zeros():
    seen = []

    @kiln.custom_jvp
    def f(x, y):
        return lax.mul(x, y)

    def f_jvp(primals, tangents):
        seen.append(tuple(type(t).__name__ for t in tangents))
        x, y = primals
        tx, ty = (kiln.autodiff.instantiate(t) for t in tangents)
        return f(x, y), lax.add(lax.mul(tx, y), lax.mul(x, ty))

    f.defjvp(f_jvp, symbolic_zeros=True)
    assert float(kiln.grad(f)(2.0, 3.0)) == 3.0
    assert seen[-1][1] == "Zero"


def test_custom_jvp_errors():
    @kiln.custom_jvp
    def f(x):
        return lax.sin(x)

    with pytest.raises(AttributeError, match="No JVP defined for custom_jvp function f using "
                                             "defjvp."):
        f(1.0)
    f.defjvp(lambda p, t: (f(p[0]), (t[0], t[0])))
    with pytest.raises(TypeError, match="must produce primal and tangent outputs with equal "
                                        "container"):
        kiln.jvp(f, (1.0,), (1.0,))
    f.defjvp(lambda p, t: (f(p[0]), np.ones(3, np.float32)))
    with pytest.raises(TypeError, match=r"Custom JVP rule must produce primal and tangent "
                                        r"outputs with corresponding shapes and dtypes. "
                                        r"Expected f32\[\] \(tangent type of f32\[\]\) but got "
                                        r"f32\[3\]."):
        kiln.jvp(f, (1.0,), (1.0,))


# -- custom_vjp ------------------------------------------------------------------------------


def make_custom_vjp_sin():
    @kiln.custom_vjp
    def f(x):
        return lax.sin(x)

    def f_fwd(x):
        return f(x), (lax.cos(x), {"x": x})  # a pytree of residuals

    def f_bwd(res, ct):
        cos_x, rest = res
        return (lax.mul(ct, lax.add(cos_x, rest["x"])),)  # cos x + x: proves bwd is used

    f.defvjp(f_fwd, f_bwd)
    return f


def test_custom_vjp_rule_drives_reverse_mode():
    f = make_custom_vjp_sin()
    x = 0.7
    np.testing.assert_allclose(f(x), np.sin(x), rtol=1e-6)
    np.testing.assert_allclose(kiln.grad(f)(x), np.cos(x) + x, rtol=1e-6)
    np.testing.assert_allclose(kiln.grad(kiln.jit(f))(x), np.cos(x) + x, rtol=1e-6)
    np.testing.assert_allclose(kiln.jit(kiln.grad(f))(x), np.cos(x) + x, rtol=1e-6)


def test_custom_vjp_under_vmap():
    f = make_custom_vjp_sin()
    x = np.array([0.1, 0.2], np.float32)
    np.testing.assert_allclose(kiln.vmap(kiln.grad(f))(x), np.cos(x) + x, rtol=1e-6)
    g = kiln.grad(lambda x: lax.reduce_sum(kiln.vmap(f)(x), (0,)))(x)
    np.testing.assert_allclose(g, np.cos(x) + x, rtol=1e-6)


def test_custom_vjp_of_several_arguments_with_none_cotangents():
    @kiln.custom_vjp
    def f(x, y):
        return lax.mul(x, y)

    f.defvjp(lambda x, y: (f(x, y), y), lambda y, ct: (lax.mul(ct, y), None))
    gx, gy = kiln.grad(f, argnums=(0, 1))(2.0, 3.0)
    assert float(gx) == 3.0 and float(gy) == 0.0


def test_custom_vjp_nondiff_argnums():
    @functools.partial(kiln.custom_vjp, nondiff_argnums=(0,))
    def scale(k, x):
        return lax.mul(x, float(k))

    scale.defvjp(lambda k, x: (scale(k, x), None), lambda k, res, ct: (lax.mul(ct, k + 1.0),))
    assert float(kiln.grad(lambda x: scale(2, x))(1.0)) == 3.0


def test_grad_of_grad_through_a_custom_vjp():
    @kiln.custom_vjp
    def f(x):
        return lax.integer_pow(x, 3)

    f.defvjp(lambda x: (f(x), x), lambda x, ct: (lax.mul(ct, lax.mul(3.0, lax.mul(x, x))),))
    assert float(kiln.grad(kiln.grad(f))(2.0)) == 12.0  # differentiates bwd: 6x


def test_custom_vjp_prints_as_jax_does():
    @kiln.custom_vjp
    def g(x):
        return lax.sin(x)

    g.defvjp(lambda x: (g(x), x), lambda r, ct: (lax.mul(ct, 2.0),))
    text = str(kiln.make_jaxpr(g)(1.0))
    assert text == (
        "{ lambda ; a:f32[]. let\n"
        "    b:f32[] = custom_vjp_call[\n"
        "      name=g\n"
        "      bwd=<lambda>\n"
        "      call_jaxpr={ lambda ; c:f32[]. let d:f32[] = sin c in (d,) }\n"
        "      fwd=<lambda>\n"
        "      symbolic_zeros=False\n"
        "    ] a\n"
        "  in (b,) }")


def test_forward_mode_through_custom_vjp_is_an_error():
    f = make_custom_vjp_sin()
    with pytest.raises(TypeError, match=r"can't apply forward-mode autodiff \(jvp\) to a "
                                        r"custom_vjp function."):
        kiln.jvp(f, (1.0,), (1.0,))


def test_custom_vjp_bwd_structure_errors():
    @kiln.custom_vjp
    def g(x):
        return lax.mul(x, 2.0)

    g.defvjp(lambda x: (g(x), x), lambda r, ct: (ct, ct))
    with pytest.raises(TypeError) as e:
        kiln.grad(g)(1.0)
    assert str(e.value) == (
        "Custom VJP bwd rule must produce an output with the same container (pytree) "
        "structure as the args tuple of the primal function, and in particular must produce "
        "a tuple of length equal to the number of arguments to the primal function, but got "
        "bwd output structure PyTreeDef((*, *)) for primal input structure PyTreeDef((*,)).")
    g.defvjp(lambda x: (g(x), x), lambda r, ct: ct)
    with pytest.raises(TypeError, match=r"but got bwd output structure PyTreeDef\(\*\) for "
                                        r"primal input structure PyTreeDef\(\(\*,\)\)."):
        kiln.grad(g)(1.0)
    g.defvjp(lambda x: (g(x), x), lambda r, ct: (np.ones(3, np.float32),))
    with pytest.raises(ValueError) as e:
        kiln.grad(g)(1.0)
    assert str(e.value) == (
        "Custom VJP bwd rule must produce an output with the same type as the args tuple of "
        "the primal function, but at output[0] the bwd rule produced an output of type "
        "float32[3] corresponding to an input of type float32[], so the shapes do not match")


def test_custom_vjp_fwd_errors():
    @kiln.custom_vjp
    def g(x):
        return lax.mul(x, 2.0)

    with pytest.raises(AttributeError, match="No VJP defined for custom_vjp function g using "
                                             "defvjp."):
        g(1.0)
    g.defvjp(lambda x: g(x), lambda r, ct: (ct,))
    with pytest.raises(TypeError, match="must produce a pair"):
        kiln.grad(g)(1.0)


def test_custom_vjp_closing_over_a_differentiated_value_is_an_error():
    def f(y):
        @kiln.custom_vjp
        def g(x):
            return lax.mul(x, y)

        g.defvjp(lambda x: (g(x), None), lambda r, ct: (ct,))
        return g(1.0)

    with pytest.raises(kiln.autodiff.CustomVJPException, match="closed-over value"):
        kiln.grad(f)(2.0)


def test_closure_convert_makes_closed_over_tracers_arguments():
    def f(y):
        fn, consts = kiln.closure_convert(lambda x: lax.mul(x, y), 1.0)
        assert len(consts) == 1
        return fn(3.0, *consts)

    assert float(kiln.grad(f)(2.0)) == 3.0
    fn, consts = kiln.closure_convert(lambda x: lax.mul(x, np.float32(2.0)), 1.0)
    assert consts == [] and float(fn(3.0)) == 6.0
