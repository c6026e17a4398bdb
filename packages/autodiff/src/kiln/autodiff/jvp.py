"""Forward mode: the JVP trace, its tracers, and the jvp of a whole jaxpr.

A :class:`JVPTrace` carries each value as a (primal, tangent) pair. For each primitive it
looks up the primitive's jvp rule (registered with ``kiln.core.register_jvp``) and runs it
with its *parent* trace current, so the primal and tangent computations are themselves
processed by whatever transformation encloses this one. Anything that is not this trace's
own tracer is a constant with a zero tangent: together with one new trace per ``jvp`` call
this is what keeps nested derivatives apart (no perturbation confusion).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kiln.autodiff.caching import JaxprCache
from kiln.autodiff.zeros import Zero, instantiate, is_differentiable, tangent_aval
from kiln.core import tracing
from kiln.core.abstract import ShapedArray, get_aval
from kiln.core.jaxpr import ClosedJaxpr, eval_jaxpr
from kiln.core.primitive import rule_table
from kiln.core.staging import DebugInfo, trace_to_jaxpr
from kiln.core.tracing import Trace, Tracer, with_trace

jvp_rules = rule_table("jvp")
_decompositions = rule_table("decomposition")


class JVPTracer(Tracer):
    """A value under forward-mode differentiation: its primal and its tangent.

    Printed as JAX prints them: ``JVPTracer(primal=1.0, tangent=1.0)`` under ``jvp``, and
    ``GradTracer(primal=1.0, typeof(tangent)=f32[])`` under ``grad``/``vjp``/``linearize``,
    whose tangents are not values yet but staged into the linear function.
    """

    __slots__ = ("primal", "tangent")

    def __init__(self, trace: JVPTrace, primal: Any, tangent: Any):
        self._trace = trace
        self.primal = primal
        self.tangent = tangent

    @property
    def aval(self) -> ShapedArray:
        return get_aval(self.primal)

    def to_concrete_value(self) -> Any:
        primal = self.primal
        if isinstance(primal, Tracer):
            return primal.to_concrete_value()
        return primal

    def __repr__(self) -> str:
        if self._trace.linearizing:
            return (f"GradTracer(primal={_value_text(self.primal)}, "
                    f"typeof(tangent)={get_aval(self.tangent).str_short()})")
        return f"JVPTracer(primal={_value_text(self.primal)}, " \
               f"tangent={_value_text(self.tangent)})"

    __str__ = __repr__


def _value_text(x: Any) -> str:
    return repr(x) if isinstance(x, Tracer) else str(x)


class JVPTrace(Trace):
    """Forward-mode differentiation of the primitives applied to its tracers."""

    __slots__ = ("linearizing", "debug_info")

    def __init__(self, parent: Any = "current", linearizing: bool = False,
                 debug_info: DebugInfo | None = None):
        super().__init__(parent)
        self.linearizing = linearizing
        self.debug_info = debug_info

    def new_tracer(self, primal: Any, tangent: Any) -> Any:
        """A tracer of ``primal`` with ``tangent``; just ``primal`` when the tangent is zero
        (a value this trace does not differentiate need not be wrapped)."""
        if type(tangent) is Zero:
            return primal
        return JVPTracer(self, primal, tangent)

    def to_primal_tangent(self, x: Any) -> tuple[Any, Any]:
        if type(x) is JVPTracer and x._trace is self:
            return x.primal, x.tangent
        if isinstance(x, Tracer) and not x._trace.valid:
            raise tracing.leaked_tracer_error(x)
        return x, Zero(tangent_aval(get_aval(x)))

    def process_primitive(self, prim: Any, args: tuple, params: dict) -> Any:
        for x in args:
            if type(x) is JVPTracer and x._trace is self:
                break
        else:  # nothing here is differentiated: the primitive is the parent's to apply
            return with_trace(self.parent, prim.bind, *args, **params)
        rule = jvp_rules.get(prim)
        if rule is None:
            decomposition = _decompositions.get(prim)
            if decomposition is not None:
                return decomposition(*args, **params)
            raise NotImplementedError(
                f"Differentiation rule for '{prim.name}' not implemented; register one with "
                "kiln.core.register_jvp (or give the primitive a decomposition)")
        primals, tangents = [], []
        for x in args:
            p, t = self.to_primal_tangent(x)
            primals.append(p)
            tangents.append(t)
        primal_out, tangent_out = with_trace(self.parent, rule, primals, tangents, **params)
        if prim.multiple_results:
            return [self._output(p, t) for p, t in zip(primal_out, tangent_out)]
        return self._output(primal_out, tangent_out)

    def _output(self, primal: Any, tangent: Any) -> Any:
        if type(tangent) is Zero or not is_differentiable(get_aval(primal)):
            return primal
        return JVPTracer(self, primal, tangent)

    def describe_function(self) -> str:
        info = self.debug_info
        return "" if info is None or info.fun is None else \
            f"{info.function_text()} transformed by {info.traced_for}"


def jvp_flat(fun: Callable[..., Sequence[Any]], primals: Sequence[Any],
             tangents: Sequence[Any], debug_info: DebugInfo | None = None,
             ) -> tuple[list[Any], list[Any]]:
    """Push ``tangents`` (some maybe ``Zero``) forward through ``fun`` (flat in, flat out):
    the primal outputs and their tangents (``Zero`` where they do not depend on the
    tangents)."""
    trace = JVPTrace(debug_info=debug_info)
    try:
        ins = [trace.new_tracer(p, t) for p, t in zip(primals, tangents)]
        outs = with_trace(trace, fun, *ins)
        pairs = [trace.to_primal_tangent(x) for x in outs]
    finally:
        trace.invalidate()
    return [p for p, _ in pairs], [t for _, t in pairs]


# -- jvp of a jaxpr ------------------------------------------------------------------------------

_jvp_jaxpr_cache = JaxprCache()


def jvp_jaxpr(closed: ClosedJaxpr, nonzeros: Sequence[bool], instantiate_outs: bool = False,
              ) -> tuple[ClosedJaxpr, list[bool]]:
    """The jvp of ``closed``: a closed jaxpr taking the primals and then the tangents of the
    inputs marked in ``nonzeros``, returning the primal outputs and then the tangents of the
    outputs marked in the returned list (every output's, with ``instantiate_outs``).

    Cached per jaxpr, so transforming a jit's body twice gives the same jaxpr (and the
    backend compiles it once)."""
    key = (tuple(nonzeros), instantiate_outs)
    hit = _jvp_jaxpr_cache.get(closed, key)
    if hit is not None:
        return hit
    n = len(closed.in_avals)
    out_nonzeros: list[bool] = []

    def jvp_fun(*args: Any) -> list[Any]:
        it = iter(args[n:])
        tangents = [next(it) if nz else Zero(tangent_aval(a))
                    for a, nz in zip(closed.in_avals, nonzeros)]
        outs, out_tangents = jvp_flat(
            lambda *xs: eval_jaxpr(closed.jaxpr, closed.consts, *xs), args[:n], tangents)
        if instantiate_outs:
            out_tangents = [instantiate(t) for t in out_tangents]
        out_nonzeros[:] = [type(t) is not Zero for t in out_tangents]
        return outs + [t for t in out_tangents if type(t) is not Zero]

    avals = list(closed.in_avals) + [tangent_aval(a) for a, nz in zip(closed.in_avals, nonzeros)
                                     if nz]
    jaxpr, consts = trace_to_jaxpr(jvp_fun, avals, DebugInfo("jvp", None, None))
    return _jvp_jaxpr_cache.put(closed, key, (ClosedJaxpr(jaxpr, consts), list(out_nonzeros)),
                                 consts)
