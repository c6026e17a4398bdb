"""Elementwise primitives: one table row per primitive (name, arity, accepted dtype classes,
NumPy implementation, result dtype), and one loop that defines them.

Operands have one dtype and equal ranks; rank-0 operands and size-1 dimensions broadcast.
The result is weakly typed only when every operand is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from kiln.core.abstract import ShapedArray
from kiln.core.primitive import Primitive, register_abstract_eval, register_impl
from kiln.core.primitives.shape_rules import (
    all_weak,
    broadcasting_shape,
    check_dtype_classes,
    same_dtypes,
)

NUMBER = ("int", "float", "complex")
INEXACT = ("float", "complex")
INTEGRAL = ("bool", "int")


@dataclass(frozen=True)
class Elementwise:
    name: str
    impl: Callable[..., Any]  # on NumPy arrays of the operand dtype
    accepts: tuple[str, ...]  # dtype classes, see shape_rules.DTYPE_CLASSES
    nargs: int = 1
    result_dtype: Callable[[np.dtype], np.dtype] | None = None  # default: the operand dtype
    tip: str | None = None  # the jnp function that promotes, named in dtype errors


def _aval_rule(spec: Elementwise) -> Callable[..., ShapedArray]:
    def rule(*avals: ShapedArray, **params: Any) -> ShapedArray:
        for i, a in enumerate(avals):
            check_dtype_classes(spec.name, a, spec.accepts, i)
        dtype = same_dtypes(spec.name, avals, spec.tip) if len(avals) > 1 else avals[0].dtype
        shape = broadcasting_shape(spec.name, *(a.shape for a in avals))
        if spec.result_dtype is not None:
            dtype = spec.result_dtype(dtype)
        return ShapedArray(shape, dtype, all_weak(avals))

    return rule


def _impl_rule(spec: Elementwise) -> Callable[..., np.ndarray]:
    def rule(*args: np.ndarray, **params: Any) -> np.ndarray:
        with np.errstate(all="ignore"):
            return spec.impl(*args, **params)

    return rule


def define(spec: Elementwise) -> Primitive:
    prim = Primitive(spec.name)
    register_abstract_eval(prim, _aval_rule(spec))
    register_impl(prim, _impl_rule(spec))
    return prim


def _integer_pow(x: np.ndarray, *, y: int) -> np.ndarray:
    if y >= 0:
        return np.power(x, y).astype(x.dtype)
    return (np.ones((), x.dtype) / np.power(x, -y)).astype(x.dtype)


TABLE = [
    Elementwise("add", np.add, NUMBER, 2, tip="jnp.add"),
    Elementwise("mul", np.multiply, NUMBER, 2, tip="jnp.multiply"),
    Elementwise("sin", np.sin, INEXACT),
    Elementwise("integer_pow", _integer_pow, NUMBER),
]

PRIMITIVES: dict[str, Primitive] = {spec.name: define(spec) for spec in TABLE}
globals().update({f"{name}_p": prim for name, prim in PRIMITIVES.items()})

__all__ = [f"{name}_p" for name in PRIMITIVES]
