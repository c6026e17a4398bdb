"""Reverse mode: vjp, grad and value_and_grad against hand-derived gradients and finite
differences, their options (argnums, has_aux, holomorphic, allow_int), and JAX's errors."""

from __future__ import annotations

import numpy as np
import pytest

import kiln
from kiln import lax
from kiln.core.dtypes import float0


def total(x):
    return lax.reduce_sum(x, tuple(range(getattr(x, "ndim", 0))))


def polynomial(x):
    # 3x^3 + 2x^2 - 2x + 1, the tutorial's: f' = 9x^2 + 4x - 2, f'' = 18x + 4
    x2 = lax.mul(x, x)
    return lax.add(lax.add(lax.mul(3.0, lax.mul(x2, x)), lax.mul(2.0, x2)),
                   lax.add(lax.mul(-2.0, x), 1.0))


def test_grad_of_a_polynomial_and_its_second_derivative():
    for x in (0.0, 1.5, -2.0):
        np.testing.assert_allclose(kiln.grad(polynomial)(x), 9 * x * x + 4 * x - 2, rtol=1e-6)
        np.testing.assert_allclose(kiln.grad(kiln.grad(polynomial))(x), 18 * x + 4, rtol=1e-6)


def test_grad_matches_finite_differences(x64, numerical_jacobian):
    def f(x):
        return total(lax.mul(lax.tanh(x), lax.exp(lax.neg(lax.mul(x, x)))))

    x = np.linspace(-1.5, 1.5, 7)
    expected = numerical_jacobian(lambda v: np.sum(np.tanh(v) * np.exp(-v * v)), x)
    np.testing.assert_allclose(kiln.grad(f)(x), expected, rtol=1e-7)


def sum_squared_error(x, y):
    d = lax.sub(x, y)
    return total(lax.mul(d, d))


def test_argnums_int_tuple_and_negative():
    x, y = np.arange(3.0, dtype=np.float32), np.ones(3, np.float32)
    np.testing.assert_allclose(kiln.grad(sum_squared_error)(x, y), 2 * (x - y))
    np.testing.assert_allclose(kiln.grad(sum_squared_error, argnums=1)(x, y), -2 * (x - y))
    gx, gy = kiln.grad(sum_squared_error, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, 2 * (x - y))
    np.testing.assert_allclose(gy, -2 * (x - y))
    np.testing.assert_allclose(kiln.grad(sum_squared_error, argnums=-1)(x, y), -2 * (x - y))


def test_keyword_arguments_pass_through_undifferentiated():
    assert float(kiln.grad(lambda x, y: lax.mul(x, y))(2.0, y=5.0)) == 5.0


def test_value_and_grad():
    x, y = np.arange(3.0, dtype=np.float32), np.ones(3, np.float32)
    value, g = kiln.value_and_grad(sum_squared_error)(x, y)
    assert float(value) == 2.0
    np.testing.assert_allclose(g, 2 * (x - y))


def test_has_aux():
    def loss(x, y):
        d = lax.sub(x, y)
        return total(lax.mul(d, d)), d

    x, y = np.arange(3.0, dtype=np.float32), np.ones(3, np.float32)
    g, aux = kiln.grad(loss, has_aux=True)(x, y)
    np.testing.assert_allclose(g, 2 * (x - y))
    np.testing.assert_allclose(aux, x - y)
    assert not isinstance(aux, kiln.core.Tracer)
    (value, aux), g = kiln.value_and_grad(loss, has_aux=True)(x, y)
    assert float(value) == 2.0


def test_gradient_of_a_pytree_of_parameters():
    params = {"w": np.array([1.0, 2.0], np.float32), "b": np.float32(0.5)}

    def loss(p):
        return total(lax.add(lax.mul(p["w"], p["w"]), p["b"]))

    g = kiln.grad(loss)(params)
    assert set(g) == {"w", "b"}
    np.testing.assert_allclose(g["w"], [2.0, 4.0])
    np.testing.assert_allclose(g["b"], 2.0)


def test_holomorphic_gradient():
    z = np.complex64(1.0 + 2.0j)
    g = kiln.grad(lambda z: lax.mul(z, z), holomorphic=True)(z)
    np.testing.assert_allclose(g, 2 * z)
    # a real function of a complex input: JAX's convention, d/dz Re(z^2) = conj(2z)... as JAX
    g = kiln.grad(lambda z: lax.real(lax.mul(z, z)))(np.complex64(1 + 1j))
    np.testing.assert_allclose(g, 2 + 2j)


def test_allow_int_gives_float0_gradients():
    def f(x, n):
        return lax.mul(x, lax.convert_element_type(n, np.float32))

    gx, gn = kiln.grad(f, argnums=(0, 1), allow_int=True)(2.0, np.int32(3))
    assert float(gx) == 3.0 and np.asarray(gn).dtype == float0
    g = kiln.grad(lambda n: lax.convert_element_type(n, np.float32), allow_int=True)(
        np.int32(4))
    assert np.asarray(g).dtype == float0 and np.asarray(g).shape == ()


def test_gradient_of_an_unused_input_is_zero():
    g = kiln.grad(lambda x, y: total(lax.sin(x)), argnums=1)(np.ones(2, np.float32),
                                                            np.ones((2, 3), np.float32))
    assert np.asarray(g).shape == (2, 3) and not np.asarray(g).any()
    assert repr(kiln.grad(lambda x: x)(1.0)) == "Array(1., dtype=float32, weak_type=True)"


def test_python_control_flow_under_grad():
    def f(x):
        if lax.gt(x, 0.0):
            return lax.mul(x, x)
        return lax.mul(-3.0, x)

    assert float(kiln.grad(f)(2.0)) == 4.0
    assert float(kiln.grad(f)(-2.0)) == -3.0

    def g(x):
        y = x
        while float(y) < 10.0:  # concrete primal: Python loops work too
            y = lax.mul(y, 2.0)
        return y

    assert float(kiln.grad(g)(3.0)) == 4.0  # 3 -> 6 -> 12: y = 4x


def test_grad_tracers_print_as_jax_does():
    seen = []

    def f(x):
        seen.append(repr(x))
        return total(x)

    kiln.grad(f)(1.0)
    kiln.grad(f)(np.arange(3.0, dtype=np.float32))
    kiln.grad(kiln.grad(f))(1.0)
    assert seen == [
        "GradTracer(primal=1.0, typeof(tangent)=f32[])",
        "GradTracer(primal=[0. 1. 2.], typeof(tangent)=f32[3])",
        "GradTracer(primal=GradTracer(primal=1.0, typeof(tangent)=f32[]), "
        "typeof(tangent)=f32[])",
    ]


# -- vjp ------------------------------------------------------------------------------------


def test_vjp_of_a_vector_function(x64, numerical_jacobian):
    def f(x):
        return lax.mul(lax.sin(x), lax.cumsum(x))

    x = np.linspace(0.0, 1.0, 4)
    out, pullback = kiln.vjp(f, x)
    ct = np.array([1.0, -1.0, 0.5, 2.0])
    (g,) = pullback(ct)
    jac = numerical_jacobian(lambda v: np.sin(v) * np.cumsum(v), x)
    np.testing.assert_allclose(g, ct @ jac, rtol=1e-7)


def test_vjp_of_several_arguments_and_outputs():
    def f(x, y):
        return {"p": lax.mul(x, y), "s": lax.add(x, y)}

    out, pullback = kiln.vjp(f, 2.0, 3.0)
    gx, gy = pullback({"p": 1.0, "s": 10.0})
    assert float(gx) == 13.0 and float(gy) == 12.0


def test_vjp_with_aux():
    out, pullback, aux = kiln.vjp(lambda x: (lax.sin(x), lax.cos(x)), 0.5, has_aux=True)
    np.testing.assert_allclose(aux, np.cos(0.5), rtol=1e-6)
    np.testing.assert_allclose(pullback(1.0)[0], np.cos(0.5), rtol=1e-6)


def test_vjp_checks_the_cotangent():
    _, pullback = kiln.vjp(lax.sin, np.ones(3, np.float32))
    with pytest.raises(ValueError, match=r"unexpected JAX type \(e.g. shape/dtype\) for "
                                         r"argument to VJP function: got float32\[2\], but "
                                         r"expected float32\[3\] because the corresponding "
                                         r"output of the differentiated function had JAX type "
                                         r"float32\[3\]"):
        pullback(np.ones(2, np.float32))
    with pytest.raises(ValueError, match="unexpected tree structure"):
        pullback((np.ones(3, np.float32),))
    with pytest.raises(ValueError, match=r"got int32\[3\], but expected float32\[3\]"):
        pullback(np.ones(3, np.int32))


def test_vjp_of_integer_functions_gives_float0():
    out, pullback = kiln.vjp(lambda n: lax.mul(n, 2), np.int32(1))
    (g,) = pullback(np.int32(2))
    assert np.asarray(g).dtype == float0


# -- errors -----------------------------------------------------------------------------------


def test_grad_of_a_non_scalar_output():
    with pytest.raises(TypeError) as e:
        kiln.grad(lambda x: lax.mul(x, 2.0))(np.ones(3, np.float32))
    assert str(e.value) == ("Gradient only defined for scalar-output functions. Output had "
                            "shape: (3,).")
    with pytest.raises(TypeError, match=r"Gradient only defined for scalar-output functions. "
                                        r"Output was \(Array\(2., dtype=float32, "
                                        r"weak_type=True\), 1\)."):
        kiln.grad(lambda x: (lax.mul(x, 2.0), 1))(1.0)


def test_grad_with_respect_to_an_integer():
    for value in (np.int32(1), 1, True):
        with pytest.raises(TypeError) as e:
            kiln.grad(lambda x: lax.mul(x, 2))(value)
        dtype = "bool" if value is True else "int32"
        assert str(e.value) == (
            "grad requires real- or complex-valued inputs (input dtype that is a sub-dtype of "
            f"np.inexact), but got {dtype}. If you want to use Boolean- or integer-valued "
            "inputs, use vjp or set allow_int to True.")


def test_holomorphic_errors():
    with pytest.raises(TypeError, match="grad with holomorphic=True requires inputs with "
                                        "complex dtype, but got float32."):
        kiln.grad(lambda x: x, holomorphic=True)(1.0)
    with pytest.raises(TypeError, match="grad with holomorphic=True requires outputs with "
                                        "complex dtype, but got float32."):
        kiln.grad(lambda x: lax.real(x), holomorphic=True)(np.complex64(1 + 1j))
    with pytest.raises(TypeError, match=r"grad requires real-valued outputs \(output dtype "
                                        r"that is a sub-dtype of np.floating\), but got "
                                        r"complex64. For holomorphic differentiation, pass "
                                        r"holomorphic=True."):
        kiln.grad(lambda x: x)(np.complex64(1 + 1j))


def test_argnums_beyond_the_arguments():
    with pytest.raises(TypeError, match="differentiating with respect to argnums=2 requires "
                                        "at least 3 positional arguments to be passed by the "
                                        "caller, but got only 1 positional arguments."):
        kiln.grad(lambda x: x, argnums=2)(1.0)


def test_has_aux_requires_a_pair():
    with pytest.raises(TypeError, match="expected function with aux output to return a "
                                        "two-element tuple, but got type"):
        kiln.grad(lambda x: x, has_aux=True)(1.0)


def test_non_array_argument():
    with pytest.raises(TypeError, match="Argument 'a' of type <class 'str'> is not a valid "
                                        "JAX type"):
        kiln.grad(lambda x: x)("a")


def test_leaked_tracer_is_detected():
    leaked = []

    def f(x):
        leaked.append(x)
        return x

    kiln.grad(f)(1.0)
    with pytest.raises(kiln.errors.UnexpectedTracerError):
        lax.sin(leaked[0])
