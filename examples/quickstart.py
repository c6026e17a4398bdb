"""kiln's quickstart: NumPy on an accelerator, with jit, grad, vmap and random keys.

Every line is what a JAX user writes, with ``jax`` replaced by ``kiln``.
"""

import kiln
import kiln.numpy as jnp
from kiln import grad, jit, random, vmap


def loss(params, x, y):
    prediction = params["w"] * x + params["b"]
    return jnp.mean((prediction - y) ** 2)


key = random.PRNGKey(0)
x = random.normal(key, (100,))
y = 3.0 * x - 1.0

params = {"w": 0.0, "b": 0.0}
step = jit(lambda p, x, y: kiln.tree.map(lambda v, g: v - 0.1 * g, p, grad(loss)(p, x, y)))
for _ in range(100):
    params = step(params, x, y)
print(f"fitted w = {params['w']:.2f}, b = {params['b']:.2f}")

print("the jaxpr of the loss:")
print(kiln.make_jaxpr(loss)(params, x, y))

per_example = vmap(grad(loss), in_axes=(None, 0, 0))(params, x[:3], y[:3])
print("per-example gradients of w:", per_example["w"])
print("running on", kiln.devices()[0], "with the", kiln.default_backend(), "backend")
