"""The ``threefry2x32`` primitive: the Threefry-2x32 block cipher (20 rounds), with every
rule registered through kiln's public extension interface, as a third party would.

``threefry2x32(key1, key2, x1, x2) -> (y1, y2)`` encrypts the counter pairs ``(x1, x2)``
under the key ``(key1, key2)``; all four operands are uint32 and broadcast against each
other (equal ranks, or rank 0), as in JAX. The rules:

- ``abstract_eval``: the broadcast shape, uint32, twice;
- ``impl``: NumPy uint32 arithmetic (the reference the NumPy backend runs);
- ``decomposition``: the same rounds written with ``kiln.lax`` (add, shifts, or, xor), which
  any transformation or backend without a rule of its own can trace through;
- ``batch``: operands are broadcast to a common batched shape and the primitive is bound once;
- ``jvp``: the outputs are integers, so their tangents are zero (float0);
- ``lower/xla``: the decomposition lowered inline through the context kiln-compiler passes
  in (``ctx.lower_fun``), so the compiler needs no knowledge of this primitive.

None of the packages that consume these rules is imported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kiln import lax
from kiln.core import (
    Primitive,
    ShapedArray,
    register_abstract_eval,
    register_batch,
    register_decomposition,
    register_impl,
    register_jvp,
    register_lowering,
)
from kiln.core import dtypes as _dtypes
from kiln.core.primitives.shape_rules import broadcasting_shape

threefry2x32_p = Primitive("threefry2x32", multiple_results=True)

# Rotation amounts of the two alternating groups of four rounds, and the key-schedule
# parity constant, from the Threefry specification (Salmon et al., SC'11).
ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
KS_PARITY = 0x1BD11BDA
_U32 = np.dtype(np.uint32)


@register_abstract_eval(threefry2x32_p)
def _threefry2x32_abstract_eval(*avals: ShapedArray) -> list[ShapedArray]:
    if any(a.dtype != _U32 for a in avals):
        listed = ", ".join(repr(a) for a in avals)
        raise TypeError(f"Arguments to threefry2x32 must have uint32 type, got ({listed})")
    shape = broadcasting_shape("threefry2x32", *(tuple(a.shape) for a in avals))
    out = ShapedArray(shape, _U32)
    return [out, out]


def _rounds(key1: Any, key2: Any, x1: Any, x2: Any, add: Any, rotl: Any, xor: Any,
            const: Any) -> tuple[Any, Any]:
    """The 20 rounds and 5 key injections, written once for both NumPy and lax."""
    ks = (key1, key2, xor(xor(key1, key2), const(KS_PARITY)))
    x1 = add(x1, ks[0])
    x2 = add(x2, ks[1])
    for i in range(5):
        for r in ROTATIONS[i % 2]:
            x1 = add(x1, x2)
            x2 = xor(x1, rotl(x2, r))
        x1 = add(x1, ks[(i + 1) % 3])
        x2 = add(add(x2, ks[(i + 2) % 3]), const(i + 1))
    return x1, x2


_CHUNK = 1 << 14  # elements per pass: the working set stays in the CPU's cache


def _rounds_inplace(key1: Any, key2: Any, x1: np.ndarray, x2: np.ndarray,
                    tmp: np.ndarray) -> None:
    """The rounds of ``_rounds`` on NumPy arrays, in place (no temporaries per step)."""
    ks = (key1, key2, key1 ^ key2 ^ np.uint32(KS_PARITY))
    np.add(x1, ks[0], out=x1)
    np.add(x2, ks[1], out=x2)
    for i in range(5):
        for r in ROTATIONS[i % 2]:
            np.add(x1, x2, out=x1)
            np.left_shift(x2, np.uint32(r), out=tmp)
            np.right_shift(x2, np.uint32(32 - r), out=x2)
            np.bitwise_or(x2, tmp, out=x2)
            np.bitwise_xor(x2, x1, out=x2)
        np.add(x1, ks[(i + 1) % 3], out=x1)
        np.add(x2, ks[(i + 2) % 3], out=x2)
        np.add(x2, np.uint32(i + 1), out=x2)


@register_impl(threefry2x32_p)
def _threefry2x32_impl(key1: np.ndarray, key2: np.ndarray, x1: np.ndarray,
                       x2: np.ndarray) -> list[np.ndarray]:
    shape = np.broadcast_shapes(*(np.shape(a) for a in (key1, key2, x1, x2)))
    size = int(np.prod(shape))
    y1 = np.array(np.broadcast_to(np.asarray(x1, _U32), shape), _U32).reshape(-1)
    y2 = np.array(np.broadcast_to(np.asarray(x2, _U32), shape), _U32).reshape(-1)
    # Scalar keys stay NumPy scalars (uint32 arrays and scalars wrap silently in ufuncs with
    # out=); keys of other shapes are broadcast and cut into the same chunks.
    keys = [np.asarray(k, _U32) for k in (key1, key2)]
    keys = [k[()] if k.ndim == 0 else np.broadcast_to(k, shape).reshape(-1) for k in keys]
    tmp = np.empty(min(size, _CHUNK), _U32)
    with np.errstate(over="ignore"):
        for start in range(0, size, _CHUNK):
            stop = min(start + _CHUNK, size)
            k1, k2 = (k if np.ndim(k) == 0 else k[start:stop] for k in keys)
            _rounds_inplace(k1, k2, y1[start:stop], y2[start:stop], tmp[:stop - start])
    return [y1.reshape(shape), y2.reshape(shape)]


def _shape(x: Any) -> tuple[int, ...]:
    return tuple(x.shape) if hasattr(x, "shape") else ()


@register_decomposition(threefry2x32_p)
def threefry2x32_decomposition(key1: Any, key2: Any, x1: Any, x2: Any) -> list[Any]:
    """Threefry-2x32 written with kiln.lax primitives."""
    shape = broadcasting_shape("threefry2x32", *map(_shape, (key1, key2, x1, x2)))
    # Scalar keys stay scalars (the key schedule is computed once); the counters, and keys
    # of other shapes, are broadcast to the result's shape.
    key1, key2, x1, x2 = (
        a if (not _shape(a) and i < 2) or _shape(a) == shape else
        lax.broadcast_in_dim(a, shape, () if not _shape(a) else tuple(range(len(shape))))
        for i, a in enumerate((key1, key2, x1, x2)))

    def rotl(x: Any, r: int) -> Any:
        return lax.bitwise_or(lax.shift_left(x, np.uint32(r)),
                              lax.shift_right_logical(x, np.uint32(32 - r)))

    y1, y2 = _rounds(key1, key2, x1, x2, lax.add, rotl, lax.bitwise_xor, np.uint32)
    return [y1, y2]


@register_batch(threefry2x32_p)
def _threefry2x32_batch(args: Sequence[Any], dims: Sequence[int | None]) -> tuple[list, list]:
    size = next(a.shape[d] for a, d in zip(args, dims) if d is not None)
    unbatched = [tuple(a.shape) if d is None else tuple(a.shape[:d] + a.shape[d + 1:])
                 for a, d in zip(args, dims)]
    shape = (size, *broadcasting_shape("threefry2x32", *unbatched))
    moved = []
    for a, d, s in zip(args, dims, unbatched):
        if d is None:
            dims_out = () if not s else tuple(range(1, len(shape)))
            moved.append(lax.broadcast_in_dim(a, shape, dims_out))
            continue
        if d != 0:
            perm = (d, *(i for i in range(a.ndim) if i != d))
            a = lax.transpose(a, perm)
        if not s:
            a = lax.broadcast_in_dim(a, shape, (0,))
        elif tuple(a.shape) != shape:
            a = lax.broadcast_in_dim(a, shape, tuple(range(len(shape))))
        moved.append(a)
    return threefry2x32_p.bind(*moved), [0, 0]


@register_jvp(threefry2x32_p)
def _threefry2x32_jvp(primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[list, list]:
    # Integer outputs: their tangents are zeros of dtype float0 (kiln-autodiff drops them).
    outs = threefry2x32_p.bind(*primals)
    return outs, [np.zeros(tuple(o.shape), _dtypes.float0) for o in outs]


def _threefry2x32_lowering(ctx: Any, *args: Any) -> Any:
    """The XLA lowering: the lax decomposition, lowered inline by the compiler's context."""
    return ctx.lower_fun(threefry2x32_decomposition, *args, multiple_results=True)


register_lowering(threefry2x32_p, _threefry2x32_lowering, backend="xla")


def threefry2x32(key1: Any, key2: Any, x1: Any, x2: Any) -> tuple[Any, Any]:
    """Apply Threefry-2x32 to counter pairs ``(x1, x2)`` under key ``(key1, key2)``."""
    y1, y2 = threefry2x32_p.bind(key1, key2, x1, x2)
    return y1, y2
