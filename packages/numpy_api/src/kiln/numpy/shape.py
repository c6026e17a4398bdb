"""Shape manipulation: reshaping, transposing, adding and removing axes, joining and
splitting, flipping and rolling, tiling and repeating, padding, inserting and deleting."""

from __future__ import annotations

import builtins
import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from kiln import lax
from kiln.core import dtypes
from kiln.core.array import Array
from kiln.core.tracing import Tracer
from kiln.numpy import promotion
from kiln.numpy.promotion import asarray, check_arraylike, promote_dtypes
from kiln.numpy.reductions import canonicalize_axis
from kiln.numpy.selection import broadcast_to

_ARRAYS = (Array, Tracer)


def _array(name: str, a: Any) -> Any:
    if isinstance(a, _ARRAYS):
        return a
    check_arraylike(name, a)
    return asarray(a)


def ndim(a: Any) -> int:
    """The number of dimensions of ``a``."""
    if hasattr(a, "ndim"):
        return a.ndim
    return np.ndim(a)


def shape(a: Any) -> tuple[int, ...]:
    """The shape of ``a``."""
    if hasattr(a, "shape"):
        return tuple(a.shape)
    return np.shape(a)


def size(a: Any, axis: int | Sequence[int] | None = None) -> int:
    """The number of elements of ``a`` (along ``axis`` if given)."""
    s = shape(a)
    if axis is None:
        return math.prod(s)
    axes = (axis,) if isinstance(axis, int) else axis
    return math.prod(s[canonicalize_axis(ax, len(s))] for ax in axes)


# -- reshaping ----------------------------------------------------------------------------------


def _compute_newshape(arr_size: int, arr_shape: tuple, newshape: Any) -> tuple[int, ...]:
    if isinstance(newshape, (int, np.integer)) or (hasattr(newshape, "ndim") and
                                                    newshape.ndim == 0):
        newshape = (operator.index(newshape),)
    try:
        newshape = tuple(operator.index(d) for d in newshape)
    except TypeError:
        raise TypeError(f"Shapes must be 1D sequences of concrete values of integer type, got "
                        f"{newshape}.") from None
    if newshape.count(-1) > 1:
        raise ValueError(f"can only specify one unknown dimension, got {newshape}")
    if -1 in newshape:
        known = math.prod(d for d in newshape if d != -1)
        if known == 0 or arr_size % known:
            raise ValueError(f"cannot reshape array of size {arr_size} into shape "
                             f"{_shape_text(newshape)}")
        newshape = tuple(arr_size // known if d == -1 else d for d in newshape)
    if any(d < 0 for d in newshape):
        raise TypeError(f"reshape new_sizes must all be positive, got {newshape}.")
    if math.prod(newshape) != arr_size:
        raise ValueError(f"cannot reshape array of size {arr_size} into shape "
                         f"{_shape_text(newshape)}")
    return newshape


def _shape_text(shape: tuple) -> str:
    """A shape as NumPy's messages write it: ``(5,2)``, with -1 as ``newaxis``."""
    inner = ",".join("newaxis" if d == -1 else str(d) for d in shape)
    return f"({inner}{',' if len(shape) == 1 else ''})"


def reshape(a: Any, shape: Any = None, order: str = "C", *, copy: bool | None = None,
            out_sharding: Any = None) -> Any:
    """``a`` with a new shape (one dimension may be -1), in row-major (``'C'``) or
    column-major (``'F'``) order."""
    a = _array("reshape", a)
    if shape is None:
        raise TypeError("reshape() missing required argument 'shape'")
    newshape = _compute_newshape(a.size, a.shape, shape)
    if order == "C":
        return lax.reshape(a, newshape, out_sharding=out_sharding)
    if order == "F":
        dims = tuple(range(a.ndim))[::-1]
        out = lax.reshape(a, newshape[::-1], dims)
        return lax.transpose(out, tuple(range(len(newshape)))[::-1])
    if order == "A":
        raise NotImplementedError("np.reshape order=A is not implemented.")
    raise ValueError(f"Unexpected value for 'order' argument: {order}.")


def ravel(a: Any, order: str = "C", *, out_sharding: Any = None) -> Any:
    """``a`` flattened to one dimension."""
    a = _array("ravel", a)
    if order == "K":
        raise NotImplementedError("Ravel not implemented for order='K'.")
    return reshape(a, (a.size,), order=order, out_sharding=out_sharding)


def transpose(a: Any, axes: Sequence[int] | None = None) -> Any:
    """``a`` with its axes permuted (reversed by default)."""
    a = _array("transpose", a)
    axes = tuple(range(a.ndim))[::-1] if axes is None else \
        tuple(canonicalize_axis(i, a.ndim) for i in axes)
    if sorted(axes) != list(range(a.ndim)):
        raise ValueError("axes don't match array")
    return lax.transpose(a, axes)


def permute_dims(a: Any, /, axes: tuple[int, ...]) -> Any:
    """``transpose`` with required ``axes`` (the Array API's name)."""
    return transpose(a, axes)


def matrix_transpose(x: Any, /) -> Any:
    """Swap the last two axes."""
    x = _array("matrix_transpose", x)
    if x.ndim < 2:
        raise ValueError(f"x must be at least two-dimensional for matrix_transpose; got "
                         f"{x.ndim=}")
    perm = tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return lax.transpose(x, perm)


def swapaxes(a: Any, axis1: int, axis2: int) -> Any:
    """``a`` with two axes exchanged."""
    a = _array("swapaxes", a)
    perm = list(range(a.ndim))
    i, j = canonicalize_axis(axis1, a.ndim), canonicalize_axis(axis2, a.ndim)
    perm[i], perm[j] = perm[j], perm[i]
    return lax.transpose(a, perm)


def moveaxis(a: Any, source: int | Sequence[int], destination: int | Sequence[int]) -> Any:
    """``a`` with axes moved from ``source`` to ``destination``."""
    a = _array("moveaxis", a)
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise ValueError(f"Inconsistent number of elements: {len(src)} vs {len(dst)}")
    src = tuple(canonicalize_axis(i, a.ndim) for i in src)
    dst = tuple(canonicalize_axis(i, a.ndim) for i in dst)
    perm = [i for i in range(a.ndim) if i not in src]
    for d, s in sorted(zip(dst, src)):
        perm.insert(d, s)
    return lax.transpose(a, perm)


def rollaxis(a: Any, axis: int, start: int = 0) -> Any:
    """Move ``axis`` to before position ``start``."""
    a = _array("rollaxis", a)
    start = operator.index(start)
    n = a.ndim
    axis = canonicalize_axis(axis, n)
    if not -n <= start <= n:
        raise ValueError(f"{start=} must satisfy {-n}<=start<={n}")
    if start < 0:
        start += n
    if start > axis:
        start -= 1
    return moveaxis(a, axis, start)


def expand_dims(a: Any, axis: int | Sequence[int]) -> Any:
    """``a`` with new axes of size 1 at ``axis`` (positions in the result)."""
    a = _array("expand_dims", a)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out_ndim = a.ndim + len(axes)
    axes = tuple(canonicalize_axis(i, out_ndim) for i in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"repeated axis in expand_dims: {axes}")
    return lax.expand_dims(a, axes)


def squeeze(a: Any, axis: int | Sequence[int] | None = None) -> Any:
    """``a`` without the axes of size 1 (only ``axis`` if given, which must have size 1)."""
    a = _array("squeeze", a)
    if axis is None:
        axes = tuple(i for i, d in enumerate(a.shape) if d == 1)
    else:
        axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
        axes = tuple(canonicalize_axis(i, a.ndim) for i in axes)
        for i in axes:
            if a.shape[i] != 1:
                raise ValueError("cannot select an axis to squeeze out which has size not "
                                 f"equal to one, got shape={a.shape} and dimensions={axes}")
    if not axes:
        return a
    return lax.squeeze(a, axes)


def _atleast(name: str, nd: int, arys: tuple) -> Any:
    check_arraylike(name, *arys)
    outs = []
    for arr in arys:
        arr = asarray(arr)
        if arr.ndim < nd:
            if nd == 1:
                arr = lax.reshape(arr, (1,))
            elif nd == 2:
                arr = lax.expand_dims(arr, tuple(range(2 - arr.ndim)))
            elif arr.ndim == 0:
                arr = lax.reshape(arr, (1, 1, 1))
            elif arr.ndim == 1:
                arr = lax.expand_dims(arr, (0, 2))
            else:
                arr = lax.expand_dims(arr, (2,))
        outs.append(arr)
    return outs[0] if len(outs) == 1 else outs


def atleast_1d(*arys: Any) -> Any:
    """Each argument with at least one dimension."""
    return _atleast("atleast_1d", 1, arys)


def atleast_2d(*arys: Any) -> Any:
    """Each argument with at least two dimensions (leading ones added)."""
    return _atleast("atleast_2d", 2, arys)


def atleast_3d(*arys: Any) -> Any:
    """Each argument with at least three dimensions (``(N,)`` becomes ``(1, N, 1)``)."""
    return _atleast("atleast_3d", 3, arys)


# -- joining ------------------------------------------------------------------------------------


def _sequence(name: str, arrays: Any) -> list[Any]:
    if isinstance(arrays, _ARRAYS) or isinstance(arrays, np.ndarray):
        arr = asarray(arrays)
        return [arr[i] for i in range(arr.shape[0])] if arr.ndim else [arr]
    arrays = list(arrays)
    check_arraylike(name, *arrays)
    return arrays


def concatenate(arrays: Any, axis: int | None = 0, dtype: Any = None) -> Any:
    """Join arrays along an existing ``axis`` (flattened first if ``axis`` is None)."""
    arrays = _sequence("concatenate", arrays)
    if not arrays:
        raise ValueError("Need at least one array to concatenate.")
    if np.ndim(arrays[0]) == 0:
        raise ValueError("Zero-dimensional arrays cannot be concatenated.")
    if axis is None:
        return concatenate([ravel(a) for a in arrays], axis=0, dtype=dtype)
    axis = canonicalize_axis(axis, np.ndim(arrays[0]))
    if dtype is None:
        outs = [promotion._as_array(a) for a in promote_dtypes(*arrays)]
    else:
        dt = promotion.canonicalize_user_dtype(dtype, "concatenate")
        outs = [promotion.convert(a, dt, False, as_array=True) for a in arrays]
    # Trees of at most 16 operands keep wide concatenations fast to compile.
    while len(outs) > 1:
        outs = [lax.concatenate(outs[i:i + 16], axis) for i in range(0, len(outs), 16)]
    return outs[0]


def concat(arrays: Sequence[Any], /, *, axis: int | None = 0) -> Any:
    """``concatenate`` (the Array API's name)."""
    return concatenate(arrays, axis=axis)


def stack(arrays: Any, axis: int = 0, out: None = None, dtype: Any = None) -> Any:
    """Join arrays of one shape along a new ``axis``."""
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.stack is not supported.")
    if isinstance(arrays, _ARRAYS) or isinstance(arrays, np.ndarray):
        arr = asarray(arrays)
        axis = canonicalize_axis(axis, arr.ndim)
        return concatenate(expand_dims(arr, axis + 1), axis=axis, dtype=dtype)
    arrays = list(arrays)
    if not arrays:
        raise ValueError("Need at least one array to stack.")
    check_arraylike("stack", *arrays)
    shape0 = np.shape(arrays[0]) if not isinstance(arrays[0], _ARRAYS) else arrays[0].shape
    axis = canonicalize_axis(axis, len(shape0) + 1)
    shapes = [a.shape if isinstance(a, _ARRAYS) else np.shape(a) for a in arrays]
    if any(s != shape0 for s in shapes):
        raise ValueError("All input arrays must have the same shape. Got "
                         f"{', '.join(str(tuple(s)) for s in shapes)}.")
    if dtype is None:
        outs = [promotion._as_array(a) for a in promote_dtypes(*arrays)]
    else:
        dt = promotion.canonicalize_user_dtype(dtype, "stack")
        outs = [promotion.convert(a, dt, False, as_array=True) for a in arrays]
    return lax.stack(outs, axis)


def hstack(tup: Any, dtype: Any = None) -> Any:
    """Join along the second axis (the first for one-dimensional arrays)."""
    arrays = [atleast_1d(a) for a in _sequence("hstack", tup)]
    return concatenate(arrays, axis=0 if arrays and arrays[0].ndim == 1 else 1, dtype=dtype)


def vstack(tup: Any, dtype: Any = None) -> Any:
    """Join along the first axis, as two-dimensional arrays at least."""
    return concatenate([atleast_2d(a) for a in _sequence("vstack", tup)], axis=0, dtype=dtype)


def dstack(tup: Any, dtype: Any = None) -> Any:
    """Join along the third axis, as three-dimensional arrays at least."""
    return concatenate([atleast_3d(a) for a in _sequence("dstack", tup)], axis=2, dtype=dtype)


def column_stack(tup: Any) -> Any:
    """Join one-dimensional arrays as the columns of a matrix (others as ``hstack``)."""
    arrays = []
    for a in _sequence("column_stack", tup):
        a = asarray(a)
        arrays.append(lax.reshape(a, (a.size, 1)) if a.ndim < 2 else a)
    return concatenate(arrays, axis=1)


def block(arrays: Any) -> Any:
    """Assemble an array from nested lists of blocks (the innermost lists join along the
    last axis)."""
    def depth(x: Any) -> int:
        if isinstance(x, list):
            if not x:
                raise ValueError("Lists cannot be empty")
            depths = {depth(e) for e in x}
            if len(depths) != 1:
                raise ValueError("List depths are mismatched.")
            return 1 + depths.pop()
        if isinstance(x, tuple):
            raise TypeError(f"jax.numpy.block does not allow tuples, got {x}")
        return 0

    list_depth = depth(arrays)
    if list_depth == 0:
        return asarray(arrays)
    leaves: list[Any] = []

    def collect(x: Any) -> None:
        if isinstance(x, list):
            for e in x:
                collect(e)
        else:
            leaves.append(asarray(x))

    collect(arrays)
    result_ndim = builtins.max(list_depth, *(leaf.ndim for leaf in leaves))

    def assemble(x: Any, d: int) -> Any:
        if not isinstance(x, list):
            x = asarray(x)
            return lax.expand_dims(x, tuple(range(result_ndim - x.ndim))) \
                if x.ndim < result_ndim else x
        return concatenate([assemble(e, d + 1) for e in x], axis=-(list_depth - d))

    return assemble(arrays, 0)


# -- splitting ----------------------------------------------------------------------------------


def _split(name: str, ary: Any, indices_or_sections: Any, axis: int,
           strict: bool) -> list[Any]:
    ary = _array(name, ary)
    axis = canonicalize_axis(axis, ary.ndim)
    size = ary.shape[axis]
    if isinstance(indices_or_sections, (tuple, list)) or np.ndim(indices_or_sections) == 1:
        split_indices = [operator.index(i) for i in np.asarray(indices_or_sections)] \
            if not isinstance(indices_or_sections, _ARRAYS) else \
            [int(i) for i in np.asarray(indices_or_sections)]
        split_indices = [builtins.min(builtins.max(i + size if i < 0 else i, 0), size)
                         for i in split_indices]
        edges = [0, *split_indices, size]
    else:
        num = operator.index(indices_or_sections)
        if num <= 0:
            raise ValueError("number sections must be larger than 0.")
        part, r = divmod(size, num)
        if strict and r:
            raise ValueError(f"array split does not result in an equal division: rest is "
                             f"{r}")
        sizes = [part + 1] * r + [part] * (num - r)
        edges = list(np.cumsum([0, *sizes]))
    sizes = [builtins.max(int(b) - int(a), 0) for a, b in zip(edges[:-1], edges[1:])]
    if len(sizes) == 1:
        return [ary]
    starts = [int(e) for e in edges[:-1]]
    # Overlapping or decreasing indices cannot be one split: slice each piece.
    if any(s != e for s, e in zip(starts[1:], np.cumsum(sizes)[:-1])):
        return [lax.slice_in_dim(ary, s, s + n, axis=axis) for s, n in zip(starts, sizes)]
    return list(lax.split(ary, sizes, axis=axis))


def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    """Split into equal sections (an int) or at indices (a sequence) along ``axis``."""
    return _split("split", ary, indices_or_sections, axis, strict=True)


def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    """``split`` allowing unequal sections (the first ones one larger)."""
    return _split("array_split", ary, indices_or_sections, axis, strict=False)


def hsplit(ary: Any, indices_or_sections: Any) -> list[Any]:
    """``split`` along the second axis (the first for one-dimensional arrays)."""
    a = _array("hsplit", ary)
    return split(a, indices_or_sections, axis=0 if a.ndim == 1 else 1)


def vsplit(ary: Any, indices_or_sections: Any) -> list[Any]:
    """``split`` along the first axis (at least two dimensions)."""
    a = _array("vsplit", ary)
    if a.ndim < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(a, indices_or_sections, axis=0)


def dsplit(ary: Any, indices_or_sections: Any) -> list[Any]:
    """``split`` along the third axis (at least three dimensions)."""
    a = _array("dsplit", ary)
    if a.ndim < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return split(a, indices_or_sections, axis=2)


def unstack(x: Any, /, *, axis: int = 0) -> tuple[Any, ...]:
    """The slices of ``x`` along ``axis``, as a tuple."""
    x = _array("unstack", x)
    if x.ndim == 0:
        raise ValueError("Unstack requires arrays with rank > 0, however a scalar array was "
                         "passed.")
    return tuple(lax.unstack(x, canonicalize_axis(axis, x.ndim)))


# -- reordering -----------------------------------------------------------------------------------


def flip(m: Any, axis: int | Sequence[int] | None = None) -> Any:
    """``m`` with the order of elements reversed along ``axis`` (all axes by default)."""
    m = _array("flip", m)
    if axis is None:
        dims = tuple(range(m.ndim))
    else:
        axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
        dims = tuple(canonicalize_axis(a, m.ndim) for a in axes)
    return lax.rev(m, dims)


def fliplr(m: Any) -> Any:
    """Reverse the second axis."""
    m = _array("fliplr", m)
    if m.ndim < 2:
        raise ValueError("Input must be >= 2-d.")
    return lax.rev(m, (1,))


def flipud(m: Any) -> Any:
    """Reverse the first axis."""
    m = _array("flipud", m)
    if m.ndim < 1:
        raise ValueError("Input must be >= 1-d.")
    return lax.rev(m, (0,))


def rot90(m: Any, k: int = 1, axes: tuple[int, int] = (0, 1)) -> Any:
    """Rotate by 90 degrees ``k`` times in the plane of ``axes``."""
    m = _array("rot90", m)
    if np.ndim(axes) != 1 or len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    if m.ndim < 2:
        raise ValueError("rot90 requires its first argument to have ndim at least two, but "
                         f"got first argument of shape {m.shape}, which has ndim {m.ndim}")
    k = operator.index(k) % 4
    ax1, ax2 = (canonicalize_axis(a, m.ndim) for a in axes)
    if ax1 == ax2:
        raise ValueError("Axes must be different")
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, ax1), ax2)
    perm = list(range(m.ndim))
    perm[ax1], perm[ax2] = perm[ax2], perm[ax1]
    if k == 1:
        return transpose(flip(m, ax2), perm)
    return flip(transpose(m, perm), ax2)


def roll(a: Any, shift: Any, axis: int | Sequence[int] | None = None) -> Any:
    """``a`` with elements shifted by ``shift`` along ``axis`` (of the flattened array when
    None), wrapping around."""
    a = _array("roll", a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), a.shape)
    shifts = np.atleast_1d(shift) if not isinstance(shift, Tracer) else None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if shifts is None or isinstance(shift, Tracer) or (
            isinstance(shift, Array) and not isinstance(shift, np.ndarray)):
        if isinstance(shift, Tracer):
            return _roll_dynamic(a, asarray(shift), axes)
        shifts = np.atleast_1d(np.asarray(shift))
    shifts_b, axes_b = np.broadcast_arrays(shifts, np.asarray(axes))
    for s, ax in zip(shifts_b.tolist(), axes_b.tolist()):
        ax = canonicalize_axis(ax, a.ndim)
        n = a.shape[ax]
        if n == 0:
            continue
        s = int(s) % n
        if s == 0:
            continue
        a = lax.concatenate([lax.slice_in_dim(a, n - s, n, axis=ax),
                             lax.slice_in_dim(a, 0, n - s, axis=ax)], ax)
    return a


def _roll_dynamic(a: Any, shift: Any, axes: tuple[int, ...]) -> Any:
    shifts = lax.broadcast_in_dim(shift, (len(axes),), (0,)) if shift.ndim == 0 else shift
    for i, ax in enumerate(axes):
        ax = canonicalize_axis(ax, a.ndim)
        n = a.shape[ax]
        if n == 0:
            continue
        s = lax.rem(lax.convert_element_type(lax.index_in_dim(shifts, i, keepdims=False),
                                             np.int32), np.int32(n))
        s = lax.select(lax.lt(s, np.int32(0)), lax.add(s, np.int32(n)), s)
        doubled = lax.concatenate([a, a], ax)
        a = lax.dynamic_slice_in_dim(doubled, lax.sub(np.int32(n), s), n, axis=ax)
    return a


# -- tiling and repeating -------------------------------------------------------------------------


def tile(A: Any, reps: Any) -> Any:
    """``A`` repeated ``reps`` times along each axis."""
    A = _array("tile", A)
    reps_t = (operator.index(reps),) if np.ndim(reps) == 0 else \
        tuple(operator.index(r) for r in reps)
    ndim_out = builtins.max(A.ndim, len(reps_t))
    A = lax.expand_dims(A, tuple(range(ndim_out - A.ndim))) if A.ndim < ndim_out else A
    reps_t = (1,) * (ndim_out - len(reps_t)) + reps_t
    if all(r == 1 for r in reps_t):
        return A
    return lax.tile(A, reps_t)


def repeat(a: Any, repeats: Any, axis: int | None = None, *,
           total_repeat_length: int | None = None, out_sharding: Any = None) -> Any:
    """Each element of ``a`` repeated ``repeats`` times (a scalar, or one count per element
    along ``axis``) along ``axis`` (of the flattened array when None).
    ``total_repeat_length`` makes the result's size static for traced ``repeats``."""
    a = _array("repeat", a)
    if axis is None:
        a = ravel(a)
        axis = 0
    axis = canonicalize_axis(axis, a.ndim)
    if isinstance(repeats, Tracer) or (isinstance(repeats, _ARRAYS) and repeats.ndim > 0
                                       and total_repeat_length is not None):
        return _repeat_dynamic(a, asarray(repeats), axis, total_repeat_length)
    reps = np.asarray(repeats)
    if reps.ndim == 0 or reps.shape == (1,):
        r = int(reps.reshape(()))
        if total_repeat_length is not None and total_repeat_length != r * a.shape[axis]:
            return _repeat_dynamic(a, asarray(reps), axis, total_repeat_length)
        shape = a.shape
        expanded = lax.broadcast_in_dim(a, shape[:axis + 1] + (r,) + shape[axis + 1:],
                                        tuple(range(axis + 1)) + tuple(
                                            range(axis + 2, a.ndim + 1)))
        return lax.reshape(expanded, shape[:axis] + (shape[axis] * r,) + shape[axis + 1:])
    if reps.shape != (a.shape[axis],):
        raise ValueError(f"repeats shape {reps.shape} does not match the dimension on axis "
                         f"{axis} ({a.shape[axis]})")
    total = int(reps.sum())
    if total_repeat_length is not None and total_repeat_length != total:
        return _repeat_dynamic(a, asarray(reps), axis, total_repeat_length)
    idx = np.repeat(np.arange(a.shape[axis]), reps)
    from kiln.numpy.indexing import take

    return take(a, asarray(idx.astype(np.int32)), axis=axis)


def _repeat_dynamic(a: Any, repeats: Any, axis: int, total: int | None) -> Any:
    from kiln.numpy.indexing import take
    from kiln.numpy.reductions import cumsum
    from kiln.numpy.sorting import searchsorted

    if total is None:
        raise ValueError("jax.numpy.repeat with a non-constant `repeats` requires "
                         "total_repeat_length to be specified.")
    n = a.shape[axis]
    if repeats.ndim == 0:
        repeats = broadcast_to(repeats, (n,))
    ends = cumsum(repeats)
    positions = lax.iota(ends.dtype, total)
    idx = searchsorted(ends, positions, side="right")
    idx = lax.min(idx, np.array(builtins.max(n - 1, 0), idx.dtype)[()])
    return take(a, idx, axis=axis)


def resize(a: Any, new_shape: Any) -> Any:
    """``a`` with ``new_shape``, repeating its elements cyclically as needed."""
    a = _array("resize", a)
    new_shape = (operator.index(new_shape),) if np.ndim(new_shape) == 0 else \
        tuple(operator.index(d) for d in new_shape)
    if any(d < 0 for d in new_shape):
        raise ValueError("All elements of `new_shape` must be non-negative integers.")
    new_size = math.prod(new_shape)
    if a.size == 0 or new_size == 0:
        return lax.full(new_shape, 0, a.dtype)
    flat = ravel(a)
    repeats = -(-new_size // a.size)
    flat = tile(flat, repeats)[:new_size]
    return reshape(flat, new_shape)


# -- padding --------------------------------------------------------------------------------------


def _pad_width(pad_width: Any, nd: int) -> list[tuple[int, int]]:
    pw = np.asarray(pad_width)
    if not np.issubdtype(pw.dtype, np.integer):
        raise TypeError(f"`pad_width` must be of integral type, got {pad_width!r}")
    pw = np.broadcast_to(pw, (nd, 2)) if pw.ndim <= 2 else pw
    if pw.shape != (nd, 2):
        raise ValueError(f"jnp.pad: pad_width with nd={nd} has unsupported shape {pw.shape}."
                         " Valid shapes are ({nd}, 2), (1, 2), (2,), (1,), or ().")
    if (pw < 0).any():
        raise ValueError("index can't contain negative values")
    return [(int(lo), int(hi)) for lo, hi in pw]


def pad(array: Any, pad_width: Any, mode: str | Callable[..., Any] = "constant",
        **kwargs: Any) -> Any:
    """``array`` padded by ``pad_width`` (per axis ``(before, after)``) in one of NumPy's
    modes: constant, edge, linear_ramp, maximum, mean, median, minimum, reflect, symmetric,
    wrap, empty, or a function."""
    arr = _array("pad", array)
    widths = _pad_width(pad_width, arr.ndim)
    if callable(mode):
        return _pad_func(arr, widths, mode, **kwargs)
    allowed = {
        "constant": {"constant_values"}, "edge": set(), "linear_ramp": {"end_values"},
        "maximum": {"stat_length"}, "mean": {"stat_length"}, "median": {"stat_length"},
        "minimum": {"stat_length"}, "reflect": {"reflect_type"},
        "symmetric": {"reflect_type"}, "wrap": set(), "empty": set(),
    }
    if mode not in allowed:
        raise NotImplementedError(f"Unimplemented padding mode '{mode}' for np.pad.")
    unsupported = set(kwargs) - allowed[mode]
    if unsupported:
        raise ValueError(f"unsupported keyword arguments for mode '{mode}': {unsupported}")
    if mode == "constant":
        return _pad_constant(arr, widths, kwargs.get("constant_values", 0))
    if mode == "empty":
        return _pad_constant(arr, widths, 0)
    if mode == "wrap":
        return _pad_wrap(arr, widths)
    if mode in ("reflect", "symmetric"):
        return _pad_symmetric_or_reflect(arr, widths, mode,
                                         kwargs.get("reflect_type", "even"))
    if mode == "edge":
        return _pad_edge(arr, widths)
    if mode == "linear_ramp":
        return _pad_linear_ramp(arr, widths, kwargs.get("end_values", 0))
    return _pad_stats(arr, widths, mode, kwargs.get("stat_length"))


def _pad_constant(arr: Any, widths: list[tuple[int, int]], constant_values: Any) -> Any:
    cv = np.asarray(constant_values) if not isinstance(constant_values, _ARRAYS) else None
    if cv is not None and cv.ndim == 0:
        value = promotion.convert(cv[()].item(), arr.dtype, False, as_array=True)
        return lax.pad(arr, value, [(lo, hi, 0) for lo, hi in widths])
    values = np.broadcast_to(np.asarray(constant_values), (arr.ndim, 2)) \
        if cv is not None else None
    for axis, (lo, hi) in enumerate(widths):
        for side, width in ((0, lo), (1, hi)):
            if width == 0:
                continue
            v = values[axis, side] if values is not None else asarray(constant_values)[
                axis if asarray(constant_values).ndim else ()]
            fill = lax.full(arr.shape[:axis] + (width,) + arr.shape[axis + 1:],
                            promotion.convert(v.item() if isinstance(v, np.generic) else v,
                                              arr.dtype, False, as_array=True), arr.dtype) \
                if not isinstance(v, _ARRAYS) else broadcast_to(lax.convert_element_type(
                    v, arr.dtype), arr.shape[:axis] + (width,) + arr.shape[axis + 1:])
            arr = lax.concatenate([fill, arr] if side == 0 else [arr, fill], axis)
    return arr


def _pad_wrap(arr: Any, widths: list[tuple[int, int]]) -> Any:
    for axis, (lo, hi) in enumerate(widths):
        n = arr.shape[axis]
        if n == 0:
            if lo or hi:
                raise IndexError("Cannot pad an empty axis with 'wrap' mode")
            continue
        reps = -(-(lo + hi) // n) + 1
        tiled = lax.concatenate([arr] * (2 * reps + 1), axis)
        start = reps * n - lo
        arr = lax.slice_in_dim(tiled, start, start + lo + n + hi, axis=axis)
    return arr


def _pad_edge(arr: Any, widths: list[tuple[int, int]]) -> Any:
    for axis, (lo, hi) in enumerate(widths):
        n = arr.shape[axis]
        if n == 0:
            if lo or hi:
                raise ValueError("Cannot apply 'edge' padding to empty axis")
            continue
        parts = []
        if lo:
            edge = lax.slice_in_dim(arr, 0, 1, axis=axis)
            parts.append(lax.concatenate([edge] * lo, axis))
        parts.append(arr)
        if hi:
            edge = lax.slice_in_dim(arr, n - 1, n, axis=axis)
            parts.append(lax.concatenate([edge] * hi, axis))
        arr = lax.concatenate(parts, axis) if len(parts) > 1 else arr
    return arr


def _pad_symmetric_or_reflect(arr: Any, widths: list[tuple[int, int]], mode: str,
                              reflect_type: str) -> Any:
    if reflect_type not in ("even", "odd"):
        raise ValueError(f"unsupported reflect_type {reflect_type!r}")
    for axis, (lo, hi) in enumerate(widths):
        n = arr.shape[axis]
        if n == 0:
            if lo or hi:
                raise IndexError(f"Cannot apply '{mode}' padding to empty axis")
            continue
        if n == 1 and mode == "reflect":
            arr = _pad_edge(arr, [(0, 0)] * axis + [(lo, hi)] + [(0, 0)] * (
                arr.ndim - axis - 1))
            continue
        # NumPy pads in rounds of at most one period, reflecting what is there so far.
        while lo or hi:
            cur = arr.shape[axis]
            period = n - 1 if mode == "reflect" else n
            take_lo = builtins.min(lo, period)
            take_hi = builtins.min(hi, period)
            parts = []
            if take_lo:
                start = 1 if mode == "reflect" else 0
                piece = lax.rev(lax.slice_in_dim(arr, start, start + take_lo, axis=axis),
                                (axis,))
                if reflect_type == "odd":
                    edge = lax.slice_in_dim(arr, 0, 1, axis=axis)
                    piece = lax.sub(lax.mul(np.array(2, arr.dtype)[()], edge), piece)
                parts.append(piece)
            parts.append(arr)
            if take_hi:
                stop = cur - 1 if mode == "reflect" else cur
                piece = lax.rev(lax.slice_in_dim(arr, stop - take_hi, stop, axis=axis),
                                (axis,))
                if reflect_type == "odd":
                    edge = lax.slice_in_dim(arr, cur - 1, cur, axis=axis)
                    piece = lax.sub(lax.mul(np.array(2, arr.dtype)[()], edge), piece)
                parts.append(piece)
            arr = lax.concatenate(parts, axis)
            lo -= take_lo
            hi -= take_hi
            n = arr.shape[axis]
    return arr


def _pad_linear_ramp(arr: Any, widths: list[tuple[int, int]], end_values: Any) -> Any:
    from kiln.numpy.creation import linspace

    ends = np.broadcast_to(np.asarray(end_values), (arr.ndim, 2))
    for axis, (lo, hi) in enumerate(widths):
        n = arr.shape[axis]
        parts = []
        if lo:
            edge = lax.slice_in_dim(arr, 0, 1, axis=axis)
            ramp = linspace(promotion.convert(ends[axis, 0].item(), edge.dtype, False,
                                              as_array=True), edge, lo, endpoint=False,
                            axis=axis)
            parts.append(lax.squeeze(ramp, (axis + 1,)) if ramp.ndim > arr.ndim else ramp)
        parts.append(arr)
        if hi:
            edge = lax.slice_in_dim(arr, n - 1, n, axis=axis)
            ramp = linspace(promotion.convert(ends[axis, 1].item(), edge.dtype, False,
                                              as_array=True), edge, hi, endpoint=False,
                            axis=axis)
            ramp = lax.squeeze(ramp, (axis + 1,)) if ramp.ndim > arr.ndim else ramp
            parts.append(lax.rev(ramp, (axis,)))
        arr = lax.concatenate(parts, axis) if len(parts) > 1 else arr
    return arr


def _pad_stats(arr: Any, widths: list[tuple[int, int]], mode: str, stat_length: Any) -> Any:
    from kiln.numpy import reductions

    fn = {"maximum": reductions.max, "minimum": reductions.min, "mean": reductions.mean,
          "median": reductions.median}[mode]
    lengths = np.broadcast_to(np.asarray(stat_length if stat_length is not None else 0),
                              (arr.ndim, 2)) if stat_length is not None else None
    for axis, (lo, hi) in enumerate(widths):
        n = arr.shape[axis]
        if n == 0:
            if lo or hi:
                raise ValueError(f"Cannot apply '{mode}' padding to empty axis")
            continue
        parts = []
        for side, width in ((0, lo), (1, hi)):
            if not width:
                continue
            length = n if lengths is None else builtins.max(1, builtins.min(
                int(lengths[axis, side]), n))
            window = lax.slice_in_dim(arr, 0, length, axis=axis) if side == 0 else \
                lax.slice_in_dim(arr, n - length, n, axis=axis)
            stat = fn(window, axis=axis, keepdims=True)
            if mode in ("mean", "median") and not dtypes.is_inexact(arr.dtype):
                from kiln.numpy.ufuncs import round as _round

                stat = _round(stat)
            stat = lax.convert_element_type(stat, arr.dtype)
            parts.append((side, lax.concatenate([stat] * width, axis)))
        before = [p for s, p in parts if s == 0]
        after = [p for s, p in parts if s == 1]
        arr = lax.concatenate(before + [arr] + after, axis) if parts else arr
    return arr


def _pad_func(arr: Any, widths: list[tuple[int, int]], func: Callable[..., Any],
              **kwargs: Any) -> Any:
    padded = _pad_constant(arr, widths, 0)
    for axis in range(padded.ndim):
        moved = moveaxis(padded, axis, -1)
        flat = reshape(moved, (-1, moved.shape[-1]))
        rows = [asarray(func(flat[i], widths[axis], axis, kwargs))
                for i in range(flat.shape[0])]
        if rows:
            flat = lax.stack([lax.convert_element_type(r, padded.dtype) for r in rows], 0)
        padded = moveaxis(reshape(flat, moved.shape), -1, axis)
    return padded


# -- inserting and deleting -----------------------------------------------------------------------


def append(arr: Any, values: Any, axis: int | None = None) -> Any:
    """``values`` appended to ``arr`` along ``axis`` (both flattened when None)."""
    check_arraylike("append", arr, values)
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], 0)
    return concatenate([arr, values], axis=axis)


def delete(arr: Any, obj: Any, axis: int | None = None, *,
           assume_unique_indices: bool = False) -> Any:
    """``arr`` without the entries ``obj`` (an index, indices, a slice or a boolean mask)
    along ``axis`` (of the flattened array when None)."""
    a = _array("delete", arr)
    if axis is None:
        a = ravel(a)
        axis = 0
    axis = canonicalize_axis(axis, a.ndim)
    n = a.shape[axis]
    from kiln.numpy.indexing import take

    if isinstance(obj, slice):
        keep = np.ones(n, bool)
        keep[np.arange(n)[obj]] = False
    else:
        if isinstance(obj, Tracer):
            if not assume_unique_indices:
                raise ValueError("jnp.delete(arr, obj): for traced obj, "
                                 "assume_unique_indices=True is required")
            return _delete_dynamic(a, asarray(obj), axis)
        idx = np.asarray(obj)
        if idx.dtype == bool:
            if idx.shape != (n,):
                raise ValueError(f"np.delete(arr, obj): boolean obj must have shape "
                                 f"({n},); got {idx.shape}")
            keep = ~idx
        else:
            if idx.size and not np.issubdtype(idx.dtype, np.integer):
                raise IndexError("np.delete(): index must be an integer or a boolean array")
            idx = idx.astype(np.int64).ravel()
            if ((idx < -n) | (idx >= n)).any():
                raise IndexError(f"index out of bounds for axis {axis} with size {n}")
            keep = np.ones(n, bool)
            keep[idx] = False
    return take(a, asarray(np.nonzero(keep)[0].astype(np.int32)), axis=axis)


def _delete_dynamic(a: Any, idx: Any, axis: int) -> Any:
    from kiln.numpy.indexing import take

    n = a.shape[axis]
    idx = lax.convert_element_type(ravel(idx), np.int32)
    idx = lax.select(lax.lt(idx, np.int32(0)), lax.add(idx, np.int32(n)), idx)
    positions = lax.iota(np.int32, n)
    removed = lax.reduce_or(lax.eq(lax.broadcast_in_dim(positions, (n, idx.shape[0]), (0,)),
                                   lax.broadcast_in_dim(idx, (n, idx.shape[0]), (1,))), (1,))
    from kiln.numpy.indexing import nonzero

    (keep,) = nonzero(lax.bitwise_not(removed), size=n - idx.shape[0])
    return take(a, keep, axis=axis)


def insert(arr: Any, obj: Any, values: Any, axis: int | None = None) -> Any:
    """``values`` inserted into ``arr`` before the index or indices ``obj`` along ``axis``
    (of the flattened array when None)."""
    check_arraylike("insert", arr, values)
    a = asarray(arr)
    if axis is None:
        a = ravel(a)
        axis = 0
    axis = canonicalize_axis(axis, a.ndim)
    n = a.shape[axis]
    values = lax.convert_element_type(asarray(values), a.dtype)
    if isinstance(obj, slice):
        indices = np.arange(*obj.indices(n))
    else:
        if isinstance(obj, Tracer):
            raise NotImplementedError("jnp.insert with a traced index is not supported")
        indices = np.asarray(obj)
        if indices.dtype == bool:
            raise ValueError("jnp.insert(): boolean indices are not supported")
    scalar_index = indices.ndim == 0
    indices = np.atleast_1d(indices).astype(np.int64)
    indices = np.where(indices < 0, indices + n, indices)
    if ((indices < 0) | (indices > n)).any():
        raise IndexError(f"index out of bounds for axis {axis} with size {n}")
    if scalar_index:
        # values keep their shape along axis: broadcast to (..., k, ...) with k from values
        vshape = list(a.shape)
        v = values
        if v.ndim == 0:
            v = lax.reshape(v, (1,))
        if v.ndim < a.ndim:
            v = lax.expand_dims(v, tuple(range(a.ndim - v.ndim)))
        k = v.shape[axis] if v.ndim == a.ndim else 1
        vshape[axis] = k
        v = broadcast_to(moveaxis(v, axis, axis), tuple(vshape)) if v.ndim == a.ndim else v
        i = int(indices[0])
        return concatenate([lax.slice_in_dim(a, 0, i, axis=axis), v,
                            lax.slice_in_dim(a, i, n, axis=axis)], axis=axis)
    count = len(indices)
    vshape = list(a.shape)
    vshape[axis] = count
    if values.ndim == 1 and a.ndim > 1 and values.shape[0] == count:
        values = moveaxis(lax.broadcast_in_dim(values, tuple(vshape[:axis] + vshape[
            axis + 1:]) + (count,), (a.ndim - 1,)), -1, axis)
    v = broadcast_to(values, tuple(vshape))
    order = np.argsort(indices, kind="stable")
    new_positions = indices[order] + np.arange(count)
    total = n + count
    is_new = np.zeros(total, bool)
    is_new[new_positions] = True
    source = np.zeros(total, np.int64)
    source[~is_new] = np.arange(n)
    source[new_positions] = n + order
    from kiln.numpy.indexing import take

    joined = lax.concatenate([a, v], axis)
    return take(joined, asarray(source.astype(np.int32)), axis=axis)


def trim_zeros(filt: Any, trim: str = "fb", axis: int | Sequence[int] | None = None) -> Any:
    """``filt`` without leading (``'f'``) and/or trailing (``'b'``) zeros. Needs concrete
    values (the result's shape depends on them)."""
    check_arraylike("trim_zeros", filt)
    a = asarray(filt)
    if isinstance(a, Tracer):
        from kiln.core import errors

        raise errors.ConcretizationTypeError(a, "The error arose in jnp.trim_zeros.")
    values = np.asarray(a)
    if a.ndim == 0:
        raise TypeError("jnp.trim_zeros: input must be at least one-dimensional")
    axes = range(a.ndim) if axis is None else [
        canonicalize_axis(ax, a.ndim) for ax in ((axis,) if isinstance(axis, int) else axis)]
    trim = trim.lower()
    for ax in axes:
        other = tuple(i for i in range(a.ndim) if i != ax)
        nz = np.nonzero(np.any(values != 0, axis=other) if other else values != 0)[0]
        start, stop = 0, a.shape[ax]
        if nz.size == 0:
            start = stop = 0 if "f" in trim else 0
            if "f" not in trim and "b" in trim:
                stop = 0
        else:
            if "f" in trim:
                start = int(nz[0])
            if "b" in trim:
                stop = int(nz[-1]) + 1
        a = lax.slice_in_dim(a, start, stop, axis=ax)
    return a

