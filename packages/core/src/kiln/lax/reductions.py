"""Reductions: ``lax.reduce_sum(x, axes)`` and its siblings, ``argmax``/``argmin``, the
generic ``lax.reduce``, and the cumulative ``cumsum``/``cumprod``/``cummax``/``cummin``/
``cumlogsumexp``."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kiln.core import dtypes
from kiln.core.abstract import ShapedArray, get_aval
from kiln.core.jaxpr import ClosedJaxpr
from kiln.core.primitives import cumulative as _cum
from kiln.core.primitives import reductions as _red
from kiln.core.primitives.cumulative import (  # noqa: F401  (re-exported)
    cumlogsumexp_p,
    cummax_p,
    cummin_p,
    cumprod_p,
    cumsum_p,
)
from kiln.core.primitives.reductions import (  # noqa: F401  (re-exported)
    argmax_p,
    argmin_p,
    reduce_and_p,
    reduce_max_p,
    reduce_min_p,
    reduce_or_p,
    reduce_p,
    reduce_prod_p,
    reduce_sum_p,
    reduce_xor_p,
)
from kiln.core.staging import trace_to_jaxpr
from kiln.core.tracing import Tracer
from kiln.lax import elementwise as _ew
from kiln.lax.elementwise import _convert_element_type
from kiln.tree_util import tree_flatten, tree_unflatten

__all__ = [
    "reduce_sum", "reduce_prod", "reduce_max", "reduce_min", "reduce_and", "reduce_or",
    "reduce_xor", "argmax", "argmin", "reduce",
    "cumsum", "cumprod", "cummax", "cummin", "cumlogsumexp",
    # the primitives, under jax.lax's names
    *_red.__all__, *_cum.__all__,
]


def _axes(axes: Sequence[int]) -> tuple[int, ...]:
    return tuple(operator.index(a) for a in axes)


# -- monoid reductions ----------------------------------------------------------------------------


def reduce_sum(operand: Any, axes: Sequence[int], *, out_sharding: Any = None) -> Any:
    """Sum of the elements over ``axes``."""
    return _red.reduce_sum_p.bind(operand, axes=_axes(axes), out_sharding=out_sharding)


def reduce_prod(operand: Any, axes: Sequence[int]) -> Any:
    """Product of the elements over ``axes``."""
    return _red.reduce_prod_p.bind(operand, axes=_axes(axes))


def reduce_max(operand: Any, axes: Sequence[int]) -> Any:
    """Maximum of the elements over ``axes`` (NaN if any is NaN)."""
    return _red.reduce_max_p.bind(operand, axes=_axes(axes))


def reduce_min(operand: Any, axes: Sequence[int]) -> Any:
    """Minimum of the elements over ``axes`` (NaN if any is NaN)."""
    return _red.reduce_min_p.bind(operand, axes=_axes(axes))


def reduce_and(operand: Any, axes: Sequence[int]) -> Any:
    """Bitwise AND (logical for booleans) of the elements over ``axes``."""
    return _red.reduce_and_p.bind(operand, axes=_axes(axes))


def reduce_or(operand: Any, axes: Sequence[int]) -> Any:
    """Bitwise OR (logical for booleans) of the elements over ``axes``."""
    return _red.reduce_or_p.bind(operand, axes=_axes(axes))


def reduce_xor(operand: Any, axes: Sequence[int]) -> Any:
    """Bitwise XOR (logical for booleans) of the elements over ``axes``."""
    return _red.reduce_xor_p.bind(operand, axes=_axes(axes))


def argmax(operand: Any, axis: int, index_dtype: Any) -> Any:
    """Index of the largest element along ``axis`` (the first one among ties; the first NaN
    if there is one)."""
    return _red.argmax_p.bind(operand, axes=(operator.index(axis),),
                              index_dtype=dtypes.check_user_dtype(index_dtype, "argmax"))


def argmin(operand: Any, axis: int, index_dtype: Any) -> Any:
    """Index of the smallest element along ``axis`` (the first one among ties; the first NaN
    if there is one)."""
    return _red.argmin_p.bind(operand, axes=(operator.index(axis),),
                              index_dtype=dtypes.check_user_dtype(index_dtype, "argmin"))


# -- lax.reduce -----------------------------------------------------------------------------------


def _monoids() -> list[tuple[Callable, Callable, Callable[[np.dtype], Any], bool]]:
    """(lax function, the reduction it makes, its identity, whether only for bool/int)."""
    zero = lambda dt: 0
    return [
        (_ew.add, reduce_sum, zero, False),
        (_ew.mul, reduce_prod, lambda dt: 1, False),
        (_ew.max, reduce_max, _red.max_identity, False),
        (_ew.min, reduce_min, _red.min_identity, False),
        (_ew.bitwise_and, reduce_and, _red.and_identity, True),
        (_ew.bitwise_or, reduce_or, zero, True),
        (_ew.bitwise_xor, reduce_xor, zero, True),
    ]


def _monoid_reducer(computation: Callable, inits: Sequence[Any]) -> Callable | None:
    """The specific reduction ``computation`` with ``inits`` amounts to, as JAX recognises
    them: one operand, a lax function (by identity), and a concrete scalar init equal to its
    identity."""
    if len(inits) != 1 or isinstance(inits[0], Tracer):
        return None
    aval = get_aval(inits[0])
    if aval.shape != ():
        return None
    for fn, reducer, identity, intlike_only in _monoids():
        if fn is not computation:
            continue
        if intlike_only and not (aval.dtype == dtypes.bool_ or dtypes.is_int(aval.dtype)):
            return None
        return reducer if np.equal(np.asarray(inits[0]), identity(aval.dtype)) else None
    return None


@functools.lru_cache(maxsize=512)
def _reduction_jaxpr(computation: Callable, init_avals: tuple[ShapedArray, ...],
                     tree: Any) -> tuple[ClosedJaxpr, Any]:
    """``computation`` traced on (accumulators, elements) of the init values' avals."""
    out_trees = []

    def flat(*args: Any) -> list[Any]:
        n = len(args) // 2
        acc, x = tree_unflatten(tree, args[:n]), tree_unflatten(tree, args[n:])
        leaves, out_tree = tree_flatten(computation(acc, x))
        out_trees.append(out_tree)
        return leaves

    jaxpr, consts = trace_to_jaxpr(flat, init_avals + init_avals)
    if any(isinstance(c, Tracer) for c in consts):
        raise NotImplementedError("Reduction computations can't close over Tracers.")
    return ClosedJaxpr(jaxpr, consts), out_trees[0]


def reduce(operands: Any, init_values: Any, computation: Callable[[Any, Any], Any],
           dimensions: Sequence[int], out_sharding: Any = None) -> Any:
    """Reduce ``operands`` (a pytree of arrays) over ``dimensions`` with ``computation``,
    starting from ``init_values`` (a pytree of scalars of the same structure). The pair must
    be a monoid: ``computation`` associative, ``init_values`` its identity. lax.add, lax.mul,
    lax.max, lax.min and the bitwise functions with their identities become the specific
    reductions (``reduce_sum``...); anything else is a ``reduce`` primitive carrying the
    computation's jaxpr."""
    flat_operands, operand_tree = tree_flatten(operands)
    flat_inits, init_tree = tree_flatten(init_values)
    if operand_tree != init_tree:
        raise ValueError("Operands must have the same tree structure as init_values: "
                         f"{operand_tree} vs. {init_tree}")
    if len(flat_operands) != len(flat_inits):
        raise ValueError("Must have same total number of operands as init_values: "
                         f" {len(flat_operands)} vs. {len(flat_inits)}")
    dimensions = _axes(dimensions)
    reducer = _monoid_reducer(computation, flat_inits)
    if reducer is not None:
        weak = all(get_aval(x).weak_type for x in (*flat_operands, *flat_inits))
        if out_sharding is not None and reducer is not reduce_sum:
            raise NotImplementedError("out_sharding is only supported by reduce_sum")
        extra = {} if out_sharding is None else {"out_sharding": out_sharding}
        out = reducer(flat_operands[0], dimensions, **extra)
        return _convert_element_type(out, get_aval(out).dtype, weak_type=weak)
    init_avals = tuple(get_aval(x) for x in flat_inits)
    closed, out_tree = _reduction_jaxpr(computation, init_avals, init_tree)
    outs = _red.reduce_p.bind(*flat_operands, *flat_inits, computation=computation,
                              jaxpr=closed, dimensions=dimensions)
    return tree_unflatten(out_tree, outs)


# -- cumulative reductions ------------------------------------------------------------------------


def cumsum(operand: Any, axis: int = 0, reverse: bool = False) -> Any:
    """Cumulative sum along ``axis`` (from the end when ``reverse``)."""
    return _cum.cumsum_p.bind(operand, axis=operator.index(axis), reverse=bool(reverse))


def cumprod(operand: Any, axis: int = 0, reverse: bool = False) -> Any:
    """Cumulative product along ``axis`` (from the end when ``reverse``)."""
    return _cum.cumprod_p.bind(operand, axis=operator.index(axis), reverse=bool(reverse))


def cummax(operand: Any, axis: int = 0, reverse: bool = False) -> Any:
    """Cumulative maximum along ``axis`` (from the end when ``reverse``)."""
    return _cum.cummax_p.bind(operand, axis=operator.index(axis), reverse=bool(reverse))


def cummin(operand: Any, axis: int = 0, reverse: bool = False) -> Any:
    """Cumulative minimum along ``axis`` (from the end when ``reverse``)."""
    return _cum.cummin_p.bind(operand, axis=operator.index(axis), reverse=bool(reverse))


def cumlogsumexp(operand: Any, axis: int = 0, reverse: bool = False) -> Any:
    """Cumulative ``log(sum(exp(x)))`` along ``axis``, computed without overflow."""
    return _cum.cumlogsumexp_p.bind(operand, axis=operator.index(axis), reverse=bool(reverse))
