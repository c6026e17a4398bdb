"""The functions of ``kiln.nn`` (activations, softmax and friends, one_hot, standardize,
dot_product_attention)."""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

import kiln.numpy as jnp
from kiln import lax
from kiln.core import dtypes
from kiln.numpy import promotion
from kiln.numpy.promotion import check_arraylike
from kiln.scipy.special import logsumexp


def _array(name: str, x: Any) -> Any:
    check_arraylike(name, x)
    return jnp.asarray(x)


def _const(x: Any, value: float) -> Any:
    return np.asarray(value).astype(x.dtype)[()]


def relu(x: Any) -> Any:
    """Rectified linear unit: ``max(x, 0)`` (its derivative at 0 is 0)."""
    x = _array("relu", x)
    return jnp.where(x > 0, x, jnp.zeros_like(x))


def relu6(x: Any) -> Any:
    """``min(max(x, 0), 6)`` (derivative 0 at both kinks)."""
    x = _array("relu6", x)
    return jnp.where(x > 0, jnp.where(x < 6, x, jnp.full_like(x, 6)), jnp.zeros_like(x))


def identity(x: Any) -> Any:
    """The identity activation."""
    return _array("identity", x)


def sigmoid(x: Any) -> Any:
    """The logistic sigmoid ``1 / (1 + exp(-x))``."""
    return lax.logistic(_array("sigmoid", x))


def softplus(x: Any) -> Any:
    """``log(1 + exp(x))``, computed stably as ``logaddexp(x, 0)``."""
    return jnp.logaddexp(_array("softplus", x), 0)


def sparse_plus(x: Any) -> Any:
    """0 for ``x <= -1``, ``x`` for ``x >= 1``, ``(x + 1)**2 / 4`` between."""
    x = _array("sparse_plus", x)
    return jnp.where(x <= -1.0, 0.0, jnp.where(x >= 1.0, x, (x + 1.0) ** 2 / 4))


def sparse_sigmoid(x: Any) -> Any:
    """``clip((x + 1) / 2, 0, 1)``, the derivative of sparse_plus."""
    x = _array("sparse_sigmoid", x)
    return 0.5 * jnp.clip(x + 1.0, 0.0, 2.0)


def soft_sign(x: Any) -> Any:
    """``x / (|x| + 1)``."""
    x = _array("soft_sign", x)
    return x / (jnp.abs(x) + 1)


def silu(x: Any) -> Any:
    """SiLU (swish): ``x * sigmoid(x)``."""
    x = _array("silu", x)
    return x * sigmoid(x)


swish = silu


def mish(x: Any) -> Any:
    """``x * tanh(softplus(x))``."""
    x = _array("mish", x)
    return x * jnp.tanh(softplus(x))


def log_sigmoid(x: Any) -> Any:
    """``log(sigmoid(x))``, computed as ``-softplus(-x)``."""
    x = _array("log_sigmoid", x)
    return -softplus(-x)


def elu(x: Any, alpha: Any = 1.0) -> Any:
    """Exponential linear unit: ``x`` for positive ``x``, ``alpha * (exp(x) - 1)`` else."""
    x = _array("elu", x)
    safe_x = jnp.where(x > 0, 0.0, x)
    return jnp.where(x > 0, x, alpha * jnp.expm1(safe_x))


def leaky_relu(x: Any, negative_slope: Any = 1e-2) -> Any:
    """``x`` for non-negative ``x``, ``negative_slope * x`` else."""
    x = _array("leaky_relu", x)
    return jnp.where(x >= 0, x, negative_slope * x)


def hard_tanh(x: Any) -> Any:
    """``x`` clipped to [-1, 1]."""
    x = _array("hard_tanh", x)
    return jnp.where(x > 1, 1, jnp.where(x < -1, -1, x))


def celu(x: Any, alpha: Any = 1.0) -> Any:
    """Continuously differentiable ELU: ``max(x, 0) + alpha * expm1(min(x, 0) / alpha)``."""
    x = _array("celu", x)
    return jnp.maximum(x, 0.0) + alpha * jnp.expm1(jnp.minimum(x, 0.0) / alpha)


def selu(x: Any) -> Any:
    """Scaled ELU with the self-normalising constants."""
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946
    return scale * elu(_array("selu", x), alpha)


def gelu(x: Any, approximate: bool = True) -> Any:
    """Gaussian error linear unit: the tanh approximation by default, or the exact
    ``x * (1 + erf(x / sqrt(2))) / 2``."""
    x = _array("gelu", x)
    if approximate:
        sqrt_2_over_pi = _const(x, np.sqrt(2 / np.pi))
        cdf = 0.5 * (1.0 + jnp.tanh(sqrt_2_over_pi * (x + 0.044715 * (x ** 3))))
        return x * cdf
    return jnp.array(x * (lax.erf(x / _const(x, np.sqrt(2))) + 1) / 2, dtype=x.dtype)


def glu(x: Any, axis: int = -1) -> Any:
    """Gated linear unit: the first half of ``x`` along ``axis`` times the sigmoid of the
    second half."""
    x = _array("glu", x)
    if x.shape[axis] % 2:
        raise AssertionError("axis size must be divisible by 2")
    x1, x2 = jnp.split(x, 2, axis)
    return x1 * sigmoid(x2)


def hard_sigmoid(x: Any) -> Any:
    """``relu6(x + 3) / 6``."""
    return relu6(_array("hard_sigmoid", x) + 3.0) / 6.0


def hard_silu(x: Any) -> Any:
    """``x * hard_sigmoid(x)``."""
    x = _array("hard_silu", x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def log1mexp(x: Any) -> Any:
    """``log(1 - exp(-x))`` for ``x >= 0``, accurate for small and large ``x``."""
    x = _array("log1mexp", x)
    c = math.log(2.0)
    return jnp.where(x < c, jnp.log(-jnp.expm1(-x)), jnp.log1p(-jnp.exp(-x)))


def squareplus(x: Any, b: Any = 4) -> Any:
    """``(x + sqrt(x**2 + b)) / 2``."""
    x = _array("squareplus", x)
    return (x + jnp.sqrt(jnp.square(x) + b)) / 2


def tanh(x: Any, /) -> Any:
    """Hyperbolic tangent."""
    return jnp.tanh(x)


def softmax(x: Any, axis: Any = -1, where: Any = None) -> Any:
    """``exp(x) / sum(exp(x))`` along ``axis``, with the maximum subtracted first;
    elements outside ``where`` get 0."""
    x = _array("softmax", x)
    x_max = jnp.max(x, axis, where=where, initial=-jnp.inf, keepdims=True)
    unnormalized = jnp.exp(x - lax.stop_gradient(x_max))
    result = unnormalized / jnp.sum(unnormalized, axis, where=where, keepdims=True)
    if where is not None:
        result = jnp.where(where, result, 0)
    return result


def log_softmax(x: Any, axis: Any = -1, where: Any = None) -> Any:
    """``x - logsumexp(x)`` along ``axis``, computed stably; -inf outside ``where``."""
    x = _array("log_softmax", x)
    x_max = jnp.max(x, axis, where=where, initial=-jnp.inf, keepdims=True)
    x_safe = x if where is None else jnp.where(where, x, -jnp.inf)
    shifted = x_safe - lax.stop_gradient(x_max)
    shifted_logsumexp = jnp.log(jnp.sum(jnp.exp(shifted), axis, where=where, keepdims=True))
    result = shifted - shifted_logsumexp
    if where is not None:
        return jnp.where(where, result, -jnp.inf)
    return result


def logmeanexp(x: Any, axis: Any = None, where: Any = None, keepdims: bool = False) -> Any:
    """``log(mean(exp(x)))`` along ``axis``, computed stably."""
    x = _array("logmeanexp", x)
    lse = logsumexp(x, axis=axis, where=where, keepdims=keepdims)
    count = jnp.sum(jnp.ones_like(x), axis=axis, where=where, keepdims=keepdims)
    return lse - jnp.log(count.astype(lse.dtype))


def standardize(x: Any, axis: Any = -1, mean: Any = None, variance: Any = None,
                epsilon: Any = 1e-5, where: Any = None, *, algorithm: str = "fast") -> Any:
    """``(x - mean) / sqrt(variance + epsilon)`` along ``axis`` (statistics computed when
    not given: ``algorithm='fast'`` takes the variance as ``E[x^2] - E[x]^2``, ``'stable'``
    as ``E[(x - E[x])^2]``)."""
    x = _array("standardize", x)
    if mean is None:
        mean = jnp.mean(x, axis, keepdims=True, where=where)
    if variance is None:
        if algorithm == "fast":
            variance = jnp.mean(jnp.square(x), axis, keepdims=True, where=where) - \
                jnp.square(mean)
            variance = jnp.clip(variance, 0)
        elif algorithm == "stable":
            variance = jnp.var(x, axis, keepdims=True, where=where)
        else:
            raise ValueError(f"Unknown algorithm {algorithm!r}. Expected 'fast' or 'stable'.")
    return jnp.subtract(x, jnp.asarray(mean)) * lax.rsqrt(jnp.asarray(variance) + epsilon)


def one_hot(x: Any, num_classes: int, *, dtype: Any = None, axis: int = -1) -> Any:
    """``x``'s integers as one-hot vectors of length ``num_classes`` along ``axis`` (all
    zeros for out-of-range values)."""
    num_classes = operator.index(num_classes)
    x = jnp.asarray(x)
    dt = jnp.float32 if dtype is None else dtype
    dt = dtypes.canonicalize_dtype(promotion.as_dtype(dt))
    try:
        output_pos_axis = operator.index(axis) % (x.ndim + 1)
    except TypeError:
        raise TypeError(f"axis must be an integer, got {axis!r}") from None
    lhs = lax.expand_dims(x, (output_pos_axis,))
    rhs_shape = [1] * x.ndim
    rhs_shape.insert(output_pos_axis, num_classes)
    rhs = lax.broadcasted_iota(x.dtype, tuple(rhs_shape), output_pos_axis)
    return lax.convert_element_type(lax.eq(lhs, rhs), dt)


def dot_product_attention(query: Any, key: Any, value: Any, bias: Any = None,
                          mask: Any = None, *, scale: float | None = None,
                          is_causal: bool = False, query_seq_lengths: Any = None,
                          key_value_seq_lengths: Any = None,
                          local_window_size: Any = None,
                          implementation: str | None = None) -> Any:
    """Scaled dot-product attention ``softmax(q k^T * scale + bias) v`` on ``(B, T, N, H)``
    queries and ``(B, S, K, H)`` keys and values (``N`` a multiple of ``K``: grouped-query
    attention), with an optional boolean ``mask``, causal masking and sequence lengths.
    Unbatched ``(T, N, H)`` inputs work too."""
    if implementation not in (None, "xla"):
        raise NotImplementedError(f"implementation={implementation!r}: kiln only has the "
                                  "'xla' (plain) implementation")
    q, k, v = (jnp.asarray(a) for a in (query, key, value))
    unbatched = q.ndim == 3
    if unbatched:
        q, k, v = q[None], k[None], v[None]
    b, t, n, h = q.shape
    s, kh = k.shape[1], k.shape[2]
    if n % kh:
        raise ValueError(f"The number of query heads ({n}) must be a multiple of the number "
                         f"of key/value heads ({kh})")
    groups = n // kh
    scale = 1.0 / math.sqrt(h) if scale is None else scale
    qg = q.reshape(b, t, kh, groups, h)
    logits = jnp.einsum("BTKGH,BSKH->BKGTS", qg, k, preferred_element_type=jnp.float32)
    logits = logits * scale
    logits = logits.reshape(b, n, t, s)
    if bias is not None:
        bias_arr = jnp.asarray(bias)
        if unbatched:
            bias_arr = bias_arr[None] if bias_arr.ndim == 3 else bias_arr
        logits = logits + bias_arr.astype(logits.dtype)
    combined = None
    if mask is not None:
        m = jnp.asarray(mask).astype(bool)
        if unbatched and m.ndim == 3:
            m = m[None]
        combined = m
    if is_causal or local_window_size is not None:
        rows = lax.broadcasted_iota(np.int32, (t, s), 0)
        cols = lax.broadcasted_iota(np.int32, (t, s), 1)
        allowed = jnp.ones((t, s), bool)
        if is_causal:
            allowed = allowed & (cols <= rows)
        if local_window_size is not None:
            left, right = (local_window_size, local_window_size) if isinstance(
                local_window_size, int) else local_window_size
            allowed = allowed & (cols >= rows - left) & (cols <= rows + right)
        combined = allowed if combined is None else combined & allowed
    if query_seq_lengths is not None:
        qmask = jnp.arange(t)[None, :] < jnp.asarray(query_seq_lengths)[:, None]
        qmask = qmask[:, None, :, None]
        combined = qmask if combined is None else combined & qmask
    if key_value_seq_lengths is not None:
        kmask = jnp.arange(s)[None, :] < jnp.asarray(key_value_seq_lengths)[:, None]
        kmask = kmask[:, None, None, :]
        combined = kmask if combined is None else combined & kmask
    if combined is not None:
        big_neg = jnp.finfo(logits.dtype).min * 0.7
        logits = jnp.where(combined, logits, big_neg)
    probs = softmax(logits, axis=-1).astype(q.dtype)
    probs = probs.reshape(b, kh, groups, t, s)
    out = jnp.einsum("BKGTS,BSKH->BTKGH", probs, v).reshape(b, t, n, v.shape[-1])
    return out[0] if unbatched else out
