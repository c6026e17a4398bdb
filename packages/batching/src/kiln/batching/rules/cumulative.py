"""Batching rules of the cumulative reductions (cumsum, cumprod, cummax, cummin,
cumlogsumexp): the scan axis moves around the batch dimension, which stays where it is."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kiln.batching.dims import unbatched_dim
from kiln.core import Primitive, register_batch
from kiln.core.primitives import cumulative as _cu


def _axis_rule(prim: Primitive) -> Callable[..., Any]:
    def rule(args: Sequence[Any], dims: Sequence[int | None], *, axis: int,
             **params: Any) -> Any:
        (x,), (d,) = args, dims
        return prim.bind(x, axis=unbatched_dim(axis, d), **params), d

    return rule


for _prim in _cu.PRIMITIVES.values():
    register_batch(_prim, _axis_rule(_prim))

__all__: list[str] = []
