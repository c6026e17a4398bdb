"""Shared fixtures of kiln-random's tests: the counter layout (both of JAX's modes), the
golden values recorded from JAX, and which backend runs the tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import kiln

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(params=[True, False], ids=["partitionable", "original"])
def partitionable(request: pytest.FixtureRequest) -> Iterator[bool]:
    """Run the test in both of JAX's counter layouts (``jax_threefry_partitionable``)."""
    with kiln.config.override("jax_threefry_partitionable", request.param):
        yield request.param


@pytest.fixture(scope="session")
def golden() -> dict:
    return json.loads((GOLDEN / "golden_jax_0_10_2.json").read_text())["cases"]


def decode(entry: dict) -> np.ndarray:
    """A golden value: raw bytes of the dtype and shape JAX produced."""
    raw = np.frombuffer(bytes.fromhex(entry["hex"]), dtype=np.dtype(entry["dtype"]))
    return raw.reshape(entry["shape"])


def on_numpy_backend() -> bool:
    return kiln.default_backend() == "numpy"


@pytest.fixture(scope="session")
def expected(golden: dict) -> Any:
    """``expected(name, partitionable)``: JAX's result for a golden case."""
    def get(name: str, partitionable: bool) -> np.ndarray:
        return decode(golden[name]["partitionable" if partitionable else "original"])

    return get


@pytest.fixture(scope="session")
def numpy_backend() -> bool:
    """Whether the tests run on the NumPy reference backend (whose transcendental functions
    are correctly rounded, where XLA's are polynomial approximations)."""
    return on_numpy_backend()
