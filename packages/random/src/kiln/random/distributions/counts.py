"""Counting distributions drawn by rejection loops: poisson, binomial, multinomial.

``random_poisson`` and ``random_binomial`` are primitives of this package (see ``keyed``):
their decompositions are JAX's algorithms (Knuth's multiplication method for small rates and
Hörmann's transformed rejection for large ones; inversion for small means and BTRS for large
ones), with the loop of each vmapped member stopping when its own condition does, as under
JAX's ``vmap`` of ``while_loop``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from kiln import lax
from kiln.core import dtypes
from kiln.core.abstract import get_aval
from kiln.random.distributions.common import (
    as_dtype,
    broadcast_shapes,
    broadcast_to,
    check_shape,
    const,
    default_float,
    float_dtype,
    int_dtype,
    jitted,
    param,
    shape_arg,
    shape_of,
    single_key,
    split2,
    split_n,
    uniform_floats,
)
from kiln.random.distributions.discrete import take
from kiln.random.distributions.keyed import (
    any_all,
    any_per_member,
    define_keyed_sampler,
    where_member,
)
from kiln.random.distributions.loops import random_while

F32 = np.dtype(np.float32)


def _sample_shape(key: Any, x: Any) -> tuple[int, ...]:
    return shape_of(x)[len(shape_of(key)) - 1:]


def _n_batch(key: Any) -> int:
    return len(shape_of(key)) - 1


# -- poisson -------------------------------------------------------------------------------------


def _knuth_cond(consts: list, carry: list) -> Any:
    (lam,) = consts
    _, _, log_prod = carry
    return any_all(lax.gt(log_prod, lax.neg(lam)))


def _knuth_body(consts: list, carry: list) -> list:
    """Multiply uniforms until the product falls below exp(-lam), counting them."""
    (lam,) = consts
    k, key, log_prod = carry
    nb = _n_batch(key)
    going = lax.gt(log_prod, lax.neg(lam))
    member = any_per_member(going, nb)
    key_next, subkey = split2(key)
    k_next = lax.select(going, lax.add(k, const(1, get_aval(k).dtype)), k)
    u = uniform_floats(subkey, _sample_shape(key, lam), F32, const(0, F32), const(1, F32))
    log_prod_next = lax.add(log_prod, lax.log(u))
    return [where_member(member, k_next, k), where_member(member, key_next, key),
            where_member(member, log_prod_next, log_prod)]


def _poisson_knuth(key: Any, lam: Any, dtype: np.dtype) -> Any:
    k = lax.full(shape_of(lam), const(0, dtype))
    log_prod = lax.full(shape_of(lam), const(0, F32))
    k, _, _ = random_while(_knuth_cond, _knuth_body, [lam], [k, key, log_prod])
    return lax.sub(k, const(1, dtype))


def _rejection_cond(consts: list, carry: list) -> Any:
    _, accepted, _ = carry
    return any_all(lax.bitwise_not(accepted))


def _rejection_body(consts: list, carry: list) -> list:
    """Hörmann's transformed rejection with squeeze (PTRS)."""
    a, b, lam, inv_alpha, log_lam, v_r = consts
    k_out, accepted, key = carry
    dtype = get_aval(lam).dtype
    nb = _n_batch(key)
    member = any_per_member(lax.bitwise_not(accepted), nb)
    shape = _sample_shape(key, lam)
    key_next, key_u, key_v = split_n(key, 3)
    half = const(0.5, dtype)
    u = lax.sub(uniform_floats(key_u, shape, dtype, const(0, dtype), const(1, dtype)), half)
    v = uniform_floats(key_v, shape, dtype, const(0, dtype), const(1, dtype))
    u_shifted = lax.sub(half, lax.abs(u))
    k = lax.floor(lax.add(lax.add(lax.mul(lax.add(lax.div(lax.mul(const(2, dtype), a),
                                                          u_shifted), b), u), lam),
                          const(0.43, dtype)))
    s = lax.log(lax.div(lax.mul(v, inv_alpha),
                        lax.add(lax.div(a, lax.mul(u_shifted, u_shifted)), b)))
    t = lax.sub(lax.add(lax.neg(lam), lax.mul(k, log_lam)),
                lax.lgamma(lax.add(k, const(1, dtype))))
    accept1 = lax.bitwise_and(lax.ge(u_shifted, const(0.07, dtype)), lax.le(v, v_r))
    reject = lax.bitwise_or(lax.lt(k, const(0, dtype)),
                            lax.bitwise_and(lax.lt(u_shifted, const(0.013, dtype)),
                                            lax.gt(v, u_shifted)))
    accept2 = lax.le(s, t)
    accept = lax.bitwise_or(accept1, lax.bitwise_and(lax.bitwise_not(reject), accept2))
    k_next = lax.select(accept, k, k_out)
    accepted_next = lax.bitwise_or(accepted, accept)
    return [where_member(member, k_next, k_out), where_member(member, accepted_next, accepted),
            where_member(member, key_next, key)]


def _poisson_rejection(key: Any, lam: Any, dtype: np.dtype) -> Any:
    fdt = get_aval(lam).dtype
    log_lam = lax.log(lam)
    b = lax.add(const(0.931, fdt), lax.mul(const(2.53, fdt), lax.sqrt(lam)))
    a = lax.add(const(-0.059, fdt), lax.mul(const(0.02483, fdt), b))
    inv_alpha = lax.add(const(1.1239, fdt), lax.div(const(1.1328, fdt),
                                                     lax.sub(b, const(3.4, fdt))))
    v_r = lax.sub(const(0.9277, fdt), lax.div(const(3.6224, fdt), lax.sub(b, const(2, fdt))))
    k_out = lax.full(shape_of(lam), const(-1, fdt))
    accepted = lax.full(shape_of(lam), np.bool_(False))
    k_out, _, _ = random_while(_rejection_cond, _rejection_body,
                               [a, b, lam, inv_alpha, log_lam, v_r], [k_out, accepted, key])
    return lax.convert_element_type(k_out, dtype)


def _poisson_decomposition(key: Any, lam: Any, *, dtype: np.dtype) -> Any:
    fdt = get_aval(lam).dtype
    use_knuth = lax.bitwise_or(lax.ne(lam, lam), lax.lt(lam, const(10, fdt)))
    lam_knuth = lax.select(use_knuth, lam, lax.full_like(lam, const(0, fdt)))
    lam_rejection = lax.select(use_knuth, lax.full_like(lam, const(1e5, fdt)), lam)
    result = lax.select(use_knuth, _poisson_knuth(key, lam_knuth, dtype),
                        _poisson_rejection(key, lam_rejection, dtype))
    return lax.select(lax.eq(lam, const(0, fdt)), lax.full_like(result, const(0, dtype)),
                      result)


random_poisson_p = define_keyed_sampler("random_poisson", _poisson_decomposition,
                                        lambda lam, *, dtype: dtype)


@jitted(static_argnames=("shape", "dtype"))
def _poisson(key: Any, lam: Any, *, shape: tuple, dtype: np.dtype) -> Any:
    lam = broadcast_to(as_dtype(lam, F32), shape)
    return random_poisson_p.bind(key, lam, dtype=dtype)


def poisson(key: Any, lam: Any, shape: Any = None, dtype: Any = None,
            *, out_sharding: Any = None) -> Any:
    """Poisson samples of rate ``lam`` (computed in float32, as JAX does)."""
    data = single_key("poisson", key)
    dtype = int_dtype("poisson", dtype)
    lam = param(lam)
    if shape is None:
        shape = tuple(np.shape(lam))
    else:
        shape = shape_arg("poisson", shape)
        check_shape("poisson", shape, np.shape(lam))
    return _poisson(data, lam, shape=shape, dtype=dtype)


# -- binomial -------------------------------------------------------------------------------------

# log(k!) - [(k + 1/2) log(k + 1) - (k + 1) + log(2 pi) / 2] for k = 0..9.
_STIRLING_TAIL = np.array([0.08106146679532726, 0.04134069595540929, 0.02767792568499834,
                           0.02079067210376509, 0.01664469118982119, 0.01387612882307075,
                           0.01189670994589177, 0.01041126526197209, 0.009255462182712733,
                           0.008330563433362871])


def _stirling_tail(k: Any) -> Any:
    """The Stirling series remainder of log(k!): tabulated for k <= 9; otherwise the
    series, evaluated (as JAX does) at k clamped to [0, 9]."""
    dtype = get_aval(k).dtype
    table = np.asarray(_STIRLING_TAIL, dtype)
    small = lax.le(k, const(9, dtype))
    kc = lax.clamp(const(0, dtype), k, const(9, dtype))
    kp1 = lax.add(kc, const(1, dtype))
    kp1sq = lax.mul(lax.add(kc, const(1, dtype)), lax.add(kc, const(1, dtype)))
    series = lax.div(lax.sub(const(1 / 12, dtype),
                             lax.div(lax.sub(const(1 / 360, dtype),
                                             lax.div(const(1 / 1260, dtype), kp1sq)), kp1sq)),
                     kp1)
    index = lax.convert_element_type(lax.floor(kc), np.dtype(np.int32))
    exact = lax.reshape(take(table, index, 0), shape_of(k))
    return lax.select(small, exact, series)


def _inversion_cond(consts: list, carry: list) -> Any:
    count, _ = consts
    _, geom_sum, _ = carry
    return any_all(lax.le(geom_sum, count))


def _inversion_body(consts: list, carry: list) -> list:
    """Sum geometric gaps until they pass ``count``; the number of gaps, minus one, is the
    sample."""
    count, log1m_q = consts
    num_geom, geom_sum, key = carry
    dtype = get_aval(count).dtype
    nb = _n_batch(key)
    going = lax.le(geom_sum, count)
    member = any_per_member(going, nb)
    subkey, key_next = split2(key)
    num_geom_next = lax.select(going, lax.add(num_geom, const(1, dtype)), num_geom)
    u = uniform_floats(subkey, _sample_shape(key, count), dtype, const(0, dtype),
                       const(1, dtype))
    geom_sum_next = lax.add(geom_sum, lax.ceil(lax.div(lax.log(u), log1m_q)))
    return [where_member(member, num_geom_next, num_geom),
            where_member(member, geom_sum_next, geom_sum), where_member(member, key_next, key)]


def _btrs_cond(consts: list, carry: list) -> Any:
    _, accepted, _ = carry
    return any_all(lax.bitwise_not(accepted))


def _btrs_body(consts: list, carry: list) -> list:
    """Hörmann's BTRS: transformed rejection with squeeze for the binomial."""
    v_r, a, b, c, count, alpha, m, r = consts
    k_out, accepted, key = carry
    dtype = get_aval(count).dtype
    nb = _n_batch(key)
    member = any_per_member(lax.bitwise_not(accepted), nb)
    shape = _sample_shape(key, count)
    one, half = const(1, dtype), const(0.5, dtype)
    key_next, key_u, key_v = split_n(key, 3)
    u_raw = uniform_floats(key_u, shape, dtype, const(0, dtype), one)
    v = uniform_floats(key_v, shape, dtype, const(0, dtype), one)
    u = lax.sub(u_raw, half)
    us = lax.sub(half, lax.abs(u))
    accept1 = lax.bitwise_and(lax.ge(us, const(0.07, dtype)), lax.le(v, v_r))
    k = lax.floor(lax.add(lax.mul(lax.add(lax.div(lax.mul(const(2, dtype), a), us), b), u), c))
    reject = lax.bitwise_or(lax.lt(k, const(0, dtype)), lax.gt(k, count))
    v_log = lax.log(lax.div(lax.mul(v, alpha), lax.add(lax.div(a, lax.mul(us, us)), b)))
    upper = lax.mul(lax.add(m, half),
                    lax.log(lax.div(lax.add(m, one),
                                    lax.mul(r, lax.add(lax.sub(count, m), one)))))
    upper = lax.add(upper, lax.mul(lax.add(count, one),
                                   lax.log(lax.div(lax.add(lax.sub(count, m), one),
                                                   lax.add(lax.sub(count, k), one)))))
    upper = lax.add(upper, lax.mul(lax.add(k, half),
                                   lax.log(lax.div(lax.mul(r, lax.add(lax.sub(count, k), one)),
                                                   lax.add(k, one)))))
    upper = lax.add(upper, _stirling_tail(m))
    upper = lax.add(upper, _stirling_tail(lax.sub(count, m)))
    upper = lax.sub(upper, _stirling_tail(k))
    upper = lax.sub(upper, _stirling_tail(lax.sub(count, k)))
    accept2 = lax.le(v_log, upper)
    accept = lax.bitwise_or(accept1, lax.bitwise_and(lax.bitwise_not(reject), accept2))
    k_next = lax.select(accept, k, k_out)
    accepted_next = lax.bitwise_or(accepted, accept)
    return [where_member(member, k_next, k_out), where_member(member, accepted_next, accepted),
            where_member(member, key_next, key)]


def _binomial_decomposition(key: Any, count: Any, prob: Any) -> Any:
    dtype = get_aval(count).dtype
    zero, one = const(0, dtype), const(1, dtype)
    full = lambda v: lax.full_like(count, const(v, dtype))  # noqa: E731
    p_lt_half = lax.lt(prob, const(0.5, dtype))
    q = lax.select(p_lt_half, prob, lax.sub(one, prob))
    count_nan_or_neg = lax.bitwise_or(lax.ne(count, count), lax.lt(count, zero))
    count_inf = lax.eq(lax.abs(count), const(np.inf, dtype))
    q_is_nan = lax.ne(q, q)
    q_lt_zero = lax.lt(q, zero)
    q = lax.select(lax.bitwise_or(q_is_nan, q_lt_zero), full(0.01), q)
    use_inversion = lax.bitwise_or(count_nan_or_neg, lax.le(lax.mul(count, q), const(10, dtype)))
    count_floor = lax.floor(count)
    count_inv = lax.select(use_inversion, count_floor, full(0))
    count_btrs = lax.select(use_inversion, full(1e4), count_floor)
    q_btrs = lax.select(use_inversion, full(0.5), q)
    log1m_q = lax.log1p(lax.neg(q))
    num_geom, _, _ = random_while(_inversion_cond, _inversion_body, [count_inv, log1m_q],
                                  [full(0), full(0), key])
    inversion = lax.sub(num_geom, one)
    stddev = lax.sqrt(lax.mul(lax.mul(count_btrs, q_btrs), lax.sub(one, q_btrs)))
    b = lax.add(const(1.15, dtype), lax.mul(const(2.53, dtype), stddev))
    a = lax.add(lax.add(const(-0.0873, dtype), lax.mul(const(0.0248, dtype), b)),
                lax.mul(const(0.01, dtype), q_btrs))
    c = lax.add(lax.mul(count_btrs, q_btrs), const(0.5, dtype))
    v_r = lax.sub(const(0.92, dtype), lax.div(const(4.2, dtype), b))
    r = lax.div(q_btrs, lax.sub(one, q_btrs))
    alpha = lax.mul(lax.add(const(2.83, dtype), lax.div(const(5.1, dtype), b)), stddev)
    m = lax.floor(lax.mul(lax.add(count_btrs, one), q_btrs))
    btrs, _, _ = random_while(_btrs_cond, _btrs_body, [v_r, a, b, c, count_btrs, alpha, m, r],
                              [full(-1), lax.full(shape_of(count), np.bool_(False)), key])
    samples = lax.select(use_inversion, inversion, btrs)
    invalid = lax.bitwise_or(lax.bitwise_or(q_lt_zero, q_is_nan), count_nan_or_neg)
    samples = lax.select(invalid, full(np.nan), samples)
    samples = lax.select(lax.bitwise_and(count_inf, lax.bitwise_not(invalid)), full(np.inf),
                         samples)
    keep = lax.bitwise_or(lax.bitwise_or(lax.bitwise_or(p_lt_half, count_nan_or_neg),
                                         q_is_nan), count_inf)
    return lax.select(keep, samples, lax.sub(count_floor, samples))


random_binomial_p = define_keyed_sampler("random_binomial", _binomial_decomposition,
                                         lambda count, prob: count.dtype)


@jitted(static_argnames=("shape", "dtype"))
def _binomial(key: Any, n: Any, p: Any, *, shape: tuple, dtype: np.dtype) -> Any:
    count = broadcast_to(as_dtype(n, dtype), shape)
    prob = broadcast_to(as_dtype(p, dtype), shape)
    return random_binomial_p.bind(key, count, prob)


def binomial(key: Any, n: Any, p: Any, shape: Any = None, dtype: Any = None) -> Any:
    """Binomial samples: successes in ``n`` trials of probability ``p`` (as floats)."""
    data = single_key("binomial", key)
    dtype = float_dtype("binomial", dtype)
    n, p = param(n), param(p)
    if shape is None:
        shape = broadcast_shapes(np.shape(n), np.shape(p))
    else:
        shape = shape_arg("binomial", shape)
        check_shape("binomial", shape, np.shape(n), np.shape(p))
    return _binomial(data, n, p, shape=shape, dtype=dtype)


# -- multinomial ----------------------------------------------------------------------------------


@jitted(static_argnames=("shape", "dtype"))
def _multinomial(key: Any, n: Any, p: Any, *, shape: tuple, dtype: np.dtype) -> Any:
    batch = shape[:-1]
    k = shape[-1]
    n = broadcast_to(as_dtype(n, dtype), batch)
    p = broadcast_to(p, shape)
    pdt = get_aval(p).dtype
    nd = len(shape)
    p = lax.transpose(p, (nd - 1, *range(nd - 1)))
    remainder = lax.cumsum(p, 0, reverse=True)
    denominator = lax.select(lax.eq(remainder, const(0, pdt)),
                             lax.full_like(remainder, const(1, pdt)), remainder)
    p_cond = lax.div(p, denominator)
    keys = split_n(key, k)
    counts = []
    for i in range(k):
        p_i = lax.reshape(lax.slice(p_cond, (i, *(0,) * (nd - 1)), (i + 1, *batch)), batch)
        p_i = lax.min(const(1, pdt), lax.max(const(0, pdt), p_i))
        x = random_binomial_p.bind(keys[i], n, as_dtype(p_i, dtype))
        n = lax.sub(n, x)
        counts.append(lax.reshape(x, (*batch, 1)))
    return lax.concatenate(counts, nd - 1)


def multinomial(key: Any, n: Any, p: Any, *, shape: Any = None, dtype: Any = None,
                unroll: int | bool = 1) -> Any:
    """Multinomial samples: counts in each of ``p.shape[-1]`` categories of ``n`` trials
    (drawn category by category, as binomials of the remaining trials)."""
    data = single_key("multinomial", key)
    dtype = float_dtype("multinomial", dtype)
    n, p = param(n), param(p)
    if isinstance(p, (int, float)) or not dtypes.is_float(get_aval(p).dtype):
        p = as_dtype(p, default_float())
    if np.ndim(p) < 1:
        raise ValueError("multinomial: p must have at least one dimension")
    if shape is None:
        shape = tuple(np.shape(p))
    else:
        shape = shape_arg("multinomial", shape)
        check_shape("multinomial", shape, np.shape(p))
    del unroll
    if math.prod(shape) == 0:
        return lax.full(shape, const(0, dtype))
    return _multinomial(data, n, p, shape=shape, dtype=dtype)
