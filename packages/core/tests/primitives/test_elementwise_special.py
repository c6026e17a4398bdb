"""Special functions (erf, erfc, erf_inv, lgamma, digamma, polygamma, igamma, igammac,
igamma_grad_a, zeta, bessel_i0e, bessel_i1e, betainc): values against references computed with
mpmath at 50 digits, and edge values (poles, domain ends) as JAX 0.10.2 returns them."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

import kiln
from kiln import lax
from kiln.core.config import enable_x64

nan, inf = np.nan, np.inf


@pytest.fixture(autouse=True, scope="module")
def numpy_backend():
    """kiln-core's tests run on its NumPy reference backend, whatever else is installed."""
    previous = kiln.config.jax_platforms
    kiln.config.update("jax_platforms", "numpy")
    yield
    kiln.config.update("jax_platforms", previous)


FUNCTIONS = {
    "erf": lax.erf, "erfc": lax.erfc, "erf_inv": lax.erf_inv, "lgamma": lax.lgamma,
    "digamma": lax.digamma, "bessel_i0e": lax.bessel_i0e, "bessel_i1e": lax.bessel_i1e,
    "igamma": lax.igamma, "igammac": lax.igammac, "igamma_grad_a": lax.igamma_grad_a,
    "zeta": lax.zeta, "polygamma": lax.polygamma, "betainc": lax.betainc,
}

# name -> [(args, f(args) in float64, f(float32(args)) rounded to float32)]
SPECIAL_REFERENCE = {
    'erf': [
        ((-3.0,), -0.9999779095030014, -0.9999778866767883),
        ((-0.5,), -0.5204998778130465, -0.5204998850822449),
        ((1e-08,), 1.1283791670955126e-08, 1.1283791678806665e-08),
        ((0.3,), 0.3286267594591274, 0.3286267817020416),
        ((1.0,), 0.8427007929497149, 0.8427007794380188),
        ((2.5,), 0.999593047982555, 0.9995930194854736),
        ((5.0,), 0.9999999999984626, 1.0),
    ],
    'erfc': [
        ((-2.0,), 1.9953222650189528, 1.9953222274780273),
        ((0.0,), 1.0, 1.0),
        ((0.5,), 0.4795001221869535, 0.4795001149177551),
        ((2.0,), 0.004677734981047266, 0.004677734803408384),
        ((5.0,), 1.537459794428035e-12, 1.5374598295869735e-12),
        ((10.0,), 2.088487583762545e-45, 1.401298464324817e-45),
        ((26.0,), 5.663192408856143e-296, 0.0),
    ],
    'erf_inv': [
        ((-0.999,), -2.3267537655135246, -2.326756238937378),
        ((-0.5,), -0.4769362762044699, -0.4769362807273865),
        ((1e-10,), 8.862269254527581e-11, 8.862269251785904e-11),
        ((0.1,), 0.08885599049425769, 0.08885598927736282),
        ((0.7,), 0.7328690779592167, 0.7328690886497498),
        ((0.99,), 1.8213863677184494, 1.8213865756988525),
        ((0.999999999,), 4.320005388105362, inf),
    ],
    'lgamma': [
        ((-2.5,), -0.056243716497674054, -0.056243717670440674),
        ((-0.5,), 1.2655121234846454, 1.2655121088027954),
        ((0.001,), 6.907178885383853, 6.90717887878418),
        ((0.5,), 0.5723649429247001, 0.5723649263381958),
        ((1.5,), -0.12078223763524522, -0.12078224122524261),
        ((3.0,), 0.6931471805599453, 0.6931471824645996),
        ((10.5,), 13.940625219403763, 13.940625190734863),
        ((100.25,), 360.28455963776423, 360.2845458984375),
        ((100000.0,), 1051287.7089736569, 1051287.75),
    ],
    'digamma': [
        ((-2.5,), 1.103156640645243, 1.1031566858291626),
        ((-0.5,), 0.03648997397857652, 0.036489974707365036),
        ((0.001,), -1000.5755719318103, -1000.5755004882812),
        ((0.5,), -1.9635100260214235, -1.9635100364685059),
        ((1.4616321449683622,), -9.241265521729427e-17, -1.203605215494008e-08),
        ((3.0,), 0.9227843350984671, 0.9227843284606934),
        ((10.5,), 2.3030010342976865, 2.3030009269714355),
        ((100000.0,), 11.512920464961896, 11.512920379638672),
    ],
    'bessel_i0e': [
        ((-4.0,), 0.2070019212239867, 0.2070019245147705),
        ((0.0,), 1.0, 1.0),
        ((0.1,), 0.9071009257823011, 0.9071009159088135),
        ((1.0,), 0.46575960759364043, 0.46575960516929626),
        ((7.5,), 0.14831583007739552, 0.14831583201885223),
        ((31.0,), 0.07194649669698383, 0.07194649428129196),
        ((200.0,), 0.028227159949111916, 0.02822715975344181),
    ],
    'bessel_i1e': [
        ((-4.0,), -0.17875083950243534, -0.17875084280967712),
        ((0.0,), 0.0, 0.0),
        ((0.1,), 0.045298446808809324, 0.04529844596982002),
        ((1.0,), 0.20791041534970844, 0.207910418510437),
        ((7.5,), 0.1380412115485542, 0.13804121315479279),
        ((31.0,), 0.07077639283438568, 0.07077639549970627),
        ((200.0,), 0.02815650339483292, 0.028156504034996033),
    ],
    'igamma': [
        ((0.5, 0.1,), 0.345279153981423, 0.34527915716171265),
        ((1.0, 1.0,), 0.6321205588285577, 0.6321205496788025),
        ((2.5, 1.0,), 0.15085496391539036, 0.1508549600839615),
        ((3.0, 7.0,), 0.9703638361194782, 0.9703638553619385),
        ((10.0, 9.0,), 0.4125917556680586, 0.41259175539016724),
        ((100.0, 110.0,), 0.8417213299399129, 0.8417213559150696),
        ((0.01, 2.0,), 0.9995033354627815, 0.9995033144950867),
    ],
    'igammac': [
        ((0.5, 0.1,), 0.654720846018577, 0.6547208428382874),
        ((1.0, 1.0,), 0.36787944117144233, 0.3678794503211975),
        ((2.5, 1.0,), 0.8491450360846097, 0.8491450548171997),
        ((3.0, 7.0,), 0.029636163880521777, 0.029636163264513016),
        ((10.0, 9.0,), 0.5874082443319414, 0.5874082446098328),
        ((100.0, 110.0,), 0.15827867006008708, 0.1582786738872528),
        ((0.01, 2.0,), 0.0004966645372185268, 0.0004966645501554012),
    ],
    'igamma_grad_a': [
        ((0.5, 0.1,), -0.8229360969795988, -0.8229361176490784),
        ((1.0, 1.0,), -0.4317297106348987, -0.4317297041416168),
        ((2.5, 1.0,), -0.1800996069540415, -0.18009960651397705),
        ((3.0, 7.0,), -0.034996415852200244, -0.03499641641974449),
        ((10.0, 9.0,), -0.12703651192426837, -0.12703651189804077),
        ((0.5, 20.0,), -1.2713224714768203e-09, -1.2713224917249022e-09),
    ],
    'zeta': [
        ((2.0, 1.0,), 1.6449340668482264, 1.644934058189392),
        ((3.0, 0.5,), 8.41439832211716, 8.414398193359375),
        ((1.5, 2.0,), 1.6123753486854884, 1.6123753786087036),
        ((4.0, 10.0,), 0.00038665021738164474, 0.0003866502083837986),
        ((1.01, 1.0,), 100.57794333849678, 100.57804107666016),
        ((3.0, -1.5,), 0.1181020258208637, 0.11810202896595001),
        ((20.0, 1.5,), 0.00030073966816718435, 0.0003007396589964628),
    ],
    'polygamma': [
        ((0.0, 2.5,), 0.7031566406452432, 0.7031566500663757),
        ((1.0, 0.5,), 4.934802200544679, 4.934802055358887),
        ((2.0, 1.5,), -0.82879664423432, -0.8287966251373291),
        ((3.0, 4.0,), 0.04486532819275507, 0.04486532881855965),
        ((1.0, -1.5,), 9.379246644989124, 9.379246711730957),
        ((4.0, 0.25,), -24584.375388637935, -24584.375),
    ],
    'betainc': [
        ((1.0, 1.0, 0.3,), 0.3, 0.30000001192092896),
        ((2.0, 3.0, 0.4,), 0.5248, 0.5248000025749207),
        ((0.5, 0.5, 0.9,), 0.7951672353008665, 0.7951672077178955),
        ((10.0, 2.0, 0.8,), 0.3221225472000001, 0.32212257385253906),
        ((5.0, 50.0, 0.05,), 0.13204865622628667, 0.13204866647720337),
        ((0.1, 7.0, 0.5,), 0.9997605988258484, 0.999760627746582),
    ],
}

CASES = [(name, args, f64, f32) for name, rows in SPECIAL_REFERENCE.items()
         for args, f64, f32 in rows]


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("name, args, f64, f32", CASES)
def test_float64_values(name, args, f64, f32, jit):
    fn = FUNCTIONS[name]
    with enable_x64():
        xs = [np.array([a], np.float64) for a in args]
        got = np.asarray(kiln.jit(fn)(*xs) if jit else fn(*xs))
    assert got.dtype == np.float64
    # (digamma is also checked at its positive root, where only absolute error is meaningful)
    np.testing.assert_allclose(got[0], f64, rtol=2e-13, atol=1e-15 if name == "digamma" else 0)


@pytest.mark.parametrize("name, args, f64, f32", CASES)
def test_float32_values(name, args, f64, f32):
    xs = [np.array([a], np.float32) for a in args]
    got = np.asarray(FUNCTIONS[name](*xs))
    assert got.dtype == np.float32
    # within one float32 ulp of the correctly rounded value
    np.testing.assert_allclose(got[0], np.float32(f32), rtol=1.2e-7, atol=1e-45)


@pytest.mark.parametrize("dtype", [np.float16, ml_dtypes.bfloat16], ids=["float16", "bfloat16"])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_narrow_floats(name, dtype):
    args = SPECIAL_REFERENCE[name][1][0]
    xs = [np.array([a, a], dtype) for a in args]
    got = np.asarray(FUNCTIONS[name](*xs))
    assert got.dtype == np.dtype(dtype) and got.shape == (2,)
    want = np.asarray(FUNCTIONS[name](*(x.astype(np.float32) for x in xs)))
    np.testing.assert_array_equal(got, want.astype(dtype))


@pytest.mark.parametrize("shape", [(), (0,), (2, 3)], ids=str)
def test_shapes_and_broadcasting(shape):
    x = np.full(shape, 0.5, np.float32)
    for name in ("erf", "lgamma", "digamma", "bessel_i1e", "erf_inv"):
        assert np.asarray(FUNCTIONS[name](x)).shape == shape
    assert np.asarray(lax.igamma(x, np.float32(2))).shape == shape
    assert np.asarray(lax.betainc(np.float32(2), x, x)).shape == shape


# Edge values, as jax.lax returns them with x64 enabled.
EDGES = [
    ("lgamma", ([0, -0.0, -1, -inf, inf, nan],), [inf, inf, inf, inf, inf, nan]),
    ("digamma", ([0, -0.0, -1, -inf, inf, nan],), [nan, nan, nan, nan, inf, nan]),
    ("erf_inv", ([1, -1, 1.5, 0, -0.0, nan],), [inf, -inf, nan, 0, -0.0, nan]),
    ("erf", ([inf, -inf, nan, 0, -0.0],), [1, -1, nan, 0, -0.0]),
    ("erfc", ([inf, -inf, nan],), [0, 2, nan]),
    ("igamma", ([1, 1, -1, 1, nan, 1, 0, inf, 0, 0, -0.0, 1e-300, 2],
                [0, -1, 1, inf, 1, nan, 0, 1, 1, inf, 1, 1, 0]),
     [0, nan, nan, 1, nan, nan, nan, nan, 1, 1, 1, 1, 0]),
    ("igammac", ([1, 1, -1, 1, nan, 1, 0, inf, 0, 0, -0.0, 2],
                 [0, -1, 1, inf, 1, nan, 0, 1, 1, inf, 1, 0]),
     [1, nan, nan, 0, nan, nan, nan, nan, 0, 0, 0, 1]),
    ("igamma_grad_a", ([1, 0, -1, 1, 1], [0, 1, 1, -1, inf]), [0, nan, nan, nan, nan]),
    ("zeta", ([1, 0.5, 2, 2, -1, 2, 2.5, 2.5, 1.5, 2, inf, 2, 1, 1],
              [1, 1, 0, -1, 1, -inf, -1.5, -2, 0, -0.0, 2, inf, 0.5, -1]),
     [inf, nan, inf, inf, nan, inf, nan, nan, nan, inf, nan, nan, inf, inf]),
    ("polygamma", ([1.5, -1, 1, 3, 0, 0, 1, 0, 1], [1, 1, 0, 0, -1, 0, -1, -inf, inf]),
     [nan, nan, inf, inf, nan, nan, inf, nan, nan]),
    ("bessel_i0e", ([inf, -inf, nan, 0],), [0, 0, nan, 1]),
    ("bessel_i1e", ([inf, -inf, nan, -0.0, 0],), [0, -0.0, nan, -0.0, 0]),
    ("betainc", ([0, 0, 1, 0, 1, -1, 1, 1, 1, inf, 1, 0, -0.0, 2],
                 [0, 1, 0, 1, 0, 1, 1, 1, 1, 1, inf, 0, 1, 2],
                 [0.5, 0, 1, 0.5, 0.5, 0.5, 1.5, -0.1, nan, 0.5, 0.5, 0, 0.5, 1]),
     [nan, 0, 1, 1, 0, nan, nan, nan, nan, 0, 1, nan, 1, 1]),
]


@pytest.mark.parametrize("x64", [True, False], ids=["float64", "float32"])
@pytest.mark.parametrize("name, args, expected", EDGES)
def test_edge_values(name, args, expected, x64):
    dtype = np.float64 if x64 else np.float32
    with enable_x64(x64):
        got = np.asarray(FUNCTIONS[name](*(np.array(a, dtype) for a in args)))
    want = np.array(expected, dtype)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def test_tails():
    with enable_x64():
        # erf_inv next to +-1 and digamma next to its poles keep full relative precision
        # (references from mpmath)
        np.testing.assert_allclose(np.asarray(lax.erf_inv(np.array([1 - 2**-52, -1 + 2**-53]))),
                                   [5.805018683193453, -5.8635847487551676], rtol=1e-13)
        np.testing.assert_allclose(np.asarray(lax.digamma(np.array([-1e-10, -2 + 1e-9, 1e-300]))),
                                   [9999999999.422785, -999999916.3368515, -9.999999999999999e299],
                                   rtol=1e-13)
        # the exponentially scaled Bessel functions where the asymptotic expansion takes over
        np.testing.assert_allclose(np.asarray(lax.bessel_i0e(np.array([29.99, 30.01, 1e4]))),
                                   [0.07315824574297991, 0.07313365342356991,
                                    0.003989472674604732], rtol=1e-13)
