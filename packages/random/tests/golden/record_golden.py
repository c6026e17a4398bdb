"""Record kiln.random's golden values from JAX 0.10.2.

Run with a Python that has JAX (never kiln's default test environment):

    /tmp/jaxenv/bin/python packages/random/tests/golden/record_golden.py

It writes ``golden_jax_0_10_2.json`` beside this file: for each case of ``cases.py``, in each
``jax_threefry_partitionable`` mode, the result's dtype, shape and raw bytes (hex), so the
tests compare bit for bit without JAX installed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

import jax  # noqa: E402
import jax.random  # noqa: E402
from cases import CASES, X64_CASES  # noqa: E402


def encode(value) -> dict:
    if isinstance(value, jax.Array) and jax.dtypes.issubdtype(value.dtype, jax.dtypes.prng_key):
        value = jax.random.key_data(value)
    array = np.asarray(value)
    return {"dtype": array.dtype.name, "shape": list(array.shape), "hex": array.tobytes().hex()}


def record(cases: dict, x64: bool) -> dict:
    jax.config.update("jax_enable_x64", x64)
    out = {}
    for partitionable in (True, False):
        jax.config.update("jax_threefry_partitionable", partitionable)
        mode = "partitionable" if partitionable else "original"
        for name, (seed, fn) in cases.items():
            key = jax.random.PRNGKey(seed)
            out.setdefault(name, {})[mode] = encode(fn(jax.random, key, np))
    jax.config.update("jax_enable_x64", False)
    return out


def main() -> None:
    jax.config.update("jax_platforms", "cpu")
    golden = {"jax_version": jax.__version__, "cases": record(CASES, False)}
    golden["cases"].update(record(X64_CASES, True))
    path = HERE / "golden_jax_0_10_2.json"
    path.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(golden['cases'])} cases to {path}")


if __name__ == "__main__":
    main()
