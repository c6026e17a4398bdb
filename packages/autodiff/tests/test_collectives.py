"""Derivatives through the collectives of a named vmap axis (psum, all_gather, pmax, pmin),
against the same computations written with array reductions."""

from __future__ import annotations

import numpy as np

import kiln
from kiln import lax

X = np.array([[0.1, 0.5], [0.9, -0.3], [0.4, 0.2]], np.float32)


def per_member_and_whole(member_fn, whole_fn):
    """The gradient of sum(vmap(member_fn)(x)) and of whole_fn(x), which should agree."""
    mapped = kiln.vmap(member_fn, axis_name="i")
    g = kiln.grad(lambda x: lax.reduce_sum(mapped(x), (0, 1)))(X)
    expected = kiln.grad(whole_fn)(X)
    return np.asarray(g), np.asarray(expected)


def test_grad_through_psum():
    def member(x):
        return lax.mul(lax.sin(x), lax.psum(x, "i"))

    def whole(x):
        total = lax.reduce_sum(x, (0,))
        return lax.reduce_sum(lax.mul(lax.sin(x), lax.broadcast_in_dim(total, (3, 2), (1,))),
                              (0, 1))

    g, expected = per_member_and_whole(member, whole)
    np.testing.assert_allclose(g, expected, rtol=1e-6)


def test_grad_through_all_gather():
    def member(x):
        gathered = lax.all_gather(x, "i")  # (3, 2): every member sees all rows
        return lax.mul(x, lax.reduce_sum(lax.mul(gathered, gathered), (0,)))

    def whole(x):
        squares = lax.reduce_sum(lax.mul(x, x), (0,))
        return lax.reduce_sum(lax.mul(x, lax.broadcast_in_dim(squares, (3, 2), (1,))), (0, 1))

    g, expected = per_member_and_whole(member, whole)
    np.testing.assert_allclose(g, expected, rtol=1e-6)


def test_grad_through_pmax_and_pmin():
    def member(x):
        return lax.add(lax.pmax(x, "i"), lax.mul(2.0, lax.pmin(x, "i")))

    def whole(x):
        big = lax.broadcast_in_dim(lax.reduce_max(x, (0,)), (3, 2), (1,))
        small = lax.broadcast_in_dim(lax.reduce_min(x, (0,)), (3, 2), (1,))
        return lax.reduce_sum(lax.add(big, lax.mul(2.0, small)), (0, 1))

    g, expected = per_member_and_whole(member, whole)
    np.testing.assert_allclose(g, expected, rtol=1e-6)


def test_jvp_through_psum_under_vmap():
    t = np.ones_like(X)
    _, tangent = kiln.jvp(kiln.vmap(lambda x: lax.psum(lax.mul(x, x), "i"), axis_name="i"),
                          (X,), (t,))
    np.testing.assert_allclose(tangent, np.broadcast_to((2 * X).sum(0), X.shape), rtol=1e-6)
