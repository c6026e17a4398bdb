"""Elementwise functions (NumPy's ufuncs) with JAX's promotion: tables of the ones that are
one lax call after promotion, then the ones with formulas of their own, then the ``ufunc``
objects (``jnp.add.reduce``, ``jnp.multiply.outer``...).

Promotion classes: *numeric* functions keep the promoted dtype (``add``), *inexact* ones
compute in the default float when given integers (``sin``, ``divide``), *bool* ones return
booleans (``equal``).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

import numpy as np
from kiln import lax
from kiln.core import dtypes, errors, tracing
from kiln.core.abstract import ShapedArray
from kiln.core.array import Array
from kiln.core.tracing import Tracer
from kiln.numpy import promotion
from kiln.numpy.promotion import (
    asarray,
    check_arraylike,
    promote_args,
    promote_args_inexact,
    promote_args_numeric,
    promote_dtypes_inexact,
    promote_dtypes_numeric,
)
from kiln.numpy.selection import _where, to_bool

_ARRAYS = (Array, Tracer)


def _fast_pair(x: Any, y: Any) -> bool:
    """Both operands arrays of one dtype, weak type and rank: nothing to promote."""
    if isinstance(x, _ARRAYS) and isinstance(y, _ARRAYS):
        ax, ay = x.aval, y.aval
        return ax.dtype == ay.dtype and ax.weak_type == ay.weak_type and \
            len(ax.shape) == len(ay.shape)
    return False


_SCALAR_KINDS = {int: "iufc", float: "fc", complex: "c"}
_constants: dict[tuple, Any] = {}


def _scalar_operand(x: Any, y: Any) -> Any:
    """The Python scalar ``y`` as an operand of array ``x`` when promoting them leaves
    ``x``'s dtype and weak type unchanged (``x + 1``, ``2.0 * x``), else None. Eagerly, a
    cached device array of the constant (no transfer per call); while tracing, a scalar that
    becomes a literal."""
    kinds = _SCALAR_KINDS.get(type(y))
    aval = x.aval
    dtype = aval.dtype
    if kinds is None or dtype.kind not in kinds or dtype not in _FAST_DTYPES:
        return None
    if type(y) is int and dtype.kind in "iu" and not _INT_RANGES[dtype][0] <= y <= \
            _INT_RANGES[dtype][1]:
        return None
    weak = aval.weak_type
    if tracing.context.trace is not tracing.EVAL_TRACE or not isinstance(x, Array):
        return promotion.convert(y, dtype, weak)
    key = (dtype, weak, type(y), y, repr(y), type(x))
    c = _constants.get(key)
    if c is None:
        if len(_constants) > 256:
            _constants.clear()
        value = np.asarray(y).astype(dtype)
        backend = getattr(x, "_backend", None)
        aval_c = ShapedArray((), dtype, weak)
        c = backend.device_put(value, aval_c) if backend is not None else \
            promotion._put(value, dtype, weak)
        _constants[key] = c
    return c


_FAST_DTYPES = frozenset(np.dtype(t) for t in (
    np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
    np.float16, np.float32, np.float64, np.complex64, np.complex128)) | {dtypes.bfloat16}
_INT_RANGES = {np.dtype(t): (int(np.iinfo(t).min), int(np.iinfo(t).max)) for t in (
    np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)}


def _unary_array(name: str, x: Any) -> Any:
    if isinstance(x, _ARRAYS):
        return x
    check_arraylike(name, x)
    return asarray(x)


def _inexact_array(name: str, x: Any) -> Any:
    if isinstance(x, _ARRAYS) and dtypes.is_inexact(x.aval.dtype):
        return x
    check_arraylike(name, x)
    (x,) = promote_dtypes_inexact(x)
    return promotion._as_array(x)


_const = promotion.scalar_like  # weakly typed when x is, as JAX's internal constants


def _strong(x: Any, value: Any) -> Any:
    """``value`` as a strongly typed scalar of ``x``'s dtype (where JAX's result is strong)."""
    return promotion.strong_scalar(x.dtype, value)


_ML_FLOATS = frozenset((dtypes.bfloat16, *dtypes.small_float_dtypes))


def _is_complex(x: Any) -> bool:
    return dtypes.is_complex(x.dtype)


def _check_no_complex(name: str, *args: Any) -> None:
    for a in args:
        if _is_complex(a):
            raise TypeError(f"{name} does not support complex-valued inputs")


# -- one lax call after promotion -------------------------------------------------------------

def _make_inexact_unary(name: str, lax_fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def fn(x: Any, /) -> Any:
        return lax_fn(_inexact_array(name, x))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}``; integer and boolean inputs compute in the default " \
                 "float type."
    return fn


exp = _make_inexact_unary("exp", lax.exp)
exp2 = _make_inexact_unary("exp2", lax.exp2)
expm1 = _make_inexact_unary("expm1", lax.expm1)
log = _make_inexact_unary("log", lax.log)
log1p = _make_inexact_unary("log1p", lax.log1p)
sqrt = _make_inexact_unary("sqrt", lax.sqrt)
cbrt = _make_inexact_unary("cbrt", lax.cbrt)
sin = _make_inexact_unary("sin", lax.sin)
cos = _make_inexact_unary("cos", lax.cos)
tan = _make_inexact_unary("tan", lax.tan)
arcsin = _make_inexact_unary("arcsin", lax.asin)
arccos = _make_inexact_unary("arccos", lax.acos)
arctan = _make_inexact_unary("arctan", lax.atan)
sinh = _make_inexact_unary("sinh", lax.sinh)
cosh = _make_inexact_unary("cosh", lax.cosh)
tanh = _make_inexact_unary("tanh", lax.tanh)
arcsinh = _make_inexact_unary("arcsinh", lax.asinh)
arccosh = _make_inexact_unary("arccosh", lax.acosh)
arctanh = _make_inexact_unary("arctanh", lax.atanh)
acos, asin, atan = arccos, arcsin, arctan
acosh, asinh, atanh = arccosh, arcsinh, arctanh


def _make_binary(name: str, lax_fn: Callable[[Any, Any], Any], promote: Callable,
                 bool_fn: Callable[[Any, Any], Any] | None = None) -> Callable[[Any, Any], Any]:
    # Fast paths keep the array's dtype: only when that is already what promotion gives.
    inexact = promote is promote_args_inexact

    def keeps(a: Any) -> bool:
        return not inexact or dtypes.is_inexact(a.aval.dtype)

    def fn(x: Any, y: Any, /) -> Any:
        if _fast_pair(x, y) and keeps(x):
            pass
        elif isinstance(x, _ARRAYS) and keeps(x) and (c := _scalar_operand(x, y)) is not None:
            y = c
        elif isinstance(y, _ARRAYS) and keeps(y) and (c := _scalar_operand(y, x)) is not None:
            x = c
        else:
            x, y = promote(name, x, y)
        if bool_fn is not None and dtypes.dtype(x) == dtypes.bool_:
            return bool_fn(x, y)
        return lax_fn(x, y)

    fn.__name__ = fn.__qualname__ = name
    return fn




_add = _make_binary("add", lax.add, promote_args, lax.bitwise_or)
_multiply = _make_binary("multiply", lax.mul, promote_args, lax.bitwise_and)
_subtract = _make_binary("subtract", lax.sub, promote_args)
_maximum = _make_binary("maximum", lax.max, promote_args)
_minimum = _make_binary("minimum", lax.min, promote_args)
_bitwise_and = _make_binary("bitwise_and", lax.bitwise_and, promote_args)
_bitwise_or = _make_binary("bitwise_or", lax.bitwise_or, promote_args)
_bitwise_xor = _make_binary("bitwise_xor", lax.bitwise_xor, promote_args)
arctan2 = atan2 = _make_binary("arctan2", lax.atan2, promote_args_inexact)
nextafter = _make_binary("nextafter", lax.nextafter, promote_args_inexact)


def _divide(x1: Any, x2: Any, /) -> Any:
    if _fast_pair(x1, x2) and dtypes.is_inexact(x1.aval.dtype):
        pass
    elif isinstance(x1, _ARRAYS) and dtypes.is_inexact(x1.aval.dtype) and \
            (c := _scalar_operand(x1, x2)) is not None:
        x2 = c
    elif isinstance(x2, _ARRAYS) and dtypes.is_inexact(x2.aval.dtype) and \
            (c := _scalar_operand(x2, x1)) is not None:
        x1 = c
    else:
        x1, x2 = promote_args_inexact("true_divide", x1, x2)
    return lax.div(x1, x2)


divide = true_divide = _divide
divide.__name__ = "divide"
divide.__doc__ = "Elementwise ``x1 / x2``, in the default float type for integer inputs."


def _comparison(name: str, lax_fn: Callable[[Any, Any], Any],
                ordered: bool) -> Callable[[Any, Any], Any]:
    def fn(x: Any, y: Any, /) -> Any:
        if _fast_pair(x, y):
            pass
        elif isinstance(x, _ARRAYS) and (c := _scalar_operand(x, y)) is not None:
            y = c
        elif isinstance(y, _ARRAYS) and (c := _scalar_operand(y, x)) is not None:
            x = c
        else:
            x, y = promote_args(name, x, y)
        if ordered and dtypes.is_complex(dtypes.dtype(x)):
            # NumPy orders complex numbers lexicographically.
            rx, ry, ix, iy = lax.real(x), lax.real(y), lax.imag(x), lax.imag(y)
            return lax.select(lax.eq(rx, ry), lax_fn(ix, iy), lax_fn(rx, ry))
        return lax_fn(x, y)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise comparison ``{name}`` (complex values compare " \
                 "lexicographically)."
    return fn


equal = _comparison("equal", lax.eq, False)
not_equal = _comparison("not_equal", lax.ne, False)
less = _comparison("less", lax.lt, True)
less_equal = _comparison("less_equal", lax.le, True)
greater = _comparison("greater", lax.gt, True)
greater_equal = _comparison("greater_equal", lax.ge, True)


def _logical(name: str, lax_fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def fn(x: Any, y: Any, /) -> Any:
        x, y = promote_args(name, x, y)
        return lax_fn(to_bool(x), to_bool(y))

    fn.__name__ = fn.__qualname__ = name
    return fn


_logical_and = _logical("logical_and", lax.bitwise_and)
_logical_or = _logical("logical_or", lax.bitwise_or)
_logical_xor = _logical("logical_xor", lax.bitwise_xor)


def logical_not(x: Any, /) -> Any:
    """Elementwise logical NOT (nonzero is true)."""
    return lax.bitwise_not(to_bool(_unary_array("logical_not", x)))


# -- unary functions that keep the dtype ------------------------------------------------------


def _negative(x: Any, /) -> Any:
    return lax.neg(_unary_array("negative", x))


def positive(x: Any, /) -> Any:
    """Elementwise ``+x`` (the identity)."""
    return _unary_array("positive", x)


def absolute(x: Any, /) -> Any:
    """Elementwise absolute value (the modulus for complex input, a float)."""
    x = _unary_array("absolute", x)
    dt = x.aval.dtype
    if dt == dtypes.bool_ or dtypes.is_unsigned(dt):
        return x
    return lax.abs(x)


abs = absolute


def fabs(x: Any, /) -> Any:
    """Elementwise absolute value in floating point; complex input raises."""
    x = _inexact_array("fabs", x)
    _check_no_complex("fabs", x)
    return lax.abs(x)


def sign(x: Any, /) -> Any:
    """Elementwise sign: -1, 0 or 1 (``x / |x|`` for complex)."""
    return lax.sign(_unary_array("sign", x))


def _integer_identity(name: str, lax_fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def fn(x: Any, /) -> Any:
        x = _unary_array(name, x)
        if not dtypes.is_inexact(x.aval.dtype):
            return x
        _check_no_complex(name, x)
        return lax_fn(x)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}``; integers and booleans are returned unchanged."
    return fn


floor = _integer_identity("floor", lax.floor)
ceil = _integer_identity("ceil", lax.ceil)


def _trunc(x: Any) -> Any:
    return _where(lax.lt(x, _const(x, 0)), lax.ceil(x), lax.floor(x))


trunc = _integer_identity("trunc", _trunc)


def rint(x: Any, /) -> Any:
    """Elementwise rounding to the nearest integer, halves to even (integers become the
    default float, as in NumPy)."""
    x = _unary_array("rint", x)
    dt = x.aval.dtype
    if not dtypes.is_inexact(dt):
        return lax.convert_element_type(x, promotion.float_dtype_of(dt))
    if dtypes.is_complex(dt):
        return lax.complex(rint(lax.real(x)), rint(lax.imag(x)))
    return lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN)


def square(x: Any, /) -> Any:
    """Elementwise ``x * x`` (booleans become the default int)."""
    check_arraylike("square", x)
    (x,) = promote_dtypes_numeric(x)
    return lax.square(promotion._as_array(x))


def reciprocal(x: Any, /) -> Any:
    """Elementwise ``1 / x``, in the default float type for integer inputs."""
    return lax.integer_pow(_inexact_array("reciprocal", x), -1)


def invert(x: Any, /) -> Any:
    """Elementwise bitwise NOT (logical NOT for booleans)."""
    return lax.bitwise_not(_unary_array("invert", x))


bitwise_not = bitwise_invert = invert


def bitwise_count(x: Any, /) -> Any:
    """The number of set bits of ``|x|``, as uint8."""
    check_arraylike("bitwise_count", x)
    (x,) = promote_dtypes_numeric(x)
    x = promotion._as_array(x)
    return lax.convert_element_type(lax.population_count(lax.abs(x) if not dtypes.is_unsigned(
        x.dtype) and dtypes.is_int(x.dtype) else x), np.uint8)


def conjugate(x: Any, /) -> Any:
    """Elementwise complex conjugate (real input is returned unchanged)."""
    x = _unary_array("conjugate", x)
    return lax.conj(x) if _is_complex(x) else x


conj = conjugate


def real(val: Any, /) -> Any:
    """The real part (real input is returned unchanged)."""
    x = _unary_array("real", val)
    return lax.real(x) if _is_complex(x) else x


def imag(val: Any, /) -> Any:
    """The imaginary part (zeros for real input)."""
    x = _unary_array("imag", val)
    return lax.imag(x) if _is_complex(x) else lax.full_like(x, 0)


def angle(z: Any, deg: bool = False) -> Any:
    """The angle of complex ``z`` (in degrees if ``deg``); 0 or pi for real input."""
    z = _unary_array("angle", z)
    re, im = (lax.real(z), lax.imag(z)) if _is_complex(z) else (z, lax.full_like(z, 0))
    if not dtypes.is_inexact(re.dtype):
        re, im = promote_dtypes_inexact(re, im)
    out = lax.atan2(im, re)
    out = lax.convert_element_type(out, out.dtype)  # strongly typed, as in JAX
    return degrees(out) if deg else out


# -- predicates -------------------------------------------------------------------------------


def isfinite(x: Any, /) -> Any:
    """Elementwise: neither infinite nor NaN (always true for integers)."""
    x = _unary_array("isfinite", x)
    dt = x.aval.dtype
    if dtypes.is_float(dt):
        return lax.is_finite(x)
    if dtypes.is_complex(dt):
        return lax.bitwise_and(lax.is_finite(lax.real(x)), lax.is_finite(lax.imag(x)))
    return lax.full_like(x, True, dtypes.bool_)


def isinf(x: Any, /) -> Any:
    """Elementwise: positive or negative infinity."""
    x = _unary_array("isinf", x)
    dt = x.aval.dtype
    if dtypes.is_float(dt):
        return lax.eq(lax.abs(x), _strong(x, np.inf))
    if dtypes.is_complex(dt):
        return lax.bitwise_or(isinf(lax.real(x)), isinf(lax.imag(x)))
    return lax.full_like(x, False, dtypes.bool_)


def isnan(x: Any, /) -> Any:
    """Elementwise: NaN."""
    x = _unary_array("isnan", x)
    return lax.ne(x, x)


def _isinf_signed(name: str, value: float) -> Callable[..., Any]:
    def fn(x: Any, /, out: None = None) -> Any:
        if out is not None:
            raise NotImplementedError(f"The 'out' argument to jnp.{name} is not supported.")
        x = _unary_array(name, x)
        dt = x.aval.dtype
        if dtypes.is_complex(dt):
            raise ValueError(f"jnp.{name} is not well defined for complex-valued inputs")
        if dtypes.is_float(dt):
            return lax.eq(x, _strong(x, value))
        return lax.full(x.shape, False, dtypes.bool_)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise: equal to {value}."
    return fn


isposinf = _isinf_signed("isposinf", np.inf)
isneginf = _isinf_signed("isneginf", -np.inf)


_INT_OF_WIDTH = {1: np.int8, 2: np.int16, 4: np.int32, 8: np.int64}


def signbit(x: Any, /) -> Any:
    """Elementwise: the sign bit is set (true for -0.0 and negative NaNs)."""
    x = _unary_array("signbit", x)
    dt = x.aval.dtype
    if dtypes.is_int(dt):
        return lax.lt(x, _strong(x, 0))
    if dt == dtypes.bool_:
        return lax.full(x.shape, False, dtypes.bool_)
    if not dtypes.is_float(dt):
        raise ValueError(f"jnp.signbit is not well defined for {dt}")
    if dt in _ML_FLOATS and dt.itemsize == 1:
        x = lax.convert_element_type(x, np.float32)
        dt = x.dtype
    int_type = np.dtype(_INT_OF_WIDTH[dt.itemsize])
    bits = lax.bitcast_convert_type(x, int_type)
    shifted = lax.shift_right_arithmetic(bits, np.array(8 * dt.itemsize - 1, int_type)[()])
    return lax.convert_element_type(shifted, np.bool_)


def iscomplexobj(x: Any) -> bool:
    """Whether ``x``'s dtype is complex (values are not inspected)."""
    if x is None:
        return False
    try:
        dt = dtypes.dtype(x)
    except TypeError:
        dt = np.asarray(x).dtype
    return dtypes.is_complex(dt)


def isrealobj(x: Any) -> bool:
    """Whether ``x``'s dtype is not complex."""
    return not iscomplexobj(x)


def iscomplex(x: Any) -> Any:
    """Elementwise: the imaginary part is nonzero."""
    x = _unary_array("iscomplex", x)
    i = imag(x)
    return lax.ne(i, _const(i, 0))


def isreal(x: Any) -> Any:
    """Elementwise: the imaginary part is zero."""
    x = _unary_array("isreal", x)
    i = imag(x)
    return lax.eq(i, _const(i, 0))


# -- arithmetic with formulas of their own ------------------------------------------------------


def _float_divmod(x1: Any, x2: Any) -> tuple[Any, Any]:
    mod = lax.rem(x1, x2)
    div = lax.div(_where(lax.eq(x2, _const(x2, 0)), x1, lax.sub(x1, mod)), x2)
    ind = lax.bitwise_and(lax.ne(mod, _const(mod, 0)), lax.ne(lax.sign(x2), lax.sign(mod)))
    mod = lax.select(ind, lax.add(mod, x2), mod)
    div = lax.select(ind, lax.sub(div, _const(div, 1)), div)
    return lax.round(div), mod


def floor_divide(x1: Any, x2: Any, /) -> Any:
    """Elementwise ``x1 // x2``: the quotient rounded toward negative infinity."""
    x1, x2 = promote_args_numeric("floor_divide", x1, x2)
    dt = x1.dtype if hasattr(x1, "dtype") else dtypes.dtype(x1)
    if dtypes.is_unsigned(dt):
        return lax.div(x1, x2)
    if dtypes.is_int(dt):
        x1, x2 = promotion._as_array(x1), promotion._as_array(x2)
        quotient = lax.div(x1, x2)
        select = lax.bitwise_and(lax.ne(lax.sign(x1), lax.sign(x2)),
                                 lax.ne(lax.rem(x1, x2), _const(x1, 0)))
        return _where(select, lax.sub(quotient, _const(quotient, 1)), quotient)
    if dtypes.is_complex(dt):
        raise TypeError("floor_divide does not support complex-valued inputs")
    x1, x2 = promotion._as_array(x1), promotion._as_array(x2)
    return _float_divmod(x1, x2)[0]


def remainder(x1: Any, x2: Any, /) -> Any:
    """Elementwise Python-style remainder: the sign of the divisor (``x1 % x2``)."""
    x1, x2 = (promotion._as_array(a) for a in promote_args_numeric("remainder", x1, x2))
    _check_no_complex("remainder", x1)
    if dtypes.is_int(x2.dtype):
        x2 = _where(lax.eq(x2, _const(x2, 0)), lax.full_like(x2, 1), x2)
    zero = _const(x1, 0)
    trunc_mod = lax.rem(x1, x2)
    do_plus = lax.bitwise_and(lax.ne(lax.lt(trunc_mod, zero), lax.lt(x2, zero)),
                              lax.ne(trunc_mod, zero))
    return lax.select(do_plus, lax.add(trunc_mod, x2), trunc_mod)


mod = remainder


def fmod(x1: Any, x2: Any, /) -> Any:
    """Elementwise C-style remainder: the sign of the dividend."""
    x1, x2 = (promotion._as_array(a) for a in promote_args_numeric("fmod", x1, x2))
    _check_no_complex("fmod", x1)
    if dtypes.is_int(x2.dtype):
        x2 = _where(lax.eq(x2, _const(x2, 0)), lax.full_like(x2, 1), x2)
    return lax.rem(x1, x2)


def divmod(x1: Any, x2: Any, /) -> tuple[Any, Any]:
    """``(floor_divide(x1, x2), remainder(x1, x2))``."""
    x1, x2 = (promotion._as_array(a) for a in promote_args_numeric("divmod", x1, x2))
    if dtypes.is_int(x1.dtype):
        return floor_divide(x1, x2), remainder(x1, x2)
    _check_no_complex("divmod", x1)
    return _float_divmod(x1, x2)


def _static_int(x: Any) -> int | None:
    if isinstance(x, Tracer):
        return None
    if hasattr(x, "dtype") and not dtypes.is_int(np.dtype(x.dtype)):
        return None
    try:
        return operator.index(x)
    except (TypeError, errors.JAXTypeError):
        return None


def power(x1: Any, x2: Any, /) -> Any:
    """Elementwise ``x1 ** x2``. A concrete integer exponent uses exact repeated squaring
    (``lax.integer_pow``); integer arrays use binary exponentiation."""
    if type(x2) is int and isinstance(x1, _ARRAYS) and x1.aval.dtype != dtypes.bool_:
        return lax.integer_pow(x1, x2)
    check_arraylike("power", x1, x2)
    n = _static_int(x2)
    if n is not None:
        (x1,) = promote_dtypes_numeric(x1)
        return lax.integer_pow(promotion._as_array(x1), n)
    dtype, weak = promotion.result_dtype_and_weak(x1, x2)
    if dtype == dtypes.bool_:
        dtype = dtypes.canonicalize_dtype(np.int64)
    x2_dtype = dtypes.canonicalize_dtype(dtypes.dtype(x2))
    if dtypes.is_inexact(dtype) and dtypes.is_int(x2_dtype) and not isinstance(x2, int):
        # An integer exponent array stays integer: lax.pow takes (float, int).
        x1 = promotion.convert(x1, dtype, weak, as_array=True)
        x2 = promotion.asarray(x2)
        x1, x2 = promotion.promote_shapes("power", x1, x2)
        return lax.pow(x1, x2)
    x1, x2 = (promotion._as_array(a) for a in promote_args_numeric("power", x1, x2))
    if not dtypes.is_int(x1.dtype):
        return lax.pow(x1, x2)
    return _integer_power(x1, x2)


pow = power


def _integer_power(x1: Any, x2: Any) -> Any:
    one, zero = _strong(x1, 1), _strong(x1, 0)
    acc = _where(lax.bitwise_and(lax.eq(x1, zero), lax.ne(x2, zero)), zero, one)
    for _ in range((8 * x1.dtype.itemsize).bit_length()):
        acc = _where(lax.ne(lax.bitwise_and(x2, one), zero), lax.mul(acc, x1), acc)
        x1 = lax.mul(x1, x1)
        x2 = lax.shift_right_logical(x2, one)
    return acc


def float_power(x: Any, y: Any, /) -> Any:
    """Elementwise ``x ** y`` in floating point."""
    x, y = promote_args_inexact("float_power", x, y)
    return lax.pow(x, y)


def hypot(x1: Any, x2: Any, /) -> Any:
    """Elementwise ``sqrt(x1**2 + x2**2)`` without overflow or underflow."""
    x1, x2 = (promotion._as_array(a) for a in promote_args_inexact("hypot", x1, x2))
    _check_no_complex("hypot", x1)
    x1, x2 = lax.abs(x1), lax.abs(x2)
    inf = _const(x1, np.inf)
    idx_inf = lax.bitwise_or(lax.eq(x1, inf), lax.eq(x2, inf))
    big, small = lax.max(x1, x2), lax.min(x1, x2)
    big_zero = lax.eq(big, _const(big, 0))
    ratio = lax.div(small, _where(big_zero, lax.full_like(big, 1), big))
    out = _where(big_zero, big, lax.mul(big, lax.sqrt(lax.add(_const(ratio, 1),
                                                              lax.square(ratio)))))
    return _where(idx_inf, np.inf, out)


def copysign(x1: Any, x2: Any, /) -> Any:
    """Elementwise ``|x1|`` with the sign of ``x2``."""
    x1, x2 = (promotion._as_array(a) for a in promote_args_inexact("copysign", x1, x2))
    _check_no_complex("copysign", x1)
    return _where(signbit(x2), lax.neg(lax.abs(x1)), lax.abs(x1))


def heaviside(x1: Any, x2: Any, /) -> Any:
    """The Heaviside step: 0 for ``x1 < 0``, ``x2`` at 0, 1 for ``x1 > 0``."""
    x1, x2 = (promotion._as_array(a) for a in promote_args_inexact("heaviside", x1, x2))
    zero = _const(x1, 0)
    return _where(lax.lt(x1, zero), 0.0,
                  _where(lax.gt(x1, zero), 1.0, _where(lax.ne(x1, x1), x1, x2)))


def _logaddexp_parts(name: str, x1: Any, x2: Any) -> tuple[Any, Any, Any, Any]:
    """(x1, x2, the larger, the smaller - the larger) for logaddexp and logaddexp2. Picking
    the larger with ``where`` (not ``max``) gives JAX's derivatives, 1/2 each, at ties."""
    x1, x2 = (promotion._as_array(a) for a in promote_args_inexact(name, x1, x2))
    ge = lax.ge(x1, x2)
    big = _where(ge, x1, x2)
    small = _where(ge, x2, x1)
    return x1, x2, big, lax.sub(small, big)


def _logaddexp(x1: Any, x2: Any, /) -> Any:
    x1, x2, big, neg_delta = _logaddexp_parts("logaddexp", x1, x2)
    delta = lax.sub(x1, x2)
    return _where(lax.ne(delta, delta), lax.add(x1, x2),
                  lax.add(big, lax.log1p(lax.exp(neg_delta))))


def _logaddexp2(x1: Any, x2: Any, /) -> Any:
    x1, x2, big, neg_delta = _logaddexp_parts("logaddexp2", x1, x2)
    delta = lax.sub(x1, x2)
    log2e = _const(x1, 1 / math.log(2))
    return _where(lax.ne(delta, delta), lax.add(x1, x2),
                  lax.add(big, lax.mul(log2e, lax.log1p(lax.exp2(neg_delta)))))


def log2(x: Any, /) -> Any:
    """Elementwise base-2 logarithm."""
    x = _inexact_array("log2", x)
    return lax.div(lax.log(x), lax.log(_strong(x, 2)))


def log10(x: Any, /) -> Any:
    """Elementwise base-10 logarithm."""
    x = _inexact_array("log10", x)
    return lax.mul(lax.log(x), _strong(x, 1 / math.log(10)))


def deg2rad(x: Any, /) -> Any:
    """Degrees to radians."""
    x = _inexact_array("deg2rad", x)
    return lax.mul(x, _weak_const(x, math.pi / 180))


def rad2deg(x: Any, /) -> Any:
    """Radians to degrees."""
    x = _inexact_array("rad2deg", x)
    return lax.mul(x, _weak_const(x, 180 / math.pi))


radians, degrees = deg2rad, rad2deg


def _weak_const(x: Any, value: float) -> Any:
    """``value`` as a scalar of ``x``'s dtype that keeps ``x``'s weak type."""
    c = _const(x, value)
    return float(c) if x.aval.weak_type and not _is_complex(x) else c


def sinc(x: Any, /) -> Any:
    """The normalised sinc: ``sin(pi x) / (pi x)``, 1 at 0."""
    x = _inexact_array("sinc", x)
    eq_zero = lax.eq(x, _const(x, 0))
    pi_x = lax.mul(_weak_const(x, math.pi), x)
    safe = _where(eq_zero, 1.0 if x.aval.weak_type else _const(x, 1), pi_x)
    # At 0, 1 written as a function of x (so its derivative there is 0, as sinc's is).
    at_zero = lax.add(lax.mul(pi_x, _const(x, 0)), _const(x, 1))
    return _where(eq_zero, at_zero, lax.div(lax.sin(safe), safe))


def i0(x: Any) -> Any:
    """The modified Bessel function of the first kind, order 0."""
    x = _inexact_array("i0", x)
    _check_no_complex("i0", x)
    ax = lax.abs(x)
    return lax.mul(lax.exp(ax), lax.bessel_i0e(ax))


def spacing(x: Any, /) -> Any:
    """The distance from ``x`` to the next representable value away from zero."""
    x = _inexact_array("spacing", x)
    _check_no_complex("spacing", x)
    toward = copysign(_strong(x, np.inf), x)
    x = lax.convert_element_type(x, x.dtype)  # JAX's result is strongly typed
    result = lax.sub(lax.nextafter(x, toward), x)
    tiny = copysign(_strong(x, dtypes.finfo(x.dtype).smallest_subnormal), x)
    return _where(lax.eq(result, _strong(x, 0)), tiny, result)


def frexp(x: Any, /) -> tuple[Any, Any]:
    """Mantissa in [0.5, 1) and integer exponent with ``x = m * 2**e``."""
    x = _inexact_array("frexp", x)
    _check_no_complex("frexp", x)
    x = lax.convert_element_type(x, x.dtype)  # JAX's results are strongly typed
    dt = x.dtype
    info = dtypes.finfo(dt)
    int_type = np.dtype(_INT_OF_WIDTH[dt.itemsize])
    nmant, bias = int(info.nmant), int(info.maxexp) - 1
    expmask = (1 << int(info.nexp)) - 1

    def i(v: int) -> Any:
        return np.array(v).astype(int_type)[()]

    is_subnormal = lax.lt(lax.abs(x), _const(x, info.tiny))
    scaled = _where(is_subnormal, lax.mul(x, _const(x, 2.0 ** nmant)), x)
    exp_offset = _where(is_subnormal, i(-nmant), i(0))
    bits = lax.bitcast_convert_type(scaled, int_type)
    exponent = lax.add(exp_offset, lax.add(lax.sub(lax.bitwise_and(
        lax.shift_right_arithmetic(bits, i(nmant)), i(expmask)), i(bias)), i(1)))
    mant_bits = lax.bitwise_or(lax.bitwise_and(bits, i(~(expmask << nmant))),
                               i((bias - 1) << nmant))
    mantissa = lax.bitcast_convert_type(mant_bits, dt)
    special = lax.bitwise_or(lax.bitwise_or(isinf(x), lax.ne(x, x)),
                             lax.eq(x, _const(x, 0)))
    exponent = _where(special, lax.full_like(exponent, 0), exponent)
    if exponent.dtype != dtypes.int32:
        exponent = lax.convert_element_type(exponent, np.int32)
    return _where(special, x, mantissa), exponent


def ldexp(x1: Any, x2: Any, /) -> Any:
    """Elementwise ``x1 * 2**x2`` for an integer ``x2``."""
    check_arraylike("ldexp", x1, x2)
    x1_dt, x2_dt = dtypes.dtype(x1), dtypes.dtype(x2)
    if dtypes.is_complex(x1_dt) or not (dtypes.is_int(x2_dt) or x2_dt == dtypes.bool_):
        raise ValueError(f"ldexp not supported for input types {(x1_dt, x2_dt)}")
    (x1,) = promote_dtypes_inexact(x1)
    x1 = promotion._as_array(x1)
    x2 = asarray(x2)
    dt = x1.dtype
    mantissa, exponent = frexp(x1)
    exponent = lax.add(lax.convert_element_type(exponent, dt),
                       lax.convert_element_type(x2, dt))
    x1b, exb = promotion.promote_shapes("ldexp", mantissa, exponent)
    positive = lax.gt(exb, _const(exb, 0))
    m = _where(positive, lax.mul(x1b, _const(x1b, 2)), x1b)
    e = _where(positive, lax.sub(exb, _const(exb, 1)), exb)
    out = lax.mul(m, lax.pow(lax.full_like(e, 2), e))
    keep = lax.bitwise_or(isinf(x1), lax.eq(x1, _const(x1, 0)))
    return _where(keep, x1, out)


def modf(x: Any, /, out: None = None) -> tuple[Any, Any]:
    """Fractional and integral parts, both with ``x``'s sign."""
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.modf is not supported.")
    x = _inexact_array("modf", x)
    whole = _where(lax.ge(x, _const(x, 0)), lax.floor(x), lax.ceil(x))
    return lax.sub(x, whole), whole


def fmax(x1: Any, x2: Any) -> Any:
    """Elementwise maximum that ignores NaN (NaN only where both are NaN)."""
    x1, x2 = (promotion._as_array(a) for a in promote_args("fmax", x1, x2))
    return _where(lax.bitwise_or(lax.gt(x1, x2), lax.ne(x2, x2)), x1, x2)


def fmin(x1: Any, x2: Any) -> Any:
    """Elementwise minimum that ignores NaN (NaN only where both are NaN)."""
    x1, x2 = (promotion._as_array(a) for a in promote_args("fmin", x1, x2))
    return _where(lax.bitwise_or(lax.lt(x1, x2), lax.ne(x2, x2)), x1, x2)


def _euclid_steps(dtype: np.dtype) -> int:
    # Euclid's algorithm takes at most ~1.44 log2(n) + 2 steps (Lamé), n < 2**bits.
    return int(1.45 * 8 * dtype.itemsize) + 2


def gcd(x1: Any, x2: Any) -> Any:
    """Elementwise greatest common divisor of integers (always non-negative)."""
    check_arraylike("gcd", x1, x2)
    x1, x2 = (promotion._as_array(a) for a in promote_args_numeric("gcd", x1, x2))
    if not dtypes.is_int(x1.dtype):
        raise ValueError("Arguments to jax.numpy.gcd must be integers.")
    a, b = absolute(x1), absolute(x2)
    zero = _const(a, 0)
    for _ in range(_euclid_steps(a.dtype)):
        nonzero = lax.ne(b, zero)
        a, b = _where(nonzero, b, a), _where(nonzero, lax.rem(a, _where(nonzero, b, lax.full_like(
            b, 1))), zero)
    return a


def lcm(x1: Any, x2: Any) -> Any:
    """Elementwise least common multiple of integers (always non-negative)."""
    check_arraylike("lcm", x1, x2)
    x1, x2 = (promotion._as_array(a) for a in promote_args_numeric("lcm", x1, x2))
    if not dtypes.is_int(x1.dtype):
        raise ValueError("Arguments to jax.numpy.lcm must be integers.")
    a, b = absolute(x1), absolute(x2)
    d = gcd(a, b)
    zero = _const(d, 0)
    d_safe = _where(lax.eq(d, zero), lax.full_like(d, 1), d)
    return _where(lax.eq(d, zero), zero, lax.mul(a, floor_divide(b, d_safe)))


def left_shift(x: Any, y: Any, /) -> Any:
    """Elementwise ``x << y``."""
    x, y = promote_args_numeric("left_shift", x, y)
    return lax.shift_left(x, y)


def right_shift(x1: Any, x2: Any, /) -> Any:
    """Elementwise ``x1 >> x2`` (arithmetic for signed, logical for unsigned integers)."""
    x1, x2 = promote_args_numeric("right_shift", x1, x2)
    if dtypes.is_unsigned(dtypes.dtype(x1)):
        return lax.shift_right_logical(x1, x2)
    return lax.shift_right_arithmetic(x1, x2)


bitwise_left_shift, bitwise_right_shift = left_shift, right_shift


def round(a: Any, decimals: int = 0, out: None = None) -> Any:
    """Round to ``decimals`` decimal places, halves to even."""
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.round is not supported.")
    check_arraylike("round", a)
    decimals = operator.index(decimals)
    x = asarray(a)
    dt = x.dtype
    if dtypes.is_int(dt) or dt == dtypes.bool_:
        if decimals < 0:
            raise NotImplementedError("integer np.round not implemented for decimals < 0")
        return x

    def round_float(v: Any) -> Any:
        if decimals == 0:
            return lax.round(v, lax.RoundingMethod.TO_NEAREST_EVEN)
        v_dt = v.dtype
        if v_dt in (dtypes.float16, dtypes.bfloat16):
            v = lax.convert_element_type(v, np.float32)
        factor = _const(v, 10.0 ** decimals)
        out = lax.div(lax.round(lax.mul(v, factor), lax.RoundingMethod.TO_NEAREST_EVEN),
                      factor)
        return lax.convert_element_type(out, v_dt) if out.dtype != v_dt else out

    if dtypes.is_complex(dt):
        return lax.complex(round_float(lax.real(x)), round_float(lax.imag(x)))
    return round_float(x)


around = round




def nan_to_num(x: Any, copy: bool = True, nan: Any = 0.0, posinf: Any = None,
               neginf: Any = None) -> Any:
    """Replace NaN by ``nan`` and infinities by ``posinf``/``neginf`` (default: the largest
    and smallest finite values of the dtype)."""
    check_arraylike("nan_to_num", x)
    x = asarray(x)
    dt = x.dtype
    if not dtypes.is_inexact(dt):
        return x
    if dtypes.is_complex(dt):
        return lax.complex(nan_to_num(lax.real(x), nan=nan, posinf=posinf, neginf=neginf),
                           nan_to_num(lax.imag(x), nan=nan, posinf=posinf, neginf=neginf))
    info = dtypes.finfo(dt)
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    out = _where(lax.ne(x, x), lax.convert_element_type(asarray(nan), dt), x)
    out = _where(isposinf(out), lax.convert_element_type(asarray(posinf), dt), out)
    return _where(isneginf(out), lax.convert_element_type(asarray(neginf), dt), out)


# -- ufunc objects ------------------------------------------------------------------------------


class ufunc:
    """A NumPy-style universal function: call it elementwise, or use ``reduce``,
    ``accumulate``, ``outer``, ``at`` and ``reduceat``.

    ``jnp.ufunc(func, nin, nout, identity=...)`` wraps a scalar function; the elementwise
    arithmetic of kiln.numpy (``jnp.add``, ``jnp.maximum``...) are ufuncs with fast paths.
    """

    def __init__(self, func: Callable[..., Any], /, nin: int, nout: int, *,
                 name: str | None = None, nargs: int | None = None, identity: Any = None,
                 call: Callable[..., Any] | None = None, reduce: Callable[..., Any] | None = None,
                 accumulate: Callable[..., Any] | None = None,
                 at: Callable[..., Any] | None = None,
                 reduceat: Callable[..., Any] | None = None):
        self._func = func
        self._call = call or func
        self.nin = operator.index(nin)
        self.nout = operator.index(nout)
        self.nargs = nargs if nargs is not None else self.nin
        self.identity = identity
        self.__name__ = name or getattr(func, "__name__", "ufunc")
        self._reduce = reduce
        self._accumulate = accumulate
        self._at = at
        self._reduceat = reduceat
        self.__doc__ = getattr(func, "__doc__", None)

    def __repr__(self) -> str:
        return f"<jnp.ufunc '{self.__name__}'>"

    def __hash__(self) -> int:
        return hash((self._func, self.__name__, self.identity, self.nin, self.nout))

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, ufunc) and (self._func, self.__name__, self.identity,
                                             self.nin, self.nout) == (
            other._func, other.__name__, other.identity, other.nin, other.nout)

    def __call__(self, *args: Any, out: None = None, where: None = None) -> Any:
        if out is not None:
            raise NotImplementedError(f"out argument of {self}")
        if where is not None:
            raise NotImplementedError(f"where argument of {self}")
        if len(args) != self.nin:
            raise TypeError(f"{self.__name__}() takes {self.nin} positional argument"
                            f"{'' if self.nin == 1 else 's'} but {len(args)} were given")
        return self._call(*args)

    def reduce(self, a: Any, axis: Any = 0, dtype: Any = None, out: None = None,
               keepdims: bool = False, initial: Any = None, where: Any = None) -> Any:
        """Reduce ``a`` along ``axis`` by applying the function pairwise."""
        check_arraylike(f"{self.__name__}.reduce", a)
        if self.nin != 2:
            raise ValueError("reduce only supported for binary ufuncs")
        if self.nout != 1:
            raise ValueError("reduce only supported for functions returning a single value")
        if out is not None:
            raise NotImplementedError(f"out argument of {self.__name__}.reduce()")
        if self._reduce is not None:
            return self._reduce(a, axis=axis, dtype=dtype, keepdims=keepdims,
                                initial=initial, where=where)
        return _generic_reduce(self, a, axis, dtype, keepdims, initial, where)

    def accumulate(self, a: Any, axis: int = 0, dtype: Any = None, out: None = None) -> Any:
        """Cumulative application of the function along ``axis``."""
        check_arraylike(f"{self.__name__}.accumulate", a)
        if self.nin != 2:
            raise ValueError("accumulate only supported for binary ufuncs")
        if self.nout != 1:
            raise ValueError("accumulate only supported for functions returning a single "
                             "value")
        if out is not None:
            raise NotImplementedError(f"out argument of {self.__name__}.accumulate()")
        if self._accumulate is not None:
            return self._accumulate(a, axis=axis, dtype=dtype)
        return _generic_accumulate(self, a, axis, dtype)

    def at(self, a: Any, indices: Any, b: Any = None, /, *, inplace: bool = True) -> Any:
        """``a`` with the function applied at ``indices`` (with ``b`` for binary ufuncs);
        returns a new array (``inplace=False`` is required, as arrays are immutable)."""
        if inplace:
            raise NotImplementedError("jax.numpy.ufunc.at: in-place update is not "
                                      "supported; set inplace=False")
        if b is None:
            if self.nin != 1:
                raise ValueError("second argument to ufunc.at required for binary ufuncs")
            return asarray(a).at[indices].apply(self._call)
        if self._at is not None:
            return self._at(a, indices, b)
        arr = asarray(a)
        current = arr.at[indices].get()
        return arr.at[indices].set(self._call(current, b))

    def reduceat(self, a: Any, indices: Any, axis: int = 0, dtype: Any = None,
                 out: None = None) -> Any:
        """Reduce over the slices ``indices[i]:indices[i + 1]`` along ``axis``."""
        from kiln.numpy.shape import moveaxis, stack

        check_arraylike(f"{self.__name__}.reduceat", a, indices)
        if out is not None:
            raise NotImplementedError(f"out argument of {self.__name__}.reduceat()")
        arr = asarray(a)
        idx = [int(i) for i in np.asarray(indices)]
        axis = _canonical_axis(axis, arr.ndim)
        n = arr.shape[axis]
        moved = moveaxis(arr, axis, 0)
        pieces = []
        for j, start in enumerate(idx):
            stop = idx[j + 1] if j + 1 < len(idx) else n
            if stop > start:
                pieces.append(self.reduce(moved[start:stop], axis=0, dtype=dtype))
            else:
                pieces.append(moved[start] if dtype is None else moved[start].astype(dtype))
        return moveaxis(stack(pieces), 0, axis)

    def outer(self, A: Any, B: Any, /, **kwargs: Any) -> Any:
        """The function applied to every pair of elements of ``A`` and ``B``: the result has
        shape ``A.shape + B.shape``."""
        if self.nin != 2:
            raise ValueError("outer only supported for binary ufuncs")
        if self.nout != 1:
            raise ValueError("outer only supported for functions returning a single value")
        check_arraylike(f"{self.__name__}.outer", A, B)
        A, B = asarray(A), asarray(B)
        a = lax.reshape(A, A.shape + (1,) * B.ndim)
        return self(a, B, **kwargs)


def _canonical_axis(axis: int, ndim: int) -> int:
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for array of dimension {ndim}")
    return axis % ndim


def _generic_reduce(uf: ufunc, a: Any, axis: Any, dtype: Any, keepdims: bool, initial: Any,
                    where: Any) -> Any:
    from kiln.numpy.shape import moveaxis, reshape

    arr = asarray(a)
    if dtype is not None:
        arr = arr.astype(dtype)
    if axis is None:
        arr, axis = reshape(arr, (-1,)), 0
        shape_kept = (1,) * asarray(a).ndim
    else:
        axis = _canonical_axis(axis, arr.ndim)
        shape_kept = arr.shape[:axis] + (1,) + arr.shape[axis + 1:]
    if where is not None:
        raise NotImplementedError("where argument of a generic ufunc.reduce")
    moved = moveaxis(arr, axis, 0)
    n = moved.shape[0]
    if initial is None:
        if n == 0:
            if uf.identity is None:
                raise ValueError("zero-size array to reduction operation "
                                 f"{uf.__name__} which has no identity")
            acc = lax.full(moved.shape[1:], uf.identity, moved.dtype)
        else:
            acc = moved[0]
        start = 1
    else:
        acc = lax.full(moved.shape[1:], initial, moved.dtype)
        start = 0
    for i in range(start, n):
        acc = uf(acc, moved[i])
    return reshape(acc, shape_kept) if keepdims else acc


def _generic_accumulate(uf: ufunc, a: Any, axis: int, dtype: Any) -> Any:
    from kiln.numpy.shape import moveaxis, stack

    arr = asarray(a)
    if dtype is not None:
        arr = arr.astype(dtype)
    axis = _canonical_axis(axis, arr.ndim)
    moved = moveaxis(arr, axis, 0)
    outs = []
    for i in range(moved.shape[0]):
        outs.append(moved[i] if i == 0 else uf(outs[-1], moved[i]))
    if not outs:
        return arr
    return moveaxis(stack(outs), 0, axis)


def _reducer(name: str) -> Callable[..., Any]:
    def reduce(a: Any, axis: Any = 0, dtype: Any = None, keepdims: bool = False,
               initial: Any = None, where: Any = None) -> Any:
        from kiln.numpy import reductions

        fn = getattr(reductions, name)
        kwargs = {"axis": axis, "keepdims": keepdims, "initial": initial, "where": where}
        if name in ("sum", "prod"):
            kwargs["dtype"] = dtype
        elif dtype is not None:
            a = asarray(a).astype(dtype)
        return fn(a, **kwargs)

    return reduce


def _logical_reducer(name: str, lax_fn: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    def reduce(a: Any, axis: Any = 0, dtype: Any = None, keepdims: bool = False,
               initial: Any = None, where: Any = None) -> Any:
        from kiln.numpy import reductions

        if name in ("all", "any"):
            return getattr(reductions, name)(to_bool(asarray(a)), axis=axis,
                                             keepdims=keepdims, where=where)
        return reductions._reduce_bitwise(a, axis, keepdims, lax_fn, name, initial, where)

    return reduce


def _accumulator(name: str) -> Callable[..., Any]:
    def accumulate(a: Any, axis: int = 0, dtype: Any = None) -> Any:
        from kiln.numpy import reductions

        return getattr(reductions, name)(a, axis=axis, dtype=dtype)

    return accumulate


def _scatter_at(method: str) -> Callable[..., Any]:
    def at(a: Any, indices: Any, b: Any) -> Any:
        return getattr(asarray(a).at[indices], method)(b)

    return at


add = ufunc(_add, name="add", nin=2, nout=1, identity=0, call=_add,
            reduce=_reducer("sum"), accumulate=_accumulator("cumsum"), at=_scatter_at("add"))
multiply = ufunc(_multiply, name="multiply", nin=2, nout=1, identity=1, call=_multiply,
                 reduce=_reducer("prod"), accumulate=_accumulator("cumprod"),
                 at=_scatter_at("multiply"))
subtract = ufunc(_subtract, name="subtract", nin=2, nout=1, call=_subtract,
                 at=lambda a, i, b: asarray(a).at[i].add(_negative(b)))
maximum = ufunc(_maximum, name="maximum", nin=2, nout=1, identity=-np.inf, call=_maximum,
                reduce=_reducer("max"), accumulate=_accumulator("_cummax"),
                at=_scatter_at("max"))
minimum = ufunc(_minimum, name="minimum", nin=2, nout=1, identity=np.inf, call=_minimum,
                reduce=_reducer("min"), accumulate=_accumulator("_cummin"),
                at=_scatter_at("min"))
negative = ufunc(_negative, name="negative", nin=1, nout=1, call=_negative)
logical_and = ufunc(_logical_and, name="logical_and", nin=2, nout=1, identity=True,
                    reduce=_logical_reducer("all", lax.bitwise_and))
logical_or = ufunc(_logical_or, name="logical_or", nin=2, nout=1, identity=False,
                   reduce=_logical_reducer("any", lax.bitwise_or))
logical_xor = ufunc(_logical_xor, name="logical_xor", nin=2, nout=1, identity=False,
                    reduce=_logical_reducer("logical_xor", lax.bitwise_xor))
bitwise_and = ufunc(_bitwise_and, name="bitwise_and", nin=2, nout=1, identity=-1,
                    reduce=_logical_reducer("bitwise_and", lax.bitwise_and))
bitwise_or = ufunc(_bitwise_or, name="bitwise_or", nin=2, nout=1, identity=0,
                   reduce=_logical_reducer("bitwise_or", lax.bitwise_or))
bitwise_xor = ufunc(_bitwise_xor, name="bitwise_xor", nin=2, nout=1, identity=0,
                    reduce=_logical_reducer("bitwise_xor", lax.bitwise_xor))
logaddexp = ufunc(_logaddexp, name="logaddexp", nin=2, nout=1, identity=-np.inf)
logaddexp2 = ufunc(_logaddexp2, name="logaddexp2", nin=2, nout=1, identity=-np.inf)


def frompyfunc(func: Callable[..., Any], /, nin: int, nout: int, *,
               identity: Any = None) -> ufunc:
    """A ufunc from a function of scalars (applied elementwise with ``vectorize``)."""
    from kiln.numpy.python_functions import vectorize

    return ufunc(vectorize(func), nin=nin, nout=nout, identity=identity,
                 name=getattr(func, "__name__", "ufunc"))


# Names for the array-operator table (plain functions: no ufunc __call__ overhead).
operator_functions = {
    "add": _add, "subtract": _subtract, "multiply": _multiply, "negative": _negative,
    "maximum": _maximum, "minimum": _minimum, "bitwise_and": _bitwise_and,
    "bitwise_or": _bitwise_or, "bitwise_xor": _bitwise_xor,
}
