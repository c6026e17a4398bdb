"""Control flow through every transformation, on the default backend (run the file again
with ``JAX_PLATFORMS=numpy`` for the NumPy backend): each of cond, switch, while_loop,
fori_loop, scan and map under jit, grad, vmap, jvp and vjp, against a NumPy reference
(finite differences for derivatives, a loop for vmap); compositions of the
transformations; and a scan RNN trained a few steps with grad, against the same RNN unrolled
in Python and against JAX 0.10.2's numbers."""

from __future__ import annotations

import numpy as np
import pytest

import kiln
from kiln import lax
from kiln.tree_util import tree_map

pytest.importorskip("kiln.autodiff")
pytest.importorskip("kiln.batching")

f32 = np.float32


def total(x):
    return lax.reduce_sum(x, (0,))


# Each construct: (kiln function of a float32 vector x of shape (3,) -> scalar, the same in
# NumPy float64, whether reverse mode applies).


def k_cond(x):
    return lax.cond(lax.gt(total(x), 0.0), lambda x: total(lax.mul(lax.sin(x), x)),
                    lambda x: total(lax.cos(x)), x)


def n_cond(x):
    return np.sum(np.sin(x) * x) if np.sum(x) > 0 else np.sum(np.cos(x))


def k_switch(x):
    index = lax.convert_element_type(lax.floor(total(x)), np.int32)
    return lax.switch(index, [lambda x: total(lax.exp(x)), lambda x: total(lax.mul(x, x)),
                              lambda x: total(lax.sin(x))], x)


def n_switch(x):
    index = min(max(int(np.floor(np.sum(x))), 0), 2)
    return [np.sum(np.exp(x)), np.sum(x * x), np.sum(np.sin(x))][index]


def k_while(x):
    def body(c):
        return lax.add(c[0], 1), lax.add(lax.mul(c[1], x), lax.sin(c[1]))

    return total(lax.while_loop(lambda c: lax.lt(c[0], 3), body, (0, x))[1])


def n_while(x):
    c = x
    for _ in range(3):
        c = c * x + np.sin(c)
    return np.sum(c)


def k_fori(x):
    return total(lax.fori_loop(0, 3, lambda i, c: lax.add(lax.mul(c, x), lax.cos(c)), x))


def n_fori(x):
    c = x
    for _ in range(3):
        c = c * x + np.cos(c)
    return np.sum(c)


def k_scan(x):
    def step(h, xi):
        h = lax.tanh(lax.add(lax.mul(h, 0.5), xi))
        return h, lax.mul(h, xi)

    h, ys = lax.scan(step, f32(0.1), x)
    return lax.add(h, total(ys))


def n_scan(x):
    h, acc = 0.1, 0.0
    for xi in x:
        h = np.tanh(h * 0.5 + xi)
        acc += h * xi
    return h + acc


def k_map(x):
    return total(lax.map(lambda xi: lax.mul(lax.sin(xi), lax.exp(xi)), x))


def n_map(x):
    return np.sum(np.sin(x) * np.exp(x))


CONSTRUCTS = {
    "cond": (k_cond, n_cond, True),
    "switch": (k_switch, n_switch, True),
    "while": (k_while, n_while, False),
    "fori": (k_fori, n_fori, True),
    "scan": (k_scan, n_scan, True),
    "map": (k_map, n_map, True),
}
POINTS = [np.array([0.3, -0.2, 0.6], f32), np.array([-0.9, 0.4, -0.3], f32),
          np.array([0.7, 0.8, 0.2], f32), np.array([1.2, 0.9, 0.5], f32)]
REVERSE_ERROR = "Reverse-mode differentiation does not work for lax.while_loop"


def numeric_grad(f, x, eps=1e-6):
    x = np.asarray(x, np.float64)
    g = np.zeros_like(x)
    for i in range(x.size):
        d = np.zeros_like(x)
        d[i] = eps
        g[i] = (f(x + d) - f(x - d)) / (2 * eps)
    return g


def close(got, want, rtol=2e-4):
    np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=rtol, atol=2e-5)


@pytest.fixture(params=sorted(CONSTRUCTS))
def construct(request):
    return CONSTRUCTS[request.param]


@pytest.mark.parametrize("x", POINTS, ids=range(len(POINTS)))
def test_jit(construct, x):
    kfun, nfun, _ = construct
    close(kiln.jit(kfun)(x), nfun(x.astype(np.float64)))
    close(kfun(x), nfun(x.astype(np.float64)))


@pytest.mark.parametrize("x", POINTS, ids=range(len(POINTS)))
def test_grad(construct, x):
    kfun, nfun, reverse = construct
    if not reverse:
        with pytest.raises(ValueError, match=REVERSE_ERROR):
            kiln.grad(kfun)(x)
        return
    want = numeric_grad(nfun, x)
    close(kiln.grad(kfun)(x), want, rtol=1e-3)
    close(kiln.jit(kiln.grad(kfun))(x), want, rtol=1e-3)


def test_vmap(construct):
    kfun, nfun, _ = construct
    batch = np.stack(POINTS)
    want = np.array([nfun(x.astype(np.float64)) for x in batch])
    close(kiln.vmap(kfun)(batch), want)
    close(kiln.jit(kiln.vmap(kfun))(batch), want)
    close(kiln.vmap(kfun, in_axes=1)(batch.T), want)


@pytest.mark.parametrize("x", POINTS, ids=range(len(POINTS)))
def test_jvp(construct, x):
    kfun, nfun, _ = construct
    t = np.array([0.5, -1.0, 2.0], f32)
    primal, tangent = kiln.jvp(kfun, (x,), (t,))
    close(primal, nfun(x.astype(np.float64)))
    close(tangent, numeric_grad(nfun, x) @ t, rtol=1e-3)
    _, f_jvp = kiln.linearize(kfun, x)
    close(f_jvp(t), numeric_grad(nfun, x) @ t, rtol=1e-3)


@pytest.mark.parametrize("x", POINTS, ids=range(len(POINTS)))
def test_vjp(construct, x):
    kfun, nfun, reverse = construct
    out, vjp_fun = kiln.vjp(kfun, x)
    close(out, nfun(x.astype(np.float64)))
    if not reverse:
        with pytest.raises(ValueError, match=REVERSE_ERROR):
            vjp_fun(f32(1))
        return
    (ct,) = vjp_fun(f32(2))
    close(ct, 2 * numeric_grad(nfun, x), rtol=1e-3)


def test_compositions(construct):
    kfun, nfun, reverse = construct
    batch = np.stack(POINTS)
    if reverse:
        want = np.stack([numeric_grad(nfun, x) for x in batch])
        close(kiln.vmap(kiln.grad(kfun))(batch), want, rtol=1e-3)
        close(kiln.jit(kiln.vmap(kiln.grad(kfun)))(batch), want, rtol=1e-3)
        close(kiln.grad(lambda b: total(kiln.vmap(kfun)(b)))(batch), want, rtol=1e-3)
    t = np.ones(3, f32)
    jvps = kiln.vmap(lambda x: kiln.jvp(kfun, (x,), (t,))[1])(batch)
    close(jvps, np.array([numeric_grad(nfun, x) @ t for x in batch]), rtol=1e-3)
    jac = kiln.jacfwd(kfun)(POINTS[0])
    close(jac, numeric_grad(nfun, POINTS[0]), rtol=1e-3)


# -- a scan RNN trained with grad -----------------------------------------------------------------

H, D, T = 4, 2, 6


def rnn_data():
    rng = np.random.RandomState(0)
    params = {"wh": (0.5 * rng.randn(H, H)).astype(f32),
              "wx": (0.5 * rng.randn(H, D)).astype(f32),
              "b": np.zeros(H, f32), "wo": (0.5 * rng.randn(H)).astype(f32)}
    xs = rng.randn(T, D).astype(f32)
    ys = np.sin(np.arange(T, dtype=f32))
    return params, xs, ys


def cell(p, h, x):
    pre = lax.add(lax.add(lax.dot(p["wh"], h), lax.dot(p["wx"], x)), p["b"])
    h = lax.tanh(pre)
    return h, lax.dot(p["wo"], h)


def mse(preds, ys):
    err = lax.sub(preds, ys)
    return lax.div(lax.reduce_sum(lax.mul(err, err), (0,)), f32(T))


def scan_loss(p, xs, ys):
    _, preds = lax.scan(lambda h, x: cell(p, h, x), np.zeros(H, f32), xs)
    return mse(preds, ys)


def unrolled_loss(p, xs, ys):
    h, preds = np.zeros(H, f32), []
    for t in range(T):
        h, y = cell(p, h, xs[t])
        preds.append(lax.broadcast_in_dim(y, (1,), ()))
    return mse(lax.concatenate(preds, 0), ys)


def train(loss, steps=3, lr=0.1):
    params, xs, ys = rnn_data()
    step = kiln.jit(kiln.value_and_grad(loss))
    losses = []
    for _ in range(steps):
        value, grads = step(params, xs, ys)
        losses.append(float(value))
        params = tree_map(lambda a, g: a - lr * np.asarray(g), params, grads)
    return losses, params


# Recorded with JAX 0.10.2 (jax.value_and_grad of the same scan RNN, same data, SGD 0.1).
JAX_LOSSES = [1.4034841060638428, 0.9115293025970459, 0.766997754573822]
JAX_FINAL = {
    "b": [-0.15907353162765503, 0.01637515053153038, -0.07777999341487885,
          -0.19655224680900574],
    "wh": [[0.8308363556861877, 0.13789892196655273, 0.47968873381614685, 1.0690373182296753],
           [0.9682433009147644, -0.47170913219451904, 0.46202704310417175,
            -0.048890016973018646],
           [-0.08358288556337357, 0.19470976293087006, 0.09786773473024368,
            0.7169069647789001],
           [0.35403457283973694, 0.03417648375034332, 0.13930611312389374,
            0.1595453917980194]],
    "wo": [0.9330767393112183, -0.6809073686599731, 0.12695157527923584,
           -0.11405683308839798],
    "wx": [[0.6565765142440796, -0.2829742133617401], [0.2965072691440582, -0.1929221749305725],
           [-1.256318211555481, 0.3627956807613373], [0.4411526322364807, -0.2767176330089569]],
}


def test_scan_rnn_trains_like_the_unrolled_rnn_and_like_jax():
    scan_losses, scan_params = train(scan_loss)
    loop_losses, loop_params = train(unrolled_loss)
    np.testing.assert_allclose(scan_losses, loop_losses, rtol=1e-5)
    np.testing.assert_allclose(scan_losses, JAX_LOSSES, rtol=1e-5)
    assert scan_losses[-1] < scan_losses[0]
    for name in JAX_FINAL:
        np.testing.assert_allclose(scan_params[name], loop_params[name], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(scan_params[name], JAX_FINAL[name], rtol=1e-5, atol=1e-6)


def test_scan_rnn_with_checkpointed_cell_and_per_example_gradients():
    params, xs, ys = rnn_data()

    def remat_loss(p, xs, ys):
        step = kiln.checkpoint(lambda h, x: cell(p, h, x))
        return mse(lax.scan(step, np.zeros(H, f32), xs)[1], ys)

    want = kiln.grad(scan_loss)(params, xs, ys)
    got = kiln.grad(remat_loss)(params, xs, ys)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-5, atol=1e-7)
    # per-sequence gradients of a batch of sequences: vmap of grad through the scan
    batch_xs = np.stack([xs, xs[::-1], 2 * xs])
    per_example = kiln.vmap(kiln.grad(scan_loss), in_axes=(None, 0, None))(params, batch_xs, ys)
    for k, seq in enumerate(batch_xs):
        one = kiln.grad(scan_loss)(params, seq, ys)
        for name in one:
            np.testing.assert_allclose(per_example[name][k], one[name], rtol=1e-5, atol=1e-6)
