"""How kiln.numpy turns user arguments into operands lax accepts: checking that they are
arrays or scalars (JAX's TypeError for lists and tuples), promoting their dtypes along JAX's
lattice with weak types, and promoting their ranks (``numpy_rank_promotion``).

Python scalars stay Python scalars where they can: lax writes them into jaxprs as weakly
typed literals, as JAX does (``add a 2.0:f32[]``), and eager calls skip a transfer.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from kiln.core import dtypes
from kiln.core.abstract import ShapedArray, get_aval
from kiln.core.array import Array
from kiln.core.config import values as config_values
from kiln.core.dispatch import device_put_value
from kiln.core.tracing import Tracer
from kiln.lax import elementwise as lax_ew
from kiln.lax import structural as lax_st

_PY_SCALARS = (bool, int, float, complex)
_ARRAY_TYPES = (Array, Tracer, np.ndarray, np.generic, bool, int, float, complex)
_INT32 = (-(2**31), 2**31 - 1)




def check_arraylike(fun_name: str, *args: Any, emit_warning: bool = False) -> None:
    """JAX's TypeError when an argument is not an array or a scalar (a list, a tuple...)."""
    for pos, arg in enumerate(args):
        if not (isinstance(arg, _ARRAY_TYPES) or hasattr(arg, "__jax_array__")):
            msg = f"{fun_name} requires ndarray or scalar arguments, got {type(arg)} at " \
                  f"position {pos}."
            if emit_warning:
                warnings.warn(msg + " In a future JAX release this will be an error.",
                              DeprecationWarning, stacklevel=3)
            else:
                raise TypeError(msg)


def aval_of(x: Any) -> ShapedArray:
    if type(x) is int:
        return _int_aval(x)
    jax_array = getattr(x, "__jax_array__", None)
    if jax_array is not None and not isinstance(x, (Array, Tracer)):
        return get_aval(jax_array())
    return get_aval(x)


def _int_aval(x: int) -> ShapedArray:
    if not config_values.enable_x64 and not _INT32[0] <= x <= _INT32[1]:
        raise OverflowError(f"Python int {x} too large to convert to int32")
    return get_aval(x)


def asarray(x: Any, dtype: Any = None) -> Any:
    """``x`` as an Array or tracer (Python scalars weakly typed, host arrays canonicalised),
    converted to ``dtype`` (already canonical) when given."""
    if isinstance(x, (Array, Tracer)):
        return x if dtype is None else convert(x, dtype, False)
    jax_array = getattr(x, "__jax_array__", None)
    if jax_array is not None:
        return asarray(jax_array(), dtype)
    if dtype is not None:
        return convert(x, dtype, False, as_array=True)
    aval = aval_of(x)
    if isinstance(x, np.ndarray | np.generic) and x.dtype != aval.dtype:
        x = np.asarray(x).astype(aval.dtype)
    return device_put_value(x, aval)




def convert(x: Any, dtype: np.dtype, weak: bool, as_array: bool = False) -> Any:
    """``x`` with the canonical ``dtype`` and weak type ``weak``. Python scalars become
    Python scalars of the right kind (weak) or NumPy scalars (strong), which lax stages as
    literals; arrays are converted with ``convert_element_type``. With ``as_array`` the
    result is always an Array or a tracer."""
    t = type(x)
    if t in _PY_SCALARS:
        return _convert_python_scalar(x, t, dtype, weak, as_array)
    if isinstance(x, (Array, Tracer)):
        aval = x.aval
        if aval.dtype == dtype and aval.weak_type == weak:
            return x
        return lax_ew._convert_element_type(x, dtype, weak)
    jax_array = getattr(x, "__jax_array__", None)
    if jax_array is not None:
        return convert(jax_array(), dtype, weak, as_array)
    if isinstance(x, np.ndarray | np.generic):
        if x.dtype != dtype:
            if not _exact_on_host(x.dtype, dtype):
                return _as_array(lax_ew._convert_element_type(_put(x, None, False), dtype, weak))
            x = np.asarray(x).astype(dtype)
        if weak or as_array or x.ndim:
            return _put(x, dtype, weak)
        return x
    raise TypeError(f"Value {x!r} with type {type(x)} is not a valid JAX type")


def _exact_on_host(src: np.dtype, dst: np.dtype) -> bool:
    """Whether NumPy's cast from ``src`` to ``dst`` is the one XLA makes (no float to int
    or complex to real conversions, whose NaN and overflow handling differ)."""
    if dtypes.is_inexact(src) and not dtypes.is_inexact(dst):
        return False
    return not (dtypes.is_complex(src) and not dtypes.is_complex(dst))


def _convert_python_scalar(x: Any, t: type, dtype: np.dtype, weak: bool, as_array: bool) -> Any:
    if weak and not as_array:
        kind = _python_kind_of(dtype)
        if kind is t or (kind is float and t is int) or kind is complex:
            return kind(x)
    if t is bool or (t is int and dtype != dtypes.bool_) or \
            (t is float and dtypes.is_inexact(dtype)) or dtypes.is_complex(dtype):
        value = np.asarray(x).astype(dtype)[()]
        return _put(value, dtype, weak) if (weak or as_array) else value
    return _as_array(lax_ew._convert_element_type(x, dtype, weak))


def _as_array(x: Any) -> Any:
    if isinstance(x, (Array, Tracer)):
        return x
    return device_put_value(x, aval_of(x))


def _put(x: Any, dtype: np.dtype | None, weak: bool) -> Any:
    x = np.asarray(x) if not isinstance(x, np.ndarray) else x
    if dtype is None:
        dtype = dtypes.canonicalize_dtype(x.dtype)
    if x.dtype != dtype:
        x = x.astype(dtype)
    return device_put_value(x, ShapedArray(x.shape, dtype, weak))


def scalar_like(x: Any, value: Any) -> Any:
    """``value`` as a scalar of ``x``'s dtype that keeps ``x``'s weak type (a Python scalar
    when ``x`` is weakly typed, a NumPy scalar otherwise), as JAX's internal constants do."""
    dtype = x.dtype
    if getattr(x, "weak_type", False):
        kind = _python_kind_of(dtype)
        if kind is not None:
            return kind(value) if kind is not int else int(value)
    return strong_scalar(dtype, value)


def strong_scalar(dtype: np.dtype, value: Any) -> Any:
    """``value`` as a NumPy scalar of ``dtype`` (wrapping integers, as a cast does)."""
    return np.asarray(value).astype(dtype)[()]


def _python_kind_of(dtype: np.dtype) -> type | None:
    """The Python scalar type whose weak dtype is ``dtype`` (int for int32 without x64...)."""
    for t in (int, float, complex):
        if dtypes.python_scalar_dtype(t) == dtype:
            return t
    return None


# -- dtype promotion -------------------------------------------------------------------------


def _strict_check(args: tuple) -> None:
    if config_values.numpy_dtype_promotion != "strict":
        return
    pairs = [dtypes._dtype_and_weak(a) for a in args]
    strong = {dtypes.canonicalize_dtype(d) for d, w in pairs if not w}
    weak_kinds = {d.kind for d, w in pairs if w}
    if len(strong) > 1 or (strong and any(
            _strict_kind_mismatch(next(iter(strong)), k) for k in weak_kinds)):
        names = ", ".join(sorted(d.name for d in strong))
        raise dtypes.TypePromotionError(
            f"Input dtypes ({names}) have no available implicit dtype promotion path when "
            "jax_numpy_dtype_promotion=strict. Try explicitly casting inputs to the desired "
            "output type, or set jax_numpy_dtype_promotion=standard.")


def _strict_kind_mismatch(dtype: np.dtype, weak_kind: str) -> bool:
    order = {"b": 0, "u": 1, "i": 1, "f": 2, "V": 2, "c": 3}
    return order.get(weak_kind, 0) > order.get(dtype.kind, 2)


def result_dtype_and_weak(*args: Any) -> tuple[np.dtype, bool]:
    for a in args:
        if type(a) is int:
            _int_aval(a)
    _strict_check(args)
    return dtypes.result_type_and_weak(*args)


def promote_dtypes(*args: Any) -> list[Any]:
    """Convert every argument to the dtype they promote to (weak if all are weak)."""
    if len(args) < 2:
        return [asarray(a) for a in args]
    dtype, weak = result_dtype_and_weak(*args)
    return [convert(a, dtype, weak) for a in args]


def _to_inexact(dtype: np.dtype, weak: bool) -> tuple[np.dtype, bool]:
    return float_dtype_of(dtype), weak


def promote_dtypes_inexact(*args: Any) -> list[Any]:
    """Promote, then make integer and boolean results the default float (float32)."""
    dtype, weak = _to_inexact(*result_dtype_and_weak(*args))
    return [convert(a, dtype, weak) for a in args]


def promote_dtypes_numeric(*args: Any) -> list[Any]:
    """Promote, then make a boolean result the default int."""
    dtype, weak = result_dtype_and_weak(*args)
    if dtype == dtypes.bool_:
        dtype = dtypes.canonicalize_dtype(dtypes.int64)
    return [convert(a, dtype, weak) for a in args]




def complex_dtype_of(dtype: np.dtype) -> np.dtype:
    if dtypes.is_complex(dtype):
        return dtype
    wide = float_dtype_of(dtype) == dtypes.float64
    return dtypes.canonicalize_dtype(dtypes.complex128 if wide else dtypes.complex64)


def float_dtype_of(dtype: np.dtype) -> np.dtype:
    """The float type an integer or bool ``dtype`` computes in: float32, or float64 for
    64-bit integers with x64 enabled (JAX's ``to_inexact_dtype``)."""
    if dtypes.is_inexact(dtype):
        return dtype
    wide = dtypes.is_int(dtype) and dtypes.itemsize_bits(dtype) == 64
    return dtypes.canonicalize_dtype(dtypes.float64 if wide else dtypes.float32)


# -- rank promotion -------------------------------------------------------------------------


def promote_shapes(fun_name: str, *args: Any) -> list[Any]:
    """Give every argument the same rank by adding leading dimensions of size 1 (lax's
    elementwise ops broadcast size-1 dimensions). Scalars are left alone."""
    if len(args) < 2:
        return list(args)
    ranks = [np.ndim(a) if not isinstance(a, (Array, Tracer)) else a.ndim for a in args]
    nonscalar = [r for r in ranks if r]
    if not nonscalar or all(r == nonscalar[0] for r in nonscalar):
        _check_broadcastable(fun_name, args, ranks)
        return list(args)
    mode = config_values.numpy_rank_promotion
    if mode != "allow":
        _rank_promotion_error(fun_name, [np.shape(a) for a in args], mode)
    result_rank = max(ranks)
    _check_broadcastable(fun_name, args, ranks)
    return [a if r in (0, result_rank) else lax_st.broadcast_to_rank(a, result_rank)
            for a, r in zip(args, ranks)]


def _check_broadcastable(fun_name: str, args: Any, ranks: list[int]) -> None:
    shapes = [a.shape if isinstance(a, (Array, Tracer)) else np.shape(a) for a in args]
    ndim = max(ranks)
    for dims in zip(*((1,) * (ndim - len(s)) + tuple(s) for s in shapes if len(s))):
        sizes = {d for d in dims if d != 1}
        if len(sizes) > 1:
            raise ValueError(f"Incompatible shapes for broadcasting: shapes="
                             f"{[tuple(s) for s in shapes]}")


def _rank_promotion_error(fun_name: str, shapes: list, mode: str) -> None:
    msg = ("Operands could not be broadcast together for {} on shapes {} and with the config "
           "option jax_numpy_rank_promotion='{}'. For more information, see "
           "https://docs.jax.dev/en/latest/rank_promotion_warning.html.")
    text = msg.format(fun_name, " ".join(str(tuple(s)) for s in shapes), mode)
    if mode == "warn":
        warnings.warn(text, stacklevel=4)
    else:
        raise ValueError(text)


# -- both -------------------------------------------------------------------------------------


def promote_args(fun_name: str, *args: Any) -> list[Any]:
    """Check, promote dtypes, promote ranks: the usual preamble of a jnp function."""
    check_arraylike(fun_name, *args)
    return promote_shapes(fun_name, *promote_dtypes(*args))


def promote_args_inexact(fun_name: str, *args: Any) -> list[Any]:
    check_arraylike(fun_name, *args)
    return promote_shapes(fun_name, *promote_dtypes_inexact(*args))


def promote_args_numeric(fun_name: str, *args: Any) -> list[Any]:
    check_arraylike(fun_name, *args)
    return promote_shapes(fun_name, *promote_dtypes_numeric(*args))




def as_dtype(dtype: Any) -> np.dtype:
    """A dtype-like (a name, a NumPy type, kiln's scalar types, an array) as a np.dtype."""
    inner = getattr(dtype, "dtype", None)
    return inner if isinstance(inner, np.dtype) else np.dtype(dtype)


def canonicalize_user_dtype(dtype: Any, fun_name: str = "") -> np.dtype | None:
    """A dtype the user asked for, canonicalised (None stays None)."""
    if dtype is None:
        return None
    return lax_ew._user_dtype(dtype, fun_name or "array")



