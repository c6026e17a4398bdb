"""jit and eager execution on the xla backend, against the NumPy reference backend: caches,
nested jits, donation, device=, the ahead-of-time API, debug_nans, and fallbacks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import kiln
from kiln import lax
from kiln.compiler import XlaArray, compilation
from kiln.core import Primitive, register_abstract_eval, register_decomposition, register_impl
from kiln.core.abstract import ShapedArray
from kiln.core.backend import get_backend
from kiln.core.config import config


def cpu_put(x):
    return kiln.device_put(x, get_backend("cpu").devices()[0])


def numpy_put(x):
    return kiln.device_put(x, get_backend("numpy").devices()[0])


def on_both(fn, *args):
    """(xla result, numpy-backend result) of jit(fn) on ``args``."""
    xla = kiln.jit(fn)(*[cpu_put(a) for a in args])
    ref = kiln.jit(fn)(*[numpy_put(a) for a in args])
    return xla, ref


def mlp(params, x):
    for w, b in params:
        x = lax.tanh(lax.add(lax.dot_general(x, w, (((1,), (0,)), ((), ()))),
                             lax.broadcast_in_dim(b, (x.shape[0], b.shape[0]), (1,))))
    return lax.reduce_sum(x, (0, 1))


def test_xla_is_the_default_backend() -> None:
    if config.read("jax_platforms") == "numpy":
        pytest.skip("JAX_PLATFORMS=numpy forces the reference backend")
    assert kiln.default_backend() == "cpu"
    assert isinstance(lax.add(np.float32(1), np.float32(2)), XlaArray)


def test_jit_matches_numpy_backend_on_an_mlp() -> None:
    rng = np.random.default_rng(0)
    params = [(rng.normal(size=(4, 8)).astype(np.float32), rng.normal(size=8).astype(np.float32)),
              (rng.normal(size=(8, 2)).astype(np.float32), rng.normal(size=2).astype(np.float32))]
    x = rng.normal(size=(5, 4)).astype(np.float32)
    flat = [a for p in params for a in p]

    def f(w1, b1, w2, b2, x):
        return mlp([(w1, b1), (w2, b2)], x)

    xla, ref = on_both(f, *flat, x)
    np.testing.assert_allclose(np.asarray(xla), np.asarray(ref), rtol=1e-5)


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                  elements=st.floats(-10, 10, width=32).filter(
                      lambda v: v == 0 or abs(v) > 1e-30)),
       st.sampled_from([lax.add, lax.sub, lax.mul, lax.max, lax.min, lax.atan2]),
       st.sampled_from([lax.sin, lax.exp, lax.tanh, lax.neg, lax.abs, lax.floor]))
def test_random_elementwise_programs(x, binary, unary) -> None:
    # (Tiny inputs are left out: XLA's CPU code flushes subnormal results to zero, as JAX
    # does there, and NumPy does not.)
    def f(a):
        return binary(unary(a), lax.mul(a, 0.5))

    xla, ref = on_both(f, x)
    np.testing.assert_allclose(np.asarray(xla), np.asarray(ref), rtol=2e-6, atol=1e-6)


def test_weak_types_survive_jit_and_eager() -> None:
    f = kiln.jit(lambda a, b: lax.add(a, b), backend="cpu")
    assert f(2.0, 3.0).weak_type and f(2.0, 3.0).dtype == np.float32
    assert not f(np.float32(2), 3.0).weak_type
    two = cpu_put(2)
    assert two.weak_type and lax.mul(two, 3).weak_type and int(lax.mul(two, 3)) == 6


def test_executables_are_cached_per_signature() -> None:
    f = kiln.jit(lambda a: lax.mul(lax.sin(a), 2.0), backend="cpu")
    x = cpu_put(np.ones(3, np.float32))
    f(x)
    before = compilation.stats["compiled"]
    for _ in range(3):
        f(x)
    f(np.ones(3, np.float32))  # same signature from NumPy: no retrace, no recompile
    assert compilation.stats["compiled"] == before
    f(cpu_put(np.ones(4, np.float32)))
    assert compilation.stats["compiled"] == before + 1


def test_eager_ops_reuse_one_executable_per_signature() -> None:
    x = cpu_put(np.arange(3, dtype=np.float32))
    lax.mul(x, x)
    before = compilation.stats["compiled"] + compilation.stats["memory_hits"]
    for _ in range(5):
        lax.mul(x, x)
    assert compilation.stats["compiled"] + compilation.stats["memory_hits"] == before
    lax.mul(x, 2.0)  # a weak scalar operand: another signature
    lax.mul(x, np.float32(2.0))
    np.testing.assert_array_equal(np.asarray(lax.mul(x, 2.0)), [0, 2, 4])


def test_nested_jit_compiles_whole_as_calls() -> None:
    inner = kiln.jit(lambda a, b: lax.add(lax.mul(a, b), 1.0))
    outer = kiln.jit(lambda a: lax.mul(inner(a, a), inner(a, 2.0)), backend="cpu")
    x = np.arange(3, dtype=np.float32)
    text = outer.lower(x).as_text(generic=True)
    assert text.count('"func.call"') == 2 and "func.func private" in text
    np.testing.assert_allclose(np.asarray(outer(cpu_put(x))), (x * x + 1) * (x * 2 + 1))
    twice = kiln.jit(lambda a: lax.add(inner(a, a), inner(a, a)), backend="cpu")
    assert twice.lower(x).as_text(generic=True).count("func.func private") == 1


def test_closed_over_constants_small_and_large() -> None:
    small = np.arange(4, dtype=np.float32)
    large = np.arange(4096, dtype=np.float32)
    f = kiln.jit(lambda a: lax.add(lax.add(a, small), lax.reduce_sum(large, (0,))),
                 backend="cpu")
    x = np.ones(4, np.float32)
    lowered = f.lower(x)
    text = lowered.as_text(generic=True)
    (signature,) = [line for line in text.splitlines() if "@main" in line]
    assert "tensor<4096xf32>" in signature  # the large one is a parameter
    assert "tensor<4xf32>" in text and text.count("stablehlo.constant") >= 1
    np.testing.assert_allclose(np.asarray(f(cpu_put(x))), x + small + large.sum())


def test_donation_deletes_the_argument() -> None:
    f = kiln.jit(lambda a, b: lax.add(a, b), donate_argnums=0, backend="cpu")
    a, b = cpu_put(np.ones(3, np.float32)), cpu_put(np.ones(3, np.float32))
    c = f(a, b)
    assert a.is_deleted() and not b.is_deleted()
    np.testing.assert_array_equal(np.asarray(c), [2, 2, 2])
    with pytest.raises(RuntimeError, match=r"^Array has been deleted with shape=float32\[3\]\.$"):
        np.asarray(a)
    with pytest.raises(RuntimeError, match=r"Array has been deleted with shape=float32\[3\]\."):
        f(a, b)
    text = f.lower(np.ones(3, np.float32), np.ones(3, np.float32)).as_text(generic=True)
    assert "tf.aliasing_output = 0" in text


def test_donation_of_numpy_arguments_and_unusable_donations() -> None:
    f = kiln.jit(lambda a, b: lax.add(a, b), donate_argnums=0, backend="cpu")
    host = np.ones(3, np.float32)
    np.testing.assert_array_equal(np.asarray(f(host, host)), [2, 2, 2])
    assert host.tolist() == [1, 1, 1]
    g = kiln.jit(lambda a: lax.reduce_sum(a, (0,)), donate_argnums=0, backend="cpu")
    with pytest.warns(UserWarning, match=r"Some donated buffers were not usable: float32\[4\]"):
        x = cpu_put(np.ones(4, np.float32))
        g(x)
    assert not x.is_deleted()


def test_jit_device_argument() -> None:
    device = get_backend("cpu").devices()[0]
    f = kiln.jit(lambda a: lax.mul(a, 2.0), device=device)
    out = f(np.ones(2, np.float32))
    assert out.device is device and out.committed


def test_ahead_of_time_lower_and_compile() -> None:
    def f(x, y):
        return {"s": lax.add(lax.mul(x["a"], y), 1.0), "c": lax.cos(y)}

    x = {"a": np.ones(3, np.float32)}
    y = np.full(3, 2.0, np.float32)
    lowered = kiln.jit(f, backend="cpu").lower(x, y)
    text = lowered.as_text()
    assert "stablehlo.multiply" in text and "func.func public @main" in text
    compiled = lowered.compile()
    out = compiled(x, y)
    assert set(out) == {"s", "c"}
    np.testing.assert_allclose(np.asarray(out["s"]), 3.0)
    cost = compiled.cost_analysis()
    assert isinstance(cost, dict) and cost["flops"] > 0
    assert "HloModule" in compiled.as_text()
    with pytest.raises(TypeError, match="Argument types differ"):
        compiled({"a": np.ones(4, np.float32)}, np.ones(4, np.float32))


def test_static_arguments_with_aot() -> None:
    g = kiln.jit(lambda x, n: lax.mul(x, float(n)), static_argnums=1, backend="cpu")
    compiled = g.lower(np.ones(3, np.float32), 2).compile()
    np.testing.assert_array_equal(np.asarray(compiled(np.ones(3, np.float32))), [2, 2, 2])


def test_debug_nans_eager_and_jit() -> None:
    x = cpu_put(np.array([np.inf], np.float32))
    with kiln.debug_nans(True):
        with pytest.raises(FloatingPointError, match=r"invalid value \(nan\) encountered in mul"):
            lax.mul(x, 0.0)
        f = kiln.jit(lambda a: lax.add(lax.mul(a, 0.0), 1.0))
        with pytest.warns(RuntimeWarning, match="de-optimized"):
            with pytest.raises(FloatingPointError, match="encountered in mul"):
                f(x)
    assert np.isnan(np.asarray(lax.mul(x, 0.0))).all()


# -- primitives from outside kiln-core -----------------------------------------------------------

composite_p = Primitive("test_xla_composite")
register_decomposition(composite_p, lambda x: lax.add(lax.mul(x, x), 1.0))

host_only_p = Primitive("test_xla_host_only")
register_abstract_eval(host_only_p, lambda x: ShapedArray(x.shape, x.dtype, x.weak_type))
register_impl(host_only_p, lambda x: np.cumsum(x).astype(x.dtype))


def test_decomposition_is_lowered_inline() -> None:
    x = np.arange(3, dtype=np.float32)
    f = kiln.jit(composite_p.bind, backend="cpu")
    assert "stablehlo.multiply" in f.lower(x).as_text(generic=True)
    np.testing.assert_array_equal(np.asarray(f(x)), x * x + 1)
    np.testing.assert_array_equal(np.asarray(composite_p.bind(cpu_put(x))), x * x + 1)


def test_primitive_without_lowering_runs_its_impl_on_the_host() -> None:
    x = np.arange(4, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = host_only_p.bind(cpu_put(x))
        assert isinstance(out, XlaArray)
        np.testing.assert_array_equal(np.asarray(out), np.cumsum(x))
        f = kiln.jit(lambda a: lax.mul(host_only_p.bind(a), 2.0), backend="cpu")
        np.testing.assert_array_equal(np.asarray(f(x)), 2 * np.cumsum(x))
    with pytest.raises(NotImplementedError, match="no lowering rule"):
        kiln.jit(host_only_p.bind, backend="cpu").lower(x)
