"""``random_while``: the while loop of kiln-random's rejection samplers (gamma, poisson,
binomial), as a primitive of this package.

kiln-core has no control-flow primitives yet, so the samplers whose loops run a data-dependent
number of times loop through this one: ``random_while(cond, body, consts, init)`` repeats
``carry = body(consts, carry)`` while ``cond(consts, carry)`` (a boolean scalar) holds, with
the semantics of ``lax.while_loop``. ``cond`` and ``body`` are Python functions written with
``kiln.lax`` that receive every array they use as ``consts`` or ``carry`` (they close over no
traced values), so they can be traced again whenever a backend needs them:

- ``impl``: traced once per signature and run with kiln-core's reference interpreter, in a
  Python loop (the NumPy backend);
- ``lower/xla``: one ``stablehlo.while`` whose regions are the traced functions, lowered
  through the compiler's context.

It is used only inside the decompositions of the sampler primitives (``random_gamma``,
``random_poisson``, ``random_binomial``), which carry the batching and differentiation rules,
so it needs none itself. When kiln-core gains ``lax.while_loop``, the samplers can move to it.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from kiln.core import (
    Primitive,
    ShapedArray,
    register_abstract_eval,
    register_impl,
    register_lowering,
)
from kiln.core.abstract import get_aval
from kiln.core.config import values as _config
from kiln.core.jaxpr import param_printers
from kiln.core.reference import run_jaxpr
from kiln.core.staging import trace_to_jaxpr

random_while_p = Primitive("random_while", multiple_results=True)


def random_while(cond: Callable, body: Callable, consts: Sequence[Any],
                 init: Sequence[Any]) -> list[Any]:
    """``lax.while_loop`` over the carry ``init`` with loop-invariant ``consts``:
    ``cond(consts, carry) -> bool[]`` and ``body(consts, carry) -> carry`` (lists)."""
    return random_while_p.bind(*consts, *init, cond=cond, body=body, n_consts=len(consts),
                               partitionable=bool(_config.threefry_partitionable))


@contextlib.contextmanager
def _counter_layout(partitionable: bool) -> Iterator[None]:
    """Trace ``cond`` and ``body`` in the counter layout that was current when the loop was
    staged (the attribute itself, not ``config.update``: no jit runs inside the bodies)."""
    previous = _config.threefry_partitionable
    _config.threefry_partitionable = partitionable
    try:
        yield
    finally:
        _config.threefry_partitionable = previous


@register_abstract_eval(random_while_p)
def _random_while_abstract_eval(*avals: ShapedArray, cond: Callable, body: Callable,
                                n_consts: int, partitionable: bool) -> list[ShapedArray]:
    return [a.strip_weak_type() for a in avals[n_consts:]]


def _flat_cond(cond: Callable, n_consts: int) -> Callable:
    def flat(*args: Any) -> list[Any]:
        return [cond(list(args[:n_consts]), list(args[n_consts:]))]

    return flat


def _flat_body(body: Callable, n_consts: int) -> Callable:
    def flat(*args: Any) -> list[Any]:
        return list(body(list(args[:n_consts]), list(args[n_consts:])))

    return flat


# (cond, body, avals) -> traced (cond jaxpr, consts), (body jaxpr, consts). Bounded: params
# of staged equations are reused call after call, so a small cache serves jitted samplers.
_traced: OrderedDict = OrderedDict()
_CACHE_SIZE = 64


def _trace(cond: Callable, body: Callable, n_consts: int, partitionable: bool,
           avals: Sequence[ShapedArray]) -> tuple[Any, Any]:
    key = (cond, body, n_consts, partitionable, tuple(avals))
    hit = _traced.get(key)
    if hit is not None:
        _traced.move_to_end(key)
        return hit
    with _counter_layout(partitionable):
        traced = (trace_to_jaxpr(_flat_cond(cond, n_consts), avals),
                  trace_to_jaxpr(_flat_body(body, n_consts), avals))
    _traced[key] = traced
    if len(_traced) > _CACHE_SIZE:
        _traced.popitem(last=False)
    return traced


@register_impl(random_while_p)
def _random_while_impl(*args: Any, cond: Callable, body: Callable, n_consts: int,
                       partitionable: bool) -> list:
    avals = [get_aval(a).strip_weak_type() for a in args]
    (cond_jaxpr, cond_consts), (body_jaxpr, body_consts) = _trace(cond, body, n_consts,
                                                                  partitionable, avals)
    consts, carry = list(args[:n_consts]), list(args[n_consts:])
    while bool(run_jaxpr(cond_jaxpr, cond_consts, consts + carry)[0]):
        carry = run_jaxpr(body_jaxpr, body_consts, consts + carry)
    return carry


def _random_while_lowering(ctx: Any, *args: Any, cond: Callable, body: Callable,
                           n_consts: int, partitionable: bool) -> list[Any]:
    """One ``stablehlo.while`` carrying the consts and the carry; its regions are ``cond``
    and ``body`` traced and lowered by the compiler's context."""
    avals = [a.aval.strip_weak_type() for a in args]
    flat_cond = _flat_cond(cond, n_consts)
    flat_body = _flat_body(body, n_consts)

    def cond_region(inner: Any, *xs: Any) -> Any:
        return inner.lower_fun(flat_cond, *xs, multiple_results=True)

    def body_region(inner: Any, *xs: Any) -> list[Any]:
        outs = inner.lower_fun(flat_body, *xs, multiple_results=True)
        return [*xs[:n_consts], *outs]

    with _counter_layout(partitionable):
        regions = [ctx.region(avals, cond_region), ctx.region(avals, body_region)]
    outs = ctx.op_multi("stablehlo.while", list(args), avals, regions=regions)
    return outs[n_consts:]


register_lowering(random_while_p, _random_while_lowering, backend="xla")


def _pp_params(eqn: Any, names: Any) -> list[tuple[str, Any]]:
    def name(f: Any) -> str:
        f = getattr(f, "func", f)
        return getattr(f, "__name__", type(f).__name__)

    params = eqn.params
    return [("body", name(params["body"])), ("cond", name(params["cond"])),
            ("n_consts", str(params["n_consts"])),
            ("partitionable", str(params["partitionable"]))]


param_printers[random_while_p] = _pp_params
