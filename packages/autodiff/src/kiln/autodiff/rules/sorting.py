"""jvp rules of sort, top_k and approx_top_k: the tangents follow the values they belong
to. Each rule learns where every output element came from (sort sorts an iota along; top_k
returns its indices) and gathers the tangents from there, so reverse mode transposes the
gather into a scatter-add and needs no rule here."""

from __future__ import annotations

from typing import Any

import numpy as np

from kiln import lax
from kiln.autodiff.ruledefs import aval_of
from kiln.autodiff.zeros import Zero, tangent_aval
from kiln.core.abstract import get_aval
from kiln.core.primitive import register_jvp
from kiln.core.primitives.indexing import GatherDimensionNumbers, GatherScatterMode, gather_p
from kiln.core.primitives.sorting import approx_top_k_p, sort_p, top_k_p


def take_along_axis(x: Any, positions: Any, axis: int) -> Any:
    """``x[..., positions, ...]`` elementwise along ``axis``: each output element at index
    ``p`` is ``x`` at ``p`` with its ``axis`` coordinate replaced by ``positions[p]``."""
    shape = tuple(aval_of(positions).shape)
    ndim = len(shape)
    axis = axis % ndim
    index_dtype = aval_of(positions).dtype
    coords = [positions if d == axis else lax.broadcasted_iota(index_dtype, shape, d)
              for d in range(ndim)]
    indices = lax.stack(coords, ndim)
    dn = GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=tuple(range(ndim)),
                                start_index_map=tuple(range(ndim)))
    return gather_p.bind(x, indices, dimension_numbers=dn, slice_sizes=(1,) * ndim,
                         unique_indices=False, indices_are_sorted=False,
                         mode=GatherScatterMode.PROMISE_IN_BOUNDS, fill_value=None)


def _sort_jvp(primals: list, tangents: list, *, dimension: int, is_stable: bool,
              num_keys: int) -> tuple:
    shape = tuple(aval_of(primals[0]).shape)
    iota = lax.broadcasted_iota(np.int32, shape, dimension)
    outs = sort_p.bind(*primals, iota, dimension=dimension, is_stable=is_stable,
                       num_keys=num_keys)
    permutation = outs[-1]
    out_tangents = [t if type(t) is Zero else take_along_axis(t, permutation, dimension)
                    for t in tangents]
    return outs[:-1], out_tangents


def _top_k_jvp(axis_param: str) -> Any:
    def rule(primals: list, tangents: list, **params: Any) -> tuple:
        prim = top_k_p if axis_param == "axis" else approx_top_k_p
        values, indices = prim.bind(*primals, **params)
        (t,) = tangents
        index_zero = Zero(tangent_aval(get_aval(indices)))
        if type(t) is Zero:
            return [values, indices], [Zero(tangent_aval(get_aval(values))), index_zero]
        return [values, indices], [take_along_axis(t, indices, params[axis_param]), index_zero]

    return rule


register_jvp(sort_p, _sort_jvp)
register_jvp(top_k_p, _top_k_jvp("axis"))
register_jvp(approx_top_k_p, _top_k_jvp("reduction_dimension"))
