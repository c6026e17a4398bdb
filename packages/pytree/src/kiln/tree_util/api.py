"""The public ``tree_*`` functions of ``kiln.tree_util`` (JAX's ``jax.tree_util`` API).

Everything here is built on :mod:`kiln.tree_util.flattening` (leaves + treedef) and the
``PyTreeDef`` methods (``unflatten``, ``flatten_up_to``). Also defines
``default_registry``, a small object mirroring JAX's registry handle.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from kiln.tree_util.errors import prefix_errors
from kiln.tree_util.flattening import (
    flatten,
    flatten_one_level,
    flatten_one_level_with_keys,
    flatten_with_path,
)
from kiln.tree_util.keys import KeyPath
from kiln.tree_util.registry import (
    LEAF_TYPES,
    NODES,
    classify,
    register_dataclass,
    register_pytree_node,
)
from kiln.tree_util.treedef import PyTreeDef, make_treedef

__all__ = [
    "PyTreeRegistry",
    "Unspecified",
    "all_leaves",
    "default_registry",
    "tree_all",
    "tree_broadcast",
    "tree_flatten",
    "tree_flatten_with_path",
    "tree_leaves",
    "tree_leaves_with_path",
    "tree_map",
    "tree_map_with_path",
    "tree_reduce",
    "tree_reduce_associative",
    "tree_structure",
    "tree_transpose",
    "tree_unflatten",
    "treedef_children",
    "treedef_is_leaf",
    "treedef_tuple",
    "unflatten",
]

T = TypeVar("T")

tree_flatten = flatten


def unflatten(treedef: PyTreeDef, leaves: Iterable[Any]) -> Any:
    """Rebuild a pytree from a treedef and its leaves (fast internal entry point).

    Same as :func:`tree_unflatten`.
    """
    return treedef.unflatten(leaves)


def tree_unflatten(treedef: PyTreeDef, leaves: Iterable[Any]) -> Any:
    """Rebuild a pytree from a treedef and an iterable of leaves.

    Parameters
    ----------
    treedef
        The structure, as returned by :func:`tree_flatten` or :func:`tree_structure`.
    leaves
        Exactly ``treedef.num_leaves`` leaves, in flattening order.

    Returns
    -------
    Any
        The rebuilt pytree.
    """
    return treedef.unflatten(leaves)


def tree_leaves(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> list[Any]:
    """Return the leaves of a pytree, in flattening order.

    Parameters
    ----------
    tree
        The pytree.
    is_leaf
        Optional predicate marking subtrees as leaves.
    """
    return flatten(tree, is_leaf)[0]


def tree_structure(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> PyTreeDef:
    """Return the treedef (structure) of a pytree.

    Parameters
    ----------
    tree
        The pytree.
    is_leaf
        Optional predicate marking subtrees as leaves.
    """
    return flatten(tree, is_leaf)[1]


def tree_flatten_with_path(
    tree: Any,
    is_leaf: Callable[..., bool] | None = None,
    is_leaf_takes_path: bool = False,
) -> tuple[list[tuple[KeyPath, Any]], PyTreeDef]:
    """Flatten a pytree, returning ``(key_path, leaf)`` pairs and the treedef.

    Parameters
    ----------
    tree
        The pytree.
    is_leaf
        Optional predicate marking subtrees as leaves.
    is_leaf_takes_path
        If true, ``is_leaf`` is called as ``is_leaf(key_path, subtree)``.
    """
    return flatten_with_path(tree, is_leaf, is_leaf_takes_path)


def tree_leaves_with_path(
    tree: Any,
    is_leaf: Callable[..., bool] | None = None,
    is_leaf_takes_path: bool = False,
) -> list[tuple[KeyPath, Any]]:
    """Return the ``(key_path, leaf)`` pairs of a pytree.

    See :func:`tree_flatten_with_path` for the parameters.
    """
    return flatten_with_path(tree, is_leaf, is_leaf_takes_path)[0]


def _raise_prefix_error(
    tree: Any, rest: tuple[Any, ...], treedef: PyTreeDef, is_leaf: Any, name: str
) -> None:
    """Re-run ``flatten_up_to`` on ``rest`` and raise an explanatory error."""
    for other in rest:
        try:
            treedef.flatten_up_to(other)
        except Exception as exc:
            err = next(iter(prefix_errors(tree, other, is_leaf)), None)
            raise (err(name) if err is not None else exc) from None


def tree_map(
    f: Callable[..., Any],
    tree: Any,
    *rest: Any,
    is_leaf: Callable[[Any], bool] | None = None,
) -> Any:
    """Apply ``f`` to corresponding leaves of one or more pytrees.

    Parameters
    ----------
    f
        Called as ``f(x, *xs)`` with a leaf of ``tree`` and the matching subtrees of
        ``rest``.
    tree
        The pytree whose structure is used; each of ``rest`` must have it as a prefix.
    *rest
        Further pytrees.
    is_leaf
        Optional predicate marking subtrees of ``tree`` as leaves.

    Returns
    -------
    Any
        A pytree with ``tree``'s structure holding the results of ``f``.

    Raises
    ------
    ValueError
        If a tree in ``rest`` does not match; the message names the key path and
        both structures.
    """
    leaves, treedef = flatten(tree, is_leaf)
    if not rest:
        return treedef.unflatten(list(map(f, leaves)))
    try:
        others = [treedef.flatten_up_to(r) for r in rest]
    except Exception:
        _raise_prefix_error(tree, rest, treedef, is_leaf, "tree_map tree")
        raise
    return treedef.unflatten(list(map(f, leaves, *others)))


def tree_map_with_path(
    f: Callable[..., Any],
    tree: Any,
    *rest: Any,
    is_leaf: Callable[..., bool] | None = None,
    is_leaf_takes_path: bool = False,
) -> Any:
    """Like :func:`tree_map`, but ``f`` also receives each leaf's key path first.

    ``f`` is called as ``f(key_path, x, *xs)``. If ``is_leaf_takes_path``, ``is_leaf``
    is called as ``is_leaf(key_path, subtree)``.
    """
    pairs, treedef = flatten_with_path(tree, is_leaf, is_leaf_takes_path)
    paths = [p for p, _ in pairs]
    leaves = [x for _, x in pairs]
    try:
        others = [treedef.flatten_up_to(r) for r in rest]
    except Exception:
        plain = None if is_leaf_takes_path else is_leaf
        _raise_prefix_error(tree, rest, treedef, plain, "tree_map_with_path tree")
        raise
    return treedef.unflatten(list(map(f, paths, leaves, *others)))


class Unspecified:
    """Marker type for "no initializer/identity given"."""

    def __repr__(self) -> str:
        return "<unspecified>"


_UNSPECIFIED = Unspecified()


def tree_reduce(
    function: Callable[[T, Any], T],
    tree: Any,
    initializer: T | Unspecified = _UNSPECIFIED,
    is_leaf: Callable[[Any], bool] | None = None,
) -> T:
    """Reduce the leaves of a pytree left to right with ``function``.

    Parameters
    ----------
    function
        Binary function ``function(accumulated, leaf)``.
    tree
        The pytree.
    initializer
        Optional starting value (required if the tree may have no leaves).
    is_leaf
        Optional predicate marking subtrees as leaves.
    """
    leaves = flatten(tree, is_leaf)[0]
    if isinstance(initializer, Unspecified):
        return functools.reduce(function, leaves)
    return functools.reduce(function, leaves, initializer)


def _halving_reduce(seq: list[Any], operation: Callable[[Any, Any], Any]) -> Any:
    if len(seq) == 1:
        return seq[0]
    mid = len(seq) // 2
    return operation(_halving_reduce(seq[:mid], operation), _halving_reduce(seq[mid:], operation))


def tree_reduce_associative(
    operation: Callable[[T, T], T],
    tree: Any,
    *,
    identity: T | Unspecified = _UNSPECIFIED,
    is_leaf: Callable[[Any], bool] | None = None,
) -> T:
    """Reduce the leaves with an associative ``operation`` as a balanced binary tree.

    Parameters
    ----------
    operation
        Associative binary function.
    tree
        The pytree.
    identity
        Value returned for a tree with no leaves (required in that case).
    is_leaf
        Optional predicate marking subtrees as leaves.
    """
    leaves = flatten(tree, is_leaf)[0]
    if not leaves:
        if isinstance(identity, Unspecified):
            raise TypeError("Must specify identity for parallel reduction of empty sequence.")
        return identity
    return _halving_reduce(leaves, operation)


def tree_all(tree: Any, *, is_leaf: Callable[[Any], bool] | None = None) -> bool:
    """Return True if every leaf of ``tree`` is truthy (True for no leaves)."""
    return all(flatten(tree, is_leaf)[0])


def tree_transpose(
    outer_treedef: PyTreeDef, inner_treedef: PyTreeDef | None, pytree_to_transpose: Any
) -> Any:
    """Turn an outer-structure tree of inner-structure trees inside out.

    Parameters
    ----------
    outer_treedef
        Structure of the outer level.
    inner_treedef
        Structure of each inner tree; inferred from the first one when None.
    pytree_to_transpose
        A tree with structure ``outer_treedef.compose(inner_treedef)``.

    Returns
    -------
    Any
        A tree with structure ``inner_treedef.compose(outer_treedef)``.
    """
    flat, treedef = flatten(pytree_to_transpose)
    if inner_treedef is None:
        inner_treedef = tree_structure(outer_treedef.flatten_up_to(pytree_to_transpose)[0])
    inner_size = inner_treedef.num_leaves
    outer_size = outer_treedef.num_leaves
    if treedef.num_leaves != inner_size * outer_size:
        expected = outer_treedef.compose(inner_treedef)
        raise TypeError(f"Mismatch\n{treedef}\n != \n{expected}")
    rows = [flat[i * inner_size : (i + 1) * inner_size] for i in range(outer_size)]
    columns = zip(*rows) if rows else [()] * inner_size
    return inner_treedef.unflatten([outer_treedef.unflatten(col) for col in columns])


def _broadcast_prefix(
    prefix_tree: Any, full_tree: Any, is_leaf: Callable[[Any], bool] | None = None
) -> list[Any]:
    result: list[Any] = []

    def add(x: Any, subtree: Any) -> None:
        result.extend([x] * flatten(subtree)[1].num_leaves)

    try:
        tree_map(add, prefix_tree, full_tree, is_leaf=is_leaf)
    except ValueError:
        errors = prefix_errors(prefix_tree, full_tree)
        if errors:
            raise errors[0]("broadcast_prefix prefix_tree") from None
        raise
    return result


def tree_broadcast(
    prefix_tree: Any, full_tree: Any, is_leaf: Callable[[Any], bool] | None = None
) -> Any:
    """Broadcast the leaves of ``prefix_tree`` over the matching subtrees of ``full_tree``.

    Parameters
    ----------
    prefix_tree
        A tree whose structure is a prefix of ``full_tree``'s.
    full_tree
        The tree giving the output structure.
    is_leaf
        Optional predicate marking subtrees of ``prefix_tree`` as leaves.

    Returns
    -------
    Any
        A tree shaped like ``full_tree`` where each leaf is the ``prefix_tree`` leaf
        covering it.
    """
    leaves = _broadcast_prefix(prefix_tree, full_tree, is_leaf=is_leaf)
    return flatten(full_tree)[1].unflatten(leaves)


def treedef_tuple(treedefs: Iterable[PyTreeDef]) -> PyTreeDef:
    """Make the treedef of a tuple whose children have the given treedefs."""
    kids = list(treedefs)
    for k in kids:
        if not isinstance(k, PyTreeDef):
            raise TypeError(f"treedef_tuple expects PyTreeDefs, got {type(k).__name__}")
    spec = (tuple, None, tuple(k._spec for k in kids))
    return make_treedef(spec, sum(k.num_leaves for k in kids))


def treedef_children(treedef: PyTreeDef) -> list[PyTreeDef]:
    """Return the treedefs of the root's immediate children."""
    return treedef.children()


def treedef_is_leaf(treedef: PyTreeDef) -> bool:
    """Return True if the treedef has a single node (a leaf, ``None``, or empty node)."""
    return treedef.num_nodes == 1


def all_leaves(iterable: Iterable[Any], is_leaf: Callable[[Any], bool] | None = None) -> bool:
    """Return True if every element of ``iterable`` is a leaf.

    Parameters
    ----------
    iterable
        Candidate leaves.
    is_leaf
        Optional predicate; when given, an element counts as a leaf if flattening it
        with ``is_leaf`` yields exactly itself.
    """
    if is_leaf is None:
        for x in iterable:
            t = type(x)
            if t not in LEAF_TYPES and (t in NODES or classify(t) is not None):
                return False
        return True
    items = list(iterable)
    leaves = flatten(items, is_leaf)[0]
    return len(leaves) == len(items) and all(a is b for a, b in zip(items, leaves))


class PyTreeRegistry:
    """Handle on the process-wide node registry (JAX's ``default_registry``)."""

    def flatten(
        self, tree: Any, leaf_predicate: Callable[[Any], bool] | None = None
    ) -> tuple[list[Any], PyTreeDef]:
        """Flatten ``tree``; see :func:`tree_flatten`."""
        return flatten(tree, leaf_predicate)

    def flatten_with_path(
        self, tree: Any, leaf_predicate: Callable[[Any, Any], bool] | None = None
    ) -> tuple[list[tuple[KeyPath, Any]], PyTreeDef]:
        """Flatten with key paths; ``leaf_predicate(path, x)`` takes the path."""
        return flatten_with_path(tree, leaf_predicate, True)

    def flatten_one_level(self, tree: Any) -> tuple[Any, Any] | None:
        """Flatten one level, or return None if ``tree`` is a leaf."""
        if classify(type(tree)) is None:
            return None
        return flatten_one_level(tree)

    def flatten_one_level_with_keys(self, tree: Any) -> tuple[Any, Any] | None:
        """Flatten one level with keys, or return None if ``tree`` is a leaf."""
        if classify(type(tree)) is None:
            return None
        return flatten_one_level_with_keys(tree)

    def is_node(self, typ: type) -> bool:
        """Return True if ``typ`` is a node type."""
        return classify(typ) is not None

    def register_node(
        self,
        typ: type,
        to_iterable: Callable[[Any], tuple[Iterable[Any], Any]],
        from_iterable: Callable[[Any, Iterable[Any]], Any],
        to_iterable_with_keys: Callable[[Any], tuple[Iterable[Any], Any]] | None = None,
    ) -> None:
        """Register a custom node type; see :func:`register_pytree_node`."""
        register_pytree_node(typ, to_iterable, from_iterable, to_iterable_with_keys)

    def register_dataclass_node(
        self, typ: type, data_fields: Iterable[str], meta_fields: Iterable[str], /
    ) -> None:
        """Register a dataclass node type; see :func:`register_dataclass`."""
        register_dataclass(typ, list(data_fields), list(meta_fields))

    def __repr__(self) -> str:
        return "<kiln.tree_util default_registry>"

    def __reduce__(self) -> str:
        return "default_registry"


default_registry = PyTreeRegistry()

