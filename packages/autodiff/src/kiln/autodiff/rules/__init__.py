"""jvp, transpose and partial-evaluation rules, one module per primitive family. Importing
this package registers them all."""

from kiln.autodiff.rules import (  # noqa: F401
    calls,
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
