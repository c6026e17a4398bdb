"""dtypes as kiln.numpy names them: the scalar types (``jnp.float32(3)`` makes an Array),
NumPy's abstract type classes, ``finfo``/``iinfo``, and the promotion queries
(``promote_types``, ``result_type``, ``can_cast``, ``issubdtype``, ``isdtype``)."""

from __future__ import annotations

from typing import Any

import ml_dtypes

import numpy as np
from kiln.core import dtypes


class _ScalarMeta(type):
    """The metaclass of kiln.numpy's scalar types: ``jnp.float32(x)`` is
    ``jnp.asarray(x, dtype=jnp.float32)``; ``np.dtype(jnp.float32)`` is float32; the type
    compares equal to NumPy's."""

    dtype: np.dtype

    def __hash__(cls) -> int:
        return hash(cls.dtype.type)

    def __eq__(cls, other: Any) -> bool:
        return cls is other or cls.dtype.type == other

    def __ne__(cls, other: Any) -> bool:
        return not cls == other

    def __call__(cls, x: Any) -> Any:
        from kiln.numpy.creation import asarray

        return asarray(x, dtype=cls.dtype)

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, cls.dtype.type)


def _make_scalar_type(name: str, np_type: Any) -> type:
    t = _ScalarMeta(name, (object,), {"dtype": np.dtype(np_type)})
    t.__module__ = "kiln.numpy"
    t.__doc__ = f"A {np.dtype(np_type).name} scalar: ``{name}(x)`` is an Array of that dtype."
    return t


_SCALAR_TYPES = {
    "bool": np.bool_, "int8": np.int8, "int16": np.int16, "int32": np.int32,
    "int64": np.int64, "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32,
    "uint64": np.uint64, "float16": np.float16, "float32": np.float32, "float64": np.float64,
    "complex64": np.complex64, "complex128": np.complex128, "bfloat16": ml_dtypes.bfloat16,
    "int2": ml_dtypes.int2, "int4": ml_dtypes.int4, "uint2": ml_dtypes.uint2,
    "uint4": ml_dtypes.uint4,
}
for _name in ("float4_e2m1fn", "float8_e3m4", "float8_e4m3", "float8_e4m3b11fnuz",
              "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz",
              "float8_e8m0fnu", "float6_e2m3fn", "float6_e3m2fn", "int1", "uint1"):
    if hasattr(ml_dtypes, _name):
        _SCALAR_TYPES[_name] = getattr(ml_dtypes, _name)

scalar_types: dict[str, type] = {n: _make_scalar_type(n, t) for n, t in _SCALAR_TYPES.items()}
# Aliases, as in JAX (int_ and float_ are the 64-bit types; canonicalised when used).
scalar_types.update(
    bool_=scalar_types["bool"], int_=scalar_types["int64"], uint=scalar_types["uint64"],
    float_=scalar_types["float64"], complex_=scalar_types["complex128"],
    double=scalar_types["float64"], single=scalar_types["float32"],
    cdouble=scalar_types["complex128"], csingle=scalar_types["complex64"],
)

# NumPy's abstract scalar classes, as JAX exposes them.
generic, number, inexact, floating, complexfloating = (
    np.generic, np.number, np.inexact, np.floating, np.complexfloating)
integer, signedinteger, unsignedinteger = np.integer, np.signedinteger, np.unsignedinteger
character, flexible, object_ = np.character, np.flexible, np.object_
dtype = np.dtype
finfo = ml_dtypes.finfo
iinfo = ml_dtypes.iinfo


def _dtype_arg(x: Any) -> np.dtype:
    if isinstance(x, _ScalarMeta):
        return x.dtype
    return dtypes.dtype(x)


def promote_types(a: Any, b: Any) -> np.dtype:
    """The dtype that both ``a`` and ``b`` promote to under JAX's lattice (never weak;
    not canonicalised)."""
    return dtypes.promote_types(_dtype_arg(a), _dtype_arg(b))


def result_type(*args: Any, return_weak_type_flag: bool = False) -> Any:
    """The canonical dtype of promoting ``args`` (dtypes, arrays, Python scalars)."""
    args = tuple(a.dtype if isinstance(a, _ScalarMeta) else a for a in args)
    args = tuple(np.dtype(a) if isinstance(a, str) or (isinstance(a, type) and issubclass(
        a, np.generic)) else a for a in args)
    return dtypes.result_type(*args, return_weak_type_flag=return_weak_type_flag)


def issubdtype(arg1: Any, arg2: Any) -> bool:
    """``np.issubdtype`` that knows kiln's scalar types and the ml_dtypes types."""
    if isinstance(arg1, _ScalarMeta):
        arg1 = arg1.dtype
    if isinstance(arg2, _ScalarMeta):
        arg2 = arg2.dtype
    if isinstance(arg2, type) and issubclass(arg2, np.generic) and \
            arg2 in _ABSTRACT_TYPES:
        return dtypes.issubdtype(_dtype_arg(arg1), arg2)
    if isinstance(arg1, type) and issubclass(arg1, np.generic) and arg1 in _ABSTRACT_TYPES:
        return arg2 in _ABSTRACT_TYPES and issubclass(arg1, arg2)
    return _dtype_arg(arg1) == _dtype_arg(arg2)


_ABSTRACT_TYPES = (np.generic, np.number, np.inexact, np.floating, np.complexfloating,
                   np.integer, np.signedinteger, np.unsignedinteger, np.bool_, np.character,
                   np.flexible, np.object_)

_KIND_NAMES = {
    "bool": lambda d: d == dtypes.bool_,
    "signed integer": lambda d: d in dtypes.signed_int_dtypes,
    "unsigned integer": dtypes.is_unsigned,
    "integral": dtypes.is_int,
    "real floating": dtypes.is_float,
    "complex floating": dtypes.is_complex,
    "numeric": lambda d: d != dtypes.bool_ and (dtypes.is_int(d) or dtypes.is_inexact(d)),
}


def isdtype(dtype: Any, kind: Any) -> bool:
    """Whether ``dtype`` is of ``kind``: a dtype, or one of the Array API's kind names
    ('bool', 'signed integer', 'unsigned integer', 'integral', 'real floating',
    'complex floating', 'numeric'), or a tuple of those."""
    dt = _dtype_arg(dtype)
    kinds = kind if isinstance(kind, tuple) else (kind,)
    for k in kinds:
        if isinstance(k, str):
            if k not in _KIND_NAMES:
                raise ValueError(f"Unrecognized {kind=!r}")
            if _KIND_NAMES[k](dt):
                return True
        elif _dtype_arg(k) == dt:
            return True
    return False


def can_cast(from_: Any, to: Any, casting: str = "safe") -> bool:
    """NumPy's ``can_cast`` on dtypes (values are not inspected)."""
    from_dt = _dtype_arg(from_)
    to_dt = _dtype_arg(to)
    return bool(np.can_cast(from_dt, to_dt, casting=casting))
