"""Moving and materialising batch dimensions: the few array moves batching rules share.

Every function takes a batched value ``x`` with its batch dimension ``dim`` (None when ``x``
is unbatched) and binds ``kiln.lax`` operations on the current trace (rules run with their
parent trace current). Moves that would be the identity bind nothing.
"""

from __future__ import annotations

from typing import Any

from kiln import lax
from kiln.core import get_aval


def ndim(x: Any) -> int:
    return get_aval(x).ndim


def shape(x: Any) -> tuple[int, ...]:
    return get_aval(x).shape


def moveaxis(x: Any, src: int, dst: int) -> Any:
    """``x`` with its dimension ``src`` moved to position ``dst``."""
    if src == dst:
        return x
    perm = [i for i in range(ndim(x)) if i != src]
    perm.insert(dst, src)
    return lax.transpose(x, perm)


def broadcast_dim(x: Any, size: int, dim: int) -> Any:
    """``x`` with a new dimension of ``size`` inserted at ``dim``, along which it repeats."""
    old = shape(x)
    new = old[:dim] + (size,) + old[dim:]
    return lax.broadcast_in_dim(x, new, tuple(i if i < dim else i + 1 for i in range(len(old))))


def bdim_at(x: Any, dim: int | None, dst: int, size: int) -> Any:
    """``x`` batched at ``dst``: moved there, or broadcast along a new dimension when
    unbatched."""
    if dim is None:
        return broadcast_dim(x, size, dst)
    return moveaxis(x, dim, dst)


def bdim_at_front(x: Any, dim: int | None, size: int) -> Any:
    return bdim_at(x, dim, 0, size)


def batch_size(args: Any, dims: Any) -> int:
    """The size of the batch dimension, read off the first batched operand."""
    for x, d in zip(args, dims):
        if d is not None:
            return shape(x)[d]
    raise ValueError("batch_size: no batched operand")


def unbatched_dim(dim: int, batch_dim: int) -> int:
    """Where the per-member dimension ``dim`` sits in a value batched at ``batch_dim``."""
    return dim + 1 if dim >= batch_dim else dim


__all__ = ["batch_size", "bdim_at", "bdim_at_front", "broadcast_dim", "moveaxis", "ndim",
           "shape", "unbatched_dim"]
