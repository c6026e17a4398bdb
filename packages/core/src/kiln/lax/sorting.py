"""Sorting: ``lax.sort``, ``lax.sort_key_val``, ``lax.top_k``, ``lax.approx_max_k`` and
``lax.approx_min_k``."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

from kiln.core.abstract import get_aval
from kiln.core.primitives.sorting import approx_top_k_p, sort_p, top_k_p

__all__ = ["sort", "sort_key_val", "top_k", "approx_max_k", "approx_min_k",
           "sort_p", "top_k_p", "approx_top_k_p"]


def _canonicalize_axis(axis: int, ndim: int) -> int:
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for array of dimension {ndim}")
    return axis % ndim


def sort(operand: Any, dimension: int = -1, is_stable: bool = True, num_keys: int = 1) -> Any:
    """Sort along ``dimension``: one array, or a sequence of arrays of one shape sorted
    together by the first ``num_keys`` of them (lexicographically, the first primary).
    NaNs sort to the end; a sequence in gives a tuple out."""
    if isinstance(operand, Sequence):
        if len(operand) == 0:
            raise TypeError("Sort requires at least one operand")
        if not 1 <= num_keys <= len(operand):
            raise ValueError(f"num_keys={num_keys} must be between 1 and "
                             f"len(operand)={len(operand)}")
        dimension = _canonicalize_axis(dimension, get_aval(operand[0]).ndim)
        return tuple(sort_p.bind(*operand, dimension=dimension, is_stable=bool(is_stable),
                                 num_keys=num_keys))
    if num_keys != 1:
        raise ValueError(f"num_keys={num_keys} must equal 1 for a single operand.")
    dimension = _canonicalize_axis(dimension, get_aval(operand).ndim)
    return sort_p.bind(operand, dimension=dimension, is_stable=bool(is_stable), num_keys=1)[0]


def sort_key_val(keys: Any, values: Any, dimension: int = -1,
                 is_stable: bool = True) -> tuple[Any, Any]:
    """Sort ``keys`` along ``dimension`` and apply the same permutation to ``values``."""
    dimension = _canonicalize_axis(dimension, get_aval(keys).ndim)
    k, v = sort_p.bind(keys, values, dimension=dimension, is_stable=bool(is_stable),
                       num_keys=1)
    return k, v


def top_k(operand: Any, k: int, *, axis: int = -1) -> list[Any]:
    """The ``k`` largest entries along ``axis`` and their int32 indices, largest first; of
    equal entries the lower index comes first. NaN counts as larger than everything."""
    k = operator.index(k)
    if k < 0:
        raise ValueError(f"k argument to top_k must be nonnegative, got {k}")
    axis = _canonicalize_axis(axis, get_aval(operand).ndim)
    return top_k_p.bind(operand, k=k, axis=axis)  # a list [values, indices], as in JAX


def _approx_top_k(operand: Any, k: int, reduction_dimension: int, recall_target: float,
                  is_max_k: bool, reduction_input_size_override: int,
                  aggregate_to_topk: bool) -> list[Any]:
    return approx_top_k_p.bind(  # a list [values, indices], as in JAX
        operand, k=operator.index(k), reduction_dimension=operator.index(reduction_dimension),
        recall_target=float(recall_target), is_max_k=is_max_k,
        reduction_input_size_override=operator.index(reduction_input_size_override),
        aggregate_to_topk=bool(aggregate_to_topk))


def approx_max_k(operand: Any, k: int, reduction_dimension: int = -1,
                 recall_target: float = 0.95, reduction_input_size_override: int = -1,
                 aggregate_to_topk: bool = True) -> list[Any]:
    """The ``k`` largest values of a floating-point ``operand`` along
    ``reduction_dimension`` and their indices. kiln computes them exactly (recall 1)."""
    return _approx_top_k(operand, k, reduction_dimension, recall_target, True,
                         reduction_input_size_override, aggregate_to_topk)


def approx_min_k(operand: Any, k: int, reduction_dimension: int = -1,
                 recall_target: float = 0.95, reduction_input_size_override: int = -1,
                 aggregate_to_topk: bool = True) -> list[Any]:
    """The ``k`` smallest values of a floating-point ``operand`` along
    ``reduction_dimension`` and their indices. kiln computes them exactly (recall 1)."""
    return _approx_top_k(operand, k, reduction_dimension, recall_target, False,
                         reduction_input_size_override, aggregate_to_topk)
