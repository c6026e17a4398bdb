"""Staging: tracing a Python function into a jaxpr.

A :class:`JaxprTrace` records each primitive applied to its tracers as an equation. Values
that are not its own tracers become constants: Python and NumPy scalars are written in as
literals, arrays and tracers of outer traces become constvars (jit then passes those as
arguments, so outer transformations still see them).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kiln.core import tracing
from kiln.core.abstract import ShapedArray, get_aval
from kiln.core.jaxpr import ClosedJaxpr, Jaxpr, JaxprEqn, Literal, Var
from kiln.core.primitive import abstract_eval, rule_table
from kiln.core.tracing import Trace, Tracer

_decompositions = rule_table("decomposition")
_abstract_evals = rule_table("abstract_eval")


class DebugInfo:
    """What a trace is for, used in error messages: "while tracing the function f at
    file.py:12 for jit ... depends on the value of the argument x"."""

    __slots__ = ("traced_for", "fun", "arg_names")

    def __init__(self, traced_for: str, fun: Callable | None, arg_names: Sequence[str] | None):
        self.traced_for = traced_for
        self.fun = fun
        self.arg_names = arg_names

    def function_text(self) -> str:
        fun = inspect.unwrap(self.fun) if self.fun is not None else None
        name = getattr(fun, "__qualname__", None) or getattr(fun, "__name__", repr(fun))
        name = name.rsplit(".", 1)[-1] if "<locals>" in name else name
        code = getattr(fun, "__code__", None)
        where = f" at {code.co_filename}:{code.co_firstlineno}" if code else ""
        return f"{name}{where}"


def flat_arg_names(fun: Callable | None, args: Sequence[Any], kwargs: dict | None = None,
                   flatten: Callable | None = None) -> list[str]:
    """Names of the flattened arguments: ``x``, ``params['w']``, ``args[1][0]``..."""
    from kiln.tree_util import keystr, tree_flatten_with_path

    try:
        bound = inspect.signature(fun).bind(*args, **(kwargs or {}))
        named = dict(bound.arguments)
    except (TypeError, ValueError):
        named = {f"args[{i}]": a for i, a in enumerate(args)}
        named.update(kwargs or {})
    names = []
    for name, value in named.items():
        for path, _ in tree_flatten_with_path(value)[0]:
            names.append(name + keystr(path))
    return names


class JaxprTracer(Tracer):
    __slots__ = ("aval", "var")

    def __init__(self, trace: JaxprTrace, aval: ShapedArray, var: Var):
        self._trace = trace
        self.aval = aval
        self.var = var

    def __repr__(self) -> str:
        name = "JitTracer" if self._trace.debug_info.traced_for == "jit" else "JaxprTracer"
        return f"{name}({self.aval})"


class JaxprTrace(Trace):
    """Records primitives applied to its tracers as jaxpr equations."""

    __slots__ = ("eqns", "invars", "consts", "debug_info")

    def __init__(self, debug_info: DebugInfo | None = None):
        super().__init__()
        self.eqns: list[JaxprEqn] = []
        self.invars: list[Var] = []
        self.consts: dict[int, tuple[Var, Any]] = {}  # id(value) -> (constvar, value)
        self.debug_info = debug_info or DebugInfo("make_jaxpr", None, None)

    def new_arg(self, aval: ShapedArray) -> JaxprTracer:
        var = Var(aval)
        self.invars.append(var)
        return JaxprTracer(self, aval, var)

    def to_atom(self, x: Any) -> Var | Literal:
        if type(x) is JaxprTracer and x._trace is self:
            return x.var
        if isinstance(x, Tracer):
            if not x._trace.valid:
                raise tracing.leaked_tracer_error(x)
            return self._constvar(x, x.aval)
        aval = get_aval(x)
        if not aval.shape:
            return Literal(_scalar_value(x), aval)
        return self._constvar(x, aval)

    def _constvar(self, x: Any, aval: ShapedArray) -> Var:
        entry = self.consts.get(id(x))
        if entry is None:
            entry = self.consts[id(x)] = (Var(aval), x)
        return entry[0]

    def process_primitive(self, prim: Any, args: tuple, params: dict) -> Any:
        if prim not in _abstract_evals and prim in _decompositions:
            return _decompositions[prim](*args, **params)
        atoms = [self.to_atom(x) for x in args]
        out = abstract_eval(prim, [a.aval for a in atoms], params)
        if prim.multiple_results:
            outvars = [Var(a) for a in out]
            self.eqns.append(JaxprEqn(prim, atoms, outvars, params))
            return [JaxprTracer(self, v.aval, v) for v in outvars]
        var = Var(out)
        self.eqns.append(JaxprEqn(prim, atoms, [var], params))
        return JaxprTracer(self, out, var)

    def to_jaxpr(self, outs: Sequence[Any]) -> tuple[Jaxpr, list[Any]]:
        outvars = [self.to_atom(x) for x in outs]
        constvars = [v for v, _ in self.consts.values()]
        consts = [x for _, x in self.consts.values()]
        return Jaxpr(constvars, self.invars, outvars, self.eqns, self.debug_info), consts

    # -- error messages ----------------------------------------------------------------------

    def describe_function(self) -> str:
        info = self.debug_info
        if info.fun is None:
            return ""
        return f"{info.function_text()} traced for {info.traced_for}"

    def describe_origin(self, tracer: JaxprTracer) -> str:
        info = self.debug_info
        if info.fun is None:
            return ""
        text = f"The error occurred while tracing the function {info.function_text()} for " \
               f"{info.traced_for}."
        args = _dependent_args(self, tracer.var)
        if args and info.arg_names and len(info.arg_names) == len(self.invars):
            names = [info.arg_names[i] for i in args]
            which = "the argument " + names[0] if len(names) == 1 else \
                "the arguments " + ", ".join(names)
            text += (" This concrete value was not available in Python because it depends "
                     f"on the value of {which}.")
        return text


def _scalar_value(x: Any) -> Any:
    if type(x) in (bool, int, float, complex):
        return x
    if isinstance(x, np.generic):
        return x
    return np.asarray(x)[()]


def _dependent_args(trace: JaxprTrace, var: Var) -> list[int]:
    needed = {var}
    for eqn in reversed(trace.eqns):
        if any(v in needed for v in eqn.outvars):
            needed.update(a for a in eqn.invars if type(a) is Var)
    return [i for i, v in enumerate(trace.invars) if v in needed]


def trace_to_jaxpr(
    fun: Callable[..., Sequence[Any]],
    in_avals: Sequence[ShapedArray],
    debug_info: DebugInfo | None = None,
) -> tuple[Jaxpr, list[Any]]:
    """Trace ``fun`` (flat arguments in, a flat sequence of outputs out) to a jaxpr and the
    values of its constvars."""
    trace = JaxprTrace(debug_info)
    args = [trace.new_arg(a) for a in in_avals]
    previous = tracing.context.trace
    tracing.context.trace = trace
    try:
        outs = fun(*args)
    finally:
        tracing.context.trace = previous
        trace.invalidate()
    return trace.to_jaxpr(outs)


def trace_to_closed_jaxpr(
    fun: Callable[..., Sequence[Any]],
    in_avals: Sequence[ShapedArray],
    debug_info: DebugInfo | None = None,
) -> ClosedJaxpr:
    jaxpr, consts = trace_to_jaxpr(fun, in_avals, debug_info)
    return ClosedJaxpr(jaxpr, consts)


def abstract_eval_fun(fun: Callable[..., Any], in_avals: Sequence[ShapedArray]) -> list[Any]:
    """The output avals of ``fun`` applied to values of ``in_avals`` (``fun`` may return one
    value or a sequence)."""

    def flat(*args: Any) -> Sequence[Any]:
        out = fun(*args)
        return out if isinstance(out, (list, tuple)) else [out]

    jaxpr, _ = trace_to_jaxpr(flat, in_avals)
    return [v.aval for v in jaxpr.outvars]
