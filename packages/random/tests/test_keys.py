"""Keys: seeding, typed keys (``key<fry>``) and their printed form, key data, errors, and the
numbers the tutorials print."""

from __future__ import annotations

import numpy as np
import pytest

import kiln
from kiln import random


def test_prngkey_seeds_as_jax() -> None:
    assert np.asarray(random.PRNGKey(42)).tolist() == [0, 42]
    assert np.asarray(random.PRNGKey(-1)).tolist() == [0, 4294967295]
    assert np.asarray(random.PRNGKey(np.uint32(2**32 - 1))).tolist() == [0, 2**32 - 1]
    assert np.asarray(random.PRNGKey(np.int8(-3))).tolist() == [0, 4294967293]
    assert np.asarray(random.PRNGKey(True)).tolist() == [0, 1]
    assert np.asarray(random.PRNGKey(2**40 + 5)).tolist() == [0, 5]  # low word without x64
    with kiln.enable_x64():
        assert np.asarray(random.PRNGKey(2**40 + 5)).tolist() == [256, 5]
        assert np.asarray(random.PRNGKey(-5)).tolist() == [2**32 - 1, 2**32 - 5]
        assert np.asarray(random.PRNGKey(np.int16(-2))).tolist() == [0, 2**32 - 2]


def test_seed_under_jit_matches_eager() -> None:
    seeds = [0, 7, -5, 2**31 - 1]
    for s in seeds:
        np.testing.assert_array_equal(kiln.jit(random.PRNGKey)(np.int32(s)),
                                      random.PRNGKey(s))


def test_seed_errors() -> None:
    with pytest.raises(TypeError, match="PRNG key seed must be an integer"):
        random.PRNGKey(1.5)
    with pytest.raises(TypeError, match=r"PRNGKey accepts a scalar seed, but was given an "
                                        r"array of shape \(2,\) != \(\)"):
        random.PRNGKey(np.zeros(2, np.int32))
    with pytest.raises(NotImplementedError, match="threefry2x32"):
        random.PRNGKey(0, impl="rbg")


def test_typed_key_prints_as_jax() -> None:
    k = random.key(0)
    assert repr(k) == "Array((), dtype=key<fry>) overlaying:\n[0 0]"
    assert str(k) == repr(k)
    ks = random.split(k, 3)
    assert repr(ks).startswith("Array((3,), dtype=key<fry>) overlaying:\n[[1797259609 2579123966]")
    assert (k.shape, k.ndim, k.size, str(k.dtype)) == ((), 0, 1, "key<fry>")
    assert ks.shape == (3,) and len(ks) == 3


def test_typed_key_indexing_and_reshaping() -> None:
    ks = random.split(random.key(0), 6)
    data = np.asarray(random.key_data(ks))
    np.testing.assert_array_equal(random.key_data(ks[1]), data[1])
    np.testing.assert_array_equal(random.key_data(ks[-1]), data[-1])
    np.testing.assert_array_equal(random.key_data(ks[1:4]), data[1:4])
    np.testing.assert_array_equal(random.key_data(ks[::-2]), data[::-2])
    np.testing.assert_array_equal(random.key_data(ks.reshape(2, 3)[1, 2]), data[5])
    assert ks.reshape(2, 3).T.shape == (3, 2)
    assert [random.key_data(k).tolist() for k in ks] == data.tolist()
    np.testing.assert_array_equal(random.key_data(kiln.jit(lambda i: ks[i])(np.int32(4))),
                                  data[4])


def test_key_data_and_wrapping() -> None:
    raw = random.PRNGKey(3)
    assert random.key_data(raw) is raw
    typed = random.wrap_key_data(np.array([1, 2], np.uint32))
    assert repr(typed) == "Array((), dtype=key<fry>) overlaying:\n[1 2]"
    assert random.key_impl(typed) == "threefry2x32"
    assert random.key_impl(raw) == "threefry2x32"
    assert str(random.key_dtype()) == "key<fry>"
    assert random.key(3, dtype=random.key_dtype()).dtype == random.key_dtype()
    np.testing.assert_array_equal(random.key_data(random.key(3)), raw)


def test_invalid_key_data_errors_are_jaxs() -> None:
    with pytest.raises(TypeError, match=r"expected key_data.shape to end with \(2,\); got "
                                        r"shape=\(3,\) for impl=PRNGImpl\(key_shape=\(2,\)"):
        random.wrap_key_data(np.zeros(3, np.uint32))
    with pytest.raises(TypeError, match="expected key_data.dtype = uint32; got dtype=int32"):
        random.normal(np.zeros(2, np.int32))
    with pytest.raises(ValueError, match=r"split accepts a single key, but was given a key "
                                         r"array of shape \(3, 2\) != \(\). Use jax.vmap for "
                                         r"batching."):
        random.split(random.split(random.PRNGKey(0), 3))
    with pytest.raises(ValueError, match=r"normal accepts a single key, but was given a key "
                                         r"array of shape \(3,\) != \(\)"):
        random.normal(random.split(random.key(0), 3))


def test_split_and_fold_in_preserve_key_kind() -> None:
    assert isinstance(random.split(random.key(1)), random.PRNGKeyArray)
    assert isinstance(random.fold_in(random.key(1), 3), random.PRNGKeyArray)
    assert not isinstance(random.split(random.PRNGKey(1)), random.PRNGKeyArray)
    assert random.split(random.PRNGKey(1), (2, 3)).shape == (2, 3, 2)
    assert random.split(random.key(1), (2, 3)).shape == (2, 3)
    assert random.split(random.key(1), 0).shape == (0,)
    assert random.clone(random.PRNGKey(4)) is not None


def test_fold_in_converts_its_data_like_jax() -> None:
    k = random.PRNGKey(3)
    np.testing.assert_array_equal(random.fold_in(k, np.int8(-1)),
                                  random.fold_in(k, np.uint32(2**32 - 1)))
    np.testing.assert_array_equal(random.fold_in(k, True), random.fold_in(k, 1))
    with pytest.raises(OverflowError, match="out of bounds for uint32"):
        random.fold_in(k, -1)
    np.testing.assert_array_equal(kiln.jit(random.fold_in)(k, np.uint32(9)),
                                  random.fold_in(k, 9))


def test_typed_keys_pass_through_jit() -> None:
    k = random.key(0)
    out = kiln.jit(lambda k: random.split(k))(k)
    assert isinstance(out, random.PRNGKeyArray) and out.shape == (2,)
    np.testing.assert_array_equal(random.key_data(out), random.key_data(random.split(k)))
    sample = kiln.jit(lambda k: random.uniform(k, (3,)))(k)
    np.testing.assert_array_equal(sample, random.uniform(k, (3,)))


def test_typed_keys_compare_equal() -> None:
    a, b = random.key(0), random.key(0)
    assert bool(a == b) and not bool(a != b)
    assert not bool(random.key(1) == a)


def test_keys_cannot_become_numpy_arrays() -> None:
    with pytest.raises(TypeError, match="key_data"):
        np.asarray(random.key(0))


def test_tutorial_numbers_in_the_original_layout() -> None:
    with kiln.config.override("jax_threefry_partitionable", False):
        key, subkey = random.split(random.PRNGKey(42))
        assert np.asarray(key).tolist() == [2465931498, 3679230171]
        assert np.asarray(subkey).tolist() == [255383827, 267815257]
        key, subkey = random.split(random.PRNGKey(18))
        assert np.asarray(key).tolist() == [4197003906, 1654466292]
        assert np.asarray(subkey).tolist() == [1685972163, 1654824463]
        np.testing.assert_allclose(float(random.normal(subkey)), 1.1437175, rtol=1e-6)
        x = random.normal(random.PRNGKey(0), (10,))
        np.testing.assert_allclose(np.asarray(x), [
            -0.3721109, 0.26423115, -0.18252768, -0.7368197, -0.44030377, -0.1521442,
            -0.67135346, -0.5908641, 0.73168886, 0.5673026], rtol=1e-6)


def test_partitionable_is_the_default() -> None:
    assert kiln.config.jax_threefry_partitionable is True
    assert np.asarray(random.split(random.PRNGKey(42))).tolist() == [
        [1832780943, 270669613], [64467757, 2916123636]]


def test_jit_retraces_when_the_layout_changes() -> None:
    f = kiln.jit(lambda k: random.bits(k, (2,)))
    a = np.asarray(f(random.PRNGKey(0)))
    with kiln.config.override("jax_threefry_partitionable", False):
        b = np.asarray(f(random.PRNGKey(0)))
        b_eager = np.asarray(random.bits(random.PRNGKey(0), (2,)))
    assert a.tolist() == [4070199207, 4202968722]
    assert b.tolist() == b_eager.tolist() == [928981903, 3453687069]
