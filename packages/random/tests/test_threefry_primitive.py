"""The threefry2x32 primitive as a third party defines it: its rules against each other, its
printed form, and the Threefry-2x32 known-answer vectors."""

from __future__ import annotations

import numpy as np
import pytest

import kiln
from kiln import lax
from kiln.core import get_rule
from kiln.core.testing import check_primitive
from kiln.random import threefry2x32_p
from kiln.random.threefry import threefry2x32, threefry2x32_decomposition

U32 = np.uint32

# Known-answer tests of Threefry-2x32 (20 rounds) from the Random123 distribution.
KAT = [
    ((0x00000000, 0x00000000), (0x00000000, 0x00000000), (0x6B200159, 0x99BA4EFE)),
    ((0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF), (0x1CB996FC, 0xBB002BE7)),
    ((0x13198A2E, 0x03707344), (0x243F6A88, 0x85A308D3), (0xC4923A9C, 0x483DF7A0)),
]


@pytest.mark.parametrize("key,count,expected", KAT)
def test_known_answers(key, count, expected) -> None:
    y1, y2 = threefry2x32(U32(key[0]), U32(key[1]), np.array([count[0]], U32),
                          np.array([count[1]], U32))
    assert (int(np.asarray(y1)[0]), int(np.asarray(y2)[0])) == expected


@pytest.mark.parametrize("key,count,expected", KAT)
def test_decomposition_matches_impl(key, count, expected) -> None:
    args = (U32(key[0]), U32(key[1]), np.array([count[0], 7], U32), np.array([count[1], 9], U32))
    impl = get_rule("impl", threefry2x32_p)(*map(np.asarray, args))
    decomposed = kiln.jit(threefry2x32_decomposition)(*args)
    for a, b in zip(impl, decomposed):
        np.testing.assert_array_equal(a, np.asarray(b))


def test_prints_as_jax_does() -> None:
    z = np.zeros(3, U32)
    text = str(kiln.make_jaxpr(threefry2x32_p.bind)(z, z, z, z))
    assert "e:u32[3] f:u32[3] = threefry2x32 a b c d" in text
    text = str(kiln.make_jaxpr(threefry2x32_p.bind)(U32(0), U32(0), np.zeros((2, 3), U32),
                                                    np.zeros((2, 3), U32)))
    assert "e:u32[2,3] f:u32[2,3] = threefry2x32 a b c d" in text


def test_operands_broadcast_like_jax() -> None:
    k = np.arange(3, dtype=U32).reshape(1, 3)
    x = np.arange(6, dtype=U32).reshape(2, 3)
    out = threefry2x32_p.bind(k, U32(5), x, x)
    assert [np.shape(o) for o in out] == [(2, 3), (2, 3)]
    one = threefry2x32_p.bind(U32(1), U32(5), np.array([1], U32), np.array([1], U32))
    assert int(np.asarray(out[0])[0, 1]) == int(np.asarray(one[0])[0])


def test_shape_and_dtype_errors_are_jaxs() -> None:
    z = np.zeros(3, U32)
    with pytest.raises(TypeError, match="must have uint32 type"):
        threefry2x32_p.bind(z, z, np.zeros(3, np.int32), z)
    with pytest.raises(TypeError, match="same number of dimensions"):
        threefry2x32_p.bind(U32(0), U32(0), np.zeros((2, 3), U32), z)
    with pytest.raises(TypeError, match="incompatible shapes for broadcasting"):
        threefry2x32_p.bind(U32(0), U32(0), np.zeros((2, 3), U32), np.zeros((3, 2), U32))


def test_conformance_kit_passes() -> None:
    k1, k2 = U32(0x13198A2E), U32(0x03707344)
    x = np.arange(5, dtype=U32)
    report = check_primitive(threefry2x32_p, k1, k2, x, x * U32(7))
    assert "impl_vs_abstract_eval" in report.passed
    report = check_primitive(threefry2x32_p, np.arange(6, dtype=U32).reshape(2, 3), k2,
                             np.arange(6, dtype=U32).reshape(2, 3), np.ones((1, 3), U32))
    assert "impl_vs_abstract_eval" in report.passed


def test_every_rule_is_registered() -> None:
    for kind in ("abstract_eval", "impl", "decomposition", "batch", "jvp", "lower/xla"):
        assert get_rule(kind, threefry2x32_p) is not None, kind


def test_batch_rule_against_a_loop() -> None:
    rule = get_rule("batch", threefry2x32_p)
    keys = np.arange(8, dtype=U32).reshape(4, 2)
    x = np.arange(12, dtype=U32).reshape(3, 4)
    outs, dims = rule([keys[:, 0], U32(9), x, x], [0, None, 1, 1])
    assert dims == [0, 0]
    for b in range(4):
        want = threefry2x32_p.bind(keys[b, 0], U32(9), x[:, b], x[:, b])
        for o, w in zip(outs, want):
            np.testing.assert_array_equal(np.asarray(o)[b], np.asarray(w))


def test_jvp_rule_gives_float0_tangents() -> None:
    rule = get_rule("jvp", threefry2x32_p)
    z = np.zeros(2, U32)
    outs, tangents = rule([z, z, z, z], [None] * 4)
    assert all(t.dtype == kiln.dtypes.float0 and t.shape == (2,) for t in tangents)


def test_under_vmap() -> None:
    batching = pytest.importorskip("kiln.batching")
    keys = np.arange(6, dtype=U32).reshape(3, 2)
    x = np.arange(4, dtype=U32)
    got = batching.vmap(lambda k1, k2: threefry2x32(k1, k2, x, x))(keys[:, 0], keys[:, 1])
    for b in range(3):
        want = threefry2x32(keys[b, 0], keys[b, 1], x, x)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(np.asarray(g)[b], np.asarray(w))


def test_integer_outputs_have_no_derivative() -> None:
    autodiff = pytest.importorskip("kiln.autodiff")

    def f(x):
        bits, _ = threefry2x32(U32(1), U32(2), np.arange(3, dtype=U32), np.arange(3, dtype=U32))
        return lax.mul(x, lax.convert_element_type(lax.reduce_sum(bits, (0,)), np.float32))

    assert float(autodiff.grad(f)(np.float32(1.0))) == float(f(np.float32(1.0)))
