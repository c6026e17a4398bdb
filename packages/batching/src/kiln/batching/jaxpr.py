"""Batching whole jaxprs: :func:`batch_jaxpr`, which the rules of higher-order primitives
(jit's call, and control flow) use to batch the jaxprs in their params without inlining them.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

from kiln.batching import dims as _dims
from kiln.batching.trace import AxisData, BatchTrace, current_axis
from kiln.core import ClosedJaxpr, DebugInfo, Tracer, eval_jaxpr, trace_to_jaxpr, with_trace
from kiln.core.abstract import ShapedArray
from kiln.core.config import values as _config_values


class _AnyDim:
    """In ``batch_jaxpr``'s ``dims_out``: keep the output wherever batching leaves it."""

    def __repr__(self) -> str:
        return "any_dim"


any_dim = _AnyDim()

# ClosedJaxpr -> {(dims_in, dims_out, axis size and name, tracing config): result}
_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def batched_aval(aval: ShapedArray, dim: int | None, size: int) -> ShapedArray:
    if dim is None:
        return aval
    return ShapedArray(aval.shape[:dim] + (size,) + aval.shape[dim:], aval.dtype, aval.weak_type)


def batch_jaxpr(
    closed: ClosedJaxpr,
    dims_in: Sequence[int | None],
    axis: AxisData | None = None,
    *,
    dims_out: Sequence[Any] | None = None,
) -> tuple[ClosedJaxpr, list[int | None]]:
    """Batch ``closed`` over ``axis`` (default: the axis of the batching rule running now).

    ``dims_in`` gives each input's batch dimension (None: unbatched). Returns the batched
    closed jaxpr, whose inputs are the batched inputs, and each output's batch dimension.
    ``dims_out`` may ask for outputs at given dimensions: an int moves (or broadcasts) the
    output there, ``any_dim`` leaves it where batching put it (None included).

    Collectives over the axis's name inside ``closed`` are batched too. The result's consts
    are concrete unless ``closed`` closes over tracers of outer transformations.
    """
    axis = current_axis() if axis is None else axis
    dims_in = tuple(dims_in)
    wanted = None if dims_out is None else tuple(dims_out)
    key = (dims_in, wanted, axis.size, axis.name, _config_values.trace_key)
    entries = _cache.get(closed)
    if entries is not None and key in entries:
        return entries[key]
    in_avals = [batched_aval(a, d, axis.size) for a, d in zip(closed.in_avals, dims_in)]
    found: list[list[int | None]] = []

    def batched(*args: Any) -> list[Any]:
        trace = BatchTrace(axis)
        try:
            ins = [trace.wrap(x, d) for x, d in zip(args, dims_in)]
            outs = with_trace(trace, eval_jaxpr, closed.jaxpr, closed.consts, *ins)
            pairs = [trace.unwrap(x) for x in outs]
        finally:
            trace.invalidate()
        if wanted is not None:
            pairs = [(x, d) if want is any_dim else (_dims.bdim_at(x, d, want, axis.size), want)
                     for (x, d), want in zip(pairs, wanted)]
        found.append([d for _, d in pairs])
        return [x for x, _ in pairs]

    jaxpr, consts = trace_to_jaxpr(batched, in_avals, DebugInfo("vmap", None, None))
    result = ClosedJaxpr(jaxpr, consts), found[0]
    if not any(isinstance(c, Tracer) for c in consts):
        _cache.setdefault(closed, {})[key] = result
    return result


__all__ = ["any_dim", "batch_jaxpr", "batched_aval"]
