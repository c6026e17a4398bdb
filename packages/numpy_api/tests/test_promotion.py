"""JAX's type promotion through kiln.numpy's functions, exhaustively: every pair of dtypes
(and weakly typed Python scalars) through add, multiply, maximum, where, concatenate,
arctan2, true_divide, power and equal gives JAX's dtype and weak type (recorded from JAX
0.10.2 in golden/jax_promotion.json), or raises where JAX raises."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import kiln.numpy as jnp

TABLE = json.loads((Path(__file__).parent / "golden" / "jax_promotion.json").read_text())


@pytest.mark.parametrize("function", sorted(TABLE["cases"]))
def test_promotion_table_matches_jax(function: str) -> None:
    env = {"np": np, "jnp": jnp}
    mismatches = []
    for expr, (dtype, weak) in TABLE["cases"][function].items():
        try:
            out = eval(expr, env)
            got = [str(out.dtype), bool(out.weak_type)]
        except Exception as e:  # noqa: BLE001
            got = ["error", type(e).__name__]
        if got != [dtype, weak]:
            mismatches.append(f"{expr}: kiln {got}, JAX {[dtype, weak]}")
    assert not mismatches, "\n".join(mismatches[:40])


def test_python_scalars_never_widen_arrays() -> None:
    for dt in (jnp.int8, jnp.uint8, jnp.float16, jnp.bfloat16, jnp.int16):
        x = jnp.ones(3, dt)
        assert (x + 1).dtype == x.dtype
        assert (x * 2).dtype == x.dtype
        assert (2 - x).dtype == x.dtype
    h = jnp.ones(3, jnp.float16)
    assert (h + 2.5).dtype == jnp.float16
    assert (jnp.ones(3, jnp.int8) + 2.5).dtype == jnp.float32  # int + float* -> default float
    assert (jnp.ones(3, jnp.float32) * (1 + 2j)).dtype == jnp.complex64


def test_weak_type_results() -> None:
    assert jnp.asarray(1.0).weak_type
    assert not jnp.asarray(np.float32(1.0)).weak_type
    assert (jnp.asarray(1.0) + 1).weak_type
    assert not (jnp.asarray(1.0) + jnp.float32(1)).weak_type
    assert jnp.array(3).weak_type and not jnp.array([3]).weak_type
    assert not jnp.sum(jnp.asarray(1.0)).weak_type


def test_default_dtypes_are_32_bit() -> None:
    assert jnp.array(1.5).dtype == np.float32
    assert jnp.array(7).dtype == np.int32
    assert jnp.arange(3).dtype == np.int32
    assert jnp.zeros(2).dtype == np.float32
    assert jnp.asarray(np.arange(3, dtype=np.int64)).dtype == np.int32
    assert jnp.asarray(np.ones(2, np.float64)).dtype == np.float32


def test_x64_mode_gives_64_bit_defaults() -> None:
    import kiln

    with kiln.enable_x64(True):
        assert jnp.array(1.5).dtype == np.float64
        assert jnp.arange(3).dtype == np.int64
        assert (jnp.ones(2, jnp.float32) + 1.0).dtype == np.float32
        assert jnp.result_type(1, 2.0) == np.float64
    assert jnp.array(1.5).dtype == np.float32


def test_requesting_64_bit_dtype_without_x64_warns() -> None:
    with pytest.warns(UserWarning, match="Explicitly requested dtype float64"):
        out = jnp.zeros(2, jnp.float64)
    assert out.dtype == np.float32


def test_promote_types_and_result_type() -> None:
    assert jnp.promote_types(jnp.int8, jnp.uint8) == np.int16
    assert jnp.promote_types("float16", "bfloat16") == np.float32
    assert jnp.promote_types(jnp.int64, jnp.float16) == np.float16  # ints meet floats low
    assert jnp.promote_types(jnp.int64, jnp.uint64) == np.float64  # not canonicalised
    assert jnp.result_type(jnp.int64, jnp.uint64) == np.int32  # canonical i32 and u32 meet
    assert jnp.result_type(1, 2.0) == np.float32
    assert jnp.result_type(jnp.ones(2, jnp.int8), 3) == np.int8


def test_strict_promotion_mode_rejects_mixed_dtypes() -> None:
    import kiln

    with kiln.numpy_dtype_promotion("strict"):
        with pytest.raises(Exception, match="no available implicit dtype promotion path"):
            jnp.add(jnp.ones(2, jnp.int32), jnp.ones(2, jnp.float32))
        assert jnp.add(jnp.ones(2, jnp.float32), 1.0).dtype == np.float32
