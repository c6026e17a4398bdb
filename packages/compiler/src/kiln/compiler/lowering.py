"""Lowering jaxprs to StableHLO text.

A :class:`ModuleBuilder` writes one MLIR module: ``@main`` lowered from a closed jaxpr, and
private functions for nested jits (called with ``func.call``). Each equation is lowered by
its primitive's lowering rule, looked up in kiln's rule registry under ``lower/xla/<platform>``
then ``lower/xla``; a primitive with no rule is lowered through its decomposition (traced on
the equation's avals and lowered inline).

The lowering-rule interface (registered with ``kiln.core.register_lowering(prim, rule,
backend="xla")``, optionally ``platform="cuda"``)::

    def rule(ctx: LoweringRuleContext, *args: Value, **params) -> Value | Sequence[Value]

``args`` are the SSA values of the equation's operands (each with ``.aval`` and ``.type``);
the rule emits operations with ``ctx.op``/``ctx.op_multi`` and the helpers below and returns
the result value (a sequence of them for a primitive with ``multiple_results``). ``ctx``
knows the equation's ``avals_in``, ``avals_out`` and ``platform``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kiln.compiler import hlo
from kiln.core.abstract import ShapedArray
from kiln.core.backend import host_value
from kiln.core.jaxpr import ClosedJaxpr, DropVar, Jaxpr, Literal
from kiln.core.primitive import lowering_kind, rule_table
from kiln.core.staging import trace_to_jaxpr

BACKEND = "xla"
_generic_rules = rule_table(lowering_kind(BACKEND))
_decompositions = rule_table("decomposition")

# Rules by primitive *name*, for primitives that other packages define without an xla
# lowering (autodiff's add_any...): consulted after the registry, before decompositions.
NAMED_RULES: dict[str, Callable[..., Any]] = {}


class LoweringError(Exception):
    """A primitive could not be lowered (no rule, or the rule failed)."""


class MissingLoweringError(LoweringError, NotImplementedError):
    """A primitive has no xla lowering rule and no decomposition."""

    def __init__(self, prim: Any):
        super().__init__(
            f"the xla backend has no lowering rule for primitive '{prim.name}' (and it has no "
            "decomposition); register one with kiln.core.register_lowering(prim, rule, "
            "backend='xla')")
        self.primitive = prim


class Value:
    """An SSA value of the module being written: its name (``%3``), aval and tensor type."""

    __slots__ = ("name", "aval", "type")

    def __init__(self, name: str, aval: ShapedArray):
        self.name = name
        self.aval = aval
        self.type = hlo.aval_type(aval)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.aval.shape

    @property
    def dtype(self) -> np.dtype:
        return self.aval.dtype

    def __repr__(self) -> str:
        return f"Value({self.name}: {self.type})"


def _as_aval(spec: Any) -> ShapedArray:
    if isinstance(spec, ShapedArray):
        return spec
    if isinstance(spec, Value):
        return spec.aval
    shape, dtype = spec
    return ShapedArray(tuple(shape), np.dtype(dtype))


class _Function:
    """One ``func.func`` being written: its SSA counter is shared by nested regions."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


class Block:
    """Lines of one block (a function body or a region) and its constant cache."""

    __slots__ = ("fn", "lines", "indent", "consts")

    def __init__(self, fn: _Function, indent: str):
        self.fn = fn
        self.lines: list[str] = []
        self.indent = indent
        self.consts: dict[Any, Value] = {}

    def fresh(self) -> str:
        n = self.fn.count
        self.fn.count = n + 1
        return f"%{n}"


class ModuleBuilder:
    """One MLIR module being written for one platform."""

    def __init__(self, name: str, platform: str):
        self.name = _symbol(name)
        self.platform = platform
        self.functions: list[str] = []  # private functions, in the order they were finished
        self.symbols: set[str] = {"main"}
        self._called: dict[int, tuple[str, ClosedJaxpr]] = {}  # id(closed jaxpr) -> symbol
        self._platform_rules = rule_table(lowering_kind(BACKEND, platform))

    # -- rule lookup ---------------------------------------------------------------------------

    def rule_for(self, prim: Any) -> Callable | None:
        rule = self._platform_rules.get(prim)
        if rule is None:
            rule = _generic_rules.get(prim)
            if rule is None and prim not in _decompositions:
                rule = NAMED_RULES.get(prim.name)
        return rule

    # -- functions -----------------------------------------------------------------------------

    def fresh_symbol(self, base: str) -> str:
        base = _symbol(base)
        name, i = base, 0
        while name in self.symbols:
            i += 1
            name = f"{base}_{i}"
        self.symbols.add(name)
        return name

    def function_for(self, closed: ClosedJaxpr | Jaxpr, name: str) -> str:
        """The symbol of a private function computing ``closed`` (written once per module)."""
        entry = self._called.get(id(closed))
        if entry is not None:
            return entry[0]
        symbol = self.fresh_symbol(name)
        self._called[id(closed)] = (symbol, closed)  # keeps ``closed`` alive while in use
        jaxpr, consts = _split_closed(closed)
        text = self.write_function(symbol, jaxpr, consts, visibility="private")
        self.functions.append(text)
        return symbol

    def write_function(self, symbol: str, jaxpr: Jaxpr, consts: Sequence[Any], *,
                       visibility: str, arg_attrs: Sequence[str] | None = None,
                       hoisted: Sequence[int] = ()) -> str:
        """``func.func`` text computing ``jaxpr``. Constants are written inline, except
        those at positions ``hoisted`` of ``consts``, which become leading parameters."""
        fn = _Function()
        block = Block(fn, "    ")
        params: list[str] = []
        const_values: list[Value | None] = [None] * len(consts)
        n_args = 0
        for i in hoisted:
            aval = jaxpr.constvars[i].aval
            value = Value(f"%arg{n_args}", aval)
            params.append(f"{value.name}: {value.type}")
            const_values[i] = value
            n_args += 1
        arg_values = []
        for k, v in enumerate(jaxpr.invars):
            value = Value(f"%arg{n_args}", v.aval)
            attrs = arg_attrs[k] if arg_attrs else ""
            params.append(f"{value.name}: {value.type}{attrs}")
            arg_values.append(value)
            n_args += 1
        ctx = LoweringRuleContext(self, block, (), ())
        for i, (v, c) in enumerate(zip(jaxpr.constvars, consts)):
            if const_values[i] is None:
                const_values[i] = ctx.constant(np.asarray(host_value(c)), v.aval.dtype)
        outs = lower_jaxpr(self, block, jaxpr, const_values, arg_values)
        out_types = ", ".join(o.type for o in outs)
        if outs:
            block.lines.append(f'{block.indent}"func.return"({", ".join(o.name for o in outs)}) '
                               f": ({out_types}) -> ()")
        else:
            block.lines.append(f'{block.indent}"func.return"() : () -> ()')
        head = (f"  func.func {visibility} @{symbol}({', '.join(params)}) -> ({out_types}) {{")
        return "\n".join([head, *block.lines, "  }"])

    def module_text(self, main: str) -> str:
        body = "\n".join([main, *self.functions])
        return (f"module @{self.name} attributes {{mhlo.num_partitions = 1 : i32, "
                f"mhlo.num_replicas = 1 : i32}} {{\n{body}\n}}\n")


def _split_closed(closed: ClosedJaxpr | Jaxpr) -> tuple[Jaxpr, list[Any]]:
    if isinstance(closed, ClosedJaxpr):
        return closed.jaxpr, closed.consts
    return closed, []


_SYMBOL_BAD = re.compile(r"[^A-Za-z0-9_]")


def _symbol(name: str) -> str:
    name = _SYMBOL_BAD.sub("_", name) or "fn"
    return name if not name[0].isdigit() else "_" + name


# -- lowering a jaxpr ------------------------------------------------------------------------


def lower_jaxpr(module: ModuleBuilder, block: Block, jaxpr: Jaxpr,
                consts: Sequence[Value], args: Sequence[Value]) -> list[Value]:
    """Emit ``jaxpr``'s equations into ``block``; returns the values of its outputs."""
    env: dict[Any, Value] = {}
    for v, x in zip(jaxpr.constvars, consts):
        env[v] = x
    for v, x in zip(jaxpr.invars, args):
        env[v] = x
    for eqn in jaxpr.eqns:
        ctx = None
        ins = []
        for a in eqn.invars:
            if type(a) is Literal:
                if ctx is None:
                    ctx = LoweringRuleContext(module, block, (), ())
                ins.append(ctx.constant(a.val, a.aval.dtype))
            else:
                ins.append(env[a])
        prim = eqn.primitive
        outs = lower_equation(module, block, prim, ins, [v.aval for v in eqn.outvars],
                              eqn.params)
        for v, x in zip(eqn.outvars, outs):
            if type(v) is not DropVar:
                env[v] = x
    out = []
    for a in jaxpr.outvars:
        if type(a) is Literal:
            out.append(LoweringRuleContext(module, block, (), ()).constant(a.val, a.aval.dtype))
        else:
            out.append(env[a])
    return out


def lower_equation(module: ModuleBuilder, block: Block, prim: Any, args: Sequence[Value],
                   avals_out: Sequence[ShapedArray], params: dict) -> list[Value]:
    """Lower one application of ``prim`` (its rule, else its decomposition)."""
    avals_in = [a.aval for a in args]
    ctx = LoweringRuleContext(module, block, avals_in, avals_out)
    rule = module.rule_for(prim)
    if rule is None:
        decomposition = _decompositions.get(prim)
        if decomposition is None:
            raise MissingLoweringError(prim)
        return _lower_decomposition(ctx, prim, decomposition, args, params)
    out = rule(ctx, *args, **params)
    outs = list(out) if prim.multiple_results else [out]
    if len(outs) != len(avals_out):
        raise LoweringError(f"the xla lowering of {prim.name} returned {len(outs)} values, "
                            f"expected {len(avals_out)}")
    for value, aval in zip(outs, avals_out):
        if not isinstance(value, Value) or value.aval.shape != aval.shape or \
                value.aval.dtype != aval.dtype:
            got = value.type if isinstance(value, Value) else repr(value)
            raise LoweringError(f"the xla lowering of {prim.name} returned {got}, expected "
                                f"{hlo.aval_type(aval)}")
    return outs


def _lower_decomposition(ctx: LoweringRuleContext, prim: Any, decomposition: Callable,
                         args: Sequence[Value], params: dict) -> list[Value]:
    def flat(*xs: Any) -> list[Any]:
        out = decomposition(*xs, **params)
        return list(out) if prim.multiple_results else [out]

    jaxpr, consts = trace_to_jaxpr(flat, ctx.avals_in)
    return ctx.lower_jaxpr(jaxpr, consts, args)


# -- the context rules see -------------------------------------------------------------------


class LoweringRuleContext:
    """What a lowering rule gets as ``ctx``: the equation's avals and ways to emit ops."""

    __slots__ = ("module", "block", "avals_in", "avals_out")

    def __init__(self, module: ModuleBuilder, block: Block, avals_in: Sequence[ShapedArray],
                 avals_out: Sequence[ShapedArray]):
        self.module = module
        self.block = block
        self.avals_in = avals_in
        self.avals_out = avals_out

    @property
    def platform(self) -> str:
        return self.module.platform

    @property
    def aval_out(self) -> ShapedArray:
        return self.avals_out[0]

    # -- emitting operations -----------------------------------------------------------------

    def op(self, name: str, operands: Sequence[Value], result: Any = None,
           attrs: dict[str, str] | None = None, regions: Sequence[str] = ()) -> Value:
        """Emit one operation with one result (of aval ``result``; default: the equation's
        only output) in the generic syntax; ``attrs`` maps names to attribute text."""
        aval = self.avals_out[0] if result is None else _as_aval(result)
        return self._emit(name, operands, [aval], attrs, regions)[0]

    def op_multi(self, name: str, operands: Sequence[Value], results: Sequence[Any] | None = None,
                 attrs: dict[str, str] | None = None, regions: Sequence[str] = ()) -> list[Value]:
        """Emit one operation with any number of results (default: the equation's outputs)."""
        avals = list(self.avals_out) if results is None else [_as_aval(r) for r in results]
        return self._emit(name, operands, avals, attrs, regions)

    def _emit(self, name: str, operands: Sequence[Value], avals: Sequence[ShapedArray],
              attrs: dict[str, str] | None, regions: Sequence[str]) -> list[Value]:
        block = self.block
        in_types = ", ".join(x.type for x in operands)
        names = ", ".join(x.name for x in operands)
        region_text = f" ({', '.join(regions)})" if regions else ""
        attr_text = hlo.attr_dict(attrs)
        if len(avals) == 1:
            result = block.fresh()
            out = [Value(result, avals[0])]
            out_types = out[0].type
            lhs = f"{result} = "
        elif avals:
            result = block.fresh()
            out = [Value(f"{result}#{i}", a) for i, a in enumerate(avals)]
            out_types = "(" + ", ".join(v.type for v in out) + ")"
            lhs = f"{result}:{len(avals)} = "
        else:
            out, out_types, lhs = [], "()", ""
        block.lines.append(f'{block.indent}{lhs}"{name}"({names}){region_text}{attr_text} : '
                           f"({in_types}) -> {out_types}")
        return out

    def region(self, arg_avals: Sequence[Any],
               body: Callable[..., Sequence[Value] | Value]) -> str:
        """Text of a one-block region taking arguments of ``arg_avals``: ``body(ctx, *args)``
        emits into it and returns the values the region yields (``stablehlo.return``)."""
        block = Block(self.block.fn, self.block.indent + "  ")
        args = []
        for a in arg_avals:
            args.append(Value(block.fresh(), _as_aval(a)))
        inner = LoweringRuleContext(self.module, block, [a.aval for a in args], ())
        outs = body(inner, *args)
        if isinstance(outs, Value):
            outs = [outs]
        ret_names = ", ".join(o.name for o in outs)
        ret_types = ", ".join(o.type for o in outs)
        block.lines.append(f'{block.indent}"stablehlo.return"({ret_names}) : ({ret_types}) -> ()')
        header = ", ".join(f"{a.name}: {a.type}" for a in args)
        outer = self.block.indent
        return "{\n" + f"{outer}^bb0({header}):\n" + "\n".join(block.lines) + f"\n{outer}}}"

    def while_loop(self, init: Sequence[Value],
                   cond: Callable[..., Value],
                   body: Callable[..., Sequence[Value]]) -> list[Value]:
        """``stablehlo.while``: ``cond(ctx, *state)`` gives a scalar bool, ``body(ctx,
        *state)`` the next state (same types); returns the final state."""
        avals = [v.aval for v in init]
        cond_region = self.region(avals, cond)
        body_region = self.region(avals, body)
        return self.op_multi("stablehlo.while", list(init), avals, None,
                             [cond_region, body_region])

    def reduce_all(self, x: Value, op: str = "stablehlo.and") -> Value:
        """A scalar: ``op`` (and/or/add...) over every element of ``x``."""
        scalar = ShapedArray((), x.dtype)
        if not x.shape:
            return x
        init = self.constant(True if op == "stablehlo.and" else 0, x.dtype)
        region = self.region([scalar, scalar], lambda c, a, b: [c.binary(op, a, b)])
        return self.op("stablehlo.reduce", [x, init], scalar,
                       {"dimensions": hlo.i64_array(range(len(x.shape)))}, [region])

    # -- common operations -------------------------------------------------------------------

    def constant(self, value: Any, dtype: Any = None, shape: Sequence[int] | None = None) -> Value:
        """A constant: ``value`` (scalar or array) as ``dtype``, broadcast to ``shape``."""
        array = np.asarray(value, dtype=dtype) if dtype is not None else np.asarray(value)
        if shape is not None and tuple(shape) != array.shape:
            if array.size == 1:
                array = array.reshape(())
                scalar = self.constant(array)
                return self.broadcast(scalar, shape)
            array = np.broadcast_to(array, tuple(shape))
        key = None
        if array.size <= 16:
            key = (array.dtype, array.shape, array.tobytes())
            cached = self.block.consts.get(key)
            if cached is not None:
                return cached
        aval = ShapedArray(array.shape, array.dtype)
        out = self.op("stablehlo.constant", [], aval,
                      {"value": hlo.dense_elements(array, hlo.aval_type(aval))})
        if key is not None:
            self.block.consts[key] = out
        return out

    def zeros_like(self, x: Value) -> Value:
        return self.constant(0, x.dtype, x.shape)

    def full(self, shape: Sequence[int], value: Any, dtype: Any) -> Value:
        return self.constant(value, dtype, shape)

    def broadcast_in_dim(self, x: Value, shape: Sequence[int], dims: Sequence[int]) -> Value:
        shape = tuple(shape)
        if x.shape == shape and tuple(dims) == tuple(range(len(shape))):
            return x
        return self.op("stablehlo.broadcast_in_dim", [x], ShapedArray(shape, x.dtype),
                       {"broadcast_dimensions": hlo.i64_array(dims)})

    def broadcast(self, x: Value, shape: Sequence[int]) -> Value:
        """``x`` broadcast NumPy-style (trailing dimensions aligned, size-1 stretched)."""
        shape = tuple(shape)
        if x.shape == shape:
            return x
        offset = len(shape) - len(x.shape)
        return self.broadcast_in_dim(x, shape, range(offset, len(shape)))

    def convert(self, x: Value, dtype: Any) -> Value:
        dtype = np.dtype(dtype)
        if x.dtype == dtype:
            return x
        return self.op("stablehlo.convert", [x], ShapedArray(x.shape, dtype))

    def reshape(self, x: Value, shape: Sequence[int]) -> Value:
        shape = tuple(shape)
        if x.shape == shape:
            return x
        return self.op("stablehlo.reshape", [x], ShapedArray(shape, x.dtype))

    def transpose(self, x: Value, perm: Sequence[int]) -> Value:
        perm = tuple(perm)
        if perm == tuple(range(len(perm))):
            return x
        shape = tuple(x.shape[p] for p in perm)
        return self.op("stablehlo.transpose", [x], ShapedArray(shape, x.dtype),
                       {"permutation": hlo.i64_array(perm)})

    def compare(self, x: Value, y: Value, direction: str, kind: str | None = None) -> Value:
        kind = kind or hlo.comparison_type_for(x.dtype)
        return self.op("stablehlo.compare", [x, y], ShapedArray(x.shape, np.dtype(np.bool_)),
                       {"comparison_direction": hlo.comparison_direction(direction),
                        "compare_type": hlo.comparison_type(kind)})

    def select(self, pred: Value, on_true: Value, on_false: Value) -> Value:
        return self.op("stablehlo.select", [pred, on_true, on_false], on_true.aval)

    def unary(self, name: str, x: Value, dtype: Any = None) -> Value:
        aval = x.aval if dtype is None else ShapedArray(x.shape, np.dtype(dtype))
        return self.op(name, [x], aval.strip_weak_type())

    def binary(self, name: str, x: Value, y: Value, dtype: Any = None) -> Value:
        aval = ShapedArray(x.shape, x.dtype if dtype is None else np.dtype(dtype))
        return self.op(name, [x, y], aval)

    def add(self, x: Value, y: Value) -> Value:
        return self.binary("stablehlo.add", x, y)

    def sub(self, x: Value, y: Value) -> Value:
        return self.binary("stablehlo.subtract", x, y)

    def mul(self, x: Value, y: Value) -> Value:
        return self.binary("stablehlo.multiply", x, y)

    def div(self, x: Value, y: Value) -> Value:
        return self.binary("stablehlo.divide", x, y)

    def max(self, x: Value, y: Value) -> Value:
        return self.binary("stablehlo.maximum", x, y)

    def min(self, x: Value, y: Value) -> Value:
        return self.binary("stablehlo.minimum", x, y)

    def and_(self, x: Value, y: Value) -> Value:
        return self.binary("stablehlo.and", x, y)

    def or_(self, x: Value, y: Value) -> Value:
        return self.binary("stablehlo.or", x, y)

    def not_(self, x: Value) -> Value:
        return self.unary("stablehlo.not", x)

    def neg(self, x: Value) -> Value:
        return self.unary("stablehlo.negate", x)

    def abs(self, x: Value) -> Value:
        return self.unary("stablehlo.abs", x, real_dtype(x.dtype))

    def is_nan(self, x: Value) -> Value:
        return self.compare(x, x, "NE", "FLOAT")

    def iota(self, shape: Sequence[int], dtype: Any, dimension: int) -> Value:
        return self.op("stablehlo.iota", [], ShapedArray(tuple(shape), np.dtype(dtype)),
                       {"iota_dimension": hlo.i64_attr(dimension)})

    def slice(self, x: Value, start: Sequence[int], limit: Sequence[int],
              strides: Sequence[int] | None = None) -> Value:
        strides = tuple(strides) if strides is not None else (1,) * len(start)
        shape = tuple(max(0, -(-(hi - lo) // s)) for lo, hi, s in zip(start, limit, strides))
        return self.op("stablehlo.slice", [x], ShapedArray(shape, x.dtype),
                       {"start_indices": hlo.i64_array(start),
                        "limit_indices": hlo.i64_array(limit),
                        "strides": hlo.i64_array(strides)})

    def concatenate(self, xs: Sequence[Value], dimension: int) -> Value:
        shape = list(xs[0].shape)
        shape[dimension] = sum(x.shape[dimension] for x in xs)
        return self.op("stablehlo.concatenate", list(xs), ShapedArray(tuple(shape), xs[0].dtype),
                       {"dimension": hlo.i64_attr(dimension)})

    # -- composing -----------------------------------------------------------------------------

    def lower_jaxpr(self, jaxpr: Jaxpr | ClosedJaxpr, consts: Sequence[Any],
                    args: Sequence[Value]) -> list[Value]:
        """Lower ``jaxpr`` inline on ``args``; ``consts`` are concrete values (or Values)."""
        if isinstance(jaxpr, ClosedJaxpr):
            jaxpr, consts = jaxpr.jaxpr, jaxpr.consts
        const_values = [c if isinstance(c, Value) else
                        self.constant(np.asarray(host_value(c)), v.aval.dtype)
                        for v, c in zip(jaxpr.constvars, consts)]
        return lower_jaxpr(self.module, self.block, jaxpr, const_values, args)

    def lower_fun(self, fun: Callable[..., Any], *args: Value,
                  multiple_results: bool = False) -> Any:
        """Trace ``fun`` (written with kiln.lax) on the avals of ``args`` and lower it inline:
        a rule can be written in terms of other primitives."""
        def flat(*xs: Any) -> list[Any]:
            out = fun(*xs)
            return list(out) if multiple_results else [out]

        jaxpr, consts = trace_to_jaxpr(flat, [a.aval for a in args])
        outs = self.lower_jaxpr(jaxpr, consts, args)
        return outs if multiple_results else outs[0]

    def call(self, closed: ClosedJaxpr, args: Sequence[Value], name: str) -> list[Value]:
        """``func.call`` of a private function computing ``closed`` (written once)."""
        symbol = self.module.function_for(closed, name)
        avals = closed.out_avals if isinstance(closed, ClosedJaxpr) else \
            [v.aval for v in closed.outvars]
        return self.op_multi("func.call", args, [a.strip_weak_type() for a in avals],
                             {"callee": f"@{symbol}"})

    def lower_equation(self, prim: Any, args: Sequence[Value], avals_out: Sequence[Any],
                       **params: Any) -> list[Value]:
        """Lower another primitive applied to ``args`` (its rule or decomposition)."""
        return lower_equation(self.module, self.block, prim, args,
                              [_as_aval(a) for a in avals_out], params)


# -- lowering a whole computation ------------------------------------------------------------


class LoweredModule:
    """The StableHLO text of one computation, and what running it needs."""

    __slots__ = ("text", "hoisted", "const_avals", "in_avals", "out_avals", "donated",
                 "unused_donations")

    def __init__(self, text: str, in_avals: list[ShapedArray], out_avals: list[ShapedArray],
                 hoisted: Sequence[int] = (), const_avals: Sequence[ShapedArray] = (),
                 donated: tuple[int, ...] = (), unused_donations: Sequence[ShapedArray] = ()):
        self.text = text
        self.hoisted = list(hoisted)  # positions of the consts passed as leading arguments
        self.const_avals = list(const_avals)  # and their avals
        self.in_avals = in_avals
        self.out_avals = out_avals
        self.donated = donated  # argument positions whose buffers the executable reuses
        self.unused_donations = list(unused_donations)


HOIST_CONST_BYTES = 1024  # larger jaxpr consts are passed as arguments, not written inline


def lower_closed_jaxpr(closed: ClosedJaxpr, name: str, platform: str,
                       donate_argnums: Sequence[int] = ()) -> LoweredModule:
    """``closed`` as a module whose ``@main`` takes (large consts..., args...)."""
    jaxpr, consts = closed.jaxpr, closed.consts
    hoisted = [i for i, c in enumerate(consts) if _nbytes(c, jaxpr.constvars[i].aval)
               > HOIST_CONST_BYTES]
    module = ModuleBuilder(f"jit_{name}", platform)
    in_avals = [v.aval for v in jaxpr.invars]
    out_avals = [v.aval for v in jaxpr.outvars]
    arg_attrs, donated, unused = _donation_attributes(in_avals, out_avals, donate_argnums)
    main = module.write_function("main", jaxpr, consts, visibility="public",
                                 arg_attrs=arg_attrs, hoisted=hoisted)
    const_avals = [jaxpr.constvars[i].aval for i in hoisted]
    return LoweredModule(module.module_text(main), in_avals, out_avals, hoisted, const_avals,
                         donated, unused)


def _nbytes(x: Any, aval: ShapedArray) -> int:
    return aval.size * aval.dtype.itemsize


def _donation_attributes(in_avals: Sequence[ShapedArray], out_avals: Sequence[ShapedArray],
                         donate: Sequence[int]) -> tuple[list[str], tuple[int, ...], list]:
    """Alias each donated argument with an output of the same shape and dtype (as JAX does);
    donations no output can use are reported, not made."""
    attrs = [""] * len(in_avals)
    if not donate:
        return attrs, (), []
    free = list(range(len(out_avals)))
    donated, unused = [], []
    for i in sorted(set(donate)):
        if not 0 <= i < len(in_avals):
            continue
        a = in_avals[i]
        match = next((j for j in free if out_avals[j].shape == a.shape
                      and out_avals[j].dtype == a.dtype), None)
        if match is None:
            unused.append(a)
            continue
        free.remove(match)
        attrs[i] = f" {{tf.aliasing_output = {match} : i32}}"
        donated.append(i)
    return attrs, tuple(donated), unused


def lower_primitive(prim: Any, avals_in: Sequence[ShapedArray], avals_out: Sequence[ShapedArray],
                    params: dict, platform: str) -> str:
    """A module whose ``@main`` applies ``prim`` once (eager execution)."""
    module = ModuleBuilder(prim.name, platform)
    fn = _Function()
    block = Block(fn, "    ")
    args = [Value(f"%arg{i}", a) for i, a in enumerate(avals_in)]
    outs = lower_equation(module, block, prim, args, avals_out, params)
    out_types = ", ".join(o.type for o in outs)
    block.lines.append(f'    "func.return"({", ".join(o.name for o in outs)}) : ({out_types}) '
                       "-> ()")
    params_text = ", ".join(f"{a.name}: {a.type}" for a in args)
    main = "\n".join([f"  func.func public @main({params_text}) -> ({out_types}) {{",
                      *block.lines, "  }"])
    return module.module_text(main)


def real_dtype(dtype: Any) -> np.dtype:
    """The dtype of the real part: float32 for complex64, float64 for complex128."""
    dtype = np.dtype(dtype)
    if dtype == np.complex64:
        return np.dtype(np.float32)
    if dtype == np.complex128:
        return np.dtype(np.float64)
    return dtype
