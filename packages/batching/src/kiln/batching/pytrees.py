"""The pytree functions vmap needs (kiln-batching reaches kiln-pytree through kiln-core)."""

from kiln.core.pytree import (  # noqa: F401
    keystr,
    prefix_errors,
    tree_flatten,
    tree_flatten_with_path,
    tree_leaves,
    tree_structure,
    tree_unflatten,
)
