"""Tracing entry points for users: ``make_jaxpr``, ``eval_shape`` and ``ShapeDtypeStruct``."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kiln.core import abstract, dtypes
from kiln.core.abstract import ShapedArray, get_aval
from kiln.core.jaxpr import ClosedJaxpr
from kiln.core.jit import _LazyArgNames, _normalize_argnums
from kiln.core.primitives.collectives import extend_axis_env
from kiln.core.staging import DebugInfo, trace_to_jaxpr
from kiln.tree_util import tree_flatten, tree_unflatten


class ShapeDtypeStruct:
    """A shape and dtype standing in for an array (``eval_shape``'s results, and arguments
    to ``make_jaxpr``/``eval_shape``/``jit(f).lower``)."""

    __slots__ = ("shape", "dtype", "sharding", "weak_type")

    def __init__(self, shape: Sequence[int], dtype: Any, sharding: Any = None, *,
                 weak_type: bool = False):
        self.shape = tuple(int(d) for d in shape)
        self.dtype = np.dtype(dtype)
        self.sharding = sharding
        self.weak_type = weak_type

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def __repr__(self) -> str:
        weak = ", weak_type=True" if self.weak_type else ""
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype.name}{weak})"

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, ShapeDtypeStruct) and (self.shape, self.dtype, self.weak_type) \
            == (other.shape, other.dtype, other.weak_type)

    def __hash__(self) -> int:
        return hash((self.shape, self.dtype, self.weak_type))


abstract.register_aval_rule(
    ShapeDtypeStruct,
    lambda s: ShapedArray(s.shape, dtypes.canonicalize_dtype(s.dtype), s.weak_type),
)


def _trace_pytree(fun: Callable, args: tuple, kwargs: dict, static_argnums: tuple[int, ...],
                  traced_for: str) -> tuple[Any, list[Any], Any]:
    static = set(i if i >= 0 else i + len(args) for i in static_argnums)
    dyn_args = tuple(a for i, a in enumerate(args) if i not in static)
    leaves, in_tree = tree_flatten((dyn_args, kwargs))
    avals = [get_aval(x) for x in leaves]
    out_tree_box: list[Any] = []

    def flat_fun(*flat: Any) -> list[Any]:
        dyn, kw = tree_unflatten(in_tree, flat)
        it = iter(dyn)
        full = tuple(args[i] if i in static else next(it) for i in range(len(args)))
        out_leaves, out_tree = tree_flatten(fun(*full, **kw))
        out_tree_box.append(out_tree)
        return out_leaves

    names = _LazyArgNames(fun, args, kwargs, tuple(static))
    jaxpr, consts = trace_to_jaxpr(flat_fun, avals, DebugInfo(traced_for, fun, names))
    return jaxpr, consts, out_tree_box[0]


def make_jaxpr(
    fun: Callable,
    static_argnums: int | Sequence[int] = (),
    axis_env: Any = None,
    return_shape: bool = False,
    abstracted_axes: Any = None,
) -> Callable[..., Any]:
    """A function that returns the closed jaxpr of ``fun`` traced on the given arguments
    (and, with ``return_shape=True``, the pytree of output ``ShapeDtypeStruct``s)."""
    static = _normalize_argnums(static_argnums)

    @functools.wraps(fun)
    def make(*args: Any, **kwargs: Any) -> Any:
        with extend_axis_env(axis_env or ()):
            jaxpr, consts, out_tree = _trace_pytree(fun, args, kwargs, static, "make_jaxpr")
        closed = ClosedJaxpr(jaxpr, consts)
        if return_shape:
            shapes = [ShapeDtypeStruct(a.shape, a.dtype, weak_type=a.weak_type)
                      for a in closed.out_avals]
            return closed, tree_unflatten(out_tree, shapes)
        return closed

    return make


def eval_shape(fun: Callable, *args: Any, **kwargs: Any) -> Any:
    """The shapes and dtypes of ``fun``'s outputs, as a pytree of ``ShapeDtypeStruct``s,
    without running it."""
    jaxpr, _, out_tree = _trace_pytree(fun, args, kwargs, (), "eval_shape")
    shapes = [ShapeDtypeStruct(a.shape, a.dtype, weak_type=a.weak_type)
              for a in jaxpr.out_avals]
    return tree_unflatten(out_tree, shapes)
