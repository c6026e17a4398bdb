"""kiln.batching: ``vmap``, the vectorising map, and the batching rules of kiln-core's
primitives.

``vmap`` traces a function with a :class:`BatchTrace`, which applies each primitive's
batching rule (registered with ``kiln.core.register_batch``); ``batch_jaxpr`` batches a whole
jaxpr, for the rules of higher-order primitives. Importing this package registers the rules
of every core primitive (see ``kiln.batching.rules``).
"""

from kiln.batching import rules  # noqa: F401  (registers the batching rules)
from kiln.batching.api import vmap
from kiln.batching.jaxpr import any_dim, batch_jaxpr, batched_aval
from kiln.batching.trace import AxisData, BatchTrace, BatchTracer, current_axis

__all__ = ["AxisData", "BatchTrace", "BatchTracer", "any_dim", "batch_jaxpr", "batched_aval",
           "current_axis", "vmap"]
