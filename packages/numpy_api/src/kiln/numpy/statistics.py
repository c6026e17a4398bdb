"""Statistics over samples: ``cov``, ``corrcoef``, ``bincount`` and the histograms
(``histogram``, ``histogram_bin_edges``, ``histogram2d``, ``histogramdd``)."""

from __future__ import annotations

import builtins
import math
import operator
from typing import Any

import numpy as np
from kiln import lax
from kiln.core import dtypes, errors
from kiln.core.tracing import Tracer
from kiln.numpy import promotion
from kiln.numpy.promotion import asarray, check_arraylike


def _arrays(fn: Any, *args: Any) -> list[Any]:
    return [promotion._as_array(a) for a in fn(*args)]


def cov(m: Any, y: Any = None, rowvar: bool = True, bias: bool = False,
        ddof: int | None = None, fweights: Any = None, aweights: Any = None,
        dtype: Any = None) -> Any:
    """The covariance matrix of the variables in the rows of ``m`` (columns unless
    ``rowvar``), optionally with ``y``'s and with frequency or analytic weights."""
    from kiln.numpy.contraction import dot
    from kiln.numpy.reductions import average, sum
    from kiln.numpy.shape import atleast_2d, concatenate
    from kiln.numpy.ufuncs import conjugate, true_divide

    if y is not None:
        check_arraylike("cov", m, y)
        m_arr, y_arr = _arrays(promotion.promote_dtypes_inexact, m, y)
        if y_arr.ndim > 2:
            raise ValueError("y has more than 2 dimensions")
    else:
        check_arraylike("cov", m)
        (m_arr,) = _arrays(promotion.promote_dtypes_inexact, m)
    if dtype is not None:
        m_arr = m_arr.astype(dtype)
    if m_arr.ndim > 2:
        raise ValueError("m has more than 2 dimensions")
    X = atleast_2d(m_arr)
    if not rowvar and X.shape[0] != 1:
        X = X.T
    if X.shape[0] == 0:
        return lax.full((0, 0), 0, X.dtype)
    if y is not None:
        Y = atleast_2d(y_arr.astype(X.dtype))
        if not rowvar and Y.shape[0] != 1:
            Y = Y.T
        X = concatenate((X, Y), axis=0)
    if ddof is None:
        ddof = 1 if not bias else 0
    w = None
    if fweights is not None:
        check_arraylike("cov", fweights)
        fw = asarray(fweights)
        if fw.ndim > 1:
            raise RuntimeError("cannot handle multidimensional fweights")
        if fw.shape[0] != X.shape[1]:
            raise RuntimeError("incompatible numbers of samples and fweights")
        if not dtypes.is_int(fw.dtype):
            raise TypeError("fweights must be integer.")
        w = fw.astype(X.dtype)
    if aweights is not None:
        check_arraylike("cov", aweights)
        aw = asarray(aweights)
        if aw.ndim > 1:
            raise RuntimeError("cannot handle multidimensional aweights")
        if aw.shape[0] != X.shape[1]:
            raise RuntimeError("incompatible numbers of samples and aweights")
        aw = aw.astype(X.dtype)
        w = aw if w is None else w * aw
    avg, w_sum = average(X, axis=1, weights=w, returned=True)
    w_sum = w_sum[0]
    if w is None:
        f = X.shape[1] - ddof
    elif ddof == 0:
        f = w_sum
    elif aweights is None:
        f = w_sum - ddof
    else:
        f = w_sum - ddof * sum(w * aw) / w_sum
    X = X - avg[:, None]
    X_T = X.T if w is None else (X * w[None, :]).T
    out = true_divide(dot(X, conjugate(X_T)), f)
    return lax.squeeze(out, tuple(i for i, d in enumerate(out.shape) if d == 1))


def corrcoef(x: Any, y: Any = None, rowvar: bool = True, dtype: Any = None) -> Any:
    """The correlation coefficients (the normalised covariance matrix)."""
    from kiln.numpy.creation import diag
    from kiln.numpy.selection import clip
    from kiln.numpy.ufuncs import divide, imag, iscomplexobj, real, sqrt

    check_arraylike("corrcoef", x)
    c = cov(x, y, rowvar, dtype=dtype)
    if c.ndim == 0:
        return divide(c, c)
    d = diag(c)
    stddev = sqrt(real(d)).astype(c.dtype)
    c = c / stddev[:, None] / stddev[None, :]
    real_part = clip(real(c), -1, 1)
    if iscomplexobj(c):
        return lax.complex(real_part, clip(imag(c), -1, 1))
    return real_part


def bincount(x: Any, weights: Any = None, minlength: int = 0, *, length: int | None = None,
             out_sharding: Any = None) -> Any:
    """The number of occurrences of each value 0, 1, ... in the non-negative integers
    ``x`` (or the sum of their ``weights``). ``length`` makes the result's size static;
    values at or beyond it are dropped."""
    from kiln.numpy.selection import clip

    check_arraylike("bincount", x)
    arr = asarray(x)
    if not dtypes.is_int(arr.dtype):
        raise TypeError(f"x argument to bincount must have an integer type; got {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError("only 1-dimensional input supported.")
    minlength = operator.index(minlength)
    if length is None:
        if isinstance(arr, Tracer):
            raise errors.ConcretizationTypeError(
                arr, "The error occurred because of argument 'x' of jnp.bincount. To avoid "
                     "this error, pass a static `length` argument.")
        values = np.asarray(arr)
        length = builtins.max(minlength, values.size and int(values.max()) + 1)
    else:
        length = operator.index(length)
    if weights is None:
        w = np.array(1, dtype=dtypes.canonicalize_dtype(np.int64))[()]
        w_dtype = w.dtype
    else:
        check_arraylike("bincount", weights)
        w = asarray(weights)
        if w.shape != arr.shape:
            raise ValueError("shape of weights must match shape of x.")
        w_dtype = w.dtype
    zeros = lax.full((length,), 0, w_dtype)
    return zeros.at[clip(arr, 0)].add(w, mode="drop")


def histogram_bin_edges(a: Any, bins: Any = 10, range: Any = None,
                        weights: Any = None) -> Any:
    """The edges of the bins ``histogram`` would use."""
    from kiln.numpy.creation import linspace
    from kiln.numpy.reductions import max, min, ptp
    from kiln.numpy.selection import where

    if isinstance(bins, str):
        raise NotImplementedError("string values for `bins` not implemented.")
    check_arraylike("histogram_bin_edges", a, bins)
    arr = asarray(a)
    dt = promotion.float_dtype_of(arr.dtype)
    if np.ndim(bins) == 1:
        return promotion.convert(bins, dt, False, as_array=True)
    bins_int = operator.index(bins)
    if range is None:
        rng = [min(arr), max(arr)]
    else:
        rng = range
    if isinstance(rng, (list, tuple)):
        r = lax.stack([promotion.convert(v, dt, False, as_array=True) for v in rng], 0)
    else:
        r = promotion.convert(rng, dt, False, as_array=True)
    if r.shape != (2,):
        raise ValueError(f"`range` must be either None or a sequence of scalars, got {range}")
    flat = lax.eq(ptp(r), np.zeros((), dt)[()])
    lo = where(flat, r[0] - 0.5, r[0])
    hi = where(flat, r[1] + 0.5, r[1])
    return linspace(lo, hi, bins_int + 1, dtype=dt)


def histogram(a: Any, bins: Any = 10, range: Any = None, weights: Any = None,
              density: bool | None = None) -> tuple[Any, Any]:
    """Counts (or summed ``weights``) of ``a``'s values in ``bins``, and the bin edges; the
    last bin includes its right edge."""
    from kiln.numpy.reductions import sum
    from kiln.numpy.selection import where
    from kiln.numpy.signal import diff
    from kiln.numpy.sorting import searchsorted

    if weights is None:
        check_arraylike("histogram", a, bins)
        a_arr, _ = _arrays(promotion.promote_dtypes_inexact, a, bins)
        w = lax.full_like(a_arr, 1)
    else:
        check_arraylike("histogram", a, bins, weights)
        a_arr, _, w = _arrays(promotion.promote_dtypes_inexact, a, bins, weights)
        if a_arr.shape != w.shape:
            raise ValueError("weights should have the same shape as a.")
    a_arr = lax.reshape(a_arr, (a_arr.size,))
    w = lax.reshape(w, (w.size,))
    edges = histogram_bin_edges(a_arr, bins, range, w)
    n_edges = edges.shape[0]
    idx = searchsorted(edges, a_arr, side="right")
    idx = where(lax.eq(a_arr, edges[-1]), n_edges - 1, idx)
    counts = lax.full((n_edges,), 0, w.dtype).at[idx].add(w)[1:]
    if density:
        widths = diff(edges)
        counts = counts / widths / sum(counts)
    return counts, edges


def histogramdd(sample: Any, bins: Any = 10, range: Any = None, weights: Any = None,
                density: bool | None = None) -> tuple[Any, list[Any]]:
    """The multidimensional histogram of the ``(N, D)`` ``sample``."""
    from kiln.numpy.indexing import ravel_multi_index
    from kiln.numpy.reductions import sum
    from kiln.numpy.selection import where
    from kiln.numpy.signal import diff
    from kiln.numpy.sorting import searchsorted

    if weights is None:
        check_arraylike("histogramdd", sample)
        (s,) = _arrays(promotion.promote_dtypes_inexact, sample)
    else:
        check_arraylike("histogramdd", sample, weights)
        s, weights = _arrays(promotion.promote_dtypes_inexact, sample, weights)
        if weights.shape != s.shape[:1]:
            raise ValueError("should have one weight for each sample.")
    n, d = s.shape
    if range is not None and (len(range) != d or builtins.any(
            r is not None and np.shape(r)[0] != 2 for r in range)):
        raise ValueError(f"For sample.shape={(n, d)}, range must be a sequence of {d} pairs "
                         f"or Nones; got {range=}")
    try:
        if len(bins) != d:
            raise ValueError("should be a bin for each dimension.")
    except TypeError:
        bins = d * [bins]
    idx_by_dim, edges_by_dim = [], []
    for i in builtins.range(d):
        col = s[:, i]
        edges = histogram_bin_edges(col, bins[i], None if range is None else range[i],
                                    weights)
        idx = searchsorted(edges, col, side="right")
        idx = where(lax.eq(col, edges[-1]), idx - 1, idx)
        idx_by_dim.append(idx)
        edges_by_dim.append(edges)
    nbins = tuple(e.shape[0] + 1 for e in edges_by_dim)
    xy = ravel_multi_index(tuple(idx_by_dim), nbins, mode="clip")
    hist = bincount(xy, weights, length=math.prod(nbins))
    hist = lax.reshape(hist, nbins)
    hist = hist[(slice(1, -1),) * d]
    if density:
        hist = hist.astype(s.dtype)
        hist = hist / sum(hist)
        for k in builtins.range(d):
            shape = [1] * d
            shape[k] = nbins[k] - 2
            hist = hist / lax.reshape(diff(edges_by_dim[k]), tuple(shape))
    return hist, edges_by_dim


def histogram2d(x: Any, y: Any, bins: Any = 10, range: Any = None, weights: Any = None,
                density: bool | None = None) -> tuple[Any, Any, Any]:
    """The two-dimensional histogram of the points ``(x, y)``."""
    from kiln.numpy.shape import stack

    check_arraylike("histogram2d", x, y)
    try:
        nb = len(bins)
    except TypeError:
        nb = 1
    if nb not in (1, 2):
        edges = asarray(bins)
        bins = [edges, edges]
    sample = stack(_arrays(promotion.promote_dtypes, x, y), axis=1)
    hist, edges = histogramdd(sample, bins, range, weights, density)
    return hist, edges[0], edges[1]
