"""Collective primitives over named axes: ``psum``, ``pmax``, ``pmin``, ``all_gather`` and
``axis_index``.

A collective combines the values that the members of a *named mapped axis* hold: under
``vmap(f, axis_name='i')`` each member is one element of the batch, and ``psum(x, 'i')`` is
their sum. The transformation that binds the name implements the collective (kiln-batching's
trace turns ``psum`` over its own axis into a ``reduce_sum`` over the batch dimension); this
module defines the primitives, their shape rules, and the *axis environment*.

The axis environment is read off the trace stack: a trace that binds an axis name has the
attributes ``axis_name`` and ``axis_size``, and the names bound where a primitive is applied
are those of the current trace and its parents (an inner binding of a name shadows an outer
one). Applying a collective where its name is not bound raises JAX's ``NameError``: eagerly
"unbound axis name: i", while tracing "Found an unbound axis name: i. ...".

Params follow JAX 0.10.2: ``psum``/``pmax``/``pmin`` have ``axes`` (a tuple of names) and
``axis_index_groups``; ``all_gather`` has ``all_gather_dimension``, ``axis_name`` (a tuple),
``axis_index_groups``, ``axis_size`` and ``tiled``; ``axis_index`` has ``axis_name``.
``pmean`` is not a primitive (``kiln.lax.pmean`` is a ``psum`` and a division, as in JAX).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Hashable, Iterator, Sequence
from typing import Any

from kiln.core import dtypes, tracing
from kiln.core.abstract import ShapedArray
from kiln.core.primitive import Primitive, register_abstract_eval, register_impl

psum_p = Primitive("psum")
pmax_p = Primitive("pmax")
pmin_p = Primitive("pmin")
all_gather_p = Primitive("all_gather")
axis_index_p = Primitive("axis_index")

# The collectives whose ``axes`` param names the axes they reduce over.
REDUCTIONS = (psum_p, pmax_p, pmin_p)
# Every primitive here: they only run where a transformation binds their axis names, so
# they have no standalone conformance examples (their tests bind names with vmap).
NAMED_AXIS_PRIMITIVES = (*REDUCTIONS, all_gather_p, axis_index_p)


# -- the axis environment -------------------------------------------------------------------


class _ExtraAxes(threading.local):
    """Names bound without a trace (``make_jaxpr(f, axis_env=...)``), innermost last."""

    def __init__(self) -> None:
        self.stack: list[tuple[Hashable, int]] = []


_extra_axes = _ExtraAxes()


@contextlib.contextmanager
def extend_axis_env(axis_env: Sequence[tuple[Hashable, int]]) -> Iterator[None]:
    """Bind the ``(name, size)`` pairs of ``axis_env`` while tracing (what
    ``make_jaxpr(f, axis_env=...)`` needs): collectives over them can be staged."""
    stack = _extra_axes.stack
    depth = len(stack)
    stack.extend((name, int(size)) for name, size in axis_env)
    try:
        yield
    finally:
        del stack[depth:]


def axis_env() -> dict[Hashable, int]:
    """``{axis name: size}`` of the names bound where a primitive would be applied now."""
    env: dict[Hashable, int] = {}
    trace = tracing.context.trace
    while trace is not None:
        name = getattr(trace, "axis_name", None)
        if name is not None:
            env.setdefault(name, trace.axis_size)
        trace = trace.parent
    for name, size in reversed(_extra_axes.stack):
        env.setdefault(name, size)
    return env


def _is_tracing() -> bool:
    return tracing.context.trace is not tracing.EVAL_TRACE


def unbound_axis_error(name: Hashable, api_name: str) -> NameError:
    """JAX's error for a collective applied where ``name`` is not bound: the short form
    eagerly, the long one (with the fix) while tracing."""
    if not _is_tracing():
        return NameError(f"unbound axis name: {name}")
    return NameError(
        f"Found an unbound axis name: {name}. To fix this, please call {api_name} under a "
        f"transformation that binds it, such as `kiln.vmap(..., axis_name={name!r})`.")


def check_axis_names(names: Sequence[Hashable], api_name: str) -> dict[Hashable, int]:
    """Raise the unbound-name error unless every one of ``names`` is bound; returns the
    environment."""
    env = axis_env()
    for name in names:
        if name not in env:
            raise unbound_axis_error(name, api_name)
    return env


def axis_size(names: Sequence[Hashable], api_name: str = "axis_size") -> int:
    """The number of members of the axes ``names`` together (the product of their sizes)."""
    env = check_axis_names(names, api_name)
    size = 1
    for name in names:
        size *= env[name]
    return size


def as_axis_names(axis_name: Any) -> tuple[Hashable, ...]:
    """An ``axis_name`` argument (one name, or a tuple or list of names) as a tuple."""
    names = tuple(axis_name) if isinstance(axis_name, (tuple, list)) else (axis_name,)
    for name in names:
        if isinstance(name, int) and not isinstance(name, bool):
            raise NotImplementedError(
                f"kiln's collectives take axis names, not positional axes (got {name}); "
                "use the lax reductions (lax.reduce_sum...) to reduce array dimensions")
    return names


# -- shape rules ----------------------------------------------------------------------------


def _reduction_aval_rule(name: str) -> Any:
    def rule(x: ShapedArray, *, axes: tuple[Hashable, ...], axis_index_groups: Any) -> Any:
        check_axis_names(axes, name)
        return x

    return rule


def _all_gather_aval_rule(x: ShapedArray, *, all_gather_dimension: int,
                          axis_name: tuple[Hashable, ...], axis_index_groups: Any,
                          axis_size: int, tiled: bool) -> ShapedArray:
    check_axis_names(axis_name, "all_gather")
    d = all_gather_dimension
    if not 0 <= d <= x.ndim - (1 if tiled else 0):
        raise ValueError(f"all_gather_dimension {d} is out of bounds for an operand of rank "
                         f"{x.ndim}{' (tiled)' if tiled else ''}")
    if tiled:
        shape = x.shape[:d] + (x.shape[d] * axis_size,) + x.shape[d + 1:]
    else:
        shape = x.shape[:d] + (axis_size,) + x.shape[d:]
    return ShapedArray(shape, x.dtype, x.weak_type)


def _axis_index_aval_rule(*, axis_name: Hashable) -> ShapedArray:
    check_axis_names((axis_name,), "axis_index")
    return ShapedArray((), dtypes.int32)


# -- impl rules -----------------------------------------------------------------------------
# A collective only has a meaning under a transformation that binds its axis, and such a
# transformation handles it before any backend sees it; evaluating one means its axis is
# unbound.


def _unbound_impl(names_param: str) -> Any:
    def impl(*args: Any, **params: Any) -> Any:
        names = params[names_param]
        name = names[0] if isinstance(names, tuple) else names
        raise NameError(f"unbound axis name: {name}")

    return impl


for _prim in REDUCTIONS:
    register_abstract_eval(_prim, _reduction_aval_rule(_prim.name))
    register_impl(_prim, _unbound_impl("axes"))
register_abstract_eval(all_gather_p, _all_gather_aval_rule)
register_impl(all_gather_p, _unbound_impl("axis_name"))
register_abstract_eval(axis_index_p, _axis_index_aval_rule)
register_impl(axis_index_p, _unbound_impl("axis_name"))

__all__ = [
    "NAMED_AXIS_PRIMITIVES", "REDUCTIONS", "all_gather_p", "as_axis_names", "axis_env",
    "axis_index_p", "axis_size", "check_axis_names", "extend_axis_env", "pmax_p", "pmin_p",
    "psum_p", "unbound_axis_error",
]
