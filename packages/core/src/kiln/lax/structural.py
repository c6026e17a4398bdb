"""Structural ``lax`` functions: broadcasting, reshaping, transposing, padding, slicing,
concatenating, splitting, stacking and creating arrays (``full``, ``iota``).

Like JAX's, these wrappers return their operand unchanged when an op would be the identity
(an identity reshape or transpose...), so such ops leave no equation in a jaxpr.
"""

from __future__ import annotations

import builtins
import enum
import math
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from kiln.core import dtypes
from kiln.core.abstract import ShapedArray, get_aval
from kiln.core.array import is_array
from kiln.core.dispatch import device_put_value
from kiln.core.primitives import structural as _st

# JAX's conversion semantics (constants folded into literals, weak types chosen) and its
# dtype canonicalisation with the x64 warning live with convert_element_type.
from kiln.lax.elementwise import _convert_element_type

broadcast_in_dim_p = _st.PRIMITIVES["broadcast_in_dim"]
reshape_p = _st.PRIMITIVES["reshape"]
squeeze_p = _st.PRIMITIVES["squeeze"]
transpose_p = _st.PRIMITIVES["transpose"]
rev_p = _st.PRIMITIVES["rev"]
pad_p = _st.PRIMITIVES["pad"]
concatenate_p = _st.PRIMITIVES["concatenate"]
slice_p = _st.PRIMITIVES["slice"]
iota_p = _st.PRIMITIVES["iota"]
split_p = _st.PRIMITIVES["split"]
stack_p = _st.PRIMITIVES["stack"]
unstack_p = _st.PRIMITIVES["unstack"]
tile_p = _st.PRIMITIVES["tile"]

Shape = Sequence[int]

# -- helpers shared with kiln.lax.indexing --------------------------------------------------------


def _canonicalize_shape(shape: Any) -> tuple[int, ...]:
    """A user's shape (an int or a sequence of ints) as a tuple of Python ints."""
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        return tuple(operator.index(d) for d in shape)
    except TypeError:
        pass
    raise TypeError(f"Shapes must be 1D sequences of concrete values of integer type, got "
                    f"{shape}.")


def _canonicalize_axis(axis: Any, ndim: int) -> int:
    """An axis in [-ndim, ndim) as one in [0, ndim)."""
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for array of dimension {ndim}")
    return axis + ndim if axis < 0 else axis


def _ints(values: Sequence[Any]) -> tuple[Any, ...]:
    """A param tuple with NumPy integers as Python ints (anything else is left for the
    shape rule to reject, with JAX's message)."""
    return tuple(int(v) if isinstance(v, np.integer) else v for v in values)


def _aval(x: Any) -> ShapedArray:
    try:
        return get_aval(x)
    except TypeError:
        # Duck-typed arrays (anything with a shape and a dtype), as full_like accepts.
        if hasattr(x, "shape") and hasattr(x, "dtype"):
            return ShapedArray(tuple(x.shape), dtypes.canonicalize_dtype(x.dtype),
                               bool(getattr(x, "weak_type", False)))
        raise


def _asarray(x: Any) -> Any:
    """``x`` as an Array (or the tracer it is): Python scalars become weakly typed."""
    if is_array(x):
        return x
    return device_put_value(x, get_aval(x))


# -- broadcasting -------------------------------------------------------------------------------


def broadcast_shapes(*shapes: Shape) -> tuple[int, ...]:
    """The shape NumPy broadcasting gives ``shapes``; ValueError if they are incompatible."""
    if not shapes:
        raise ValueError("broadcast_shapes requires at least one shape")
    shapes = tuple(_canonicalize_shape(s) for s in shapes)
    for s in shapes:
        if not all(d >= 0 for d in s):
            raise TypeError("Only non-negative indices are allowed when broadcasting static "
                            f"shapes, but got shape {s!r}.")
    ndim = max(len(s) for s in shapes)
    out = []
    for dims in zip(*((1,) * (ndim - len(s)) + s for s in shapes)):
        sizes = {d for d in dims if d != 1}
        if len(sizes) > 1:
            raise ValueError(f"Incompatible shapes for broadcasting: shapes={list(shapes)}")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def broadcast_in_dim(operand: Any, shape: Shape, broadcast_dimensions: Sequence[int], *,
                     out_sharding: Any = None) -> Any:
    """Broadcasts ``operand`` to ``shape``: its dimension i becomes the result's dimension
    ``broadcast_dimensions[i]`` (of equal size, or 1)."""
    if (_aval(operand).ndim == len(shape) and not len(broadcast_dimensions)
            and is_array(operand) and out_sharding is None):
        return operand
    return broadcast_in_dim_p.bind(operand, shape=_ints(shape),
                                   broadcast_dimensions=_ints(broadcast_dimensions),
                                   sharding=out_sharding)


def broadcast(operand: Any, sizes: Sequence[int], *, out_sharding: Any = None) -> Any:
    """Adds leading dimensions of ``sizes``: the result has shape ``(*sizes, *operand.shape)``."""
    if len(sizes) == 0 and out_sharding is None:
        return _asarray(operand)
    shape = _aval(operand).shape
    dims = tuple(range(len(sizes), len(sizes) + len(shape)))
    return broadcast_in_dim(operand, tuple(sizes) + shape, dims, out_sharding=out_sharding)


def broadcast_to_rank(x: Any, rank: int) -> Any:
    """Adds leading dimensions of size 1 to give ``x`` rank ``rank``."""
    ndim = _aval(x).ndim
    if ndim == rank:
        return _asarray(x)
    return broadcast(x, (1,) * (rank - ndim))


def expand_dims(array: Any, dimensions: Sequence[int]) -> Any:
    """Inserts dimensions of size 1 at ``dimensions`` (positions in the result)."""
    if len(set(dimensions)) != len(dimensions):
        raise ValueError(f"repeated axis in lax.expand_dims: {dimensions}")
    shape = _aval(array).shape
    ndim_out = len(shape) + len(dimensions)
    dims = [_canonicalize_axis(i, ndim_out) for i in dimensions]
    if len(set(dims)) != len(dims):  # again, after canonicalizing
        raise ValueError(f"repeated axis in lax.expand_dims: {dims}")
    result_shape = list(shape)
    for i in sorted(dims):
        result_shape.insert(i, 1)
    return broadcast_in_dim(array, result_shape, [i for i in range(ndim_out) if i not in dims])


# -- reshaping and permuting --------------------------------------------------------------------


def reshape(operand: Any, new_sizes: Shape, dimensions: Sequence[int] | None = None, *,
            out_sharding: Any = None) -> Any:
    """Reshapes ``operand`` to ``new_sizes`` (row-major), after transposing it by
    ``dimensions`` when given."""
    new_sizes = _canonicalize_shape(new_sizes)
    shape = _aval(operand).shape
    if dimensions is None:
        dims, same_dims = None, True
    else:
        dims = _canonicalize_shape(dimensions)
        same_dims = dims == tuple(range(len(shape)))
    if shape and shape == new_sizes and same_dims and out_sharding is None \
            and is_array(operand):
        return operand
    return reshape_p.bind(operand, new_sizes=new_sizes,
                          dimensions=None if same_dims else dims, sharding=out_sharding)


def collapse(operand: Any, start_dimension: int, stop_dimension: int | None = None) -> Any:
    """Merges dimensions ``[start_dimension, stop_dimension)`` into one (row-major)."""
    shape = _aval(operand).shape
    lo, hi, _ = builtins.slice(start_dimension, stop_dimension).indices(len(shape))
    if hi < lo:
        raise ValueError(f"Invalid dimension range passed to collapse: {shape}"
                         f"[{start_dimension}:{stop_dimension}]")
    return reshape(operand, shape[:lo] + (math.prod(shape[lo:hi]),) + shape[hi:])


def squeeze(array: Any, dimensions: Sequence[int]) -> Any:
    """Removes the dimensions ``dimensions``, which must have size 1."""
    ndim = _aval(array).ndim
    dimensions = tuple(sorted(_canonicalize_axis(i, ndim) for i in dimensions))
    if not dimensions and is_array(array):
        return array
    return squeeze_p.bind(array, dimensions=dimensions)


def transpose(operand: Any, permutation: Sequence[int]) -> Any:
    """Permutes the dimensions: the result's dimension i is the operand's
    ``permutation[i]``."""
    permutation = tuple(operator.index(d) for d in permutation)
    if permutation == tuple(range(_aval(operand).ndim)) and is_array(operand):
        return operand
    return transpose_p.bind(operand, permutation=permutation)


def rev(operand: Any, dimensions: Sequence[int]) -> Any:
    """Reverses the order of elements along ``dimensions``."""
    return rev_p.bind(operand, dimensions=_ints(dimensions))


def tile(operand: Any, reps: Sequence[int]) -> Any:
    """Repeats ``operand`` ``reps[i]`` times along each dimension i."""
    return tile_p.bind(operand, reps=_ints(reps))


# -- padding, slicing, joining, splitting -------------------------------------------------------


def pad(operand: Any, padding_value: Any,
        padding_config: Sequence[tuple[int, int, int]]) -> Any:
    """Pads with ``padding_value``: ``(low, high, interior)`` per dimension; negative low or
    high padding removes elements from that edge."""
    config = tuple(_ints(c) for c in padding_config)
    return pad_p.bind(operand, padding_value, padding_config=config)


def slice(operand: Any, start_indices: Sequence[int], limit_indices: Sequence[int],
          strides: Sequence[int] | None = None) -> Any:
    """``operand[start:limit:stride]`` in every dimension, for static indices."""
    return slice_p.bind(operand, start_indices=_ints(start_indices),
                        limit_indices=_ints(limit_indices),
                        strides=None if strides is None else _ints(strides))


def slice_in_dim(operand: Any, start_index: int | None, limit_index: int | None,
                 stride: int = 1, axis: int = 0) -> Any:
    """``operand[..., start_index:limit_index:stride]`` along ``axis`` (negative indices
    count from the end)."""
    shape = _aval(operand).shape
    start_indices = [0] * len(shape)
    limit_indices = list(shape)
    strides = [1] * len(shape)
    size = shape[axis]
    start = 0 if start_index is None else operator.index(start_index)
    limit = size if limit_index is None else operator.index(limit_index)
    axis = int(axis)
    start_indices[axis] = start + size if start < 0 else start
    limit_indices[axis] = limit + size if limit < 0 else limit
    strides[axis] = operator.index(stride)
    return slice(operand, start_indices, limit_indices, strides)


def index_in_dim(operand: Any, index: int, axis: int = 0, keepdims: bool = True) -> Any:
    """``operand[..., index]`` along ``axis``, keeping the dimension if ``keepdims``."""
    index, axis = operator.index(index), int(axis)
    size = _aval(operand).shape[axis]
    wrapped = index + size if index < 0 else index
    if not 0 <= wrapped < size:
        raise IndexError(f"index {index} is out of bounds for axis {axis} with size {size}")
    result = slice_in_dim(operand, wrapped, wrapped + 1, 1, axis)
    return result if keepdims else squeeze(result, (axis,))


def concatenate(operands: Sequence[Any], dimension: int) -> Any:
    """Joins ``operands`` (of one dtype, equal shapes but along ``dimension``)."""
    if len(operands) == 0:
        raise ValueError("concatenate requires a non-empty sequences of arrays")
    if len(operands) == 1 and is_array(operands[0]):
        return operands[0]
    return concatenate_p.bind(*operands, dimension=dimension)


def split(operand: Any, sizes: Sequence[int], axis: int = 0) -> Sequence[Any]:
    """Splits ``operand`` along ``axis`` into pieces of ``sizes`` (which sum to its size)."""
    operand = _asarray(operand)
    return split_p.bind(operand, sizes=_ints(sizes),
                        axis=_canonicalize_axis(axis, _aval(operand).ndim))


def stack(operands: Sequence[Any], axis: int = 0) -> Any:
    """Joins arrays of one shape and dtype along a new axis ``axis``."""
    arrays = [_asarray(op) for op in operands]
    axis = _canonicalize_axis(axis, _aval(arrays[0]).ndim + 1)
    return stack_p.bind(*arrays, axis=axis)


def unstack(x: Any, axis: int = 0) -> tuple[Any, ...]:
    """The slices of ``x`` along ``axis``, as a tuple."""
    arr = _asarray(x)
    return tuple(unstack_p.bind(arr, axis=_canonicalize_axis(axis, _aval(arr).ndim)))


# -- creating arrays ------------------------------------------------------------------------------


def full(shape: Shape, fill_value: Any, dtype: Any = None, *, sharding: Any = None) -> Any:
    """An array of ``shape`` filled with the scalar ``fill_value`` (cast to ``dtype`` if
    given; otherwise of its dtype and weak type)."""
    shape = _canonicalize_shape(shape)
    fill_shape = _aval(fill_value).shape
    if fill_shape:
        raise TypeError(f"full must be called with scalar fill_value, got fill_value.shape "
                        f"{fill_shape}.")
    if dtype is None:
        aval = _aval(fill_value)
        fill_dtype, weak = aval.dtype, aval.weak_type
    else:
        fill_dtype, weak = dtypes.check_user_dtype(dtype, "full"), False
    return broadcast(_convert_element_type(fill_value, fill_dtype, weak), shape)


def full_like(x: Any, fill_value: Any, dtype: Any = None, shape: Shape | None = None,
              sharding: Any = None) -> Any:
    """An array like ``x`` (its shape and dtype, unless given) filled with ``fill_value``."""
    aval = _aval(x)
    fill_shape = aval.shape if shape is None else _canonicalize_shape(shape)
    weak = dtype is None and aval.weak_type
    dtype = aval.dtype if dtype is None else dtypes.canonicalize_dtype(dtypes.dtype(dtype))
    return full(fill_shape, _convert_element_type(fill_value, dtype, weak))


def broadcasted_iota(dtype: Any, shape: Shape, dimension: int, *,
                     out_sharding: Any = None) -> Any:
    """An array of ``shape`` whose values count 0, 1, ... along ``dimension``."""
    return iota_p.bind(dtype=dtypes.check_user_dtype(dtype, "broadcasted_iota"),
                       shape=_canonicalize_shape(shape),
                       dimension=operator.index(dimension), sharding=out_sharding)


def iota(dtype: Any, size: int) -> Any:
    """``[0, 1, ..., size - 1]`` as an array of ``dtype``."""
    return broadcasted_iota(dtype, (size,), 0)


# -- padding for windowed ops ---------------------------------------------------------------------


class PaddingType(enum.Enum):
    VALID = 1
    SAME = 2
    SAME_LOWER = 3


def padtype_to_pads(in_shape: Sequence[int], window_shape: Sequence[int],
                    window_strides: Sequence[int], padding: str | PaddingType,
                    ) -> list[tuple[int, int]]:
    """The ``(low, high)`` padding per spatial dimension of a padding mode: ``'VALID'`` (none),
    ``'SAME'`` (output size ``ceil(in / stride)``, any odd extra at the end) or
    ``'SAME_LOWER'`` (the same, odd extra at the start)."""
    if isinstance(padding, str):
        try:
            padding = PaddingType[padding.upper()]
        except KeyError as err:
            raise RuntimeError("Unrecognized padding type: expected 'VALID', 'SAME', or "
                               f"'SAME_LOWER', got {padding}.") from err
    if padding == PaddingType.VALID:
        return [(0, 0)] * len(in_shape)
    if padding not in (PaddingType.SAME, PaddingType.SAME_LOWER):
        raise TypeError(f"Unknown padding type: {padding}.")
    pads = []
    for d, w, s in zip(in_shape, window_shape, window_strides):
        out = -(-int(d) // int(s))
        total = max((out - 1) * int(s) + int(w) - int(d), 0)
        small, large = total // 2, total - total // 2
        pads.append((small, large) if padding == PaddingType.SAME else (large, small))
    return pads


__all__ = [
    "broadcast", "broadcast_in_dim", "broadcast_in_dim_p", "broadcast_shapes",
    "broadcast_to_rank", "broadcasted_iota", "collapse", "concatenate", "concatenate_p",
    "expand_dims", "full", "full_like", "index_in_dim", "iota", "iota_p", "pad", "pad_p",
    "padtype_to_pads", "reshape", "reshape_p", "rev", "rev_p", "slice", "slice_in_dim",
    "slice_p", "split", "split_p", "squeeze", "squeeze_p", "stack", "stack_p", "tile",
    "tile_p", "transpose", "transpose_p", "unstack", "unstack_p",
]
