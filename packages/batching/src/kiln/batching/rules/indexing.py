"""Batching rules of the indexing primitives: dynamic_slice, dynamic_update_slice, gather
and the scatter family.

gather and scatter fold the batch into their own dimension numbers, never into a loop:
a batched operand alone becomes one more window (offset) dimension, batched indices alone
one more index batch dimension, and both batched become a pair of batching dimensions
(``operand_batching_dims``/``start_indices_batching_dims``), so each member indexes only
its own slice. dynamic_slice and dynamic_update_slice with batched indices become a gather
and a scatter of that last kind (in CLIP mode, which clamps the way they do).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kiln import lax
from kiln.batching.dims import batch_size, bdim_at, bdim_at_front, moveaxis, shape
from kiln.core import Primitive, get_aval, register_batch
from kiln.core.primitives import indexing as _ix
from kiln.core.primitives.indexing import (
    GatherDimensionNumbers,
    GatherScatterMode,
    ScatterDimensionNumbers,
)

Dims = Sequence[int | None]


def _shift(dims: Sequence[int], by: int = 1) -> tuple[int, ...]:
    return tuple(d + by for d in dims)


def _concrete(x: Any) -> Any:
    """Python scalars as NumPy values of their dtype (so moves can bind on them)."""
    if isinstance(x, (bool, int, float, complex)):
        return np.asarray(x, get_aval(x).dtype)
    return x


def _index_vectors(indices: Sequence[Any], dims: Dims, n: int) -> Any:
    """Scalar start indices (each batched or not) as one (n, len(indices)) array."""
    cols = [lax.broadcast_in_dim(_concrete(i), (n, 1), () if d is None else (0,))
            for i, d in zip(indices, dims)]
    return cols[0] if len(cols) == 1 else lax.concatenate(cols, 1)


def _index_zero(indices: Sequence[Any]) -> Any:
    dtype = get_aval(indices[0]).dtype if indices else np.dtype(np.int32)
    return np.zeros((), dtype)


# -- dynamic_slice / dynamic_update_slice ---------------------------------------------------


def _dynamic_slice(args: Sequence[Any], dims: Dims, *, slice_sizes: tuple[int, ...]) -> Any:
    x, indices = args[0], args[1:]
    xd, index_dims = dims[0], dims[1:]
    n = batch_size(args, dims)
    if all(d is None for d in index_dims):
        starts = list(indices)
        starts.insert(xd, _index_zero(indices))
        sizes = tuple(slice_sizes[:xd]) + (n,) + tuple(slice_sizes[xd:])
        return _ix.dynamic_slice_p.bind(x, *starts, slice_sizes=sizes), xd
    starts = _index_vectors(indices, index_dims, n)
    rank = len(slice_sizes)
    window = tuple(range(1, rank + 1))
    if xd is None:
        dn = GatherDimensionNumbers(offset_dims=window, collapsed_slice_dims=(),
                                    start_index_map=tuple(range(rank)))
        sizes = tuple(slice_sizes)
    else:
        x = moveaxis(x, xd, 0)
        dn = GatherDimensionNumbers(offset_dims=window, collapsed_slice_dims=(),
                                    start_index_map=window, operand_batching_dims=(0,),
                                    start_indices_batching_dims=(0,))
        sizes = (1,) + tuple(slice_sizes)
    return _ix.gather_p.bind(x, starts, dimension_numbers=dn, slice_sizes=sizes,
                             indices_are_sorted=False, unique_indices=False,
                             mode=GatherScatterMode.CLIP, fill_value=None), 0


def _dynamic_update_slice(args: Sequence[Any], dims: Dims) -> Any:
    x, update, indices = args[0], args[1], args[2:]
    xd, ud, index_dims = dims[0], dims[1], dims[2:]
    n = batch_size(args, dims)
    if all(d is None for d in index_dims):
        d = xd if xd is not None else ud
        starts = list(indices)
        starts.insert(d, _index_zero(indices))
        return _ix.dynamic_update_slice_p.bind(bdim_at(x, xd, d, n), bdim_at(update, ud, d, n),
                                               *starts), d
    starts = _index_vectors(indices, index_dims, n)
    window = tuple(range(1, len(indices) + 1))
    dn = ScatterDimensionNumbers(update_window_dims=window, inserted_window_dims=(),
                                 scatter_dims_to_operand_dims=window,
                                 operand_batching_dims=(0,), scatter_indices_batching_dims=(0,))
    return _ix.scatter_p.bind(bdim_at_front(x, xd, n), starts, bdim_at_front(update, ud, n),
                              dimension_numbers=dn, indices_are_sorted=False,
                              unique_indices=True, mode=GatherScatterMode.CLIP,
                              update_jaxpr=None, update_consts=()), 0


# -- gather ---------------------------------------------------------------------------------


def _gather(args: Sequence[Any], dims: Dims, *, dimension_numbers: GatherDimensionNumbers,
            slice_sizes: tuple[int, ...], **params: Any) -> Any:
    (operand, indices), (od, idd) = args, dims
    dn = dimension_numbers
    if idd is None:
        # The batch is one more window dimension, the first, landing first in the output.
        operand = moveaxis(operand, od, 0)
        dn = GatherDimensionNumbers(
            offset_dims=(0,) + _shift(dn.offset_dims),
            collapsed_slice_dims=_shift(dn.collapsed_slice_dims),
            start_index_map=_shift(dn.start_index_map),
            operand_batching_dims=_shift(dn.operand_batching_dims),
            start_indices_batching_dims=tuple(dn.start_indices_batching_dims))
        slice_sizes = (shape(operand)[0],) + tuple(slice_sizes)
    elif od is None:
        # The batch is one more index batch dimension, the first, landing first too.
        indices = moveaxis(indices, idd, 0)
        dn = dn._replace(offset_dims=_shift(dn.offset_dims),
                         start_indices_batching_dims=_shift(dn.start_indices_batching_dims))
        params = dict(params, indices_are_sorted=False)
    else:
        # Each member gathers from its own operand: a pair of batching dimensions.
        operand = moveaxis(operand, od, 0)
        indices = moveaxis(indices, idd, 0)
        dn = GatherDimensionNumbers(
            offset_dims=_shift(dn.offset_dims),
            collapsed_slice_dims=_shift(dn.collapsed_slice_dims),
            start_index_map=_shift(dn.start_index_map),
            operand_batching_dims=(0,) + _shift(dn.operand_batching_dims),
            start_indices_batching_dims=(0,) + _shift(dn.start_indices_batching_dims))
        slice_sizes = (1,) + tuple(slice_sizes)
        params = dict(params, indices_are_sorted=False)
    return _ix.gather_p.bind(operand, indices, dimension_numbers=dn, slice_sizes=slice_sizes,
                             **params), 0


# -- scatter --------------------------------------------------------------------------------


def _scatter_rule(prim: Primitive) -> Callable[..., Any]:
    def rule(args: Sequence[Any], dims: Dims, *, dimension_numbers: ScatterDimensionNumbers,
             **params: Any) -> Any:
        (operand, indices, updates), (od, idd, ud) = args, dims
        n = batch_size(args, dims)
        dn = dimension_numbers
        # Every member updates its own operand, so the operand is batched (at the front).
        operand = bdim_at_front(operand, od, n)
        updates = bdim_at_front(updates, ud, n)
        if idd is None:
            # Shared indices: the batch is one more window dimension of the updates.
            dn = ScatterDimensionNumbers(
                update_window_dims=(0,) + _shift(dn.update_window_dims),
                inserted_window_dims=_shift(dn.inserted_window_dims),
                scatter_dims_to_operand_dims=_shift(dn.scatter_dims_to_operand_dims),
                operand_batching_dims=_shift(dn.operand_batching_dims),
                scatter_indices_batching_dims=tuple(dn.scatter_indices_batching_dims))
        else:
            indices = moveaxis(indices, idd, 0)
            dn = ScatterDimensionNumbers(
                update_window_dims=_shift(dn.update_window_dims),
                inserted_window_dims=_shift(dn.inserted_window_dims),
                scatter_dims_to_operand_dims=_shift(dn.scatter_dims_to_operand_dims),
                operand_batching_dims=(0,) + _shift(dn.operand_batching_dims),
                scatter_indices_batching_dims=(0,) + _shift(dn.scatter_indices_batching_dims))
            params = dict(params, indices_are_sorted=False)
        return prim.bind(operand, indices, updates, dimension_numbers=dn, **params), 0

    return rule


register_batch(_ix.dynamic_slice_p, _dynamic_slice)
register_batch(_ix.dynamic_update_slice_p, _dynamic_update_slice)
register_batch(_ix.gather_p, _gather)
for _prim in _ix.SCATTER_PRIMITIVES.values():
    register_batch(_prim, _scatter_rule(_prim))

__all__: list[str] = []
