"""Explaining structure mismatches between a prefix tree and a full tree.

When ``tree_map`` (or ``tree_broadcast``) finds that one of its extra trees does not
have the first tree's structure as a prefix, it walks both trees side by side to find
the first disagreement and raises a ``ValueError`` that names the key path and both
sides, in the same words as JAX ("pytree structure error: different types at key
path ..."). :func:`prefix_errors` yields error *factories* taking the name to print
for the prefix tree (e.g. ``"tree_map tree"``).
"""

from __future__ import annotations

import difflib
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

from kiln.tree_util.flattening import flatten_one_level, flatten_one_level_with_keys
from kiln.tree_util.keys import DictKey, FlattenedIndexKey, GetAttrKey, SequenceKey, keystr
from kiln.tree_util.registry import classify

__all__ = ["prefix_errors"]

ErrorFactory = Callable[[str], ValueError]


def prefix_errors(
    prefix_tree: Any, full_tree: Any, is_leaf: Callable[[Any], bool] | None = None
) -> list[ErrorFactory]:
    """Return factories for the structural errors of ``prefix_tree`` vs ``full_tree``."""
    return list(_prefix_error((), prefix_tree, full_tree, is_leaf))


def _is_strict_leaf(x: Any, is_leaf: Callable[[Any], bool] | None) -> bool:
    if is_leaf is not None and is_leaf(x) is True:
        return True
    return classify(type(x)) is None


def _payload(key: Any) -> str:
    if type(key) is SequenceKey:
        return str(key.idx)
    if type(key) is DictKey or type(key) is FlattenedIndexKey:
        return str(key.key)
    if type(key) is GetAttrKey:
        return key.name
    return str(key)


def _one_level(x: Any) -> tuple[list[Any], list[Any], Any]:
    """Return ``(children, key entries, metadata)`` as ``flatten_one_level`` sees them."""
    children, meta = flatten_one_level(x)
    pairs, _ = flatten_one_level_with_keys(x)
    return list(children), [k for k, _ in pairs], meta


def _prefix_error(
    key_path: tuple[Any, ...],
    prefix_tree: Any,
    full_tree: Any,
    is_leaf: Callable[[Any], bool] | None,
) -> Iterator[ErrorFactory]:
    # A leaf is a prefix of anything.
    if _is_strict_leaf(prefix_tree, is_leaf):
        return
    where = keystr(key_path)

    if type(prefix_tree) is not type(full_tree):
        p_type, f_type = type(prefix_tree), type(full_tree)
        yield lambda name: ValueError(
            "pytree structure error: different types at key path\n"
            f"    {name}{where}\n"
            f"At that key path, the prefix pytree {name} has a subtree of type\n"
            f"    {p_type}\n"
            "but at the same key path the full pytree has a subtree of different type\n"
            f"    {f_type}."
        )
        return

    p_children, p_keys, p_meta = _one_level(prefix_tree)
    f_children, f_keys, f_meta = _one_level(full_tree)

    if isinstance(prefix_tree, (list, tuple)) and len(prefix_tree) != len(full_tree):
        ty = type(prefix_tree).__name__
        n_p, n_f = len(prefix_tree), len(full_tree)
        yield lambda name: ValueError(
            f"pytree structure error: different lengths of {ty} at key path\n"
            f"    {name}{where}\n"
            f"At that key path, the prefix pytree {name} has a subtree of type "
            f"{ty} of length {n_p}, but the full pytree has a subtree of the same type "
            f"but of length {n_f}."
        )
        return

    if len(p_children) != len(f_children):
        p_type = type(prefix_tree)
        try:
            p_set, f_set = set(p_keys), set(f_keys)
            diff: list[Any] | None = [k for k in p_keys if k not in f_set]
            diff += [k for k in f_keys if k not in p_set]
        except TypeError:
            diff = None
        p_names = " ".join(map(_payload, p_keys))
        f_names = " ".join(map(_payload, f_keys))
        tail = (
            ""
            if diff is None
            else "so the symmetric difference on key sets is\n"
            f"    {' '.join(map(_payload, diff))}"
        )
        n_p, n_f = len(p_children), len(f_children)
        yield lambda name: ValueError(
            "pytree structure error: different numbers of pytree children at key path\n"
            f"    {name}{where}\n"
            f"At that key path, the prefix pytree {name} has a subtree of type\n"
            f"    {p_type}\n"
            f"with {n_p} child keys\n"
            f"    {p_names}\n"
            "but at the same key path the full pytree has a subtree of the same "
            f"type but with {n_f} child keys\n"
            f"    {f_names}\n" + tail
        )
        return

    if p_meta != f_meta:
        p_type = type(prefix_tree)
        p_str, f_str = str(p_meta), str(f_meta)
        diff_text = textwrap.indent(
            "\n".join(difflib.ndiff(p_str.splitlines(), f_str.splitlines())), prefix="    "
        )
        yield lambda name: ValueError(
            "pytree structure error: different pytree metadata at key path\n"
            f"    {name}{where}\n"
            f"At that key path, the prefix pytree {name} has a subtree of type\n"
            f"    {p_type}\n"
            "with metadata\n"
            f"    {p_str}\n"
            "but at the same key path the full pytree has a subtree of the same "
            "type but with metadata\n"
            f"    {f_str}\n"
            "so the diff in the metadata at these pytree nodes is\n"
            f"{diff_text}"
        )
        return

    for key, p_child, f_child in zip(p_keys, p_children, f_children):
        yield from _prefix_error((*key_path, key), p_child, f_child, is_leaf)
