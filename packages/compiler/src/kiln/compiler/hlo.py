"""StableHLO text: element and tensor types, attributes, and dense constants.

kiln writes StableHLO as MLIR text in the generic syntax (``%2 = "stablehlo.add"(%0, %1) :
(tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>``), which every StableHLO version parses; the
helpers here format the pieces. Lowering rules use them to build attributes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

import ml_dtypes
import numpy as np

from kiln.core import dtypes

_ELEMENT_TYPES: dict[np.dtype, str] = {
    np.dtype(np.bool_): "i1",
    np.dtype(np.int8): "i8", np.dtype(np.int16): "i16",
    np.dtype(np.int32): "i32", np.dtype(np.int64): "i64",
    np.dtype(np.uint8): "ui8", np.dtype(np.uint16): "ui16",
    np.dtype(np.uint32): "ui32", np.dtype(np.uint64): "ui64",
    np.dtype(np.float16): "f16", np.dtype(np.float32): "f32", np.dtype(np.float64): "f64",
    np.dtype(np.complex64): "complex<f32>", np.dtype(np.complex128): "complex<f64>",
    np.dtype(ml_dtypes.bfloat16): "bf16",
    np.dtype(ml_dtypes.int2): "i2", np.dtype(ml_dtypes.int4): "i4",
    np.dtype(ml_dtypes.uint2): "ui2", np.dtype(ml_dtypes.uint4): "ui4",
}
for _name, _mlir in [
    ("float4_e2m1fn", "f4E2M1FN"), ("float8_e3m4", "f8E3M4"), ("float8_e4m3", "f8E4M3"),
    ("float8_e4m3b11fnuz", "f8E4M3B11FNUZ"), ("float8_e4m3fn", "f8E4M3FN"),
    ("float8_e4m3fnuz", "f8E4M3FNUZ"), ("float8_e5m2", "f8E5M2"),
    ("float8_e5m2fnuz", "f8E5M2FNUZ"), ("float8_e8m0fnu", "f8E8M0FNU"),
]:
    if hasattr(ml_dtypes, _name):
        _ELEMENT_TYPES[np.dtype(getattr(ml_dtypes, _name))] = _mlir


def element_type(dtype: Any) -> str:
    """The MLIR element type of a dtype (``f32``, ``ui8``, ``complex<f32>``...)."""
    try:
        return _ELEMENT_TYPES[dtype]
    except KeyError:
        try:
            return _ELEMENT_TYPES[np.dtype(dtype)]
        except KeyError:
            raise TypeError(f"the xla backend has no StableHLO type for dtype {dtype}") from None


@functools.lru_cache(maxsize=4096)
def _tensor_type(shape: tuple[int, ...], dtype: np.dtype) -> str:
    et = element_type(dtype)
    if not shape:
        return f"tensor<{et}>"
    return f"tensor<{'x'.join(map(str, shape))}x{et}>"


def tensor_type(shape: Sequence[int], dtype: Any) -> str:
    """``tensor<2x3xf32>`` (``tensor<f32>`` for a scalar)."""
    return _tensor_type(tuple(int(d) for d in shape), np.dtype(dtype))


def aval_type(aval: Any) -> str:
    return _tensor_type(aval.shape, aval.dtype)


# -- attributes ------------------------------------------------------------------------------


def i64_array(values: Iterable[int]) -> str:
    """A ``DenseI64ArrayAttr``: ``array<i64: 1, 2>`` (``array<i64>`` when empty)."""
    values = [int(v) for v in values]
    return f"array<i64: {', '.join(map(str, values))}>" if values else "array<i64>"


def i1_array(values: Iterable[bool]) -> str:
    values = ["true" if v else "false" for v in values]
    return f"array<i1: {', '.join(values)}>" if values else "array<i1>"


def i64_list(values: Iterable[int]) -> str:
    """A list inside a StableHLO attribute: ``[1, 2]``."""
    return "[" + ", ".join(str(int(v)) for v in values) + "]"


def dense_i64(values: Iterable[int], shape: Sequence[int] | None = None) -> str:
    """``dense<[1, 2]> : tensor<2xi64>`` (for ``DenseIntElementsAttr`` attributes)."""
    values = [int(v) for v in values]
    if shape is None:
        shape = (len(values),)
    body = "[" + ", ".join(map(str, values)) + "]" if shape else str(values[0])
    if shape and len(shape) == 2:
        rows = [values[i * shape[1]:(i + 1) * shape[1]] for i in range(shape[0])]
        body = "[" + ", ".join("[" + ", ".join(map(str, r)) + "]" for r in rows) + "]"
    return f"dense<{body}> : {tensor_type(shape, np.int64)}"


def bool_attr(value: bool) -> str:
    return "true" if value else "false"


def i32_attr(value: int) -> str:
    return f"{int(value)} : i32"


def i64_attr(value: int) -> str:
    return f"{int(value)} : i64"


def string_attr(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def comparison_direction(direction: str) -> str:
    """``#stablehlo<comparison_direction LT>``."""
    return f"#stablehlo<comparison_direction {direction}>"


def comparison_type(kind: str) -> str:
    """``#stablehlo<comparison_type FLOAT>`` (FLOAT, TOTALORDER, SIGNED, UNSIGNED)."""
    return f"#stablehlo<comparison_type {kind}>"


def comparison_type_for(dtype: Any) -> str:
    dtype = np.dtype(dtype)
    if dtypes.is_inexact(dtype):
        return "FLOAT"
    if dtype == np.bool_ or dtypes.is_unsigned(dtype):
        return "UNSIGNED"
    return "SIGNED"


def attr_dict(attrs: dict[str, str] | None) -> str:
    if not attrs:
        return ""
    return " {" + ", ".join(f"{k} = {v}" for k, v in attrs.items()) + "}"


# -- constants -------------------------------------------------------------------------------


def dense_elements(value: np.ndarray, type_text: str | None = None) -> str:
    """A ``DenseElementsAttr`` holding ``value`` exactly (raw bytes in hex, so every float,
    NaN payload and small dtype round-trips), e.g. ``dense<"0x0000803F"> : tensor<f32>``.
    A constant array (all elements equal) is written as a splat."""
    value = np.asarray(value)
    if type_text is None:
        type_text = tensor_type(value.shape, value.dtype)
    if value.size == 0:
        return f"dense<> : {type_text}"
    if value.dtype == np.bool_:
        if (value.all() or not value.any()):
            return f"dense<{'true' if value.flat[0] else 'false'}> : {type_text}"
        flat = ", ".join("true" if v else "false" for v in value.ravel())
        return f"dense<{_nest(flat, value.shape) if value.ndim else flat}> : {type_text}"
    raw = np.ascontiguousarray(value)
    first = raw.reshape(-1)[:1]
    if raw.size > 1 and _is_splat(raw):
        raw = first
    data = _raw_bytes(raw)
    return f'dense<"0x{data.hex().upper()}"> : {type_text}'


def _raw_bytes(raw: np.ndarray) -> bytes:
    """Little-endian bytes, one byte per element for sub-byte types (as MLIR stores them)."""
    if raw.dtype.itemsize == 1 and dtypes.itemsize_bits(raw.dtype) < 8:
        return raw.view(np.uint8).tobytes()
    if raw.dtype.byteorder == ">":
        raw = raw.astype(raw.dtype.newbyteorder("<"))
    return raw.tobytes()


def _is_splat(raw: np.ndarray) -> bool:
    flat = raw.reshape(-1)
    view = flat.view(np.uint8).reshape(flat.size, -1) if flat.dtype.itemsize > 0 else flat
    return bool((view == view[:1]).all())


def _nest(flat: str, shape: tuple[int, ...]) -> str:
    items = flat.split(", ")
    def build(offset: int, dims: tuple[int, ...]) -> tuple[str, int]:
        if not dims:
            return items[offset], offset + 1
        parts = []
        for _ in range(dims[0]):
            text, offset = build(offset, dims[1:])
            parts.append(text)
        return "[" + ", ".join(parts) + "]", offset
    return build(0, shape)[0]

