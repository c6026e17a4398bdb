"""Samplers that need linear algebra: multivariate_normal and orthogonal.

kiln-core has no linear-algebra primitives yet, so the two factorizations these samplers
need are written here with ``kiln.lax`` for matrices of static size: a column-by-column
Cholesky factorization and a Householder QR factorization. Both results are unique (a
Cholesky factor with positive diagonal; ``Q`` normalised so that ``R`` has a positive
diagonal, which is what ``orthogonal`` returns), so they agree with JAX's LAPACK-based
factorizations up to rounding. The ``svd`` and ``eigh`` methods of ``multivariate_normal``
depend on the sign conventions of LAPACK's eigenvectors and are not available until core
has those decompositions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kiln import lax
from kiln.core.abstract import get_aval
from kiln.random.distributions import continuous as _continuous
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
)


def _matvec_dims(nb: int) -> tuple:
    batch = tuple(range(nb))
    return (((nb + 1,), (nb,)), (batch, batch))


def _eye(n: int, dtype: np.dtype) -> Any:
    rows = lax.broadcasted_iota(np.dtype(np.int32), (n, n), 0)
    cols = lax.broadcasted_iota(np.dtype(np.int32), (n, n), 1)
    return lax.convert_element_type(lax.eq(rows, cols), dtype)


def _column(x: Any, j: int) -> Any:
    """``x[..., :, j]``."""
    shape = shape_of(x)
    nb = len(shape) - 2
    piece = lax.slice(x, (0,) * nb + (0, j), (*shape[:-1], j + 1))
    return lax.reshape(piece, shape[:-1])


def _row(x: Any, i: int) -> Any:
    """``x[..., i, :]``."""
    shape = shape_of(x)
    nb = len(shape) - 2
    piece = lax.slice(x, (0,) * nb + (i, 0), (*shape[:-2], i + 1, shape[-1]))
    return lax.reshape(piece, (*shape[:-2], shape[-1]))


def _entry(v: Any, i: int) -> Any:
    """``v[..., i]`` of a batch of vectors, keeping a trailing axis of size 1."""
    shape = shape_of(v)
    nb = len(shape) - 1
    return lax.slice(v, (0,) * nb + (i,), (*shape[:-1], i + 1))


def cholesky(a: Any) -> Any:
    """The lower Cholesky factor of symmetric positive-definite matrices ``a`` (batch +
    (n, n)), column by column (NaN where ``a`` is not positive definite)."""
    shape = shape_of(a)
    n = shape[-1]
    nb = len(shape) - 2
    dtype = get_aval(a).dtype
    rows = lax.broadcast_in_dim(lax.iota(np.dtype(np.int32), n), shape[:-1], (nb,))
    columns = []
    for j in range(n):
        c = _column(a, j)
        if j:
            done = lax.concatenate([lax.reshape(col, (*shape[:-1], 1)) for col in columns],
                                   nb + 1)
            # c -= L[:, :j] @ L[j, :j]
            lj = _row(done, j)
            c = lax.sub(c, lax.dot_general(done, lj, _matvec_dims(nb)))
        pivot = lax.sqrt(_entry(c, j))
        col = lax.div(c, pivot)
        col = lax.select(lax.ge(rows, const(j, np.int32)), col,
                         lax.full_like(col, const(0, dtype)))
        columns.append(col)
    return lax.concatenate([lax.reshape(col, (*shape[:-1], 1)) for col in columns], nb + 1)


def qr_positive(a: Any) -> Any:
    """The ``Q`` of a reduced QR factorization of ``a`` (batch + (n, m)), with the columns'
    signs chosen so that ``R`` has a nonnegative diagonal (Householder reflections)."""
    shape = shape_of(a)
    n, m = shape[-2], shape[-1]
    nb = len(shape) - 2
    dtype = get_aval(a).dtype
    k = min(n, m)
    r = a
    q = lax.broadcast_in_dim(_eye(n, dtype), (*shape[:-2], n, n), (nb, nb + 1))
    rows = lax.broadcast_in_dim(lax.iota(np.dtype(np.int32), n), (*shape[:-2], n), (nb,))
    zero = const(0, dtype)
    one = const(1, dtype)
    signs = []
    for j in range(k):
        x = _column(r, j)
        x = lax.select(lax.ge(rows, const(j, np.int32)), x, lax.full_like(x, zero))
        norm = lax.sqrt(lax.reduce_sum(lax.mul(x, x), (nb,)))
        x0 = lax.reshape(_entry(x, j), shape[:-2])
        sign = lax.select(lax.ge(x0, zero), lax.full_like(x0, one), lax.full_like(x0, -one))
        alpha = lax.neg(lax.mul(sign, norm))  # R[j, j] after the reflection
        e_j = lax.convert_element_type(lax.eq(rows, const(j, np.int32)), dtype)
        v = lax.sub(x, lax.mul(lax.broadcast_in_dim(alpha, (*shape[:-2], n), tuple(range(nb))),
                               e_j))
        v_norm = lax.sqrt(lax.reduce_sum(lax.mul(v, v), (nb,)))
        safe = lax.select(lax.gt(v_norm, zero), v_norm, lax.full_like(v_norm, one))
        v = lax.div(v, lax.broadcast_in_dim(safe, (*shape[:-2], n), tuple(range(nb))))
        batch = tuple(range(nb))
        # R -= 2 v (v^T R); Q -= 2 (Q v) v^T
        vtr = lax.dot_general(v, r, (((nb,), (nb,)), (batch, batch)))
        r = lax.sub(r, lax.mul(const(2, dtype), _outer(v, vtr, nb)))
        qv = lax.dot_general(q, v, (((nb + 1,), (nb,)), (batch, batch)))
        q = lax.sub(q, lax.mul(const(2, dtype), _outer(qv, v, nb)))
        signs.append(lax.select(lax.ge(alpha, zero), lax.full_like(alpha, one),
                                lax.full_like(alpha, -one)))
    q = _first_columns(q, k)
    sign = lax.concatenate([lax.reshape(s, (*shape[:-2], 1)) for s in signs], nb)
    return lax.mul(q, lax.broadcast_in_dim(sign, (*shape[:-2], n, k), (*range(nb), nb + 1)))


def _outer(u: Any, v: Any, nb: int) -> Any:
    su, sv = shape_of(u), shape_of(v)
    full = (*su, sv[-1])
    return lax.mul(lax.broadcast_in_dim(u, full, tuple(range(nb + 1))),
                   lax.broadcast_in_dim(v, full, (*range(nb), nb + 1)))


def _first_columns(x: Any, k: int) -> Any:
    shape = shape_of(x)
    if shape[-1] == k:
        return x
    return lax.slice(x, (0,) * len(shape), (*shape[:-1], k))


# -- samplers ------------------------------------------------------------------------------------


@jitted(static_argnames=("shape", "dtype"))
def _multivariate_normal(key: Any, mean: Any, cov: Any, *, shape: tuple,
                         dtype: np.dtype) -> Any:
    mean = as_dtype(mean, dtype)
    cov = as_dtype(cov, dtype)
    n = shape_of(mean)[-1]
    cov_shape = shape_of(cov)
    nb = len(cov_shape) - 2
    perm = (*range(nb), nb + 1, nb)
    symmetric = lax.div(lax.add(cov, lax.transpose(cov, perm)), const(2, dtype))
    factor = cholesky(symmetric)
    samples = _continuous.normal_real(key, (*shape, n), dtype)
    # einsum('...ij,...j->...i', factor, samples)
    full = (*shape, n, n)
    factor = broadcast_to(factor, full)
    nbs = len(shape)
    batch = tuple(range(nbs))
    result = lax.dot_general(factor, samples, (((nbs + 1,), (nbs,)), (batch, batch)))
    return lax.add(broadcast_to(mean, (*shape, n)), result)


def multivariate_normal(key: Any, mean: Any, cov: Any, shape: Any = None, dtype: Any = None,
                        method: str = "cholesky", *, out_sharding: Any = None) -> Any:
    """Multivariate normal samples of mean ``mean`` (..., n) and covariance ``cov``
    (..., n, n), through the Cholesky factor of ``cov``."""
    data = single_key("multivariate_normal", key)
    dtype = float_dtype("multivariate_normal", dtype)
    if method not in {"svd", "eigh", "cholesky"}:
        raise ValueError("method must be one of {'svd', 'eigh', 'cholesky'}")
    if method != "cholesky":
        raise NotImplementedError(
            f"kiln.random.multivariate_normal(method={method!r}) needs kiln-core's "
            "eigendecompositions, which do not exist yet; use method='cholesky'")
    mean, cov = param(mean), param(cov)
    if np.ndim(mean) < 1:
        raise ValueError(f"multivariate_normal requires mean.ndim >= 1, got mean.ndim == "
                         f"{np.ndim(mean)}")
    if np.ndim(cov) < 2:
        raise ValueError(f"multivariate_normal requires cov.ndim >= 2, got cov.ndim == "
                         f"{np.ndim(cov)}")
    n = np.shape(mean)[-1]
    if tuple(np.shape(cov)[-2:]) != (n, n):
        raise ValueError(f"multivariate_normal requires cov.shape == (..., n, n) for n={n}, "
                         f"but got cov.shape == {np.shape(cov)}.")
    if shape is None:
        shape = broadcast_shapes(np.shape(mean)[:-1], np.shape(cov)[:-2])
    else:
        shape = shape_arg("multivariate_normal", shape)
        check_shape("normal", shape, np.shape(mean)[:-1], np.shape(cov)[:-2])
    return _multivariate_normal(data, mean, cov, shape=shape, dtype=dtype)


@jitted(static_argnames=("n", "m", "shape", "dtype"))
def _orthogonal(key: Any, *, n: int, m: int, shape: tuple, dtype: np.dtype) -> Any:
    if n >= m:
        return qr_positive(_continuous.normal_real(key, (*shape, n, m), dtype))
    # Orthonormal rows: the transposed Q of a tall (m, n) Gaussian matrix.
    q = qr_positive(_continuous.normal_real(key, (*shape, m, n), dtype))
    nb = len(shape)
    return lax.transpose(q, (*range(nb), nb + 1, nb))


def orthogonal(key: Any, n: int, shape: Any = (), dtype: Any = None, m: int | None = None,
               *, out_sharding: Any = None) -> Any:
    """Random matrices with orthonormal columns (or rows), uniform over the orthogonal
    group (Haar measure) when square: the ``Q`` of the QR factorization of a Gaussian
    matrix with ``R``'s diagonal made positive."""
    data = single_key("orthogonal", key)
    dtype = float_dtype("orthogonal", dtype)
    shape = shape_arg("orthogonal", shape)
    n = int(n)
    m = n if m is None else int(m)
    return _orthogonal(data, n=n, m=m, shape=shape, dtype=dtype)
