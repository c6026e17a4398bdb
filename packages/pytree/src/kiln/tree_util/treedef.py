"""``PyTreeDef``: an immutable, hashable description of a pytree's structure.

A treedef wraps a spec (see :mod:`kiln.tree_util.spec`) and caches what is expensive
to recompute: its hash, its node count and its unflatten plan. Equality compares
specs (node types, dict keys and custom auxiliary data with ``==``); the hash covers
node types, dict keys and, when hashable, custom auxiliary data.

Printed forms follow JAX: ``PyTreeDef((*, {'a': *, 'b': (*, *)}))``, ``PyTreeDef(None)``,
``PyTreeDef(CustomNode(Foo[aux], [*, *]))``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from kiln.tree_util import spec as _spec
from kiln.tree_util.registry import (
    CUSTOM,
    DATACLASS,
    DICT,
    LIST,
    NAMEDTUPLE,
    NODES,
    NONE,
    TUPLE,
    classify,
)
from kiln.tree_util.spec import LEAF, NONE_SPEC, Spec, entry_of
from kiln.tree_util.unflattening import PLANS, interpret
from kiln.tree_util.upto import UP_TO
from kiln.tree_util.upto import flatten_up_to as _flatten_up_to

__all__ = ["PyTreeDef", "make_treedef", "treedef_from_spec"]


class PyTreeDef:
    """The structure of a pytree: node types, dict keys and node data, without leaves.

    Obtain one from :func:`~kiln.tree_util.tree_structure` or
    :func:`~kiln.tree_util.tree_flatten`; treedefs are not constructed directly.
    """

    __slots__ = (
        "_spec",
        "_num_leaves",
        "_num_nodes",
        "_hash",
        "_plan",
        "_up_to",
        "__weakref__",
    )

    _spec: Spec
    _num_leaves: int
    _num_nodes: int | None
    _hash: int | None
    _plan: Callable[[Any, Spec], Any] | None
    _up_to: Callable[[Any, Spec], list[Any] | None] | None

    def __init__(self) -> None:
        raise TypeError("PyTreeDef objects are created by tree_flatten/tree_structure")

    # --- sizes -------------------------------------------------------------------

    @property
    def num_leaves(self) -> int:
        """Number of leaves."""
        return self._num_leaves

    @property
    def num_nodes(self) -> int:
        """Number of nodes, counting leaves and ``None`` nodes."""
        n = self._num_nodes
        if n is None:
            n = self._num_nodes = _spec.count(self._spec)[1]
        return n

    # --- rebuilding --------------------------------------------------------------

    def unflatten(self, leaves: Iterable[Any], /) -> Any:
        """Build a pytree with this structure from an iterable of leaves.

        Raises
        ------
        ValueError
            If the number of leaves does not match ``num_leaves``.
        """
        if type(leaves) is not list and type(leaves) is not tuple:
            try:
                it = iter(leaves)
            except TypeError:
                raise TypeError(
                    "unflatten(): expected an iterable of leaves, got "
                    f"{type(leaves).__name__}"
                ) from None
            leaves = list(it)
        n = self._num_leaves
        if len(leaves) != n:
            if len(leaves) < n:
                raise ValueError(
                    f"Too few leaves for PyTreeDef; expected {n}, got {len(leaves)}"
                )
            raise ValueError(f"Too many leaves for PyTreeDef; expected {n}.")
        plan = self._plan
        if plan is None:
            spec = self._spec
            if spec is LEAF:
                return leaves[0]
            plan = PLANS.get(self, spec, lambda: self.num_nodes)
            if plan is None:
                return interpret(leaves, spec)
            self._plan = plan
        return plan(leaves, self._spec)

    def flatten_up_to(self, tree: Any) -> list[Any]:
        """Flatten ``tree`` only down to this structure's leaves.

        Each leaf position of this treedef yields the whole corresponding subtree of
        ``tree``. Raises ``ValueError`` if ``tree`` does not have this structure as a
        prefix.
        """
        spec = self._spec
        fn = self._up_to
        if fn is None:
            fn = UP_TO.get(self, spec, lambda: self.num_nodes)
            if fn is None:
                return _flatten_up_to(spec, tree)
            self._up_to = fn
        try:
            out = fn(tree, spec)
        except Exception:
            out = None
        if out is None:
            # Mismatch (or an error inside a custom flatten function): the reference
            # walk raises the precise error.
            return _flatten_up_to(spec, tree)
        return out

    def from_iterable_tree(self, tree: Any) -> Any:
        """Rebuild a pytree from a nested structure of iterables shaped like this one.

        At each node, ``tree`` is iterated to obtain the children, which are rebuilt
        recursively and combined with this treedef's node data; at leaves ``tree`` is
        returned as is.
        """
        return _from_iterable(self._spec, tree)

    def walk(
        self,
        f_node: Callable[[Any, Any], Any],
        f_leaf: Callable[[Any], Any] | None,
        leaves: Iterable[Any],
        /,
    ) -> Any:
        """Fold over the structure: ``f_leaf(leaf)`` at leaves, ``f_node(children, data)``.

        ``children`` is the tuple of already-walked children and ``data`` is the node
        data (sorted key list for dicts, auxiliary data for custom nodes, else None).
        """
        it = iter(leaves)
        return _walk(self._spec, f_node, f_leaf, it)

    # --- inspection --------------------------------------------------------------

    def children(self) -> list[PyTreeDef]:
        """Return the treedefs of the root's immediate children."""
        spec = self._spec
        if spec is LEAF:
            return []
        return [treedef_from_spec(c) for c in spec[2]]

    def node_data(self) -> tuple[type, Any] | None:
        """Return ``(node_type, node_data)`` for the root, or None for a leaf."""
        return _spec.node_data(self._spec)

    def compose(self, inner: PyTreeDef, /) -> PyTreeDef:
        """Return the treedef obtained by replacing each leaf with ``inner``."""
        if not isinstance(inner, PyTreeDef):
            raise TypeError(f"compose() expects a PyTreeDef, got {type(inner).__name__}")
        inner_spec = inner._spec

        def sub(s: Spec) -> Spec:
            if s is LEAF:
                return inner_spec
            return (s[0], s[1], tuple([sub(c) for c in s[2]]))

        return make_treedef(sub(self._spec), self._num_leaves * inner._num_leaves)

    @staticmethod
    def from_node_data_and_children(
        registry: Any, node_data: tuple[type, Any] | None, children: Iterable[PyTreeDef]
    ) -> PyTreeDef:
        """Build a treedef from a root's ``node_data()`` and its children's treedefs."""
        kids = list(children)
        if node_data is None:
            if kids:
                raise ValueError("A leaf treedef cannot have children.")
            return _LEAF_TREEDEF
        node_type, data = node_data
        entry = classify(node_type)
        if entry is None:
            raise RuntimeError(f"Could not find type: {node_type!r}.")
        kind = entry.kind
        if kind == DICT:
            data = tuple(data)
            if len(data) != len(kids):
                raise ValueError(
                    f"Dict node data has {len(data)} keys but {len(kids)} children."
                )
        elif kind == NONE:
            if kids:
                raise ValueError("A None node cannot have children.")
            return _NONE_TREEDEF
        elif kind == NAMEDTUPLE:
            if len(kids) != len(node_type._fields):
                raise ValueError(
                    f"Named tuple {node_type.__name__} needs {len(node_type._fields)} "
                    f"children, got {len(kids)}."
                )
        for k in kids:
            if not isinstance(k, PyTreeDef):
                raise TypeError(f"children must be PyTreeDefs, got {type(k).__name__}")
        spec = (node_type, data, tuple(k._spec for k in kids))
        return make_treedef(spec, sum(k._num_leaves for k in kids))

    # --- protocol ----------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if type(other) is not PyTreeDef:
            return NotImplemented
        return self._num_leaves == other._num_leaves and self._spec == other._spec

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        if result is NotImplemented:
            return result
        return not result

    def __hash__(self) -> int:
        h = self._hash
        if h is None:
            try:
                h = hash(self._spec)
            except TypeError:
                h = _spec.skeleton_hash(self._spec)
            self._hash = h
        return h

    def __repr__(self) -> str:
        return f"PyTreeDef({_spec.render(self._spec)})"

    __str__ = __repr__

    def __reduce__(self) -> tuple[Any, ...]:
        return (treedef_from_spec, (self._spec,))

    def __copy__(self) -> PyTreeDef:
        return self

    def __deepcopy__(self, memo: Any) -> PyTreeDef:
        return self


_new = object.__new__


def make_treedef(spec: Spec, num_leaves: int) -> PyTreeDef:
    """Wrap a spec whose leaf count is known (internal; no validation)."""
    td = _new(PyTreeDef)
    td._spec = spec
    td._num_leaves = num_leaves
    td._num_nodes = None
    td._hash = None
    td._plan = None
    td._up_to = None
    return td


def treedef_from_spec(spec: Spec) -> PyTreeDef:
    """Wrap a spec, counting its leaves (also the unpickling entry point)."""
    if spec is LEAF:
        return _LEAF_TREEDEF
    return make_treedef(spec, _spec.count(spec)[0])


_LEAF_TREEDEF = make_treedef(LEAF, 1)
_NONE_TREEDEF = make_treedef(NONE_SPEC, 0)


def _from_iterable(spec: Spec, tree: Any) -> Any:
    if spec is LEAF:
        return tree
    node_type, data, children = spec
    entry = NODES.get(node_type) or entry_of(node_type)
    values = tuple(_from_iterable(c, t) for c, t in zip(children, tree, strict=True))
    kind = entry.kind
    if kind == TUPLE:
        return values
    if kind == LIST:
        return list(values)
    if kind == DICT:
        return dict(zip(data, values))
    if kind == NONE:
        return None
    if kind == NAMEDTUPLE:
        return node_type(*values)
    assert kind in (CUSTOM, DATACLASS)
    return entry.unflatten(data, values)


def _walk(
    spec: Spec,
    f_node: Callable[[Any, Any], Any],
    f_leaf: Callable[[Any], Any] | None,
    it: Any,
) -> Any:
    if spec is LEAF:
        leaf = next(it)
        return leaf if f_leaf is None else f_leaf(leaf)
    node_type, data, children = spec
    walked = tuple(_walk(c, f_node, f_leaf, it) for c in children)
    if node_type is dict:
        data = list(data)
    return f_node(walked, data)

