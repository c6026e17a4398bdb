"""Control-flow primitives: ``cond`` lowers to ``stablehlo.case`` (one region per branch,
which reads the operands from the enclosing scope), ``while`` to ``stablehlo.while`` (the
condition's and body's consts travel in the loop state, as JAX lowers it), and ``scan`` to
a ``stablehlo.while`` over an iteration counter, through kiln-core's decomposition of
``scan`` (``unroll`` iterations per trip; ``xs`` read and stacked ``ys`` written with dynamic
slices)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kiln.compiler.lowering import LoweringRuleContext, Value
from kiln.compiler.rules import BACKEND
from kiln.core.jaxpr import ClosedJaxpr
from kiln.core.primitive import get_rule, register_lowering
from kiln.core.primitives.control_flow import cond_p, scan_p, split_list, while_p


def _cond_lowering(ctx: LoweringRuleContext, index: Value, *ops: Value,
                   branches: Sequence[ClosedJaxpr]) -> list[Value]:
    results = [a.strip_weak_type() for a in ctx.avals_out]
    if not results:  # nothing to compute: control flow without effects
        return []
    if len(branches) == 1:
        return ctx.lower_jaxpr(branches[0], branches[0].consts, ops)
    regions = [ctx.region([], lambda inner, b=b: inner.lower_jaxpr(b, b.consts, ops))
               for b in branches]
    return ctx.op_multi("stablehlo.case", [index], results, regions=regions)


def _while_lowering(ctx: LoweringRuleContext, *args: Value, cond_jaxpr: ClosedJaxpr,
                    body_jaxpr: ClosedJaxpr, cond_nconsts: int,
                    body_nconsts: int) -> list[Value]:
    n_consts = cond_nconsts + body_nconsts

    def cond(inner: LoweringRuleContext, *state: Value) -> Value:
        cond_consts, _, carry = split_list(state, [cond_nconsts, body_nconsts])
        (pred,) = inner.lower_jaxpr(cond_jaxpr, cond_jaxpr.consts, [*cond_consts, *carry])
        return pred

    def body(inner: LoweringRuleContext, *state: Value) -> list[Value]:
        _, body_consts, carry = split_list(state, [cond_nconsts, body_nconsts])
        new = inner.lower_jaxpr(body_jaxpr, body_jaxpr.consts, [*body_consts, *carry])
        return [*state[:n_consts], *new]

    return ctx.while_loop(list(args), cond, body)[n_consts:]


_scan_as_while = get_rule("decomposition", scan_p)


def _scan_lowering(ctx: LoweringRuleContext, *args: Value, **params: Any) -> list[Value]:
    return ctx.lower_fun(lambda *xs: _scan_as_while(*xs, **params), *args,
                         multiple_results=True)


register_lowering(cond_p, _cond_lowering, backend=BACKEND)
register_lowering(while_p, _while_lowering, backend=BACKEND)
register_lowering(scan_p, _scan_lowering, backend=BACKEND)
