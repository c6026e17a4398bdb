"""Norms (``norm``, ``vector_norm``, ``matrix_norm``) and the ``jnp.linalg`` functions that
are plain array operations (``matmul``, ``trace``, ``matrix_power``...)."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
from kiln.numpy import contraction, creation, promotion, reductions, ufuncs
from kiln.numpy.promotion import check_arraylike
from kiln.numpy.reductions import canonicalize_axis
from kiln.numpy.selection import broadcast_to
from kiln.numpy.shape import matrix_transpose as _matrix_transpose


def _inexact(name: str, x: Any) -> Any:
    check_arraylike(name, x)
    (x,) = promotion.promote_dtypes_inexact(promotion.asarray(x))
    return promotion._as_array(x)


def _sum_squares(x: Any, axis: Any, keepdims: bool) -> Any:
    return ufuncs.sqrt(reductions.sum(ufuncs.real(ufuncs.multiply(x, ufuncs.conj(x))),
                                      axis=axis, keepdims=keepdims))


def vector_norm(x: Any, /, *, axis: Any = None, keepdims: bool = False, ord: Any = 2) -> Any:
    """The vector ``ord``-norm over ``axis`` (all axes by default): 2 (Euclidean), 1,
    inf, -inf, 0 (the count of nonzeros) or any other power."""
    check_arraylike("jnp.linalg.vector_norm", x)
    x = promotion.asarray(x)
    if ord is None or ord == 2:
        return _sum_squares(x, axis, keepdims)
    if isinstance(ord, str):
        raise ValueError(f"Invalid order '{ord}' for vector norm.")
    if ord == np.inf:
        return reductions.max(ufuncs.abs(x), axis=axis, keepdims=keepdims, initial=0)
    if ord == -np.inf:
        return reductions.min(ufuncs.abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        x = _inexact("jnp.linalg.vector_norm", x)
        return reductions.sum(ufuncs.not_equal(x, 0), dtype=ufuncs.real(x).dtype, axis=axis,
                              keepdims=keepdims)
    if ord == 1:
        return reductions.sum(ufuncs.abs(x), axis=axis, keepdims=keepdims)
    abs_x = ufuncs.abs(_inexact("jnp.linalg.vector_norm", x))
    ord_c = np.asarray(ord).astype(abs_x.dtype)[()]
    ord_inv = np.asarray(1.0 / ord_c).astype(abs_x.dtype)[()]
    out = reductions.sum(ufuncs.power(abs_x, ord_c), axis=axis, keepdims=keepdims)
    return ufuncs.power(out, ord_inv)


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """A vector norm (one axis) or a matrix norm (two axes): ``ord`` None/'fro' (Frobenius),
    1, -1, inf, -inf for matrices; any order for vectors. With neither ``ord`` nor ``axis``,
    the Euclidean norm of the flattened array."""
    x = _inexact("jnp.linalg.norm", x)
    ndim = x.ndim
    if axis is None:
        if ord is None:
            return _sum_squares(x, None, keepdims)
        axis = tuple(range(ndim))
    elif isinstance(axis, tuple):
        axis = tuple(canonicalize_axis(a, ndim) for a in axis)
    else:
        axis = (canonicalize_axis(operator.index(axis), ndim),)
    if len(axis) == 1:
        return vector_norm(x, ord=2 if ord is None else ord, axis=axis, keepdims=keepdims)
    if len(axis) != 2:
        raise ValueError(f"Invalid axis values ({axis}) for jnp.linalg.norm.")
    row_axis, col_axis = axis
    if ord is None or ord in ("f", "fro"):
        return _sum_squares(x, axis, keepdims)
    if ord in (1, -1):
        if not keepdims and col_axis > row_axis:
            col_axis -= 1
        sums = reductions.sum(ufuncs.abs(x), axis=row_axis, keepdims=keepdims)
        return reductions.max(sums, axis=col_axis, keepdims=keepdims, initial=0) if ord == 1 \
            else reductions.min(sums, axis=col_axis, keepdims=keepdims)
    if ord in (np.inf, -np.inf):
        if not keepdims and row_axis > col_axis:
            row_axis -= 1
        sums = reductions.sum(ufuncs.abs(x), axis=col_axis, keepdims=keepdims)
        return reductions.max(sums, axis=row_axis, keepdims=keepdims, initial=0) \
            if ord == np.inf else reductions.min(sums, axis=row_axis, keepdims=keepdims)
    if ord in ("nuc", 2, -2):
        raise NotImplementedError(f"jnp.linalg.norm with ord={ord!r} needs singular values "
                                  "(an SVD), which kiln does not provide yet.")
    raise ValueError(f"Invalid order '{ord}' for matrix norm.")


def matrix_norm(x: Any, /, *, keepdims: bool = False, ord: Any = "fro") -> Any:
    """The matrix norm of the last two axes."""
    return norm(x, ord=ord, keepdims=keepdims, axis=(-2, -1))


def matrix_power(a: Any, n: int) -> Any:
    """``a`` (square matrices in the last two axes) multiplied by itself ``n >= 0`` times."""
    check_arraylike("jnp.linalg.matrix_power", a)
    arr = promotion.asarray(a)
    if arr.ndim < 2 or arr.shape[-1] != arr.shape[-2]:
        raise TypeError(f"jnp.linalg.matrix_power requires a square matrix, got shape "
                        f"{arr.shape}")
    n = operator.index(n)
    if n < 0:
        raise NotImplementedError("matrix_power with a negative exponent needs a matrix "
                                  "inverse, which kiln does not provide yet.")
    result = None
    base = arr
    if n == 0:
        eye = creation.eye(arr.shape[-1], dtype=arr.dtype)
        return broadcast_to(eye, arr.shape) if arr.ndim > 2 else eye
    while n:
        if n & 1:
            result = base if result is None else contraction.matmul(result, base)
        n >>= 1
        if n:
            base = contraction.matmul(base, base)
    return result


def matmul(x1: Any, x2: Any, /, *, precision: Any = None,
           preferred_element_type: Any = None) -> Any:
    """The matrix product (``jnp.matmul``)."""
    return contraction.matmul(x1, x2, precision=precision,
                              preferred_element_type=preferred_element_type)


def matrix_transpose(x: Any, /) -> Any:
    """The last two axes swapped."""
    return _matrix_transpose(x)


def outer(x1: Any, x2: Any, /) -> Any:
    """The outer product of two vectors."""
    check_arraylike("jnp.linalg.outer", x1, x2)
    a, b = promotion.asarray(x1), promotion.asarray(x2)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"Input arrays must be one-dimensional, but they are {a.ndim=} "
                         f"{b.ndim=}")
    return contraction.outer(a, b)


def tensordot(x1: Any, x2: Any, /, *, axes: Any = 2, precision: Any = None,
              preferred_element_type: Any = None) -> Any:
    """``jnp.tensordot`` with keyword ``axes``."""
    return contraction.tensordot(x1, x2, axes=axes, precision=precision,
                                 preferred_element_type=preferred_element_type)


def trace(x: Any, /, *, offset: int = 0, dtype: Any = None) -> Any:
    """The trace of the matrices in the last two axes."""
    return contraction.trace(x, offset=offset, axis1=-2, axis2=-1, dtype=dtype)


def diagonal(x: Any, /, *, offset: int = 0) -> Any:
    """The diagonals of the matrices in the last two axes."""
    return creation.diagonal(x, offset=offset, axis1=-2, axis2=-1)


def vecdot(x1: Any, x2: Any, /, *, axis: int = -1, precision: Any = None,
           preferred_element_type: Any = None) -> Any:
    """The conjugated dot product of vectors along ``axis``."""
    return contraction.vecdot(x1, x2, axis=axis, precision=precision,
                              preferred_element_type=preferred_element_type)


def cross(x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
    """The cross product of 3-vectors along ``axis``."""
    check_arraylike("jnp.linalg.cross", x1, x2)
    a, b = promotion.asarray(x1), promotion.asarray(x2)
    if a.shape[axis] != 3 or b.shape[axis] != 3:
        raise ValueError("Both input arrays must be (arrays of) 3-dimensional vectors, but "
                         f"they have {a.shape[axis]=} and {b.shape[axis]=}")
    return contraction.cross(a, b, axis=axis)



def multi_dot(arrays: Any, *, precision: Any = None) -> Any:
    """The product of a chain of matrices (the first and last may be vectors), multiplied
    in the cheapest order."""
    arrays = [promotion.asarray(a) for a in arrays]
    if len(arrays) < 2:
        raise ValueError(f"multi_dot requires at least two arrays; got len(arrays)="
                         f"{len(arrays)}")
    if not (arrays[0].ndim in (1, 2) and arrays[-1].ndim in (1, 2)
            and all(a.ndim == 2 for a in arrays[1:-1])):
        raise ValueError("multi_dot: input arrays must all be two-dimensional, except for the "
                         "first and last array which may be one or two dimensional. Got "
                         f"array shapes {[a.shape for a in arrays]}")
    mats = list(arrays)
    first_vec, last_vec = mats[0].ndim == 1, mats[-1].ndim == 1
    if first_vec:
        mats[0] = mats[0][None, :]
    if last_vec:
        mats[-1] = mats[-1][:, None]
    dims = [m.shape[0] for m in mats] + [mats[-1].shape[1]]
    n = len(mats)
    # Matrix-chain order by dynamic programming over the split points.
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k

    def product(i: int, j: int) -> Any:
        if i == j:
            return mats[i]
        k = split[i][j]
        return contraction.dot(product(i, k), product(k + 1, j), precision=precision)

    out = product(0, n - 1)
    if first_vec:
        out = out[0]
    if last_vec:
        out = out[..., 0]
    return out
