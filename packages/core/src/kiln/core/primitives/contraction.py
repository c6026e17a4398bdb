"""``dot_general``: a contraction with batch dimensions, XLA's DotGeneral.

``dimension_numbers = ((lhs_contract, rhs_contract), (lhs_batch, rhs_batch))`` (tuples of
ints). The result's dimensions are the batch dimensions, then the lhs's free dimensions,
then the rhs's. Operands may have different dtypes: the result has the "wider" one under
XLA's ranking (complex, then exponent range, then mantissa, then bit width, then signed),
or ``preferred_element_type`` when given. The NumPy impl accumulates in 64 bits (exact for
integers modulo 2**64, correctly rounded for floats) and casts to the result dtype.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from kiln.core import dtypes
from kiln.core.abstract import ShapedArray
from kiln.core.jaxpr import param_printers
from kiln.core.primitive import Primitive, register_abstract_eval, register_impl
from kiln.core.primitives.elementwise import convert_array

# -- precision: the values the ``precision`` param holds -------------------------------------


class Precision(enum.Enum):
    """How accurately accelerators compute float32 products: DEFAULT (fastest), HIGH,
    HIGHEST. Also spelled as strings (``'highest'``, ``'float32'``, ``'tensorfloat32'``...).
    NumPy computes every precision exactly."""

    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2

    @classmethod
    def _missing_(cls, value: object) -> Precision | None:
        return PRECISION_STRINGS.get(value)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"

    def __str__(self) -> str:
        return self.name


PRECISION_STRINGS: dict[Any, Precision] = {
    "highest": Precision.HIGHEST, "float32": Precision.HIGHEST,
    "high": Precision.HIGH, "bfloat16_3x": Precision.HIGH, "tensorfloat32": Precision.HIGH,
    "default": Precision.DEFAULT, "bfloat16": Precision.DEFAULT, "fastest": Precision.DEFAULT,
    None: Precision.DEFAULT,
}


class DotAlgorithm(NamedTuple):
    """An explicit dot algorithm: the types operands are rounded to and accumulated in."""

    lhs_precision_type: Any
    rhs_precision_type: Any
    accumulation_type: Any
    lhs_component_count: int = 1
    rhs_component_count: int = 1
    num_primitive_operations: int = 1
    allow_imprecise_accumulation: bool = False


class DotAlgorithmPreset(enum.Enum):
    """Named dot algorithms, ``LHS_RHS_ACCUMULATION`` (``_X3`` etc.: emulated with several
    products). Also accepted by name as the ``precision`` argument."""

    DEFAULT = enum.auto()
    ANY_F8_ANY_F8_F32 = enum.auto()
    ANY_F8_ANY_F8_F32_FAST_ACCUM = enum.auto()
    ANY_F8_ANY_F8_ANY = enum.auto()
    ANY_F8_ANY_F8_ANY_FAST_ACCUM = enum.auto()
    F16_F16_F16 = enum.auto()
    F16_F16_F32 = enum.auto()
    BF16_BF16_BF16 = enum.auto()
    BF16_BF16_F32 = enum.auto()
    BF16_BF16_F32_X3 = enum.auto()
    BF16_BF16_F32_X6 = enum.auto()
    BF16_BF16_F32_X9 = enum.auto()
    TF32_TF32_F32 = enum.auto()
    TF32_TF32_F32_X3 = enum.auto()
    F32_F32_F32 = enum.auto()
    F64_F64_F64 = enum.auto()

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"

    def __str__(self) -> str:
        return self.name


def is_algorithm(precision: Any) -> bool:
    return isinstance(precision, (DotAlgorithm, DotAlgorithmPreset))


# -- shape and dtype rules ---------------------------------------------------------------------


def _check_dimension_numbers(lhs: ShapedArray, rhs: ShapedArray, dimension_numbers: Any) -> None:
    (lc, rc), (lb, rb) = dimension_numbers
    for side, aval, contract, batch in (("lhs", lhs, lc, lb), ("rhs", rhs, rc, rb)):
        if not all(0 <= d < aval.ndim for d in (*contract, *batch)):
            raise TypeError(
                f"dot_general requires {side} dimension numbers to be nonnegative and less than "
                f"the number of axes of the {side} value, got {side}_batch of {batch} and "
                f"{side}_contracting of {contract} for {side} of rank {aval.ndim}")
    if len(lb) != len(rb):
        raise TypeError("dot_general requires equal numbers of lhs_batch and rhs_batch "
                        f"dimensions, got lhs_batch {lb} and rhs_batch {rb}.")
    for side, contract, batch in (("lhs", lc, lb), ("rhs", rc, rb)):
        for what, dims in (("batch", batch), ("contracting", contract)):
            if len(set(dims)) != len(dims):
                raise TypeError(f"dot_general requires {side} {what} dimensions to be distinct, "
                                f"got {side}_{what} {dims}.")
    for side, contract, batch in (("lhs", lc, lb), ("rhs", rc, rb)):
        if set(contract) & set(batch):
            raise TypeError(f"dot_general requires {side} batch dimensions to be disjoint from "
                            f"contracting dimensions, got {side}_batch {batch} and "
                            f"{side}_contracting {contract}.")
    for what, ldims, rdims in (("batch", lb, rb), ("contracting", lc, rc)):
        lshape = tuple(lhs.shape[d] for d in ldims)
        rshape = tuple(rhs.shape[d] for d in rdims)
        if lshape != rshape:
            which = "lhs batch dimensions and rhs batch dimensions" if what == "batch" \
                else "contracting dimensions"
            raise TypeError(f"dot_general requires {which} to have the same shape, got "
                            f"{lshape} and {rshape}.")


def _free(ndim: int, *used: Sequence[int]) -> list[int]:
    taken = {d for dims in used for d in dims}
    return [d for d in range(ndim) if d not in taken]


def _bit_width(dt: np.dtype) -> int:
    if dt == dtypes.bool_:
        return 1
    return dtypes.finfo(dt).bits if dtypes.is_inexact(dt) else dtypes.iinfo(dt).bits


def _rank(dt: np.dtype) -> tuple:
    """XLA's order of "higher precision" types: complex over real, then exponent range, then
    mantissa bits, then width, then signed over unsigned."""
    real = np.dtype(np.finfo(dt).dtype) if dtypes.is_complex(dt) else dt
    is_float = dtypes.is_float(real)
    return (dtypes.is_complex(dt),
            dtypes.finfo(real).maxexp if is_float else -1,
            dtypes.finfo(real).nmant if is_float else -1,
            _bit_width(real),
            not dtypes.is_unsigned(real))


def result_dtype(lhs: np.dtype, rhs: np.dtype, precision: Any,
                 preferred_element_type: np.dtype | None) -> np.dtype:
    lrank, rrank = _rank(lhs), _rank(rhs)
    if lrank == rrank and lhs != rhs:
        raise TypeError(f"lax.dot_general argument type error: {lhs.name}, {rhs.name}")
    out = lhs if lrank >= rrank else rhs
    if preferred_element_type is None or preferred_element_type == out:
        return out
    # Asking for a narrower type is an error, except from floats or with an explicit algorithm.
    if (not is_algorithm(precision) and not dtypes.is_float(out)
            and _bit_width(preferred_element_type) < _bit_width(out)):
        raise TypeError("`preferred_element_type` must not be narrower than the original type, "
                        f"got preferred_element_type of {preferred_element_type.name} for "
                        f"result type of {out.name}.")
    return preferred_element_type


def _dot_general_aval_rule(lhs: ShapedArray, rhs: ShapedArray, *, dimension_numbers: Any,
                           precision: Any, preferred_element_type: np.dtype | None,
                           out_sharding: Any) -> ShapedArray:
    _check_dimension_numbers(lhs, rhs, dimension_numbers)
    (lc, rc), (lb, rb) = dimension_numbers
    shape = (tuple(lhs.shape[d] for d in lb)
             + tuple(lhs.shape[d] for d in _free(lhs.ndim, lc, lb))
             + tuple(rhs.shape[d] for d in _free(rhs.ndim, rc, rb)))
    dtype = result_dtype(lhs.dtype, rhs.dtype, precision, preferred_element_type)
    return ShapedArray(shape, dtype, lhs.weak_type and rhs.weak_type)


# -- the NumPy implementation -------------------------------------------------------------------


def _accumulation_dtype(out: np.dtype, lhs: np.dtype, rhs: np.dtype) -> np.dtype:
    if dtypes.is_complex(out) or dtypes.is_complex(lhs) or dtypes.is_complex(rhs):
        return dtypes.complex128
    if dtypes.is_float(out) or dtypes.is_float(lhs) or dtypes.is_float(rhs):
        return dtypes.float64
    # Integer and boolean products summed modulo 2**64: casting to a narrower integer result
    # then wraps exactly as XLA's narrower arithmetic does.
    return dtypes.int64


def _einsum_spec(lhs_ndim: int, rhs_ndim: int, dimension_numbers: Any) -> str:
    (lc, rc), (lb, rb) = dimension_numbers
    letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    lhs_names = [""] * lhs_ndim
    rhs_names = [""] * rhs_ndim
    for ld, rd in (*zip(lb, rb), *zip(lc, rc)):
        lhs_names[ld] = rhs_names[rd] = next(letters)
    for names in (lhs_names, rhs_names):
        for i, name in enumerate(names):
            if not name:
                names[i] = next(letters)
    out = ([lhs_names[d] for d in lb] + [lhs_names[d] for d in _free(lhs_ndim, lc, lb)]
           + [rhs_names[d] for d in _free(rhs_ndim, rc, rb)])
    return f"{''.join(lhs_names)},{''.join(rhs_names)}->{''.join(out)}"


def _dot_general_impl(lhs: np.ndarray, rhs: np.ndarray, *, dimension_numbers: Any,
                      precision: Any, preferred_element_type: np.dtype | None,
                      out_sharding: Any) -> np.ndarray:
    out_dtype = result_dtype(lhs.dtype, rhs.dtype, precision, preferred_element_type)
    acc = _accumulation_dtype(out_dtype, lhs.dtype, rhs.dtype)
    spec = _einsum_spec(lhs.ndim, rhs.ndim, dimension_numbers)
    with np.errstate(all="ignore"):
        out = np.einsum(spec, lhs.astype(acc), rhs.astype(acc), optimize=True)
        # XLA's conversion: complex to real keeps the real part, floats to integers
        # saturate, and to bool means "nonzero" (booleans dot as an OR of ANDs)
        return convert_array(np.asarray(out), out_dtype)


dot_general_p = Primitive("dot_general")
register_abstract_eval(dot_general_p, _dot_general_aval_rule)
register_impl(dot_general_p, _dot_general_impl)


def _pp_dot_general_params(eqn: Any, names: Any) -> list[tuple[str, Any]]:
    # As JAX: hide None params and out_sharding, print dimension_numbers with lists.
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    items = {k: v for k, v in eqn.params.items() if v is not None and k != "out_sharding"}
    items["dimension_numbers"] = ((list(lc), list(rc)), (list(lb), list(rb)))
    precision = items.get("precision")
    if isinstance(precision, tuple):  # a pair of Precisions prints with their reprs
        items["precision"] = f"({precision[0]!r}, {precision[1]!r})"
    return sorted(items.items())


param_printers[dot_general_p] = _pp_dot_general_params

__all__ = ["dot_general_p", "Precision", "DotAlgorithm", "DotAlgorithmPreset"]
