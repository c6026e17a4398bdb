"""kiln.compiler: kiln's XLA backend through jaxlib's PJRT runtime.

- :class:`XlaBackend` (entry point ``xla`` of ``kiln.backends``): ``cpu`` from jaxlib, and
  ``cuda``/``rocm``/``tpu`` through PJRT plugins; kiln's default backend once installed.
- :class:`XlaArray`: ``kiln.Array`` backed by a PJRT buffer.
- Lowering of every core primitive to StableHLO (``kiln.compiler.rules``), and the interface
  for writing more: a rule ``rule(ctx, *args, **params)`` registered with
  ``kiln.core.register_lowering(prim, rule, backend="xla")`` emits ops through
  :class:`LoweringRuleContext` (see README.md and ``kiln.compiler.lowering``).
"""

from kiln.compiler import (
    hlo,  # noqa: F401
    rules,  # noqa: F401,E402  (registers the core primitives' rules)
)
from kiln.compiler.array import XlaArray  # noqa: E402
from kiln.compiler.backend import XlaBackend  # noqa: E402
from kiln.compiler.devices import XlaDevice  # noqa: E402
from kiln.compiler.lowering import (  # noqa: F401
    LoweringError,
    LoweringRuleContext,
    Value,
    lower_closed_jaxpr,
)

__all__ = ["XlaArray", "XlaBackend", "XlaDevice", "LoweringRuleContext", "LoweringError",
           "Value", "hlo", "lower_closed_jaxpr"]
