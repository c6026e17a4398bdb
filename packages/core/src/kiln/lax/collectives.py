"""Collective ``lax`` functions over named axes: ``psum``, ``pmean``, ``pmax``, ``pmin``,
``all_gather``, ``axis_index`` and ``axis_size``.

They work where a transformation binds the axis name, e.g. inside
``kiln.vmap(f, axis_name='i')``; elsewhere they raise JAX's ``NameError`` ("unbound axis
name: i"). The reductions apply to every leaf of a pytree ``x``.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np

from kiln.core import dtypes
from kiln.core.abstract import get_aval
from kiln.core.primitives import collectives as _c
from kiln.tree_util import tree_flatten, tree_unflatten

__all__ = ["all_gather", "axis_index", "axis_size", "pmax", "pmean", "pmin", "psum"]


def _groups(axis_index_groups: Any) -> Any:
    if axis_index_groups is None:
        return None
    return tuple(tuple(int(i) for i in group) for group in axis_index_groups)


def _map_leaves(fn: Any, x: Any) -> Any:
    leaves, tree = tree_flatten(x)
    return tree_unflatten(tree, [fn(leaf) for leaf in leaves])


def _reduce(prim: Any, x: Any, axis_name: Any, axis_index_groups: Any) -> Any:
    axes = _c.as_axis_names(axis_name)
    _c.check_axis_names(axes, prim.name)
    groups = _groups(axis_index_groups)
    return _map_leaves(lambda v: prim.bind(v, axes=axes, axis_index_groups=groups), x)


def psum(x: Any, axis_name: Any, *, axis_index_groups: Any = None) -> Any:
    """The sum of ``x`` over the members of the named axis (or axes) ``axis_name``: every
    member gets the same result. ``x`` may be a pytree of arrays."""
    return _reduce(_c.psum_p, x, axis_name, axis_index_groups)


def pmax(x: Any, axis_name: Any, *, axis_index_groups: Any = None) -> Any:
    """The elementwise maximum of ``x`` over the members of the named axis ``axis_name``."""
    return _reduce(_c.pmax_p, x, axis_name, axis_index_groups)


def pmin(x: Any, axis_name: Any, *, axis_index_groups: Any = None) -> Any:
    """The elementwise minimum of ``x`` over the members of the named axis ``axis_name``."""
    return _reduce(_c.pmin_p, x, axis_name, axis_index_groups)


def pmean(x: Any, axis_name: Any, *, axis_index_groups: Any = None) -> Any:
    """The mean of ``x`` over the members of the named axis ``axis_name``: a ``psum``
    divided by the number of members (integers are averaged as floats, as ``x / n`` does)."""
    from kiln.lax import convert_element_type, div

    axes = _c.as_axis_names(axis_name)
    _c.check_axis_names(axes, "psum")
    groups = _groups(axis_index_groups)

    def mean(v: Any) -> Any:
        total = _c.psum_p.bind(v, axes=axes, axis_index_groups=groups)
        dtype = get_aval(total).dtype
        if not dtypes.is_inexact(dtype):
            dtype = dtypes.canonicalize_dtype(np.dtype(np.float64))
            total = convert_element_type(total, dtype)
        # The member count is a psum too, so a jitted pmean stays right for any axis size.
        count = _c.psum_p.bind(np.ones((), dtype), axes=axes, axis_index_groups=groups)
        return div(total, count)

    return _map_leaves(mean, x)


def all_gather(x: Any, axis_name: Any, *, axis_index_groups: Any = None, axis: int = 0,
               tiled: bool = False) -> Any:
    """Every member's ``x``, gathered along a new axis ``axis`` of the result (in member
    order), or concatenated along the existing axis ``axis`` when ``tiled``."""
    names = _c.as_axis_names(axis_name)
    size = _c.axis_size(names, "all_gather")
    if axis_index_groups is not None:
        size = len(axis_index_groups[0])
    groups = _groups(axis_index_groups)

    def gather(v: Any) -> Any:
        ndim = get_aval(v).ndim
        rank = ndim if tiled else ndim + 1
        if not -rank <= axis < rank:
            raise ValueError(f"axis {axis} is out of bounds for array of dimension {rank}")
        return _c.all_gather_p.bind(v, all_gather_dimension=axis % rank, axis_name=names,
                                    axis_index_groups=groups, axis_size=size,
                                    tiled=bool(tiled))

    return _map_leaves(gather, x)


def axis_index(axis_name: Any) -> Any:
    """This member's index along the named axis ``axis_name`` (an int32 scalar). For a tuple
    of names, the index along their product, the first name major."""
    from kiln.lax import add, mul

    names = _c.as_axis_names(axis_name)
    env = _c.check_axis_names(names, "axis_index")
    index = None
    for name in names:
        here = _c.axis_index_p.bind(axis_name=name)
        index = here if index is None else \
            add(mul(index, np.array(env[name], np.int32)), here)
    return index


def axis_size(axis_name: Any) -> int:
    """The number of members of the named axis ``axis_name`` (a Python int)."""
    names: tuple[Hashable, ...] = _c.as_axis_names(axis_name)
    return _c.axis_size(names, "axis_size")
