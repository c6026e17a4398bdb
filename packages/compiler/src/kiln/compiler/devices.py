"""Devices of the XLA backends: a kiln ``Device`` wrapping one PJRT device."""

from __future__ import annotations

from typing import Any

from kiln.compiler import jaxlib_api as api
from kiln.core.backend import Device


class XlaDevice(Device):
    """One PJRT device (``CpuDevice(id=0)``, ``CudaDevice(id=0)``, ``TpuDevice(id=0)``...)."""

    def __init__(self, backend: Any, pjrt_device: Any):
        super().__init__(backend, pjrt_device.id)
        self.pjrt = pjrt_device
        self.platform = backend.platform
        self.device_kind = api.device_kind(pjrt_device)

    def __repr__(self) -> str:
        return api.device_repr(self.pjrt)

    def memory_stats(self) -> dict | None:
        return api.device_memory_stats(self.pjrt)
