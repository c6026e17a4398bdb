"""Sorting: ``sort`` (several operands sorted together by the first ``num_keys``), ``top_k``
and ``approx_top_k`` (computed exactly here: an exact answer is a valid approximation).

The orders, as XLA's CPU backend has them:

- ``sort``: ascending; NaNs (of either sign) after everything, and -0.0 equal to +0.0; complex
  numbers lexicographically by (real, imaginary), each part ordered that way.
- ``top_k``/``approx_top_k``: the IEEE total order, -NaN < -inf < ... < -0.0 < +0.0 < ... <
  inf < NaN, so NaN counts as the largest value.

All of them are stable: equal elements keep their order (in ``top_k``, the lower index first).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kiln.core import dtypes
from kiln.core.abstract import ShapedArray
from kiln.core.primitive import Primitive, register_abstract_eval, register_impl
from kiln.core.primitives.reductions import widen

sort_p = Primitive("sort", multiple_results=True)
top_k_p = Primitive("top_k", multiple_results=True)
approx_top_k_p = Primitive("approx_top_k", multiple_results=True)

# -- sort keys ----------------------------------------------------------------------------------


def _nan_last_keys(x: np.ndarray) -> list[np.ndarray]:
    nan = np.isnan(x)
    return [nan, np.where(nan, 0, x)]


def sort_keys(x: np.ndarray) -> list[np.ndarray]:
    """Arrays whose lexicographic order (first array primary) is ``sort``'s order of ``x``."""
    x = widen(x)
    if dtypes.is_complex(x.dtype):
        return _nan_last_keys(x.real) + _nan_last_keys(x.imag)
    if dtypes.is_float(x.dtype):
        return _nan_last_keys(x)
    return [x]


_TOTAL_ORDER_INTS = {4: (np.int32, 0x7FFFFFFF), 8: (np.int64, 0x7FFFFFFFFFFFFFFF)}


def total_order_key(x: np.ndarray) -> np.ndarray:
    """An integer array ordered as ``x`` is in the IEEE total order (identity for integers).
    Floats' bits read as signed integers are ordered for positive values and reversed for
    negative ones, so the magnitude bits of negative values are flipped."""
    x = widen(x)
    if x.dtype == dtypes.bool_:
        return x.astype(np.uint8)
    if not dtypes.is_float(x.dtype):
        return x
    int_type, magnitude = _TOTAL_ORDER_INTS[x.dtype.itemsize]
    bits = x.view(int_type)
    return np.where(bits < 0, bits ^ int_type(magnitude), bits)


def _sorted_along_last(keys: list[np.ndarray]) -> np.ndarray:
    """The stable permutation sorting the last axis by ``keys`` (first key primary)."""
    return np.lexsort(keys[::-1], axis=-1)


def _ascending_permutation(key: np.ndarray) -> np.ndarray:
    return np.argsort(key, axis=-1, kind="stable")


def _descending_permutation(key: np.ndarray) -> np.ndarray:
    return np.argsort(~key, axis=-1, kind="stable")  # ~ reverses integer order, overflow-free


# -- sort ---------------------------------------------------------------------------------------


def _sort_aval_rule(*avals: ShapedArray, dimension: int, is_stable: bool,
                    num_keys: int) -> list[ShapedArray]:
    if any(a.shape != avals[0].shape for a in avals[1:]):
        shapes = " ".join(str(a.shape) for a in avals)
        raise TypeError(f"Arguments to sort must have equal shapes, got: {shapes}")
    if not 0 <= dimension < avals[0].ndim:
        raise ValueError(f"axis {dimension} is out of bounds for array of dimension "
                         f"{avals[0].ndim}")
    if not 1 <= num_keys <= len(avals):
        raise ValueError(f"num_keys={num_keys} must be between 1 and len(operand)={len(avals)}")
    return list(avals)


def _sort_impl(*operands: np.ndarray, dimension: int, is_stable: bool,
               num_keys: int) -> list[np.ndarray]:
    moved = [np.moveaxis(x, dimension, -1) for x in operands]
    keys = [k for x in moved[:num_keys] for k in sort_keys(x)]
    perm = _sorted_along_last(keys)  # stable, which is also a valid unstable sort
    return [np.moveaxis(np.take_along_axis(x, perm, axis=-1), -1, dimension) for x in moved]


register_abstract_eval(sort_p, _sort_aval_rule)
register_impl(sort_p, _sort_impl)

# -- top_k --------------------------------------------------------------------------------------

_INT32_MAX = 2**31 - 1


def _top_k_aval_rule(aval: ShapedArray, *, k: int, axis: int) -> list[ShapedArray]:
    if dtypes.is_complex(aval.dtype):
        raise ValueError("top_k is not compatible with complex inputs.")
    if k < 0:
        raise ValueError(f"k argument to top_k must be nonnegative, got {k}")
    if aval.ndim == 0:
        raise TypeError(f"top_k operand must have >= 1 dimension, got {aval.shape}")
    if not 0 <= axis < aval.ndim:
        raise ValueError(f"axis argument out of range: axis={axis} for "
                         f"operand.shape={aval.shape}")
    shape = list(aval.shape)
    if shape[axis] < k:
        raise ValueError("k argument to top_k must be no larger than size along axis; "
                         f"got k={k} with shape={shape} and axis={axis}")
    if shape[axis] > _INT32_MAX + 1:
        raise ValueError("top_k returns int32 indices, which will overflow for array dimensions "
                         f"larger than the maximum int32 ({_INT32_MAX}). Got "
                         f"operand.shape={aval.shape}")
    shape[axis] = k
    # JAX's indices keep the operand's weak type; so do kiln's.
    return [ShapedArray(tuple(shape), aval.dtype, aval.weak_type),
            ShapedArray(tuple(shape), dtypes.int32, aval.weak_type)]


def _top(x: np.ndarray, k: int, axis: int, largest: bool) -> list[np.ndarray]:
    moved = np.moveaxis(x, axis, -1)
    key = total_order_key(moved)
    perm = (_descending_permutation if largest else _ascending_permutation)(key)[..., :k]
    values = np.take_along_axis(moved, perm, axis=-1)
    return [np.moveaxis(values, -1, axis), np.moveaxis(perm.astype(np.int32), -1, axis)]


def _top_k_impl(x: np.ndarray, *, k: int, axis: int) -> list[np.ndarray]:
    return _top(x, k, axis, largest=True)


register_abstract_eval(top_k_p, _top_k_aval_rule)
register_impl(top_k_p, _top_k_impl)

# -- approx_top_k -------------------------------------------------------------------------------


def _unaggregated_size(size: int, rank: int) -> int:
    """How many candidates ``aggregate_to_topk=False`` returns. XLA returns the whole
    reduction dimension when it fits in one TPU tile (1024 elements at rank 1, 128 above);
    for larger ones its size depends on the TPU algorithm, which kiln does not model."""
    tile = 1024 if rank == 1 else 128
    if size <= tile:
        return size
    raise NotImplementedError(
        "approx_max_k/approx_min_k with aggregate_to_topk=False are only implemented when the "
        f"reduction dimension has at most {tile} elements (got {size}); pass "
        "aggregate_to_topk=True")


def _approx_top_k_aval_rule(aval: ShapedArray, *, k: int, reduction_dimension: int,
                            recall_target: float, is_max_k: bool,
                            reduction_input_size_override: int,
                            aggregate_to_topk: bool) -> list[ShapedArray]:
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}")
    if aval.ndim == 0:
        raise TypeError(f"approx_top_k operand must have >= 1 dimension, got {aval.shape}")
    dims = list(aval.shape)
    if dims[reduction_dimension] < k:
        raise ValueError("k must be smaller than the size of reduction_dim "
                         f"{dims[reduction_dimension]}, got {k}")
    if not dtypes.is_float(aval.dtype):
        raise ValueError("operand must be a floating type")
    size = dims[reduction_dimension]
    dims[reduction_dimension] = k if aggregate_to_topk else _unaggregated_size(size, aval.ndim)
    return [ShapedArray(tuple(dims), aval.dtype, aval.weak_type),
            ShapedArray(tuple(dims), dtypes.int32, aval.weak_type)]


def _approx_top_k_impl(x: np.ndarray, *, k: int, reduction_dimension: int, is_max_k: bool,
                       aggregate_to_topk: bool, **_: Any) -> list[np.ndarray]:
    axis = reduction_dimension % x.ndim
    count = k if aggregate_to_topk else _unaggregated_size(x.shape[axis], x.ndim)
    return _top(x, count, axis, largest=is_max_k)


register_abstract_eval(approx_top_k_p, _approx_top_k_aval_rule)
register_impl(approx_top_k_p, _approx_top_k_impl)

__all__ = ["sort_p", "top_k_p", "approx_top_k_p"]
