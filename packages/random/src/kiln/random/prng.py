"""The threefry PRNG implementation on raw key data: seeding, splitting, folding in, and
random bits, in both of JAX's counter layouts.

Key data is a uint32 array of shape ``batch + (2,)``. Every function here is polymorphic in
the leading ``batch`` dimensions (one independent key per batch position), so samplers whose
loops run one key per element (gamma) or one key per vmapped member (poisson, binomial) use
the same code as a single key does.

Counter layouts, chosen by ``jax_threefry_partitionable`` (read at trace time):

- partitionable (the default): element ``i`` of a result of shape ``S`` (in row-major order)
  is generated from the 64-bit counter ``i`` split into (high, low) words; split keys are
  the two output words, random bits their xor (or their concatenation for 64-bit bits);
- original: the counters ``0 .. n-1`` of a result needing ``n`` words are encrypted as
  ``n/2`` pairs (first half with second half) and the outputs concatenated.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from kiln import lax
from kiln.core.config import values as _config
from kiln.random.threefry import threefry2x32_p

U32 = np.dtype(np.uint32)
UINT_DTYPES = {8: np.dtype(np.uint8), 16: np.dtype(np.uint16), 32: U32,
               64: np.dtype(np.uint64)}
_MAX_COUNTERS = 2**32 - 1


def shape_of(x: Any) -> tuple[int, ...]:
    return tuple(x.shape) if hasattr(x, "shape") else tuple(np.shape(x))


def key_halves(data: Any) -> tuple[Any, Any]:
    """The two uint32 words of each key in ``data`` (shape ``batch + (2,)``)."""
    shape = shape_of(data)
    batch = shape[:-1]
    n = len(shape)
    first = lax.slice(data, (0,) * n, (*batch, 1))
    second = lax.slice(data, (0,) * (n - 1) + (1,), (*batch, 2))
    return lax.reshape(first, batch), lax.reshape(second, batch)


def _spread(x: Any, batch: tuple[int, ...], shape: tuple[int, ...], batch_part: bool) -> Any:
    """``x`` (of shape ``batch`` if ``batch_part`` else ``shape``) broadcast to
    ``batch + shape``; scalars are left alone (threefry broadcasts them)."""
    x_shape = shape_of(x)
    full = (*batch, *shape)
    if not x_shape or x_shape == full:
        return x
    dims = range(len(batch)) if batch_part else range(len(batch), len(full))
    return lax.broadcast_in_dim(x, full, tuple(dims))


def pair(y1: Any, y2: Any) -> Any:
    """Two uint32 arrays of one shape as key data: stacked along a new last axis."""
    shape = shape_of(y1)
    return lax.concatenate([lax.reshape(y1, (*shape, 1)), lax.reshape(y2, (*shape, 1))],
                           len(shape))


def threefry(data: Any, x1: Any, x2: Any) -> tuple[Any, Any]:
    """Encrypt counter pairs ``(x1, x2)`` (of a common shape ``shape``, or scalars) under
    each key of ``data``: results of shape ``batch + shape``."""
    k1, k2 = key_halves(data)
    batch = shape_of(k1)
    shape = tuple(np.broadcast_shapes(shape_of(x1), shape_of(x2)))
    k1, k2 = (_spread(k, batch, shape, True) for k in (k1, k2))
    x1, x2 = (_spread(x, batch, shape, False) for x in (x1, x2))
    return threefry2x32_p.bind(k1, k2, x1, x2)


def _count(n: int) -> Any:
    if n > _MAX_COUNTERS:
        raise NotImplementedError(
            f"kiln.random: a random stream of {n} 32-bit words is longer than 2**32 - 1 (the "
            "original counter layout draws it in blocks; kiln does not implement that yet)")
    return lax.iota(U32, n)


def threefry_stream(data: Any, counts: Any) -> Any:
    """JAX's ``threefry_2x32`` on a 1-D array of counters: the counters are paired (first
    half with second half, padded with a zero when odd), encrypted, and concatenated
    back. Shape ``batch + (n,)``."""
    n = shape_of(counts)[0]
    odd = n % 2
    if odd:
        counts = lax.concatenate([counts, np.zeros((1,), U32)], 0)
    half = (n + odd) // 2
    x1 = lax.slice(counts, (0,), (half,))
    x2 = lax.slice(counts, (half,), (2 * half,))
    y1, y2 = threefry(data, x1, x2)
    batch = shape_of(y1)[:-1]
    out = lax.concatenate([y1, y2], len(batch))
    if odd:
        out = lax.slice(out, (0,) * (len(batch) + 1), (*batch, n))
    return out


def _linear_counters(shape: tuple[int, ...]) -> tuple[Any, Any]:
    """The (high, low) words of the row-major index of each element of ``shape``."""
    size = math.prod(shape)
    if size > _MAX_COUNTERS:
        raise NotImplementedError(
            f"kiln.random: {size} random values in one call; kiln supports up to 2**32 - 1")
    if not shape:
        return np.uint32(0), np.uint32(0)
    low = lax.iota(U32, size)
    if len(shape) > 1:
        low = lax.reshape(low, shape)
    return np.uint32(0), low


def _partitionable() -> bool:
    return bool(_config.threefry_partitionable)


def split(data: Any, shape: tuple[int, ...]) -> Any:
    """New keys of shape ``shape`` from each key of ``data``: ``batch + shape + (2,)``."""
    batch = shape_of(data)[:-1]
    shape = tuple(shape)
    if _partitionable():
        return pair(*threefry(data, *_linear_counters(shape)))
    words = threefry_stream(data, _count(2 * math.prod(shape)))
    return lax.reshape(words, (*batch, *shape, 2))


def fold_in(data: Any, value: Any) -> Any:
    """Each key of ``data`` with ``value`` (uint32: a scalar, or one per key) mixed in: the
    key encrypting the counter pair ``(0, value)``, in both layouts."""
    k1, k2 = key_halves(data)
    return pair(*threefry2x32_p.bind(k1, k2, np.uint32(0), value))


def random_bits(data: Any, bit_width: int, shape: tuple[int, ...]) -> Any:
    """Uniformly random unsigned integers of ``bit_width`` bits: ``batch + shape``."""
    shape = tuple(shape)
    dtype = UINT_DTYPES[bit_width]
    batch = shape_of(data)[:-1]
    if _partitionable():
        high, low = _linear_counters(shape)
        y1, y2 = threefry(data, high, low)
        if bit_width == 64:
            hi = lax.convert_element_type(y1, dtype)
            lo = lax.convert_element_type(y2, dtype)
            return lax.bitwise_or(lax.shift_left(hi, np.uint64(32)), lo)
        bits = lax.bitwise_xor(y1, y2)
        return bits if bit_width == 32 else lax.convert_element_type(bits, dtype)
    size = math.prod(shape)
    words = -(-bit_width * size // 32)
    stream = threefry_stream(data, _count(words))
    nb = len(batch)
    if bit_width == 64:
        half = words // 2
        hi = lax.slice(stream, (0,) * (nb + 1), (*batch, half))
        lo = lax.slice(stream, (0,) * nb + (half,), (*batch, words))
        bits = lax.bitwise_or(lax.shift_left(lax.convert_element_type(hi, dtype),
                                             np.uint64(32)),
                              lax.convert_element_type(lo, dtype))
    elif bit_width == 32:
        bits = stream
    else:
        per_word = 32 // bit_width
        shifts = lax.mul(lax.iota(U32, per_word), np.uint32(bit_width))
        expanded = lax.broadcast_in_dim(stream, (*batch, words, per_word),
                                        tuple(range(nb + 1)))
        shifts = lax.broadcast_in_dim(shifts, (*batch, words, per_word), (nb + 1,))
        pieces = lax.bitwise_and(lax.shift_right_logical(expanded, shifts),
                                 np.uint32((1 << bit_width) - 1))
        pieces = lax.reshape(pieces, (*batch, words * per_word))
        pieces = lax.slice(pieces, (0,) * (nb + 1), (*batch, size))
        bits = lax.convert_element_type(pieces, dtype)
    return lax.reshape(bits, (*batch, *shape))


def seed_data(seed: Any) -> Any:
    """The key data (uint32[2]) of an integer seed, as JAX's ``threefry_seed`` makes it:
    ``[high, low]`` 32-bit words of a 64-bit seed, ``[0, seed]`` for narrower seeds."""
    dtype = np.dtype(seed.dtype)
    if dtype.itemsize == 8:
        u64 = np.dtype(np.uint64)
        bits = seed if dtype == u64 else lax.bitcast_convert_type(seed, u64)
        high = lax.convert_element_type(lax.shift_right_logical(bits, np.uint64(32)), U32)
        low = lax.convert_element_type(lax.bitwise_and(bits, np.uint64(0xFFFFFFFF)), U32)
    else:
        if dtype.kind == "i" and dtype.itemsize < 4:
            seed = lax.convert_element_type(seed, np.dtype(np.int32))
        high = np.zeros((), U32)
        low = lax.convert_element_type(seed, U32) if dtype != U32 else seed
    return lax.concatenate([lax.reshape(lax.convert_element_type(high, U32), (1,)),
                            lax.reshape(low, (1,))], 0)
