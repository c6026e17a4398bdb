"""Reductions: the monoid reductions (one ``stablehlo.reduce`` each, a table row per
primitive), argmax/argmin (a variadic reduce over values and indices), and the generic
``reduce`` whose computation is a jaxpr lowered into the reduce's body."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kiln.compiler import hlo
from kiln.compiler.lowering import LoweringRuleContext, Value
from kiln.compiler.rules import register_family
from kiln.compiler.rules.elementwise import complex_max_min
from kiln.core import dtypes
from kiln.core.abstract import ShapedArray


def _supports_inf(dtype: np.dtype) -> bool:
    return bool(np.isinf(np.array(np.inf, np.float32).astype(dtype).astype(np.float32)))


def max_identity(dtype: np.dtype) -> Any:
    if dtypes.is_complex(dtype):
        return complex(-np.inf, 0)
    if dtypes.is_float(dtype):
        return -np.inf if _supports_inf(dtype) else dtypes.finfo(dtype).min
    if dtypes.is_int(dtype):
        return dtypes.iinfo(dtype).min
    return False


def min_identity(dtype: np.dtype) -> Any:
    if dtypes.is_complex(dtype):
        return complex(np.inf, 0)
    if dtypes.is_float(dtype):
        return np.inf if _supports_inf(dtype) else dtypes.finfo(dtype).max
    if dtypes.is_int(dtype):
        return dtypes.iinfo(dtype).max
    return True


def _combiner(op: str) -> Callable[[LoweringRuleContext, Value, Value], Value]:
    def combine(ctx: LoweringRuleContext, a: Value, b: Value) -> Value:
        if op in ("max", "min"):
            if dtypes.is_complex(a.dtype):
                return complex_max_min(ctx, a, b, "GT" if op == "max" else "LT")
            return ctx.binary("stablehlo.maximum" if op == "max" else "stablehlo.minimum", a, b)
        return ctx.binary(op, a, b)

    return combine


# name -> (combiner, identity of the operand dtype)
MONOIDS: dict[str, tuple[Callable, Callable[[np.dtype], Any]]] = {
    "reduce_sum": (_combiner("stablehlo.add"), lambda dt: 0),
    "reduce_prod": (_combiner("stablehlo.multiply"), lambda dt: 1),
    "reduce_max": (_combiner("max"), max_identity),
    "reduce_min": (_combiner("min"), min_identity),
    "reduce_and": (_combiner("stablehlo.and"), lambda dt: np.array(-1).astype(dt)[()]),
    "reduce_or": (_combiner("stablehlo.or"), lambda dt: 0),
    "reduce_xor": (_combiner("stablehlo.xor"), lambda dt: 0),
}


def reduce(ctx: LoweringRuleContext, operands: Sequence[Value], inits: Sequence[Value],
           axes: Sequence[int], body: Callable[..., Sequence[Value]]) -> list[Value]:
    """``stablehlo.reduce`` of ``operands`` over ``axes``; ``body(ctx, *accs, *xs)`` combines
    scalars (accumulators first)."""
    shape = operands[0].shape
    out_shape = tuple(d for i, d in enumerate(shape) if i not in set(axes))
    scalar_avals = [ShapedArray((), x.dtype) for x in operands]
    region = ctx.region(scalar_avals + scalar_avals, body)
    return ctx.op_multi("stablehlo.reduce", [*operands, *inits],
                        [ShapedArray(out_shape, x.dtype) for x in operands],
                        {"dimensions": hlo.i64_array(sorted(axes))}, [region])


def _monoid_rule(name: str) -> Any:
    combine, identity = MONOIDS[name]

    def rule(ctx: LoweringRuleContext, x: Value, *, axes: Sequence[int], **_: Any) -> Value:
        if not axes:
            return x
        init = ctx.constant(identity(x.dtype), x.dtype)
        (out,) = reduce(ctx, [x], [init], axes, lambda c, a, b: [combine(c, a, b)])
        return out

    return rule


def argminmax(ctx: LoweringRuleContext, x: Value, axis: int, index_dtype: Any,
              direction: str) -> Value:
    """The index of the first maximum (GT) or minimum (LT) along ``axis``; a NaN counts as
    the extremum (the first NaN wins)."""
    index_dtype = np.dtype(index_dtype)
    if dtypes.is_complex(x.dtype):  # as JAX: traceable, but XLA has no complex comparison
        name = "argmax" if direction == "GT" else "argmin"
        raise TypeError(f"{name} does not accept dtype {x.dtype.name} at position 0. Accepted "
                        "dtypes at position 0 are subtypes of integer, floating, bool.")
    iota = ctx.iota(x.shape, index_dtype, axis)
    identity = max_identity(x.dtype) if direction == "GT" else min_identity(x.dtype)
    inits = [ctx.constant(identity, x.dtype), ctx.constant(0, index_dtype)]
    floating = dtypes.is_inexact(x.dtype)

    def body(c: LoweringRuleContext, acc: Value, acc_i: Value, op: Value,
             op_i: Value) -> list[Value]:
        better = c.compare(op, acc, direction)
        same = c.compare(op, acc, "EQ")
        if floating:
            op_nan, acc_nan = c.is_nan(op), c.is_nan(acc)
            better = c.or_(better, c.and_(op_nan, c.not_(acc_nan)))
            same = c.or_(same, c.and_(op_nan, acc_nan))
        earlier = c.compare(op_i, acc_i, "LT")
        take = c.or_(better, c.and_(same, earlier))
        return [c.select(take, op, acc), c.select(take, op_i, acc_i)]

    region = ctx.region([ShapedArray((), x.dtype), ShapedArray((), index_dtype)] * 2,
                        lambda c, a, ai, o, oi: body(c, a, ai, o, oi))
    out_shape = x.shape[:axis] + x.shape[axis + 1:]
    _, index = ctx.op_multi("stablehlo.reduce", [x, iota, *inits],
                            [ShapedArray(out_shape, x.dtype), ShapedArray(out_shape, index_dtype)],
                            {"dimensions": hlo.i64_array([axis])}, [region])
    return index


def _argmax(ctx: LoweringRuleContext, x: Value, *, axes: Sequence[int], index_dtype: Any,
            **_: Any) -> Value:
    return argminmax(ctx, x, axes[0], index_dtype, "GT")


def _argmin(ctx: LoweringRuleContext, x: Value, *, axes: Sequence[int], index_dtype: Any,
            **_: Any) -> Value:
    return argminmax(ctx, x, axes[0], index_dtype, "LT")


def _reduce(ctx: LoweringRuleContext, *args: Value, jaxpr: Any, dimensions: Sequence[int],
            **_: Any) -> list[Value]:
    n = len(args) // 2
    operands, inits = args[:n], args[n:]

    def body(c: LoweringRuleContext, *scalars: Value) -> list[Value]:
        return c.lower_jaxpr(jaxpr, (), scalars)

    return reduce(ctx, operands, inits, dimensions, body)


RULES: dict[str, Any] = {name: _monoid_rule(name) for name in MONOIDS}
RULES.update({"argmax": _argmax, "argmin": _argmin, "reduce": _reduce})

REGISTERED = register_family("reductions", RULES)
