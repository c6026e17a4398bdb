"""vmap's interface: in_axes and out_axes in every form JAX accepts, kwargs, axis_size, and
JAX's errors (with JAX's messages) for the forms it rejects."""

from __future__ import annotations

import re

import numpy as np
import pytest

import kiln
from kiln import lax
from kiln.batching import BatchTracer, vmap
from kiln.errors import UnexpectedTracerError


def f32(*shape: int) -> np.ndarray:
    return np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)


def ones(*shape: int) -> np.ndarray:
    return np.ones(shape, np.float32)


def loop(fun, *args, in_axes):
    """vmap's reference: a Python loop over the mapped axis, stacked at axis 0."""
    n = next(np.shape(a)[ax] for a, ax in zip(args, in_axes) if ax is not None)
    outs = [fun(*[a if ax is None else np.take(a, i, axis=ax) for a, ax in zip(args, in_axes)])
            for i in range(n)]
    return np.stack([np.asarray(o) for o in outs])


# -- in_axes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("in_axes", [(0, 0), (1, 0), (0, None), (None, 1), (-1, 1), (-2, -1)])
def test_in_axes_per_argument(in_axes):
    x = f32(4, 4) if in_axes[0] is not None else f32(4)
    y = f32(4, 4) + 10 if in_axes[1] is not None else f32(4) + 10
    fun = lambda a, b: lax.mul(lax.sin(a), b)  # noqa: E731
    got = vmap(fun, in_axes=in_axes)(x, y)
    np.testing.assert_allclose(got, loop(fun, x, y, in_axes=in_axes), rtol=1e-6)


def test_single_int_in_axes_applies_to_every_argument():
    x, y = f32(2, 3), f32(2, 3)
    got = vmap(lax.add, in_axes=1)(x, y)
    np.testing.assert_array_equal(got, (x + y).T)


def test_list_in_axes_is_accepted_as_a_tuple():
    np.testing.assert_array_equal(vmap(lax.neg, in_axes=[1])(f32(2, 3)), -f32(2, 3).T)


def test_pytree_prefix_in_axes_with_dicts_and_none():
    params = {"w": f32(3), "b": np.float32(1)}
    xs = f32(5, 3)
    fun = lambda p, x: lax.add(lax.mul(p["w"], x), p["b"])  # noqa: E731
    got = vmap(fun, in_axes=({"w": None, "b": None}, 0))(params, xs)
    np.testing.assert_array_equal(got, params["w"] * xs + 1)
    got = vmap(fun, in_axes=(None, 0))(params, xs)
    np.testing.assert_array_equal(got, params["w"] * xs + 1)
    ws = f32(5, 3)
    got = vmap(fun, in_axes=({"w": 0, "b": None}, 0))({"w": ws, "b": np.float32(1)}, xs)
    np.testing.assert_array_equal(got, ws * xs + 1)


def test_nested_tuple_in_axes():
    x, (y, z) = f32(2, 3), (f32(3), f32(2, 3))
    got = vmap(lambda a, b: lax.add(lax.add(a, b[0]), b[1]), in_axes=(1, (0, 1)))(x, (y, z))
    np.testing.assert_array_equal(got, x.T + y[:, None] + z.T)


def test_keyword_arguments_are_mapped_over_axis_0():
    got = vmap(lambda x, *, y: lax.sub(x, y), in_axes=(1,))(f32(3, 2), y=f32(2, 3))
    np.testing.assert_array_equal(got, f32(3, 2).T - f32(2, 3))


def test_axis_size_for_a_function_with_no_mapped_inputs():
    out = vmap(lambda x: lax.mul(x, 2.0), in_axes=None, axis_size=3)(np.float32(1.5))
    np.testing.assert_array_equal(out, np.full(3, 3.0, np.float32))
    out = vmap(lambda: np.float32(7), axis_size=2)()
    np.testing.assert_array_equal(out, np.full(2, 7, np.float32))


def test_axis_size_must_agree_with_the_mapped_sizes():
    with pytest.raises(ValueError, match=re.escape(
            "vmap got inconsistent sizes for array axes to be mapped:\n"
            "  * the `axis_size` argument was 3;\n"
            "  * one axis had size 2: axis 0 of argument x of type float32[2]")):
        vmap(lambda x: x, axis_size=3)(ones(2))


# -- out_axes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("out_axes", [0, 1, 2, -1, -3])
def test_out_axes_moves_the_mapped_axis(out_axes):
    x = f32(4, 2, 3)
    got = vmap(lax.sin, out_axes=out_axes)(x)
    np.testing.assert_allclose(got, np.moveaxis(np.sin(x), 0, out_axes), rtol=1e-6)


def test_out_axes_none_for_unbatched_outputs_and_broadcast_for_ints():
    x = f32(3)
    a, b = vmap(lambda v: (v, 2.0), out_axes=(0, None))(x)
    assert b == 2.0
    np.testing.assert_array_equal(a, x)
    a, b = vmap(lambda v: (v, 2.0), out_axes=0)(x)
    np.testing.assert_array_equal(b, np.full(3, 2.0, np.float32))
    assert b.weak_type
    out = vmap(lambda v: {"a": v, "b": v}, out_axes={"a": 1, "b": 0})(f32(3, 2))
    np.testing.assert_array_equal(out["a"], f32(3, 2).T)
    np.testing.assert_array_equal(out["b"], f32(3, 2))


def test_outputs_that_are_not_arrays():
    assert vmap(lambda x: None)(ones(3)) is None
    np.testing.assert_array_equal(vmap(lambda x: 3)(ones(3)), np.full(3, 3, np.int32))
    with pytest.raises(TypeError, match=re.escape(
            "Output from batched function 'a' with type <class 'str'> is not a valid JAX "
            "type")):
        vmap(lambda x: "a")(ones(3))


def test_numpy_inputs_come_back_as_kiln_arrays():
    assert isinstance(vmap(lambda x: x)(ones(3)), kiln.Array)


# -- errors: JAX's types and messages ---------------------------------------------------------


def test_inconsistent_sizes():
    with pytest.raises(ValueError) as e:
        vmap(lambda x, y: lax.add(x, y))(ones(2), ones(3))
    assert str(e.value) == (
        "vmap got inconsistent sizes for array axes to be mapped:\n"
        "  * one axis had size 2: axis 0 of argument x of type float32[2];\n"
        "  * one axis had size 3: axis 0 of argument y of type float32[3]")


def test_inconsistent_sizes_name_pytree_paths_and_kwargs():
    with pytest.raises(ValueError, match=re.escape(
            "  * one axis had size 3: axis 0 of argument y['a'] of type float32[3]")):
        vmap(lambda x, y: x)(ones(2), {"a": ones(3)})
    with pytest.raises(ValueError, match=re.escape(
            "  * one axis had size 3: axis 0 of kwargs['y'] of type float32[3]")):
        vmap(lambda x, y: x)(ones(2), y=ones(3))
    with pytest.raises(ValueError, match=re.escape(
            "  * most axes (2 of them) had size 2, e.g. axis 0 of argument x of type "
            "float32[2];\n  * one axis had size 3: axis 1 of argument z")):
        vmap(lambda x, y, z: x, in_axes=(0, 0, 1))(ones(2), ones(2), ones(1, 3))


@pytest.mark.parametrize("in_axes,shape,rank", [(1, (2,), 2), (-2, (2,), 2), (0, (), 1)])
def test_axis_out_of_range_for_an_input(in_axes, shape, rank):
    message = (f"vmap was requested to map its argument along axis {in_axes}, which implies "
               f"that its rank should be at least {rank}, but is only {len(shape)} (its shape "
               f"is {shape})")
    with pytest.raises(ValueError, match=re.escape(message)):
        vmap(lambda x: x, in_axes=in_axes)(np.ones(shape, np.float32))


@pytest.mark.parametrize("out_axes,rank", [(2, 2), (-3, 2)])
def test_axis_out_of_range_for_an_output(out_axes, rank):
    with pytest.raises(ValueError, match=re.escape(
            f"axis {out_axes} is out of bounds for array of dimension {rank}")):
        vmap(lambda x: x, out_axes=out_axes)(ones(3, 2))


def test_in_axes_tuple_of_the_wrong_length():
    with pytest.raises(ValueError, match=re.escape(
            "vmap in_axes must be an int, None, or a tuple of entries corresponding to the "
            "positional arguments passed to the function, but got len(in_axes)=2, "
            "len(args)=1")):
        vmap(lambda x: x, in_axes=(0, 0))(ones(2))


def test_in_axes_that_is_not_a_prefix_of_the_arguments():
    with pytest.raises(ValueError) as e:
        vmap(lambda x: x, in_axes=({"a": 0},))({"b": ones(2)})
    text = str(e.value)
    assert text.startswith(
        "vmap in_axes specification must be a tree prefix of the corresponding value; \n"
        "  Mismatch details (1 found):\n"
        "  pytree structure error: different pytree metadata at key path\n"
        "    vmap in_axes[0]\n")
    with pytest.raises(ValueError, match=re.escape(
            "pytree structure error: different lengths of tuple at key path\n"
            "    vmap in_axes[1]\n")):
        vmap(lambda x, y: x, in_axes=(0, (0, None)))(ones(3), (ones(2),))
    with pytest.raises(ValueError, match=re.escape(
            "pytree structure error: different types at key path\n    vmap in_axes[1]")):
        vmap(lambda x, y: x, in_axes=(0, (0, None)))(ones(3), 2)


def test_out_axes_that_is_not_a_prefix_of_the_outputs():
    with pytest.raises(ValueError, match=re.escape(
            "vmap out_axes specification must be a tree prefix of the corresponding value; \n"
            "  Mismatch details (1 found):\n"
            "  pytree structure error: different types at key path\n"
            "    vmap out_axes\n")):
        vmap(lambda x: x, out_axes=(0, 0))(ones(2))


def test_out_axes_none_for_a_batched_output():
    with pytest.raises(ValueError, match=re.escape(
            "at vmap out_axes, got axis spec None but output was batched on axis 0")):
        vmap(lambda x: x, out_axes=None)(ones(2))
    with pytest.raises(ValueError, match=re.escape(
            "at vmap out_axes['b'], got axis spec None but output was batched on axis 0")):
        vmap(lambda x: {"a": x, "b": x}, out_axes={"a": 1, "b": None})(ones(3, 2))


def test_no_mapped_inputs_and_no_axis_size():
    with pytest.raises(ValueError, match=re.escape(
            "vmap must have at least one non-None value in in_axes or axis_size must be "
            "specified")):
        vmap(lambda x: x, in_axes=None)(ones(2))
    with pytest.raises(ValueError, match=re.escape(
            "vmap wrapped function must be passed at least one argument containing an array "
            "or axis_size must be specified, got empty *args=(None,) and **kwargs={}")):
        vmap(lambda x: x)(None)


@pytest.mark.parametrize("in_axes", [0.5, "a", {"a": 0}])
def test_in_axes_of_the_wrong_type(in_axes):
    with pytest.raises(TypeError, match=re.escape(
            "vmap in_axes must be an int, None, or a tuple of entries corresponding to the "
            f"positional arguments passed to the function, but got {in_axes}.")):
        vmap(lambda x: x, in_axes=in_axes)


def test_in_axes_leaves_and_out_axes_of_the_wrong_type():
    with pytest.raises(TypeError, match="vmap in_axes must be an int, None, or \\(nested\\)"):
        vmap(lambda x: x, in_axes=(0.5,))
    with pytest.raises(TypeError, match="vmap out_axes must be an int, None, or \\(nested\\)"):
        vmap(lambda x: x, out_axes="a")


def test_mapping_over_a_non_array():
    with pytest.raises(TypeError, match=re.escape(
            "Argument 'a' of type <class 'str'> is not a valid JAX type")):
        vmap(lambda x: x)("a")


def test_not_callable():
    with pytest.raises(TypeError, match="Expected a callable value, got 3"):
        vmap(3)


# -- tracers --------------------------------------------------------------------------------


def test_tracer_repr_and_aval():
    seen = []

    def fun(x):
        seen.append((repr(x), x.shape, x.dtype, type(x)))
        return x

    vmap(fun, in_axes=1)(ones(2, 3))
    assert seen == [("VmapTracer(aval=float32[2], batched=float32[2,3])", (2,), np.float32,
                     BatchTracer)]


def test_a_leaked_tracer_raises_unexpected_tracer_error():
    leaked = []
    vmap(lambda x: leaked.append(x) or x)(ones(3))
    with pytest.raises(UnexpectedTracerError, match="BatchTracer"):
        lax.sin(leaked[0])
    with pytest.raises(UnexpectedTracerError):
        kiln.jit(lambda y: lax.add(y, leaked[0]))(np.float32(1))


def test_python_control_flow_on_a_batched_value_is_an_error():
    with pytest.raises(kiln.errors.TracerBoolConversionError):
        vmap(lambda x: bool(x))(ones(3))


def test_unbatched_values_stay_concrete_inside_vmap():
    # Computations on unmapped arguments are not batched, and Python may look at them.
    def fun(x, n):
        return lax.mul(x, np.float32(1.0)) if float(n) > 0 else x

    np.testing.assert_array_equal(vmap(fun, in_axes=(0, None))(ones(3), np.float32(2)),
                                  ones(3))


def test_wrapper_keeps_name_and_documents_itself():
    def my_fun(x):
        """Original."""
        return x

    mapped = vmap(my_fun)
    assert mapped.__name__ == "my_fun"
    assert mapped.__doc__.startswith("Vectorized version of my_fun. Takes similar arguments "
                                     "as my_fun but with additional array axes over which "
                                     "my_fun is mapped.")
    assert mapped.__doc__.endswith("Original documentation:\n\nOriginal.")


def test_top_level_kiln_vmap_is_kiln_batching_vmap():
    assert kiln.vmap is vmap
