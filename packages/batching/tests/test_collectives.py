"""Collectives over vmap's named axis: psum, pmean, pmax, pmin, all_gather, axis_index, by
name, over nested and several names, on pytrees, inside jit, against NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import kiln
from kiln import lax
from kiln.batching import vmap


def f32(*shape: int) -> np.ndarray:
    return (np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape) * 7 % 11) - 4


REDUCTIONS = [(lax.psum, np.sum), (lax.pmax, np.max), (lax.pmin, np.min), (lax.pmean, np.mean)]


@pytest.mark.parametrize("collective,reference", REDUCTIONS)
@pytest.mark.parametrize("in_axes", [0, 1, -1])
def test_reductions_over_the_mapped_axis(collective, reference, in_axes):
    x = f32(3, 4)
    got = vmap(lambda v: collective(v, "i"), in_axes=in_axes, axis_name="i")(x)
    want = reference(x, axis=in_axes, keepdims=True)
    np.testing.assert_allclose(got, np.broadcast_to(np.moveaxis(want, in_axes, 0),
                                                    got.shape), rtol=1e-6)


@pytest.mark.parametrize("collective,reference", REDUCTIONS)
def test_reductions_of_unbatched_values(collective, reference):
    got = vmap(lambda v, c: collective(c, "i"), in_axes=(0, None), axis_name="i")(
        f32(4), np.float32(2.5))
    np.testing.assert_allclose(got, np.full(4, reference(np.full(4, 2.5)), np.float32))


def test_psum_result_is_unbatched():
    # Every member gets the same sum, so out_axes=None is allowed (as in JAX).
    assert float(vmap(lambda v: lax.psum(v, "i"), axis_name="i", out_axes=None)(f32(3))) == \
        float(f32(3).sum())


def test_psum_of_a_pytree_and_of_integers():
    tree = {"a": f32(3), "b": (np.arange(3, dtype=np.int32),)}
    out = vmap(lambda t: lax.psum(t, "i"), axis_name="i")(tree)
    np.testing.assert_allclose(out["a"], np.full(3, f32(3).sum()))
    np.testing.assert_array_equal(out["b"][0], np.full(3, 3, np.int32))
    mean = vmap(lambda v: lax.pmean(v, "i"), axis_name="i")(np.arange(4, dtype=np.int32))
    np.testing.assert_allclose(mean, np.full(4, 1.5, np.float32))


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("tiled", [False, True])
def test_all_gather(axis, tiled):
    x = f32(3, 2, 4)  # 3 members of shape (2, 4)
    got = vmap(lambda v: lax.all_gather(v, "i", axis=axis, tiled=tiled), axis_name="i")(x)
    rank = 2 if tiled else 3
    a = axis % rank
    want = np.concatenate(list(x), axis=a) if tiled else np.stack(list(x), axis=a)
    np.testing.assert_array_equal(got, np.broadcast_to(want, (3,) + want.shape))


def test_all_gather_of_an_unbatched_value():
    got = vmap(lambda v, c: lax.all_gather(c, "i"), in_axes=(0, None), axis_name="i")(
        f32(3), f32(2))
    np.testing.assert_array_equal(got, np.broadcast_to(f32(2), (3, 3, 2)))


def test_axis_index():
    got = vmap(lambda v: lax.add(lax.axis_index("i"), 0), axis_name="i")(f32(5))
    np.testing.assert_array_equal(got, np.arange(5, dtype=np.int32))
    assert vmap(lambda v: np.float32(lax.axis_size("i")), axis_name="i")(f32(5)).tolist() == \
        [5.0] * 5


def test_nested_vmaps_with_two_names():
    x = f32(2, 3)
    inner = vmap(lambda v: (lax.psum(v, "i"), lax.psum(v, "j"), lax.psum(v, ("i", "j")),
                            lax.axis_index(("i", "j"))), axis_name="j")
    over_i, over_j, both, index = vmap(inner, axis_name="i")(x)
    np.testing.assert_allclose(over_i, np.broadcast_to(x.sum(0, keepdims=True), x.shape))
    np.testing.assert_allclose(over_j, np.broadcast_to(x.sum(1, keepdims=True), x.shape))
    np.testing.assert_allclose(both, np.full(x.shape, x.sum()))
    np.testing.assert_array_equal(index, np.arange(6, dtype=np.int32).reshape(2, 3))


def test_inner_binding_of_a_name_shadows_the_outer_one():
    got = vmap(vmap(lambda v: lax.psum(v, "i"), axis_name="i"), axis_name="i")(f32(2, 3))
    np.testing.assert_allclose(got, np.broadcast_to(f32(2, 3).sum(1, keepdims=True), (2, 3)))


def test_collectives_inside_jit_inside_vmap():
    f = kiln.jit(lambda v: lax.sub(v, lax.pmean(v, "i")))
    x = f32(4)
    np.testing.assert_allclose(vmap(f, axis_name="i")(x), x - x.mean(), rtol=1e-6)
    # The jitted function is reused for another axis size: the mean follows it.
    np.testing.assert_allclose(vmap(f, axis_name="i")(f32(6)), f32(6) - f32(6).mean(),
                               rtol=1e-6)
    g = kiln.jit(lambda: lax.axis_index("i"))
    np.testing.assert_array_equal(vmap(lambda v: g(), axis_name="i")(x), np.arange(4))


def test_collective_over_an_outer_name_inside_an_inner_vmap():
    got = vmap(lambda row: vmap(lambda v: lax.pmax(v, "rows"))(row), axis_name="rows")(
        f32(3, 4))
    np.testing.assert_allclose(got, np.broadcast_to(f32(3, 4).max(0), (3, 4)))


def test_jaxpr_of_psum_under_vmap_is_a_reduction():
    closed = kiln.make_jaxpr(vmap(lambda v: lax.psum(v, "i"), axis_name="i"))(f32(3))
    assert [e.primitive.name for e in closed.jaxpr.eqns] == ["reduce_sum", "broadcast_in_dim"]


@pytest.mark.parametrize("collective", [lax.psum, lax.pmax, lax.pmin, lax.pmean,
                                        lax.all_gather])
def test_an_unbound_name_inside_vmap_is_a_name_error(collective):
    with pytest.raises(NameError, match="unbound axis name: j"):
        vmap(lambda v: collective(v, "j"), axis_name="i")(f32(3))


def test_an_unnamed_vmap_binds_no_name():
    with pytest.raises(NameError, match="unbound axis name: i"):
        vmap(lambda v: lax.psum(v, "i"))(f32(3))


def test_axis_index_groups_are_not_supported_under_vmap():
    with pytest.raises(NotImplementedError, match="axis_index_groups not supported in vmap"):
        vmap(lambda v: lax.psum(v, "i", axis_index_groups=[[0, 1], [2, 3]]),
             axis_name="i")(f32(4))
