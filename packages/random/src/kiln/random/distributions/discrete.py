"""Discrete samplers and shuffles: randint, bernoulli, rademacher, geometric, categorical,
choice, permutation."""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from kiln import lax
from kiln.core import dtypes
from kiln.core.abstract import get_aval
from kiln.core.primitives.indexing import GatherDimensionNumbers
from kiln.random.distributions import continuous as _continuous
from kiln.random.distributions.common import (
    UINT_DTYPES,
    as_dtype,
    broadcast_to,
    check_shape,
    const,
    default_float,
    default_int,
    int_dtype,
    jitted,
    param,
    random_bits,
    shape_arg,
    shape_of,
    single_key,
    split2,
    to_rank,
    uniform_floats,
    user_dtype,
)

# -- randint -------------------------------------------------------------------------------------


def _clip_convert(x: Any, dtype: np.dtype) -> Any:
    """``x`` (an integer array) clipped to the range ``dtype`` and its own dtype share, then
    converted to ``dtype``."""
    src = get_aval(x).dtype
    a, b = dtypes.iinfo(src), dtypes.iinfo(dtype)
    lo, hi = const(max(a.min, b.min), src), const(min(a.max, b.max), src)
    return as_dtype(lax.min(hi, lax.max(lo, x)), dtype)


def _as_int(x: Any) -> Any:
    if isinstance(x, (bool, int)):
        return as_dtype(x, default_int())
    if not dtypes.is_int(get_aval(x).dtype):
        return as_dtype(x, default_int())
    return x


def randint_values(key: Any, shape: tuple, minval: Any, maxval: Any, dtype: np.dtype) -> Any:
    """JAX's ``_randint`` for 32- and 64-bit dtypes: two draws of ``nbits`` bits combined
    modulo the span, so the bias for spans that are not powers of two is small."""
    minval, maxval = _as_int(minval), _as_int(maxval)
    top = const(dtypes.iinfo(dtype).max, dtype)
    maxval_out_of_range = to_rank(lax.gt(maxval, _clip_convert(top, get_aval(maxval).dtype)),
                                  len(shape))
    minval = to_rank(_clip_convert(minval, dtype), len(shape))
    maxval = to_rank(_clip_convert(maxval, dtype), len(shape))
    nbits = dtypes.iinfo(dtype).bits
    k1, k2 = split2(key)
    higher, lower = random_bits(k1, nbits, shape), random_bits(k2, nbits, shape)
    unsigned = UINT_DTYPES[nbits]
    span = as_dtype(lax.sub(maxval, minval), unsigned)
    one = const(1, unsigned)
    # maxval <= minval: always minval. maxval beyond the dtype: the span is one larger.
    span = lax.select(lax.le(maxval, minval), lax.full_like(span, one), span)
    span = lax.select(lax.bitwise_and(maxval_out_of_range, lax.gt(maxval, minval)),
                      lax.add(span, one), span)
    # (higher * 2**nbits + lower) mod span, without overflow: 2**nbits mod span is the
    # square of 2**(nbits/2) mod span, mod span.
    multiplier = lax.rem(const(2 ** (nbits // 2), unsigned), span)
    multiplier = lax.rem(lax.mul(multiplier, multiplier), span)
    offset = lax.add(lax.mul(lax.rem(higher, span), multiplier), lax.rem(lower, span))
    offset = lax.rem(offset, span)
    return lax.add(minval, as_dtype(offset, dtype))


@jitted(static_argnames=("shape", "dtype"))
def _randint(key: Any, minval: Any, maxval: Any, *, shape: tuple, dtype: np.dtype) -> Any:
    return randint_values(key, shape, minval, maxval, dtype)


def randint(key: Any, shape: Any, minval: Any, maxval: Any, dtype: Any = None, *,
            out_sharding: Any = None) -> Any:
    """Integers uniform in ``[minval, maxval)`` of ``shape`` and integer ``dtype``."""
    data = single_key("randint", key)
    dtype = int_dtype("randint", dtype)
    shape = shape_arg("randint", shape)
    minval, maxval = param(minval), param(maxval)
    check_shape("randint", shape, np.shape(minval), np.shape(maxval))
    if dtype.itemsize < 4:
        # Narrow integers are drawn as int32 within the dtype's range and converted.
        info = dtypes.iinfo(dtype)
        wide = np.dtype(np.int32)
        minval = _clip_bounds(minval, info.min, info.max)
        maxval = _clip_bounds(maxval, info.min, info.max + 1)
        return as_dtype(_randint(data, minval, maxval, shape=shape, dtype=wide), dtype)
    return _randint(data, minval, maxval, shape=shape, dtype=dtype)


def _clip_bounds(x: Any, lo: int, hi: int) -> Any:
    x = _as_int(x) if not isinstance(x, (int, bool)) else np.asarray(x, default_int())
    dtype = get_aval(x).dtype
    return lax.min(const(hi, dtype), lax.max(const(lo, dtype), x))


# -- bernoulli and rademacher ----------------------------------------------------------------------


def _float_param(p: Any) -> Any:
    """A probability as a float array (integers become the default float type)."""
    p = param(p)
    if isinstance(p, (bool, int)):
        return np.asarray(p, default_float())
    if isinstance(p, float):
        return p
    if not dtypes.is_float(get_aval(p).dtype):
        return as_dtype(p, default_float())
    return p


def _float_of(p: Any) -> np.dtype:
    return default_float() if isinstance(p, float) else get_aval(p).dtype


def bernoulli_values(key: Any, p: Any, shape: tuple, mode: str) -> Any:
    dtype = _float_of(p)
    p = as_dtype(p, dtype)
    if mode == "high":
        u = uniform_floats(key, (2, *shape), dtype, const(0, dtype), const(1, dtype))
        batch = shape_of(key)[:-1]
        nb = len(batch)
        full = shape_of(u)
        n = len(full)
        u1 = lax.reshape(lax.slice(u, (0,) * n, (*full[:nb], 1, *full[nb + 1:])),
                         (*batch, *shape))
        u2 = lax.reshape(lax.slice(u, (0,) * nb + (1,) + (0,) * (n - nb - 1), full),
                         (*batch, *shape))
        # u1 + eps * u2 < p, without rounding u1 + eps * u2.
        return lax.lt(lax.mul(u2, const(dtypes.finfo(dtype).eps, dtype)), lax.sub(p, u1))
    return lax.lt(uniform_floats(key, shape, dtype, const(0, dtype), const(1, dtype)), p)


@jitted(static_argnames=("shape", "mode"))
def _bernoulli(key: Any, p: Any, *, shape: tuple, mode: str) -> Any:
    return bernoulli_values(key, p, shape, mode)


def bernoulli(key: Any, p: Any = 0.5, shape: Any = None, mode: str = "low", *,
              out_sharding: Any = None) -> Any:
    """Booleans that are True with probability ``p`` (``mode='high'`` uses twice the bits
    for probabilities below 2**-23)."""
    data = single_key("bernoulli", key)
    if mode not in ("high", "low"):
        raise ValueError(f"got mode={mode!r}, expected 'high' or 'low'")
    p = _float_param(p)
    if shape is None:
        shape = tuple(np.shape(p))
    else:
        shape = shape_arg("bernoulli", shape)
        check_shape("bernoulli", shape, np.shape(p))
    return _bernoulli(data, p, shape=shape, mode=mode)


def rademacher_values(key: Any, shape: tuple, dtype: np.dtype) -> Any:
    b = bernoulli_values(key, 0.5, shape, "low")
    b = lax.convert_element_type(b, dtype)
    return lax.sub(lax.mul(const(2, dtype), b), const(1, dtype))


@jitted(static_argnames=("shape", "dtype"))
def _rademacher(key: Any, *, shape: tuple, dtype: np.dtype) -> Any:
    return rademacher_values(key, shape, dtype)


def rademacher(key: Any, shape: Any = (), dtype: Any = None, *, out_sharding: Any = None) -> Any:
    """Random signs: -1 or +1 with equal probability."""
    data = single_key("rademacher", key)
    dtype = default_int() if dtype is None else user_dtype(dtype)
    return _rademacher(data, shape=shape_arg("rademacher", shape), dtype=dtype)


# -- geometric -----------------------------------------------------------------------------------


@jitted(static_argnames=("shape", "dtype"))
def _geometric(key: Any, p: Any, *, shape: tuple, dtype: np.dtype) -> Any:
    fdtype = _float_of(p)
    p = as_dtype(p, fdtype)
    u = uniform_floats(key, shape, fdtype, const(0, fdtype), const(1, fdtype))
    u = lax.select(lax.eq(u, const(0, fdtype)), lax.full_like(u, const(1, fdtype)), u)
    log_q = broadcast_to(lax.log1p(lax.neg(p)), shape)
    g = lax.add(lax.floor(lax.div(lax.log(u), log_q)), const(1, fdtype))
    return lax.convert_element_type(g, dtype)


def geometric(key: Any, p: Any, shape: Any = None, dtype: Any = None,
              *, out_sharding: Any = None) -> Any:
    """Geometric samples: the number of Bernoulli(p) trials up to the first success."""
    data = single_key("geometric", key)
    dtype = int_dtype("geometric", dtype)
    p = _float_param(p)
    if shape is None:
        shape = tuple(np.shape(p))
    else:
        shape = shape_arg("geometric", shape)
        check_shape("geometric", shape, np.shape(p))
    return _geometric(data, p, shape=shape, dtype=dtype)


# -- taking and searching ------------------------------------------------------------------------


def take(arr: Any, indices: Any, axis: int) -> Any:
    """``jnp.take(arr, indices, axis)`` for in-bounds indices."""
    shape = shape_of(arr)
    ind_shape = shape_of(indices)
    n = len(shape)
    if axis != 0:
        arr = lax.transpose(arr, (axis, *(i for i in range(n) if i != axis)))
    rest = tuple(d for i, d in enumerate(shape) if i != axis)
    flat = lax.reshape(indices, (math.prod(ind_shape), 1))
    dnums = GatherDimensionNumbers(offset_dims=tuple(range(1, len(rest) + 1)),
                                   collapsed_slice_dims=(0,), start_index_map=(0,))
    out = lax.gather(arr, flat, dnums, (1, *rest), mode="clip")
    out = lax.reshape(out, (*ind_shape, *rest))
    if axis != 0:
        k = len(ind_shape)
        perm = (*range(k, k + axis), *range(k), *range(k + axis, k + len(rest)))
        out = lax.transpose(out, perm)
    return out


def _le_total(a: Any, b: Any) -> Any:
    """``a <= b`` in the total order of floats (NaN above everything, -0 equal to +0)."""
    if not dtypes.is_inexact(get_aval(a).dtype):
        return lax.le(a, b)
    b_nan = lax.ne(b, b)
    a_nan = lax.ne(a, a)
    return lax.bitwise_or(b_nan, lax.bitwise_and(lax.bitwise_not(a_nan), lax.le(a, b)))


def searchsorted_left(sorted_arr: Any, query: Any) -> Any:
    """``jnp.searchsorted(sorted_arr, query)`` (side 'left') by a binary search of
    ``ceil(log2(n + 1))`` levels, int32 indices."""
    n = shape_of(sorted_arr)[0]
    u32 = np.dtype(np.uint32)
    q_shape = shape_of(query)
    low = lax.full(q_shape, const(0, u32))
    high = lax.full(q_shape, const(n, u32))
    for _ in range(int(np.ceil(np.log2(n + 1)))):
        mid = lax.add(low, lax.div(lax.sub(high, low), const(2, u32)))
        value = lax.reshape(take(sorted_arr, mid, 0), q_shape)
        left = _le_total(query, value)
        low, high = lax.select(left, low, mid), lax.select(left, mid, high)
    return lax.convert_element_type(high, np.dtype(np.int32))


# -- permutations --------------------------------------------------------------------------------


def shuffle(key: Any, x: Any, axis: int) -> Any:
    """JAX's ``_shuffle``: sort by 32-bit random keys, enough rounds that ties are unlikely
    (``ceil(3 ln(size) / ln(2**32 - 1))``)."""
    size = math.prod(shape_of(x))
    rounds = int(np.ceil(3 * np.log(max(1, size)) / np.log(np.iinfo(np.uint32).max)))
    for _ in range(rounds):
        key, subkey = split2(key)
        sort_keys = random_bits(subkey, 32, shape_of(x))
        _, x = lax.sort_key_val(sort_keys, x, axis)
    return x


@jitted(static_argnames=("axis",))
def _shuffle(key: Any, x: Any, *, axis: int) -> Any:
    return shuffle(key, x, axis)


@jitted(static_argnames=("axis",))
def _permute_along(key: Any, x: Any, *, axis: int) -> Any:
    n = shape_of(x)[axis]
    ind = shuffle(key, lax.iota(default_int(), n), 0)
    return take(x, ind, axis)


def permutation(key: Any, x: Any, axis: int = 0, independent: bool = False, *,
                out_sharding: Any = None) -> Any:
    """A random permutation of ``range(x)`` (an int) or of ``x`` along ``axis``
    (``independent=True``: each slice along ``axis`` independently)."""
    data = single_key("permutation", key)
    x = param(x)
    if not np.ndim(x):
        if isinstance(x, (float, complex)) or not dtypes.is_int(get_aval(x).dtype):
            raise TypeError("x must be an integer or at least 1-dimensional")
        r = operator.index(x)
        return _shuffle(data, lax.iota(default_int(), r), axis=0)
    ndim = np.ndim(x)
    axis = axis + ndim if axis < 0 else axis
    if independent or ndim == 1:
        return _shuffle(data, x, axis=axis)
    return _permute_along(data, x, axis=axis)


# -- categorical and choice ----------------------------------------------------------------------


@jitted(static_argnames=("axis", "shape", "replace", "mode"))
def _categorical(key: Any, logits: Any, *, axis: int, shape: tuple, replace: bool,
                 mode: str) -> Any:
    logits_shape = shape_of(logits)
    dtype = get_aval(logits).dtype
    batch_shape = tuple(d for i, d in enumerate(logits_shape) if i != axis)
    prefix = shape[:len(shape) - len(batch_shape)]
    if replace:
        sample_shape = list(shape[len(shape) - len(batch_shape):])
        sample_shape.insert(axis, logits_shape[axis])
        g = _continuous.gumbel_floats(key, (*prefix, *sample_shape), dtype, mode)
        full = shape_of(g)
        expanded = lax.broadcast_in_dim(logits, (*(1,) * len(prefix), *logits_shape),
                                        tuple(range(len(prefix), len(full))))
        return lax.argmax(lax.add(g, expanded), len(prefix) + axis, default_int())
    g = _continuous.gumbel_floats(key, logits_shape, dtype, mode)
    perturbed = lax.add(logits, g)
    k = math.prod(prefix)
    n = len(logits_shape)
    moved = lax.transpose(perturbed, (*(i for i in range(n) if i != axis), axis))
    _, indices = lax.top_k(moved, k)
    indices = lax.convert_element_type(indices, default_int())
    nb = len(batch_shape)
    indices = lax.transpose(indices, (nb, *range(nb)))
    return lax.reshape(indices, shape)


def categorical(key: Any, logits: Any, axis: int = -1, shape: Any = None,
                replace: bool = True, mode: Any = None, *, out_sharding: Any = None) -> Any:
    """Samples of the categorical distribution with unnormalised log-probabilities
    ``logits`` along ``axis`` (by the Gumbel-max trick; ``replace=False``: Gumbel top-k)."""
    data = single_key("categorical", key)
    mode = _continuous.check_mode(mode)
    logits = param(logits)
    if isinstance(logits, (int, float)) or not dtypes.is_float(get_aval(logits).dtype):
        logits = as_dtype(logits, default_float())
    logits_shape = shape_of(logits)
    n = len(logits_shape)
    if not -n <= axis < n:
        raise ValueError(f"axis {axis} is out of bounds for array of dimension {n}")
    axis = axis % n
    batch_shape = tuple(d for i, d in enumerate(logits_shape) if i != axis)
    if shape is None:
        shape = batch_shape
    else:
        shape = shape_arg("categorical", shape)
        check_shape("categorical", shape, batch_shape)
    if not replace:
        prefix = shape[:len(shape) - len(batch_shape)]
        k = math.prod(prefix)
        if k > logits_shape[axis]:
            raise ValueError(f"Number of samples without replacement ({k}) cannot exceed "
                             f"number of categories ({logits_shape[axis]}).")
    return _categorical(data, logits, axis=axis, shape=shape, replace=bool(replace),
                        mode=mode)


@jitted(static_argnames=("shape", "axis", "n_inputs", "replace", "mode", "scalar"))
def _choice(key: Any, arr: Any, p: Any, *, shape: tuple, axis: int, n_inputs: int,
            replace: bool, mode: str, scalar: bool) -> Any:
    n_draws = math.prod(shape)
    if p is None:
        if replace:
            ind = randint_values(key, shape, const(0, default_int()),
                                 const(n_inputs, default_int()), default_int())
            return ind if scalar else take(arr, ind, axis)
        if scalar:
            return lax.slice(shuffle(key, lax.iota(default_int(), n_inputs), 0), (0,),
                             (n_draws,))
        arr_shape = shape_of(arr)
        if len(arr_shape) == 1:
            permuted = shuffle(key, arr, 0)
        else:
            ind = shuffle(key, lax.iota(default_int(), n_inputs), 0)
            permuted = take(arr, ind, axis)
        limit = list(arr_shape)
        limit[axis] = n_draws
        result = lax.slice(permuted, (0,) * len(arr_shape), tuple(limit))
        return lax.reshape(result, (*arr_shape[:axis], *shape, *arr_shape[axis + 1:]))
    dtype = get_aval(p).dtype
    if replace:
        cumulative = lax.cumsum(p, 0)
        total = lax.reshape(lax.slice(cumulative, (n_inputs - 1,), (n_inputs,)), ())
        u = uniform_floats(key, shape, dtype, const(0, dtype), const(1, dtype))
        r = lax.mul(total, lax.sub(const(1, dtype), u))
        ind = lax.convert_element_type(searchsorted_left(cumulative, r), default_int())
    else:
        g = lax.add(_continuous.gumbel_floats(key, (n_inputs,), dtype, mode), lax.log(p))
        _, ind = lax.top_k(g, n_draws)
        ind = lax.convert_element_type(ind, default_int())
    result = ind if scalar else take(arr, ind, axis)
    if scalar:
        return lax.reshape(result, shape)
    arr_shape = shape_of(arr)
    return lax.reshape(result, (*arr_shape[:axis], *shape, *arr_shape[axis + 1:]))


def choice(key: Any, a: Any, shape: Any = (), replace: bool = True, p: Any = None,
           axis: int = 0, mode: Any = None) -> Any:
    """Random samples from ``a`` (an int ``n`` stands for ``arange(n)``) along ``axis``,
    with or without replacement, uniformly or with probabilities ``p``."""
    data = single_key("choice", key)
    shape = shape_arg("choice", shape)
    mode = _continuous.check_mode(mode)
    a = param(a)
    scalar = np.ndim(a) == 0
    if scalar:
        n_inputs = operator.index(a)
        arr = None
    else:
        arr = a
        ndim = np.ndim(a)
        if not -ndim <= axis < ndim:
            raise ValueError(f"axis {axis} is out of bounds for array of dimension {ndim}")
        axis = axis % ndim
        n_inputs = np.shape(a)[axis]
    n_draws = math.prod(shape)
    if n_draws == 0:
        empty = (0,) if scalar else (*np.shape(a)[:axis], *shape, *np.shape(a)[axis + 1:])
        return lax.full(shape if scalar else empty,
                        const(0, default_int() if scalar else get_aval(a).dtype))
    if n_inputs <= 0:
        raise ValueError("a must be greater than 0 unless no samples are taken")
    if not replace and n_draws > n_inputs:
        raise ValueError(f"Cannot take a larger sample (size {n_draws}) than population "
                         f"(size {n_inputs}) when 'replace=False'")
    if p is not None:
        p = param(p)
        if np.shape(p) != (n_inputs,):
            raise ValueError("p must be None or a 1D vector with the same size as a.shape[axis]. "
                             f"p has shape {np.shape(p)} and a.shape[axis] is {n_inputs}.")
        p = _float_param(p)
        if isinstance(p, float):
            p = np.asarray(p, default_float())
    return _choice(data, arr, p, shape=shape, axis=axis, n_inputs=n_inputs,
                   replace=bool(replace), mode=mode, scalar=scalar)
