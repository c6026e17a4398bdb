"""kiln-autodiff's checks for the conformance kit (``kiln.core.testing.check_primitive``),
registered on import (kiln-core finds this module through the ``kiln.conformance`` entry
point):

- ``jvp_vs_finite_differences``: a primitive's jvp rule against central differences of the
  primitive itself, in float64 (x64 enabled inside the check) wherever the example's
  floating-point arguments can be widened, in their own precision otherwise;
- ``transpose_dot_product``: a linear primitive's transpose rule ``T`` against its jvp
  ``J`` by the dot-product identity ``<ct, J t> == <T ct, t>``, one linear argument at a
  time (the pairing is ``Re(sum(a * b))``, kiln's and JAX's convention for complex values).

Both raise ``Skip`` where they do not apply (no floating-point arguments or outputs, no
transpose rule, a derivative that is deliberately not the function's, e.g. stop_gradient).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from kiln.autodiff.api import jvp
from kiln.autodiff.transpose import UndefinedPrimal
from kiln.autodiff.zeros import Zero
from kiln.core import dtypes
from kiln.core.abstract import ShapedArray, get_aval
from kiln.core.config import enable_x64
from kiln.core.jaxpr import ClosedJaxpr, Jaxpr
from kiln.core.primitive import Primitive, abstract_eval, get_rule
from kiln.core.reference import to_numpy
from kiln.core.testing import Skip, register_check

# Primitives whose jvp is by design not the derivative of the function they compute.
NOT_FINITE_DIFFERENTIABLE = {
    "stop_gradient": "its derivative is zero by definition",
    "reduce_precision": "its derivative is the identity (straight-through), not the rounding's",
    "bitcast_convert_type": "reinterpreting bits is not a smooth function",
}

# Linear up to rounding only: the dot-product identity holds approximately.
NOT_EXACTLY_LINEAR = {"reduce_precision": "it rounds its tangents and cotangents"}

_WIDE = {"f": np.dtype(np.float64), "c": np.dtype(np.complex128)}


def _is_inexact(x: Any) -> bool:
    return dtypes.is_inexact(get_aval(x).dtype)


def _outputs(prim: Primitive, out: Any) -> list[Any]:
    return list(out) if prim.multiple_results else [out]


def _host(x: Any) -> np.ndarray:
    """A value (kiln Array, NumPy array or scalar) as a NumPy array, in float64/complex128
    when it is inexact."""
    value = to_numpy(x)
    if dtypes.is_complex(value.dtype):
        return value.astype(np.complex128)
    if dtypes.is_float(value.dtype):
        return value.astype(np.float64)
    return value


def _random_like(rng: np.random.Generator, x: Any) -> np.ndarray:
    aval = get_aval(x)
    value = rng.standard_normal(aval.shape)
    if dtypes.is_complex(aval.dtype):
        value = value + 1j * rng.standard_normal(aval.shape)
    return np.asarray(value).astype(aval.dtype)


def _widened(args: Sequence[Any]) -> list[Any]:
    out = []
    for x in args:
        value = np.asarray(to_numpy(x))
        if dtypes.is_inexact(value.dtype):
            value = value.astype(_WIDE["c" if dtypes.is_complex(value.dtype) else "f"])
        out.append(value)
    return out


def _precision(values: Sequence[Any]) -> tuple[float, float]:
    """Finite-difference step (relative) and tolerance for the least precise of the
    inexact ``values`` (arrays or avals)."""
    eps = max((float(dtypes.finfo(_real_dtype(getattr(v, "dtype", None) or
                                              get_aval(v).dtype)).eps)
               for v in values if dtypes.is_inexact(getattr(v, "dtype", None) or
                                                    get_aval(v).dtype)), default=1e-16)
    if eps < 1e-10:  # float64
        return 1e-6, 1e-5
    if eps < 1e-5:  # float32
        return 1e-2, 3e-2
    return 1e-1, 2e-1


def _real_dtype(dtype: np.dtype) -> np.dtype:
    return np.dtype(np.float32) if dtype == np.complex64 else \
        np.dtype(np.float64) if dtype == np.complex128 else dtype


def _call(prim: Primitive, args: Sequence[Any], params: dict, positions: Sequence[int],
          diff: Sequence[Any]) -> list[Any]:
    full = list(args)
    for i, value in zip(positions, diff):
        full[i] = value
    return _outputs(prim, prim.bind(*full, **params))


def _jvp_matches(prim: Primitive, args: Sequence[Any], params: dict, positions: list[int],
                 rng: np.random.Generator) -> str | None:
    """None if the jvp at ``args`` matches central differences, else what differs."""
    primals = [args[i] for i in positions]
    out_avals = _outputs(prim, abstract_eval(prim, [get_aval(x) for x in args], params))
    relative_step, rtol = _precision(primals + out_avals + _jaxpr_avals(params))
    step = relative_step * max([1.0] + [float(np.max(np.abs(_host(p)), initial=0.0))
                                        for p in primals])
    tangents = [_random_like(rng, x) for x in primals]
    _, out_tangents = jvp(lambda *d: _call(prim, args, params, positions, d), primals, tangents)

    def shifted(sign: float) -> list[Any]:
        moved = [np.asarray(_host(p) + sign * step * _host(t)).astype(get_aval(p).dtype)
                 for p, t in zip(primals, tangents)]
        return _call(prim, args, params, positions, moved)

    plus, minus = shifted(1.0), shifted(-1.0)
    for k, (t, hi, lo) in enumerate(zip(out_tangents, plus, minus)):
        if not _is_inexact(hi):
            continue
        hi, lo = _host(hi), _host(lo)
        with np.errstate(all="ignore"):  # inf - inf: not compared (see ``finite``)
            expected = (hi - lo) / (2 * step)
        got = _host(t)
        finite = np.isfinite(hi) & np.isfinite(lo) & np.isfinite(expected)
        if got.shape != expected.shape:
            return f"output {k}: tangent has shape {got.shape}, output {expected.shape}"
        scale = max(1.0, float(np.max(np.abs(expected[finite]), initial=0.0)))
        if not np.allclose(got[finite], expected[finite], rtol=rtol, atol=rtol * scale):
            return (f"output {k}: jvp gave\n{got}\nbut central differences give\n{expected}")
    return None


def _check_at(prim: Primitive, args: Sequence[Any], params: dict, positions: list[int],
              rng: np.random.Generator) -> str | None:
    """Check at ``args`` and, failing that, at points nearby (the example may sit on a
    kink: a tie, |0|...)."""
    failure = _jvp_matches(prim, args, params, positions, rng)
    for _ in range(3):
        if failure is None:
            return None
        failure = _jvp_matches(prim, _jittered(args, positions, rng), params, positions, rng)
    return failure


def _has_wide_args(args: Sequence[Any]) -> bool:
    return any(_is_inexact(x) and _real_dtype(get_aval(x).dtype).itemsize == 8 for x in args)


def _jaxpr_avals(params: dict) -> list[ShapedArray]:
    """The input avals of the jaxprs among ``params``."""
    avals = []
    for v in params.values():
        if isinstance(v, (ClosedJaxpr, Jaxpr)):
            avals.extend(v.in_avals)
    return avals


def check_jvp_vs_finite_differences(prim: Primitive, args: Sequence[Any], params: dict) -> None:
    if prim.name in NOT_FINITE_DIFFERENTIABLE:
        raise Skip(NOT_FINITE_DIFFERENTIABLE[prim.name])
    if get_rule("jvp", prim) is None and get_rule("decomposition", prim) is None:
        raise Skip("no jvp rule")
    positions = [i for i, x in enumerate(args) if _is_inexact(x)]
    if not positions:
        raise Skip("no floating-point arguments")
    # A jaxpr param fixes the dtypes it computes in: such examples stay as they are.
    fixed = _jaxpr_avals(params)
    with enable_x64(not fixed or _has_wide_args(args)):
        out_avals = _outputs(prim, abstract_eval(prim, [get_aval(x) for x in args], params))
        if not any(dtypes.is_inexact(a.dtype) for a in out_avals):
            _check_zero_tangents(prim, args, params, positions)
            raise Skip("no floating-point outputs")
        base = list(args)
        if not fixed:
            try:
                wide = _widened(args)
                abstract_eval(prim, [get_aval(x) for x in wide], params)
                base = wide
            except (TypeError, ValueError):  # params tied to the example's dtypes
                pass
        rng = np.random.default_rng(0)
        try:
            failure = _check_at(prim, base, params, positions, rng)
        except (ValueError, NotImplementedError) as e:
            # not differentiable in some argument (polygamma's order...): check the others
            failures = []
            for i in positions:
                try:
                    failures.append(_check_at(prim, base, params, [i], rng))
                except (ValueError, NotImplementedError):
                    failures.append("")
            if all(f == "" for f in failures):
                raise e
            failure = next((f for f in failures if f), None)
    if failure is not None:
        raise AssertionError(f"{prim.name}: jvp disagrees with finite differences: {failure}")


def _jittered(args: Sequence[Any], positions: Sequence[int],
              rng: np.random.Generator) -> list[Any]:
    out = list(args)
    for i in positions:
        value = np.asarray(to_numpy(args[i]))
        noise = _random_like(rng, value).astype(_host(value).dtype)
        out[i] = (_host(value) + 1e-3 * (1 + np.abs(_host(value))) * noise).astype(value.dtype)
    return out


def _check_zero_tangents(prim: Primitive, args: Sequence[Any], params: dict,
                         positions: list[int]) -> None:
    """A primitive without floating-point outputs must give them zero (float0) tangents."""
    primals = [args[i] for i in positions]
    tangents = [np.ones(get_aval(x).shape, get_aval(x).dtype) for x in primals]
    _, out_tangents = jvp(lambda *d: _call(prim, args, params, positions, d), primals, tangents)
    for t in out_tangents:
        assert np.asarray(t).dtype == dtypes.float0, (
            f"{prim.name}: tangent of a non-floating output should be float0, got {t!r}")


# -- transpose ------------------------------------------------------------------------------


def _pairing(a: Any, b: Any) -> float:
    return float(np.real(np.sum(_host(a) * _host(b))))


def _tangent_aval(y: Any) -> ShapedArray:
    aval = get_aval(y)
    return ShapedArray(aval.shape, aval.dtype)


def check_transpose_dot_product(prim: Primitive, args: Sequence[Any], params: dict) -> None:
    rule = get_rule("transpose", prim)
    if rule is None:
        raise Skip("no transpose rule")
    if prim.name in NOT_EXACTLY_LINEAR:
        raise Skip(NOT_EXACTLY_LINEAR[prim.name])
    positions = [i for i, x in enumerate(args) if _is_inexact(x)]
    if not positions:
        raise Skip("no floating-point arguments")
    rng = np.random.default_rng(0)
    checked = 0
    # exact arithmetic needs no widening: 64-bit only where the example is
    with enable_x64() if _has_wide_args(args) else contextlib.nullcontext():
        for i in positions:
            t = _random_like(rng, args[i])
            _, jt = jvp(lambda x, i=i: _call(prim, args, params, [i], [x]), [args[i]], [t])
            if not any(_is_inexact(y) for y in jt):
                continue  # float0 tangents: nothing is linear here
            # Integer outputs (float0 tangents) get zero cotangents and no pairing.
            cts = [_random_like(rng, y) if _is_inexact(y) else Zero(_tangent_aval(y))
                   for y in jt]
            undefined = list(args)
            undefined[i] = UndefinedPrimal(ShapedArray(get_aval(args[i]).shape,
                                                       get_aval(args[i]).dtype))
            try:
                ct_arg = cts if prim.multiple_results else cts[0]
                result = rule(ct_arg, *undefined, **params)[i]
            except (ValueError, NotImplementedError):
                continue  # not linear in this argument
            if result is None or type(result) is Zero:
                result = np.zeros(get_aval(args[i]).shape, get_aval(args[i]).dtype)
            lhs = sum(_pairing(c, y) for c, y in zip(cts, jt) if type(c) is not Zero)
            rhs = _pairing(result, t)
            _, rtol = _precision([args[i]] + list(jt))
            scale = max(1.0, abs(lhs))
            assert abs(lhs - rhs) <= rtol * scale, (
                f"{prim.name}: transpose fails the dot-product identity for argument {i}: "
                f"<ct, J t> = {lhs} but <T ct, t> = {rhs}")
            checked += 1
    if not checked:
        raise Skip("not linear in any argument")


register_check("jvp_vs_finite_differences", check_jvp_vs_finite_differences)
register_check("transpose_dot_product", check_transpose_dot_product)
