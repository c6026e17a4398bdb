"""The collective primitives (psum, pmax, pmin, all_gather, axis_index) and their lax
wrappers: JAX's params and printed jaxprs when an axis environment binds their names, JAX's
NameError when nothing does. (Their batching, by vmap's named axis, is kiln-batching's: see
packages/batching/tests/test_collectives.py.)"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import kiln
from kiln import lax
from kiln.core.primitives import collectives
from kiln.core.primitives.collectives import extend_axis_env


def staged(fun, *args, axis_env=(("i", 3),)):
    with extend_axis_env(axis_env):
        return kiln.make_jaxpr(fun)(*args)


def test_psum_prints_as_jax_does():
    assert str(staged(lambda x: lax.psum(x, "i"), 1.0)) == (
        "{ lambda ; a:f32[]. let\n"
        "    b:f32[] = psum[axes=('i',) axis_index_groups=None] a\n"
        "  in (b,) }")


@pytest.mark.parametrize("fun,name", [(lax.pmax, "pmax"), (lax.pmin, "pmin")])
def test_pmax_pmin_print_as_jax_does(fun, name):
    assert str(staged(lambda x: fun(x, "i"), 1.0)) == (
        "{ lambda ; a:f32[]. let\n"
        f"    b:f32[] = {name}[axes=('i',) axis_index_groups=None] a\n"
        "  in (b,) }")


def test_psum_of_a_pytree_over_several_names_binds_once_per_leaf():
    closed = staged(lambda x: lax.psum((x, lax.mul(2.0, x)), ("i", "j")), 1.0,
                    axis_env=(("i", 3), ("j", 2)))
    assert str(closed) == (
        "{ lambda ; a:f32[]. let\n"
        "    b:f32[] = mul 2.0:f32[] a\n"
        "    c:f32[] = psum[axes=('i', 'j') axis_index_groups=None] a\n"
        "    d:f32[] = psum[axes=('i', 'j') axis_index_groups=None] b\n"
        "  in (c, d) }")


def test_all_gather_params_and_shapes():
    closed = staged(lambda x: lax.all_gather(x, "i"), np.ones(2, np.float32))
    assert str(closed) == (
        "{ lambda ; a:f32[2]. let\n"
        "    b:f32[3,2] = all_gather[\n"
        "      all_gather_dimension=0\n"
        "      axis_index_groups=None\n"
        "      axis_name=('i',)\n"
        "      axis_size=3\n"
        "      tiled=False\n"
        "    ] a\n"
        "  in (b,) }")
    tiled = staged(lambda x: lax.all_gather(x, "i", axis=1, tiled=True),
                   np.ones((2, 2), np.float32))
    assert tiled.out_avals[0].shape == (2, 6)
    assert staged(lambda x: lax.all_gather(x, "i", axis=-1),
                  np.ones((2, 5), np.float32)).out_avals[0].shape == (2, 5, 3)


def test_axis_index_and_axis_size():
    assert str(staged(lambda x: lax.axis_index("i"), 1.0)) == (
        "{ lambda ; a:f32[]. let b:i32[] = axis_index[axis_name=i]  in (b,) }")
    seen = []
    staged(lambda: seen.append(lax.axis_size(("i", "j"))), axis_env=(("i", 3), ("j", 2)))
    assert seen == [6]


def test_pmean_divides_a_psum_by_the_member_count():
    closed = staged(lambda x: lax.pmean(x, "i"), 1.0)
    assert [e.primitive.name for e in closed.jaxpr.eqns] == ["psum", "psum", "div"]
    assert closed.out_avals[0].dtype == np.float32
    ints = staged(lambda x: lax.pmean(x, "i"), np.int32(1))
    assert ints.out_avals[0].dtype == np.float32


def test_the_environment_is_innermost_first_and_scoped():
    with extend_axis_env([("i", 3)]):
        with extend_axis_env([("i", 5), ("j", 2)]):
            assert collectives.axis_env() == {"i": 5, "j": 2}
        assert collectives.axis_env() == {"i": 3}
    assert collectives.axis_env() == {}


# -- unbound names ----------------------------------------------------------------------------


@pytest.mark.parametrize("fun", [lax.psum, lax.pmean, lax.pmax, lax.pmin, lax.all_gather])
def test_an_unbound_name_eagerly_is_jaxs_name_error(fun):
    with pytest.raises(NameError, match="^unbound axis name: i$"):
        fun(np.float32(1), "i")
    with pytest.raises(NameError, match="^unbound axis name: i$"):
        lax.axis_index("i")


@pytest.mark.parametrize("fun,name", [(lax.psum, "psum"), (lax.pmax, "pmax"),
                                      (lax.all_gather, "all_gather")])
def test_an_unbound_name_while_tracing_names_the_fix(fun, name):
    with pytest.raises(NameError, match=f"^Found an unbound axis name: i. To fix this, please "
                                        f"call {name} under a transformation that binds it"):
        kiln.jit(lambda x: fun(x, "i"))(np.float32(1))
    with pytest.raises(NameError, match="Found an unbound axis name: j"):
        staged(lambda x: lax.psum(x, ("i", "j")), 1.0)


def test_binding_the_primitive_directly_checks_the_name_too():
    with pytest.raises(NameError, match="unbound axis name: i"):
        collectives.psum_p.bind(np.float32(1), axes=("i",), axis_index_groups=None)
    with pytest.raises(NameError, match="Found an unbound axis name: k"):
        kiln.make_jaxpr(lambda x: collectives.pmax_p.bind(x, axes=("k",),
                                                          axis_index_groups=None))(1.0)


def test_positional_axes_are_not_supported():
    with pytest.raises(NotImplementedError, match="axis names, not positional axes"):
        lax.psum(np.ones(3, np.float32), 0)


def test_signatures_are_jaxs():
    sig = lambda f: str(inspect.signature(f))  # noqa: E731
    assert sig(lax.psum).startswith("(x: 'Any', axis_name: 'Any', *, axis_index_groups")
    for f in (lax.psum, lax.pmean, lax.pmax, lax.pmin):
        assert list(inspect.signature(f).parameters) == ["x", "axis_name", "axis_index_groups"]
    assert list(inspect.signature(lax.all_gather).parameters) == [
        "x", "axis_name", "axis_index_groups", "axis", "tiled"]
    assert list(inspect.signature(lax.axis_index).parameters) == ["axis_name"]
    assert set(lax.collectives.__all__) == {"psum", "pmean", "pmax", "pmin", "all_gather",
                                            "axis_index", "axis_size"}


def test_under_vmap_the_names_are_bound():
    batching = pytest.importorskip("kiln.batching")
    out = batching.vmap(lambda x: lax.psum(x, "i"), axis_name="i")(np.arange(3, dtype=np.float32))
    np.testing.assert_array_equal(out, np.full(3, 3.0, np.float32))
