"""kiln's dtypes: the set of array element types, JAX's type-promotion lattice with weak
types, and x64 canonicalisation.

A value is *weakly typed* when its dtype came from a Python scalar (``2.0``, ``3``) rather
than from the user: weak values take the dtype of whatever they meet, so ``x * 2.0`` keeps
``x``'s float16. In the lattice a weak value sits at the node of its kind (``int*``,
``float*``, ``complex*``), below every concrete dtype of that kind.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

import ml_dtypes
import numpy as np

from kiln.core.config import values as _config_values

# -- the dtypes ---------------------------------------------------------------------------

bool_ = np.dtype(np.bool_)
int2, int4 = np.dtype(ml_dtypes.int2), np.dtype(ml_dtypes.int4)
uint2, uint4 = np.dtype(ml_dtypes.uint2), np.dtype(ml_dtypes.uint4)
int8, int16, int32, int64 = (np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64))
uint8, uint16, uint32, uint64 = (np.dtype(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64))
bfloat16 = np.dtype(ml_dtypes.bfloat16)
float16, float32, float64 = (np.dtype(t) for t in (np.float16, np.float32, np.float64))
complex64, complex128 = np.dtype(np.complex64), np.dtype(np.complex128)

_SMALL_FLOAT_NAMES = (
    "float4_e2m1fn", "float8_e3m4", "float8_e4m3", "float8_e4m3b11fnuz", "float8_e4m3fn",
    "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu",
)
small_float_dtypes = tuple(np.dtype(getattr(ml_dtypes, n)) for n in _SMALL_FLOAT_NAMES)
globals().update(zip(_SMALL_FLOAT_NAMES, small_float_dtypes))

# The tangent dtype of integer and boolean values: a zero-size type with no arithmetic.
float0 = np.dtype([("float0", np.void, 0)])

signed_int_dtypes = (int2, int4, int8, int16, int32, int64)
unsigned_int_dtypes = (uint2, uint4, uint8, uint16, uint32, uint64)
int_dtypes = signed_int_dtypes + unsigned_int_dtypes
float_dtypes = small_float_dtypes + (bfloat16, float16, float32, float64)
complex_dtypes = (complex64, complex128)
all_dtypes = (bool_,) + int_dtypes + float_dtypes + complex_dtypes

_ml_dtype_set = frozenset((int2, int4, uint2, uint4, bfloat16) + small_float_dtypes)


class TypePromotionError(ValueError):
    """Raised when two dtypes have no common type (e.g. int4 and uint4, or two float8s)."""


# -- kinds and predicates -------------------------------------------------------------------


def dtype(x: Any) -> np.dtype:
    """The dtype of ``x`` (dtype-like, array, Python scalar type or value); not canonical."""
    if isinstance(x, np.dtype):
        return x
    if isinstance(x, type) and x in _python_scalar_kinds:
        return _python_scalar_dtypes_x64[x]
    if type(x) in _python_scalar_kinds:
        return _python_scalar_dtypes_x64[type(x)]
    dt = getattr(x, "dtype", None)
    if isinstance(dt, np.dtype):
        return dt
    try:
        return np.dtype(x)
    except TypeError as e:
        raise TypeError(f"Cannot determine dtype of {x!r}") from e


def is_float(dt: np.dtype) -> bool:
    return dt in _float_set


def is_complex(dt: np.dtype) -> bool:
    return dt.kind == "c"


def is_inexact(dt: np.dtype) -> bool:
    return dt in _float_set or dt.kind == "c"


def is_int(dt: np.dtype) -> bool:
    return dt in _int_set


def is_unsigned(dt: np.dtype) -> bool:
    return dt in _unsigned_set


_float_set = frozenset(float_dtypes)
_int_set = frozenset(int_dtypes)
_unsigned_set = frozenset(unsigned_int_dtypes)


def issubdtype(a: Any, b: Any) -> bool:
    """``np.issubdtype`` that also knows the ml_dtypes (bfloat16, float8s, int4...)."""
    if a is float0 or b is float0:
        return np.dtype(a) == float0 and np.dtype(b) == float0
    a_dt = dtype(a) if not (isinstance(a, type) and issubclass(a, np.generic)) else np.dtype(a)
    if isinstance(b, type) and issubclass(b, np.generic) and b in _abstract_kinds:
        return _abstract_kinds[b](a_dt)
    return a_dt == np.dtype(b)


_abstract_kinds = {
    np.generic: lambda dt: True,
    np.number: lambda dt: dt != bool_,
    np.inexact: is_inexact,
    np.floating: is_float,
    np.complexfloating: is_complex,
    np.integer: is_int,
    np.signedinteger: lambda dt: dt in signed_int_dtypes,
    np.unsignedinteger: is_unsigned,
    np.bool_: lambda dt: dt == bool_,
}


def itemsize_bits(dt: Any) -> int:
    dt = np.dtype(dt)
    if dt in (int2, uint2):
        return 2
    if dt in (int4, uint4, small_float_dtypes[0]):  # float4_e2m1fn
        return 4
    return dt.itemsize * 8


def finfo(dt: Any) -> Any:
    dt = np.dtype(dt)
    return ml_dtypes.finfo(dt) if dt in _ml_dtype_set else np.finfo(dt)


def iinfo(dt: Any) -> Any:
    dt = np.dtype(dt)
    return ml_dtypes.iinfo(dt) if dt in _ml_dtype_set else np.iinfo(dt)


# -- canonicalisation -------------------------------------------------------------------------

_x64_to_x32 = {int64: int32, uint64: uint32, float64: float32, complex128: complex64}


def canonicalize_dtype(dt: Any) -> np.dtype:
    """The dtype kiln stores for ``dt``: 64-bit types become 32-bit unless x64 is enabled."""
    dt = np.dtype(dt)
    if _config_values.enable_x64:
        return dt
    return _x64_to_x32.get(dt, dt)


# Python scalar types are weakly typed: they take the dtype of what they meet.
_python_scalar_kinds = {bool: "bool", int: "int*", float: "float*", complex: "complex*"}
_python_scalar_dtypes_x64 = {bool: bool_, int: int64, float: float64, complex: complex128}


def python_scalar_dtype(typ: type) -> np.dtype:
    """The canonical dtype of a Python scalar type (int -> int32, or int64 with x64)."""
    return canonicalize_dtype(_python_scalar_dtypes_x64[typ])


def is_python_scalar(x: Any) -> bool:
    return type(x) in _python_scalar_kinds


def check_user_dtype(dtype_like: Any, fun_name: str) -> np.dtype:
    """A dtype asked for by the user, canonicalised: without x64, a 64-bit type becomes the
    32-bit one, with JAX's warning when the 64-bit type was named explicitly."""
    requested = dtype(dtype_like)
    canonical = canonicalize_dtype(requested)
    python_type = any(dtype_like is t for t in (bool, int, float, complex))
    if canonical != requested and not python_type:
        warnings.warn(
            f"Explicitly requested dtype {requested.name} requested in {fun_name} is not "
            f"available, and will be truncated to dtype {canonical.name}. To enable more "
            "dtypes, set the jax_enable_x64 configuration option or the JAX_ENABLE_X64 shell "
            "environment variable. See https://github.com/jax-ml/jax#current-gotchas for more.",
            stacklevel=3,
        )
    return canonical


# -- the promotion lattice --------------------------------------------------------------------
# Nodes are dtypes and the weak kinds "int*", "float*", "complex*". Each node lists the nodes
# directly above it; the result of promoting a set of nodes is their least upper bound.

_WEAK_INT, _WEAK_FLOAT, _WEAK_COMPLEX = "int*", "float*", "complex*"
_weak_node_dtypes = {_WEAK_INT: int64, _WEAK_FLOAT: float64, _WEAK_COMPLEX: complex128}


def _lattice_edges(x64: bool) -> dict[Any, list[Any]]:
    edges: dict[Any, list[Any]] = {
        bool_: [_WEAK_INT],
        _WEAK_INT: [uint8, int8, uint2, uint4, int2, int4],
        uint8: [uint16, int16],
        uint16: [uint32, int32],
        # Without x64, u32 and i32 meet at i32 rather than forming i64 from 32-bit inputs.
        uint32: [uint64, int64] if x64 else [uint64, int32],
        uint64: [_WEAK_FLOAT],
        int8: [int16],
        int16: [int32],
        int32: [int64],
        int64: [_WEAK_FLOAT],
        _WEAK_FLOAT: [*small_float_dtypes, bfloat16, float16, _WEAK_COMPLEX],
        bfloat16: [float32],
        float16: [float32],
        float32: [float64, complex64],
        float64: [complex128],
        _WEAK_COMPLEX: [complex64],
        complex64: [complex128],
    }
    for leaf in (uint2, uint4, int2, int4, complex128, *small_float_dtypes):
        edges.setdefault(leaf, [])
    return edges


@functools.cache
def _upper_sets(x64: bool) -> dict[Any, frozenset]:
    edges = _lattice_edges(x64)

    def above(node: Any) -> frozenset:
        out = {node}
        for parent in edges[node]:
            out |= above(parent)
        return frozenset(out)

    return {node: above(node) for node in edges}


@functools.cache
def _join(a: Any, b: Any, x64: bool) -> Any:
    uppers = _upper_sets(x64)
    common = uppers[a] & uppers[b]
    for node in common:
        if uppers[node] == common:
            return node
    raise TypePromotionError(
        f"Input dtypes ({_node_name(a)}, {_node_name(b)}) have no available implicit dtype "
        "promotion path. To avoid unintended promotion, 8-bit floats and sub-byte integers do "
        "not support implicit promotion. If you'd like your inputs to be promoted to another "
        "type, you can do so explicitly using e.g. x.astype('float32')"
    )


def _node_name(node: Any) -> str:
    return node if isinstance(node, str) else node.name


def _weak_node(dt: np.dtype) -> Any:
    if dt == bool_:
        return bool_
    if dt in _int_set:
        return _WEAK_INT
    return _WEAK_COMPLEX if dt.kind == "c" else _WEAK_FLOAT


def _dtype_and_weak(x: Any) -> tuple[np.dtype, bool]:
    if isinstance(x, type) and x in _python_scalar_kinds:
        return _python_scalar_dtypes_x64[x], x is not bool
    if type(x) in _python_scalar_kinds:
        return _python_scalar_dtypes_x64[type(x)], type(x) is not bool
    aval = getattr(x, "aval", None)
    if aval is not None and hasattr(aval, "weak_type"):
        return aval.dtype, aval.weak_type
    weak = getattr(x, "weak_type", False)
    return dtype(x), bool(weak)


def promote_types(a: Any, b: Any) -> np.dtype:
    """The dtype both ``a`` and ``b`` promote to, as ``jnp.promote_types`` (never weak,
    never canonicalised; without x64, u32 and i32 still meet at i32 as in JAX)."""
    a, b = np.dtype(a), np.dtype(b)
    node = _join(a, b, _config_values.enable_x64)
    return _weak_node_dtypes[node] if isinstance(node, str) else node


def result_type_and_weak(*args: Any) -> tuple[np.dtype, bool]:
    """Promote dtypes, arrays, tracers and Python scalars; returns (canonical dtype, weak)."""
    if not args:
        raise ValueError("at least one array or dtype is required")
    x64 = _config_values.enable_x64
    pairs = [_dtype_and_weak(a) for a in args]
    if not x64:
        pairs = [(_x64_to_x32.get(d, d), w) for d, w in pairs]
    dts = {d for d, _ in pairs}
    all_weak = all(w for _, w in pairs)
    if len(dts) == 1 and (len(pairs) == 1 or not all_weak):
        dt, weak = pairs[0][0], pairs[0][1] if len(pairs) == 1 else False
        return canonicalize_dtype(dt), weak
    if all_weak:
        # Promote the concrete types, then mark weak: keeps e.g. weak bf16 + weak bf16 bf16.
        node = functools.reduce(lambda n, d: _join(n, d, x64), dts)
        out, weak = node, True
    else:
        nodes = {(_weak_node(d) if w else d) for d, w in pairs}
        node = functools.reduce(lambda n, m: _join(n, m, x64), nodes)
        out, weak = node, isinstance(node, str)
    if isinstance(out, str):
        out = _weak_node_dtypes[out]
    return canonicalize_dtype(out), weak


def result_type(*args: Any, return_weak_type_flag: bool = False) -> Any:
    """JAX's ``dtypes.result_type``: the canonical dtype of promoting ``args``."""
    dt, weak = result_type_and_weak(*args)
    return (dt, weak) if return_weak_type_flag else dt


# -- printing -----------------------------------------------------------------------------------

_short_names = {
    bool_: "bool", bfloat16: "bf16", float0: "float0",
    **{d: "i" + str(itemsize_bits(d)) for d in signed_int_dtypes},
    **{d: "u" + str(itemsize_bits(d)) for d in unsigned_int_dtypes},
    float16: "f16", float32: "f32", float64: "f64", complex64: "c64", complex128: "c128",
}


def short_name(dt: np.dtype) -> str:
    """The name jaxprs print for ``dt``: ``f32``, ``i32``, ``bf16``, ``bool``..."""
    name = _short_names.get(dt)
    return name if name is not None else getattr(dt, "name", str(dt))
