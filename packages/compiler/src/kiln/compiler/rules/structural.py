"""Structural primitives: broadcasting, reshaping, slicing, padding, concatenating."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kiln.compiler import hlo
from kiln.compiler.lowering import LoweringRuleContext, Value
from kiln.compiler.rules import register_family
from kiln.core import dtypes


def _broadcast_in_dim(ctx: LoweringRuleContext, x: Value, *, shape: Sequence[int],
                      broadcast_dimensions: Sequence[int], **_: Any) -> Value:
    return ctx.op("stablehlo.broadcast_in_dim", [x],
                  attrs={"broadcast_dimensions": hlo.i64_array(broadcast_dimensions)})


def _reshape(ctx: LoweringRuleContext, x: Value, *, new_sizes: Sequence[int],
             dimensions: Any = None, **_: Any) -> Value:
    if dimensions is not None:
        x = ctx.transpose(x, dimensions)
    return ctx.op("stablehlo.reshape", [x])


def _squeeze(ctx: LoweringRuleContext, x: Value, **_: Any) -> Value:
    return ctx.op("stablehlo.reshape", [x])


def _transpose(ctx: LoweringRuleContext, x: Value, *, permutation: Sequence[int],
               **_: Any) -> Value:
    return ctx.op("stablehlo.transpose", [x],
                  attrs={"permutation": hlo.i64_array(permutation)})


def _rev(ctx: LoweringRuleContext, x: Value, *, dimensions: Sequence[int], **_: Any) -> Value:
    if not dimensions:
        return x
    return ctx.op("stablehlo.reverse", [x], attrs={"dimensions": hlo.i64_array(dimensions)})


def _pad(ctx: LoweringRuleContext, x: Value, padding_value: Value, *,
         padding_config: Sequence[tuple[int, int, int]], **_: Any) -> Value:
    lo, hi, interior = zip(*padding_config) if padding_config else ((), (), ())
    return ctx.op("stablehlo.pad", [x, padding_value],
                  attrs={"edge_padding_low": hlo.i64_array(lo),
                         "edge_padding_high": hlo.i64_array(hi),
                         "interior_padding": hlo.i64_array(interior)})


def _concatenate(ctx: LoweringRuleContext, *xs: Value, dimension: int, **_: Any) -> Value:
    if len(xs) == 1:
        return xs[0]
    return ctx.op("stablehlo.concatenate", list(xs),
                  attrs={"dimension": hlo.i64_attr(dimension)})


def _slice(ctx: LoweringRuleContext, x: Value, *, start_indices: Sequence[int],
           limit_indices: Sequence[int], strides: Sequence[int] | None = None,
           **_: Any) -> Value:
    strides = tuple(strides) if strides is not None else (1,) * len(start_indices)
    return ctx.op("stablehlo.slice", [x],
                  attrs={"start_indices": hlo.i64_array(start_indices),
                         "limit_indices": hlo.i64_array(limit_indices),
                         "strides": hlo.i64_array(strides)})


def iota(ctx: LoweringRuleContext, dtype: Any, shape: Sequence[int], dimension: int) -> Value:
    dtype = np.dtype(dtype)
    if dtypes.is_complex(dtype):  # StableHLO's iota is integer or float
        real = ctx.iota(shape, np.float32 if dtype == np.complex64 else np.float64, dimension)
        return ctx.convert(real, dtype)
    return ctx.iota(shape, dtype, dimension)


def _iota(ctx: LoweringRuleContext, *, dtype: Any, shape: Sequence[int], dimension: int,
          **_: Any) -> Value:
    return iota(ctx, ctx.avals_out[0].dtype, shape, dimension)


def _split(ctx: LoweringRuleContext, x: Value, *, sizes: Sequence[int], axis: int,
           **_: Any) -> list[Value]:
    outs, start = [], 0
    for size in sizes:
        lo = [0] * len(x.shape)
        hi = list(x.shape)
        lo[axis], hi[axis] = start, start + size
        outs.append(ctx.slice(x, lo, hi))
        start += size
    return outs


def _stack(ctx: LoweringRuleContext, *xs: Value, axis: int, **_: Any) -> Value:
    out = ctx.avals_out[0]
    parts = []
    for x in xs:
        shape = x.shape[:axis] + (1,) + x.shape[axis:]
        parts.append(ctx.reshape(x, shape))
    if len(parts) == 1:
        return parts[0]
    return ctx.op("stablehlo.concatenate", parts, out, {"dimension": hlo.i64_attr(axis)})


def _unstack(ctx: LoweringRuleContext, x: Value, *, axis: int, **_: Any) -> list[Value]:
    outs = []
    rest = x.shape[:axis] + x.shape[axis + 1:]
    for i in range(x.shape[axis]):
        lo = [0] * len(x.shape)
        hi = list(x.shape)
        lo[axis], hi[axis] = i, i + 1
        outs.append(ctx.reshape(ctx.slice(x, lo, hi), rest))
    return outs


def _tile(ctx: LoweringRuleContext, x: Value, *, reps: Sequence[int], **_: Any) -> Value:
    # (d0, d1) tiled (r0, r1): broadcast to (r0, d0, r1, d1), then merge the pairs.
    if all(r == 1 for r in reps):
        return x
    wide = []
    for r, d in zip(reps, x.shape):
        wide += [r, d]
    dims = [2 * i + 1 for i in range(len(x.shape))]
    b = ctx.broadcast_in_dim(x, wide, dims)
    return ctx.reshape(b, ctx.avals_out[0].shape)


RULES: dict[str, Any] = {
    "broadcast_in_dim": _broadcast_in_dim, "reshape": _reshape, "squeeze": _squeeze,
    "transpose": _transpose, "rev": _rev, "pad": _pad, "concatenate": _concatenate,
    "slice": _slice, "iota": _iota, "split": _split, "stack": _stack, "unstack": _unstack,
    "tile": _tile, "expand_dims": _squeeze,
}

REGISTERED = register_family("structural", RULES)

