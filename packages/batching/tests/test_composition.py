"""vmap composed with itself, with jit and make_jaxpr, and (when kiln-autodiff is installed)
with grad: nested vmaps, vmap of jit (the call stays one jit equation), jit of vmap."""

from __future__ import annotations

import numpy as np
import pytest

import kiln
from kiln import lax
from kiln.batching import vmap


def f32(*shape: int) -> np.ndarray:
    return (np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape) - 2) / 3


def primitive_names(closed) -> list[str]:
    return [eqn.primitive.name for eqn in closed.jaxpr.eqns]


def test_nested_vmap_matches_numpy():
    x, y = f32(2, 3, 4), f32(3, 4)
    fun = lambda a, b: lax.mul(lax.sin(a), b)  # noqa: E731
    got = vmap(vmap(fun, in_axes=(0, 0)), in_axes=(0, None))(x, y)
    np.testing.assert_allclose(got, np.sin(x) * y[None], rtol=1e-6)


def test_nested_vmap_with_in_axes_on_the_inner_members():
    x = f32(2, 3, 4)
    got = vmap(vmap(lambda v: lax.reduce_sum(v, (0,)), in_axes=1), in_axes=2)(x)
    # outer maps axis 2 (size 4); inner maps axis 1 of the (2, 3) member; sum over axis 0
    np.testing.assert_allclose(got, x.sum(0).T, rtol=1e-6)


def test_triply_nested_vmap_of_dot_general():
    a, b = f32(2, 3, 4, 5), f32(2, 3, 5, 6)
    mm = lambda x, y: lax.dot_general(x, y, (((1,), (0,)), ((), ())))  # noqa: E731
    got = vmap(vmap(vmap(mm)))(a[:, :, None], b[:, :, None])
    want = np.einsum("abij,abjk->abik", a, b)
    np.testing.assert_allclose(np.asarray(got)[:, :, 0], want, rtol=1e-5)


def test_vmap_of_jit_batches_the_call_without_inlining_it():
    f = kiln.jit(lambda x: lax.mul(lax.sin(x), x))
    closed = kiln.make_jaxpr(vmap(f))(f32(5, 3))
    assert primitive_names(closed) == ["jit"]
    body = closed.jaxpr.eqns[0].params["jaxpr"]
    assert [a.shape for a in body.in_avals] == [(5, 3)]
    assert primitive_names(body) == ["sin", "mul"]
    np.testing.assert_allclose(vmap(f)(f32(5, 3)), np.sin(f32(5, 3)) * f32(5, 3), rtol=1e-6)


def test_vmap_of_jit_with_unbatched_and_closed_over_values():
    w = f32(3)
    f = kiln.jit(lambda x, c: lax.add(lax.mul(x, w), c))
    got = vmap(f, in_axes=(1, None))(f32(3, 4), np.float32(2))
    np.testing.assert_allclose(got, (f32(3, 4) * w[:, None]).T + 2, rtol=1e-6)


def test_jit_closing_over_a_batched_value_inside_vmap():
    def fun(x):
        return kiln.jit(lambda y: lax.mul(x, y))(np.float32(3))

    np.testing.assert_allclose(vmap(fun)(f32(4)), f32(4) * 3, rtol=1e-6)


def test_jit_of_vmap():
    fun = jit_of_vmap = kiln.jit(vmap(lambda x, y: lax.dot_general(
        x, y, (((0,), (0,)), ((), ()))), in_axes=(1, None)))
    got = jit_of_vmap(f32(3, 5), f32(3))
    np.testing.assert_allclose(got, f32(3, 5).T @ f32(3), rtol=1e-5)
    assert fun(f32(3, 5), f32(3)).shape == (5,)


def test_vmap_of_jit_of_vmap():
    inner = kiln.jit(vmap(lambda x: lax.reduce_max(x, (0,))))
    got = vmap(inner, in_axes=2)(f32(2, 3, 4))
    np.testing.assert_allclose(got, f32(2, 3, 4).max(axis=1).T, rtol=1e-6)


def test_make_jaxpr_of_vmap_stages_the_batched_primitives():
    closed = kiln.make_jaxpr(vmap(lambda x, y: lax.add(lax.sin(x), y), in_axes=(1, None)))(
        f32(2, 5), f32(2))
    text = str(closed)
    assert "sin" in text and "add" in text
    assert closed.out_avals[0].shape == (5, 2)


def test_batch_dimension_is_kept_where_the_primitive_allows_it():
    # Elementwise ops on operands batched alike, and dot_general (batch folded into its
    # batch dimensions), need no transposes; the only move is vmap's final one to out_axes.
    closed = kiln.make_jaxpr(vmap(lambda x, y: lax.mul(lax.sin(x), y), in_axes=1,
                                  out_axes=1))(f32(3, 4), f32(3, 4))
    assert primitive_names(closed) == ["sin", "mul"]
    closed = kiln.make_jaxpr(vmap(lambda x, y: lax.dot_general(
        x, y, (((1,), (0,)), ((), ()))), in_axes=(2, 1)))(f32(2, 3, 5), f32(3, 5, 4))
    assert primitive_names(closed) == ["dot_general"]
    (lc, rc), (lb, rb) = closed.jaxpr.eqns[0].params["dimension_numbers"]
    assert (lb, rb) == ((2,), (1,))


# -- with autodiff --------------------------------------------------------------------------


def loss(w, x):
    h = lax.dot_general(x, w, (((0,), (0,)), ((), ())))
    return lax.reduce_sum(lax.mul(lax.sin(h), h), (0,))


def test_vmap_of_grad_gives_per_example_gradients():
    autodiff = pytest.importorskip("kiln.autodiff")
    w, xs = f32(3, 4), f32(5, 3)
    got = vmap(autodiff.grad(loss), in_axes=(None, 0))(w, xs)
    want = np.stack([np.asarray(autodiff.grad(loss)(w, x)) for x in xs])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    jitted = kiln.jit(vmap(autodiff.grad(loss), in_axes=(None, 0)))(w, xs)
    np.testing.assert_allclose(jitted, want, rtol=1e-5, atol=1e-6)


def test_grad_of_vmap():
    autodiff = pytest.importorskip("kiln.autodiff")
    w, xs = f32(3, 4), f32(5, 3)
    total = lambda w: lax.reduce_sum(vmap(loss, in_axes=(None, 0))(w, xs), (0,))  # noqa: E731
    got = autodiff.grad(total)(w)
    want = sum(np.asarray(autodiff.grad(loss)(w, x)) for x in xs)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_jacobians_use_vmap():
    autodiff = pytest.importorskip("kiln.autodiff")
    x = f32(3)
    for jac in (autodiff.jacfwd, autodiff.jacrev):
        np.testing.assert_allclose(jac(lax.sin)(x), np.diag(np.cos(x)), rtol=1e-6, atol=1e-7)
