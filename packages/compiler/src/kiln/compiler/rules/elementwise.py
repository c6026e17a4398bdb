"""Elementwise primitives. Most are one StableHLO (or CHLO) op: a row of ``OPS``. Operands
are broadcast to the result shape first (kiln's elementwise primitives broadcast rank-0
operands and size-1 dimensions). The rest have small rules below, written to give the results
JAX gives (NaN-propagating max/min, truncating integer division, fmod remainder, XLA's shifts
and saturating float->int conversion: JAX lowers to the same ops)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from kiln.compiler import hlo
from kiln.compiler.lowering import NAMED_RULES, LoweringRuleContext, Value, real_dtype
from kiln.compiler.rules import register_family
from kiln.core import dtypes
from kiln.core.abstract import ShapedArray

# primitive name -> StableHLO/CHLO op applied to the (broadcast) operands
OPS = {
    # unary
    "neg": "stablehlo.negate", "floor": "stablehlo.floor", "ceil": "stablehlo.ceil",
    "is_finite": "stablehlo.is_finite", "exp": "stablehlo.exponential",
    "log": "stablehlo.log", "log1p": "stablehlo.log_plus_one",
    "expm1": "stablehlo.exponential_minus_one", "tanh": "stablehlo.tanh",
    "logistic": "stablehlo.logistic", "sin": "stablehlo.sine", "cos": "stablehlo.cosine",
    "tan": "stablehlo.tan", "asin": "chlo.asin", "acos": "chlo.acos", "atan": "chlo.atan",
    "sinh": "chlo.sinh", "cosh": "chlo.cosh", "asinh": "chlo.asinh", "acosh": "chlo.acosh",
    "atanh": "chlo.atanh", "sqrt": "stablehlo.sqrt", "rsqrt": "stablehlo.rsqrt",
    "cbrt": "stablehlo.cbrt", "not": "stablehlo.not", "real": "stablehlo.real",
    "imag": "stablehlo.imag", "lgamma": "chlo.lgamma", "digamma": "chlo.digamma",
    "erf": "chlo.erf", "erfc": "chlo.erfc", "erf_inv": "chlo.erf_inv",
    "bessel_i1e": "chlo.bessel_i1e", "population_count": "stablehlo.popcnt",
    "clz": "stablehlo.count_leading_zeros",
    # binary
    "add": "stablehlo.add", "sub": "stablehlo.subtract", "mul": "stablehlo.multiply",
    "div": "stablehlo.divide", "rem": "stablehlo.remainder", "atan2": "stablehlo.atan2",
    "nextafter": "chlo.next_after", "and": "stablehlo.and", "or": "stablehlo.or",
    "xor": "stablehlo.xor", "shift_left": "stablehlo.shift_left",
    "shift_right_arithmetic": "stablehlo.shift_right_arithmetic",
    "shift_right_logical": "stablehlo.shift_right_logical", "complex": "stablehlo.complex",
    "polygamma": "chlo.polygamma", "zeta": "chlo.zeta",
}

COMPARISONS = {"eq": "EQ", "ne": "NE", "lt": "LT", "le": "LE", "gt": "GT", "ge": "GE"}


def broadcast_operands(ctx: LoweringRuleContext, args: Sequence[Value],
                       shape: tuple[int, ...] | None = None) -> list[Value]:
    """Operands broadcast to the result shape (rank-0 to anything, size-1 dimensions)."""
    shape = ctx.avals_out[0].shape if shape is None else shape
    out = []
    for x in args:
        if x.shape != shape:
            dims = () if not x.shape else range(len(shape) - len(x.shape), len(shape))
            x = ctx.broadcast_in_dim(x, shape, dims)
        out.append(x)
    return out


def _op_rule(op_name: str) -> Any:
    def rule(ctx: LoweringRuleContext, *args: Value, **params: Any) -> Value:
        return ctx.op(op_name, broadcast_operands(ctx, args))

    rule.__name__ = f"lower_{op_name.split('.')[-1]}"
    return rule


def _compare_rule(direction: str) -> Any:
    def rule(ctx: LoweringRuleContext, x: Value, y: Value, **params: Any) -> Value:
        x, y = broadcast_operands(ctx, (x, y))
        return ctx.compare(x, y, direction)

    return rule


def _total_order_rule(direction: str) -> Any:
    """eq_to / lt_to / le_to: comparisons in the total order of floats (-NaN < -inf < ... <
    -0.0 < +0.0 < ... < inf < NaN); complex numbers are equal when both parts are."""
    def rule(ctx: LoweringRuleContext, x: Value, y: Value, **params: Any) -> Value:
        x, y = broadcast_operands(ctx, (x, y))
        if dtypes.is_complex(x.dtype):
            rdt = real_dtype(x.dtype)
            parts = [ctx.compare(ctx.unary(f"stablehlo.{part}", x, rdt),
                                 ctx.unary(f"stablehlo.{part}", y, rdt), direction, "TOTALORDER")
                     for part in ("real", "imag")]
            return ctx.and_(*parts)
        kind = "TOTALORDER" if dtypes.is_float(x.dtype) else hlo.comparison_type_for(x.dtype)
        return ctx.compare(x, y, direction, kind)

    return rule


# -- rules that are more than one op ---------------------------------------------------------


def _is_complex(x: Value) -> bool:
    return dtypes.is_complex(x.dtype)


def complex_max_min(ctx: LoweringRuleContext, x: Value, y: Value, direction: str) -> Value:
    # Lexicographic on (real, imag), as JAX orders complex numbers.
    rdt = real_dtype(x.dtype)
    rx, ry = ctx.unary("stablehlo.real", x, rdt), ctx.unary("stablehlo.real", y, rdt)
    ix, iy = ctx.unary("stablehlo.imag", x, rdt), ctx.unary("stablehlo.imag", y, rdt)
    real_eq = ctx.compare(rx, ry, "EQ", "FLOAT")
    real_pick = ctx.compare(rx, ry, direction, "FLOAT")
    imag_pick = ctx.compare(ix, iy, direction, "FLOAT")
    pick = ctx.select(real_eq, imag_pick, real_pick)
    return ctx.select(pick, x, y)


def _max(ctx: LoweringRuleContext, x: Value, y: Value, **_: Any) -> Value:
    x, y = broadcast_operands(ctx, (x, y))
    if _is_complex(x):
        return complex_max_min(ctx, x, y, "GT")
    return ctx.op("stablehlo.maximum", [x, y])


def _min(ctx: LoweringRuleContext, x: Value, y: Value, **_: Any) -> Value:
    x, y = broadcast_operands(ctx, (x, y))
    if _is_complex(x):
        return complex_max_min(ctx, x, y, "LT")
    return ctx.op("stablehlo.minimum", [x, y])


def _mul(ctx: LoweringRuleContext, x: Value, y: Value, *, out_dtype: Any = None,
         **_: Any) -> Value:
    out = ctx.avals_out[0].dtype
    x, y = convert(ctx, x, out), convert(ctx, y, out)  # mul[out_dtype]: in the output type
    return ctx.op("stablehlo.multiply", broadcast_operands(ctx, (x, y)))


def _mulhi(ctx: LoweringRuleContext, x: Value, y: Value, **_: Any) -> Value:
    """The high half of the double-width product."""
    x, y = broadcast_operands(ctx, (x, y))
    dtype = x.dtype
    width = dtypes.itemsize_bits(dtype)
    signed = not dtypes.is_unsigned(dtype)
    if width <= 32:
        wide = np.dtype(np.int64 if signed else np.uint64)
        product = ctx.mul(ctx.convert(x, wide), ctx.convert(y, wide))
        shift = ctx.constant(width, wide, product.shape)
        op = "stablehlo.shift_right_arithmetic" if signed else "stablehlo.shift_right_logical"
        return ctx.convert(ctx.binary(op, product, shift), dtype)
    # 64 bits: schoolbook multiplication on 32-bit halves of the unsigned values, then the
    # two's-complement correction hi(x*y) = hi(ux*uy) - (x<0 ? uy : 0) - (y<0 ? ux : 0).
    u64 = np.dtype(np.uint64)
    ux = ctx.op("stablehlo.bitcast_convert", [x], ShapedArray(x.shape, u64)) if signed else x
    uy = ctx.op("stablehlo.bitcast_convert", [y], ShapedArray(y.shape, u64)) if signed else y
    mask = ctx.constant(0xFFFFFFFF, u64, x.shape)
    s32 = ctx.constant(32, u64, x.shape)
    shr = lambda v: ctx.binary("stablehlo.shift_right_logical", v, s32)  # noqa: E731
    x_lo, x_hi, y_lo, y_hi = ctx.and_(ux, mask), shr(ux), ctx.and_(uy, mask), shr(uy)
    lo_hi, hi_lo = ctx.mul(x_lo, y_hi), ctx.mul(x_hi, y_lo)
    middle = ctx.add(ctx.add(shr(ctx.mul(x_lo, y_lo)), ctx.and_(lo_hi, mask)),
                     ctx.and_(hi_lo, mask))
    hi = ctx.add(ctx.add(ctx.add(ctx.mul(x_hi, y_hi), shr(lo_hi)), shr(hi_lo)), shr(middle))
    if not signed:
        return hi
    zero = ctx.constant(0, u64, x.shape)
    zero_s = ctx.constant(0, dtype, x.shape)
    hi = ctx.sub(hi, ctx.select(ctx.compare(x, zero_s, "LT"), uy, zero))
    hi = ctx.sub(hi, ctx.select(ctx.compare(y, zero_s, "LT"), ux, zero))
    return ctx.op("stablehlo.bitcast_convert", [hi], ShapedArray(x.shape, dtype))


def _pow(ctx: LoweringRuleContext, x: Value, y: Value, **_: Any) -> Value:
    out = ctx.avals_out[0]
    if y.dtype != out.dtype:  # pow(float x, int y): the exponent is converted, as in JAX
        y = ctx.convert(y, out.dtype)
    x, y = broadcast_operands(ctx, (x, y))
    return ctx.op("stablehlo.power", [x, y])


def _exp2(ctx: LoweringRuleContext, x: Value, **_: Any) -> Value:
    log2 = ctx.constant(math.log(2.0), x.dtype, x.shape)
    return ctx.op("stablehlo.exponential", [ctx.mul(log2, x)])


def _sign(ctx: LoweringRuleContext, x: Value, **_: Any) -> Value:
    if dtypes.is_unsigned(x.dtype):
        zero = ctx.zeros_like(x)
        is_zero = ctx.compare(x, zero, "EQ", "UNSIGNED")
        return ctx.select(is_zero, zero, ctx.constant(1, x.dtype, x.shape))
    return ctx.op("stablehlo.sign", [x])


def _abs(ctx: LoweringRuleContext, x: Value, **_: Any) -> Value:
    if dtypes.is_unsigned(x.dtype):
        return x
    return ctx.op("stablehlo.abs", [x])


def _square(ctx: LoweringRuleContext, x: Value, **_: Any) -> Value:
    if dtypes.is_inexact(x.dtype):
        return ctx.op("chlo.square", [x])
    return ctx.op("stablehlo.multiply", [x, x])


def _round(ctx: LoweringRuleContext, x: Value, *, rounding_method: Any = 0, **_: Any) -> Value:
    method = getattr(rounding_method, "value", rounding_method)
    if isinstance(method, str):
        method = 1 if "EVEN" in method.upper() else 0
    op = "stablehlo.round_nearest_even" if int(method) == 1 else "stablehlo.round_nearest_afz"
    return ctx.op(op, [x])


def _conj(ctx: LoweringRuleContext, x: Value, **_: Any) -> Value:
    out = ctx.avals_out[0]
    x = ctx.convert(x, out.dtype)
    rdt = real_dtype(out.dtype)
    re = ctx.unary("stablehlo.real", x, rdt)
    im = ctx.neg(ctx.unary("stablehlo.imag", x, rdt))
    return ctx.op("stablehlo.complex", [re, im])


def _integer_pow(ctx: LoweringRuleContext, x: Value, *, y: int, **_: Any) -> Value:
    # Exponentiation by squaring, then 1/acc for a negative exponent (as JAX lowers it).
    n = abs(int(y))
    acc = None
    power = x
    while n:
        if n & 1:
            acc = power if acc is None else ctx.mul(power, acc)
        n >>= 1
        if n:
            power = ctx.mul(power, power)
    if acc is None:
        acc = ctx.constant(1, x.dtype, x.shape)
    if y < 0:
        acc = ctx.div(ctx.constant(1, x.dtype, x.shape), acc)
    return acc


def convert(ctx: LoweringRuleContext, x: Value, dtype: Any) -> Value:
    """``x`` converted as JAX's convert_element_type does: complex to real keeps the real
    part, anything to bool is ``x != 0``, else XLA's convert (saturating float -> int)."""
    dtype = np.dtype(dtype)
    if x.dtype == dtype:
        return x
    if dtypes.is_complex(x.dtype) and not dtypes.is_complex(dtype):
        x = ctx.unary("stablehlo.real", x, real_dtype(x.dtype))
        if x.dtype == dtype:
            return x
    if dtype == np.bool_:
        return ctx.compare(x, ctx.zeros_like(x), "NE")
    return ctx.convert(x, dtype)


def _convert_element_type(ctx: LoweringRuleContext, x: Value, *, new_dtype: Any,
                          **_: Any) -> Value:
    return convert(ctx, x, ctx.avals_out[0].dtype)


def _bitcast_convert_type(ctx: LoweringRuleContext, x: Value, **_: Any) -> Value:
    return ctx.op("stablehlo.bitcast_convert", [x])


def _reduce_precision(ctx: LoweringRuleContext, x: Value, *, exponent_bits: int,
                      mantissa_bits: int, **_: Any) -> Value:
    return ctx.op("stablehlo.reduce_precision", [x],
                  attrs={"exponent_bits": hlo.i32_attr(exponent_bits),
                         "mantissa_bits": hlo.i32_attr(mantissa_bits)})


def _identity(ctx: LoweringRuleContext, x: Value, **_: Any) -> Value:
    return x


def _clamp(ctx: LoweringRuleContext, lo: Value, x: Value, hi: Value, **_: Any) -> Value:
    lo, x, hi = broadcast_operands(ctx, (lo, x, hi))
    return ctx.op("stablehlo.clamp", [lo, x, hi])


def select_n(ctx: LoweringRuleContext, which: Value, cases: Sequence[Value],
             offset: int = 0) -> Value:
    """``cases[which - offset]`` elementwise (``which`` bool for two cases, else an integer):
    a balanced tree of selects."""
    if len(cases) == 1:
        return cases[0]
    if which.dtype == np.bool_:
        return ctx.select(which, cases[1], cases[0])
    mid = len(cases) // 2
    pivot = ctx.constant(offset + mid, which.dtype, which.shape)
    low = select_n(ctx, which, cases[:mid], offset)
    high = select_n(ctx, which, cases[mid:], offset + mid)
    return ctx.select(ctx.compare(which, pivot, "LT"), low, high)


def _select_n(ctx: LoweringRuleContext, which: Value, *cases: Value, **_: Any) -> Value:
    shape = ctx.avals_out[0].shape
    which, *cases = broadcast_operands(ctx, (which, *cases), shape)
    return select_n(ctx, which, cases)


RULES: dict[str, Any] = {name: _op_rule(op) for name, op in OPS.items()}
RULES.update({name: _compare_rule(d) for name, d in COMPARISONS.items()})
RULES.update({"eq_to": _total_order_rule("EQ"), "lt_to": _total_order_rule("LT"),
              "le_to": _total_order_rule("LE")})
RULES.update({
    "mul": _mul, "mulhi": _mulhi, "stop_gradient": _identity,
    "max": _max, "min": _min, "pow": _pow, "exp2": _exp2, "sign": _sign, "abs": _abs,
    "square": _square, "round": _round, "conj": _conj, "integer_pow": _integer_pow,
    "convert_element_type": _convert_element_type,
    "bitcast_convert_type": _bitcast_convert_type, "reduce_precision": _reduce_precision,
    "copy": _identity, "copy_p": _identity, "clamp": _clamp, "select_n": _select_n,
})

REGISTERED = register_family("elementwise", RULES)
# Rules found by primitive name for primitives defined outside kiln-core's elementwise
# module (autodiff's ``add_any``...), looked up when a primitive has no registered rule.
NAMED_RULES.update({"add_any": RULES["add"], "copy": _identity, "copy_p": _identity})
