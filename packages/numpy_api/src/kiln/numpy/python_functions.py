"""Applying Python functions over arrays: ``vectorize``, ``apply_along_axis``,
``apply_over_axes``, and the predicates ``isscalar`` and ``iterable``.

kiln.numpy depends on kiln-core only, so these loop over the elements (or slices) in Python
and stack the results, instead of using vmap: the values are those of JAX's, traced
functions unroll.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from kiln import lax
from kiln.core.array import Array
from kiln.numpy.promotion import asarray, check_arraylike
from kiln.numpy.reductions import canonicalize_axis

_DIMENSION = r"\w+"
_CORE_DIMENSION_LIST = f"(?:{_DIMENSION}(?:,{_DIMENSION})*)?"
_ARGUMENT = rf"\({_CORE_DIMENSION_LIST}\)"
_ARGUMENT_LIST = f"{_ARGUMENT}(?:,{_ARGUMENT})*"
_SIGNATURE = f"^{_ARGUMENT_LIST}->{_ARGUMENT_LIST}$"


def _parse_signature(signature: str) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    signature = signature.replace(" ", "")
    if not re.match(_SIGNATURE, signature):
        raise ValueError(f"not a valid gufunc signature: {signature}")
    inputs, outputs = signature.split("->")

    def parse(part: str) -> list[tuple[str, ...]]:
        return [tuple(re.findall(_DIMENSION, arg)) for arg in re.findall(_ARGUMENT, part)]

    return parse(inputs), parse(outputs)


def vectorize(pyfunc: Callable[..., Any], *, excluded: frozenset = frozenset(),
              signature: str | None = None) -> Callable[..., Any]:
    """``pyfunc`` applied over the broadcast leading ("loop") dimensions of its arguments;
    ``signature`` (``'(n),(n)->()'``) names the core dimensions each call receives;
    ``excluded`` names arguments passed through unchanged."""

    @functools.wraps(pyfunc)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        excluded_args = {i for i in excluded if isinstance(i, int)}
        excluded_kw = {k for k in excluded if isinstance(k, str)}
        names = [k for k in kwargs if k not in excluded_kw]
        vec_args = [a for i, a in enumerate(args) if i not in excluded_args] + \
            [kwargs[k] for k in names]
        vec_args = [asarray(a) for a in vec_args]
        if signature is None:
            in_core = [()] * len(vec_args)
            out_core = None
        else:
            in_core, out_core = _parse_signature(signature)
            if len(in_core) != len(vec_args):
                raise TypeError(f"wrong number of positional arguments: expected "
                                f"{len(in_core)}, got {len(vec_args)}")
        loop_shapes = []
        for a, core in zip(vec_args, in_core):
            if a.ndim < len(core):
                raise ValueError(f"input with shape {a.shape} does not have enough dimensions "
                                 f"for its core dimensions {core}")
            loop_shapes.append(a.shape[:a.ndim - len(core)])
        loop_shape = np.broadcast_shapes(*loop_shapes) if loop_shapes else ()

        def call(flat_args: list[Any]) -> Any:
            it = iter(flat_args)
            full = []
            for i, a in enumerate(args):
                full.append(a if i in excluded_args else next(it))
            kw = {k: (kwargs[k] if k in excluded_kw else next(it)) for k in kwargs}
            return pyfunc(*full, **kw)

        if not loop_shape:
            return _as_output(call(vec_args))
        broadcast = []
        for a, core in zip(vec_args, in_core):
            target = tuple(loop_shape) + a.shape[a.ndim - len(core):]
            from kiln.numpy.selection import broadcast_to

            broadcast.append(broadcast_to(a, target))
        size = int(np.prod(loop_shape))
        flat = [lax.reshape(b, (size,) + b.shape[len(loop_shape):]) for b in broadcast]
        results = [call([f[i] for f in flat]) for i in range(size)]
        return _stack_results(results, tuple(loop_shape), out_core)

    return wrapped


def _as_output(r: Any) -> Any:
    if isinstance(r, tuple):
        return tuple(asarray(x) for x in r)
    return asarray(r)


def _stack_results(results: list[Any], loop_shape: tuple[int, ...], out_core: Any) -> Any:
    from kiln.numpy.shape import stack

    if isinstance(results[0], tuple):
        return tuple(_stack_results([r[i] for r in results], loop_shape, out_core)
                     for i in range(len(results[0])))
    stacked = stack([asarray(r) for r in results])
    return lax.reshape(stacked, loop_shape + stacked.shape[1:])


def apply_along_axis(func1d: Callable[..., Any], axis: int, arr: Any, *args: Any,
                     **kwargs: Any) -> Any:
    """``func1d`` applied to the 1-D slices of ``arr`` along ``axis``."""
    from kiln.numpy.shape import moveaxis, stack

    check_arraylike("apply_along_axis", arr)
    a = asarray(arr)
    axis = canonicalize_axis(axis, a.ndim)
    moved = moveaxis(a, axis, -1)
    lead = moved.shape[:-1]
    size = int(np.prod(lead)) if lead else 1
    flat = lax.reshape(moved, (size, moved.shape[-1]))
    outs = [asarray(func1d(flat[i], *args, **kwargs)) for i in range(size)]
    stacked = stack(outs)
    out = lax.reshape(stacked, lead + stacked.shape[1:])
    # the function's output dimensions take the place of axis
    n_out = stacked.ndim - 1
    if n_out == 0:
        return out
    return moveaxis(out, tuple(range(len(lead), len(lead) + n_out)),
                    tuple(range(axis, axis + n_out)))


def apply_over_axes(func: Callable[[Any, int], Any], a: Any, axes: Sequence[int]) -> Any:
    """``func(a, axis)`` applied for each axis in turn, keeping dimensions."""
    check_arraylike("apply_over_axes", a)
    arr = asarray(a)
    for axis in axes:
        b = asarray(func(arr, axis))
        if b.ndim == arr.ndim - 1:
            b = lax.expand_dims(b, (canonicalize_axis(axis, arr.ndim),))
        elif b.ndim != arr.ndim:
            raise ValueError("function is not returning an array of the correct shape")
        arr = b
    return arr


def isscalar(element: Any) -> bool:
    """Whether ``element`` is a scalar: a Python or NumPy scalar, or a 0-d array."""
    if np.isscalar(element):
        return True
    if isinstance(element, (np.ndarray, Array)) or hasattr(element, "aval"):
        return element.ndim == 0
    if getattr(element, "__jax_array__", None) is not None:
        return asarray(element).ndim == 0
    return False


def iterable(y: Any) -> bool:
    """Whether ``iter(y)`` works."""
    try:
        iter(y)
    except TypeError:
        return False
    return True
