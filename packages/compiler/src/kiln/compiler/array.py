"""Device arrays: ``kiln.Array`` backed by one PJRT buffer.

Each XLA backend (``cpu``, ``cuda``...) gets its own subclass of :class:`XlaArray`, named
``ArrayImpl`` like JAX's, whose ``_backend`` class attribute is that backend. The buffer is the
``_buf`` attribute, so passing an array to an executable is one attribute read.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kiln.compiler import jaxlib_api as api
from kiln.core import abstract
from kiln.core.array import Array


def deleted_error(aval: Any) -> RuntimeError:
    return RuntimeError(f"Array has been deleted with shape={aval}.")


class _Deleted:
    """Stands in for the buffer of an array that was deleted or donated. Passing it to an
    executable fails at once (a deleted PJRT buffer fails only after PJRT's retries)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<deleted buffer>"


DELETED = _Deleted()


def buffer_deleted(buf: Any) -> bool:
    return buf is DELETED or api.is_deleted(buf)


def mark_deleted_if_donated(x: Any) -> None:
    """After a call that donated ``x``'s buffer: if PJRT took it, mark ``x`` deleted."""
    if isinstance(x, XlaArray):
        buf = x._buf
        if buf is not DELETED and api.is_deleted(buf):
            x._buf = DELETED


class XlaArray(Array):
    """An Array whose value lives in a PJRT buffer (on the host for ``cpu``, in device
    memory for GPUs and TPUs). Results of computations may not be computed yet when they are
    returned (asynchronous dispatch): reading the value waits for them."""

    __slots__ = ("_buf", "_np")
    _backend: Any  # set on each backend's subclass

    def __init__(self, buf: Any, aval: Any):
        self._buf = buf
        self.aval = aval

    # -- the buffer --------------------------------------------------------------------------

    @property
    def _value(self) -> np.ndarray:
        try:
            return self._np
        except AttributeError:
            pass
        buf = self._buf
        if buffer_deleted(buf):
            raise deleted_error(self.aval)
        value = api.to_numpy(buf)
        if value.dtype != self.aval.dtype:  # e.g. PJRT returns int4 data unpacked
            value = value.view(self.aval.dtype) if value.dtype.itemsize == \
                self.aval.dtype.itemsize else value.astype(self.aval.dtype)
        self._np = value
        return value

    def _check_alive(self) -> None:
        if buffer_deleted(self._buf):
            raise deleted_error(self.aval)

    def block_until_ready(self) -> XlaArray:
        self._check_alive()
        api.block_until_ready(self._buf)
        return self

    def is_ready(self) -> bool:
        self._check_alive()
        return api.is_ready(self._buf)

    def delete(self) -> None:
        try:
            del self._np
        except AttributeError:
            pass
        buf = self._buf
        if buf is not DELETED:
            api.delete(buf)
            self._buf = DELETED

    def is_deleted(self) -> bool:
        return buffer_deleted(self._buf)

    def copy_to_host_async(self) -> None:
        self._check_alive()
        api.copy_to_host_async(self._buf)

    def unsafe_buffer_pointer(self) -> int:
        self._check_alive()
        return api.unsafe_buffer_pointer(self._buf)

    def on_device_size_in_bytes(self) -> int:
        self._check_alive()
        return api.on_device_size_in_bytes(self._buf)

    # -- placement ---------------------------------------------------------------------------

    @property
    def device(self) -> Any:
        self._check_alive()
        return self._backend.device_of(api.buffer_device(self._buf))

    def devices(self) -> set[Any]:
        return {self.device}

    @property
    def committed(self) -> bool:
        self._check_alive()
        return api.buffer_committed(self._buf)

    @property
    def platform(self) -> str:
        return self._backend.platform

    # -- interoperability --------------------------------------------------------------------

    def __dlpack__(self, *, stream: Any = None, max_version: Any = None, dl_device: Any = None,
                   copy: Any = None) -> Any:
        self._check_alive()
        if copy:
            return np.array(self._value).__dlpack__()
        api.block_until_ready(self._buf)
        return api.to_dlpack(self._buf, stream)

    def __dlpack_device__(self) -> tuple[int, int]:
        platform = self._backend.platform
        kind = api.DLPACK_DEVICE_TYPES.get(platform)
        if kind is None:
            raise BufferError(f"DLPack is not supported for arrays on {platform}")
        return kind, 0 if platform == "cpu" else self.device.id


abstract.register_aval_rule(XlaArray, abstract.aval_attr)


def array_type_for(backend: Any) -> type[XlaArray]:
    """The ``ArrayImpl`` subclass of :class:`XlaArray` for one backend."""
    cls = type("ArrayImpl", (XlaArray,), {"__slots__": (), "_backend": backend,
                                          "__module__": __name__,
                                          "__qualname__": f"ArrayImpl[{backend.platform}]"})
    abstract.register_aval_rule(cls, abstract.aval_attr)
    return cls
