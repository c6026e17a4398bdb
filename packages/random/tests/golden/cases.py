"""The sampler calls whose results are recorded from JAX (``record_golden.py``) and
compared with kiln's (``test_golden.py``).

Each case is ``name -> fn(random, key, np)``: ``random`` is ``jax.random`` or
``kiln.random``, ``key`` a legacy key (``PRNGKey(seed)``) and ``np`` NumPy, so the same code
runs against both libraries. ``X64_CASES`` run with ``jax_enable_x64`` on.
"""

from __future__ import annotations

# name -> (seed, fn)
CASES = {
    # keys
    "prngkey_42": (42, lambda r, k, np: r.PRNGKey(42)),
    "prngkey_neg1": (0, lambda r, k, np: r.PRNGKey(-1)),
    "prngkey_int8": (0, lambda r, k, np: r.PRNGKey(np.int8(-3))),
    "prngkey_big": (0, lambda r, k, np: r.PRNGKey(2**40 + 5)),
    "split_2": (42, lambda r, k, np: r.split(k)),
    "split_5": (0, lambda r, k, np: r.split(k, 5)),
    "split_2x3": (1, lambda r, k, np: r.split(k, (2, 3))),
    "split_1": (7, lambda r, k, np: r.split(k, 1)),
    "split_tutorial": (18, lambda r, k, np: r.split(k)),
    "fold_in_7": (42, lambda r, k, np: r.fold_in(k, 7)),
    "fold_in_u32max": (3, lambda r, k, np: r.fold_in(k, np.uint32(2**32 - 1))),
    "fold_in_int8": (3, lambda r, k, np: r.fold_in(k, np.int8(-1))),
    "bits_u32": (0, lambda r, k, np: r.bits(k, (5,))),
    "bits_u32_odd": (1, lambda r, k, np: r.bits(k, (3, 3))),
    "bits_u8": (0, lambda r, k, np: r.bits(k, (7,), np.uint8)),
    "bits_u16": (0, lambda r, k, np: r.bits(k, (5,), np.uint16)),
    "bits_scalar": (2, lambda r, k, np: r.bits(k)),
    # continuous
    "uniform": (0, lambda r, k, np: r.uniform(k, (10,))),
    "uniform_minmax": (1, lambda r, k, np: r.uniform(k, (2, 3), minval=-2.0, maxval=5.0)),
    "uniform_arr_bounds": (2, lambda r, k, np: r.uniform(
        k, (2, 3), minval=np.array([0.0, 1.0, 2.0], np.float32), maxval=3.0)),
    "uniform_bf16": (3, lambda r, k, np: r.uniform(k, (6,), dtype=np.dtype("bfloat16"))),
    "uniform_f16": (3, lambda r, k, np: r.uniform(k, (6,), dtype=np.float16)),
    "uniform_scalar": (4, lambda r, k, np: r.uniform(k)),
    "normal": (0, lambda r, k, np: r.normal(k, (10,))),
    "normal_2d": (5, lambda r, k, np: r.normal(k, (3, 4))),
    "normal_scalar": (0, lambda r, k, np: r.normal(k)),
    "normal_c64": (6, lambda r, k, np: r.normal(k, (4,), np.complex64)),
    "normal_bf16": (6, lambda r, k, np: r.normal(k, (4,), np.dtype("bfloat16"))),
    "normal_tutorial": (18, lambda r, k, np: r.normal(list(r.split(k))[1])),
    "truncated_normal": (7, lambda r, k, np: r.truncated_normal(k, -1.0, 2.0, (8,))),
    "truncated_normal_arr": (7, lambda r, k, np: r.truncated_normal(
        k, np.array([-3.0, 0.0, 1.0], np.float32), 3.0)),
    "exponential": (8, lambda r, k, np: r.exponential(k, (8,))),
    "laplace": (9, lambda r, k, np: r.laplace(k, (8,))),
    "logistic": (10, lambda r, k, np: r.logistic(k, (8,))),
    "gumbel": (11, lambda r, k, np: r.gumbel(k, (8,))),
    "gumbel_high": (11, lambda r, k, np: r.gumbel(k, (8,), mode="high")),
    "cauchy": (12, lambda r, k, np: r.cauchy(k, (8,))),
    "pareto": (13, lambda r, k, np: r.pareto(k, 2.0, (8,))),
    "pareto_arr": (13, lambda r, k, np: r.pareto(k, np.array([1.0, 3.0], np.float32))),
    "weibull_min": (14, lambda r, k, np: r.weibull_min(k, 2.0, 3.0, (8,))),
    "rayleigh": (15, lambda r, k, np: r.rayleigh(k, 2.0, (8,))),
    "wald": (16, lambda r, k, np: r.wald(k, 2.0, (8,))),
    "maxwell": (17, lambda r, k, np: r.maxwell(k, (8,))),
    "double_sided_maxwell": (18, lambda r, k, np: r.double_sided_maxwell(k, 1.0, 2.0, (8,))),
    "lognormal": (19, lambda r, k, np: r.lognormal(k, 0.5, (8,))),
    "triangular": (20, lambda r, k, np: r.triangular(k, 0.0, 0.3, 1.0, (8,))),
    # discrete
    "randint": (0, lambda r, k, np: r.randint(k, (10,), 0, 10)),
    "randint_neg": (1, lambda r, k, np: r.randint(k, (3, 4), -100, 7)),
    "randint_u8": (2, lambda r, k, np: r.randint(k, (8,), 0, 256, np.uint8)),
    "randint_i8": (2, lambda r, k, np: r.randint(k, (8,), -5, 10, np.int8)),
    "randint_u32": (3, lambda r, k, np: r.randint(k, (8,), 0, 10, np.uint32)),
    "randint_empty_range": (4, lambda r, k, np: r.randint(k, (4,), 5, 5)),
    "randint_arr": (5, lambda r, k, np: r.randint(
        k, (2, 3), np.array([0, 10, 100], np.int32), np.array([5, 20, 1000], np.int32))),
    "randint_full": (6, lambda r, k, np: r.randint(k, (6,), -2**31, 2**31 - 1)),
    "bernoulli": (0, lambda r, k, np: r.bernoulli(k, 0.3, (10,))),
    "bernoulli_arr": (1, lambda r, k, np: r.bernoulli(k, np.array([0.1, 0.5, 0.9], np.float32))),
    "bernoulli_high": (2, lambda r, k, np: r.bernoulli(k, 0.3, (10,), mode="high")),
    "rademacher": (3, lambda r, k, np: r.rademacher(k, (10,))),
    "rademacher_f32": (3, lambda r, k, np: r.rademacher(k, (10,), np.float32)),
    "geometric": (4, lambda r, k, np: r.geometric(k, 0.3, (10,))),
    "categorical": (0, lambda r, k, np: r.categorical(
        k, np.log(np.array([0.1, 0.2, 0.3, 0.4], np.float32)), shape=(10,))),
    "categorical_batch": (1, lambda r, k, np: r.categorical(
        k, np.arange(12, dtype=np.float32).reshape(3, 4) / 4.0)),
    "categorical_axis0": (2, lambda r, k, np: r.categorical(
        k, np.arange(12, dtype=np.float32).reshape(3, 4) / 4.0, axis=0, shape=(2, 4))),
    "categorical_noreplace": (3, lambda r, k, np: r.categorical(
        k, np.zeros((6,), np.float32), shape=(4,), replace=False)),
    "categorical_noreplace_batch": (4, lambda r, k, np: r.categorical(
        k, np.zeros((2, 6), np.float32), shape=(3, 2), replace=False)),
    "choice_int": (0, lambda r, k, np: r.choice(k, 5, (10,))),
    "choice_arr": (1, lambda r, k, np: r.choice(
        k, np.arange(10, dtype=np.float32).reshape(5, 2), (3,))),
    "choice_axis1": (2, lambda r, k, np: r.choice(
        k, np.arange(10, dtype=np.float32).reshape(2, 5), (4,), axis=1)),
    "choice_noreplace": (3, lambda r, k, np: r.choice(k, 10, (4,), replace=False)),
    "choice_noreplace_arr": (4, lambda r, k, np: r.choice(
        k, np.arange(10, dtype=np.float32) * 2, (2, 2), replace=False)),
    "choice_noreplace_2d": (4, lambda r, k, np: r.choice(
        k, np.arange(12, dtype=np.float32).reshape(4, 3), (2,), replace=False)),
    "choice_p": (5, lambda r, k, np: r.choice(
        k, 4, (12,), p=np.array([0.1, 0.2, 0.3, 0.4], np.float32))),
    "choice_p_noreplace": (6, lambda r, k, np: r.choice(
        k, 5, (3,), replace=False, p=np.array([0.1, 0.2, 0.3, 0.2, 0.2], np.float32))),
    "choice_p_arr": (7, lambda r, k, np: r.choice(
        k, np.arange(5, dtype=np.float32) * 3, (2, 3),
        p=np.array([0.5, 0.1, 0.1, 0.1, 0.2], np.float32))),
    "permutation_int": (0, lambda r, k, np: r.permutation(k, 10)),
    "permutation_arr": (1, lambda r, k, np: r.permutation(k, np.arange(8, dtype=np.float32))),
    "permutation_2d": (2, lambda r, k, np: r.permutation(
        k, np.arange(12, dtype=np.int32).reshape(4, 3))),
    "permutation_axis1": (3, lambda r, k, np: r.permutation(
        k, np.arange(12, dtype=np.int32).reshape(3, 4), axis=1)),
    "permutation_independent": (4, lambda r, k, np: r.permutation(
        k, np.arange(12, dtype=np.int32).reshape(3, 4), axis=1, independent=True)),
    "permutation_big": (5, lambda r, k, np: r.permutation(k, 3000)),
    # gamma family and loops
    "gamma": (0, lambda r, k, np: r.gamma(k, 2.0, (8,))),
    "gamma_small": (1, lambda r, k, np: r.gamma(k, 0.3, (8,))),
    "gamma_arr": (2, lambda r, k, np: r.gamma(k, np.array([0.5, 1.0, 5.0, 50.0], np.float32))),
    "loggamma": (3, lambda r, k, np: r.loggamma(k, 0.1, (8,))),
    "beta": (4, lambda r, k, np: r.beta(k, 2.0, 3.0, (8,))),
    "dirichlet": (5, lambda r, k, np: r.dirichlet(
        k, np.array([1.0, 2.0, 3.0], np.float32), (4,))),
    "chisquare": (6, lambda r, k, np: r.chisquare(k, 3.0, (8,))),
    "f": (7, lambda r, k, np: r.f(k, 2.0, 3.0, (8,))),
    "t": (8, lambda r, k, np: r.t(k, 4.0, (8,))),
    "generalized_normal": (9, lambda r, k, np: r.generalized_normal(k, 1.5, (8,))),
    "ball": (10, lambda r, k, np: r.ball(k, 3, 2, (4,))),
    "poisson": (0, lambda r, k, np: r.poisson(k, 3.0, (10,))),
    "poisson_large": (1, lambda r, k, np: r.poisson(k, 40.0, (10,))),
    "poisson_arr": (2, lambda r, k, np: r.poisson(
        k, np.array([0.0, 0.5, 5.0, 15.0, 200.0], np.float32))),
    "binomial": (0, lambda r, k, np: r.binomial(k, 5.0, 0.3, (10,))),
    "binomial_large": (1, lambda r, k, np: r.binomial(k, 100.0, 0.4, (10,))),
    "binomial_arr": (2, lambda r, k, np: r.binomial(
        k, np.array([3.0, 20.0, 50.0, 1000.0], np.float32),
        np.array([0.9, 0.5, 0.05, 0.7], np.float32))),
    "multinomial": (0, lambda r, k, np: r.multinomial(
        k, 10.0, np.array([0.2, 0.3, 0.5], np.float32))),
    "multinomial_shape": (1, lambda r, k, np: r.multinomial(
        k, 20.0, np.array([0.1, 0.6, 0.3], np.float32), shape=(2, 3))),
    # linear algebra
    "multivariate_normal": (0, lambda r, k, np: r.multivariate_normal(
        k, np.array([1.0, -1.0], np.float32),
        np.array([[2.0, 0.5], [0.5, 1.0]], np.float32), (5,))),
    "orthogonal": (1, lambda r, k, np: r.orthogonal(k, 3, (2,))),
}

X64_CASES = {
    "x64_prngkey_big": (0, lambda r, k, np: r.PRNGKey(2**40 + 5)),
    "x64_prngkey_neg": (0, lambda r, k, np: r.PRNGKey(-5)),
    "x64_bits_u64": (0, lambda r, k, np: r.bits(k, (5,))),
    "x64_uniform": (0, lambda r, k, np: r.uniform(k, (6,))),
    "x64_uniform_f32": (0, lambda r, k, np: r.uniform(k, (6,), np.float32)),
    "x64_normal": (1, lambda r, k, np: r.normal(k, (6,))),
    "x64_normal_c128": (1, lambda r, k, np: r.normal(k, (3,), np.complex128)),
    "x64_randint": (2, lambda r, k, np: r.randint(k, (6,), -5, 1000)),
    "x64_randint_i64": (2, lambda r, k, np: r.randint(k, (6,), -2**40, 2**40, np.int64)),
    "x64_exponential": (3, lambda r, k, np: r.exponential(k, (6,))),
    "x64_gamma": (4, lambda r, k, np: r.gamma(k, 1.5, (6,))),
    "x64_permutation": (5, lambda r, k, np: r.permutation(k, 8)),
    "x64_choice": (6, lambda r, k, np: r.choice(k, 5, (6,))),
    "x64_bernoulli": (7, lambda r, k, np: r.bernoulli(k, 0.5, (6,))),
    "x64_poisson": (8, lambda r, k, np: r.poisson(k, 4.0, (6,))),
    "x64_categorical": (9, lambda r, k, np: r.categorical(k, np.zeros(5), shape=(6,))),
}
