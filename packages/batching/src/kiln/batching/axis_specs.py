"""vmap's axis specifications: checking ``in_axes``/``out_axes``, matching them to the
arguments and outputs as pytree prefixes, and finding the mapped size, with JAX's errors."""

from __future__ import annotations

import collections
import inspect
from collections.abc import Callable
from typing import Any

from kiln.batching.pytrees import (
    keystr,
    prefix_errors,
    tree_flatten,
    tree_flatten_with_path,
    tree_leaves,
    tree_unflatten,
)
from kiln.core import get_aval

_IN_AXES_TYPES = ("vmap in_axes must be an int, None, or a tuple of entries corresponding to "
                  "the positional arguments passed to the function")


def _is_none(x: Any) -> bool:
    return x is None


def check_axis_specs(in_axes: Any, out_axes: Any) -> Any:
    """Validate the specs given to ``vmap``; returns ``in_axes`` with a list made a tuple."""
    if isinstance(in_axes, list):
        # Lists are accepted where tuples are meant (as JAX does).
        in_axes = tuple(in_axes)
    if not (in_axes is None or type(in_axes) in (int, tuple)):
        raise TypeError(f"{_IN_AXES_TYPES}, but got {in_axes}.")
    if not all(type(leaf) is int for leaf in tree_leaves(in_axes)):
        raise TypeError("vmap in_axes must be an int, None, or (nested) container with those "
                        f"types as leaves, but got {in_axes}.")
    if not all(type(leaf) is int for leaf in tree_leaves(out_axes)):
        raise TypeError("vmap out_axes must be an int, None, or (nested) container with those "
                        f"types as leaves, but got {out_axes}.")
    return in_axes


class PytreeLeaf:
    """Stands for each leaf of a value in prefix-mismatch errors."""

    def __repr__(self) -> str:
        return "pytree leaf"


class _NoneAxis:
    """Stands for a None axis spec, which must stay a leaf of the spec's tree."""

    def __repr__(self) -> str:
        return "None"


def flatten_axes(name: str, value_tree: Any, axes: Any) -> list[Any]:
    """One axis spec (int or None) per leaf of ``value_tree``, broadcasting the prefix tree
    ``axes`` over it; JAX's ValueError when ``axes`` is not a prefix of ``value_tree``."""
    spec_leaves, spec_tree = tree_flatten(axes, is_leaf=_is_none)
    try:
        subtrees = spec_tree.flatten_up_to(value_tree)
    except (ValueError, TypeError):
        raise _prefix_error(name, value_tree, axes) from None
    out: list[Any] = []
    for spec, subtree in zip(spec_leaves, subtrees):
        out.extend([spec] * len(tree_leaves(subtree)))
    return out


def _prefix_error(name: str, value_tree: Any, axes: Any) -> ValueError:
    leaves, tree = tree_flatten(value_tree)
    dummy = tree_unflatten(tree, [PytreeLeaf() for _ in leaves])
    spec_leaves, spec_tree = tree_flatten(axes, is_leaf=_is_none)
    marked = tree_unflatten(spec_tree, [_NoneAxis() if s is None else s for s in spec_leaves])
    errors = prefix_errors(marked, dummy)
    details = "\n  ".join(e(name).args[0] for e in errors)
    return ValueError(f"{name} specification must be a tree prefix of the corresponding "
                      f"value; \n  Mismatch details ({len(errors)} found):\n  {details}")


def out_axis_path(out_tree: Any, out_axes_flat: list[Any], index: int) -> str:
    """The key path (``['b']``, ``[0]``...) of output leaf ``index`` in the out_axes tree."""
    full = tree_unflatten(out_tree, out_axes_flat)
    pairs, _ = tree_flatten_with_path(full, is_leaf=_is_none)
    return keystr(pairs[index][0])


def mapped_size(fun: Callable, args: tuple, kwargs: dict, leaves: list[Any],
                axes: list[Any], axis_size: int | None) -> int:
    """The size of the mapped axis: the size of every mapped argument axis (and
    ``axis_size``), which must agree."""
    if not leaves:
        if axis_size is not None:
            return axis_size
        raise ValueError("vmap wrapped function must be passed at least one argument "
                         "containing an array or axis_size must be specified, got empty "
                         f"*args={args} and **kwargs={kwargs}")
    sizes = [None if d is None else _axis_length(x, d) for x, d in zip(leaves, axes)]
    distinct = {s for s in sizes if s is not None}
    if axis_size is not None:
        distinct.add(axis_size)
    if len(distinct) == 1:
        return distinct.pop()
    if not distinct:
        raise ValueError("vmap must have at least one non-None value in in_axes or axis_size "
                         "must be specified")
    raise ValueError(_inconsistent_sizes(fun, args, kwargs, leaves, axes, sizes, axis_size))


def _axis_length(x: Any, axis: int) -> int | None:
    try:
        shape = get_aval(x).shape
    except TypeError:
        raise TypeError(f"Argument '{x}' of type {type(x)} is not a valid JAX type") from None
    if not -len(shape) <= axis < len(shape):
        min_rank = axis + 1 if axis >= 0 else -axis
        raise ValueError(f"vmap was requested to map its argument along axis {axis}, which "
                         f"implies that its rank should be at least {min_rank}, but is only "
                         f"{len(shape)} (its shape is {shape})")
    return shape[axis]


def _type_text(x: Any) -> str:
    try:
        return get_aval(x).str_short(short_dtypes=False)
    except TypeError:
        return "unknown"


def _arg_names(fun: Callable, args: tuple, kwargs: dict) -> list[str]:
    try:
        parameters: list[str] | None = list(
            inspect.signature(fun).bind(*args, **kwargs).signature.parameters)
    except (TypeError, ValueError):
        parameters = None
    names = []
    for path, _ in tree_flatten_with_path(args)[0]:
        i = path[0].idx
        if parameters is None or i >= len(parameters):
            names.append(f"args{keystr(path)}")
        else:
            names.append(f"argument {parameters[i]}{keystr(path[1:])}")
    names += [f"kwargs{keystr(path)}" for path, _ in tree_flatten_with_path(kwargs)[0]]
    return names


def _inconsistent_sizes(fun: Callable, args: tuple, kwargs: dict, leaves: list[Any],
                        axes: list[Any], sizes: list[int | None], axis_size: int | None) -> str:
    names = _arg_names(fun, args, kwargs)
    where = [f"{n} of type {_type_text(x)}" for n, x in zip(names, leaves)]
    counts = collections.Counter(s for s in sizes if s is not None).most_common()
    lines = ["vmap got inconsistent sizes for array axes to be mapped:\n"]
    if axis_size is not None:
        lines.append(f"  * the `axis_size` argument was {axis_size};\n")
    for k, (size, count) in enumerate(counts):
        i = sizes.index(size)
        if count == 1:
            lines.append(f"  * one axis had size {size}: axis {axes[i]} of {where[i]};\n")
        elif k == 0:
            lines.append(f"  * most axes ({count} of them) had size {size}, e.g. axis "
                         f"{axes[i]} of {where[i]};\n")
        else:
            lines.append(f"  * some axes ({count} of them) had size {size}, e.g. axis "
                         f"{axes[i]} of {where[i]};\n")
    return "".join(lines)[:-2]


__all__ = ["PytreeLeaf", "check_axis_specs", "flatten_axes", "mapped_size", "out_axis_path"]
