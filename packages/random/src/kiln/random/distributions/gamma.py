"""The gamma family: the ``random_gamma`` primitive (Marsaglia and Tsang's rejection sampler,
one key per element) and the samplers built on it: gamma, loggamma, beta, dirichlet,
chisquare, f, t, generalized_normal, ball.

``random_gamma(key, a, log_space)`` is JAX's primitive of the same name: ``key`` holds the
keys of the leading dimensions of ``a`` (one key for a whole array, or one per vmapped
member); each key is split into one key per element, and each element runs its own
rejection loop. Its rules:

- ``decomposition``: the loops, vectorised over elements with masks, through
  ``random_while`` (each element follows exactly the sequence of draws JAX's per-element loop
  makes, whatever the others do);
- ``batch``: batch dimensions go in front of the keys and of ``a``;
- ``jvp``: the implicit reparameterisation gradient ``d sample / d a``, computed from the
  incomplete gamma function: ``-(dP/da) / (dP/dx)`` (JAX's ``random_gamma_grad``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from kiln import lax
from kiln.core import ShapedArray, dtypes
from kiln.core.abstract import get_aval
from kiln.random import prng
from kiln.random.distributions import continuous as _continuous
from kiln.random.distributions import discrete as _discrete
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
    split_n,
    uniform_floats,
)
from kiln.random.distributions.keyed import define_keyed_sampler, is_symbolic_zero
from kiln.random.distributions.loops import random_while

# -- Marsaglia and Tsang's method, vectorised over elements -----------------------------------


def _rejects(d: Any, X: Any, V: Any, U: Any) -> Any:
    """Whether the candidate (X = x^2, V = v^3, U) is rejected, i.e. the loop goes on."""
    dtype = get_aval(d).dtype
    one = const(1, dtype)
    squeeze = lax.ge(U, lax.sub(one, lax.mul(const(0.0331, dtype), lax.mul(X, X))))
    log_test = lax.ge(lax.log(U), lax.add(lax.mul(X, const(0.5, dtype)),
                                           lax.mul(d, lax.add(lax.sub(one, V), lax.log(V)))))
    return lax.bitwise_and(squeeze, log_test)


def _any(x: Any) -> Any:
    return lax.reduce_or(x, tuple(range(len(shape_of(x)))))


def _select_keys(pred: Any, new: Any, old: Any) -> Any:
    shape = shape_of(new)
    return lax.select(lax.broadcast_in_dim(pred, shape, tuple(range(len(shape) - 1))), new,
                      old)


def _normal_cond(consts: list, carry: list) -> Any:
    _, _, v = carry
    return _any(lax.le(v, const(0, get_aval(v).dtype)))


def _normal_body(consts: list, carry: list) -> list:
    """Draw x ~ N(0, 1) until v = 1 + c x > 0 (elements with v > 0 keep their draw)."""
    (c,) = consts
    key, x, v = carry
    dtype = get_aval(v).dtype
    looping = lax.le(v, const(0, dtype))
    key_next, subkey = split2(key)
    x_next = _continuous.normal_real(subkey, (), dtype)
    v_next = lax.add(const(1, dtype), lax.mul(x_next, c))
    return [_select_keys(looping, key_next, key), lax.select(looping, x_next, x),
            lax.select(looping, v_next, v)]


def _gamma_cond(consts: list, carry: list) -> Any:
    d, _ = consts
    _, X, V, U = carry
    return _any(_rejects(d, X, V, U))


def _gamma_body(consts: list, carry: list) -> list:
    d, c = consts
    key, X, V, U = carry
    dtype = get_aval(d).dtype
    active = _rejects(d, X, V, U)
    key_next, x_key, u_key = split_n(key, 3)
    start_v = lax.select(active, lax.full_like(V, const(-1, dtype)),
                         lax.full_like(V, const(1, dtype)))
    _, x, v = random_while(_normal_cond, _normal_body, [c],
                           [x_key, lax.full_like(V, const(0, dtype)), start_v])
    X_next = lax.mul(x, x)
    V_next = lax.mul(lax.mul(v, v), v)
    U_next = uniform_floats(u_key, (), dtype, const(0, dtype), const(1, dtype))
    return [_select_keys(active, key_next, key), lax.select(active, X_next, X),
            lax.select(active, V_next, V), lax.select(active, U_next, U)]


def gamma_one_per_key(keys: Any, alpha: Any, log_space: bool) -> Any:
    """One gamma(alpha[i]) sample per key ``keys[i]`` (shapes (n, 2) and (n,))."""
    dtype = get_aval(alpha).dtype
    one = const(1, dtype)
    third = const(1 / 3, dtype)
    boost_mask = lax.ge(alpha, one)
    alpha_orig = alpha
    alpha = lax.select(boost_mask, alpha, lax.add(alpha, one))
    d = lax.sub(alpha, third)
    c = lax.div(third, lax.sqrt(d))
    key, subkey = split2(keys)
    zeros = lax.full_like(alpha, const(0, dtype))
    _, _, V, _ = random_while(_gamma_cond, _gamma_body, [d, c],
                              [key, zeros, lax.full_like(alpha, one),
                               lax.full_like(alpha, const(2, dtype))])
    if log_space:
        log_samples = lax.neg(_continuous.exponential_floats(subkey, (), dtype))
        keep = lax.bitwise_or(boost_mask, lax.eq(log_samples, const(0, dtype)))
        log_boost = lax.select(keep, zeros, lax.mul(log_samples, lax.div(one, alpha_orig)))
        return lax.add(lax.add(lax.log(d), lax.log(V)), log_boost)
    samples = lax.sub(one, uniform_floats(subkey, (), dtype, const(0, dtype), one))
    boost = lax.select(boost_mask, lax.full_like(alpha, one),
                       lax.pow(samples, lax.div(one, alpha_orig)))
    return lax.mul(lax.mul(d, V), boost)


def _random_gamma_decomposition(key: Any, a: Any, *, log_space: bool) -> Any:
    batch = shape_of(key)[:-1]
    shape = shape_of(a)
    per_key = math.prod(shape[len(batch):])
    total = math.prod(shape)
    if total == 0:
        return lax.full(shape, const(0, get_aval(a).dtype))
    keys = lax.reshape(prng.split(key, (per_key,)), (total, 2))
    samples = gamma_one_per_key(keys, lax.reshape(a, (total,)), log_space)
    return lax.reshape(samples, shape)


def random_gamma_grad(a: Any, x: Any) -> Any:
    """``d x / d a`` for a gamma(a) sample x, holding its CDF ``P(a, x)`` fixed:
    ``-(dP/da) / (dP/dx)``, with ``dP/dx = x^(a-1) e^-x / Gamma(a)``."""
    log_density = lax.sub(lax.sub(lax.mul(lax.sub(a, const(1, get_aval(a).dtype)), lax.log(x)),
                                  x), lax.lgamma(a))
    return lax.neg(lax.div(lax.igamma_grad_a(a, x), lax.exp(log_density)))


def _gamma_grad(sample: Any, a: Any, log_space: bool) -> Any:
    if log_space:
        dtype = get_aval(sample).dtype
        samples = lax.exp(sample)
        samples = lax.select(lax.eq(samples, const(0, dtype)),
                             lax.full_like(samples, const(dtypes.finfo(dtype).tiny, dtype)),
                             samples)
        return lax.div(random_gamma_grad(a, samples), samples)
    return random_gamma_grad(a, sample)


def _random_gamma_jvp(primals: Sequence[Any], tangents: Sequence[Any], *,
                      log_space: bool) -> tuple[Any, Any]:
    key, a = primals
    out = random_gamma_p.bind(key, a, log_space=log_space)
    a_dot = tangents[1]
    if is_symbolic_zero(a_dot):
        return out, lax.full_like(out, const(0, get_aval(out).dtype))
    return out, lax.mul(a_dot, _gamma_grad(out, a, log_space))


def _random_gamma_dtype(a: ShapedArray, *, log_space: bool) -> np.dtype:
    if not dtypes.is_float(a.dtype):
        raise TypeError(f"random_gamma: a must be a float array, got {a.str_short()}")
    return a.dtype


random_gamma_p = define_keyed_sampler("random_gamma", _random_gamma_decomposition,
                                      _random_gamma_dtype, jvp=_random_gamma_jvp)


# -- samplers ------------------------------------------------------------------------------------


def gamma_values(key: Any, a: Any, shape: tuple, dtype: np.dtype, log_space: bool) -> Any:
    a = as_dtype(a, dtype)
    if shape_of(a) != shape:
        a = broadcast_to(a, shape)
    return random_gamma_p.bind(key, a, log_space=log_space)


@jitted(static_argnames=("shape", "dtype", "log_space"))
def _gamma(key: Any, a: Any, *, shape: tuple, dtype: np.dtype, log_space: bool) -> Any:
    return gamma_values(key, a, shape, dtype, log_space)


def _shape_for(name: str, shape: Any, *params: Any) -> tuple:
    if shape is None:
        return broadcast_shapes(*(np.shape(p) for p in params))
    shape = shape_arg(name, shape)
    check_shape(name, shape, *(np.shape(p) for p in params))
    return shape


def gamma(key: Any, a: Any, shape: Any = None, dtype: Any = None,
          *, out_sharding: Any = None) -> Any:
    """Gamma(a, 1) samples; differentiable in ``a`` (implicit reparameterisation)."""
    data = single_key("gamma", key)
    dtype = float_dtype("gamma", dtype)
    a = param(a)
    return _gamma(data, a, shape=_shape_for("gamma", shape, a), dtype=dtype, log_space=False)


def loggamma(key: Any, a: Any, shape: Any = None, dtype: Any = None,
             *, out_sharding: Any = None) -> Any:
    """Logarithms of Gamma(a, 1) samples, accurate for small ``a`` (where gamma samples
    underflow)."""
    data = single_key("loggamma", key)
    dtype = float_dtype("loggamma", dtype)
    a = param(a)
    return _gamma(data, a, shape=_shape_for("loggamma", shape, a), dtype=dtype, log_space=True)


@jitted(static_argnames=("shape", "dtype"))
def _beta(key: Any, a: Any, b: Any, *, shape: tuple, dtype: np.dtype) -> Any:
    a, b = as_dtype(a, dtype), as_dtype(b, dtype)
    key_a, key_b = split2(key)
    a, b = broadcast_to(a, shape), broadcast_to(b, shape)
    log_gamma_a = random_gamma_p.bind(key_a, a, log_space=True)
    log_gamma_b = random_gamma_p.bind(key_b, b, log_space=True)
    log_max = lax.max(log_gamma_a, log_gamma_b)
    gamma_a = lax.exp(lax.sub(log_gamma_a, log_max))
    gamma_b = lax.exp(lax.sub(log_gamma_b, log_max))
    return lax.div(gamma_a, lax.add(gamma_a, gamma_b))


def beta(key: Any, a: Any, b: Any, shape: Any = None, dtype: Any = None,
         *, out_sharding: Any = None) -> Any:
    """Beta(a, b) samples, as ratios of gamma samples drawn in log space."""
    data = single_key("beta", key)
    dtype = float_dtype("beta", dtype)
    a, b = param(a), param(b)
    return _beta(data, a, b, shape=_shape_for("beta", shape, a, b), dtype=dtype)


@jitted(static_argnames=("shape", "dtype"))
def _dirichlet(key: Any, alpha: Any, *, shape: tuple, dtype: np.dtype) -> Any:
    alpha = as_dtype(alpha, dtype)
    full = (*shape, shape_of(alpha)[-1])
    log_gamma = random_gamma_p.bind(key, broadcast_to(alpha, full), log_space=True)
    axis = len(full) - 1
    top = lax.max(const(-np.inf, dtype), lax.reduce_max(log_gamma, (axis,)))
    top = lax.stop_gradient(lax.broadcast_in_dim(top, (*shape, 1), tuple(range(axis))))
    unnormalized = lax.exp(lax.sub(log_gamma, top))
    total = lax.broadcast_in_dim(lax.reduce_sum(unnormalized, (axis,)), (*shape, 1),
                                 tuple(range(axis)))
    return lax.div(unnormalized, total)


def dirichlet(key: Any, alpha: Any, shape: Any = None, dtype: Any = None, *,
              out_sharding: Any = None) -> Any:
    """Dirichlet(alpha) samples (``alpha``'s last axis holds the concentrations): a softmax
    of log-gamma samples."""
    data = single_key("dirichlet", key)
    dtype = float_dtype("dirichlet", dtype)
    alpha = param(alpha)
    if np.ndim(alpha) < 1:
        raise ValueError(f"dirichlet requires alpha.ndim >= 1, got alpha.ndim == "
                         f"{np.ndim(alpha)}")
    batch = tuple(np.shape(alpha)[:-1])
    if shape is None:
        shape = batch
    else:
        shape = shape_arg("dirichlet", shape)
        check_shape("dirichlet", shape, batch)
    return _dirichlet(data, alpha, shape=shape, dtype=dtype)


def chisquare_values(key: Any, df: Any, shape: tuple, dtype: np.dtype) -> Any:
    half_df = lax.div(as_dtype(df, dtype), const(2, dtype))
    log_g = random_gamma_p.bind(key, broadcast_to(half_df, shape), log_space=True)
    return lax.mul(lax.exp(log_g), const(2, dtype))


@jitted(static_argnames=("shape", "dtype"))
def _chisquare(key: Any, df: Any, *, shape: tuple, dtype: np.dtype) -> Any:
    return chisquare_values(key, df, shape, dtype)


def chisquare(key: Any, df: Any, shape: Any = None, dtype: Any = None,
              *, out_sharding: Any = None) -> Any:
    """Chi-squared samples with ``df`` degrees of freedom: twice Gamma(df / 2)."""
    data = single_key("chisquare", key)
    dtype = float_dtype("chisquare", dtype)
    df = param(df)
    return _chisquare(data, df, shape=_shape_for("chisquare", shape, df), dtype=dtype)


@jitted(static_argnames=("shape", "dtype"))
def _f(key: Any, dfnum: Any, dfden: Any, *, shape: tuple, dtype: np.dtype) -> Any:
    dfden = as_dtype(dfden, dtype)
    dfnum = as_dtype(dfnum, dtype)
    key_den, key_num = split2(key)
    num = lax.div(chisquare_values(key_num, dfnum, shape, dtype), dfnum)
    den = lax.div(chisquare_values(key_den, dfden, shape, dtype), dfden)
    return lax.div(num, den)


def f(key: Any, dfnum: Any, dfden: Any, shape: Any = None, dtype: Any = None, *,
      out_sharding: Any = None) -> Any:
    """F-distribution samples: a ratio of scaled chi-squared samples."""
    data = single_key("f", key)
    dtype = float_dtype("f", dtype)
    dfnum, dfden = param(dfnum), param(dfden)
    return _f(data, dfnum, dfden, shape=_shape_for("f", shape, dfnum, dfden), dtype=dtype)


@jitted(static_argnames=("shape", "dtype"))
def _t(key: Any, df: Any, *, shape: tuple, dtype: np.dtype) -> Any:
    df = as_dtype(df, dtype)
    key_n, key_g = split2(key)
    n = _continuous.normal_real(key_n, shape, dtype)
    half_df = lax.div(df, const(2, dtype))
    g = random_gamma_p.bind(key_g, broadcast_to(half_df, shape), log_space=False)
    return lax.mul(n, lax.sqrt(lax.div(half_df, g)))


def t(key: Any, df: Any, shape: Any = None, dtype: Any = None, *, out_sharding: Any = None) -> Any:
    """Student's t samples with ``df`` degrees of freedom."""
    data = single_key("t", key)
    dtype = float_dtype("t", dtype)
    df = param(df)
    shape = shape_arg("t", shape) if shape is not None else tuple(np.shape(df))
    check_shape("t", shape, np.shape(df))
    return _t(data, df, shape=shape, dtype=dtype)


def generalized_normal_values(key: Any, p: Any, shape: tuple, dtype: np.dtype) -> Any:
    key_g, key_r = split2(key)
    inv_p = lax.div(const(1, dtype), as_dtype(p, dtype))
    g = gamma_values(key_g, inv_p, shape, dtype, False)
    r = _discrete.rademacher_values(key_r, shape, dtype)
    return lax.mul(r, lax.pow(g, inv_p))


def _is_int(p: Any) -> bool:
    return isinstance(p, int) or (not isinstance(p, float) and
                                  dtypes.is_int(get_aval(p).dtype))


@jitted(static_argnames=("shape", "dtype"))
def _generalized_normal(key: Any, p: Any, *, shape: tuple, dtype: np.dtype) -> Any:
    return generalized_normal_values(key, p, shape, dtype)


def generalized_normal(key: Any, p: Any, shape: Any = (), dtype: Any = None, *,
                       out_sharding: Any = None) -> Any:
    """Generalized normal samples of shape parameter ``p`` (density ∝ exp(-|x|^p))."""
    data = single_key("generalized_normal", key)
    dtype = float_dtype("generalized_normal", dtype)
    return _generalized_normal(data, param(p), shape=shape_arg("generalized_normal", shape),
                               dtype=dtype)


@jitted(static_argnames=("d", "shape", "dtype"))
def _ball(key: Any, p: Any, *, d: int, shape: tuple, dtype: np.dtype) -> Any:
    key_g, key_e = split2(key)
    g = generalized_normal_values(key_g, p, (*shape, d), dtype)
    e = _continuous.exponential_floats(key_e, shape, dtype)
    axis = len(shape)
    p_exp = p if _is_int(p) else as_dtype(p, dtype)
    total = lax.add(lax.reduce_sum(lax.pow(lax.abs(g), p_exp), (axis,)), e)
    radius = lax.pow(total, lax.div(const(1, dtype), as_dtype(p, dtype)))
    return lax.div(g, lax.broadcast_in_dim(radius, (*shape, 1), tuple(range(axis))))


def ball(key: Any, d: int, p: Any = 2, shape: Any = (), dtype: Any = None, *,
         out_sharding: Any = None) -> Any:
    """Points uniform in the unit ``p``-norm ball of dimension ``d``."""
    data = single_key("ball", key)
    dtype = float_dtype("ball", dtype)
    d = int(d)
    if d < 1:
        raise ValueError(f"ball: d must be a positive integer, got {d}")
    return _ball(data, param(p), d=d, shape=shape_arg("ball", shape), dtype=dtype)
