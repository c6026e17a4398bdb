"""The persistent compilation cache: serialized executables in a directory on disk.

Set ``jax_compilation_cache_dir`` (or ``JAX_COMPILATION_CACHE_DIR``) to use it. Each entry is
one file named by a hash of everything the executable depends on (module text, compile
options, jaxlib version, platform and device kind, ``XLA_FLAGS``), written atomically, with a
header holding the payload's length and SHA-256: a truncated or corrupted entry is detected
before jaxlib sees it, reported with ``warnings.warn``, and replaced by a fresh compilation.
As in JAX, only executables that took at least ``jax_persistent_cache_min_compile_time_secs``
to compile (default 1 s) and are at least ``jax_persistent_cache_min_entry_size_bytes`` long
are written.
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
import warnings
from pathlib import Path

MAGIC = b"KILNXLA1"
_HEADER = struct.Struct("<8sQ32s")  # magic, payload length, sha256 of payload


class CacheWarning(UserWarning):
    """A persistent-cache entry could not be used (it is recompiled)."""


def entry_key(module_text: str, options: bytes, fingerprint: str) -> str:
    h = hashlib.sha256()
    for part in (module_text.encode(), options, fingerprint.encode()):
        h.update(struct.pack("<Q", len(part)))
        h.update(part)
    return "kiln-xla-" + h.hexdigest()


class PersistentCache:
    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory).expanduser()

    def path(self, key: str) -> Path:
        return self.directory / key

    def get(self, key: str) -> bytes | None:
        """The payload stored under ``key``; None when absent or unusable (with a warning
        saying why, when an entry exists but is damaged)."""
        path = self.path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as e:
            warnings.warn(f"kiln: cannot read compilation cache entry {path}: {e}; "
                          "recompiling", CacheWarning, stacklevel=4)
            return None
        problem = _check(data)
        if problem is not None:
            warnings.warn(f"kiln: compilation cache entry {path} is {problem}; recompiling "
                          "and replacing it", CacheWarning, stacklevel=4)
            return None
        return data[_HEADER.size:]

    def put(self, key: str, payload: bytes) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            header = _HEADER.pack(MAGIC, len(payload), hashlib.sha256(payload).digest())
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-" + key[:24])
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(header)
                    f.write(payload)
                os.replace(tmp, self.path(key))
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except OSError as e:
            warnings.warn(f"kiln: cannot write compilation cache entry in {self.directory}: "
                          f"{e}", CacheWarning, stacklevel=4)

    def report_unusable(self, key: str, error: Exception) -> None:
        warnings.warn(f"kiln: compilation cache entry {self.path(key)} could not be loaded "
                      f"({type(error).__name__}: {error}); recompiling and replacing it",
                      CacheWarning, stacklevel=4)


def _check(data: bytes) -> str | None:
    if len(data) < _HEADER.size:
        return "truncated (shorter than its header)"
    magic, length, digest = _HEADER.unpack_from(data)
    if magic != MAGIC:
        return "corrupted (bad header)"
    payload = memoryview(data)[_HEADER.size:]
    if len(payload) != length:
        return f"truncated ({len(payload)} of {length} bytes)"
    if hashlib.sha256(payload).digest() != digest:
        return "corrupted (checksum mismatch)"
    return None
