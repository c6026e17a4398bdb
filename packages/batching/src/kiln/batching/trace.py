"""The batching interpreter: :class:`BatchTrace` and its tracers.

A :class:`BatchTracer` stands for one member of a batch: it holds the whole batched value
``val`` and ``batch_dim``, the dimension of ``val`` that indexes the members. Values that are
not this trace's tracers are the same for every member (unbatched). Each primitive applied to
at least one batched value runs its batching rule, ``rule(args, dims, **params) -> (outs,
out_dims)``, where a dim is an int or None (unbatched). A primitive with no batching rule but a
decomposition is batched through the decomposition; one whose operands are all unbatched runs
unchanged on the parent trace.

A trace made by ``vmap(..., axis_name='i')`` binds the axis name ``'i'``: the collectives over
``'i'`` (psum, all_gather, axis_index...) are handled here, by the rules in
``named_axis_rules``, even when their operands are unbatched.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

from kiln.core import (
    ClosedJaxpr,
    Jaxpr,
    ShapedArray,
    Trace,
    Tracer,
    get_aval,
    register_aval_rule,
    rule_table,
)
from kiln.core import tracing as _tracing

batch_rules = rule_table("batch")
_decompositions = rule_table("decomposition")

# prim -> rule(trace, args, dims, **params) -> (outs, out_dims), for the collectives: run when
# the primitive names this trace's axis.
named_axis_rules: dict[Any, Callable[..., Any]] = {}


def axis_names_of(prim: Any, params: dict) -> tuple[Hashable, ...]:
    """The axis names a collective's params name."""
    names = params["axes"] if "axes" in params else params["axis_name"]
    return names if isinstance(names, tuple) else (names,)


class BatchTracer(Tracer):
    """One member of a batch: ``val`` holds every member along dimension ``batch_dim``."""

    __slots__ = ("val", "batch_dim")

    def __init__(self, trace: BatchTrace, val: Any, batch_dim: int):
        self._trace = trace
        self.val = val
        self.batch_dim = batch_dim

    @property
    def aval(self) -> ShapedArray:
        full = get_aval(self.val)
        d = self.batch_dim
        return ShapedArray(full.shape[:d] + full.shape[d + 1:], full.dtype, full.weak_type)

    def __repr__(self) -> str:
        return f"VmapTracer(aval={self.aval}, batched={get_aval(self.val)})"


register_aval_rule(BatchTracer, lambda t: t.aval)


class AxisData:
    """The mapped axis of a batch trace: its size, name and SPMD mesh axis names."""

    __slots__ = ("size", "name", "spmd_name")

    def __init__(self, size: int, name: Hashable | None = None,
                 spmd_name: Any = None):
        self.size = size
        self.name = name
        self.spmd_name = spmd_name

    def __repr__(self) -> str:
        return f"AxisData(size={self.size}, name={self.name!r})"


class _RuleContext(threading.local):
    """The axis of the batching rule running now (higher-order rules batch their jaxprs
    over it: see :func:`current_axis`)."""

    axis: AxisData | None = None


_rule_context = _RuleContext()


def current_axis() -> AxisData:
    """The axis that the batching rule running now batches over. Rules of higher-order
    primitives use it to batch the jaxprs in their params (``batch_jaxpr`` does by default)."""
    axis = _rule_context.axis
    if axis is None:
        raise RuntimeError("current_axis() is only available while a batching rule runs")
    return axis


class BatchTrace(Trace):
    """The trace of one ``vmap``: ``axis_size`` members, optionally named ``axis_name``."""

    __slots__ = ("axis", "axis_name", "axis_size", "fun_name")

    def __init__(self, axis: AxisData, fun_name: str | None = None):
        super().__init__()
        self.axis = axis
        # The attributes that put the name into the axis environment (see core.collectives).
        self.axis_name = axis.name
        self.axis_size = axis.size
        self.fun_name = fun_name

    def wrap(self, val: Any, dim: int | None) -> Any:
        return val if dim is None else BatchTracer(self, val, dim)

    def unwrap(self, x: Any) -> tuple[Any, int | None]:
        if isinstance(x, BatchTracer) and x._trace is self:
            return x.val, x.batch_dim
        return x, None

    def process_primitive(self, prim: Any, args: tuple, params: dict) -> Any:
        vals, dims = [], []
        batched = False
        for x in args:
            if isinstance(x, BatchTracer) and x._trace is self:
                vals.append(x.val)
                dims.append(x.batch_dim)
                batched = True
            else:
                if isinstance(x, Tracer) and not x._trace.valid:
                    raise _tracing.leaked_tracer_error(x)
                vals.append(x)
                dims.append(None)
        name = self.axis_name
        if name is not None and prim in named_axis_rules and name in axis_names_of(prim, params):
            return self._run(named_axis_rules[prim], prim, (self, vals, dims), params)
        if not batched and not (name is not None and _mentions_axis(params, name)):
            return _tracing.with_trace(self.parent, prim.bind, *vals, **params)
        rule = batch_rules.get(prim)
        if rule is None:
            decomposition = _decompositions.get(prim)
            if decomposition is None:
                raise NotImplementedError(
                    f"Batching rule for '{prim.name}' not implemented: register one with "
                    "kiln.core.register_batch (or a decomposition)")
            return _tracing.with_trace(self, decomposition, *args, **params)
        return self._run(rule, prim, (vals, dims), params)

    def _run(self, rule: Callable, prim: Any, rule_args: tuple, params: dict) -> Any:
        context = _tracing.context
        previous_trace, previous_axis = context.trace, _rule_context.axis
        context.trace, _rule_context.axis = self.parent, self.axis
        try:
            outs, out_dims = rule(*rule_args, **params)
        finally:
            context.trace, _rule_context.axis = previous_trace, previous_axis
        if prim.multiple_results:
            return [self.wrap(v, d) for v, d in zip(outs, out_dims)]
        return self.wrap(outs, out_dims)

    # -- error messages ----------------------------------------------------------------------

    def describe_function(self) -> str:
        return f"{self.fun_name} transformed by vmap" if self.fun_name else ""


def _mentions_axis(params: dict, name: Hashable) -> bool:
    """Whether a jaxpr in ``params`` (a higher-order primitive's body) applies a collective
    over ``name``: then the primitive must be batched even with no batched operand."""
    for value in params.values():
        for item in value if isinstance(value, (tuple, list)) else (value,):
            if isinstance(item, ClosedJaxpr):
                item = item.jaxpr
            if isinstance(item, Jaxpr) and jaxpr_mentions_axis(item, name):
                return True
    return False


def jaxpr_mentions_axis(jaxpr: Jaxpr, name: Hashable) -> bool:
    for eqn in jaxpr.eqns:
        if eqn.primitive in named_axis_rules and name in axis_names_of(eqn.primitive,
                                                                       eqn.params):
            return True
        if _mentions_axis(eqn.params, name):
            return True
    return False


__all__ = ["AxisData", "BatchTrace", "BatchTracer", "current_axis", "named_axis_rules"]
