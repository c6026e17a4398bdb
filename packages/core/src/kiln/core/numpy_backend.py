"""The NumPy reference backend: every core primitive, no compiler needed.

Eager primitives run their ``impl`` rule; ``jit`` runs by interpreting the cached jaxpr with
the same rules. It is found through the ``kiln.backends`` entry point like any plugin, and is
the default only when no better backend is installed (``JAX_PLATFORMS=numpy`` forces it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kiln.core import abstract, reference
from kiln.core.abstract import ShapedArray
from kiln.core.array import Array
from kiln.core.backend import Backend, Device
from kiln.core.config import values as config_values
from kiln.core.jaxpr import ClosedJaxpr
from kiln.core.primitive import abstract_eval, rule_table

_impls = rule_table("impl")
_decompositions = rule_table("decomposition")


class NumpyDevice(Device):
    platform = "numpy"
    device_kind = "cpu"


class NumpyArray(Array):
    """An Array held as a NumPy array in host memory."""

    __slots__ = ("_np", "_device", "_deleted")
    _backend: NumpyBackend

    def __init__(self, value: np.ndarray, aval: ShapedArray, device: NumpyDevice):
        self._np = value
        self.aval = aval
        self._device = device
        self._deleted = False

    @property
    def _value(self) -> np.ndarray:
        if self._deleted:
            raise RuntimeError("Array has been deleted.")
        return self._np

    def devices(self) -> set[Device]:
        return {self._device}

    @property
    def device(self) -> Device:
        return self._device

    def delete(self) -> None:
        self._deleted = True
        self._np = None

    def is_deleted(self) -> bool:
        return self._deleted


abstract.register_aval_rule(NumpyArray, abstract.aval_attr)


class NumpyBackend(Backend):
    name = "numpy"

    @classmethod
    def discover(cls) -> dict[str, int]:
        return {"numpy": 0}

    def __init__(self, platform: str = "numpy"):
        super().__init__(platform)
        self._devices = [NumpyDevice(self, 0)]
        NumpyArray._backend = self
        self._aval_cache: dict[Any, Any] = {}

    def devices(self) -> list[Device]:
        return list(self._devices)

    def device_put(self, value: Any, aval: ShapedArray, device: Device | None = None) -> Array:
        host = reference.to_numpy(value, aval)
        host = reference.as_dtype(host, aval.dtype)
        if isinstance(value, np.ndarray) and host is value:
            host = host.copy()  # arrays are immutable; the caller's buffer is not
        return NumpyArray(host, aval, device or self._devices[0])

    def supports(self, prim: Any) -> bool:
        return prim in _impls or prim in _decompositions

    def _out_avals(self, prim: Any, in_avals: list[ShapedArray], params: dict) -> Any:
        try:
            key = (prim, tuple(in_avals), tuple(params.items()))
            cached = self._aval_cache.get(key)
        except TypeError:  # unhashable params
            return abstract_eval(prim, in_avals, params)
        if cached is None:
            cached = self._aval_cache[key] = abstract_eval(prim, in_avals, params)
        return cached

    def apply_primitive(self, prim: Any, args: Sequence[Any], params: dict) -> Any:
        in_avals = [abstract.get_aval(x) for x in args]
        # The shape rule first: bad arguments get JAX's errors, not NumPy's.
        out_avals = self._out_avals(prim, in_avals, params)
        values = [reference.to_numpy(x, a) for x, a in zip(args, in_avals)]
        rule = _impls.get(prim) or reference.impl_of(prim, in_avals, params)
        out = rule(*values, **params)
        device = self._devices[0]
        if prim.multiple_results:
            outs = [reference.as_dtype(x, a.dtype) for x, a in zip(out, out_avals)]
            self._check(prim, outs)
            return [NumpyArray(x, a, device) for x, a in zip(outs, out_avals)]
        out = reference.as_dtype(out, out_avals.dtype)
        self._check(prim, (out,))
        return NumpyArray(out, out_avals, device)

    def _check(self, prim: Any, outs: Sequence[np.ndarray]) -> None:
        if config_values.debug_nans or config_values.debug_infs:
            reference.check_finite(prim.name, outs, config_values.debug_nans,
                                   config_values.debug_infs)

    def compile(
        self, closed: ClosedJaxpr, *, donate_argnums: Sequence[int] = (), device: Any = None
    ) -> Callable[..., list[Any]]:
        jaxpr, consts = closed.jaxpr, closed.consts
        out_avals = closed.out_avals
        target = device or self._devices[0]

        def run(*args: Any) -> list[Array]:
            outs = reference.run_jaxpr(jaxpr, consts, args)
            return [NumpyArray(x, a, target) for x, a in zip(outs, out_avals)]

        return run
