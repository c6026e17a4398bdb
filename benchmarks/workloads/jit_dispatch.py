"""Dispatch cost of calling a tiny jitted function on small arrays (steady state)."""

DESCRIPTION = "jit(lambda x, y: x * y + 1.0) on float32[3], per call"


def make(lib: str):
    import numpy as np

    if lib == "numpy":
        x = y = np.ones(3, np.float32)
        return lambda: x * y + np.float32(1.0)
    if lib == "kiln":
        import kiln as j
        from kiln import lax
    else:
        import jax as j
        from jax import lax
    f = j.jit(lambda x, y: lax.add(lax.mul(x, y), 1.0))
    x = j.device_put(np.ones(3, np.float32))
    y = j.device_put(np.ones(3, np.float32))
    f(x, y).block_until_ready()
    return lambda: f(x, y)
