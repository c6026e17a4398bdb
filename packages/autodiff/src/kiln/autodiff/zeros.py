"""Symbolic zeros and the tangent space of a value.

A tangent (or cotangent) that is known to be zero is carried as ``Zero(aval)`` rather than as
an array of zeros, so inputs that a function does not differentiate cost nothing: jvp rules
see ``Zero`` and skip work, transposes never run for equations whose cotangents are all
``Zero``. ``instantiate`` turns a ``Zero`` into an array when one is really needed.

Integer and boolean values have tangents of dtype ``float0`` (a zero-size type with no
arithmetic): their tangents are always ``Zero``, and reach users as NumPy ``float0`` arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kiln import lax
from kiln.core import dtypes
from kiln.core.abstract import ShapedArray
from kiln.core.primitive import (
    Primitive,
    register_abstract_eval,
    register_decomposition,
    register_impl,
    register_jvp,
    register_transpose,
)
from kiln.core.primitives.shape_rules import all_weak, broadcasting_shape, same_dtypes

float0 = dtypes.float0


class Zero:
    """A symbolic zero tangent or cotangent of abstract value ``aval``."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    @property
    def shape(self) -> tuple[int, ...]:
        return self.aval.shape

    @property
    def dtype(self) -> np.dtype:
        return self.aval.dtype

    def __repr__(self) -> str:
        return f"Zero({self.aval.str_short()})"


# JAX's name for the zeros that custom_jvp(symbolic_zeros=True) rules receive.
SymbolicZero = Zero


def tangent_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype of tangents of values of ``dtype``: itself if inexact, else float0."""
    return dtype if dtypes.is_inexact(dtype) else float0


def tangent_aval(aval: ShapedArray) -> ShapedArray:
    """The abstract value of tangents (and cotangents) of values of ``aval``."""
    if dtypes.is_inexact(aval.dtype):
        return aval
    return ShapedArray(aval.shape, float0)


def is_differentiable(aval: ShapedArray) -> bool:
    return dtypes.is_inexact(aval.dtype)


def zeros_like_aval(aval: ShapedArray) -> Any:
    """An array of zeros of ``aval``: a broadcast scalar zero (a literal in jaxprs), or a
    NumPy array for float0, which has no arithmetic."""
    if aval.dtype == float0:
        return np.zeros(aval.shape, float0)
    zero = np.zeros((), aval.dtype)
    return lax.broadcast_in_dim(zero, aval.shape, ()) if aval.shape else zero


def instantiate(t: Any) -> Any:
    """``t`` as a value: a ``Zero`` becomes an array of zeros."""
    return zeros_like_aval(t.aval) if type(t) is Zero else t


def add_tangents(a: Any, b: Any) -> Any:
    """The sum of two tangents or cotangents, either of which may be ``Zero``."""
    if type(a) is Zero:
        return b
    if type(b) is Zero:
        return a
    return add_any_p.bind(a, b)



# -- add_any: the addition of tangents ------------------------------------------------------
# Tangent and cotangent sums are their own primitive, as in JAX, so a differentiated jaxpr
# reads as JAX's does (``d = add_any b c``). It is ``add`` by another name: backends and
# batching go through its decomposition.

add_any_p = Primitive("add_any")


@register_abstract_eval(add_any_p)
def _add_any_abstract_eval(x: ShapedArray, y: ShapedArray) -> ShapedArray:
    dtype = same_dtypes("add_any", (x, y))
    return ShapedArray(broadcasting_shape("add_any", x.shape, y.shape), dtype, all_weak((x, y)))


register_impl(add_any_p, lambda x, y: np.add(x, y))
register_decomposition(add_any_p, lambda x, y: lax.add(x, y))
register_jvp(add_any_p, lambda primals, tangents: (
    add_any_p.bind(*primals), add_tangents(*tangents)))


@register_transpose(add_any_p)
def _add_any_transpose(ct: Any, x: Any, y: Any) -> list[Any]:
    return [ct, ct]
