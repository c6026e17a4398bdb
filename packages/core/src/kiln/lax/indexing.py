"""Indexing ``lax`` functions: dynamic slices and updates, gather, and the scatters.

Start indices of the dynamic ops may be Python ints (they become literals of the canonical
int dtype) or integer scalars; negative ones count from the end unless
``allow_negative_indices=False``. The ops then clamp them so the window stays in bounds.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kiln.core import dtypes
from kiln.core.abstract import ShapedArray
from kiln.core.jaxpr import Jaxpr
from kiln.core.jit import jit
from kiln.core.primitives.indexing import (
    GatherDimensionNumbers,
    GatherScatterMode,
    ScatterDimensionNumbers,
    default_fill_value,
    dynamic_slice_p,
    dynamic_update_slice_p,
    gather_p,
    scatter_add_p,
    scatter_max_p,
    scatter_min_p,
    scatter_mul_p,
    scatter_p,
    scatter_sub_p,
)
from kiln.core.staging import trace_to_jaxpr
from kiln.lax import elementwise as _ew
from kiln.lax.elementwise import _convert_element_type
from kiln.lax.structural import _aval, _canonicalize_shape, concatenate, expand_dims, full, squeeze

# -- dynamic slices -----------------------------------------------------------------------------


def _scalar(value: int, dtype: np.dtype) -> np.generic:
    """``value`` as a NumPy scalar of ``dtype`` (wrapping, as a cast does)."""
    return np.asarray(value).astype(dtype)[()]


def _wrap_negative(i: Any, size: int) -> Any:
    """``i + size if i < 0 else i`` for a dynamic index ``i``, as JAX stages it."""
    dtype = _aval(i).dtype
    negative = _ew.lt(i, _scalar(0, dtype))
    wrapped = _ew.add(_convert_element_type(i, dtype, False), _scalar(size, dtype))
    return _ew.select_n(negative, i, wrapped)


def _dynamic_slice_indices(operand: Any, start_indices: Any,
                           allow_negative_indices: bool | Sequence[bool]) -> list[Any]:
    shape = _aval(operand).shape
    if len(start_indices) != len(shape):
        raise ValueError("Length of slice indices must match number of operand dimensions "
                         f"({len(start_indices)} vs {shape})")
    if not isinstance(start_indices, Sequence):
        if _aval(start_indices).ndim != 1:
            raise ValueError(f"Slice indices must be a 1D sequence, got "
                             f"{_aval(start_indices).shape}")
        start_indices = list(start_indices)
    if isinstance(allow_negative_indices, bool):
        allow_negative_indices = [allow_negative_indices] * len(start_indices)
    result = []
    for i, d, allow_negative in zip(start_indices, shape, allow_negative_indices):
        dtype = _aval(i).dtype
        if dtypes.is_unsigned(dtype):  # never negative
            result.append(i)
        elif isinstance(i, (int, np.integer)):  # static: wrap now, pass a literal
            if i < 0 and not allow_negative:
                raise ValueError(f"Index {i} is out of bounds for dimension {d} if "
                                 "allow_negative_indices=False")
            result.append(_scalar(i + d if i < 0 else i, dtype))
        else:
            result.append(_wrap_negative(i, d) if allow_negative else i)
    return result


def dynamic_slice(operand: Any, start_indices: Any, slice_sizes: Sequence[int], *,
                  allow_negative_indices: bool | Sequence[bool] = True) -> Any:
    """The slice of ``slice_sizes`` at the (possibly traced) ``start_indices``, which are
    clamped so the slice stays in bounds."""
    indices = _dynamic_slice_indices(operand, start_indices, allow_negative_indices)
    return dynamic_slice_p.bind(operand, *indices, slice_sizes=_canonicalize_shape(slice_sizes))


def dynamic_update_slice(operand: Any, update: Any, start_indices: Any, *,
                         allow_negative_indices: bool | Sequence[bool] = True) -> Any:
    """``operand`` with ``update`` written at the (possibly traced) ``start_indices``, which
    are clamped so the update stays in bounds."""
    indices = _dynamic_slice_indices(operand, start_indices, allow_negative_indices)
    return dynamic_update_slice_p.bind(operand, update, *indices)


def _zero_index_like(index: Any) -> Any:
    # The start index of the dimensions a *_in_dim function leaves whole: 0, of the same
    # type as the index given (JAX's ``_const(index, 0)``).
    if isinstance(index, int):
        return 0
    return _scalar(0, _aval(index).dtype)


def dynamic_slice_in_dim(operand: Any, start_index: Any, slice_size: int, axis: int = 0, *,
                         allow_negative_indices: bool = True) -> Any:
    """``operand[..., start_index:start_index + slice_size]`` along ``axis``, for a dynamic
    ``start_index`` (clamped so the slice stays in bounds)."""
    shape = _aval(operand).shape
    axis = int(axis)
    start_indices = [_zero_index_like(start_index)] * len(shape)
    start_indices[axis] = start_index
    slice_sizes = list(shape)
    slice_sizes[axis] = int(slice_size)
    allow_negative = [False] * len(shape)
    allow_negative[axis] = allow_negative_indices
    return dynamic_slice(operand, start_indices, slice_sizes,
                         allow_negative_indices=allow_negative)


def _dynamic_index_in_dim(operand: Any, index: Any, axis: int = 0, keepdims: bool = True, *,
                          allow_negative_indices: bool = True) -> Any:
    """``operand[..., index]`` along ``axis`` for a dynamic ``index`` (clamped into bounds),
    keeping the dimension if ``keepdims``."""
    result = dynamic_slice_in_dim(operand, index, 1, axis,
                                  allow_negative_indices=allow_negative_indices)
    return result if keepdims else squeeze(result, (axis,))


def dynamic_update_slice_in_dim(operand: Any, update: Any, start_index: Any, axis: int, *,
                                allow_negative_indices: bool = True) -> Any:
    """``operand`` with ``update`` written at ``start_index`` along ``axis`` (clamped so the
    update stays in bounds)."""
    ndim = _aval(operand).ndim
    axis = int(axis)
    start_indices = [_zero_index_like(start_index)] * ndim
    start_indices[axis] = start_index
    allow_negative = [False] * ndim
    allow_negative[axis] = allow_negative_indices
    return dynamic_update_slice(operand, update, start_indices,
                                allow_negative_indices=allow_negative)


def _dynamic_update_index_in_dim(operand: Any, update: Any, index: Any, axis: int, *,
                                 allow_negative_indices: bool = True) -> Any:
    """``operand`` with ``update`` (of operand's rank, or one less) written at ``index``
    along ``axis`` (clamped into bounds)."""
    axis = int(axis)
    if _aval(update).ndim != _aval(operand).ndim:
        update = expand_dims(update, (axis,))
    return dynamic_update_slice_in_dim(operand, update, index, axis,
                                       allow_negative_indices=allow_negative_indices)


# JAX jits these two, so their jaxprs show a ``jit`` equation of that name.
_dynamic_index_in_dim.__name__ = _dynamic_index_in_dim.__qualname__ = "dynamic_index_in_dim"
_dynamic_update_index_in_dim.__name__ = "dynamic_update_index_in_dim"
_dynamic_update_index_in_dim.__qualname__ = "dynamic_update_index_in_dim"
dynamic_index_in_dim = jit(_dynamic_index_in_dim,
                           static_argnames=("axis", "keepdims", "allow_negative_indices"))
dynamic_update_index_in_dim = jit(_dynamic_update_index_in_dim,
                                  static_argnames=("axis", "allow_negative_indices"))


# -- gather -------------------------------------------------------------------------------------


def _hashable(dimension_numbers: Any) -> Any:
    # Params must hash: dimension numbers given with lists get tuples.
    if any(isinstance(f, list) for f in dimension_numbers):
        return type(dimension_numbers)(*(tuple(f) for f in dimension_numbers))
    return dimension_numbers


def gather(operand: Any, start_indices: Any, dimension_numbers: GatherDimensionNumbers,
           slice_sizes: Sequence[int], *, unique_indices: bool = False,
           indices_are_sorted: bool = False, mode: str | GatherScatterMode | None = None,
           fill_value: Any = None) -> Any:
    """XLA's Gather: one slice of ``slice_sizes`` per index vector (the last axis of
    ``start_indices``). ``mode`` handles out-of-bounds indices: 'clip', 'fill' (slices of
    ``fill_value``: NaN, the min or max int, or True by default) or 'promise_in_bounds' (the
    default)."""
    mode = GatherScatterMode.from_any(
        GatherScatterMode.PROMISE_IN_BOUNDS if mode is None else mode)
    if mode is GatherScatterMode.FILL_OR_DROP:
        if fill_value is None:
            fill_value = default_fill_value(_aval(operand).dtype)
    else:
        fill_value = None
    return gather_p.bind(operand, start_indices, dimension_numbers=_hashable(dimension_numbers),
                         slice_sizes=_canonicalize_shape(slice_sizes),
                         unique_indices=bool(unique_indices),
                         indices_are_sorted=bool(indices_are_sorted), mode=mode,
                         fill_value=fill_value)


def index_take(src: Any, idxs: Sequence[Any], axes: Sequence[int]) -> Any:
    """``src[idxs[0], idxs[1], ...]`` along ``axes`` (indices taken modulo the sizes)."""
    indices = concatenate([expand_dims(i, (1,)) for i in idxs], 1)
    aval, src_shape = _aval(indices), _aval(src).shape
    sizes = np.broadcast_to(np.array([src_shape[ax] for ax in axes], aval.dtype), aval.shape)
    # Python's modulo (the sizes are positive): a negative remainder wraps once.
    rem = _ew.rem(indices, sizes)
    indices = _ew.select_n(_ew.lt(rem, _scalar(0, aval.dtype)), rem, _ew.add(rem, sizes))
    slice_sizes = list(src_shape)
    for ax in axes:
        slice_sizes[ax] = 1
    dnums = GatherDimensionNumbers(
        offset_dims=tuple(range(1, len(src_shape) - aval.shape[1] + 1)),
        collapsed_slice_dims=tuple(axes), start_index_map=tuple(axes))
    return gather(src, indices, dimension_numbers=dnums, slice_sizes=tuple(slice_sizes))


# -- scatter ------------------------------------------------------------------------------------


def _trace_update(fn: Callable[[Any, Any], Any], dtype: np.dtype) -> tuple[Jaxpr, tuple]:
    scalar = ShapedArray((), dtype)
    jaxpr, consts = trace_to_jaxpr(lambda x, y: [fn(x, y)], [scalar, scalar])
    return jaxpr, tuple(consts)


@functools.cache
def _combiner_jaxpr(op: str, dtype: np.dtype) -> tuple[Jaxpr, tuple]:
    """The update computation of a combining scatter: ``lax.<op>`` on two scalars. Cached,
    so that equal scatters have equal params (and hit jit's cache)."""
    return _trace_update(getattr(_ew, op), dtype)


_apply_jaxprs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _apply_jaxpr(func: Callable[[Any], Any], dtype: np.dtype) -> tuple[Jaxpr, tuple]:
    """scatter_apply's update computation, ``(x, _) -> func(x)``, cached per function."""
    try:
        per_dtype = _apply_jaxprs.setdefault(func, {})
    except TypeError:  # not weakly referenceable
        return _trace_update(lambda x, _: func(x), dtype)
    if dtype not in per_dtype:
        per_dtype[dtype] = _trace_update(lambda x, _: func(x), dtype)
    return per_dtype[dtype]


def _bind_scatter(prim: Any, operand: Any, scatter_indices: Any, updates: Any,
                  update: tuple[Jaxpr | None, tuple], dimension_numbers: Any,
                  indices_are_sorted: bool, unique_indices: bool, mode: Any) -> Any:
    update_jaxpr, update_consts = update
    return prim.bind(operand, scatter_indices, updates, update_jaxpr=update_jaxpr,
                     update_consts=update_consts, dimension_numbers=_hashable(dimension_numbers),
                     indices_are_sorted=indices_are_sorted, unique_indices=unique_indices,
                     mode=GatherScatterMode.from_any(mode))


def _combining_scatter(prim: Any, op: str, doc: str) -> Callable[..., Any]:
    def scatter_op(operand: Any, scatter_indices: Any, updates: Any,
                   dimension_numbers: ScatterDimensionNumbers, *,
                   indices_are_sorted: bool = False, unique_indices: bool = False,
                   mode: str | GatherScatterMode | None = None) -> Any:
        update = _combiner_jaxpr(op, _aval(operand).dtype)
        return _bind_scatter(prim, operand, scatter_indices, updates, update,
                             dimension_numbers, indices_are_sorted, unique_indices, mode)

    scatter_op.__name__ = scatter_op.__qualname__ = f"scatter_{op}"
    scatter_op.__doc__ = doc
    return scatter_op


_SCATTER_DOC = (
    "XLA's Scatter, {what}: one window of ``updates`` per index vector (the last axis of "
    "``scatter_indices``). Duplicate indices {dups}. ``mode`` handles out-of-bounds windows: "
    "'clip' clamps them, anything else (the default, 'fill' or 'drop') drops them."
)
scatter_add = _combining_scatter(scatter_add_p, "add", _SCATTER_DOC.format(
    what="adding the updates to ``operand``", dups="all add"))
scatter_sub = _combining_scatter(scatter_sub_p, "sub", _SCATTER_DOC.format(
    what="subtracting the updates from ``operand``", dups="all subtract"))
scatter_mul = _combining_scatter(scatter_mul_p, "mul", _SCATTER_DOC.format(
    what="multiplying ``operand`` by the updates", dups="all multiply"))
scatter_min = _combining_scatter(scatter_min_p, "min", _SCATTER_DOC.format(
    what="taking the minimum of ``operand`` and the updates", dups="all take part"))
scatter_max = _combining_scatter(scatter_max_p, "max", _SCATTER_DOC.format(
    what="taking the maximum of ``operand`` and the updates", dups="all take part"))


def scatter(operand: Any, scatter_indices: Any, updates: Any,
            dimension_numbers: ScatterDimensionNumbers, *, indices_are_sorted: bool = False,
            unique_indices: bool = False,
            mode: str | GatherScatterMode | None = None) -> Any:
    return _bind_scatter(scatter_p, operand, scatter_indices, updates, (None, ()),
                         dimension_numbers, indices_are_sorted, unique_indices, mode)


scatter.__doc__ = _SCATTER_DOC.format(what="replacing values of ``operand`` by the updates",
                                      dups="apply in order: the last one wins")


def scatter_apply(operand: Any, scatter_indices: Any, func: Callable[[Any], Any],
                  dimension_numbers: ScatterDimensionNumbers, *, update_shape: Sequence[int] = (),
                  indices_are_sorted: bool = False, unique_indices: bool = False,
                  mode: str | GatherScatterMode | None = None) -> Any:
    """Replaces the elements of ``operand`` at the scattered windows (of ``update_shape``) by
    ``func`` of them; a duplicate index applies ``func`` again."""
    dtype = _aval(operand).dtype
    placeholder = full(update_shape, 0, dtype)
    return _bind_scatter(scatter_p, operand, scatter_indices, placeholder,
                         _apply_jaxpr(func, dtype), dimension_numbers, indices_are_sorted,
                         unique_indices, mode)


__all__ = [
    "GatherDimensionNumbers", "GatherScatterMode", "ScatterDimensionNumbers",
    "dynamic_index_in_dim", "dynamic_slice", "dynamic_slice_in_dim", "dynamic_slice_p",
    "dynamic_update_index_in_dim", "dynamic_update_slice", "dynamic_update_slice_in_dim",
    "dynamic_update_slice_p", "gather", "gather_p", "index_take", "scatter", "scatter_add",
    "scatter_add_p", "scatter_apply", "scatter_max", "scatter_max_p", "scatter_min",
    "scatter_min_p", "scatter_mul", "scatter_mul_p", "scatter_p", "scatter_sub",
    "scatter_sub_p",
]
