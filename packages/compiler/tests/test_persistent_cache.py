"""The persistent compilation cache: entries written and read back, and damaged entries
(truncated, corrupted, unreadable by jaxlib) recompiled with a warning."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import kiln
from kiln import lax
from kiln.compiler import compilation
from kiln.compiler.persistent_cache import MAGIC, CacheWarning, PersistentCache, entry_key
from kiln.core.backend import get_backend
from kiln.core.config import config


@pytest.fixture
def cache_dir(tmp_path: Path):
    with config.override("jax_compilation_cache_dir", str(tmp_path)), \
            config.override("jax_persistent_cache_min_compile_time_secs", 0.0):
        compilation.clear_memory_cache()
        yield tmp_path
    compilation.clear_memory_cache()


def run_fresh(scale: float) -> np.ndarray:
    """Compile and run a new function (a new jit, and the memory cache emptied)."""
    compilation.clear_memory_cache()
    f = kiln.jit(lambda a: lax.mul(lax.sin(a), scale), backend="cpu")
    return np.asarray(f(np.arange(3, dtype=np.float32)))


def entries(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.name.startswith("kiln-xla-"))


def test_entries_are_written_and_read_back(cache_dir: Path) -> None:
    expected = np.sin(np.arange(3, dtype=np.float32)) * 3
    writes, hits = compilation.stats["disk_writes"], compilation.stats["disk_hits"]
    np.testing.assert_allclose(run_fresh(3.0), expected, rtol=1e-6)
    assert compilation.stats["disk_writes"] == writes + 1
    assert len(entries(cache_dir)) == 1
    np.testing.assert_allclose(run_fresh(3.0), expected, rtol=1e-6)
    assert compilation.stats["disk_hits"] == hits + 1


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty", "bad_payload"])
def test_damaged_entries_are_recompiled_with_a_warning(cache_dir: Path, damage: str) -> None:
    expected = np.sin(np.arange(3, dtype=np.float32)) * 5
    run_fresh(5.0)
    (path,) = entries(cache_dir)
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        body = bytearray(data)
        body[len(body) // 2] ^= 0xFF
        path.write_bytes(bytes(body))
    elif damage == "garbage":
        path.write_bytes(b"not a cache entry at all" * 10)
    elif damage == "empty":
        path.write_bytes(b"")
    else:  # a well-formed entry whose payload jaxlib cannot load
        import hashlib
        import struct

        payload = b"\x00" * 64
        header = struct.pack("<8sQ32s", MAGIC, len(payload), hashlib.sha256(payload).digest())
        path.write_bytes(header + payload)
    with pytest.warns(CacheWarning, match="recompiling"):
        result = run_fresh(5.0)
    np.testing.assert_allclose(result, expected, rtol=1e-6)
    # The entry was replaced by a good one.
    hits = compilation.stats["disk_hits"]
    np.testing.assert_allclose(run_fresh(5.0), expected, rtol=1e-6)
    assert compilation.stats["disk_hits"] == hits + 1


def test_short_compilations_are_not_persisted_by_default(tmp_path: Path) -> None:
    with config.override("jax_compilation_cache_dir", str(tmp_path)):
        run_fresh(7.0)
    assert entries(tmp_path) == []  # took less than jax_persistent_cache_min_compile_time_secs
    compilation.clear_memory_cache()


def test_keys_depend_on_everything() -> None:
    base = entry_key("module", b"opts", "jaxlib 0.10.2|cpu")
    assert base != entry_key("module2", b"opts", "jaxlib 0.10.2|cpu")
    assert base != entry_key("module", b"opts2", "jaxlib 0.10.2|cpu")
    assert base != entry_key("module", b"opts", "jaxlib 0.10.3|cpu")
    assert base == entry_key("module", b"opts", "jaxlib 0.10.2|cpu")


def test_cache_object_round_trip(tmp_path: Path) -> None:
    cache = PersistentCache(tmp_path / "nested" / "dir")
    assert cache.get("kiln-xla-x") is None
    cache.put("kiln-xla-x", b"payload")
    assert cache.get("kiln-xla-x") == b"payload"


def test_cache_directory_from_the_environment(tmp_path: Path) -> None:
    script = textwrap.dedent("""
        import numpy as np, kiln
        from kiln import lax
        from kiln.compiler import compilation
        f = kiln.jit(lambda a: lax.cos(lax.mul(a, 3.0)))
        print(float(f(np.float32(1.0))), compilation.stats["disk_hits"])
    """)
    env = dict(os.environ, JAX_COMPILATION_CACHE_DIR=str(tmp_path),
               JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0", JAX_PLATFORMS="cpu")
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           env=env, timeout=300) for _ in range(2)]
    for r in runs:
        assert r.returncode == 0, r.stderr
    (first, first_hits), (second, second_hits) = (r.stdout.split() for r in runs)
    assert first == second and first_hits == "0" and second_hits == "1"


def test_in_memory_cache_shares_executables_between_identical_modules() -> None:
    backend = get_backend("cpu")
    x = np.ones(2, np.float32)
    f = kiln.jit(lambda a: lax.exp(a), backend="cpu")
    g = kiln.jit(lambda a: lax.exp(a), backend="cpu")
    f(x)
    hits = compilation.stats["memory_hits"]
    g(x)
    assert compilation.stats["memory_hits"] == hits + 1
    assert backend.platform == "cpu"
