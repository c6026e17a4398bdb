"""jvp and transpose rules of the reductions: reduce_sum (linear: its transpose broadcasts),
reduce_prod (each element's derivative is the product of the others, computed without
division so zeros are exact), reduce_max/min (the derivative is shared by the elements that
attain the extremum), the generic ``reduce`` (differentiated through a pairwise tree of its
computation), and the integer- or boolean-valued ones (zero)."""

from __future__ import annotations

from typing import Any

import numpy as np

from kiln import lax
from kiln.autodiff.jvp import jvp_flat
from kiln.autodiff.ruledefs import aval_of, defjvp_zero, deflinear
from kiln.autodiff.zeros import Zero, tangent_aval
from kiln.core.abstract import get_aval
from kiln.core.jaxpr import eval_jaxpr
from kiln.core.primitive import register_jvp
from kiln.core.primitives.reductions import PRIMITIVES, argmax_p, argmin_p, reduce_p


def _kept_dims(ndim: int, axes: tuple) -> tuple:
    return tuple(i for i in range(ndim) if i not in axes)


def _broadcast_back(x: Any, shape: tuple, axes: tuple) -> Any:
    """A reduced ``x`` broadcast back along the reduced ``axes`` to ``shape``."""
    return lax.broadcast_in_dim(x, tuple(shape), _kept_dims(len(shape), axes))


def _reduce_sum_transpose(ct: Any, x: Any, *, axes: tuple, **params: Any) -> list:
    return [_broadcast_back(ct, tuple(aval_of(x).shape), axes)]


def _rows(x: Any, axes: tuple) -> Any:
    """``x`` with the reduced ``axes`` moved last and flattened into one."""
    shape = aval_of(x).shape
    kept = _kept_dims(len(shape), axes)
    n = int(np.prod([shape[a] for a in axes], dtype=np.int64))
    moved = lax.transpose(x, kept + tuple(axes))
    return lax.reshape(moved, tuple(shape[i] for i in kept) + (n,))


def _shift(x: Any, by_one_toward_end: bool) -> Any:
    """``x`` shifted by one along its last axis, filling with ones (exclusive products)."""
    shape = tuple(aval_of(x).shape)
    last, n = len(shape) - 1, shape[-1]
    ones = lax.full(shape[:-1] + (1,), np.ones((), aval_of(x).dtype))
    if by_one_toward_end:
        return lax.concatenate([ones, lax.slice_in_dim(x, 0, n - 1, axis=last)], last)
    return lax.concatenate([lax.slice_in_dim(x, 1, n, axis=last), ones], last)


def _reduce_prod_jvp(primals: list, tangents: list, *, axes: tuple) -> tuple:
    (x,), (t,) = primals, tangents
    ans = PRIMITIVES["reduce_prod"].bind(x, axes=axes)
    if type(t) is Zero:
        return ans, Zero(tangent_aval(get_aval(ans)))
    rows, t_rows = _rows(x, axes), _rows(t, axes)
    last = len(aval_of(rows).shape) - 1
    if aval_of(rows).shape[-1] == 0:
        return ans, lax.full_like(ans, 0)
    before = _shift(lax.cumprod(rows, axis=last), by_one_toward_end=True)
    after = _shift(lax.cumprod(rows, axis=last, reverse=True), by_one_toward_end=False)
    others = lax.mul(before, after)  # the product of every element but this one
    return ans, lax.reduce_sum(lax.mul(t_rows, others), (last,))


def _reduce_chooser_jvp(name: str) -> Any:
    def rule(primals: list, tangents: list, *, axes: tuple) -> tuple:
        (x,), (t,) = primals, tangents
        ans = PRIMITIVES[name].bind(x, axes=axes)
        shape = tuple(aval_of(x).shape)
        attained = lax.convert_element_type(lax.eq(x, _broadcast_back(ans, shape, axes)),
                                            aval_of(x).dtype)
        counts = lax.reduce_sum(attained, axes)
        return ans, lax.div(lax.reduce_sum(lax.mul(t, attained), axes), counts)

    return rule


# -- reduce: through the fold it defines ------------------------------------------------------


def _fold(jaxpr: Any, dimensions: tuple, n_operands: int, *args: Any) -> list[Any]:
    """``reduce`` written with other primitives: the left fold ``acc = computation(acc, x)``
    over the reduced elements in row-major order, from the initial values (the order of
    the reference implementation, so non-associative computations agree too)."""
    operands, inits = args[:n_operands], args[n_operands:]
    rows = [_rows(x, dimensions) for x in operands]
    shape = tuple(aval_of(rows[0]).shape)
    last, out_shape = len(shape) - 1, shape[:-1]
    accs = [lax.broadcast_in_dim(i, out_shape, ()) for i in inits]
    for j in range(shape[-1]):
        xs = [lax.reshape(lax.slice_in_dim(r, j, j + 1, axis=last), out_shape) for r in rows]
        accs = eval_jaxpr(jaxpr.jaxpr, jaxpr.consts, *accs, *xs)
    return accs


def _reduce_jvp(primals: list, tangents: list, *, computation: Any, jaxpr: Any,
                dimensions: tuple) -> tuple:
    outs = reduce_p.bind(*primals, computation=computation, jaxpr=jaxpr, dimensions=dimensions)
    n = len(primals) // 2
    _, out_tangents = jvp_flat(lambda *xs: _fold(jaxpr, dimensions, n, *xs),
                               primals, tangents)
    return outs, out_tangents


deflinear(PRIMITIVES["reduce_sum"], _reduce_sum_transpose)
register_jvp(PRIMITIVES["reduce_prod"], _reduce_prod_jvp)
register_jvp(PRIMITIVES["reduce_max"], _reduce_chooser_jvp("reduce_max"))
register_jvp(PRIMITIVES["reduce_min"], _reduce_chooser_jvp("reduce_min"))
register_jvp(reduce_p, _reduce_jvp)
for _prim in (PRIMITIVES["reduce_and"], PRIMITIVES["reduce_or"], PRIMITIVES["reduce_xor"],
              argmax_p, argmin_p):
    defjvp_zero(_prim)
