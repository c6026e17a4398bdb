"""The special functions lowered with stablehlo.while loops (incomplete gamma and beta,
bessel_i0e), over their whole domains and edges, against kiln-core's NumPy reference."""

from __future__ import annotations

import numpy as np
import pytest

import kiln
from kiln.compiler.conformance import check_xla_lowering
from kiln.core.primitives import elementwise as ew

rng = np.random.default_rng(1)
A = np.concatenate([rng.uniform(0.01, 30, 200), [0, 0, 1, 2, np.inf, np.nan, 5, 1e-3, -1]])
X = np.concatenate([rng.uniform(0.0, 40, 200), [0, 1, 0, np.inf, 1, 2, 0, 100, 1]])
B = rng.uniform(0.01, 20, A.shape)
U = np.concatenate([rng.uniform(0, 1, 200), [0, 1, 0.5, 0.5, 0.5, 0.5, 1, 0, 2]])


@pytest.mark.parametrize("name", ["igamma", "igammac", "igamma_grad_a"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_incomplete_gamma(name: str, dtype) -> None:
    with kiln.enable_x64(dtype == np.float64):
        check_xla_lowering(ew.PRIMITIVES[name], (A.astype(dtype), X.astype(dtype)), {})


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_incomplete_beta(dtype) -> None:
    args = tuple(v.astype(dtype) for v in (A, B, U))
    with kiln.enable_x64(dtype == np.float64):
        check_xla_lowering(ew.PRIMITIVES["regularized_incomplete_beta"], args, {})


def test_bessel_i0e_both_sides_of_the_series_cutoff() -> None:
    x = np.concatenate([rng.normal(0, 50, 300), [0, np.inf, -np.inf, np.nan, 30, 30.0001]])
    check_xla_lowering(ew.PRIMITIVES["bessel_i0e"], (x.astype(np.float32),), {})
