"""Reference evaluation: running primitives and whole jaxprs on NumPy arrays with the
primitives' ``impl`` rules. The NumPy backend is built on this, and so are the ``impl`` rules
of higher-order primitives (jit's body, a cond's branches...)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kiln.core import dtypes
from kiln.core.abstract import ShapedArray, get_aval
from kiln.core.jaxpr import Jaxpr, Literal
from kiln.core.primitive import rule_table
from kiln.core.staging import trace_to_jaxpr

impl_rules = rule_table("impl")
_decompositions = rule_table("decomposition")


def to_numpy(x: Any, aval: ShapedArray | None = None) -> np.ndarray:
    """``x`` (an Array of any backend, NumPy value or Python scalar) as a NumPy array of its
    canonical dtype."""
    value = getattr(x, "_value", None)
    if value is not None:
        return value
    if aval is None:
        aval = get_aval(x)
    return np.asarray(x, dtype=aval.dtype)


def impl_of(prim: Any, avals: Sequence[ShapedArray], params: dict) -> Any:
    """``prim``'s impl rule, or one that interprets its decomposition."""
    rule = impl_rules.get(prim)
    if rule is not None:
        return rule
    decomposition = _decompositions.get(prim)
    if decomposition is None:
        raise NotImplementedError(
            f"primitive {prim.name} has neither an impl rule nor a decomposition, so the NumPy "
            "backend cannot run it; register one with kiln.core.register_impl"
        )

    def flat(*args: Any) -> list[Any]:
        out = decomposition(*args, **params)
        return list(out) if prim.multiple_results else [out]

    jaxpr, consts = trace_to_jaxpr(flat, avals)

    def run_decomposition(*args: Any, **_: Any) -> Any:
        outs = run_jaxpr(jaxpr, consts, args)
        return outs if prim.multiple_results else outs[0]

    return run_decomposition


def run_impl(prim: Any, args: Sequence[np.ndarray], params: dict) -> Any:
    rule = impl_rules.get(prim)
    if rule is None:
        rule = impl_of(prim, [get_aval(a) for a in args], params)
    return rule(*args, **params)


def run_jaxpr(jaxpr: Jaxpr, consts: Sequence[Any], args: Sequence[Any]) -> list[np.ndarray]:
    """Evaluate ``jaxpr`` on NumPy values with impl rules, casting each result to the dtype
    the jaxpr says it has."""
    env: dict[Any, Any] = {}
    for v, x in zip(jaxpr.constvars, consts):
        env[v] = to_numpy(x, v.aval)
    for v, x in zip(jaxpr.invars, args):
        env[v] = to_numpy(x, v.aval)
    for eqn in jaxpr.eqns:
        ins = [env[a] if type(a) is not Literal else _literal(a) for a in eqn.invars]
        out = run_impl(eqn.primitive, ins, eqn.params)
        if eqn.primitive.multiple_results:
            for v, x in zip(eqn.outvars, out):
                env[v] = as_dtype(x, v.aval.dtype)
        else:
            v = eqn.outvars[0]
            env[v] = as_dtype(out, v.aval.dtype)
    return [env[a] if type(a) is not Literal else _literal(a) for a in jaxpr.outvars]


def _literal(lit: Literal) -> np.ndarray:
    return np.asarray(lit.val, dtype=lit.aval.dtype)


def as_dtype(x: Any, dtype: np.dtype) -> np.ndarray:
    x = np.asarray(x)
    return x if x.dtype == dtype else x.astype(dtype)


def check_finite(prim_name: str, outs: Sequence[np.ndarray], nans: bool, infs: bool) -> None:
    """``jax_debug_nans``/``jax_debug_infs``: raise when a primitive produced NaN/inf."""
    for x in outs:
        if not (dtypes.is_inexact(x.dtype) and x.size):
            continue
        if nans and np.isnan(x).any():
            raise FloatingPointError(f"invalid value (nan) encountered in {prim_name}")
        if infs and np.isinf(x).any():
            raise FloatingPointError(f"divide by zero (inf) encountered in {prim_name}")
