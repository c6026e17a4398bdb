"""Structural primitives: they move, copy and reshape elements without computing on them.

One table row per primitive: its shape rule (avals and params -> the result shape, or a list
of shapes when it has several results), its NumPy implementation, and how the result's
dtype and weak type follow from the operands. Shape rules raise the errors JAX raises, with
its messages; the dtype rules of the multi-operand primitives (concatenate, stack, pad)
require one dtype, since lax never promotes.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kiln.core import dtypes
from kiln.core.abstract import ShapedArray
from kiln.core.jaxpr import param_printers
from kiln.core.primitive import Primitive, register_abstract_eval, register_impl
from kiln.core.primitives.shape_rules import all_weak, same_dtypes

# -- checks shared with the indexing primitives ------------------------------------------------


def check_shapelike(name: str, arg: str, obj: Any) -> None:
    """``obj`` is a sequence of non-negative integers (JAX's ``_check_shapelike``)."""
    if not isinstance(obj, (tuple, list, np.ndarray)):
        raise TypeError(f"{name} {arg} must be of type tuple/list/ndarray, got {type(obj)}.")
    if not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in obj):
        raise TypeError(f"{name} {arg} must have every element be an integer type, got "
                        f"{tuple(map(type, obj))}.")
    if not all(d >= 0 for d in obj):
        raise TypeError(f"{name} {arg} must have every element be nonnegative, got {obj}.")


def dilate_dim(d: int, dilation: int) -> int:
    """The size of ``d`` elements with ``dilation - 1`` holes between neighbours."""
    return 0 if d == 0 else 1 + dilation * (d - 1)


# -- shape rules ------------------------------------------------------------------------------


def _broadcast_in_dim_shape(x: ShapedArray, *, shape: tuple[int, ...],
                            broadcast_dimensions: tuple[int, ...], sharding: Any) -> tuple:
    name = "broadcast_in_dim"
    check_shapelike(name, "shape", shape)
    check_shapelike(name, "broadcast_dimensions", broadcast_dimensions)
    if x.ndim != len(broadcast_dimensions):
        raise TypeError(f"{name} broadcast_dimensions must have length equal to operand ndim; "
                        f"got broadcast_dimensions {broadcast_dimensions} for operand ndim "
                        f"{x.ndim}.")
    if len(shape) < x.ndim:
        raise TypeError(f"{name} target broadcast shape must have equal or higher rank to the "
                        f"operand shape; got operand ndim {x.ndim} and target broadcast ndim "
                        f"{len(shape)}.")
    if not set(broadcast_dimensions) <= set(range(len(shape))):
        raise TypeError(f"{name} broadcast_dimensions must be a subset of output dimensions, "
                        f"got {broadcast_dimensions} for operand ndim {x.ndim} and shape "
                        f"{shape}.")
    if not all(x.shape[i] in (1, shape[d]) for i, d in enumerate(broadcast_dimensions)):
        raise TypeError(f"{name} operand dimension sizes must either be 1, or be equal to "
                        "their corresponding dimensions in the target broadcast shape; got "
                        f"operand of shape {x.shape}, target broadcast shape {shape}, "
                        f"broadcast_dimensions {broadcast_dimensions} ")
    if len(set(broadcast_dimensions)) != len(broadcast_dimensions):
        raise TypeError(f"{name} broadcast_dimensions must not contain duplicates, got "
                        f"broadcast_dimensions {broadcast_dimensions}")
    return tuple(shape)


def _reshape_shape(x: ShapedArray, *, new_sizes: tuple[int, ...], dimensions: Any,
                   sharding: Any) -> tuple:
    if not all(d >= 0 for d in new_sizes):
        raise TypeError(f"reshape new_sizes must all be positive, got {new_sizes}.")
    if dimensions is not None and set(dimensions) != set(range(x.ndim)):
        raise TypeError("reshape dimensions must be a permutation of operand dimensions, got "
                        f"dimensions {dimensions} for shape {x.shape}.")
    # JAX leaves this to the compiler (a ValueError when lowering); we check it here.
    if math.prod(new_sizes) != x.size:
        raise TypeError(f"reshape total size must be unchanged, got new_sizes {new_sizes} (of "
                        f"total size {math.prod(new_sizes)}) for shape {x.shape} (of total "
                        f"size {x.size}).")
    return tuple(new_sizes)


def _squeeze_shape(x: ShapedArray, *, dimensions: tuple[int, ...]) -> tuple:
    dims = set(dimensions)
    if len(dims) != len(dimensions):
        raise ValueError(f"dimensions are not unique: {dimensions}")
    if not all(0 <= d < x.ndim for d in dims):
        raise ValueError(f"dimensions outside range [0, ndim): {dimensions}")
    if any(x.shape[d] != 1 for d in dims):
        raise ValueError("cannot select an axis to squeeze out which has size not equal to "
                         f"one, got shape={x.shape} and dimensions={dimensions}")
    return tuple(s for i, s in enumerate(x.shape) if i not in dims)


def _transpose_shape(x: ShapedArray, *, permutation: tuple[int, ...]) -> tuple:
    if not isinstance(permutation, (tuple, list, np.ndarray)):
        raise TypeError("transpose permutation must be a tuple/list/ndarray, got "
                        f"{type(permutation)}.")
    if tuple(sorted(permutation)) != tuple(range(x.ndim)):
        raise TypeError("transpose permutation isn't a permutation of operand dimensions, got "
                        f"permutation {permutation} for operand shape {x.shape}.")
    return tuple(x.shape[d] for d in permutation)


def _rev_shape(x: ShapedArray, *, dimensions: tuple[int, ...]) -> tuple:
    check_shapelike("rev", "dimensions", dimensions)
    if len(set(dimensions)) != len(dimensions):
        raise TypeError(f"rev dimensions must be unique, got {dimensions}.")
    if dimensions and not max(dimensions) < x.ndim:
        raise TypeError("rev dimensions must all be less than operand ndim, got dimensions "
                        f"{dimensions} for operand ndim {x.ndim}.")
    return x.shape


def _pad_shape(x: ShapedArray, padding_value: ShapedArray, *,
               padding_config: tuple[tuple[int, int, int], ...]) -> tuple:
    if padding_value.ndim != 0:
        raise ValueError("padding_value must be a scalar; got "
                         f"np.shape(padding_value)={padding_value.shape}")
    if len(padding_config) != x.ndim:
        raise ValueError("length of padding_config must equal the number of axes of operand, "
                         f"got padding_config {padding_config} for operand shape {x.shape}")
    if not all(i >= 0 for _, _, i in padding_config):
        raise ValueError("interior padding in padding_config must be nonnegative, got "
                         f"padding_config {padding_config}")
    out = tuple(lo + hi + dilate_dim(d, i + 1) for (lo, hi, i), d in zip(padding_config, x.shape))
    if not all(d >= 0 for d in out):
        raise ValueError(f"Dimension size after padding is not at least 0, got result shape "
                         f"{out}, for padding_config {padding_config} and operand shape "
                         f"{x.shape}")
    return out


def _shapes_text(avals: Sequence[ShapedArray]) -> str:
    return ", ".join(str(a.shape) for a in avals)


def _concatenate_shape(*xs: ShapedArray, dimension: int) -> tuple:
    if not xs:
        raise TypeError("concatenate expects at least one operand, got 0.")
    if len({x.ndim for x in xs}) != 1:
        raise TypeError("Cannot concatenate arrays with different numbers of dimensions: got "
                        f"{_shapes_text(xs)}.")
    if not 0 <= dimension < xs[0].ndim:
        raise TypeError(f"concatenate dimension out of bounds: dimension {dimension} for "
                        f"shapes {_shapes_text(xs)}.")
    others = {x.shape[:dimension] + x.shape[dimension + 1:] for x in xs}
    if len(others) != 1:
        raise TypeError("Cannot concatenate arrays with shapes that differ in dimensions other "
                        f"than the one being concatenated: concatenating along dimension "
                        f"{dimension} for shapes {_shapes_text(xs)}.")
    shape = xs[0].shape
    return shape[:dimension] + (sum(x.shape[dimension] for x in xs),) + shape[dimension + 1:]


def _slice_shape(x: ShapedArray, *, start_indices: tuple[int, ...],
                 limit_indices: tuple[int, ...], strides: tuple[int, ...] | None) -> tuple:
    check_shapelike("slice", "start_indices", start_indices)
    check_shapelike("slice", "limit_indices", limit_indices)
    if x.ndim != len(start_indices):
        raise TypeError("slice start_indices must have length equal to the number of "
                        f"dimensions of the operand, got indices {start_indices} for operand "
                        f"shape {x.shape}.")
    if len(start_indices) != len(limit_indices):
        raise TypeError("slice limit_indices must have the same length as start_indices, got "
                        f"start_indices {start_indices} and limit_indices {limit_indices}.")
    if not all(map(operator.ge, x.shape, limit_indices)):
        raise TypeError("slice limit_indices must be less than or equal to operand shape, got "
                        f"limit_indices {limit_indices} for operand shape {x.shape}.")
    if not all(map(operator.ge, limit_indices, start_indices)):
        raise TypeError("slice limit_indices must be greater than or equal to start_indices, "
                        f"got start_indices {start_indices} and limit_indices {limit_indices}.")
    sizes = tuple(map(operator.sub, limit_indices, start_indices))
    if strides is None:
        return sizes
    check_shapelike("slice", "strides", strides)
    if len(strides) != x.ndim:
        raise TypeError("slice strides must have length equal to the number of dimensions of "
                        f"the operand, got strides {strides} for operand shape {x.shape}.")
    # JAX accepts a zero stride here and then divides by it; we reject it.
    if not all(s > 0 for s in strides):
        raise TypeError(f"slice strides must be positive, got {strides}")
    return tuple(0 if d == 0 else (d - 1) // s + 1 for d, s in zip(sizes, strides))


_IOTA_KINDS = "integer, floating, complexfloating"


def _iota_shape(*, dtype: np.dtype, shape: tuple[int, ...], dimension: int,
                sharding: Any) -> tuple:
    check_shapelike("iota", "shape", shape)
    if not (dtypes.is_int(dtype) or dtypes.is_inexact(dtype)):
        raise TypeError(f"iota does not accept dtype {np.dtype(dtype).name}. Accepted dtypes "
                        f"are subtypes of {_IOTA_KINDS}.")
    if not 0 <= dimension < len(shape):
        raise ValueError("iota dimension must be between 0 and len(shape), got "
                         f"dimension={dimension} for shape={shape}")
    return tuple(shape)


def _split_shape(x: ShapedArray, *, sizes: tuple[int, ...], axis: int) -> list[tuple]:
    if any(s < 0 for s in sizes):
        raise ValueError(f"Sizes passed to split must be nonnegative, got {list(sizes)}")
    if x.shape[axis] != sum(sizes):
        raise ValueError(f"Sum of sizes {sum(sizes)} must be equal to dimension {axis} of the "
                         f"operand shape {list(x.shape)}")
    return [x.shape[:axis] + (s,) + x.shape[axis + 1:] for s in sizes]


def _stack_shape(*xs: ShapedArray, axis: int) -> tuple:
    if not xs:
        raise ValueError("stack expects at least one operand, got 0.")
    if len({x.ndim for x in xs}) != 1:
        raise ValueError("Cannot stack arrays with different numbers of dimensions: got "
                         f"{_shapes_text(xs)}.")
    if len({x.shape for x in xs}) != 1:
        raise ValueError(f"All input arrays must have the same shape. Got {_shapes_text(xs)}.")
    if not 0 <= axis <= xs[0].ndim:
        raise ValueError(f"axis {axis} is out of bounds for array of dimension "
                         f"{xs[0].ndim + 1}")
    shape = xs[0].shape
    return shape[:axis] + (len(xs),) + shape[axis:]


def _unstack_shape(x: ShapedArray, *, axis: int) -> list[tuple]:
    if x.ndim == 0:
        raise ValueError("unstack requires arrays with rank > 0, however a scalar array of "
                         f"shape {x.shape} was passed.")
    if not 0 <= axis < x.ndim:
        raise ValueError(f"axis {axis} is out of bounds for array of dimension {x.ndim}")
    rest = x.shape[:axis] + x.shape[axis + 1:]
    return [rest] * x.shape[axis]


def _tile_shape(x: ShapedArray, *, reps: tuple[int, ...]) -> tuple:
    if x.ndim != len(reps):
        raise TypeError(f"reps length must be equal to the ndim of x, got len(reps)={len(reps)}"
                        f" and x.ndim={x.ndim}.")
    # JAX computes a negative dimension here; we reject it.
    check_shapelike("tile", "reps", reps)
    return tuple(d * r for d, r in zip(x.shape, reps))


# -- NumPy implementations --------------------------------------------------------------------


def _broadcast_in_dim_impl(x: np.ndarray, *, shape: tuple[int, ...],
                           broadcast_dimensions: tuple[int, ...], sharding: Any) -> np.ndarray:
    # Order the operand's axes as their targets are ordered, give the new axes size 1, then
    # broadcast (broadcast_dimensions need not be increasing: that is an implicit transpose).
    order = sorted(range(x.ndim), key=lambda i: broadcast_dimensions[i])
    expanded = [1] * len(shape)
    for i in order:
        expanded[broadcast_dimensions[i]] = x.shape[i]
    x = np.transpose(x, order).reshape(expanded)
    return np.ascontiguousarray(np.broadcast_to(x, shape))


def _reshape_impl(x: np.ndarray, *, new_sizes: tuple[int, ...], dimensions: Any,
                  sharding: Any) -> np.ndarray:
    if dimensions is not None:
        x = np.transpose(x, dimensions)
    return np.reshape(x, new_sizes)


def _pad_impl(x: np.ndarray, padding_value: np.ndarray, *,
              padding_config: tuple[tuple[int, int, int], ...]) -> np.ndarray:
    # Pad with the non-negative parts of lo/hi and the interior, then crop the negative parts.
    grown = tuple(max(lo, 0) + max(hi, 0) + dilate_dim(d, i + 1)
                  for (lo, hi, i), d in zip(padding_config, x.shape))
    out = np.full(grown, padding_value, dtype=x.dtype)
    out[tuple(slice(max(lo, 0), max(lo, 0) + dilate_dim(d, i + 1), i + 1)
              for (lo, _, i), d in zip(padding_config, x.shape))] = x
    return out[tuple(slice(max(-lo, 0), g - max(-hi, 0))
                     for (lo, hi, _), g in zip(padding_config, grown))]


def _slice_impl(x: np.ndarray, *, start_indices: tuple[int, ...],
                limit_indices: tuple[int, ...], strides: tuple[int, ...] | None) -> np.ndarray:
    strides = strides or (1,) * x.ndim
    return x[tuple(map(slice, start_indices, limit_indices, strides))]


def _iota_impl(*, dtype: np.dtype, shape: tuple[int, ...], dimension: int,
               sharding: Any) -> np.ndarray:
    line = np.arange(shape[dimension]).reshape(
        [shape[dimension] if i == dimension else 1 for i in range(len(shape))])
    return np.broadcast_to(line, shape).astype(dtype)


def _split_impl(x: np.ndarray, *, sizes: tuple[int, ...], axis: int) -> list[np.ndarray]:
    return np.split(x, np.cumsum(sizes)[:-1], axis=axis) if sizes else []


def _unstack_impl(x: np.ndarray, *, axis: int) -> list[np.ndarray]:
    return [np.take(x, i, axis=axis) for i in range(x.shape[axis])]


# -- the table --------------------------------------------------------------------------------


def _operand_dtype(*avals: ShapedArray, **params: Any) -> np.dtype:
    return avals[0].dtype


def _same_dtype(name: str, tip: str | None = None) -> Callable[..., np.dtype]:
    return lambda *avals, **params: same_dtypes(name, avals, tip)


def _pad_dtype(x: ShapedArray, padding_value: ShapedArray, **params: Any) -> np.dtype:
    if x.dtype != padding_value.dtype:
        raise TypeError("pad operand and padding_value must be same dtype: got "
                        f"{x.dtype.name} and {padding_value.dtype.name}.")
    return x.dtype


@dataclass(frozen=True)
class Spec:
    """A primitive whose result's shape, dtype and weak type come from separate rules (the
    indexing primitives are defined with it too)."""

    name: str
    shape: Callable[..., Any]  # (*avals, **params) -> shape, or list of shapes
    impl: Callable[..., Any]  # on NumPy arrays
    dtype: Callable[..., np.dtype] = _operand_dtype
    weak: Callable[[Sequence[ShapedArray]], bool] = all_weak
    multiple_results: bool = False


def _aval_rule(spec: Spec) -> Callable[..., Any]:
    def rule(*avals: ShapedArray, **params: Any) -> Any:
        shape = spec.shape(*avals, **params)
        dtype = spec.dtype(*avals, **params)
        weak = spec.weak(avals)
        if spec.multiple_results:
            return [ShapedArray(s, dtype, weak) for s in shape]
        return ShapedArray(shape, dtype, weak)

    return rule


def define(spec: Spec) -> Primitive:
    prim = Primitive(spec.name, multiple_results=spec.multiple_results)
    register_abstract_eval(prim, _aval_rule(spec))
    register_impl(prim, spec.impl)
    return prim


TABLE = [
    Spec("broadcast_in_dim", _broadcast_in_dim_shape, _broadcast_in_dim_impl),
    Spec("reshape", _reshape_shape, _reshape_impl),
    Spec("squeeze", _squeeze_shape,
               lambda x, *, dimensions: np.squeeze(x, axis=dimensions)),
    Spec("transpose", _transpose_shape,
               lambda x, *, permutation: np.transpose(x, permutation)),
    Spec("rev", _rev_shape, lambda x, *, dimensions: np.flip(x, dimensions)),
    Spec("pad", _pad_shape, _pad_impl, dtype=_pad_dtype),
    Spec("concatenate", _concatenate_shape,
               lambda *xs, dimension: np.concatenate(xs, axis=dimension),
               dtype=_same_dtype("concatenate", "jnp.concatenate")),
    Spec("slice", _slice_shape, _slice_impl),
    Spec("iota", _iota_shape, _iota_impl,
               dtype=lambda *, dtype, **params: dtype, weak=lambda avals: False),
    Spec("split", _split_shape, _split_impl, multiple_results=True),
    Spec("stack", _stack_shape, lambda *xs, axis: np.stack(xs, axis=axis),
               dtype=_same_dtype("stack")),
    Spec("unstack", _unstack_shape, _unstack_impl, multiple_results=True),
    Spec("tile", _tile_shape, lambda x, *, reps: np.tile(x, reps)),
]

PRIMITIVES: dict[str, Primitive] = {spec.name: define(spec) for spec in TABLE}
globals().update({f"{name}_p": prim for name, prim in PRIMITIVES.items()})


def _pp_broadcast_in_dim(eqn: Any, names: Any) -> list[tuple[str, Any]]:
    # JAX prints only broadcast_dimensions, and not even those when the operand is a scalar:
    # the shape is in the result's type and sharding is always None here.
    dims = eqn.params["broadcast_dimensions"]
    return [("broadcast_dimensions", dims)] if dims else []


param_printers[PRIMITIVES["broadcast_in_dim"]] = _pp_broadcast_in_dim

__all__ = ["PRIMITIVES", "Spec", "check_shapelike", "define", "dilate_dim",
           *(f"{name}_p" for name in PRIMITIVES)]
