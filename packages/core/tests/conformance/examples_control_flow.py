"""Conformance examples of the control-flow primitives (cond, while, scan):
``EXAMPLES = [(primitive, args, params), ...]`` with NumPy arguments of canonical dtypes,
their jaxpr params traced with ``kiln.make_jaxpr`` from small bodies.

The bodies fix the dtypes they compute in, so ``EXAMPLES_X64`` traces float64 variants with
``jax_enable_x64`` on; run those with it on."""

from __future__ import annotations

import ml_dtypes
import numpy as np

import kiln
from kiln import lax
from kiln.core.config import enable_x64
from kiln.core.primitives.control_flow import cond_p, scan_p, while_p

_rng = np.random.default_rng(0)
_bf16 = ml_dtypes.bfloat16


def _arr(shape: tuple[int, ...], dtype: type) -> np.ndarray:
    dt = np.dtype(dtype)
    if np.issubdtype(dt, np.complexfloating):
        return (_rng.standard_normal(shape) + 1j * _rng.standard_normal(shape)).astype(dt)
    if np.issubdtype(dt, np.integer):
        return _rng.integers(-4, 5, shape).astype(dt)
    return (0.5 * _rng.standard_normal(shape)).astype(dt)


def _c(value: float, dtype: type) -> np.generic:
    return np.asarray(value, dtype)[()]


def _cond_examples(dt: type) -> list[tuple]:
    x, y = _arr((3,), dt), _arr((), dt)
    nonlinear = (kiln.make_jaxpr(lambda x, y: (lax.cos(x), y))(x, y),
                 kiln.make_jaxpr(lambda x, y: (lax.mul(lax.sin(x), y), lax.neg(y)))(x, y))
    linear = (kiln.make_jaxpr(lambda x, y: lax.sub(lax.mul(x, _c(3, dt)), y))(x, y),
              kiln.make_jaxpr(lambda x, y: lax.add(lax.neg(x), lax.mul(y, _c(2, dt))))(x, y))
    three = tuple(kiln.make_jaxpr(f)(x) for f in (
        lambda x: lax.add(x, _c(1, dt)), lambda x: lax.mul(x, x), lambda x: lax.exp(x)))
    return [
        (cond_p, (np.int32(1), x, y), {"branches": nonlinear}),
        (cond_p, (np.int32(0), x, y), {"branches": nonlinear}),
        (cond_p, (np.int32(1), x, y), {"branches": linear}),
        (cond_p, (np.int32(2), x), {"branches": three}),
        (cond_p, (np.int32(0), x), {"branches": three}),
    ]


def _while_examples(dt: type) -> list[tuple]:
    a, x = _c(0.9, dt), _arr((3,), dt)
    cond = kiln.make_jaxpr(lambda i, x: lax.lt(i, np.int32(4)))(np.int32(0), x)
    body = kiln.make_jaxpr(lambda a, i, x: (lax.add(i, np.int32(1)),
                                            lax.add(lax.mul(x, a), lax.sin(x))))(a, np.int32(0), x)
    # the condition reads a const and a float carry: runs a data-dependent number of times
    bound = kiln.make_jaxpr(lambda limit, s, n: lax.lt(s, limit))(_c(3, dt), _c(0, dt),
                                                                  np.int32(0))
    step = kiln.make_jaxpr(lambda s, n: (lax.add(s, _c(1.25, dt)), lax.add(n, np.int32(1))))(
        _c(0, dt), np.int32(0))
    return [
        (while_p, (a, np.int32(0), x), {"cond_jaxpr": cond, "body_jaxpr": body,
                                        "cond_nconsts": 0, "body_nconsts": 1}),
        (while_p, (_c(3.3, dt), _c(0.4, dt), np.int32(0)),
         {"cond_jaxpr": bound, "body_jaxpr": step, "cond_nconsts": 1, "body_nconsts": 0}),
    ]


def _scan_examples(dt: type) -> list[tuple]:
    a, c, xs = _c(0.7, dt), _arr((2,), dt), _arr((4, 2), dt)
    nonlinear = kiln.make_jaxpr(lambda a, c, x: (lax.add(lax.mul(lax.sin(c), a), x),
                                                 lax.mul(c, x)))(a, c, xs[0])
    linear = kiln.make_jaxpr(lambda a, c, x: (lax.add(c, lax.mul(x, a)),
                                              lax.mul(c, _c(2, dt))))(a, c, xs[0])
    # a counter carry: the transpose with respect to c or xs runs it forwards first
    counted = kiln.make_jaxpr(lambda c, i, x: (
        lax.add(c, lax.mul(x, i)), lax.add(i, _c(1, dt)), lax.mul(c, i)))(c, _c(0, dt), xs[0])
    no_xs = kiln.make_jaxpr(lambda c: (lax.mul(c, _c(0.5, dt)), lax.cos(c)))(c)

    def scan(consts: int, carry: int, jaxpr: kiln.core.ClosedJaxpr, length: int = 4,
             reverse: bool = False, unroll: int = 1) -> dict:
        return {"jaxpr": jaxpr, "length": length, "num_consts": consts, "num_carry": carry,
                "reverse": reverse, "unroll": unroll}

    return [
        (scan_p, (a, c, xs), scan(1, 1, nonlinear)),
        (scan_p, (a, c, xs), scan(1, 1, nonlinear, reverse=True, unroll=3)),
        (scan_p, (a, c, xs), scan(1, 1, linear)),
        (scan_p, (a, c, xs), scan(1, 1, linear, reverse=True, unroll=2)),
        (scan_p, (c, _c(1, dt), xs), scan(0, 2, counted)),
        (scan_p, (c,), scan(0, 1, no_xs, length=3)),
        (scan_p, (c,), scan(0, 1, no_xs, length=0)),
    ]


def _integer_examples() -> list[tuple]:
    i, v = np.int32(3), _arr((4,), np.int32)
    branches = (kiln.make_jaxpr(lambda v: lax.mul(v, v))(v),
                kiln.make_jaxpr(lambda v: lax.sub(v, np.int32(1)))(v))
    cond = kiln.make_jaxpr(lambda n, v: lax.gt(n, np.int32(0)))(i, v)
    body = kiln.make_jaxpr(lambda n, v: (lax.sub(n, np.int32(1)),
                                         lax.add(v, np.int32(2))))(i, v)
    scan_body = kiln.make_jaxpr(lambda c, x: (lax.max(c, x), lax.add(c, x)))(v[0], v[0])
    return [
        (cond_p, (np.int32(1), v), {"branches": branches}),
        (while_p, (i, v), {"cond_jaxpr": cond, "body_jaxpr": body, "cond_nconsts": 0,
                           "body_nconsts": 0}),
        (scan_p, (np.int32(0), v), {"jaxpr": scan_body, "length": 4, "num_consts": 0,
                                    "num_carry": 1, "reverse": False, "unroll": 1}),
    ]


def _low_precision_examples(dt: type) -> list[tuple]:
    x = _arr((3,), dt)
    branches = (kiln.make_jaxpr(lambda x: lax.mul(x, _c(2, dt)))(x),
                kiln.make_jaxpr(lambda x: lax.neg(x))(x))
    body = kiln.make_jaxpr(lambda c, x: (lax.add(c, x), lax.mul(c, _c(0.5, dt))))(x[0], x[0])
    return [
        (cond_p, (np.int32(0), x), {"branches": branches}),
        (scan_p, (_c(1, dt), x), {"jaxpr": body, "length": 3, "num_consts": 0, "num_carry": 1,
                                  "reverse": True, "unroll": 1}),
    ]


EXAMPLES: list[tuple] = [
    *_cond_examples(np.float32), *_while_examples(np.float32), *_scan_examples(np.float32),
    *_cond_examples(np.complex64)[:1], *_scan_examples(np.complex64)[2:3],
    *_integer_examples(),
    *_low_precision_examples(np.float16), *_low_precision_examples(_bf16),
]

with enable_x64():
    EXAMPLES_X64: list[tuple] = [
        *_cond_examples(np.float64), *_while_examples(np.float64),
        *_scan_examples(np.float64),
    ]
