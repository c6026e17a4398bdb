"""Sorting: ``sort`` (a ``stablehlo.sort`` whose comparator orders floats with NaNs last and
-0.0 equal to +0.0, complex numbers by (real, imaginary), several keys lexicographically),
``top_k`` (``chlo.top_k`` along the last axis) and ``approx_top_k`` (computed exactly: a
stable sort of (value, index) in the IEEE total order, then a slice)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kiln.compiler import hlo
from kiln.compiler.lowering import LoweringRuleContext, Value, real_dtype
from kiln.compiler.rules import register_family
from kiln.core import dtypes
from kiln.core.abstract import ShapedArray


def _canonical_float(c: LoweringRuleContext, x: Value) -> Value:
    """-0.0 as +0.0 and every NaN as one NaN, so the total order sorts NaNs last and does
    not separate the zeros."""
    zero = c.constant(0, x.dtype)
    x = c.select(c.compare(x, zero, "EQ", "FLOAT"), zero, x)
    return c.select(c.is_nan(x), c.constant(np.nan, x.dtype), x)


def sort_keys(c: LoweringRuleContext, x: Value) -> list[tuple[Value, str]]:
    """(key, comparison type) pairs whose lexicographic order is ``sort``'s order of x."""
    if dtypes.is_complex(x.dtype):
        rdt = real_dtype(x.dtype)
        parts = [c.unary("stablehlo.real", x, rdt), c.unary("stablehlo.imag", x, rdt)]
        return [(_canonical_float(c, p), "TOTALORDER") for p in parts]
    if dtypes.is_float(x.dtype):
        return [(_canonical_float(c, x), "TOTALORDER")]
    return [(x, hlo.comparison_type_for(x.dtype))]


def lexicographic_less(c: LoweringRuleContext, lhs: Sequence[tuple[Value, str]],
                       rhs: Sequence[tuple[Value, str]], direction: str = "LT") -> Value:
    result = None
    for (a, kind), (b, _) in reversed(list(zip(lhs, rhs))):
        less = c.compare(a, b, direction, kind)
        if result is None:
            result = less
        else:
            result = c.or_(less, c.and_(c.compare(a, b, "EQ", kind), result))
    return result


def sort(ctx: LoweringRuleContext, operands: Sequence[Value], dimension: int, num_keys: int,
         comparator: Any = None, is_stable: bool = True) -> list[Value]:
    scalars = []
    for x in operands:
        scalars += [ShapedArray((), x.dtype)] * 2

    def default(c: LoweringRuleContext, *args: Value) -> Value:
        lhs = [k for i in range(num_keys) for k in sort_keys(c, args[2 * i])]
        rhs = [k for i in range(num_keys) for k in sort_keys(c, args[2 * i + 1])]
        return lexicographic_less(c, lhs, rhs)

    region = ctx.region(scalars, comparator or default)
    return ctx.op_multi("stablehlo.sort", list(operands), [x.aval for x in operands],
                        {"dimension": hlo.i64_attr(dimension),
                         "is_stable": hlo.bool_attr(is_stable)}, [region])


def _sort(ctx: LoweringRuleContext, *operands: Value, dimension: int, is_stable: bool = True,
          num_keys: int = 1, **_: Any) -> list[Value]:
    return sort(ctx, operands, dimension, num_keys)


def _moved_last(ctx: LoweringRuleContext, x: Value, axis: int) -> tuple[Value, list[int]]:
    perm = [d for d in range(len(x.shape)) if d != axis] + [axis]
    return ctx.transpose(x, perm), perm


def _moved_back(ctx: LoweringRuleContext, x: Value, perm: list[int]) -> Value:
    inverse = [perm.index(d) for d in range(len(perm))]
    return ctx.transpose(x, inverse)


def _top_k(ctx: LoweringRuleContext, x: Value, *, k: int, axis: int = -1,
           **_: Any) -> list[Value]:
    axis = axis % len(x.shape)
    moved, perm = _moved_last(ctx, x, axis)
    shape = moved.shape[:-1] + (k,)
    values, indices = ctx.op_multi("chlo.top_k", [moved],
                                   [ShapedArray(shape, x.dtype), ShapedArray(shape, np.int32)],
                                   {"k": hlo.i64_attr(k)})
    return [_moved_back(ctx, values, perm), _moved_back(ctx, indices, perm)]


def total_order_top(ctx: LoweringRuleContext, x: Value, count: int, axis: int,
                    largest: bool) -> list[Value]:
    """The ``count`` largest (smallest) elements along ``axis`` in the IEEE total order and
    their int32 indices, the lower index first among equals."""
    iota = ctx.iota(x.shape, np.int32, axis)
    kind = "TOTALORDER" if dtypes.is_float(x.dtype) else hlo.comparison_type_for(x.dtype)

    def comparator(c: LoweringRuleContext, a: Value, b: Value, ia: Value, ib: Value) -> Value:
        return c.compare(a, b, "GT" if largest else "LT", kind)

    values, indices = sort(ctx, [x, iota], axis, 1, comparator, is_stable=True)
    start = [0] * len(x.shape)
    limit = list(x.shape)
    limit[axis] = count
    return [ctx.slice(values, start, limit), ctx.slice(indices, start, limit)]


def _approx_top_k(ctx: LoweringRuleContext, x: Value, *, k: int, reduction_dimension: int,
                  is_max_k: bool = True, **_: Any) -> list[Value]:
    axis = reduction_dimension % len(x.shape)
    count = ctx.avals_out[0].shape[axis]
    return total_order_top(ctx, x, count, axis, is_max_k)


RULES: dict[str, Any] = {"sort": _sort, "top_k": _top_k, "approx_top_k": _approx_top_k}

REGISTERED = register_family("sorting", RULES)
