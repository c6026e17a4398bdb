"""Pytree flatten + unflatten of a ~9k-leaf parameter-like tree."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

DESCRIPTION = (
    "pytree: one flatten + one unflatten of a dict of 30 lists, each of 100 items "
    "alternating 3-tuples and 3-key dicts of Python floats/ints (9000 leaves, 3031 "
    "containers)"
)


def build_tree() -> dict[str, list[Any]]:
    """Return the benchmark tree (identical for every library)."""
    tree: dict[str, list[Any]] = {}
    for i in range(30):
        items: list[Any] = []
        for j in range(100):
            base = float(i * 1000 + j * 3)
            if j % 2 == 0:
                items.append((base, base + 1.0, j))
            else:
                items.append({"w": base, "b": base + 1.0, "n": j})
        tree[f"layer_{i:02d}"] = items
    return tree


def make(lib: str) -> Callable[[], Any]:
    """Return a zero-argument callable doing one flatten and one unflatten with ``lib``."""
    tree = build_tree()
    if lib == "kiln":
        from kiln.tree_util import tree_flatten, tree_unflatten
    elif lib == "jax":
        from jax.tree_util import tree_flatten, tree_unflatten
    elif lib == "numpy":
        raise NotImplementedError("numpy has no pytree utilities")
    else:
        raise ValueError(f"unknown lib {lib!r}")

    def run() -> Any:
        leaves, treedef = tree_flatten(tree)
        return tree_unflatten(treedef, leaves)

    return run
