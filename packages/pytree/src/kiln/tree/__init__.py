"""kiln.tree: short names for the pytree utilities (JAX's ``jax.tree`` namespace).

``kiln.tree.map`` is ``kiln.tree_util.tree_map``, ``kiln.tree.flatten`` is
``tree_flatten``, and so on; :func:`static` declares a static dataclass field for
``register_dataclass``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from kiln.tree_util import api as _api
from kiln.tree_util.keys import KeyPath
from kiln.tree_util.treedef import PyTreeDef

__all__ = [
    "all",
    "broadcast",
    "flatten",
    "flatten_with_path",
    "leaves",
    "leaves_with_path",
    "map",
    "map_with_path",
    "reduce",
    "reduce_associative",
    "static",
    "structure",
    "transpose",
    "unflatten",
]

T = TypeVar("T")


def all(tree: Any, *, is_leaf: Callable[[Any], bool] | None = None) -> bool:
    """Return True if every leaf of ``tree`` is truthy. Alias of ``tree_all``."""
    return _api.tree_all(tree, is_leaf=is_leaf)


def broadcast(
    prefix_tree: Any, full_tree: Any, is_leaf: Callable[[Any], bool] | None = None
) -> Any:
    """Broadcast a prefix tree's leaves over a full tree. Alias of ``tree_broadcast``."""
    return _api.tree_broadcast(prefix_tree, full_tree, is_leaf=is_leaf)


def flatten(
    tree: Any, is_leaf: Callable[[Any], bool] | None = None
) -> tuple[list[Any], PyTreeDef]:
    """Flatten a pytree into ``(leaves, treedef)``. Alias of ``tree_flatten``."""
    return _api.tree_flatten(tree, is_leaf)


def flatten_with_path(
    tree: Any,
    is_leaf: Callable[..., bool] | None = None,
    is_leaf_takes_path: bool = False,
) -> tuple[list[tuple[KeyPath, Any]], PyTreeDef]:
    """Flatten with key paths. Alias of ``tree_flatten_with_path``."""
    return _api.tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)


def leaves(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> list[Any]:
    """Return the leaves of a pytree. Alias of ``tree_leaves``."""
    return _api.tree_leaves(tree, is_leaf)


def leaves_with_path(
    tree: Any,
    is_leaf: Callable[..., bool] | None = None,
    is_leaf_takes_path: bool = False,
) -> list[tuple[KeyPath, Any]]:
    """Return ``(key_path, leaf)`` pairs. Alias of ``tree_leaves_with_path``."""
    return _api.tree_leaves_with_path(tree, is_leaf, is_leaf_takes_path)


def map(
    f: Callable[..., Any],
    tree: Any,
    *rest: Any,
    is_leaf: Callable[[Any], bool] | None = None,
) -> Any:
    """Map ``f`` over corresponding leaves of pytrees. Alias of ``tree_map``."""
    return _api.tree_map(f, tree, *rest, is_leaf=is_leaf)


def map_with_path(
    f: Callable[..., Any],
    tree: Any,
    *rest: Any,
    is_leaf: Callable[..., bool] | None = None,
    is_leaf_takes_path: bool = False,
) -> Any:
    """Map ``f(key_path, x, *xs)`` over leaves. Alias of ``tree_map_with_path``."""
    return _api.tree_map_with_path(
        f, tree, *rest, is_leaf=is_leaf, is_leaf_takes_path=is_leaf_takes_path
    )


def reduce(
    function: Callable[[T, Any], T],
    tree: Any,
    initializer: Any = _api._UNSPECIFIED,
    is_leaf: Callable[[Any], bool] | None = None,
) -> T:
    """Reduce the leaves left to right. Alias of ``tree_reduce``."""
    return _api.tree_reduce(function, tree, initializer, is_leaf=is_leaf)


def reduce_associative(
    operation: Callable[[T, T], T],
    tree: Any,
    *,
    identity: Any = _api._UNSPECIFIED,
    is_leaf: Callable[[Any], bool] | None = None,
) -> T:
    """Reduce the leaves as a balanced tree. Alias of ``tree_reduce_associative``."""
    return _api.tree_reduce_associative(operation, tree, identity=identity, is_leaf=is_leaf)


def structure(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> PyTreeDef:
    """Return the treedef of a pytree. Alias of ``tree_structure``."""
    return _api.tree_structure(tree, is_leaf)


def transpose(
    outer_treedef: PyTreeDef, inner_treedef: PyTreeDef | None, pytree_to_transpose: Any
) -> Any:
    """Transpose a tree of trees. Alias of ``tree_transpose``."""
    return _api.tree_transpose(outer_treedef, inner_treedef, pytree_to_transpose)


def unflatten(treedef: PyTreeDef, leaves: Iterable[Any]) -> Any:
    """Rebuild a pytree from a treedef and leaves. Alias of ``tree_unflatten``."""
    return _api.tree_unflatten(treedef, leaves)


def static(**kwargs: Any) -> Any:
    """Declare a static dataclass field (``dataclasses.field`` with ``static=True``).

    Takes the same arguments as :func:`dataclasses.field`; ``metadata`` is merged
    with ``{"static": True}``. Used with :func:`kiln.tree_util.register_dataclass`.
    """
    metadata = {"static": True, **(kwargs.pop("metadata", {}) or {})}
    return dataclasses.field(metadata=metadata, **kwargs)
