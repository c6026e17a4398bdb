"""Building blocks for jvp and transpose rules, for kiln's own rule tables and for library
authors (see the package README for the rule conventions).

- ``defjvp(prim, *derivs)``: a jvp rule from one function per argument,
  ``deriv(g, ans, *args, **params) -> tangent contribution`` (``None``: no dependence);
- ``defjvp_zero(prim)``: the output does not depend differentiably on any input;
- ``deflinear(prim, transpose)``: ``prim`` is linear in its arguments: its jvp applies
  ``prim`` to the tangents, and ``transpose(ct, *args, **params)`` returns the cotangents;
- ``broadcast_to`` and ``unbroadcast``: tangents of rank-0 or size-1 operands of
  broadcasting primitives.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kiln import lax
from kiln.autodiff.zeros import Zero, add_tangents, instantiate, tangent_aval
from kiln.core.abstract import ShapedArray, get_aval
from kiln.core.primitive import Primitive, register_jvp, register_transpose


def broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    """``x`` (rank 0, or of ``shape``'s rank with size-1 dimensions) broadcast to ``shape``."""
    x_shape = get_aval(x).shape
    if tuple(x_shape) == tuple(shape):
        return x
    dims = () if not x_shape else tuple(range(len(shape)))
    return lax.broadcast_in_dim(x, tuple(shape), dims)


def unbroadcast(aval: ShapedArray, ct: Any) -> Any:
    """The cotangent of an operand of ``aval`` from the cotangent ``ct`` of a broadcasting
    result: summed over the dimensions the operand was broadcast along."""
    ct_shape = get_aval(ct).shape
    if tuple(ct_shape) == tuple(aval.shape):
        return ct
    if not aval.shape:
        return lax.reduce_sum(ct, tuple(range(len(ct_shape))))
    dims = tuple(i for i, (a, c) in enumerate(zip(aval.shape, ct_shape)) if a == 1 and c != 1)
    return lax.reshape(lax.reduce_sum(ct, dims), tuple(aval.shape))


def aval_of(x: Any) -> ShapedArray:
    """The abstract value of a primal, a tangent or an ``UndefinedPrimal``."""
    aval = getattr(x, "aval", None)
    return aval if isinstance(aval, ShapedArray) else get_aval(x)


def zero_tangents_of(outs: Any, multiple_results: bool) -> Any:
    if multiple_results:
        return [Zero(tangent_aval(get_aval(o))) for o in outs]
    return Zero(tangent_aval(get_aval(outs)))


def defjvp_zero(prim: Primitive) -> None:
    """Register a jvp rule saying ``prim``'s outputs have zero derivative (comparisons,
    rounding, integer-valued results...)."""

    def rule(primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> tuple:
        out = prim.bind(*primals, **params)
        return out, zero_tangents_of(out, prim.multiple_results)

    register_jvp(prim, rule)


def defjvp(prim: Primitive, *derivs: Callable | None) -> None:
    """Register a jvp rule summing one contribution per argument with a nonzero tangent:
    ``derivs[i](g, ans, *args, **params)`` for tangent ``g`` of argument ``i`` and primal
    output ``ans``. Contributions are broadcast to the output's shape."""

    def rule(primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> tuple:
        ans = prim.bind(*primals, **params)
        shape = get_aval(ans).shape
        out: Any = Zero(tangent_aval(get_aval(ans)))
        for deriv, t in zip(derivs, tangents):
            if deriv is None or type(t) is Zero:
                continue
            out = add_tangents(out, broadcast_to(deriv(t, ans, *primals, **params), shape))
        return ans, out

    register_jvp(prim, rule)


def deflinear(prim: Primitive, transpose: Callable) -> None:
    """Register the jvp and transpose rules of a primitive linear in all its arguments
    jointly: its jvp applies ``prim`` to the tangents (zeros materialized where some are
    nonzero), and ``transpose(cts, *args, **params)`` returns the arguments' cotangents."""

    def rule(primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> tuple:
        out = prim.bind(*primals, **params)
        if all(type(t) is Zero for t in tangents):
            return out, zero_tangents_of(out, prim.multiple_results)
        return out, prim.bind(*[instantiate(t) for t in tangents], **params)

    register_jvp(prim, rule)
    register_transpose(prim, transpose)
