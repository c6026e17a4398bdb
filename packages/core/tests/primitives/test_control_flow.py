"""kiln.lax's control flow (cond, switch, while_loop, fori_loop, scan, map,
associative_scan) and its primitives: values against Python/NumPy, the jaxprs JAX 0.10.2
prints (recorded from ``jax.make_jaxpr``), JAX's checks and error messages, and the
primitives' shape and NumPy rules. Runs on the default backend and on ``JAX_PLATFORMS=numpy``.
"""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest

import kiln
from kiln import lax
from kiln.core import ClosedJaxpr
from kiln.core.primitives.control_flow import cond_p, scan_p, while_p
from kiln.core.reference import run_jaxpr

f32 = np.float32


def where(fun) -> str:
    code = fun.__code__
    return f"{fun.__name__} at {code.co_filename}:{code.co_firstlineno}"


def jaxpr_text(fun, *args) -> str:
    return str(kiln.make_jaxpr(fun)(*args))


# -- cond and switch: values --------------------------------------------------------------------


@pytest.mark.parametrize("pred", [True, False, np.bool_(True), 1, 0, 2.5, 0.0, np.int8(-3)])
def test_cond_takes_the_branch_the_predicate_selects(pred):
    out = lax.cond(pred, lambda x: lax.mul(x, 2.0), lambda x: lax.neg(x), f32(3))
    assert float(out) == (6.0 if pred else -3.0)


def test_cond_under_jit_with_traced_predicate():
    f = kiln.jit(lambda p, x: lax.cond(p, lax.sin, lax.cos, x))
    assert np.isclose(f(True, f32(1)), np.sin(1)) and np.isclose(f(False, f32(1)), np.cos(1))
    g = kiln.jit(lambda x: lax.cond(lax.gt(x, 0.0), lax.sin, lax.cos, x))
    assert np.isclose(g(f32(-2)), np.cos(-2))


def test_cond_with_pytree_operands_and_outputs():
    def true_fun(x, d):
        return {"sum": lax.add(x, d["a"]), "pair": (d["b"], x)}

    def false_fun(x, d):
        return {"sum": lax.sub(x, d["a"]), "pair": (lax.neg(d["b"]), x)}

    args = (f32(1), {"a": f32(2), "b": np.arange(3, dtype=f32)})
    out = kiln.jit(lambda p, *a: lax.cond(p, true_fun, false_fun, *a))(False, *args)
    assert float(out["sum"]) == -1.0
    np.testing.assert_array_equal(out["pair"][0], -np.arange(3))
    assert float(out["pair"][1]) == 1.0


def test_cond_operand_keyword_and_no_operands():
    assert float(lax.cond(True, lambda x: lax.add(x, 1.0), lambda x: x, operand=f32(1))) == 2.0
    assert float(lax.cond(False, lambda: f32(1), lambda: f32(2))) == 2.0
    with pytest.raises(TypeError, match="if 'operand' keyword is passed then no positional"):
        lax.cond(True, lambda x: x, lambda x: x, f32(1), operand=f32(2))


def test_cond_closes_over_arrays_and_outer_tracers():
    c = np.arange(3, dtype=f32)
    f = kiln.jit(lambda p, x, y: lax.cond(p, lambda x: lax.add(x, c),
                                          lambda x: lax.mul(x, y), x))
    np.testing.assert_allclose(f(True, np.ones(3, f32), f32(5)), 1 + np.arange(3))
    np.testing.assert_allclose(f(False, np.ones(3, f32), f32(5)), 5 * np.ones(3))


@pytest.mark.parametrize("index,expected", [(-5, 4.0), (0, 4.0), (1, 6.0), (2, -3.0),
                                            (7, -3.0)])
def test_switch_clamps_its_index(index, expected):
    branches = [lambda x: lax.add(x, 1.0), lambda x: lax.mul(x, 2.0), lax.neg]
    assert float(lax.switch(index, branches, f32(3))) == expected
    assert float(kiln.jit(lambda i, x: lax.switch(i, branches, x))(index, f32(3))) == expected


def test_switch_with_one_branch_calls_it():
    assert float(lax.switch(5, [lambda x: lax.add(x, 1.0)], f32(1))) == 2.0


def test_concrete_predicate_still_traces_both_branches():
    traced = []

    def true_fun(x):
        traced.append("true")
        return x

    def false_fun(x):
        traced.append("false")
        return lax.neg(x)

    lax.cond(True, true_fun, false_fun, f32(1))
    assert sorted(traced) == ["false", "true"]


def test_disable_jit_runs_only_the_taken_branch():
    traced = []
    with kiln.disable_jit():
        out = lax.cond(True, lambda x: traced.append("t") or x,
                       lambda x: traced.append("f") or x, f32(1))
        assert traced == ["t"] and float(out) == 1.0
        assert float(lax.switch(1, [lambda: f32(0), lambda: f32(1)])) == 1.0


# -- cond and switch: printed forms (JAX 0.10.2) ------------------------------------------------


def test_cond_jaxpr_matches_jax():
    def f(p, x, y):
        return lax.cond(p, lambda x: lax.mul(lax.sin(x), y), lambda x: lax.cos(x), x)

    assert jaxpr_text(f, True, 1.0, 2.0) == """\
{ lambda ; a:bool[] b:f32[] c:f32[]. let
    d:i32[] = convert_element_type[new_dtype=int32 weak_type=False] a
    e:f32[] = cond[
      branches=(
        { lambda ; f:f32[] g:f32[]. let h:f32[] = cos g in (h,) }
        { lambda ; i:f32[] j:f32[]. let
            k:f32[] = sin j
            l:f32[] = mul k i
          in (l,) }
      )
    ] d c b
  in (e,) }"""


def test_switch_jaxpr_matches_jax():
    def g(i, x):
        return lax.switch(i, [lambda x: lax.add(x, 1.0), lambda x: lax.mul(x, 2.0),
                              lambda x: lax.neg(x)], x)

    assert jaxpr_text(g, 1, 1.0) == """\
{ lambda ; a:i32[] b:f32[]. let
    c:i32[] = convert_element_type[new_dtype=int32 weak_type=False] a
    d:i32[] = clamp 0:i32[] c 2:i32[]
    e:f32[] = cond[
      branches=(
        { lambda ; f:f32[]. let g:f32[] = add f 1.0:f32[] in (g,) }
        { lambda ; h:f32[]. let i:f32[] = mul h 2.0:f32[] in (i,) }
        { lambda ; j:f32[]. let k:f32[] = neg j in (k,) }
      )
    ] d b
  in (e,) }"""


def test_cond_closed_over_array_is_a_constvar_operand():
    c = np.ones(3, f32)
    text = jaxpr_text(lambda p, x: lax.cond(p, lambda x: lax.add(x, c),
                                            lambda x: lax.mul(x, 2.0), x),
                      True, np.zeros(3, f32))
    assert text == """\
{ lambda a:f32[3]; b:bool[] c:f32[3]. let
    d:i32[] = convert_element_type[new_dtype=int32 weak_type=False] b
    e:f32[3] = cond[
      branches=(
        { lambda ; f:f32[3] g:f32[3]. let h:f32[3] = mul g 2.0:f32[] in (h,) }
        { lambda ; i:f32[3] j:f32[3]. let k:f32[3] = add j i in (k,) }
      )
    ] d a c
  in (e,) }"""


def test_cond_forwarded_outputs_are_pruned_and_concrete_predicates_are_literals():
    text = jaxpr_text(lambda p, x: lax.cond(p, lambda x: (x, lax.mul(x, 2.0)),
                                            lambda x: (x, lax.mul(x, 3.0)), x),
                      True, np.zeros(3, f32))
    assert text.endswith("    ] c b\n  in (b, d) }")
    text = jaxpr_text(lambda p, x: lax.cond(2.0, lambda x: lax.add(x, 1.0),
                                            lambda x: lax.mul(x, 2.0), x), True, 1.0)
    assert text == """\
{ lambda ; a:bool[] b:f32[]. let
    c:f32[] = cond[
      branches=(
        { lambda ; d:f32[]. let e:f32[] = mul d 2.0:f32[] in (e,) }
        { lambda ; f:f32[]. let g:f32[] = add f 1.0:f32[] in (g,) }
      )
    ] 1:i32[] b
  in (c,) }"""
    text = jaxpr_text(lambda p: lax.cond(p, lambda: 1.0, lambda: 2.0), True)
    assert "{ lambda ; . let  in (2.0:f32[],) }" in text


def test_cond_consts_of_both_branches_true_branch_first():
    text = jaxpr_text(lambda p, x, y, z: lax.cond(p, lambda x: lax.mul(x, y),
                                                  lambda x: lax.mul(x, z), x), True, 1.0, 2.0, 3.0)
    assert text == """\
{ lambda ; a:bool[] b:f32[] c:f32[] d:f32[]. let
    e:i32[] = convert_element_type[new_dtype=int32 weak_type=False] a
    f:f32[] = cond[
      branches=(
        { lambda ; g:f32[] h:f32[] i:f32[]. let j:f32[] = mul i h in (j,) }
        { lambda ; k:f32[] l:f32[] m:f32[]. let n:f32[] = mul m k in (n,) }
      )
    ] e c d b
  in (f,) }"""


def test_cond_traces_true_fun_first():
    traced = []
    lax.cond(True, lambda: traced.append("true") or f32(1),
             lambda: traced.append("false") or f32(2))
    assert traced == ["true", "false"]


def test_cond_equation_structure():
    jaxpr = kiln.make_jaxpr(lambda p, x, y: lax.cond(p, lambda x: lax.mul(x, y), lax.sin, x))(
        True, 1.0, 2.0)
    (convert, eqn) = jaxpr.eqns
    assert eqn.primitive is cond_p and list(eqn.params) == ["branches"]
    false_branch, true_branch = eqn.params["branches"]
    assert all(isinstance(b, ClosedJaxpr) and not b.consts for b in (false_branch, true_branch))
    # closed-over y comes first, then the operand
    assert [v for v in eqn.invars[1:]] == [jaxpr.jaxpr.invars[2], jaxpr.jaxpr.invars[1]]
    assert [e.primitive.name for e in true_branch.eqns] == ["mul"]


# -- cond and switch: errors (JAX's types and texts) --------------------------------------------


def test_cond_branch_structure_mismatch_message():
    def true_fun(x):
        return x

    def false_fun(x):
        return (x, x)

    with pytest.raises(TypeError) as e:
        lax.cond(True, true_fun, false_fun, 1.0)
    assert str(e.value) == (
        "cond branch outputs must have the same pytree structure, but they differ:\n\n"
        f"true_fun is {where(true_fun)}\nfalse_fun is {where(false_fun)}\n\n"
        "true_fun output is a pytree leaf but false_fun output is a <class 'tuple'>, so their "
        "Python types differ.\n\n"
        "Revise true_fun and/or false_fun so that they have the same pytree structure.")


def test_cond_branch_type_mismatch_messages():
    def t(x):
        return x

    def f(x):
        return lax.convert_element_type(x, np.int32)

    with pytest.raises(TypeError) as e:
        lax.cond(True, t, f, 1.0)
    assert str(e.value) == (
        "cond branches must have equal output types but they differ.\n\n"
        f"true_fun is {where(t)}\nfalse_fun is {where(f)}\n\n"
        "The output of true_fun has type float32[] but the corresponding output of false_fun "
        "has type int32[], so the dtypes do not match.\n\n"
        "Revise true_fun and/or false_fun so that all output types match.")

    def t2(x):
        return (x, x)

    def f2(x):
        return (lax.convert_element_type(x, np.int32), lax.broadcast_in_dim(x, (1,), ()))

    with pytest.raises(TypeError) as e:
        lax.cond(True, t2, f2, 1.0)
    assert (
        "  * the output of true_fun at path [0] has type float32[] but the corresponding "
        "output of false_fun has type int32[], so the dtypes do not match;\n"
        "  * the output of true_fun at path [1] has type float32[] but the corresponding "
        "output of false_fun has type float32[1], so the shapes do not match.\n\n") \
        in str(e.value)


def test_cond_dict_and_list_structure_messages():
    with pytest.raises(TypeError, match=re.escape(
            "true_fun output is a <class 'dict'> with pytree metadata ('a',) but false_fun "
            "output is a <class 'dict'> with pytree metadata ('b',), so the pytree node "
            "metadata does not match.")):
        lax.cond(True, lambda x: {"a": x}, lambda x: {"b": x}, 1.0)
    with pytest.raises(TypeError, match=re.escape(
            "true_fun output is a <class 'list'> but false_fun output is a <class 'tuple'>, "
            "so their Python types differ.")):
        lax.cond(True, lambda x: [x], lambda x: (x,), 1.0)


def test_switch_branch_type_mismatch_names_the_branches():
    with pytest.raises(TypeError, match=re.escape(
            "The output of branch 0 has type float32[] but the corresponding output of "
            "branch2 has type float32[1], so the shapes do not match.")):
        lax.switch(1, [lambda x: x, lambda x: x, lambda x: lax.broadcast_in_dim(x, (1,), ())],
                   1.0)


@pytest.mark.parametrize("pred,message", [
    (np.ones(2), "Pred must be a scalar, got [1. 1.] of shape (2,)."),
    ("a", "Pred must be a scalar, got a of type <class 'str'>"),
    (None, "cond predicate is None"),
    (1j, "Pred type must be either boolean or number, got complex64."),
])
def test_cond_predicate_errors(pred, message):
    with pytest.raises(TypeError) as e:
        lax.cond(pred, lambda x: x, lambda x: x, 1.0)
    assert str(e.value) == message


def test_switch_index_errors():
    with pytest.raises(TypeError, match=re.escape("Index type must be an integer, got 1.0 as "
                                                  "float32")):
        lax.switch(1.0, [lambda x: x, lambda x: x], 1.0)
    with pytest.raises(TypeError, match=re.escape("Branch index must be scalar, got [1 1] of "
                                                  "shape (2,).")):
        lax.switch(np.ones(2, np.int32), [lambda x: x, lambda x: x], 1.0)
    with pytest.raises(ValueError, match="Empty branch sequence"):
        lax.switch(1, [], 1.0)
    with pytest.raises(TypeError, match="lax.switch: branches argument should be a sequence"):
        lax.switch(0, [1, 2], 1.0)
    with pytest.raises(TypeError, match="lax.cond: true_fun and false_fun arguments should be "
                                        "callable."):
        lax.cond(True, 1, 2, 1.0)


# -- while_loop and fori_loop -------------------------------------------------------------------


def collatz_steps(n):
    def body(c):
        n, steps = c
        odd = lax.eq(lax.rem(n, 2), 1)
        return lax.select(odd, lax.add(lax.mul(n, 3), 1), lax.div(n, 2)), lax.add(steps, 1)

    return lax.while_loop(lambda c: lax.gt(c[0], 1), body, (n, 0))[1]


def test_while_loop_values():
    assert int(collatz_steps(np.int32(27))) == 111
    assert int(kiln.jit(collatz_steps)(np.int32(27))) == 111
    out = lax.while_loop(lambda c: lax.lt(c, 0.0), lambda c: lax.add(c, 1.0), f32(5))
    assert float(out) == 5.0  # zero iterations


def test_while_loop_with_closures_and_pytrees():
    limit, scale = f32(100), np.array([1.0, 2.0], f32)

    def body(c):
        return {"v": lax.mul(c["v"], scale), "n": lax.add(c["n"], 1)}

    f = kiln.jit(lambda v: lax.while_loop(
        lambda c: lax.lt(lax.reduce_max(c["v"], (0,)), limit), body, {"v": v, "n": 0}))
    out = f(np.array([1.0, 1.0], f32))
    assert int(out["n"]) == 7
    np.testing.assert_array_equal(out["v"], [1.0, 128.0])


def test_while_jaxpr_matches_jax():
    def w(x, y):
        return lax.while_loop(lambda c: lax.lt(c[0], 10),
                              lambda c: (lax.add(c[0], 1), lax.mul(c[1], y)), (0, x))

    assert jaxpr_text(w, 1.0, 2.0) == """\
{ lambda ; a:f32[] b:f32[]. let
    c:i32[] d:f32[] = while[
      body_jaxpr={ lambda ; e:f32[] f:i32[] g:f32[]. let
          h:i32[] = add f 1:i32[]
          i:f32[] = mul g e
        in (h, i) }
      body_nconsts=1
      cond_jaxpr={ lambda ; j:i32[] k:f32[]. let
          l:bool[] = lt j 10:i32[]
        in (l,) }
      cond_nconsts=0
    ] b 0:i32[] a
  in (c, d) }"""


def test_while_unchanged_carry_unread_by_cond_becomes_a_const():
    def w(x, k):
        return lax.while_loop(lambda c: lax.lt(c[0], 3),
                              lambda c: (lax.add(c[0], 1), c[1], lax.mul(c[2], c[1])),
                              (0, k, x))

    jaxpr = kiln.make_jaxpr(w)(1.0, 2.0)
    (eqn,) = jaxpr.eqns
    assert eqn.params["body_nconsts"] == 1 and len(eqn.outvars) == 2
    assert jaxpr.jaxpr.outvars[1] is jaxpr.jaxpr.invars[1]  # k is returned as it is
    out = w(f32(1), f32(2))
    assert [float(v) for v in out] == [3.0, 2.0, 8.0]


def test_fori_loop_with_static_bounds_is_a_scan():
    assert jaxpr_text(lambda x: lax.fori_loop(0, 3, lambda i, c: lax.mul(c, 2.0), x), 1.0) == \
        """\
{ lambda ; a:f32[]. let
    _:i32[] b:f32[] = scan[
      jaxpr={ lambda ; c:i32[] d:f32[]. let
          e:i32[] = add c 1:i32[]
          f:f32[] = mul d 2.0:f32[]
        in (e, f) }
      length=3
      num_carry=2
      num_consts=0
      reverse=False
      unroll=1
    ] 0:i32[] a
  in (b,) }"""


def test_fori_loop_with_dynamic_bounds_is_a_while_loop():
    assert jaxpr_text(lambda x, n: lax.fori_loop(0, n, lambda i, c: lax.mul(c, 2.0), x),
                      1.0, 3) == """\
{ lambda ; a:f32[] b:i32[]. let
    _:i32[] _:i32[] c:f32[] = while[
      body_jaxpr={ lambda ; d:i32[] e:i32[] f:f32[]. let
          g:i32[] = add d 1:i32[]
          h:f32[] = mul f 2.0:f32[]
        in (g, e, h) }
      body_nconsts=0
      cond_jaxpr={ lambda ; i:i32[] j:i32[] k:f32[]. let
          l:bool[] = lt i j
        in (l,) }
      cond_nconsts=0
    ] 0:i32[] b a
  in (c,) }"""


@pytest.mark.parametrize("lower,upper", [(0, 5), (2, 5), (5, 2), (-3, 1)])
def test_fori_loop_values(lower, upper):
    def body(i, c):
        return lax.add(lax.mul(c, 2), i)

    expected = 1
    for i in range(lower, upper):
        expected = expected * 2 + i
    assert int(lax.fori_loop(lower, upper, body, 1)) == expected
    assert int(kiln.jit(lambda lo, hi: lax.fori_loop(lo, hi, body, 1))(lower, upper)) == expected


def test_fori_loop_checks():
    with pytest.raises(TypeError, match="lower and upper arguments to fori_loop must have "
                                        "equal types, got int8 and int32"):
        lax.fori_loop(np.int8(0), np.int32(3), lambda i, c: c, 1.0)
    with pytest.raises(ValueError, match=re.escape(
            "Can only use `unroll` in `fori_loop` if the loop bounds are statically known.")):
        kiln.jit(lambda n: lax.fori_loop(0, n, lambda i, c: c, 1.0, unroll=2))(3)
    with pytest.raises(TypeError, match="lax.fori_loop: body_fun argument should be callable"):
        lax.fori_loop(0, 1, None, 1.0)
    # a weakly typed Python int adapts to the other bound's type
    assert int(lax.fori_loop(0, np.int16(3), lambda i, c: lax.add(c, 1), 0)) == 3


def test_while_loop_errors():
    def body(c):
        return lax.convert_element_type(c, np.int32)

    with pytest.raises(TypeError) as e:
        lax.while_loop(lambda c: lax.lt(c, 3.0), body, 1.0)
    assert str(e.value) == (
        "while_loop body function carry input and carry output must have equal types, but "
        "they differ:\n\nThe input carry c has type float32[] but the corresponding output "
        "carry component has type int32[], so the dtypes do not match.\n\n"
        "Revise the function so that all output types match the corresponding input types.")

    def body2(carry):
        return (carry[0], lax.broadcast_in_dim(carry[1], (1,), ()))

    with pytest.raises(TypeError, match=re.escape(
            "The input carry component carry[1] has type float32[] but the corresponding "
            "output carry component has type float32[1], so the shapes do not match.")):
        lax.while_loop(lambda c: True, body2, (1.0, 2.0))

    def body3(carry):
        return [carry[0]]

    with pytest.raises(TypeError) as e:
        lax.while_loop(lambda c: True, body3, (1.0,))
    assert str(e.value) == (
        "while_loop body function carry input and carry output must have the same pytree "
        "structure, but they differ:\n\nThe input carry carry is a <class 'tuple'> but the "
        "corresponding component of the carry output is a <class 'list'>, so their Python "
        "types differ.\n\nRevise the function so that the carry output has the same pytree "
        "structure as the carry input.")
    with pytest.raises(TypeError, match=re.escape(
            "cond_fun must return a boolean scalar, but got output type(s) "
            "[ShapedArray(float32[], weak_type=True)].")):
        lax.while_loop(lambda c: c, lambda c: c, 1.0)
    with pytest.raises(TypeError, match=re.escape(
            "cond_fun must return a boolean scalar, but got pytree PyTreeDef((*, *)).")):
        lax.while_loop(lambda c: (lax.lt(c, 1.0), lax.lt(c, 2.0)), lambda c: c, 1.0)


def test_weak_initial_carry_is_promoted_to_the_body_type():
    out = lax.fori_loop(0, 3, lambda i, c: lax.mul(lax.convert_element_type(c, f32),
                                                  f32(2.5)), 1)
    assert out.dtype == np.float32 and float(out) == 15.625
    c, ys = lax.scan(lambda c, x: (lax.add(lax.convert_element_type(c, f32), x), c), 0,
                     np.arange(3, dtype=f32))
    assert c.dtype == np.float32 and ys.dtype == np.float32 and float(c) == 3.0


def test_disable_jit_runs_loops_in_python():
    with kiln.disable_jit():
        assert int(collatz_steps(np.int32(6))) == 8
        c, ys = lax.scan(lambda c, x: (lax.add(c, x), c), f32(0), np.arange(3, dtype=f32))
        assert float(c) == 3.0 and list(np.asarray(ys)) == [0.0, 0.0, 1.0]


# -- scan and map -------------------------------------------------------------------------------


def python_scan(f, init, xs, reverse=False):
    carry, ys = init, []
    order = range(len(xs) - 1, -1, -1) if reverse else range(len(xs))
    for i in order:
        carry, y = f(carry, xs[i])
        ys.append(y)
    return carry, np.stack(ys[::-1] if reverse else ys)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("unroll", [1, 2, 3, True])
def test_scan_matches_a_python_loop(reverse, unroll):
    xs = np.linspace(-1, 1, 7).astype(f32)
    w = f32(0.9)

    def step(c, x):
        return lax.add(lax.mul(c, w), x), lax.sin(c)

    def numpy_step(c, x):
        return c * w + x, np.sin(c)

    want_c, want_ys = python_scan(numpy_step, f32(0.5), xs, reverse)
    for f in (lax.scan, kiln.jit(lax.scan, static_argnums=(0, 3, 4, 5))):
        c, ys = f(step, f32(0.5), xs, None, reverse, unroll)
        np.testing.assert_allclose(c, want_c, rtol=1e-6)
        np.testing.assert_allclose(ys, want_ys, rtol=1e-6)


def test_scan_pytrees_length_and_no_ys():
    def step(carry, x):
        a, b = carry
        return (lax.add(a, x["u"]), lax.mul(b, x["v"])), None

    xs = {"u": np.arange(4, dtype=f32), "v": np.full((4, 2), 2.0, f32)}
    (a, b), ys = lax.scan(step, (f32(0), np.ones(2, f32)), xs)
    assert ys is None and float(a) == 6.0
    np.testing.assert_array_equal(b, [16.0, 16.0])
    c, ys = lax.scan(lambda c, _: (lax.add(c, 1), c), 0, None, length=3)
    assert int(c) == 3 and list(np.asarray(ys)) == [0, 1, 2]
    c, ys = lax.scan(lambda c, x: (c, x), f32(1), np.zeros((0, 2), f32))
    assert float(c) == 1.0 and ys.shape == (0, 2)


def test_scan_jaxpr_matches_jax():
    def s(c, xs, y):
        return lax.scan(lambda c, x: (lax.add(c, lax.mul(x, y)), lax.mul(c, 2.0)), c, xs)

    assert jaxpr_text(s, 1.0, np.ones(3, f32), 2.0) == """\
{ lambda ; a:f32[] b:f32[3] c:f32[]. let
    d:f32[] e:f32[3] = scan[
      jaxpr={ lambda ; f:f32[] g:f32[] h:f32[]. let
          i:f32[] = mul h f
          j:f32[] = add g i
          k:f32[] = mul g 2.0:f32[]
        in (j, k) }
      length=3
      num_carry=1
      num_consts=1
      reverse=False
      unroll=1
    ] c a b
  in (d, e) }"""
    text = jaxpr_text(lambda c, xs: lax.scan(lambda c, x: (lax.add(c, x), lax.mul(c, 2.0)), c,
                                             xs, reverse=True, unroll=2), 1.0, np.ones(3, f32))
    assert "      reverse=True\n      unroll=2\n" in text


def test_scan_forwarding_matches_jax():
    # ys that forward xs are the xs themselves
    text = jaxpr_text(lambda x: lax.scan(lambda c, x: (lax.mul(c, 2.0), (x, c)), x,
                                         lax.iota(np.float32, 3)), 1.0)
    iota = "    b:f32[3] = iota[dimension=0 dtype=float32 shape=(3,) sharding=None] \n"
    assert text == "{ lambda ; a:f32[]. let\n" + iota + """\
    c:f32[] d:f32[3] = scan[
      jaxpr={ lambda ; e:f32[] f:f32[]. let
          g:f32[] = mul e 2.0:f32[]
        in (g, e) }
      length=3
      num_carry=1
      num_consts=0
      reverse=False
      unroll=1
    ] a b
  in (c, b, d) }"""
    # a carry the body leaves unchanged is a const
    text = jaxpr_text(lambda x: lax.scan(lambda c, x: ((c[0], lax.mul(c[1], 2.0)), x), x,
                                         lax.iota(np.float32, 3)), (1.0, 2.0))
    assert text.endswith("""\
      length=3
      num_carry=1
      num_consts=1
      reverse=False
      unroll=1
    ] a b c
  in (a, d, c) }""")


def test_scan_errors():
    def f(c, x):
        return lax.convert_element_type(c, np.int32), x

    with pytest.raises(TypeError) as e:
        lax.scan(f, 1.0, np.ones(3, f32))
    assert str(e.value) == (
        "scan body function carry input and carry output must have equal types, but they "
        "differ:\n\nThe input carry c has type float32[] but the corresponding output carry "
        "component has type int32[], so the dtypes do not match.\n\n"
        "Revise the function so that all output types match the corresponding input types.")

    def f2(carry, x):
        return {"a": carry["a"], "b": lax.broadcast_in_dim(carry["b"], (1,), ())}, x

    with pytest.raises(TypeError, match=re.escape(
            "The input carry component carry['b'] has type float32[] but the corresponding "
            "output carry component has type float32[1], so the shapes do not match.")):
        lax.scan(f2, {"a": 1.0, "b": 2.0}, np.ones(3, f32))
    cases = [
        (lambda: lax.scan(lambda c, x: c, 1.0, np.ones(3, f32)), TypeError,
         "scan body output must be a pair, got ~float32[]."),
        (lambda: lax.scan(lambda c, x: (c, x), 1.0, np.ones(3, f32), length=4), ValueError,
         "scan got `length` argument of 4 which disagrees with leading axis sizes [3]."),
        (lambda: lax.scan(lambda c, x: (c, x), 1.0, (np.ones(3), np.ones(4))), ValueError,
         "scan got values with different leading axis sizes: 3, 4."),
        (lambda: lax.scan(lambda c, x: (c, x), 1.0, None), ValueError,
         "scan got no values to scan over and `length` not provided."),
        (lambda: lax.scan(lambda c, x: (c, x), 1.0, 1.0), ValueError,
         "scan got value with no leading axis to scan over: 1.0."),
        (lambda: lax.scan(lambda c, x: (c, x), 1.0, np.ones(3), unroll=-1), ValueError,
         "`unroll` must be a `bool` or a non-negative `int`."),
        (lambda: lax.scan(1, 1.0, np.ones(3)), TypeError,
         "lax.scan: f argument should be callable."),
    ]
    for call, error, message in cases:
        with pytest.raises(error) as e:
            call()
        assert str(e.value) == message


@pytest.mark.parametrize("batch_size", [None, 0, 1, 2, 3, 5, 8])
def test_map_with_and_without_batches(batch_size):
    xs = {"a": np.arange(5, dtype=f32), "b": np.arange(10, dtype=f32).reshape(5, 2)}

    def f(x):
        return lax.add(lax.mul(x["a"], 2.0), lax.reduce_sum(x["b"], (0,)))

    want = 2 * xs["a"] + xs["b"].sum(1)
    if batch_size is None:
        np.testing.assert_allclose(lax.map(f, xs), want)
    else:
        pytest.importorskip("kiln.batching")
        np.testing.assert_allclose(lax.map(f, xs, batch_size=batch_size), want)
        np.testing.assert_allclose(
            kiln.jit(lambda xs: lax.map(f, xs, batch_size=batch_size))(xs), want)


def test_map_jaxprs_match_jax():
    assert jaxpr_text(lambda xs: lax.map(lambda x: lax.mul(x, 2.0), xs), np.ones(5, f32)) == """\
{ lambda ; a:f32[5]. let
    b:f32[5] = scan[
      jaxpr={ lambda ; c:f32[]. let d:f32[] = mul c 2.0:f32[] in (d,) }
      length=5
      num_carry=0
      num_consts=0
      reverse=False
      unroll=1
    ] a
  in (b,) }"""
    pytest.importorskip("kiln.batching")
    text = jaxpr_text(lambda xs: lax.map(lambda x: lax.mul(x, 2.0), xs, batch_size=2),
                      np.ones(5, f32))
    assert text == """\
{ lambda ; a:f32[5]. let
    b:f32[4] = slice[limit_indices=(4,) start_indices=(0,) strides=None] a
    c:f32[2,2] = reshape[dimensions=None new_sizes=(2, 2) sharding=None] b
    d:f32[1] = slice[limit_indices=(5,) start_indices=(4,) strides=None] a
    e:f32[2,2] = scan[
      jaxpr={ lambda ; f:f32[2]. let g:f32[2] = mul f 2.0:f32[] in (g,) }
      length=2
      num_carry=0
      num_consts=0
      reverse=False
      unroll=1
    ] c
    h:f32[1] = mul d 2.0:f32[]
    i:f32[4] = reshape[dimensions=None new_sizes=(4,) sharding=None] e
    j:f32[5] = concatenate[dimension=0] i h
  in (j,) }"""


# -- associative_scan ---------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 5, 8, 13])
@pytest.mark.parametrize("reverse", [False, True])
def test_associative_scan_is_a_prefix_scan(n, reverse):
    xs = np.arange(1, n + 1, dtype=f32)
    want = np.cumsum(xs[::-1])[::-1] if reverse else np.cumsum(xs)
    np.testing.assert_allclose(lax.associative_scan(lax.add, xs, reverse=reverse), want)


def test_associative_scan_pytrees_axes_and_booleans():
    a = np.arange(12, dtype=f32).reshape(3, 4)
    out = lax.associative_scan(lambda x, y: (lax.add(x[0], y[0]), lax.max(x[1], y[1])),
                               (a, -a), axis=1)
    np.testing.assert_allclose(out[0], np.cumsum(a, 1))
    np.testing.assert_allclose(out[1], np.maximum.accumulate(-a, 1))
    flags = np.array([False, True, False, False, True])
    np.testing.assert_array_equal(lax.associative_scan(lax.bitwise_or, flags),
                                  np.logical_or.accumulate(flags))
    np.testing.assert_allclose(lax.associative_scan(lax.mul, a, axis=-2), np.cumprod(a, 0))


def test_associative_scan_jaxpr_matches_jax():
    text = jaxpr_text(lambda xs: lax.associative_scan(lax.add, xs), np.ones(5, f32))
    assert text.splitlines()[1:4] == [
        "    b:f32[2] = slice[limit_indices=(4,) start_indices=(0,) strides=(2,)] a",
        "    c:f32[2] = slice[limit_indices=(5,) start_indices=(1,) strides=(2,)] a",
        "    d:f32[2] = add b c"]
    assert text.splitlines()[-3:] == [
        "    u:f32[5] = pad[padding_config=((1, 1, 1),)] o 0.0:f32[]",
        "    v:f32[5] = add t u", "  in (v,) }"]


# -- the primitives' own rules ------------------------------------------------------------------


def test_cond_impl_runs_the_last_branch_out_of_range():
    branches = tuple(kiln.make_jaxpr(f)(f32(1)) for f in (lax.sin, lax.cos, lax.neg))
    for index, want in [(0, np.sin(2)), (2, -2.0), (3, -2.0), (-1, -2.0)]:
        (out,) = cond_p.bind(np.int32(index), f32(2), branches=branches)
        assert np.isclose(out, want)


def test_shape_rules_check_their_operands():
    body = kiln.make_jaxpr(lambda c, x: (lax.add(c, x), c))(f32(0), f32(0))
    with pytest.raises(TypeError, match="scan over length 3 got an xs operand of type f32\\[4\\]"):
        scan_p.bind(f32(0), np.ones(4, f32), jaxpr=body, length=3, num_consts=0,
                    num_carry=1, reverse=False, unroll=1)
    branches = (kiln.make_jaxpr(lambda x: x)(f32(1)), kiln.make_jaxpr(lambda x: x)(f32(1)))
    with pytest.raises(TypeError, match="cond branch index must be a scalar int32"):
        cond_p.bind(np.int8(0), f32(2), branches=branches)
    with pytest.raises(TypeError, match="cond branch 0 takes input types"):
        cond_p.bind(np.int32(0), np.int32(2), branches=branches)
    cond = kiln.make_jaxpr(lambda x: x)(f32(1))
    with pytest.raises(TypeError, match="must return a boolean scalar"):
        while_p.bind(f32(1), cond_jaxpr=cond, body_jaxpr=cond, cond_nconsts=0, body_nconsts=0)


def test_scan_decomposition_agrees_with_impl():
    from kiln.core import get_rule

    decomposition = get_rule("decomposition", scan_p)
    body = kiln.make_jaxpr(lambda a, c, x: (lax.add(lax.mul(c, a), x), lax.mul(c, x)))(
        f32(0), f32(0), f32(0))
    xs = np.linspace(0, 1, 5).astype(f32)
    for reverse in (False, True):
        for unroll in (1, 2, 5):
            params = dict(jaxpr=body, length=5, num_consts=1, num_carry=1, reverse=reverse,
                          unroll=unroll)
            jaxpr = kiln.make_jaxpr(lambda *a, p=params: decomposition(*a, **p))(
                f32(0.5), f32(1), xs)
            got = run_jaxpr(jaxpr.jaxpr, jaxpr.consts, [f32(0.5), f32(1), xs])
            want = get_rule("impl", scan_p)(f32(0.5), f32(1), xs, **params)
            for g, w in zip(got, want):
                np.testing.assert_allclose(g, w, rtol=1e-6)


def test_nested_control_flow():
    def f(x):
        def body(c, x):
            c = lax.cond(lax.gt(x, 0.0), lambda c: lax.add(c, x), lambda c: lax.sub(c, x), c)
            n = lax.fori_loop(0, 3, lambda i, n: lax.mul(n, 2.0), c)
            return c, n

        return lax.scan(body, f32(0), x)

    xs = np.array([1.0, -2.0, 3.0], f32)
    for g in (f, kiln.jit(f)):
        c, ys = g(xs)
        assert float(c) == 6.0
        np.testing.assert_allclose(ys, [8.0, 24.0, 48.0])


def test_jit_inside_branches_and_bodies():
    double = kiln.jit(lambda x: lax.mul(x, 2.0))
    f = kiln.jit(lambda p, x: lax.cond(p, double, lax.neg, x))
    assert float(f(True, f32(3))) == 6.0
    c, ys = lax.scan(lambda c, x: (double(c), double(x)), f32(1), np.arange(3, dtype=f32))
    assert float(c) == 8.0 and list(np.asarray(ys)) == [0.0, 2.0, 4.0]
    out = lax.while_loop(lambda c: lax.lt(c, 10.0), double, f32(1))
    assert float(out) == 16.0
    jaxpr = kiln.make_jaxpr(lambda x: lax.while_loop(lambda c: lax.lt(c, 10.0), double, x))(1.0)
    assert jaxpr.eqns[0].params["body_jaxpr"].eqns[0].primitive.name == "jit"


def test_signature_defaults_match_jax():
    assert str(inspect.signature(lax.scan)) == (
        "(f: 'Callable', init: 'Any', xs: 'Any' = None, length: 'int | None' = None, "
        "reverse: 'bool' = False, unroll: 'int | bool' = 1, _split_transpose: 'bool' = False)"
        " -> 'Any'")
    assert "batch_size" in inspect.signature(lax.map).parameters
    assert list(inspect.signature(lax.fori_loop).parameters) == [
        "lower", "upper", "body_fun", "init_val", "unroll"]
