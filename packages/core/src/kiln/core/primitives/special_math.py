"""NumPy reference implementations of the special functions behind the elementwise
primitives (erf, lgamma, digamma, incomplete gamma and beta, Hurwitz zeta, Bessel...).

Every function takes and returns float64 arrays and is accurate to a few float64 ulps in
its domain; callers round the result to the operand dtype. kiln-core depends on NumPy only,
so these are written here: Python's ``math`` where it has the function, otherwise series,
continued fractions and asymptotic expansions evaluated on whole arrays, iterating until
every element has converged. Values outside the domain (poles, NaN regions) are the ones JAX
returns there.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

_EPS = np.finfo(np.float64).eps
_TINY = 1e-300  # keeps Lentz's continued-fraction evaluation away from division by zero


def _float64(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _pyvectorize(fn: Callable[[float], float]) -> Callable[[np.ndarray], np.ndarray]:
    """Apply a Python float function elementwise (for the functions ``math`` already has)."""
    ufunc = np.frompyfunc(fn, 1, 1)
    return lambda x: np.asarray(ufunc(_float64(x)), dtype=np.float64)


erf = _pyvectorize(math.erf)
erfc = _pyvectorize(math.erfc)


def _lgamma_scalar(v: float) -> float:
    if math.isinf(v) or (v <= 0 and v == math.floor(v)):
        return math.inf  # the poles, and both infinities
    try:
        return math.lgamma(v)
    except OverflowError:
        return math.inf


def _gamma_scalar(v: float) -> float:
    try:
        return math.gamma(v)
    except (OverflowError, ValueError):
        return math.inf


lgamma = _pyvectorize(_lgamma_scalar)
_gamma = _pyvectorize(_gamma_scalar)

# B_2k / 2k for k = 1..7: the asymptotic series psi(y) ~ log y - 1/2y - sum c_k / y^2k.
_PSI_SERIES = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12)


def digamma(x: np.ndarray) -> np.ndarray:
    x = _float64(x)
    negative = x < 0
    # Reflection psi(x) = psi(1 - x) - pi / tan(pi x); tan(pi x) has period 1, and reducing x
    # to [-1/2, 1/2] first (exactly) keeps its relative precision near the poles.
    cot = np.pi / np.tan(np.pi * (x - np.round(x)))
    y = np.where(negative, 1 - x, x)
    # Recurrence psi(y) = psi(y + 1) - 1/y until y >= 10, where the asymptotic series is exact
    # to float64 precision.
    shift = np.zeros_like(y)
    for _ in range(10):
        small = y < 10
        shift -= np.where(small, 1 / np.where(small, y, 1), 0)
        y = np.where(small, y + 1, y)
    z = 1 / (y * y)
    series = 0.0
    for c in reversed(_PSI_SERIES):
        series = (series + c) * z
    psi = np.log(y) - 0.5 / y - series + shift
    psi = np.where(negative, psi - cot, psi)
    pole = (x <= 0) & (x == np.floor(x))  # zero, the negative integers and -inf
    return np.where(pole, np.nan, psi)


def erf_inv(x: np.ndarray) -> np.ndarray:
    x = _float64(x)
    ax = np.abs(x)
    # Winitzki's closed-form approximation (relative error < 2e-3) as the starting point.
    a = 0.147
    log1m = np.log1p(-ax * ax)
    b = 2 / (np.pi * a) + log1m / 2
    y = np.sqrt(np.sqrt(b * b - log1m / a) - b)
    # Newton's method: on erf(y) = |x| near zero, and on erfc(y) = 1 - |x| in the tails, where
    # 1 - |x| is exact and erf(y) would have lost the digits that matter.
    tail = ax > 0.5
    target = np.where(tail, 1 - ax, ax)
    for _ in range(6):
        residual = np.where(tail, target - erfc(y), erf(y) - target)
        y = y - residual / (2 / np.sqrt(np.pi) * np.exp(-y * y))
    y = np.copysign(y, x)
    y = np.where(ax == 1, np.copysign(np.inf, x), y)
    return np.where(ax > 1, np.nan, y)


# -- incomplete gamma ---------------------------------------------------------------------


def _iterate(step: Callable[[np.ndarray], np.ndarray], shape: tuple[int, ...],
             max_iter: int) -> None:
    """Run ``step(active)`` until every element has converged. ``step`` updates only the
    elements of its ``active`` mask and returns which of them converged; those are frozen,
    so that rounding noise in later iterations cannot disturb them."""
    active = np.ones(shape, dtype=bool)
    for _ in range(max_iter):
        active &= ~step(active)
        if not active.any():
            return


def _igamma_series(a: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P(a, x) and dP/da from P = sum_n t_n, t_n = x^(a+n) e^-x / Gamma(a+n+1) (for x < a+1).
    dt_n/da = t_n (log x - psi(a+n+1)), and psi(a+n+1) = psi(a+1) + sum_{k<=n} 1/(a+k)."""
    log_x = np.log(x)
    prefactor = np.exp(a * log_x - x - lgamma(a + 1))
    term, total, harmonic, weighted = np.ones_like(x), np.ones_like(x), np.zeros_like(x), \
        np.zeros_like(x)
    n = 0

    def step(active: np.ndarray) -> np.ndarray:
        nonlocal term, total, harmonic, weighted, n
        n += 1
        term = np.where(active, term * x / (a + n), term)
        total = np.where(active, total + term, total)
        harmonic = np.where(active, harmonic + 1 / (a + n), harmonic)
        weighted = np.where(active, weighted + term * harmonic, weighted)
        return term <= _EPS * total / 4

    _iterate(step, x.shape, 100_000)
    p = prefactor * total
    dp = prefactor * ((log_x - digamma(a + 1)) * total - weighted)
    return p, dp


def _igammac_fraction(a: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Q(a, x) and dQ/da from Legendre's continued fraction (for x >= a+1):
    Q = x^a e^-x / Gamma(a) / K, K = b0 + a1/(b1 + a2/(b2 + ...)), b_n = x + 2n + 1 - a,
    a_n = n (a - n). K and dK/da come from the forward recurrences of the convergents
    A_n/B_n, carried together with their derivatives and rescaled to stay finite."""
    a_prev, a_cur = np.ones_like(x), x + 1 - a  # A_{n-1}, A_n
    b_prev, b_cur = np.zeros_like(x), np.ones_like(x)  # B_{n-1}, B_n
    da_prev, da_cur = np.zeros_like(x), -np.ones_like(x)
    db_prev, db_cur = np.zeros_like(x), np.zeros_like(x)
    k, dk = a_cur / b_cur, np.zeros_like(x)
    n = 0

    def step(active: np.ndarray) -> np.ndarray:
        nonlocal a_prev, a_cur, b_prev, b_cur, da_prev, da_cur, db_prev, db_cur, k, dk, n
        n += 1
        bn, an = x + 2 * n + 1 - a, n * (a - n)
        new = (bn * a_cur + an * a_prev, bn * b_cur + an * b_prev,
               -a_cur + bn * da_cur + n * a_prev + an * da_prev,
               -b_cur + bn * db_cur + n * b_prev + an * db_prev)
        scale = 1 / np.abs(new[1])
        cur = (a_cur, b_cur, da_cur, db_cur)
        prev = tuple(np.where(active, v * scale, p)
                     for v, p in zip(cur, (a_prev, b_prev, da_prev, db_prev)))
        cur = tuple(np.where(active, v * scale, c) for v, c in zip(new, cur))
        (a_prev, b_prev, da_prev, db_prev), (a_cur, b_cur, da_cur, db_cur) = prev, cur
        k_new = a_cur / b_cur
        dk_new = (da_cur * b_cur - a_cur * db_cur) / (b_cur * b_cur)
        # For integer a the fraction for K terminates (a_n = 0 at n = a) but not its
        # derivative, so both must have converged (dK matters relative to K, see dq below).
        done = (np.abs(k_new - k) <= 2 * _EPS * np.abs(k_new)) \
            & (np.abs(dk_new - dk) <= 2 * _EPS * (np.abs(dk_new) + np.abs(k_new)))
        k, dk = k_new, dk_new
        return done

    _iterate(step, x.shape, 100_000)
    q = np.exp(a * np.log(x) - x - lgamma(a)) / k
    dq = q * (np.log(x) - digamma(a) - dk / k)
    return q, dq


def _igamma_all(a: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(P, Q, dP/da) on the interior of the domain (a > 0, 0 < x < inf); NaN elsewhere."""
    a, x = np.broadcast_arrays(_float64(a), _float64(x))
    interior = (a > 0) & (x > 0) & np.isfinite(a) & np.isfinite(x)
    use_series = interior & (x < a + 1)
    use_fraction = interior & ~use_series
    p = np.full(a.shape, np.nan)
    q = np.full(a.shape, np.nan)
    dp = np.full(a.shape, np.nan)
    if use_series.any():
        ps, dps = _igamma_series(a[use_series], x[use_series])
        p[use_series], q[use_series], dp[use_series] = ps, 1 - ps, dps
    if use_fraction.any():
        qs, dqs = _igammac_fraction(a[use_fraction], x[use_fraction])
        p[use_fraction], q[use_fraction], dp[use_fraction] = 1 - qs, qs, -dqs
    return p, q, dp


def igamma(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Regularized lower incomplete gamma P(a, x)."""
    p, _, _ = _igamma_all(a, x)
    a, x = np.broadcast_arrays(_float64(a), _float64(x))
    p = np.where((x == 0) & (a > 0), 0.0, p)
    return np.where((x > 0) & ((a == 0) | (np.isposinf(x) & np.isfinite(a))), 1.0, p)


def igammac(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Regularized upper incomplete gamma Q(a, x) = 1 - P(a, x)."""
    _, q, _ = _igamma_all(a, x)
    a, x = np.broadcast_arrays(_float64(a), _float64(x))
    q = np.where((x == 0) & (a > 0), 1.0, q)
    return np.where((x > 0) & ((a == 0) | (np.isposinf(x) & np.isfinite(a))), 0.0, q)


def igamma_grad_a(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """dP(a, x)/da."""
    _, _, dp = _igamma_all(a, x)
    a, x = np.broadcast_arrays(_float64(a), _float64(x))
    return np.where((x == 0) & (a > 0) & np.isfinite(a), 0.0, dp)


# -- zeta and polygamma -------------------------------------------------------------------

# B_2j / (2j)! for j = 1..12, the Euler-Maclaurin correction terms.
_EM_COEFFS = tuple(
    b / math.factorial(2 * j)
    for j, b in enumerate(
        (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
         43867 / 798, -174611 / 330, 854513 / 138, -236364091 / 2730),
        start=1,
    )
)
_ZETA_DIRECT_TERMS = 12
_ZETA_MAX_SHIFT = 100_000  # at most this many extra terms bring a negative q above zero


def zeta(s: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Hurwitz zeta sum_k (q + k)^-s, by Euler-Maclaurin summation: the first N terms
    directly, then the integral, half the next term and Bernoulli-number corrections."""
    s, q = np.broadcast_arrays(_float64(s), _float64(q))
    s_int = s == np.floor(s)
    q_pole = (q <= 0) & (q == np.floor(q))
    valid = (s > 1) & np.isfinite(s) & np.isfinite(q) & ~q_pole & ((q > 0) | s_int)
    valid &= q > -_ZETA_MAX_SHIFT
    sv, qv = s[valid], q[valid]
    n = _ZETA_DIRECT_TERMS + np.maximum(0, np.ceil(-qv))
    total = np.zeros_like(sv)
    for k in range(int(n.max(initial=0))):
        total += np.where(k < n, np.power(qv + k, -sv), 0)
    w = qv + n
    total += np.power(w, 1 - sv) / (sv - 1) + 0.5 * np.power(w, -sv)
    rising = sv  # s (s+1) ... (s+2j-2)
    power = np.power(w, -sv - 1)  # w^(-s-2j+1)
    for j, c in enumerate(_EM_COEFFS, start=1):
        total += c * rising * power
        rising = rising * (sv + 2 * j - 1) * (sv + 2 * j)
        power = power / (w * w)
    out = np.full(s.shape, np.nan)
    out[valid] = total
    out = np.where((s > 1) & np.isfinite(s) & q_pole & s_int, np.inf, out)
    return np.where(s == 1, np.inf, out)


def polygamma(m: np.ndarray, x: np.ndarray) -> np.ndarray:
    """psi^(m)(x) = (-1)^(m+1) m! zeta(m+1, x) for m >= 1; digamma for m = 0."""
    m, x = np.broadcast_arrays(_float64(m), _float64(x))
    sign = np.where(np.mod(m, 2) == 0, -1.0, 1.0)
    with np.errstate(invalid="ignore"):
        out = sign * _gamma(m + 1) * zeta(m + 1, x)
    out = np.where(m == 0, digamma(x), out)
    return np.where((m < 0) | (m != np.floor(m)), np.nan, out)


# -- Bessel functions ----------------------------------------------------------------------

_BESSEL_SERIES_MAX = 30.0  # below: the power series; above: the asymptotic expansion


def _bessel_ie(x: np.ndarray, order: int) -> np.ndarray:
    """exp(-|x|) I_order(|x|) for order 0 or 1."""
    ax = np.abs(_float64(x))
    small = ax <= _BESSEL_SERIES_MAX
    # I_v(t) = (t/2)^v sum_k (t^2/4)^k / (k! (k+v)!), all terms positive.
    t = np.where(small, ax, 0.0)
    quarter_t2 = t * t / 4
    term = np.ones_like(t) if order == 0 else t / 2
    total = term.copy()
    k = 0

    def step(active: np.ndarray) -> np.ndarray:
        nonlocal term, total, k
        k += 1
        term = np.where(active, term * quarter_t2 / (k * (k + order)), term)
        total = np.where(active, total + term, total)
        return term <= _EPS * total / 4

    _iterate(step, t.shape, 200)
    series = total * np.exp(-t)
    # e^-t I_v(t) ~ (2 pi t)^-1/2 sum_k (-1)^k prod_{j<=k} (4v^2 - (2j-1)^2) / (k! (8t)^k).
    big = np.where(small, 1.0, ax)
    term = np.ones_like(big)
    total = term.copy()
    for k in range(1, 41):
        term = -term * (4 * order * order - (2 * k - 1) ** 2) / (8 * k * big)
        total = total + term
    asymptotic = total / np.sqrt(2 * np.pi * big)
    out = np.where(small, series, asymptotic)
    out = np.where(np.isinf(ax), 0.0, out)
    return out if order == 0 else np.copysign(out, x)


def bessel_i0e(x: np.ndarray) -> np.ndarray:
    return _bessel_ie(x, 0)


def bessel_i1e(x: np.ndarray) -> np.ndarray:
    return _bessel_ie(x, 1)


# -- incomplete beta -----------------------------------------------------------------------


def _betainc_fraction(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """I_x(a, b) = x^a (1-x)^b / (a B(a, b)) / (1 + d1/(1 + d2/(1 + ...))) with
    d_2m+1 = -(a+m)(a+b+m) x / ((a+2m)(a+2m+1)), d_2m = m (b-m) x / ((a+2m-1)(a+2m)),
    evaluated with Lentz's method (converges fast for x < (a+1)/(a+b+2))."""
    f = np.ones_like(x)
    c = np.ones_like(x)
    d = np.zeros_like(x)
    i = 0

    def step(active: np.ndarray) -> np.ndarray:
        nonlocal f, c, d, i
        i += 1
        m = i // 2
        if i % 2:
            coeff = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        else:
            coeff = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        d_new = 1 + coeff * d
        d_new = 1 / np.where(np.abs(d_new) < _TINY, _TINY, d_new)
        c_new = 1 + coeff / c
        c_new = np.where(np.abs(c_new) < _TINY, _TINY, c_new)
        delta = c_new * d_new
        d, c = np.where(active, d_new, d), np.where(active, c_new, c)
        f = np.where(active, f * delta, f)
        return np.abs(delta - 1) <= 2 * _EPS

    _iterate(step, x.shape, 100_000)
    log_beta = lgamma(a) + lgamma(b) - lgamma(a + b)
    return np.exp(a * np.log(x) + b * np.log1p(-x) - log_beta) / (a * f)


def betainc(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Regularized incomplete beta function I_x(a, b)."""
    a, b, x = np.broadcast_arrays(_float64(a), _float64(b), _float64(x))
    interior = (a > 0) & (b > 0) & np.isfinite(a) & np.isfinite(b) & (x > 0) & (x < 1)
    # The fraction converges quickly only below the mean; above it use I_x(a,b) = 1 - I_1-x(b,a).
    flip = interior & (x * (a + b + 2) > a + 1)
    direct = interior & ~flip
    out = np.full(a.shape, np.nan)
    if direct.any():
        out[direct] = _betainc_fraction(a[direct], b[direct], x[direct])
    if flip.any():
        out[flip] = 1 - _betainc_fraction(b[flip], a[flip], 1 - x[flip])
    in_domain = (a >= 0) & (b >= 0) & (x >= 0) & (x <= 1) & ~((a == 0) & (b == 0))
    in_domain &= ~(np.isinf(a) & np.isinf(b))
    # Limits: a -> 0 (or b -> inf) puts all the mass at 0, b -> 0 (or a -> inf) at 1.
    out = np.where(in_domain & ((a == 0) | np.isinf(b)), 1.0, out)
    out = np.where(in_domain & ((b == 0) | np.isinf(a)), 0.0, out)
    out = np.where(in_domain & (x == 0), 0.0, out)
    return np.where(in_domain & (x == 1), 1.0, out)
