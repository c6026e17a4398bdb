"""kiln.random under jit, vmap (of keys and of parameters) and grad (reparameterised
samplers give JAX's gradients)."""

from __future__ import annotations

import numpy as np
import pytest

import kiln
from kiln import lax, random

KEYS = random.split(random.PRNGKey(0), 3)

SAMPLERS = {
    "normal": lambda k: random.normal(k, (4,)),
    "uniform": lambda k: random.uniform(k, (2, 2), minval=-1.0, maxval=2.0),
    "randint": lambda k: random.randint(k, (4,), 0, 100),
    "bits": lambda k: random.bits(k, (3,), np.uint8),
    "split": lambda k: random.split(k, 3),
    "fold_in": lambda k: random.fold_in(k, 5),
    "bernoulli": lambda k: random.bernoulli(k, 0.3, (4,)),
    "categorical": lambda k: random.categorical(k, np.zeros((2, 5), np.float32)),
    "choice": lambda k: random.choice(k, 10, (3,), replace=False),
    "choice_p": lambda k: random.choice(k, 4, (5,), p=np.array([.1, .2, .3, .4], np.float32)),
    "permutation": lambda k: random.permutation(k, 6),
    "gamma": lambda k: random.gamma(k, np.array([0.3, 1.0, 4.0], np.float32)),
    "beta": lambda k: random.beta(k, 2.0, 3.0, (2,)),
    "poisson": lambda k: random.poisson(k, np.array([1.0, 30.0], np.float32)),
    "binomial": lambda k: random.binomial(k, np.array([5.0, 100.0], np.float32), 0.4),
    "multinomial": lambda k: random.multinomial(k, 10.0, np.array([.2, .3, .5], np.float32)),
    "truncated_normal": lambda k: random.truncated_normal(k, -1.0, 1.0, (3,)),
}


def _close(a, b) -> None:
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    if a.dtype.kind == "f":
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    else:
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_jit_matches_eager(name: str, partitionable: bool) -> None:
    fn = SAMPLERS[name]
    _close(kiln.jit(fn)(KEYS[0]), fn(KEYS[0]))


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_vmap_over_keys_matches_a_loop(name: str, partitionable: bool) -> None:
    batching = pytest.importorskip("kiln.batching")
    fn = SAMPLERS[name]
    got = batching.vmap(fn)(KEYS)
    want = np.stack([np.asarray(fn(k)) for k in KEYS])
    _close(got, want)


def test_vmap_over_typed_keys() -> None:
    batching = pytest.importorskip("kiln.batching")
    keys = random.split(random.key(7), 4)
    got = batching.vmap(lambda k: random.normal(k, (2,)))(keys)
    want = np.stack([np.asarray(random.normal(k, (2,))) for k in keys])
    _close(got, want)
    split = batching.vmap(random.split)(keys)
    assert isinstance(split, random.PRNGKeyArray) and split.shape == (4, 2)


@pytest.mark.parametrize("sampler", ["gamma", "poisson", "binomial"])
def test_vmap_over_parameters_with_one_key(sampler: str) -> None:
    batching = pytest.importorskip("kiln.batching")
    key = random.PRNGKey(1)
    params = np.array([0.5, 3.0, 40.0], np.float32)
    fns = {"gamma": lambda a: random.gamma(key, a, (2,)),
           "poisson": lambda a: random.poisson(key, a, (2,)),
           "binomial": lambda a: random.binomial(key, a, 0.3, (2,))}
    fn = fns[sampler]
    _close(batching.vmap(fn)(params), np.stack([np.asarray(fn(p)) for p in params]))


def test_nested_vmap_of_gamma() -> None:
    batching = pytest.importorskip("kiln.batching")
    keys = random.split(random.PRNGKey(2), 6).reshape(2, 3, 2)
    got = batching.vmap(batching.vmap(lambda k: random.gamma(k, 1.5, (2,))))(keys)
    want = np.stack([[np.asarray(random.gamma(k, 1.5, (2,))) for k in row]
                     for row in np.asarray(keys)])
    _close(got, want)


def test_grad_of_a_reparameterised_normal() -> None:
    autodiff = pytest.importorskip("kiln.autodiff")
    key = random.PRNGKey(0)
    eps = float(random.normal(key))

    def f(mu, sigma):
        return lax.add(mu, lax.mul(sigma, random.normal(key)))

    d_mu, d_sigma = autodiff.grad(f, argnums=(0, 1))(np.float32(1.0), np.float32(2.0))
    assert float(d_mu) == 1.0
    np.testing.assert_allclose(float(d_sigma), eps, rtol=1e-7)


# JAX 0.10.2's gradients (partitionable layout), recorded with the golden values' JAX.
@pytest.mark.parametrize("name,fn,x,expected", [
    ("gamma", lambda a: random.gamma(random.PRNGKey(0), a), 2.0, 0.9656762),
    ("loggamma", lambda a: random.loggamma(random.PRNGKey(0), a), 0.3, 3.5371535),
    ("gamma_sum", lambda a: lax.reduce_sum(random.gamma(random.PRNGKey(0), a, (4,)), (0,)),
     0.7, 4.348305),
    ("beta", lambda a: random.beta(random.PRNGKey(0), a, 2.0), 0.7, 0.241921),
])
def test_grad_of_gamma_samplers_matches_jax(name, fn, x, expected) -> None:
    autodiff = pytest.importorskip("kiln.autodiff")
    np.testing.assert_allclose(float(autodiff.grad(fn)(np.float32(x))), expected, rtol=2e-5)


def test_gamma_gradient_is_the_implicit_reparameterisation() -> None:
    # d sample / d a holds the CDF P(a, x) fixed: dP/da + dP/dx * grad == 0.
    from kiln.random.distributions.gamma import random_gamma_grad

    with kiln.enable_x64():
        for a, x in [(0.4, 0.05), (1.7, 1.2), (6.0, 9.0)]:
            h = 1e-6
            dp_da = (float(lax.igamma(a + h, x)) - float(lax.igamma(a - h, x))) / (2 * h)
            dp_dx = (float(lax.igamma(a, x + h)) - float(lax.igamma(a, x - h))) / (2 * h)
            np.testing.assert_allclose(float(random_gamma_grad(a, x)), -dp_da / dp_dx,
                                       rtol=1e-5)


def test_discrete_samplers_have_zero_gradients() -> None:
    autodiff = pytest.importorskip("kiln.autodiff")

    def f(lam):
        counts = random.poisson(random.PRNGKey(0), lam, (3,))
        return lax.add(lam, lax.convert_element_type(lax.reduce_sum(counts, (0,)), np.float32))

    assert float(autodiff.grad(f)(np.float32(3.0))) == 1.0


def test_random_gamma_stages_as_one_equation() -> None:
    text = str(kiln.make_jaxpr(lambda k: random.gamma(k, 2.0, (3,)))(random.PRNGKey(0)))
    assert "random_gamma[log_space=False]" in text
    text = str(kiln.make_jaxpr(lambda k: random.loggamma(k, 2.0, (3,)))(random.PRNGKey(0)))
    assert "random_gamma[log_space=True]" in text


def test_eval_shape() -> None:
    out = kiln.eval_shape(lambda k: random.normal(k, (5, 2)), random.PRNGKey(0))
    assert out.shape == (5, 2) and out.dtype == np.float32
