"""Polynomials as coefficient arrays, highest power first: ``polyval``, ``polyadd``,
``polysub``, ``polymul``, ``polydiv``, ``polyder``, ``polyint``, ``poly`` and ``polyfit``.
``roots`` (and ``poly`` of a matrix) need eigenvalues, which kiln does not provide yet."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
from kiln import lax
from kiln.core import dtypes
from kiln.numpy import promotion
from kiln.numpy.promotion import asarray, check_arraylike


def _arrays(fn: Any, *args: Any) -> list[Any]:
    return [promotion._as_array(a) for a in fn(*args)]


def polyval(p: Any, x: Any, *, unroll: int = 16) -> Any:
    """The polynomial ``p`` evaluated at ``x`` (Horner's scheme)."""
    check_arraylike("polyval", p, x)
    p_arr, x_arr = _arrays(promotion.promote_dtypes, p, x)
    shape = lax.broadcast_shapes(p_arr.shape[1:], x_arr.shape)
    y = lax.full(shape, 0, x_arr.dtype)
    from kiln.numpy.ufuncs import add, multiply

    for i in range(p_arr.shape[0]):
        y = add(multiply(y, x_arr), p_arr[i])
    return y


def polyadd(a1: Any, a2: Any) -> Any:
    """The sum of two polynomials."""
    check_arraylike("polyadd", a1, a2)
    a, b = _arrays(promotion.promote_dtypes, a1, a2)
    if b.shape[0] <= a.shape[0]:
        return a.at[a.shape[0] - b.shape[0]:].add(b)
    return b.at[b.shape[0] - a.shape[0]:].add(a)


def polysub(a1: Any, a2: Any) -> Any:
    """The difference of two polynomials."""
    from kiln.numpy.ufuncs import negative

    check_arraylike("polysub", a1, a2)
    a, b = _arrays(promotion.promote_dtypes, a1, a2)
    return polyadd(a, negative(b))


def _trim_leading_zeros(x: Any) -> Any:
    from kiln.numpy.shape import trim_zeros

    return trim_zeros(x, trim="f")


def polymul(a1: Any, a2: Any, *, trim_leading_zeros: bool = False) -> Any:
    """The product of two polynomials."""
    from kiln.numpy.shape import atleast_1d
    from kiln.numpy.signal import convolve

    check_arraylike("polymul", a1, a2)
    a, b = asarray(a1), asarray(a2)
    if trim_leading_zeros and (a.shape[0] > 1 or b.shape[0] > 1):
        a, b = _trim_leading_zeros(a), _trim_leading_zeros(b)
    a, b = atleast_1d(a), atleast_1d(b)
    return convolve(a, b, mode="full")


def polydiv(u: Any, v: Any, *, trim_leading_zeros: bool = False) -> tuple[Any, Any]:
    """The quotient and remainder of dividing polynomial ``u`` by ``v``."""
    check_arraylike("polydiv", u, v)
    u_arr, v_arr = _arrays(promotion.promote_dtypes_inexact, u, v)
    m, n = u_arr.shape[0] - 1, v_arr.shape[0] - 1
    scale = lax.div(np.ones((), v_arr.dtype)[()], v_arr[0])
    q = lax.full((max(m - n + 1, 1),), 0, u_arr.dtype)
    for k in range(0, m - n + 1):
        d = lax.mul(scale, u_arr[k])
        q = q.at[k].set(d)
        u_arr = u_arr.at[k:k + n + 1].add(lax.neg(lax.mul(d, v_arr)))
    if trim_leading_zeros:
        values = np.asarray(u_arr)
        tol = np.sqrt(dtypes.finfo(u_arr.dtype).eps)
        nz = np.nonzero(np.abs(values) >= tol)[0]
        u_arr = u_arr[int(nz[0]) if nz.size else values.size:]
    return q, u_arr


def polyder(p: Any, m: int = 1) -> Any:
    """The ``m``-th derivative of a polynomial."""
    from kiln.numpy.creation import arange
    from kiln.numpy.reductions import prod

    check_arraylike("polyder", p)
    m = operator.index(m)
    (p_arr,) = _arrays(promotion.promote_dtypes_inexact, p)
    if m < 0:
        raise ValueError("Order of derivative must be positive")
    if m == 0:
        return p_arr
    n = p_arr.shape[0]
    grid = arange(m, n, dtype=p_arr.dtype)[None, :] - arange(m, dtype=p_arr.dtype)[:, None]
    coeff = prod(grid, axis=0)
    return p_arr[:-m] * coeff[::-1]


def polyint(p: Any, m: int = 1, k: Any = None) -> Any:
    """The ``m``-th antiderivative of a polynomial, with integration constants ``k``."""
    from kiln.numpy.creation import arange, full
    from kiln.numpy.reductions import prod
    from kiln.numpy.shape import atleast_1d, concatenate
    from kiln.numpy.ufuncs import maximum, true_divide

    m = operator.index(m)
    k = 0 if k is None else k
    check_arraylike("polyint", p, k)
    p_arr, k_arr = _arrays(promotion.promote_dtypes_inexact, p, k)
    if m < 0:
        raise ValueError("Order of integral must be positive (see polyder)")
    k_arr = atleast_1d(k_arr)
    if k_arr.shape[0] == 1:
        k_arr = full((m,), k_arr[0])
    if k_arr.shape != (m,):
        raise ValueError("k must be a scalar or a rank-1 array of length 1 or m.")
    if m == 0:
        return p_arr
    n = p_arr.shape[0]
    grid = arange(n + m, dtype=p_arr.dtype)[None, :] - arange(m, dtype=p_arr.dtype)[:, None]
    coeff = prod(maximum(1, grid), axis=0)[::-1]
    return true_divide(concatenate((p_arr, k_arr)), coeff)


def poly(seq_of_zeros: Any) -> Any:
    """The coefficients of the monic polynomial with the given roots."""
    from kiln.numpy.creation import array, ones
    from kiln.numpy.signal import convolve

    check_arraylike("poly", seq_of_zeros)
    (seq,) = _arrays(promotion.promote_dtypes_inexact, seq_of_zeros)
    if seq.ndim == 2 and seq.shape[0] == seq.shape[1] and seq.shape[0] != 0:
        raise NotImplementedError("jnp.poly of a matrix needs its eigenvalues, which kiln does "
                                  "not provide yet.")
    if seq.ndim != 1:
        raise ValueError("input must be 1d or non-empty square 2d array.")
    if seq.shape[0] == 0:
        return ones((), dtype=seq.dtype)
    a = ones((1,), dtype=seq.dtype)
    for i in range(seq.shape[0]):
        a = convolve(a, array([1, -seq[i]], dtype=seq.dtype), mode="full")
    return a


def roots(p: Any, *, strip_zeros: bool = True) -> Any:
    """Not available yet: the roots are the eigenvalues of the companion matrix."""
    raise NotImplementedError("jnp.roots needs eigenvalues (jnp.linalg.eigvals), which kiln "
                              "does not provide yet.")


def _lstsq_qr(a: Any, b: Any) -> Any:
    """Least squares ``argmin |a x - b|`` by Householder QR (a: m x n with m >= n, unrolled
    over the n columns; b: m or m x k)."""
    from kiln.numpy.contraction import matmul
    from kiln.numpy.reductions import sum
    from kiln.numpy.selection import where
    from kiln.numpy.ufuncs import sign, sqrt

    m, n = a.shape
    vector = b.ndim == 1
    if vector:
        b = b[:, None]
    r, qtb = a, b
    rows = lax.iota(np.int32, m)
    for j in range(n):
        col = r[:, j]
        below = rows >= j
        x = where(below, col, 0)
        norm = sqrt(sum(x * x))
        alpha = -where(sign(col[j]) == 0, 1, sign(col[j])) * norm
        v = x.at[j].add(-alpha)
        vnorm2 = sum(v * v)
        safe = where(vnorm2 == 0, 1, vnorm2)
        r = r - (2 / safe) * v[:, None] * matmul(v, r)[None, :] * (vnorm2 != 0)
        qtb = qtb - (2 / safe) * v[:, None] * matmul(v, qtb)[None, :] * (vnorm2 != 0)
    r, qtb = r[:n], qtb[:n]
    x = [None] * n
    for i in reversed(range(n)):
        acc = qtb[i]
        for j in range(i + 1, n):
            acc = acc - r[i, j] * x[j]
        x[i] = acc / r[i, i]
    from kiln.numpy.shape import stack

    out = stack(x)
    return out[:, 0] if vector else out


def polyfit(x: Any, y: Any, deg: int, rcond: float | None = None, full: bool = False,
            w: Any = None, cov: bool = False) -> Any:
    """The least-squares polynomial of degree ``deg`` through the points ``(x, y)``
    (optionally weighted by ``w``). kiln solves it by QR, so the last bits of float32
    results may differ from JAX's SVD-based solution; ``full`` and ``cov`` need singular
    values and a matrix inverse, which kiln does not provide yet."""
    from kiln.numpy.creation import vander
    from kiln.numpy.reductions import sum
    from kiln.numpy.ufuncs import sqrt

    if full or (cov is not False and cov is not None):
        raise NotImplementedError("jnp.polyfit with full=True or cov=True is not available in "
                                  "kiln yet (it needs an SVD and a matrix inverse).")
    check_arraylike("polyfit", x, y)
    deg = operator.index(deg)
    if deg < 0:
        raise ValueError("expected deg >= 0")
    x_arr, y_arr = _arrays(promotion.promote_dtypes_inexact, x, y)
    if x_arr.ndim != 1:
        raise TypeError("expected 1D vector for x")
    if x_arr.size == 0:
        raise TypeError("expected non-empty vector for x")
    if y_arr.ndim < 1 or y_arr.ndim > 2:
        raise TypeError("expected 1D or 2D array for y")
    if x_arr.shape[0] != y_arr.shape[0]:
        raise TypeError("expected x and y to have same length")
    lhs = vander(x_arr, deg + 1)
    rhs = y_arr
    if w is not None:
        check_arraylike("polyfit", w)
        (w_arr,) = _arrays(promotion.promote_dtypes_inexact, w)
        if w_arr.ndim != 1:
            raise TypeError("expected a 1-d array for weights")
        if w_arr.shape[0] != y_arr.shape[0]:
            raise TypeError("expected w and y to have the same length")
        lhs = lhs * w_arr[:, None]
        rhs = rhs * (w_arr if rhs.ndim == 1 else w_arr[:, None])
    scale = sqrt(sum(lhs * lhs, axis=0))
    lhs = lhs / scale[None, :]
    c = _lstsq_qr(lhs, rhs)
    return c / (scale if c.ndim == 1 else scale[:, None])
