"""The structure encoding ("spec") stored inside every PyTreeDef.

A spec is plain nested tuples, built bottom-up by the flattener:

* ``LEAF`` (a singleton sentinel) -- one leaf;
* ``(node_type, data, children)`` -- an internal node, where ``children`` is a tuple
  of child specs and ``data`` is ``None`` for ``None``/tuple/list/namedtuple nodes,
  the sorted key tuple for dicts, and the auxiliary data for custom and dataclass
  nodes.

Because specs are tuples, equality and hashing run at C speed, and sub-structures can
be shared: every all-leaf container of length ``n < 64`` uses the same children tuple
``leaves_tuple(n)``. This module holds the sentinel, the shared tuples and the small
walkers (counting, rendering, node data) that treat specs as data.
"""

from __future__ import annotations

from typing import Any

from kiln.tree_util.registry import (
    CUSTOM,
    DATACLASS,
    DICT,
    LIST,
    NAMEDTUPLE,
    NONE,
    TUPLE,
    NodeEntry,
    classify,
)

__all__ = [
    "LEAF",
    "NONE_SPEC",
    "Spec",
    "count",
    "depth",
    "entry_of",
    "leaves_tuple",
    "node_data",
    "render",
    "skeleton_hash",
]

Spec = Any


class _Leaf:
    """The leaf marker in specs. Pickles by reference to this module's ``LEAF``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "*"

    def __reduce__(self) -> str:
        return "LEAF"

    def __copy__(self) -> _Leaf:
        return self

    def __deepcopy__(self, memo: Any) -> _Leaf:
        return self


LEAF = _Leaf()

NONE_SPEC = (type(None), None, ())

_SHARED = 64
_LEAVES: list[tuple[_Leaf, ...]] = [(LEAF,) * n for n in range(_SHARED)]


def leaves_tuple(n: int) -> tuple[_Leaf, ...]:
    """Return a tuple of ``n`` LEAF markers (shared for small ``n``)."""
    return _LEAVES[n] if n < _SHARED else (LEAF,) * n


def entry_of(node_type: type) -> NodeEntry:
    """Return the registry entry for a node type found in a spec."""
    entry = classify(node_type)
    if entry is None:
        raise TypeError(f"{node_type!r} is not a registered pytree node type")
    return entry


def count(spec: Spec) -> tuple[int, int]:
    """Return ``(num_leaves, num_nodes)`` of a spec (nodes include leaves)."""
    if spec is LEAF:
        return 1, 1
    leaves = 0
    nodes = 1
    for child in spec[2]:
        if child is LEAF:
            leaves += 1
            nodes += 1
        else:
            cl, cn = count(child)
            leaves += cl
            nodes += cn
    return leaves, nodes


def depth(spec: Spec) -> int:
    """Return the nesting depth of a spec (a leaf has depth 0)."""
    if spec is LEAF:
        return 0
    best = 0
    for child in spec[2]:
        if child is not LEAF:
            d = depth(child)
            if d > best:
                best = d
    return best + 1


def node_data(spec: Spec) -> tuple[type, Any] | None:
    """Return JAX's ``node_data()`` for the root of ``spec``."""
    if spec is LEAF:
        return None
    node_type, data, _ = spec
    if node_type is dict:
        return dict, list(data)
    return node_type, data


def render(spec: Spec) -> str:
    """Render a spec in JAX's treedef notation, e.g. ``(*, {'a': *})``."""
    parts: list[str] = []
    _render(spec, parts)
    return "".join(parts)


def _render(spec: Spec, out: list[str]) -> None:
    if spec is LEAF:
        out.append("*")
        return
    node_type, data, children = spec
    kind = entry_of(node_type).kind
    if kind == NONE:
        out.append("None")
    elif kind == TUPLE:
        out.append("(")
        for i, child in enumerate(children):
            if i:
                out.append(", ")
            _render(child, out)
        out.append(",)" if len(children) == 1 else ")")
    elif kind == LIST:
        out.append("[")
        for i, child in enumerate(children):
            if i:
                out.append(", ")
            _render(child, out)
        out.append("]")
    elif kind == DICT:
        out.append("{")
        for i, (key, child) in enumerate(zip(data, children)):
            if i:
                out.append(", ")
            out.append(repr(key))
            out.append(": ")
            _render(child, out)
        out.append("}")
    else:
        if kind == NAMEDTUPLE:
            out.append(f"CustomNode(namedtuple[{node_type.__name__}], [")
        else:
            assert kind in (CUSTOM, DATACLASS)
            out.append(f"CustomNode({node_type.__name__}[{data}], [")
        for i, child in enumerate(children):
            if i:
                out.append(", ")
            _render(child, out)
        out.append("])")


def skeleton_hash(spec: Spec) -> int:
    """Hash a spec ignoring custom auxiliary data (used when that data is unhashable)."""
    if spec is LEAF:
        return 1
    node_type, data, children = spec
    kind = entry_of(node_type).kind
    return hash(
        (
            node_type,
            data if kind == DICT else None,
            tuple(skeleton_hash(c) for c in children),
        )
    )
