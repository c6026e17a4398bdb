"""Cumulative reductions along one axis: a ``stablehlo.reduce_window`` whose window covers
every earlier element (later ones, when ``reverse``), as JAX lowers them on CPU and GPU. The
window's body is the monoid's combiner (add, multiply, max, min, or logaddexp, which for
complex numbers shifts by the operand of larger real part, as the NumPy impl does)."""

from __future__ import annotations

from typing import Any

import numpy as np

from kiln.compiler import hlo
from kiln.compiler.lowering import LoweringRuleContext, Value, real_dtype
from kiln.compiler.rules import register_family
from kiln.compiler.rules.reductions import MONOIDS
from kiln.core import dtypes
from kiln.core.abstract import ShapedArray


def logaddexp(c: LoweringRuleContext, a: Value, b: Value) -> Value:
    """log(exp(a) + exp(b)), without overflow; NaN if either is NaN."""
    if dtypes.is_complex(a.dtype):
        rdt = real_dtype(a.dtype)
        ra, rb = c.unary("stablehlo.real", a, rdt), c.unary("stablehlo.real", b, rdt)
        a_big = c.compare(ra, rb, "GE", "FLOAT")
        big, small = c.select(a_big, a, b), c.select(a_big, b, a)
        shifted = c.add(big, c.unary("stablehlo.log_plus_one",
                                     c.unary("stablehlo.exponential", c.sub(small, big))))
        big_real = c.unary("stablehlo.real", big, rdt)
        neg_inf = c.compare(big_real, c.constant(-np.inf, rdt), "EQ", "FLOAT")
        return c.select(neg_inf, big, shifted)
    big = c.max(a, b)
    delta = c.sub(a, b)
    tail = c.unary("stablehlo.log_plus_one",
                   c.unary("stablehlo.exponential", c.neg(c.unary("stablehlo.abs", delta))))
    return c.select(c.is_nan(delta), c.add(a, b), c.add(big, tail))


def _logaddexp_identity(dtype: np.dtype) -> Any:
    return complex(-np.inf, 0) if dtypes.is_complex(dtype) else -np.inf


def cumulative(ctx: LoweringRuleContext, x: Value, axis: int, reverse: bool,
               monoid: str) -> Value:
    if monoid == "logaddexp":
        combine, identity = logaddexp, _logaddexp_identity
    else:
        combine, identity = MONOIDS[monoid]
    n = x.shape[axis]
    if n <= 1:
        return x
    rank = len(x.shape)
    window = [1] * rank
    window[axis] = n
    padding = [[0, 0] for _ in range(rank)]
    padding[axis] = [0, n - 1] if reverse else [n - 1, 0]
    init = ctx.constant(identity(x.dtype), x.dtype)
    scalar = ShapedArray((), x.dtype)
    region = ctx.region([scalar, scalar], lambda c, a, b: [combine(c, a, b)])
    flat = [p for pair in padding for p in pair]
    return ctx.op("stablehlo.reduce_window", [x, init], x.aval, {
        "window_dimensions": hlo.i64_array(window),
        "window_strides": hlo.i64_array([1] * rank),
        "base_dilations": hlo.i64_array([1] * rank),
        "window_dilations": hlo.i64_array([1] * rank),
        "padding": hlo.dense_i64(flat, (rank, 2)),
    }, [region])


def _rule(monoid: str) -> Any:
    def rule(ctx: LoweringRuleContext, x: Value, *, axis: int, reverse: bool = False,
             **_: Any) -> Value:
        return cumulative(ctx, x, axis, reverse, monoid)

    return rule


RULES: dict[str, Any] = {
    "cumsum": _rule("reduce_sum"), "cumprod": _rule("reduce_prod"),
    "cummax": _rule("reduce_max"), "cummin": _rule("reduce_min"),
    "cumlogsumexp": _rule("logaddexp"),
}

REGISTERED = register_family("cumulative", RULES)
