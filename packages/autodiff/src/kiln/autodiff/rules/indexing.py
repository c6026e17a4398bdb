"""jvp and transpose rules of the indexing primitives: dynamic_slice, dynamic_update_slice,
gather and the scatters.

Slicing and gathering are linear in the operand (indices are integers, never
differentiated); their transposes write the cotangent back where it was read from
(dynamic_update_slice, scatter-add). scatter-add/sub are linear; scatter-mul is linear in
the operand; scatter (replace), scatter-min and scatter-max mask which of the operand and
the updates won each element, so their tangents are scatter-adds of masked tangents (and a
replacing scatter, linear in operand and updates together, transposes by the same masks).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kiln import lax
from kiln.autodiff.ruledefs import aval_of
from kiln.autodiff.transpose import is_undefined_primal
from kiln.autodiff.zeros import Zero, instantiate, tangent_aval
from kiln.core.abstract import get_aval
from kiln.core.primitive import register_jvp, register_transpose
from kiln.core.primitives.indexing import (
    SCATTER_PRIMITIVES,
    GatherDimensionNumbers,
    GatherScatterMode,
    ScatterDimensionNumbers,
    dynamic_slice_p,
    dynamic_update_slice_p,
    gather_p,
)

scatter_p = SCATTER_PRIMITIVES["scatter"]
scatter_add_p = SCATTER_PRIMITIVES["scatter-add"]
scatter_sub_p = SCATTER_PRIMITIVES["scatter-sub"]
scatter_mul_p = SCATTER_PRIMITIVES["scatter-mul"]
scatter_min_p = SCATTER_PRIMITIVES["scatter-min"]
scatter_max_p = SCATTER_PRIMITIVES["scatter-max"]


def _zeros_like(x: Any) -> Any:
    aval = aval_of(x)
    return lax.full(aval.shape, np.zeros((), aval.dtype))


# -- dynamic_slice / dynamic_update_slice ----------------------------------------------------


def _dynamic_slice_jvp(primals: list, tangents: list, *, slice_sizes: tuple) -> tuple:
    operand, *indices = primals
    out = dynamic_slice_p.bind(operand, *indices, slice_sizes=slice_sizes)
    t = tangents[0]
    if type(t) is Zero:
        return out, Zero(tangent_aval(get_aval(out)))
    return out, dynamic_slice_p.bind(t, *indices, slice_sizes=slice_sizes)


def _dynamic_slice_transpose(ct: Any, operand: Any, *indices: Any, slice_sizes: tuple) -> list:
    zeros = _zeros_like(operand)
    return [dynamic_update_slice_p.bind(zeros, ct, *indices)] + [None] * len(indices)


def _dynamic_update_slice_jvp(primals: list, tangents: list) -> tuple:
    operand, update, *indices = primals
    out = dynamic_update_slice_p.bind(operand, update, *indices)
    t_operand, t_update = tangents[:2]
    if type(t_operand) is Zero and type(t_update) is Zero:
        return out, Zero(tangent_aval(get_aval(out)))
    return out, dynamic_update_slice_p.bind(instantiate(t_operand), instantiate(t_update),
                                            *indices)


def _dynamic_update_slice_transpose(ct: Any, operand: Any, update: Any, *indices: Any) -> list:
    update_shape = tuple(aval_of(update).shape)
    ct_operand = ct_update = None
    if is_undefined_primal(operand):
        ct_operand = dynamic_update_slice_p.bind(ct, _zeros_like(update), *indices)
    if is_undefined_primal(update):
        ct_update = dynamic_slice_p.bind(ct, *indices, slice_sizes=update_shape)
    return [ct_operand, ct_update] + [None] * len(indices)


# -- gather and scatter-add: each other's transposes -------------------------------------------


def _scatter_numbers_of(dn: GatherDimensionNumbers) -> ScatterDimensionNumbers:
    return ScatterDimensionNumbers(
        update_window_dims=tuple(dn.offset_dims),
        inserted_window_dims=tuple(dn.collapsed_slice_dims),
        scatter_dims_to_operand_dims=tuple(dn.start_index_map),
        operand_batching_dims=tuple(dn.operand_batching_dims),
        scatter_indices_batching_dims=tuple(dn.start_indices_batching_dims))


def _gather_numbers_of(dn: ScatterDimensionNumbers) -> GatherDimensionNumbers:
    return GatherDimensionNumbers(
        offset_dims=tuple(dn.update_window_dims),
        collapsed_slice_dims=tuple(dn.inserted_window_dims),
        start_index_map=tuple(dn.scatter_dims_to_operand_dims),
        operand_batching_dims=tuple(dn.operand_batching_dims),
        start_indices_batching_dims=tuple(dn.scatter_indices_batching_dims))


def _slice_sizes_of(dn: ScatterDimensionNumbers, operand_ndim: int,
                    updates_shape: tuple) -> tuple:
    """The slice sizes of the gather that reads back what a scatter wrote."""
    windows = iter(updates_shape[d] for d in dn.update_window_dims)
    unit = set(dn.inserted_window_dims) | set(dn.operand_batching_dims)
    return tuple(1 if i in unit else next(windows) for i in range(operand_ndim))


def _inverse_gather(x: Any, indices: Any, dn: ScatterDimensionNumbers, updates_shape: tuple,
                    mode: Any) -> Any:
    """The windows of ``x`` a scatter with ``dn`` and ``indices`` writes, shaped like its
    updates (windows the scatter drops read as zeros)."""
    clip = GatherScatterMode.from_any(mode) is GatherScatterMode.CLIP
    mode = GatherScatterMode.CLIP if clip else GatherScatterMode.FILL_OR_DROP
    return gather_p.bind(
        x, indices, dimension_numbers=_gather_numbers_of(dn),
        slice_sizes=_slice_sizes_of(dn, len(aval_of(x).shape), updates_shape),
        unique_indices=False, indices_are_sorted=False, mode=mode,
        fill_value=0 if mode is GatherScatterMode.FILL_OR_DROP else None)


def _scatter_add(operand: Any, indices: Any, updates: Any, dn: Any, mode: Any,
                 sub: bool = False) -> Any:
    from kiln.lax import scatter_add, scatter_sub

    op = scatter_sub if sub else scatter_add
    return op(operand, indices, updates, dn, mode=mode)


def _gather_jvp(primals: list, tangents: list, **params: Any) -> tuple:
    operand, indices = primals
    out = gather_p.bind(operand, indices, **params)
    t = tangents[0]
    if type(t) is Zero:
        return out, Zero(tangent_aval(get_aval(out)))
    if params["fill_value"] is not None:  # filled windows are constant
        params = dict(params, fill_value=0)
    return out, gather_p.bind(t, indices, **params)


def _gather_transpose(ct: Any, operand: Any, indices: Any, *, dimension_numbers: Any,
                      slice_sizes: tuple, unique_indices: bool, indices_are_sorted: bool,
                      mode: Any, fill_value: Any) -> list:
    zeros = _zeros_like(operand)
    dn = _scatter_numbers_of(dimension_numbers)
    mode = GatherScatterMode.from_any(mode)
    # gathers clamp windows unless they fill them; the scatter must put them back there
    scatter_mode = GatherScatterMode.FILL_OR_DROP if mode is GatherScatterMode.FILL_OR_DROP \
        else GatherScatterMode.CLIP
    return [_scatter_add(zeros, indices, ct, dn, scatter_mode), None]


def _scatter_add_jvp(prim: Any) -> Any:
    def rule(primals: list, tangents: list, **params: Any) -> tuple:
        operand, indices, updates = primals
        out = prim.bind(operand, indices, updates, **params)
        t_operand, _, t_updates = tangents
        if type(t_operand) is Zero and type(t_updates) is Zero:
            return out, Zero(tangent_aval(get_aval(out)))
        return out, prim.bind(instantiate(t_operand), indices, instantiate(t_updates), **params)

    return rule


def _scatter_add_transpose(negate: bool) -> Any:
    def rule(ct: Any, operand: Any, indices: Any, updates: Any, *, dimension_numbers: Any,
             mode: Any, **params: Any) -> list:
        ct_operand = ct if is_undefined_primal(operand) else None
        ct_updates = None
        if is_undefined_primal(updates):
            ct_updates = _inverse_gather(ct, indices, dimension_numbers,
                                         tuple(aval_of(updates).shape), mode)
            if negate:
                ct_updates = lax.neg(ct_updates)
        return [ct_operand, None, ct_updates]

    return rule


# -- scatter-mul ------------------------------------------------------------------------------


def _scatter_mul_jvp(primals: list, tangents: list, **params: Any) -> tuple:
    operand, indices, updates = primals
    out = scatter_mul_p.bind(operand, indices, updates, **params)
    t_operand, _, t_updates = tangents
    tangent: Any = Zero(tangent_aval(get_aval(out)))
    if type(t_operand) is not Zero:
        tangent = scatter_mul_p.bind(t_operand, indices, updates, **params)
    if type(t_updates) is not Zero:
        from_updates = lax.mul(operand, _scatter_add(
            _zeros_like(operand), indices, lax.mul(t_updates, _other_factors(
                operand, indices, updates, params)), params["dimension_numbers"],
            params["mode"]))
        tangent = from_updates if type(tangent) is Zero else lax.add(tangent, from_updates)
    return out, tangent


def _other_factors(operand: Any, indices: Any, updates: Any, params: dict) -> Any:
    """For each update, the product of the other updates multiplied into the same element
    (exact when some are zero: the product of the nonzero ones and a count of the zeros)."""
    dn, mode = params["dimension_numbers"], params["mode"]
    dtype, shape = aval_of(updates).dtype, tuple(aval_of(updates).shape)
    one, zero = np.ones((), dtype), np.zeros((), dtype)
    is_zero = lax.eq(updates, zero)
    zeros_at = _scatter_add(_zeros_like(operand), indices,
                            lax.convert_element_type(is_zero, dtype), dn, mode)
    nonzero_product = scatter_mul_p.bind(lax.full_like(operand, one), indices,
                                         lax.select(is_zero, lax.full_like(updates, one),
                                                    updates), **params)
    zeros_back = _inverse_gather(zeros_at, indices, dn, shape, mode)
    product_back = _inverse_gather(nonzero_product, indices, dn, shape, mode)
    none = lax.full_like(updates, zero)
    # a zero update's others multiply to the product if it is the only zero there; a
    # nonzero update's others to the product without it if there is no zero at all
    for_zero = lax.select(lax.eq(zeros_back, one), product_back, none)
    safe = lax.select(is_zero, lax.full_like(updates, one), updates)
    for_nonzero = lax.select(lax.eq(zeros_back, zero), lax.div(product_back, safe), none)
    return lax.select(is_zero, for_zero, for_nonzero)


def _scatter_mul_transpose(ct: Any, operand: Any, indices: Any, updates: Any,
                           **params: Any) -> list:
    if is_undefined_primal(updates):
        raise NotImplementedError("scatter_mul is linear in its operand only")
    return [scatter_mul_p.bind(ct, indices, updates, **params), None, None]


# -- scatter (replace), scatter-min, scatter-max --------------------------------------------


def _masked_scatter_tangent(operand_mask: Any, updates_mask: Any, indices: Any,
                            t_operand: Any, t_updates: Any, dn: Any, mode: Any,
                            normalize: bool) -> Any:
    """``scatter_add(t_operand * operand_mask, indices, t_updates * updates_mask)``, divided
    by how many values share each element (with ``normalize``: ties share the derivative)."""
    dtype = aval_of(operand_mask).dtype
    tangent = _scatter_add(lax.mul(instantiate(t_operand), operand_mask), indices,
                           lax.mul(instantiate(t_updates), updates_mask), dn, mode)
    if normalize:
        count = _scatter_add(operand_mask, indices, updates_mask, dn, mode)
        safe = lax.select(lax.eq(count, np.zeros((), dtype)), lax.full_like(count, 1), count)
        tangent = lax.div(tangent, safe)
    return tangent


def _as_mask(pred: Any, dtype: Any) -> Any:
    return lax.convert_element_type(pred, dtype)


def _scatter_extremum_jvp(prim: Any) -> Any:
    def rule(primals: list, tangents: list, **params: Any) -> tuple:
        operand, indices, updates = primals
        out = prim.bind(operand, indices, updates, **params)
        t_operand, _, t_updates = tangents
        if type(t_operand) is Zero and type(t_updates) is Zero:
            return out, Zero(tangent_aval(get_aval(out)))
        dn, mode = params["dimension_numbers"], params["mode"]
        dtype = aval_of(out).dtype
        updates_shape = tuple(aval_of(updates).shape)
        won = _as_mask(lax.eq(updates, _inverse_gather(out, indices, dn, updates_shape, mode)),
                       dtype)
        kept = _as_mask(lax.eq(operand, out), dtype)
        return out, _masked_scatter_tangent(kept, won, indices, t_operand, t_updates, dn, mode,
                                            normalize=True)

    return rule


def _replace_masks(operand_aval: Any, indices: Any, updates_aval: Any, dtype: Any,
                   params: dict) -> tuple[Any, Any]:
    """Which elements of the operand a replacing scatter keeps, and which updates win
    (of duplicates, the last): scatter distinct positive ids and read them back. Both
    depend on the indices only, as masks of ``dtype``."""
    if params["update_jaxpr"] is not None:
        raise NotImplementedError("differentiation of scatter_apply is not supported")
    dn, mode = params["dimension_numbers"], params["mode"]
    shape = tuple(updates_aval.shape)
    ids = lax.add(lax.reshape(lax.iota(np.int32, int(np.prod(shape, dtype=int))), shape),
                  np.int32(1))
    written = scatter_p.bind(lax.full(tuple(operand_aval.shape), np.int32(0)), indices, ids,
                             **params)
    won = _as_mask(lax.eq(_inverse_gather(written, indices, dn, shape, mode), ids), dtype)
    kept = _as_mask(lax.eq(written, np.int32(0)), dtype)
    return kept, won


def _scatter_jvp(primals: list, tangents: list, **params: Any) -> tuple:
    operand, indices, updates = primals
    out = scatter_p.bind(operand, indices, updates, **params)
    t_operand, _, t_updates = tangents
    if type(t_operand) is Zero and type(t_updates) is Zero:
        return out, Zero(tangent_aval(get_aval(out)))
    kept, won = _replace_masks(aval_of(operand), indices, aval_of(updates), aval_of(out).dtype,
                               params)
    return out, _masked_scatter_tangent(kept, won, indices, t_operand, t_updates,
                                        params["dimension_numbers"], params["mode"],
                                        normalize=False)


def _scatter_transpose(ct: Any, operand: Any, indices: Any, updates: Any,
                       **params: Any) -> list:
    """A replacing scatter is linear in the operand and the updates together: the kept
    elements' cotangents go to the operand, the written ones' to the winning updates."""
    kept, won = _replace_masks(aval_of(operand), indices, aval_of(updates), aval_of(ct).dtype,
                               params)
    ct_operand = lax.mul(ct, kept) if is_undefined_primal(operand) else None
    ct_updates = None
    if is_undefined_primal(updates):
        ct_updates = lax.mul(_inverse_gather(ct, indices, params["dimension_numbers"],
                                             tuple(aval_of(updates).shape), params["mode"]),
                             won)
    return [ct_operand, None, ct_updates]


register_jvp(dynamic_slice_p, _dynamic_slice_jvp)
register_transpose(dynamic_slice_p, _dynamic_slice_transpose)
register_jvp(dynamic_update_slice_p, _dynamic_update_slice_jvp)
register_transpose(dynamic_update_slice_p, _dynamic_update_slice_transpose)
register_jvp(gather_p, _gather_jvp)
register_transpose(gather_p, _gather_transpose)
for _prim, _negate in ((scatter_add_p, False), (scatter_sub_p, True)):
    register_jvp(_prim, _scatter_add_jvp(_prim))
    register_transpose(_prim, _scatter_add_transpose(_negate))
register_jvp(scatter_mul_p, _scatter_mul_jvp)
register_transpose(scatter_mul_p, _scatter_mul_transpose)
register_jvp(scatter_min_p, _scatter_extremum_jvp(scatter_min_p))
register_jvp(scatter_max_p, _scatter_extremum_jvp(scatter_max_p))
register_jvp(scatter_p, _scatter_jvp)
register_transpose(scatter_p, _scatter_transpose)
