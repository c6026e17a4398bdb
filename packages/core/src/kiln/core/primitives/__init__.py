"""The core primitive set, one module per family: each defines its primitives with their
shape (abstract_eval) rules and NumPy (impl) rules."""

from kiln.core.primitives import (  # noqa: F401
    collectives,
    contraction,
    control_flow,
    cumulative,
    elementwise,
    indexing,
    reductions,
    sorting,
    structural,
)
