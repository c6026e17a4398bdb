"""kiln.Array and the backend registry, on the NumPy reference backend."""

from __future__ import annotations

import pickle
from importlib import metadata

import numpy as np
import pytest

import kiln
from kiln import lax
from kiln.core import backend as backends
from kiln.core.config import config
from kiln.core.numpy_backend import NumpyBackend


@pytest.fixture
def numpy_backend():
    with config.override("jax_platforms", "numpy"):
        yield backends.get_backend("numpy")


def test_numpy_backend_is_found_through_the_entry_point() -> None:
    names = {ep.name: ep.value for ep in metadata.entry_points(group="kiln.backends")}
    assert names["numpy"] == "kiln.core.numpy_backend:NumpyBackend"
    assert backends.available_platforms()["numpy"][0] is NumpyBackend


def test_jax_platforms_chooses_the_default(numpy_backend) -> None:
    assert kiln.default_backend() == "numpy"
    assert repr(kiln.devices()) == "[NumpyDevice(id=0)]"
    with config.override("jax_platforms", "nonesuch"):
        with pytest.raises(RuntimeError, match="Unable to initialize backend"):
            kiln.default_backend()


def test_unknown_backend_name_lists_the_available_ones() -> None:
    with pytest.raises(RuntimeError, match="Unknown backend tpu9.*numpy"):
        backends.get_backend("tpu9")


def test_array_printing_matches_jax(numpy_backend) -> None:
    x = kiln.device_put(np.arange(12, dtype=np.float32).reshape(3, 4))
    assert repr(x) == ("Array([[ 0.,  1.,  2.,  3.],\n"
                       "       [ 4.,  5.,  6.,  7.],\n"
                       "       [ 8.,  9., 10., 11.]], dtype=float32)")
    assert repr(kiln.device_put(2.0)) == "Array(2., dtype=float32, weak_type=True)"
    assert repr(kiln.device_put(np.arange(3, dtype=np.int32))) == \
        "Array([0, 1, 2], dtype=int32)"
    assert repr(kiln.device_put(np.zeros((0, 3), np.float32))) == \
        "Array([], shape=(0, 3), dtype=float32)"
    assert str(kiln.device_put(np.ones(3, np.float32))) == "[1. 1. 1.]"
    assert f"{kiln.device_put(np.float32(2.5)):<.2f}" == "2.50"


def test_array_conversions_and_properties(numpy_backend) -> None:
    x = kiln.device_put(np.arange(6, dtype=np.float32).reshape(2, 3))
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and x.dtype == np.float32
    assert len(x) == 2 and x.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert [r.tolist() for r in x] == [[0, 1, 2], [3, 4, 5]]
    assert float(kiln.device_put(np.float32(1.5))) == 1.5
    assert int(kiln.device_put(np.int32(3))) == 3
    assert list(range(10))[kiln.device_put(np.int32(3))] == 3
    np.testing.assert_array_equal(np.asarray(x), np.arange(6).reshape(2, 3))
    assert x.device == kiln.devices()[0] and x.devices() == {kiln.devices()[0]}


def test_arrays_are_immutable_and_unhashable(numpy_backend) -> None:
    source = np.ones(3, np.float32)
    x = kiln.device_put(source)
    source[0] = 5.0
    assert float(np.asarray(x)[0]) == 1.0  # the array copied the caller's buffer
    with pytest.raises(TypeError, match="do not support in-place item assignment"):
        x[0] = 2.0
    with pytest.raises(TypeError, match="unhashable"):
        hash(x)


def test_pickling_round_trips(numpy_backend) -> None:
    x = kiln.device_put(np.arange(4, dtype=np.int32))
    y = pickle.loads(pickle.dumps(x))
    assert isinstance(y, kiln.Array) and y.dtype == np.int32
    np.testing.assert_array_equal(np.asarray(y), np.arange(4))


def test_device_get_and_block_until_ready(numpy_backend) -> None:
    tree = {"a": kiln.device_put(np.ones(2, np.float32)), "b": 3}
    host = kiln.device_get(tree)
    assert isinstance(host["a"], np.ndarray) and host["b"] == 3
    assert kiln.block_until_ready(tree) is tree


def test_eager_ops_return_arrays_with_weak_types(numpy_backend) -> None:
    assert lax.add(2.0, 3.0).aval.weak_type
    assert not lax.add(np.float32(2.0), 3.0).aval.weak_type
    assert lax.add(2, 3).dtype == np.int32


def test_debug_nans_raises_floating_point_error(numpy_backend) -> None:
    with kiln.debug_nans(True):
        with pytest.raises(FloatingPointError, match="nan"):
            lax.mul(np.float32(np.inf), 0.0)
