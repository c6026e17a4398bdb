"""Differential tests against JAX itself (``@pytest.mark.oracle``): JAX runs in its own
process through the ``jax_oracle`` fixture (skipped unless KILN_ORACLE_PYTHON names a Python
with jax 0.10.2). Random inputs from a seeded generator go through kiln.numpy here and
jax.numpy there; dtypes, weak types, shapes and values must agree, and so must the jaxprs of
common functions."""

from __future__ import annotations

import json

import numpy as np
import pytest

import kiln
import kiln.nn
import kiln.numpy as jnp
import kiln.scipy.special

pytestmark = pytest.mark.oracle

EXPRESSIONS = [
    "jnp.sin(x)", "jnp.exp(x) - 1", "x * 2 + y", "jnp.maximum(x, y)", "jnp.where(x > 0, x, y)",
    "jnp.sum(x, axis=0)", "jnp.mean(x, axis=1, keepdims=True)", "jnp.var(x)", "jnp.cumsum(x)",
    "jnp.sort(y, axis=0)", "jnp.argsort(x, axis=1)", "x @ y.T", "jnp.einsum('ij,kj->ik', x, y)",
    "jnp.linalg.norm(x, axis=1)", "x[1:, ::-1]", "x[np.array([2, 0])]", "x.at[0].add(y[0])",
    "jnp.clip(x, -0.5, 0.5)", "jnp.round(x, 2)", "jnp.floor_divide(x, 0.3)",
    "jnp.remainder(x, 0.7)", "jnp.arctan2(x, y)", "jnp.logaddexp(x, y)", "jnp.median(x)",
    "jnp.quantile(x, 0.3, axis=0)", "jnp.concatenate([x, y])", "jnp.stack([x, y], axis=-1)",
    "jnp.pad(x, 1, mode='reflect')", "jnp.roll(x, 2)", "jnp.tile(x, (1, 2))",
    "jnp.histogram(x, bins=4)", "jnp.interp(x, jnp.sort(y[0]), y[1])", "jnp.unique(jnp.round(x))",
    "nn.softmax(x)", "nn.gelu(x)", "nn.log_softmax(x, axis=0)", "nn.one_hot(i, 5)",
    "special.logsumexp(x, axis=1)", "special.xlogy(x, jnp.abs(y))", "special.erf(x)",
    "jnp.power(jnp.abs(x), y)", "jnp.power(i, 3)", "i // 3", "i % 3", "jnp.gcd(i, 6)",
    "jnp.convolve(x[0], y[0])", "jnp.polyval(x[0], y[1])", "jnp.diff(x, axis=1)",
]

SETUP = """
rng = np.random.default_rng(0)
x = rng.normal(size=(4, 5)).astype(np.float32)
y = rng.normal(size=(4, 5)).astype(np.float32)
i = rng.integers(-10, 10, size=(6,)).astype(np.int32)
x, y, i = jnp.asarray(x), jnp.asarray(y), jnp.asarray(i)
"""


def _encode_here(out: object) -> object:
    if isinstance(out, (tuple, list)):
        return [_encode_here(o) for o in out]
    a = np.asarray(out)
    return {"dtype": str(a.dtype), "weak": bool(getattr(out, "weak_type", False)),
            "shape": list(a.shape), "values": np.nan_to_num(a.astype(np.float64)).tolist()}


ORACLE_ENCODE = """
def encode(out):
    if isinstance(out, (tuple, list)):
        return [encode(o) for o in out]
    a = np.asarray(out)
    return {"dtype": str(a.dtype), "weak": bool(getattr(out, "weak_type", False)),
            "shape": list(a.shape), "values": np.nan_to_num(a.astype(np.float64)).tolist()}
"""


def _compare(expected: object, actual: object, expr: str) -> None:
    if isinstance(expected, list):
        assert len(expected) == len(actual), expr
        for e, a in zip(expected, actual):
            _compare(e, a, expr)
        return
    assert actual["dtype"] == expected["dtype"], expr
    assert actual["weak"] == expected["weak"], expr
    assert actual["shape"] == expected["shape"], expr
    np.testing.assert_allclose(actual["values"], expected["values"], rtol=2e-5, atol=1e-6,
                               err_msg=expr)


def test_random_inputs_match_jax(jax_oracle: object) -> None:
    code = SETUP + ORACLE_ENCODE + f"""
import jax.nn as nn, jax.scipy.special as special
result = {{e: encode(eval(e)) for e in {json.dumps(EXPRESSIONS)}}}
"""
    expected = jax_oracle(code)
    env = {"np": np, "jnp": jnp, "nn": kiln.nn, "special": kiln.scipy.special}
    exec(SETUP, env)
    for expr in EXPRESSIONS:
        _compare(expected[expr], _encode_here(eval(expr, env)), expr)


JAXPRS = {
    "jnp.sum": "lambda a: jnp.sum(a)",
    "mean": "lambda a: jnp.mean(a, axis=0)",
    "add_scalar": "lambda a: a * 2 + 1.0",
    "broadcast": "lambda a: a + a[0]",
    "getitem": "lambda a: a[1]",
    "transpose": "lambda a: a.T",
    "stack": "lambda a: jnp.stack([a, a])",
    "argmax": "lambda a: jnp.argmax(a, axis=1)",
    "exp_int": "lambda a: jnp.exp(a.astype(jnp.int32))",
    "max_keepdims": "lambda a: jnp.max(a, axis=1, keepdims=True)",
}


def test_jaxprs_match_jax(jax_oracle: object) -> None:
    code = ("x = np.ones((2, 3), np.float32)\nresult = {k: str(jax.make_jaxpr(eval(v))(x)) "
            f"for k, v in {json.dumps(JAXPRS)}.items()}}")
    expected = jax_oracle(code)
    x = np.ones((2, 3), np.float32)
    for name, fn in JAXPRS.items():
        ours = str(kiln.make_jaxpr(eval(fn, {"jnp": jnp}))(x))
        assert ours == expected[name], f"{name}:\nkiln:\n{ours}\njax:\n{expected[name]}"
