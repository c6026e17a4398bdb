"""Conformance examples for the elementwise primitives: ``(primitive, args, params)`` with
NumPy arguments of canonical dtypes (x64 off), covering every primitive of
kiln.core.primitives.elementwise on several dtypes.

``EXAMPLES_X64`` holds float64/complex128/int64 examples of the same primitives; run them
with x64 enabled (``kiln.core.config.enable_x64()``).

Values stay inside each function's domain, away from poles and branch cuts, so that the
examples also serve derivative checks (jvp against finite differences).
"""

from __future__ import annotations

import ml_dtypes
import numpy as np

from kiln.core.primitives import elementwise as ew

_rng = np.random.default_rng(0)
BF16, F16, F32 = np.dtype(ml_dtypes.bfloat16), np.dtype(np.float16), np.dtype(np.float32)


def _uniform(lo: float, hi: float, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    return _rng.uniform(lo, hi, shape).astype(dtype)


def _ints(lo: int, hi: int, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    return _rng.integers(lo, hi, shape).astype(dtype)


def _complex(shape: tuple[int, ...], dtype: np.dtype, lo: float = -2, hi: float = 2) -> np.ndarray:
    return (_rng.uniform(lo, hi, shape) + 1j * _rng.uniform(lo, hi, shape)).astype(dtype)


_NO_ACCURACY = {"accuracy": None}

# name -> (lo, hi) of the real domain its float examples are drawn from, and whether the
# primitive takes complex operands too.
_UNARY_FLOAT = {
    "neg": (-3, 3, True), "sign": (-3, 3, True), "floor": (-3, 3, False),
    "ceil": (-3, 3, False), "is_finite": (-3, 3, False), "abs": (-3, 3, True),
    "square": (-3, 3, True), "sqrt": (0.1, 4, True), "rsqrt": (0.1, 4, True),
    "cbrt": (-4, 4, False), "exp": (-3, 3, True), "exp2": (-3, 3, True),
    "log": (0.1, 4, True), "log1p": (-0.5, 3, True), "expm1": (-3, 3, True),
    "logistic": (-4, 4, True), "tanh": (-3, 3, True), "sin": (-3, 3, True),
    "cos": (-3, 3, True), "tan": (-1.2, 1.2, True), "asin": (-0.9, 0.9, True),
    "acos": (-0.9, 0.9, True), "atan": (-3, 3, True), "sinh": (-3, 3, True),
    "cosh": (-3, 3, True), "asinh": (-3, 3, True), "acosh": (1.1, 4, True),
    "atanh": (-0.9, 0.9, True), "erf": (-2, 2, False), "erfc": (-2, 2, False),
    "erf_inv": (-0.9, 0.9, False), "lgamma": (0.2, 5, False), "digamma": (0.2, 5, False),
    "bessel_i0e": (-5, 5, False), "bessel_i1e": (-5, 5, False),
}
_ACCURACY_PARAM = {"sqrt", "rsqrt", "cbrt", "exp", "exp2", "log", "log1p", "expm1", "logistic",
                   "tanh", "sin", "cos", "tan"}
_BINARY_FLOAT = {
    "add": (-3, 3, -3, 3, True), "sub": (-3, 3, -3, 3, True), "div": (-3, 3, 0.5, 3, True),
    "rem": (-5, 5, 0.5, 3, False), "max": (-3, 3, -3, 3, False),
    "min": (-3, 3, -3, 3, False), "atan2": (-3, 3, 0.5, 3, True),
    "nextafter": (-3, 3, -3, 3, False), "pow": (0.5, 3, -2, 2, True),
    "igamma": (0.5, 4, 0.1, 5, False), "igammac": (0.5, 4, 0.1, 5, False),
    "igamma_grad_a": (0.5, 4, 0.1, 5, False), "zeta": (1.5, 5, 0.5, 4, False),
}
_COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")


def _params(name: str) -> dict:
    if name in _ACCURACY_PARAM:
        return dict(_NO_ACCURACY)
    if name == "mul":
        return {"out_dtype": None}
    return {}


def _float_examples(dtypes: tuple[np.dtype, ...], complex_dtype: np.dtype) -> list:
    out = []
    for name, (lo, hi, takes_complex) in _UNARY_FLOAT.items():
        prim = ew.PRIMITIVES[name]
        for dt in dtypes:
            out.append((prim, (_uniform(lo, hi, (2, 3), dt),), _params(name)))
        if takes_complex:
            out.append((prim, (_complex((3,), complex_dtype),), _params(name)))
    for name, (lo, hi, lo2, hi2, takes_complex) in _BINARY_FLOAT.items():
        prim = ew.PRIMITIVES[name]
        for dt in dtypes:
            out.append((prim, (_uniform(lo, hi, (4,), dt), _uniform(lo2, hi2, (4,), dt)), {}))
        if takes_complex:
            z = _complex((3,), complex_dtype, 0.5, 2)
            out.append((prim, (z, _complex((3,), complex_dtype, 0.5, 2)), {}))
    out += [(ew.mul_p, (_uniform(-3, 3, (3,), dt), _uniform(-3, 3, (3,), dt)),
             {"out_dtype": None}) for dt in dtypes]
    return out


EXAMPLES: list = _float_examples((F32, F16, BF16), np.dtype(np.complex64))

# Broadcasting: scalars and size-1 dimensions.
EXAMPLES += [
    (ew.add_p, (np.float32(2.5), _uniform(-3, 3, (2, 3), F32)), {}),
    (ew.mul_p, (_uniform(-3, 3, (2, 1), F32), _uniform(-3, 3, (1, 3), F32)), {"out_dtype": None}),
    (ew.sub_p, (_uniform(-3, 3, (0, 3), F32), _uniform(-3, 3, (1, 3), F32)), {}),
    (ew.max_p, (np.array([np.nan, 0.0, -0.0], F32), np.array([1.0, -0.0, 0.0], F32)), {}),
]

# Integers and booleans.
for dt in (np.dtype(np.int8), np.dtype(np.int32), np.dtype(np.uint8), np.dtype(np.uint32)):
    signed = dt.kind == "i"
    x, y = _ints(0 if not signed else -50, 100, (5,), dt), _ints(1, 9, (5,), dt)
    for name in ("add", "sub", "div", "rem", "max", "min", "and", "or", "xor"):
        EXAMPLES.append((ew.PRIMITIVES[name], (x, y), {}))
    EXAMPLES.append((ew.mul_p, (x, y), {"out_dtype": None}))
    for name in _COMPARISONS:
        EXAMPLES.append((ew.PRIMITIVES[name], (x, y), {}))
    for name in ("neg", "sign", "square", "not", "population_count", "clz"):
        EXAMPLES.append((ew.PRIMITIVES[name], (x,), {}))
    if signed:
        EXAMPLES.append((ew.abs_p, (x,), {}))
    for name in ("shift_left", "shift_right_arithmetic", "shift_right_logical", "mulhi"):
        EXAMPLES.append((ew.PRIMITIVES[name], (x, _ints(0, 10, (5,), dt)), {}))
    EXAMPLES.append((ew.integer_pow_p, (x,), {"y": 3}))
EXAMPLES += [
    (ew.PRIMITIVES[name], (np.array([True, False, True]), np.array([True, True, False])), {})
    for name in ("and", "or", "xor", "max", "min", *_COMPARISONS)
]
EXAMPLES.append((ew.not_p, (np.array([True, False]),), {}))
EXAMPLES.append((ew.add_p, (_ints(-8, 8, (4,), np.dtype(ml_dtypes.int4)),
                            _ints(-8, 8, (4,), np.dtype(ml_dtypes.int4))), {}))
EXAMPLES.append((ew.shift_left_p, (_ints(-8, 8, (4,), np.dtype(ml_dtypes.int4)),
                                   _ints(0, 6, (4,), np.dtype(ml_dtypes.int4))), {}))

# Comparisons of floats and complex values.
for name in _COMPARISONS:
    EXAMPLES.append((ew.PRIMITIVES[name], (_uniform(-1, 1, (4,), F32),
                                           _uniform(-1, 1, (4,), F32)), {}))
    EXAMPLES.append((ew.PRIMITIVES[name], (_uniform(-1, 1, (4,), BF16),
                                           _uniform(-1, 1, (4,), BF16)), {}))
for name in ("eq", "ne"):
    EXAMPLES.append((ew.PRIMITIVES[name], (_complex((3,), np.dtype(np.complex64)),
                                           _complex((3,), np.dtype(np.complex64))), {}))

# Comparisons in the total order of floats.
_specials = np.array([np.nan, -0.0, 0.0, -np.inf, 1.0, -np.nan], F32)
for name in ("eq_to", "le_to", "lt_to"):
    prim = ew.PRIMITIVES[name]
    EXAMPLES += [
        (prim, (_specials, _specials[::-1].copy()), {}),
        (prim, (_specials.astype(BF16), _specials[::-1].astype(BF16)), {}),
        (prim, (_ints(-5, 5, (4,), np.dtype(np.int32)), _ints(-5, 5, (4,), np.dtype(np.int32))),
         {}),
        (prim, (np.array([True, False]), np.array([False, False])), {}),
    ]

# Parameterised primitives.
for dt in (F32, F16, BF16):
    x = _uniform(-3, 3, (2, 3), dt)
    for y in (0, 1, 2, 3, -1, -2):
        EXAMPLES.append((ew.integer_pow_p, (x,), {"y": y}))
    for method in ew.RoundingMethod:
        EXAMPLES.append((ew.round_p, (x,), {"rounding_method": method}))
    EXAMPLES.append((ew.reduce_precision_p, (x,), {"exponent_bits": 5, "mantissa_bits": 3}))
    EXAMPLES.append((ew.polygamma_p, (np.array([0, 1, 2, 3], dt), _uniform(0.5, 3, (4,), dt)), {}))
    EXAMPLES.append((ew.regularized_incomplete_beta_p,
                     (_uniform(0.5, 3, (4,), dt), _uniform(0.5, 3, (4,), dt),
                      _uniform(0.05, 0.95, (4,), dt)), {}))
EXAMPLES.append((ew.integer_pow_p, (_complex((3,), np.dtype(np.complex64)),), {"y": -3}))
EXAMPLES.append((ew.pow_p, (_uniform(0.5, 3, (4,), F32), _ints(-3, 4, (4,), np.dtype(np.int32))),
                 {}))
EXAMPLES.append((ew.pow_p, (_complex((3,), np.dtype(np.complex64)),
                            _ints(-3, 4, (3,), np.dtype(np.int32))), {}))
EXAMPLES.append((ew.mul_p, (_ints(-100, 100, (3,), np.dtype(np.int8)),
                            _ints(-100, 100, (3,), np.dtype(np.int8))),
                 {"out_dtype": np.dtype(np.int32)}))

# Complex numbers.
_C64 = np.dtype(np.complex64)
EXAMPLES += [
    (ew.real_p, (_complex((3,), _C64),), {}),
    (ew.imag_p, (_complex((2, 2), _C64),), {}),
    (ew.complex_p, (_uniform(-2, 2, (3,), F32), _uniform(-2, 2, (3,), F32)), {}),
    (ew.conj_p, (_complex((3,), _C64),), {"input_dtype": _C64}),
    (ew.conj_p, (_uniform(-2, 2, (3,), F32),), {"input_dtype": F32}),
]

# Selection and conversion.
_cases = tuple(_uniform(-3, 3, (2, 3), F32) for _ in range(3))
EXAMPLES += [
    (ew.select_n_p, (np.array([[True, False, True], [False, False, True]]), *_cases[:2]), {}),
    (ew.select_n_p, (np.array(True), *_cases[:2]), {}),
    (ew.select_n_p, (_ints(0, 3, (2, 3), np.dtype(np.int32)), *_cases), {}),
    (ew.select_n_p, (_ints(0, 2, (4,), np.dtype(np.int32)), _ints(0, 9, (4,), np.dtype(np.int8)),
                     _ints(0, 9, (4,), np.dtype(np.int8))), {}),
    (ew.select_n_p, (np.array([True, False]), np.array([1, 2], BF16), np.array([3, 4], BF16)), {}),
    (ew.clamp_p, (np.float32(-1), _uniform(-3, 3, (2, 3), F32), np.float32(1)), {}),
    (ew.clamp_p, (_uniform(-3, 0, (3,), F32), _uniform(-3, 3, (3,), F32),
                  _uniform(0, 3, (3,), F32)), {}),
    (ew.clamp_p, (np.int32(0), _ints(-9, 9, (4,), np.dtype(np.int32)), np.int32(5)), {}),
    (ew.clamp_p, (np.array(-1, BF16), _uniform(-3, 3, (4,), BF16), np.array(1, BF16)), {}),
    (ew.stop_gradient_p, (_uniform(-3, 3, (3,), F32),), {}),
    (ew.stop_gradient_p, (_ints(0, 9, (3,), np.dtype(np.int32)),), {}),
    (ew.copy_p, (_uniform(-3, 3, (3,), F32),), {}),
    (ew.copy_p, (_ints(0, 9, (2, 2), np.dtype(np.uint8)),), {}),
]
_conversions = [
    (F32, np.dtype(np.int32)), (F32, F16), (F32, BF16), (F16, F32), (BF16, F32),
    (np.dtype(np.int32), F32), (np.dtype(np.int32), np.dtype(np.int8)),
    (np.dtype(np.uint8), np.dtype(np.int32)), (F32, np.dtype(np.bool_)),
    (np.dtype(np.bool_), F32), (F32, _C64), (_C64, F32), (F32, np.dtype(np.uint8)),
]
for src, dst in _conversions:
    if src == np.dtype(np.bool_):
        x = np.array([True, False, True])
    elif src == _C64:
        x = _complex((3,), _C64)
    else:
        x = (_uniform(-300, 300, (4,), src) if src.kind == "f" or src in (F16, BF16)
             else _ints(0, 200, (4,), src))
    EXAMPLES.append((ew.convert_element_type_p, (x,),
                     {"new_dtype": dst, "weak_type": False, "sharding": None}))
EXAMPLES += [
    (ew.bitcast_convert_type_p, (_uniform(-3, 3, (3,), F32),), {"new_dtype": np.dtype(np.int32)}),
    (ew.bitcast_convert_type_p, (_uniform(-3, 3, (3,), F32),), {"new_dtype": np.dtype(np.uint8)}),
    (ew.bitcast_convert_type_p, (_ints(0, 60000, (3, 2), np.dtype(np.uint16)),),
     {"new_dtype": F32}),
    (ew.bitcast_convert_type_p, (_uniform(-3, 3, (3,), BF16),), {"new_dtype": F16}),
]

# -- x64 --------------------------------------------------------------------------------------

F64, C128 = np.dtype(np.float64), np.dtype(np.complex128)
EXAMPLES_X64: list = _float_examples((F64,), C128)
EXAMPLES_X64 += [
    (ew.polygamma_p, (np.array([0, 1, 2, 3], F64), _uniform(0.5, 3, (4,), F64)), {}),
    (ew.regularized_incomplete_beta_p,
     (_uniform(0.5, 3, (4,), F64), _uniform(0.5, 3, (4,), F64), _uniform(0.05, 0.95, (4,), F64)),
     {}),
    (ew.reduce_precision_p, (_uniform(-3, 3, (4,), F64),), {"exponent_bits": 8,
                                                              "mantissa_bits": 7}),
    (ew.complex_p, (_uniform(-2, 2, (3,), F64), _uniform(-2, 2, (3,), F64)), {}),
    (ew.conj_p, (_uniform(-2, 2, (3,), F64),), {"input_dtype": F64}),
    (ew.real_p, (_complex((3,), C128),), {}),
    (ew.convert_element_type_p, (_uniform(-3, 3, (3,), F64),),
     {"new_dtype": np.dtype(np.int64), "weak_type": False, "sharding": None}),
    (ew.bitcast_convert_type_p, (_uniform(-3, 3, (3,), F64),), {"new_dtype": np.dtype(np.int64)}),
]
for name in ("add", "div", "rem", "shift_right_arithmetic", "mulhi", "population_count", "clz"):
    dt = np.dtype(np.int64)
    args = (_ints(-10**12, 10**12, (4,), dt), _ints(1, 60, (4,), dt))
    EXAMPLES_X64.append((ew.PRIMITIVES[name], args[: 1 if name in ("population_count", "clz")
                                                      else 2], {}))
EXAMPLES_X64.append((ew.mulhi_p, (_ints(0, 2**62, (4,), np.dtype(np.uint64)),
                                  _ints(0, 2**62, (4,), np.dtype(np.uint64))), {}))
