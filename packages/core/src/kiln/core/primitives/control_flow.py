"""Control-flow primitives: ``cond``, ``while`` and ``scan``, with JAX 0.10.2's names and
params. They are higher-order: their params carry closed jaxprs (the branches, the loop's
condition and body), and every value those jaxprs close over is an explicit operand (a
*const*), so that outer transformations see it.

==========  =====================================================  ==============================
primitive   operands                                               params
==========  =====================================================  ==============================
``cond``    ``index, *ops``                                        ``branches`` (tuple of jaxprs
                                                                   taking ``ops``)
``while``   ``*cond_consts, *body_consts, *carry``                 ``cond_jaxpr, cond_nconsts,
                                                                   body_jaxpr, body_nconsts``
``scan``    ``*consts, *carry, *xs``                               ``jaxpr, length, num_consts,
                                                                   num_carry, reverse, unroll``
==========  =====================================================  ==============================

``cond`` runs ``branches[index]`` (an index out of range runs the last branch, as XLA's
``case``); ``while`` repeats ``carry = body(*body_consts, *carry)`` while
``cond(*cond_consts, *carry)``; ``scan`` maps ``(carry, x) -> (carry, y)`` over the leading
axis of ``xs`` (from the end with ``reverse``), stacking the ``y``s. ``unroll`` only tells
backends how many iterations to put in one trip of the loop they emit.

Here: the shape rules (JAX's type checks), the NumPy ``impl`` rules (the jaxprs run by the
reference interpreter) and ``scan``'s decomposition as a ``while`` loop, which backends
without a rule of their own lower. The user-facing functions are in ``kiln.lax``; the
transformation rules live with their transformations (kiln-autodiff, kiln-batching) and the
XLA lowering in kiln-compiler. The jaxpr helpers at the end are shared by those rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kiln.core.abstract import ShapedArray
from kiln.core.jaxpr import ClosedJaxpr, Jaxpr, Literal, Var
from kiln.core.primitive import (
    Primitive,
    register_abstract_eval,
    register_decomposition,
    register_impl,
)
from kiln.core.reference import run_jaxpr

cond_p = Primitive("cond", multiple_results=True)
while_p = Primitive("while", multiple_results=True)
scan_p = Primitive("scan", multiple_results=True)


# -- types -------------------------------------------------------------------------------------


def typematch(a: ShapedArray, b: ShapedArray) -> bool:
    """Equal shapes and dtypes (weak types may differ), JAX's ``core.typematch``."""
    return tuple(a.shape) == tuple(b.shape) and a.dtype == b.dtype


def _avals_text(avals: Sequence[ShapedArray]) -> str:
    return "[" + ", ".join(a.str_short() for a in avals) + "]"


def _check_inputs(what: str, expected: Sequence[ShapedArray], got: Sequence[ShapedArray]) -> None:
    if len(expected) != len(got) or not all(map(typematch, expected, got)):
        raise TypeError(f"{what} takes input types {_avals_text(expected)} but was given "
                        f"{_avals_text(got)}")


def split_list(xs: Sequence[Any], sizes: Sequence[int]) -> list[list[Any]]:
    """``xs`` cut into consecutive pieces of ``sizes``, then the rest."""
    out, start = [], 0
    for n in sizes:
        out.append(list(xs[start:start + n]))
        start += n
    out.append(list(xs[start:]))
    return out


# -- cond ------------------------------------------------------------------------------------


@register_abstract_eval(cond_p)
def _cond_abstract_eval(index: ShapedArray, *ops: ShapedArray,
                        branches: Sequence[ClosedJaxpr]) -> list[ShapedArray]:
    if not branches:
        raise TypeError("cond requires at least one branch function")
    if index.shape != () or index.dtype != np.int32:
        raise TypeError(f"cond branch index must be a scalar int32, got {index.str_short()}")
    for i, branch in enumerate(branches):
        _check_inputs(f"cond branch {i}", branch.in_avals, ops)
    first = branches[0].out_avals
    for i, branch in enumerate(branches[1:], 1):
        if len(branch.out_avals) != len(first) or \
                not all(map(typematch, first, branch.out_avals)):
            raise TypeError(f"cond branches 0 and {i} have different output types: "
                            f"{_avals_text(first)} and {_avals_text(branch.out_avals)}")
    return list(first)


def branch_index(index: Any, n: int) -> int:
    """The branch a concrete ``index`` selects: out of range, the last (XLA's ``case``)."""
    i = int(index)
    return i if 0 <= i < n else n - 1


@register_impl(cond_p)
def _cond_impl(index: np.ndarray, *ops: np.ndarray,
               branches: Sequence[ClosedJaxpr]) -> list[np.ndarray]:
    branch = branches[branch_index(index, len(branches))]
    return run_jaxpr(branch.jaxpr, branch.consts, ops)


# -- while -----------------------------------------------------------------------------------


@register_abstract_eval(while_p)
def _while_abstract_eval(*avals: ShapedArray, cond_jaxpr: ClosedJaxpr, body_jaxpr: ClosedJaxpr,
                         cond_nconsts: int, body_nconsts: int) -> list[ShapedArray]:
    cond_consts, body_consts, carry = split_list(avals, [cond_nconsts, body_nconsts])
    _check_inputs("while_loop cond function", cond_jaxpr.in_avals, cond_consts + carry)
    _check_inputs("while_loop body function", body_jaxpr.in_avals, body_consts + carry)
    pred = cond_jaxpr.out_avals
    if len(pred) != 1 or pred[0].shape != () or pred[0].dtype != np.bool_:
        raise TypeError("while_loop cond function must return a boolean scalar, but got "
                        f"output type(s) {_avals_text(pred)}")
    outs = body_jaxpr.out_avals
    if len(outs) != len(carry) or not all(map(typematch, carry, outs)):
        raise TypeError("while_loop body function carry input and carry output must have "
                        f"equal types, but got {_avals_text(carry)} and {_avals_text(outs)}")
    return list(outs)


@register_impl(while_p)
def _while_impl(*args: np.ndarray, cond_jaxpr: ClosedJaxpr, body_jaxpr: ClosedJaxpr,
                cond_nconsts: int, body_nconsts: int) -> list[np.ndarray]:
    cond_consts, body_consts, carry = split_list(args, [cond_nconsts, body_nconsts])
    while run_jaxpr(cond_jaxpr.jaxpr, cond_jaxpr.consts, cond_consts + carry)[0]:
        carry = run_jaxpr(body_jaxpr.jaxpr, body_jaxpr.consts, body_consts + carry)
    return carry


# -- scan ------------------------------------------------------------------------------------


def stacked_aval(length: int, aval: ShapedArray) -> ShapedArray:
    """The aval of ``length`` values of ``aval`` stacked along a new leading axis."""
    return ShapedArray((length, *aval.shape), aval.dtype, aval.weak_type)


def unstacked_aval(aval: ShapedArray) -> ShapedArray:
    return ShapedArray(tuple(aval.shape[1:]), aval.dtype, aval.weak_type)


@register_abstract_eval(scan_p)
def _scan_abstract_eval(*avals: ShapedArray, reverse: bool, length: int, jaxpr: ClosedJaxpr,
                        num_consts: int, num_carry: int, unroll: int) -> list[ShapedArray]:
    consts, carry, xs = split_list(avals, [num_consts, num_carry])
    for x in xs:
        if not x.shape or x.shape[0] != length:
            raise TypeError(f"scan over length {length} got an xs operand of type "
                            f"{x.str_short()}")
    _check_inputs("scan body function", jaxpr.in_avals,
                  consts + carry + [unstacked_aval(x) for x in xs])
    carry_out, ys = split_list(jaxpr.out_avals, [num_carry])
    if not all(map(typematch, carry, carry_out)):
        raise TypeError("scan body function carry input and carry output must have equal "
                        f"types, but got {_avals_text(carry)} and {_avals_text(carry_out)}")
    return carry_out + [stacked_aval(length, y) for y in ys]


@register_impl(scan_p)
def _scan_impl(*args: np.ndarray, reverse: bool, length: int, jaxpr: ClosedJaxpr,
               num_consts: int, num_carry: int, unroll: int) -> list[np.ndarray]:
    consts, carry, xs = split_list(args, [num_consts, num_carry])
    ys = [np.zeros((length, *a.shape), a.dtype) for a in jaxpr.out_avals[num_carry:]]
    for k in range(length):
        i = length - 1 - k if reverse else k
        outs = run_jaxpr(jaxpr.jaxpr, jaxpr.consts, [*consts, *carry, *(x[i] for x in xs)])
        carry = outs[:num_carry]
        for buffer, y in zip(ys, outs[num_carry:]):
            buffer[i] = y
    return [*carry, *ys]


def _scan_as_while(*args: Any, reverse: bool, length: int, jaxpr: ClosedJaxpr, num_consts: int,
                   num_carry: int, unroll: int) -> list[Any]:
    """``scan`` as a ``while`` loop over an iteration counter: each trip runs ``unroll``
    iterations (reading ``xs`` and writing the stacked ``ys`` at the counter's position),
    and the iterations left over run after the loop."""
    from kiln import lax
    from kiln.core.jaxpr import eval_jaxpr

    consts, init, xs = split_list(args, [num_consts, num_carry])
    ys_avals = jaxpr.out_avals[num_carry:]
    unroll = max(1, min(int(unroll), length))
    trips, left_over = divmod(length, unroll)

    def iteration(i: Any, carry: list, ys: list) -> tuple[list, list]:
        index = lax.sub(np.int32(length - 1), i) if reverse else i
        x = [lax.squeeze(lax.dynamic_slice_in_dim(x, index, 1), (0,)) for x in xs]
        outs = eval_jaxpr(jaxpr.jaxpr, jaxpr.consts, *consts, *carry, *x)
        carry, y = outs[:num_carry], outs[num_carry:]
        ys = [lax.dynamic_update_slice_in_dim(buffer, lax.expand_dims(v, (0,)), index, 0)
              for buffer, v in zip(ys, y)]
        return carry, ys

    def trip(state: tuple) -> tuple:
        i, carry, ys = state
        for _ in range(unroll):
            carry, ys = iteration(i, carry, ys)
            i = lax.add(i, np.int32(1))
        return i, carry, ys

    ys = [lax.full((length, *a.shape), 0, a.dtype) for a in ys_avals]
    state = (np.int32(0), list(init), ys)
    if trips:
        state = lax.while_loop(lambda s: lax.lt(s[0], np.int32(trips * unroll)), trip, state)
    i, carry, ys = state
    for k in range(left_over):
        carry, ys = iteration(lax.add(i, np.int32(k)), carry, ys)
    return [*carry, *ys]


register_decomposition(scan_p, _scan_as_while)


# -- jaxpr helpers for the rules of these primitives ---------------------------------------------


def forwarded_inputs(jaxpr: Jaxpr) -> list[int | None]:
    """For each output of ``jaxpr``, the position of the input it returns unchanged, or None."""
    position = {v: i for i, v in enumerate(jaxpr.invars)}
    return [position.get(v) if type(v) is Var else None for v in jaxpr.outvars]


def dce(jaxpr: Jaxpr, used_outputs: Sequence[bool],
        keep_inputs: Sequence[bool] | None = None) -> tuple[Jaxpr, list[bool]]:
    """``jaxpr`` with only the outputs marked in ``used_outputs`` and the equations they
    need; inputs nothing reads are dropped too (unless marked in ``keep_inputs``). Returns
    the new jaxpr and which inputs it kept."""
    outvars = [v for v, used in zip(jaxpr.outvars, used_outputs) if used]
    live = {v for v in outvars if type(v) is Var}
    eqns = []
    for eqn in reversed(jaxpr.eqns):
        if any(v in live for v in eqn.outvars):
            eqns.append(eqn)
            live.update(a for a in eqn.invars if type(a) is not Literal)
    eqns.reverse()
    keep = [v in live or bool(keep_inputs and keep_inputs[i])
            for i, v in enumerate(jaxpr.invars)]
    invars = [v for v, k in zip(jaxpr.invars, keep) if k]
    constvars = [v for v in jaxpr.constvars if v in live]
    return Jaxpr(constvars, invars, outvars, eqns, jaxpr.debug_info), keep


def dce_closed(closed: ClosedJaxpr, used_outputs: Sequence[bool],
               keep_inputs: Sequence[bool] | None = None) -> tuple[ClosedJaxpr, list[bool]]:
    """:func:`dce` of a closed jaxpr (its unused consts dropped too)."""
    jaxpr, keep = dce(closed.jaxpr, used_outputs, keep_inputs)
    live = set(jaxpr.constvars)
    consts = [c for v, c in zip(closed.jaxpr.constvars, closed.consts) if v in live]
    return ClosedJaxpr(jaxpr, consts), keep


def with_invars(closed: ClosedJaxpr, invars: Sequence[Var | ShapedArray]) -> ClosedJaxpr:
    """``closed`` with the input list ``invars``: its own variables (reordered, or some left
    out if unused) and avals, which become new inputs it ignores."""
    new = [v if isinstance(v, Var) else Var(v) for v in invars]
    jaxpr = closed.jaxpr
    return ClosedJaxpr(Jaxpr(jaxpr.constvars, new, jaxpr.outvars, jaxpr.eqns, jaxpr.debug_info),
                       closed.consts)


def with_outvars(closed: ClosedJaxpr, order: Sequence[int]) -> ClosedJaxpr:
    """``closed`` returning its outputs at positions ``order`` (a selection or permutation)."""
    jaxpr = closed.jaxpr
    outvars = [jaxpr.outvars[i] for i in order]
    return ClosedJaxpr(Jaxpr(jaxpr.constvars, jaxpr.invars, outvars, jaxpr.eqns,
                             jaxpr.debug_info), closed.consts)


def permute_invars(closed: ClosedJaxpr, order: Sequence[int]) -> ClosedJaxpr:
    """``closed`` taking its inputs in the order ``order`` (new input k is old ``order[k]``)."""
    return with_invars(closed, [closed.jaxpr.invars[i] for i in order])


def consts_to_invars(closed: ClosedJaxpr) -> tuple[ClosedJaxpr, list[Any]]:
    """``closed`` taking its consts as leading inputs (so its params hold no values), and
    those consts."""
    jaxpr = closed.jaxpr
    if not jaxpr.constvars:
        return closed, []
    return ClosedJaxpr(Jaxpr([], [*jaxpr.constvars, *jaxpr.invars], jaxpr.outvars, jaxpr.eqns,
                             jaxpr.debug_info), []), list(closed.consts)


def hoist_tracer_consts(closed: ClosedJaxpr) -> tuple[ClosedJaxpr, list[Any]]:
    """``closed`` with its consts that are tracers (values of outer transformations) moved to
    leading inputs, and those tracers: a transformed body may close over them, but a
    primitive's params may not hold them."""
    from kiln.core.tracing import Tracer

    pairs = list(zip(closed.jaxpr.constvars, closed.consts))
    moved = [(v, c) for v, c in pairs if isinstance(c, Tracer)]
    if not moved:
        return closed, []
    kept = [(v, c) for v, c in pairs if not isinstance(c, Tracer)]
    jaxpr = closed.jaxpr
    body = Jaxpr([v for v, _ in kept], [*(v for v, _ in moved), *jaxpr.invars], jaxpr.outvars,
                 jaxpr.eqns, jaxpr.debug_info)
    return ClosedJaxpr(body, [c for _, c in kept]), [c for _, c in moved]


def trace_closed(fun: Callable[..., Sequence[Any]],
                 in_avals: Sequence[ShapedArray]) -> ClosedJaxpr:
    """``fun`` (flat in, flat out) traced on ``in_avals`` to a closed jaxpr."""
    from kiln.core.staging import trace_to_jaxpr

    jaxpr, consts = trace_to_jaxpr(fun, in_avals)
    return ClosedJaxpr(jaxpr, consts)


__all__ = [
    "branch_index", "cond_p", "consts_to_invars", "dce", "dce_closed", "forwarded_inputs",
    "hoist_tracer_consts", "permute_invars", "scan_p", "split_list", "stacked_aval",
    "trace_closed", "typematch", "unstacked_aval", "while_p", "with_invars", "with_outvars",
]
