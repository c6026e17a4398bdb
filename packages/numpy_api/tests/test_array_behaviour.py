"""kiln arrays and tracers behave like JAX's: operators and methods (installed by kiln.numpy),
immutability and ``.at[]`` updates, Python conversions, out-of-bounds rules, the errors JAX
raises for lists and tuples, and the jaxprs of common functions."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import kiln
import kiln.numpy as jnp
from kiln import lax


def test_importing_kiln_numpy_installs_real_operators() -> None:
    x = kiln.device_put(np.ones(3, np.float32))
    assert not getattr(type(x).__add__, "_kiln_placeholder", False)
    assert (x + x).tolist() == [2.0, 2.0, 2.0]


@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv,
                                operator.floordiv, operator.mod, operator.pow, operator.lt,
                                operator.le, operator.gt, operator.ge, operator.eq,
                                operator.ne])
def test_binary_operators_match_jnp_functions_and_numpy(op: object) -> None:
    a = np.array([[1.5, -2.0, 3.0], [4.0, 0.5, -1.0]], np.float32)
    b = np.array([2.0, -1.5, 0.25], np.float32)
    x = jnp.asarray(a)
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(op(x, b), op(a, b), rtol=1e-6)
        np.testing.assert_allclose(op(b, x), op(b, a), rtol=1e-6)
        np.testing.assert_allclose(op(x, 2), op(a, np.float32(2)), rtol=1e-6)
        np.testing.assert_allclose(op(3, x), op(np.float32(3), a), rtol=1e-6)


@pytest.mark.parametrize("op", [operator.and_, operator.or_, operator.xor, operator.lshift,
                                operator.rshift])
def test_integer_operators(op: object) -> None:
    a = np.array([5, -3, 12, 7], np.int32)
    x = jnp.asarray(a)
    np.testing.assert_array_equal(op(x, 2), op(a, 2))
    np.testing.assert_array_equal(op(x, x[::-1] % 4), op(a, a[::-1] % 4))


def test_unary_operators() -> None:
    a = np.array([1.5, -2.0, 0.0], np.float32)
    x = jnp.asarray(a)
    np.testing.assert_array_equal(-x, -a)
    np.testing.assert_array_equal(+x, a)
    np.testing.assert_array_equal(abs(x), abs(a))
    np.testing.assert_array_equal(~jnp.array([1, 2]), ~np.array([1, 2]))
    np.testing.assert_array_equal(jnp.asarray(a) @ jnp.asarray(a), a @ a)
    q, r = divmod(jnp.array([7, -7]), 3)
    assert q.tolist() == [2, -3] and r.tolist() == [1, 2]


def test_operators_with_lists_and_tuples_raise_type_error() -> None:
    x = jnp.arange(3)
    for other in ([1, 2, 3], (1, 2, 3), "abc", {1}):
        with pytest.raises(TypeError, match="unsupported operand"):
            x + other
        with pytest.raises(TypeError):
            other * x
    assert (x == [1, 2, 3]) is False  # == falls back to identity, as in JAX


@pytest.mark.parametrize("fn", ["sum", "mean", "sin", "sort", "cumsum", "ravel", "argmax"])
def test_functions_reject_lists_with_jax_message(fn: str) -> None:
    with pytest.raises(TypeError, match=rf"{fn} requires ndarray or scalar arguments, got "
                                        r"<class 'list'> at position 0\."):
        getattr(jnp, fn)([1.0, 2.0])


def test_arrays_are_immutable() -> None:
    x = jnp.arange(4)
    with pytest.raises(TypeError, match="do not support in-place item assignment"):
        x[0] = 5
    assert x.tolist() == [0, 1, 2, 3]


def test_at_updates() -> None:
    x = jnp.arange(5.0)
    assert x.at[1].set(10.0).tolist() == [0, 10, 2, 3, 4]
    assert x.at[np.array([0, 0, 4])].add(1.0).tolist() == [2, 1, 2, 3, 5]
    assert x.at[1:3].multiply(3.0).tolist() == [0, 3, 6, 3, 4]
    assert x.at[np.array([1, 1])].mul(2.0).tolist() == [0, 4, 2, 3, 4]
    assert x.at[2].min(1.0).tolist() == [0, 1, 1, 3, 4]
    assert x.at[2].max(7.0).tolist() == [0, 1, 7, 3, 4]
    assert x.at[x > 2].set(0.0).tolist() == [0, 1, 2, 0, 0]
    assert x.at[::2].apply(lambda v: v * 10).tolist() == [0, 1, 20, 3, 40]
    assert x.at[-1].get() == 4.0
    assert x.tolist() == [0, 1, 2, 3, 4]


def test_out_of_bounds_rules() -> None:
    x = jnp.arange(5.0)
    # reads clamp
    assert x[10] == 4.0 and x[-10] == 0.0
    assert x[np.array([7, -9])].tolist() == [4.0, 0.0]
    # fill mode
    assert np.isnan(x.at[np.array([7])].get(mode="fill")).all()
    assert x.at[np.array([7, 1])].get(mode="fill", fill_value=-1.0).tolist() == [-1.0, 1.0]
    assert jnp.arange(3).at[5].get(mode="fill").tolist() == np.iinfo(np.int32).min
    # updates drop by default, clamp with mode='clip'
    assert x.at[9].set(7.0).tolist() == [0, 1, 2, 3, 4]
    assert x.at[9].set(7.0, mode="clip").tolist() == [0, 1, 2, 3, 7]
    # take fills by default
    assert np.isnan(jnp.take(x, np.array([9]))).all()


def test_python_conversions() -> None:
    x = jnp.array([1.5, 2.5])
    assert float(x[0]) == 1.5 and int(jnp.array(3)) == 3 and complex(x[1]) == 2.5 + 0j
    assert bool(jnp.array(True)) and not bool(jnp.array(0.0))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(x)
    assert x.item(1) == 2.5 and x.tolist() == [1.5, 2.5]
    assert len(x) == 2 and [float(e) for e in x] == [1.5, 2.5]
    assert 2.5 in x and 3.0 not in x
    assert operator.index(jnp.array(3)) == 3
    assert round(jnp.float32(2.7)) == 3 and round(jnp.float32(2.77), 1).dtype == np.float32
    with pytest.raises(TypeError, match="len\\(\\) of unsized object"):
        len(jnp.array(1.0))
    with pytest.raises(TypeError):
        hash(x)


def test_methods_and_properties() -> None:
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = jnp.asarray(a)
    assert x.T.shape == (3, 2) and x.mT.shape == (3, 2)
    assert x.reshape(3, 2).shape == (3, 2) and x.reshape((6,)).shape == (6,)
    assert x.transpose(1, 0).shape == (3, 2) and x.transpose((1, 0)).shape == (3, 2)
    assert x.sum() == 15.0 and x.sum(axis=0).tolist() == [3, 5, 7]
    assert x.mean() == 2.5 and x.max() == 5 and x.argmin() == 0
    assert x.astype(jnp.int32).dtype == np.int32
    assert x.flatten().shape == (6,) and x.ravel().shape == (6,)
    assert x.clip(1, 3).tolist() == [[1, 1, 2], [3, 3, 3]]
    assert x.round().dtype == np.float32
    assert x.real.tolist() == a.tolist() and x.imag.tolist() == np.zeros_like(a).tolist()
    assert x.view(jnp.int32).dtype == np.int32
    assert x.take(np.array([0, 5])).tolist() == [0, 5]
    assert x.dot(x.T).shape == (2, 2) and x.trace() == 4
    assert x.cumsum().tolist() == np.cumsum(a).tolist()
    assert x.at is not None and x.nbytes == 24 and x.itemsize == 4


def test_tracers_get_operators_and_methods() -> None:
    def f(x: object) -> object:
        y = (x * 2 + 1).sum(axis=0)
        return y.at[0].set(y[1]) / x.shape[0], x.T @ x, -x[::-1, None]

    a = np.arange(6, dtype=np.float32).reshape(3, 2)
    eager = f(jnp.asarray(a))
    jitted = kiln.jit(f)(a)
    for e, j in zip(eager, jitted):
        np.testing.assert_array_equal(e, j)


def test_tracer_bool_conversion_raises() -> None:
    def f(x: object) -> object:
        return jnp.where(x > 0, x, 0) if bool(x.sum() > 0) else x

    with pytest.raises(kiln.errors.TracerBoolConversionError):
        kiln.jit(f)(np.ones(3, np.float32))


def test_boolean_mask_needs_concrete_values() -> None:
    x = jnp.arange(4.0)
    assert x[x > 1].tolist() == [2.0, 3.0]
    with pytest.raises(IndexError):
        kiln.jit(lambda v: v[v > 1])(x)


def test_nonzero_needs_size_under_jit() -> None:
    x = jnp.array([0, 3, 0, 4])
    out = kiln.jit(lambda v: jnp.nonzero(v, size=3, fill_value=-1))(x)
    assert out[0].tolist() == [1, 3, -1]
    with pytest.raises(kiln.errors.ConcretizationTypeError):
        kiln.jit(jnp.nonzero)(x)


def _eqn_names(fn: object, *args: object) -> list[str]:
    return [e.primitive.name for e in kiln.make_jaxpr(fn)(*args).jaxpr.eqns]


def test_jaxprs_of_common_functions_match_jax() -> None:
    f32 = np.ones((2, 3), np.float32)
    assert _eqn_names(jnp.sum, f32) == ["reduce_sum"]
    assert _eqn_names(lambda x: jnp.sum(x, axis=1), np.ones((2, 3), np.float16)) == [
        "convert_element_type", "reduce_sum", "convert_element_type"]
    assert _eqn_names(lambda x: jnp.max(x, axis=1, keepdims=True), f32) == [
        "reduce_max", "broadcast_in_dim"]
    assert _eqn_names(lambda x: jnp.mean(x, axis=0), f32) == ["reduce_sum", "div"]
    assert _eqn_names(lambda x: x + 2.0, f32) == ["add"]
    assert _eqn_names(lambda x, y: x + y, np.ones(3, np.float32), f32[:, :1]) == [
        "broadcast_in_dim", "add"]
    assert _eqn_names(lambda x, y: x * y, np.ones(3, np.float32), np.ones(3, np.int32)) == [
        "convert_element_type", "mul"]
    assert _eqn_names(lambda x: x[1], f32) == ["slice", "squeeze"]
    assert _eqn_names(lambda x: x.T, f32) == ["transpose"]
    assert _eqn_names(jnp.dot, f32, f32.T) == ["dot_general"]
    assert _eqn_names(lambda x: jnp.stack([x, x]), f32) == ["stack"]
    assert _eqn_names(lambda x: jnp.argmax(x, axis=0), f32) == ["argmax"]
    assert _eqn_names(jnp.exp, np.ones(3, np.int32)) == ["convert_element_type", "exp"]
    jaxpr = str(kiln.make_jaxpr(lambda x: x * 2 + 1.0)(np.ones(3, np.float32)))
    assert "mul a 2.0:f32[]" in jaxpr and "add b 1.0:f32[]" in jaxpr


def test_rank_promotion_config() -> None:
    x, y = jnp.ones(3), jnp.ones((2, 3))
    assert (x + y).shape == (2, 3)
    with kiln.numpy_rank_promotion("raise"):
        with pytest.raises(ValueError, match="jax_numpy_rank_promotion='raise'"):
            x + y
        assert (y + 1.0).shape == (2, 3)  # scalars are not rank promotion


def test_lax_still_refuses_mixed_dtypes() -> None:
    with pytest.raises(TypeError, match="lax.add requires arguments to have the same dtypes"):
        lax.add(jnp.ones(2), jnp.ones(2, jnp.int32))


def test_scalar_types() -> None:
    assert jnp.float32(3).dtype == np.float32 and jnp.float32(3).shape == ()
    assert jnp.int32(2.7) == 2
    assert np.dtype(jnp.bfloat16).name == "bfloat16"
    assert jnp.float32 == np.float32 and jnp.dtype(jnp.int8) == np.int8
    assert isinstance(np.float32(1), jnp.float32)
    assert jnp.issubdtype(jnp.bfloat16, jnp.floating)
    assert jnp.zeros(2, jnp.float16).dtype == np.float16
    assert jnp.bool_(1).dtype == np.bool_ and jnp.int_ == np.int64
    assert jnp.ndarray is kiln.Array and isinstance(jnp.ones(2), jnp.ndarray)


def test_constants() -> None:
    assert jnp.pi == np.pi and jnp.e == np.e and np.isinf(jnp.inf) and np.isnan(jnp.nan)
    assert jnp.newaxis is None and jnp.euler_gamma == np.euler_gamma
