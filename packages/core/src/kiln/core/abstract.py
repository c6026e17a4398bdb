"""Abstract values: what tracing knows about an array (shape, dtype, weak type), and
``get_aval``, which finds it for any value kiln accepts."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from kiln.core import dtypes
from kiln.core.config import values as _config_values


class ShapedArray:
    """An array's shape, dtype and weak type, without its values."""

    __slots__ = ("shape", "dtype", "weak_type", "_hash")
    array_abstraction_level = 1

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype, weak_type: bool = False):
        self.shape = shape
        self.dtype = dtype
        self.weak_type = weak_type
        self._hash = None

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    def update(self, shape: Any = None, dtype: Any = None, weak_type: Any = None) -> ShapedArray:
        return ShapedArray(
            self.shape if shape is None else shape,
            self.dtype if dtype is None else dtype,
            self.weak_type if weak_type is None else weak_type,
        )

    def strip_weak_type(self) -> ShapedArray:
        return ShapedArray(self.shape, self.dtype) if self.weak_type else self

    def __eq__(self, other: Any) -> bool:
        return (
            type(other) is ShapedArray
            and self.shape == other.shape
            and self.dtype == other.dtype
            and self.weak_type == other.weak_type
        )

    def __hash__(self) -> int:
        h = self._hash
        if h is None:
            h = self._hash = hash((self.shape, self.dtype, self.weak_type))
        return h

    def str_short(self, short_dtypes: bool = True) -> str:
        name = dtypes.short_name(self.dtype) if short_dtypes else self.dtype.name
        return f"{name}[{','.join(map(str, self.shape))}]"

    def __str__(self) -> str:
        return self.str_short(short_dtypes=False)

    def __repr__(self) -> str:
        weak = ", weak_type=True" if self.weak_type else ""
        return f"ShapedArray({self.str_short(short_dtypes=False)}{weak})"

    def __reduce__(self) -> Any:
        return ShapedArray, (self.shape, self.dtype, self.weak_type)


class HasAval:
    """Shape and dtype properties read from ``self.aval`` (kiln.Array and tracers)."""

    __slots__ = ()
    aval: ShapedArray

    @property
    def shape(self) -> tuple[int, ...]:
        return self.aval.shape

    @property
    def dtype(self) -> np.dtype:
        return self.aval.dtype

    @property
    def ndim(self) -> int:
        return len(self.aval.shape)

    @property
    def size(self) -> int:
        return self.aval.size

    @property
    def weak_type(self) -> bool:
        return self.aval.weak_type


def _scalar_aval(typ: type, weak: bool) -> ShapedArray:
    return ShapedArray((), dtypes.python_scalar_dtype(typ), weak)


_INT32_RANGE = (-(2**31), 2**31 - 1)


def _int_aval(x: int) -> ShapedArray:
    aval = _scalar_aval(int, True)
    if not _config_values.enable_x64 and not _INT32_RANGE[0] <= x <= _INT32_RANGE[1]:
        raise OverflowError(f"Python int {x} too large to convert to int32")
    return aval


_interned: dict[tuple, ShapedArray] = {}


def _ndarray_aval(x: np.ndarray | np.generic) -> ShapedArray:
    # Interned, so cache keys made of avals of equal arrays compare by identity.
    key = (x.shape, x.dtype, _config_values.enable_x64)
    aval = _interned.get(key)
    if aval is None:
        if len(_interned) > 4096:
            _interned.clear()
        aval = _interned[key] = ShapedArray(x.shape, dtypes.canonicalize_dtype(x.dtype))
    return aval


_aval_of_type: dict[type, Any] = {
    bool: lambda x: _scalar_aval(bool, False),
    int: _int_aval,
    float: lambda x: _scalar_aval(float, True),
    complex: lambda x: _scalar_aval(complex, True),
    np.ndarray: _ndarray_aval,
}
for _t in set(np.sctypeDict.values()):
    _aval_of_type[_t] = _ndarray_aval
for _dt in dtypes.all_dtypes:
    _aval_of_type[_dt.type] = _ndarray_aval

aval_attr = operator.attrgetter("aval")


# Types whose abstract value is their ``aval`` attribute (Arrays of each backend): jit's
# fast path reads it directly.
aval_attribute_types: set[type] = set()


def register_aval_rule(typ: type, rule: Any) -> None:
    """Teach ``get_aval`` a new array type (kiln.Array and tracers register themselves);
    ``aval_attr`` as the rule marks a type whose ``.aval`` is its abstract value."""
    _aval_of_type[typ] = rule
    if rule is aval_attr:
        aval_attribute_types.add(typ)


def get_aval(x: Any) -> ShapedArray:
    """The abstract value of ``x``: an Array, tracer, NumPy array or scalar, or Python scalar."""
    rule = _aval_of_type.get(type(x))
    if rule is not None:
        return rule(x)
    aval = getattr(x, "aval", None)
    if isinstance(aval, ShapedArray):
        return aval
    if hasattr(x, "__jax_array__"):
        return get_aval(x.__jax_array__())
    for base in type(x).__mro__[1:]:
        rule = _aval_of_type.get(base)
        if rule is not None:
            return rule(x)
    raise TypeError(f"Value {x!r} with type {type(x)} is not a valid JAX type")


def is_valid_value(x: Any) -> bool:
    try:
        get_aval(x)
    except TypeError:
        return False
    return True
