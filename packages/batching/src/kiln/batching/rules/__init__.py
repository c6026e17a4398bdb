"""The batching rules of kiln-core's primitives, one module per primitive family. Importing
this package registers them all (``kiln.core.register_batch``)."""

from kiln.batching.rules import (  # noqa: F401
    collectives,
    contraction,
    control,
    control_flow,
    cumulative,
    elementwise,
    indexing,
    reductions,
    sorting,
    structural,
)
