"""The rest of the API surface: aliases, dtype names, printing and saving, ufunc objects,
polyfit, multi_dot, and the names kiln provides but JAX's behaviour makes trivial."""

from __future__ import annotations

import io

import ml_dtypes
import numpy as np
import pytest

import kiln
import kiln.numpy as jnp


@pytest.mark.parametrize("alias,name", [("acos", "arccos"), ("asin", "arcsin"),
                                        ("atan", "arctan"), ("acosh", "arccosh"),
                                        ("asinh", "arcsinh"), ("atanh", "arctanh"),
                                        ("atan2", "arctan2"), ("conjugate", "conj"),
                                        ("pow", "power"), ("true_divide", "divide")])
def test_array_api_aliases(alias: str, name: str) -> None:
    x = np.array([0.25, 0.5], np.float32)
    args = (x + 1.0,) if alias == "acosh" else (x,)
    if alias in ("atan2", "pow", "true_divide"):
        args = (x, x + 1)
    np.testing.assert_array_equal(getattr(jnp, alias)(*args), getattr(jnp, name)(*args))


SCALAR_TYPES = ["bool", "bool_", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16",
                "uint32", "uint64", "float16", "float32", "float64", "bfloat16", "complex64",
                "complex128", "int_", "float_", "complex_", "double", "single", "cdouble",
                "csingle", "int2", "int4", "uint2", "uint4", "int1", "uint1", "float4_e2m1fn",
                "float6_e2m3fn", "float6_e3m2fn", "float8_e3m4", "float8_e4m3",
                "float8_e4m3b11fnuz", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2",
                "float8_e5m2fnuz", "float8_e8m0fnu"]


@pytest.mark.parametrize("name", SCALAR_TYPES)
def test_scalar_type_names(name: str) -> None:
    t = getattr(jnp, name)
    expected = {"bool_": "bool", "uint": "uint64", "int_": "int64", "float_": "float64",
                "complex_": "complex128", "double": "float64", "single": "float32",
                "cdouble": "complex128", "csingle": "complex64"}.get(name, name)
    assert np.dtype(t).name == expected
    assert t.dtype == np.dtype(t)


@pytest.mark.parametrize("name", ["float32", "int8", "uint8", "bfloat16", "complex64",
                                  "float8_e4m3fn", "int4"])
def test_scalar_types_make_arrays(name: str) -> None:
    out = getattr(jnp, name)(1)
    assert out.shape == () and out.dtype == np.dtype(getattr(jnp, name))


@pytest.mark.parametrize("name,np_type", [
    ("generic", np.generic), ("number", np.number), ("inexact", np.inexact),
    ("floating", np.floating), ("complexfloating", np.complexfloating),
    ("integer", np.integer), ("signedinteger", np.signedinteger),
    ("unsignedinteger", np.unsignedinteger), ("character", np.character),
    ("flexible", np.flexible), ("object_", np.object_)])
def test_abstract_dtype_classes_are_numpys(name: str, np_type: type) -> None:
    assert getattr(jnp, name) is np_type


def test_dtype_queries() -> None:
    assert jnp.issubdtype(jnp.float8_e4m3fn, jnp.floating)
    assert jnp.issubdtype(jnp.int4, jnp.signedinteger)
    assert not jnp.issubdtype(jnp.uint8, jnp.signedinteger)
    assert jnp.issubdtype(jnp.complex64, jnp.complexfloating)
    assert jnp.issubdtype(jnp.float32, jnp.number) and jnp.issubdtype(jnp.int8, jnp.generic)
    assert jnp.finfo(jnp.bfloat16).bits == 16 and jnp.iinfo(jnp.int8).min == -128
    assert jnp.isdtype(jnp.uint16, "unsigned integer") and jnp.isdtype(jnp.bool_, "bool")
    assert jnp.can_cast(jnp.int8, jnp.int32) and not jnp.can_cast(jnp.float32, jnp.int32)
    assert jnp.dtype("bfloat16") == np.dtype(ml_dtypes.bfloat16)
    assert issubclass(jnp.ComplexWarning, Warning)


def test_printing() -> None:
    x = jnp.array([1.5, 2.0])
    assert jnp.array_repr(x) == repr(x) == "Array([1.5, 2. ], dtype=float32)"
    assert jnp.array_str(x) == str(x) == "[1.5 2. ]"
    assert jnp.array_repr(x, precision=1).startswith("Array(")
    opts = jnp.get_printoptions()
    with jnp.printoptions(precision=2):
        assert str(jnp.array([1.23456])) == "[1.23]"
    jnp.set_printoptions(**opts)
    assert jnp.get_printoptions() == opts


def test_save_and_load_round_trip() -> None:
    buf = io.BytesIO()
    jnp.save(buf, jnp.arange(4.0))
    buf.seek(0)
    out = jnp.load(buf)
    assert isinstance(out, kiln.Array) and out.tolist() == [0.0, 1.0, 2.0, 3.0]
    buf = io.BytesIO()
    jnp.savez(buf, a=jnp.ones(2))
    buf.seek(0)
    assert np.load(buf)["a"].tolist() == [1.0, 1.0]


def test_buffer_and_string_constructors() -> None:
    assert jnp.fromstring("1 2 3", sep=" ").tolist() == [1.0, 2.0, 3.0]
    assert jnp.from_dlpack(np.arange(3.0)).tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(NotImplementedError, match="jnp.fromfile\\(\\) is not implemented"):
        jnp.fromfile("x")
    with pytest.raises(NotImplementedError, match="jnp.fromiter\\(\\) is not implemented"):
        jnp.fromiter(iter([1]))


def test_ufunc_objects() -> None:
    assert isinstance(jnp.add, jnp.ufunc) and jnp.add.nin == 2 and jnp.add.identity == 0
    assert repr(jnp.multiply) == "<jnp.ufunc 'multiply'>"
    assert jnp.add.reduce(jnp.arange(4)) == 6
    assert jnp.multiply.accumulate(jnp.arange(1, 5)).tolist() == [1, 2, 6, 24]
    assert jnp.add.outer(jnp.arange(2), jnp.arange(3)).shape == (2, 3)
    assert jnp.maximum.reduce(jnp.array([1.0, 3.0, 2.0])) == 3.0
    out = jnp.add.at(jnp.zeros(3), jnp.array([0, 0, 2]), 1.0, inplace=False)
    assert out.tolist() == [2.0, 0.0, 1.0]
    assert jnp.add.reduceat(jnp.arange(6), jnp.array([0, 2, 5])).tolist() == [1, 9, 5]
    hypot = jnp.ufunc(lambda a, b: jnp.sqrt(a * a + b * b), nin=2, nout=1, name="hyp")
    assert hypot(3.0, 4.0) == 5.0 and hypot.reduce(jnp.array([3.0, 4.0])) == 5.0
    assert hypot.accumulate(jnp.array([3.0, 4.0, 12.0])).tolist() == [3.0, 5.0, 13.0]
    with pytest.raises(NotImplementedError):
        jnp.add.at(jnp.zeros(3), 0, 1.0)


def test_polyfit_recovers_polynomials() -> None:
    x = np.linspace(-2, 3, 20).astype(np.float32)
    coeffs = np.array([0.5, -1.0, 2.0], np.float32)
    y = np.polyval(coeffs, x)
    np.testing.assert_allclose(jnp.polyfit(x, y, 2), coeffs, rtol=1e-4, atol=1e-4)
    w = np.linspace(1, 2, 20).astype(np.float32)
    np.testing.assert_allclose(jnp.polyfit(x, y, 2, w=w), np.polyfit(x, y, 2, w=w),
                               rtol=1e-4, atol=1e-4)
    two = np.stack([y, 2 * y], axis=1)
    np.testing.assert_allclose(jnp.polyfit(x, two, 2), np.polyfit(x, two, 2), rtol=1e-4,
                               atol=1e-3)
    with pytest.raises(NotImplementedError):
        jnp.polyfit(x, y, 2, full=True)


def test_missing_functions_say_why() -> None:
    with pytest.raises(NotImplementedError, match="eigenvalues"):
        jnp.roots(jnp.array([1.0, -3.0, 2.0]))
    with pytest.raises(NotImplementedError, match="SVD"):
        jnp.linalg.norm(jnp.ones((2, 2)), 2)


def test_multi_dot_matches_numpy() -> None:
    rng = np.random.default_rng(0)
    mats = [rng.normal(size=s).astype(np.float32) for s in [(5,), (5, 3), (3, 7), (7, 2)]]
    np.testing.assert_allclose(jnp.linalg.multi_dot(mats), np.linalg.multi_dot(mats),
                               rtol=1e-5, atol=1e-5)


def test_lazily_loaded_names_are_listed() -> None:
    names = dir(jnp)
    for name in ("unique", "histogram", "vectorize", "linalg", "r_", "polyval", "packbits"):
        assert name in names
    assert callable(jnp.vectorize) and jnp.linalg.norm is not None
    with pytest.raises(AttributeError):
        jnp.not_a_function  # noqa: B018
