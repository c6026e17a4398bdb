"""Batching rules of the elementwise primitives: one broadcasting rule for the whole table,
and rules for those whose operands do not broadcast freely (``select_n``, ``clamp``) or
whose shape depends on the dtype (``bitcast_convert_type``).

The batch dimension stays where the operands have it: the operands are only moved when
their batch dimensions differ, and unbatched operands are only given a size-1 dimension (the
elementwise shape rule broadcasts it) when they are not scalars.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kiln import lax
from kiln.batching.dims import batch_size, bdim_at, moveaxis, ndim, shape
from kiln.core import Primitive, get_aval, register_batch
from kiln.core.primitives import elementwise as _ew


def _ranks(args: Sequence[Any], dims: Sequence[int | None]) -> list[int]:
    """Each operand's rank per member (without its batch dimension)."""
    return [ndim(x) - (d is not None) for x, d in zip(args, dims)]


def _out_dim(dims: Sequence[int | None], ranks: Sequence[int], rank: int) -> int:
    """Where the result's batch dimension goes: where a full-rank batched operand has it."""
    return next((d for d, r in zip(dims, ranks) if d is not None and r == rank), 0)


def _with_unit_dim(x: Any, at: int) -> Any:
    """``x`` with a size-1 dimension inserted at ``at`` (it broadcasts along the batch)."""
    old = shape(x)
    new = old[:at] + (1,) + old[at:]
    return lax.broadcast_in_dim(x, new, tuple(i if i < at else i + 1 for i in range(len(old))))


def align(args: Sequence[Any], dims: Sequence[int | None]) -> tuple[list[Any], int]:
    """Operands of a broadcasting elementwise primitive, made to agree on one batch
    dimension; returns them and that dimension."""
    ranks = _ranks(args, dims)
    rank = max(ranks)
    out = _out_dim(dims, ranks, rank)
    n = batch_size(args, dims)
    aligned = []
    for x, d, r in zip(args, dims, ranks):
        if d is None:
            aligned.append(_with_unit_dim(x, out) if r == rank and rank else x)
        elif r == rank:
            aligned.append(moveaxis(x, d, out))
        elif r == 0:  # a batched scalar among arrays: (n,) -> (1, ..., n, ..., 1)
            aligned.append(lax.broadcast_in_dim(
                x, (1,) * out + (n,) + (1,) * (rank - out), (out,)))
        else:  # ranks that do not broadcast: the shape rule reports it
            aligned.append(x)
    return aligned, out


def broadcasting_rule(prim: Primitive) -> Callable[..., Any]:
    def rule(args: Sequence[Any], dims: Sequence[int | None], **params: Any) -> Any:
        if len(args) == 1:
            return prim.bind(args[0], **params), dims[0]
        first = dims[0]
        if first is not None and all(d == first for d in dims) and \
                len({ndim(x) for x in args}) == 1:
            return prim.bind(*args, **params), first
        aligned, out = align(args, dims)
        return prim.bind(*aligned, **params), out

    return rule


def full_batched(x: Any, d: int | None, rank: int, out: int, full: tuple[int, ...]) -> Any:
    """``x`` (of per-member rank ``rank``: 0 or that of ``full``) as an array of the batched
    shape ``full``, batched at ``out``."""
    if rank == 0 and len(full) > 1:
        return lax.broadcast_in_dim(x, full, () if d is None else (out,))
    return bdim_at(x, d, out, full[out])


def _select_n_rule(args: Sequence[Any], dims: Sequence[int | None], **params: Any) -> Any:
    # The predicate is a scalar or has the cases' shape; the cases have one shape.
    ranks = _ranks(args, dims)
    rank = max(ranks[1:])
    out = _out_dim(dims[1:], ranks[1:], rank) if any(d is not None for d in dims[1:]) else \
        _out_dim(dims[:1], ranks[:1], rank)
    n = batch_size(args, dims)
    case_shape = next(shape(x) if d is None else shape(x)[:d] + shape(x)[d + 1:]
                      for x, d, r in zip(args[1:], dims[1:], ranks[1:]) if r == rank)
    full = case_shape[:out] + (n,) + case_shape[out:]
    which, which_dim = args[0], dims[0]
    if which_dim is not None or ranks[0]:
        which = full_batched(which, which_dim, ranks[0], out, full)
    cases = [full_batched(x, d, r, out, full) for x, d, r in zip(args[1:], dims[1:], ranks[1:])]
    return _ew.PRIMITIVES["select_n"].bind(which, *cases, **params), out


def _clamp_rule(args: Sequence[Any], dims: Sequence[int | None], **params: Any) -> Any:
    # clamp(min, x, max): the bounds are scalars or have x's shape.
    ranks = _ranks(args, dims)
    rank = ranks[1]
    out = dims[1] if dims[1] is not None else _out_dim(dims, ranks, rank)
    n = batch_size(args, dims)
    x, xd = args[1], dims[1]
    x_shape = shape(x) if xd is None else shape(x)[:xd] + shape(x)[xd + 1:]
    full = x_shape[:out] + (n,) + x_shape[out:]
    operands = [b if d is None and r == 0 else full_batched(b, d, r, out, full)
                for b, d, r in zip(args, dims, ranks)]
    operands[1] = full_batched(x, xd, rank, out, full)
    return _ew.PRIMITIVES["clamp"].bind(*operands, **params), out


def _bitcast_convert_type_rule(args: Sequence[Any], dims: Sequence[int | None], *,
                               new_dtype: Any, **params: Any) -> Any:
    # Converting to a wider type consumes the last dimension, which the batch must not be.
    (x,), (d,) = args, dims
    if d == ndim(x) - 1 and get_aval(x).dtype.itemsize != np.dtype(new_dtype).itemsize:
        x, d = moveaxis(x, d, 0), 0
    return _ew.PRIMITIVES["bitcast_convert_type"].bind(x, new_dtype=new_dtype, **params), d


SPECIAL_RULES: dict[str, Callable[..., Any]] = {
    "select_n": _select_n_rule,
    "clamp": _clamp_rule,
    "bitcast_convert_type": _bitcast_convert_type_rule,
}

for _name, _prim in _ew.PRIMITIVES.items():
    register_batch(_prim, SPECIAL_RULES.get(_name) or broadcasting_rule(_prim))

__all__ = ["SPECIAL_RULES", "align", "broadcasting_rule", "full_batched"]
