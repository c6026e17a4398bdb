"""Indexing: ``x[idx]``, ``x.at[idx].set/add/...``, and the functions built on them
(``take``, ``take_along_axis``, ``nonzero``, ``put``...).

An index (ints, slices, None, Ellipsis, integer arrays, static boolean masks) becomes one
XLA gather or scatter (:func:`_index_to_gather`). Reads of ints and slices alone use
``slice``/``dynamic_slice`` instead, as JAX does. Out-of-bounds reads clamp by default
(``mode='fill'`` returns ``fill_value``); out-of-bounds updates are dropped (``mode='clip'``
clamps them).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
from kiln import lax
from kiln.core import dtypes, errors
from kiln.core.array import Array
from kiln.core.config import values as config_values
from kiln.core.tracing import Tracer
from kiln.lax import GatherDimensionNumbers, GatherScatterMode, ScatterDimensionNumbers
from kiln.numpy import promotion
from kiln.numpy.promotion import asarray, check_arraylike
from kiln.numpy.reductions import canonicalize_axis
from kiln.numpy.selection import _where, broadcast_to

_ARRAYS = (Array, Tracer)
_INT_TYPES = (int, np.integer)
# Where an Ellipsis stood that covered no dimension: advanced indices on either side of it
# are not adjacent, as in NumPy.
_GAP = ("gap",)


# -- normalising an index ---------------------------------------------------------------------


def _is_int_scalar(e: Any) -> bool:
    if isinstance(e, _INT_TYPES) and not isinstance(e, (bool, np.bool_)):
        return True
    if isinstance(e, _ARRAYS) and e.ndim == 0 and dtypes.is_int(e.dtype):
        return True
    return False


def _index_error_type(e: Any) -> None:
    if isinstance(e, str):
        raise TypeError(f"JAX does not support string indexing; got idx={e!r}")
    if isinstance(e, (float, complex)) or (
            hasattr(e, "dtype") and not (dtypes.is_int(np.dtype(e.dtype)) or
                                         np.dtype(e.dtype) == dtypes.bool_)):
        dt = np.dtype(e.dtype) if hasattr(e, "dtype") else np.asarray(e).dtype
        raise TypeError(f"Indexer must have integer or boolean type, got indexer with type "
                        f"{dt}")


def _as_index_tuple(idx: Any) -> tuple:
    if isinstance(idx, tuple):
        return idx
    if isinstance(idx, list):
        raise TypeError("Using a non-tuple sequence for multidimensional indexing is not "
                        "allowed; use `arr[array(seq)]` instead of `arr[seq]`. See "
                        "https://github.com/jax-ml/jax/issues/4564 for more information.")
    return (idx,)


def _expand_index(shape: tuple[int, ...], idx: Any) -> list[Any]:
    """The index as a list with one entry per operand dimension (plus None entries):
    Ellipsis expanded, boolean masks turned into integer arrays, missing trailing slices
    added."""
    idx = _as_index_tuple(idx)
    entries: list[Any] = []
    for e in idx:
        if isinstance(e, list):
            e = np.asarray(e)
            if e.dtype == object:
                raise TypeError("Using a non-tuple sequence for multidimensional indexing is "
                                "not allowed")
        entries.append(e)
    ellipses = [i for i, e in enumerate(entries) if e is Ellipsis]
    if len(ellipses) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")

    def consumed(e: Any) -> int:
        if e is None or e is Ellipsis or isinstance(e, (bool, np.bool_)):
            return 0
        if hasattr(e, "dtype") and np.dtype(e.dtype) == dtypes.bool_:
            return np.ndim(e)
        return 1

    used = sum(consumed(e) for e in entries)
    if used > len(shape):
        raise IndexError(f"Too many indices: array is {len(shape)}-dimensional, but {used} "
                         "were indexed")
    if ellipses:
        i = ellipses[0]
        entries[i:i + 1] = [slice(None)] * (len(shape) - used) or [_GAP]
    out: list[Any] = []
    dim = 0
    for pos, e in enumerate(entries):
        if e is _GAP:
            out.append(e)
            continue
        if e is None or isinstance(e, slice):
            out.append(e)
            dim += e is not None
            continue
        if isinstance(e, (bool, np.bool_)):
            out.append(("bool_scalar", bool(e)))
            continue
        _index_error_type(e)
        if hasattr(e, "dtype") and np.dtype(e.dtype) == dtypes.bool_:
            if isinstance(e, Tracer):
                raise errors.NonConcreteBooleanIndexError(e)
            mask = np.asarray(e)
            expected = shape[dim:dim + mask.ndim]
            if mask.shape != expected:
                raise IndexError("boolean index did not match shape of indexed array in index "
                                 f"{pos}: got {mask.shape}, expected {list(expected)}")
            if mask.ndim == 0:
                out.append(("bool_scalar", bool(mask)))
                continue
            out.extend(np.nonzero(mask))
            dim += mask.ndim
            continue
        out.append(e)
        dim += 1
    out.extend([slice(None)] * (len(shape) - dim))
    return out


# -- the gather an index amounts to -----------------------------------------------------------


class _Indexer(NamedTuple):
    indices: Any                      # batch_shape + (k,) integer array
    dnums: GatherDimensionNumbers
    slice_sizes: tuple[int, ...]
    gather_shape: tuple[int, ...]     # the gather's output shape
    newaxis_dims: tuple[int, ...]     # where the result gets new dimensions of size 1
    empty_dims: tuple[int, ...]       # new dimensions of size 0 (a False scalar index)
    static: bool                      # only static integer indices (sorted and unique)


def _index_dtype(arrays: Sequence[Any]) -> np.dtype:
    wide = any(dtypes.dtype(a).itemsize == 8 for a in arrays) and config_values.enable_x64
    return np.dtype(np.int64 if wide else np.int32)


def _wrap_negative(i: Any, size: int) -> Any:
    """``i + size`` where ``i < 0`` (static or traced, unsigned left alone)."""
    if isinstance(i, (int, np.integer)):
        i = int(i)
        return i + size if i < 0 else i
    if dtypes.is_unsigned(i.dtype):
        return i
    zero = np.zeros((), i.dtype)[()]
    return lax.select_n(lax.lt(i, zero), i, lax.add(i, np.asarray(size).astype(i.dtype)[()]))


def _to_index_array(e: Any) -> Any:
    if isinstance(e, _ARRAYS):
        return e
    arr = np.asarray(e)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"Indexer must have integer or boolean type, got indexer with type "
                        f"{arr.dtype}")
    if arr.dtype != dtypes.canonicalize_dtype(arr.dtype):
        arr = arr.astype(dtypes.canonicalize_dtype(arr.dtype))
    return arr


def _index_to_gather(shape: tuple[int, ...], idx: Any,
                     normalize_indices: bool = True) -> _Indexer:
    entries = _expand_index(shape, idx)
    has_array = any(not (e is None or isinstance(e, (slice, tuple))) and np.ndim(e) > 0
                    for e in entries)
    # Each entry as (kind, payload, operand dim): kinds new, int, slice, strided, array.
    kinds: list[tuple[str, Any, int]] = []
    dim = 0
    empty_positions: list[int] = []
    for e in entries:
        if e is _GAP:
            kinds.append(("gap", None, -1))
        elif e is None:
            kinds.append(("new", None, -1))
        elif isinstance(e, tuple):  # a boolean scalar: a new axis of size 1 (or 0)
            kinds.append(("new", e[1], -1))
        elif isinstance(e, slice):
            start, stop, step = e.indices(shape[dim]) if all(
                s is None or isinstance(s, _INT_TYPES) or (isinstance(s, _ARRAYS) and not
                                                           isinstance(s, Tracer))
                for s in (e.start, e.stop, e.step)) else _dynamic_slice_error(e)
            if step == 1:
                kinds.append(("slice", (start, max(stop - start, 0)), dim))
            else:
                kinds.append(("strided", range(start, stop, step), dim))
            dim += 1
        elif has_array or not _is_int_scalar(e):
            kinds.append(("array", _to_index_array(e), dim))
            dim += 1
        else:
            kinds.append(("int", e, dim))
            dim += 1
    array_positions = [i for i, k in enumerate(kinds) if k[0] == "array"]
    contiguous = bool(array_positions) and \
        array_positions == list(range(array_positions[0], array_positions[-1] + 1))
    arrays = [k[1] for k in kinds if k[0] == "array"]
    adv_shape = np.broadcast_shapes(*(np.shape(a) if not isinstance(a, _ARRAYS) else a.shape
                                      for a in arrays)) if arrays else ()

    # The result's layout: ("adv",) for the advanced block, ("batch", j) for a strided
    # slice, ("window", dim) for a plain slice, ("new", i) for a new axis.
    layout: list[tuple] = []
    if arrays and not contiguous:
        layout.append(("adv",))
    for i, (kind, payload, d) in enumerate(kinds):
        if kind == "new":
            layout.append(("new", i))
            if payload is False:
                empty_positions.append(i)
        elif kind == "slice":
            layout.append(("window", d))
        elif kind == "strided":
            layout.append(("batch", i))
        elif kind == "array" and contiguous and i == array_positions[0]:
            layout.append(("adv",))
    # Batch shape (gather output minus windows), in layout order.
    batch_shape: list[int] = []
    batch_pos: dict[Any, list[int]] = {}
    gather_shape: list[int] = []
    offset_dims: list[int] = []
    newaxis_dims: list[int] = []
    empty_dims: list[int] = []
    out_pos = 0
    for item in layout:
        if item[0] == "new":
            pos = out_pos + len(newaxis_dims)
            newaxis_dims.append(pos)
            if item[1] in empty_positions:
                empty_dims.append(pos)
            continue
        if item[0] == "window":
            size = kinds[[k[2] for k in kinds].index(item[1])][1][1]
            offset_dims.append(out_pos)
            gather_shape.append(size)
            out_pos += 1
        elif item[0] == "adv":
            batch_pos["adv"] = list(range(len(batch_shape), len(batch_shape) + len(
                adv_shape)))
            batch_shape.extend(adv_shape)
            gather_shape.extend(adv_shape)
            out_pos += len(adv_shape)
        else:
            n = len(kinds[item[1]][1])
            batch_pos[item[1]] = [len(batch_shape)]
            batch_shape.append(n)
            gather_shape.append(n)
            out_pos += 1
    batch_shape_t = tuple(batch_shape)
    index_dtype = _index_dtype([a for a in arrays] + [k[1] for k in kinds if k[0] == "int"
                                                      and isinstance(k[1], _ARRAYS)])
    components: list[tuple[int, Any]] = []
    collapsed: list[int] = []
    slice_sizes = list(shape)
    static = not has_array and not any(k[0] == "strided" for k in kinds)
    for i, (kind, payload, d) in enumerate(kinds):
        if kind in ("new", "gap"):
            continue
        if kind == "slice":
            start, size = payload
            slice_sizes[d] = size
            if start != 0:
                components.append((d, np.asarray(start).astype(index_dtype)[()]))
            continue
        slice_sizes[d] = 1
        collapsed.append(d)
        if kind == "int":
            if isinstance(payload, _ARRAYS):
                static = False
                value = _wrap_negative(lax.convert_element_type(payload, index_dtype)
                                       if payload.dtype != index_dtype else payload, shape[d])
            else:
                value = np.asarray(_wrap_negative(payload, shape[d])).astype(index_dtype)[()]
            components.append((d, value))
        elif kind == "strided":
            iota = np.asarray(payload, dtype=index_dtype)
            components.append((d, ("batch", i, iota)))
        else:
            arr = payload
            if isinstance(arr, _ARRAYS):
                arr = lax.convert_element_type(arr, index_dtype) if arr.dtype != index_dtype \
                    else arr
                if normalize_indices:
                    arr = _wrap_negative(arr, shape[d])
            else:
                if normalize_indices:
                    arr = np.where(arr < 0, arr + shape[d], arr)
                arr = arr.astype(index_dtype)
            components.append((d, ("adv", arr)))
    columns = []
    all_host = True
    for _, comp in components:
        if isinstance(comp, tuple) and comp[0] == "batch":
            col = comp[2]
            dims = tuple(batch_pos[comp[1]])
        elif isinstance(comp, tuple):
            col = comp[1]
            nd = np.ndim(col) if not isinstance(col, _ARRAYS) else col.ndim
            adv = batch_pos["adv"]
            dims = tuple(adv[len(adv) - nd:])
            if nd and (np.shape(col) if not isinstance(col, _ARRAYS) else col.shape) != tuple(
                    adv_shape[len(adv_shape) - nd:]):
                # size-1 dimensions broadcast against the others
                col = broadcast_to(col, tuple(adv_shape[len(adv_shape) - nd:]))
        else:
            col = comp
            dims = ()
        if isinstance(col, _ARRAYS):
            all_host = False
        columns.append((col, dims))
    if all_host:
        stacked = np.zeros(batch_shape_t + (len(columns),), index_dtype)
        for j, (col, dims) in enumerate(columns):
            expanded = np.asarray(col)
            full_shape = [1] * len(batch_shape_t)
            for pos, dsize in zip(dims, expanded.shape):
                full_shape[pos] = dsize
            stacked[..., j] = np.broadcast_to(expanded.reshape(full_shape), batch_shape_t)
        indices: Any = stacked
    else:
        parts = []
        for col, dims in columns:
            col = promotion.convert(col, index_dtype, False, as_array=True) \
                if not isinstance(col, _ARRAYS) else col
            parts.append(lax.broadcast_in_dim(col, batch_shape_t + (1,), dims))
        indices = lax.concatenate(parts, len(batch_shape_t)) if len(parts) > 1 else parts[0]
    dnums = GatherDimensionNumbers(
        offset_dims=tuple(offset_dims), collapsed_slice_dims=tuple(sorted(collapsed)),
        start_index_map=tuple(d for d, _ in components))
    return _Indexer(indices, dnums, tuple(slice_sizes), tuple(gather_shape),
                    tuple(newaxis_dims), tuple(empty_dims), static)


def _dynamic_slice_error(e: slice) -> Any:
    raise IndexError("Array slice indices must have static start/stop/step to be used with "
                     f"NumPy indexing syntax. Found slice({e.start}, {e.stop}, {e.step}). "
                     "To index a statically sized array at a dynamic position, try "
                     "lax.dynamic_slice/"
                     "dynamic_update_slice (JAX does not support dynamically sized arrays "
                     "within JIT compiled functions).")


# -- reads ------------------------------------------------------------------------------------


def _is_simple(idx: tuple) -> bool:
    """Ints, static slices, None and Ellipsis only: reads need no gather."""
    for e in idx:
        if e is None or e is Ellipsis:
            continue
        if isinstance(e, slice):
            if not all(s is None or isinstance(s, _INT_TYPES) for s in (e.start, e.stop,
                                                                        e.step)):
                return False
            continue
        if isinstance(e, (bool, np.bool_)):
            return False
        if isinstance(e, _INT_TYPES):
            continue
        if isinstance(e, _ARRAYS) and e.ndim == 0 and dtypes.is_int(e.dtype):
            continue
        return False
    return True


def _simple_read(arr: Any, idx: tuple) -> Any:
    shape = arr.shape
    n_used = sum(1 for e in idx if e is not None and e is not Ellipsis)
    if n_used > len(shape):
        raise IndexError(f"Too many indices: array is {len(shape)}-dimensional, but {n_used} "
                         "were indexed")
    if sum(1 for e in idx if e is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    entries: list[Any] = []
    for e in idx:
        if e is Ellipsis:
            entries.extend([slice(None)] * (len(shape) - n_used))
        else:
            entries.append(e)
    starts, limits, strides = [0] * len(shape), list(shape), [1] * len(shape)
    reverse, squeeze, newaxes = [], [], []
    dynamic: dict[int, Any] = {}
    dim, out_dim = 0, 0
    for e in entries:
        if e is None:
            newaxes.append(out_dim)
            out_dim += 1
            continue
        n = shape[dim]
        if isinstance(e, slice):
            start, stop, step = e.indices(n)
            if step > 0:
                starts[dim], limits[dim], strides[dim] = start, max(start, stop), step
            else:
                positions = range(start, stop, step)
                if len(positions) == 0:
                    starts[dim] = limits[dim] = 0
                else:
                    starts[dim], limits[dim] = positions[-1], positions[0] + 1
                    strides[dim] = -step
                    reverse.append(dim)
            out_dim += 1
        elif isinstance(e, _INT_TYPES):
            i = int(e)
            i = i + n if i < 0 else i
            if n == 0:
                raise IndexError(f"index is out of bounds for axis {dim} with size 0")
            i = min(max(i, 0), n - 1)  # out-of-bounds reads clamp
            starts[dim], limits[dim] = i, i + 1
            squeeze.append(dim)
        else:
            if n == 0:
                raise IndexError(f"index is out of bounds for axis {dim} with size 0")
            dynamic[dim] = e
            squeeze.append(dim)
        dim += 1
    out = arr
    if dynamic:
        dtype = np.dtype(np.int32)
        for e in dynamic.values():
            if e.dtype.itemsize == 8 and config_values.enable_x64:
                dtype = np.dtype(np.int64)
        start_indices = []
        sizes = []
        for d in range(len(shape)):
            if d in dynamic:
                e = dynamic[d]
                e = lax.convert_element_type(e, dtype) if e.dtype != dtype else e
                start_indices.append(e)
                sizes.append(1)
            else:
                start_indices.append(np.asarray(starts[d]).astype(dtype)[()])
                sizes.append(limits[d] - starts[d])
        if any(s != 1 for d, s in enumerate(strides) if d not in dynamic):
            # strided static dims: slice them first, then the dynamic ones
            out = lax.slice(out, [0] * len(shape), list(shape), strides)
            start_indices = [start_indices[d] if d in dynamic else
                             np.asarray(0).astype(dtype)[()] for d in range(len(shape))]
            sizes = [1 if d in dynamic else out.shape[d] for d in range(len(shape))]
            starts = [0] * len(shape)
        out = lax.dynamic_slice(out, start_indices, sizes)
    elif starts != [0] * len(shape) or limits != list(shape) or strides != [1] * len(shape):
        out = lax.slice(out, starts, limits, None if strides == [1] * len(shape) else strides)
    if reverse:
        out = lax.rev(out, tuple(reverse))
    if squeeze:
        out = lax.squeeze(out, tuple(squeeze))
    if newaxes:
        out = lax.expand_dims(out, tuple(newaxes))
    return out


def rewriting_take(arr: Any, idx: Any, indices_are_sorted: bool = False,
                   unique_indices: bool = False, mode: Any = None,
                   fill_value: Any = None) -> Any:
    """``arr[idx]`` with JAX's out-of-bounds rules: ``mode`` None or 'promise_in_bounds'
    or 'clip' clamps, 'fill' gives ``fill_value`` (NaN, the integer minimum, or True by
    default)."""
    if type(idx) is tuple and not idx:
        return arr
    if isinstance(idx, _ARRAYS) and idx.ndim == 0 and dtypes.is_int(idx.dtype) and \
            mode is None:
        return _simple_read(arr, (idx,))
    if mode is None or mode in ("promise_in_bounds", GatherScatterMode.PROMISE_IN_BOUNDS):
        t = idx if type(idx) is tuple else (idx,)
        if _is_simple(t):
            return _simple_read(arr, t)
    indexer = _index_to_gather(arr.shape, idx)
    return _gather(arr, indexer, indices_are_sorted, unique_indices, mode, fill_value)


def _gather(arr: Any, indexer: _Indexer, indices_are_sorted: bool, unique_indices: bool,
            mode: Any, fill_value: Any) -> Any:
    if fill_value is not None:
        core_mode = GatherScatterMode.from_any(mode)
        if core_mode is not GatherScatterMode.FILL_OR_DROP:
            raise ValueError(f"Got fill_value={fill_value!r} for mode={mode!r}; fill_value "
                             "is only valid with mode='fill'")
    if mode is None:
        mode = GatherScatterMode.PROMISE_IN_BOUNDS
    if fill_value is not None:
        fill_value = np.asarray(fill_value).astype(arr.dtype).item() if not isinstance(
            fill_value, _ARRAYS) else fill_value
    if indexer.indices.shape[-1] == 0 and not indexer.dnums.collapsed_slice_dims and \
            indexer.slice_sizes == tuple(arr.shape):
        out = arr
    else:
        out = lax.gather(arr, indexer.indices, indexer.dnums, indexer.slice_sizes,
                         unique_indices=unique_indices or indexer.static,
                         indices_are_sorted=indices_are_sorted or indexer.static,
                         mode=mode, fill_value=fill_value)
    if indexer.newaxis_dims:
        out = lax.expand_dims(out, indexer.newaxis_dims)
    if indexer.empty_dims:
        for d in indexer.empty_dims:
            out = lax.slice_in_dim(out, 0, 0, axis=d)
    return out


def getitem(arr: Any, idx: Any) -> Any:
    """``arr[idx]``: NumPy's basic and advanced indexing; out-of-bounds reads clamp."""
    return rewriting_take(arr, idx)


# -- updates ----------------------------------------------------------------------------------

_SCATTERS = {
    "set": lax.scatter, "add": lax.scatter_add, "mul": lax.scatter_mul,
    "min": lax.scatter_min, "max": lax.scatter_max,
}


def _scatter_update(x: Any, idx: Any, y: Any, op: str, indices_are_sorted: bool,
                    unique_indices: bool, mode: Any, normalize_indices: bool = True) -> Any:
    x = asarray(x)
    indexer = _index_to_gather(x.shape, idx)
    dtype, weak = x.dtype, x.aval.weak_type
    if op == "apply":
        y_arr = None
    else:
        check_arraylike("scatter", y)
        y_arr = promotion.convert(y, dtype, weak, as_array=True) if not isinstance(
            y, _ARRAYS) or y.dtype != dtype or y.aval.weak_type != weak else y
    final_shape = list(indexer.gather_shape)
    for d in indexer.newaxis_dims:
        final_shape.insert(d, 0 if d in indexer.empty_dims else 1)
    if indexer.empty_dims:
        return x
    if y_arr is not None:
        y_arr = broadcast_to(y_arr, tuple(final_shape))
        if indexer.newaxis_dims:
            y_arr = lax.squeeze(y_arr, indexer.newaxis_dims)
    dnums = ScatterDimensionNumbers(
        update_window_dims=indexer.dnums.offset_dims,
        inserted_window_dims=indexer.dnums.collapsed_slice_dims,
        scatter_dims_to_operand_dims=indexer.dnums.start_index_map)
    sorted_ = indices_are_sorted or indexer.static
    unique = unique_indices or indexer.static
    if op == "apply":
        return lax.scatter_apply(x, indexer.indices, y, dnums,
                                 update_shape=tuple(indexer.gather_shape),
                                 indices_are_sorted=sorted_, unique_indices=unique, mode=mode)
    return _SCATTERS[op](x, indexer.indices, y_arr, dnums, indices_are_sorted=sorted_,
                         unique_indices=unique, mode=mode)


class _IndexUpdateHelper:
    """``x.at``: index it to get an :class:`_IndexUpdateRef`."""

    __slots__ = ("array",)

    def __init__(self, array: Any):
        self.array = array

    def __getitem__(self, index: Any) -> _IndexUpdateRef:
        return _IndexUpdateRef(self.array, index)

    def __repr__(self) -> str:
        return f"_IndexUpdateHelper({self.array!r})"


class _IndexUpdateRef:
    """``x.at[idx]``: functional updates of ``x`` at ``idx``. Each method returns a new
    array; ``mode`` chooses what out-of-bounds indices do ('drop' by default for updates,
    'clip'; for ``get``, clamping by default, or 'fill' with ``fill_value``)."""

    __slots__ = ("array", "index")

    def __init__(self, array: Any, index: Any):
        self.array = array
        self.index = index

    def __repr__(self) -> str:
        return f"_IndexUpdateRef({self.array!r}, {self.index!r})"

    def get(self, *, indices_are_sorted: bool = False, unique_indices: bool = False,
            mode: Any = None, fill_value: Any = None, out_sharding: Any = None) -> Any:
        """``x[idx]``, with ``mode`` for out-of-bounds indices."""
        if fill_value is not None and mode is None:
            mode = "fill"
        return rewriting_take(self.array, self.index, indices_are_sorted=indices_are_sorted,
                              unique_indices=unique_indices, mode=mode,
                              fill_value=fill_value)

    def _update(self, op: str, values: Any, indices_are_sorted: bool, unique_indices: bool,
                mode: Any) -> Any:
        return _scatter_update(self.array, self.index, values, op, indices_are_sorted,
                               unique_indices, mode)

    def set(self, values: Any, *, indices_are_sorted: bool = False,
            unique_indices: bool = False, mode: Any = None, out_sharding: Any = None) -> Any:
        """``x[idx] = values`` (the last of duplicate indices wins)."""
        return self._update("set", values, indices_are_sorted, unique_indices, mode)

    def apply(self, func: Callable[[Any], Any], *, indices_are_sorted: bool = False,
              unique_indices: bool = False, mode: Any = None) -> Any:
        """``x[idx] = func(x[idx])`` (``func`` is elementwise)."""
        return _scatter_update(self.array, self.index, func, "apply", indices_are_sorted,
                               unique_indices, mode)

    def add(self, values: Any, *, indices_are_sorted: bool = False,
            unique_indices: bool = False, mode: Any = None, out_sharding: Any = None) -> Any:
        """``x[idx] += values`` (duplicate indices all add)."""
        return self._update("add", values, indices_are_sorted, unique_indices, mode)

    def subtract(self, values: Any, *, indices_are_sorted: bool = False,
                 unique_indices: bool = False, mode: Any = None,
                 out_sharding: Any = None) -> Any:
        """``x[idx] -= values``."""
        from kiln.numpy.ufuncs import negative

        return self._update("add", negative(values), indices_are_sorted, unique_indices,
                            mode)

    def multiply(self, values: Any, *, indices_are_sorted: bool = False,
                 unique_indices: bool = False, mode: Any = None,
                 out_sharding: Any = None) -> Any:
        """``x[idx] *= values``."""
        return self._update("mul", values, indices_are_sorted, unique_indices, mode)

    mul = multiply

    def divide(self, values: Any, *, indices_are_sorted: bool = False,
               unique_indices: bool = False, mode: Any = None,
               out_sharding: Any = None) -> Any:
        """``x[idx] /= values``."""
        from kiln.numpy.ufuncs import divide

        ones = lax.full_like(self.array, 1)
        return divide(self.array, _IndexUpdateRef(ones, self.index).set(
            values, indices_are_sorted=indices_are_sorted, unique_indices=unique_indices,
            mode=mode))

    def power(self, values: Any, *, indices_are_sorted: bool = False,
              unique_indices: bool = False, mode: Any = None,
              out_sharding: Any = None) -> Any:
        """``x[idx] **= values``."""
        from kiln.numpy.ufuncs import power

        ones = lax.full_like(self.array, 1)
        return power(self.array, _IndexUpdateRef(ones, self.index).set(
            values, indices_are_sorted=indices_are_sorted, unique_indices=unique_indices,
            mode=mode))

    def min(self, values: Any, *, indices_are_sorted: bool = False,
            unique_indices: bool = False, mode: Any = None, out_sharding: Any = None) -> Any:
        """``x[idx] = minimum(x[idx], values)``."""
        return self._update("min", values, indices_are_sorted, unique_indices, mode)

    def max(self, values: Any, *, indices_are_sorted: bool = False,
            unique_indices: bool = False, mode: Any = None, out_sharding: Any = None) -> Any:
        """``x[idx] = maximum(x[idx], values)``."""
        return self._update("max", values, indices_are_sorted, unique_indices, mode)


# -- take and friends -------------------------------------------------------------------------


def take(a: Any, indices: Any, axis: int | None = None, out: None = None,
         mode: str | None = None, unique_indices: bool = False,
         indices_are_sorted: bool = False, fill_value: Any = None) -> Any:
    """Elements of ``a`` at ``indices`` along ``axis`` (of the flattened array when None).
    ``mode``: 'fill' (the default: ``fill_value``, NaN for floats, out of bounds), 'clip'
    or 'wrap'; negative indices count from the end."""
    check_arraylike("take", a, indices)
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.take is not supported.")
    a = asarray(a)
    indices = asarray(indices)
    if not dtypes.is_int(indices.dtype):
        raise TypeError(f"take: indices must be integers, got {indices.dtype}")
    if axis is None:
        a = lax.reshape(a, (a.size,))
        axis = 0
    axis = canonicalize_axis(axis, a.ndim)
    if mode is None or mode == "fill":
        gather_mode = GatherScatterMode.FILL_OR_DROP
    elif mode == "raise":
        raise NotImplementedError("The 'raise' mode to jnp.take is not supported.")
    elif mode == "wrap":
        n = a.shape[axis]
        indices = _mod(indices, n)
        gather_mode = GatherScatterMode.PROMISE_IN_BOUNDS
    elif mode == "clip":
        gather_mode = GatherScatterMode.CLIP
    else:
        raise ValueError(f"Invalid mode '{mode}' for np.take")
    if a.shape[axis] == 0 and indices.size:
        raise IndexError("Cannot do a non-empty jnp.take() from an empty axis.")
    index = (slice(None),) * axis + (indices,)
    # NumPy's 'clip' clamps negative indices to 0 rather than counting from the end.
    indexer = _index_to_gather(a.shape, index,
                               normalize_indices=gather_mode is not GatherScatterMode.CLIP)
    fill = fill_value
    return _gather(a, indexer, indices_are_sorted, unique_indices, gather_mode,
                   None if gather_mode is not GatherScatterMode.FILL_OR_DROP else fill)


def _mod(i: Any, n: int) -> Any:
    nn = np.asarray(n).astype(i.dtype)[()]
    r = lax.rem(i, nn)
    if dtypes.is_unsigned(i.dtype):
        return r
    return lax.select_n(lax.lt(r, np.zeros((), i.dtype)[()]), r, lax.add(r, nn))


def take_along_axis(arr: Any, indices: Any, axis: int | None = -1, mode: Any = None,
                    fill_value: Any = None, *, wrap_negative_indices: bool | None = None) -> Any:
    """Elements of ``arr`` at ``indices`` along ``axis``, the other dimensions matched
    (broadcast) with those of ``indices``. Out-of-bounds indices give ``fill_value`` (NaN
    for floats) unless ``mode='clip'``."""
    check_arraylike("take_along_axis", arr, indices)
    a = asarray(arr)
    idx = asarray(indices)
    if not dtypes.is_int(idx.dtype):
        raise TypeError(f"take_along_axis indices must be of integer type, got {idx.dtype}")
    if axis is None:
        if idx.ndim != 1:
            raise ValueError(f"when axis=None, `indices` must have a single dimension, got "
                             f"{idx.shape=}")
        a = lax.reshape(a, (a.size,))
        axis = 0
    rank = a.ndim
    if rank != idx.ndim:
        raise ValueError(f"indices and arr must have the same number of dimensions; "
                         f"{idx.ndim} vs. {rank}")
    axis = canonicalize_axis(axis, rank)
    out_shape = []
    for d in range(rank):
        if d == axis:
            out_shape.append(idx.shape[d])
        else:
            sizes = {a.shape[d], idx.shape[d]} - {1}
            if len(sizes) > 1:
                raise ValueError(f"arr and indices shapes do not broadcast at dimension {d}: "
                                 f"{a.shape} vs {idx.shape}")
            out_shape.append(sizes.pop() if sizes else 1)
    a_shape = tuple(out_shape[d] if d != axis else a.shape[d] for d in range(rank))
    if a.shape != a_shape:
        a = broadcast_to(a, a_shape)
    idx = broadcast_to(idx, tuple(out_shape))
    index: list[Any] = []
    for d in range(rank):
        if d == axis:
            index.append(idx)
        else:
            shape = [1] * rank
            shape[d] = out_shape[d]
            index.append(np.arange(out_shape[d], dtype=np.int32).reshape(shape))
    gather_mode = GatherScatterMode.FILL_OR_DROP if mode in (None, "fill") else \
        GatherScatterMode.from_any(mode)
    indexer = _index_to_gather(a.shape, tuple(index),
                               normalize_indices=wrap_negative_indices is not False)
    return _gather(a, indexer, False, False, gather_mode,
                   fill_value if gather_mode is GatherScatterMode.FILL_OR_DROP else None)


def put_along_axis(arr: Any, indices: Any, values: Any, axis: int | None,
                   inplace: bool = True, *, mode: Any = None) -> Any:
    """``arr`` with ``values`` written at ``indices`` along ``axis`` (the functional
    ``np.put_along_axis``: pass ``inplace=False``)."""
    if inplace:
        raise ValueError("jax.numpy.put_along_axis cannot modify arrays in-place, because JAX "
                         "arrays are immutable. Pass inplace=False to instead return an "
                         "updated array.")
    check_arraylike("put_along_axis", arr, indices, values)
    a = asarray(arr)
    idx = asarray(indices)
    original_shape = a.shape
    if axis is None:
        a = lax.reshape(a, (a.size,))
        axis = 0
    axis = canonicalize_axis(axis, a.ndim)
    rank = a.ndim
    out_shape = [idx.shape[d] if d == axis else max(a.shape[d], idx.shape[d])
                 for d in range(rank)]
    idx = broadcast_to(idx, tuple(out_shape))
    index: list[Any] = []
    for d in range(rank):
        if d == axis:
            index.append(idx)
        else:
            shape = [1] * rank
            shape[d] = out_shape[d]
            index.append(np.arange(out_shape[d], dtype=np.int32).reshape(shape))
    out = _scatter_update(a, tuple(index), values, "set", False, False, mode)
    return lax.reshape(out, original_shape) if out.shape != original_shape else out


def put(a: Any, ind: Any, v: Any, mode: str | None = None, *, inplace: bool = True) -> Any:
    """``a`` with the flat positions ``ind`` set to ``v`` (cycled as needed); pass
    ``inplace=False``."""
    if inplace:
        raise ValueError("jax.numpy.put cannot modify arrays in-place, because JAX arrays are "
                         "immutable. Pass inplace=False to instead return an updated array.")
    check_arraylike("put", a, ind, v)
    arr = asarray(a)
    ind_arr = lax.reshape(asarray(ind), (asarray(ind).size,))
    v_arr = asarray(v)
    v_flat = lax.reshape(v_arr, (v_arr.size,))
    if ind_arr.size == 0 or v_flat.size == 0:
        return arr
    if v_flat.size != ind_arr.size:
        from kiln.numpy.shape import tile

        v_flat = tile(v_flat, -(-ind_arr.size // v_flat.size))[:ind_arr.size]
    if mode is None:
        scatter_mode = "drop"
    elif mode == "clip":
        scatter_mode = "clip"
    elif mode == "wrap":
        ind_arr = _mod(ind_arr, arr.size)
        scatter_mode = "promise_in_bounds"
    elif mode == "raise":
        raise NotImplementedError("The 'raise' mode to jnp.put is not supported.")
    else:
        raise ValueError(f"mode should be one of 'wrap' or 'clip'; got {mode=}")
    flat = lax.reshape(arr, (arr.size,))
    out = _scatter_update(flat, ind_arr, v_flat, "set", False, False, scatter_mode)
    return lax.reshape(out, arr.shape)


def place(arr: Any, mask: Any, vals: Any, *, inplace: bool = True) -> Any:
    """``arr`` with the positions where ``mask`` holds set from ``vals`` (cycled); pass
    ``inplace=False``. ``mask`` must be concrete."""
    if inplace:
        raise ValueError("jax.numpy.place cannot modify arrays in-place, because JAX arrays "
                         "are immutable. Pass inplace=False to instead return an updated "
                         "array.")
    check_arraylike("place", arr, mask, vals)
    data = asarray(arr)
    m = asarray(mask)
    if isinstance(m, Tracer):
        raise errors.ConcretizationTypeError(m, "The error arose in jnp.place: mask must be "
                                                "concrete.")
    positions = np.nonzero(np.asarray(m).ravel())[0]
    vals_flat = lax.reshape(asarray(vals), (asarray(vals).size,))
    if positions.size == 0:
        return data
    reps = -(-positions.size // max(vals_flat.size, 1))
    from kiln.numpy.shape import tile

    values = tile(vals_flat, reps)[:positions.size]
    flat = lax.reshape(data, (data.size,))
    out = _scatter_update(flat, positions.astype(np.int32), values, "set", True, True, None)
    return lax.reshape(out, data.shape)


# -- nonzero and friends ----------------------------------------------------------------------


def nonzero(a: Any, *, size: int | None = None,
            fill_value: Any = None) -> tuple[Any, ...]:
    """The indices of the nonzero elements, one array per dimension. Inside
    transformations ``size`` must be given: the result is truncated or padded with
    ``fill_value`` (default 0) to that length."""
    check_arraylike("nonzero", a)
    arr = asarray(a)
    if arr.ndim == 0:
        raise ValueError("Calling nonzero on 0d arrays is not allowed. Use "
                         "jnp.atleast_1d(scalar).nonzero() instead.")
    int_ = dtypes.canonicalize_dtype(np.int64)
    if size is None:
        if isinstance(arr, Tracer):
            raise errors.ConcretizationTypeError(
                arr, "The size argument of jnp.nonzero must be statically specified to use "
                     "jnp.nonzero within JAX transformations.")
        return tuple(asarray(i.astype(int_)) for i in np.nonzero(np.asarray(arr)))
    size = operator.index(size)
    mask = lax.ne(arr, np.zeros((), arr.dtype)[()]) if arr.dtype != dtypes.bool_ else arr
    flat_mask = lax.reshape(mask, (arr.size,))
    if size == 0 or arr.size == 0:
        flat = lax.full((size,), 0, int_)
        count = np.asarray(0, int_)[()]
    else:
        from kiln.numpy.reductions import cumsum, sum

        counts = cumsum(flat_mask, dtype=int_)
        bins = lax.scatter_add(
            lax.full((size,), 0, int_), lax.reshape(counts, (arr.size, 1)),
            lax.full((arr.size,), 1, int_),
            ScatterDimensionNumbers((), (0,), (0,)), mode="drop")
        flat = cumsum(bins, dtype=int_)
        count = sum(flat_mask, dtype=int_)
    out = []
    strides = np.cumprod((1,) + arr.shape[::-1][:-1])[::-1]
    fills = fill_value if isinstance(fill_value, (tuple, list)) else \
        (fill_value,) * arr.ndim
    if len(fills) != arr.ndim:
        raise ValueError(f"fill_value must be a scalar or a tuple of length {arr.ndim}; got "
                         f"{fill_value}")
    fill_mask = lax.ge(lax.iota(int_, size), count) if size else None
    for stride, dim_size, fv in zip(strides, arr.shape, fills):
        entry = lax.rem(lax.div(flat, np.asarray(stride).astype(int_)[()]),
                        np.asarray(max(dim_size, 1)).astype(int_)[()])
        if size:
            fv_arr = promotion.convert(0 if fv is None else fv, int_, False, as_array=True)
            if fv_arr.ndim:
                raise ValueError(f"fill_value must be a scalar or a tuple of length "
                                 f"{arr.ndim}; got {fill_value}")
            entry = _where(fill_mask, fv_arr, entry)
        out.append(entry)
    return tuple(out)


def flatnonzero(a: Any, *, size: int | None = None, fill_value: Any = None) -> Any:
    """The indices of the nonzero elements of the flattened array."""
    check_arraylike("flatnonzero", a)
    arr = asarray(a)
    return nonzero(lax.reshape(arr, (arr.size,)), size=size, fill_value=fill_value)[0]


def argwhere(a: Any, *, size: int | None = None, fill_value: Any = None) -> Any:
    """The indices of the nonzero elements as rows of a ``(N, a.ndim)`` array."""
    from kiln.numpy.shape import stack

    check_arraylike("argwhere", a)
    arr = asarray(a)
    if arr.ndim == 0:
        arr = lax.reshape(arr, (1,))
        result = nonzero(arr, size=size, fill_value=fill_value)
        return lax.reshape(result[0], (result[0].shape[0], 0))
    return stack(nonzero(arr, size=size, fill_value=fill_value), axis=1)


def extract(condition: Any, arr: Any, *, size: int | None = None,
            fill_value: Any = 0) -> Any:
    """The elements of the flattened ``arr`` where the flattened ``condition`` holds."""
    check_arraylike("extract", condition, arr)
    cond = asarray(condition)
    data = asarray(arr)
    cond_flat = lax.reshape(cond, (cond.size,))
    data_flat = lax.reshape(data, (data.size,))
    if cond_flat.size > data_flat.size:
        raise ValueError("condition must not be larger than arr")
    data_flat = lax.slice(data_flat, (0,), (cond_flat.size,)) \
        if data_flat.size != cond_flat.size else data_flat
    return compress(cond_flat, data_flat, size=size, fill_value=fill_value)


def compress(condition: Any, a: Any, axis: int | None = None, *, size: int | None = None,
             fill_value: Any = 0, out: None = None) -> Any:
    """The slices of ``a`` along ``axis`` where the 1-D ``condition`` holds."""
    check_arraylike("compress", condition, a)
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.compress is not supported.")
    cond = asarray(condition)
    if cond.ndim != 1:
        raise ValueError("condition must be a 1D array")
    arr = asarray(a)
    if axis is None:
        arr = lax.reshape(arr, (arr.size,))
        axis = 0
    axis = canonicalize_axis(axis, arr.ndim)
    cond = lax.ne(cond, np.zeros((), cond.dtype)[()]) if cond.dtype != dtypes.bool_ else cond
    n = min(cond.shape[0], arr.shape[axis])
    cond = lax.slice(cond, (0,), (n,)) if cond.shape[0] != n else cond
    if size is None:
        (idx,) = nonzero(cond)
        return take(arr, idx, axis=axis)
    (idx,) = nonzero(cond, size=size, fill_value=arr.shape[axis])
    result = take(arr, idx, axis=axis, mode="fill", fill_value=fill_value)
    return result


def choose(a: Any, choices: Any, out: None = None, mode: str = "raise") -> Any:
    """Elementwise ``choices[a]`` (all broadcast together); ``mode`` 'clip' or 'wrap'
    handle out-of-range ``a`` ('raise' needs concrete values)."""
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.choose is not supported.")
    check_arraylike("choose", a, *choices)
    idx = asarray(a)
    if not dtypes.is_int(idx.dtype):
        raise ValueError("`a` array must be integer typed")
    n = len(choices)
    if mode == "raise":
        if not isinstance(idx, Tracer):
            values = np.asarray(idx)
            if values.size and (values.min() < 0 or values.max() >= n):
                raise ValueError("invalid entry in choice array")
        elif isinstance(idx, Tracer):
            raise errors.ConcretizationTypeError(
                idx, "The error arose in jnp.choose with mode='raise'; use mode='clip' or "
                     "'wrap' inside transformations.")
    elif mode == "wrap":
        idx = _mod(idx, n)
    elif mode == "clip":
        idx = lax.clamp(np.zeros((), idx.dtype)[()], idx, np.asarray(n - 1).astype(
            idx.dtype)[()])
    else:
        raise ValueError(f"mode={mode!r} not understood. Must be 'raise', 'wrap', or 'clip'")
    from kiln.numpy.selection import _broadcast_arrays

    arrays = _broadcast_arrays(idx, *promotion.promote_dtypes(*choices))
    idx, options = arrays[0], arrays[1:]
    return lax.select_n(lax.convert_element_type(idx, np.int32), *options)


# -- index arrays -----------------------------------------------------------------------------


def _int_array(values: np.ndarray) -> Any:
    return asarray(values.astype(dtypes.canonicalize_dtype(np.int64)))


def diag_indices(n: int, ndim: int = 2) -> tuple[Any, ...]:
    """Indices of the main diagonal of an ``(n,) * ndim`` array."""
    n, ndim = operator.index(n), operator.index(ndim)
    if n < 0:
        raise ValueError(f"n argument to diag_indices must be nonnegative, got {n}")
    if ndim < 0:
        raise ValueError(f"ndim argument to diag_indices must be nonnegative, got {ndim}")
    return (_int_array(np.arange(n)),) * ndim


def diag_indices_from(arr: Any) -> tuple[Any, ...]:
    """``diag_indices`` for a square array ``arr``."""
    check_arraylike("diag_indices_from", arr)
    shape = np.shape(arr) if not isinstance(arr, _ARRAYS) else arr.shape
    if len(shape) < 2:
        raise ValueError("input array must be at least 2-d")
    if len(set(shape)) != 1:
        raise ValueError("All dimensions of input must be of equal length")
    return diag_indices(shape[0], len(shape))


def tril_indices(n: int, k: int = 0, m: int | None = None) -> tuple[Any, Any]:
    """Row and column indices of the lower triangle (below diagonal ``k``)."""
    return tuple(_int_array(i) for i in np.tril_indices(operator.index(n), operator.index(k),
                                                        m if m is None else operator.index(m)))


def triu_indices(n: int, k: int = 0, m: int | None = None) -> tuple[Any, Any]:
    """Row and column indices of the upper triangle (above diagonal ``k``)."""
    return tuple(_int_array(i) for i in np.triu_indices(operator.index(n), operator.index(k),
                                                        m if m is None else operator.index(m)))


def tril_indices_from(arr: Any, k: int = 0) -> tuple[Any, Any]:
    """``tril_indices`` for the shape of the 2-D ``arr``."""
    shape = np.shape(arr) if not isinstance(arr, _ARRAYS) else arr.shape
    if len(shape) != 2:
        raise ValueError("Only 2-D inputs are accepted")
    return tril_indices(shape[0], k=k, m=shape[1])


def triu_indices_from(arr: Any, k: int = 0) -> tuple[Any, Any]:
    """``triu_indices`` for the shape of the 2-D ``arr``."""
    shape = np.shape(arr) if not isinstance(arr, _ARRAYS) else arr.shape
    if len(shape) != 2:
        raise ValueError("Only 2-D inputs are accepted")
    return triu_indices(shape[0], k=k, m=shape[1])


def mask_indices(n: int, mask_func: Callable[[Any, int], Any], k: int = 0, *,
                 size: int | None = None) -> tuple[Any, Any]:
    """The indices where ``mask_func(ones((n, n)), k)`` is nonzero."""
    from kiln.numpy.creation import ones

    a = ones((n, n), dtype=int)
    return nonzero(mask_func(a, k), size=size)


def unravel_index(indices: Any, shape: Sequence[int]) -> tuple[Any, ...]:
    """The multi-dimensional indices of flat ``indices`` into ``shape`` (out-of-range flat
    indices are clipped)."""
    check_arraylike("unravel_index", indices)
    idx = asarray(indices)
    shape = tuple(operator.index(d) for d in shape)
    if not dtypes.is_int(idx.dtype):
        raise TypeError("Only integer arrays are valid for unravel_index.")
    total = int(np.prod(shape, dtype=np.int64))
    const = promotion.scalar_like
    if total:
        low = const(idx, -total) if not dtypes.is_unsigned(idx.dtype) else const(idx, 0)
        idx = lax.max(low, lax.min(idx, const(idx, total - 1)))
        r = lax.rem(idx, const(idx, total))
        idx = r if dtypes.is_unsigned(idx.dtype) else \
            lax.select_n(lax.lt(r, const(idx, 0)), r, lax.add(r, const(idx, total)))
    out = []
    for d in reversed(shape):
        if d == 0:
            out.append(lax.full_like(idx, 0))
            continue
        out.append(lax.rem(idx, const(idx, d)))
        idx = lax.div(idx, const(idx, d))
    return tuple(reversed(out))


def ravel_multi_index(multi_index: Sequence[Any], dims: Sequence[int], mode: str = "raise",
                      order: str = "C", *, dtype: Any = None) -> Any:
    """Flat indices of the multi-dimensional ``multi_index`` into ``dims``; ``mode`` 'clip'
    or 'wrap' for out-of-range indices ('raise' needs concrete values)."""
    from kiln.numpy.selection import _broadcast_arrays

    if len(multi_index) != len(dims):
        raise ValueError(f"parameter multi_index must be a sequence of length {len(dims)}")
    check_arraylike("ravel_multi_index", *multi_index)
    dims = tuple(operator.index(d) for d in dims)
    arrays = [asarray(i) for i in multi_index]
    for a in arrays:
        if not dtypes.is_int(a.dtype):
            raise TypeError("only int indices permitted")
    int_ = dtypes.canonicalize_dtype(np.int64) if dtype is None else \
        promotion.canonicalize_user_dtype(dtype, "ravel_multi_index")
    arrays = [lax.convert_element_type(a, int_) for a in arrays]
    if mode == "raise":
        for a, d in zip(arrays, dims):
            if isinstance(a, Tracer):
                raise errors.ConcretizationTypeError(
                    a, "The error arose in jnp.ravel_multi_index with mode='raise'.")
            v = np.asarray(a)
            if v.size and (v.min() < 0 or v.max() >= d):
                raise ValueError("invalid entry in coordinates array")
    elif mode == "clip":
        arrays = [lax.clamp(np.zeros((), int_)[()], a, np.asarray(d - 1).astype(int_)[()])
                  for a, d in zip(arrays, dims)]
    elif mode == "wrap":
        arrays = [_mod(a, d) for a, d in zip(arrays, dims)]
    else:
        raise ValueError(f"invalid mode={mode!r}. Expected 'raise', 'wrap', or 'clip'")
    if order == "F":
        arrays, dims = arrays[::-1], dims[::-1]
    elif order != "C":
        raise ValueError(f"invalid order={order!r}. Expected 'C' or 'F'")
    arrays = _broadcast_arrays(*arrays)
    result = lax.full(arrays[0].shape, 0, int_)
    stride = 1
    for a, d in zip(reversed(arrays), reversed(dims)):
        result = lax.add(result, lax.mul(a, np.asarray(stride).astype(int_)[()]))
        stride *= d
    return result


def ix_(*args: Any) -> tuple[Any, ...]:
    """Open mesh arrays from 1-D sequences: ``a[ix_(rows, cols)]`` picks a sub-grid."""
    check_arraylike("ix_", *args)
    n = len(args)
    out = []
    for i, a in enumerate(args):
        a = asarray(a)
        if a.ndim != 1:
            raise ValueError(f"Arguments to jax.numpy.ix_ must be 1-dimensional, got shape "
                             f"{a.shape}")
        if a.dtype == dtypes.bool_:
            raise NotImplementedError("Boolean arguments to jax.numpy.ix_ are not "
                                      "implemented")
        shape = [1] * n
        shape[i] = a.shape[0]
        out.append(lax.reshape(a, tuple(shape)) if a.size else lax.full(tuple(shape), 0,
                                                                         a.dtype))
    return tuple(out)


def fill_diagonal(a: Any, val: Any, wrap: bool = False, *, inplace: bool = True) -> Any:
    """``a`` with its main diagonal set to ``val`` (cycled); pass ``inplace=False``."""
    if inplace:
        raise ValueError("JAX arrays are immutable, so fill_diagonal cannot modify arrays "
                         "in-place. Use inplace=False instead.")
    check_arraylike("fill_diagonal", a, val)
    arr = asarray(a)
    if arr.ndim < 2:
        raise ValueError("array must be at least 2-d")
    if wrap:
        raise NotImplementedError("jnp.fill_diagonal with wrap=True is not implemented")
    if arr.ndim > 2 and len(set(arr.shape)) != 1:
        raise ValueError("All dimensions of input must be of equal length")
    n = min(arr.shape)
    v = asarray(val)
    v_flat = lax.reshape(v, (v.size,))
    if v_flat.size == 0:
        return arr
    if v_flat.size != n:
        from kiln.numpy.shape import tile

        v_flat = tile(v_flat, -(-n // v_flat.size))[:n]
    idx = np.arange(n, dtype=np.int32)
    return _scatter_update(arr, (idx,) * arr.ndim, v_flat, "set", True, True, None)

