"""Trace, lower and compile a deep function: 100 rounds of sin, mul, add and cumsum."""

DESCRIPTION = "first call of jit(f) where f chains 100 rounds of sin/mul/add/cumsum (trace+compile)"
FIRST_CALL = True
DEPTH = 100


def make(lib: str):
    import numpy as np

    if lib == "numpy":
        raise NotImplementedError("NumPy has no tracing or compilation")
    if lib == "kiln":
        import kiln as j
        from kiln import lax
    else:
        import jax as j
        from jax import lax

    def f(x):
        for i in range(DEPTH):
            x = lax.add(lax.mul(lax.sin(x), 0.5), float(i))
            x = lax.cumsum(x, axis=0)
        return x

    x = j.device_put(np.ones(64, np.float32))
    x.block_until_ready()
    return lambda: j.jit(f)(x).block_until_ready()
