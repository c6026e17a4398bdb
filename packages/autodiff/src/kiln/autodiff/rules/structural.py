"""jvp and transpose rules of the structural primitives (broadcasting, reshaping, slicing,
padding, concatenating...). All are linear in their array operands, so each is one
transpose rule; their jvp applies the primitive to the tangents."""

from __future__ import annotations

from typing import Any

import numpy as np

from kiln import lax
from kiln.autodiff.ruledefs import aval_of, defjvp_zero, deflinear
from kiln.autodiff.transpose import is_undefined_primal
from kiln.autodiff.zeros import instantiate
from kiln.core.primitives.structural import PRIMITIVES


def _broadcast_in_dim_transpose(ct: Any, x: Any, *, shape: tuple, broadcast_dimensions: tuple,
                                sharding: Any) -> list:
    operand_shape = aval_of(x).shape
    expanded = {broadcast_dimensions[i] for i, d in enumerate(operand_shape)
                if d == 1 and shape[broadcast_dimensions[i]] != 1}
    summed = tuple(d for d in range(len(shape))
                   if d not in broadcast_dimensions or d in expanded)
    out = lax.reduce_sum(ct, summed) if summed else ct
    # the operand dimensions that survive, in the order their targets appear in the output
    kept = [i for i in sorted(range(len(operand_shape)), key=lambda i: broadcast_dimensions[i])
            if broadcast_dimensions[i] not in expanded]
    out = lax.transpose(out, tuple(int(p) for p in np.argsort(kept))) if kept else out
    return [lax.reshape(out, tuple(operand_shape))]


def _reshape_transpose(ct: Any, x: Any, *, new_sizes: tuple, dimensions: Any,
                       sharding: Any) -> list:
    shape = tuple(aval_of(x).shape)
    if dimensions is None:
        return [lax.reshape(ct, shape)]
    permuted = tuple(shape[d] for d in dimensions)
    inverse = tuple(int(p) for p in np.argsort(dimensions))
    return [lax.transpose(lax.reshape(ct, permuted), inverse)]


def _transpose_transpose(ct: Any, x: Any, *, permutation: tuple) -> list:
    return [lax.transpose(ct, tuple(int(p) for p in np.argsort(permutation)))]


def _pad_transpose(ct: Any, x: Any, padding_value: Any, *, padding_config: tuple) -> list:
    lo, hi, interior = zip(*padding_config) if padding_config else ((), (), ())
    unpad = tuple((-a, -b, 0) for a, b in zip(lo, hi))
    zero = np.zeros((), aval_of(ct).dtype)
    unpadded = lax.pad(ct, zero, unpad)
    t_operand = lax.slice(unpadded, (0,) * len(lo), tuple(aval_of(unpadded).shape),
                          tuple(i + 1 for i in interior))
    t_padding = None
    if is_undefined_primal(padding_value):
        every = tuple(range(len(lo)))
        t_padding = lax.sub(lax.reduce_sum(ct, every), lax.reduce_sum(t_operand, every))
    return [t_operand if is_undefined_primal(x) else None, t_padding]


def _concatenate_transpose(ct: Any, *xs: Any, dimension: int) -> list:
    out, offset = [], 0
    ct_shape = aval_of(ct).shape
    for x in xs:
        size = aval_of(x).shape[dimension]
        if is_undefined_primal(x):
            start = [0] * len(ct_shape)
            limit = list(ct_shape)
            start[dimension], limit[dimension] = offset, offset + size
            out.append(lax.slice(ct, tuple(start), tuple(limit)))
        else:
            out.append(None)
        offset += size
    return out


def _slice_transpose(ct: Any, x: Any, *, start_indices: tuple, limit_indices: tuple,
                     strides: Any) -> list:
    shape = aval_of(x).shape
    ct_shape = aval_of(ct).shape
    strides = strides or (1,) * len(shape)
    # the last element each dimension's slice reads, plus one
    ends = [s if n == 0 else s + 1 + (n - 1) * st
            for s, n, st in zip(start_indices, ct_shape, strides)]
    config = tuple((s, d - e, st - 1) for s, d, e, st in zip(start_indices, shape, ends, strides))
    return [lax.pad(ct, np.zeros((), aval_of(ct).dtype), config)]


def _split_transpose(cts: list, x: Any, *, sizes: tuple, axis: int) -> list:
    return [lax.concatenate([instantiate(ct) for ct in cts], axis)]


def _stack_transpose(ct: Any, *xs: Any, axis: int) -> list:
    parts = lax.unstack(ct, axis)
    return [p if is_undefined_primal(x) else None for p, x in zip(parts, xs)]


def _unstack_transpose(cts: list, x: Any, *, axis: int) -> list:
    if not cts:  # an empty axis: nothing flows back
        aval = aval_of(x)
        return [lax.full(aval.shape, np.zeros((), aval.dtype))]
    return [lax.stack([instantiate(ct) for ct in cts], axis)]


def _tile_transpose(ct: Any, x: Any, *, reps: tuple) -> list:
    shape = aval_of(x).shape
    interleaved = tuple(v for r, d in zip(reps, shape) for v in (r, d))
    summed = lax.reduce_sum(lax.reshape(ct, interleaved), tuple(range(0, 2 * len(reps), 2)))
    return [summed]


TRANSPOSES = {
    "broadcast_in_dim": _broadcast_in_dim_transpose,
    "reshape": _reshape_transpose,
    "squeeze": lambda ct, x, *, dimensions: [lax.reshape(ct, tuple(aval_of(x).shape))],
    "transpose": _transpose_transpose,
    "rev": lambda ct, x, *, dimensions: [lax.rev(ct, dimensions)],
    "pad": _pad_transpose,
    "concatenate": _concatenate_transpose,
    "slice": _slice_transpose,
    "split": _split_transpose,
    "stack": _stack_transpose,
    "unstack": _unstack_transpose,
    "tile": _tile_transpose,
}

for _name, _transpose in TRANSPOSES.items():
    deflinear(PRIMITIVES[_name], _transpose)
defjvp_zero(PRIMITIVES["iota"])
