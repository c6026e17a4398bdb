"""Oracle tests: kiln's differentiation against JAX 0.10.2 run in its own process (skipped
unless KILN_ORACLE_PYTHON is set, as ``nox -s oracle`` does): error messages, printed
tracers and primitives, and derivative values."""

from __future__ import annotations

import re

import numpy as np
import pytest

import kiln
from kiln import lax

pytestmark = pytest.mark.oracle

# Each case: (kiln callable, JAX expression); both raise, and the messages must agree.
ERRORS = {
    "non_scalar": (lambda: kiln.grad(lambda x: lax.mul(x, 2.0))(np.ones(3, np.float32)),
                   "jax.grad(lambda x: x * 2.0)(jnp.ones(3))"),
    "integer_input": (lambda: kiln.grad(lambda x: lax.mul(x, 2))(np.int32(1)),
                      "jax.grad(lambda x: x * 2)(jnp.int32(1))"),
    "holomorphic_input": (lambda: kiln.grad(lambda x: x, holomorphic=True)(1.0),
                          "jax.grad(lambda x: x, holomorphic=True)(1.0)"),
    "argnums": (lambda: kiln.grad(lambda x: x, argnums=2)(1.0),
                "jax.grad(lambda x: x, argnums=2)(1.0)"),
    "jvp_not_tuples": (lambda: kiln.jvp(lax.sin, 1.0, 1.0), "jax.jvp(jnp.sin, 1.0, 1.0)"),
    "jvp_shapes": (lambda: kiln.jvp(lax.sin, (np.ones(3, np.float32),),
                                    (np.ones(2, np.float32),)),
                   "jax.jvp(jnp.sin, (jnp.ones(3),), (jnp.ones(2),))"),
    "jvp_dtypes": (lambda: kiln.jvp(lax.sin, (np.ones(3, np.float32),),
                                    (np.ones(3, np.float16),)),
                   "jax.jvp(jnp.sin, (jnp.ones(3),), (jnp.ones(3, jnp.float16),))"),
    "vjp_cotangent": (lambda: kiln.vjp(lax.sin, np.ones(3, np.float32))[1](
        np.ones(2, np.float32)), "jax.vjp(jnp.sin, jnp.ones(3))[1](jnp.ones(2))"),
}


def _custom_vjp_case(bwd_kiln, bwd_jax):
    def run_kiln():
        @kiln.custom_vjp
        def g(x):
            return lax.mul(x, 2.0)

        g.defvjp(lambda x: (g(x), x), bwd_kiln)
        kiln.grad(g)(1.0)

    jax_code = ("(lambda g: (g.defvjp(lambda x: (g(x), x), " + bwd_jax + "), "
                "jax.grad(g)(1.0)))(jax.custom_vjp(lambda x: x * 2.0))")
    return run_kiln, jax_code


ERRORS["bwd_too_many"] = _custom_vjp_case(lambda r, ct: (ct, ct), "lambda r, ct: (ct, ct)")
ERRORS["bwd_not_tuple"] = _custom_vjp_case(lambda r, ct: ct, "lambda r, ct: ct")
ERRORS["bwd_shape"] = _custom_vjp_case(lambda r, ct: (np.ones(3, np.float32),),
                                       "lambda r, ct: (jnp.ones(3),)")


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_error_messages_match_jax(name, jax_oracle):
    run_kiln, jax_code = ERRORS[name]
    with pytest.raises(Exception) as e:
        run_kiln()
    got = f"{type(e.value).__name__}: {e.value}"
    expected = jax_oracle(f"""
try:
    {jax_code}
    result = "no error"
except Exception as e:
    result = type(e).__name__ + ": " + str(e)
""")
    # kiln names itself where JAX's messages name jax's API
    assert got.replace("kiln.vjp", "jax.vjp") == expected.replace(
        "differentiated function <lambda> at", "differentiated function")


def test_tracer_reprs_match_jax(jax_oracle):
    seen = []

    def f(x):
        seen.append(repr(x))
        return lax.mul(x, 2.0)

    kiln.grad(f)(1.0)
    kiln.jvp(f, (1.0,), (1.0,))
    kiln.grad(kiln.grad(f))(1.0)
    expected = jax_oracle("""
seen = []
def f(x):
    seen.append(repr(x))
    return x * 2.0
jax.grad(f)(1.0)
jax.jvp(f, (1.0,), (1.0,))
jax.grad(jax.grad(f))(1.0)
result = seen
""")
    assert seen == expected


def test_printed_custom_primitives_match_jax(jax_oracle):
    @kiln.custom_jvp
    def f(x):
        return lax.sin(x)

    f.defjvp(lambda p, t: (f(p[0]), lax.mul(t[0], 2.0)))
    checkpointed = kiln.checkpoint(lambda x: lax.mul(lax.sin(x), 2.0))
    got = [str(kiln.make_jaxpr(f)(1.0)), str(kiln.make_jaxpr(checkpointed)(1.0)),
           str(kiln.make_jaxpr(kiln.grad(checkpointed))(1.0))]
    expected = jax_oracle("""
@jax.custom_jvp
def f(x):
    return jnp.sin(x)
f.defjvp(lambda p, t: (f(p[0]), t[0] * 2.0))
c = jax.checkpoint(lambda x: jnp.sin(x) * 2.0)
result = [str(jax.make_jaxpr(f)(1.0)), str(jax.make_jaxpr(c)(1.0)),
          str(jax.make_jaxpr(jax.grad(c))(1.0))]
""")
    assert got[:2] == expected[:2]
    # JAX prints the forward pass's unused product as ``_``, without naming it
    assert _canonical_names(got[2]) == _canonical_names(expected[2])


_KEYWORDS = {"lambda", "let", "in", "sin", "cos", "mul"}


def _canonical_names(text: str) -> str:
    """``text`` with jaxpr variables renamed v0, v1... in order of appearance (each ``_``
    a variable of its own)."""
    names: dict[str, str] = {}
    count = [0]

    def fresh() -> str:
        count[0] += 1
        return f"v{count[0] - 1}"

    def rename(match: re.Match) -> str:
        name = match.group(1)
        if name in _KEYWORDS:
            return name
        if name == "_":
            return fresh()
        if name not in names:
            names[name] = fresh()
        return names[name]

    return re.sub(r"(?<![\w.=])([a-z]+|_)(?=[:\s),])", rename, text)


def test_derivative_values_match_jax(jax_oracle):
    x = np.array([0.3, -0.7, 1.2], np.float32)

    def f(x):
        return lax.reduce_sum(lax.mul(lax.tanh(x), lax.cumprod(x)), (0,))

    got = [np.asarray(kiln.grad(f)(x)).tolist(), np.asarray(kiln.hessian(f)(x)).tolist(),
           np.asarray(kiln.jacfwd(lax.cumprod)(x)).tolist()]
    expected = jax_oracle("""
x = jnp.array([0.3, -0.7, 1.2], jnp.float32)
f = lambda x: jnp.sum(jnp.tanh(x) * jnp.cumprod(x))
result = [jax.grad(f)(x).tolist(), jax.hessian(f)(x).tolist(),
          jax.jacfwd(jnp.cumprod)(x).tolist()]
""")
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
