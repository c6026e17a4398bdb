"""jacfwd, jacrev and hessian against hand-derived Jacobians and finite differences, with
pytrees, argnums, has_aux, holomorphic functions, and JAX's errors."""

from __future__ import annotations

import numpy as np
import pytest

import kiln
from kiln import lax


def f(x):  # R^3 -> R^2: (x0 * x1, sin(x2) * x0)
    a = lax.mul(lax.slice(x, (0,), (1,)), lax.slice(x, (1,), (2,)))
    b = lax.mul(lax.sin(lax.slice(x, (2,), (3,))), lax.slice(x, (0,), (1,)))
    return lax.concatenate([a, b], 0)


def f_jacobian(x):
    return np.array([[x[1], x[0], 0.0], [np.sin(x[2]), 0.0, x[0] * np.cos(x[2])]])


@pytest.mark.parametrize("jac", [kiln.jacfwd, kiln.jacrev, kiln.jacobian])
def test_jacobian_matches_the_hand_derived_one(jac):
    x = np.array([0.5, -1.0, 2.0], np.float32)
    np.testing.assert_allclose(jac(f)(x), f_jacobian(x), rtol=1e-6)


@pytest.mark.parametrize("jac", [kiln.jacfwd, kiln.jacrev])
def test_jacobian_of_matrices_matches_finite_differences(jac, x64, numerical_jacobian):
    def g(m):
        return lax.tanh(lax.dot_general(m, m, (((1,), (0,)), ((), ()))))

    m = np.array([[0.1, 0.2], [-0.3, 0.4]])
    expected = numerical_jacobian(lambda v: np.tanh(v @ v), m)
    got = jac(g)(m)
    assert np.asarray(got).shape == (2, 2, 2, 2)
    np.testing.assert_allclose(got, expected, rtol=1e-7)


def test_hessian_of_a_cubic_sum():
    x = np.arange(3.0, dtype=np.float32)
    h = kiln.hessian(lambda x: lax.reduce_sum(lax.integer_pow(x, 3), (0,)))(x)
    np.testing.assert_allclose(h, np.diag(6 * x))


def test_hessian_matches_finite_differences_of_the_gradient(x64, numerical_jacobian):
    def g(x):
        return lax.reduce_sum(lax.mul(lax.exp(lax.mul(x, 0.5)), lax.cumsum(x)), (0,))

    x = np.array([0.2, -0.4, 0.9])
    grad = kiln.grad(g)
    expected = numerical_jacobian(lambda v: np.asarray(grad(v)), x)
    np.testing.assert_allclose(kiln.hessian(g)(x), expected, rtol=1e-7)


@pytest.mark.parametrize("jac", [kiln.jacfwd, kiln.jacrev])
def test_jacobians_of_pytrees_with_several_argnums(jac):
    def g(x, y):
        return {"a": lax.mul(x, y)}

    out = jac(g, argnums=(0, 1))(np.ones(2, np.float32), np.float32(3.0))
    dx, dy = out["a"]
    np.testing.assert_allclose(dx, 3 * np.eye(2))
    np.testing.assert_allclose(dy, [1.0, 1.0])


@pytest.mark.parametrize("jac", [kiln.jacfwd, kiln.jacrev])
def test_jacobian_with_aux(jac):
    j, aux = jac(lambda x: (lax.mul(x, x), lax.cos(x)), has_aux=True)(np.float32(3.0))
    assert float(j) == 6.0
    np.testing.assert_allclose(aux, np.cos(3.0), rtol=1e-6)


@pytest.mark.parametrize("jac", [kiln.jacfwd, kiln.jacrev])
def test_holomorphic_jacobian(jac):
    z = np.array([1 + 1j, 2 - 1j], np.complex64)
    np.testing.assert_allclose(jac(lambda z: lax.mul(z, z), holomorphic=True)(z),
                               np.diag(2 * z), rtol=1e-6)


def test_jacobian_errors():
    with pytest.raises(TypeError, match=r"jacfwd requires real-valued inputs \(input dtype "
                                        r"that is a sub-dtype of np.floating\), but got "
                                        r"int32."):
        kiln.jacfwd(lambda x: x)(1)
    with pytest.raises(TypeError, match=r"jacrev requires real- or complex-valued inputs"):
        kiln.jacrev(lambda x: x)(1)
    with pytest.raises(TypeError, match=r"jacrev requires real-valued outputs \(output dtype "
                                        r"that is a sub-dtype of np.floating\), but got "
                                        r"int32."):
        kiln.jacrev(lambda x: 2)(1.0)
    with pytest.raises(TypeError, match="jacfwd with holomorphic=True requires inputs with "
                                        "complex dtype, but got float32."):
        kiln.jacfwd(lambda x: x, holomorphic=True)(1.0)
