"""The pytree functions kiln's transformations use, re-exported from kiln-pytree.

kiln-core depends on kiln-pytree; packages that depend on kiln-core (batching, autodiff,
numpy, random) reach pytrees through this module, so the dependency table stays exact.
"""

from kiln.tree_util import (  # noqa: F401
    Partial,
    PyTreeDef,
    keystr,
    register_pytree_node,
    register_pytree_node_class,
    tree_flatten,
    tree_flatten_with_path,
    tree_leaves,
    tree_map,
    tree_structure,
    tree_unflatten,
    treedef_is_leaf,
)
from kiln.tree_util.errors import prefix_errors  # noqa: F401
