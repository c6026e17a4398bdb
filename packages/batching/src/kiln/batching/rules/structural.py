"""Batching rules of the structural primitives (broadcast_in_dim, reshape, squeeze,
transpose, rev, pad, concatenate, slice, split, stack, unstack, tile).

Most keep the batch dimension where the operand has it, adjusting the primitive's
dimension params around it; ``reshape`` moves it to the front (a reshape cannot keep a
dimension apart otherwise); operands of the multi-operand primitives are moved to agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kiln import lax
from kiln.batching.dims import batch_size, bdim_at, moveaxis, shape, unbatched_dim
from kiln.core import get_aval, register_batch
from kiln.core.primitives.structural import PRIMITIVES as _P

Dims = Sequence[int | None]


def _broadcast_in_dim(args: Sequence[Any], dims: Dims, *, shape: tuple[int, ...],
                      broadcast_dimensions: tuple[int, ...], **params: Any) -> Any:
    (x,), (d,) = args, dims
    n = _size(x, d)
    # The batch dimension goes right after where the operand's preceding dimension lands
    # (which keeps increasing broadcast_dimensions increasing); later ones shift past it.
    out = broadcast_dimensions[d - 1] + 1 if d > 0 else 0
    moved = [b + 1 if b >= out else b for b in broadcast_dimensions]
    new_dims = tuple(moved[:d]) + (out,) + tuple(moved[d:])
    new_shape = tuple(shape[:out]) + (n,) + tuple(shape[out:])
    return _P["broadcast_in_dim"].bind(x, shape=new_shape, broadcast_dimensions=new_dims,
                                       **params), out


def _size(x: Any, d: int) -> int:
    return shape(x)[d]


def _reshape(args: Sequence[Any], dims: Dims, *, new_sizes: tuple[int, ...],
             dimensions: Any, **params: Any) -> Any:
    (x,), (d,) = args, dims
    x = moveaxis(x, d, 0)
    n = _size(x, 0)
    new_sizes = (n,) + tuple(new_sizes)
    if dimensions is None and new_sizes == shape(x):
        return x, 0  # e.g. a member's scalar reshaped to a scalar
    if dimensions is not None:
        dimensions = (0,) + tuple(i + 1 for i in dimensions)
    return _P["reshape"].bind(x, new_sizes=new_sizes, dimensions=dimensions, **params), 0


def _squeeze(args: Sequence[Any], dims: Dims, *, dimensions: tuple[int, ...]) -> Any:
    (x,), (d,) = args, dims
    moved = tuple(unbatched_dim(i, d) for i in dimensions)
    out = d - sum(1 for i in moved if i < d)
    return _P["squeeze"].bind(x, dimensions=moved), out


def _transpose(args: Sequence[Any], dims: Dims, *, permutation: tuple[int, ...]) -> Any:
    (x,), (d,) = args, dims
    # The result keeps the batch dimension at d; the others permute around it.
    perm = [unbatched_dim(p, d) for p in permutation]
    perm.insert(d, d)
    return _P["transpose"].bind(x, permutation=tuple(perm)), d


def _rev(args: Sequence[Any], dims: Dims, *, dimensions: tuple[int, ...]) -> Any:
    (x,), (d,) = args, dims
    return _P["rev"].bind(x, dimensions=tuple(unbatched_dim(i, d) for i in dimensions)), d


def _pad(args: Sequence[Any], dims: Dims, *,
         padding_config: tuple[tuple[int, int, int], ...]) -> Any:
    (x, value), (d, value_dim) = args, dims
    n = batch_size(args, dims)
    if d is None:
        d = 0
        x = bdim_at(x, None, 0, n)
    config = tuple(padding_config[:d]) + ((0, 0, 0),) + tuple(padding_config[d:])
    if value_dim is None:
        return _P["pad"].bind(x, value, padding_config=config), d
    # A padding value per member: pad with zeros, then select the value where padding went.
    zero = np.zeros((), get_aval(value).dtype)
    padded = _P["pad"].bind(x, zero, padding_config=config)
    inside = lax.broadcast_in_dim(np.array(True), shape(x), ())
    mask = _P["pad"].bind(inside, np.array(False), padding_config=config)
    values = lax.broadcast_in_dim(value, shape(padded), (d,))
    return lax.select_n(mask, values, padded), d  # False (padding) picks the value


def _concatenate(args: Sequence[Any], dims: Dims, *, dimension: int) -> Any:
    n = batch_size(args, dims)
    out = next(d for d in dims if d is not None)
    xs = [bdim_at(x, d, out, n) for x, d in zip(args, dims)]
    return _P["concatenate"].bind(*xs, dimension=unbatched_dim(dimension, out)), out


def _slice(args: Sequence[Any], dims: Dims, *, start_indices: tuple[int, ...],
           limit_indices: tuple[int, ...], strides: tuple[int, ...] | None) -> Any:
    (x,), (d,) = args, dims
    n = _size(x, d)
    insert = lambda t, v: tuple(t[:d]) + (v,) + tuple(t[d:])  # noqa: E731
    return _P["slice"].bind(
        x, start_indices=insert(start_indices, 0), limit_indices=insert(limit_indices, n),
        strides=None if strides is None else insert(strides, 1)), d


def _split(args: Sequence[Any], dims: Dims, *, sizes: tuple[int, ...], axis: int) -> Any:
    (x,), (d,) = args, dims
    outs = _P["split"].bind(x, sizes=sizes, axis=unbatched_dim(axis, d))
    return outs, [d] * len(outs)


def _stack(args: Sequence[Any], dims: Dims, *, axis: int) -> Any:
    n = batch_size(args, dims)
    d = next(d for d in dims if d is not None)
    xs = [bdim_at(x, xd, d, n) for x, xd in zip(args, dims)]
    # The new dimension lands before the batch dimension or after it.
    if axis <= d:
        return _P["stack"].bind(*xs, axis=axis), d + 1
    return _P["stack"].bind(*xs, axis=axis + 1), d


def _unstack(args: Sequence[Any], dims: Dims, *, axis: int) -> Any:
    (x,), (d,) = args, dims
    moved = unbatched_dim(axis, d)
    outs = _P["unstack"].bind(x, axis=moved)
    return outs, [d if d < moved else d - 1] * len(outs)


def _tile(args: Sequence[Any], dims: Dims, *, reps: tuple[int, ...]) -> Any:
    (x,), (d,) = args, dims
    return _P["tile"].bind(x, reps=tuple(reps[:d]) + (1,) + tuple(reps[d:])), d


RULES = {
    "broadcast_in_dim": _broadcast_in_dim,
    "reshape": _reshape,
    "squeeze": _squeeze,
    "transpose": _transpose,
    "rev": _rev,
    "pad": _pad,
    "concatenate": _concatenate,
    "slice": _slice,
    "split": _split,
    "stack": _stack,
    "unstack": _unstack,
    "tile": _tile,
}

for _name, _rule in RULES.items():
    register_batch(_P[_name], _rule)


def _iota(args: Sequence[Any], dims: Dims, **params: Any) -> Any:
    # No operands, so never batched (a batch trace runs it unchanged); listed for coverage.
    return _P["iota"].bind(**params), None


register_batch(_P["iota"], _iota)

__all__ = ["RULES"]
