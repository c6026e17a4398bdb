"""The lowering-rule interface as a library author uses it, and the StableHLO text kiln
writes (types, exact constants)."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import kiln
from kiln import lax
from kiln.compiler import LoweringError, LoweringRuleContext, Value, hlo
from kiln.core import Primitive, register_abstract_eval, register_impl, register_lowering
from kiln.core.abstract import ShapedArray
from kiln.core.backend import get_backend


def cpu_put(x):
    return kiln.device_put(x, get_backend("cpu").devices()[0])


# A library's primitive: the sum of squares along the last axis.
sumsq_p = Primitive("test_sum_of_squares")
register_abstract_eval(sumsq_p, lambda x: ShapedArray(x.shape[:-1], x.dtype, x.weak_type))
register_impl(sumsq_p, lambda x: (x * x).sum(-1).astype(x.dtype))


@register_lowering(sumsq_p, backend="xla")
def _sumsq_lowering(ctx: LoweringRuleContext, x: Value) -> Value:
    squares = ctx.mul(x, x)
    scalar = ShapedArray((), x.dtype)
    body = ctx.region([scalar, scalar], lambda c, acc, v: [c.add(acc, v)])
    return ctx.op("stablehlo.reduce", [squares, ctx.constant(0, x.dtype)],
                  attrs={"dimensions": hlo.i64_array([len(x.shape) - 1])}, regions=[body])


# One written with other primitives.
softplus_p = Primitive("test_softplus")
register_abstract_eval(softplus_p, lambda x: ShapedArray(x.shape, x.dtype, x.weak_type))
register_impl(softplus_p, lambda x: np.log1p(np.exp(x)).astype(x.dtype))
register_lowering(softplus_p, lambda ctx, x: ctx.lower_fun(lambda v: lax.log1p(lax.exp(v)), x),
                  backend="xla")

bad_p = Primitive("test_bad_lowering")
register_abstract_eval(bad_p, lambda x: ShapedArray(x.shape, x.dtype))
register_impl(bad_p, lambda x: x)
register_lowering(bad_p, lambda ctx, x: ctx.convert(x, np.int32), backend="xla")


def test_a_library_rule_with_a_region() -> None:
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(np.asarray(sumsq_p.bind(cpu_put(x))), (x * x).sum(-1))
    f = kiln.jit(lambda a: lax.mul(sumsq_p.bind(a), 2.0), backend="cpu")
    np.testing.assert_allclose(np.asarray(f(x)), 2 * (x * x).sum(-1))
    assert '"stablehlo.reduce"' in f.lower(x).as_text(generic=True)


def test_a_rule_written_with_other_primitives() -> None:
    x = np.linspace(-3, 3, 7, dtype=np.float32)
    np.testing.assert_allclose(np.asarray(softplus_p.bind(cpu_put(x))), np.log1p(np.exp(x)),
                               rtol=1e-6)


def test_a_rule_returning_the_wrong_type_is_reported() -> None:
    with pytest.raises(LoweringError, match="lowering of test_bad_lowering returned "
                                            r"tensor<2xi32>, expected tensor<2xf32>"):
        bad_p.bind(cpu_put(np.ones(2, np.float32)))


def test_conformance_kit_runs_the_xla_check_on_library_primitives() -> None:
    from kiln.core.testing import check_primitive

    report = check_primitive(sumsq_p, np.ones((2, 3), np.float32),
                             only=["xla_lowering_vs_impl"])
    assert report.passed == ["xla_lowering_vs_impl"]
    with pytest.raises(AssertionError):
        check_primitive(bad_p, np.ones(2, np.float32), only=["xla_lowering_vs_impl"])


@pytest.mark.parametrize("dtype,text", [
    (np.float32, "f32"), (np.uint8, "ui8"), (np.bool_, "i1"), (np.complex64, "complex<f32>"),
    (ml_dtypes.bfloat16, "bf16"), (ml_dtypes.float8_e4m3fn, "f8E4M3FN"), (ml_dtypes.int4, "i4"),
])
def test_element_types(dtype, text) -> None:
    assert hlo.element_type(np.dtype(dtype)) == text
    assert hlo.tensor_type((2, 3), dtype) == f"tensor<2x3x{text}>"
    assert hlo.tensor_type((), dtype) == f"tensor<{text}>"


SPECIAL = [np.nan, np.inf, -np.inf, -0.0, 1e-40, 3.4e38]


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(st.sampled_from([np.float32, np.int8, np.uint32, np.bool_, np.complex64,
                                   np.float16, np.int16]),
                  hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)))
def test_constants_are_exact(value: np.ndarray) -> None:
    # A closed-over constant goes through the module text and comes back bit for bit.
    f = kiln.jit(lambda: value, backend="cpu")
    out = np.asarray(f())
    assert out.dtype == value.dtype and out.shape == value.shape
    assert out.tobytes() == value.tobytes()


def test_special_float_constants() -> None:
    value = np.array(SPECIAL, np.float32)
    out = np.asarray(kiln.jit(lambda: lax.mul(value, 1.0), backend="cpu")())
    np.testing.assert_array_equal(np.signbit(out), np.signbit(value))
    np.testing.assert_array_equal(np.isnan(out), np.isnan(value))


def test_literals_of_every_kind() -> None:
    f = kiln.jit(lambda a, b: lax.add(lax.mul(a, 2), b), backend="cpu")
    np.testing.assert_array_equal(np.asarray(f(np.arange(3, dtype=np.int32), 3)), [3, 5, 7])
    g = kiln.jit(lambda a: lax.mul(a, np.int8(-2)), backend="cpu")
    np.testing.assert_array_equal(np.asarray(g(np.arange(3, dtype=np.int8))), [0, -2, -4])
    h = kiln.jit(lambda a: lax.ne(a, True), backend="cpu")
    np.testing.assert_array_equal(np.asarray(h(np.array([True, False]))), [False, True])
