"""Every golden expression gives the same result under ``kiln.jit`` as eagerly, with its
inputs traced: kiln.numpy's functions work on tracers (through jit, grad and vmap alike),
except where JAX too needs concrete values (``nonzero`` without ``size``, boolean masks,
``unique``...), which must raise JAX's concretization errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import kiln
import kiln.nn
import kiln.numpy as jnp
import kiln.scipy.special

VALUES = json.loads((Path(__file__).parent / "golden" / "jax_values.json").read_text())
INPUTS = ["f", "v", "p", "i", "u", "b", "h", "c", "nanv", "sp", "t3", "idx"]
CONCRETIZATION_ERRORS = (kiln.errors.ConcretizationTypeError,
                         kiln.errors.TracerIntegerConversionError,
                         kiln.errors.TracerArrayConversionError,
                         kiln.errors.NonConcreteBooleanIndexError,
                         kiln.errors.TracerBoolConversionError)
# Expressions that call Python functions of values (float(), list(), tolist()...) or that are
# static metadata rather than array computations.
SKIP = ("float(", "int(", "bool(", "list(", ".tolist(", ".item(", " in ", "len(", ".shape",
        ".ndim", ".size", ".dtype", ".itemsize", ".nbytes", "jnp.shape(", "jnp.ndim(",
        "jnp.size(", "np.asarray(", "jnp.iinfo", "jnp.finfo", "jnp.dtype(", "jnp.is",
        "jnp.iterable", "jnp.can_cast", "jnp.promote_types", "jnp.result_type", "jnp.s_",
        "jnp.index_exp", "einsum_path", "jnp.broadcast_shapes", "round(")
# Ill-conditioned computations whose rounding changes when XLA fuses the whole function.
RTOL = {"jnp.polydiv(v, p[:2])": 1e-4}


def _cases() -> list[str]:
    return sorted(e for e, r in VALUES["cases"].items()
                  if r["kind"] in ("array", "tuple", "list") and not any(s in e for s in SKIP))


def _env() -> dict:
    env = {"np": np, "jnp": jnp, "jax": kiln, "nn": kiln.nn, "special": kiln.scipy.special}
    exec(VALUES["setup"], env)
    return env


def _atol(expr: str, expected: np.ndarray) -> float:
    if expr not in RTOL or not expected.size:
        return 1e-6
    return RTOL[expr] * float(np.nanmax(np.abs(expected)))


def _leaves(x: object) -> list:
    if isinstance(x, (tuple, list)):
        return [leaf for e in x for leaf in _leaves(e)]
    return [x]


@pytest.mark.parametrize("expr", _cases())
def test_jit_matches_eager(expr: str) -> None:
    env = _env()
    eager = eval(expr, env)
    args = [env[n] for n in INPUTS]

    def traced(*xs: object) -> object:
        scope = dict(env, **dict(zip(INPUTS, xs)))
        return eval(expr, scope)

    try:
        jitted = kiln.jit(traced)(*args)
    except CONCRETIZATION_ERRORS:
        return  # JAX needs these values concrete too
    for e, j in zip(_leaves(eager), _leaves(jitted), strict=True):
        e, j = np.asarray(e), np.asarray(j)
        assert e.shape == j.shape and e.dtype == j.dtype, expr
        if e.dtype.kind in "biu":
            np.testing.assert_array_equal(j, e, err_msg=expr)
        else:
            np.testing.assert_allclose(j.astype(np.float64) if e.dtype.kind != "c" else j,
                                       e.astype(np.float64) if e.dtype.kind != "c" else e,
                                       rtol=RTOL.get(expr, 2e-5), atol=_atol(expr, e),
                                       equal_nan=True, err_msg=expr)
