"""kiln's type promotion agrees with JAX 0.10.2 on every pair of dtypes and weak types
(golden values recorded from JAX by golden/record_promotion.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kiln.core import dtypes
from kiln.core.config import enable_x64

GOLDEN = json.loads((Path(__file__).parent / "golden" / "promotion_jax_0_10_2.json").read_text())
WEAK = {"int*": int, "float*": float, "complex*": complex}


def operand(name: str):
    if name in WEAK:
        return WEAK[name]
    return dtypes.bool_ if name == "bool" else np.dtype(getattr(dtypes, name))


def kiln_result(a: str, b: str) -> str:
    try:
        dt, weak = dtypes.result_type(operand(a), operand(b), return_weak_type_flag=True)
    except dtypes.TypePromotionError:
        return "error:TypePromotionError"
    return dt.name + ("*" if weak else "")


@pytest.mark.parametrize("x64", [False, True])
def test_result_type_matches_jax_on_every_pair(x64: bool) -> None:
    table = GOLDEN["result_type_x64" if x64 else "result_type_x32"]
    with enable_x64(x64):
        wrong = {pair: (kiln_result(*pair.split(",")), want) for pair, want in table.items()
                 if kiln_result(*pair.split(",")) != want}
    assert not wrong, f"{len(wrong)} pairs differ from JAX, e.g. {list(wrong.items())[:8]}"


def test_promote_types_matches_jax_on_every_pair() -> None:
    wrong = {}
    for pair, want in GOLDEN["promote_types"].items():
        a, b = pair.split(",")
        try:
            got = dtypes.promote_types(operand(a), operand(b)).name
        except dtypes.TypePromotionError:
            got = "error:TypePromotionError"
        if got != want:
            wrong[pair] = (got, want)
    assert not wrong, f"{len(wrong)} pairs differ from JAX, e.g. {list(wrong.items())[:8]}"


def test_promotion_is_commutative_and_associative() -> None:
    names = ["bool", "uint8", "int8", "int32", "uint32", "bfloat16", "float16", "float32",
             "complex64", "int*", "float*"]
    for a in names:
        for b in names:
            assert kiln_result(a, b) == kiln_result(b, a)
            for c in names:
                left = dtypes.result_type(operand(a), operand(b), operand(c),
                                          return_weak_type_flag=True)
                right = dtypes.result_type(operand(c), operand(a), operand(b),
                                           return_weak_type_flag=True)
                assert left == right, (a, b, c)


def test_canonicalize_dtype_follows_x64() -> None:
    assert dtypes.canonicalize_dtype(np.float64) == np.float32
    assert dtypes.canonicalize_dtype(np.int64) == np.int32
    assert dtypes.canonicalize_dtype(np.uint64) == np.uint32
    assert dtypes.canonicalize_dtype(np.complex128) == np.complex64
    assert dtypes.canonicalize_dtype(dtypes.bfloat16) == dtypes.bfloat16
    with enable_x64():
        assert dtypes.canonicalize_dtype(np.float64) == np.float64


def test_predicates_know_ml_dtypes() -> None:
    assert dtypes.is_float(dtypes.bfloat16) and not dtypes.is_int(dtypes.bfloat16)
    assert dtypes.is_int(dtypes.int4) and not dtypes.is_unsigned(dtypes.int4)
    assert dtypes.is_float(dtypes.float8_e4m3fn)
    assert dtypes.issubdtype(dtypes.bfloat16, np.floating)
    assert dtypes.issubdtype(dtypes.int4, np.signedinteger)
    assert not dtypes.issubdtype(np.int32, np.floating)
    assert dtypes.itemsize_bits(dtypes.int4) == 4


def test_short_names_match_jaxprs() -> None:
    assert [dtypes.short_name(np.dtype(t)) for t in ("float32", "int32", "bool", "uint8")] \
        == ["f32", "i32", "bool", "u8"]
    assert dtypes.short_name(dtypes.bfloat16) == "bf16"
