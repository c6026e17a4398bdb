"""``kiln.Array``: the immutable array type every backend's arrays share.

A backend subclasses :class:`Array` to hold its buffer and implements ``_value`` (a host
copy as a NumPy array), ``block_until_ready``, ``is_ready``, ``delete``, ``is_deleted`` and
``devices``. Everything users see of an array that does not depend on where it lives is
here: shape and dtype, printing, Python conversions, pickling, iteration.
Arithmetic operators and NumPy-style methods come from kiln.numpy (see ``array_methods``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from kiln.core import abstract, dtypes
from kiln.core.abstract import HasAval, ShapedArray
from kiln.core.tracing import Tracer


class Array(HasAval):
    """An immutable n-dimensional array on a device."""

    __slots__ = ("aval", "__weakref__")
    __array_priority__ = 100

    aval: ShapedArray

    # -- what the backend provides ----------------------------------------------------------

    @property
    def _value(self) -> np.ndarray:
        raise NotImplementedError

    def block_until_ready(self) -> Array:
        return self

    def is_ready(self) -> bool:
        return True

    def delete(self) -> None:
        raise NotImplementedError

    def is_deleted(self) -> bool:
        return False

    def devices(self) -> set[Any]:
        raise NotImplementedError

    @property
    def committed(self) -> bool:
        return False

    # -- shape and type ---------------------------------------------------------------------

    @property
    def itemsize(self) -> int:
        return self.aval.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.aval.size * self.aval.dtype.itemsize

    @property
    def device(self) -> Any:
        (device,) = self.devices()
        return device

    @property
    def sharding(self) -> Any:
        return SingleDeviceSharding(self.device)

    @property
    def is_fully_addressable(self) -> bool:
        return True

    @property
    def is_fully_replicated(self) -> bool:
        return True

    def copy_to_host_async(self) -> None:
        pass

    # -- conversions --------------------------------------------------------------------------

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        value = self._value
        if dtype is not None and np.dtype(dtype) != value.dtype:
            return value.astype(dtype)
        return value.copy() if copy else value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __int__(self) -> int:
        return int(self._value)

    def __float__(self) -> float:
        return float(self._value)

    def __complex__(self) -> complex:
        return complex(self._value)

    def __index__(self) -> int:
        if self.aval.shape or not (dtypes.is_int(self.aval.dtype) or self.aval.dtype == bool):
            raise TypeError("only integer scalar arrays can be converted to a scalar index")
        return int(self._value)

    def item(self, *args: Any) -> Any:
        return self._value.item(*args)

    def tolist(self) -> Any:
        return self._value.tolist()

    def __len__(self) -> int:
        if not self.aval.shape:
            raise TypeError("len() of unsized object")
        return self.aval.shape[0]

    def __iter__(self) -> Iterator[Any]:
        if not self.aval.shape:
            raise TypeError("iteration over a 0-d array")
        return iter(unstack(self))

    def __hash__(self) -> int:
        cls = type(self)
        raise TypeError(f"unhashable type: '{cls.__module__}.{cls.__qualname__}'")

    def __setitem__(self, index: Any, value: Any) -> None:
        raise item_assignment_error(self)

    def __reduce__(self) -> Any:
        return _unpickle_array, (self._value, self.aval.weak_type)

    def __format__(self, spec: str) -> str:
        if not self.aval.shape:
            return format(self._value[()], spec)
        return format(str(self), spec)

    def __dlpack__(self, *args: Any, **kwargs: Any) -> Any:
        return self._value.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        return self._value.__dlpack_device__()

    # -- printing -----------------------------------------------------------------------------

    def __str__(self) -> str:
        return str(self._value)

    def __repr__(self) -> str:
        value = self._value
        suffix = f"dtype={self.aval.dtype.name}"
        if self.aval.weak_type:
            suffix += ", weak_type=True"
        if value.size == 0 and value.shape != (0,):
            return f"Array([], shape={value.shape}, {suffix})"
        body = np.array2string(value, separator=", ", prefix="Array(")
        return f"Array({body}, {suffix})"


def _unpickle_array(value: np.ndarray, weak_type: bool) -> Array:
    from kiln.core.dispatch import device_put_value

    return device_put_value(value, ShapedArray(value.shape, value.dtype, weak_type))


class SingleDeviceSharding:
    """The placement of an array on one device."""

    def __init__(self, device: Any, memory_kind: str | None = "device"):
        self.device = device
        self.memory_kind = memory_kind

    @property
    def device_set(self) -> set[Any]:
        return {self.device}

    def __repr__(self) -> str:
        return f"SingleDeviceSharding(device={self.device!r}, memory_kind={self.memory_kind})"

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, SingleDeviceSharding) and other.device == self.device

    def __hash__(self) -> int:
        return hash(("SingleDeviceSharding", self.device))


def item_assignment_error(x: Any) -> TypeError:
    return TypeError(
        "JAX arrays are immutable and do not support in-place item assignment. Instead of "
        "x[idx] = y, use x = x.at[idx].set(y) or another .at[] method: "
        "https://docs.jax.dev/en/latest/_autosummary/jax.numpy.ndarray.at.html"
    )


class _ArrayOrTracer(type):
    def __instancecheck__(cls, x: Any) -> bool:
        return isinstance(x, (Array, Tracer))

    def __subclasscheck__(cls, c: type) -> bool:
        return issubclass(c, (Array, Tracer))


class PublicArray(metaclass=_ArrayOrTracer):
    """``kiln.Array``: the type of kiln arrays, as users see it. Like ``jax.Array``,
    ``isinstance(x, kiln.Array)`` holds for concrete arrays and for tracers standing in for
    them, so code that checks it behaves the same under ``jit``. (kiln's own code checks
    :class:`Array`, the base of concrete arrays.)"""

    __slots__ = ()


PublicArray.__name__ = PublicArray.__qualname__ = "Array"


def unstack(x: Any) -> list[Any]:
    """The slices ``x[0], x[1], ...`` along the leading axis (what iteration yields)."""
    from kiln import lax

    return [lax.index_in_dim(x, i, 0, keepdims=False) for i in range(x.shape[0])]


abstract.register_aval_rule(Array, abstract.aval_attr)


def is_array(x: Any) -> bool:
    return isinstance(x, (Array, Tracer))
