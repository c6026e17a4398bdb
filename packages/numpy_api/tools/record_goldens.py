"""Record JAX's results for the cases of golden_cases.py into tests/golden/ (run with a
Python that has jax 0.10.2: /tmp/jaxenv/bin/python packages/numpy_api/tools/record_goldens.py).
The test suite compares kiln with these files; it never imports jax."""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import golden_cases  # noqa: E402
import numpy as np  # noqa: E402

OUT = HERE.parent / "tests" / "golden"


def encode(x: object) -> object:
    """A JSON form of a result: arrays with dtype, weak type, shape and values."""
    import jax

    if isinstance(x, jax.Array):
        value = np.asarray(x)
        return {"kind": "array", "dtype": str(value.dtype), "weak": bool(x.weak_type),
                "shape": list(value.shape), "values": _values(value)}
    if isinstance(x, np.ndarray):
        return {"kind": "ndarray", "dtype": str(x.dtype), "shape": list(x.shape),
                "values": _values(x)}
    if isinstance(x, (tuple, list)):
        return {"kind": type(x).__name__, "items": [encode(e) for e in x]}
    if isinstance(x, np.dtype):
        return {"kind": "dtype", "name": str(x)}
    if isinstance(x, slice):
        return {"kind": "slice", "repr": repr(x)}
    if isinstance(x, (bool, int, float, complex, np.generic)):
        return {"kind": "scalar", "type": type(x).__name__, "values": _values(np.asarray(x))}
    if isinstance(x, type):
        return {"kind": "type", "name": np.dtype(x).name}
    return {"kind": "other", "repr": repr(x)}


def _values(a: np.ndarray) -> object:
    if a.dtype.kind == "c":
        return [_values(a.real), _values(a.imag)]
    if a.dtype.kind in "biu":
        return a.tolist()
    flat = a.astype(np.float64)
    return np.vectorize(lambda v: "nan" if np.isnan(v) else ("inf" if v == np.inf else (
        "-inf" if v == -np.inf else float(v))), otypes=[object])(flat).tolist() if a.size \
        else flat.tolist()


def evaluate(expr: str, setup_env: dict) -> object:
    """The encoded result of ``expr`` (an expression or a statement) in a fresh copy of the
    inputs, so that a case that mutates a NumPy input cannot affect the next one."""
    env = dict(setup_env)
    exec(golden_cases.SETUP, env)
    try:
        try:
            code = compile(expr, "<case>", "eval")
        except SyntaxError:
            exec(compile(expr, "<case>", "exec"), env)
            return {"kind": "ok"}
        return encode(eval(code, env))
    except Exception as e:  # noqa: BLE001
        return {"kind": "error", "type": type(e).__name__, "message": str(e).split("\n")[0]}


def main() -> None:
    import jax
    import jax.nn
    import jax.numpy as jnp
    import jax.scipy.special

    env: dict = {"np": np, "jnp": jnp, "jax": jax, "nn": jax.nn, "special": jax.scipy.special}
    values = {expr: evaluate(expr, env) for expr in golden_cases.CASES}
    errors = {expr: evaluate(expr, env) for expr in golden_cases.ERRORS}
    jax.config.update("jax_enable_x64", True)
    x64 = {expr: evaluate(expr, env) for expr in golden_cases.X64_CASES}
    jax.config.update("jax_enable_x64", False)
    promotion = {}
    for fn in golden_cases.PROMOTION_FUNCTIONS:
        table = {}
        operands = [f"np.ones(2, jnp.{d})" for d in golden_cases.PROMOTION_DTYPES] + \
            golden_cases.PROMOTION_SCALARS
        for a in operands:
            for b in operands:
                if fn == "where":
                    expr = f"jnp.where(np.array([True, False]), {a}, {b})"
                elif fn == "concatenate":
                    expr = f"jnp.concatenate([jnp.atleast_1d({a}), jnp.atleast_1d({b})])"
                else:
                    expr = f"jnp.{fn}({a}, {b})"
                r = evaluate(expr, env)
                table[expr] = [r["dtype"], r["weak"]] if r["kind"] == "array" else \
                    ["error", r.get("type")]
        promotion[fn] = table
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in (("values", values), ("errors", errors), ("promotion", promotion),
                       ("x64", x64)):
        path = OUT / f"jax_{name}.json"
        path.write_text(json.dumps({"jax": jax.__version__, "setup": golden_cases.SETUP,
                                    "cases": data}, indent=0, sort_keys=True) + "\n")
        print(f"wrote {path} ({len(data)} entries)")


if __name__ == "__main__":
    main()
