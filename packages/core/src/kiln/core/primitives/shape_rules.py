"""Checks and result types shared by the shape (abstract_eval) rules of core primitives.

Errors are the TypeErrors/ValueErrors JAX raises for the same mistakes, so a wrong call to
``kiln.lax`` fails at trace time with a message naming the primitive and the operands.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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


# dtype classes accepted by elementwise primitives, by name (used in the op tables)
DTYPE_CLASSES: dict[str, Any] = {
    "bool": lambda dt: dt == dtypes.bool_,
    "int": dtypes.is_int,
    "float": dtypes.is_float,
    "complex": dtypes.is_complex,
}


def check_dtype_classes(name: str, aval: ShapedArray, accepted: Sequence[str],
                        position: int = 0) -> None:
    if any(DTYPE_CLASSES[c](aval.dtype) for c in accepted):
        return
    kinds = {"bool": "bool", "int": "integer", "float": "floating-point", "complex": "complex"}
    wanted = ", ".join(kinds[c] for c in accepted)
    raise TypeError(f"{name} does not accept dtype {aval.dtype.name} at position {position}. "
                    f"Accepted dtypes at position {position} are subtypes of {wanted}.")


def canonical_axes(name: str, axes: Sequence[int], ndim: int) -> tuple[int, ...]:
    """Validate axes against ``ndim`` (primitives take non-negative axes)."""
    for a in axes:
        if not 0 <= a < ndim:
            raise ValueError(f"{name}: axis {a} is out of bounds for array of rank {ndim}")
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: duplicate axes in {tuple(axes)}")
    return tuple(axes)
