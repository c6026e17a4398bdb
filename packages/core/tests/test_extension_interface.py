"""The registration interface as a third party uses it: a primitive defined only by a
decomposition works everywhere at once; one with its own rules is staged as one equation."""

from __future__ import annotations

import numpy as np
import pytest

import kiln
from kiln import lax
from kiln.core import (
    INTERFACE_VERSION,
    Primitive,
    ShapedArray,
    get_rule,
    register_abstract_eval,
    register_decomposition,
    register_impl,
    register_jvp,
    rule_table,
    testing,
)
from kiln.core.testing import Skip, check_primitive, register_check

# A composite primitive: x * x + x, known only through its decomposition.
square_plus_p = Primitive("test_square_plus")
register_decomposition(square_plus_p, lambda x: lax.add(lax.mul(x, x), x))

# A primitive with its own shape and NumPy rules.
twice_p = Primitive("test_twice")
register_abstract_eval(twice_p, lambda x: ShapedArray(x.shape, x.dtype, x.weak_type))
register_impl(twice_p, lambda x: x * 2)


def test_interface_version_is_a_tuple() -> None:
    assert INTERFACE_VERSION >= (1, 0)


def test_decomposition_only_primitive_runs_eagerly_and_under_jit() -> None:
    x = np.arange(3, dtype=np.float32)
    np.testing.assert_array_equal(square_plus_p.bind(x), x * x + x)
    np.testing.assert_array_equal(kiln.jit(square_plus_p.bind)(x), x * x + x)


def test_decomposition_is_inlined_when_staged() -> None:
    text = str(kiln.make_jaxpr(square_plus_p.bind)(np.ones(2, np.float32)))
    assert "mul a a" in text and "add" in text and "test_square_plus" not in text


def test_primitive_with_rules_is_one_equation() -> None:
    jaxpr = kiln.make_jaxpr(twice_p.bind)(np.ones(2, np.float32))
    assert [e.primitive for e in jaxpr.eqns] == [twice_p]
    np.testing.assert_array_equal(kiln.jit(twice_p.bind)(np.ones(2, np.float32)), [2, 2])


def test_rules_live_in_one_registry_keyed_by_kind() -> None:
    assert rule_table("impl")[twice_p] is get_rule("impl", twice_p)
    assert get_rule("jvp", twice_p) is None
    register_jvp(twice_p, lambda primals, tangents: (twice_p.bind(*primals),
                                                      twice_p.bind(*tangents)))
    assert get_rule("jvp", twice_p) is not None


def test_check_primitive_runs_registered_checks() -> None:
    seen = []

    def my_check(prim, args, params):
        seen.append(prim.name)
        if prim is square_plus_p:
            raise Skip("only for test_twice")

    register_check("test_only_check", my_check)
    try:
        mine = ["impl_vs_abstract_eval", "test_only_check"]
        report = check_primitive(twice_p, np.ones(3, np.float32), only=mine)
        assert "impl_vs_abstract_eval" in report.passed and "test_only_check" in report.passed
        report = check_primitive(square_plus_p, np.ones(3, np.float32), only=mine)
        assert report.skipped["test_only_check"] == "only for test_twice"
    finally:
        testing._checks.pop("test_only_check")
    assert seen == ["test_twice", "test_square_plus"]


def test_check_primitive_catches_an_impl_that_disagrees() -> None:
    bad_p = Primitive("test_bad")
    register_abstract_eval(bad_p, lambda x: ShapedArray(x.shape, x.dtype))
    register_impl(bad_p, lambda x: x.astype(np.float64))
    with pytest.raises(AssertionError, match="impl gave dtype float64"):
        check_primitive(bad_p, np.ones(3, np.float32), only=["impl_vs_abstract_eval"])
