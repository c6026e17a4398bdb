"""Backend registration and PJRT plugin discovery. No GPU or TPU is needed: plugin packages
are faked on disk (a ``jax_plugins`` namespace module holding a ``.so`` file, a ``libtpu``
package), the device check and the client factory are monkeypatched, and a "cuda" backend
is then served by a CPU client, so the whole path from discovery to ``kiln.devices('gpu')``
runs."""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

import kiln
from kiln import lax
from kiln.compiler import XlaBackend, XlaDevice, plugins
from kiln.compiler import jaxlib_api as api
from kiln.core import backend as registry
from kiln.core.config import config


def test_xla_is_registered_through_the_entry_point() -> None:
    eps = {ep.name: ep.value for ep in metadata.entry_points(group="kiln.backends")}
    assert eps["xla"] == "kiln.compiler.backend:XlaBackend"
    assert registry.available_platforms()["cpu"][0] is XlaBackend
    conformance = {ep.name: ep.value for ep in metadata.entry_points(group="kiln.conformance")}
    assert conformance["xla"] == "kiln.compiler.conformance"


def test_cpu_outranks_the_numpy_backend() -> None:
    available = registry.available_platforms()
    assert available["cpu"][1] > available["numpy"][1]
    with config.override("jax_platforms", "numpy"):
        assert kiln.default_backend() == "numpy"
    with config.override("jax_platforms", "cpu"):
        assert kiln.default_backend() == "cpu"
        assert repr(kiln.devices()) == "[CpuDevice(id=0)]"


def test_nothing_but_cpu_is_found_here() -> None:
    found = plugins.find_plugin_libraries()
    assert all(platform in ("cuda", "rocm", "tpu") for platform in found)
    assert plugins.discover()["cpu"] == plugins.PRIORITIES["cpu"]


@pytest.fixture
def fake_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A site folder with fake plugin packages, first on sys.path."""
    cuda = tmp_path / "jax_plugins" / "xla_cuda12"
    cuda.mkdir(parents=True)
    (cuda / "__init__.py").write_text("raise ImportError('kiln must not import me')\n")
    (cuda / "xla_cuda_plugin.so").write_bytes(b"")
    tpu = tmp_path / "libtpu"
    tpu.mkdir()
    (tpu / "__init__.py").write_text("raise ImportError('kiln must not import me')\n")
    (tpu / "libtpu.so").write_bytes(b"")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in list(sys.modules):
        if name == "jax_plugins" or name.startswith("jax_plugins."):
            monkeypatch.delitem(sys.modules, name)
    return tmp_path


def test_plugin_libraries_are_found_without_importing_them(fake_site: Path) -> None:
    found = plugins.find_plugin_libraries()
    assert found["cuda"] == str(fake_site / "jax_plugins" / "xla_cuda12" / "xla_cuda_plugin.so")
    assert found["tpu"] == str(fake_site / "libtpu" / "libtpu.so")
    assert "jax_plugins.xla_cuda12" not in sys.modules


def test_plugins_need_their_device(fake_site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plugins, "hardware_present", lambda platform: False)
    assert set(plugins.discover()) == {"cpu"}
    monkeypatch.setattr(plugins, "hardware_present", lambda platform: platform == "cuda")
    found = plugins.discover()
    assert found["cuda"] == plugins.PRIORITIES["cuda"] > found["cpu"]
    assert "tpu" not in found


def test_environment_names_plugins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    lib = tmp_path / "pjrt_c_api_rocm_plugin.so"
    lib.write_bytes(b"")
    monkeypatch.setenv(api.PLUGIN_PATHS_ENV, f"rocm:{lib}, tpu:/opt/libtpu.so")
    found = plugins.find_plugin_libraries()
    assert found["rocm"] == str(lib) and found["tpu"] == "/opt/libtpu.so"


@pytest.fixture
def fake_cuda(fake_site: Path, monkeypatch: pytest.MonkeyPatch):
    """A discoverable 'cuda' platform whose client is really a CPU client."""
    made = []

    def make_plugin_client(platform, library_path, options):
        made.append((platform, library_path, dict(options)))
        return api.make_cpu_client(num_devices=2)

    monkeypatch.setattr(plugins, "hardware_present", lambda platform: platform == "cuda")
    monkeypatch.setattr(api, "make_plugin_client", make_plugin_client)
    saved = dict(registry._backends)
    registry._reset()
    registry._backends.pop("cuda", None)
    with config.override("jax_platforms", None):
        yield made
    registry._backends.clear()
    registry._backends.update(saved)
    registry._reset()


def test_a_discovered_plugin_becomes_the_default(fake_cuda: list) -> None:
    assert registry.available_platforms()["cuda"][0] is XlaBackend
    assert kiln.default_backend() == "cuda"  # highest priority
    (platform, path, options) = fake_cuda[0]
    assert platform == "cuda" and path.endswith("xla_cuda_plugin.so")
    assert options["platform_name"] == "cuda"
    devices = kiln.devices("cuda")
    assert len(devices) == 2 and all(isinstance(d, XlaDevice) for d in devices)
    assert kiln.devices("gpu") == devices  # JAX's alias
    assert devices[0].platform == "cuda"
    with config.override("jax_platforms", "cpu"):
        assert kiln.default_backend() == "cpu"
    x = kiln.device_put(np.arange(3, dtype=np.float32), devices[1])
    assert x.device is devices[1]
    np.testing.assert_array_equal(np.asarray(lax.mul(x, x)), [0, 1, 4])
    f = kiln.jit(lambda a: lax.add(a, 1.0), backend="cuda")
    np.testing.assert_array_equal(np.asarray(f(np.ones(2, np.float32))), [2, 2])


def test_a_platform_specific_rule_wins(fake_cuda: list) -> None:
    from kiln.core import register_lowering
    from kiln.core.primitives.elementwise import sin_p

    def cuda_sin(ctx, x, **params):  # deliberately wrong, to see that it is used
        return ctx.op("stablehlo.cosine", [x])

    register_lowering(sin_p, cuda_sin, backend="xla", platform="cuda")
    try:
        x = np.zeros(2, np.float32)
        on_cuda = kiln.jit(lax.sin, backend="cuda")(x)
        on_cpu = kiln.jit(lax.sin, backend="cpu")(x)
        np.testing.assert_array_equal(np.asarray(on_cuda), [1, 1])
        np.testing.assert_array_equal(np.asarray(on_cpu), [0, 0])
    finally:
        from kiln.core.primitive import lowering_kind, rule_table

        rule_table(lowering_kind("xla", "cuda")).pop(sin_p)


def test_a_plugin_that_fails_to_start_says_why(fake_site: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(platform, library_path, options):
        raise RuntimeError("no CUDA driver")

    monkeypatch.setattr(api, "make_plugin_client", broken)
    with pytest.raises(RuntimeError, match="Unable to initialize backend 'cuda'.*no CUDA driver"):
        XlaBackend("cuda")
    with pytest.raises(RuntimeError, match="no PJRT plugin"):
        XlaBackend("rocm")
