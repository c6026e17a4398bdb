"""Samplers' arguments, dtypes and errors (JAX's texts), x64 mode, and statistical sanity."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import kiln
from kiln import random

KEY = random.PRNGKey(0)


@pytest.mark.parametrize("fn,name", [
    (lambda: random.uniform(KEY, dtype=np.int32), "uniform"),
    (lambda: random.exponential(KEY, dtype=np.int32), "exponential"),
    (lambda: random.gamma(KEY, 1.0, dtype=np.int32), "gamma"),
    (lambda: random.truncated_normal(KEY, 0.0, 1.0, dtype=np.int32), "truncated_normal"),
])
def test_float_samplers_reject_integer_dtypes(fn, name: str) -> None:
    with pytest.raises(ValueError, match=f"dtype argument to `{name}` must be a float dtype, "
                                         "got int32"):
        fn()


def test_normal_accepts_complex_and_rejects_ints() -> None:
    with pytest.raises(ValueError, match="dtype argument to `normal` must be a float or "
                                         "complex dtype, got int32"):
        random.normal(KEY, dtype=np.int32)
    assert random.normal(KEY, (2,), np.complex64).dtype == np.complex64


def test_integer_dtype_errors() -> None:
    with pytest.raises(TypeError, match="randint only accepts integer dtypes, got float32"):
        random.randint(KEY, (3,), 0, 10, np.float32)
    with pytest.raises(ValueError, match="dtype argument to `bits` must be an unsigned int "
                                         "dtype, got int32"):
        random.bits(KEY, (3,), np.int32)


def test_default_dtypes_follow_x64() -> None:
    assert random.uniform(KEY).dtype == np.float32
    assert random.randint(KEY, (2,), 0, 3).dtype == np.int32
    assert random.bits(KEY).dtype == np.uint32
    assert random.poisson(KEY, 2.0, (2,)).dtype == np.int32
    with kiln.enable_x64():
        assert random.uniform(KEY).dtype == np.float64
        assert random.normal(KEY).dtype == np.float64
        assert random.randint(KEY, (2,), 0, 3).dtype == np.int64
        assert random.bits(KEY).dtype == np.uint64
        assert random.choice(KEY, 3, (2,)).dtype == np.int64
        assert random.uniform(KEY, dtype=np.float32).dtype == np.float32


def test_64_bit_dtypes_without_x64_warn_and_truncate() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x = random.uniform(KEY, (2,), np.float64)
    assert x.dtype == np.float32
    assert any("Explicitly requested dtype float64 is not available" in str(w.message)
               for w in caught)


def test_shapes_and_parameter_broadcasting() -> None:
    assert random.normal(KEY, 3).shape == (3,)
    assert random.uniform(KEY, (2, 3), minval=np.zeros(3, np.float32)).shape == (2, 3)
    assert random.truncated_normal(KEY, np.zeros(4, np.float32), 1.0).shape == (4,)
    assert random.bernoulli(KEY, np.full((2, 2), 0.5, np.float32)).shape == (2, 2)
    assert random.gamma(KEY, np.ones((3, 1), np.float32), (3, 4)).shape == (3, 4)
    assert random.dirichlet(KEY, np.ones((2, 5), np.float32)).shape == (2, 5)
    assert random.categorical(KEY, np.zeros((2, 4), np.float32), axis=0).shape == (4,)
    assert random.multinomial(KEY, 5.0, np.ones(3, np.float32) / 3).shape == (3,)
    assert random.orthogonal(KEY, 3, m=2).shape == (3, 2)
    assert random.orthogonal(KEY, 2, m=3).shape == (2, 3)
    assert random.ball(KEY, 3, shape=(5,)).shape == (5, 3)
    with pytest.raises(ValueError, match=r"Incompatible shapes for broadcasting: "
                                         r"shapes=\[\(2,\), \(3,\)\]"):
        random.bernoulli(KEY, np.full(3, 0.5, np.float32), (2,))
    with pytest.raises(ValueError, match=r"bernoulli parameter shapes must be broadcast-"
                                         r"compatible with shape argument, and the result of "
                                         r"broadcasting the shapes must equal the shape "
                                         r"argument, but got result \(2, 3\) for shape "
                                         r"argument \(2, 1\)."):
        random.bernoulli(KEY, np.full(3, 0.5, np.float32), (2, 1))


def test_argument_errors_are_jaxs() -> None:
    with pytest.raises(ValueError, match=r"Cannot take a larger sample \(size 5\) than "
                                         r"population \(size 3\) when 'replace=False'"):
        random.choice(KEY, 3, (5,), replace=False)
    with pytest.raises(ValueError, match="a must be greater than 0 unless no samples"):
        random.choice(KEY, np.zeros((0,), np.float32), (1,))
    with pytest.raises(TypeError, match="x must be an integer or at least 1-dimensional"):
        random.permutation(KEY, 2.5)
    with pytest.raises(ValueError, match="got mode='x', expected 'high' or 'low'"):
        random.bernoulli(KEY, 0.5, (3,), mode="x")
    with pytest.raises(ValueError, match=r"Number of samples without replacement \(5\) cannot "
                                         r"exceed number of categories \(3\)"):
        random.categorical(KEY, np.zeros(3, np.float32), shape=(5,), replace=False)
    with pytest.raises(NotImplementedError, match="method='cholesky'"):
        random.multivariate_normal(KEY, np.zeros(2), np.eye(2), method="svd")


def test_out_sharding_is_accepted() -> None:
    np.testing.assert_array_equal(random.normal(KEY, (2,), out_sharding=None),
                                  random.normal(KEY, (2,)))


def test_samples_have_the_right_moments() -> None:
    n = 20000
    k1, k2, k3, k4, k5 = random.split(KEY, 5)
    u = np.asarray(random.uniform(k1, (n,)))
    assert 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.01
    x = np.asarray(random.normal(k2, (n,)))
    assert abs(x.mean()) < 0.03 and abs(x.std() - 1) < 0.03
    g = np.asarray(random.gamma(k3, 3.0, (n,)))
    assert abs(g.mean() - 3.0) < 0.1 and abs(g.var() - 3.0) < 0.25
    p = np.asarray(random.poisson(k4, 4.0, (n,)))
    assert abs(p.mean() - 4.0) < 0.1
    b = np.asarray(random.binomial(k5, 30.0, 0.2, (n,)))
    assert abs(b.mean() - 6.0) < 0.1 and b.min() >= 0 and b.max() <= 30


def test_truncated_normal_stays_inside_its_bounds() -> None:
    x = np.asarray(random.truncated_normal(KEY, -0.5, 0.25, (5000,)))
    assert x.min() > -0.5 and x.max() < 0.25


def test_permutation_is_a_permutation() -> None:
    assert sorted(np.asarray(random.permutation(KEY, 100)).tolist()) == list(range(100))
    x = np.arange(12).reshape(3, 4)
    y = np.asarray(random.permutation(KEY, x, axis=1))
    perm = y[0]
    assert sorted(perm.tolist()) == [0, 1, 2, 3] and (y == x[:, perm]).all()


def test_randint_covers_its_range() -> None:
    x = np.asarray(random.randint(KEY, (5000,), -3, 4))
    assert x.min() == -3 and x.max() == 3
    y = np.asarray(random.randint(KEY, (5000,), 0, 256, np.uint8))
    assert y.dtype == np.uint8 and y.max() == 255


def test_orthogonal_is_orthogonal() -> None:
    q = np.asarray(random.orthogonal(KEY, 4, (2,)))
    for m in q:
        np.testing.assert_allclose(m @ m.T, np.eye(4), atol=1e-5)


def test_multivariate_normal_has_the_covariance() -> None:
    cov = np.array([[2.0, 0.6], [0.6, 1.0]], np.float32)
    x = np.asarray(random.multivariate_normal(KEY, np.zeros(2, np.float32), cov, (20000,)))
    np.testing.assert_allclose(np.cov(x.T), cov, atol=0.06)


def test_dirichlet_rows_sum_to_one() -> None:
    x = np.asarray(random.dirichlet(KEY, np.array([0.5, 1.0, 2.0], np.float32), (100,)))
    np.testing.assert_allclose(x.sum(-1), 1.0, rtol=1e-5)


def test_public_names_match_jax() -> None:
    jax_names = {
        "PRNGKey", "ball", "bernoulli", "beta", "binomial", "bits", "categorical", "cauchy",
        "chisquare", "choice", "clone", "dirichlet", "double_sided_maxwell", "exponential",
        "f", "fold_in", "gamma", "generalized_normal", "geometric", "gumbel", "key",
        "key_data", "key_dtype", "key_impl", "laplace", "loggamma", "logistic", "lognormal",
        "maxwell", "multinomial", "multivariate_normal", "normal", "orthogonal", "pareto",
        "permutation", "poisson", "rademacher", "randint", "random_gamma_p", "rayleigh",
        "split", "t", "triangular", "truncated_normal", "uniform", "wald", "weibull_min",
        "wrap_key_data"}
    assert jax_names <= set(dir(random))
