"""Batching rules of sort, top_k and approx_top_k: the sorted dimension moves around the
batch dimension, which stays where it is (operands of a multi-operand sort are moved to
agree)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kiln.batching.dims import batch_size, bdim_at, ndim, unbatched_dim
from kiln.core import register_batch
from kiln.core.primitives import sorting as _so

Dims = Sequence[int | None]


def _sort(args: Sequence[Any], dims: Dims, *, dimension: int, **params: Any) -> Any:
    n = batch_size(args, dims)
    d = next(d for d in dims if d is not None)
    operands = [bdim_at(x, xd, d, n) for x, xd in zip(args, dims)]
    outs = _so.sort_p.bind(*operands, dimension=unbatched_dim(dimension, d), **params)
    return outs, [d] * len(outs)


def _top_k(args: Sequence[Any], dims: Dims, *, axis: int, **params: Any) -> Any:
    (x,), (d,) = args, dims
    outs = _so.top_k_p.bind(x, axis=unbatched_dim(axis, d), **params)
    return outs, [d, d]


def _approx_top_k(args: Sequence[Any], dims: Dims, *, reduction_dimension: int,
                  **params: Any) -> Any:
    (x,), (d,) = args, dims
    axis = reduction_dimension % (ndim(x) - 1)
    outs = _so.approx_top_k_p.bind(x, reduction_dimension=unbatched_dim(axis, d), **params)
    return outs, [d, d]


register_batch(_so.sort_p, _sort)
register_batch(_so.top_k_p, _top_k)
register_batch(_so.approx_top_k_p, _approx_top_k)

__all__: list[str] = []
