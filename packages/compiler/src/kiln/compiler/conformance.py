"""The conformance kit's backend check: a primitive's XLA result agrees with its NumPy
``impl``. Importing this module registers the check as ``xla_lowering_vs_impl`` (kiln-core
imports it through the ``kiln.conformance`` entry point)::

    from kiln.core.testing import check_primitive
    check_primitive(my_prim, np.ones(3, np.float32), only=["xla_lowering_vs_impl"], axis=0)

A primitive with no xla lowering (and no decomposition) is skipped by this check: kiln runs
such primitives with their impl rule on the host (see ``XlaBackend``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kiln.compiler.lowering import LoweringError
from kiln.core import dtypes
from kiln.core.abstract import get_aval
from kiln.core.primitive import Primitive, abstract_eval
from kiln.core.reference import impl_of, to_numpy
from kiln.core.testing import Skip, as_list, register_check

CHECK_NAME = "xla_lowering_vs_impl"

# (rtol, atol) by dtype; integers and booleans must match exactly.
TOLERANCES: dict[Any, tuple[float, float]] = {
    np.dtype(np.float64): (1e-10, 1e-12),
    np.dtype(np.complex128): (1e-10, 1e-12),
    np.dtype(np.float32): (2e-5, 1e-6),
    np.dtype(np.complex64): (2e-5, 1e-6),
    np.dtype(np.float16): (2e-3, 1e-3),
    dtypes.bfloat16: (2e-2, 1e-2),
}
SMALL_FLOAT_TOLERANCE = (1.5e-1, 1e-1)  # float8s, float4: a unit in the last place or so


def tolerance(dtype: Any) -> tuple[float, float] | None:
    """(rtol, atol) for comparing values of ``dtype``; None: compare exactly."""
    dtype = np.dtype(dtype)
    if dtype in TOLERANCES:
        return TOLERANCES[dtype]
    if dtypes.is_inexact(dtype):
        return SMALL_FLOAT_TOLERANCE
    return None


def xla_backend(platform: str = "cpu") -> Any:
    from kiln.core.backend import get_backend

    return get_backend(platform)


def assert_close(got: np.ndarray, expected: np.ndarray, dtype: Any, what: str,
                 tol: tuple[float, float] | None = None) -> None:
    """``got`` equals ``expected`` up to ``dtype``'s tolerance, NaNs in the same places."""
    tol = tolerance(dtype) if tol is None else tol
    got, expected = np.asarray(got), np.asarray(expected)
    if got.shape != expected.shape:
        raise AssertionError(f"{what}: shape {got.shape}, expected {expected.shape}")
    if tol is None:
        if not np.array_equal(got, expected):
            bad = np.argwhere(got != expected)[:5].tolist()
            raise AssertionError(f"{what}: values differ at {bad}: got {got.ravel()[:8]}, "
                                 f"expected {expected.ravel()[:8]}")
        return
    wide = np.complex128 if dtypes.is_complex(np.dtype(dtype)) else np.float64
    g, e = got.astype(wide), expected.astype(wide)
    rtol, atol = tol
    if not np.allclose(g, e, rtol=rtol, atol=atol, equal_nan=True):
        diff = ~np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
        where = np.argwhere(diff)[:5].tolist()
        raise AssertionError(f"{what}: values differ beyond rtol={rtol}, atol={atol} at "
                             f"{where}: got {g[diff][:5]}, expected {e[diff][:5]}")


def check_xla_lowering(prim: Primitive, args: Sequence[Any], params: dict,
                       platform: str = "cpu") -> None:
    """The primitive run on the XLA backend (one cached executable) agrees with its impl
    rule, in shape, dtype and value."""
    backend = xla_backend(platform)
    if not backend.supports(prim):
        raise Skip(f"{prim.name} has no xla lowering rule (and no decomposition); register one "
                   "with kiln.core.register_lowering(prim, rule, backend='xla')")
    in_avals = [get_aval(a) for a in args]
    expected_avals = as_list(abstract_eval(prim, in_avals, params), prim)
    values = [to_numpy(a, aval) for a, aval in zip(args, in_avals)]
    expected = as_list(impl_of(prim, in_avals, params)(*values, **params), prim)
    try:
        got = as_list(backend.apply_primitive(prim, list(args), dict(params)), prim)
    except LoweringError as e:
        raise AssertionError(f"{prim.name}: the xla lowering failed: {e}") from e
    assert len(got) == len(expected), (
        f"{prim.name}: xla returned {len(got)} outputs, impl {len(expected)}")
    for i, (x, want, aval) in enumerate(zip(got, expected, expected_avals)):
        what = f"{prim.name} output {i}"
        assert x.aval.shape == aval.shape and x.aval.dtype == aval.dtype, (
            f"{what}: xla gave {x.aval}, abstract_eval {aval}")
        assert x.aval.weak_type == aval.weak_type, (
            f"{what}: xla gave weak_type={x.aval.weak_type}, abstract_eval {aval.weak_type}")
        want = np.asarray(want)
        if want.dtype != aval.dtype:
            want = want.astype(aval.dtype)
        assert_close(np.asarray(x), want, aval.dtype, what)


register_check(CHECK_NAME, check_xla_lowering)
