"""``batch_jaxpr`` (the helper higher-order batching rules use) and the extension interface:
third-party primitives batched by their own rule, through their decomposition, or failing
with a clear error when they have neither."""

from __future__ import annotations

import numpy as np
import pytest

import kiln
from kiln import lax
from kiln.batching import AxisData, any_dim, batch_jaxpr, current_axis, vmap
from kiln.core import (
    Primitive,
    ShapedArray,
    eval_jaxpr,
    register_abstract_eval,
    register_batch,
    register_decomposition,
    register_impl,
)


def f32(*shape: int) -> np.ndarray:
    return np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)


def closed_of(fun, *args):
    return kiln.make_jaxpr(fun)(*args)


def test_batch_jaxpr_returns_batched_inputs_and_output_dims():
    closed = closed_of(lambda x, y: (lax.mul(x, y), lax.sin(y)), f32(3), f32(3))
    batched, dims = batch_jaxpr(closed, [1, None], AxisData(4))
    assert [a.shape for a in batched.in_avals] == [(3, 4), (3,)]
    assert dims == [1, None]
    x, y = f32(3, 4), f32(3)
    prod, sine = eval_jaxpr(batched.jaxpr, batched.consts, x, y)
    np.testing.assert_allclose(prod, x * y[:, None])
    np.testing.assert_allclose(sine, np.sin(y), rtol=1e-6)


def test_batch_jaxpr_moves_or_broadcasts_outputs_on_request():
    closed = closed_of(lambda x, y: (lax.mul(x, y), lax.sin(y)), f32(3), f32(3))
    batched, dims = batch_jaxpr(closed, [1, None], AxisData(4), dims_out=[0, 0])
    assert dims == [0, 0]
    assert [a.shape for a in batched.out_avals] == [(4, 3), (4, 3)]
    _, dims = batch_jaxpr(closed, [1, None], AxisData(4), dims_out=[any_dim, 0])
    assert dims == [1, 0]


def test_batch_jaxpr_is_cached_per_jaxpr_and_batching():
    closed = closed_of(lax.sin, f32(3))
    first = batch_jaxpr(closed, [0], AxisData(2))
    assert batch_jaxpr(closed, [0], AxisData(2)) is first
    assert batch_jaxpr(closed, [0], AxisData(5)) is not first


def test_batch_jaxpr_handles_collectives_over_the_axis_name():
    with kiln.core.primitives.collectives.extend_axis_env([("i", 3)]):
        closed = closed_of(lambda x: lax.psum(x, "i"), np.float32(1))
    batched, dims = batch_jaxpr(closed, [0], AxisData(3, "i"))
    assert dims == [None]
    (out,) = eval_jaxpr(batched.jaxpr, batched.consts, f32(3))
    assert float(out) == 3.0


def test_batch_jaxpr_defaults_to_the_axis_of_the_running_rule():
    with pytest.raises(RuntimeError, match="only available while a batching rule runs"):
        current_axis()


# -- third-party primitives -------------------------------------------------------------------


def _elementwise_prim(name: str) -> Primitive:
    prim = Primitive(name)
    register_abstract_eval(prim, lambda x: ShapedArray(x.shape, x.dtype, x.weak_type))
    register_impl(prim, lambda x: np.sin(x) * 2)
    return prim


def test_a_registered_batching_rule_is_used_and_sees_the_axis():
    prim = _elementwise_prim("twice_sin_with_rule")
    seen = []

    def rule(args, dims):
        seen.append((dims, current_axis().size))
        return prim.bind(args[0]), dims[0]

    register_batch(prim, rule)
    np.testing.assert_allclose(vmap(prim.bind, in_axes=1)(f32(2, 3)), np.sin(f32(2, 3)).T * 2,
                               rtol=1e-6)
    assert [(list(d), size) for d, size in seen] == [([1], 3)]


def test_a_primitive_with_only_a_decomposition_is_batched_through_it():
    prim = Primitive("twice_sin_decomposed")
    register_decomposition(prim, lambda x: lax.mul(lax.sin(x), 2.0))
    np.testing.assert_allclose(vmap(prim.bind)(f32(3, 2)), np.sin(f32(3, 2)) * 2, rtol=1e-6)
    closed = kiln.make_jaxpr(vmap(prim.bind))(f32(3, 2))
    assert [e.primitive.name for e in closed.jaxpr.eqns] == ["sin", "mul"]


def test_a_primitive_without_a_rule_is_a_clear_error():
    prim = _elementwise_prim("twice_sin_no_rule")
    with pytest.raises(NotImplementedError, match="Batching rule for 'twice_sin_no_rule' not "
                                                  "implemented"):
        vmap(prim.bind)(f32(3))
    # Unbatched, it needs no rule.
    np.testing.assert_allclose(vmap(lambda x, c: prim.bind(c), in_axes=(0, None))(
        f32(3), np.float32(1)), np.full(3, np.sin(1.0) * 2, np.float32), rtol=1e-6)
