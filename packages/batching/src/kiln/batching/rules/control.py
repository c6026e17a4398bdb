"""Batching rules of the higher-order primitives: jit's call primitive. Its body is batched
as a whole jaxpr (``batch_jaxpr``) and the call is bound again, so a jitted function stays one
call under vmap (and one compiled computation) rather than being inlined."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kiln.batching.jaxpr import batch_jaxpr
from kiln.core import ClosedJaxpr, Jaxpr, Tracer, jit_p, register_batch


def hoist_tracer_consts(closed: ClosedJaxpr) -> tuple[ClosedJaxpr, list[Any]]:
    """Move the consts of ``closed`` that are tracers (of outer transformations) to leading
    inputs, so that they are passed as arguments of the call and those traces see them."""
    if not any(isinstance(c, Tracer) for c in closed.consts):
        return closed, []
    jaxpr = closed.jaxpr
    pairs = list(zip(jaxpr.constvars, closed.consts))
    kept = [(v, c) for v, c in pairs if not isinstance(c, Tracer)]
    moved = [(v, c) for v, c in pairs if isinstance(c, Tracer)]
    body = Jaxpr([v for v, _ in kept], [v for v, _ in moved] + jaxpr.invars, jaxpr.outvars,
                 jaxpr.eqns, jaxpr.debug_info)
    return ClosedJaxpr(body, [c for _, c in kept]), [c for _, c in moved]


def _jit(args: Sequence[Any], dims: Sequence[int | None], *, jaxpr: ClosedJaxpr,
         **params: Any) -> Any:
    batched, out_dims = batch_jaxpr(jaxpr, dims)
    batched, hoisted = hoist_tracer_consts(batched)
    outs = jit_p.bind(*hoisted, *args, jaxpr=batched, **params)
    return outs, out_dims


register_batch(jit_p, _jit)

__all__ = ["hoist_tracer_consts"]
