"""The MLP shared by mlp_step and mlp_first_call (a helper module, not a workload): written
with lax and grad only, so that the same code runs on kiln and on JAX."""

from __future__ import annotations

import numpy as np

SIZES = (256, 512, 512, 10)
BATCH = 64
LEARNING_RATE = 0.01


def setup(lib: str):
    """(step, params, x, y, block) for ``lib``: ``step(params, x, y)`` is the jitted
    training step (loss gradient, then SGD), not yet called."""
    if lib == "numpy":
        raise NotImplementedError("no autodiff in NumPy")
    if lib == "kiln":
        import kiln as j
        from kiln import lax
        from kiln.tree_util import tree_map
    else:
        import jax as j
        from jax import lax
        from jax.tree_util import tree_map

    def dense(h, w, b):
        out = lax.dot_general(h, w, (((1,), (0,)), ((), ())))
        return lax.add(out, lax.broadcast_in_dim(b, out.shape, (1,)))

    def loss(params, x, y):
        h = x
        for w, b in params[:-1]:
            h = lax.tanh(dense(h, w, b))
        logits = dense(h, *params[-1])
        top = lax.reduce_max(logits, (1,))
        shifted = lax.sub(logits, lax.broadcast_in_dim(top, logits.shape, (0,)))
        lse = lax.log(lax.reduce_sum(lax.exp(shifted), (1,)))
        picked = lax.reduce_sum(lax.mul(shifted, y), (1,))
        return lax.div(lax.reduce_sum(lax.sub(lse, picked), (0,)), np.float32(x.shape[0]))

    grad = j.grad  # (loads kiln's autodiff now, as `import jax` loads jax's)

    @j.jit
    def step(params, x, y):
        grads = grad(loss)(params, x, y)
        return tree_map(lambda p, g: lax.sub(p, lax.mul(g, np.float32(LEARNING_RATE))),
                        params, grads)

    rng = np.random.default_rng(0)
    params = [(rng.normal(0, 1 / np.sqrt(m), (m, n)).astype(np.float32),
               np.zeros(n, np.float32)) for m, n in zip(SIZES[:-1], SIZES[1:])]
    params = j.device_put(params)
    x = j.device_put(rng.normal(size=(BATCH, SIZES[0])).astype(np.float32))
    labels = rng.integers(0, SIZES[-1], BATCH)
    y = j.device_put(np.eye(SIZES[-1], dtype=np.float32)[labels])
    return step, params, x, y, j.block_until_ready
