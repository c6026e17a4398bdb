"""kiln.core: the IR, tracing, primitives and their rule registry, jit, and backends.

This module is kiln's stable extension interface (versioned by ``INTERFACE_VERSION``):
define a :class:`Primitive`, register its rules with the ``register_*`` verbs, and check
them against each other with ``kiln.core.testing.check_primitive``. See docs/extending.md.
"""

from kiln.core import (
    array_methods,  # noqa: F401  (installs operator placeholders)
    dtypes,  # noqa: F401
    primitives,  # noqa: F401,E402  (defines the core primitive set)
)
from kiln.core.abstract import ShapedArray, get_aval, register_aval_rule  # noqa: F401
from kiln.core.array import Array  # noqa: F401
from kiln.core.array_methods import set_array_methods  # noqa: F401
from kiln.core.backend import (  # noqa: F401
    Backend,
    Device,
    available_platforms,
    default_backend,
    devices,
    get_backend,
    register_plugin,
)
from kiln.core.config import config  # noqa: F401
from kiln.core.jaxpr import (  # noqa: F401
    ClosedJaxpr,
    DropVar,
    Jaxpr,
    JaxprEqn,
    Literal,
    Var,
    eval_jaxpr,
    jaxpr_as_fun,
    param_printers,
)
from kiln.core.jit import jit, jit_p  # noqa: F401
from kiln.core.primitive import (  # noqa: F401
    INTERFACE_VERSION,
    RULE_KINDS,
    Primitive,
    abstract_eval,
    all_primitives,
    get_lowering,
    get_rule,
    register_abstract_eval,
    register_batch,
    register_decomposition,
    register_impl,
    register_jvp,
    register_lowering,
    register_rule,
    register_transpose,
    rule_kinds,
    rule_table,
)
from kiln.core.staging import (  # noqa: F401
    DebugInfo,
    JaxprTrace,
    JaxprTracer,
    abstract_eval_fun,
    trace_to_closed_jaxpr,
    trace_to_jaxpr,
)
from kiln.core.tracing import (  # noqa: F401
    EVAL_TRACE,
    EvalTrace,
    Trace,
    Tracer,
    current_trace,
    set_current_trace,
    with_trace,
)
