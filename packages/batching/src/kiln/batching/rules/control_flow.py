"""Batching rules of the control-flow primitives ``cond``, ``while`` and ``scan``: their
bodies are batched as whole jaxprs (``batch_jaxpr``) and the primitive is bound again.

- ``cond`` with an unbatched index stays a ``cond`` of batched branches. With a batched
  index every branch runs on the whole batch and ``select_n`` picks each member's result
  (JAX's conversion; each branch's operands pass through ``select(taken, x,
  stop_gradient(x))`` so that gradients only flow into the branch a member takes).
- ``while``: a carry is batched if its initial value is or the body makes it so (a
  fixpoint). With a batched predicate every carry is batched, the loop runs while any member
  wants to, and a member whose predicate is false keeps its carry (per-lane masking).
- ``scan``: the carry fixpoint as for ``while``; batched ``xs`` are moved to dimension 1
  (dimension 0 is the scanned one), so batched ``ys`` come out at dimension 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kiln import lax
from kiln.batching.dims import bdim_at, moveaxis, shape
from kiln.batching.jaxpr import any_dim, batch_jaxpr
from kiln.batching.trace import current_axis
from kiln.core import ClosedJaxpr, eval_jaxpr, register_batch
from kiln.core.primitives.control_flow import (
    cond_p,
    hoist_tracer_consts,
    scan_p,
    split_list,
    trace_closed,
    while_p,
)


def _to_front(xs: Sequence[Any], dims: Sequence[int | None]) -> list[Any]:
    """Batched values moved to dimension 0; unbatched ones as they are."""
    return [x if d is None else moveaxis(x, d, 0) for x, d in zip(xs, dims)]


def _front_dims(batched: Sequence[bool]) -> list[int | None]:
    return [0 if b else None for b in batched]


def _broadcast_to(x: Any, batched: bool, size: int) -> Any:
    """``x`` (batched at 0 or not) batched at 0, broadcast if it was not."""
    return x if batched else bdim_at(x, None, 0, size)


def _select_members(pred: Any, on_true: Any, on_false: Any) -> Any:
    """``select`` with a per-member predicate (shape ``(size,)``) over values batched at 0."""
    target = shape(on_true)
    if len(target) > 1:
        pred = lax.broadcast_in_dim(pred, target, (0,))
    return lax.select(pred, on_true, on_false)


def _select_n_members(index: Any, *cases: Any) -> Any:
    target = shape(cases[0])
    if len(target) > 1:
        index = lax.broadcast_in_dim(index, target, (0,))
    return lax.select_n(index, *cases)


# -- cond -----------------------------------------------------------------------------------


def _cond(args: Sequence[Any], dims: Sequence[int | None], *,
          branches: Sequence[ClosedJaxpr]) -> tuple[list[Any], list[int | None]]:
    size = current_axis().size
    (index, *ops), (index_dim, *op_dims) = args, dims
    n_out = len(branches[0].out_avals)
    if index_dim is not None:
        index = moveaxis(index, index_dim, 0)
        ops = [bdim_at(x, d, 0, size) for x, d in zip(ops, op_dims)]
        # XLA's case runs the last branch for an index out of range: so does the selection.
        last = np.int32(len(branches) - 1)
        in_range = lax.lt(lax.convert_element_type(index, np.uint32), np.uint32(len(branches)))
        index = lax.select(in_range, index, lax.broadcast_in_dim(last, shape(index), ()))
        results = []
        for i, branch in enumerate(branches):
            batched, _ = batch_jaxpr(branch, [0] * len(ops), dims_out=[0] * n_out)
            taken = lax.eq(index, np.int32(i))
            inputs = [_select_members(taken, x, lax.stop_gradient(x)) for x in ops]
            results.append(eval_jaxpr(batched.jaxpr, batched.consts, *inputs))
        return [_select_n_members(index, *outs) for outs in zip(*results)], [0] * n_out
    ops = _to_front(ops, op_dims)
    in_dims = _front_dims([d is not None for d in op_dims])
    out_batched = [False] * n_out
    for branch in branches:
        _, out_dims = batch_jaxpr(branch, in_dims, dims_out=[any_dim] * n_out)
        out_batched = [b or d is not None for b, d in zip(out_batched, out_dims)]
    wanted = [0 if b else any_dim for b in out_batched]
    batched = [batch_jaxpr(b, in_dims, dims_out=wanted)[0] for b in branches]
    hoisted = [hoist_tracer_consts(b) for b in batched]
    if any(h for _, h in hoisted):  # (batched bodies close over values only)
        raise NotImplementedError("vmap of cond: a batched branch closes over a tracer")
    outs = cond_p.bind(index, *ops, branches=tuple(batched))
    return outs, _front_dims(out_batched)


# -- while ----------------------------------------------------------------------------------


def _while(args: Sequence[Any], dims: Sequence[int | None], *, cond_jaxpr: ClosedJaxpr,
           body_jaxpr: ClosedJaxpr, cond_nconsts: int,
           body_nconsts: int) -> tuple[list[Any], list[int | None]]:
    size = current_axis().size
    args = _to_front(args, dims)
    batched = [d is not None for d in dims]
    cond_bat, const_bat, carry_bat = split_list(batched, [cond_nconsts, body_nconsts])
    n = len(carry_bat)
    for _ in range(n + 1):  # which carries are batched: a fixpoint
        _, out_dims = batch_jaxpr(body_jaxpr, _front_dims(const_bat + carry_bat),
                                  dims_out=[any_dim] * n)
        grown = [b or d is not None for b, d in zip(carry_bat, out_dims)]
        if grown == carry_bat:
            break
        carry_bat = grown
    _, (pred_dim,) = batch_jaxpr(cond_jaxpr, _front_dims(cond_bat + carry_bat),
                                 dims_out=[any_dim])
    pred_batched = pred_dim is not None
    if pred_batched:
        carry_bat = [True] * n
    cond_consts, body_consts, init = split_list(args, [cond_nconsts, body_nconsts])
    init = [_broadcast_to(x, b, size) if bat else x
            for x, b, bat in zip(init, batched[cond_nconsts + body_nconsts:], carry_bat)]
    cond_b, _ = batch_jaxpr(cond_jaxpr, _front_dims(cond_bat + carry_bat),
                            dims_out=[0 if pred_batched else any_dim])
    body_b, _ = batch_jaxpr(body_jaxpr, _front_dims(const_bat + carry_bat),
                            dims_out=[0 if b else any_dim for b in carry_bat])
    if not pred_batched:
        outs = while_p.bind(*cond_consts, *body_consts, *init, cond_jaxpr=cond_b,
                            body_jaxpr=body_b, cond_nconsts=cond_nconsts,
                            body_nconsts=body_nconsts)
        return outs, _front_dims(carry_bat)
    # Loop while any member's predicate holds; members that are done keep their carry.
    carry_avals = body_b.in_avals[body_nconsts:]
    cond_const_avals = cond_b.in_avals[:cond_nconsts]

    def any_member(*xs: Any) -> list[Any]:
        (pred,) = eval_jaxpr(cond_b.jaxpr, cond_b.consts, *xs)
        return [lax.reduce_or(pred, (0,))]

    def masked_body(*xs: Any) -> list[Any]:
        cc, bc, carry = split_list(xs, [cond_nconsts, body_nconsts])
        (pred,) = eval_jaxpr(cond_b.jaxpr, cond_b.consts, *cc, *carry)
        new = eval_jaxpr(body_b.jaxpr, body_b.consts, *bc, *carry)
        return [_select_members(pred, a, b) for a, b in zip(new, carry)]

    new_cond = trace_closed(any_member, cond_b.in_avals)
    new_body = trace_closed(masked_body, [*cond_const_avals, *body_b.in_avals])
    outs = while_p.bind(*cond_consts, *cond_consts, *body_consts, *init, cond_jaxpr=new_cond,
                        body_jaxpr=new_body, cond_nconsts=cond_nconsts,
                        body_nconsts=cond_nconsts + body_nconsts)
    assert len(carry_avals) == len(outs)
    return outs, [0] * n


# -- scan -----------------------------------------------------------------------------------


def _scan(args: Sequence[Any], dims: Sequence[int | None], *, reverse: bool, length: int,
          jaxpr: ClosedJaxpr, num_consts: int, num_carry: int,
          unroll: int) -> tuple[list[Any], list[int | None]]:
    size = current_axis().size
    consts, init, xs = split_list(args, [num_consts, num_carry])
    const_dims, init_dims, xs_dims = split_list(dims, [num_consts, num_carry])
    consts, init = _to_front(consts, const_dims), _to_front(init, init_dims)
    xs = [x if d is None else moveaxis(x, d, 1) for x, d in zip(xs, xs_dims)]
    const_bat = [d is not None for d in const_dims]
    carry_bat = [d is not None for d in init_dims]
    xs_bat = [d is not None for d in xs_dims]
    n_out = len(jaxpr.out_avals)
    for _ in range(num_carry + 1):  # which carries are batched: a fixpoint
        _, out_dims = batch_jaxpr(jaxpr, _front_dims(const_bat + carry_bat + xs_bat),
                                  dims_out=[any_dim] * n_out)
        grown = [b or d is not None for b, d in zip(carry_bat, out_dims)]
        if grown == carry_bat:
            break
        carry_bat = grown
    ys_bat = [d is not None for d in out_dims[num_carry:]]
    body, _ = batch_jaxpr(jaxpr, _front_dims(const_bat + carry_bat + xs_bat),
                          dims_out=[0 if b else any_dim for b in carry_bat + ys_bat])
    init = [_broadcast_to(x, d is not None, size) if bat else x
            for x, d, bat in zip(init, init_dims, carry_bat)]
    body, hoisted = hoist_tracer_consts(body)
    outs = scan_p.bind(*hoisted, *consts, *init, *xs, reverse=reverse, length=length,
                       jaxpr=body, num_consts=len(hoisted) + num_consts, num_carry=num_carry,
                       unroll=unroll)
    return outs, [*_front_dims(carry_bat), *(1 if b else None for b in ys_bat)]


register_batch(cond_p, _cond)
register_batch(while_p, _while)
register_batch(scan_p, _scan)
