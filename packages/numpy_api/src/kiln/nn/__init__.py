"""kiln.nn: neural-network activation functions and helpers, as in ``jax.nn``.

Every function is written with kiln.numpy and kiln.lax, in JAX's numerically stable forms
(``softmax`` subtracts the maximum, ``log_sigmoid`` is ``-softplus(-x)``...). Where JAX uses
``custom_jvp`` to fix a derivative at a kink (``relu`` at 0), kiln writes the function with
``where`` so that its derivative there is the same; kiln-numpy cannot use ``custom_jvp``,
which lives in kiln-autodiff.
"""

from kiln.nn.functions import (  # noqa: F401
    celu,
    dot_product_attention,
    elu,
    gelu,
    glu,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    hard_tanh,
    identity,
    leaky_relu,
    log1mexp,
    log_sigmoid,
    log_softmax,
    logmeanexp,
    logsumexp,
    mish,
    one_hot,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    soft_sign,
    softmax,
    softplus,
    sparse_plus,
    sparse_sigmoid,
    squareplus,
    standardize,
    swish,
    tanh,
)
