"""jvp and transpose rules of the collectives over named axes. psum is linear and its own
transpose (every member's input reaches every member's output); all_gather's transpose
sums the gathered cotangents over the axis and keeps each member's own slice; pmax/pmin
share the derivative among the members that attain the extremum; axis_index is an integer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kiln import lax
from kiln.autodiff.ruledefs import aval_of, defjvp_zero, deflinear
from kiln.autodiff.zeros import Zero
from kiln.core.primitive import register_jvp
from kiln.core.primitives.collectives import (
    all_gather_p,
    axis_env,
    axis_index_p,
    pmax_p,
    pmin_p,
    psum_p,
)


def _psum_transpose(ct: Any, x: Any, **params: Any) -> list:
    return [psum_p.bind(ct, **params)]


def _member_index(names: tuple) -> Any:
    """This member's position along the named axes together (the first name major)."""
    env = axis_env()
    index: Any = np.int32(0)
    for name in names:
        index = lax.add(lax.mul(index, np.int32(env[name])),
                        axis_index_p.bind(axis_name=name))
    return index


def _all_gather_transpose(ct: Any, x: Any, *, all_gather_dimension: int, axis_name: tuple,
                          axis_index_groups: Any, axis_size: int, tiled: bool) -> list:
    if axis_index_groups is not None:
        raise NotImplementedError("transposing all_gather with axis_index_groups")
    total = psum_p.bind(ct, axes=tuple(axis_name), axis_index_groups=None)
    index = _member_index(tuple(axis_name))
    d = all_gather_dimension
    if tiled:
        size = aval_of(x).shape[d]
        return [lax.dynamic_slice_in_dim(total, lax.mul(index, np.int32(size)), size, d)]
    return [lax.dynamic_index_in_dim(total, index, d, keepdims=False)]


def _pextremum_jvp(prim: Any) -> Any:
    def rule(primals: list, tangents: list, *, axes: tuple, axis_index_groups: Any) -> tuple:
        (x,), (t,) = primals, tangents
        ans = prim.bind(x, axes=axes, axis_index_groups=axis_index_groups)
        if type(t) is Zero:
            return ans, t
        attained = lax.convert_element_type(lax.eq(x, ans), aval_of(x).dtype)
        count = psum_p.bind(attained, axes=axes, axis_index_groups=axis_index_groups)
        share = psum_p.bind(lax.mul(t, attained), axes=axes,
                            axis_index_groups=axis_index_groups)
        return ans, lax.div(share, count)

    return rule


deflinear(psum_p, _psum_transpose)
deflinear(all_gather_p, _all_gather_transpose)
register_jvp(pmax_p, _pextremum_jvp(pmax_p))
register_jvp(pmin_p, _pextremum_jvp(pmin_p))
defjvp_zero(axis_index_p)
