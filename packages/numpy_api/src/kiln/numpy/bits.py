"""Packing booleans into bits: ``packbits`` and ``unpackbits``."""

from __future__ import annotations

from typing import Any

import numpy as np
from kiln import lax
from kiln.core import dtypes
from kiln.numpy.promotion import asarray, check_arraylike
from kiln.numpy.reductions import canonicalize_axis


def packbits(a: Any, axis: int | None = None, bitorder: str = "big") -> Any:
    """Groups of 8 elements of ``a`` (nonzero is 1) packed into uint8, along ``axis`` (of
    the flattened array when None), padded with zeros at the end."""
    check_arraylike("packbits", a)
    arr = asarray(a)
    if not (dtypes.is_int(arr.dtype) or arr.dtype == dtypes.bool_):
        raise TypeError(f"Expected an input array of integer or boolean data type, got "
                        f"{arr.dtype}")
    if bitorder not in ("little", "big"):
        raise ValueError("'order' must be either 'little' or 'big'")
    bits = lax.convert_element_type(lax.ne(arr, np.zeros((), arr.dtype)[()]), np.uint8)
    if axis is None:
        bits = lax.reshape(bits, (bits.size,))
        axis = 0
    axis = canonicalize_axis(axis, bits.ndim)
    n = bits.shape[axis]
    pad = (-n) % 8
    if pad:
        config = [(0, 0, 0)] * bits.ndim
        config[axis] = (0, pad, 0)
        bits = lax.pad(bits, np.uint8(0), config)
    shape = bits.shape
    bits = lax.reshape(bits, shape[:axis] + ((n + pad) // 8, 8) + shape[axis + 1:])
    shifts = np.arange(8, dtype=np.uint8)
    if bitorder == "big":
        shifts = shifts[::-1].copy()
    shifted = lax.shift_left(bits, lax.broadcast_in_dim(
        asarray(shifts), bits.shape, (axis + 1,)))
    return lax.reduce_or(shifted, (axis + 1,))


def unpackbits(a: Any, axis: int | None = None, count: int | None = None,
               bitorder: str = "big") -> Any:
    """The bits of the uint8 array ``a`` as 0/1 uint8 elements along ``axis`` (of the
    flattened array when None); ``count`` keeps that many (negative: drops from the end)."""
    check_arraylike("unpackbits", a)
    arr = asarray(a)
    if arr.dtype != np.uint8:
        raise TypeError("Expected an input array of unsigned byte data type")
    if bitorder not in ("little", "big"):
        raise ValueError("'order' must be either 'little' or 'big'")
    shifts = np.arange(8, dtype=np.uint8)
    if bitorder == "big":
        shifts = shifts[::-1].copy()
    expanded = lax.broadcast_in_dim(arr, arr.shape + (8,), tuple(range(arr.ndim)))
    bits = lax.bitwise_and(lax.shift_right_logical(expanded, lax.broadcast_in_dim(
        asarray(shifts), expanded.shape, (arr.ndim,))), np.uint8(1))
    if axis is None:
        bits = lax.reshape(bits, (bits.size,))
        axis = 0
    else:
        axis = canonicalize_axis(axis, arr.ndim)
        from kiln.numpy.shape import moveaxis

        bits = moveaxis(bits, -1, axis + 1)
        shape = bits.shape
        bits = lax.reshape(bits, shape[:axis] + (shape[axis] * 8,) + shape[axis + 2:])
    if count is not None:
        n = bits.shape[axis]
        stop = count if count >= 0 else n + count
        if stop > n:
            config = [(0, 0, 0)] * bits.ndim
            config[axis] = (0, stop - n, 0)
            bits = lax.pad(bits, np.uint8(0), config)
        else:
            bits = lax.slice_in_dim(bits, 0, max(stop, 0), axis=axis)
    return bits
