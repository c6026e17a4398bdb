"""Compiling StableHLO text to loaded executables, through two caches: an in-memory one
keyed by (module text, device), and the persistent one on disk (``persistent_cache``)."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Any

from kiln.compiler import jaxlib_api as api
from kiln.compiler.persistent_cache import PersistentCache, entry_key
from kiln.core.config import values as config_values

logger = logging.getLogger("kiln.compiler")

MEMORY_CACHE_SIZE = 4096
_memory: OrderedDict[tuple[str, Any], Any] = OrderedDict()

# Counters for tests and diagnostics.
stats = {"compiled": 0, "memory_hits": 0, "disk_hits": 0, "disk_writes": 0}


def clear_memory_cache() -> None:
    _memory.clear()


def compile_module(client: Any, device: Any, text: str, name: str = "") -> Any:
    """A loaded executable of ``text`` on ``device``: cached in memory, then on disk, then
    compiled by XLA."""
    key = (text, device)
    exe = _memory.get(key)
    if exe is not None:
        _memory.move_to_end(key)
        stats["memory_hits"] += 1
        return exe
    exe = _compile_through_disk(client, device, text, name)
    _memory[key] = exe
    if len(_memory) > MEMORY_CACHE_SIZE:
        _memory.popitem(last=False)
    return exe


def _disk_cache() -> PersistentCache | None:
    directory = config_values.compilation_cache_dir
    if not directory or not config_values.enable_compilation_cache:
        return None
    return PersistentCache(directory)


def _compile_through_disk(client: Any, device: Any, text: str, name: str) -> Any:
    options = api.compile_options(device)
    disk = _disk_cache()
    key = None
    if disk is not None:
        key = entry_key(text, api.serialize_compile_options(options),
                        api.cache_fingerprint(client, device))
        payload = disk.get(key)
        if payload is not None:
            try:
                exe = api.deserialize_executable(client, payload, device, options)
            except Exception as e:  # written by another jaxlib, damaged in a valid frame...
                disk.report_unusable(key, e)
            else:
                stats["disk_hits"] += 1
                return exe
    if config_values.log_compiles:
        logger.warning("Compiling %s for %s", name or "computation", device)
    start = time.perf_counter()
    exe = api.compile(client, text, device, options)
    elapsed = time.perf_counter() - start
    stats["compiled"] += 1
    if disk is not None and elapsed >= config_values.persistent_cache_min_compile_time_secs:
        payload = api.serialize_executable(exe)
        if len(payload) >= config_values.persistent_cache_min_entry_size_bytes:
            disk.put(key, payload)
            stats["disk_writes"] += 1
    return exe
