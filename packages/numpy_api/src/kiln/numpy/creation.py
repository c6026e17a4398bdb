"""Creating arrays: from data (``array``, ``asarray``), filled (``zeros``, ``full``...),
ranges (``arange``, ``linspace``...), matrices (``eye``, ``tri``, ``diag``...), grids
(``meshgrid``, ``indices``), window functions, and conversions (``astype``, ``copy``)."""

from __future__ import annotations

import builtins
import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from kiln import lax
from kiln.core import dtypes, errors
from kiln.core.abstract import ShapedArray
from kiln.core.array import Array
from kiln.core.dispatch import device_put_value
from kiln.core.tracing import Tracer
from kiln.lax import copy_p as _copy_p
from kiln.numpy import promotion
from kiln.numpy.promotion import check_arraylike
from kiln.numpy.reductions import canonicalize_axis
from kiln.numpy.selection import _where, broadcast_to

_ARRAYS = (Array, Tracer)
_PY_SCALARS = (bool, int, float, complex)


def _dtype_arg(dtype: Any, name: str) -> np.dtype | None:
    if dtype is None:
        return None
    inner = getattr(dtype, "dtype", None)
    if isinstance(inner, np.dtype):  # kiln's scalar types, arrays
        dtype = inner
    return promotion.canonicalize_user_dtype(dtype, name)


def _default_float() -> np.dtype:
    return dtypes.canonicalize_dtype(dtypes.float64)


def _default_int() -> np.dtype:
    return dtypes.canonicalize_dtype(dtypes.int64)


def _check_host_dtype(dt: np.dtype) -> None:
    if dt.kind not in "biufc" and dt not in dtypes.all_dtypes:
        raise TypeError(f"JAX only supports number and bool dtypes, got dtype {dt} in array")


def _leaves(obj: Any) -> list[Any]:
    if isinstance(obj, (list, tuple)):
        out = []
        for e in obj:
            out.extend(_leaves(e))
        return out
    return [obj]


def _stack_nested(obj: Any, dtype: np.dtype) -> Any:
    if isinstance(obj, (list, tuple)):
        if not obj:
            return device_put_value(np.zeros((0,), dtype), ShapedArray((0,), dtype))
        return lax.stack([_stack_nested(e, dtype) for e in obj], 0)
    return promotion.convert(obj, dtype, False, as_array=True)


def array(object: Any, dtype: Any = None, copy: bool = True, order: str | None = "K",
          ndmin: int = 0, *, device: Any = None, out_sharding: Any = None) -> Any:
    """An array from ``object``: an array, a scalar (weakly typed), or nested lists and
    tuples of those. Without ``dtype`` the elements' dtypes are promoted (64-bit types
    become 32-bit unless x64 is enabled)."""
    if order is not None and order not in ("K", "C", "A"):
        raise NotImplementedError("Only implemented for order='K'")
    dt = _dtype_arg(dtype, "array")
    ndmin = operator.index(ndmin)
    jax_array = getattr(object, "__jax_array__", None)
    if jax_array is not None and not isinstance(object, _ARRAYS):
        object = jax_array()
    if isinstance(object, _ARRAYS):
        if dt is None or dt == object.dtype and not object.aval.weak_type:
            # A copy, as JAX's array() makes (asarray() returns the array itself).
            out = _copy_p.bind(object) if copy else object
        else:
            out = promotion.convert(object, dt, False, as_array=True)
    elif type(object) in _PY_SCALARS:
        if dt is None:
            out = promotion.asarray(object)
        else:
            out = promotion.convert(object, dt, False, as_array=True)
    elif isinstance(object, (list, tuple)):
        leaves = _leaves(object)
        if any(isinstance(x, _ARRAYS) or hasattr(x, "__jax_array__") for x in leaves):
            leaves = [x.__jax_array__() if hasattr(x, "__jax_array__") and not isinstance(
                x, _ARRAYS) else x for x in leaves]
            target = dt or (promotion.result_dtype_and_weak(*leaves)[0] if leaves
                            else _default_float())
            out = _stack_nested(object, target)
        else:
            for x in leaves:
                if not isinstance(x, (np.ndarray, np.generic, *_PY_SCALARS)):
                    host = np.asarray(x)
                    _check_host_dtype(host.dtype)
            if not leaves:
                target = dt or _default_float()
            else:
                hosts = [x if type(x) in _PY_SCALARS else np.asarray(x) for x in leaves]
                for h in hosts:
                    if isinstance(h, np.ndarray):
                        _check_host_dtype(h.dtype)
                target = dt or dtypes.result_type_and_weak(*hosts)[0]
            value = _host_array(object, target)
            out = device_put_value(value, ShapedArray(value.shape, target))
    else:
        if isinstance(object, (bytes, str)):
            raise TypeError(f"JAX only supports number and bool dtypes, got dtype "
                            f"{np.asarray(object).dtype} in array")
        host = np.asarray(object)
        _check_host_dtype(host.dtype)
        target = dt or dtypes.canonicalize_dtype(host.dtype)
        if host.dtype != target:
            if dt is not None and not promotion._exact_on_host(host.dtype, target):
                out = promotion.convert(host, target, False, as_array=True)
                return _ndmin(out, ndmin)
            host = host.astype(target)
        out = device_put_value(host, ShapedArray(host.shape, target))
    return _ndmin(out, ndmin)


def _host_array(obj: Any, dtype: np.dtype) -> np.ndarray:
    try:
        return np.array(obj, dtype=dtype)
    except (TypeError, ValueError):
        # float NaN/inf to int and the ml_dtypes: convert through float64
        return np.array(obj).astype(dtype)


def _ndmin(out: Any, ndmin: int) -> Any:
    if ndmin > out.ndim:
        out = lax.expand_dims(out, tuple(range(ndmin - out.ndim)))
    return out


def asarray(a: Any, dtype: Any = None, order: str | None = None, *,
            copy: bool | None = None, device: Any = None) -> Any:
    """``a`` as an array, without copying when it already is one of the right dtype."""
    if isinstance(a, _ARRAYS) and dtype is None and not copy:
        return a
    return array(a, dtype=dtype, copy=bool(copy), order=order)


def copy(a: Any, order: str | None = None) -> Any:
    """A copy of ``a`` (arrays are immutable: the same values)."""
    check_arraylike("copy", a)
    return array(a, copy=True, order=order)


def astype(x: Any, dtype: Any, /, *, copy: bool = False, device: Any = None) -> Any:
    """``x`` converted to ``dtype`` (the default float when None)."""
    check_arraylike("astype", x)
    arr = promotion.asarray(x)
    dt = _dtype_arg(dtype, "astype") if dtype is not None else _default_float()
    return lax.convert_element_type(arr, dt)


def from_dlpack(x: Any, /, *, device: Any = None, copy: bool | None = None) -> Any:
    """An array from an object implementing the DLPack protocol."""
    return array(np.from_dlpack(x))


def frombuffer(buffer: Any, dtype: Any = float, count: int = -1, offset: int = 0) -> Any:
    """An array from the bytes of ``buffer``."""
    return array(np.frombuffer(buffer=buffer, dtype=dtype, count=count, offset=offset))


def fromstring(string: str, dtype: Any = float, count: int = -1, *, sep: str) -> Any:
    """An array from text data separated by ``sep``."""
    return array(np.fromstring(string=string, dtype=dtype, count=count, sep=sep))


def _impure(name: str, what: str) -> NotImplementedError:
    return NotImplementedError(
        f"jnp.{name}() is not implemented because it may be non-pure and thus unsafe for use "
        f"with JIT and other JAX transformations. Consider using jnp.asarray(np.{name}(...)) "
        f"instead, although care should be taken if np.{name} is used within a jax "
        f"transformations because of its potential side-effect of consuming the {what}; "
        "for more information see https://docs.jax.dev/en/latest/notebooks/"
        "Common_Gotchas_in_JAX.html#pure-functions")


def fromiter(*args: Any, **kwargs: Any) -> Any:
    """Not supported: iterators may be impure (use ``jnp.asarray(np.fromiter(...))``)."""
    raise _impure("fromiter", "iterable object")


def fromfile(*args: Any, **kwargs: Any) -> Any:
    """Not supported: reading files is impure (use ``jnp.asarray(np.fromfile(...))``)."""
    raise _impure("fromfile", "file object")


def load(file: Any, *args: Any, **kwargs: Any) -> Any:
    """``np.load``, with arrays of numeric dtypes returned as kiln arrays."""
    out = np.load(file, *args, **kwargs)
    if isinstance(out, np.ndarray) and out.dtype.kind in "biufc":
        try:
            return asarray(out)
        except (TypeError, ValueError):
            return out
    return out


# -- filled arrays ----------------------------------------------------------------------------


def _shape_arg(shape: Any, name: str) -> tuple[int, ...]:
    if isinstance(shape, _ARRAYS) and isinstance(shape, Tracer):
        raise TypeError(f"Shapes must be 1D sequences of concrete values of integer type, got "
                        f"{shape}.")
    if isinstance(shape, (int, np.integer)) or (hasattr(shape, "ndim") and shape.ndim == 0):
        shape = (shape,)
    try:
        out = tuple(operator.index(d) for d in shape)
    except TypeError:
        raise TypeError(f"Shapes must be 1D sequences of concrete values of integer type, got "
                        f"{tuple(shape)}.") from None
    if any(d < 0 for d in out):
        raise TypeError(f"broadcast_in_dim shape must have every element be nonnegative, got "
                        f"{out}.")
    return out


def zeros(shape: Any, dtype: Any = None, *, device: Any = None,
          out_sharding: Any = None) -> Any:
    """An array of zeros (float32 by default)."""
    shape = _shape_arg(shape, "zeros")
    return lax.full(shape, 0, _dtype_arg(dtype, "zeros") or _default_float())


def ones(shape: Any, dtype: Any = None, *, device: Any = None,
         out_sharding: Any = None) -> Any:
    """An array of ones (float32 by default)."""
    shape = _shape_arg(shape, "ones")
    return lax.full(shape, 1, _dtype_arg(dtype, "ones") or _default_float())


def empty(shape: Any, dtype: Any = None, *, device: Any = None,
          out_sharding: Any = None) -> Any:
    """An array of zeros: arrays are immutable, so "uninitialised" has no use."""
    return zeros(shape, dtype)


def full(shape: Any, fill_value: Any, dtype: Any = None, *, device: Any = None,
         out_sharding: Any = None) -> Any:
    """An array of ``shape`` filled with ``fill_value`` (broadcast if it is an array)."""
    check_arraylike("full", fill_value)
    dt = _dtype_arg(dtype, "full")
    if np.ndim(fill_value) == 0:
        shape = _shape_arg(shape, "full")
        fill = promotion.asarray(fill_value) if type(fill_value) is int and dt is None \
            else fill_value
        return lax.full(shape, fill, dt)
    return broadcast_to(asarray(fill_value, dtype=dt), shape)


def _like(name: str, a: Any, fill: Any, dtype: Any, shape: Any) -> Any:
    if not (hasattr(a, "dtype") and hasattr(a, "shape")):
        check_arraylike(name, a)
    dt = _dtype_arg(dtype, name)
    if shape is not None:
        shape = _shape_arg(shape, name)
    if isinstance(a, _ARRAYS) or hasattr(a, "aval"):
        return lax.full_like(a, fill, dt, shape)
    if type(a) in _PY_SCALARS:
        return lax.full_like(promotion.asarray(a), fill, dt, shape)
    if isinstance(a, (np.ndarray, np.generic)):
        a = np.asarray(a)
        return lax.full(a.shape if shape is None else shape, fill,
                        dt or dtypes.canonicalize_dtype(a.dtype))
    return lax.full(tuple(a.shape) if shape is None else shape, fill,
                    dt or dtypes.canonicalize_dtype(np.dtype(a.dtype)))


def zeros_like(a: Any, dtype: Any = None, shape: Any = None, *, device: Any = None,
               out_sharding: Any = None) -> Any:
    """Zeros with the shape and dtype of ``a`` (unless given)."""
    return _like("zeros_like", a, 0, dtype, shape)


def ones_like(a: Any, dtype: Any = None, shape: Any = None, *, device: Any = None,
              out_sharding: Any = None) -> Any:
    """Ones with the shape and dtype of ``a`` (unless given)."""
    return _like("ones_like", a, 1, dtype, shape)


def empty_like(prototype: Any, dtype: Any = None, shape: Any = None, *, device: Any = None,
               out_sharding: Any = None) -> Any:
    """Zeros with the shape and dtype of ``prototype``."""
    return _like("empty_like", prototype, 0, dtype, shape)


def full_like(a: Any, fill_value: Any, dtype: Any = None, shape: Any = None, *,
              device: Any = None, out_sharding: Any = None) -> Any:
    """``fill_value`` with the shape and dtype of ``a`` (unless given)."""
    check_arraylike("full_like", fill_value)
    if np.ndim(fill_value) == 0:
        return _like("full_like", a, fill_value, dtype, shape)
    dt = _dtype_arg(dtype, "full_like") or dtypes.canonicalize_dtype(np.dtype(a.dtype))
    target = tuple(a.shape) if shape is None else _shape_arg(shape, "full_like")
    return broadcast_to(asarray(fill_value, dtype=dt), target)


# -- ranges -----------------------------------------------------------------------------------


def _concrete(x: Any, what: str) -> Any:
    if isinstance(x, Tracer):
        raise errors.ConcretizationTypeError(x, f"It arose in the jnp.arange argument "
                                                f"'{what}'")
    if isinstance(x, Array):
        return np.asarray(x)[()]
    return x


def arange(start: Any, stop: Any = None, step: Any = None, dtype: Any = None, *,
           device: Any = None, out_sharding: Any = None) -> Any:
    """Evenly spaced values in ``[start, stop)`` with ``step``, as ``np.arange`` (the
    arguments must be concrete)."""
    check_arraylike("arange", start)
    if stop is not None:
        check_arraylike("arange", stop)
    if step is not None:
        check_arraylike("arange", step)
    start = _concrete(start, "start")
    stop = _concrete(stop, "stop") if stop is not None else None
    step = _concrete(step, "step") if step is not None else None
    dt = _dtype_arg(dtype, "arange")
    if dt is None:
        dt = promotion.result_dtype_and_weak(
            *(x for x in (start, stop, step) if x is not None))[0]
    if stop is None and step is None:
        if not isinstance(start, (int, np.integer)) or isinstance(start, bool):
            if np.asarray(start).dtype.kind == "c":
                raise TypeError("arange: complex start is not supported")
            start = int(np.ceil(start))
        return lax.iota(dt, builtins.max(int(start), 0))
    if step is None and start == 0 and stop is not None and np.asarray(stop).dtype.kind in \
            "iub" and dtypes.is_int(dt):
        return lax.iota(dt, builtins.max(int(np.ceil(stop)), 0))
    return array(np.arange(start, stop=stop, step=step, dtype=dt if dt not in (
        dtypes.bfloat16, *dtypes.small_float_dtypes) else np.float32).astype(dt))


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True,
             retstep: bool = False, dtype: Any = None, axis: int = 0, *,
             device: Any = None) -> Any:
    """``num`` evenly spaced values from ``start`` to ``stop`` (inclusive if
    ``endpoint``); array bounds give one sequence per element along ``axis``."""
    num = operator.index(num)
    axis = operator.index(axis)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    check_arraylike("linspace", start, stop)
    start_a, stop_a = promotion.asarray(start), promotion.asarray(stop)
    dt = _dtype_arg(dtype, "linspace")
    if dt is None:
        dt = promotion.float_dtype_of(promotion.result_dtype_and_weak(start_a, stop_a)[0])
    computation_dtype = promotion.float_dtype_of(dt)
    start_a = lax.convert_element_type(start_a, computation_dtype)
    stop_a = lax.convert_element_type(stop_a, computation_dtype)
    bounds_shape = list(lax.broadcast_shapes(start_a.shape, stop_a.shape))
    b_start = broadcast_to(start_a, tuple(bounds_shape))
    b_stop = broadcast_to(stop_a, tuple(bounds_shape))
    axis = len(bounds_shape) + axis + 1 if axis < 0 else axis
    bounds_shape.insert(axis, 1)
    div = (num - 1) if endpoint else num
    if num > 1:
        delta = lax.div(lax.sub(stop_a, start_a), np.asarray(div).astype(computation_dtype)[()])
        real_dtype = _real_of(computation_dtype)
        iota_shape = [1] * len(bounds_shape)
        iota_shape[axis] = div
        step = lax.div(lax.reshape(lax.iota(real_dtype, div), tuple(iota_shape)),
                       np.asarray(div).astype(real_dtype)[()])
        step = lax.convert_element_type(step, computation_dtype)
        one = np.ones((), computation_dtype)[()]
        out = lax.add(lax.mul(lax.reshape(b_start, tuple(bounds_shape)), lax.sub(one, step)),
                      lax.mul(lax.reshape(b_stop, tuple(bounds_shape)), step))
        if endpoint:
            out = lax.concatenate([out, lax.expand_dims(b_stop, (axis,))], axis)
    elif num == 1:
        delta = promotion.asarray(np.nan if endpoint else None) if endpoint else \
            lax.sub(stop_a, start_a)
        out = lax.reshape(b_start, tuple(bounds_shape))
    else:
        empty_shape = list(lax.broadcast_shapes(start_a.shape, stop_a.shape))
        empty_shape.insert(axis, 0)
        delta = np.nan
        out = lax.full(tuple(empty_shape), 0, computation_dtype)
    if dtypes.is_int(dt) and not dtypes.is_int(out.dtype):
        out = lax.floor(out)
    result = lax.convert_element_type(out, dt)
    if retstep:
        delta = lax.convert_element_type(promotion.asarray(delta), computation_dtype)
        return result, delta
    return result


def _real_of(dtype: np.dtype) -> np.dtype:
    return {dtypes.complex64: np.dtype(np.float32),
            dtypes.complex128: np.dtype(np.float64)}.get(dtype, dtype)


def logspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True,
             base: Any = 10.0, dtype: Any = None, axis: int = 0) -> Any:
    """``base ** linspace(start, stop, num)``."""
    from kiln.numpy.ufuncs import power

    check_arraylike("logspace", start, stop)
    dt = _dtype_arg(dtype, "logspace")
    if dt is None:
        dt = promotion.float_dtype_of(promotion.result_dtype_and_weak(start, stop)[0])
    computation_dtype = promotion.float_dtype_of(dt)
    start_a = promotion.convert(start, computation_dtype, False, as_array=True)
    stop_a = promotion.convert(stop, computation_dtype, False, as_array=True)
    lin = linspace(start_a, stop_a, num, endpoint=endpoint, axis=axis)
    return lax.convert_element_type(power(base, lin), dt)


def geomspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, dtype: Any = None,
              axis: int = 0) -> Any:
    """Values spaced evenly on a log scale from ``start`` to ``stop``."""
    from kiln.numpy.shape import moveaxis
    from kiln.numpy.ufuncs import divide, log10, multiply, sign

    check_arraylike("geomspace", start, stop)
    dt = _dtype_arg(dtype, "geomspace")
    if dt is None:
        dt = promotion.float_dtype_of(promotion.result_dtype_and_weak(start, stop)[0])
    computation_dtype = promotion.float_dtype_of(dt)
    start_a = promotion.convert(start, computation_dtype, False, as_array=True)
    stop_a = promotion.convert(stop, computation_dtype, False, as_array=True)
    s = sign(start_a)
    res = multiply(s, logspace(log10(divide(start_a, s)), log10(divide(stop_a, s)), num,
                               endpoint=endpoint, base=10.0, dtype=computation_dtype,
                               axis=0))
    if axis != 0:
        res = moveaxis(res, 0, axis)
    return lax.convert_element_type(res, dt)


# -- matrices ---------------------------------------------------------------------------------


def eye(N: int, M: int | None = None, k: Any = 0, dtype: Any = None, *,
        device: Any = None) -> Any:
    """An ``N x M`` array with ones on diagonal ``k`` and zeros elsewhere."""
    n = operator.index(N)
    m = n if M is None else operator.index(M)
    if n < 0 or m < 0:
        raise ValueError(f"negative dimensions are not allowed, got {N} and {M}")
    dt = _dtype_arg(dtype, "eye") or _default_float()
    rows = lax.broadcasted_iota(np.int32, (n, m), 0)
    cols = lax.broadcasted_iota(np.int32, (n, m), 1)
    if isinstance(k, Tracer):
        offset = lax.convert_element_type(k, np.int32)
    else:
        offset = np.int32(operator.index(k))
    return lax.convert_element_type(lax.eq(lax.add(rows, offset), cols), dt)


def identity(n: int, dtype: Any = None) -> Any:
    """The ``n x n`` identity matrix."""
    return eye(n, dtype=dtype)


def tri(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Any:
    """An ``N x M`` array with ones at and below diagonal ``k``."""
    n = operator.index(N)
    m = n if M is None else operator.index(M)
    dt = _dtype_arg(dtype, "tri") or _default_float()
    rows = lax.broadcasted_iota(np.int32, (n, m), 0)
    cols = lax.broadcasted_iota(np.int32, (n, m), 1)
    return lax.convert_element_type(lax.ge(lax.add(rows, np.int32(operator.index(k))), cols),
                                    dt)


def tril(m: Any, k: int = 0) -> Any:
    """``m`` with the elements above diagonal ``k`` zeroed (of the last two axes)."""
    check_arraylike("tril", m)
    a = promotion.asarray(m)
    if a.ndim < 2:
        raise ValueError("Argument to jax.numpy.tril must be at least 2D")
    mask = tri(*a.shape[-2:], k=k, dtype=bool)
    return lax.select(lax.broadcast(mask, a.shape[:-2]), a, lax.full_like(a, 0))


def triu(m: Any, k: int = 0) -> Any:
    """``m`` with the elements below diagonal ``k`` zeroed (of the last two axes)."""
    check_arraylike("triu", m)
    a = promotion.asarray(m)
    if a.ndim < 2:
        raise ValueError("Argument to jax.numpy.triu must be at least 2D")
    mask = tri(*a.shape[-2:], k=k - 1, dtype=bool)
    return lax.select(lax.broadcast(mask, a.shape[:-2]), lax.full_like(a, 0), a)


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """The diagonal ``offset`` of the plane of ``axis1`` and ``axis2``, as the last axis."""
    from kiln.numpy.shape import moveaxis

    check_arraylike("diagonal", a)
    arr = promotion.asarray(a)
    if arr.ndim < 2:
        raise ValueError("diagonal requires an array of at least two dimensions.")
    offset = operator.index(offset)
    a1, a2 = canonicalize_axis(axis1, arr.ndim), canonicalize_axis(axis2, arr.ndim)
    if a1 == a2:
        raise ValueError("axis1 and axis2 must not be equal")
    moved = moveaxis(arr, (a1, a2), (-2, -1))
    n, m = moved.shape[-2:]
    size = builtins.max(0, builtins.min(n + builtins.min(offset, 0),
                                        m - builtins.max(offset, 0)))
    rows = np.arange(size, dtype=np.int32) + builtins.max(-offset, 0)
    cols = np.arange(size, dtype=np.int32) + builtins.max(offset, 0)
    if size == 0:
        return lax.full(moved.shape[:-2] + (0,), 0, arr.dtype)
    from kiln.numpy.indexing import rewriting_take

    return rewriting_take(moved, (Ellipsis, rows, cols))


def diag(v: Any, k: int = 0) -> Any:
    """The diagonal ``k`` of a matrix, or a matrix with ``v`` on diagonal ``k``."""
    check_arraylike("diag", v)
    arr = promotion.asarray(v)
    k = operator.index(k)
    if arr.ndim == 1:
        n = arr.shape[0] + builtins.abs(k)
        padded = lax.pad(arr, np.zeros((), arr.dtype)[()],
                         ((builtins.max(0, k), builtins.max(0, -k), 0),))
        return _where(eye(n, k=k, dtype=bool), padded, lax.full((n, n), 0, arr.dtype))
    if arr.ndim == 2:
        return diagonal(arr, offset=k)
    raise ValueError("diag input must be 1d or 2d")


def diagflat(v: Any, k: int = 0) -> Any:
    """A matrix with the flattened ``v`` on diagonal ``k``."""
    check_arraylike("diagflat", v)
    arr = promotion.asarray(v)
    return diag(lax.reshape(arr, (arr.size,)), k)


def vander(x: Any, N: int | None = None, increasing: bool = False) -> Any:
    """The Vandermonde matrix: columns are powers of ``x`` (decreasing by default)."""
    from kiln.numpy.ufuncs import power

    check_arraylike("vander", x)
    arr = promotion.asarray(x)
    if arr.ndim != 1:
        raise ValueError("x must be a one-dimensional array")
    n = arr.shape[0] if N is None else operator.index(N)
    if n < 0:
        raise ValueError("N must be nonnegative")
    iota = lax.iota(_default_int(), n)
    if not increasing:
        iota = lax.sub(np.asarray(n - 1).astype(iota.dtype)[()], iota)
    return power(lax.expand_dims(arr, (1,)), lax.expand_dims(iota, (0,)))


# -- grids --------------------------------------------------------------------------------------


def meshgrid(*xi: Any, copy: bool = True, sparse: bool = False,
             indexing: str = "xy") -> list[Any]:
    """Coordinate arrays from 1-D coordinate vectors (``'xy'`` Cartesian or ``'ij'``
    matrix indexing)."""
    check_arraylike("meshgrid", *xi)
    args = [promotion.asarray(x) for x in xi]
    if not copy:
        raise ValueError("jax.numpy.meshgrid only supports copy=True")
    if indexing not in ("xy", "ij"):
        raise ValueError(f"Valid values for indexing are 'xy' and 'ij', got {indexing}")
    if any(a.ndim != 1 for a in args):
        raise ValueError("Arguments to jax.numpy.meshgrid must be 1D, got shapes "
                         f"{[a.shape for a in args]}")
    if indexing == "xy" and len(args) >= 2:
        args[0], args[1] = args[1], args[0]
    shape = [1 if sparse else a.shape[0] for a in args]
    output = []
    for i, a in enumerate(args):
        target = [*shape[:i], a.shape[0], *shape[i + 1:]] if sparse else shape
        output.append(lax.broadcast_in_dim(a, tuple(target), (i,)))
    if indexing == "xy" and len(args) >= 2:
        output[0], output[1] = output[1], output[0]
    return output


def indices(dimensions: Sequence[int], dtype: Any = None, sparse: bool = False) -> Any:
    """Index grids of shape ``dimensions`` (stacked, or sparse open grids)."""
    dt = _dtype_arg(dtype, "indices") or _default_int()
    dims = tuple(operator.index(d) for d in dimensions)
    n = len(dims)
    output = []
    for i, d in enumerate(dims):
        idx = lax.iota(dt, d)
        s = (1,) * i + (d,) + (1,) * (n - i - 1) if sparse else dims
        output.append(lax.broadcast_in_dim(idx, s, (i,)))
    if sparse:
        return tuple(output)
    if not output:
        return lax.full((0,), 0, dt)
    return lax.stack(output, 0)


def fromfunction(function: Callable[..., Any], shape: Any, *, dtype: Any = float,
                 **kwargs: Any) -> Any:
    """``function`` applied to index grids of ``shape`` (one per dimension)."""
    grids = indices(_shape_arg(shape, "fromfunction"), dtype=dtype)
    return function(*(grids[i] for i in range(grids.shape[0])), **kwargs)


# -- window functions -------------------------------------------------------------------------


def _window(name: str, M: Any, formula: Callable[[Any, int], Any]) -> Any:
    if isinstance(M, Tracer):
        raise errors.ConcretizationTypeError(M, f"M argument of jnp.{name}")
    M = int(M)
    dt = _default_float()
    if M <= 1:
        return lax.full((builtins.max(M, 0),), 1, dt)
    n = lax.iota(dt, M)
    return formula(n, M)


def hamming(M: int) -> Any:
    """The Hamming window of ``M`` points."""
    from kiln.numpy.ufuncs import cos

    return _window("hamming", M, lambda n, M: 0.54 - 0.46 * cos(2 * math.pi * n / (M - 1)))


def hanning(M: int) -> Any:
    """The Hann window of ``M`` points."""
    from kiln.numpy.ufuncs import cos

    return _window("hanning", M, lambda n, M: 0.5 - 0.5 * cos(2 * math.pi * n / (M - 1)))


def blackman(M: int) -> Any:
    """The Blackman window of ``M`` points."""
    from kiln.numpy.ufuncs import cos

    return _window("blackman", M, lambda n, M: 0.42 - 0.5 * cos(2 * math.pi * n / (M - 1))
                   + 0.08 * cos(4 * math.pi * n / (M - 1)))


def bartlett(M: int) -> Any:
    """The Bartlett (triangular) window of ``M`` points."""
    from kiln.numpy.ufuncs import absolute

    return _window("bartlett", M, lambda n, M: 1 - absolute(2 * n - M + 1) / (M - 1))


def kaiser(M: int, beta: Any) -> Any:
    """The Kaiser window of ``M`` points with shape parameter ``beta``."""
    from kiln.numpy.ufuncs import i0, sqrt

    def formula(n: Any, M: int) -> Any:
        alpha = 0.5 * (M - 1)
        return i0(beta * sqrt(1 - ((n - alpha) / alpha) ** 2)) / i0(promotion.asarray(beta))

    return _window("kaiser", M, formula)
