"""Differences, integrals and convolutions of sequences: ``diff``, ``ediff1d``,
``gradient``, ``trapezoid``, ``interp``, ``unwrap``, ``convolve`` and ``correlate``."""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np
from kiln import lax
from kiln.core import dtypes
from kiln.numpy import promotion
from kiln.numpy.promotion import asarray, check_arraylike
from kiln.numpy.reductions import canonicalize_axis


def _arrays(fn: Any, *args: Any) -> list[Any]:
    return [promotion._as_array(a) for a in fn(*args)]


def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = None, append: Any = None) -> Any:
    """The ``n``-th differences along ``axis`` (``a[i + 1] - a[i]``; ``!=`` for booleans),
    after adding ``prepend`` and ``append``."""
    from kiln.numpy.selection import broadcast_to
    from kiln.numpy.shape import concatenate
    from kiln.numpy.ufuncs import not_equal, subtract

    check_arraylike("diff", a)
    arr = asarray(a)
    n = operator.index(n)
    if n == 0:
        return arr
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n}")
    if arr.ndim == 0:
        raise ValueError(f"diff requires input that is at least one dimensional; got {a}")
    axis = canonicalize_axis(axis, arr.ndim)
    combined = []
    if prepend is not None:
        check_arraylike("diff", prepend)
        p = asarray(prepend)
        if p.ndim == 0:
            shape = list(arr.shape)
            shape[axis] = 1
            p = broadcast_to(p, tuple(shape))
        combined.append(p)
    combined.append(arr)
    if append is not None:
        check_arraylike("diff", append)
        q = asarray(append)
        if q.ndim == 0:
            shape = list(arr.shape)
            shape[axis] = 1
            q = broadcast_to(q, tuple(shape))
        combined.append(q)
    if len(combined) > 1:
        arr = concatenate(combined, axis)
    op = not_equal if arr.dtype == dtypes.bool_ else subtract
    for _ in range(n):
        size = arr.shape[axis]
        arr = op(lax.slice_in_dim(arr, 1, size, axis=axis),
                 lax.slice_in_dim(arr, 0, max(size - 1, 0), axis=axis))
    return arr


def ediff1d(ary: Any, to_end: Any = None, to_begin: Any = None) -> Any:
    """The differences of the flattened array, with ``to_begin`` and ``to_end`` around."""
    from kiln.numpy.shape import concatenate, ravel
    from kiln.numpy.ufuncs import subtract

    check_arraylike("ediff1d", ary)
    arr = ravel(ary)
    result = subtract(arr[1:], arr[:-1])
    parts = []
    if to_begin is not None:
        check_arraylike("ediff1d", to_begin)
        parts.append(ravel(asarray(to_begin).astype(arr.dtype)))
    parts.append(result)
    if to_end is not None:
        check_arraylike("ediff1d", to_end)
        parts.append(ravel(asarray(to_end).astype(arr.dtype)))
    return concatenate(parts) if len(parts) > 1 else result


def gradient(f: Any, *varargs: Any, axis: int | tuple[int, ...] | None = None,
             edge_order: int | None = None) -> Any:
    """The gradient by central differences inside and one-sided ones at the edges, with
    scalar spacings or coordinate arrays ``varargs`` per axis."""
    from kiln.numpy.shape import concatenate

    if edge_order is not None:
        raise NotImplementedError("The 'edge_order' argument to jnp.gradient is not "
                                  "supported.")
    check_arraylike("gradient", f, *varargs)
    a, *spacing = _arrays(promotion.promote_dtypes_inexact, f, *varargs) if varargs else \
        [promotion._as_array(x) for x in promotion.promote_dtypes_inexact(f)]

    def along(a: Any, h: Any, ax: int) -> Any:
        def sl(start: int | None, stop: int | None) -> Any:
            return lax.slice_in_dim(a, start, stop, axis=ax)
        upper = sl(1, 2) - sl(0, 1)
        lower = sl(-1, None) - sl(-2, -1)
        if np.ndim(h) == 0:
            inner = (sl(2, None) - sl(None, -2)) * 0.5 / h
            lower = lower / h
            upper = upper / h
        elif np.ndim(h) == 1:
            if h.shape[0] != a.shape[ax]:
                raise ValueError("Spacing arrays must have the same length as the dimension "
                                 "along which the gradient is calculated.")
            shape = [1] * a.ndim
            shape[ax] = h.shape[0]
            h = lax.reshape(h, tuple(shape))

            def sx(start: int | None, stop: int | None) -> Any:
                return lax.slice_in_dim(h, start, stop, axis=ax)
            upper = upper / (sx(1, 2) - sx(0, 1))
            lower = lower / (sx(-1, None) - sx(-2, -1))
            dx1 = sx(1, -1) - sx(0, -2)
            dx2 = sx(2, None) - sx(1, -1)
            ca = -dx2 / (dx1 * (dx1 + dx2))
            cb = (dx2 - dx1) / (dx1 * dx2)
            cc = dx1 / (dx2 * (dx1 + dx2))
            inner = ca * sl(0, -2) + cb * sl(1, -1) + cc * sl(2, None)
        else:
            raise ValueError("Spacing arrays must be 1D arrays or scalars.")
        return concatenate((upper, inner, lower), axis=ax)

    if axis is None:
        axes = tuple(range(a.ndim))
    elif isinstance(axis, int):
        axes = (canonicalize_axis(axis, a.ndim),)
    else:
        axes = tuple(canonicalize_axis(i, a.ndim) for i in axis)
    if not axes:
        return []
    if min(a.shape[i] for i in axes) < 2:
        raise ValueError("Shape of array too small to calculate a numerical gradient, at "
                         "least (edge_order + 1) elements are required.")
    if not spacing:
        dx = [1.0] * len(axes)
    elif len(spacing) == 1:
        dx = list(spacing) * len(axes)
    elif len(spacing) == len(axes):
        dx = list(spacing)
    else:
        raise TypeError(f"Invalid number of spacing arguments {len(spacing)} for {axis=}")
    grads = [along(a, h, ax) for ax, h in zip(axes, dx)]
    return grads[0] if len(axes) == 1 else grads


def trapezoid(y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1) -> Any:
    """The integral of ``y`` by the trapezoidal rule along ``axis`` (sample points ``x``,
    or spacing ``dx``)."""
    from kiln.numpy.reductions import sum
    from kiln.numpy.shape import moveaxis

    if x is None:
        check_arraylike("trapezoid", y)
        (y_arr,) = _arrays(promotion.promote_dtypes_inexact, y)
        dx_arr = asarray(dx)
    else:
        check_arraylike("trapezoid", y, x)
        y_arr, x_arr = _arrays(promotion.promote_dtypes_inexact, y, x)
        dx_arr = diff(x_arr) if x_arr.ndim == 1 else moveaxis(diff(x_arr, axis=axis), axis, -1)
    y_arr = moveaxis(y_arr, axis, -1)
    return 0.5 * sum(dx_arr * (y_arr[..., 1:] + y_arr[..., :-1]), axis=-1)


def interp(x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None,
           period: Any = None) -> Any:
    """Piecewise-linear interpolation of the points ``(xp, fp)`` (``xp`` increasing) at
    ``x``; ``left``/``right`` outside (``'extrapolate'`` continues the end segments),
    ``period`` for periodic data."""
    from kiln.numpy.indexing import take
    from kiln.numpy.selection import clip, where
    from kiln.numpy.shape import concatenate
    from kiln.numpy.sorting import searchsorted
    from kiln.numpy.ufuncs import absolute

    check_arraylike("interp", x, xp, fp)
    x_arr, xp_arr, fp_arr = asarray(x), asarray(xp), asarray(fp)
    if xp_arr.shape != fp_arr.shape or xp_arr.ndim != 1:
        raise ValueError("xp and fp must be one-dimensional arrays of equal size")
    x_arr, xp_arr = _arrays(promotion.promote_dtypes_inexact, x_arr, xp_arr)
    (fp_arr,) = _arrays(promotion.promote_dtypes_inexact, fp_arr)
    extrapolate = {}
    for name, value in (("left", left), ("right", right)):
        if isinstance(value, str):
            if value != "extrapolate":
                raise ValueError(f"the only valid string value of `{name}` is 'extrapolate', "
                                 f"got: {name}={value!r}")
            extrapolate[name] = True
        else:
            extrapolate[name] = False
    if dtypes.is_complex(x_arr.dtype):
        raise ValueError("jnp.interp: complex x values not supported.")
    if period is not None:
        if np.ndim(period) != 0:
            raise ValueError(f"period must be a scalar; got {period}")
        period = absolute(period)
        x_arr = x_arr % period
        xp_arr = xp_arr % period
        xp_arr, fp_arr = lax.sort_key_val(xp_arr, fp_arr)
        xp_arr = concatenate([xp_arr[-1:] - period, xp_arr, xp_arr[:1] + period])
        fp_arr = concatenate([fp_arr[-1:], fp_arr, fp_arr[:1]])
    n = xp_arr.shape[0]
    i = clip(searchsorted(xp_arr, x_arr, side="right"), 1, n - 1)
    fp_i, fp_im1 = take(fp_arr, i), take(fp_arr, i - 1)
    xp_i, xp_im1 = take(xp_arr, i), take(xp_arr, i - 1)
    df = fp_i - fp_im1
    dxs = xp_i - xp_im1
    delta = x_arr - xp_im1
    epsilon = np.spacing(dtypes.finfo(xp_arr.dtype).eps)
    dx0 = absolute(dxs) <= epsilon
    f = where(dx0, fp_im1, fp_im1 + (delta / where(dx0, 1, dxs)) * df)
    if not extrapolate["left"] and period is None:
        f = where(x_arr < xp_arr[0], fp_arr[0] if left is None else left, f)
    if not extrapolate["right"] and period is None:
        f = where(x_arr > xp_arr[-1], fp_arr[-1] if right is None else right, f)
    return f


def unwrap(p: Any, discont: Any = None, axis: int = -1, period: Any = 2 * math.pi) -> Any:
    """``p`` with jumps larger than ``discont`` along ``axis`` replaced by their
    ``period`` complement."""
    from kiln.numpy.reductions import cumsum
    from kiln.numpy.selection import where
    from kiln.numpy.shape import concatenate
    from kiln.numpy.ufuncs import absolute, mod

    check_arraylike("unwrap", p)
    arr = asarray(p)
    if dtypes.is_complex(arr.dtype):
        raise ValueError("jnp.unwrap does not support complex inputs.")
    axis = canonicalize_axis(axis, arr.ndim)
    if arr.shape[axis] == 0:
        return _arrays(promotion.promote_dtypes_inexact, arr)[0]
    if discont is None:
        discont = period / 2
    interval = period / 2
    dd = diff(arr, axis=axis)
    ddmod = mod(dd + interval, period) - interval
    ddmod = where((ddmod == -interval) & (dd > 0), interval, ddmod)
    ph_correct = where(absolute(dd) < discont, 0, ddmod - dd)
    return concatenate((lax.slice_in_dim(arr, 0, 1, axis=axis),
                        lax.slice_in_dim(arr, 1, None, axis=axis) + cumsum(ph_correct,
                                                                           axis=axis)),
                       axis=axis)


def _conv(name: str, x: Any, y: Any, mode: str, op: str, precision: Any,
          preferred_element_type: Any) -> Any:
    from kiln.numpy.ufuncs import conjugate

    check_arraylike(name, x, y)
    x, y = asarray(x), asarray(y)
    if x.ndim != 1 or y.ndim != 1:
        raise ValueError(f"{name}() only support 1-dimensional inputs.")
    if preferred_element_type is None:
        x, y = _arrays(promotion.promote_dtypes_inexact, x, y)
        dtype = x.dtype
    else:
        dtype = promotion.canonicalize_user_dtype(preferred_element_type, name)
    if x.shape[0] == 0 or y.shape[0] == 0:
        raise ValueError(f"{name}: inputs cannot be empty, got shapes {x.shape} and "
                         f"{y.shape}.")
    reverse_out = False
    if op == "correlate":
        y = conjugate(y)
        if x.shape[0] < y.shape[0]:
            x, y = y, x
            reverse_out = True
    else:
        if x.shape[0] < y.shape[0]:
            x, y = y, x
        y = lax.rev(y, (0,))
    m = y.shape[0]
    if mode == "valid":
        pad = (0, 0)
    elif mode == "same":
        pad = (m // 2, m - m // 2 - 1)
    elif mode == "full":
        pad = (m - 1, m - 1)
    else:
        raise ValueError("mode must be one of ['full', 'same', 'valid']")
    xp = lax.pad(x, np.zeros((), x.dtype)[()], ((pad[0], pad[1], 0),))
    n_out = xp.shape[0] - m + 1
    # Each output is a dot product of a window of x with y: gather the windows.
    idx = (np.arange(n_out)[:, None] + np.arange(m)[None, :]).astype(np.int32)
    windows = lax.gather(xp, idx[..., None], lax.GatherDimensionNumbers((), (0,), (0,)),
                         (1,), mode=lax.GatherScatterMode.PROMISE_IN_BOUNDS)
    out = lax.dot_general(windows, y, (((1,), (0,)), ((), ())), precision=precision,
                          preferred_element_type=dtype)
    return lax.rev(out, (0,)) if reverse_out else out


def convolve(a: Any, v: Any, mode: str = "full", *, precision: Any = None,
             preferred_element_type: Any = None) -> Any:
    """The discrete linear convolution of two 1-D sequences ('full', 'same' or 'valid')."""
    return _conv("convolve", a, v, mode, "convolve", precision, preferred_element_type)


def correlate(a: Any, v: Any, mode: str = "valid", *, precision: Any = None,
              preferred_element_type: Any = None) -> Any:
    """The cross-correlation of two 1-D sequences ('valid', 'same' or 'full')."""
    return _conv("correlate", a, v, mode, "correlate", precision, preferred_element_type)
