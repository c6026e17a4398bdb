"""``dot_general``: ``stablehlo.dot_general`` with operands converted to a common type (kiln
allows mixed operand dtypes, and ``preferred_element_type``), the precision config from the
``precision`` param or ``jax_default_matmul_precision``. Boolean products are an OR of ANDs."""

from __future__ import annotations

from typing import Any

import numpy as np

from kiln.compiler.lowering import LoweringRuleContext, Value
from kiln.compiler.rules import register_family
from kiln.compiler.rules.elementwise import convert
from kiln.core import dtypes
from kiln.core.abstract import ShapedArray
from kiln.core.config import values as config_values

_PRECISION_NAMES = {
    "highest": "HIGHEST", "float32": "HIGHEST", "high": "HIGH", "bfloat16_3x": "HIGH",
    "tensorfloat32": "HIGH", "default": "DEFAULT", "bfloat16": "DEFAULT", "fastest": "DEFAULT",
}


def _precision_name(p: Any) -> str | None:
    if p is None:
        return None
    name = getattr(p, "name", None)
    if isinstance(name, str) and name in ("DEFAULT", "HIGH", "HIGHEST"):
        return name
    if isinstance(p, str):
        return _PRECISION_NAMES.get(p.lower())
    return None  # an explicit algorithm: left to the compiler's default


def precision_config(precision: Any) -> str | None:
    if precision is None:
        precision = config_values.default_matmul_precision
    if isinstance(precision, (tuple, list)) and len(precision) == 2:
        names = [_precision_name(p) for p in precision]
    else:
        names = [_precision_name(precision)] * 2
    if all(n in (None, "DEFAULT") for n in names):
        return None
    names = [n or "DEFAULT" for n in names]
    return "[" + ", ".join(f"#stablehlo<precision {n}>" for n in names) + "]"


def _list(dims: Any) -> str:
    return "[" + ", ".join(str(int(d)) for d in dims) + "]"


def dot_dimension_numbers(dimension_numbers: Any) -> str:
    (lc, rc), (lb, rb) = dimension_numbers
    parts = []
    if lb:
        parts.append(f"lhs_batching_dimensions = {_list(lb)}")
    if rb:
        parts.append(f"rhs_batching_dimensions = {_list(rb)}")
    parts.append(f"lhs_contracting_dimensions = {_list(lc)}")
    parts.append(f"rhs_contracting_dimensions = {_list(rc)}")
    return "#stablehlo.dot<" + ", ".join(parts) + ">"


def _natural_dtype(lhs: np.dtype, rhs: np.dtype) -> np.dtype:
    """The result type without preferred_element_type (XLA's "wider" operand type)."""
    try:
        from kiln.core.primitives.contraction import result_dtype
    except ImportError:
        return np.result_type(lhs, rhs)
    return result_dtype(lhs, rhs, None, None)


def _compute_dtype(out: np.dtype, lhs: np.dtype, rhs: np.dtype) -> np.dtype:
    """The type both operands are converted to and the product computed in: the result
    type, except where the result is narrower than the operands' own result type (a complex
    product asked for as a real: its real part; a float product asked for as a narrower
    float: rounded) and for booleans (counted in int32, then ``!= 0``)."""
    natural = np.dtype(_natural_dtype(lhs, rhs))
    if dtypes.is_complex(natural) and not dtypes.is_complex(out):
        return natural
    if dtypes.is_float(natural) and not dtypes.is_inexact(out):
        return natural  # a float product asked for as an integer: computed, then converted
    if out == np.bool_:
        return np.dtype(np.int32)
    if dtypes.is_float(out) and dtypes.is_float(natural) and natural.itemsize > out.itemsize:
        return natural
    return out


def _dot_general(ctx: LoweringRuleContext, lhs: Value, rhs: Value, *, dimension_numbers: Any,
                 precision: Any = None, preferred_element_type: Any = None,
                 **_: Any) -> Value:
    out = ctx.avals_out[0]
    compute = _compute_dtype(out.dtype, lhs.dtype, rhs.dtype)
    lhs, rhs = convert(ctx, lhs, compute), convert(ctx, rhs, compute)
    attrs = {"dot_dimension_numbers": dot_dimension_numbers(dimension_numbers)}
    config = precision_config(precision)
    if config is not None:
        attrs["precision_config"] = config
    result = ctx.op("stablehlo.dot_general", [lhs, rhs], ShapedArray(out.shape, compute), attrs)
    return convert(ctx, result, out.dtype)


RULES: dict[str, Any] = {"dot_general": _dot_general}

REGISTERED = register_family("contraction", RULES)
