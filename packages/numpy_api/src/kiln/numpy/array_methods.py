"""The operators and methods of ``kiln.Array`` and of tracers (``x + y``, ``x[i]``,
``x.sum()``, ``x.T``, ``x.at[i].set(v)``...), installed with ``kiln.core.set_array_methods``
when kiln.numpy is imported.

Binary operators return NotImplemented for operands that are not arrays or scalars (lists,
tuples, unknown objects), so Python raises its usual TypeError, as JAX does.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np
from kiln.core.array import Array
from kiln.core.tracing import Tracer
from kiln.numpy import (
    contraction,
    creation,
    indexing,
    reductions,
    shape,
    sorting,
    ufuncs,
)

_ACCEPTED = (Array, Tracer, np.ndarray, np.generic, bool, int, float, complex)


def _binary(fn: Callable[[Any, Any], Any], swap: bool = False) -> Callable[[Any, Any], Any]:
    if swap:
        def op(self: Any, other: Any) -> Any:
            if not isinstance(other, _ACCEPTED) and not hasattr(other, "__jax_array__"):
                return NotImplemented
            return fn(other, self)
    else:
        def op(self: Any, other: Any) -> Any:
            if not isinstance(other, _ACCEPTED) and not hasattr(other, "__jax_array__"):
                return NotImplemented
            return fn(self, other)
    return op


def _round(self: Any, ndigits: int | None = None) -> Any:
    out = ufuncs.round(self, decimals=ndigits or 0)
    return out.astype(int) if ndigits is None else out


def _divmod(self: Any, other: Any) -> Any:
    if not isinstance(other, _ACCEPTED):
        return NotImplemented
    return ufuncs.divmod(self, other)


def _rdivmod(self: Any, other: Any) -> Any:
    if not isinstance(other, _ACCEPTED):
        return NotImplemented
    return ufuncs.divmod(other, self)


def _reshape(self: Any, *args: Any, order: str = "C", out_sharding: Any = None) -> Any:
    new_shape = args[0] if len(args) == 1 else args
    return shape.reshape(self, new_shape, order=order, out_sharding=out_sharding)


def _transpose(self: Any, *args: Any) -> Any:
    if not args:
        axes = None
    elif len(args) == 1:
        axes = args[0] if args[0] is None or not isinstance(args[0], int) else args
    else:
        axes = args
    return shape.transpose(self, axes)


def _astype(self: Any, dtype: Any, copy: bool = False, device: Any = None) -> Any:
    return creation.astype(self, dtype, copy=copy, device=device)


def _view(self: Any, dtype: Any = None, type: None = None) -> Any:
    """The array's bits reinterpreted as ``dtype`` (the last axis rescaled)."""
    from kiln import lax

    if type is not None:
        raise NotImplementedError("`type` argument of array.view() is not supported.")
    if dtype is None:
        return self
    from kiln.numpy.promotion import as_dtype

    new = as_dtype(dtype)
    old = self.dtype
    if new == old:
        return self
    if self.ndim == 0 and new.itemsize != old.itemsize:
        raise ValueError("view() of a 0d array is only supported if the itemsize is "
                         "unchanged.")
    x = self
    if old == np.bool_:
        x = lax.convert_element_type(x, np.uint8)
        old = np.dtype(np.uint8)
    target = np.dtype(np.uint8) if new == np.bool_ else new
    if target.itemsize == old.itemsize:
        out = lax.bitcast_convert_type(x, target)
    elif target.itemsize < old.itemsize:
        out = lax.bitcast_convert_type(x, target)
        out = lax.reshape(out, out.shape[:-2] + (out.shape[-2] * out.shape[-1],))
    else:
        ratio = target.itemsize // old.itemsize
        if x.shape[-1] % ratio:
            raise ValueError("When changing to a larger dtype, its size must be a divisor of "
                             "the total size in bytes of the last axis of the array.")
        x = lax.reshape(x, x.shape[:-1] + (x.shape[-1] // ratio, ratio))
        out = lax.bitcast_convert_type(x, target)
    if new == np.bool_:
        out = lax.convert_element_type(out, np.bool_)
    return out


def _flatten(self: Any, order: str = "C") -> Any:
    return shape.ravel(self, order=order)


def _at(self: Any) -> Any:
    return indexing._IndexUpdateHelper(self)


def _T(self: Any) -> Any:
    nd = self.ndim
    if nd < 2:
        return self
    return shape.transpose(self)


def _mT(self: Any) -> Any:
    return shape.matrix_transpose(self)


def _real(self: Any) -> Any:
    return ufuncs.real(self)


def _imag(self: Any) -> Any:
    return ufuncs.imag(self)


def _contains(self: Any, item: Any) -> Any:
    return bool(reductions.any(ufuncs.equal(self, item)))


def _copy(self: Any) -> Any:
    return self


def _deepcopy(self: Any, memo: Any) -> Any:
    return self


def _to_device(self: Any, device: Any, *, stream: Any = None) -> Any:
    from kiln.core.dispatch import device_put

    return device_put(self, device)


def _tobytes(self: Any, order: str = "C") -> bytes:
    return np.asarray(self).tobytes(order=order)


def _array_namespace(self: Any, *, api_version: str | None = None) -> Any:
    import kiln.numpy

    return kiln.numpy


def _hex(self: Any) -> str:
    return hex(operator.index(self))


def _oct(self: Any) -> str:
    return oct(operator.index(self))


def _nonzero(self: Any, *, size: int | None = None, fill_value: Any = None) -> Any:
    return indexing.nonzero(self, size=size, fill_value=fill_value)


def _flat(self: Any) -> Any:
    raise AttributeError("JAX arrays have no .flat attribute; use x.ravel() or x.flatten()")


def _byteswap(self: Any, inplace: bool = False) -> Any:
    if inplace:
        raise ValueError("Cannot byteswap in place: JAX arrays are immutable")
    return creation.asarray(np.asarray(self).byteswap())


def _method(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A module function as a method (self is the first argument)."""
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return fn(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


def _searchsorted(self: Any, v: Any, side: str = "left", sorter: Any = None, *,
                  method: str = "scan") -> Any:
    return sorting.searchsorted(self, v, side=side, sorter=sorter, method=method)


def _compress(self: Any, condition: Any, axis: int | None = None, *, size: int | None = None,
              fill_value: Any = 0, out: None = None) -> Any:
    return indexing.compress(condition, self, axis, size=size, fill_value=fill_value, out=out)


def _clip(self: Any, min: Any = None, max: Any = None) -> Any:
    from kiln.numpy.selection import clip

    return clip(self, min=min, max=max)


OPERATORS: dict[str, Any] = {
    "__add__": _binary(ufuncs._add), "__radd__": _binary(ufuncs._add, swap=True),
    "__sub__": _binary(ufuncs._subtract), "__rsub__": _binary(ufuncs._subtract, swap=True),
    "__mul__": _binary(ufuncs._multiply), "__rmul__": _binary(ufuncs._multiply, swap=True),
    "__truediv__": _binary(ufuncs.divide), "__rtruediv__": _binary(ufuncs.divide, swap=True),
    "__floordiv__": _binary(ufuncs.floor_divide),
    "__rfloordiv__": _binary(ufuncs.floor_divide, swap=True),
    "__mod__": _binary(ufuncs.remainder), "__rmod__": _binary(ufuncs.remainder, swap=True),
    "__divmod__": _divmod, "__rdivmod__": _rdivmod,
    "__pow__": _binary(ufuncs.power), "__rpow__": _binary(ufuncs.power, swap=True),
    "__matmul__": _binary(contraction.matmul),
    "__rmatmul__": _binary(contraction.matmul, swap=True),
    "__and__": _binary(ufuncs._bitwise_and), "__rand__": _binary(ufuncs._bitwise_and, True),
    "__or__": _binary(ufuncs._bitwise_or), "__ror__": _binary(ufuncs._bitwise_or, True),
    "__xor__": _binary(ufuncs._bitwise_xor), "__rxor__": _binary(ufuncs._bitwise_xor, True),
    "__lshift__": _binary(ufuncs.left_shift),
    "__rlshift__": _binary(ufuncs.left_shift, swap=True),
    "__rshift__": _binary(ufuncs.right_shift),
    "__rrshift__": _binary(ufuncs.right_shift, swap=True),
    "__neg__": ufuncs._negative, "__pos__": ufuncs.positive, "__abs__": ufuncs.absolute,
    "__invert__": ufuncs.invert,
    "__eq__": _binary(ufuncs.equal), "__ne__": _binary(ufuncs.not_equal),
    "__lt__": _binary(ufuncs.less), "__le__": _binary(ufuncs.less_equal),
    "__gt__": _binary(ufuncs.greater), "__ge__": _binary(ufuncs.greater_equal),
    "__getitem__": indexing.rewriting_take, "__round__": _round,
    "__contains__": _contains, "__copy__": _copy, "__deepcopy__": _deepcopy,
    "__array_namespace__": _array_namespace, "__hex__": _hex, "__oct__": _oct,
}

METHODS: dict[str, Any] = {
    "T": property(_T), "mT": property(_mT), "at": property(_at),
    "real": property(_real), "imag": property(_imag),
    "all": _method(reductions.all), "any": _method(reductions.any),
    "argmax": _method(reductions.argmax), "argmin": _method(reductions.argmin),
    "argpartition": _method(sorting.argpartition), "argsort": _method(sorting.argsort),
    "astype": _astype, "byteswap": _byteswap, "choose": _method(indexing.choose),
    "clip": _clip, "compress": _compress,
    "conj": _method(ufuncs.conjugate), "conjugate": _method(ufuncs.conjugate),
    "copy": _method(creation.copy), "cumprod": _method(reductions.cumprod),
    "cumsum": _method(reductions.cumsum), "diagonal": _method(creation.diagonal),
    "dot": _method(contraction.dot), "flatten": _flatten,
    "max": _method(reductions.max), "mean": _method(reductions.mean),
    "min": _method(reductions.min), "nonzero": _nonzero, "prod": _method(reductions.prod),
    "ptp": _method(reductions.ptp), "ravel": _method(shape.ravel),
    "repeat": _method(shape.repeat), "reshape": _reshape, "round": _method(ufuncs.round),
    "searchsorted": _searchsorted, "sort": _method(sorting.sort),
    "squeeze": _method(shape.squeeze), "std": _method(reductions.std),
    "sum": _method(reductions.sum), "swapaxes": _method(shape.swapaxes),
    "take": _method(indexing.take), "to_device": _to_device, "tobytes": _tobytes,
    "trace": _method(contraction.trace), "transpose": _transpose,
    "var": _method(reductions.var), "view": _view,
}


def install() -> None:
    """Put the operators and methods on kiln.Array and on tracers."""
    from kiln.core import set_array_methods

    set_array_methods({**OPERATORS, **METHODS})
