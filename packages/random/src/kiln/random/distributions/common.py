"""What every sampler shares: argument checking (keys, shapes, dtypes, with JAX's errors),
conversions of parameters, and the uniform floats all continuous samplers start from.

Samplers are written with ``kiln.lax`` only. Each public sampler checks its arguments, then
calls a ``kiln.jit``-compiled private function with static shape and dtype, as JAX does: an
eager call runs one compiled computation, and jaxprs show the same nesting as JAX's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kiln import lax
from kiln.core import dtypes
from kiln.core.abstract import get_aval
from kiln.core.config import values as _config
from kiln.core.jit import jit
from kiln.random import prng as _bits
from kiln.random.keys import canonical_shape, check_dtype_available, unwrap

U32 = _bits.U32
UINT_DTYPES = _bits.UINT_DTYPES


shape_of = _bits.shape_of


def default_float() -> np.dtype:
    return np.dtype(np.float64 if _config.enable_x64 else np.float32)


def default_int() -> np.dtype:
    return np.dtype(np.int64 if _config.enable_x64 else np.int32)


def user_dtype(dtype: Any) -> np.dtype:
    """``dtype`` canonicalised; a warning when a 64-bit NumPy dtype is named with x64 off
    (the Python types ``float``/``int`` stand for the default width, silently)."""
    if dtype is None or dtype is float:
        return default_float()
    if dtype is int:
        return default_int()
    if dtype is complex:
        return np.dtype(np.complex128 if _config.enable_x64 else np.complex64)
    return check_dtype_available(dtypes.dtype(dtype))


def float_dtype(name: str, dtype: Any, allow_complex: bool = False) -> np.dtype:
    """A sampler's float ``dtype`` argument (None: the default float type), with JAX's
    ValueError for other kinds."""
    if dtype is None:
        return default_float()
    dt = dtypes.dtype(dtype) if dtype not in (float, int, complex) else np.dtype(dtype)
    ok = dtypes.is_float(dt) or (allow_complex and dtypes.is_complex(dt))
    if not ok:
        kinds = "a float or complex dtype" if allow_complex else "a float dtype"
        raise ValueError(f"dtype argument to `{name}` must be {kinds}, got {dt.name}")
    return user_dtype(dtype)


def int_dtype(name: str, dtype: Any) -> np.dtype:
    if dtype is None:
        return default_int()
    dt = dtypes.dtype(dtype) if dtype not in (float, int, complex) else np.dtype(dtype)
    if not dtypes.is_int(dt):
        raise TypeError(f"{name} only accepts integer dtypes, got {dt.name}")
    return user_dtype(dtype)


def jitted(**jit_kwargs: Any) -> Callable[[Callable], Callable]:
    """``kiln.jit`` as a decorator with static arguments (the private samplers)."""
    def wrap(fun: Callable) -> Callable:
        return jit(fun, **jit_kwargs)

    return wrap


def const(value: Any, dtype: Any) -> np.ndarray:
    """A NumPy scalar constant of ``dtype`` (a literal in jaxprs)."""
    return np.asarray(value, dtype=np.dtype(dtype))[()]


def as_dtype(x: Any, dtype: Any) -> Any:
    """``x`` converted to ``dtype`` with ``lax.convert_element_type``."""
    dtype = np.dtype(dtype)
    if isinstance(x, (bool, int, float, complex)):
        return lax.convert_element_type(x, dtype)
    if get_aval(x).dtype == dtype:
        return x
    return lax.convert_element_type(x, dtype)


def param(x: Any) -> Any:
    """A distribution parameter as an array value (lists and tuples become NumPy arrays;
    Python scalars stay weakly typed scalars)."""
    if isinstance(x, (list, tuple)):
        return np.asarray(x)
    return x


def to_rank(x: Any, rank: int) -> Any:
    """``x`` with leading size-1 dimensions up to ``rank`` (``lax.broadcast_to_rank``)."""
    shape = shape_of(x)
    if len(shape) >= rank:
        return x
    return lax.broadcast_in_dim(x, (1,) * (rank - len(shape)) + shape,
                                tuple(range(rank - len(shape), rank)))


def broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    """``x`` broadcast NumPy-style to ``shape``."""
    x_shape = shape_of(x)
    if x_shape == tuple(shape):
        return x
    if len(x_shape) > len(shape):
        raise ValueError(f"Incompatible shapes for broadcasting: {x_shape} and requested "
                         f"shape {shape}")
    offset = len(shape) - len(x_shape)
    keep = [i for i, d in enumerate(x_shape) if d == shape[offset + i]]
    squeezed = [i for i, d in enumerate(x_shape) if d != shape[offset + i]]
    for i in squeezed:
        if x_shape[i] != 1:
            raise ValueError(f"Incompatible shapes for broadcasting: {x_shape} and requested "
                             f"shape {shape}")
    if squeezed:
        x = lax.reshape(x, tuple(x_shape[i] for i in keep))
    return lax.broadcast_in_dim(x, tuple(shape), tuple(offset + i for i in keep))


def broadcast_shapes(*shapes: Sequence[int]) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(*(tuple(s) for s in shapes)))
    except ValueError:
        raise ValueError(f"Incompatible shapes for broadcasting: shapes="
                         f"{[tuple(s) for s in shapes]}") from None


def check_shape(name: str, shape: tuple[int, ...], *param_shapes: Sequence[int]) -> None:
    """JAX's check that parameter shapes broadcast to exactly ``shape``."""
    if param_shapes:
        result = broadcast_shapes(shape, *param_shapes)
        if tuple(shape) != result:
            raise ValueError(
                f"{name} parameter shapes must be broadcast-compatible with shape argument, "
                "and the result of broadcasting the shapes must equal the shape argument, but "
                f"got result {result} for shape argument {tuple(shape)}.")


def random_bits(data: Any, bit_width: int, shape: tuple[int, ...]) -> Any:
    return _bits.random_bits(data, bit_width, shape)


def split_n(data: Any, num: int) -> list[Any]:
    """``num`` subkeys of a key (its data), as JAX unpacks ``split(key, num)``."""
    keys = _bits.split(data, (num,))
    batch = shape_of(data)[:-1]
    nb = len(batch)
    out = []
    for i in range(num):
        piece = lax.slice(keys, (0,) * nb + (i, 0), (*batch, i + 1, 2))
        out.append(lax.reshape(piece, (*batch, 2)))
    return out


def split2(data: Any) -> tuple[Any, Any]:
    first, second = split_n(data, 2)
    return first, second


def uniform_floats(data: Any, shape: tuple[int, ...], dtype: np.dtype, minval: Any,
                   maxval: Any) -> Any:
    """JAX's ``_uniform``: floats in ``[minval, maxval)`` from the top mantissa bits of
    random bits (a float in [1, 2) minus 1, scaled and shifted)."""
    batch = shape_of(data)[:-1]
    full = (*batch, *shape)
    minval = to_rank(as_dtype(minval, dtype), len(full))
    maxval = to_rank(as_dtype(maxval, dtype), len(full))
    info = dtypes.finfo(dtype)
    nbits, nmant = info.bits, info.nmant
    rng_bits = 8 if nmant < 8 else nbits
    uint = UINT_DTYPES[nbits]
    raw = random_bits(data, rng_bits, shape)
    if rng_bits != nbits:
        raw = lax.convert_element_type(raw, uint)
    one_bits = np.asarray(1.0, dtype).view(uint)[()]
    float_bits = lax.bitwise_or(lax.shift_right_logical(raw, const(rng_bits - nmant, uint)),
                                one_bits)
    floats = lax.sub(lax.bitcast_convert_type(float_bits, dtype), const(1, dtype))
    scaled = lax.add(lax.mul(floats, lax.sub(maxval, minval)), minval)
    return lax.max(minval, lax.reshape(scaled, full) if shape_of(scaled) != full else scaled)


def finfo(dtype: Any) -> Any:
    return dtypes.finfo(dtype)


def prod(shape: Sequence[int]) -> int:
    return math.prod(shape)


def single_key(name: str, key: Any) -> Any:
    """The data of ``key``, which must be a single key (typed, or legacy uint32[2])."""
    data, _, _ = unwrap(name, key)
    return data


def shape_arg(name: str, shape: Any) -> tuple[int, ...]:
    return canonical_shape(name, shape)
