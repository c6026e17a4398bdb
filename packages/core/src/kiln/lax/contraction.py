"""Contractions: ``lax.dot_general``, ``lax.dot``, ``lax.batch_matmul``, and the
``Precision``/``DotAlgorithm``/``DotAlgorithmPreset`` values their ``precision`` takes."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

from kiln.core import dtypes
from kiln.core.abstract import get_aval
from kiln.core.config import values as _config
from kiln.core.primitives.contraction import (
    PRECISION_STRINGS,
    DotAlgorithm,
    DotAlgorithmPreset,
    Precision,
    dot_general_p,
)

__all__ = [
    "dot_general", "dot", "batch_matmul", "Precision", "PrecisionLike", "DotAlgorithm",
    "DotAlgorithmPreset", "DotDimensionNumbers", "dot_general_p",
]

PrecisionLike = (None | str | Precision | tuple[str, str] | tuple[Precision, Precision]
                 | DotAlgorithm | DotAlgorithmPreset)
DotDimensionNumbers = tuple[tuple[Sequence[int], Sequence[int]],
                            tuple[Sequence[int], Sequence[int]]]


def canonicalize_precision(precision: Any) -> Any:
    """``precision`` as the param holds it: None, a pair of Precisions, or an algorithm.
    None means ``jax_default_matmul_precision`` (itself None by default)."""
    if precision is None:
        default = _config.default_matmul_precision
        return None if default is None else canonicalize_precision(default)
    if isinstance(precision, str):
        if precision in PRECISION_STRINGS:
            return Precision(precision), Precision(precision)
        if precision in DotAlgorithmPreset.__members__:
            return DotAlgorithmPreset[precision]
    elif isinstance(precision, Precision):
        return precision, precision
    elif isinstance(precision, (DotAlgorithm, DotAlgorithmPreset)):
        return precision
    elif isinstance(precision, (list, tuple)) and len(precision) == 2:
        if all(isinstance(p, Precision) for p in precision):
            return tuple(precision)
        if all(isinstance(p, str) for p in precision):
            return tuple(canonicalize_precision(p)[0] for p in precision)
    raise ValueError(
        "Precision argument must be one of:\n"
        "- None,\n"
        f"- a string in {list(PRECISION_STRINGS)},\n"
        "- a lax.Precision value,\n"
        "- a tuple of two lax.Precision values or strings,\n"
        "- a lax.DotAlgorithmPreset or the name of one of these presets, or\n"
        "- a lax.DotAlgorithm value;\n"
        f"but got {precision}.")


def _index_tuple(dims: Any) -> tuple[int, ...]:
    if isinstance(dims, Sequence) or hasattr(dims, "__iter__"):
        return tuple(operator.index(d) for d in dims)
    return (operator.index(dims),)


def dot(lhs: Any, rhs: Any, *, dimension_numbers: DotDimensionNumbers | None = None,
        precision: PrecisionLike = None, preferred_element_type: Any = None,
        out_sharding: Any = None) -> Any:
    """General contraction. Without ``dimension_numbers``, the matrix/vector product of
    operands of rank 1 or 2. The result holds the batch dimensions, then lhs's free
    dimensions, then rhs's; ``preferred_element_type`` picks its dtype (and the
    accumulation type)."""
    lhs_shape, rhs_shape = get_aval(lhs).shape, get_aval(rhs).shape
    if dimension_numbers is None:
        if 1 <= len(lhs_shape) <= 2 and 1 <= len(rhs_shape) <= 2 \
                and lhs_shape[-1] == rhs_shape[0]:
            dimension_numbers = (((len(lhs_shape) - 1,), (0,)), ((), ()))
        else:
            raise ValueError(
                "jax.lax.dot: dimension_numbers must be specified when not performing simple"
                " un-batched matrix-matrix, matrix-vector, or vector-vector products;"
                f" got lhs_shape={lhs_shape} rhs_shape={rhs_shape}")
    (lhs_contract, rhs_contract), (lhs_batch, rhs_batch) = dimension_numbers
    dims = ((_index_tuple(lhs_contract), _index_tuple(rhs_contract)),
            (_index_tuple(lhs_batch), _index_tuple(rhs_batch)))
    preferred = None if preferred_element_type is None \
        else dtypes.check_user_dtype(preferred_element_type, "dot")
    return dot_general_p.bind(lhs, rhs, dimension_numbers=dims,
                              precision=canonicalize_precision(precision),
                              preferred_element_type=preferred, out_sharding=out_sharding)


def dot_general(lhs: Any, rhs: Any, dimension_numbers: DotDimensionNumbers,
                precision: PrecisionLike = None, preferred_element_type: Any = None, *,
                out_sharding: Any = None) -> Any:
    """``lax.dot`` with positional ``dimension_numbers``, ``precision`` and
    ``preferred_element_type``."""
    return dot(lhs, rhs, dimension_numbers=dimension_numbers, precision=precision,
               preferred_element_type=preferred_element_type, out_sharding=out_sharding)


def batch_matmul(lhs: Any, rhs: Any, precision: PrecisionLike = None) -> Any:
    """Matrix product over the last two dimensions, batched over the leading ones."""
    lhs_ndim, rhs_ndim = get_aval(lhs).ndim, get_aval(rhs).ndim
    if min(lhs_ndim, rhs_ndim) < 2:
        raise ValueError(f"Arguments to batch_matmul must be at least 2D, got {lhs_ndim}, "
                         f"{rhs_ndim}")
    if lhs_ndim != rhs_ndim:
        raise ValueError(f"Arguments to batch_matmul must have same ndim, got {lhs_ndim}, "
                         f"{rhs_ndim}")
    batch = tuple(range(lhs_ndim - 2))
    return dot_general(lhs, rhs, (((lhs_ndim - 1,), (rhs_ndim - 2,)), (batch, batch)),
                       precision=precision)
