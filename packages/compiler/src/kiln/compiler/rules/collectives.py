"""Collectives over named axes (psum, pmax, pmin, all_gather, axis_index). A transformation
that binds the axis (vmap) rewrites them before any backend sees them, so reaching the xla
backend means the axis is unbound: the rule raises the NameError the impl raises."""

from __future__ import annotations

from typing import Any

from kiln.compiler.lowering import LoweringRuleContext, Value
from kiln.compiler.rules import register_family


def _unbound(names_param: str) -> Any:
    def rule(ctx: LoweringRuleContext, *args: Value, **params: Any) -> Value:
        names = params[names_param]
        name = names[0] if isinstance(names, tuple) else names
        raise NameError(f"unbound axis name: {name}")

    return rule


RULES: dict[str, Any] = {
    "psum": _unbound("axes"), "pmax": _unbound("axes"), "pmin": _unbound("axes"),
    "all_gather": _unbound("axis_name"), "axis_index": _unbound("axis_name"),
}

REGISTERED = register_family("collectives", RULES)
