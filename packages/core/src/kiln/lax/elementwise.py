"""Elementwise ``lax`` functions: ``lax.add(x, y)``, ``lax.sin(x)``, ``lax.select(p, a, b)``,
``lax.convert_element_type(x, dtype)``...

Like jax.lax, these never promote: operands must already have matching dtypes. A Python
scalar is a weakly typed int32/float32/complex64 (64-bit with x64), so ``lax.add(x, 2.0)``
works for a float32 ``x`` but not a float16 one.
"""

from __future__ import annotations

import builtins
import enum
import operator
import warnings
from typing import Any

import numpy as np

from kiln.core import dtypes, tracing
from kiln.core.abstract import ShapedArray, get_aval
from kiln.core.array import Array
from kiln.core.primitives import elementwise as _ew
from kiln.core.primitives.elementwise import RoundingMethod
from kiln.core.tracing import Tracer

ArrayLike = Any


class AccuracyMode(enum.Enum):
    """Accuracy targets for the transcendental functions' ``accuracy`` argument."""

    HIGHEST = 1
    DEFAULT = 2


class Tolerance:
    """Tolerances for the transcendental functions' ``accuracy`` argument: at most two of
    ``atol`` and ``rtol``, or ``atol`` and ``ulps``."""

    def __init__(self, atol: float = 0.0, rtol: float = 0.0, ulps: int = 0):
        if atol < 0.0 or rtol < 0.0 or ulps < 0.0:
            raise ValueError("Tolerances must be non-negative.")
        if atol == 0.0 and rtol == 0.0 and ulps == 0:
            raise ValueError("At least one of atol, rtol, or ulps must be set.")
        self.atol = atol
        self.rtol = rtol
        self.ulps = ulps


# -- arithmetic --------------------------------------------------------------------------------


def neg(x: ArrayLike) -> Any:
    """Elementwise negation: ``-x``."""
    return _ew.neg_p.bind(x)


def sign(x: ArrayLike) -> Any:
    """Elementwise sign: -1, 0 or 1 (``x / |x|`` for complex ``x``; -0.0 and NaN are kept)."""
    return _ew.sign_p.bind(x)


def floor(x: ArrayLike) -> Any:
    """Elementwise floor."""
    return _ew.floor_p.bind(x)


def ceil(x: ArrayLike) -> Any:
    """Elementwise ceiling."""
    return _ew.ceil_p.bind(x)


def round(x: ArrayLike, rounding_method: RoundingMethod = RoundingMethod.AWAY_FROM_ZERO) -> Any:
    """Elementwise rounding to the nearest integer; ``rounding_method`` decides halfway
    values."""
    return _ew.round_p.bind(x, rounding_method=RoundingMethod(rounding_method))


def is_finite(x: ArrayLike) -> Any:
    """Elementwise test for finiteness (neither infinite nor NaN)."""
    return _ew.is_finite_p.bind(x)


def nextafter(x1: ArrayLike, x2: ArrayLike) -> Any:
    """The next representable value after ``x1`` in the direction of ``x2``."""
    return _ew.nextafter_p.bind(x1, x2)


def abs(x: ArrayLike) -> Any:
    """Elementwise absolute value (the modulus, for complex ``x``)."""
    return _ew.abs_p.bind(x)


def add(x: ArrayLike, y: ArrayLike) -> Any:
    """Elementwise addition: ``x + y``. Operands must have the same dtype."""
    return _ew.add_p.bind(x, y)


def sub(x: ArrayLike, y: ArrayLike) -> Any:
    """Elementwise subtraction: ``x - y``."""
    return _ew.sub_p.bind(x, y)


def mul(x: ArrayLike, y: ArrayLike, *, out_dtype: Any = None) -> Any:
    """Elementwise multiplication: ``x * y``. Operands must have the same dtype, unless
    ``out_dtype`` is given: then both are multiplied as ``out_dtype``."""
    if out_dtype is not None:
        out_dtype = np.dtype(out_dtype)
    return _ew.mul_p.bind(x, y, out_dtype=out_dtype)


def div(x: ArrayLike, y: ArrayLike) -> Any:
    """Elementwise division: ``x / y``; integer division truncates toward zero."""
    return _ew.div_p.bind(x, y)


def rem(x: ArrayLike, y: ArrayLike) -> Any:
    """Elementwise remainder of truncated division (C's ``fmod``: the sign of ``x``)."""
    return _ew.rem_p.bind(x, y)


def pow(x: ArrayLike, y: ArrayLike) -> Any:
    """Elementwise power ``x ** y``: ``x`` floating or complex, ``y`` of the same dtype or
    integer."""
    return _ew.pow_p.bind(x, y)


def integer_pow(x: ArrayLike, y: int) -> Any:
    """Elementwise power ``x ** y`` for a static Python integer ``y``."""
    return _ew.integer_pow_p.bind(x, y=int(y))


def max(x: ArrayLike, y: ArrayLike) -> Any:
    """Elementwise maximum (NaN if either operand is NaN)."""
    return _ew.max_p.bind(x, y)


def min(x: ArrayLike, y: ArrayLike) -> Any:
    """Elementwise minimum (NaN if either operand is NaN)."""
    return _ew.min_p.bind(x, y)


def square(x: ArrayLike) -> Any:
    """Elementwise square: ``x * x``."""
    return _ew.square_p.bind(x)


def reciprocal(x: ArrayLike) -> Any:
    """Elementwise reciprocal ``1 / x`` (an ``integer_pow`` with ``y=-1``)."""
    return integer_pow(x, -1)


def sqrt(x: ArrayLike, *, accuracy: Any = None) -> Any:
    """Elementwise square root."""
    return _ew.sqrt_p.bind(x, accuracy=accuracy)


def rsqrt(x: ArrayLike, *, accuracy: Any = None) -> Any:
    """Elementwise reciprocal square root: ``1 / sqrt(x)``."""
    return _ew.rsqrt_p.bind(x, accuracy=accuracy)


def cbrt(x: ArrayLike, *, accuracy: Any = None) -> Any:
    """Elementwise cube root."""
    return _ew.cbrt_p.bind(x, accuracy=accuracy)


# -- exponentials, logarithms and trigonometry ---------------------------------------------------


def exp(x: ArrayLike, *, accuracy: Any = None) -> Any:
    """Elementwise exponential."""
    return _ew.exp_p.bind(x, accuracy=accuracy)


def exp2(x: ArrayLike, *, accuracy: Any = None) -> Any:
    """Elementwise base-2 exponential: ``2 ** x``."""
    return _ew.exp2_p.bind(x, accuracy=accuracy)


def log(x: ArrayLike, *, accuracy: Any = None) -> Any:
    """Elementwise natural logarithm."""
    return _ew.log_p.bind(x, accuracy=accuracy)


def log1p(x: ArrayLike, *, accuracy: Any = None) -> Any:
    """Elementwise ``log(1 + x)``, accurate for small ``x``."""
    return _ew.log1p_p.bind(x, accuracy=accuracy)


def expm1(x: ArrayLike, *, accuracy: Any = None) -> Any:
    """Elementwise ``exp(x) - 1``, accurate for small ``x``."""
    return _ew.expm1_p.bind(x, accuracy=accuracy)


def logistic(x: ArrayLike, *, accuracy: Any = None) -> Any:
    """Elementwise logistic (sigmoid): ``1 / (1 + exp(-x))``."""
    return _ew.logistic_p.bind(x, accuracy=accuracy)


def tanh(x: ArrayLike, *, accuracy: Any = None) -> Any:
    """Elementwise hyperbolic tangent."""
    return _ew.tanh_p.bind(x, accuracy=accuracy)


def sin(x: ArrayLike, *, accuracy: Any = None) -> Any:
    """Elementwise sine."""
    return _ew.sin_p.bind(x, accuracy=accuracy)


def cos(x: ArrayLike, *, accuracy: Any = None) -> Any:
    """Elementwise cosine."""
    return _ew.cos_p.bind(x, accuracy=accuracy)


def tan(x: ArrayLike, *, accuracy: Any = None) -> Any:
    """Elementwise tangent."""
    return _ew.tan_p.bind(x, accuracy=accuracy)


def asin(x: ArrayLike) -> Any:
    """Elementwise arc sine."""
    return _ew.asin_p.bind(x)


def acos(x: ArrayLike) -> Any:
    """Elementwise arc cosine."""
    return _ew.acos_p.bind(x)


def atan(x: ArrayLike) -> Any:
    """Elementwise arc tangent."""
    return _ew.atan_p.bind(x)


def atan2(x: ArrayLike, y: ArrayLike) -> Any:
    """Elementwise two-argument arc tangent: the angle of the point ``(y, x)``."""
    return _ew.atan2_p.bind(x, y)


def sinh(x: ArrayLike) -> Any:
    """Elementwise hyperbolic sine."""
    return _ew.sinh_p.bind(x)


def cosh(x: ArrayLike) -> Any:
    """Elementwise hyperbolic cosine."""
    return _ew.cosh_p.bind(x)


def asinh(x: ArrayLike) -> Any:
    """Elementwise inverse hyperbolic sine."""
    return _ew.asinh_p.bind(x)


def acosh(x: ArrayLike) -> Any:
    """Elementwise inverse hyperbolic cosine."""
    return _ew.acosh_p.bind(x)


def atanh(x: ArrayLike) -> Any:
    """Elementwise inverse hyperbolic tangent."""
    return _ew.atanh_p.bind(x)


# -- special functions ---------------------------------------------------------------------------


def erf(x: ArrayLike) -> Any:
    """Elementwise error function."""
    return _ew.erf_p.bind(x)


def erfc(x: ArrayLike) -> Any:
    """Elementwise complementary error function: ``1 - erf(x)``."""
    return _ew.erfc_p.bind(x)


def erf_inv(x: ArrayLike) -> Any:
    """Elementwise inverse error function."""
    return _ew.erf_inv_p.bind(x)


def lgamma(x: ArrayLike) -> Any:
    """Elementwise log of the absolute value of the gamma function."""
    return _ew.lgamma_p.bind(x)


def digamma(x: ArrayLike) -> Any:
    """Elementwise digamma: the derivative of ``lgamma``."""
    return _ew.digamma_p.bind(x)


def polygamma(m: ArrayLike, x: ArrayLike) -> Any:
    """Elementwise polygamma: the ``m``-th derivative of ``digamma``."""
    return _ew.polygamma_p.bind(m, x)


def igamma(a: ArrayLike, x: ArrayLike) -> Any:
    """Elementwise regularized lower incomplete gamma function ``P(a, x)``."""
    return _ew.igamma_p.bind(a, x)


def igammac(a: ArrayLike, x: ArrayLike) -> Any:
    """Elementwise regularized upper incomplete gamma function ``Q(a, x) = 1 - P(a, x)``."""
    return _ew.igammac_p.bind(a, x)


def igamma_grad_a(a: ArrayLike, x: ArrayLike) -> Any:
    """Elementwise derivative of ``igamma(a, x)`` with respect to ``a``."""
    return _ew.igamma_grad_a_p.bind(a, x)


def zeta(x: ArrayLike, q: ArrayLike) -> Any:
    """Elementwise Hurwitz zeta function: the sum of ``(q + k) ** -x`` over ``k >= 0``."""
    return _ew.zeta_p.bind(x, q)


def bessel_i0e(x: ArrayLike) -> Any:
    """Exponentially scaled modified Bessel function of order 0: ``exp(-|x|) I0(x)``."""
    return _ew.bessel_i0e_p.bind(x)


def bessel_i1e(x: ArrayLike) -> Any:
    """Exponentially scaled modified Bessel function of order 1: ``exp(-|x|) I1(x)``."""
    return _ew.bessel_i1e_p.bind(x)


def betainc(a: ArrayLike, b: ArrayLike, x: ArrayLike) -> Any:
    """Elementwise regularized incomplete beta function ``I_x(a, b)``."""
    return _ew.regularized_incomplete_beta_p.bind(a, b, x)


# -- complex numbers ---------------------------------------------------------------------------


def real(x: ArrayLike) -> Any:
    """Elementwise real part of a complex array."""
    return _ew.real_p.bind(x)


def imag(x: ArrayLike) -> Any:
    """Elementwise imaginary part of a complex array."""
    return _ew.imag_p.bind(x)


def complex(x: ArrayLike, y: ArrayLike) -> Any:
    """Elementwise ``x + 1j * y`` from float32 or float64 parts."""
    return _ew.complex_p.bind(x, y)


def conj(x: ArrayLike) -> Any:
    """Elementwise complex conjugate (float32/float64 operands are made complex)."""
    return _ew.conj_p.bind(x, input_dtype=dtypes.canonicalize_dtype(dtypes.dtype(x)))


# -- comparisons -------------------------------------------------------------------------------


def eq(x: ArrayLike, y: ArrayLike) -> Any:
    """Elementwise ``x == y``."""
    return _ew.eq_p.bind(x, y)


def ne(x: ArrayLike, y: ArrayLike) -> Any:
    """Elementwise ``x != y``."""
    return _ew.ne_p.bind(x, y)


def lt(x: ArrayLike, y: ArrayLike) -> Any:
    """Elementwise ``x < y``."""
    return _ew.lt_p.bind(x, y)


def le(x: ArrayLike, y: ArrayLike) -> Any:
    """Elementwise ``x <= y``."""
    return _ew.le_p.bind(x, y)


def gt(x: ArrayLike, y: ArrayLike) -> Any:
    """Elementwise ``x > y``."""
    return _ew.gt_p.bind(x, y)


def ge(x: ArrayLike, y: ArrayLike) -> Any:
    """Elementwise ``x >= y``."""
    return _ew.ge_p.bind(x, y)


# -- bits ----------------------------------------------------------------------------------------


def bitwise_and(x: ArrayLike, y: ArrayLike) -> Any:
    """Elementwise AND (logical AND for booleans)."""
    return _ew.and_p.bind(x, y)


def bitwise_or(x: ArrayLike, y: ArrayLike) -> Any:
    """Elementwise OR (logical OR for booleans)."""
    return _ew.or_p.bind(x, y)


def bitwise_xor(x: ArrayLike, y: ArrayLike) -> Any:
    """Elementwise exclusive OR (logical XOR for booleans)."""
    return _ew.xor_p.bind(x, y)


def bitwise_not(x: ArrayLike) -> Any:
    """Elementwise NOT (logical NOT for booleans)."""
    return _ew.not_p.bind(x)


def shift_left(x: ArrayLike, y: ArrayLike) -> Any:
    """Elementwise ``x << y``; shifting by the bit width or more gives 0."""
    return _ew.shift_left_p.bind(x, y)


def shift_right_arithmetic(x: ArrayLike, y: ArrayLike) -> Any:
    """Elementwise ``x >> y`` filling with the sign bit; shifting by the bit width or more
    gives 0 or -1."""
    return _ew.shift_right_arithmetic_p.bind(x, y)


def shift_right_logical(x: ArrayLike, y: ArrayLike) -> Any:
    """Elementwise ``x >> y`` filling with zeros; shifting by the bit width or more gives 0."""
    return _ew.shift_right_logical_p.bind(x, y)


def population_count(x: ArrayLike) -> Any:
    """Elementwise number of set bits."""
    return _ew.population_count_p.bind(x)


def clz(x: ArrayLike) -> Any:
    """Elementwise number of leading zero bits."""
    return _ew.clz_p.bind(x)


def mulhi(x: ArrayLike, y: ArrayLike, /) -> Any:
    """Elementwise high half of the double-width integer product ``x * y``."""
    return _ew.mulhi_p.bind(x, y)


# -- selection -------------------------------------------------------------------------------------


def select_n(which: ArrayLike, *cases: ArrayLike) -> Any:
    """Elementwise ``cases[which]``: ``which`` is boolean (two cases at most) or integer, a
    scalar or of the cases' shape; the cases have equal shapes and dtypes."""
    if len(cases) == 0:
        raise ValueError("select_n() must have at least one case")
    return _ew.select_n_p.bind(which, *cases)


def select(pred: ArrayLike, on_true: ArrayLike, on_false: ArrayLike) -> Any:
    """Elementwise ``on_true if pred else on_false`` (``select_n(pred, on_false, on_true)``)."""
    return _ew.select_n_p.bind(pred, on_false, on_true)


def clamp(min: ArrayLike, x: ArrayLike, max: ArrayLike) -> Any:
    """Elementwise ``x`` clipped to ``[min, max]``; ``min`` and ``max`` are scalars or have
    ``x``'s shape."""
    return _ew.clamp_p.bind(min, x, max)


# -- conversions -------------------------------------------------------------------------------


# kiln.numpy still imports this name.
_user_dtype = dtypes.check_user_dtype


def convert_element_type(operand: ArrayLike, new_dtype: Any) -> Any:
    """Elementwise cast to ``new_dtype``, with XLA's semantics: float to integer truncates
    toward zero and saturates, NaN becomes 0, integers wrap, complex to real keeps the real
    part. Returns ``operand`` itself when it already has that dtype."""
    new_dtype = dtypes.check_user_dtype(new_dtype, "convert_element_type")
    return _convert_element_type(operand, new_dtype)


def _convert_element_type(operand: ArrayLike, new_dtype: np.dtype | None = None,
                          weak_type: bool = False) -> Any:
    """``convert_element_type`` to an already canonical dtype, choosing the weak type.
    Scalar constants are converted right away (they stay literals in jaxprs)."""
    jax_array = getattr(operand, "__jax_array__", None)
    if jax_array is not None:
        operand = jax_array()
    # (Python ints are converted exactly below, so their aval's int32 range does not apply.)
    aval = ShapedArray((), dtypes.python_scalar_dtype(int), True) if type(operand) is int \
        else get_aval(operand)
    new_dtype = aval.dtype if new_dtype is None else new_dtype
    if dtypes.is_complex(aval.dtype) and not dtypes.is_complex(new_dtype):
        warnings.warn("Casting complex values to real discards the imaginary part",
                      np.exceptions.ComplexWarning, stacklevel=3)
    unchanged = aval.dtype == new_dtype and aval.weak_type == weak_type
    if isinstance(operand, (bool, int, float, builtins.complex, np.generic)):
        if unchanged:
            return _stage_constant(operand, aval)
        # Like JAX, leave NaN and infinities to the primitive when converting to integers.
        nonfinite_to_int = (isinstance(operand, (float, builtins.complex, np.inexact))
                            and not np.isfinite(operand) and dtypes.is_int(new_dtype))
        if not weak_type and not nonfinite_to_int:
            try:  # Python ints may exceed int64: NumPy converts them exactly, or wraps
                value = (np.asarray(operand).astype(new_dtype) if type(operand) is int
                         else np.asarray(operand, dtype=new_dtype))
            except OverflowError:
                pass
            else:
                return _stage_constant(value[()], ShapedArray((), new_dtype))
    elif unchanged and isinstance(operand, (Array, Tracer)):
        return operand
    return _ew.convert_element_type_p.bind(operand, new_dtype=new_dtype, weak_type=weak_type,
                                           sharding=None)


def _stage_constant(value: Any, aval: ShapedArray) -> Any:
    """A constant as the current trace sees it: an Array when running eagerly, else the
    value itself (a literal, when staged)."""
    if tracing.current_trace() is tracing.EVAL_TRACE:
        from kiln.core.dispatch import device_put_value

        return device_put_value(value, aval)
    return value


def bitcast_convert_type(operand: ArrayLike, new_dtype: Any) -> Any:
    """Reinterpret the bits of each element as ``new_dtype``. A narrower ``new_dtype`` adds a
    last dimension (least significant part first); a wider one consumes it."""
    return _ew.bitcast_convert_type_p.bind(
        operand, new_dtype=dtypes.check_user_dtype(new_dtype, "bitcast_convert_type"))


def reduce_precision(operand: float | ArrayLike, exponent_bits: int, mantissa_bits: int) -> Any:
    """Round floating-point values to a format with ``exponent_bits`` and ``mantissa_bits``
    (values stay in the operand's dtype)."""
    return _ew.reduce_precision_p.bind(operand, exponent_bits=operator.index(exponent_bits),
                                       mantissa_bits=operator.index(mantissa_bits))


def stop_gradient(x: Any) -> Any:
    """The identity on each leaf of the pytree ``x``, which autodiff treats as a constant."""
    from kiln.tree_util import tree_map

    return tree_map(_ew.stop_gradient_p.bind, x)


__all__ = [
    "AccuracyMode", "RoundingMethod", "Tolerance",
    "neg", "sign", "floor", "ceil", "round", "is_finite", "nextafter", "abs", "add", "sub",
    "mul", "div", "rem", "pow", "integer_pow", "max", "min", "square", "reciprocal", "sqrt",
    "rsqrt", "cbrt", "exp", "exp2", "log", "log1p", "expm1", "logistic", "tanh", "sin", "cos",
    "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "asinh", "acosh", "atanh",
    "erf", "erfc", "erf_inv", "lgamma", "digamma", "polygamma", "igamma", "igammac",
    "igamma_grad_a", "zeta", "bessel_i0e", "bessel_i1e", "betainc",
    "real", "imag", "complex", "conj",
    "eq", "ne", "lt", "le", "gt", "ge",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "shift_left",
    "shift_right_arithmetic", "shift_right_logical", "population_count", "clz", "mulhi",
    "select_n", "select", "clamp",
    "convert_element_type", "bitcast_convert_type", "reduce_precision", "stop_gradient",
    # the primitives, under jax.lax's names
    *(f"{name}_p" for name in _ew.PRIMITIVES),
]
globals().update({f"{name}_p": prim for name, prim in _ew.PRIMITIVES.items()})
