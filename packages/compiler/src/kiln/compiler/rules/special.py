"""Special functions StableHLO has no op for: ``bessel_i0e``, the incomplete gamma family
(``igamma``, ``igammac``, ``igamma_grad_a``) and ``regularized_incomplete_beta``.

They are computed in float64 with the algorithms of kiln-core's NumPy reference (power series
and continued fractions iterated in a ``stablehlo.while`` until every element has converged,
converged elements frozen), then rounded to the operand type, so the xla backend and the
reference agree to the operand type's precision.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kiln.compiler.lowering import LoweringRuleContext, Value
from kiln.compiler.rules import register_family
from kiln.compiler.rules.elementwise import broadcast_operands
from kiln.core.abstract import ShapedArray

F64 = np.dtype(np.float64)
EPS = float(np.finfo(np.float64).eps)
TINY = 1e-300
MAX_ITER = 100_000


class _Math:
    """Elementwise float64 arithmetic on Values of one shape, with Python numbers as
    constants: keeps the algorithms below readable."""

    def __init__(self, ctx: LoweringRuleContext, shape: tuple[int, ...]):
        self.c = ctx
        self.shape = shape

    def v(self, x: Any) -> Value:
        if isinstance(x, Value):
            if x.shape != self.shape:
                return self.c.broadcast(x, self.shape)
            return x
        return self.c.constant(x, F64, self.shape)

    def add(self, a: Any, b: Any) -> Value:
        return self.c.add(self.v(a), self.v(b))

    def sub(self, a: Any, b: Any) -> Value:
        return self.c.sub(self.v(a), self.v(b))

    def mul(self, a: Any, b: Any) -> Value:
        return self.c.mul(self.v(a), self.v(b))

    def div(self, a: Any, b: Any) -> Value:
        return self.c.div(self.v(a), self.v(b))

    def neg(self, a: Any) -> Value:
        return self.c.neg(self.v(a))

    def un(self, op: str, a: Any) -> Value:
        return self.c.op(op, [self.v(a)], ShapedArray(self.shape, F64))

    def log(self, a: Any) -> Value:
        return self.un("stablehlo.log", a)

    def log1p(self, a: Any) -> Value:
        return self.un("stablehlo.log_plus_one", a)

    def exp(self, a: Any) -> Value:
        return self.un("stablehlo.exponential", a)

    def sqrt(self, a: Any) -> Value:
        return self.un("stablehlo.sqrt", a)

    def abs(self, a: Any) -> Value:
        return self.un("stablehlo.abs", a)

    def lgamma(self, a: Any) -> Value:
        return self.un("chlo.lgamma", a)

    def digamma(self, a: Any) -> Value:
        return self.un("chlo.digamma", a)

    def cmp(self, a: Any, b: Any, direction: str) -> Value:
        return self.c.compare(self.v(a), self.v(b), direction, "FLOAT")

    def finite(self, a: Any) -> Value:
        return self.c.op("stablehlo.is_finite", [self.v(a)], ShapedArray(self.shape, np.bool_))

    def isinf(self, a: Any) -> Value:
        return self.cmp(self.abs(a), np.inf, "EQ")

    def where(self, p: Value, a: Any, b: Any) -> Value:
        return self.c.select(p, self.v(a), self.v(b))

    def and_(self, *ps: Value) -> Value:
        out = ps[0]
        for p in ps[1:]:
            out = self.c.and_(out, p)
        return out

    def or_(self, *ps: Value) -> Value:
        out = ps[0]
        for p in ps[1:]:
            out = self.c.or_(out, p)
        return out

    def not_(self, p: Value) -> Value:
        return self.c.not_(p)


def iterate(ctx: LoweringRuleContext, shape: tuple[int, ...], state: Sequence[Value],
            step: Callable[..., tuple[list[Value], Value]], max_iter: int = MAX_ITER
            ) -> list[Value]:
    """Run ``step(m, n, *state) -> (new_state, converged)`` (``n`` = 1, 2, ... as a float64
    scalar; ``m`` a :class:`_Math` of the loop body) until every element has converged or
    ``max_iter`` steps; an element's state is frozen once it has converged."""
    n0 = ctx.constant(0.0, F64)
    active0 = ctx.constant(True, np.bool_, shape)

    def cond(c: LoweringRuleContext, n: Value, active: Value, *rest: Value) -> Value:
        more = c.compare(n, c.constant(float(max_iter), F64), "LT", "FLOAT")
        return c.and_(more, c.reduce_all(active, "stablehlo.or"))

    def body(c: LoweringRuleContext, n: Value, active: Value, *rest: Value) -> list[Value]:
        m = _Math(c, shape)
        n1 = c.add(n, c.constant(1.0, F64))
        new, done = step(m, n1, *rest)
        kept = [c.select(active, a, b) for a, b in zip(new, rest)]
        return [n1, c.and_(active, c.not_(done)), *kept]

    out = ctx.while_loop([n0, active0, *state], cond, body)
    return out[2:]


def _to_f64(ctx: LoweringRuleContext, args: Sequence[Value]) -> list[Value]:
    return [ctx.convert(x, F64) for x in broadcast_operands(ctx, args)]


def _finish(ctx: LoweringRuleContext, x: Value) -> Value:
    return ctx.convert(x, ctx.avals_out[0].dtype)


# -- Bessel ---------------------------------------------------------------------------------

_BESSEL_SERIES_MAX = 30.0


def _bessel_i0e(ctx: LoweringRuleContext, x: Value, **_: Any) -> Value:
    (x,) = _to_f64(ctx, [x])
    shape = x.shape
    m = _Math(ctx, shape)
    ax = m.abs(x)
    small = m.cmp(ax, _BESSEL_SERIES_MAX, "LE")
    t = m.where(small, ax, 0.0)
    quarter = m.div(m.mul(t, t), 4.0)

    def step(b: _Math, n: Value, term: Value, total: Value, q: Value) -> tuple:
        term = b.div(b.mul(term, q), b.mul(n, n))
        total = b.add(total, term)
        done = b.cmp(term, b.div(b.mul(total, EPS), 4.0), "LE")
        return [term, total, q], done

    _, total, _ = iterate(ctx, shape, [m.v(1.0), m.v(1.0), quarter], step, 200)
    series = m.mul(total, m.exp(m.neg(t)))
    big = m.where(small, 1.0, ax)
    term, acc = m.v(1.0), m.v(1.0)
    for k in range(1, 41):  # e^-t I_0(t) ~ (2 pi t)^-1/2 sum_k prod (2j-1)^2 / (k! (8t)^k)
        term = m.div(m.mul(term, float((2 * k - 1) ** 2)), m.mul(big, 8.0 * k))
        acc = m.add(acc, term)
    asymptotic = m.div(acc, m.sqrt(m.mul(big, 2 * math.pi)))
    out = m.where(small, series, asymptotic)
    out = m.where(m.isinf(ax), 0.0, out)
    return _finish(ctx, out)


# -- incomplete gamma -----------------------------------------------------------------------


def _igamma_all(ctx: LoweringRuleContext, a: Value, x: Value) -> tuple[Value, Value, Value]:
    """(P, Q, dP/da) on the interior of the domain (a > 0, 0 < x < inf); NaN elsewhere."""
    shape = a.shape
    m = _Math(ctx, shape)
    interior = m.and_(m.cmp(a, 0.0, "GT"), m.cmp(x, 0.0, "GT"), m.finite(a), m.finite(x))
    use_series = m.and_(interior, m.cmp(x, m.add(a, 1.0), "LT"))
    use_fraction = m.and_(interior, m.not_(use_series))

    # Series, for x < a + 1 (other elements get harmless inputs).
    sa, sx = m.where(use_series, a, 1.0), m.where(use_series, x, 0.5)
    log_x = m.log(sx)
    prefactor = m.exp(m.sub(m.sub(m.mul(sa, log_x), sx), m.lgamma(m.add(sa, 1.0))))

    def series_step(b: _Math, n: Value, term: Value, total: Value, harmonic: Value,
                    weighted: Value, a_: Value, x_: Value) -> tuple:
        a_n = b.add(a_, n)
        term = b.div(b.mul(term, x_), a_n)
        total = b.add(total, term)
        harmonic = b.add(harmonic, b.div(1.0, a_n))
        weighted = b.add(weighted, b.mul(term, harmonic))
        done = b.cmp(term, b.div(b.mul(total, EPS), 4.0), "LE")
        return [term, total, harmonic, weighted, a_, x_], done

    _, total, _, weighted, _, _ = iterate(
        ctx, shape, [m.v(1.0), m.v(1.0), m.v(0.0), m.v(0.0), sa, sx], series_step)
    ps = m.mul(prefactor, total)
    dps = m.mul(prefactor, m.sub(m.mul(m.sub(log_x, m.digamma(m.add(sa, 1.0))), total),
                                 weighted))

    # Legendre's continued fraction, for x >= a + 1.
    fa, fx = m.where(use_fraction, a, 1.0), m.where(use_fraction, x, 2.0)
    a_cur0 = m.sub(m.add(fx, 1.0), fa)

    def fraction_step(b: _Math, n: Value, a_prev: Value, a_cur: Value, b_prev: Value,
                      b_cur: Value, da_prev: Value, da_cur: Value, db_prev: Value,
                      db_cur: Value, k: Value, a_: Value, x_: Value) -> tuple:
        bn = b.sub(b.add(b.add(x_, b.mul(n, 2.0)), 1.0), a_)
        an = b.mul(n, b.sub(a_, n))
        new_a = b.add(b.mul(bn, a_cur), b.mul(an, a_prev))
        new_b = b.add(b.mul(bn, b_cur), b.mul(an, b_prev))
        new_da = b.add(b.add(b.sub(b.mul(bn, da_cur), a_cur), b.mul(n, a_prev)),
                       b.mul(an, da_prev))
        new_db = b.add(b.add(b.sub(b.mul(bn, db_cur), b_cur), b.mul(n, b_prev)),
                       b.mul(an, db_prev))
        scale = b.div(1.0, b.abs(new_b))
        prev = [b.mul(v, scale) for v in (a_cur, b_cur, da_cur, db_cur)]
        cur = [b.mul(v, scale) for v in (new_a, new_b, new_da, new_db)]
        k_new = b.div(cur[0], cur[1])
        done = b.cmp(b.abs(b.sub(k_new, k)), b.mul(b.abs(k_new), 2 * EPS), "LE")
        return [prev[0], cur[0], prev[1], cur[1], prev[2], cur[2], prev[3], cur[3], k_new,
                a_, x_], done

    state = [m.v(1.0), a_cur0, m.v(0.0), m.v(1.0), m.v(0.0), m.v(-1.0), m.v(0.0), m.v(0.0),
             a_cur0, fa, fx]
    out = iterate(ctx, shape, state, fraction_step)
    a_cur, b_cur, da_cur, db_cur, k = out[1], out[3], out[5], out[7], out[8]
    dk = m.div(m.sub(m.mul(da_cur, b_cur), m.mul(a_cur, db_cur)), m.mul(b_cur, b_cur))
    qs = m.div(m.exp(m.sub(m.sub(m.mul(fa, m.log(fx)), fx), m.lgamma(fa))), k)
    dqs = m.mul(qs, m.sub(m.sub(m.log(fx), m.digamma(fa)), m.div(dk, k)))

    nan = np.nan
    p = m.where(use_series, ps, m.where(use_fraction, m.sub(1.0, qs), nan))
    q = m.where(use_series, m.sub(1.0, ps), m.where(use_fraction, qs, nan))
    dp = m.where(use_series, dps, m.where(use_fraction, m.neg(dqs), nan))
    return p, q, dp


def _gamma_edges(m: _Math, a: Value, x: Value) -> tuple[Value, Value]:
    """(x == 0 and a > 0, x > 0 and (a == 0 or (x == inf and a finite)))."""
    at_zero = m.and_(m.cmp(x, 0.0, "EQ"), m.cmp(a, 0.0, "GT"))
    at_one = m.and_(m.cmp(x, 0.0, "GT"),
                    m.or_(m.cmp(a, 0.0, "EQ"), m.and_(m.cmp(x, np.inf, "EQ"), m.finite(a))))
    return at_zero, at_one


def _igamma(ctx: LoweringRuleContext, a: Value, x: Value, **_: Any) -> Value:
    a, x = _to_f64(ctx, [a, x])
    m = _Math(ctx, a.shape)
    p, _, _ = _igamma_all(ctx, a, x)
    at_zero, at_one = _gamma_edges(m, a, x)
    return _finish(ctx, m.where(at_one, 1.0, m.where(at_zero, 0.0, p)))


def _igammac(ctx: LoweringRuleContext, a: Value, x: Value, **_: Any) -> Value:
    a, x = _to_f64(ctx, [a, x])
    m = _Math(ctx, a.shape)
    _, q, _ = _igamma_all(ctx, a, x)
    at_zero, at_one = _gamma_edges(m, a, x)
    return _finish(ctx, m.where(at_one, 0.0, m.where(at_zero, 1.0, q)))


def _igamma_grad_a(ctx: LoweringRuleContext, a: Value, x: Value, **_: Any) -> Value:
    a, x = _to_f64(ctx, [a, x])
    m = _Math(ctx, a.shape)
    _, _, dp = _igamma_all(ctx, a, x)
    flat = m.and_(m.cmp(x, 0.0, "EQ"), m.cmp(a, 0.0, "GT"), m.finite(a))
    return _finish(ctx, m.where(flat, 0.0, dp))


# -- incomplete beta ------------------------------------------------------------------------


def _betainc_fraction(ctx: LoweringRuleContext, a: Value, b: Value, x: Value) -> Value:
    """I_x(a, b) by its continued fraction, evaluated with Lentz's method."""
    shape = a.shape
    m = _Math(ctx, shape)

    def step(s: _Math, i: Value, f: Value, c: Value, d: Value, a_: Value, b_: Value,
             x_: Value) -> tuple:
        cc = s.c
        two = cc.constant(2.0, F64)
        half = cc.op("stablehlo.floor", [cc.div(i, two)], i.aval)  # m = i // 2
        odd = cc.compare(cc.sub(i, cc.mul(half, two)), cc.constant(1.0, F64), "EQ", "FLOAT")
        mm = s.v(half)
        a2m = s.add(a_, s.mul(mm, 2.0))
        coeff_odd = s.div(s.neg(s.mul(s.mul(s.add(a_, mm), s.add(s.add(a_, b_), mm)), x_)),
                          s.mul(a2m, s.add(a2m, 1.0)))
        coeff_even = s.div(s.mul(s.mul(mm, s.sub(b_, mm)), x_),
                           s.mul(s.sub(a2m, 1.0), a2m))
        coeff = s.where(cc.broadcast(odd, shape), coeff_odd, coeff_even)
        d_new = s.add(1.0, s.mul(coeff, d))
        d_new = s.div(1.0, s.where(s.cmp(s.abs(d_new), TINY, "LT"), TINY, d_new))
        c_new = s.add(1.0, s.div(coeff, c))
        c_new = s.where(s.cmp(s.abs(c_new), TINY, "LT"), TINY, c_new)
        delta = s.mul(c_new, d_new)
        done = s.cmp(s.abs(s.sub(delta, 1.0)), 2 * EPS, "LE")
        return [s.mul(f, delta), c_new, d_new, a_, b_, x_], done

    f = iterate(ctx, shape, [m.v(1.0), m.v(1.0), m.v(0.0), a, b, x], step)[0]
    log_beta = m.sub(m.add(m.lgamma(a), m.lgamma(b)), m.lgamma(m.add(a, b)))
    power = m.exp(m.sub(m.add(m.mul(a, m.log(x)), m.mul(b, m.log1p(m.neg(x)))), log_beta))
    return m.div(power, m.mul(a, f))


def _regularized_incomplete_beta(ctx: LoweringRuleContext, a: Value, b: Value, x: Value,
                                 **_: Any) -> Value:
    a, b, x = _to_f64(ctx, [a, b, x])
    m = _Math(ctx, a.shape)
    interior = m.and_(m.cmp(a, 0.0, "GT"), m.cmp(b, 0.0, "GT"), m.finite(a), m.finite(b),
                      m.cmp(x, 0.0, "GT"), m.cmp(x, 1.0, "LT"))
    # Above the mean the fraction converges slowly: I_x(a, b) = 1 - I_{1-x}(b, a) there.
    flip = m.and_(interior, m.cmp(m.mul(x, m.add(m.add(a, b), 2.0)), m.add(a, 1.0), "GT"))
    direct = m.and_(interior, m.not_(flip))
    fa = m.where(interior, m.where(flip, b, a), 1.0)
    fb = m.where(interior, m.where(flip, a, b), 1.0)
    fx = m.where(interior, m.where(flip, m.sub(1.0, x), x), 0.5)
    frac = _betainc_fraction(ctx, fa, fb, fx)
    out = m.where(direct, frac, m.where(flip, m.sub(1.0, frac), np.nan))
    in_domain = m.and_(m.cmp(a, 0.0, "GE"), m.cmp(b, 0.0, "GE"), m.cmp(x, 0.0, "GE"),
                       m.cmp(x, 1.0, "LE"),
                       m.not_(m.and_(m.cmp(a, 0.0, "EQ"), m.cmp(b, 0.0, "EQ"))),
                       m.not_(m.and_(m.isinf(a), m.isinf(b))))
    out = m.where(m.and_(in_domain, m.or_(m.cmp(a, 0.0, "EQ"), m.isinf(b))), 1.0, out)
    out = m.where(m.and_(in_domain, m.or_(m.cmp(b, 0.0, "EQ"), m.isinf(a))), 0.0, out)
    out = m.where(m.and_(in_domain, m.cmp(x, 0.0, "EQ")), 0.0, out)
    out = m.where(m.and_(in_domain, m.cmp(x, 1.0, "EQ")), 1.0, out)
    return _finish(ctx, out)


RULES: dict[str, Any] = {
    "bessel_i0e": _bessel_i0e, "igamma": _igamma, "igammac": _igammac,
    "igamma_grad_a": _igamma_grad_a, "regularized_incomplete_beta": _regularized_incomplete_beta,
}

REGISTERED = register_family("elementwise", RULES)
