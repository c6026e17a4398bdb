"""Shared pytest setup: the ``oracle`` marker and the fixture that asks JAX.

Oracle tests compare kiln with JAX 0.10.2 computed in a separate Python process (the
interpreter named by KILN_ORACLE_PYTHON, which ``nox -s oracle`` sets up), never in kiln's own
process: when jax is importable, jaxlib attaches JAX's behaviour to its objects, which would
hide what kiln lacks.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "oracle: compares kiln with JAX run in its own process")


@pytest.fixture(scope="session")
def jax_oracle():
    """``jax_oracle(code)`` runs ``code`` under JAX and returns the JSON-decoded value the code
    assigned to ``result``. Skips the test when no oracle interpreter is configured."""
    python = os.environ.get("KILN_ORACLE_PYTHON")
    if not python:
        pytest.skip("set KILN_ORACLE_PYTHON (nox -s oracle does) to compare with JAX")

    def run(code: str) -> object:
        program = (
            "import json, numpy as np, jax, jax.numpy as jnp\nfrom jax import lax\n"
            + textwrap.dedent(code)
            + "\nprint('__ORACLE__' + json.dumps(result))\n"
        )
        # kiln's backend choice (JAX_PLATFORMS=numpy) means nothing to JAX.
        env = {k: v for k, v in os.environ.items() if k != "JAX_PLATFORMS"}
        proc = subprocess.run([python, "-c", program], capture_output=True, text=True,
                              timeout=600, env=env)
        if proc.returncode != 0:
            raise RuntimeError(f"JAX oracle failed:\n{proc.stderr}")
        line = next(x for x in proc.stdout.splitlines() if x.startswith("__ORACLE__"))
        return json.loads(line[len("__ORACLE__"):])

    return run
