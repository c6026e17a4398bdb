"""Per-structure caches of generated code, compiled once a structure is "hot".

Generating and compiling Python source for a structure costs roughly as much as 60
runs of the generic interpreted walk, so a :class:`HotCache` counts how often each
structure is used and compiles it on its ``2 + num_nodes // 256``-th use (at most the
64th): small structures almost at once, large ones once they have proved hot.
Structures too deep or too large for generated code get the generic fallback instead.

Entries are keyed by treedef (which hashes and compares by structure), bounded in
number (oldest evicted first), and dropped whenever the node registry changes. The
most recently used compiled entry is also remembered by spec, so a fresh treedef with
the same structure (e.g. ``tree_map`` over the same tree again) is matched with one
equality test instead of a hash and a dictionary probe.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiln.tree_util.registry import on_registry_change
from kiln.tree_util.spec import Spec, depth

__all__ = ["HotCache"]

_MIN_USES = 2
_NODES_PER_USE = 256
_MAX_USES = 64
_MAX_DEPTH = 60  # deeper specs would nest generated expressions past parser limits
_MAX_NODES = 200_000
_LIMIT = 1024


class HotCache:
    """Maps structures to compiled functions, compiling on demand when hot.

    Parameters
    ----------
    compile
        ``compile(spec) -> function`` generating the specialised function.
    fallback
        Function with the same signature used for structures that are too deep or
        too large to compile.
    """

    def __init__(self, compile: Callable[[Spec], Any], fallback: Any) -> None:
        self._compile = compile
        self._fallback = fallback
        self._entries: dict[Any, Any] = {}
        self._recent: tuple[Any, Any] = (None, None)
        on_registry_change(self.clear)

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()
        self._recent = (None, None)

    def get(self, treedef: Any, spec: Spec, num_nodes: Callable[[], int]) -> Any:
        """Return the compiled function for this structure, or None while it is cold."""
        recent_spec, recent_fn = self._recent
        if recent_spec is not None and (recent_spec is spec or recent_spec == spec):
            return recent_fn
        entries = self._entries
        entry = entries.get(treedef)
        if entry is None:
            if len(entries) >= _LIMIT:
                try:  # evict the oldest entry (tolerating concurrent updates)
                    del entries[next(iter(entries))]
                except (KeyError, RuntimeError, StopIteration):
                    pass
            entries[treedef] = 1
            return None
        if type(entry) is not int:
            self._recent = (spec, entry)
            return entry
        nodes = num_nodes()
        uses = min(_MIN_USES + nodes // _NODES_PER_USE, _MAX_USES)
        if entry + 1 < uses:
            entries[treedef] = entry + 1
            return None
        if nodes > _MAX_NODES or depth(spec) > _MAX_DEPTH:
            fn = self._fallback
        else:
            fn = self._compile(spec)
        entries[treedef] = fn
        self._recent = (spec, fn)
        return fn
