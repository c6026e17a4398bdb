"""Finding PJRT plugins (GPU, TPU) without importing them, and making their clients.

A plugin is a shared library implementing the PJRT C API. JAX's plugin distributions install
them where kiln can find them without importing ``jax``:

- CUDA / ROCm: a module of the ``jax_plugins`` namespace package (``jax_plugins.xla_cuda12``
  from ``jax-cuda12-pjrt``, ``jax_plugins.xla_cuda13``, ``jax_plugins.xla_rocm7`` ...), also
  listed in the ``jax_plugins`` entry-point group, holding ``xla_*_plugin.so``. kiln loads the
  library itself (the module's ``initialize()`` imports jax, so kiln never calls it).
- TPU: the ``libtpu`` package (``libtpu/libtpu.so``), or ``TPU_LIBRARY_PATH``.
- Any platform: ``PJRT_NAMES_AND_LIBRARY_PATHS=name:/path/lib.so,...``.

Discovery is cheap: it looks for files, and for the hardware (``/dev/nvidia*``, ``/dev/kfd``,
``/dev/accel*``/``/dev/vfio``), so an installed plugin on a machine without the device is not
offered as the default backend. Making the client happens only when the backend is used.
"""

from __future__ import annotations

import glob
import importlib.util
import os
from importlib import metadata

from kiln.compiler import jaxlib_api as api

PRIORITIES = {"cpu": 100, "cuda": 200, "rocm": 200, "tpu": 300}


def _platform_of_module(name: str) -> str | None:
    leaf = name.rsplit(".", 1)[-1]
    for platform, modules in api.PLUGIN_MODULES.items():
        if leaf in modules or platform in leaf:
            return platform
    return None


def _module_library(module_name: str) -> str | None:
    """The shared library inside a plugin module's folder, found without importing it."""
    try:
        spec = importlib.util.find_spec(module_name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    folders = list(spec.submodule_search_locations or [])
    if not folders and spec.origin:
        folders = [os.path.dirname(spec.origin)]
    for folder in folders:
        found = sorted(glob.glob(os.path.join(folder, "*.so")))
        if found:
            return found[0]
    return None


def _from_environment() -> dict[str, str]:
    out = {}
    text = os.environ.get(api.PLUGIN_PATHS_ENV, "")
    for item in filter(None, (s.strip() for s in text.split(","))):
        name, _, path = item.partition(":")
        if name and path:
            out[name.strip().lower()] = path.strip()
    tpu = os.environ.get("TPU_LIBRARY_PATH")
    if tpu:
        out.setdefault("tpu", tpu)
    return out


def _plugin_module_names() -> list[str]:
    names = [f"{api.PLUGIN_NAMESPACE}.{m}" for ms in api.PLUGIN_MODULES.values() for m in ms]
    try:
        for ep in metadata.entry_points(group=api.PLUGIN_ENTRY_POINT_GROUP):
            if ep.value not in names:
                names.append(ep.value.split(":")[0])
    except Exception:  # broken metadata must not break discovery
        pass
    return names


def find_plugin_libraries() -> dict[str, str]:
    """``{platform: shared library path}`` of the installed PJRT plugins (not loaded)."""
    found = _from_environment()
    for module_name in _plugin_module_names():
        platform = _platform_of_module(module_name)
        if platform is None or platform in found:
            continue
        path = _module_library(module_name)
        if path is not None:
            found[platform] = path
    if "tpu" not in found:
        path = _module_library(api.TPU_PACKAGE)
        if path is not None and os.path.basename(path) == api.TPU_LIBRARY:
            found["tpu"] = path
        elif path is not None:
            candidate = os.path.join(os.path.dirname(path), api.TPU_LIBRARY)
            if os.path.exists(candidate):
                found["tpu"] = candidate
    return found


def hardware_present(platform: str) -> bool:
    """Whether this machine seems to have the device (a cheap look at /dev)."""
    if platform == "cuda":
        return os.path.exists("/dev/nvidiactl") or bool(glob.glob("/dev/nvidia[0-9]*"))
    if platform == "rocm":
        return os.path.exists("/dev/kfd")
    if platform == "tpu":
        return bool(glob.glob("/dev/accel*") or glob.glob("/dev/vfio/[0-9]*"))
    return True


def discover() -> dict[str, int]:
    """``{platform: priority}``: ``cpu`` always, plugins whose library and device exist."""
    platforms = {"cpu": PRIORITIES["cpu"]}
    for platform, _path in find_plugin_libraries().items():
        if hardware_present(platform):
            platforms[platform] = PRIORITIES.get(platform, 150)
    return platforms


def make_client(platform: str, num_cpu_devices: int | None = None,
                asynchronous: bool = True) -> api.Client:
    """The PJRT client of ``platform`` (loading its plugin the first time)."""
    if platform == "cpu":
        return api.make_cpu_client(num_devices=num_cpu_devices, asynchronous=asynchronous)
    path = find_plugin_libraries().get(platform)
    if path is None:
        raise RuntimeError(
            f"Unable to initialize backend '{platform}': no PJRT plugin for it is installed "
            "(e.g. pip install jax-cuda12-pjrt for cuda, libtpu for tpu)")
    try:
        return api.make_plugin_client(platform, path, api.plugin_options(platform))
    except Exception as e:
        raise RuntimeError(
            f"Unable to initialize backend '{platform}' from the PJRT plugin {path}: {e}"
        ) from e
