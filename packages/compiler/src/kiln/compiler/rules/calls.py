"""Call primitives: ``jit`` (kiln.core.jit_p) lowers to a ``func.call`` of a private function
holding its whole body, written once per module however often it is called."""

from __future__ import annotations

from typing import Any

from kiln.compiler.lowering import LoweringRuleContext, Value
from kiln.compiler.rules import BACKEND
from kiln.core.jit import jit_p
from kiln.core.primitive import register_lowering


def _jit_lowering(ctx: LoweringRuleContext, *args: Value, jaxpr: Any, name: str = "jit",
                  **_: Any) -> list[Value]:
    return ctx.call(jaxpr, args, name)


register_lowering(jit_p, _jit_lowering, backend=BACKEND)
