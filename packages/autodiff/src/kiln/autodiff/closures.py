"""Tracing user functions into closed jaxprs for higher-order primitives (custom_jvp,
custom_vjp, checkpoint), and ``closure_convert``.

A traced function may close over tracers of enclosing transformations; such constants are
hoisted into leading arguments of the jaxpr, so the enclosing transformations see them as
operands of the equation (as jit does with its closures).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from kiln.autodiff.pytrees import tree_flatten, tree_unflatten
from kiln.core import dtypes
from kiln.core.abstract import ShapedArray, get_aval
from kiln.core.jaxpr import ClosedJaxpr, Jaxpr, eval_jaxpr
from kiln.core.staging import DebugInfo, trace_to_jaxpr
from kiln.core.tracing import Tracer


class TracedFunction:
    """A function traced for a higher-order primitive: its closed jaxpr (whose leading
    ``len(hoisted)`` inputs are the hoisted tracer constants), those constants, and the
    output structure."""

    __slots__ = ("closed", "hoisted", "out_tree")

    def __init__(self, closed: ClosedJaxpr, hoisted: list[Any], out_tree: Any):
        self.closed = closed
        self.hoisted = hoisted
        self.out_tree = out_tree


def trace_flat(fun: Callable[..., Any], in_tree: Any, avals: Sequence[ShapedArray],
               traced_for: str, debug_fun: Callable | None = None) -> TracedFunction:
    """Trace the pytree function ``fun`` on arguments of ``avals`` (flattened with
    ``in_tree``), hoisting closed-over tracers into leading arguments."""
    out_trees: list[Any] = []

    def flat(*leaves: Any) -> list[Any]:
        out = fun(*tree_unflatten(in_tree, leaves))
        flat_out, out_tree = tree_flatten(out)
        out_trees.append(out_tree)
        return flat_out

    jaxpr, consts = trace_to_jaxpr(flat, avals, DebugInfo(traced_for, debug_fun or fun, None))
    closed, hoisted = hoist_tracer_consts(jaxpr, consts)
    return TracedFunction(closed, hoisted, out_trees[0])


def hoist_tracer_consts(jaxpr: Jaxpr, consts: Sequence[Any],
                        hoist: Callable[[Any], bool] | None = None,
                        ) -> tuple[ClosedJaxpr, list[Any]]:
    """Make the constvars bound to tracers (or to the consts ``hoist`` picks) leading
    invars; returns the closed jaxpr and the hoisted values."""
    hoist = hoist or (lambda c: isinstance(c, Tracer))
    kept = [(v, c) for v, c in zip(jaxpr.constvars, consts) if not hoist(c)]
    moved = [(v, c) for v, c in zip(jaxpr.constvars, consts) if hoist(c)]
    if not moved:
        return ClosedJaxpr(jaxpr, list(consts)), []
    body = Jaxpr([v for v, _ in kept], [v for v, _ in moved] + jaxpr.invars, jaxpr.outvars,
                 jaxpr.eqns, jaxpr.debug_info)
    return ClosedJaxpr(body, [c for _, c in kept]), [c for _, c in moved]


def resolve_kwargs(fun: Callable, args: tuple, kwargs: dict) -> tuple:
    """``args`` and ``kwargs`` as positional arguments of ``fun`` (defaults filled in)."""
    if not kwargs:
        return args
    bound = inspect.signature(fun).bind(*args, **kwargs)
    bound.apply_defaults()
    if bound.kwargs:
        raise TypeError("keyword arguments could not be resolved to positions")
    return bound.args


def function_name(fun: Any) -> str:
    fun = inspect.unwrap(fun) if callable(fun) else fun
    return getattr(fun, "__name__", None) or type(fun).__name__


def closure_convert(fun: Callable, *example_args: Any) -> tuple[Callable, list[Any]]:
    """``fun`` with the floating-point tracers it closes over (values an enclosing
    transformation may differentiate) made explicit: returns ``(converted, consts)`` where
    ``converted(*args, *consts)`` computes ``fun(*args)``. Use it to pass such closures to
    ``custom_vjp`` functions, whose rules only differentiate explicit arguments."""
    flat_args, in_tree = tree_flatten(example_args)
    avals = [get_aval(x) for x in flat_args]
    out_trees: list[Any] = []

    def flat(*leaves: Any) -> list[Any]:
        flat_out, out_tree = tree_flatten(fun(*tree_unflatten(in_tree, leaves)))
        out_trees.append(out_tree)
        return flat_out

    jaxpr, consts = trace_to_jaxpr(flat, avals, DebugInfo("closure_convert", fun, None))
    perturbable = lambda c: isinstance(c, Tracer) and dtypes.is_inexact(get_aval(c).dtype)  # noqa: E731
    closed, hoisted = hoist_tracer_consts(jaxpr, consts, perturbable)
    out_tree = out_trees[0]
    n_args = len(example_args)

    def converted(*args_and_consts: Any) -> Any:
        args, hoisted_values = args_and_consts[:n_args], args_and_consts[n_args:]
        leaves, tree = tree_flatten(args)
        if tree != in_tree:
            raise TypeError(
                "The inputs to the closure produced by closure_convert must have the same "
                "Pytree structure as the example arguments passed when closure_convert was "
                f"called. Expected {in_tree}, but got {tree}")
        outs = eval_jaxpr(closed.jaxpr, closed.consts, *hoisted_values, *leaves)
        return tree_unflatten(out_tree, outs)

    return converted, hoisted
