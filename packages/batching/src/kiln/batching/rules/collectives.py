"""Batching rules of the collectives (psum, pmax, pmin, all_gather, axis_index).

Over the batch trace's own axis name (``named_axis_rules``) a collective combines the
members of the batch: ``psum`` is a ``reduce_sum`` over the batch dimension, ``all_gather``
moves the batch dimension to the gathered position, ``axis_index`` is an ``iota``. Their
results are the same for every member, so they are unbatched. The part of a collective over
other (outer) names is bound again on the parent trace. Over other names only, a collective
batches like an elementwise op (its ``batch`` rule).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kiln import lax
from kiln.batching.dims import broadcast_dim, moveaxis, shape, unbatched_dim
from kiln.batching.trace import BatchTrace, named_axis_rules
from kiln.core import Primitive, get_aval, register_batch
from kiln.core.primitives import collectives as _c

Dims = Sequence[int | None]


def _no_groups(name: str, axis_index_groups: Any) -> None:
    if axis_index_groups is not None:
        raise NotImplementedError(f"axis_index_groups not supported in vmap collectives "
                                  f"(got one in {name}).")


def _scaled(x: Any, n: int) -> Any:
    """``x * n`` for a value that every one of ``n`` members holds (psum of it); computed
    here when ``x`` is a constant, so that it stays a literal in jaxprs."""
    aval = get_aval(x)
    if isinstance(x, (bool, int, float, complex)):
        return x * n
    if isinstance(x, (np.ndarray, np.generic)):
        return np.asarray(np.asarray(x) * n).astype(aval.dtype)
    if aval.weak_type:
        factor: Any = float(n) if aval.dtype.kind in "fc" else n
    else:
        factor = np.array(n, aval.dtype)
    return lax.mul(x, factor)


# prim -> (reduction over a batch dimension, value for unbatched operands)
_MEMBER_REDUCTIONS: dict[Primitive, tuple[Callable, Callable]] = {
    _c.psum_p: (lax.reduce_sum, _scaled),
    _c.pmax_p: (lax.reduce_max, lambda x, n: x),
    _c.pmin_p: (lax.reduce_min, lambda x, n: x),
}


def _reduction_over_axis(prim: Primitive) -> Callable[..., Any]:
    reduce, unbatched = _MEMBER_REDUCTIONS[prim]

    def rule(trace: BatchTrace, args: Sequence[Any], dims: Dims, *, axes: tuple,
             axis_index_groups: Any) -> Any:
        _no_groups(prim.name, axis_index_groups)
        (x,), (d,) = args, dims
        out = unbatched(x, trace.axis_size) if d is None else reduce(x, (d,))
        rest = tuple(a for a in axes if a != trace.axis_name)
        if rest:
            out = prim.bind(out, axes=rest, axis_index_groups=None)
        return out, None

    return rule


def _all_gather_over_axis(trace: BatchTrace, args: Sequence[Any], dims: Dims, *,
                          all_gather_dimension: int, axis_name: tuple, axis_index_groups: Any,
                          axis_size: int, tiled: bool) -> Any:
    _no_groups("all_gather", axis_index_groups)
    if len(axis_name) != 1:
        raise NotImplementedError("all_gather over several axis names is not supported under "
                                  "vmap; gather over one name at a time")
    (x,), (d,) = args, dims
    a = all_gather_dimension
    gathered = broadcast_dim(x, trace.axis_size, a) if d is None else moveaxis(x, d, a)
    if tiled:
        s = shape(gathered)
        gathered = lax.reshape(gathered, s[:a] + (s[a] * s[a + 1],) + s[a + 2:])
    return gathered, None


def _axis_index_over_axis(trace: BatchTrace, args: Sequence[Any], dims: Dims, *,
                          axis_name: Any) -> Any:
    return lax.iota(np.int32, trace.axis_size), 0


for _prim in _c.REDUCTIONS:
    named_axis_rules[_prim] = _reduction_over_axis(_prim)
named_axis_rules[_c.all_gather_p] = _all_gather_over_axis
named_axis_rules[_c.axis_index_p] = _axis_index_over_axis


# -- over other axis names: the batch dimension is just another array dimension -------------


def _elementwise_rule(prim: Primitive) -> Callable[..., Any]:
    def rule(args: Sequence[Any], dims: Dims, **params: Any) -> Any:
        return prim.bind(args[0], **params), dims[0]

    return rule


def _all_gather(args: Sequence[Any], dims: Dims, *, all_gather_dimension: int, tiled: bool,
                **params: Any) -> Any:
    (x,), (d,) = args, dims
    a = all_gather_dimension
    if tiled:
        moved, out = unbatched_dim(a, d), d
    else:  # a new dimension, before the batch dimension or after it
        moved, out = (a, d + 1) if a <= d else (a + 1, d)
    return _c.all_gather_p.bind(x, all_gather_dimension=moved, tiled=tiled, **params), out


def _axis_index(args: Sequence[Any], dims: Dims, **params: Any) -> Any:
    # No operands: over another trace's name it is unbatched (runs unchanged).
    return _c.axis_index_p.bind(**params), None


for _prim in _c.REDUCTIONS:
    register_batch(_prim, _elementwise_rule(_prim))
register_batch(_c.all_gather_p, _all_gather)
register_batch(_c.axis_index_p, _axis_index)

__all__: list[str] = []
