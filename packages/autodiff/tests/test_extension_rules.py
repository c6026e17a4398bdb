"""The rule conventions library authors follow (see the README): jvp rules with symbolic
zeros, transpose rules with undefined primals, rule helpers, decompositions, partial-eval
rules, linear_transpose, and the conformance kit run over a new primitive."""

from __future__ import annotations

import numpy as np
import pytest

import kiln
from kiln import lax
from kiln.autodiff import UndefinedPrimal, Zero, is_undefined_primal, register_partial_eval
from kiln.autodiff.ruledefs import defjvp, deflinear
from kiln.core import Primitive, register_abstract_eval, register_decomposition, register_impl
from kiln.core.testing import check_primitive

CHECKS = ["jvp_vs_finite_differences", "transpose_dot_product"]


def elementwise_primitive(name, impl):
    prim = Primitive(name)
    register_abstract_eval(prim, lambda x, **_: x)
    register_impl(prim, impl)
    return prim


def test_a_new_primitive_with_a_table_jvp_rule():
    cube_p = elementwise_primitive("test_cube", lambda x: x ** 3)
    defjvp(cube_p, lambda g, ans, x: lax.mul(g, lax.mul(3.0, lax.mul(x, x))))
    assert float(kiln.grad(cube_p.bind)(2.0)) == 12.0
    assert float(kiln.grad(kiln.grad(cube_p.bind))(2.0)) == 12.0  # the rule is differentiable
    report = check_primitive(cube_p, np.linspace(-1, 1, 4).astype(np.float32), only=CHECKS)
    assert report.passed == ["jvp_vs_finite_differences"]


def test_a_new_linear_primitive_is_transposed_by_its_rule():
    double_p = elementwise_primitive("test_double", lambda x: 2 * x)
    seen = []

    def transpose(ct, x):
        seen.append(is_undefined_primal(x))
        return [lax.mul(ct, 2.0)]

    deflinear(double_p, transpose)
    assert float(kiln.grad(double_p.bind)(5.0)) == 2.0
    assert seen == [True]
    report = check_primitive(double_p, np.ones(3, np.float32), only=CHECKS)
    assert report.passed == CHECKS


def test_raw_rules_see_symbolic_zeros_and_undefined_primals():
    mul_like = Primitive("test_mul_like")
    register_abstract_eval(mul_like, lambda x, y: x)
    register_impl(mul_like, lambda x, y: x * y)
    zeros_seen = []

    def jvp(primals, tangents):
        zeros_seen.append([type(t) is Zero for t in tangents])
        x, y = primals
        tx, ty = tangents
        out = mul_like.bind(x, y)
        terms = [mul_like.bind(tx, y) if type(tx) is not Zero else None,
                 mul_like.bind(x, ty) if type(ty) is not Zero else None]
        terms = [t for t in terms if t is not None]
        return out, terms[0] if len(terms) == 1 else lax.add(*terms)

    def transpose(ct, x, y):
        assert isinstance(x, UndefinedPrimal) != isinstance(y, UndefinedPrimal)
        return [mul_like.bind(ct, y), None] if is_undefined_primal(x) else \
            [None, mul_like.bind(x, ct)]

    kiln.core.register_jvp(mul_like, jvp)
    kiln.core.register_transpose(mul_like, transpose)
    assert float(kiln.grad(mul_like.bind, argnums=1)(3.0, 4.0)) == 3.0
    assert zeros_seen[-1] == [True, False]  # x was not differentiated: a symbolic zero


def test_primitives_with_only_a_decomposition_are_differentiated_through_it():
    softsign_p = Primitive("test_softsign")
    register_decomposition(softsign_p, lambda x: lax.div(x, lax.add(lax.abs(x), 1.0)))
    x = 0.5
    np.testing.assert_allclose(kiln.grad(softsign_p.bind)(x), 1 / (1 + x) ** 2, rtol=1e-6)
    # a linear composite is transposed through its decomposition too
    twice_p = Primitive("test_twice")
    register_decomposition(twice_p, lambda x: lax.add(x, x))
    _, pullback = kiln.vjp(twice_p.bind, 1.0)
    assert float(pullback(1.0)[0]) == 2.0


def test_partial_eval_rules_are_used_by_linearize():
    tag_p = Primitive("test_tag")
    register_abstract_eval(tag_p, lambda x: x)
    register_impl(tag_p, lambda x: x)
    deflinear(tag_p, lambda ct, x: [ct])
    calls = []

    @register_partial_eval(tag_p)
    def tag_partial_eval(trace, x):
        calls.append(trace.is_unknown(x))
        return trace.stage(tag_p, [x], {})

    y, f_jvp = kiln.linearize(lambda x: tag_p.bind(lax.sin(x)), 1.0)
    assert calls == [True]
    np.testing.assert_allclose(f_jvp(1.0), np.cos(1.0), rtol=1e-6)


def test_linear_transpose():
    def f(x, y):
        return lax.add(lax.mul(x, 2.0), lax.neg(y))

    transposed = kiln.autodiff.linear_transpose(f, 1.0, np.ones(2, np.float32))
    ct_x, ct_y = transposed(np.array([1.0, 3.0], np.float32))
    assert float(ct_x) == 8.0
    np.testing.assert_allclose(ct_y, [-1.0, -3.0])


def test_missing_transpose_rule_names_the_primitive():
    nonlinear_p = elementwise_primitive("test_nonlinear", np.sin)
    defjvp(nonlinear_p, lambda g, ans, x: nonlinear_p.bind(g))  # wrongly non-linear
    with pytest.raises(NotImplementedError, match="Transpose rule .* for 'test_nonlinear'"):
        kiln.grad(nonlinear_p.bind)(1.0)
