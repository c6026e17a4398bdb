"""Partial evaluation: run what is known now, stage what is not into a jaxpr.

``linearize`` is jvp over a :class:`PartialEvalTrace`: primals are *known* (computed eagerly
on the enclosing trace), tangents are *unknown* (the trace's own tracers), so every operation
on tangents is recorded into a jaxpr that is linear in them, and every operation on primals
alone runs now. Its constants (the *residuals*, e.g. ``cos x`` for ``sin``) are the values the
linear function needs from the forward pass.

Higher-order primitives split their bodies the same way through ``partial_eval`` rules
(``register_partial_eval``); jit's rule runs a *known* jit now (returning residuals) and
stages an *unknown* jit that consumes them. A primitive without a rule is staged whole
whenever any of its inputs is unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kiln.autodiff.caching import JaxprCache
from kiln.autodiff.jvp import JVPTrace
from kiln.autodiff.zeros import instantiate, is_differentiable, tangent_aval
from kiln.core.abstract import get_aval
from kiln.core.jaxpr import ClosedJaxpr, Jaxpr, Var, eval_jaxpr
from kiln.core.primitive import Primitive, register_rule, rule_table
from kiln.core.staging import DebugInfo, JaxprTrace, JaxprTracer, trace_to_jaxpr
from kiln.core.tracing import Tracer, with_trace

partial_eval_rules = rule_table("partial_eval")


def register_partial_eval(prim: Primitive, rule: Callable | None = None) -> Any:
    """Register ``prim``'s partial-evaluation rule: ``rule(trace, *args, **params) -> outs``.

    ``args`` mixes known values and unknown ones (``trace.is_unknown(x)``). The rule computes
    what it can now with ``trace.bind_known`` and records the rest with ``trace.stage``,
    returning outputs as ``bind`` would (known values or the trace's tracers)."""
    return register_rule("partial_eval", prim, rule)


class PartialEvalTrace(JaxprTrace):
    """Stages operations on its own (unknown) tracers into a jaxpr; applies operations on
    known values alone with its parent trace, right away."""

    __slots__ = ()

    def is_unknown(self, x: Any) -> bool:
        return type(x) is JaxprTracer and x._trace is self

    def process_primitive(self, prim: Any, args: tuple, params: dict) -> Any:
        for x in args:
            if type(x) is JaxprTracer and x._trace is self:
                break
        else:
            return with_trace(self.parent, prim.bind, *args, **params)
        rule = partial_eval_rules.get(prim)
        if rule is not None:
            return rule(self, *args, **params)
        return JaxprTrace.process_primitive(self, prim, args, params)

    def bind_known(self, prim: Primitive, *args: Any, **params: Any) -> Any:
        """Apply ``prim`` to known values now, with the parent trace."""
        return with_trace(self.parent, prim.bind, *args, **params)

    def stage(self, prim: Primitive, args: Sequence[Any], params: dict) -> Any:
        """Record ``prim`` applied to ``args`` as one equation; its outputs are unknown."""
        return JaxprTrace.process_primitive(self, prim, tuple(args), params)


# -- jaxpr utilities ----------------------------------------------------------------------------


def dce_jaxpr(jaxpr: Jaxpr, consts: Sequence[Any]) -> tuple[Jaxpr, list[Any]]:
    """``jaxpr`` without the equations and constvars its outputs do not need."""
    live = {v for v in jaxpr.outvars if type(v) is Var}
    kept = []
    for eqn in reversed(jaxpr.eqns):
        if any(v in live for v in eqn.outvars):
            kept.append(eqn)
            live.update(a for a in eqn.invars if type(a) is Var)
    kept.reverse()
    pairs = [(v, c) for v, c in zip(jaxpr.constvars, consts) if v in live]
    new = Jaxpr([v for v, _ in pairs], jaxpr.invars, jaxpr.outvars, kept, jaxpr.debug_info)
    return new, [c for _, c in pairs]


def consts_as_invars(closed: ClosedJaxpr) -> tuple[Jaxpr, list[Any]]:
    """An open jaxpr taking ``closed``'s consts as leading arguments, and those consts."""
    jaxpr = closed.jaxpr
    if not jaxpr.constvars:
        return jaxpr, []
    return Jaxpr([], jaxpr.constvars + jaxpr.invars, jaxpr.outvars, jaxpr.eqns,
                 jaxpr.debug_info), list(closed.consts)


# -- linearize ----------------------------------------------------------------------------------


def linearize_flat(fun: Callable[..., Sequence[Any]], primals: Sequence[Any],
                   debug_info: DebugInfo | None = None,
                   ) -> tuple[list[Any], Jaxpr, list[Any]]:
    """Run ``fun`` (flat in, flat out) on ``primals`` now, and stage its derivative: returns
    the primal outputs and a jaxpr (with its consts, the residuals) mapping input tangents to
    output tangents. Integer inputs get an unused float0 input."""
    pe = PartialEvalTrace(debug_info or DebugInfo("linearize", None, None))
    jvp_trace = JVPTrace(pe, linearizing=True, debug_info=debug_info)
    try:
        ins = []
        for p in primals:
            aval = tangent_aval(get_aval(p))
            t = pe.new_arg(aval)
            ins.append(jvp_trace.new_tracer(p, t) if is_differentiable(aval) else p)
        outs = with_trace(jvp_trace, fun, *ins)
        pairs = [jvp_trace.to_primal_tangent(x) for x in outs]
        out_tangents = [instantiate(t) for _, t in pairs]
        jaxpr, consts = pe.to_jaxpr(out_tangents)
    finally:
        jvp_trace.invalidate()
        pe.invalidate()
    jaxpr, consts = dce_jaxpr(jaxpr, consts)
    return [p for p, _ in pairs], jaxpr, consts


# -- partial evaluation of a jaxpr ------------------------------------------------------------

_partial_eval_cache = JaxprCache()


class PartialJaxpr:
    """``closed`` split by which inputs are unknown.

    ``known`` maps the known inputs to the known outputs and then ``num_res`` residuals;
    ``unknown`` maps the residuals and then the unknown inputs to the unknown outputs;
    ``out_unknowns`` says which outputs are which."""

    __slots__ = ("known", "unknown", "out_unknowns", "num_res")

    def __init__(self, known: ClosedJaxpr, unknown: ClosedJaxpr, out_unknowns: list[bool],
                 num_res: int):
        self.known = known
        self.unknown = unknown
        self.out_unknowns = out_unknowns
        self.num_res = num_res


def partial_eval_jaxpr(closed: ClosedJaxpr, unknowns: Sequence[bool],
                       instantiate_outs: bool = False) -> PartialJaxpr:
    """Split ``closed`` into what can run with the known inputs and what must wait for the
    unknown ones (every output unknown, with ``instantiate_outs``). Cached per jaxpr."""
    key = (tuple(unknowns), instantiate_outs)
    hit = _partial_eval_cache.get(closed, key)
    if hit is not None:
        return hit
    found: dict[str, Any] = {}

    def known_fun(*known_ins: Any) -> list[Any]:
        pe = PartialEvalTrace(DebugInfo("partial_eval", None, None))
        it = iter(known_ins)
        ins = [pe.new_arg(a) if u else next(it) for a, u in zip(closed.in_avals, unknowns)]
        try:
            outs = with_trace(pe, eval_jaxpr, closed.jaxpr, closed.consts, *ins)
            out_unknowns = [instantiate_outs or pe.is_unknown(x) for x in outs]
            jaxpr, consts = pe.to_jaxpr([x for x, u in zip(outs, out_unknowns) if u])
        finally:
            pe.invalidate()
        jaxpr, consts = dce_jaxpr(jaxpr, consts)
        # Constvars bound to values computed from the known inputs are residuals; the rest
        # (concrete constants) stay constants of the unknown jaxpr.
        res = [(v, c) for v, c in zip(jaxpr.constvars, consts) if isinstance(c, Tracer)]
        kept = [(v, c) for v, c in zip(jaxpr.constvars, consts) if not isinstance(c, Tracer)]
        unknown = Jaxpr([v for v, _ in kept], [v for v, _ in res] + jaxpr.invars,
                        jaxpr.outvars, jaxpr.eqns, jaxpr.debug_info)
        found.update(unknown=ClosedJaxpr(unknown, [c for _, c in kept]),
                     out_unknowns=out_unknowns, num_res=len(res))
        return [x for x, u in zip(outs, out_unknowns) if not u] + [c for _, c in res]

    known_avals = [a for a, u in zip(closed.in_avals, unknowns) if not u]
    jaxpr, consts = trace_to_jaxpr(known_fun, known_avals, DebugInfo("partial_eval", None, None))
    jaxpr, consts = dce_jaxpr(jaxpr, consts)
    result = PartialJaxpr(ClosedJaxpr(jaxpr, consts), found["unknown"], found["out_unknowns"],
                          found["num_res"])
    return _partial_eval_cache.put(closed, key, result, consts)
