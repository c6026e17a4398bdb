"""Property tests (hypothesis): derivatives of random compositions of primitives against
finite differences, forward mode against reverse mode (the dot-product identity
<ct, J t> == <J^T ct, t>), and jacfwd against jacrev."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import kiln
from kiln import lax
from kiln.core.config import enable_x64

# (name, kiln function, NumPy function), each defined on all of [-1.5, 1.5] and mapping it
# into a bounded range, so that any composition stays well defined.
UNARY = [
    ("sin", lax.sin, np.sin),
    ("tanh", lax.tanh, np.tanh),
    ("logistic", lax.logistic, lambda x: 1 / (1 + np.exp(-x))),
    ("square", lambda x: lax.mul(x, x), lambda x: x * x),
    ("exp_neg_square", lambda x: lax.exp(lax.neg(lax.mul(x, x))), lambda x: np.exp(-x * x)),
    ("atan", lax.atan, np.arctan),
    ("log1p_square", lambda x: lax.log1p(lax.mul(x, x)), lambda x: np.log1p(x * x)),
    ("cube", lambda x: lax.integer_pow(x, 3), lambda x: x ** 3),
    ("sqrt_one_plus_square", lambda x: lax.sqrt(lax.add(lax.mul(x, x), 1.0)),
     lambda x: np.sqrt(x * x + 1)),
]

chains = st.lists(st.sampled_from(UNARY), min_size=1, max_size=4)
points = st.floats(-1.5, 1.5, allow_nan=False)


def compose(chain, which):
    def f(x):
        for entry in chain:
            x = entry[which](x)
        return x

    return f


@settings(deadline=None, max_examples=60)
@given(chains, points)
def test_grad_of_compositions_matches_finite_differences(chain, x):
    with enable_x64():
        g = float(kiln.grad(compose(chain, 1))(x))
        f = compose(chain, 2)
        eps = 1e-6
        expected = (f(x + eps) - f(x - eps)) / (2 * eps)
        np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-8)


@settings(deadline=None, max_examples=40)
@given(chains, points)
def test_higher_derivatives_agree_across_modes(chain, x):
    f = compose(chain, 1)
    with enable_x64():
        reverse = float(kiln.grad(kiln.grad(f))(x))
        forward = float(kiln.jvp(lambda x: kiln.jvp(f, (x,), (1.0,))[1], (x,), (1.0,))[1])
        mixed = float(kiln.jvp(kiln.grad(f), (x,), (1.0,))[1])
    np.testing.assert_allclose(forward, reverse, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(mixed, reverse, rtol=1e-9, atol=1e-12)


matrices = st.integers(0, 2**31 - 1).map(lambda seed: np.random.default_rng(seed))


@settings(deadline=None, max_examples=25)
@given(matrices, chains)
def test_forward_and_reverse_mode_are_transposes(rng, chain):
    a = rng.normal(size=(3, 4))
    x, t, ct = rng.normal(size=4), rng.normal(size=4), rng.normal(size=3)
    inner = compose(chain, 1)

    def f(x):
        return inner(lax.dot_general(a, x, (((1,), (0,)), ((), ()))))

    with enable_x64():
        _, jt = kiln.jvp(f, (x,), (t,))
        _, pullback = kiln.vjp(f, x)
        (jct,) = pullback(ct)
        np.testing.assert_allclose(np.dot(ct, jt), np.dot(jct, t), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(kiln.jacfwd(f)(x), kiln.jacrev(f)(x), rtol=1e-9,
                                   atol=1e-12)
