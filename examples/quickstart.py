"""kiln's quickstart: trace, inspect, compile and run a function.

Run it with the README's first command. It uses only kiln-core (kiln.lax) so it works with
any set of installed kiln packages; see the other examples for kiln.numpy, grad and vmap.
"""

import numpy as np

import kiln
from kiln import lax


def f(x, y):
    return lax.add(lax.mul(2.0, lax.integer_pow(x, 2)), y)


x = np.arange(3, dtype=np.float32)
y = np.ones(3, dtype=np.float32)

print("the jaxpr of f:")
print(kiln.make_jaxpr(f)(x, y))

fast_f = kiln.jit(f)
print("f(x, y) =", fast_f(x, y))
print("running on", kiln.devices()[0], "with the", kiln.default_backend(), "backend")
