"""The cache of transformed jaxprs: per closed jaxpr (held weakly) and key, the jvp,
partial evaluation or transpose of that jaxpr. A body transformed twice is then the same
object, so it is traced once and the backend compiles it once."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

from kiln.core.jaxpr import ClosedJaxpr
from kiln.core.tracing import Tracer


class JaxprCache:
    """Results of one transformation of closed jaxprs, by jaxpr and key."""

    def __init__(self) -> None:
        self._entries: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def get(self, closed: ClosedJaxpr, key: Any) -> Any:
        per_jaxpr = self._entries.get(closed)
        return None if per_jaxpr is None else per_jaxpr.get(key)

    def put(self, closed: ClosedJaxpr, key: Any, result: Any, consts: Sequence[Any]) -> Any:
        """Remember ``result`` unless its ``consts`` hold tracers (values of one trace)."""
        if not any(isinstance(c, Tracer) for c in consts):
            per_jaxpr = self._entries.get(closed)
            if per_jaxpr is None:
                per_jaxpr = self._entries[closed] = {}
            per_jaxpr[key] = result
        return result
