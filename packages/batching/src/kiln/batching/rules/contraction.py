"""Batching rule of ``dot_general``: the batch folds into the contraction's own dimension
numbers, never into a transpose. Both operands batched: one more (leading) batch dimension.
One operand batched: one more free dimension of that operand, which lands in the result
where the free dimensions of that operand go."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kiln.batching.dims import ndim, unbatched_dim
from kiln.core import register_batch
from kiln.core.primitives.contraction import dot_general_p


def _moved(dims: Sequence[int], d: int) -> tuple[int, ...]:
    return tuple(unbatched_dim(i, d) for i in dims)


def _free_before(rank: int, d: int, *used: Sequence[int]) -> int:
    """How many free dimensions of an operand of ``rank`` (batched at ``d``) precede ``d``."""
    taken = {i for dims in used for i in dims}
    return sum(1 for i in range(d) if i not in taken)


def _dot_general(args: Sequence[Any], dims: Sequence[int | None], *,
                 dimension_numbers: Any, **params: Any) -> Any:
    (lhs, rhs), (ld, rd) = args, dims
    (lc, rc), (lb, rb) = dimension_numbers
    if ld is not None and rd is not None:
        new = ((_moved(lc, ld), _moved(rc, rd)),
               ((ld,) + _moved(lb, ld), (rd,) + _moved(rb, rd)))
        return dot_general_p.bind(lhs, rhs, dimension_numbers=new, **params), 0
    if ld is not None:
        lc, lb = _moved(lc, ld), _moved(lb, ld)
        out = len(lb) + _free_before(ndim(lhs), ld, lc, lb)
        new = ((lc, tuple(rc)), (lb, tuple(rb)))
        return dot_general_p.bind(lhs, rhs, dimension_numbers=new, **params), out
    rc, rb = _moved(rc, rd), _moved(rb, rd)
    lhs_free = ndim(lhs) - len(lc) - len(lb)
    out = len(rb) + lhs_free + _free_before(ndim(rhs), rd, rc, rb)
    new = ((tuple(lc), rc), (tuple(lb), rb))
    return dot_general_p.bind(lhs, rhs, dimension_numbers=new, **params), out


register_batch(dot_general_p, _dot_general)

__all__: list[str] = []
