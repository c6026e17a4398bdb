"""kiln.scipy.special: special functions, as in ``jax.scipy.special``.

Written with kiln.numpy and the special-function primitives of kiln.lax (``lgamma``,
``digamma``, ``igamma``, ``erf_inv``, ``bessel_i0e``...), in JAX's stable formulations:
``logsumexp`` subtracts the maximum, ``xlogy`` is 0 where ``x`` is 0, ``log_ndtr`` switches
to an asymptotic series in the far tail.
"""

from __future__ import annotations

import math
import operator
from fractions import Fraction
from typing import Any

import numpy as np

import kiln.numpy as jnp
from kiln import lax
from kiln.core import dtypes
from kiln.numpy import promotion
from kiln.numpy.promotion import check_arraylike
from kiln.numpy.reductions import reduction_dims


def _inexact(name: str, *args: Any) -> list[Any]:
    check_arraylike(name, *args)
    return [promotion._as_array(a) for a in promotion.promote_args_inexact(name, *args)]


_const = promotion.scalar_like  # weakly typed when x is, as JAX's constants


def logsumexp(a: Any, axis: Any = None, b: Any = None, keepdims: bool = False,
              return_sign: bool = False, where: Any = None) -> Any:
    """``log(sum(b * exp(a)))`` over ``axis``, computed without overflow; with
    ``return_sign``, also the sign of the sum (else a negative sum gives NaN)."""
    if b is not None:
        a_arr, b_arr = _inexact("logsumexp", a, b)
        a_arr = jnp.where(b_arr != 0, a_arr, -jnp.inf)
    else:
        (a_arr,) = _inexact("logsumexp", a)
        b_arr = None
    dims = reduction_dims(a_arr.ndim, axis)
    amax = jnp.max(jnp.real(a_arr), axis=dims, keepdims=keepdims, where=where,
                   initial=-jnp.inf)
    amax = lax.stop_gradient(lax.select(jnp.isfinite(amax), amax, lax.full_like(amax, 0)))
    amax_with_dims = amax if keepdims else lax.expand_dims(amax, dims)
    exp_a = lax.exp(lax.sub(a_arr, amax_with_dims.astype(a_arr.dtype)))
    if b_arr is not None:
        exp_a = lax.mul(exp_a, b_arr)
    sumexp = jnp.sum(exp_a, axis=dims, keepdims=keepdims, where=where)
    sign = lax.sign(sumexp)
    if return_sign or not dtypes.is_complex(a_arr.dtype):
        sumexp = jnp.abs(sumexp)
    out = lax.add(lax.log(sumexp), amax.astype(sumexp.dtype))
    if return_sign:
        return out, sign
    if b_arr is not None and not dtypes.is_complex(out.dtype):
        out = jnp.where(sign < 0, jnp.array(np.nan, dtype=out.dtype), out)
    return out


def softmax(x: Any, /, *, axis: int | tuple[int, ...] | None = None) -> Any:
    """``kiln.nn.softmax`` over ``axis`` (all axes by default)."""
    from kiln.nn import softmax as nn_softmax

    return nn_softmax(x, axis=axis)


def log_softmax(x: Any, /, *, axis: int | tuple[int, ...] | None = None) -> Any:
    """``kiln.nn.log_softmax`` over ``axis`` (all axes by default)."""
    from kiln.nn import log_softmax as nn_log_softmax

    return nn_log_softmax(x, axis=axis)


def erf(x: Any) -> Any:
    """The error function."""
    (x,) = _inexact("erf", x)
    return lax.erf(x)


def erfc(x: Any) -> Any:
    """The complementary error function ``1 - erf(x)``."""
    (x,) = _inexact("erfc", x)
    return lax.erfc(x)


def erfinv(x: Any) -> Any:
    """The inverse error function."""
    (x,) = _inexact("erfinv", x)
    return lax.erf_inv(x)


def expit(x: Any) -> Any:
    """The logistic sigmoid ``1 / (1 + exp(-x))``."""
    (x,) = _inexact("expit", x)
    return lax.logistic(x)


def logit(x: Any) -> Any:
    """The inverse of expit: ``log(x / (1 - x))``."""
    (x,) = _inexact("logit", x)
    return lax.log(lax.div(x, lax.sub(_const(x, 1), x)))


def gammaln(x: Any) -> Any:
    """``log(|gamma(x)|)``."""
    (x,) = _inexact("gammaln", x)
    return lax.lgamma(x)


def loggamma(x: Any) -> Any:
    """``log(gamma(x))`` for real ``x`` (NaN where gamma is negative)."""
    (x,) = _inexact("loggamma", x)
    if dtypes.is_complex(x.dtype):
        raise NotImplementedError("loggamma of complex values is not available in kiln")
    return jnp.where(gammasgn(x) < 0, jnp.nan, lax.lgamma(x))


def gammasgn(x: Any) -> Any:
    """The sign of the gamma function (NaN at the poles, the sign of zero at 0)."""
    (x,) = _inexact("gammasgn", x)
    floor_x = lax.floor(x)
    zero = _const(x, 0)
    negative = lax.lt(x, zero)
    at_pole = lax.bitwise_and(negative, lax.eq(x, floor_x))
    odd = lax.ne(lax.rem(floor_x, _const(x, 2)), zero)
    sign = jnp.where(negative & odd, -1.0, 1.0).astype(x.dtype)
    sign = jnp.where(lax.eq(x, zero), jnp.where(jnp.signbit(x), -1.0, 1.0), sign)
    return jnp.where(at_pole | lax.ne(x, x), jnp.nan, sign).astype(x.dtype)


def gamma(x: Any) -> Any:
    """The gamma function."""
    (x,) = _inexact("gamma", x)
    return gammasgn(x) * lax.exp(lax.lgamma(x))


def digamma(x: Any) -> Any:
    """The digamma function, the derivative of ``gammaln``."""
    (x,) = _inexact("digamma", x)
    return lax.digamma(x)


def polygamma(n: Any, x: Any) -> Any:
    """The ``n``-th derivative of digamma (``n`` a non-negative integer)."""
    check_arraylike("polygamma", n, x)
    n_dt = dtypes.dtype(n)
    if not (dtypes.is_int(n_dt) or n_dt == dtypes.bool_ or (
            isinstance(n, (int, float)) and float(n) == int(n))):
        raise ValueError(f"Argument `n` to polygamma must be of integer type. Got dtype "
                         f"{n_dt}.")
    n_arr, x_arr = _inexact("polygamma", n, x)
    return lax.polygamma(n_arr, x_arr)


def betaln(a: Any, b: Any) -> Any:
    """``log(|beta(a, b)|)``."""
    a, b = _inexact("betaln", a, b)
    return lax.lgamma(a) + lax.lgamma(b) - lax.lgamma(a + b)


def beta(a: Any, b: Any) -> Any:
    """The beta function ``gamma(a) gamma(b) / gamma(a + b)``."""
    a, b = _inexact("beta", a, b)
    sign = gammasgn(a) * gammasgn(b) * gammasgn(a + b)
    return sign * lax.exp(betaln(a, b))


def betainc(a: Any, b: Any, x: Any) -> Any:
    """The regularized incomplete beta function ``I_x(a, b)``."""
    a, b, x = _inexact("betainc", a, b, x)
    return lax.betainc(a, b, x)


def gammainc(a: Any, x: Any) -> Any:
    """The regularized lower incomplete gamma function ``P(a, x)``."""
    a, x = _inexact("gammainc", a, x)
    return lax.igamma(a, x)


def gammaincc(a: Any, x: Any) -> Any:
    """The regularized upper incomplete gamma function ``Q(a, x)``."""
    a, x = _inexact("gammaincc", a, x)
    return lax.igammac(a, x)


def zeta(x: Any, q: Any = None) -> Any:
    """The Hurwitz zeta function ``sum((k + q) ** -x)`` (``q`` is required)."""
    if q is None:
        raise NotImplementedError("Riemann zeta function not implemented; pass q != None to "
                                  "compute the Hurwitz Zeta function.")
    x, q = _inexact("zeta", x, q)
    return lax.zeta(x, q)


def i0e(x: Any) -> Any:
    """The exponentially scaled modified Bessel function of order 0."""
    (x,) = _inexact("i0e", x)
    return lax.bessel_i0e(x)


def i0(x: Any) -> Any:
    """The modified Bessel function of the first kind, order 0."""
    (x,) = _inexact("i0", x)
    return lax.exp(lax.abs(x)) * lax.bessel_i0e(x)


def i1e(x: Any) -> Any:
    """The exponentially scaled modified Bessel function of order 1."""
    (x,) = _inexact("i1e", x)
    return lax.bessel_i1e(x)


def i1(x: Any) -> Any:
    """The modified Bessel function of the first kind, order 1."""
    (x,) = _inexact("i1", x)
    return lax.exp(lax.abs(x)) * lax.bessel_i1e(x)


def xlogy(x: Any, y: Any) -> Any:
    """``x * log(y)``, 0 where ``x`` is 0."""
    x, y = _inexact("xlogy", x, y)
    return jnp.where(x != 0, lax.mul(x, lax.log(y)), jnp.zeros_like(x))


def xlog1py(x: Any, y: Any) -> Any:
    """``x * log1p(y)``, 0 where ``x`` is 0."""
    x, y = _inexact("xlog1py", x, y)
    return jnp.where(x != 0, lax.mul(x, lax.log1p(y)), jnp.zeros_like(x))


def entr(x: Any) -> Any:
    """Elementwise entropy: ``-x log(x)`` (0 at 0, -inf for negative ``x``)."""
    (x,) = _inexact("entr", x)
    return jnp.where(x < 0, -jnp.inf, -xlogy(x, x))


def rel_entr(p: Any, q: Any) -> Any:
    """Elementwise relative entropy ``p log(p / q)``."""
    p, q = _inexact("rel_entr", p, q)
    zero = _const(p, 0)
    both_positive = (p > zero) & (q > zero)
    one_zero = (p == zero) & (q >= zero)
    safe_p = jnp.where(both_positive, p, 1)
    safe_q = jnp.where(both_positive, q, 1)
    log_val = xlogy(safe_p, safe_p) - xlogy(safe_p, safe_q)
    return jnp.where(both_positive, log_val, jnp.where(one_zero, zero, jnp.inf))


def kl_div(p: Any, q: Any) -> Any:
    """Elementwise Kullback-Leibler divergence ``p log(p / q) - p + q``."""
    p, q = _inexact("kl_div", p, q)
    zero = _const(p, 0)
    both_positive = (p > zero) & (q > zero)
    one_zero = (p == zero) & (q >= zero)
    safe_p = jnp.where(both_positive, p, 1)
    safe_q = jnp.where(both_positive, q, 1)
    log_val = xlogy(safe_p, safe_p) - xlogy(safe_p, safe_q) + safe_q - safe_p
    return jnp.where(both_positive, log_val, jnp.where(one_zero, q, jnp.inf))


def ndtr(x: Any) -> Any:
    """The standard normal CDF."""
    (x,) = _inexact("ndtr", x)
    x = lax.convert_element_type(x, x.dtype)  # JAX's result is strongly typed
    half_sqrt_2 = _const(x, 0.5 * np.sqrt(2.0))
    w = x * half_sqrt_2
    z = lax.abs(w)
    y = lax.select(lax.lt(z, half_sqrt_2), _const(x, 1) + lax.erf(w),
                   lax.select(lax.gt(w, _const(x, 0)), _const(x, 2) - lax.erfc(z),
                              lax.erfc(z)))
    return _const(x, 0.5) * y


def ndtri(p: Any) -> Any:
    """The inverse of the standard normal CDF, ``sqrt(2) * erfinv(2p - 1)`` (kiln's
    formulation; JAX's rational approximation agrees to a few ulps)."""
    (p,) = _inexact("ndtri", p)
    p = lax.convert_element_type(p, p.dtype)  # JAX's result is strongly typed
    return _const(p, np.sqrt(2.0)) * lax.erf_inv(_const(p, 2) * p - _const(p, 1))


def log_ndtr(x: Any, series_order: int = 3) -> Any:
    """``log(ndtr(x))``, accurate far into both tails (an asymptotic series of
    ``series_order`` terms below the lower cut)."""
    series_order = operator.index(series_order)
    if series_order < 0:
        raise ValueError("series_order must be non-negative.")
    if series_order > 30:
        raise ValueError("series_order must be <= 30.")
    (x,) = _inexact("log_ndtr", x)
    x = lax.convert_element_type(x, x.dtype)  # JAX's result is strongly typed
    if x.dtype == dtypes.float64:
        lower, upper = -20.0, 8.0
    elif x.dtype == dtypes.float32:
        lower, upper = -10.0, 5.0
    else:
        raise TypeError(f"x.dtype={x.dtype} is not supported.")
    lower_c, upper_c = _const(x, lower), _const(x, upper)
    return jnp.where(x > upper_c, -ndtr(-x),
                     jnp.where(x > lower_c, lax.log(ndtr(lax.max(x, lower_c))),
                               _log_ndtr_lower(lax.min(x, lower_c), series_order)))


def _log_ndtr_lower(x: Any, series_order: int) -> Any:
    x_2 = lax.square(x)
    log_scale = -0.5 * x_2 - lax.log(-x) - _const(x, 0.5 * np.log(2.0 * np.pi))
    return log_scale + lax.log(_log_ndtr_series(x, series_order))


def _log_ndtr_series(x: Any, series_order: int) -> Any:
    x_2 = lax.square(x)
    even_sum = jnp.zeros_like(x)
    odd_sum = jnp.zeros_like(x)
    x_2n = x_2
    for n in range(1, series_order + 1):
        y = _const(x, float(np.prod(np.arange(2 * n - 1, 0, -2)))) / x_2n
        if n % 2:
            odd_sum = odd_sum + y
        else:
            even_sum = even_sum + y
        x_2n = x_2n * x_2
    return _const(x, 1) + even_sum - odd_sum


def multigammaln(a: Any, d: Any) -> Any:
    """The log of the multivariate gamma function of dimension ``d``."""
    d = operator.index(d)
    (a,) = _inexact("multigammaln", a)
    constant = _const(a, 0.25 * d * (d - 1) * np.log(np.pi))
    b = jnp.arange(d, dtype=a.dtype) / 2
    res = jnp.sum(gammaln(jnp.expand_dims(a, -1) - jnp.expand_dims(b, tuple(range(a.ndim)))),
                  axis=-1)
    return res + constant


def factorial(n: Any, exact: bool = False) -> Any:
    """``n!`` via the gamma function (0 for negative ``n``)."""
    if exact:
        raise NotImplementedError("factorial with exact=True")
    (n,) = _inexact("factorial", n)
    return jnp.where(n < 0, 0, lax.exp(lax.lgamma(n + _const(n, 1))))


def comb(N: Any, k: Any, *, repetition: bool = False) -> Any:
    """The number of combinations of ``N`` things taken ``k`` at a time."""
    N, k = _inexact("comb", N, k)
    if repetition:
        N = N + k - 1
    one = _const(N, 1)
    valid = (k >= 0) & (k <= N) & (N >= 0)
    return jnp.where(valid, lax.exp(lax.lgamma(N + one) - lax.lgamma(k + one)
                                    - lax.lgamma(N - k + one)), 0)


def poch(z: Any, m: Any) -> Any:
    """The Pochhammer symbol ``gamma(z + m) / gamma(z)``."""
    z, m = _inexact("poch", z, m)
    return jnp.where(m == 0.0, jnp.array(1, dtype=z.dtype), gamma(z + m) / gamma(z))


def boxcox(x: Any, lmbda: Any) -> Any:
    """The Box-Cox transformation ``(x**lmbda - 1) / lmbda`` (``log(x)`` at 0)."""
    x, lmbda = _inexact("boxcox", x, lmbda)
    return jnp.where(lmbda == 0, jnp.log(x), jnp.expm1(lmbda * jnp.log(x)) /
                     jnp.where(lmbda == 0, 1, lmbda))


def boxcox1p(x: Any, lmbda: Any) -> Any:
    """The Box-Cox transformation of ``1 + x``."""
    x, lmbda = _inexact("boxcox1p", x, lmbda)
    return jnp.where(lmbda == 0, jnp.log1p(x), jnp.expm1(lmbda * jnp.log1p(x)) /
                     jnp.where(lmbda == 0, 1, lmbda))


def bernoulli(n: int) -> Any:
    """The Bernoulli numbers ``B_0 .. B_n`` (with ``B_1 = -1/2``)."""
    n = operator.index(n)
    if n < 0:
        raise ValueError("n must be a non-negative integer.")
    numbers = [Fraction(1)]
    for m in range(1, n + 1):
        numbers.append(-sum(math.comb(m + 1, j) * numbers[j] for j in range(m)) / (m + 1))
    return jnp.array([float(b) for b in numbers],
                     dtype=dtypes.canonicalize_dtype(np.float64))
