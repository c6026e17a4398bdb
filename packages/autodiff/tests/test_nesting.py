"""Nested transformations: higher-order derivatives, forward-over-reverse and
reverse-over-forward, jit inside and outside, closures over outer tracers, and no
perturbation confusion."""

from __future__ import annotations

import math

import numpy as np
import pytest

import kiln
from kiln import lax


def nth_derivative(f, n):
    for _ in range(n):
        f = kiln.grad(f)
    return f


@pytest.mark.parametrize("x", [0.3, 1.7, -2.2])
def test_derivatives_of_sin_to_the_fourth_order(x):
    expected = [math.sin(x), math.cos(x), -math.sin(x), -math.cos(x), math.sin(x)]
    for n, value in enumerate(expected):
        np.testing.assert_allclose(nth_derivative(lax.sin, n)(x), value, rtol=1e-5, atol=1e-6)


def test_fourth_derivative_of_a_polynomial(x64):
    def f(x):
        return lax.integer_pow(x, 5)

    x = 1.3
    for n, value in enumerate([x**5, 5 * x**4, 20 * x**3, 60 * x**2, 120 * x]):
        np.testing.assert_allclose(nth_derivative(f, n)(x), value, rtol=1e-12)


def test_no_perturbation_confusion():
    # d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1; a nesting that confuses the two
    # perturbations differentiates the inner x too and answers 2.
    def f(x):
        inner = kiln.grad(lambda y: lax.add(x, y))(1.0)
        return lax.mul(x, inner)

    assert float(kiln.grad(f)(2.0)) == 1.0
    _, t = kiln.jvp(f, (2.0,), (1.0,))
    assert float(t) == 1.0

    def g(x):  # the same with forward mode inside
        _, inner = kiln.jvp(lambda y: lax.add(x, y), (1.0,), (1.0,))
        return lax.mul(x, inner)

    assert float(kiln.grad(g)(2.0)) == 1.0


def test_closures_over_outer_tracers():
    # d/dx [d/dy (x * y^2)]_{y=x} = d/dx [2 x y]_{y=x} = d/dx 2x^2 = 4x
    def f(x):
        return kiln.grad(lambda y: lax.mul(x, lax.mul(y, y)))(x)

    assert float(kiln.grad(f)(3.0)) == 12.0
    assert float(kiln.jvp(f, (3.0,), (1.0,))[1]) == 12.0


def hvp_forward_over_reverse(f, x, v):
    return kiln.jvp(kiln.grad(f), (x,), (v,))[1]


def hvp_reverse_over_forward(f, x, v):
    return kiln.grad(lambda x: kiln.jvp(f, (x,), (v,))[1])(x)


def hvp_reverse_over_reverse(f, x, v):
    return kiln.grad(lambda x: lax.reduce_sum(lax.mul(kiln.grad(f)(x), v), (0,)))(x)


def test_hessian_vector_products_agree_in_every_mode(x64):
    def f(x):
        return lax.reduce_sum(lax.mul(lax.sin(x), lax.cumprod(x)), (0,))

    x = np.array([0.3, 0.7, 1.1])
    v = np.array([1.0, -2.0, 0.5])
    reference = np.asarray(kiln.hessian(f)(x)) @ v
    for hvp in (hvp_forward_over_reverse, hvp_reverse_over_forward, hvp_reverse_over_reverse):
        np.testing.assert_allclose(hvp(f, x, v), reference, rtol=1e-10)


def test_vjp_of_jvp_and_jvp_of_vjp():
    f = lax.sin
    x, t, ct = 0.4, 1.0, 1.0
    # d/dx [cos(x) t] = -sin(x) t
    _, pullback = kiln.vjp(lambda x: kiln.jvp(f, (x,), (t,))[1], x)
    np.testing.assert_allclose(pullback(ct)[0], -math.sin(x), rtol=1e-6)

    def vjp_at(x):
        return kiln.vjp(f, x)[1](ct)[0]

    np.testing.assert_allclose(kiln.jvp(vjp_at, (x,), (t,))[1], -math.sin(x), rtol=1e-6)


def test_grad_of_jit_of_grad_and_jit_of_grad_of_jit():
    def f(x):
        return lax.mul(lax.sin(x), lax.mul(x, x))

    def d2(x):  # hand-derived f''
        return 2 * math.sin(x) + 4 * x * math.cos(x) - x * x * math.sin(x)

    x = 0.9
    np.testing.assert_allclose(kiln.grad(kiln.jit(kiln.grad(f)))(x), d2(x), rtol=1e-5)
    np.testing.assert_allclose(kiln.jit(kiln.grad(kiln.jit(kiln.grad(kiln.jit(f)))))(x),
                               d2(x), rtol=1e-5)


def test_jit_inside_a_differentiated_function_closing_over_a_tracer():
    def f(x):
        return kiln.jit(lambda y: lax.mul(x, y))(x)  # x * x, x closed over by the jit

    assert float(kiln.grad(f)(3.0)) == 6.0
    assert float(kiln.grad(kiln.grad(f))(3.0)) == 2.0


def test_vmap_of_grad_and_grad_of_vmap():
    x = np.linspace(0.0, 1.0, 4, dtype=np.float32)
    per_example = kiln.vmap(kiln.grad(lambda x: lax.mul(lax.sin(x), x)))(x)
    np.testing.assert_allclose(per_example, np.cos(x) * x + np.sin(x), rtol=1e-6)
    g = kiln.grad(lambda x: lax.reduce_sum(kiln.vmap(lax.sin)(x), (0,)))(x)
    np.testing.assert_allclose(g, np.cos(x), rtol=1e-6)
