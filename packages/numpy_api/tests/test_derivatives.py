"""Derivatives of kiln.numpy, kiln.nn and kiln.scipy.special functions at the points where
JAX fixes them with custom_jvp (kinks, removable singularities): kiln writes these functions
with ``where`` so that kiln-autodiff gives the same first derivatives. Skipped when
kiln-autodiff is not installed (kiln-numpy does not depend on it)."""

from __future__ import annotations

import numpy as np
import pytest

import kiln.nn as nn
import kiln.numpy as jnp
import kiln.scipy.special as special

autodiff = pytest.importorskip("kiln.autodiff")
grad = autodiff.grad


@pytest.mark.parametrize("fn,x,expected", [
    (nn.relu, 0.0, 0.0), (nn.relu, 2.0, 1.0), (nn.relu, -1.0, 0.0),
    (nn.relu6, 0.0, 0.0), (nn.relu6, 6.0, 0.0), (nn.relu6, 3.0, 1.0),
    (jnp.sinc, 0.0, 0.0), (nn.softplus, 0.0, 0.5), (nn.sigmoid, 0.0, 0.25),
    (nn.silu, 0.0, 0.5), (nn.log_sigmoid, 0.0, 0.5), (nn.elu, -1.0, np.exp(-1.0)),
    (nn.leaky_relu, -1.0, 0.01), (nn.gelu, 0.0, 0.5), (jnp.abs, 2.0, 1.0),
])
def test_first_derivatives_match_jax(fn: object, x: float, expected: float) -> None:
    np.testing.assert_allclose(grad(fn)(x), expected, rtol=1e-6, atol=1e-7)


def test_safe_where_gradients_are_finite() -> None:
    assert np.isfinite(grad(lambda x: special.xlogy(x, x))(0.5))
    assert grad(lambda x: jnp.sum(special.xlogy(0.0, x)))(1.0) == 0.0
    g = grad(lambda x: jnp.sum(nn.softmax(x) * jnp.arange(3.0)))(jnp.array([1.0, 2.0, 3.0]))
    assert np.all(np.isfinite(g)) and abs(float(jnp.sum(g))) < 1e-6
    g = grad(lambda x: special.logsumexp(x))(jnp.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(g, nn.softmax(jnp.array([1.0, 2.0, 3.0])), rtol=1e-6)
    assert np.isfinite(grad(lambda x: jnp.linalg.norm(x))(jnp.array([3.0, 4.0]))).all()


def test_gradients_through_indexing_and_reductions() -> None:
    def f(x: object) -> object:
        return jnp.sum(x.at[1].set(0.0)[::-1] * jnp.arange(3.0)) + jnp.max(x)

    np.testing.assert_allclose(grad(f)(jnp.array([1.0, 5.0, 2.0])), [2.0, 1.0, 0.0])
    np.testing.assert_allclose(grad(lambda x: jnp.mean(x ** 2))(jnp.array([1.0, 3.0])),
                               [1.0, 3.0])
