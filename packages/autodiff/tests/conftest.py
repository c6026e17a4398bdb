"""Shared fixtures of kiln-autodiff's tests: a finite-difference reference."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest


def _central_differences(f: Callable[..., Any], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """The Jacobian of ``f`` at ``x`` by central differences, in float64: shape
    ``f(x).shape + x.shape``."""
    x = np.asarray(x, np.float64)
    base = np.asarray(f(x), np.float64)
    jac = np.zeros(base.shape + x.shape)
    for index in np.ndindex(*x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        hi = np.asarray(f(x + step), np.float64)
        lo = np.asarray(f(x - step), np.float64)
        jac[(...,) + index] = (hi - lo) / (2 * eps)
    return jac


@pytest.fixture
def numerical_jacobian() -> Callable[..., np.ndarray]:
    return _central_differences


@pytest.fixture
def x64() -> Any:
    from kiln.core.config import enable_x64

    with enable_x64():
        yield
