"""The pytree functions autodiff needs (kiln-autodiff reaches kiln-pytree through kiln-core)."""

from kiln.core.pytree import (  # noqa: F401
    keystr,
    tree_flatten,
    tree_flatten_with_path,
    tree_map,
    tree_unflatten,
)
