"""Per-example gradients of the benchmark MLP: jit(vmap(grad(loss))), steady state."""

DESCRIPTION = ("jit(vmap(grad)) per-example gradients of the mlp_step MLP (256-512-512-10 tanh), "
               "batch 64, per call (blocking)")


def make(lib: str):
    import importlib.util
    from pathlib import Path

    import numpy as np

    if lib == "numpy":
        raise NotImplementedError("no autodiff in NumPy")
    path = Path(__file__).with_name("_mlp.py")
    spec = importlib.util.spec_from_file_location("workload_mlp_helper", path)
    mlp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mlp)
    sizes, batch = mlp.SIZES, mlp.BATCH
    if lib == "kiln":
        import kiln as j
        from kiln import lax

        try:
            j.grad, j.vmap  # noqa: B018  (both must be installed)
        except ImportError as e:
            raise NotImplementedError(str(e)) from None
    else:
        import jax as j
        from jax import lax

    def dense(h, w, b):  # one example: h is a vector
        return lax.add(lax.dot_general(h, w, (((0,), (0,)), ((), ()))), b)

    def loss(params, x, y):  # cross-entropy of one example
        h = x
        for w, b in params[:-1]:
            h = lax.tanh(dense(h, w, b))
        logits = dense(h, *params[-1])
        top = lax.reduce_max(logits, (0,))
        shifted = lax.sub(logits, top)
        lse = lax.log(lax.reduce_sum(lax.exp(shifted), (0,)))
        return lax.sub(lse, lax.reduce_sum(lax.mul(shifted, y), (0,)))

    per_example_grads = j.jit(j.vmap(j.grad(loss), in_axes=(None, 0, 0)))

    rng = np.random.default_rng(0)
    params = [(rng.normal(0, 1 / np.sqrt(m), (m, n)).astype(np.float32),
               np.zeros(n, np.float32)) for m, n in zip(sizes[:-1], sizes[1:])]
    params = j.device_put(params)
    x = j.device_put(rng.normal(size=(batch, sizes[0])).astype(np.float32))
    labels = rng.integers(0, sizes[-1], batch)
    y = j.device_put(np.eye(sizes[-1], dtype=np.float32)[labels])
    j.block_until_ready(per_example_grads(params, x, y))

    def run():
        j.block_until_ready(per_example_grads(params, x, y))

    return run
