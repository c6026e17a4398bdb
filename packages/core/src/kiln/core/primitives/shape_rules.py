"""Checks and result types shared by the shape (abstract_eval) rules of core primitives.

Errors are the TypeErrors/ValueErrors JAX raises for the same mistakes, so a wrong call to
``kiln.lax`` fails at trace time with a message naming the primitive and the operands.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from kiln.core import dtypes
from kiln.core.abstract import ShapedArray


def broadcasting_shape(name: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The result shape of an elementwise primitive. Operands have equal ranks (rank-0
    operands broadcast to anything) and each dimension is equal or 1."""
    ranked = [s for s in shapes if s]
    if not ranked:
        return ()
    ranks = {len(s) for s in ranked}
    if len(ranks) != 1:
        raise TypeError(f"{name}: arrays must have the same number of dimensions, got {ranks}")
    out = []
    for dims in zip(*ranked):
        sizes = {d for d in dims if d != 1}
        if len(sizes) > 1:
            listed = ", ".join(str(tuple(s)) for s in shapes)
            raise TypeError(f"{name} got incompatible shapes for broadcasting: {listed}.")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def same_dtypes(name: str, avals: Sequence[ShapedArray], tip: str | None = None) -> np.dtype:
    """The common dtype of ``avals``; JAX's TypeError if they differ."""
    first = avals[0].dtype
    for a in avals[1:]:
        if a.dtype != first:
            got = ", ".join(x.dtype.name for x in avals)
            hint = f" (Tip: {tip} is a similar function that does automatic type promotion " \
                   "on inputs)." if tip else ""
            raise TypeError(f"lax.{name} requires arguments to have the same dtypes, got "
                            f"{got}.{hint}")
    return first


def all_weak(avals: Sequence[ShapedArray]) -> bool:
    return all(a.weak_type for a in avals)


# -- dtype classes, by the names JAX's errors give them--------------------------------------

_KIND_TESTS: dict[str, Callable[[np.dtype], bool]] = {
    "integer": dtypes.is_int,
    "signedinteger": lambda dt: dt in dtypes.signed_int_dtypes,
    "floating": dtypes.is_float,
    "complexfloating": dtypes.is_complex,
    "bool": lambda dt: dt == dtypes.bool_,
    "float32": lambda dt: dt == dtypes.float32,
    "float64": lambda dt: dt == dtypes.float64,
}
# The order of the names is the order JAX lists them in.
NUM = ("integer", "floating", "complexfloating")
INEXACT = ("floating", "complexfloating")
FLOAT = ("floating",)
INT = ("integer",)
BOOL_OR_INT = ("integer", "bool")
ORDERED = ("integer", "floating", "bool")
ANY = ("integer", "floating", "complexfloating", "bool")
COMPLEX_PARTS = ("float32", "float64")

_NARROW_INTS = frozenset((dtypes.int2, dtypes.int4, dtypes.uint2, dtypes.uint4))
_FLOAT0_ERROR = (
    "float0s do not support any operations by design, because they are not compatible with "
    "non-trivial vector spaces. No implicit dtype conversion is done. You can use "
    "np.zeros_like(arr, dtype=np.float) to cast a float0 array to a regular zeros array. \n"
    "If you didn't expect to get a float0 you might have accidentally taken a gradient with "
    "respect to an integer argument."
)


def check_dtype_kinds(name: str, avals: Sequence[ShapedArray],
                      accepts: Sequence[Sequence[str]], narrow_ints: bool = True) -> None:
    """JAX's TypeError for the first operand whose dtype is outside its accepted classes
    (``accepts[i]`` for operand ``i``). One-operand primitives word it without a position."""
    unary = len(avals) == 1
    for i, (aval, kinds) in enumerate(zip(avals, accepts)):
        dt = aval.dtype
        if not any(_KIND_TESTS[k](dt) for k in kinds):
            where = "" if unary else f" at position {i}"
            if dt == dtypes.float0:
                what = "float0 array" if unary else f"float0{where}"
                raise TypeError(f"Called {name} with a {what}. " + _FLOAT0_ERROR)
            raise TypeError(f"{name} does not accept dtype {dt.name}{where}. Accepted dtypes"
                            f"{where} are subtypes of {', '.join(kinds)}.")
        if not narrow_ints and dt in _NARROW_INTS:
            raise TypeError(f"{name} does not accept dtype {dt.name}. Support for narrow-width "
                            "integers is platform-dependent and limited to a few specific "
                            "operations, e.g. basic arithmetic and type casting.")


def canonical_axes(name: str, axes: Sequence[int], ndim: int) -> tuple[int, ...]:
    """Validate axes against ``ndim`` (primitives take non-negative axes)."""
    for a in axes:
        if not 0 <= a < ndim:
            raise ValueError(f"{name}: axis {a} is out of bounds for array of rank {ndim}")
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: duplicate axes in {tuple(axes)}")
    return tuple(axes)
