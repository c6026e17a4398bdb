"""kiln.lax: JAX's ``jax.lax``, thin wrappers that bind kiln's core primitives."""

from kiln.lax.elementwise import *  # noqa: F401,F403
