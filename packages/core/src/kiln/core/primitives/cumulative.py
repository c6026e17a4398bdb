"""Cumulative reductions along one axis: ``cumsum``, ``cumprod``, ``cummax``, ``cummin`` and
``cumlogsumexp`` (params ``axis`` and ``reverse``), one table row each.

Each has a NumPy impl (a ufunc's ``accumulate``) and a decomposition into other lax
functions, a Hillis-Steele scan of log2(n) steps: step ``d`` combines every element with the
one ``d`` places before it (after it, when ``reverse``). Transformations and backends without
a rule of their own for these primitives use the decomposition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from kiln.core import dtypes
from kiln.core.abstract import ShapedArray, get_aval
from kiln.core.primitive import (
    Primitive,
    register_abstract_eval,
    register_decomposition,
    register_impl,
)
from kiln.core.primitives.reductions import fix_zero_signs, widen


@dataclass(frozen=True)
class Cumulative:
    name: str
    accumulate: Callable[[np.ndarray, int], np.ndarray]  # along an axis, on a widened array
    combine: Callable[[Any, Any], Any]  # the binary lax operation the scan applies


def _aval_rule(name: str) -> Callable[..., ShapedArray]:
    def rule(aval: ShapedArray, *, axis: int, reverse: bool) -> ShapedArray:
        if axis < 0:
            raise ValueError("XLA operations do not allow negative axes")
        if axis >= aval.ndim:
            raise ValueError(f"axis {axis} is out of bounds for array of shape {aval.shape}")
        if aval.dtype == dtypes.bool_:
            raise TypeError(f"{name} does not accept dtype bool. Accepted dtypes are subtypes "
                            "of number.")
        return aval

    return rule


def _impl_rule(spec: Cumulative) -> Callable[..., np.ndarray]:
    def rule(x: np.ndarray, *, axis: int, reverse: bool) -> np.ndarray:
        work = widen(x)
        if reverse:
            work = np.flip(work, axis)
        with np.errstate(all="ignore"):
            out = spec.accumulate(work, axis)
        if reverse:
            out = np.flip(out, axis)
        return np.asarray(out).astype(x.dtype)

    return rule


def _extremum(ufunc: np.ufunc, is_max: bool) -> Callable[[np.ndarray, int], np.ndarray]:
    def accumulate(x: np.ndarray, axis: int) -> np.ndarray:
        out = ufunc.accumulate(x, axis=axis, dtype=x.dtype)
        return fix_zero_signs(out, x, is_max,
                              lambda mask: np.logical_or.accumulate(mask, axis=axis))

    return accumulate


def _logaddexp_accumulate(x: np.ndarray, axis: int) -> np.ndarray:
    if dtypes.is_int(x.dtype):
        # JAX accepts integers when tracing, then fails converting -inf to an integer.
        raise OverflowError("cannot convert float infinity to integer")
    if not dtypes.is_complex(x.dtype):
        return np.logaddexp.accumulate(x, axis=axis, dtype=x.dtype)
    # NumPy has no complex logaddexp: fold along the axis, shifting by the larger real part.
    x = np.moveaxis(x, axis, 0)
    out = np.empty_like(x)
    acc = x[0] if len(x) else None
    for i in range(len(x)):
        if i:
            big = np.where(acc.real >= x[i].real, acc, x[i])
            small = np.where(acc.real >= x[i].real, x[i], acc)
            acc = np.where(np.isneginf(big.real), big, big + np.log1p(np.exp(small - big)))
        out[i] = acc
    return np.moveaxis(out, 0, axis)


def _lax(name: str) -> Callable[..., Any]:
    """A kiln.lax function, looked up when a decomposition runs (kiln.lax imports us)."""

    def call(*args: Any) -> Any:
        from kiln import lax

        return getattr(lax, name)(*args)

    return call


def _logaddexp(a: Any, b: Any) -> Any:
    from kiln import lax

    if dtypes.is_complex(get_aval(a).dtype):
        # Shift by the operand of larger real part, as the impl does.
        a_bigger = lax.ge(lax.real(a), lax.real(b))
        big, small = lax.select(a_bigger, a, b), lax.select(a_bigger, b, a)
        shifted = lax.add(big, lax.log1p(lax.exp(lax.sub(small, big))))
        return lax.select(lax.eq(lax.real(big), -np.inf), big, shifted)
    big = lax.max(a, b)
    delta = lax.sub(a, b)
    # delta is NaN when both are the same infinity (or either is NaN): a + b is then right.
    return lax.select(lax.ne(delta, delta), lax.add(a, b),
                      lax.add(big, lax.log1p(lax.exp(lax.neg(lax.abs(delta))))))


def _decomposition(spec: Cumulative) -> Callable[..., Any]:
    def scan(x: Any, *, axis: int, reverse: bool) -> Any:
        from kiln import lax

        n = x.shape[axis]
        d = 1
        while d < n:
            early = lax.slice_in_dim(x, 0, n - d, axis=axis)
            late = lax.slice_in_dim(x, d, n, axis=axis)
            if reverse:  # element i combines with i + d; the last d stay as they are
                parts = [spec.combine(early, late), lax.slice_in_dim(x, n - d, n, axis=axis)]
            else:  # element i combines with i - d; the first d stay as they are
                parts = [lax.slice_in_dim(x, 0, d, axis=axis), spec.combine(late, early)]
            x = lax.concatenate(parts, axis)
            d *= 2
        return x

    return scan


TABLE = [
    Cumulative("cumsum", lambda x, axis: np.add.accumulate(x, axis=axis, dtype=x.dtype),
               _lax("add")),
    Cumulative("cumprod", lambda x, axis: np.multiply.accumulate(x, axis=axis, dtype=x.dtype),
               _lax("mul")),
    Cumulative("cummax", _extremum(np.maximum, True), _lax("max")),
    Cumulative("cummin", _extremum(np.minimum, False), _lax("min")),
    Cumulative("cumlogsumexp", _logaddexp_accumulate, _logaddexp),
]


def _define(spec: Cumulative) -> Primitive:
    prim = Primitive(spec.name)
    register_abstract_eval(prim, _aval_rule(spec.name))
    register_impl(prim, _impl_rule(spec))
    register_decomposition(prim, _decomposition(spec))
    return prim


PRIMITIVES: dict[str, Primitive] = {spec.name: _define(spec) for spec in TABLE}
cumsum_p = PRIMITIVES["cumsum"]
cumprod_p = PRIMITIVES["cumprod"]
cummax_p = PRIMITIVES["cummax"]
cummin_p = PRIMITIVES["cummin"]
cumlogsumexp_p = PRIMITIVES["cumlogsumexp"]

__all__ = [f"{name}_p" for name in PRIMITIVES]
