"""``vmap``: the vectorising map."""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from kiln.batching import dims as _dims
from kiln.batching.axis_specs import (
    check_axis_specs,
    flatten_axes,
    mapped_size,
    out_axis_path,
)
from kiln.batching.pytrees import tree_flatten, tree_unflatten
from kiln.batching.trace import AxisData, BatchTrace
from kiln.core import get_aval, with_trace
from kiln.core.dispatch import device_put_value


def vmap(
    fun: Callable,
    in_axes: int | None | tuple | list = 0,
    out_axes: Any = 0,
    axis_name: Hashable | None = None,
    axis_size: int | None = None,
    spmd_axis_name: Hashable | tuple[Hashable, ...] | None = None,
) -> Callable:
    """Vectorizing map: a function that maps ``fun`` over an axis of its arguments.

    Parameters (as ``jax.vmap``):

    in_axes
        Which axis of each positional argument to map over: an int for all of them, None to
        map none, or a tuple with one entry per positional argument, each an int, None, or a
        pytree prefix of that argument (dicts included) with ints and Nones as leaves.
        Negative ints count from the end. Keyword arguments are always mapped over axis 0.
    out_axes
        Where the mapped axis goes in each output: an int, or a pytree prefix of the outputs
        with ints and Nones as leaves. None is allowed only for outputs that are the same for
        every member (unbatched); an int broadcasts an unbatched output.
    axis_name
        A name for the mapped axis, for collectives (``lax.psum(x, axis_name)``...).
    axis_size
        The size of the mapped axis, needed when no argument is mapped.
    spmd_axis_name
        Accepted for compatibility; sharding annotations have no effect in kiln.

    Returns a function with ``fun``'s arguments plus the mapped axes.
    """
    if not callable(fun):
        raise TypeError(f"Expected a callable value, got {fun!r}")
    in_axes = check_axis_specs(in_axes, out_axes)
    if spmd_axis_name is not None and not isinstance(spmd_axis_name, tuple):
        spmd_axis_name = (spmd_axis_name,)

    @functools.wraps(fun)
    def vmap_f(*args: Any, **kwargs: Any) -> Any:
        if isinstance(in_axes, tuple) and len(in_axes) != len(args):
            raise ValueError("vmap in_axes must be an int, None, or a tuple of entries "
                             "corresponding to the positional arguments passed to the "
                             f"function, but got len(in_axes)={len(in_axes)}, "
                             f"len(args)={len(args)}")
        arg_leaves, arg_tree = tree_flatten(args)
        kwarg_leaves, kwarg_tree = tree_flatten(kwargs)
        leaves = arg_leaves + kwarg_leaves
        axes = flatten_axes("vmap in_axes", args, in_axes) + [0] * len(kwarg_leaves)
        size = mapped_size(fun, args, kwargs, leaves, axes, axis_size)
        trace = BatchTrace(AxisData(size, axis_name, spmd_axis_name), _name_of(fun))
        try:
            ins = [trace.wrap(x, _in_dim(x, d)) for x, d in zip(leaves, axes)]
            n = len(arg_leaves)
            outs = with_trace(trace, fun, *tree_unflatten(arg_tree, ins[:n]),
                              **tree_unflatten(kwarg_tree, ins[n:]))
            out_leaves, out_tree = tree_flatten(outs)
            pairs = [trace.unwrap(_check_output(x)) for x in out_leaves]
        finally:
            trace.invalidate()
        out_axes_flat = flatten_axes("vmap out_axes", outs, out_axes)
        results = [_place_output(x, d, spec, size, out_tree, out_axes_flat, i)
                   for i, ((x, d), spec) in enumerate(zip(pairs, out_axes_flat))]
        return tree_unflatten(out_tree, results)

    name = _name_of(fun)
    doc = (f"Vectorized version of {name}. Takes similar arguments as {name} but with "
           f"additional array axes over which {name} is mapped.")
    if fun.__doc__:
        doc += "\n\nOriginal documentation:\n\n" + fun.__doc__
    vmap_f.__doc__ = doc
    return vmap_f


def _name_of(fun: Callable) -> str:
    return getattr(fun, "__name__", None) or type(fun).__name__


def _in_dim(x: Any, axis: int | None) -> int | None:
    if axis is None or axis >= 0:
        return axis
    return axis % get_aval(x).ndim


def _check_output(x: Any) -> Any:
    try:
        get_aval(x)
    except TypeError:
        raise TypeError(f"Output from batched function {x!r} with type {type(x)} is not a "
                        "valid JAX type") from None
    return x


def _place_output(x: Any, dim: int | None, spec: int | None, size: int, out_tree: Any,
                  out_axes_flat: list[Any], index: int) -> Any:
    if spec is None:
        if dim is not None:
            path = out_axis_path(out_tree, out_axes_flat, index)
            raise ValueError(f"at vmap out_axes{path}, got axis spec None but output was "
                             f"batched on axis {dim}")
        return x
    rank = get_aval(x).ndim + (1 if dim is None else 0)
    if not -rank <= spec < rank:
        raise ValueError(f"axis {spec} is out of bounds for array of dimension {rank}")
    out = _dims.bdim_at(x, dim, spec % rank, size)
    # NumPy inputs come back as kiln Arrays, as every result of a kiln operation is.
    return device_put_value(out) if isinstance(out, np.ndarray) else out


__all__ = ["vmap"]
