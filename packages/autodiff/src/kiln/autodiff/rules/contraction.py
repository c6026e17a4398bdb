"""jvp and transpose rules of dot_general, which is bilinear: its jvp is the sum of two
dot_generals, and its transpose with respect to either operand is a dot_general of the
cotangent with the other operand, transposed back into the operand's axis order."""

from __future__ import annotations

from typing import Any

import numpy as np

from kiln import lax
from kiln.autodiff.ruledefs import aval_of
from kiln.autodiff.transpose import is_undefined_primal
from kiln.autodiff.zeros import Zero, add_tangents, tangent_aval
from kiln.core.abstract import get_aval
from kiln.core.primitive import register_jvp, register_transpose
from kiln.core.primitives.contraction import dot_general_p


def _free(ndim: int, *used: tuple) -> list[int]:
    taken = {d for dims in used for d in dims}
    return [d for d in range(ndim) if d not in taken]


def _dot_general_jvp(primals: list, tangents: list, **params: Any) -> tuple:
    x, y = primals
    tx, ty = tangents
    ans = dot_general_p.bind(x, y, **params)
    out: Any = Zero(tangent_aval(get_aval(ans)))
    if type(tx) is not Zero:
        out = add_tangents(out, dot_general_p.bind(tx, y, **params))
    if type(ty) is not Zero:
        out = add_tangents(out, dot_general_p.bind(x, ty, **params))
    return ans, out


def _transpose_lhs(ct: Any, x_aval: Any, y: Any, dimension_numbers: Any, params: dict,
                   ans_rhs_first: bool = False) -> Any:
    """The cotangent of the lhs ``x`` of ``dot_general(x, y)`` (or of the rhs, with the
    operands' roles swapped and ``ans_rhs_first``: then the answer's free dimensions list
    ``y``'s before ``x``'s)."""
    (x_contract, y_contract), (x_batch, y_batch) = dimension_numbers
    x_ndim, y_ndim = len(x_aval.shape), len(aval_of(y).shape)
    x_kept = _free(x_ndim, x_contract, x_batch)
    y_kept = _free(y_ndim, y_contract, y_batch)
    nb = len(x_batch)
    if ans_rhs_first:
        ans_y = list(range(nb, nb + len(y_kept)))
    else:
        ans_y = list(range(nb + len(x_kept), nb + len(x_kept) + len(y_kept)))
    dims = ((tuple(ans_y), tuple(y_kept)), (tuple(range(nb)), tuple(y_batch)))
    # the result's axes: batch, x's kept, then y's contracting axes in y's order, which
    # are x's contracting axes permuted
    x_contract_by_y = [x_contract[i] for i in np.argsort(y_contract)]
    order = list(x_batch) + x_kept + x_contract_by_y
    out = dot_general_p.bind(ct, y, **dict(params, dimension_numbers=dims))
    out = lax.transpose(out, tuple(int(i) for i in np.argsort(order)))
    if aval_of(out).dtype != x_aval.dtype:
        out = lax.convert_element_type(out, x_aval.dtype)
    return out


def _dot_general_transpose(ct: Any, x: Any, y: Any, *, dimension_numbers: Any,
                           **params: Any) -> list:
    (x_contract, y_contract), (x_batch, y_batch) = dimension_numbers
    if is_undefined_primal(x):
        if is_undefined_primal(y):
            raise ValueError("dot_general is linear in one operand at a time, not both")
        return [_transpose_lhs(ct, x.aval, y, dimension_numbers, params), None]
    swapped = ((y_contract, x_contract), (y_batch, x_batch))
    return [None, _transpose_lhs(ct, y.aval, x, swapped, params, ans_rhs_first=True)]


register_jvp(dot_general_p, _dot_general_jvp)
register_transpose(dot_general_p, _dot_general_transpose)
