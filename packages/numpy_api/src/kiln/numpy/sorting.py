"""Sorting and searching: ``sort``, ``argsort``, ``lexsort``, ``partition``,
``argpartition``, ``sort_complex``, ``searchsorted``, ``digitize``.

Sorts are stable by default; NaNs sort to the end, as in NumPy.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from kiln import lax
from kiln.core import dtypes
from kiln.core.tracing import Tracer
from kiln.numpy import promotion
from kiln.numpy.promotion import asarray, check_arraylike
from kiln.numpy.reductions import canonicalize_axis
from kiln.numpy.selection import _where


def _int_dtype(n: int) -> np.dtype:
    return np.dtype(np.int64) if n >= (1 << 31) else \
        dtypes.canonicalize_dtype(np.int64)


def sort(a: Any, axis: int | None = -1, *, kind: None = None, order: None = None,
         stable: bool = True, descending: bool = False) -> Any:
    """``a`` sorted along ``axis`` (the flattened array when None)."""
    check_arraylike("sort", a)
    if kind is not None:
        raise TypeError("'kind' argument to sort is not supported. Use stable=True or "
                        "stable=False to specify sort stability.")
    if order is not None:
        raise TypeError("'order' argument to sort is not supported.")
    arr = asarray(a)
    if axis is None:
        arr = lax.reshape(arr, (arr.size,))
        axis = 0
    dimension = canonicalize_axis(axis, arr.ndim)
    result = lax.sort(arr, dimension=dimension, is_stable=stable)
    return lax.rev(result, (dimension,)) if descending else result


def argsort(a: Any, axis: int | None = -1, *, kind: None = None, order: None = None,
            stable: bool = True, descending: bool = False) -> Any:
    """The indices that sort ``a`` along ``axis`` (stable: equal elements keep their
    order, also when ``descending``)."""
    check_arraylike("argsort", a)
    if kind is not None:
        raise TypeError("'kind' argument to argsort is not supported. Use stable=True or "
                        "stable=False to specify sort stability.")
    if order is not None:
        raise TypeError("'order' argument to argsort is not supported.")
    arr = asarray(a)
    if axis is None:
        arr = lax.reshape(arr, (arr.size,))
        axis = 0
    axis = canonicalize_axis(axis, arr.ndim)
    iota = lax.broadcasted_iota(_int_dtype(arr.shape[axis] if arr.ndim else 0), arr.shape,
                                axis)
    if descending and stable:
        arr = lax.rev(arr, (axis,))
        iota = lax.rev(iota, (axis,))
    _, indices = lax.sort_key_val(arr, iota, dimension=axis, is_stable=stable)
    return lax.rev(indices, (axis,)) if descending else indices


def lexsort(keys: Any, axis: int = -1) -> Any:
    """The indices that sort by the last key, then the one before... (stable)."""
    key_tuple = tuple(asarray(k) for k in keys) if not (
        hasattr(keys, "ndim") and keys.ndim > 1) else tuple(asarray(keys)[i] for i in range(
            asarray(keys).shape[0]))
    if not key_tuple:
        raise TypeError("need sequence of keys with len > 0 in lexsort")
    if len({k.shape for k in key_tuple}) > 1:
        raise ValueError("all keys need to be the same shape")
    if key_tuple[0].ndim == 0:
        return asarray(np.array(0, dtypes.canonicalize_dtype(np.int64)))
    axis = canonicalize_axis(axis, key_tuple[0].ndim)
    iota = lax.broadcasted_iota(_int_dtype(key_tuple[0].shape[axis]), key_tuple[0].shape,
                                axis)
    return lax.sort((*key_tuple[::-1], iota), dimension=axis, num_keys=len(key_tuple))[-1]


def sort_complex(a: Any) -> Any:
    """``a`` sorted along its first axis, as complex numbers (real part first)."""
    check_arraylike("sort_complex", a)
    arr = lax.sort(asarray(a), dimension=0)
    return lax.convert_element_type(arr, promotion.complex_dtype_of(arr.dtype))


def partition(a: Any, kth: int, axis: int = -1) -> Any:
    """``a`` with the element that sorts at ``kth`` placed there, smaller ones before it
    and larger ones after it (each side sorted)."""
    check_arraylike("partition", a)
    arr = asarray(a)
    if dtypes.is_complex(arr.dtype):
        raise NotImplementedError("jnp.partition for complex dtype is not implemented.")
    axis = canonicalize_axis(axis, arr.ndim)
    kth = canonicalize_axis(kth, arr.shape[axis])
    from kiln.numpy.shape import swapaxes

    arr = swapaxes(arr, axis, -1)
    bottom = lax.neg(lax.top_k(lax.neg(arr), kth + 1)[0])
    top = lax.top_k(arr, arr.shape[-1] - kth - 1)[0]
    out = lax.concatenate([bottom, top], arr.ndim - 1)
    return swapaxes(out, -1, axis)


def argpartition(a: Any, kth: int, axis: int = -1) -> Any:
    """The indices that would ``partition`` ``a``."""
    check_arraylike("argpartition", a)
    arr = asarray(a)
    if dtypes.is_complex(arr.dtype):
        raise NotImplementedError("jnp.argpartition for complex dtype is not implemented.")
    axis = canonicalize_axis(axis, arr.ndim)
    kth = canonicalize_axis(kth, arr.shape[axis])
    from kiln.numpy.indexing import put_along_axis
    from kiln.numpy.shape import swapaxes

    arr = swapaxes(arr, axis, -1)
    bottom_ind = lax.top_k(lax.neg(arr), kth + 1)[1]
    # The rest: a proxy that is 0 where the bottom indices are and 1 elsewhere, so duplicate
    # values cannot be picked twice.
    proxy = put_along_axis(lax.full(arr.shape, 1, np.float32), bottom_ind, 0.0, axis=-1,
                           inplace=False)
    top_ind = lax.top_k(proxy, arr.shape[-1] - kth - 1)[1]
    out = lax.concatenate([bottom_ind, top_ind], arr.ndim - 1)
    return swapaxes(out, -1, axis)


# -- searching ----------------------------------------------------------------------------------


def _less(x: Any, y: Any) -> Any:
    """``x < y`` in sort order: NaNs after everything, complex lexicographic."""
    if dtypes.is_complex(x.dtype):
        rx, ry, ix, iy = lax.real(x), lax.real(y), lax.imag(x), lax.imag(y)
        return lax.bitwise_or(_less(rx, ry), lax.bitwise_and(lax.eq(rx, ry), _less(ix, iy)))
    if dtypes.is_float(x.dtype):
        return lax.bitwise_or(lax.lt(x, y), lax.bitwise_and(lax.ne(y, y),
                                                            lax.eq(x, x)))
    return lax.lt(x, y)


def searchsorted(a: Any, v: Any, side: str = "left", sorter: Any = None, *,
                 method: str = "scan") -> Any:
    """Where ``v``'s elements would be inserted into the sorted 1-D ``a`` to keep it sorted
    (before equal elements for ``side='left'``, after for ``'right'``)."""
    check_arraylike("searchsorted", a, v)
    if side not in ("left", "right"):
        raise ValueError(f"{side!r} is an invalid value for keyword 'side'. Expected one of "
                         "['left', 'right'].")
    if method not in ("scan", "scan_unrolled", "sort", "compare_all"):
        raise ValueError(f"{method!r} is an invalid value for keyword 'method'. Expected one "
                         "of ['sort', 'scan', 'scan_unrolled', 'compare_all'].")
    arr = asarray(a)
    if arr.ndim != 1:
        raise ValueError("a should be 1-dimensional")
    if sorter is not None:
        from kiln.numpy.indexing import take

        arr = take(arr, asarray(sorter), mode="clip")
    arr, query = (promotion._as_array(x) for x in promotion.promote_dtypes(arr, v))
    n = arr.shape[0]
    dtype = np.dtype(np.int32) if n <= np.iinfo(np.int32).max // 2 else np.dtype(np.int64)
    if n == 0:
        return lax.full(query.shape, 0, dtype)
    if method == "compare_all":
        a_b = lax.broadcast_in_dim(arr, query.shape + (n,), (query.ndim,))
        q_b = lax.broadcast_in_dim(query, query.shape + (n,), tuple(range(query.ndim)))
        hits = _less(a_b, q_b) if side == "left" else lax.bitwise_not(_less(q_b, a_b))
        return lax.reduce_sum(lax.convert_element_type(hits, dtype), (query.ndim,))
    low = lax.full(query.shape, 0, dtype)
    high = lax.full(query.shape, n, dtype)
    for _ in range(int(math.ceil(math.log2(n + 1)))):
        mid = lax.div(lax.add(low, high), np.asarray(2).astype(dtype)[()])
        at_mid = lax.gather(arr, lax.reshape(mid, mid.shape + (1,)),
                            lax.GatherDimensionNumbers((), (0,), (0,)), (1,),
                            mode=lax.GatherScatterMode.CLIP)
        go_left = lax.bitwise_not(_less(at_mid, query)) if side == "left" else \
            _less(query, at_mid)
        low = lax.select(go_left, low, mid)
        high = lax.select(go_left, mid, high)
    return high


def digitize(x: Any, bins: Any, right: bool = False, *, method: str | None = None) -> Any:
    """The index of the bin of ``bins`` (monotonic) each element of ``x`` falls in."""
    check_arraylike("digitize", x, bins)
    x_arr, bins_arr = asarray(x), asarray(bins)
    if isinstance(right, Tracer):
        raise TypeError("right argument of jnp.digitize() must be static")
    right = bool(right)
    if bins_arr.ndim != 1:
        raise ValueError(f"digitize: bins must be a 1-dimensional array; got {bins=}")
    if bins_arr.shape[0] == 0:
        return lax.full(x_arr.shape, 0, np.int32)
    side = "right" if not right else "left"
    kwargs = {} if method is None else {"method": method}
    n = bins_arr.shape[0]
    increasing = lax.ge(lax.index_in_dim(bins_arr, n - 1, keepdims=False),
                        lax.index_in_dim(bins_arr, 0, keepdims=False))
    forward = searchsorted(bins_arr, x_arr, side=side, **kwargs)
    backward = lax.sub(np.asarray(n).astype(forward.dtype)[()],
                       searchsorted(lax.rev(bins_arr, (0,)), x_arr, side=side, **kwargs))
    return _where(increasing, forward, backward)

