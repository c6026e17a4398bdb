"""Sampler primitives over keys: the pattern shared by ``random_gamma``, ``random_poisson``
and ``random_binomial``, whose loops cannot be written with kiln-core's primitives alone.

Such a primitive takes ``key`` (uint32 key data of shape ``K + (2,)``) and parameters of one
shape ``K + S``: member ``k`` of the leading dimensions ``K`` draws a sample of shape ``S``
from key ``key[k]``. ``K`` is empty for a plain call; ``vmap`` over keys (or parameters)
adds dimensions to it, so the batching rule only moves batch dimensions to the front. The
sampler itself is the primitive's decomposition, written once for any ``K``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kiln import lax
from kiln.core import (
    Array,
    Primitive,
    ShapedArray,
    Tracer,
    dtypes,
    register_abstract_eval,
    register_batch,
    register_decomposition,
    register_jvp,
)
from kiln.random.distributions.common import U32, shape_of


def _front(x: Any, dim: int | None, size: int) -> Any:
    """``x`` with its batch dimension ``dim`` first (or a new one of ``size`` in front)."""
    shape = shape_of(x)
    if dim is None:
        return lax.broadcast_in_dim(x, (size, *shape), tuple(range(1, len(shape) + 1)))
    if dim == 0:
        return x
    return lax.transpose(x, (dim, *(i for i in range(len(shape)) if i != dim)))


def is_symbolic_zero(t: Any) -> bool:
    """Whether a tangent handed to a jvp rule is a symbolic zero (kiln-autodiff passes those
    as objects that are not array values)."""
    return not isinstance(t, (Tracer, Array, np.ndarray, np.generic, bool, int, float))


def define_keyed_sampler(name: str, decomposition: Callable,
                         out_dtype: Callable[..., np.dtype],
                         jvp: Callable | None = None) -> Primitive:
    """A primitive ``name(key, *params, **static)`` sampling with ``decomposition``; its
    result has the parameters' shape and dtype ``out_dtype(*param_avals, **static)``.
    Without ``jvp``, its derivative is zero (samples of discrete distributions)."""
    prim = Primitive(name)

    @register_abstract_eval(prim)
    def _abstract_eval(key: ShapedArray, *params: ShapedArray, **static: Any) -> ShapedArray:
        if key.dtype != U32 or not key.shape or key.shape[-1] != 2:
            raise TypeError(f"{name}: keys must be uint32 key data of shape (..., 2), got "
                            f"{key.str_short()}")
        shape = tuple(params[0].shape)
        batch = tuple(key.shape[:-1])
        for p in params:
            if tuple(p.shape) != shape:
                raise TypeError(f"{name}: parameters must have one shape, got "
                                f"{[q.str_short() for q in params]}")
        if shape[:len(batch)] != batch:
            raise TypeError(f"{name}: the key shape {batch} must be a prefix of the sample "
                            f"shape {shape}")
        return ShapedArray(shape, np.dtype(out_dtype(*params, **static)))

    register_decomposition(prim, decomposition)

    @register_batch(prim)
    def _batch(args: Sequence[Any], dims: Sequence[int | None], **static: Any) -> tuple:
        size = next(shape_of(x)[d] for x, d in zip(args, dims) if d is not None)
        moved = [_front(x, d, size) for x, d in zip(args, dims)]
        return prim.bind(*moved, **static), 0

    if jvp is None:
        def jvp(primals: Sequence[Any], tangents: Sequence[Any], **static: Any) -> tuple:
            out = prim.bind(*primals, **static)
            aval_dtype = np.dtype(out.dtype)
            if dtypes.is_inexact(aval_dtype):
                return out, lax.full(shape_of(out), np.zeros((), aval_dtype)[()])
            return out, np.zeros(shape_of(out), dtypes.float0)

    register_jvp(prim, jvp)
    return prim


# -- loops over members ---------------------------------------------------------------------------


def any_per_member(x: Any, n_batch: int) -> Any:
    """``x.any()`` over the sample axes: one bool per member (a scalar when unbatched)."""
    n = len(shape_of(x))
    return lax.reduce_or(x, tuple(range(n_batch, n)))


def where_member(member: Any, new: Any, old: Any) -> Any:
    """``new`` for members whose loop is still running, ``old`` for the others."""
    shape = shape_of(new)
    pred = lax.broadcast_in_dim(member, shape, tuple(range(len(shape_of(member)))))
    return lax.select(pred, new, old)


def any_all(x: Any) -> Any:
    return lax.reduce_or(x, tuple(range(len(shape_of(x)))))
