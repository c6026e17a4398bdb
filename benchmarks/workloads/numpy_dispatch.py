"""Python overhead of kiln.numpy's eager dispatch: operators with promotion and a
reduction on small arrays (``x * 2.0 + y`` then ``.sum()``), per call."""

DESCRIPTION = "(x * 2.0 + y).sum() eagerly on float32[3] via jnp operators, per call"


def make(lib: str):
    import numpy as np

    if lib == "numpy":
        x = y = np.ones(3, np.float32)
        return lambda: (x * 2.0 + y).sum()
    if lib == "kiln":
        import kiln as j
        import kiln.numpy  # noqa: F401  (installs the array operators)
    else:
        import jax as j
    x = j.device_put(np.ones(3, np.float32))
    y = j.device_put(np.ones(3, np.float32))
    (x * 2.0 + y).sum().block_until_ready()
    return lambda: (x * 2.0 + y).sum()
