"""Differential tests against JAX itself (``nox -s oracle`` sets KILN_ORACLE_PYTHON; skipped
otherwise): key streams and samplers for shapes and seeds beyond the recorded golden values."""

from __future__ import annotations

import numpy as np
import pytest

import kiln
from kiln import random

pytestmark = pytest.mark.oracle

CALLS = [
    "random.split(random.PRNGKey({seed}), {shape})",
    "random.bits(random.PRNGKey({seed}), {shape}, np.uint8)",
    "random.bits(random.PRNGKey({seed}), {shape}, np.uint16)",
    "random.uniform(random.PRNGKey({seed}), {shape})",
    "random.randint(random.PRNGKey({seed}), {shape}, -7, 1000)",
    "random.permutation(random.PRNGKey({seed}), 37)",
    "random.poisson(random.PRNGKey({seed}), 12.0, {shape})",
    "random.binomial(random.PRNGKey({seed}), 40.0, 0.35, {shape})",
]


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("seed,shape", [(0, (7,)), (123, (3, 5)), (2**31 - 1, (1, 1, 9))])
def test_agrees_with_jax(jax_oracle, call: str, seed: int, shape: tuple,
                         partitionable: bool) -> None:
    code = call.format(seed=seed, shape=shape)
    want = jax_oracle(f"""
        jax.config.update("jax_platforms", "cpu")  # JAX has no numpy backend
        from jax import random
        jax.config.update("jax_threefry_partitionable", {partitionable})
        out = np.asarray({code})
        result = {{"dtype": out.dtype.name, "values": out.tolist()}}
    """)
    got = np.asarray(eval(code, {"random": random, "np": np, "kiln": kiln}))
    assert got.dtype.name == want["dtype"]
    np.testing.assert_array_equal(got, np.asarray(want["values"], got.dtype))
