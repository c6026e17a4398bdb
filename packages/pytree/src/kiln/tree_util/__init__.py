"""kiln.tree_util: pytree utilities with the API of JAX's ``jax.tree_util``.

A pytree is a nested structure of containers (``None``, tuples, lists, dicts,
namedtuples, ``OrderedDict``, ``defaultdict`` and registered custom types) whose
non-container parts are leaves. This package flattens pytrees into leaves plus a
hashable :class:`PyTreeDef`, rebuilds them, maps over them, and tracks key paths.

Besides JAX's public names it exports two kiln-internal fast entry points,
:func:`flatten` (same as :func:`tree_flatten`) and :func:`unflatten`, for hot paths
such as ``jit`` argument handling.
"""

from kiln.tree_util.api import (
    PyTreeRegistry,
    all_leaves,
    default_registry,
    tree_all,
    tree_broadcast,
    tree_flatten,
    tree_flatten_with_path,
    tree_leaves,
    tree_leaves_with_path,
    tree_map,
    tree_map_with_path,
    tree_reduce,
    tree_reduce_associative,
    tree_structure,
    tree_transpose,
    tree_unflatten,
    treedef_children,
    treedef_is_leaf,
    treedef_tuple,
    unflatten,
)
from kiln.tree_util.flattening import flatten, flatten_one_level, flatten_one_level_with_keys
from kiln.tree_util.keys import (
    DictKey,
    FlattenedIndexKey,
    GetAttrKey,
    KeyEntry,
    KeyPath,
    SequenceKey,
    keystr,
)
from kiln.tree_util.partial import Partial
from kiln.tree_util.registry import (
    is_tree_node,
    register_dataclass,
    register_pytree_node,
    register_pytree_node_class,
    register_pytree_with_keys,
    register_pytree_with_keys_class,
    register_static,
)
from kiln.tree_util.treedef import PyTreeDef

__all__ = [
    "DictKey",
    "FlattenedIndexKey",
    "GetAttrKey",
    "KeyEntry",
    "KeyPath",
    "Partial",
    "PyTreeDef",
    "PyTreeRegistry",
    "SequenceKey",
    "all_leaves",
    "default_registry",
    "flatten",
    "flatten_one_level",
    "flatten_one_level_with_keys",
    "is_tree_node",
    "keystr",
    "register_dataclass",
    "register_pytree_node",
    "register_pytree_node_class",
    "register_pytree_with_keys",
    "register_pytree_with_keys_class",
    "register_static",
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
