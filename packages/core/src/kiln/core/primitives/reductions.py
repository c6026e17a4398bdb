"""Reductions over axes: ``reduce_sum``/``prod``/``max``/``min``, the bitwise
``reduce_and``/``or``/``xor``, ``argmax``/``argmin``, and the generic ``reduce`` whose
computation travels as a jaxpr.

The monoid reductions share one shape rule and one NumPy rule and differ only by a table row
(ufunc, accepted dtypes, identity, whether the result keeps a weak type). This module also
holds the NumPy helpers the cumulative and sorting families share: computing in a type NumPy
supports, and XLA's signed-zero convention for max and min.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kiln.core import dtypes
from kiln.core.abstract import ShapedArray
from kiln.core.jaxpr import ClosedJaxpr, param_printers
from kiln.core.primitive import Primitive, register_abstract_eval, register_impl
from kiln.core.reference import run_jaxpr

# -- NumPy helpers shared by the reduction, cumulative and sorting families -----------------

_SUB_BYTE_INTS = frozenset((dtypes.int2, dtypes.int4, dtypes.uint2, dtypes.uint4))


def compute_dtype(dt: np.dtype) -> np.dtype:
    """The dtype to run NumPy arithmetic in for operands of ``dt``: floats narrower than 32
    bits (whose ufunc loops are missing or accumulate in low precision) go to float32,
    sub-byte integers to int32 (casting back wraps, so integer arithmetic stays modular)."""
    if dtypes.is_float(dt) and dtypes.itemsize_bits(dt) < 32:
        return dtypes.float32
    if dt in _SUB_BYTE_INTS:
        return dtypes.int32
    return dt


def widen(x: np.ndarray) -> np.ndarray:
    dt = compute_dtype(x.dtype)
    return x if dt == x.dtype else x.astype(dt)


def fix_zero_signs(out: np.ndarray, x: np.ndarray, is_max: bool,
                   seen: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """XLA's max/min order -0.0 below +0.0, NumPy's keep whichever zero they met first. A
    zero result is +0.0 for max (-0.0 for min) exactly when such a zero was among the
    inputs; ``seen(mask)`` says whether the mask held anywhere in each output's inputs."""
    if not dtypes.is_float(out.dtype):
        return out
    preferred = np.signbit(x) != is_max  # max looks for +0.0, min for -0.0
    found = seen((x == 0) & preferred)
    zero, neg_zero = np.zeros((), out.dtype), -np.zeros((), out.dtype)
    favoured, other = (zero, neg_zero) if is_max else (neg_zero, zero)
    return np.where(out == 0, np.where(found, favoured, other), out).astype(out.dtype)


@functools.cache
def _supports_inf(dt: np.dtype) -> bool:
    return bool(np.isinf(np.array(np.inf, np.float32).astype(dt).astype(np.float32)))


def max_identity(dt: np.dtype) -> Any:
    """The identity of max on ``dt``: -inf, or the lowest value of types without infinities."""
    if dtypes.is_complex(dt):
        return complex(-np.inf, 0)
    if dtypes.is_float(dt):
        return -np.inf if _supports_inf(dt) else dtypes.finfo(dt).min
    if dtypes.is_int(dt):
        return dtypes.iinfo(dt).min
    return False


def min_identity(dt: np.dtype) -> Any:
    if dtypes.is_complex(dt):
        return complex(np.inf, 0)
    if dtypes.is_float(dt):
        return np.inf if _supports_inf(dt) else dtypes.finfo(dt).max
    if dtypes.is_int(dt):
        return dtypes.iinfo(dt).max
    return True


def and_identity(dt: np.dtype) -> Any:
    return np.array(-1).astype(dt)[()]


# -- shape rules --------------------------------------------------------------------------------


def aval_text(aval: ShapedArray) -> str:
    """An aval as JAX's error messages write it: ``float32[2,3]``, ``~float32[]`` when weak."""
    return ("~" if aval.weak_type else "") + aval.str_short(short_dtypes=False)


def reduced_shape(aval: ShapedArray, axes: Sequence[int]) -> tuple[int, ...]:
    """The shape left after reducing ``axes`` (non-negative, distinct, in range: JAX's
    ValueErrors otherwise)."""
    if len(set(axes)) != len(axes):
        raise ValueError(f"duplicate value in 'axes' of reduction: {tuple(axes)}")
    if not all(0 <= a < aval.ndim for a in axes):
        raise ValueError(f"reduction axes {tuple(axes)} contains out-of-bounds indices for "
                         f"{aval_text(aval)}.")
    return tuple(d for i, d in enumerate(aval.shape) if i not in set(axes))


def _is_number(dt: np.dtype) -> bool:
    return dt != dtypes.bool_


def _is_bitwise(dt: np.dtype) -> bool:
    # JAX tests np.issubdtype(dt, np.integer), which the sub-byte ml_dtypes integers fail.
    return dt == dtypes.bool_ or (dtypes.is_int(dt) and dt not in _SUB_BYTE_INTS)


def _number_error(name: str, dt: np.dtype) -> TypeError:
    return TypeError(f"{name} does not accept dtype {dt.name}. Accepted dtypes are subtypes "
                     "of number.")


def _bitwise_error(name: str, dt: np.dtype) -> TypeError:
    return TypeError(f"logical reduction requires operand dtype bool or int, got {dt.name}.")


# -- the monoid reductions ----------------------------------------------------------------------


@dataclass(frozen=True)
class Reduction:
    name: str
    ufunc: np.ufunc
    identity: Callable[[np.dtype], Any]
    accepts: Callable[[np.dtype], bool] = lambda dt: True
    error: Callable[[str, np.dtype], TypeError] = _number_error
    keeps_weak_type: bool = True  # the bitwise reductions drop it, as in JAX
    extremum: str | None = None  # "max" or "min": zero results get XLA's sign, see below


def _reduction_aval_rule(spec: Reduction) -> Callable[..., ShapedArray]:
    def rule(aval: ShapedArray, *, axes: tuple[int, ...], **_: Any) -> ShapedArray:
        if not spec.accepts(aval.dtype):
            raise spec.error(spec.name, aval.dtype)
        shape = reduced_shape(aval, axes)
        return ShapedArray(shape, aval.dtype, aval.weak_type and spec.keeps_weak_type)

    return rule


def _reduction_impl_rule(spec: Reduction) -> Callable[..., np.ndarray]:
    def rule(x: np.ndarray, *, axes: tuple[int, ...], **_: Any) -> np.ndarray:
        work = widen(x)
        initial = np.asarray(spec.identity(x.dtype)).astype(work.dtype)[()]
        with np.errstate(all="ignore"):
            out = spec.ufunc.reduce(work, axis=axes, dtype=work.dtype, initial=initial)
        if spec.extremum is not None:
            out = fix_zero_signs(np.asarray(out), work, spec.extremum == "max",
                                 lambda mask: np.logical_or.reduce(mask, axis=axes))
        return np.asarray(out).astype(x.dtype)

    return rule


TABLE = [
    Reduction("reduce_sum", np.add, lambda dt: 0, _is_number),
    Reduction("reduce_prod", np.multiply, lambda dt: 1, _is_number),
    Reduction("reduce_max", np.maximum, max_identity, extremum="max"),
    Reduction("reduce_min", np.minimum, min_identity, extremum="min"),
    Reduction("reduce_and", np.bitwise_and, and_identity, _is_bitwise, _bitwise_error, False),
    Reduction("reduce_or", np.bitwise_or, lambda dt: 0, _is_bitwise, _bitwise_error, False),
    Reduction("reduce_xor", np.bitwise_xor, lambda dt: 0, _is_bitwise, _bitwise_error, False),
]


def _define(spec: Reduction) -> Primitive:
    prim = Primitive(spec.name)
    register_abstract_eval(prim, _reduction_aval_rule(spec))
    register_impl(prim, _reduction_impl_rule(spec))
    return prim


PRIMITIVES: dict[str, Primitive] = {spec.name: _define(spec) for spec in TABLE}
reduce_sum_p = PRIMITIVES["reduce_sum"]
reduce_prod_p = PRIMITIVES["reduce_prod"]
reduce_max_p = PRIMITIVES["reduce_max"]
reduce_min_p = PRIMITIVES["reduce_min"]
reduce_and_p = PRIMITIVES["reduce_and"]
reduce_or_p = PRIMITIVES["reduce_or"]
reduce_xor_p = PRIMITIVES["reduce_xor"]

# -- argmax / argmin ----------------------------------------------------------------------------


def _argminmax_aval_rule(aval: ShapedArray, *, axes: tuple[int, ...],
                         index_dtype: np.dtype) -> ShapedArray:
    (axis,) = axes
    if not 0 <= axis < aval.ndim:
        raise ValueError(f"Invalid axis {axis} for operand shape {aval.shape}")
    if aval.shape[axis] < 1:
        raise ValueError("argmin and argmax require non-empty reduced dimension. "
                         f"operand.shape={aval.shape} axis={axis}")
    if not dtypes.is_int(index_dtype):
        raise TypeError(f"index_dtype must be an integer type, but got {index_dtype.name}")
    return ShapedArray(aval.shape[:axis] + aval.shape[axis + 1:], index_dtype)


def _argminmax_impl_rule(np_arg: Callable, comparison: str) -> Callable[..., np.ndarray]:
    # NumPy's argmax/argmin already pick the first NaN, else the first extremum, as XLA does.
    def rule(x: np.ndarray, *, axes: tuple[int, ...], index_dtype: np.dtype) -> np.ndarray:
        if dtypes.is_complex(x.dtype):
            # JAX accepts complex operands when tracing but fails when it compiles the
            # comparison; kiln fails at the same point, with the same error.
            raise TypeError(f"{comparison} does not accept dtype {x.dtype.name} at position 0. "
                            "Accepted dtypes at position 0 are subtypes of integer, floating, "
                            "bool.")
        return np_arg(widen(x), axis=axes[0]).astype(index_dtype)

    return rule


argmax_p = Primitive("argmax")
argmin_p = Primitive("argmin")
for _prim, _fn, _cmp in ((argmax_p, np.argmax, "gt"), (argmin_p, np.argmin, "lt")):
    register_abstract_eval(_prim, _argminmax_aval_rule)
    register_impl(_prim, _argminmax_impl_rule(_fn, _cmp))

# -- reduce: an arbitrary computation, carried as a closed jaxpr ---------------------------------

reduce_p = Primitive("reduce", multiple_results=True)


def _split(args: Sequence[Any]) -> tuple[Sequence[Any], Sequence[Any]]:
    n = len(args) // 2
    return args[:n], args[n:]


def _reduce_aval_rule(*avals: ShapedArray, computation: Callable, jaxpr: ClosedJaxpr,
                      dimensions: tuple[int, ...]) -> list[ShapedArray]:
    operands, inits = _split(avals)
    if any(a.shape != () for a in inits):
        raise ValueError(f"reduce found non-scalar initial value: {[a.shape for a in inits]}")
    if [a.dtype for a in operands] != [a.dtype for a in inits]:
        raise TypeError("reduce operand dtypes should match corresponding initial value dtypes, "
                        f"got operands={list(operands)} and initial_values={list(inits)}")
    if any(a.shape != operands[0].shape for a in operands):
        raise TypeError("reduce operands must have equal shapes, got "
                        + " ".join(str(a.shape) for a in operands))
    return [ShapedArray(reduced_shape(op, dimensions), op.dtype,
                        op.weak_type and init.weak_type) for op, init in zip(operands, inits)]


def _reduce_impl(*args: np.ndarray, computation: Callable, jaxpr: ClosedJaxpr,
                 dimensions: tuple[int, ...]) -> list[np.ndarray]:
    """A left fold ``acc = computation(acc, x)`` over the reduced elements in row-major order,
    run on whole slices at once (every output position in step); computations that are not
    elementwise fall back to one position at a time."""
    operands, inits = _split(args)
    kept = [i for i in range(operands[0].ndim) if i not in dimensions]
    out_shape = tuple(operands[0].shape[i] for i in kept)
    rows = [np.transpose(x, kept + list(dimensions)).reshape(out_shape + (-1,))
            for x in operands]
    count = rows[0].shape[-1]
    step = lambda accs, xs: run_jaxpr(jaxpr.jaxpr, jaxpr.consts, [*accs, *xs])

    with np.errstate(all="ignore"):
        try:
            accs = [np.broadcast_to(init, out_shape) for init in inits]
            for j in range(count):
                xs = [r[..., j] for r in rows]
                accs = [np.broadcast_to(a, out_shape) for a in step(accs, xs)]
            return [np.array(a, dtype=x.dtype) for a, x in zip(accs, operands)]
        except Exception:  # a shape-sensitive computation: evaluate position by position
            outs = [np.empty(out_shape, x.dtype) for x in operands]
            for index in np.ndindex(*out_shape):
                accs = list(inits)
                for j in range(count):
                    accs = step(accs, [r[index + (j,)] for r in rows])
                for out, a in zip(outs, accs):
                    out[index] = a
            return outs


register_abstract_eval(reduce_p, _reduce_aval_rule)
register_impl(reduce_p, _reduce_impl)


def _pp_reduce_params(eqn: Any, names: Any) -> list[tuple[str, Any]]:
    # JAX prints the computation's repr with its address masked, so printed jaxprs are stable.
    text = re.sub(r" at 0x[0-9a-fA-F]+>", " at 0xXXXXXXXXXXXX>", repr(eqn.params["computation"]))
    return [("computation", text), ("dimensions", eqn.params["dimensions"]),
            ("jaxpr", eqn.params["jaxpr"])]


param_printers[reduce_p] = _pp_reduce_params

__all__ = [f"{name}_p" for name in PRIMITIVES] + ["argmax_p", "argmin_p", "reduce_p"]
