"""Choosing between arrays elementwise: ``where``, ``select``, ``piecewise``, ``clip``, and
the broadcasting they rest on (``broadcast_to``, ``broadcast_arrays``,
``broadcast_shapes``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from kiln import lax
from kiln.core import dtypes
from kiln.core.array import Array
from kiln.core.tracing import Tracer
from kiln.numpy import promotion
from kiln.numpy.promotion import asarray, check_arraylike, promote_dtypes


def _shape(x: Any) -> tuple[int, ...]:
    if isinstance(x, (Array, Tracer)):
        return x.aval.shape
    return np.shape(x)


def broadcast_shapes(*shapes: Any) -> tuple[int, ...]:
    """The shape NumPy broadcasting gives ``shapes`` (ValueError if they do not broadcast)."""
    if not shapes:
        return ()
    shapes = [(s,) if isinstance(s, (int, np.integer)) else tuple(s) for s in shapes]
    return lax.broadcast_shapes(*shapes)


def broadcast_to(array: Any, shape: Any, *, out_sharding: Any = None) -> Any:
    """``array`` broadcast to ``shape`` (NumPy's rules: new leading dimensions, size-1
    dimensions stretched)."""
    check_arraylike("broadcast_to", array)
    arr = asarray(array)
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else \
        tuple(int(d) for d in shape)
    arr_shape = arr.shape
    if arr_shape == shape:
        return arr
    nlead = len(shape) - len(arr_shape)
    if nlead < 0 or any(a != s and a != 1 for a, s in zip(arr_shape, shape[nlead:])):
        raise ValueError(f"Incompatible shapes for broadcasting: {arr_shape} and requested "
                         f"shape {shape}")
    stretched = tuple(i for i, (a, s) in enumerate(zip(arr_shape, shape[nlead:])) if a != s)
    kept = tuple(nlead + i for i in range(len(arr_shape)) if i not in stretched)
    if stretched:
        arr = lax.squeeze(arr, stretched)
    return lax.broadcast_in_dim(arr, shape, kept)


def broadcast_arrays(*args: Any) -> list[Any]:
    """The arguments broadcast against each other."""
    check_arraylike("broadcast_arrays", *args)
    return _broadcast_arrays(*args)


def _broadcast_arrays(*args: Any) -> list[Any]:
    shapes = [_shape(a) for a in args]
    if not shapes or all(s == shapes[0] for s in shapes):
        return [asarray(a) for a in args]
    result = lax.broadcast_shapes(*shapes)
    return [broadcast_to(a, result) for a in args]


def to_bool(x: Any) -> Any:
    """``x != 0`` unless ``x`` is already boolean."""
    x = asarray(x)
    if x.dtype == dtypes.bool_:
        return x
    return lax.ne(x, promotion.scalar_like(x, 0))


def where(condition: Any, x: Any = None, y: Any = None, /, *, size: int | None = None,
          fill_value: Any = None) -> Any:
    """``x`` where ``condition`` holds, else ``y`` (broadcast together). With only
    ``condition``, the indices of its nonzero elements, as ``nonzero`` (``size`` makes the
    shape static)."""
    if x is None and y is None:
        from kiln.numpy.indexing import nonzero

        check_arraylike("where", condition)
        return nonzero(condition, size=size, fill_value=fill_value)
    if size is not None or fill_value is not None:
        raise ValueError("size and fill_value arguments cannot be used in three-term where "
                         "function.")
    check_arraylike("where", condition, x, y)
    return _where(condition, x, y)


def _where(condition: Any, x: Any, y: Any) -> Any:
    condition = to_bool(condition)
    x, y = promote_dtypes(x, y)
    condition, x, y = _broadcast_arrays(condition, x, y)
    if 0 in x.shape:
        return x
    return lax.select_n(condition, y, x)


def select(condlist: Sequence[Any], choicelist: Sequence[Any], default: Any = 0) -> Any:
    """Elementwise, the choice of the first condition that holds, else ``default``."""
    if len(condlist) != len(choicelist):
        raise ValueError(f"condlist must have length equal to choicelist ({len(condlist)} vs "
                         f"{len(choicelist)})")
    if len(condlist) == 0:
        raise ValueError("condlist must be non-empty")
    check_arraylike("select", *condlist, *choicelist, default)
    conds = [asarray(c) for c in condlist]
    for c in conds:
        if c.dtype != dtypes.bool_:
            raise ValueError(f"condlist must be a sequence of boolean arrays, got {c.dtype}")
    choices = promote_dtypes(default, *choicelist)
    arrays = _broadcast_arrays(*conds, *choices)
    conds, choices = arrays[:len(conds)], arrays[len(conds):]
    # which: 1 + the index of the first condition that holds, or 0 for the default.
    which = lax.full(conds[0].shape, 0, np.int32)
    for i in reversed(range(len(conds))):
        which = lax.select_n(conds[i], which, lax.full_like(which, i + 1))
    return lax.select_n(which, *choices)


def piecewise(x: Any, condlist: Any, funclist: Sequence[Any], *args: Any, **kw: Any) -> Any:
    """Evaluate a piecewise-defined function: ``funclist[i]`` (a function or a constant)
    where ``condlist[i]`` holds (the last that holds wins); one extra, last function is the
    default where none holds (else 0)."""
    check_arraylike("piecewise", x)
    x = asarray(x)
    if isinstance(condlist, (list, tuple)):
        conds = [to_bool(asarray(c)) for c in condlist]
    else:
        cl = to_bool(asarray(condlist))
        conds = [cl[i] for i in range(cl.shape[0])] if cl.ndim else [cl]
    nc, nf = len(conds), len(funclist)
    if nf == nc + 1:
        default, funcs = funclist[-1], funclist[:-1]
    elif nf == nc:
        default, funcs = 0, funclist
    else:
        raise ValueError(f"with {nc} condition(s), either {nc} or {nc + 1} functions are "
                         f"expected; got {nf}")
    dtype = x.dtype

    def evaluate(f: Any) -> Any:
        out = asarray(f(x, *args, **kw)) if callable(f) else asarray(f)
        return broadcast_to(lax.convert_element_type(out, dtype), x.shape)

    result = evaluate(default)
    for cond, f in zip(conds, funcs):
        result = lax.select_n(broadcast_to(cond, x.shape), result, evaluate(f))
    return result


def clip(arr: Any = None, /, min: Any = None, max: Any = None) -> Any:
    """``arr`` limited to ``[min, max]`` (either may be None): ``minimum(max, maximum(min,
    arr))``, so NaN bounds propagate. Complex values have no order and raise."""
    from kiln.numpy import ufuncs

    check_arraylike("clip", arr)
    for v in (arr, min, max):
        if v is not None and dtypes.is_complex(dtypes.dtype(v)):
            raise ValueError(
                "Clip received a complex value either through the input or the min/max "
                "keywords. Complex values have no ordering and cannot be clipped. Please "
                "convert to a real value or array by taking the real or imaginary components "
                "via jax.numpy.real/imag respectively.")
    if min is not None:
        arr = ufuncs.maximum(min, arr)
    if max is not None:
        arr = ufuncs.minimum(max, arr)
    return asarray(arr)


def apply_where(cond: Any, fn: Callable[[Any], Any], x: Any, fallback: Any) -> Any:
    """``fn(x)`` where ``cond`` holds and ``fallback`` elsewhere, evaluating ``fn`` only on a
    safe value (``fallback``'s) where ``cond`` fails, so gradients stay finite."""
    safe = _where(cond, x, fallback)
    return _where(cond, fn(safe), fallback)

