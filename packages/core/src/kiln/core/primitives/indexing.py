"""Indexing primitives: dynamic_slice, dynamic_update_slice, gather and the scatter family.

The NumPy implementations follow XLA's semantics, as JAX runs them on CPU:

* dynamic_slice/dynamic_update_slice clamp each start index so the window stays in bounds.
* gather takes one window (of ``slice_sizes``) per index vector of ``indices`` (whose last
  axis is the index vector). Out of bounds windows are clamped (CLIP, PROMISE_IN_BOUNDS) or
  replaced whole by ``fill_value`` (FILL_OR_DROP).
* scatter writes one window of ``updates`` per index vector, combining with what is there
  (replace, add, sub, mul, min, max, or ``update_jaxpr``). Duplicate indices apply in order.
  Out of bounds windows are clamped (CLIP) or dropped whole (every other mode).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from kiln.core import dtypes
from kiln.core.abstract import ShapedArray
from kiln.core.jaxpr import param_printers
from kiln.core.primitive import Primitive
from kiln.core.primitives.shape_rules import all_weak, same_dtypes
from kiln.core.primitives.structural import Spec, define

# -- parameter types ----------------------------------------------------------------------------


class GatherDimensionNumbers(NamedTuple):
    """How the dimensions of a gather's operand, indices and output relate (XLA's Gather; the
    index vector is always the last dimension of the indices)."""

    offset_dims: tuple[int, ...]
    collapsed_slice_dims: tuple[int, ...]
    start_index_map: tuple[int, ...]
    operand_batching_dims: tuple[int, ...] = ()
    start_indices_batching_dims: tuple[int, ...] = ()


class ScatterDimensionNumbers(NamedTuple):
    """How the dimensions of a scatter's operand, indices and updates relate (XLA's Scatter;
    the index vector is always the last dimension of the indices)."""

    update_window_dims: Sequence[int]
    inserted_window_dims: Sequence[int]
    scatter_dims_to_operand_dims: Sequence[int]
    operand_batching_dims: Sequence[int] = ()
    scatter_indices_batching_dims: Sequence[int] = ()


class GatherScatterMode(enum.Enum):
    """What gather and scatter do with out-of-bounds indices.

    CLIP: clamp them so the whole window is in bounds. FILL_OR_DROP: gather returns
    ``fill_value`` for the whole window, scatter drops the whole window. PROMISE_IN_BOUNDS:
    the caller promises they are in bounds (gather clamps, scatter drops)."""

    CLIP = enum.auto()
    FILL_OR_DROP = enum.auto()
    PROMISE_IN_BOUNDS = enum.auto()
    ONE_HOT = enum.auto()

    @staticmethod
    def from_any(s: str | GatherScatterMode | None) -> GatherScatterMode:
        if isinstance(s, GatherScatterMode):
            return s
        if s == "clip":
            return GatherScatterMode.CLIP
        if s is None or s == "fill" or s == "drop":
            return GatherScatterMode.FILL_OR_DROP
        if s == "promise_in_bounds":
            return GatherScatterMode.PROMISE_IN_BOUNDS
        if s == "one_hot":
            return GatherScatterMode.ONE_HOT
        raise ValueError(f'Unknown gather mode "{s}"')


def default_fill_value(dtype: np.dtype) -> Any:
    """What an out-of-bounds FILL_OR_DROP gather returns when no fill_value is given."""
    if dtypes.is_inexact(dtype):
        return np.nan
    if dtypes.is_unsigned(dtype):
        return int(dtypes.iinfo(dtype).max)
    if dtypes.is_int(dtype):
        return int(dtypes.iinfo(dtype).min)
    if dtype == dtypes.bool_:
        return True
    raise ValueError(f"Unsupported dtype for gather fill_value {dtype}")


# -- dynamic_slice and dynamic_update_slice ---------------------------------------------------


def _check_scalar_indices(name: str, indices: Sequence[ShapedArray]) -> None:
    if any(i.ndim != 0 for i in indices):
        sep = " " if name == "dynamic_slice" else ""  # JAX's messages differ by a space
        raise TypeError(f"start_indices arguments to {name} must be scalars, {sep}got indices "
                        f"{tuple(indices)}")


def _check_index_dtypes(name: str, indices: Sequence[ShapedArray], colon: str) -> None:
    if any(i.dtype != indices[0].dtype or not dtypes.is_int(i.dtype) for i in indices):
        got = ", ".join(i.dtype.name for i in indices)
        raise TypeError(f"index arguments to {name} must be integers of the same type, "
                        f"got{colon} {got}")


def _dynamic_slice_shape(x: ShapedArray, *indices: ShapedArray,
                         slice_sizes: tuple[int, ...]) -> tuple:
    if len(slice_sizes) != x.ndim or len(indices) != x.ndim:
        raise TypeError(f"dynamic_slice needs one start index and one slice size per operand "
                        f"dimension, got {len(indices)} indices and slice_sizes {slice_sizes} "
                        f"for operand shape {x.shape}.")
    if not all(d >= s for d, s in zip(x.shape, slice_sizes)):
        raise TypeError("slice slice_sizes must be less than or equal to operand shape, got "
                        f"slice_sizes {slice_sizes} for operand shape {x.shape}.")
    if not all(s >= 0 for s in slice_sizes):
        raise TypeError("slice slice_sizes must be greater than or equal to zero, got "
                        f"slice_sizes of {slice_sizes}.")
    _check_scalar_indices("dynamic_slice", indices)
    return tuple(slice_sizes)


def _dynamic_slice_dtype(x: ShapedArray, *indices: ShapedArray, **params: Any) -> np.dtype:
    _check_index_dtypes("dynamic_slice", indices, ":")
    return x.dtype


def _dynamic_update_slice_shape(x: ShapedArray, update: ShapedArray,
                                *indices: ShapedArray) -> tuple:
    if x.ndim != update.ndim:
        raise TypeError("dynamic_update_slice update must have the same rank as operand, got "
                        f"update shape {update.shape} for operand shape {x.shape}.")
    if x.ndim != len(indices):
        raise TypeError("dynamic_update_slice start_indices must have length equal to the rank "
                        f"of operand, got indices {tuple(indices)} for operand shape "
                        f"{x.shape}.")
    if not all(d >= u for d, u in zip(x.shape, update.shape)):
        raise TypeError("dynamic_update_slice update shape must be smaller than operand shape, "
                        f"got update shape {update.shape} for operand shape {x.shape}.")
    _check_scalar_indices("dynamic_update_slice", indices)
    return x.shape


def _dynamic_update_slice_dtype(x: ShapedArray, update: ShapedArray,
                                *indices: ShapedArray) -> np.dtype:
    same_dtypes("dynamic_update_slice", [x, update])
    _check_index_dtypes("dynamic_update_slice", indices, "")
    return x.dtype


def _clamped_window(shape: Sequence[int], sizes: Sequence[int],
                    indices: Sequence[np.ndarray]) -> tuple[slice, ...]:
    """The window of ``sizes`` at ``indices``, each start clamped into [0, dim - size]."""
    starts = (min(max(int(i), 0), d - s) for i, d, s in zip(indices, shape, sizes))
    return tuple(slice(b, b + s) for b, s in zip(starts, sizes))


def _dynamic_slice_impl(x: np.ndarray, *indices: np.ndarray,
                        slice_sizes: tuple[int, ...]) -> np.ndarray:
    return x[_clamped_window(x.shape, slice_sizes, indices)]


def _dynamic_update_slice_impl(x: np.ndarray, update: np.ndarray,
                               *indices: np.ndarray) -> np.ndarray:
    out = x.copy()
    out[_clamped_window(x.shape, update.shape, indices)] = update
    return out


# -- gather and scatter: shape rules ------------------------------------------------------------


def _is_sorted(dims: Sequence[int], op: str, name: str) -> None:
    if any(b < a for a, b in zip(dims, dims[1:])):
        raise TypeError(f"{name} in {op} op must be sorted; got {dims}")


def _sorted_dims_in_range(dims: Sequence[int], rank: int, op: str, name: str) -> None:
    if not dims:
        return
    bad = dims[0] if dims[0] < 0 else dims[-1] if dims[-1] >= rank else None
    if bad is not None:
        raise TypeError(f"Invalid {name} set in {op} op; valid range is [0, {rank}); got: "
                        f"{bad}.")


def _dims_in_range(dims: Sequence[int], rank: int, op: str, name: str) -> None:
    for d in dims:
        if not 0 <= d < rank:
            raise TypeError(f"Invalid {name} set in {op} op; valid range is [0, {rank}); got: "
                            f"{d}.")


def _no_duplicate_dims(dims: Sequence[int], op: str, name: str) -> None:
    if len(set(dims)) != len(dims):
        raise TypeError(f"{name} in {op} op must not repeat; got: {dims}.")


def _disjoint_dims(a: Sequence[int], b: Sequence[int], op: str, name_a: str,
                   name_b: str) -> None:
    if not set(a).isdisjoint(b):
        raise TypeError(f"{name_a} and {name_b} in {op} op must be disjoint; got: {a} and {b}.")


def _check_batching_dims(op: str, operand: ShapedArray, indices: ShapedArray,
                         operand_dims: Sequence[int], index_dims: Sequence[int],
                         index_name: str) -> None:
    """The checks gather and scatter share on their batching dimensions."""
    title = op.capitalize()
    _no_duplicate_dims(index_dims, op, index_name)
    _dims_in_range(index_dims, indices.ndim, op, index_name)
    if indices.ndim - 1 in index_dims:
        raise TypeError(f"{title} op cannot have the index vector dimension as a batching "
                        f"dimension; got {index_dims}.")
    if len(operand_dims) != len(index_dims):
        sep = "" if op == "gather" else " "  # sic: JAX's gather message lacks the space
        raise TypeError(f"{title} op requires equal numbers of operand_batching_dims and "
                        f"{index_name}, got {operand_dims} and{sep}{index_dims}.")
    operand_batch = tuple(operand.shape[i] for i in operand_dims)
    index_batch = tuple(indices.shape[i] for i in index_dims)
    if operand_batch != index_batch:
        raise TypeError(f"{title} op requires operand batching dimensions and indices batching "
                        f"dimensions to have the same shape, got {operand_batch} and "
                        f"{index_batch}.")


def _gather_shape(operand: ShapedArray, indices: ShapedArray, *,
                  dimension_numbers: GatherDimensionNumbers, slice_sizes: tuple[int, ...],
                  **params: Any) -> tuple:
    dn = dimension_numbers
    offset_dims, collapsed = dn.offset_dims, dn.collapsed_slice_dims
    batching, index_map = dn.operand_batching_dims, dn.start_index_map
    if indices.ndim < 1:
        raise TypeError(f"Gather index leaf dimension must be within [0, rank(indices) + 1). "
                        f"rank(indices) is {indices.ndim} and gather index leaf dimension is "
                        f"{indices.ndim - 1}.")
    index_vector_dim = indices.ndim - 1
    _is_sorted(offset_dims, "gather", "offset_dims")
    _no_duplicate_dims(offset_dims, "gather", "offset_dims")
    out_rank = len(offset_dims) + indices.ndim - 1
    for i, d in enumerate(offset_dims):
        if not 0 <= d < out_rank:
            raise TypeError(f"Offset dimension {i} in gather op is out of bounds; got {d}, but "
                            f"should have been in [0, {out_rank})")
    if len(index_map) != indices.shape[index_vector_dim]:
        raise TypeError(f"Gather op has {len(index_map)} elements in start_index_map and the "
                        f"bound of dimension index_vector_dim={index_vector_dim} of indices is "
                        f"{indices.shape[index_vector_dim]}. These two numbers must be equal.")
    for i, d in enumerate(index_map):
        if not 0 <= d < operand.ndim:
            raise TypeError(f"Invalid start_index_map; domain is [0, {operand.ndim}), got: "
                            f"{i}->{d}.")
    _no_duplicate_dims(index_map, "gather", "start_index_map")
    _is_sorted(collapsed, "gather", "collapsed_slice_dims")
    _sorted_dims_in_range(collapsed, operand.ndim, "gather", "collapsed_slice_dims")
    _no_duplicate_dims(collapsed, "gather", "collapsed_slice_dims")
    _no_duplicate_dims(batching, "gather", "operand_batching_dims")
    _is_sorted(batching, "gather", "operand_batching_dims")
    _sorted_dims_in_range(batching, operand.ndim, "gather", "operand_batching_dims")
    _disjoint_dims(collapsed, batching, "gather", "collapsed_slice_dims",
                   "operand_batching_dims")
    _disjoint_dims(index_map, batching, "gather", "start_index_map", "operand_batching_dims")
    _check_batching_dims("gather", operand, indices, batching,
                         dn.start_indices_batching_dims, "start_indices_batching_dims")
    if operand.ndim != len(slice_sizes):
        raise TypeError(f"Gather op must have one slice size for every input dimension; got: "
                        f"len(slice_sizes)={len(slice_sizes)}, input_shape.rank={operand.ndim}")
    if len(slice_sizes) != len(offset_dims) + len(collapsed) + len(batching):
        raise TypeError("All components of the offset index in a gather op must either be a "
                        f"offset dimension or explicitly collapsed/batching; got "
                        f"len(slice_sizes)={len(slice_sizes)}, output_slice_sizes={offset_dims}"
                        f", collapsed_slice_dims={collapsed}, operand_batching_dims={batching}.")
    if indices.size:
        for i, (s, d) in enumerate(zip(slice_sizes, operand.shape)):
            if not 0 <= s <= d:
                raise TypeError(f"Slice size at index {i} in gather op is out of range, must be "
                                f"within [0, {d} + 1), got {s}.")
    for i, d in enumerate(collapsed):
        if slice_sizes[d] != 1:
            raise TypeError("Gather op can only collapse slice dims with bound 1, but bound is "
                            f"{slice_sizes[d]} for index {d} at position {i}.")
    for i, d in enumerate(batching):
        if slice_sizes[d] > 1:
            raise TypeError("Gather op can only have operand batching dims with bound 0/1, but "
                            f"bound is {slice_sizes[d]} for index {d} at position {i}.")
    window = iter(s for i, s in enumerate(slice_sizes) if i not in collapsed and
                  i not in batching)
    batch = iter(indices.shape[:-1])
    return tuple(next(window) if i in offset_dims else next(batch) for i in range(out_rank))


def _integer_indices(indices: ShapedArray) -> None:
    if not dtypes.is_int(indices.dtype):
        raise ValueError("indices must have an integer type")


def _gather_dtype(operand: ShapedArray, indices: ShapedArray, **params: Any) -> np.dtype:
    _integer_indices(indices)
    return operand.dtype


def _scatter_shape(operand: ShapedArray, indices: ShapedArray, updates: ShapedArray, *,
                   dimension_numbers: ScatterDimensionNumbers, **params: Any) -> tuple:
    dn = dimension_numbers
    window_dims, inserted = tuple(dn.update_window_dims), tuple(dn.inserted_window_dims)
    batching, to_operand = tuple(dn.operand_batching_dims), tuple(dn.scatter_dims_to_operand_dims)
    index_batching = tuple(dn.scatter_indices_batching_dims)
    if indices.ndim < 1:
        raise TypeError(f"Scatter index leaf dimension must be within [0, rank(indices) + 1). "
                        f"rank(indices) is {indices.ndim} and scatter index leaf dimension is "
                        f"{indices.ndim - 1}.")
    index_vector_dim = indices.ndim - 1
    expected_rank = indices.ndim - 1 + len(window_dims)
    if updates.ndim != expected_rank:
        raise TypeError(f"Updates tensor must be of rank {expected_rank}; got {updates.ndim}.")
    _is_sorted(window_dims, "scatter", "update_window_dims")
    _no_duplicate_dims(window_dims, "scatter", "update_window_dims")
    _sorted_dims_in_range(window_dims, updates.ndim, "scatter", "update_window_dims")
    _is_sorted(inserted, "scatter", "inserted_window_dims")
    _no_duplicate_dims(inserted, "scatter", "inserted_window_dims")
    _sorted_dims_in_range(inserted, operand.ndim, "scatter", "inserted_window_dims")
    _is_sorted(batching, "scatter", "operand_batching_dims")
    _no_duplicate_dims(batching, "scatter", "operand_batching_dims")
    _sorted_dims_in_range(batching, operand.ndim, "scatter", "operand_batching_dims")
    _disjoint_dims(inserted, batching, "scatter", "inserted_window_dims",
                   "operand_batching_dims")
    _disjoint_dims(to_operand, batching, "scatter", "scatter_dims_to_operand_dims",
                   "operand_batching_dims")
    _check_batching_dims("scatter", operand, indices, batching, index_batching,
                         "scatter_indices_batching_dims")
    # The update dims that are not window dims follow the indices' batch dims in order.
    scatter_dims = [d for d in range(updates.ndim) if d not in window_dims]
    operand_batch = tuple(operand.shape[i] for i in batching)
    updates_batch = tuple(updates.shape[scatter_dims[i]] for i in index_batching)
    if operand_batch != updates_batch:
        raise TypeError("Scatter op requires operand batching dimensions and updates batching "
                        f"dimensions to have the same shape, got {operand_batch} and "
                        f"{updates_batch}.")
    window_size = len(window_dims) + len(inserted) + len(batching)
    if operand.ndim != window_size:
        raise TypeError(f"Scatter op has window of size {window_size}; doesn't match operand "
                        f"of rank {operand.ndim}.")
    if len(to_operand) != indices.shape[index_vector_dim]:
        raise TypeError(f"Scatter op has {len(to_operand)} elements in "
                        f"scatter_dims_to_operand_dims and the bound of dimension "
                        f"index_vector_dim={index_vector_dim} of indices is "
                        f"{indices.shape[index_vector_dim]}. These two numbers must be equal")
    for i, d in enumerate(to_operand):
        if not 0 <= d < operand.ndim:
            raise TypeError("Invalid scatter_dims_to_operand_dims mapping; domain is "
                            f"[0, {operand.ndim}), got: {i}->{d}.")
    _no_duplicate_dims(to_operand, "scatter", "scatter_dims_to_operand_dims")
    max_window = [d for i, d in enumerate(operand.shape) if i not in inserted and
                  i not in batching]
    for bound, d in zip(max_window, window_dims):
        if bound < updates.shape[d]:
            raise TypeError("Bounds of the window dimensions of updates must not exceed the "
                            "bounds of the corresponding dimensions of operand. For dimension "
                            f"{d}, updates bound is {updates.shape[d]}, operand bound is "
                            f"{bound}.")
    for d, bound in zip(scatter_dims, indices.shape[:-1]):
        if updates.shape[d] != bound:
            raise TypeError("Bounds of the scatter dimensions of updates must be the same as the "
                            "bounds of the corresponding dimensions of scatter indices. For "
                            f"scatter dimension {d}, updates bound is {updates.shape[d]}, "
                            f"indices bound is {bound}.")
    return operand.shape


def _scatter_dtype(operand: ShapedArray, indices: ShapedArray, updates: ShapedArray,
                   **params: Any) -> np.dtype:
    _integer_indices(indices)
    same_dtypes("scatter", [operand, updates])
    return operand.dtype


# -- gather and scatter: NumPy implementations ---------------------------------------------------


def _window_starts(indices: np.ndarray, ndim: int, index_map: Sequence[int],
                   operand_batching: Sequence[int], index_batching: Sequence[int]) -> np.ndarray:
    """The start of each index vector's window in every operand dimension: an int64 array
    of shape (number of index vectors, ndim). Batching dims start at the vector's position."""
    batch_shape = indices.shape[:-1]
    n = math.prod(batch_shape)
    starts = np.zeros((n, ndim), np.int64)
    starts[:, list(index_map)] = indices.reshape(n, indices.shape[-1]).astype(np.int64)
    if operand_batching:
        position = np.indices(batch_shape).reshape(len(batch_shape), n)
        for od, idim in zip(operand_batching, index_batching):
            starts[:, od] = position[idim]
    return starts


def _window_positions(starts: np.ndarray, window: Sequence[int],
                      shape: Sequence[int]) -> np.ndarray:
    """The flat (row-major) operand positions of the windows of size ``window`` at each of
    ``starts``: an int64 array of shape (n, *window)."""
    n, ndim = starts.shape
    flat = np.zeros((n,) + (1,) * ndim, np.int64)
    for d, (w, size) in enumerate(zip(window, shape)):
        offsets = np.arange(w).reshape(tuple(w if j == d else 1 for j in range(ndim)))
        flat = flat * size + starts[:, d].reshape((n,) + (1,) * ndim) + offsets
    return np.broadcast_to(flat, (n, *window))


def _in_bounds(starts: np.ndarray, upper: np.ndarray) -> np.ndarray:
    return np.all((starts >= 0) & (starts <= upper), axis=1)


def _gather_impl(operand: np.ndarray, indices: np.ndarray, *,
                 dimension_numbers: GatherDimensionNumbers, slice_sizes: tuple[int, ...],
                 mode: Any, fill_value: Any, **params: Any) -> np.ndarray:
    dn = dimension_numbers
    mode = GatherScatterMode.from_any(mode)
    if mode is GatherScatterMode.ONE_HOT:
        raise NotImplementedError("gather does not support GatherScatterMode.ONE_HOT")
    starts = _window_starts(indices, operand.ndim, dn.start_index_map,
                            dn.operand_batching_dims, dn.start_indices_batching_dims)
    upper = np.array(operand.shape, np.int64) - np.array(slice_sizes, np.int64)
    in_bounds = _in_bounds(starts, upper)
    clamped = np.clip(starts, 0, np.maximum(upper, 0))
    windows = operand.reshape(-1)[_window_positions(clamped, slice_sizes, operand.shape)]
    if mode is GatherScatterMode.FILL_OR_DROP:
        fill = default_fill_value(operand.dtype) if fill_value is None else fill_value
        with np.errstate(all="ignore"):
            fill = np.asarray(fill).astype(operand.dtype)
        mask = in_bounds.reshape((-1,) + (1,) * len(slice_sizes))
        windows = np.where(mask, windows, fill)
    # Drop the collapsed and batching dims, then move the offset dims into place.
    dropped = set(dn.collapsed_slice_dims) | set(dn.operand_batching_dims)
    offsets = tuple(s for i, s in enumerate(slice_sizes) if i not in dropped)
    batch_shape = indices.shape[:-1]
    out = windows.reshape(batch_shape + offsets)
    batch_axes = iter(range(len(batch_shape)))
    perm = [len(batch_shape) + dn.offset_dims.index(i) if i in dn.offset_dims
            else next(batch_axes) for i in range(out.ndim)]
    return np.transpose(out, perm)


def _scatter_updates(operand: np.ndarray, indices: np.ndarray, updates: np.ndarray,
                     dn: ScatterDimensionNumbers, mode: GatherScatterMode,
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The flat operand positions each update element goes to, and the elements, in scatter
    order, without the windows that are dropped for being out of bounds."""
    window_dims = list(dn.update_window_dims)
    windowed = [d for d in range(operand.ndim)
                if d not in dn.inserted_window_dims and d not in dn.operand_batching_dims]
    window = [1] * operand.ndim
    for d, ud in zip(windowed, window_dims):
        window[d] = updates.shape[ud]
    starts = _window_starts(indices, operand.ndim, dn.scatter_dims_to_operand_dims,
                            dn.operand_batching_dims, dn.scatter_indices_batching_dims)
    upper = np.array(operand.shape, np.int64) - np.array(window, np.int64)
    if mode is GatherScatterMode.CLIP:
        starts = np.clip(starts, 0, upper)
    keep = _in_bounds(starts, upper)
    scatter_dims = [d for d in range(updates.ndim) if d not in window_dims]
    values = np.transpose(updates, scatter_dims + window_dims).reshape((len(starts), *window))
    targets = _window_positions(starts[keep], window, operand.shape)
    return targets.reshape(-1), values[keep].reshape(-1)


def _scatter_impl(combine: np.ufunc | None) -> Callable[..., np.ndarray]:
    def impl(operand: np.ndarray, indices: np.ndarray, updates: np.ndarray, *,
             dimension_numbers: ScatterDimensionNumbers, mode: Any, update_jaxpr: Any,
             update_consts: Sequence[Any], **params: Any) -> np.ndarray:
        mode = GatherScatterMode.from_any(mode)
        targets, values = _scatter_updates(operand, indices, updates, dimension_numbers, mode)
        out = operand.copy()
        flat = out.reshape(-1)  # a view: writes land in out
        with np.errstate(all="ignore"):
            if combine is not None:
                combine.at(flat, targets, values)
            elif update_jaxpr is None:
                # Replace; of duplicate targets the last update wins, as on XLA:CPU.
                _, last = np.unique(targets[::-1], return_index=True)
                last = len(targets) - 1 - last
                flat[targets[last]] = values[last]
            else:
                _apply_in_order(flat, targets, values, update_jaxpr, update_consts)
        return out

    return impl


def _apply_in_order(flat: np.ndarray, targets: np.ndarray, values: np.ndarray,
                    update_jaxpr: Any, update_consts: Sequence[Any]) -> None:
    # A general update computation (scatter_apply's): one scalar application per element,
    # in order, since duplicate targets see each other's results.
    from kiln.core.reference import run_jaxpr

    for t, v in zip(targets, values):
        (flat[t],) = run_jaxpr(update_jaxpr, update_consts, [flat[t], v])


# -- the primitives -----------------------------------------------------------------------------

_operand_weak = lambda avals: avals[0].weak_type  # noqa: E731

dynamic_slice_p = define(Spec("dynamic_slice", _dynamic_slice_shape, _dynamic_slice_impl,
                              dtype=_dynamic_slice_dtype, weak=_operand_weak))
dynamic_update_slice_p = define(Spec(
    "dynamic_update_slice", _dynamic_update_slice_shape, _dynamic_update_slice_impl,
    dtype=_dynamic_update_slice_dtype, weak=all_weak))
gather_p = define(Spec("gather", _gather_shape, _gather_impl, dtype=_gather_dtype,
                       weak=_operand_weak))

# JAX's names: the combining scatters are spelled with a hyphen.
SCATTERS: dict[str, np.ufunc | None] = {
    "scatter": None,  # replace, or apply update_jaxpr
    "scatter-add": np.add,
    "scatter-sub": np.subtract,
    "scatter-mul": np.multiply,
    "scatter-min": np.minimum,
    "scatter-max": np.maximum,
}
SCATTER_PRIMITIVES: dict[str, Primitive] = {
    name: define(Spec(name, _scatter_shape, _scatter_impl(combine), dtype=_scatter_dtype,
                      weak=_operand_weak))
    for name, combine in SCATTERS.items()
}
scatter_p = SCATTER_PRIMITIVES["scatter"]
scatter_add_p = SCATTER_PRIMITIVES["scatter-add"]
scatter_sub_p = SCATTER_PRIMITIVES["scatter-sub"]
scatter_mul_p = SCATTER_PRIMITIVES["scatter-mul"]
scatter_min_p = SCATTER_PRIMITIVES["scatter-min"]
scatter_max_p = SCATTER_PRIMITIVES["scatter-max"]


def _pp_dimension_numbers(eqn: Any, names: Any) -> list[tuple[str, Any]]:
    # Params sorted by name, as usual, but the dimension numbers print as the named tuple
    # they are (JAX prints ``GatherDimensionNumbers(offset_dims=(1,), ...)``).
    return [(k, repr(v) if k == "dimension_numbers" else v)
            for k, v in sorted(eqn.params.items())]


for _prim in (gather_p, *SCATTER_PRIMITIVES.values()):
    param_printers[_prim] = _pp_dimension_numbers

__all__ = [
    "GatherDimensionNumbers", "GatherScatterMode", "SCATTERS", "SCATTER_PRIMITIVES",
    "ScatterDimensionNumbers", "default_fill_value", "dynamic_slice_p",
    "dynamic_update_slice_p", "gather_p", "scatter_add_p", "scatter_max_p", "scatter_min_p",
    "scatter_mul_p", "scatter_p", "scatter_sub_p",
]
