"""Elementwise primitives: one table row per primitive (name, NumPy implementation, accepted
dtype classes, arity, result dtype, extra checks), and one loop that defines them. The few
whose shape rules are their own (select_n, clamp, the conversions, copy, stop_gradient)
follow the table.

Operands have one dtype (unless a row says otherwise) and equal ranks; rank-0 operands and
size-1 dimensions broadcast. The result is weakly typed only when every operand is. Dtype
errors are JAX's TypeErrors, word for word, so that kiln.lax fails exactly where jax.lax
does. Numerical semantics are XLA's (integer division truncates, shifts saturate, float to
int conversion saturates, max/min propagate NaN...).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kiln.core import dtypes
from kiln.core.abstract import ShapedArray
from kiln.core.jaxpr import param_printers
from kiln.core.primitive import Primitive, register_abstract_eval, register_impl
from kiln.core.primitives import special_math
from kiln.core.primitives.shape_rules import (
    ANY,
    BOOL_OR_INT,
    COMPLEX_PARTS,
    FLOAT,
    INEXACT,
    INT,
    NUM,
    ORDERED,
    all_weak,
    broadcasting_shape,
    check_dtype_kinds,
    same_dtypes,
)


class RoundingMethod(enum.IntEnum):
    """How ``lax.round`` rounds halfway values."""

    AWAY_FROM_ZERO = 0
    TO_NEAREST_EVEN = 1


# -- computing with NumPy --------------------------------------------------------------------

# NumPy's ufuncs do not all support the ml_dtypes types: by default implementations compute
# in a wider type that holds every value exactly, and the result is rounded back once (for a
# single operation, the same as computing in the narrow type).
_WIDER = {
    **{dt: np.dtype(np.float32) for dt in (dtypes.bfloat16, *dtypes.small_float_dtypes)},
    dtypes.int2: dtypes.int8, dtypes.int4: dtypes.int8,
    dtypes.uint2: dtypes.uint8, dtypes.uint4: dtypes.uint8,
}


def widen(x: np.ndarray) -> np.ndarray:
    wider = _WIDER.get(x.dtype)
    return x if wider is None else x.astype(wider)


def stepwise(x: np.ndarray) -> np.ndarray:
    """For implementations of several steps (integer_pow, logistic): floats stay in their own
    type (ml_dtypes has the few ufuncs needed), so that every step rounds to it, as in XLA."""
    return x if dtypes.is_float(x.dtype) else widen(x)


def to_float64(x: np.ndarray) -> np.ndarray:
    """Transcendental functions are computed in float64 (complex128) and rounded once to the
    operand type: nearly always the correctly rounded result, which XLA's CPU implementations
    also give far more often than NumPy's float32 loops do."""
    if dtypes.is_complex(x.dtype):
        return x.astype(np.complex128)
    return x.astype(np.float64) if dtypes.is_float(x.dtype) else x


def _bits(x: np.ndarray) -> np.ndarray:
    """Each element's bit pattern, as uint64 (sub-byte types occupy the low bits of a byte)."""
    raw = x.view(np.dtype(f"u{x.dtype.itemsize}"))
    return raw.astype(np.uint64) & np.uint64(2 ** dtypes.itemsize_bits(x.dtype) - 1)


def _from_bits(pattern: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """The values of ``dtype`` whose bit patterns are the low bits of ``pattern``."""
    mask = np.uint64(2 ** dtypes.itemsize_bits(dtype) - 1)
    return (pattern & mask).astype(np.dtype(f"u{dtype.itemsize}")).view(dtype)


def _signed_value(pattern: np.ndarray, width: int) -> np.ndarray:
    """``width``-bit patterns read as two's-complement integers, in int64."""
    if width == 64:
        return pattern.view(np.int64)
    value = pattern.astype(np.int64)
    return np.where(value >= 2 ** (width - 1), value - 2**width, value)


def _complex_of(dt: np.dtype, **_: Any) -> np.dtype:
    return dtypes.complex128 if dt in (dtypes.float64, dtypes.complex128) else dtypes.complex64


def _real_of(dt: np.dtype, **_: Any) -> np.dtype:
    return {dtypes.complex64: dtypes.float32, dtypes.complex128: dtypes.float64}.get(dt, dt)


def _is_float(x: np.ndarray) -> bool:  # on widened arrays, whose dtypes NumPy knows
    return x.dtype.kind == "f"


# -- implementations (on arrays prepared by the row's ``prepare``) --------------------------


def _sign(x: np.ndarray) -> np.ndarray:
    return np.where(x == 0, x, np.sign(x)) if _is_float(x) else np.sign(x)  # keeps -0.0


def _round(x: np.ndarray, *, rounding_method: RoundingMethod) -> np.ndarray:
    if rounding_method == RoundingMethod.TO_NEAREST_EVEN:
        return np.rint(x)
    t = np.trunc(x)  # x - t is exact, unlike the x + 0.5 of a naive rounding
    return np.where(np.abs(x - t) >= 0.5, t + np.sign(x), t)


def _div(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if x.dtype.kind not in "iu":
        return np.true_divide(x, y)
    # Integer division truncates toward zero; x / 0 is all ones, and MIN / -1 wraps to MIN.
    zero = y == 0
    overflow = (y == -1) & (x == np.iinfo(x.dtype).min) if x.dtype.kind == "i" else False
    safe = np.where(zero | overflow, 1, y)
    q = np.floor_divide(x, safe)
    if x.dtype.kind == "i":
        q = q + ((np.remainder(x, safe) != 0) & ((x < 0) != (safe < 0)))
    q = np.where(overflow, x, q)
    return np.where(zero, ~np.zeros_like(q), q)


def _rem(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if x.dtype.kind not in "iu":
        return np.fmod(x, y)
    # C's remainder (sign of the dividend); x rem 0 is x, x rem -1 is 0 (even for MIN).
    zero = y == 0
    safe = np.where(zero | (y == -1) if x.dtype.kind == "i" else zero, 1, y)
    return np.where(zero, x, np.fmod(x, safe))


def _max(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    out = np.maximum(x, y)  # propagates NaN, like XLA
    return np.where((x == 0) & (y == 0), x + y, out) if _is_float(x) else out  # max(-0, 0) = 0


def _min(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    out = np.minimum(x, y)
    return np.where((x == 0) & (y == 0), -(-x - y), out) if _is_float(x) else out  # -0 wins


def _pow(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.power(x, y.astype(x.dtype))  # integer exponents convert to the base's type


def _integer_pow(x: np.ndarray, *, y: int) -> np.ndarray:
    if y == 0:
        return np.ones_like(x)
    # Binary exponentiation, the order of multiplications XLA uses.
    acc, base, n = None, x, abs(y)
    while n:
        if n & 1:
            acc = base if acc is None else acc * base
        n >>= 1
        if n:
            base = base * base
    return np.ones_like(acc) / acc if y < 0 else acc


def _logistic(x: np.ndarray) -> np.ndarray:
    one = np.ones((), x.dtype)
    return one / (one + np.exp(-x))


def _atan2(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if x.dtype.kind == "c":
        return -1j * np.log((y + 1j * x) / np.sqrt(y * y + x * x))
    return np.arctan2(x, y)


def _complex(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    out = np.empty(np.broadcast_shapes(x.shape, y.shape), _complex_of(x.dtype))
    out.real, out.imag = x, y  # not x + 1j*y, which would turn an infinite y into NaN
    return out


def _conj(x: np.ndarray, *, input_dtype: np.dtype) -> np.ndarray:
    return np.conj(x.astype(_complex_of(x.dtype)))


def _total_order_key(x: np.ndarray) -> np.ndarray:
    """Integers that order floats totally, as XLA's TOTALORDER comparisons do:
    -NaN < -inf < ... < -0.0 < +0.0 < ... < inf < +NaN (NaNs by payload)."""
    if not dtypes.is_float(x.dtype):
        return x
    width = dtypes.itemsize_bits(x.dtype)
    value = _signed_value(_bits(x), width)
    return np.where(value < 0, value ^ np.int64(2 ** (width - 1) - 1), value)


def _total_order(compare: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    def impl(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        if dtypes.is_complex(x.dtype):  # (only eq_to accepts complex: both parts equal)
            return impl(x.real, y.real) & impl(x.imag, y.imag)
        return compare(_total_order_key(x), _total_order_key(y))

    return impl


def _shift(kind: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """XLA's shifts: the amount is read as unsigned, and amounts of at least the bit width
    shift everything out (0, or all sign bits for the arithmetic right shift)."""

    def shift(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        width = dtypes.itemsize_bits(x.dtype)
        pattern, amount = _bits(x), _bits(y)
        out_of_range = amount >= width
        amount = np.minimum(amount, width - 1)
        if kind == "left":
            out = np.where(out_of_range, 0, pattern << amount)
        elif kind == "right_logical":
            out = np.where(out_of_range, 0, pattern >> amount)
        else:
            out = (_signed_value(pattern, width) >> amount.astype(np.int64)).view(np.uint64)
        return _from_bits(np.asarray(out, np.uint64), x.dtype)

    return shift


def _population_count(x: np.ndarray) -> np.ndarray:
    return _from_bits(np.bitwise_count(_bits(x)).astype(np.uint64), x.dtype)


def _clz(x: np.ndarray) -> np.ndarray:
    pattern = _bits(x)
    length = np.zeros_like(pattern)  # the bit length, by binary search
    for s in (32, 16, 8, 4, 2, 1):
        high = pattern >= 2**s
        pattern = np.where(high, pattern >> np.uint64(s), pattern)
        length += np.where(high, np.uint64(s), np.uint64(0))
    length += pattern > 0
    return _from_bits(dtypes.itemsize_bits(x.dtype) - length, x.dtype)


def _mulhi(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The high half of the double-width product."""
    width = dtypes.itemsize_bits(x.dtype)
    signed = x.dtype in dtypes.signed_int_dtypes
    if width <= 32:
        wide = np.int64 if signed else np.uint64
        return ((x.astype(wide) * y.astype(wide)) >> width).astype(x.dtype)
    # 64 bits: schoolbook multiplication on 32-bit halves, then the two's-complement
    # correction hi(x*y) = hi(ux*uy) - (x<0 ? uy : 0) - (y<0 ? ux : 0).
    ux, uy = x.astype(np.uint64), y.astype(np.uint64)
    low, s32 = np.uint64(0xFFFFFFFF), np.uint64(32)
    x_lo, x_hi, y_lo, y_hi = ux & low, ux >> s32, uy & low, uy >> s32
    lo_hi, hi_lo = x_lo * y_hi, x_hi * y_lo
    middle = ((x_lo * y_lo) >> s32) + (lo_hi & low) + (hi_lo & low)
    hi = x_hi * y_hi + (lo_hi >> s32) + (hi_lo >> s32) + (middle >> s32)
    if signed:
        hi = hi - np.where(x < 0, uy, np.uint64(0)) - np.where(y < 0, ux, np.uint64(0))
        return hi.view(np.int64)
    return hi


# (exponent bits, mantissa bits) of the IEEE-like formats reduce_precision works on directly.
_FLOAT_LAYOUT = {dtypes.float16: (5, 10), dtypes.bfloat16: (8, 7), dtypes.float32: (8, 23),
                 dtypes.float64: (11, 52)}


def _reduce_precision(x: np.ndarray, *, exponent_bits: int, mantissa_bits: int) -> np.ndarray:
    """Round to the nearest value (ties to even) with ``mantissa_bits``, then overflow to
    infinity and underflow to zero (no denormals) outside ``exponent_bits``' range, as XLA's
    ReducePrecision does on the operand's own bit pattern."""
    layout = _FLOAT_LAYOUT.get(x.dtype)
    if layout is None:  # 8-bit floats: every value is exact in float32
        out = _reduce_precision(x.astype(np.float32), exponent_bits=exponent_bits,
                                mantissa_bits=mantissa_bits)
        return out.astype(x.dtype)
    src_exp, src_mant = layout
    p = _bits(x)
    if mantissa_bits < src_mant:
        shift = src_mant - mantissa_bits
        p = (p + ((p >> np.uint64(shift)) & np.uint64(1)) + np.uint64(2 ** (shift - 1) - 1)) \
            & ~np.uint64(2**shift - 1)
    if exponent_bits < src_exp:
        sign = p & np.uint64(2 ** (src_exp + src_mant))
        exp_mask = np.uint64((2**src_exp - 1) << src_mant)
        bias, reduced_bias = 2 ** (src_exp - 1) - 1, 2 ** (exponent_bits - 1) - 1
        exponent = p & exp_mask
        overflow = exponent > np.uint64((bias + reduced_bias) << src_mant)
        underflow = exponent <= np.uint64((bias - reduced_bias) << src_mant)
        p = np.where(overflow, sign | exp_mask, np.where(underflow, sign, p))
    return np.where(np.isnan(x), x, _from_bits(p, x.dtype))


# -- the table ---------------------------------------------------------------------------------

# Params that only advise a compiler (an accuracy target); the reference ignores them.
_HINT_PARAMS = frozenset({"accuracy"})


@dataclass(frozen=True)
class Elementwise:
    name: str
    impl: Callable[..., Any]  # on NumPy arrays, after ``prepare``
    accepts: tuple[Any, ...]  # dtype classes (see _KIND_TESTS), or one tuple per operand
    nargs: int = 1
    result_dtype: Callable[..., np.dtype] | None = None  # (operand dtype, **params) -> dtype
    # (avals, **params) -> dtype, replacing the same-dtype check and result_dtype:
    dtype_rule: Callable[..., np.dtype] | None = None
    check: Callable[..., None] | None = None  # (avals, **params): further checks of params
    tip: str | None = None  # the jnp function that promotes, named in dtype errors
    printed_if_set: tuple[str, ...] = ()  # params JAX prints only when they are not None
    prepare: Callable[[np.ndarray], np.ndarray] | None = widen  # applied to each operand
    narrow_ints: bool = True

    def accepts_at(self) -> tuple[tuple[str, ...], ...]:
        if self.accepts and isinstance(self.accepts[0], str):
            return (self.accepts,) * self.nargs
        return self.accepts


def _aval_rule(spec: Elementwise) -> Callable[..., ShapedArray]:
    accepts = spec.accepts_at()

    def rule(*avals: ShapedArray, **params: Any) -> ShapedArray:
        shape = broadcasting_shape(spec.name, *(a.shape for a in avals)) if len(avals) > 1 \
            else avals[0].shape
        if spec.check is not None:
            spec.check(avals, **params)
        check_dtype_kinds(spec.name, avals, accepts, spec.narrow_ints)
        if spec.dtype_rule is not None:
            dtype = spec.dtype_rule(avals, **params)
        else:
            dtype = same_dtypes(spec.name, avals, spec.tip)
            if spec.result_dtype is not None:
                dtype = spec.result_dtype(dtype, **params)
        return ShapedArray(shape, dtype, all_weak(avals))

    return rule


def _impl_rule(spec: Elementwise, aval_rule: Callable[..., ShapedArray]) -> Callable[..., Any]:
    def rule(*args: np.ndarray, **params: Any) -> np.ndarray:
        out = aval_rule(*(ShapedArray(np.shape(a), a.dtype) for a in args), **params)
        impl_params = {k: v for k, v in params.items() if k not in _HINT_PARAMS}
        if spec.prepare is not None:
            args = tuple(spec.prepare(a) for a in args)
        with np.errstate(all="ignore"):
            return np.asarray(spec.impl(*args, **impl_params)).astype(out.dtype, copy=False)

    return rule


def _params_printer(printed_if_set: Sequence[str] = (), hidden: Sequence[str] = ()) -> Any:
    """Prints params sorted by name, leaving out those JAX does not print."""

    def printer(eqn: Any, names: Any) -> list[tuple[str, Any]]:
        return sorted((k, v) for k, v in eqn.params.items()
                      if k not in hidden and not (k in printed_if_set and v is None))

    return printer


def define(spec: Elementwise) -> Primitive:
    prim = Primitive(spec.name)
    aval_rule = _aval_rule(spec)
    register_abstract_eval(prim, aval_rule)
    register_impl(prim, _impl_rule(spec, aval_rule))
    if spec.printed_if_set:
        param_printers[prim] = _params_printer(spec.printed_if_set)
    return prim


def _mul_dtype(avals: Sequence[ShapedArray], *, out_dtype: Any = None) -> np.dtype:
    if out_dtype is None:
        return same_dtypes("mul", avals, "jnp.multiply")
    return dtypes.canonicalize_dtype(out_dtype)


def _mul(x: np.ndarray, y: np.ndarray, *, out_dtype: Any = None) -> np.ndarray:
    if out_dtype is not None:  # multiply in the output type
        dt = dtypes.canonicalize_dtype(out_dtype)
        x, y = widen(x.astype(dt)), widen(y.astype(dt))
    return np.multiply(x, y)


def _pow_dtype(avals: Sequence[ShapedArray]) -> np.dtype:
    x, y = (a.dtype for a in avals)
    if (dtypes.is_inexact(x) and dtypes.is_int(y)) or x == y:
        return x
    raise TypeError("the first argument to pow must have an inexact dtype (float or complex), "
                    "and the second argument must have an inexact or integer dtype, and two "
                    f"inexact dtypes must match, but got {x} and {y} respectively.")


def _integer_pow_check(avals: Sequence[ShapedArray], *, y: int) -> None:
    x = avals[0]
    if y < 0 and dtypes.is_int(x.dtype):
        raise TypeError(f"Integers cannot be raised to negative powers, got integer_pow({x}, {y})")


def _reduce_precision_check(avals: Sequence[ShapedArray], *, exponent_bits: int,
                            mantissa_bits: int) -> None:
    if exponent_bits < 1:
        raise ValueError(f"reduce_precision: exponent_bits must be positive; got {exponent_bits}")
    if mantissa_bits < 0:
        raise ValueError("reduce_precision: mantissa_bits must be non-negative; got "
                         f"{mantissa_bits}")


_bool_result = lambda dt, **_: dtypes.bool_
_precise = {"prepare": to_float64}
_accuracy = {"printed_if_set": ("accuracy",)}
_precise_accuracy = {**_precise, **_accuracy}

TABLE = [
    # arithmetic
    Elementwise("neg", np.negative, NUM),
    Elementwise("sign", _sign, NUM),
    Elementwise("floor", np.floor, FLOAT),
    Elementwise("ceil", np.ceil, FLOAT),
    Elementwise("round", _round, FLOAT),
    Elementwise("is_finite", np.isfinite, FLOAT, result_dtype=_bool_result),
    Elementwise("nextafter", np.nextafter, FLOAT, 2, tip="jnp.nextafter", prepare=None),
    Elementwise("abs", np.abs, ("floating", "complexfloating", "signedinteger"),
                result_dtype=_real_of, narrow_ints=False),
    Elementwise("add", np.add, NUM, 2, tip="jnp.add"),
    Elementwise("sub", np.subtract, NUM, 2, tip="jnp.subtract"),
    Elementwise("mul", _mul, NUM, 2, dtype_rule=_mul_dtype, printed_if_set=("out_dtype",)),
    Elementwise("div", _div, NUM, 2, tip="jnp.divide"),
    Elementwise("rem", _rem, ("integer", "floating"), 2),
    Elementwise("pow", _pow, (INEXACT, NUM), 2, dtype_rule=_pow_dtype, **_precise),
    Elementwise("integer_pow", _integer_pow, NUM, check=_integer_pow_check, prepare=stepwise),
    Elementwise("max", _max, ANY, 2, tip="jnp.maximum"),
    Elementwise("min", _min, ANY, 2, tip="jnp.minimum"),
    Elementwise("square", np.square, NUM),
    Elementwise("sqrt", np.sqrt, INEXACT, **_accuracy),
    Elementwise("rsqrt", lambda x: 1 / np.sqrt(x), INEXACT, **_precise_accuracy),
    Elementwise("cbrt", np.cbrt, FLOAT, **_precise_accuracy),
    # exponentials, logarithms and trigonometry
    Elementwise("exp", np.exp, INEXACT, **_precise_accuracy),
    Elementwise("exp2", np.exp2, INEXACT, **_precise_accuracy),
    Elementwise("log", np.log, INEXACT, **_precise_accuracy),
    Elementwise("log1p", np.log1p, INEXACT, **_precise_accuracy),
    Elementwise("expm1", np.expm1, INEXACT, **_precise_accuracy),
    # JAX defines logistic by this formula, evaluated in the operand's type.
    Elementwise("logistic", _logistic, INEXACT, prepare=stepwise, **_accuracy),
    Elementwise("tanh", np.tanh, INEXACT, **_precise_accuracy),
    Elementwise("sin", np.sin, INEXACT, **_precise_accuracy),
    Elementwise("cos", np.cos, INEXACT, **_precise_accuracy),
    Elementwise("tan", np.tan, INEXACT, **_precise_accuracy),
    Elementwise("asin", np.arcsin, INEXACT, **_precise),
    Elementwise("acos", np.arccos, INEXACT, **_precise),
    Elementwise("atan", np.arctan, INEXACT, **_precise),
    Elementwise("atan2", _atan2, INEXACT, 2, tip="jnp.arctan2", **_precise),
    Elementwise("sinh", np.sinh, INEXACT, **_precise),
    Elementwise("cosh", np.cosh, INEXACT, **_precise),
    Elementwise("asinh", np.arcsinh, INEXACT, **_precise),
    Elementwise("acosh", np.arccosh, INEXACT, **_precise),
    Elementwise("atanh", np.arctanh, INEXACT, **_precise),
    # special functions
    Elementwise("erf", special_math.erf, FLOAT, **_precise),
    Elementwise("erfc", special_math.erfc, FLOAT, **_precise),
    Elementwise("erf_inv", special_math.erf_inv, FLOAT, **_precise),
    Elementwise("lgamma", special_math.lgamma, FLOAT, **_precise),
    Elementwise("digamma", special_math.digamma, FLOAT, **_precise),
    Elementwise("polygamma", special_math.polygamma, FLOAT, 2, **_precise),
    Elementwise("igamma", special_math.igamma, FLOAT, 2, **_precise),
    Elementwise("igammac", special_math.igammac, FLOAT, 2, **_precise),
    Elementwise("igamma_grad_a", special_math.igamma_grad_a, FLOAT, 2, **_precise),
    Elementwise("zeta", special_math.zeta, FLOAT, 2, **_precise),
    Elementwise("bessel_i0e", special_math.bessel_i0e, FLOAT, **_precise),
    Elementwise("bessel_i1e", special_math.bessel_i1e, FLOAT, **_precise),
    Elementwise("regularized_incomplete_beta", special_math.betainc, FLOAT, 3, **_precise),
    # complex numbers
    Elementwise("real", np.real, ("complexfloating",), result_dtype=_real_of),
    Elementwise("imag", np.imag, ("complexfloating",), result_dtype=_real_of),
    Elementwise("complex", _complex, COMPLEX_PARTS, 2, result_dtype=_complex_of),
    Elementwise("conj", _conj, ("float32", "complexfloating", "float64"),
                result_dtype=_complex_of),
    # comparisons
    Elementwise("eq", np.equal, ANY, 2, result_dtype=_bool_result, tip="jnp.equal"),
    Elementwise("ne", np.not_equal, ANY, 2, result_dtype=_bool_result, tip="jnp.not_equal"),
    Elementwise("lt", np.less, ORDERED, 2, result_dtype=_bool_result),
    Elementwise("le", np.less_equal, ORDERED, 2, result_dtype=_bool_result),
    Elementwise("gt", np.greater, ORDERED, 2, result_dtype=_bool_result),
    Elementwise("ge", np.greater_equal, ORDERED, 2, result_dtype=_bool_result),
    # comparisons in the total order of floats (sort comparators use them)
    Elementwise("eq_to", _total_order(np.equal), ANY, 2, result_dtype=_bool_result,
                prepare=None),
    Elementwise("le_to", _total_order(np.less_equal), ORDERED, 2, result_dtype=_bool_result,
                prepare=None),
    Elementwise("lt_to", _total_order(np.less), ORDERED, 2, result_dtype=_bool_result,
                prepare=None),
    # bits
    Elementwise("not", np.invert, BOOL_OR_INT),
    Elementwise("and", np.bitwise_and, BOOL_OR_INT, 2),
    Elementwise("or", np.bitwise_or, BOOL_OR_INT, 2),
    Elementwise("xor", np.bitwise_xor, BOOL_OR_INT, 2),
    Elementwise("shift_left", _shift("left"), INT, 2, tip="jnp.left_shift", prepare=None),
    Elementwise("shift_right_arithmetic", _shift("right_arithmetic"), INT, 2,
                tip="jnp.right_shift", prepare=None),
    Elementwise("shift_right_logical", _shift("right_logical"), INT, 2, tip="jnp.right_shift",
                prepare=None),
    Elementwise("population_count", _population_count, INT, prepare=None),
    Elementwise("clz", _clz, INT, prepare=None),
    Elementwise("mulhi", _mulhi, INT, 2, prepare=None),
    Elementwise("reduce_precision", _reduce_precision, FLOAT, check=_reduce_precision_check,
                prepare=None),
]

PRIMITIVES: dict[str, Primitive] = {spec.name: define(spec) for spec in TABLE}


# -- primitives with shape rules of their own ------------------------------------------------


def _define_custom(name: str, aval_rule: Callable[..., ShapedArray],
                   impl: Callable[..., np.ndarray]) -> Primitive:
    prim = Primitive(name)
    register_abstract_eval(prim, aval_rule)

    def impl_rule(*args: np.ndarray, **params: Any) -> np.ndarray:
        with np.errstate(all="ignore"):
            return impl(*args, **params)

    register_impl(prim, impl_rule)
    PRIMITIVES[name] = prim
    return prim


def _select_n_aval(which: ShapedArray, *cases: ShapedArray) -> ShapedArray:
    if not cases:
        raise TypeError("select must have at least one case")
    if any(c.shape != cases[0].shape for c in cases[1:]):
        shapes = ", ".join(str(c.shape) for c in cases)
        raise TypeError(f"select cases must have the same shapes, got [{shapes}].")
    if which.shape and which.shape != cases[0].shape:
        raise TypeError("select `which` must be scalar or have the same shape as cases, got "
                        f"`which` shape {which.shape} but case shape {cases[0].shape}.")
    dtype = same_dtypes("select", cases, "jnp.where")
    if which.dtype != dtypes.bool_ and not dtypes.is_int(which.dtype):
        raise TypeError(f"select `which` must be boolean or integer type, got {which.dtype}.")
    if which.dtype == dtypes.bool_ and len(cases) > 2:
        raise TypeError("select with boolean `which` cannot have > 2 cases.")
    return ShapedArray(cases[0].shape, dtype, all_weak(cases))


def _select_n(which: np.ndarray, *cases: np.ndarray) -> np.ndarray:
    # Out-of-range indices take the nearest case, as XLA's tree of selects does.
    last = len(cases) - 1
    if dtypes.is_unsigned(which.dtype):
        index = np.minimum(widen(which), last).astype(np.int64)
    else:
        index = np.clip(widen(which).astype(np.int64), 0, last)
    out = np.array(cases[0], copy=True)
    for i, case in enumerate(cases[1:], start=1):
        out = np.where(index == i, case, out)
    return out


def _clamp_aval(lo: ShapedArray, x: ShapedArray, hi: ShapedArray) -> ShapedArray:
    for bound, aval in (("min", lo), ("max", hi)):
        if aval.shape and aval.shape != x.shape:
            raise TypeError(f"clamp requires {bound}.shape == operand.shape or {bound}.shape == "
                            f"(), got {bound}.shape={aval.shape}, operand.shape={x.shape}.")
    avals = (lo, x, hi)
    check_dtype_kinds("clamp", avals, (ANY,) * 3)
    return ShapedArray(x.shape, same_dtypes("clamp", avals), all_weak(avals))


def _clamp(lo: np.ndarray, x: np.ndarray, hi: np.ndarray) -> np.ndarray:
    out = _min(_max(widen(x), widen(lo)), widen(hi))  # NaN-propagating, like XLA's clamp
    return np.asarray(out).astype(x.dtype, copy=False)


def _convert_aval(x: ShapedArray, *, new_dtype: np.dtype, weak_type: bool,
                  sharding: Any) -> ShapedArray:
    return ShapedArray(x.shape, new_dtype, weak_type)


def convert_array(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``x`` converted to ``dtype`` as XLA converts: complex to real keeps the real part,
    float to integer truncates toward zero and saturates (NaN becomes 0), integers wrap."""
    if x.dtype == dtype:
        return x
    if dtypes.is_complex(x.dtype) and not dtypes.is_complex(dtype):
        x = np.real(x)
    if dtype == dtypes.bool_:
        return widen(x) != 0
    if dtypes.is_int(dtype) and dtypes.is_float(x.dtype):
        value = widen(x).astype(np.float64)  # exact
        info = dtypes.iinfo(dtype)
        too_big, too_small = value >= float(info.max) + 1, value < float(info.min)
        safe = np.where(too_big | too_small | np.isnan(value), 0, np.trunc(value))
        out = safe.astype(np.uint64 if dtypes.is_unsigned(dtype) else np.int64)
        out = np.where(too_big, info.max, np.where(too_small, info.min, out))
        return out.astype(dtype)
    return widen(x).astype(dtype)


def _bitcast_aval(x: ShapedArray, *, new_dtype: np.dtype) -> ShapedArray:
    old_bits, new_bits = dtypes.itemsize_bits(x.dtype), dtypes.itemsize_bits(new_dtype)
    if old_bits == new_bits:
        shape = x.shape
    elif old_bits > new_bits:
        shape = (*x.shape, old_bits // new_bits)
    else:
        last = x.shape[-1] if x.shape else 1
        if last * old_bits != new_bits:
            raise ValueError(f"Attempting to convert array of shape {x.shape} from {x.dtype} of "
                             f"size {old_bits} bits to {new_dtype} of size {new_bits}, bits but "
                             f"{last} * {old_bits} != {new_bits}")
        shape = x.shape[:-1]
    bool_or_complex = lambda dt: dt == dtypes.bool_ or dtypes.is_complex(dt)
    if (bool_or_complex(x.dtype) or bool_or_complex(new_dtype)) and x.dtype != new_dtype:
        raise TypeError("lax.bitcast_convert_type does not support bool or complex values unless "
                        f"the operand and destination types match. Got operand dtype={x.dtype}, "
                        f"new_dtype={new_dtype!r}. Consider using the arr.view() method instead.")
    return ShapedArray(shape, new_dtype, False)


def _bitcast(x: np.ndarray, *, new_dtype: np.dtype) -> np.ndarray:
    """Reinterpret the bits; wider elements split into (or join from) a last dimension of
    narrower ones, least significant first."""
    if x.dtype == new_dtype:
        return x.copy()
    old_bits, new_bits = dtypes.itemsize_bits(x.dtype), dtypes.itemsize_bits(new_dtype)
    pattern = _bits(x)
    if old_bits > new_bits:
        parts = [pattern >> np.uint64(i * new_bits) for i in range(old_bits // new_bits)]
        pattern = np.stack(parts, axis=-1)
    elif old_bits < new_bits:
        pattern = sum(pattern[..., i] << np.uint64(i * old_bits)
                      for i in range(new_bits // old_bits))
    return _from_bits(pattern, new_dtype)


select_n_p = _define_custom("select_n", _select_n_aval, _select_n)
clamp_p = _define_custom("clamp", _clamp_aval, _clamp)
convert_element_type_p = _define_custom(
    "convert_element_type", _convert_aval,
    lambda x, *, new_dtype, weak_type, sharding: convert_array(x, new_dtype))
bitcast_convert_type_p = _define_custom("bitcast_convert_type", _bitcast_aval, _bitcast)
# The identity, kept in jaxprs: stop_gradient for autodiff, copy for copying buffers.
stop_gradient_p = _define_custom("stop_gradient", lambda x: x, lambda x: x)
copy_p = _define_custom("copy", lambda x: x, np.copy)

param_printers[convert_element_type_p] = _params_printer(hidden=("sharding",))

globals().update({f"{name}_p": prim for name, prim in PRIMITIVES.items()})

__all__ = ["RoundingMethod", "PRIMITIVES", *(f"{name}_p" for name in PRIMITIVES)]
