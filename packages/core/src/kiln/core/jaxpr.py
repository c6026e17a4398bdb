"""The IR: jaxprs (typed variables, literals, equations), closed jaxprs, their evaluation by
any trace, and JAX's printed form (``{ lambda ; a:f32[3]. let b:f32[3] = sin a in (b,) }``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kiln.core import dtypes
from kiln.core import pretty as pp
from kiln.core.abstract import ShapedArray


class Var:
    """A variable of a jaxpr: only its abstract value; identity is the variable."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self) -> str:
        return f"Var(id={id(self):x}):{self.aval.str_short()}"


class DropVar(Var):
    """An equation output nobody reads (printed ``_``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "_"


class Literal:
    """A scalar constant written into the jaxpr (printed ``2.0:f32[]``)."""

    __slots__ = ("val", "aval")

    def __init__(self, val: Any, aval: ShapedArray):
        self.val = val
        self.aval = aval

    def __repr__(self) -> str:
        return f"{_literal_text(self.val)}:{self.aval.str_short()}"


def _literal_text(val: Any) -> str:
    # Python scalars print as written (0.1); NumPy scalars as the exact value they hold
    # (bfloat16 0.1 prints 0.10009765625), as JAX prints them.
    if isinstance(val, (np.ndarray, np.generic)):
        val = np.asarray(val)
        if dtypes.is_float(val.dtype):
            return str(float(val))
        return str(val.item())
    return str(val)


Atom = Var | Literal


class JaxprEqn:
    """``outvars = primitive[params] invars``."""

    __slots__ = ("primitive", "invars", "outvars", "params")

    def __init__(self, primitive: Any, invars: list[Atom], outvars: list[Var], params: dict):
        self.primitive = primitive
        self.invars = invars
        self.outvars = outvars
        self.params = params

    def replace(self, **changes: Any) -> JaxprEqn:
        fields = {s: getattr(self, s) for s in self.__slots__}
        fields.update(changes)
        return JaxprEqn(**fields)

    def __repr__(self) -> str:
        return _pp_eqn(self, _Names()).format()


class Jaxpr:
    """A function in the IR: constvars and invars in, equations, outvars (or literals) out."""

    __slots__ = ("constvars", "invars", "outvars", "eqns", "debug_info")

    def __init__(
        self,
        constvars: Sequence[Var],
        invars: Sequence[Var],
        outvars: Sequence[Atom],
        eqns: Sequence[JaxprEqn],
        debug_info: Any = None,
    ):
        self.constvars = list(constvars)
        self.invars = list(invars)
        self.outvars = list(outvars)
        self.eqns = list(eqns)
        self.debug_info = debug_info

    @property
    def in_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.invars]

    @property
    def out_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.outvars]

    def pretty_print(self, width: int = 80) -> str:
        return pp_jaxpr(self, _Names()).format(width)

    def __str__(self) -> str:
        return self.pretty_print()

    __repr__ = __str__


class ClosedJaxpr:
    """A jaxpr with values for its constvars."""

    __slots__ = ("jaxpr", "consts", "in_avals", "out_avals", "__weakref__")

    def __init__(self, jaxpr: Jaxpr, consts: Sequence[Any]):
        self.jaxpr = jaxpr
        self.consts = list(consts)
        self.in_avals = jaxpr.in_avals
        self.out_avals = jaxpr.out_avals

    @property
    def eqns(self) -> list[JaxprEqn]:
        return self.jaxpr.eqns

    @property
    def literals(self) -> list[Any]:
        return self.consts

    def pretty_print(self, width: int = 80) -> str:
        return pp_jaxpr(self.jaxpr, _Names()).format(width)

    def __str__(self) -> str:
        return self.pretty_print()

    __repr__ = __str__


# -- evaluation ------------------------------------------------------------------------------


def literal_value(lit: Literal) -> Any:
    """The value to bind for a literal. A Python scalar stays one (weakly typed), unless the
    dtype it would get now differs from the one it was traced with (x64 toggled since)."""
    val = lit.val
    if type(val) in (int, float, complex) and \
            dtypes.python_scalar_dtype(type(val)) != lit.aval.dtype:
        return np.asarray(val, lit.aval.dtype)[()]
    return val


def eval_jaxpr(jaxpr: Jaxpr, consts: Sequence[Any], *args: Any) -> list[Any]:
    """Evaluate ``jaxpr`` by binding each equation's primitive with the current trace: on
    concrete values this runs it; under a transformation it transforms it."""
    env: dict[Var, Any] = {}
    for v, x in zip(jaxpr.constvars, consts):
        env[v] = x
    for v, x in zip(jaxpr.invars, args):
        env[v] = x
    for eqn in jaxpr.eqns:
        ins = [env[a] if type(a) is not Literal else literal_value(a) for a in eqn.invars]
        out = eqn.primitive.bind(*ins, **eqn.params)
        if eqn.primitive.multiple_results:
            for v, x in zip(eqn.outvars, out):
                env[v] = x
        else:
            env[eqn.outvars[0]] = out
    return [env[a] if type(a) is not Literal else literal_value(a) for a in jaxpr.outvars]


def jaxpr_as_fun(closed: ClosedJaxpr) -> Callable[..., list[Any]]:
    return lambda *args: eval_jaxpr(closed.jaxpr, closed.consts, *args)


def subjaxprs(eqn: JaxprEqn) -> list[Jaxpr]:
    """The jaxprs held in an equation's params (e.g. jit's body, cond's branches)."""
    out = []
    for value in eqn.params.values():
        for item in value if isinstance(value, (tuple, list)) else (value,):
            if isinstance(item, ClosedJaxpr):
                out.append(item.jaxpr)
            elif isinstance(item, Jaxpr):
                out.append(item)
    return out


# -- printing --------------------------------------------------------------------------------


class _Names:
    """Names variables a, b, ..., z, ba, bb, ... in order of first appearance."""

    def __init__(self) -> None:
        self.names: dict[Var, str] = {}
        self.count = 0
        self.unused: set[Var] = set()  # equation outputs nothing reads: printed "_"

    def __call__(self, v: Var) -> str:
        name = self.names.get(v)
        if name is None:
            name = self.names[v] = _alphabetic(self.count)
            self.count += 1
        return name

    def assign(self, v: Var, name: str) -> None:
        self.names.setdefault(v, name)


def _alphabetic(n: int) -> str:
    digits = ""
    while True:
        digits = chr(ord("a") + n % 26) + digits
        n //= 26
        if n == 0:
            return digits


def _pp_atom(a: Atom, names: _Names) -> str:
    if type(a) is Literal:
        return repr(a)
    return "_" if type(a) is DropVar or a in names.unused else names(a)


def _pp_binder(v: Var, names: _Names) -> str:
    return f"{_pp_atom(v, names)}:{v.aval.str_short()}"


def pp_jaxpr(jaxpr: Jaxpr, names: _Names) -> pp.Doc:
    used = {a for e in jaxpr.eqns for a in e.invars if type(a) is not Literal}
    used.update(a for a in jaxpr.outvars if type(a) is not Literal)
    names.unused.update(v for e in jaxpr.eqns for v in e.outvars if v not in used)
    constvars = " ".join(_pp_binder(v, names) for v in jaxpr.constvars)
    invars = " ".join(_pp_binder(v, names) for v in jaxpr.invars)
    eqns = [_pp_eqn(e, names) for e in jaxpr.eqns]
    outs = ", ".join(_pp_atom(v, names) for v in jaxpr.outvars)
    outs = f"({outs},)" if len(jaxpr.outvars) == 1 else f"({outs})"
    return pp.group(
        pp.concat([
            f"{{ lambda {constvars}; {invars}. let",
            pp.nest(4, pp.concat([pp.line, pp.join(pp.line, eqns)])),
            pp.nest(2, pp.concat([pp.line, "in ", outs])),
            " }",
        ])
    )


# Per-primitive param printers: rule(eqn, names) -> list of (key, Doc | str) in print order.
param_printers: dict[Any, Callable[[JaxprEqn, _Names], list[tuple[str, Any]]]] = {}


def _pp_value(value: Any, names: _Names) -> pp.Doc | str:
    if isinstance(value, ClosedJaxpr):
        return pp_jaxpr(value.jaxpr, names)
    if isinstance(value, Jaxpr):
        return pp_jaxpr(value, names)
    if type(value) is tuple and value and all(isinstance(v, (Jaxpr, ClosedJaxpr))
                                              for v in value):  # cond's branches
        docs = [_pp_value(v, names) for v in value]
        return pp.group(pp.concat([
            pp.nest(2, pp.concat(["(", pp.softline, pp.join(pp.line, docs)])),
            pp.softline, ")"]))
    return _param_text(value, top=True)


def _param_text(value: Any, top: bool = False) -> str:
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a NamedTuple
        return str(value)
    if isinstance(value, tuple):
        inner = ", ".join(_param_text(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(_param_text(v) for v in value) + "]"
    if isinstance(value, type) and issubclass(value, np.generic):
        return np.dtype(value).name
    if isinstance(value, str) and not top:
        return repr(value)
    # Object addresses change from run to run; JAX prints them masked.
    return _ADDRESS.sub(" at 0xXXXXXXXXXXXX", str(value))


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _pp_eqn(eqn: JaxprEqn, names: _Names) -> pp.Doc:
    outs = " ".join(_pp_binder(v, names) for v in eqn.outvars)
    printer = param_printers.get(eqn.primitive)
    items = printer(eqn, names) if printer else sorted(eqn.params.items())
    params: pp.Doc | str = ""
    if items:
        entries = [pp.concat([f"{k}=", _pp_value(v, names)]) for k, v in items]
        params = pp.group(pp.concat([
            "[", pp.nest(2, pp.concat([pp.softline, pp.join(pp.line, entries)])),
            pp.softline, "]"]))
    ins = " ".join(_pp_atom(a, names) for a in eqn.invars)
    head = f"{outs} = {eqn.primitive.name}" if outs else eqn.primitive.name
    return pp.group(pp.concat([head, params, " " + ins]))


def pp_call_params(eqn: JaxprEqn, names: _Names) -> list[tuple[str, Any]]:
    """Params of call-like primitives (jit): ``name`` first, then the body, whose inputs and
    outputs borrow the names of the equation's own, then the rest sorted."""
    closed = eqn.params["jaxpr"]
    body = closed.jaxpr if isinstance(closed, ClosedJaxpr) else closed
    for outer, inner in zip(eqn.invars, body.invars):
        if type(outer) is Var:
            names.assign(inner, names(outer))
    for outer, inner in zip(eqn.outvars, body.outvars):
        if type(outer) is Var and type(inner) is Var and outer not in names.unused:
            names.assign(inner, names(outer))
    rest = sorted((k, v) for k, v in eqn.params.items() if k not in ("name", "jaxpr"))
    return [("name", eqn.params["name"]), ("jaxpr", closed)] + rest
