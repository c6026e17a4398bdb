"""jit: caching by signature, static arguments, retracing, side effects at trace time."""

from __future__ import annotations

import numpy as np
import pytest

import kiln
from kiln import lax


def test_traces_once_per_signature() -> None:
    traces = []

    @kiln.jit
    def f(x):
        traces.append(x.shape)
        return lax.sin(x)

    x = np.arange(3, dtype=np.float32)
    np.testing.assert_allclose(f(x), np.sin(x), rtol=1e-6)
    f(x + 1)
    assert traces == [(3,)]
    f(np.ones(4, np.float32))
    assert traces == [(3,), (4,)]
    f(np.ones(4, np.int32).astype(np.float32))
    assert len(traces) == 2


def test_weak_types_are_part_of_the_key() -> None:
    count = []
    f = kiln.jit(lambda x: count.append(1) or lax.add(x, x))
    assert f(1.0).aval.weak_type
    assert not f(np.float32(1.0)).aval.weak_type
    assert len(count) == 2


def test_static_argnums_and_argnames() -> None:
    traces = []

    def f(x, n, *, scale=1.0):
        traces.append((n, scale))
        return lax.mul(lax.integer_pow(x, n), scale)

    g = kiln.jit(f, static_argnums=1, static_argnames="scale")
    x = np.float32(2.0)
    assert float(g(x, 3)) == 8.0
    assert float(g(x, 3)) == 8.0
    assert float(g(x, 2, scale=3.0)) == 12.0
    assert traces == [(3, 1.0), (2, 3.0)]
    assert g.static_argnames == ("n", "scale")


def test_unhashable_static_argument_is_a_value_error() -> None:
    g = kiln.jit(lambda x, n: x, static_argnums=1)
    with pytest.raises(ValueError, match="Non-hashable static arguments are not supported"):
        g(1.0, [1])


def test_non_array_argument_names_its_path() -> None:
    with pytest.raises(TypeError, match="argument to .* as an abstract array.*at path x"):
        kiln.jit(lambda x: x)("a")


def test_pytree_arguments_and_outputs() -> None:
    @kiln.jit
    def f(params, x):
        return {"y": lax.add(lax.mul(params["w"], x), params["b"]), "n": (x,)}

    out = f({"w": np.float32(2), "b": np.float32(1)}, np.float32(3))
    assert float(out["y"]) == 7.0
    assert float(out["n"][0]) == 3.0


def test_globals_are_baked_in_until_retrace() -> None:
    scale = {"v": 2.0}
    f = kiln.jit(lambda x: lax.mul(x, scale["v"]))
    assert float(f(1.0)) == 2.0
    scale["v"] = 3.0
    assert float(f(1.0)) == 2.0  # cached trace
    f.clear_cache()
    assert float(f(1.0)) == 3.0


def test_disable_jit_runs_op_by_op() -> None:
    seen = []
    f = kiln.jit(lambda x: seen.append(type(x).__name__) or lax.sin(x))
    with kiln.disable_jit():
        f(np.float32(1.0))
    assert seen == ["float32"]


def test_jit_inside_jit_stages_one_equation() -> None:
    inner = kiln.jit(lambda x: lax.sin(x))
    outer = kiln.jit(lambda x: lax.mul(inner(x), 2.0))
    jaxpr = kiln.make_jaxpr(outer)(np.float32(1.0))
    (eqn,) = jaxpr.eqns
    assert eqn.primitive.name == "jit"
    assert [e.primitive.name for e in eqn.params["jaxpr"].eqns] == ["jit", "mul"]
    np.testing.assert_allclose(outer(np.float32(1.0)), 2 * np.sin(1.0), rtol=1e-6)


def test_trace_and_eval_shape_of_jitted_function() -> None:
    f = kiln.jit(lambda x: lax.add(x, 1.0))
    assert str(f.trace(1.0).jaxpr) == \
        "{ lambda ; a:f32[]. let b:f32[] = add a 1.0:f32[] in (b,) }"
    shape = f.eval_shape(np.ones((2, 3), np.float32))
    assert shape.shape == (2, 3) and shape.dtype == np.float32


def test_donate_argnums_is_accepted() -> None:
    f = kiln.jit(lambda x: lax.add(x, 1.0), donate_argnums=0)
    assert float(f(np.float32(1))) == 2.0


def test_jit_as_a_decorator_with_options() -> None:
    @kiln.jit(static_argnames=("n",))
    def f(x, n):
        return lax.integer_pow(x, n)

    assert float(f(np.float32(3), n=2)) == 9.0
