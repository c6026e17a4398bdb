"""kiln.autodiff: forward and reverse-mode automatic differentiation.

``jvp``, ``linearize``, ``vjp``, ``grad``, ``value_and_grad``, ``jacfwd``, ``jacrev``,
``hessian``, ``custom_jvp``, ``custom_vjp``, ``checkpoint``, and the jvp and transpose rules
of kiln's core primitives (registered on import). See the package README.
"""

from kiln.autodiff import rules  # noqa: F401  (registers the rules)
from kiln.autodiff.api import (
    grad,
    hessian,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    linear_transpose,
    linearize,
    stop_gradient,
    value_and_grad,
    vjp,
)
from kiln.autodiff.checkpoint import (
    checkpoint,
    checkpoint_name,
    checkpoint_policies,
    remat,
)
from kiln.autodiff.closures import closure_convert
from kiln.autodiff.custom_derivatives import CustomVJPException, custom_jvp, custom_vjp
from kiln.autodiff.jvp import JVPTrace, JVPTracer, jvp_jaxpr
from kiln.autodiff.partial_eval import (
    PartialEvalTrace,
    PartialJaxpr,
    partial_eval_jaxpr,
    register_partial_eval,
)
from kiln.autodiff.transpose import (
    UndefinedPrimal,
    backward_pass,
    is_undefined_primal,
    transpose_jaxpr,
)
from kiln.autodiff.zeros import SymbolicZero, Zero, instantiate

__all__ = [
    "CustomVJPException", "JVPTrace", "JVPTracer", "PartialEvalTrace", "PartialJaxpr",
    "SymbolicZero",
    "UndefinedPrimal", "Zero", "backward_pass", "checkpoint", "checkpoint_name",
    "checkpoint_policies", "closure_convert", "custom_jvp", "custom_vjp", "grad", "hessian",
    "instantiate", "is_undefined_primal", "jacfwd", "jacobian", "jacrev", "jvp", "jvp_jaxpr",
    "linear_transpose", "linearize", "partial_eval_jaxpr", "register_partial_eval", "remat",
    "stop_gradient", "transpose_jaxpr", "value_and_grad", "vjp",
]
