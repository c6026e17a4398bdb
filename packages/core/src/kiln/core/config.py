"""kiln's configuration: JAX's option names and environment variables, next to kiln's own.

Every option has a JAX name (``jax_enable_x64``), a kiln alias (``kiln_enable_x64``) and reads
its initial value from ``JAX_ENABLE_X64`` or ``KILN_ENABLE_X64``. Hot paths read the current
value as a plain attribute of :data:`values` (``values.enable_x64``), never through a lookup.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


def _parse_bool(text: Any) -> bool:
    if isinstance(text, bool):
        return text
    lowered = str(text).strip().lower()
    if lowered in ("1", "true", "t", "yes", "y", "on"):
        return True
    if lowered in ("0", "false", "f", "no", "n", "off", ""):
        return False
    raise ValueError(f"invalid truth value {text!r}")


def _parse_optional_str(text: Any) -> str | None:
    return None if text in (None, "") else str(text)


@dataclass(frozen=True)
class Option:
    short: str  # the attribute of `values`: "enable_x64"
    default: Any
    parse: Callable[[Any], Any]
    help: str
    affects_tracing: bool = False  # part of jit's cache key
    choices: tuple | None = None

    @property
    def jax_name(self) -> str:
        return "jax_" + self.short


_OPTIONS = [
    Option("enable_x64", False, _parse_bool, "Enable 64-bit dtypes (float64, int64, ...).",
           affects_tracing=True),
    Option("disable_jit", False, _parse_bool, "Run jit-decorated functions op by op."),
    Option("platforms", None, _parse_optional_str,
           "Comma-separated backends/platforms to use, in order of preference (e.g. 'cpu')."),
    Option("platform_name", None, _parse_optional_str, "Deprecated alias of jax_platforms."),
    Option("debug_nans", False, _parse_bool, "Raise FloatingPointError when an op makes a NaN.",
           affects_tracing=True),
    Option("debug_infs", False, _parse_bool, "Raise FloatingPointError when an op makes an inf.",
           affects_tracing=True),
    Option("default_matmul_precision", None, _parse_optional_str,
           "Default precision of dot_general and convolutions.", affects_tracing=True,
           choices=(None, "default", "high", "highest", "bfloat16", "tensorfloat32", "float32",
                    "bfloat16_3x", "fastest")),
    Option("numpy_rank_promotion", "allow", str, "Implicit rank promotion in kiln.numpy.",
           affects_tracing=True, choices=("allow", "warn", "raise")),
    Option("numpy_dtype_promotion", "standard", str, "Type promotion rules of kiln.numpy.",
           affects_tracing=True, choices=("standard", "strict")),
    Option("threefry_partitionable", True, _parse_bool,
           "Generate random bits the partitionable way (JAX's default since 0.5).",
           affects_tracing=True),
    Option("default_prng_impl", "threefry2x32", str, "The PRNG implementation of new keys.",
           affects_tracing=True),
    Option("enable_checks", False, _parse_bool, "Type-check jaxprs as they are built."),
    Option("check_tracer_leaks", False, _parse_bool, "Look for leaked tracers eagerly."),
    Option("traceback_filtering", "auto", str, "Hide kiln's internal frames in tracebacks.",
           choices=("auto", "off", "tracebackhide", "remove_frames", "quiet_remove_frames")),
    Option("compilation_cache_dir", None, _parse_optional_str,
           "Directory of the persistent compilation cache."),
    Option("enable_compilation_cache", True, _parse_bool, "Use the persistent compilation cache."),
    Option("persistent_cache_min_compile_time_secs", 1.0, float,
           "Only persist executables that took at least this long to compile."),
    Option("persistent_cache_min_entry_size_bytes", 0, int,
           "Only persist executables at least this large."),
    Option("log_compiles", False, _parse_bool, "Log each compilation."),
    Option("default_device", None, lambda v: v, "Device that uncommitted values are placed on."),
    Option("num_cpu_devices", -1, int, "Number of CPU devices (-1: the backend's default)."),
    Option("cpu_enable_async_dispatch", True, _parse_bool,
           "Return from CPU computations before they finish."),
]


_trace_key_ids: dict[tuple, int] = {}


class Values:
    """Current option values, as plain attributes for fast reads (``values.enable_x64``)."""

    trace_key: int = 0

    def __repr__(self) -> str:
        fields = ", ".join(f"{o.short}={getattr(self, o.short)!r}" for o in _OPTIONS)
        return f"Values({fields})"


values = Values()


class Config:
    """JAX's ``jax.config``: ``config.update(name, value)``, ``config.jax_enable_x64``, ...

    Names may be given as ``jax_<option>`` or ``kiln_<option>``.
    """

    def __init__(self, options: list[Option]):
        self._options = {o.short: o for o in options}
        self._listeners: list[Callable[[str, Any], None]] = []
        for option in options:
            setattr(values, option.short, option.default)
            for env in ("JAX_" + option.short.upper(), "KILN_" + option.short.upper()):
                if env in os.environ:
                    setattr(values, option.short, option.parse(os.environ[env]))
        self._refresh_trace_key()

    def _option(self, name: str) -> Option:
        for prefix in ("jax_", "kiln_"):
            if name.startswith(prefix) and name[len(prefix):] in self._options:
                return self._options[name[len(prefix):]]
        raise AttributeError(f"Unrecognized config option: {name}")

    def update(self, name: str, value: Any) -> None:
        option = self._option(name)
        value = option.parse(value) if value is not None or option.default is not None else None
        if option.choices is not None and value not in option.choices:
            raise ValueError(
                f"Invalid value {value!r} for {option.jax_name}; expected one of {option.choices}"
            )
        setattr(values, option.short, value)
        if option.affects_tracing:
            self._refresh_trace_key()
        for listener in self._listeners:
            listener(option.short, value)

    def read(self, name: str) -> Any:
        return getattr(values, self._option(name).short)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name == "x64_enabled":
            return values.enable_x64
        return self.read(name)

    @property
    def values(self) -> dict[str, Any]:
        return {o.jax_name: getattr(values, o.short) for o in self._options.values()}

    def add_listener(self, listener: Callable[[str, Any], None]) -> None:
        """Call ``listener(short_name, value)`` after every update (backends use this)."""
        self._listeners.append(listener)

    @contextlib.contextmanager
    def override(self, name: str, value: Any) -> Iterator[None]:
        """Set an option for the duration of a ``with`` block."""
        previous = self.read(name)
        self.update(name, value)
        try:
            yield
        finally:
            self.update(name, previous)

    def _refresh_trace_key(self) -> None:
        # Options that change what tracing produces; jit's cache key includes them, as a
        # small int naming the combination (cheaper to hash than the tuple itself).
        combination = tuple(
            getattr(values, o.short) for o in self._options.values() if o.affects_tracing
        )
        values.trace_key = _trace_key_ids.setdefault(combination, len(_trace_key_ids))

    def __dir__(self) -> list[str]:
        return sorted(o.jax_name for o in self._options.values()) + ["update", "read", "values"]


config = Config(_OPTIONS)


def enable_x64(new_val: bool = True) -> contextlib.AbstractContextManager:
    """Context manager enabling (or disabling) 64-bit types inside a ``with`` block."""
    return config.override("jax_enable_x64", new_val)


def disable_jit(disable: bool = True) -> contextlib.AbstractContextManager:
    """Context manager running jit-decorated functions op by op inside a ``with`` block."""
    return config.override("jax_disable_jit", disable)


def default_matmul_precision(precision: str | None) -> contextlib.AbstractContextManager:
    return config.override("jax_default_matmul_precision", precision)


def debug_nans(enabled: bool = True) -> contextlib.AbstractContextManager:
    return config.override("jax_debug_nans", enabled)


def numpy_rank_promotion(mode: str) -> contextlib.AbstractContextManager:
    return config.override("jax_numpy_rank_promotion", mode)


def numpy_dtype_promotion(mode: str) -> contextlib.AbstractContextManager:
    return config.override("jax_numpy_dtype_promotion", mode)


def threefry_partitionable(enabled: bool = True) -> contextlib.AbstractContextManager:
    return config.override("jax_threefry_partitionable", enabled)
