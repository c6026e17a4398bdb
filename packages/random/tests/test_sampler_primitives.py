"""The rejection samplers' loop (``random_while``, a ``lax.while_loop``) and kiln-random's
sampler primitives over keys (``random_gamma``, ``random_poisson``, ``random_binomial``),
checked with kiln-core's conformance kit."""

from __future__ import annotations

import numpy as np
import pytest

import kiln
from kiln import lax
from kiln.core.testing import check_primitive
from kiln.random import random_binomial_p, random_gamma_p, random_poisson_p
from kiln.random.distributions.loops import random_while

KEY = np.array([0, 5], np.uint32)


def _collatz_cond(consts, carry):
    n, _ = carry
    return lax.reduce_or(lax.gt(n, np.int32(1)), (0,))


def _collatz_body(consts, carry):
    (three,) = consts
    n, steps = carry
    going = lax.gt(n, np.int32(1))
    odd = lax.eq(lax.rem(n, np.int32(2)), np.int32(1))
    nxt = lax.select(odd, lax.add(lax.mul(n, three), np.int32(1)), lax.div(n, np.int32(2)))
    return [lax.select(going, nxt, n), lax.select(going, lax.add(steps, np.int32(1)), steps)]


def _collatz(n):
    steps = 0
    while n > 1:
        n = 3 * n + 1 if n % 2 else n // 2
        steps += 1
    return steps


def test_random_while_runs_to_completion_eagerly_and_under_jit() -> None:
    start = np.array([1, 6, 7, 27], np.int32)
    want = [_collatz(int(n)) for n in start]
    three = np.full(4, 3, np.int32)

    def run(s):
        return random_while(_collatz_cond, _collatz_body, [three], [s, lax.full_like(s, 0)])[1]

    np.testing.assert_array_equal(run(start), want)
    np.testing.assert_array_equal(kiln.jit(run)(start), want)


def test_random_while_stages_one_while_loop() -> None:
    three = np.full(2, 3, np.int32)
    jaxpr = kiln.make_jaxpr(
        lambda s: random_while(_collatz_cond, _collatz_body, [three], [s, s]))(
            np.ones(2, np.int32))
    assert [e.primitive.name for e in jaxpr.eqns] == ["while"]


def test_poisson_primitive_conformance() -> None:
    report = check_primitive(random_poisson_p, KEY, np.array([1.0, 3.0, 40.0], np.float32),
                             dtype=np.dtype(np.int32))
    assert "impl_vs_abstract_eval" in report.passed


def test_binomial_primitive_conformance() -> None:
    report = check_primitive(random_binomial_p, KEY, np.array([5.0, 30.0, 400.0], np.float32),
                             np.array([0.3, 0.6, 0.1], np.float32))
    assert "impl_vs_abstract_eval" in report.passed


def test_gamma_primitive_conformance() -> None:
    # Its jvp is the implicit reparameterisation gradient (the CDF held fixed), not the
    # derivative of the sampling transformation that finite differences would measure.
    only = ["impl_vs_abstract_eval", "batch_vs_loop", "xla_lowering_vs_impl"]
    report = check_primitive(random_gamma_p, KEY, np.array([0.4, 2.0, 7.0], np.float32),
                             log_space=False, only=only)
    assert "impl_vs_abstract_eval" in report.passed


def test_keyed_primitives_check_their_operands() -> None:
    with pytest.raises(TypeError, match="keys must be uint32 key data"):
        random_gamma_p.bind(np.zeros(2, np.int32), np.ones(3, np.float32), log_space=False)
    with pytest.raises(TypeError, match="must be a prefix"):
        random_gamma_p.bind(np.zeros((2, 2), np.uint32), np.ones(3, np.float32),
                            log_space=False)
