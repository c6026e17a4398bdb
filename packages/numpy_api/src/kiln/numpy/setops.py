"""Set operations: ``unique`` (and the Array API's ``unique_*``), ``union1d``,
``intersect1d``, ``setdiff1d``, ``setxor1d`` and ``isin``.

Their result sizes depend on the values, so they need concrete inputs, unless ``size`` is
given (JAX's static-size convention): the result then has exactly ``size`` elements,
truncated or padded with ``fill_value`` (by default the smallest element found, or 0).
"""

from __future__ import annotations

import operator
from typing import Any, NamedTuple

import numpy as np
from kiln import lax
from kiln.core import dtypes, errors
from kiln.core.tracing import Tracer
from kiln.numpy import promotion
from kiln.numpy.promotion import asarray, check_arraylike
from kiln.numpy.reductions import canonicalize_axis
from kiln.numpy.selection import _where


class _UniqueAllResult(NamedTuple):
    values: Any
    indices: Any
    inverse_indices: Any
    counts: Any


class _UniqueCountsResult(NamedTuple):
    values: Any
    counts: Any


class _UniqueInverseResult(NamedTuple):
    values: Any
    inverse_indices: Any


def _int() -> np.dtype:
    return dtypes.canonicalize_dtype(np.int64)


def _ravel(x: Any) -> Any:
    return lax.reshape(x, (x.size,))


def _not_equal(a: Any, b: Any, equal_nan: bool) -> Any:
    ne = lax.ne(a, b)
    if equal_nan and dtypes.is_inexact(a.dtype):
        ne = lax.bitwise_and(ne, lax.bitwise_not(lax.bitwise_and(lax.ne(a, a), lax.ne(b, b))))
    return ne


def _unique_sorted_mask(ar: Any, equal_nan: bool) -> tuple[Any, Any, Any]:
    """The rows of ``ar`` (along axis 0) sorted, a mask of the first of each run of equal
    rows, and the sorting permutation."""
    from kiln.numpy.indexing import take
    from kiln.numpy.sorting import argsort, lexsort

    if ar.ndim == 1:
        perm = argsort(ar)
    else:
        rest = 1
        for d in ar.shape[1:]:
            rest *= d
        flat = lax.reshape(ar, (ar.shape[0], rest))
        cols = [lax.index_in_dim(flat, i, 1, keepdims=False) for i in range(flat.shape[1])]
        perm = lexsort(cols[::-1]) if cols else lax.iota(_int(), ar.shape[0])
    aux = take(ar, perm, axis=0)
    n = aux.shape[0]
    if n == 0:
        return aux, lax.full((0,), True, np.bool_), perm
    first = lax.full((1,), True, np.bool_)
    if n == 1:
        return aux, first, perm
    diffs = _not_equal(lax.slice_in_dim(aux, 1, n), lax.slice_in_dim(aux, 0, n - 1),
                       equal_nan)
    if aux.ndim > 1:
        diffs = lax.reduce_or(diffs, tuple(range(1, aux.ndim)))
    return aux, lax.concatenate([first, diffs], 0), perm


def _concrete_mask(mask: Any, what: str) -> np.ndarray:
    if isinstance(mask, Tracer):
        raise errors.ConcretizationTypeError(
            mask, f"The error arose in jnp.{what}(). When jnp.{what} is used within a JAX "
                  "transformation, the size argument must be specified.")
    return np.asarray(mask)


def _unique(ar: Any, axis: int, return_index: bool, return_inverse: bool,
            return_counts: bool, equal_nan: bool, size: int | None, fill_value: Any,
            name: str = "unique") -> Any:
    from kiln.numpy.indexing import nonzero, take
    from kiln.numpy.reductions import cumsum, sum
    from kiln.numpy.shape import moveaxis

    ar = moveaxis(ar, axis, 0)
    aux, mask, perm = _unique_sorted_mask(ar, equal_nan)
    if size is None:
        ind = asarray(np.nonzero(_concrete_mask(mask, name))[0].astype(_int()))
    else:
        (ind,) = nonzero(mask, size=size)
    result = take(aux, ind, axis=0, mode="clip") if aux.shape[0] else aux
    if size is not None and fill_value is not None and result.shape[0]:
        fill = promotion.convert(fill_value, result.dtype, False, as_array=True)
        valid = lax.lt(lax.iota(_int(), size), sum(mask, dtype=_int()))
        valid = lax.broadcast_in_dim(valid, result.shape, (0,))
        result = _where(valid, result, fill)
    result = moveaxis(result, 0, axis)
    ret = [result]
    if return_index:
        ret.append(take(perm, ind, mode="clip") if aux.shape[0] else perm)
    if return_inverse:
        if aux.shape[0]:
            imask = lax.sub(cumsum(mask, dtype=_int()), np.ones((), _int())[()])
            from kiln.numpy.indexing import _scatter_update

            inv = _scatter_update(lax.full(mask.shape, 0, _int()), perm, imask, "set", False,
                                  True, None)
        else:
            inv = lax.full((ar.shape[0],), 0, _int())
        ret.append(inv)
    if return_counts:
        if aux.shape[0]:
            if size is None:
                idx = np.append(np.nonzero(np.asarray(mask))[0], mask.shape[0])
                ret.append(asarray(np.diff(idx).astype(_int())))
            else:
                (idx,) = nonzero(mask, size=size + 1)
                tail = lax.slice_in_dim(idx, 1, size + 1)
                tail = _where(lax.ne(tail, np.zeros((), tail.dtype)[()]), tail,
                              np.asarray(mask.shape[0]).astype(tail.dtype)[()])
                idx = lax.concatenate([lax.slice_in_dim(idx, 0, 1), tail], 0)
                ret.append(lax.sub(lax.slice_in_dim(idx, 1, size + 1),
                                   lax.slice_in_dim(idx, 0, size)))
        else:
            ret.append(lax.full((0,), 0, _int()))
    return ret[0] if len(ret) == 1 else tuple(ret)


def unique(ar: Any, return_index: bool = False, return_inverse: bool = False,
           return_counts: bool = False, axis: int | None = None, *, equal_nan: bool = True,
           size: int | None = None, fill_value: Any = None, sorted: bool = True) -> Any:
    """The sorted unique elements of ``ar`` (or unique slices along ``axis``), optionally
    with the index of each one's first occurrence, the inverse mapping and the counts."""
    check_arraylike("unique", ar)
    if not sorted:
        raise ValueError("jnp.unique: sorted=False is not implemented")
    arr = asarray(ar)
    size = None if size is None else operator.index(size)
    original_shape = arr.shape
    if axis is None:
        arr = _ravel(arr)
        axis = 0
    axis = canonicalize_axis(axis, arr.ndim)
    out = _unique(arr, axis, return_index, return_inverse, return_counts, equal_nan, size,
                  fill_value)
    if return_inverse and len(original_shape) > 1 and arr.ndim == 1:
        out = list(out)
        position = 1 + int(return_index)
        out[position] = lax.reshape(out[position], original_shape)
        out = tuple(out)
    return out


def unique_values(x: Any, /, *, size: int | None = None, fill_value: Any = None) -> Any:
    """The unique values (NaNs are not merged)."""
    check_arraylike("unique_values", x)
    return unique(x, equal_nan=False, size=size, fill_value=fill_value)


def unique_counts(x: Any, /, *, size: int | None = None,
                  fill_value: Any = None) -> _UniqueCountsResult:
    """The unique values and how often each occurs."""
    check_arraylike("unique_counts", x)
    values, counts = unique(x, return_counts=True, equal_nan=False, size=size,
                            fill_value=fill_value)
    return _UniqueCountsResult(values, counts)


def unique_inverse(x: Any, /, *, size: int | None = None,
                   fill_value: Any = None) -> _UniqueInverseResult:
    """The unique values and, for each element of ``x``, the index of its value."""
    check_arraylike("unique_inverse", x)
    values, inverse = unique(x, return_inverse=True, equal_nan=False, size=size,
                             fill_value=fill_value)
    return _UniqueInverseResult(values, lax.reshape(inverse, asarray(x).shape))


def unique_all(x: Any, /, *, size: int | None = None,
               fill_value: Any = None) -> _UniqueAllResult:
    """The unique values, first indices, inverse indices and counts."""
    check_arraylike("unique_all", x)
    values, indices, inverse, counts = unique(
        x, return_index=True, return_inverse=True, return_counts=True, equal_nan=False,
        size=size, fill_value=fill_value)
    return _UniqueAllResult(values, indices, lax.reshape(inverse, asarray(x).shape), counts)


def _in1d(ar1: Any, ar2: Any, invert: bool) -> Any:
    ar1, ar2 = (promotion._as_array(a) for a in promotion.promote_dtypes(ar1, ar2))
    if ar2.size == 0:
        return lax.full(ar1.shape, bool(invert), np.bool_)
    # Compare everything with everything, in chunks of the second array to bound memory.
    a = lax.broadcast_in_dim(ar1, (ar1.size, ar2.size), (0,))
    b = lax.broadcast_in_dim(ar2, (ar1.size, ar2.size), (1,))
    hits = lax.reduce_or(lax.eq(a, b), (1,))
    return lax.bitwise_not(hits) if invert else hits


def isin(element: Any, test_elements: Any, assume_unique: bool = False, invert: bool = False,
         *, method: str = "auto") -> Any:
    """Elementwise: ``element`` is among ``test_elements`` (negated by ``invert``)."""
    check_arraylike("isin", element, test_elements)
    el = asarray(element)
    result = _in1d(_ravel(el), _ravel(asarray(test_elements)), invert)
    return lax.reshape(result, el.shape)


def _pad_to_size(values: Any, count: Any, size: int, fill_value: Any) -> Any:
    """``values`` (sorted, ``count`` of them valid) as exactly ``size`` elements."""
    n = values.shape[0]
    if n < size:
        values = lax.pad(values, np.zeros((), values.dtype)[()], ((0, size - n, 0),))
    elif n > size:
        values = lax.slice_in_dim(values, 0, size)
    if fill_value is None:
        fill = lax.index_in_dim(values, 0, keepdims=False) if size else None
    else:
        fill = promotion.convert(fill_value, values.dtype, False, as_array=True)
    if size == 0:
        return values
    valid = lax.lt(lax.iota(_int(), size), lax.convert_element_type(count, _int()))
    return _where(valid, values, fill)


def union1d(ar1: Any, ar2: Any, *, size: int | None = None, fill_value: Any = None) -> Any:
    """The sorted unique elements of both arrays."""
    from kiln.numpy.shape import concatenate

    check_arraylike("union1d", ar1, ar2)
    return unique(concatenate((ar1, ar2), axis=None), size=size, fill_value=fill_value)


def setdiff1d(ar1: Any, ar2: Any, assume_unique: bool = False, *, size: int | None = None,
              fill_value: Any = None) -> Any:
    """The sorted unique elements of ``ar1`` not in ``ar2``."""
    from kiln.numpy.indexing import nonzero, take
    from kiln.numpy.reductions import sum

    check_arraylike("setdiff1d", ar1, ar2)
    a1 = _ravel(asarray(ar1))
    a2 = _ravel(asarray(ar2))
    if a1.size == 0:
        return lax.full((size or 0,), 0 if fill_value is None else fill_value, a1.dtype)
    if not assume_unique:
        a1 = unique(a1, size=None if size is None else a1.size)
    mask = _in1d(a1, a2, invert=True)
    if size is None:
        return take(a1, asarray(np.nonzero(_concrete_mask(mask, "setdiff1d"))[0].astype(
            _int())))
    if not assume_unique:
        first = lax.index_in_dim(a1, 0, keepdims=False)
        n_unique = lax.sub(np.asarray(a1.size + 1).astype(_int())[()],
                           sum(lax.eq(a1, first), dtype=_int()))
        mask = _where(lax.lt(lax.iota(_int(), a1.size), n_unique), mask, False)
    (idx,) = nonzero(mask, size=size)
    values = take(a1, idx, mode="clip")
    fill = 0 if fill_value is None else fill_value
    return _where(lax.lt(lax.iota(_int(), size), sum(mask, dtype=_int())), values,
                  promotion.convert(fill, values.dtype, False, as_array=True))


def intersect1d(ar1: Any, ar2: Any, assume_unique: bool = False,
                return_indices: bool = False, *, size: int | None = None,
                fill_value: Any = None) -> Any:
    """The sorted unique elements in both arrays, and with ``return_indices`` where they
    first occur in each."""
    from kiln.numpy.indexing import nonzero, take
    from kiln.numpy.reductions import sum
    from kiln.numpy.shape import concatenate
    from kiln.numpy.sorting import argsort

    check_arraylike("intersect1d", ar1, ar2)
    a1 = _ravel(asarray(ar1))
    a2 = _ravel(asarray(ar2))
    if not assume_unique:
        if return_indices:
            a1, ind1 = unique(a1, return_index=True)
            a2, ind2 = unique(a2, return_index=True)
        else:
            a1 = unique(a1)
            a2 = unique(a2)
    aux = concatenate((a1, a2))
    if return_indices:
        order = argsort(aux)
        aux = take(aux, order)
    else:
        aux = lax.sort(aux)
        order = None
    n = aux.shape[0]
    if n < 2:
        mask = lax.full((0,), False, np.bool_)
    else:
        mask = lax.eq(lax.slice_in_dim(aux, 1, n), lax.slice_in_dim(aux, 0, n - 1))
    head = lax.slice_in_dim(aux, 0, max(n - 1, 0))
    if size is None:
        idx = asarray(np.nonzero(_concrete_mask(mask, "intersect1d"))[0].astype(_int()))
        result = take(head, idx)
    else:
        (idx,) = nonzero(mask, size=size)
        result = take(head, idx, mode="clip") if head.shape[0] else lax.full((size,), 0,
                                                                              aux.dtype)
        count = sum(mask, dtype=_int())
        fill = lax.index_in_dim(result, 0, keepdims=False) if fill_value is None else \
            promotion.convert(fill_value, result.dtype, False, as_array=True)
        if size:
            result = _where(lax.lt(lax.iota(_int(), size), count), result, fill)
    if not return_indices:
        return result
    i1 = take(lax.slice_in_dim(order, 0, max(n - 1, 0)), idx, mode="clip")
    i2 = lax.sub(take(lax.slice_in_dim(order, 1, n), idx, mode="clip"),
                 np.asarray(a1.size).astype(order.dtype)[()])
    if not assume_unique:
        i1 = take(ind1, i1, mode="clip")
        i2 = take(ind2, i2, mode="clip")
    return result, i1, i2


def setxor1d(ar1: Any, ar2: Any, assume_unique: bool = False, *, size: int | None = None,
             fill_value: Any = None) -> Any:
    """The sorted unique elements in exactly one of the arrays."""
    from kiln.numpy.indexing import nonzero, take
    from kiln.numpy.reductions import sum
    from kiln.numpy.shape import concatenate

    check_arraylike("setxor1d", ar1, ar2)
    a1 = _ravel(asarray(ar1))
    a2 = _ravel(asarray(ar2))
    if not assume_unique:
        a1 = unique(a1)
        a2 = unique(a2)
    aux = lax.sort(concatenate((a1, a2)))
    n = aux.shape[0]
    if n == 0:
        return aux if size is None else lax.full((size,), 0, aux.dtype)
    true = lax.full((1,), True, np.bool_)
    flag = lax.concatenate([true, lax.ne(lax.slice_in_dim(aux, 1, n),
                                         lax.slice_in_dim(aux, 0, n - 1)), true], 0)
    mask = lax.bitwise_and(lax.slice_in_dim(flag, 1, n + 1), lax.slice_in_dim(flag, 0, n))
    if size is None:
        return take(aux, asarray(np.nonzero(_concrete_mask(mask, "setxor1d"))[0].astype(
            _int())))
    (idx,) = nonzero(mask, size=size)
    values = take(aux, idx, mode="clip")
    return _pad_to_size(values, sum(mask, dtype=_int()), size, fill_value)
