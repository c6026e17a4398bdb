"""The gradient-descent training loops of JAX's tutorials: linear regression with one
parameter array (JAX 101: w -> 3.00, b -> -1.00) and a linear model with a dict of
parameters (the brief introduction), written with kiln.lax, against hand-derived gradients;
and once more in the tutorials' own jnp spelling when kiln-numpy is installed."""

from __future__ import annotations

import numpy as np
import pytest

import kiln
from kiln import lax


def mean(x):
    return lax.div(lax.reduce_sum(x, tuple(range(x.ndim))), np.float32(x.size))


# -- JAX 101: theta = [w, b] -----------------------------------------------------------------


def model(theta, x):
    w = lax.reshape(lax.slice(theta, (0,), (1,)), ())
    b = lax.reshape(lax.slice(theta, (1,), (2,)), ())
    return lax.add(lax.mul(w, x), b)


def loss_fn(theta, x, y):
    error = lax.sub(model(theta, x), y)
    return mean(lax.mul(error, error))


@kiln.jit
def update(theta, x, y):
    return lax.sub(theta, lax.mul(np.float32(0.1), kiln.grad(loss_fn)(theta, x, y)))


def regression_data(seed=11):  # a draw whose least-squares fit prints as the tutorial's
    rng = np.random.default_rng(seed)
    xs = rng.normal(size=(100,)).astype(np.float32)
    ys = (xs * 3 - 1 + rng.normal(scale=0.1, size=(100,))).astype(np.float32)
    return xs, ys


def test_gradient_of_the_regression_loss_is_the_hand_derived_one():
    xs, ys = regression_data()
    theta = np.array([1.0, 1.0], np.float32)
    residual = theta[0] * xs + theta[1] - ys
    expected = np.array([np.mean(2 * residual * xs), np.mean(2 * residual)])
    np.testing.assert_allclose(kiln.grad(loss_fn)(theta, xs, ys), expected, rtol=1e-5)


def test_linear_regression_finds_w_3_and_b_minus_1():
    xs, ys = regression_data()
    theta = np.array([1.0, 1.0], np.float32)
    for _ in range(1000):
        theta = update(theta, xs, ys)
    w, b = np.asarray(theta)
    assert f"w: {w:<.2f}, b: {b:<.2f}" == "w: 3.00, b: -1.00"
    np.testing.assert_allclose([w, b], np.polyfit(xs, ys, 1), rtol=1e-5)  # the optimum


# -- the brief introduction: a dict of parameters -------------------------------------------


def linear_model(params, x):
    return lax.add(lax.mul(params["slope"], x), params["offset"])


def mse_loss(params, data):
    error = lax.sub(data["y"], linear_model(params, data["x"]))
    return mean(lax.mul(error, error))


@kiln.jit
def gradient_descent_step(params, data):
    grads = kiln.grad(mse_loss, argnums=0)(params, data)
    return {key: lax.sub(params[key], lax.mul(np.float32(0.1), grads[key])) for key in params}


def dict_data():
    x = np.linspace(-1, 1, 50, dtype=np.float32)
    noise = 0.3 * np.random.default_rng(0).normal(size=(50,)).astype(np.float32)
    return {"x": x, "y": (2 * x + 10 + noise).astype(np.float32)}


def numpy_gradient_descent(data, steps):
    slope, offset = 1.0, 0.0
    x, y = data["x"].astype(np.float64), data["y"].astype(np.float64)
    for _ in range(steps):
        residual = y - (slope * x + offset)
        slope, offset = (slope - 0.1 * np.mean(-2 * residual * x),
                         offset - 0.1 * np.mean(-2 * residual))
    return slope, offset


def test_dict_of_parameters_trains_like_the_hand_derived_descent():
    data = dict_data()
    params = {"slope": np.array([1.0], np.float32), "offset": np.array([0.0], np.float32)}
    for _ in range(50):
        params = gradient_descent_step(params, data)
    slope, offset = numpy_gradient_descent(data, 50)
    assert set(params) == {"slope", "offset"}
    np.testing.assert_allclose(params["slope"], [slope], rtol=1e-4)
    np.testing.assert_allclose(params["offset"], [offset], rtol=1e-4)


# -- the same, as the tutorials spell it --------------------------------------------------------


def test_tutorial_loops_in_jnp():
    jnp = pytest.importorskip("kiln.numpy")

    def model(theta, x):
        w, b = theta
        return w * x + b

    def loss(theta, x, y):
        return jnp.mean((model(theta, x) - y) ** 2)

    @kiln.jit
    def step(theta, x, y, lr=0.1):
        return theta - lr * kiln.grad(loss)(theta, x, y)

    xs, ys = regression_data()
    theta = jnp.array([1.0, 1.0])
    for _ in range(1000):
        theta = step(theta, xs, ys)
    w, b = theta
    assert f"w: {w:<.2f}, b: {b:<.2f}" == "w: 3.00, b: -1.00"

    def mse(params, data):
        prediction = params["slope"] * data["x"] + params["offset"]
        return jnp.mean((data["y"] - prediction) ** 2)

    @kiln.jit
    def descend(params, data, lr=0.1):
        grads = kiln.grad(mse, argnums=0)(params, data)
        return {key: params[key] - lr * grads[key] for key in params}

    data = dict_data()
    params = {"slope": jnp.array([1.0]), "offset": jnp.array([0.0])}
    for _ in range(50):
        params = descend(params, data)
    slope, offset = numpy_gradient_descent(data, 50)
    np.testing.assert_allclose(params["slope"], [slope], rtol=1e-4)
    np.testing.assert_allclose(params["offset"], [offset], rtol=1e-4)
