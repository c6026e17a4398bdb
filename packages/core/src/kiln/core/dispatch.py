"""Eager execution: which backend runs a primitive applied to concrete values, and moving
values onto devices (``device_put``)."""

from __future__ import annotations

from typing import Any

from kiln.core.abstract import ShapedArray, get_aval
from kiln.core.array import Array
from kiln.core.backend import Backend, Device, default_backend_instance


def backend_of(args: Any) -> Backend:
    """The backend of the first Array among ``args``, else the default backend."""
    for x in args:
        if isinstance(x, Array):
            return x._backend
    return default_backend_instance()


def apply_primitive(prim: Any, args: tuple, params: dict) -> Any:
    return backend_of(args).apply_primitive(prim, args, params)


def _resolve_device(device: Any) -> tuple[Backend, Device | None]:
    if device is None:
        return default_backend_instance(), None
    if isinstance(device, Device):
        return device.backend, device
    sharding_device = getattr(device, "device", None)  # a SingleDeviceSharding
    if isinstance(sharding_device, Device):
        return sharding_device.backend, sharding_device
    raise TypeError(f"device_put: expected a Device or a sharding, got {device!r}")


def device_put_value(x: Any, aval: ShapedArray | None = None, device: Any = None) -> Array:
    """One value (Array, NumPy array or scalar) as an Array on ``device``."""
    backend, dev = _resolve_device(device)
    if aval is None:
        aval = get_aval(x)
    # An explicit device commits the result to it (as JAX), so only a committed array that
    # is already there can be returned as it is.
    if isinstance(x, Array) and x._backend is backend and (
            dev is None or (x.device == dev and x.committed)):
        return x
    return backend.device_put(x, aval, dev)


def device_put(x: Any, device: Any = None, *, donate: bool = False, may_alias: Any = None) -> Any:
    """Place each leaf of the pytree ``x`` on ``device`` (default: the default device)."""
    from kiln.tree_util import tree_map

    return tree_map(lambda leaf: device_put_value(leaf, None, device), x)


def device_get(x: Any) -> Any:
    """Copy each Array leaf of the pytree ``x`` to the host as a NumPy array."""
    from kiln.tree_util import tree_map

    def get(leaf: Any) -> Any:
        if isinstance(leaf, Array):
            return leaf._value
        return leaf

    return tree_map(get, x)


def block_until_ready(x: Any) -> Any:
    """Wait until every Array in the pytree ``x`` is computed; returns ``x``."""
    from kiln.tree_util import tree_leaves

    by_backend: dict[Any, list[Array]] = {}
    for leaf in tree_leaves(x):
        if isinstance(leaf, Array):
            by_backend.setdefault(leaf._backend, []).append(leaf)
    for backend, arrays in by_backend.items():
        wait_all = getattr(backend, "block_until_ready", None)
        if wait_all is not None:  # the backend waits for several arrays at once
            wait_all(arrays)
        else:
            for a in arrays:
                a.block_until_ready()
    return x
