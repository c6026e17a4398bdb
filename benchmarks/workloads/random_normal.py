"""random.normal of 4M float32 values under jit (JAX's default partitionable threefry)."""

DESCRIPTION = "jit(lambda k: random.normal(k, (4_000_000,))) per call, blocked until ready"

N = 4_000_000


def make(lib: str):
    if lib == "numpy":
        import numpy as np

        rng = np.random.default_rng(0)
        return lambda: rng.standard_normal(N, dtype=np.float32)
    if lib == "kiln":
        import kiln as j
        from kiln import random
    else:
        import jax as j
        from jax import random
    key = random.PRNGKey(0)
    sample = j.jit(lambda k: random.normal(k, (N,)))
    sample(key).block_until_ready()
    return lambda: sample(key).block_until_ready()
