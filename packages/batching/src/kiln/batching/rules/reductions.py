"""Batching rules of the reductions: the monoid reductions, argmax/argmin and the generic
``reduce``. The batch dimension stays where it is; the reduced axes move around it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kiln import lax
from kiln.batching.dims import batch_size, bdim_at, unbatched_dim
from kiln.core import Primitive, register_batch
from kiln.core.primitives import reductions as _r

Dims = Sequence[int | None]


def _moved_axes(axes: Sequence[int], d: int) -> tuple[tuple[int, ...], int]:
    """The reduced axes of a value batched at ``d``, and where the batch dimension ends up."""
    moved = tuple(unbatched_dim(a, d) for a in axes)
    return moved, d - sum(1 for a in moved if a < d)


def _axes_rule(prim: Primitive) -> Callable[..., Any]:
    """For primitives of one operand with an ``axes`` param (reduce_*, argmax, argmin)."""

    def rule(args: Sequence[Any], dims: Dims, *, axes: tuple[int, ...], **params: Any) -> Any:
        (x,), (d,) = args, dims
        moved, out = _moved_axes(axes, d)
        return prim.bind(x, axes=moved, **params), out

    return rule


def _reduce(args: Sequence[Any], dims: Dims, *, dimensions: tuple[int, ...],
            **params: Any) -> Any:
    k = len(args) // 2
    n = batch_size(args, dims)
    if any(d is not None for d in dims[k:]):
        return _reduce_each_member(args, dims, n, dimensions=dimensions, **params)
    d = next(d for d in dims[:k] if d is not None)
    operands = [bdim_at(x, xd, d, n) for x, xd in zip(args[:k], dims[:k])]
    moved, out = _moved_axes(dimensions, d)
    outs = _r.reduce_p.bind(*operands, *args[k:], dimensions=moved, **params)
    return outs, [out] * len(outs)


def _reduce_each_member(args: Sequence[Any], dims: Dims, n: int, **params: Any) -> Any:
    """Batched initial values: a reduction's computation need not be associative, so each
    member is reduced on its own and the results stacked."""
    members = [lax.unstack(bdim_at(x, d, 0, n), 0) for x, d in zip(args, dims)]
    outs = [_r.reduce_p.bind(*[m[i] for m in members], **params) for i in range(n)]
    return [lax.stack([o[j] for o in outs], 0) for j in range(len(outs[0]))], [0] * len(outs[0])


for _prim in (*_r.PRIMITIVES.values(), _r.argmax_p, _r.argmin_p):
    register_batch(_prim, _axes_rule(_prim))
register_batch(_r.reduce_p, _reduce)

__all__: list[str] = []
