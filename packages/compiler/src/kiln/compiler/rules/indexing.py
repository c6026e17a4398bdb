"""Indexing: dynamic_slice / dynamic_update_slice (XLA clamps the start indices itself),
gather (``CLIP`` and ``PROMISE_IN_BOUNDS`` rely on XLA's clamping; ``FILL_OR_DROP`` masks
out-of-bounds windows with the fill value) and the scatter family (``CLIP`` clamps the
indices first; otherwise XLA skips out-of-bounds windows, which is dropping them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kiln.compiler import hlo
from kiln.compiler.lowering import LoweringRuleContext, Value
from kiln.compiler.rules import register_family
from kiln.compiler.rules.elementwise import complex_max_min
from kiln.core import dtypes
from kiln.core.abstract import ShapedArray


def _dynamic_slice(ctx: LoweringRuleContext, x: Value, *indices: Value,
                   slice_sizes: Sequence[int], **_: Any) -> Value:
    return ctx.op("stablehlo.dynamic_slice", [x, *indices],
                  attrs={"slice_sizes": hlo.i64_array(slice_sizes)})


def _dynamic_update_slice(ctx: LoweringRuleContext, x: Value, update: Value, *indices: Value,
                          **_: Any) -> Value:
    return ctx.op("stablehlo.dynamic_update_slice", [x, update, *indices])


def _mode_name(mode: Any) -> str:
    if mode is None:
        return "FILL_OR_DROP"
    name = getattr(mode, "name", None)
    if isinstance(name, str):
        return name
    text = str(mode).lower()
    if text == "clip":
        return "CLIP"
    if text == "promise_in_bounds":
        return "PROMISE_IN_BOUNDS"
    if text == "one_hot":
        return "ONE_HOT"
    return "FILL_OR_DROP"


def _dims(name: str, values: Sequence[int]) -> str:
    return f"{name} = {hlo.i64_list(values)}"


def gather_dimension_numbers(dn: Any, index_vector_dim: int) -> str:
    parts = [_dims("offset_dims", dn.offset_dims),
             _dims("collapsed_slice_dims", dn.collapsed_slice_dims)]
    if getattr(dn, "operand_batching_dims", ()):
        parts.append(_dims("operand_batching_dims", dn.operand_batching_dims))
        parts.append(_dims("start_indices_batching_dims", dn.start_indices_batching_dims))
    parts.append(_dims("start_index_map", dn.start_index_map))
    parts.append(f"index_vector_dim = {index_vector_dim}")
    return "#stablehlo.gather<" + ", ".join(parts) + ">"


def scatter_dimension_numbers(dn: Any, index_vector_dim: int) -> str:
    parts = [_dims("update_window_dims", dn.update_window_dims),
             _dims("inserted_window_dims", dn.inserted_window_dims)]
    if getattr(dn, "operand_batching_dims", ()):
        parts.append(_dims("input_batching_dims", dn.operand_batching_dims))
        parts.append(_dims("scatter_indices_batching_dims", dn.scatter_indices_batching_dims))
    parts.append(_dims("scatter_dims_to_operand_dims", dn.scatter_dims_to_operand_dims))
    parts.append(f"index_vector_dim = {index_vector_dim}")
    return "#stablehlo.scatter<" + ", ".join(parts) + ">"


def _in_bounds_mask(ctx: LoweringRuleContext, indices: Value, index_map: Sequence[int],
                    upper: Sequence[int]) -> Value:
    """Whether each index vector (last axis of ``indices``) starts a window in bounds:
    ``0 <= indices[..., k] <= upper[k]``. Shape: ``indices.shape[:-1]``."""
    wide = np.dtype(np.int64)
    idx = ctx.convert(indices, wide)
    bound = ctx.broadcast_in_dim(ctx.constant(np.array(upper, wide)), idx.shape,
                                 [len(idx.shape) - 1])
    ok = ctx.and_(ctx.compare(idx, ctx.zeros_like(idx), "GE", "SIGNED"),
                  ctx.compare(idx, bound, "LE", "SIGNED"))
    true = ctx.constant(True, np.bool_)
    batch_shape = idx.shape[:-1]
    region = ctx.region([ShapedArray((), np.bool_)] * 2, lambda c, a, b: [c.and_(a, b)])
    return ctx.op("stablehlo.reduce", [ok, true], ShapedArray(batch_shape, np.bool_),
                  {"dimensions": hlo.i64_array([len(idx.shape) - 1])}, [region])


def _gather(ctx: LoweringRuleContext, operand: Value, indices: Value, *,
            dimension_numbers: Any, slice_sizes: Sequence[int], mode: Any = None,
            fill_value: Any = None, indices_are_sorted: bool = False, **_: Any) -> Value:
    dn = dimension_numbers
    out = ctx.avals_out[0]
    index_vector_dim = len(indices.shape) - 1
    attrs = {"dimension_numbers": gather_dimension_numbers(dn, index_vector_dim),
             "slice_sizes": hlo.i64_array(slice_sizes),
             "indices_are_sorted": hlo.bool_attr(bool(indices_are_sorted))}
    gathered = ctx.op("stablehlo.gather", [operand, indices], out, attrs)
    if _mode_name(mode) != "FILL_OR_DROP" or not out.size:
        return gathered
    upper = [operand.shape[d] - slice_sizes[d] for d in dn.start_index_map]
    mask = _in_bounds_mask(ctx, indices, dn.start_index_map, upper)
    batch_dims = [d for d in range(len(out.shape)) if d not in set(dn.offset_dims)]
    mask = ctx.broadcast_in_dim(mask, out.shape, batch_dims)
    if fill_value is None:
        from kiln.core.primitives.indexing import default_fill_value

        fill_value = default_fill_value(out.dtype)
    with np.errstate(all="ignore"):
        fill = np.asarray(fill_value).astype(out.dtype)
    return ctx.select(mask, gathered, ctx.constant(fill, out.dtype, out.shape))


def _window_sizes(dn: Any, operand: Value, updates: Value) -> list[int]:
    """The scatter window's size in each operand dimension."""
    window = [1] * len(operand.shape)
    windowed = [d for d in range(len(operand.shape))
                if d not in set(dn.inserted_window_dims)
                and d not in set(getattr(dn, "operand_batching_dims", ()))]
    for d, ud in zip(windowed, dn.update_window_dims):
        window[d] = updates.shape[ud]
    return window


def _clamp_indices(ctx: LoweringRuleContext, indices: Value, upper: Sequence[int]) -> Value:
    wide = np.dtype(np.int64)
    idx = ctx.convert(indices, wide)
    bound = ctx.broadcast_in_dim(ctx.constant(np.array(upper, wide)), idx.shape,
                                 [len(idx.shape) - 1])
    return ctx.op("stablehlo.clamp", [ctx.zeros_like(idx), idx, bound], idx.aval)


def _combiner(kind: str) -> Any:
    def combine(c: LoweringRuleContext, old: Value, new: Value) -> Value:
        if kind == "replace":
            return new
        if kind in ("max", "min"):
            if dtypes.is_complex(old.dtype):
                return complex_max_min(c, old, new, "GT" if kind == "max" else "LT")
            return c.binary(f"stablehlo.{'maximum' if kind == 'max' else 'minimum'}", old, new)
        if old.dtype == np.bool_ and kind == "stablehlo.add":
            return c.or_(old, new)
        return c.binary(kind, old, new)

    return combine


SCATTERS = {
    "scatter": "replace", "scatter-add": "stablehlo.add", "scatter-sub": "stablehlo.subtract",
    "scatter-mul": "stablehlo.multiply", "scatter-min": "min", "scatter-max": "max",
}


def _scatter_rule(name: str) -> Any:
    combine = _combiner(SCATTERS[name])

    def rule(ctx: LoweringRuleContext, operand: Value, indices: Value, updates: Value, *,
             dimension_numbers: Any, mode: Any = None, update_jaxpr: Any = None,
             update_consts: Sequence[Any] = (), indices_are_sorted: bool = False,
             unique_indices: bool = False, **_: Any) -> Value:
        dn = dimension_numbers
        if _mode_name(mode) == "CLIP":
            window = _window_sizes(dn, operand, updates)
            upper = [operand.shape[d] - window[d] for d in dn.scatter_dims_to_operand_dims]
            indices = _clamp_indices(ctx, indices, upper)
        scalar = ShapedArray((), operand.dtype)
        if name == "scatter" and update_jaxpr is not None:
            def body(c: LoweringRuleContext, old: Value, new: Value) -> list[Value]:
                return c.lower_jaxpr(update_jaxpr, update_consts, [old, new])
        else:
            def body(c: LoweringRuleContext, old: Value, new: Value) -> list[Value]:
                return [combine(c, old, new)]
        region = ctx.region([scalar, scalar], body)
        index_vector_dim = len(indices.shape) - 1
        attrs = {"scatter_dimension_numbers": scatter_dimension_numbers(dn, index_vector_dim),
                 "indices_are_sorted": hlo.bool_attr(bool(indices_are_sorted)),
                 "unique_indices": hlo.bool_attr(bool(unique_indices))}
        return ctx.op("stablehlo.scatter", [operand, indices, updates], operand.aval, attrs,
                      [region])

    return rule


RULES: dict[str, Any] = {
    "dynamic_slice": _dynamic_slice, "dynamic_update_slice": _dynamic_update_slice,
    "gather": _gather,
}
RULES.update({name: _scatter_rule(name) for name in SCATTERS})

REGISTERED = register_family("indexing", RULES)
