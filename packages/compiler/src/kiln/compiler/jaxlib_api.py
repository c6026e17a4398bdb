"""Everything kiln-compiler takes from jaxlib, in one module.

jaxlib's Python API (``jaxlib._jax``, ``jaxlib.xla_client``) is private and changes between
releases. The rest of kiln-compiler calls only the names defined here, so supporting a new
jaxlib release (0.11, 0.12, ...) means changing this file alone. Written against jaxlib 0.10.2
*without* jax installed: nothing here relies on the Python hooks jax attaches to jaxlib's
classes when it is importable.

What lives here: clients (CPU, and PJRT plugins for GPU/TPU), device buffers (``Buffer``: made
by :func:`device_put` or by an executable, read back by :func:`to_numpy`), compilation and
(de)serialisation of executables, the fast execution path, DLPack, cost analysis.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

# As jax does: XLA's C++ INFO logs (e.g. the device count at client creation) stay quiet
# unless asked for. Read when jaxlib's libraries load, so set before importing them.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")

import jaxlib  # noqa: E402
from jaxlib import _jax  # noqa: E402
from jaxlib import xla_client as _xc  # noqa: E402

VERSION: str = jaxlib.version.__version__

Client = _jax.Client
PjrtDevice = _jax.Device
Buffer = _jax.ArrayImpl  # one device buffer; keeps the aval and sharding it was made with
LoadedExecutable = _jax.LoadedExecutable
JaxlibError = _jax.JaxRuntimeError  # a subclass of RuntimeError

# -- clients ---------------------------------------------------------------------------------


def make_cpu_client(num_devices: int | None = None, asynchronous: bool = True) -> Client:
    """The PJRT CPU client. ``num_devices`` (or ``XLA_FLAGS=
    --xla_force_host_platform_device_count=N``) gives several CPU devices."""
    return _xc.make_cpu_client(asynchronous=asynchronous, num_devices=num_devices)


# PJRT plugin packages by platform, newest first. CUDA and ROCm plugins are modules of the
# ``jax_plugins`` namespace package (distributions jax-cuda13-pjrt, jax-cuda12-pjrt,
# jax-rocm7-pjrt...), holding the plugin's shared library; TPU's is the ``libtpu`` package.
PLUGIN_MODULES: dict[str, tuple[str, ...]] = {
    "cuda": ("xla_cuda13", "xla_cuda12"),
    "rocm": ("xla_rocm7", "xla_rocm60"),
}
PLUGIN_NAMESPACE = "jax_plugins"
PLUGIN_ENTRY_POINT_GROUP = "jax_plugins"
TPU_PACKAGE = "libtpu"
TPU_LIBRARY = "libtpu.so"
# ``PJRT_NAMES_AND_LIBRARY_PATHS=name:path,name:path`` names plugins explicitly.
PLUGIN_PATHS_ENV = "PJRT_NAMES_AND_LIBRARY_PATHS"


def plugin_options(platform: str) -> dict[str, Any]:
    """Client options for a plugin, from the environment (XLA_PYTHON_CLIENT_MEM_FRACTION,
    XLA_PYTHON_CLIENT_PREALLOCATE, XLA_PYTHON_CLIENT_ALLOCATOR...) as JAX reads them."""
    if platform in ("cuda", "rocm"):
        options = dict(_xc.generate_pjrt_gpu_plugin_options())
        options["platform_name"] = platform
        return options
    return {}


def make_plugin_client(platform: str, library_path: str,
                       options: Mapping[str, Any] | None = None) -> Client:
    """Load the PJRT plugin at ``library_path`` (once per process) and make its client."""
    if not _jax.pjrt_plugin_loaded(platform):
        _xc.load_pjrt_plugin_dynamically(platform, library_path)
    if not _jax.pjrt_plugin_initialized(platform):
        _jax.initialize_pjrt_plugin(platform)
    return _xc.make_c_api_client(platform, dict(options or {}))


def client_devices(client: Client) -> list[PjrtDevice]:
    return list(client.local_devices())


def client_platform(client: Client) -> str:
    return client.platform


def device_kind(device: PjrtDevice) -> str:
    return device.device_kind


def device_repr(device: PjrtDevice) -> str:
    return repr(device)


def device_memory_stats(device: PjrtDevice) -> dict | None:
    return device.memory_stats()


def cache_fingerprint(client: Client, device: PjrtDevice) -> str:
    """What an executable compiled here depends on besides its module and options."""
    return "|".join((
        "jaxlib", VERSION, client.platform, client.platform_version, device.device_kind,
        os.environ.get("XLA_FLAGS", ""), os.environ.get("LIBTPU_INIT_ARGS", ""),
    ))


# -- buffers ---------------------------------------------------------------------------------


class _Sharding(_jax.SingleDeviceSharding):
    """The sharding jaxlib wants with every buffer: one device, replicated. (jax's own
    sharding classes provide these methods; jaxlib calls them.)"""

    def _to_xla_hlo_sharding(self, ndim: int) -> Any:
        return _xc.HloSharding.replicate()

    @property
    def memory_kind(self) -> None:
        return None

    @property
    def device_set(self) -> set:
        return {self._device}

    @property
    def _device_assignment(self) -> tuple:
        return (self._device,)

    @property
    def is_fully_replicated(self) -> bool:
        return True

    @property
    def is_fully_addressable(self) -> bool:
        return True

    @property
    def num_devices(self) -> int:
        return 1


_shardings: dict[Any, _Sharding] = {}


def sharding(device: PjrtDevice) -> _Sharding:
    s = _shardings.get(device)
    if s is None:
        s = _shardings[device] = _Sharding(device)
    return s


_SEMANTICS = {
    "copy": _jax.HostBufferSemantics.IMMUTABLE_ONLY_DURING_CALL,
    "zero_copy": _jax.HostBufferSemantics.ZERO_COPY,
}


def device_put(host: np.ndarray, aval: Any, device: PjrtDevice, committed: bool,
               zero_copy: bool = False) -> Buffer:
    """A buffer on ``device`` holding ``host`` (already of ``aval``'s dtype and shape).
    With ``zero_copy`` the buffer may alias ``host`` (only for arrays nobody else holds)."""
    return _jax.batched_device_put(
        aval, sharding(device), [host], [device], committed, False,
        _SEMANTICS["zero_copy" if zero_copy else "copy"], True)


def copy_to_device(buf: Buffer, device: PjrtDevice) -> Buffer:
    """A copy of ``buf`` on another device of the same client."""
    (out,) = _jax.batched_copy_array_to_devices_with_sharding(
        [buf], [_jax.DeviceList((device,))], [sharding(device)],
        [_jax.ArrayCopySemantics.ALWAYS_COPY])
    return out


def rewrap(buf: Buffer, aval: Any, device: PjrtDevice, committed: bool) -> Buffer:
    """A buffer sharing ``buf``'s memory with another aval or committedness."""
    return Buffer(aval, sharding(device), [buf], committed, True)


def result_handler(aval: Any, device: PjrtDevice, committed: bool) -> Any:
    """Turns one output of an executable into a :data:`Buffer` (made once, reused)."""
    return _jax.array_result_handler(aval, sharding(device), committed, _skip_checks=True)


def to_numpy(buf: Buffer) -> np.ndarray:
    """The buffer's value on the host: a read-only view of device memory when the buffer is
    in host memory (zero copy), else a copy."""
    return buf._single_device_array_to_np_array_did_copy()[0]


def buffer_device(buf: Buffer) -> PjrtDevice:
    return buf._sharding._device


def buffer_committed(buf: Buffer) -> bool:
    return buf._committed


# Unbound methods: calling these costs no extra Python frame.
block_until_ready = Buffer.block_until_ready
is_ready = Buffer.is_ready
delete = Buffer.delete
is_deleted = Buffer.is_deleted
on_device_size_in_bytes = Buffer.on_device_size_in_bytes


def batched_block_until_ready(bufs: Sequence[Buffer]) -> None:
    """Wait for several buffers at once (one wake-up, not one per buffer)."""
    _jax.batched_block_until_ready(list(bufs))


def copy_to_host_async(buf: Buffer) -> None:
    buf._copy_single_device_array_to_host_async()


def unsafe_buffer_pointer(buf: Buffer) -> int:
    return buf.unsafe_buffer_pointer()


def to_dlpack(buf: Buffer, stream: int | None = None) -> Any:
    return _jax.buffer_to_dlpack_managed_tensor(buf, stream=stream)


def from_dlpack(capsule: Any, device: PjrtDevice, copy: bool | None = None) -> Buffer:
    return _jax.dlpack_managed_tensor_to_buffer(capsule, device, None, copy)


# DLPack device types (dlpack.h) of each platform.
DLPACK_DEVICE_TYPES = {"cpu": 1, "cuda": 2, "rocm": 10}


# -- compilation and execution ---------------------------------------------------------------


def compile_options(device: PjrtDevice, env_overrides: Mapping[str, Any] | None = None) -> Any:
    options = _xc.CompileOptions()
    options.num_replicas = 1
    options.num_partitions = 1
    build = options.executable_build_options
    build.num_replicas = 1
    build.num_partitions = 1
    options.device_assignment = _xc.DeviceAssignment.create(
        np.array([[device.id]], dtype=np.int64))
    if env_overrides:
        options.env_option_overrides = [(k, str(v)) for k, v in env_overrides.items()]
    return options


def serialize_compile_options(options: Any) -> bytes:
    return options.SerializeAsString()


def compile(client: Client, module_text: str, device: PjrtDevice, options: Any) -> Any:
    """Compile StableHLO text for one device."""
    return client.compile_and_load(module_text.encode(), _jax.DeviceList((device,)), options)


def serialize_executable(executable: Any) -> bytes:
    return executable.serialize()


def deserialize_executable(client: Client, data: bytes, device: PjrtDevice,
                           options: Any) -> Any:
    return client.deserialize_executable(data, _jax.DeviceList((device,)), options)


def launcher(executable: Any) -> Any:
    """``launch(buffers) -> results``: starts the executable and returns at once."""
    return executable.execute_sharded


# ``collect(results, handlers) -> list[Buffer]``: the outputs of a launch, one per handler.
collect = _jax.ExecuteResults.consume_with_handlers


def cost_analysis(executable: Any) -> dict[str, float]:
    return dict(executable.cost_analysis())


def memory_analysis(executable: Any) -> Any:
    return executable.get_compiled_memory_stats()


def compiled_text(executable: Any) -> str:
    """The optimised HLO of a compiled executable."""
    return executable.get_hlo_text()


def executable_fingerprint(executable: Any) -> str | None:
    return executable.fingerprint


# -- optional: pretty-printing StableHLO with jaxlib's MLIR bindings -------------------------

_mlir_context: Any = None


def pretty_print_module(text: str, debug_info: bool = False) -> str:
    """Parse module text with jaxlib's MLIR bindings and print it in the custom (pretty)
    syntax. The bindings cost about 0.1 s to import, so this runs only when asked."""
    global _mlir_context
    from jaxlib.mlir import ir
    from jaxlib.mlir._mlir_libs import _jax_mlir_ext
    from jaxlib.mlir.dialects import chlo, stablehlo

    if _mlir_context is None:
        registry = ir.DialectRegistry()
        _jax_mlir_ext.register_dialects(registry)
        context = ir.Context()
        context.append_dialect_registry(registry)
        stablehlo.register_dialect(context)
        chlo.register_dialect(context)
        context.load_all_available_dialects()
        _mlir_context = context
    module = ir.Module.parse(text, _mlir_context)
    return module.operation.get_asm(enable_debug_info=debug_info)


def supported_platform_names() -> Sequence[str]:
    return ("cpu", *PLUGIN_MODULES, "tpu")
