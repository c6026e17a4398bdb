"""Cost of one eager (un-jitted) primitive on small arrays."""

DESCRIPTION = "lax.mul(x, y) eagerly on float32[3], per call"


def make(lib: str):
    import numpy as np

    if lib == "numpy":
        x = y = np.ones(3, np.float32)
        return lambda: np.multiply(x, y)
    if lib == "kiln":
        import kiln as j
        from kiln import lax
    else:
        import jax as j
        from jax import lax
    x = j.device_put(np.ones(3, np.float32))
    y = j.device_put(np.ones(3, np.float32))
    lax.mul(x, y).block_until_ready()
    return lambda: lax.mul(x, y)
