"""jvp and transpose rules of the elementwise primitives.

Most are one table row: the primitive's name and, per argument, its tangent contribution
``deriv(g, ans, *args, **params)`` for tangent ``g`` and primal output ``ans``. Primitives
whose outputs are piecewise constant or not floating point have zero derivative; the linear
ones (neg, add, sub, real, imag, complex, conj, conversions...) also get transpose rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from kiln import lax
from kiln.autodiff.ruledefs import (
    aval_of,
    broadcast_to,
    defjvp,
    defjvp_zero,
    deflinear,
    unbroadcast,
)
from kiln.autodiff.transpose import is_undefined_primal
from kiln.autodiff.zeros import Zero, add_tangents, instantiate, tangent_aval
from kiln.core import dtypes
from kiln.core.abstract import get_aval
from kiln.core.primitive import register_jvp, register_transpose
from kiln.core.primitives.elementwise import PRIMITIVES


def const(x: Any, value: Any) -> np.ndarray:
    """A scalar ``value`` of ``x``'s dtype (a literal in jaxprs)."""
    return np.array(value, dtype=aval_of(x).dtype)


def square(x: Any) -> Any:
    return lax.mul(x, x)


def _where_zero(x: Any, replacement: Any) -> Any:
    """``x`` with its zeros replaced by ``replacement``."""
    return lax.select(lax.eq(x, const(x, 0)), lax.full_like(x, replacement), x)


def _balanced_eq(x: Any, ans: Any, y: Any) -> Any:
    """1 where ``x`` is the max/min ``ans`` alone, 1/2 where ``y`` ties with it, else 0."""
    one, half, zero = const(ans, 1), const(ans, 0.5), const(ans, 0)
    tie = lax.select(lax.eq(y, ans), lax.full_like(ans, half), lax.full_like(ans, one))
    return lax.select(lax.eq(x, ans), tie, lax.full_like(ans, zero))


def _abs_jvp(g: Any, ans: Any, x: Any) -> Any:
    if dtypes.is_complex(aval_of(x).dtype):
        denominator = _where_zero(lax.convert_element_type(ans, aval_of(x).dtype), 1)
        return lax.real(lax.mul(g, lax.div(lax.conj(x), denominator)))
    return lax.select(lax.ge(x, const(x, 0)), g, lax.neg(g))


def _sign_jvp(primals: list, tangents: list) -> tuple:
    """Zero for real ``x``. For complex ``x``, sign(x) = x/|x| turns with x's angle: its
    tangent is the part of ``t`` orthogonal to sign(x), divided by |x|."""
    (x,), (t,) = primals, tangents
    ans = lax.sign(x)
    dtype = aval_of(x).dtype
    if type(t) is Zero or not dtypes.is_complex(dtype):
        return ans, Zero(tangent_aval(get_aval(ans)))
    magnitude = _where_zero(lax.convert_element_type(lax.abs(x), dtype), 1)
    radial = lax.mul(ans, lax.convert_element_type(lax.real(lax.mul(lax.conj(ans), t)), dtype))
    return ans, lax.div(lax.sub(t, radial), magnitude)


def _integer_pow_jvp(g: Any, ans: Any, x: Any, *, y: int) -> Any:
    if y == 0:
        return lax.full_like(g, 0)
    if y == 1:
        return g
    power = x if y == 2 else lax.integer_pow(x, y - 1)
    return lax.mul(g, lax.mul(const(x, y), power))


def _pow_jvp_base(g: Any, ans: Any, x: Any, y: Any) -> Any:
    dtype = aval_of(x).dtype
    y = lax.convert_element_type(y, dtype)
    jac = lax.mul(y, lax.pow(x, lax.sub(y, const(y, 1))))
    # d/dx x**0 is 0 everywhere (also at x == 0, where y * x**(y-1) is nan)
    jac = lax.select(lax.eq(y, const(y, 0)), lax.full_like(jac, 0), jac)
    return lax.mul(g, jac)


def _pow_jvp_exponent(g: Any, ans: Any, x: Any, y: Any) -> Any:
    return lax.mul(g, lax.mul(lax.log(_where_zero(x, 1)), ans))


def _bessel_i1e_jvp(g: Any, ans: Any, x: Any) -> Any:
    eps = dtypes.finfo(aval_of(x).dtype).eps
    not_tiny = lax.gt(lax.abs(x), const(x, eps))
    safe_x = lax.select(not_tiny, x, lax.full_like(x, eps))
    d = lax.sub(lax.bessel_i0e(safe_x),
                lax.mul(ans, lax.add(lax.sign(safe_x), lax.div(const(x, 1), safe_x))))
    return lax.mul(g, lax.select(not_tiny, d, lax.full_like(x, 0.5)))


def _betainc_jvp_x(g: Any, ans: Any, a: Any, b: Any, x: Any) -> Any:
    log_beta = lax.sub(lax.add(lax.lgamma(a), lax.lgamma(b)), lax.lgamma(lax.add(a, b)))
    log_px = lax.add(lax.mul(lax.sub(b, const(b, 1)), lax.log1p(lax.neg(x))),
                     lax.mul(lax.sub(a, const(a, 1)), lax.log(x)))
    return lax.mul(g, lax.exp(lax.sub(log_px, log_beta)))


def _igamma_jvp_x(g: Any, ans: Any, a: Any, x: Any) -> Any:
    log_density = lax.sub(lax.add(lax.neg(x), lax.mul(lax.sub(a, const(a, 1)), lax.log(x))),
                          lax.lgamma(a))
    return lax.mul(g, lax.exp(log_density))


def _not_supported(message: str) -> Callable[..., Any]:
    def deriv(*args: Any, **params: Any) -> Any:
        raise ValueError(message)

    return deriv


def _erf_scale(c: float) -> Callable[..., Any]:
    return lambda g, ans, x, **_: lax.mul(g, lax.mul(const(x, c), lax.exp(lax.neg(square(x)))))


# name -> one tangent contribution per argument: deriv(g, ans, *args, **params)
DERIVATIVES: dict[str, tuple[Callable | None, ...]] = {
    "sin": (lambda g, ans, x, **_: lax.mul(g, lax.cos(x)),),
    "cos": (lambda g, ans, x, **_: lax.neg(lax.mul(g, lax.sin(x))),),
    "tan": (lambda g, ans, x, **_: lax.mul(g, lax.add(const(x, 1), square(ans))),),
    "asin": (lambda g, ans, x: lax.mul(g, lax.rsqrt(lax.sub(const(x, 1), square(x)))),),
    "acos": (lambda g, ans, x: lax.mul(g, lax.neg(lax.rsqrt(lax.sub(const(x, 1),
                                                                    square(x))))),),
    "atan": (lambda g, ans, x: lax.div(g, lax.add(const(x, 1), square(x))),),
    "sinh": (lambda g, ans, x: lax.mul(g, lax.cosh(x)),),
    "cosh": (lambda g, ans, x: lax.mul(g, lax.sinh(x)),),
    "tanh": (lambda g, ans, x, **_: lax.mul(g, lax.sub(const(x, 1), square(ans))),),
    "asinh": (lambda g, ans, x: lax.mul(g, lax.rsqrt(lax.add(square(x), const(x, 1)))),),
    # 1/sqrt(x - 1)/sqrt(x + 1), not 1/sqrt(x**2 - 1): the same for real x > 1, and on
    # acosh's principal branch for complex x
    "acosh": (lambda g, ans, x: lax.mul(g, lax.mul(lax.rsqrt(lax.sub(x, const(x, 1))),
                                                   lax.rsqrt(lax.add(x, const(x, 1))))),),
    "atanh": (lambda g, ans, x: lax.div(g, lax.sub(const(x, 1), square(x))),),
    "exp": (lambda g, ans, x, **_: lax.mul(g, ans),),
    "exp2": (lambda g, ans, x, **_: lax.mul(g, lax.mul(const(x, math.log(2)), ans)),),
    "log": (lambda g, ans, x, **_: lax.div(g, x),),
    "log1p": (lambda g, ans, x, **_: lax.div(g, lax.add(x, const(x, 1))),),
    "expm1": (lambda g, ans, x, **_: lax.mul(g, lax.add(ans, const(ans, 1))),),
    "logistic": (lambda g, ans, x, **_: lax.mul(g, lax.mul(ans, lax.sub(const(ans, 1), ans))),),
    "sqrt": (lambda g, ans, x, **_: lax.mul(g, lax.div(const(x, 0.5), ans)),),
    "rsqrt": (lambda g, ans, x, **_: lax.mul(g, lax.mul(const(x, -0.5), lax.div(ans, x))),),
    "cbrt": (lambda g, ans, x, **_: lax.mul(g, lax.mul(const(x, 1 / 3),
                                                       lax.integer_pow(ans, -2))),),
    "square": (lambda g, ans, x: lax.mul(g, lax.mul(const(x, 2), x)),),
    "abs": (_abs_jvp,),
    "integer_pow": (_integer_pow_jvp,),
    "erf": (_erf_scale(2 / math.sqrt(math.pi)),),
    "erfc": (_erf_scale(-2 / math.sqrt(math.pi)),),
    "erf_inv": (lambda g, ans, x: lax.mul(g, lax.mul(const(x, math.sqrt(math.pi) / 2),
                                                     lax.exp(square(ans)))),),
    "lgamma": (lambda g, ans, x: lax.mul(g, lax.digamma(x)),),
    "digamma": (lambda g, ans, x: lax.mul(g, lax.polygamma(const(x, 1), x)),),
    "bessel_i0e": (lambda g, ans, x: lax.mul(g, lax.sub(lax.bessel_i1e(x),
                                                        lax.mul(lax.sign(x), ans))),),
    "bessel_i1e": (_bessel_i1e_jvp,),
    "div": (lambda g, ans, x, y: lax.div(g, y),
            lambda g, ans, x, y: lax.mul(lax.neg(g), lax.div(ans, y))),
    "rem": (lambda g, ans, x, y: g,
            lambda g, ans, x, y: lax.mul(lax.neg(g), lax.mul(lax.sign(lax.div(x, y)),
                                                             lax.floor(lax.abs(lax.div(x, y)))))),
    "pow": (_pow_jvp_base, _pow_jvp_exponent),
    "max": (lambda g, ans, x, y: lax.mul(g, _balanced_eq(x, ans, y)),
            lambda g, ans, x, y: lax.mul(g, _balanced_eq(y, ans, x))),
    "min": (lambda g, ans, x, y: lax.mul(g, _balanced_eq(x, ans, y)),
            lambda g, ans, x, y: lax.mul(g, _balanced_eq(y, ans, x))),
    "atan2": (lambda g, ans, x, y: lax.mul(g, lax.div(y, lax.add(square(x), square(y)))),
              lambda g, ans, x, y: lax.mul(g, lax.div(lax.neg(x),
                                                      lax.add(square(x), square(y))))),
    "polygamma": (_not_supported("polygamma gradient with respect to m is not supported"),
                  lambda g, ans, m, x: lax.mul(g, lax.polygamma(lax.add(m, const(m, 1)), x))),
    "igamma": (lambda g, ans, a, x: lax.mul(g, lax.igamma_grad_a(a, x)), _igamma_jvp_x),
    "igammac": (lambda g, ans, a, x: lax.neg(lax.mul(g, lax.igamma_grad_a(a, x))),
                lambda g, ans, a, x: lax.neg(_igamma_jvp_x(g, ans, a, x))),
    # d/dx of dP(a, x)/da = d/da of x**(a-1) e**-x / gamma(a): that density times
    # (log x - digamma(a)); d/da again has no closed form
    "igamma_grad_a": (
        _not_supported("igamma_grad_a gradient with respect to a is not supported"),
        lambda g, ans, a, x: lax.mul(_igamma_jvp_x(g, ans, a, x),
                                     lax.sub(lax.log(x), lax.digamma(a)))),
    "zeta": (_not_supported("zeta gradient with respect to x is not supported"),
             lambda g, ans, x, q: lax.mul(lax.neg(g), lax.mul(x, lax.zeta(
                 lax.add(x, const(x, 1)), q)))),
    "regularized_incomplete_beta": (
        _not_supported("Betainc gradient with respect to a and b not supported."),
        _not_supported("Betainc gradient with respect to a and b not supported."),
        _betainc_jvp_x),
    # nextafter(x, y) is x moved by one ulp: the identity in x, constant in y
    "nextafter": (lambda g, ans, x, y: g, None),
    "clamp": (
        lambda g, ans, lo, x, hi: lax.select(lax.bitwise_and(lax.gt(lo, x), lax.lt(lo, hi)),
                                             broadcast_to(g, aval_of(x).shape),
                                             lax.full_like(x, 0)),
        lambda g, ans, lo, x, hi: lax.select(lax.bitwise_and(lax.gt(x, lo), lax.lt(x, hi)),
                                             g, lax.full_like(x, 0)),
        lambda g, ans, lo, x, hi: lax.select(lax.lt(hi, x), broadcast_to(g, aval_of(x).shape),
                                             lax.full_like(x, 0))),
}

# Piecewise constant, boolean- or integer-valued: zero derivative.
ZERO_DERIVATIVE = (
    "floor", "ceil", "round", "is_finite", "eq", "eq_to", "le_to", "lt_to", "ne", "lt", "le", "gt",
    "ge", "not", "and", "or", "xor", "shift_left", "shift_right_arithmetic",
    "shift_right_logical", "population_count", "clz", "mulhi", "bitcast_convert_type",
)


# -- linear primitives --------------------------------------------------------------------------


def _add_jvp(primals: list, tangents: list) -> tuple:
    ans = lax.add(*primals)
    shape = get_aval(ans).shape
    tx, ty = (t if type(t) is Zero else broadcast_to(t, shape) for t in tangents)
    return ans, add_tangents(tx, ty)


def _sub_jvp(primals: list, tangents: list) -> tuple:
    ans = lax.sub(*primals)
    shape = get_aval(ans).shape
    tx, ty = tangents
    ty = ty if type(ty) is Zero else broadcast_to(lax.neg(ty), shape)
    tx = tx if type(tx) is Zero else broadcast_to(tx, shape)
    return ans, add_tangents(tx, ty)


def _add_transpose(ct: Any, x: Any, y: Any) -> list:
    return [unbroadcast(aval_of(x), ct) if is_undefined_primal(x) else None,
            unbroadcast(aval_of(y), ct) if is_undefined_primal(y) else None]


def _sub_transpose(ct: Any, x: Any, y: Any) -> list:
    return [unbroadcast(aval_of(x), ct) if is_undefined_primal(x) else None,
            unbroadcast(aval_of(y), lax.neg(ct)) if is_undefined_primal(y) else None]


def _mul_jvp(primals: list, tangents: list, *, out_dtype: Any = None) -> tuple:
    x, y = primals
    tx, ty = tangents
    mul = PRIMITIVES["mul"]
    ans = mul.bind(x, y, out_dtype=out_dtype)
    shape = get_aval(ans).shape
    out: Any = Zero(tangent_aval(get_aval(ans)))
    if type(tx) is not Zero:
        out = add_tangents(out, broadcast_to(mul.bind(tx, y, out_dtype=out_dtype), shape))
    if type(ty) is not Zero:
        out = add_tangents(out, broadcast_to(mul.bind(x, ty, out_dtype=out_dtype), shape))
    return ans, out


def _mul_transpose(ct: Any, x: Any, y: Any, *, out_dtype: Any = None) -> list:
    mul = PRIMITIVES["mul"]
    if is_undefined_primal(x):
        if is_undefined_primal(y):
            raise ValueError("mul is linear in one argument at a time, not both")
        ct_x = _to_dtype(mul.bind(ct, y, out_dtype=out_dtype), aval_of(x).dtype)
        return [unbroadcast(x.aval, ct_x), None]
    ct_y = _to_dtype(mul.bind(x, ct, out_dtype=out_dtype), aval_of(y).dtype)
    return [None, unbroadcast(y.aval, ct_y)]


def _to_dtype(x: Any, dtype: Any) -> Any:
    return x if aval_of(x).dtype == dtype else lax.convert_element_type(x, dtype)


def _div_transpose(ct: Any, x: Any, y: Any) -> list:
    if is_undefined_primal(y):
        raise ValueError("div is linear in its numerator only")
    return [unbroadcast(x.aval, lax.div(ct, y)), None]


def _complex_jvp(primals: list, tangents: list) -> tuple:
    ans = lax.complex(*primals)
    if all(type(t) is Zero for t in tangents):
        return ans, Zero(tangent_aval(get_aval(ans)))
    shape = get_aval(ans).shape
    tx, ty = (broadcast_to(instantiate(t), shape) for t in tangents)
    return ans, lax.complex(tx, ty)


def _complex_transpose(ct: Any, x: Any, y: Any) -> list:
    return [unbroadcast(aval_of(x), lax.real(ct)) if is_undefined_primal(x) else None,
            unbroadcast(aval_of(y), lax.imag(lax.neg(ct))) if is_undefined_primal(y) else None]


def _conj_transpose(ct: Any, x: Any, *, input_dtype: Any) -> list:
    if dtypes.is_complex(input_dtype):
        return [lax.conj(ct)]
    return [lax.real(ct)]


def _convert_jvp(primals: list, tangents: list, *, new_dtype: Any, weak_type: bool,
                 sharding: Any) -> tuple:
    (x,), (t,) = primals, tangents
    convert = PRIMITIVES["convert_element_type"]
    ans = convert.bind(x, new_dtype=new_dtype, weak_type=weak_type, sharding=sharding)
    if type(t) is Zero or not dtypes.is_inexact(new_dtype):
        return ans, Zero(tangent_aval(get_aval(ans)))
    return ans, convert.bind(t, new_dtype=new_dtype, weak_type=weak_type, sharding=sharding)


def _convert_transpose(ct: Any, x: Any, *, new_dtype: Any, weak_type: bool,
                       sharding: Any) -> list:
    aval = aval_of(x)
    if not dtypes.is_inexact(aval_of(ct).dtype):  # a float0 cotangent of an integer result
        return [None]
    return [PRIMITIVES["convert_element_type"].bind(ct, new_dtype=aval.dtype,
                                                    weak_type=aval.weak_type, sharding=None)]


def _select_n_jvp(primals: list, tangents: list) -> tuple:
    which, *cases = primals
    ans = PRIMITIVES["select_n"].bind(which, *cases)
    case_tangents = tangents[1:]
    if all(type(t) is Zero for t in case_tangents):
        return ans, Zero(tangent_aval(get_aval(ans)))
    return ans, PRIMITIVES["select_n"].bind(which, *[instantiate(t) for t in case_tangents])


def _select_n_transpose(ct: Any, which: Any, *cases: Any) -> list:
    if is_undefined_primal(which):
        raise ValueError("select_n is not linear in its selector")
    zeros = lax.full_like(ct, 0)
    out: list[Any] = [None]
    for i, case in enumerate(cases):
        if not is_undefined_primal(case):
            out.append(None)
            continue
        branches = [zeros] * len(cases)
        branches[i] = ct
        out.append(PRIMITIVES["select_n"].bind(which, *branches))
    return out


def _stop_gradient_jvp(primals: list, tangents: list) -> tuple:
    ans = PRIMITIVES["stop_gradient"].bind(*primals)
    return ans, Zero(tangent_aval(get_aval(ans)))


def _rebind(name: str) -> Callable[..., list]:
    """The transpose of a primitive that is its own transpose (applied to the cotangent)."""
    return lambda ct, x, **params: [PRIMITIVES[name].bind(ct, **params)]


LINEAR_UNARY: dict[str, Callable] = {
    "neg": lambda ct, x: [lax.neg(ct)],
    "real": lambda ct, x: [lax.complex(ct, lax.full_like(ct, 0))],
    "imag": lambda ct, x: [lax.complex(lax.full_like(ct, 0), lax.neg(ct))],
    "conj": _conj_transpose,
    "reduce_precision": _rebind("reduce_precision"),
    "copy": _rebind("copy"),
}

CUSTOM_JVPS: dict[str, Callable] = {
    "add": _add_jvp, "sub": _sub_jvp, "mul": _mul_jvp, "complex": _complex_jvp,
    "convert_element_type": _convert_jvp, "select_n": _select_n_jvp,
    "stop_gradient": _stop_gradient_jvp, "sign": _sign_jvp,
}

TRANSPOSES: dict[str, Callable] = {
    "add": _add_transpose, "sub": _sub_transpose, "mul": _mul_transpose, "div": _div_transpose,
    "complex": _complex_transpose, "convert_element_type": _convert_transpose,
    "select_n": _select_n_transpose,
}


def register_all() -> None:
    for name, derivs in DERIVATIVES.items():
        if name in PRIMITIVES:
            defjvp(PRIMITIVES[name], *derivs)
    for name in ZERO_DERIVATIVE:
        if name in PRIMITIVES:
            defjvp_zero(PRIMITIVES[name])
    for name, transpose in LINEAR_UNARY.items():
        if name in PRIMITIVES:
            deflinear(PRIMITIVES[name], transpose)
    for name, rule in CUSTOM_JVPS.items():
        if name in PRIMITIVES:
            register_jvp(PRIMITIVES[name], rule)
    for name, rule in TRANSPOSES.items():
        if name in PRIMITIVES:
            register_transpose(PRIMITIVES[name], rule)


register_all()
