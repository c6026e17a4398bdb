"""Device arrays of the xla backend: transfers, reading values back, deletion, DLPack,
asynchronous dispatch, several CPU devices."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import kiln
from kiln import lax
from kiln.compiler import XlaArray, XlaBackend
from kiln.core.abstract import get_aval
from kiln.core.backend import get_backend


@pytest.fixture(scope="module")
def cpu() -> XlaBackend:
    backend = get_backend("cpu")
    assert isinstance(backend, XlaBackend)
    return backend


def put(x, device=None):
    return kiln.device_put(x, device or get_backend("cpu").devices()[0])


DTYPES = [np.bool_, np.int8, np.int16, np.int32, np.uint8, np.uint16, np.uint32, np.float16,
          np.float32, np.complex64, ml_dtypes.bfloat16, ml_dtypes.int4, ml_dtypes.uint4,
          ml_dtypes.float8_e4m3fn, ml_dtypes.float8_e5m2]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_device_put_and_get_round_trip(dtype) -> None:
    host = (np.arange(12) % 5).astype(dtype).reshape(3, 4)
    x = put(host)
    assert isinstance(x, XlaArray) and x.dtype == np.dtype(dtype) and x.shape == (3, 4)
    back = kiln.device_get(x)
    assert back.dtype == np.dtype(dtype)
    wide = np.complex128 if np.dtype(dtype).kind == "c" else np.float64
    np.testing.assert_array_equal(back.astype(wide), host.astype(wide))


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(st.sampled_from([np.float32, np.int32, np.uint8, np.bool_, np.complex64]),
                  hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5)))
def test_round_trip_any_shape(host: np.ndarray) -> None:
    x = put(host)
    np.testing.assert_array_equal(np.asarray(x), host)
    assert x.shape == host.shape


def test_x64_values_are_canonicalised() -> None:
    x = put(np.arange(3, dtype=np.float64))
    assert x.dtype == np.float32
    y = put(np.arange(3, dtype=np.int64))
    assert y.dtype == np.int32


def test_non_contiguous_and_python_scalars() -> None:
    host = np.arange(12, dtype=np.float32).reshape(3, 4).T
    np.testing.assert_array_equal(np.asarray(put(host)), host)
    s = put(2.5)
    assert s.weak_type and s.dtype == np.float32 and float(s) == 2.5


def test_array_is_a_copy_of_the_callers_buffer() -> None:
    source = np.ones(3, np.float32)
    x = put(source)
    source[0] = 5.0
    assert float(np.asarray(x)[0]) == 1.0


def test_array_conversion_is_zero_copy_and_read_only() -> None:
    x = lax.add(put(np.arange(1024, dtype=np.float32)), 1.0)
    view = np.asarray(x)
    assert view.ctypes.data == x.unsafe_buffer_pointer()  # no copy: the device buffer itself
    assert not view.flags.writeable
    assert np.asarray(x) is view  # read back once
    copied = np.array(x)
    assert copied.flags.writeable and copied.ctypes.data != view.ctypes.data


def test_deleted_array_raises_jax_error() -> None:
    x = put(np.ones(3, np.float32))
    assert not x.is_deleted()
    x.delete()
    assert x.is_deleted()
    with pytest.raises(RuntimeError, match=r"Array has been deleted with shape=float32\[3\]\."):
        np.asarray(x)
    with pytest.raises(RuntimeError, match="Array has been deleted"):
        lax.mul(x, x)
    with pytest.raises(RuntimeError, match="Array has been deleted"):
        kiln.jit(lambda a: lax.mul(a, a))(x)
    with pytest.raises(RuntimeError, match="Array has been deleted"):
        x.block_until_ready()
    x.delete()  # deleting twice is fine


def test_block_until_ready_and_is_ready() -> None:
    x = lax.mul(put(np.ones(4, np.float32)), 3.0)
    assert x.block_until_ready() is x
    assert x.is_ready()
    tree = {"a": x, "b": [lax.sin(x)]}
    assert kiln.block_until_ready(tree) is tree


def test_dispatch_is_asynchronous() -> None:
    # A computation of ~100 ms returns at once; its result is not ready until it ends.
    a = put(np.full((1500, 1500), 1e-3, np.float32))

    @kiln.jit
    def heavy(a):
        for _ in range(4):
            a = lax.dot_general(a, a, (((1,), (0,)), ((), ())))
        return a

    heavy(a).block_until_ready()  # compile first
    out = heavy(a)
    assert not out.is_ready()
    out.block_until_ready()
    assert out.is_ready()


def test_dlpack() -> None:
    x = lax.add(put(np.arange(6, dtype=np.float32).reshape(2, 3)), 0.0)
    assert x.__dlpack_device__() == (1, 0)
    y = np.from_dlpack(x)
    np.testing.assert_array_equal(y, np.arange(6).reshape(2, 3))


def test_devices_and_sharding(cpu: XlaBackend) -> None:
    x = put(np.ones(2, np.float32))
    (device,) = x.devices()
    assert device is cpu.devices()[0] and x.device is device
    assert repr(device) == "CpuDevice(id=0)" and device.platform == "cpu"
    assert x.sharding.device is device
    assert x.committed  # placed on an explicit device
    host = np.ones(2, np.float32)
    assert not cpu.device_put(host, get_aval(host)).committed


def test_printing_and_pickling() -> None:
    x = put(np.arange(4, dtype=np.int32))
    assert repr(x) == "Array([0, 1, 2, 3], dtype=int32)"
    assert repr(lax.add(put(2.0), 3.0)) == "Array(5., dtype=float32, weak_type=True)"
    y = pickle.loads(pickle.dumps(x))
    np.testing.assert_array_equal(np.asarray(y), np.arange(4))
    assert type(x).__name__ == "ArrayImpl"
    with pytest.raises(TypeError, match=r"unhashable type: 'kiln.compiler.array.ArrayImpl"):
        hash(x)


def test_arrays_of_the_numpy_backend_are_accepted() -> None:
    numpy_array = kiln.device_put(np.arange(3, dtype=np.float32),
                                  get_backend("numpy").devices()[0])
    x = put(np.ones(3, np.float32))
    f = kiln.jit(lambda a, b: lax.add(a, b), backend="cpu")
    np.testing.assert_array_equal(np.asarray(f(x, numpy_array)), [1, 2, 3])
    moved = put(numpy_array)
    assert isinstance(moved, XlaArray)


MULTI_DEVICE = textwrap.dedent("""
    import numpy as np, kiln, pytest
    from kiln import lax
    ds = kiln.devices()
    assert len(ds) == 4 and kiln.device_count() == 4, ds
    assert [d.id for d in ds] == [0, 1, 2, 3]
    x = kiln.device_put(np.arange(3, dtype=np.float32), ds[2])
    assert x.device is ds[2] and x.committed
    y = lax.mul(x, x)                       # eager ops follow committed arrays
    assert y.device is ds[2] and y.committed
    f = kiln.jit(lambda a: lax.add(a, 1.0))
    assert f(np.ones(3, np.float32)).device is ds[0]
    z = f(x)                                # so do jitted computations
    assert z.device is ds[2] and np.asarray(z).tolist() == [1, 2, 3]
    w = kiln.device_put(np.ones(3, np.float32), ds[1])
    with pytest.raises(ValueError, match="incompatible devices"):
        lax.add(x, w)
    g = kiln.jit(lambda a: lax.mul(a, 2.0), device=ds[3])
    r = g(x)
    assert r.device is ds[3] and np.asarray(r).tolist() == [0, 2, 4]
    u = kiln.device_put(x, ds[0])
    assert u.device is ds[0] and np.asarray(u).tolist() == [0, 1, 2]
    print("ok")
""")


def test_several_cpu_devices() -> None:
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4",
               JAX_PLATFORMS="cpu")
    proc = subprocess.run([sys.executable, "-c", MULTI_DEVICE], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("ok")
    assert "ExecutePrepare" not in proc.stderr  # placement is checked before launching


def test_waiting_for_several_arrays_at_once(cpu: XlaBackend) -> None:
    xs = [lax.mul(put(np.full(3, i, np.float32)), 2.0) for i in range(3)]
    cpu.block_until_ready(xs)
    assert all(x.is_ready() for x in xs)
    xs[0].delete()
    with pytest.raises(RuntimeError, match="deleted"):
        cpu.block_until_ready(xs)
