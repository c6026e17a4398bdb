"""kiln.random: JAX's counter-based PRNG (threefry2x32), bit-exact with JAX 0.10.2.

Keys are explicit: make one with :func:`key` (typed) or :func:`PRNGKey` (legacy uint32[2]),
:func:`split` it into subkeys, and pass a subkey to each sampler. Every sampler reproduces
JAX's numbers in both ``jax_threefry_partitionable`` modes, on every backend.
"""

from kiln.random.distributions.continuous import (  # noqa: F401
    cauchy,
    double_sided_maxwell,
    exponential,
    gumbel,
    laplace,
    logistic,
    lognormal,
    maxwell,
    normal,
    pareto,
    rayleigh,
    triangular,
    truncated_normal,
    uniform,
    wald,
    weibull_min,
)
from kiln.random.distributions.counts import (  # noqa: F401
    binomial,
    multinomial,
    poisson,
    random_binomial_p,
    random_poisson_p,
)
from kiln.random.distributions.discrete import (  # noqa: F401
    bernoulli,
    categorical,
    choice,
    geometric,
    permutation,
    rademacher,
    randint,
)
from kiln.random.distributions.gamma import (  # noqa: F401
    ball,
    beta,
    chisquare,
    dirichlet,
    f,
    gamma,
    generalized_normal,
    loggamma,
    random_gamma_p,
    t,
)
from kiln.random.distributions.multivariate import (  # noqa: F401
    multivariate_normal,
    orthogonal,
)
from kiln.random.keys import (  # noqa: F401
    PRNGKey,
    PRNGKeyArray,
    bits,
    clone,
    fold_in,
    key,
    key_data,
    key_dtype,
    key_impl,
    split,
    wrap_key_data,
)
from kiln.random.threefry import threefry2x32_p  # noqa: F401
