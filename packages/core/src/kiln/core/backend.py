"""Backends: the plugin interface, and the registry that finds plugins through the
``kiln.backends`` entry-point group and picks the default.

A plugin is a :class:`Backend` subclass named by an entry point. Its ``discover()`` says which
platforms it can serve on this machine and with what priority (cheaply: no clients made);
``Backend(platform)`` makes one. The default backend is the first available platform named
by ``jax_platforms`` (``JAX_PLATFORMS=numpy`` forces the reference backend), else the one of
highest priority.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any

import numpy as np

from kiln.core.abstract import ShapedArray
from kiln.core.config import config
from kiln.core.config import values as config_values
from kiln.core.jaxpr import ClosedJaxpr

ENTRY_POINT_GROUP = "kiln.backends"


class Device:
    """One device of a backend (``CpuDevice(id=0)``...)."""

    platform: str = "unknown"
    device_kind: str = "unknown"
    process_index: int = 0

    def __init__(self, backend: Backend, id: int):
        self.backend = backend
        self.id = id

    @property
    def client(self) -> Backend:
        return self.backend

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id})"

    def __str__(self) -> str:
        return f"{self.platform}:{self.id}"


class Backend:
    """The interface a backend plugin implements.

    ``name`` names the plugin (``numpy``, ``xla``); ``platform`` the hardware it drives
    (``numpy``, ``cpu``, ``cuda``...). Lowering rules a backend consumes are registered with
    ``kiln.core.register_lowering(prim, rule, backend=name)``.
    """

    name: str = "abstract"
    platform: str = "abstract"

    @classmethod
    def discover(cls) -> dict[str, int]:
        """``{platform: priority}`` for each platform this plugin can serve here."""
        raise NotImplementedError

    def __init__(self, platform: str):
        self.platform = platform

    def devices(self) -> list[Device]:
        raise NotImplementedError

    def device_put(self, value: Any, aval: ShapedArray, device: Device | None = None) -> Any:
        """Copy ``value`` (a NumPy array, or an Array of any backend) to ``device``,
        returning an Array of this backend with abstract value ``aval``."""
        raise NotImplementedError

    def apply_primitive(self, prim: Any, args: Sequence[Any], params: dict) -> Any:
        """Run one primitive eagerly on concrete arguments."""
        raise NotImplementedError

    def compile(
        self, closed: ClosedJaxpr, *, donate_argnums: Sequence[int] = (), device: Any = None
    ) -> Callable[..., list[Any]]:
        """Compile a closed jaxpr into a callable from flat arguments to flat outputs."""
        raise NotImplementedError

    def supports(self, prim: Any) -> bool:
        """Whether this backend runs ``prim`` (directly, or through its decomposition)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} platform={self.platform}>"


# -- the registry ----------------------------------------------------------------------------

_plugins: dict[str, type[Backend]] | None = None  # entry-point name -> plugin class
_available: dict[str, tuple[type[Backend], int]] | None = None  # platform -> (plugin, priority)
_backends: dict[str, Backend] = {}  # platform -> instance
_default: Backend | None = None


def _load_plugins() -> dict[str, type[Backend]]:
    global _plugins
    if _plugins is None:
        _plugins = {}
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            try:
                _plugins[ep.name] = ep.load()
            except Exception as e:  # a broken plugin must not break kiln
                warnings.warn(f"kiln backend plugin {ep.name!r} failed to load: {e}",
                              stacklevel=2)
        if "numpy" not in _plugins:  # running from a source tree without installed metadata
            from kiln.core.numpy_backend import NumpyBackend

            _plugins["numpy"] = NumpyBackend
    return _plugins


def register_plugin(name: str, plugin: type[Backend]) -> None:
    """Register a backend plugin directly (entry points are the usual way)."""
    _load_plugins()[name] = plugin
    _reset()


def available_platforms() -> dict[str, tuple[type[Backend], int]]:
    global _available
    if _available is None:
        _available = {}
        for name, plugin in _load_plugins().items():
            try:
                found = plugin.discover()
            except Exception as e:
                warnings.warn(f"kiln backend plugin {name!r} failed to discover platforms: {e}",
                              stacklevel=2)
                continue
            for platform, priority in found.items():
                if platform not in _available or _available[platform][1] < priority:
                    _available[platform] = (plugin, priority)
    return _available


_PLATFORM_ALIASES = {"gpu": ("cuda", "rocm"), "host": ("cpu",)}


def _requested_platforms() -> list[str] | None:
    text = config_values.platforms or config_values.platform_name
    if not text:
        return None
    out = []
    for name in text.split(","):
        name = name.strip().lower()
        out.extend(_PLATFORM_ALIASES.get(name, (name,)))
    return out


def get_backend(platform: str | None = None) -> Backend:
    """The backend serving ``platform`` (``"cpu"``, ``"numpy"``, ``"gpu"``...), or the
    default backend."""
    if platform is None:
        return default_backend_instance()
    if isinstance(platform, Backend):
        return platform
    platform = platform.lower()
    for candidate in _PLATFORM_ALIASES.get(platform, (platform,)):
        backend = _backends.get(candidate)
        if backend is not None:
            return backend
        entry = available_platforms().get(candidate)
        if entry is not None:
            backend = _backends[candidate] = entry[0](candidate)
            return backend
    known = ", ".join(sorted(available_platforms())) or "none"
    raise RuntimeError(
        f"Unknown backend {platform}. Available backends are: {known}. Install kiln-compiler "
        "for 'cpu' (and its GPU/TPU plugins for 'cuda'/'rocm'/'tpu'); 'numpy' is always there."
    )


def default_backend_instance() -> Backend:
    global _default
    if _default is None:
        requested = _requested_platforms()
        available = available_platforms()
        if requested:
            names = [p for p in requested if p in available]
            if not names:
                raise RuntimeError(
                    f"Unable to initialize backend(s) {', '.join(requested)} requested by "
                    f"jax_platforms; available: {', '.join(sorted(available))}"
                )
            _default = get_backend(names[0])
        else:
            _default = _best_backend(available)
    return _default


def _best_backend(available: dict[str, tuple[type[Backend], int]]) -> Backend:
    """The available backend of highest priority that starts; a platform whose client fails
    to start (a broken GPU plugin, say) is skipped with a warning, as JAX does."""
    ranked = sorted(available, key=lambda p: available[p][1], reverse=True)
    for platform in ranked:
        try:
            return get_backend(platform)
        except Exception as e:
            if platform == ranked[-1]:
                raise
            warnings.warn(f"kiln: the {platform} backend failed to start ({e}); falling back "
                          "to the next available one", stacklevel=3)
    raise RuntimeError("no kiln backend is available")


def default_backend() -> str:
    """The platform name of the default backend, as ``jax.default_backend()``."""
    return default_backend_instance().platform


def devices(backend: str | None = None) -> list[Device]:
    return get_backend(backend).devices()


def local_devices(process_index: int | None = None, backend: str | None = None) -> list[Device]:
    return devices(backend)


def device_count(backend: str | None = None) -> int:
    return len(devices(backend))


def local_device_count(backend: str | None = None) -> int:
    return device_count(backend)


def process_index() -> int:
    return 0


def process_count() -> int:
    return 1


def _reset(*_: Any) -> None:
    global _available, _default
    _available = None
    _default = None


def _on_config_change(name: str, value: Any) -> None:
    if name in ("platforms", "platform_name"):
        _default_changed()


def _default_changed() -> None:
    global _default
    _default = None


config.add_listener(_on_config_change)


def host_value(x: Any) -> np.ndarray:
    """``x`` as a NumPy array on the host (Arrays of any backend, NumPy values, scalars)."""
    value = getattr(x, "_value", None)
    return value if value is not None else np.asarray(x)
