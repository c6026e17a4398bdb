"""Jaxprs print exactly as JAX 0.10.2 prints them (strings recorded from JAX)."""

from __future__ import annotations

import numpy as np

import kiln
from kiln import lax
from kiln.core import pretty as pp

X = np.ones(3, np.float32)


def test_the_issue_example_prints_like_jax() -> None:
    f = lambda x, y: lax.add(lax.mul(2.0, lax.integer_pow(x, 2)), y)
    assert str(kiln.make_jaxpr(f)(X, X)) == (
        "{ lambda ; a:f32[3] b:f32[3]. let\n"
        "    c:f32[3] = integer_pow[y=2] a\n"
        "    d:f32[3] = mul 2.0:f32[] c\n"
        "    e:f32[3] = add d b\n"
        "  in (e,) }"
    )


def test_short_jaxprs_fit_on_one_line() -> None:
    assert str(kiln.make_jaxpr(lambda x: lax.add(x, 2.0))(X)) == \
        "{ lambda ; a:f32[3]. let b:f32[3] = add a 2.0:f32[] in (b,) }"
    assert str(kiln.make_jaxpr(lambda x: x)(X)) == "{ lambda ; a:f32[3]. let  in (a,) }"


def test_names_continue_past_z() -> None:
    def f(x):
        for _ in range(30):
            x = lax.sin(x)
        return x

    text = str(kiln.make_jaxpr(f)(X))
    assert "    z:f32[3] = sin y\n    ba:f32[3] = sin z\n" in text
    assert text.endswith("    be:f32[3] = sin bd\n  in (be,) }")


def test_array_constants_become_constvars_and_scalars_literals() -> None:
    c = np.ones(3, np.float32)
    assert str(kiln.make_jaxpr(lambda x: lax.mul(x, c))(X)) == \
        "{ lambda a:f32[3]; b:f32[3]. let c:f32[3] = mul b a in (c,) }"
    assert str(kiln.make_jaxpr(lambda x: lax.add(x, np.float32(2)))(X)) == \
        "{ lambda ; a:f32[3]. let b:f32[3] = add a 2.0:f32[] in (b,) }"


def test_literal_outputs_and_integer_literals() -> None:
    f = lambda x, y: (x, lax.mul(y, 2), 3.0)
    assert str(kiln.make_jaxpr(f)(1.0, np.ones((2, 3), np.int32))) == (
        "{ lambda ; a:f32[] b:i32[2,3]. let\n"
        "    c:i32[2,3] = mul b 2:i32[]\n"
        "  in (a, c, 3.0:f32[]) }"
    )


def test_python_literals_print_as_python_values() -> None:
    text = str(kiln.make_jaxpr(lambda x: (lax.mul(x, 0.1), lax.mul(x, 123456789.0),
                                         lax.mul(x, 1e20)))(X))
    assert "mul a 0.1:f32[]" in text
    assert "mul a 123456789.0:f32[]" in text
    assert "mul a 1e+20:f32[]" in text


def test_nested_jit_borrows_the_outer_names() -> None:
    f = lambda x, y: lax.add(lax.mul(2.0, lax.integer_pow(x, 2)), y)
    assert str(kiln.make_jaxpr(kiln.jit(f))(X, X)) == (
        "{ lambda ; a:f32[3] b:f32[3]. let\n"
        "    c:f32[3] = jit[\n"
        "      name=<lambda>\n"
        "      jaxpr={ lambda ; a:f32[3] b:f32[3]. let\n"
        "          d:f32[3] = integer_pow[y=2] a\n"
        "          e:f32[3] = mul 2.0:f32[] d\n"
        "          c:f32[3] = add e b\n"
        "        in (c,) }\n"
        "    ] a b\n"
        "  in (c,) }"
    )


def test_jit_of_identity_fits_on_one_line() -> None:
    assert str(kiln.make_jaxpr(kiln.jit(lambda x: x))(1.0)) == (
        "{ lambda ; a:f32[]. let\n"
        "    b:f32[] = jit[name=<lambda> jaxpr={ lambda ; a:f32[]. let  in (a,) }] a\n"
        "  in (b,) }"
    )


def test_jit_keeps_array_constants_inside_its_jaxpr() -> None:
    c = np.ones(3, np.float32)
    text = str(kiln.make_jaxpr(kiln.jit(lambda x: lax.mul(c, x)))(X))
    assert "jaxpr={ lambda c:f32[3]; a:f32[3]. let" in text


def test_pretty_printer_breaks_groups_that_do_not_fit() -> None:
    doc = pp.group(pp.concat(["f[", pp.nest(2, pp.concat([pp.softline,
                                                           pp.join(pp.line, ["a" * 30] * 3)])),
                              pp.softline, "]"]))
    assert doc.format(200) == "f[" + " ".join(["a" * 30] * 3) + "]"
    assert doc.format(40) == "f[\n  " + "\n  ".join(["a" * 30] * 3) + "\n]"
