"""Reductions: ``sum``, ``prod``, ``max``, ``min``, ``all``, ``any`` (with ``axis``,
``keepdims``, ``where``, ``initial``, ``dtype``), statistics (``mean``, ``var``, ``std``,
``average``, ``median``, ``quantile``...), their ``nan*`` versions, ``argmax``/``argmin``, and
cumulative reductions (``cumsum``...).

As in JAX: sums and products of small integers and booleans accumulate in the default int
(``promote_integers``), float16/bfloat16 sums accumulate in float32, and ``where`` masks
elements by replacing them with the reduction's identity.
"""

from __future__ import annotations

import builtins
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from kiln import lax
from kiln.core import dtypes
from kiln.core.array import Array
from kiln.core.config import values as config_values
from kiln.core.tracing import Tracer
from kiln.numpy import promotion
from kiln.numpy.promotion import asarray, check_arraylike, promote_dtypes_inexact
from kiln.numpy.selection import _where, broadcast_to

Axis = int | Sequence[int] | None
_ARRAYS = (Array, Tracer)
# dtypes whose reductions need no promotion or upcasting (sums of int32 stay int32...)
_PLAIN_DTYPES = frozenset(np.dtype(t) for t in (np.float32, np.float64, np.int32, np.int64,
                                                np.uint32, np.uint64, np.complex64,
                                                np.complex128))


def canonicalize_axis(axis: Any, ndim: int) -> int:
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for array of dimension {ndim}")
    return axis + ndim if axis < 0 else axis


def reduction_dims(ndim: int, axis: Axis) -> tuple[int, ...]:
    """The dimensions ``axis`` names, canonical and sorted."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        dims = tuple(canonicalize_axis(a, ndim) for a in axis)
        if len(set(dims)) != len(dims):
            raise ValueError(f"duplicate value in 'axis': {axis}")
        return tuple(sorted(dims))
    if np.ndim(axis) != 0:
        raise TypeError(f"axis must be an int, a tuple of ints or None, got {axis!r}")
    return (canonicalize_axis(axis, ndim),)


def _user_dtype(dtype: Any, name: str) -> np.dtype | None:
    return promotion.canonicalize_user_dtype(dtype, name)


def _promote_integer_dtype(dtype: np.dtype) -> np.dtype:
    """NumPy widens small integer sums to 64 bits; JAX to the default int (int32 without
    x64)."""
    if dtype == dtypes.bool_:
        return dtypes.canonicalize_dtype(dtypes.int64)
    if dtypes.is_unsigned(dtype):
        uint = dtypes.canonicalize_dtype(dtypes.uint64)
        return uint if dtypes.itemsize_bits(dtype) < dtypes.itemsize_bits(uint) else dtype
    if dtypes.is_int(dtype):
        int_ = dtypes.canonicalize_dtype(dtypes.int64)
        return int_ if dtypes.itemsize_bits(dtype) < dtypes.itemsize_bits(int_) else dtype
    return dtype


def _upcast_f16(dtype: np.dtype) -> np.dtype:
    """float16 and bfloat16 accumulate in float32."""
    return np.dtype(np.float32) if dtype in (dtypes.float16, dtypes.bfloat16) else dtype


def _identity(dtype: np.dtype, value: Any) -> Any:
    """The reduction identity ``value`` (0, 1, inf, -inf, True...) as a ``dtype`` scalar:
    infinities become the extreme values of integer types."""
    if dtype == dtypes.bool_:
        if value in (-np.inf, np.inf):
            return np.bool_(value > 0)
        return np.bool_(value)
    if dtypes.is_int(dtype) and value in (-np.inf, np.inf):
        info = dtypes.iinfo(dtype)
        value = info.min if value < 0 else info.max
    return np.asarray(value).astype(dtype)[()]


_REDUCERS = {
    "add": (lax.reduce_sum, lax.add), "mul": (lax.reduce_prod, lax.mul),
    "max": (lax.reduce_max, lax.max), "min": (lax.reduce_min, lax.min),
    "and": (lax.reduce_and, lax.bitwise_and), "or": (lax.reduce_or, lax.bitwise_or),
    "xor": (lax.reduce_xor, lax.bitwise_xor),
}
_BOOL_OPS = {"add": "or", "mul": "and", "max": "or", "min": "and"}


def _reduction(a: Any, name: str, op: str, init: Any, *, has_identity: bool = True,
               preproc: Callable[[Any], Any] | None = None, upcast_f16: bool = False,
               promote_integers: bool = False, axis: Axis = None, dtype: Any = None,
               out: None = None, keepdims: bool = False, initial: Any = None,
               where: Any = None) -> Any:
    if (dtype is None and where is None and initial is None and out is None
            and preproc is None and isinstance(a, _ARRAYS) and not a.aval.weak_type
            and a.aval.dtype in _PLAIN_DTYPES and (axis is None or type(axis) is int)
            and not (config_values.enable_x64 and op in ("add", "mul")
                     and a.aval.dtype.itemsize == 4 and a.aval.dtype.kind in "iu")):
        # The common case (x.sum(), jnp.max(x, axis=0) on float32 or int32): no promotion.
        ndim = len(a.aval.shape)
        dims = tuple(range(ndim)) if axis is None else (canonicalize_axis(axis, ndim),)
        if has_identity or builtins.all(a.aval.shape[d] for d in dims):
            result = _REDUCERS[op][0](a, dims)
            return lax.expand_dims(result, dims) if keepdims else result
    check_arraylike(name, a)
    if out is not None:
        raise NotImplementedError(f"The 'out' argument to jnp.{name} is not supported.")
    dtype = _user_dtype(dtype, name)
    if initial is None and not has_identity and where is not None:
        raise ValueError(f"reduction operation {name} does not have an identity, so to use "
                         "a where mask one has to specify 'initial'")
    a = asarray(a)
    if preproc is not None:
        a = preproc(a)
    dims = reduction_dims(a.ndim, axis)
    if initial is None and not has_identity:
        if builtins.any(a.shape[d] == 0 for d in dims):
            raise ValueError(f"zero-size array to reduction operation {name} which has no "
                             "identity")
    result_dtype = dtype or a.dtype
    if dtype is None and promote_integers:
        result_dtype = _promote_integer_dtype(result_dtype)
    result_dtype = dtypes.canonicalize_dtype(result_dtype)
    computation_dtype = _upcast_f16(result_dtype) if upcast_f16 and \
        dtypes.is_inexact(result_dtype) else result_dtype
    a = lax.convert_element_type(a, computation_dtype) if (
        a.dtype != computation_dtype) else a
    if computation_dtype == dtypes.bool_:
        op = _BOOL_OPS.get(op, op)
    reducer, binary = _REDUCERS[op]
    if where is not None:
        a = _where(where, a, _identity(computation_dtype, init))
    result = reducer(a, dims)
    if initial is not None:
        initial_arr = promotion.convert(initial, a.dtype, False, as_array=True)
        if initial_arr.shape != ():
            raise ValueError("initial value must be a scalar. Got array of shape "
                             f"{initial_arr.shape}")
        result = binary(initial_arr, result)
    if keepdims:
        result = lax.expand_dims(result, dims)
    out_dtype = dtype or result_dtype
    if result.dtype != out_dtype or result.aval.weak_type:
        result = lax.convert_element_type(result, out_dtype)
    return result


def sum(a: Any, axis: Axis = None, dtype: Any = None, out: None = None,
        keepdims: bool = False, initial: Any = None, where: Any = None,
        promote_integers: bool = True) -> Any:
    """Sum of the elements over ``axis`` (all by default). Booleans and small integers sum
    in the default int unless ``promote_integers=False``."""
    return _reduction(a, "sum", "add", 0, upcast_f16=True,
                      promote_integers=promote_integers, axis=axis, dtype=dtype, out=out,
                      keepdims=keepdims, initial=initial, where=where)


def prod(a: Any, axis: Axis = None, dtype: Any = None, out: None = None,
         keepdims: bool = False, initial: Any = None, where: Any = None,
         promote_integers: bool = True) -> Any:
    """Product of the elements over ``axis``."""
    return _reduction(a, "prod", "mul", 1, upcast_f16=True,
                      promote_integers=promote_integers, axis=axis, dtype=dtype, out=out,
                      keepdims=keepdims, initial=initial, where=where)


def max(a: Any, axis: Axis = None, out: None = None, keepdims: bool = False,
        initial: Any = None, where: Any = None) -> Any:
    """Maximum over ``axis`` (NaN if any element is NaN)."""
    return _reduction(a, "max", "max", -np.inf, has_identity=False, axis=axis, out=out,
                      keepdims=keepdims, initial=initial, where=where)


def min(a: Any, axis: Axis = None, out: None = None, keepdims: bool = False,
        initial: Any = None, where: Any = None) -> Any:
    """Minimum over ``axis`` (NaN if any element is NaN)."""
    return _reduction(a, "min", "min", np.inf, has_identity=False, axis=axis, out=out,
                      keepdims=keepdims, initial=initial, where=where)


amax, amin = max, min


def _to_bool_array(a: Any) -> Any:
    return a if a.dtype == dtypes.bool_ else lax.convert_element_type(a, np.bool_)


def all(a: Any, axis: Axis = None, out: None = None, keepdims: bool = False, *,
        where: Any = None) -> Any:
    """Whether every element over ``axis`` is nonzero."""
    return _reduction(a, "all", "and", True, preproc=_to_bool_array, axis=axis, out=out,
                      keepdims=keepdims, where=where)


def any(a: Any, axis: Axis = None, out: None = None, keepdims: bool = False, *,
        where: Any = None) -> Any:
    """Whether any element over ``axis`` is nonzero."""
    return _reduction(a, "any", "or", False, preproc=_to_bool_array, axis=axis, out=out,
                      keepdims=keepdims, where=where)


def _reduce_bitwise(a: Any, axis: Axis, keepdims: bool, lax_fn: Callable, name: str,
                    initial: Any, where: Any) -> Any:
    op = {lax.bitwise_and: "and", lax.bitwise_or: "or", lax.bitwise_xor: "xor"}[lax_fn]
    preproc = _to_bool_array if name.startswith("logical") else None
    init = {"and": -1, "or": 0, "xor": 0}[op]
    if preproc is not None:
        init = {"and": True, "or": False, "xor": False}[op]
    a = asarray(a)
    if preproc is None and a.dtype != dtypes.bool_ and not dtypes.is_int(a.dtype):
        raise ValueError(f"{name}.reduce only supported for integer and boolean arrays")
    if preproc is None and a.dtype == dtypes.bool_:
        init = {"and": True, "or": False, "xor": False}[op]
    return _reduction(a, name, op, init, preproc=preproc, axis=axis, keepdims=keepdims,
                      initial=initial, where=where)


def _axis_size(shape: tuple[int, ...], dims: tuple[int, ...]) -> int:
    size = 1
    for d in dims:
        size *= shape[d]
    return size


def _inexact_dtype(dtype: np.dtype) -> np.dtype:
    return promotion.float_dtype_of(dtype)


def mean(a: Any, axis: Axis = None, dtype: Any = None, out: None = None,
         keepdims: bool = False, *, where: Any = None) -> Any:
    """Arithmetic mean over ``axis`` (integers average in the default float)."""
    check_arraylike("mean", a)
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.mean is not supported.")
    a = asarray(a)
    dims = reduction_dims(a.ndim, axis)
    user = _user_dtype(dtype, "mean")
    result_dtype = user if user is not None else _inexact_dtype(a.dtype)
    computation_dtype = _upcast_f16(result_dtype)
    total = sum(a, axis, dtype=computation_dtype, keepdims=keepdims, where=where)
    if where is None:
        normalizer = np.asarray(_axis_size(a.shape, dims)).astype(computation_dtype)[()]
    else:
        normalizer = sum(broadcast_to(where, a.shape), axis, dtype=computation_dtype,
                         keepdims=keepdims)
    result = lax.div(total, normalizer)
    return lax.convert_element_type(result, result_dtype) if result.dtype != result_dtype \
        else result


def _var_promote_types(a_dtype: np.dtype, dtype: Any) -> tuple[np.dtype, np.dtype]:
    if dtype is not None:
        dtype = _user_dtype(dtype, "var")
        if not dtypes.is_complex(dtype) and dtypes.is_complex(a_dtype):
            raise ValueError(
                "jax.numpy.var does not yet support real dtype parameters when computing the "
                "variance of an array of complex values. The semantics of numpy.var seem "
                "unclear in this case. Please comment on "
                "https://github.com/jax-ml/jax/issues/2283 if this behavior is important to "
                "you.")
        computation_dtype = dtype
    elif not dtypes.is_inexact(a_dtype):
        dtype = computation_dtype = dtypes.canonicalize_dtype(dtypes.float64)
    else:
        dtype = _real_dtype(a_dtype)
        computation_dtype = a_dtype
    return _upcast_f16(computation_dtype), np.dtype(dtype)


def _real_dtype(dtype: np.dtype) -> np.dtype:
    if dtype == dtypes.complex64:
        return np.dtype(np.float32)
    if dtype == dtypes.complex128:
        return np.dtype(np.float64)
    return dtype


def _correction(ddof: Any, correction: Any, name: str) -> Any:
    if correction is None:
        return ddof
    if not (isinstance(ddof, int) and ddof == 0):
        raise ValueError("ddof and correction can't be provided simultaneously.")
    return correction


def var(a: Any, axis: Axis = None, dtype: Any = None, out: None = None, ddof: int = 0,
        keepdims: bool = False, *, where: Any = None, mean: Any = None,
        correction: int | float | None = None) -> Any:
    """Variance over ``axis``: ``sum(|x - mean|**2) / (N - ddof)`` (NaN when
    ``N - ddof <= 0``). ``mean`` may pass a precomputed mean (with keepdims)."""
    check_arraylike("var", a)
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.var is not supported.")
    ddof = _correction(ddof, correction, "var")
    a = asarray(a)
    computation_dtype, dtype = _var_promote_types(a.dtype, dtype)
    a = a.astype(computation_dtype) if a.dtype != computation_dtype else a
    dims = reduction_dims(a.ndim, axis)
    if mean is None:
        a_mean = globals()["mean"](a, axis, dtype=computation_dtype, keepdims=True,
                                   where=where)
    else:
        a_mean = promotion.convert(mean, computation_dtype, False, as_array=True)
    centered = lax.sub(a, a_mean)
    if dtypes.is_complex(centered.dtype):
        centered = lax.real(lax.mul(centered, lax.conj(centered)))
    else:
        centered = lax.square(centered)
    real_dtype = _real_dtype(computation_dtype)
    if where is None:
        normalizer = asarray(np.asarray(_axis_size(a.shape, dims)).astype(real_dtype))
    else:
        normalizer = sum(broadcast_to(where, a.shape), axis, dtype=real_dtype,
                         keepdims=keepdims)
    normalizer = lax.sub(normalizer, promotion.convert(ddof, real_dtype, False,
                                                       as_array=True))
    result = sum(centered, axis, dtype=real_dtype, keepdims=keepdims, where=where)
    result = lax.div(result, lax.convert_element_type(normalizer, result.dtype))
    if result.dtype != dtype:
        result = lax.convert_element_type(result, dtype)
    return _where(lax.gt(normalizer, lax.full_like(normalizer, 0)), result,
                  np.array(np.nan, dtype)[()])


def std(a: Any, axis: Axis = None, dtype: Any = None, out: None = None, ddof: int = 0,
        keepdims: bool = False, *, where: Any = None, mean: Any = None,
        correction: int | float | None = None) -> Any:
    """Standard deviation over ``axis``: ``sqrt(var(...))``."""
    check_arraylike("std", a)
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.std is not supported.")
    return lax.sqrt(var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims,
                        where=where, mean=mean, correction=correction))


def average(a: Any, axis: Axis = None, weights: Any = None, returned: bool = False,
            keepdims: bool = False) -> Any:
    """Weighted average over ``axis``; with ``returned``, also the sum of the weights."""
    from kiln.numpy.shape import moveaxis

    check_arraylike("average", a)
    if weights is None:
        avg = mean(a, axis=axis, keepdims=keepdims)
        a_arr = asarray(a)
        weights_sum = lax.full_like(avg, a_arr.size // builtins.max(avg.size, 1))
    else:
        check_arraylike("average", weights)
        a_arr, w = (promotion._as_array(x) for x in promote_dtypes_inexact(a, weights))
        a_shape, w_shape = a_arr.shape, w.shape
        if axis is not None:
            axis = tuple(canonicalize_axis(d, a_arr.ndim) for d in axis) if isinstance(
                axis, (tuple, list)) else canonicalize_axis(axis, a_arr.ndim)
        if a_shape != w_shape:
            if len(w_shape) != 1:
                raise ValueError("1D weights expected when shapes of a and weights differ.")
            if axis is None:
                raise ValueError("Axis must be specified when shapes of a and weights "
                                 "differ.")
            if isinstance(axis, tuple):
                raise ValueError("Single axis expected when shapes of a and weights differ")
            if w_shape[0] != a_shape[axis]:
                raise ValueError("Length of weights not compatible with specified axis.")
            w = broadcast_to(w, (a_arr.ndim - 1) * (1,) + w_shape)
            w = moveaxis(w, -1, axis)
        weights_sum = sum(w, axis=axis, keepdims=keepdims)
        avg = lax.div(sum(lax.mul(*_broadcast_pair(a_arr, w)), axis=axis, keepdims=keepdims),
                      weights_sum)
    if returned:
        if avg.shape != weights_sum.shape:
            weights_sum = broadcast_to(weights_sum, avg.shape)
        return avg, weights_sum
    return avg


def _broadcast_pair(x: Any, y: Any) -> tuple[Any, Any]:
    from kiln.numpy.selection import _broadcast_arrays

    bx, by = _broadcast_arrays(x, y)
    return bx, by


# -- nan reductions -------------------------------------------------------------------------------


def _nan_reduction(a: Any, name: str, reduction: Callable[..., Any], init: Any,
                   nan_if_all_nan: bool, axis: Axis, keepdims: bool, where: Any,
                   **kwargs: Any) -> Any:
    check_arraylike(name, a)
    a = asarray(a)
    if not dtypes.is_inexact(a.dtype):
        return reduction(a, axis=axis, keepdims=keepdims, where=where, **kwargs)
    nan = lax.ne(a, a)
    out = reduction(_where(nan, _identity(a.dtype, init) if not dtypes.is_complex(a.dtype)
                           else np.array(init, a.dtype)[()], a),
                    axis=axis, keepdims=keepdims, where=where, **kwargs)
    if nan_if_all_nan:
        return _where(all(nan, axis=axis, keepdims=keepdims), np.array(np.nan, a.dtype)[()],
                      out)
    return out


def nanmin(a: Any, axis: Axis = None, out: None = None, keepdims: bool = False,
           initial: Any = None, where: Any = None) -> Any:
    """Minimum over ``axis`` ignoring NaNs (NaN where all are NaN)."""
    return _nan_reduction(a, "nanmin", min, np.inf, True, axis, keepdims, where, out=out,
                          initial=initial)


def nanmax(a: Any, axis: Axis = None, out: None = None, keepdims: bool = False,
           initial: Any = None, where: Any = None) -> Any:
    """Maximum over ``axis`` ignoring NaNs (NaN where all are NaN)."""
    return _nan_reduction(a, "nanmax", max, -np.inf, True, axis, keepdims, where, out=out,
                          initial=initial)


def nansum(a: Any, axis: Axis = None, dtype: Any = None, out: None = None,
           keepdims: bool = False, initial: Any = None, where: Any = None) -> Any:
    """Sum over ``axis`` treating NaNs as zero."""
    return _nan_reduction(a, "nansum", sum, 0, False, axis, keepdims, where, dtype=dtype,
                          out=out, initial=initial)


def nanprod(a: Any, axis: Axis = None, dtype: Any = None, out: None = None,
            keepdims: bool = False, initial: Any = None, where: Any = None) -> Any:
    """Product over ``axis`` treating NaNs as one."""
    return _nan_reduction(a, "nanprod", prod, 1, False, axis, keepdims, where, dtype=dtype,
                          out=out, initial=initial)


def nanmean(a: Any, axis: Axis = None, dtype: Any = None, out: None = None,
            keepdims: bool = False, where: Any = None) -> Any:
    """Mean over ``axis`` ignoring NaNs."""
    check_arraylike("nanmean", a)
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.nanmean is not supported.")
    a = asarray(a)
    if not dtypes.is_inexact(a.dtype):
        return mean(a, axis, dtype=dtype, keepdims=keepdims, where=where)
    dtype = _user_dtype(dtype, "nanmean") or _inexact_dtype(a.dtype)
    not_nan = lax.bitwise_not(lax.ne(a, a))
    normalizer = sum(not_nan, axis=axis, dtype=dtype, keepdims=keepdims, where=where)
    return lax.div(nansum(a, axis, dtype=dtype, keepdims=keepdims, where=where), normalizer)


def nanvar(a: Any, axis: Axis = None, dtype: Any = None, out: None = None, ddof: int = 0,
           keepdims: bool = False, where: Any = None, mean: Any = None) -> Any:
    """Variance over ``axis`` ignoring NaNs."""
    check_arraylike("nanvar", a)
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.nanvar is not supported.")
    a = asarray(a)
    computation_dtype, dtype = _var_promote_types(a.dtype, dtype)
    a = a.astype(computation_dtype) if a.dtype != computation_dtype else a
    if mean is None:
        a_mean = nanmean(a, axis, dtype=computation_dtype, keepdims=True, where=where)
    else:
        a_mean = promotion.convert(mean, computation_dtype, False, as_array=True)
    nan = lax.ne(a, a)
    centered = _where(nan, np.zeros((), a.dtype)[()], lax.sub(a, a_mean))
    if dtypes.is_complex(centered.dtype):
        centered = lax.real(lax.mul(centered, lax.conj(centered)))
    else:
        centered = lax.square(centered)
    normalizer = sum(lax.bitwise_not(nan), axis=axis, keepdims=keepdims, where=where)
    normalizer = lax.sub(normalizer, promotion.convert(ddof, normalizer.dtype, False,
                                                       as_array=True)) \
        if isinstance(ddof, int) else lax.sub(lax.convert_element_type(
            normalizer, centered.dtype), promotion.convert(ddof, centered.dtype, False,
                                                           as_array=True))
    normalizer_mask = lax.le(normalizer, lax.full_like(normalizer, 0))
    result = sum(centered, axis, keepdims=keepdims, where=where)
    result = _where(normalizer_mask, np.array(np.nan, result.dtype)[()], result)
    divisor = _where(normalizer_mask, lax.full_like(normalizer, 1), normalizer)
    result = lax.div(result, lax.convert_element_type(divisor, result.dtype))
    return lax.convert_element_type(result, dtype) if result.dtype != dtype else result


def nanstd(a: Any, axis: Axis = None, dtype: Any = None, out: None = None, ddof: int = 0,
           keepdims: bool = False, where: Any = None, mean: Any = None) -> Any:
    """Standard deviation over ``axis`` ignoring NaNs."""
    check_arraylike("nanstd", a)
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.nanstd is not supported.")
    return lax.sqrt(nanvar(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims,
                           where=where, mean=mean))


# -- argmax / argmin --------------------------------------------------------------------------


def _arg_reduction(name: str, lax_fn: Callable, a: Any, axis: int | None, out: None,
                   keepdims: bool | None) -> Any:
    check_arraylike(name, a)
    if out is not None:
        raise NotImplementedError(f"The 'out' argument to jnp.{name} is not supported.")
    a = asarray(a)
    if axis is None:
        dims = tuple(range(a.ndim))
        a = lax.reshape(a, (a.size,))
        axis = 0
    else:
        axis = canonicalize_axis(axis, a.ndim)
        dims = (axis,)
    if a.shape[axis] == 0:
        raise ValueError(f"attempt to get {name} of an empty sequence")
    result = lax_fn(a, axis, dtypes.canonicalize_dtype(dtypes.int64))
    if keepdims:
        result = lax.expand_dims(result, dims)
    return result


def argmax(a: Any, axis: int | None = None, out: None = None,
           keepdims: bool | None = None) -> Any:
    """Index of the maximum along ``axis`` (of the flattened array if None); the first
    among ties, the first NaN if any."""
    return _arg_reduction("argmax", lax.argmax, a, axis, out, keepdims)


def argmin(a: Any, axis: int | None = None, out: None = None,
           keepdims: bool | None = None) -> Any:
    """Index of the minimum along ``axis``; the first among ties, the first NaN if any."""
    return _arg_reduction("argmin", lax.argmin, a, axis, out, keepdims)


def _nan_arg(name: str, fn: Callable, fill: float, a: Any, axis: int | None, out: None,
             keepdims: bool | None) -> Any:
    check_arraylike(name, a)
    a = asarray(a)
    if not dtypes.is_inexact(a.dtype):
        return fn(a, axis=axis, out=out, keepdims=keepdims)
    nan = lax.ne(a, a)
    res = fn(_where(nan, np.array(fill, a.dtype)[()], a), axis=axis, out=out,
             keepdims=keepdims)
    return _where(all(nan, axis=axis, keepdims=bool(keepdims)), np.array(-1, res.dtype)[()],
                  res)


def nanargmax(a: Any, axis: int | None = None, out: None = None,
              keepdims: bool | None = None) -> Any:
    """``argmax`` ignoring NaNs (-1 where all are NaN)."""
    return _nan_arg("nanargmax", argmax, -np.inf, a, axis, out, keepdims)


def nanargmin(a: Any, axis: int | None = None, out: None = None,
              keepdims: bool | None = None) -> Any:
    """``argmin`` ignoring NaNs (-1 where all are NaN)."""
    return _nan_arg("nanargmin", argmin, np.inf, a, axis, out, keepdims)


def count_nonzero(a: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    """The number of nonzero elements over ``axis``."""
    check_arraylike("count_nonzero", a)
    a = asarray(a)
    return sum(lax.ne(a, np.zeros((), a.dtype)[()]), axis=axis,
               dtype=dtypes.canonicalize_dtype(dtypes.int64), keepdims=keepdims)


def ptp(a: Any, axis: Axis = None, out: None = None, keepdims: bool = False) -> Any:
    """Peak to peak: ``max - min`` over ``axis``."""
    check_arraylike("ptp", a)
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.ptp is not supported.")
    x = max(a, axis=axis, keepdims=keepdims)
    y = min(a, axis=axis, keepdims=keepdims)
    return lax.sub(x, y)


# -- cumulative reductions ------------------------------------------------------------------------


def _cumulative(name: str, reduction: Callable, a: Any, axis: int | None, dtype: Any,
                out: None, fill_nan: bool = False, fill_value: Any = 0,
                promote_integers: bool = False) -> Any:
    check_arraylike(name, a)
    if out is not None:
        raise NotImplementedError(f"The 'out' argument to jnp.{name} is not supported.")
    a = asarray(a)
    user = _user_dtype(dtype, name)
    if axis is None or a.ndim == 0:
        a = lax.reshape(a, (a.size,))
    if axis is None:
        axis = 0
    axis = canonicalize_axis(axis, a.ndim)
    if fill_nan and dtypes.is_inexact(a.dtype):
        a = _where(lax.ne(a, a), np.array(fill_value, a.dtype)[()], a)
    result_type = user if user is not None else a.dtype
    if (user is None and promote_integers) or result_type == dtypes.bool_:
        result_type = _promote_integer_dtype(result_type)
    result_type = dtypes.canonicalize_dtype(result_type)
    if a.dtype != dtypes.bool_ and user == dtypes.bool_:
        a = lax.convert_element_type(a, np.bool_)
    if a.dtype != result_type:
        a = lax.convert_element_type(a, result_type)
    result = reduction(a, axis)
    if user == dtypes.bool_:
        result = lax.convert_element_type(result, np.bool_)
    return result


def cumsum(a: Any, axis: int | None = None, dtype: Any = None, out: None = None) -> Any:
    """Cumulative sum along ``axis`` (of the flattened array if None)."""
    return _cumulative("cumsum", lax.cumsum, a, axis, dtype, out)


def cumprod(a: Any, axis: int | None = None, dtype: Any = None, out: None = None) -> Any:
    """Cumulative product along ``axis`` (of the flattened array if None)."""
    return _cumulative("cumprod", lax.cumprod, a, axis, dtype, out)


def nancumsum(a: Any, axis: int | None = None, dtype: Any = None, out: None = None) -> Any:
    """Cumulative sum treating NaNs as zero."""
    return _cumulative("nancumsum", lax.cumsum, a, axis, dtype, out, fill_nan=True,
                       fill_value=0)


def nancumprod(a: Any, axis: int | None = None, dtype: Any = None, out: None = None) -> Any:
    """Cumulative product treating NaNs as one."""
    return _cumulative("nancumprod", lax.cumprod, a, axis, dtype, out, fill_nan=True,
                       fill_value=1)


def _cummax(a: Any, axis: int = 0, dtype: Any = None) -> Any:
    return _cumulative("maximum.accumulate", lax.cummax, a, axis, dtype, None)


def _cummin(a: Any, axis: int = 0, dtype: Any = None) -> Any:
    return _cumulative("minimum.accumulate", lax.cummin, a, axis, dtype, None)


def _cumulative_api(name: str, reduction: Callable, identity: int, x: Any, axis: int | None,
                    dtype: Any, include_initial: bool) -> Any:
    check_arraylike(name, x)
    x = asarray(x)
    what = "sum" if name.endswith("sum") else "product"
    if x.ndim == 0:
        raise ValueError(f"The input must be non-scalar to take a cumulative {what}, however "
                         "a scalar value or scalar array was given.")
    if axis is None:
        axis = 0
        if x.ndim > 1:
            raise ValueError(f"The input array has rank {x.ndim}, however axis was not set to "
                             "an explicit value. The axis argument is only optional for "
                             "one-dimensional arrays.")
    axis = canonicalize_axis(axis, x.ndim)
    out = _cumulative(name, reduction, x, axis, dtype, None, promote_integers=True)
    if include_initial:
        shape = list(x.shape)
        shape[axis] = 1
        out = lax.concatenate([lax.full(shape, identity, out.dtype), out], axis)
    return out


def cumulative_sum(x: Any, /, *, axis: int | None = None, dtype: Any = None,
                   include_initial: bool = False) -> Any:
    """Cumulative sum (the Array API's): ``axis`` is required beyond one dimension;
    ``include_initial`` prepends a 0."""
    return _cumulative_api("cumulative_sum", lax.cumsum, 0, x, axis, dtype, include_initial)


def cumulative_prod(x: Any, /, *, axis: int | None = None, dtype: Any = None,
                    include_initial: bool = False) -> Any:
    """Cumulative product (the Array API's); ``include_initial`` prepends a 1."""
    return _cumulative_api("cumulative_prod", lax.cumprod, 1, x, axis, dtype,
                           include_initial)


# -- quantiles --------------------------------------------------------------------------------

_QUANTILE_METHODS = ("linear", "lower", "higher", "midpoint", "nearest", "inverted_cdf",
                     "averaged_inverted_cdf", "closest_observation",
                     "interpolated_inverted_cdf", "hazen", "weibull", "median_unbiased",
                     "normal_unbiased")


def _quantile(name: str, a: Any, q: Any, axis: Any, method: str, keepdims: bool,
              squash_nans: bool, weights: Any = None) -> Any:
    from kiln.numpy.indexing import take_along_axis
    from kiln.numpy.shape import moveaxis

    if method not in ("linear", "lower", "higher", "midpoint", "nearest"):
        if method in _QUANTILE_METHODS:
            raise NotImplementedError(f"{name}: method={method!r} is not implemented")
        raise ValueError(f"method can only be 'linear', 'lower', 'higher', 'midpoint', or "
                         f"'nearest'. Got {method!r}.")
    if weights is not None:
        raise NotImplementedError(f"{name}: weights are not supported")
    check_arraylike(name, a, q)
    (a,) = promote_dtypes_inexact(a)
    a = promotion._as_array(a)
    if dtypes.is_complex(a.dtype):
        raise ValueError("q must be real")  # NumPy: complex input is not ordered
    q = promotion.convert(q, a.dtype, False, as_array=True)
    if q.ndim > 1:
        raise ValueError(f"q must be have rank <= 1, got shape {q.shape}")
    a_shape = a.shape
    if axis is None:
        dims = tuple(range(a.ndim))
        a = lax.reshape(a, (a.size,))
        axis = 0
    elif isinstance(axis, (tuple, list)):
        dims = reduction_dims(a.ndim, tuple(axis))
        keep = [d for d in range(a.ndim) if d not in dims]
        a = lax.transpose(a, keep + list(dims))
        a = lax.reshape(a, tuple(a_shape[d] for d in keep) + (_axis_size(a_shape, dims),))
        axis = a.ndim - 1
    else:
        axis = canonicalize_axis(axis, a.ndim)
        dims = (axis,)
    a = moveaxis(a, axis, -1)
    n = a.shape[-1]
    a = lax.sort(a, dimension=a.ndim - 1)
    nan_mask = lax.ne(a, a)
    if squash_nans:
        counts = sum(lax.bitwise_not(nan_mask), axis=-1, keepdims=True, dtype=a.dtype)
    else:
        counts = np.array(n, a.dtype)[()]
    # q's dimensions lead the result: broadcast q against the other dimensions.
    q_b = lax.reshape(q, q.shape + (1,) * a.ndim)
    pos = lax.mul(q_b, lax.sub(counts, np.array(1, a.dtype)[()]))
    low = lax.floor(pos)
    high = lax.ceil(pos)
    high_weight = lax.sub(pos, low)
    low_weight = lax.sub(np.array(1, a.dtype)[()], high_weight)
    limit = lax.sub(counts, np.array(1, a.dtype)[()])
    low = lax.max(np.array(0, a.dtype)[()], lax.min(low, limit))
    high = lax.max(np.array(0, a.dtype)[()], lax.min(high, limit))
    int_t = np.int32
    low_i = lax.convert_element_type(low, int_t)
    high_i = lax.convert_element_type(high, int_t)
    a_b = broadcast_to(a, q.shape + a.shape)
    low_i = broadcast_to(low_i, q.shape + a.shape[:-1] + (1,))
    high_i = broadcast_to(high_i, q.shape + a.shape[:-1] + (1,))
    low_value = take_along_axis(a_b, low_i, axis=-1)
    high_value = take_along_axis(a_b, high_i, axis=-1)
    if method == "linear":
        result = lax.add(lax.mul(low_value, broadcast_to(low_weight, low_value.shape)),
                         lax.mul(high_value, broadcast_to(high_weight, high_value.shape)))
    elif method == "lower":
        result = low_value
    elif method == "higher":
        result = high_value
    elif method == "nearest":
        pred = lax.le(broadcast_to(high_weight, low_value.shape),
                      np.array(0.5, a.dtype)[()])
        result = lax.select(pred, low_value, high_value)
    else:  # midpoint
        result = lax.mul(lax.add(low_value, high_value), np.array(0.5, a.dtype)[()])
    result = lax.squeeze(result, (result.ndim - 1,))
    if not squash_nans:
        any_nan = any(nan_mask, axis=-1)
        result = _where(broadcast_to(any_nan, result.shape), np.array(np.nan, a.dtype)[()],
                        result)
    if keepdims:
        out_shape = q.shape + tuple(1 if d in dims else a_shape[d] for d in range(len(
            a_shape)))
        result = lax.reshape(result, out_shape)
    return result


def quantile(a: Any, q: Any, axis: int | tuple[int, ...] | None = None, out: None = None,
             overwrite_input: bool = False, method: str = "linear", keepdims: bool = False,
             *, weights: Any = None) -> Any:
    """The ``q``-th quantiles (``q`` in [0, 1]) over ``axis``; ``q``'s dimensions lead the
    result. NaN if a slice holds a NaN."""
    if overwrite_input or out is not None:
        raise ValueError("jax.numpy.quantile does not support overwrite_input=True or "
                         "out != None")
    return _quantile("quantile", a, q, axis, method, keepdims, False, weights)


def nanquantile(a: Any, q: Any, axis: int | tuple[int, ...] | None = None, out: None = None,
                overwrite_input: bool = False, method: str = "linear",
                keepdims: bool = False, *, weights: Any = None) -> Any:
    """``quantile`` ignoring NaNs."""
    if overwrite_input or out is not None:
        raise ValueError("jax.numpy.nanquantile does not support overwrite_input=True or "
                         "out != None")
    return _quantile("nanquantile", a, q, axis, method, keepdims, True, weights)


def _percent(q: Any) -> Any:
    q = asarray(q)
    if not dtypes.is_inexact(q.dtype):
        (q,) = promote_dtypes_inexact(q)
        q = promotion._as_array(q)
    return lax.div(q, np.array(100, q.dtype)[()] if not q.aval.weak_type else 100.0)


def percentile(a: Any, q: Any, axis: int | tuple[int, ...] | None = None, out: None = None,
               overwrite_input: bool = False, method: str = "linear", keepdims: bool = False,
               *, weights: Any = None) -> Any:
    """The ``q``-th percentiles (``q`` in [0, 100]) over ``axis``."""
    check_arraylike("percentile", a, q)
    return quantile(a, _percent(q), axis=axis, out=out, overwrite_input=overwrite_input,
                    method=method, keepdims=keepdims, weights=weights)


def nanpercentile(a: Any, q: Any, axis: int | tuple[int, ...] | None = None, out: None = None,
                  overwrite_input: bool = False, method: str = "linear",
                  keepdims: bool = False, *, weights: Any = None) -> Any:
    """``percentile`` ignoring NaNs."""
    check_arraylike("nanpercentile", a, q)
    return nanquantile(a, _percent(q), axis=axis, out=out, overwrite_input=overwrite_input,
                       method=method, keepdims=keepdims, weights=weights)


def median(a: Any, axis: int | tuple[int, ...] | None = None, out: None = None,
           overwrite_input: bool = False, keepdims: bool = False) -> Any:
    """The median over ``axis`` (the mean of the two middle values for even sizes)."""
    check_arraylike("median", a)
    return quantile(a, 0.5, axis=axis, out=out, overwrite_input=overwrite_input,
                    keepdims=keepdims, method="midpoint")


def nanmedian(a: Any, axis: int | tuple[int, ...] | None = None, out: None = None,
              overwrite_input: bool = False, keepdims: bool = False) -> Any:
    """``median`` ignoring NaNs."""
    check_arraylike("nanmedian", a)
    return nanquantile(a, 0.5, axis=axis, out=out, overwrite_input=overwrite_input,
                       keepdims=keepdims, method="midpoint")


# -- comparisons of whole arrays --------------------------------------------------------------


def isclose(a: Any, b: Any, rtol: Any = 1e-05, atol: Any = 1e-08,
            equal_nan: bool = False) -> Any:
    """Elementwise ``|a - b| <= atol + rtol * |b|`` (infinities equal only themselves; NaNs
    equal each other with ``equal_nan``)."""
    from kiln.numpy import ufuncs

    a, b = promotion.promote_args("isclose", a, b)
    a, b = promotion._as_array(a), promotion._as_array(b)
    dt = a.dtype
    if dtypes.is_inexact(dt):
        rtol_c = promotion.convert(rtol, _real_dtype(dt), False)
        atol_c = promotion.convert(atol, _real_dtype(dt), False)
        diff = ufuncs.absolute(lax.sub(a, b))
        bound = lax.add(atol_c, lax.mul(rtol_c, ufuncs.absolute(b)))
        out = lax.le(diff, bound)
        both_inf = lax.bitwise_and(ufuncs.isinf(a), ufuncs.isinf(b))
        out = lax.bitwise_and(lax.bitwise_not(lax.bitwise_xor(ufuncs.isinf(a),
                                                              ufuncs.isinf(b))), out)
        out = _where(both_inf, lax.eq(a, b), out)
        out = lax.bitwise_and(out, lax.bitwise_not(lax.bitwise_or(lax.ne(a, a),
                                                                  lax.ne(b, b))))
        if equal_nan:
            out = lax.bitwise_or(out, lax.bitwise_and(lax.ne(a, a), lax.ne(b, b)))
        return out
    return lax.eq(a, b)


def allclose(a: Any, b: Any, rtol: Any = 1e-05, atol: Any = 1e-08,
             equal_nan: bool = False) -> Any:
    """Whether every element of ``a`` and ``b`` is ``isclose``."""
    check_arraylike("allclose", a, b)
    return all(isclose(a, b, rtol, atol, equal_nan))


def array_equal(a1: Any, a2: Any, equal_nan: bool = False) -> Any:
    """Whether ``a1`` and ``a2`` have one shape and equal elements."""
    a1, a2 = asarray(a1), asarray(a2)
    if a1.shape != a2.shape:
        return asarray(False)
    eq = lax.eq(*[promotion._as_array(x) for x in promotion.promote_dtypes(a1, a2)])
    if equal_nan:
        eq = lax.bitwise_or(eq, lax.bitwise_and(lax.ne(a1, a1), lax.ne(a2, a2)))
    return all(eq)


def array_equiv(a1: Any, a2: Any) -> Any:
    """Whether ``a1`` and ``a2`` broadcast to each other with equal elements."""
    from kiln.numpy import ufuncs

    a1, a2 = asarray(a1), asarray(a2)
    try:
        eq = ufuncs.equal(a1, a2)
    except ValueError:
        return asarray(False)
    return all(eq)

