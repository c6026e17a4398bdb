"""Continuous samplers built from uniform floats by a transformation: uniform, normal,
truncated_normal, exponential, laplace, logistic, gumbel, cauchy, pareto, weibull_min,
rayleigh, wald, maxwell, double_sided_maxwell, lognormal, triangular."""

from __future__ import annotations

from typing import Any

import numpy as np

from kiln import lax
from kiln.core import dtypes
from kiln.random.distributions import discrete
from kiln.random.distributions.common import (
    as_dtype,
    broadcast_shapes,
    broadcast_to,
    check_shape,
    const,
    float_dtype,
    jitted,
    param,
    shape_arg,
    shape_of,
    single_key,
    split2,
    uniform_floats,
)

_STATIC = dict(static_argnames=("shape", "dtype"))
_ONE_F32 = np.float32(1.0)


def _nextafter_minus_one(dtype: np.dtype) -> np.ndarray:
    """The float just above -1: ``nextafter(-1, 0)``."""
    return const(-(1 - float(dtypes.finfo(dtype).epsneg)), dtype)


# -- uniform -------------------------------------------------------------------------------------


@jitted(**_STATIC)
def _uniform(key: Any, minval: Any, maxval: Any, *, shape: tuple, dtype: np.dtype) -> Any:
    return uniform_floats(key, shape, dtype, minval, maxval)


def uniform(key: Any, shape: Any = (), dtype: Any = None, minval: Any = 0.0,
            maxval: Any = 1.0, *, out_sharding: Any = None) -> Any:
    """Uniform floats in ``[minval, maxval)`` of ``shape`` and float ``dtype``."""
    data = single_key("uniform", key)
    dtype = float_dtype("uniform", dtype)
    return _uniform(data, param(minval), param(maxval), shape=shape_arg("uniform", shape),
                    dtype=dtype)


# -- normal --------------------------------------------------------------------------------------


def normal_real(data: Any, shape: tuple, dtype: np.dtype) -> Any:
    u = uniform_floats(data, shape, dtype, _nextafter_minus_one(dtype), const(1, dtype))
    return lax.mul(const(np.sqrt(2), dtype), lax.erf_inv(u))


def normal_any(data: Any, shape: tuple, dtype: np.dtype) -> Any:
    if dtypes.is_complex(dtype):
        real = np.dtype(np.float64 if dtype == np.complex128 else np.float32)
        key_re, key_im = split2(data)
        x_re = lax.convert_element_type(normal_real(key_re, shape, real), dtype)
        x_im = lax.convert_element_type(normal_real(key_im, shape, real), dtype)
        z = lax.add(x_re, lax.mul(const(1j, dtype), x_im))
        return lax.div(z, const(np.sqrt(2), dtype))
    return normal_real(data, shape, dtype)


@jitted(**_STATIC)
def _normal(key: Any, *, shape: tuple, dtype: np.dtype) -> Any:
    return normal_any(key, shape, dtype)


def normal(key: Any, shape: Any = (), dtype: Any = None, *, out_sharding: Any = None) -> Any:
    """Standard normal samples (complex dtypes: real and imaginary parts each of variance
    1/2)."""
    data = single_key("normal", key)
    dtype = float_dtype("normal", dtype, allow_complex=True)
    return _normal(data, shape=shape_arg("normal", shape), dtype=dtype)


# -- truncated normal ----------------------------------------------------------------------------


@jitted(**_STATIC)
def _truncated_normal(key: Any, lower: Any, upper: Any, *, shape: tuple,
                      dtype: np.dtype) -> Any:
    sqrt2 = const(np.sqrt(2), dtype)
    lower = as_dtype(lower, dtype)
    upper = as_dtype(upper, dtype)
    a = lax.erf(lax.div(lower, sqrt2))
    b = lax.erf(lax.div(upper, sqrt2))
    u = uniform_floats(key, shape, dtype, a, b)
    out = lax.mul(sqrt2, lax.erf_inv(u))
    low = lax.nextafter(lax.stop_gradient(lower), const(np.inf, dtype))
    high = lax.nextafter(lax.stop_gradient(upper), const(-np.inf, dtype))
    return lax.min(high, lax.max(low, out))


def truncated_normal(key: Any, lower: Any, upper: Any, shape: Any = None,
                     dtype: Any = None, *, out_sharding: Any = None) -> Any:
    """Normal samples truncated to ``(lower, upper)`` (by inverting the CDF)."""
    data = single_key("truncated_normal", key)
    dtype = float_dtype("truncated_normal", dtype)
    lower, upper = param(lower), param(upper)
    if shape is None:
        shape = broadcast_shapes(np.shape(lower), np.shape(upper))
    else:
        shape = shape_arg("truncated_normal", shape)
        check_shape("truncated_normal", shape, np.shape(lower), np.shape(upper))
    return _truncated_normal(data, lower, upper, shape=shape, dtype=dtype)


# -- samplers that transform one array of uniforms -----------------------------------------------


def exponential_floats(data: Any, shape: tuple, dtype: np.dtype) -> Any:
    u = uniform_floats(data, shape, dtype, const(0, dtype), const(1, dtype))
    return lax.neg(lax.log1p(lax.neg(u)))


@jitted(**_STATIC)
def _exponential(key: Any, *, shape: tuple, dtype: np.dtype) -> Any:
    return exponential_floats(key, shape, dtype)


def exponential(key: Any, shape: Any = (), dtype: Any = None, *, out_sharding: Any = None) -> Any:
    """Standard exponential samples: ``-log(1 - U)``."""
    data = single_key("exponential", key)
    dtype = float_dtype("exponential", dtype)
    return _exponential(data, shape=shape_arg("exponential", shape), dtype=dtype)


@jitted(**_STATIC)
def _laplace(key: Any, *, shape: tuple, dtype: np.dtype) -> Any:
    u = uniform_floats(key, shape, dtype, _nextafter_minus_one(dtype), const(1, dtype))
    return lax.mul(lax.sign(u), lax.log1p(lax.neg(lax.abs(u))))


def laplace(key: Any, shape: Any = (), dtype: Any = None, *, out_sharding: Any = None) -> Any:
    """Standard Laplace samples."""
    data = single_key("laplace", key)
    dtype = float_dtype("laplace", dtype)
    return _laplace(data, shape=shape_arg("laplace", shape), dtype=dtype)


@jitted(**_STATIC)
def _logistic(key: Any, *, shape: tuple, dtype: np.dtype) -> Any:
    x = uniform_floats(key, shape, dtype, const(dtypes.finfo(dtype).tiny, dtype),
                       const(1, dtype))
    return lax.sub(lax.log(x), lax.log1p(lax.neg(x)))


def logistic(key: Any, shape: Any = (), dtype: Any = None, *, out_sharding: Any = None) -> Any:
    """Standard logistic samples: ``log(U / (1 - U))``."""
    data = single_key("logistic", key)
    dtype = float_dtype("logistic", dtype)
    return _logistic(data, shape=shape_arg("logistic", shape), dtype=dtype)


def gumbel_floats(data: Any, shape: tuple, dtype: np.dtype, mode: str) -> Any:
    info = dtypes.finfo(dtype)
    if mode == "high":
        u = uniform_floats(data, (2, *shape), dtype, const(0, dtype), const(1, dtype))
        n = len(shape_of(u))
        batch = shape_of(data)[:-1]
        nb = len(batch)
        full = shape_of(u)
        first = lax.slice(u, (0,) * n, (*full[:nb], 1, *full[nb + 1:]))
        second = lax.slice(u, (0,) * nb + (1,) + (0,) * (n - nb - 1), full)
        u1 = lax.reshape(first, (*batch, *shape))
        u2 = lax.reshape(second, (*batch, *shape))
        # For u1 < 1/2, add finer bits from u2 so that -log(1 - u) keeps its precision.
        fine = lax.add(lax.add(u1, lax.mul(const(info.eps, dtype), u2)),
                       const(info.tiny, dtype))
        u = lax.select(lax.ge(u1, const(0.5, dtype)), u1, fine)
        return lax.neg(lax.log(lax.neg(lax.log1p(lax.neg(u)))))
    u = uniform_floats(data, shape, dtype, const(info.tiny, dtype), const(1, dtype))
    return lax.neg(lax.log(lax.neg(lax.log(u))))


def check_mode(mode: Any) -> str:
    if mode is None:
        return "low"
    if mode not in ("high", "low"):
        raise ValueError(f"got mode={mode!r}, expected 'high' or 'low'")
    return mode


@jitted(static_argnames=("shape", "dtype", "mode"))
def _gumbel(key: Any, *, shape: tuple, dtype: np.dtype, mode: str) -> Any:
    return gumbel_floats(key, shape, dtype, mode)


def gumbel(key: Any, shape: Any = (), dtype: Any = None, mode: Any = None, *,
           out_sharding: Any = None) -> Any:
    """Standard Gumbel samples: ``-log(-log(U))``; ``mode='high'`` spends twice the random
    bits for more precision in the right tail."""
    data = single_key("gumbel", key)
    dtype = float_dtype("gumbel", dtype)
    return _gumbel(data, shape=shape_arg("gumbel", shape), dtype=dtype, mode=check_mode(mode))


@jitted(**_STATIC)
def _cauchy(key: Any, *, shape: tuple, dtype: np.dtype) -> Any:
    u = uniform_floats(key, shape, dtype, const(dtypes.finfo(dtype).eps, dtype),
                       const(1, dtype))
    return lax.tan(lax.mul(const(np.pi, dtype), lax.sub(u, const(0.5, dtype))))


def cauchy(key: Any, shape: Any = (), dtype: Any = None, *, out_sharding: Any = None) -> Any:
    """Standard Cauchy samples: ``tan(pi (U - 1/2))``."""
    data = single_key("cauchy", key)
    dtype = float_dtype("cauchy", dtype)
    return _cauchy(data, shape=shape_arg("cauchy", shape), dtype=dtype)


# -- samplers with parameters --------------------------------------------------------------------


def _param_shape(name: str, shape: Any, *params: Any) -> tuple:
    if shape is None:
        return broadcast_shapes(*(np.shape(p) for p in params))
    shape = shape_arg(name, shape)
    check_shape(name, shape, *(np.shape(p) for p in params))
    return shape


@jitted(**_STATIC)
def _pareto(key: Any, b: Any, *, shape: tuple, dtype: np.dtype) -> Any:
    b = as_dtype(b, dtype)
    if shape_of(b) != shape:
        b = broadcast_to(b, shape)
    e = exponential_floats(key, shape, dtype)
    return lax.exp(lax.div(e, b))


def pareto(key: Any, b: Any, shape: Any = None, dtype: Any = None,
           *, out_sharding: Any = None) -> Any:
    """Pareto samples of shape parameter ``b`` (support ``[1, inf)``)."""
    data = single_key("pareto", key)
    dtype = float_dtype("pareto", dtype)
    b = param(b)
    return _pareto(data, b, shape=_param_shape("pareto", shape, b), dtype=dtype)


@jitted(**_STATIC)
def _weibull_min(key: Any, scale: Any, concentration: Any, *, shape: tuple,
                 dtype: np.dtype) -> Any:
    u = uniform_floats(key, shape, dtype, const(0, dtype), const(1, dtype))
    x = lax.neg(lax.log1p(lax.neg(u)))
    power = as_dtype(lax.div(const(1, dtype), as_dtype(concentration, dtype)), dtype)
    return lax.mul(lax.pow(x, power), as_dtype(scale, dtype))


def weibull_min(key: Any, scale: Any, concentration: Any, shape: Any = (),
                dtype: Any = None) -> Any:
    """Weibull samples: ``scale * (-log(1 - U)) ** (1 / concentration)``."""
    data = single_key("weibull_min", key)
    dtype = float_dtype("weibull_min", dtype)
    return _weibull_min(data, param(scale), param(concentration),
                        shape=shape_arg("weibull_min", shape), dtype=dtype)


@jitted(**_STATIC)
def _rayleigh(key: Any, scale: Any, *, shape: tuple, dtype: np.dtype) -> Any:
    u = uniform_floats(key, shape, dtype, const(0, dtype), const(1, dtype))
    scale = broadcast_to(as_dtype(scale, dtype), shape)
    return lax.mul(scale, lax.sqrt(lax.mul(lax.log(u), const(-2, dtype))))


def rayleigh(key: Any, scale: Any, shape: Any = None, dtype: Any = None,
             *, out_sharding: Any = None) -> Any:
    """Rayleigh samples: ``scale * sqrt(-2 log U)``."""
    data = single_key("rayleigh", key)
    dtype = float_dtype("rayleigh", dtype)
    scale = param(scale)
    return _rayleigh(data, scale, shape=_param_shape("rayleigh", shape, scale), dtype=dtype)


@jitted(**_STATIC)
def _wald(key: Any, mean: Any, *, shape: tuple, dtype: np.dtype) -> Any:
    k1, k2 = split2(key)
    mean = broadcast_to(as_dtype(mean, dtype), shape)
    v = normal_real(k1, shape, dtype)
    z = uniform_floats(k2, shape, dtype, const(0, dtype), const(1, dtype))
    y = lax.integer_pow(v, 2)
    y_sq = lax.integer_pow(y, 2)
    mean_sq = lax.integer_pow(mean, 2)
    root = lax.sqrt(lax.add(lax.mul(lax.mul(const(4, dtype), mean), y),
                            lax.mul(mean_sq, y_sq)))
    x = lax.sub(lax.add(mean, lax.div(lax.mul(mean_sq, y), const(2, dtype))),
                lax.mul(lax.div(mean, const(2, dtype)), root))
    accept = lax.le(z, lax.div(mean, lax.add(mean, x)))
    return lax.select(accept, x, lax.div(mean_sq, x))


def wald(key: Any, mean: Any, shape: Any = None, dtype: Any = None,
         *, out_sharding: Any = None) -> Any:
    """Wald (inverse Gaussian) samples of mean ``mean`` and unit shape."""
    data = single_key("wald", key)
    dtype = float_dtype("wald", dtype)
    mean = param(mean)
    return _wald(data, mean, shape=_param_shape("wald", shape, mean), dtype=dtype)


def maxwell_floats(data: Any, shape: tuple, dtype: np.dtype) -> Any:
    x = normal_real(data, (*shape, 3), dtype)
    n = len(shape_of(x))
    return lax.sqrt(lax.reduce_sum(lax.mul(x, x), (n - 1,)))


@jitted(**_STATIC)
def _maxwell(key: Any, *, shape: tuple, dtype: np.dtype) -> Any:
    return maxwell_floats(key, shape, dtype)


def maxwell(key: Any, shape: Any = (), dtype: Any = None, *, out_sharding: Any = None) -> Any:
    """Maxwell samples: the norm of a 3-D standard normal vector."""
    data = single_key("maxwell", key)
    dtype = float_dtype("maxwell", dtype)
    return _maxwell(data, shape=shape_arg("maxwell", shape), dtype=dtype)


@jitted(**_STATIC)
def _double_sided_maxwell(key: Any, loc: Any, scale: Any, *, shape: tuple,
                          dtype: np.dtype) -> Any:
    k1, k2 = split2(key)
    m = maxwell_floats(k1, shape, dtype)
    sign = discrete.rademacher_values(k2, shape, dtype)
    return lax.add(lax.mul(lax.mul(sign, m), as_dtype(scale, dtype)), as_dtype(loc, dtype))


def double_sided_maxwell(key: Any, loc: Any, scale: Any, shape: Any = (),
                         dtype: Any = None) -> Any:
    """Double-sided Maxwell samples: a Maxwell sample of random sign, scaled and shifted."""
    data = single_key("double_sided_maxwell", key)
    dtype = float_dtype("double_sided_maxwell", dtype)
    loc, scale = param(loc), param(scale)
    params = broadcast_shapes(np.shape(loc), np.shape(scale))
    shape = shape_arg("double_sided_maxwell", shape)
    if not shape:
        shape = params
    shape = shape + params
    return _double_sided_maxwell(data, loc, scale, shape=shape, dtype=dtype)


@jitted(**_STATIC)
def _lognormal(key: Any, sigma: Any, *, shape: tuple, dtype: np.dtype) -> Any:
    return lax.exp(lax.mul(normal_real(key, shape, dtype), as_dtype(sigma, dtype)))


def lognormal(key: Any, sigma: Any = _ONE_F32, shape: Any = None, dtype: Any = None, *,
              out_sharding: Any = None) -> Any:
    """Log-normal samples: ``exp(sigma * N)``."""
    data = single_key("lognormal", key)
    dtype = float_dtype("lognormal", dtype)
    sigma = param(sigma)
    return _lognormal(data, sigma, shape=_param_shape("lognormal", shape, sigma), dtype=dtype)


@jitted(**_STATIC)
def _triangular(key: Any, left: Any, mode: Any, right: Any, *, shape: tuple,
                dtype: np.dtype) -> Any:
    left = broadcast_to(as_dtype(left, dtype), shape)
    mode = broadcast_to(as_dtype(mode, dtype), shape)
    right = broadcast_to(as_dtype(right, dtype), shape)
    fc = lax.div(lax.sub(mode, left), lax.sub(right, left))
    u = uniform_floats(key, shape, dtype, const(0, dtype), const(1, dtype))
    low = lax.add(left, lax.sqrt(lax.mul(lax.mul(u, lax.sub(right, left)),
                                         lax.sub(mode, left))))
    high = lax.sub(right, lax.sqrt(lax.mul(lax.mul(lax.sub(const(1, dtype), u),
                                                   lax.sub(right, left)),
                                           lax.sub(right, mode))))
    return lax.select(lax.lt(u, fc), low, high)


def triangular(key: Any, left: Any, mode: Any, right: Any, shape: Any = None,
               dtype: Any = None, *, out_sharding: Any = None) -> Any:
    """Triangular samples on ``[left, right]`` with peak at ``mode``."""
    data = single_key("triangular", key)
    dtype = float_dtype("triangular", dtype)
    left, mode, right = param(left), param(mode), param(right)
    shape = _param_shape("triangular", shape, left, mode, right)
    return _triangular(data, left, mode, right, shape=shape, dtype=dtype)
