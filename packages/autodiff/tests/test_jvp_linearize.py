"""Forward mode: jvp and linearize against hand-derived derivatives and finite differences,
their tracers, symbolic zeros, float0 tangents, and JAX's errors."""

from __future__ import annotations

import numpy as np
import pytest

import kiln
from kiln import lax
from kiln.core.dtypes import float0


def f_sin_x(x):
    return lax.mul(lax.sin(x), x)


def test_jvp_matches_the_hand_derived_derivative():
    x = np.float32(0.7)
    out, t = kiln.jvp(f_sin_x, (x,), (np.float32(2.0),))
    np.testing.assert_allclose(out, np.sin(0.7) * 0.7, rtol=1e-6)
    np.testing.assert_allclose(t, 2.0 * (np.cos(0.7) * 0.7 + np.sin(0.7)), rtol=1e-6)


def test_jvp_of_a_vector_function_matches_finite_differences(x64, numerical_jacobian):
    def f(x):
        return lax.div(lax.exp(lax.sin(x)), lax.add(lax.mul(x, x), 1.0))

    x = np.linspace(-1.0, 2.0, 5)
    t = np.arange(5.0)
    _, tangent = kiln.jvp(f, (x,), (t,))
    expected = numerical_jacobian(lambda v: np.exp(np.sin(v)) / (v * v + 1), x) @ t
    np.testing.assert_allclose(tangent, expected, rtol=1e-7)


def test_jvp_takes_and_returns_pytrees():
    def f(params):
        return {"y": lax.mul(params["a"], params["b"]), "z": lax.sin(params["a"])}

    primals = ({"a": np.float32(2.0), "b": np.float32(3.0)},)
    tangents = ({"a": np.float32(1.0), "b": np.float32(0.0)},)
    out, t = kiln.jvp(f, primals, tangents)
    assert set(out) == {"y", "z"}
    np.testing.assert_allclose(t["y"], 3.0)
    np.testing.assert_allclose(t["z"], np.cos(2.0), rtol=1e-6)


def test_jvp_with_aux_returns_the_aux_primal():
    out, t, aux = kiln.jvp(lambda x: (lax.mul(x, x), {"x": x}), (3.0,), (1.0,), has_aux=True)
    assert float(out) == 9.0 and float(t) == 6.0
    assert not isinstance(aux["x"], kiln.core.Tracer) and float(aux["x"]) == 3.0


def test_output_that_ignores_the_input_has_a_zero_tangent():
    out, t = kiln.jvp(lambda x: lax.full((2,), 5.0), (np.float32(1.0),), (np.float32(1.0),))
    assert np.asarray(t).shape == (2,) and not np.asarray(t).any()


def test_jvp_tracer_prints_as_jax_does():
    seen = []

    def f(x):
        seen.append(str(x))
        return lax.mul(x, 2.0)

    kiln.jvp(f, (1.0,), (1.0,))
    kiln.jvp(f, (np.arange(3.0, dtype=np.float32),), (np.ones(3, np.float32),))
    assert seen == ["JVPTracer(primal=1.0, tangent=1.0)",
                    "JVPTracer(primal=[0. 1. 2.], tangent=[1. 1. 1.])"]


def test_integer_inputs_take_float0_tangents():
    def f(x, n):
        return lax.mul(x, lax.convert_element_type(n, np.float32)), lax.mul(n, n)

    n = np.int32(3)
    (y, m), (ty, tm) = kiln.jvp(f, (np.float32(2.0), n), (np.float32(1.0),
                                                        np.zeros((), float0)))
    assert float(ty) == 3.0
    assert int(m) == 9 and np.asarray(tm).dtype == float0


def test_python_control_flow_on_concrete_values_works_under_jvp():
    def f(x):
        if lax.gt(x, 0.0):  # a comparison's result has no tangent: it is concrete
            return lax.mul(x, x)
        return lax.neg(x)

    assert float(kiln.jvp(f, (3.0,), (1.0,))[1]) == 6.0
    assert float(kiln.jvp(f, (-3.0,), (1.0,))[1]) == -1.0


def test_concrete_conversions_of_a_jvp_tracer_use_its_primal():
    def f(x):
        assert float(x) == 2.5 and bool(x)
        return x

    kiln.jvp(f, (2.5,), (1.0,))


# -- linearize ----------------------------------------------------------------------------


def test_linearize_gives_the_value_and_a_linear_function():
    x = np.float32(0.3)
    y, f_jvp = kiln.linearize(f_sin_x, x)
    np.testing.assert_allclose(y, np.sin(0.3) * 0.3, rtol=1e-6)
    for t in (1.0, -2.0, 0.5):
        np.testing.assert_allclose(f_jvp(np.float32(t)),
                                   t * (np.cos(0.3) * 0.3 + np.sin(0.3)), rtol=1e-6)


def test_linearized_function_does_not_recompute_the_primal():
    _, f_jvp = kiln.linearize(lax.sin, np.float32(0.3))
    jaxpr = kiln.make_jaxpr(f_jvp)(np.float32(1.0))
    assert [e.primitive.name for e in jaxpr.eqns] == ["mul"]  # t * cos(0.3), a residual


def test_linearize_with_aux():
    y, f_jvp, aux = kiln.linearize(lambda x: (lax.sin(x), lax.cos(x)), 0.5, has_aux=True)
    np.testing.assert_allclose(aux, np.cos(0.5), rtol=1e-6)
    np.testing.assert_allclose(f_jvp(2.0), 2 * np.cos(0.5), rtol=1e-6)


def test_linearize_tracer_prints_as_a_grad_tracer():
    seen = []
    kiln.linearize(lambda x: (seen.append(repr(x)), x)[1], 1.0)
    assert seen == ["GradTracer(primal=1.0, typeof(tangent)=f32[])"]


def test_linearized_function_checks_its_tangents():
    _, f_jvp = kiln.linearize(lambda x: lax.mul(x, 2.0), 1.0)
    with pytest.raises(ValueError, match="linearized function called on tangent values "
                                         "inconsistent with the original primal values"):
        f_jvp(np.ones(3, np.float32))
    with pytest.raises(TypeError, match=r"expected PyTreeDef\(\(\*,\)\), got"):
        f_jvp(1.0, 2.0)


# -- symbolic zeros ---------------------------------------------------------------------------


def test_untouched_inputs_cost_nothing():
    def f(x, y):
        return lax.mul(x, lax.sin(y))

    # only x is differentiated: nothing about sin's derivative (cos y) is computed
    jaxpr = kiln.make_jaxpr(kiln.grad(f, argnums=0))(1.0, 2.0)
    assert "cos" not in [e.primitive.name for e in jaxpr.eqns]
    jaxpr = kiln.make_jaxpr(kiln.grad(f, argnums=1))(1.0, 2.0)
    assert "cos" in [e.primitive.name for e in jaxpr.eqns]


def test_stop_gradient_blocks_the_derivative():
    def f(x):
        return lax.mul(kiln.autodiff.stop_gradient(x), x)

    assert float(kiln.grad(f)(3.0)) == 3.0
    assert float(kiln.jvp(f, (3.0,), (1.0,))[1]) == 3.0


# -- errors -----------------------------------------------------------------------------------


def test_jvp_requires_tuples():
    with pytest.raises(TypeError, match="primal and tangent arguments to jax.jvp must be "
                                        "tuples or lists; found float and float."):
        kiln.jvp(lax.sin, 1.0, 1.0)


def test_jvp_requires_matching_structures():
    with pytest.raises(TypeError, match="must have the same tree structure; primals have tree "
                                        r"structure PyTreeDef\(\(\*, \*\)\) whereas tangents "
                                        r"have tree structure PyTreeDef\(\(\*,\)\)"):
        kiln.jvp(lambda x, y: x, (1.0, 2.0), (1.0,))


def test_jvp_requires_matching_shapes_and_dtypes():
    with pytest.raises(ValueError, match=r"jvp called with different primal and tangent "
                                         r"shapes;Got primal shape \(3,\) and tangent shape "
                                         r"as \(2,\)"):
        kiln.jvp(lax.sin, (np.ones(3, np.float32),), (np.ones(2, np.float32),))
    with pytest.raises(TypeError, match="Got primal dtype float32 and so expected tangent "
                                        "dtype float32, but got tangent dtype float16 instead"):
        kiln.jvp(lax.sin, (np.ones(3, np.float32),), (np.ones(3, np.float16),))
    with pytest.raises(TypeError, match="in case of int/bool primal dtype the tangent dtype "
                                        "must be float0"):
        kiln.jvp(lambda x: x, (np.int32(1),), (np.int32(1),))


def test_forward_mode_of_a_primitive_without_a_rule_names_it():
    prim = kiln.core.Primitive("no_jvp_here")
    kiln.core.register_abstract_eval(prim, lambda x: x)
    kiln.core.register_impl(prim, lambda x: x)
    with pytest.raises(NotImplementedError, match="Differentiation rule for 'no_jvp_here'"):
        kiln.jvp(prim.bind, (1.0,), (1.0,))
