"""kiln.lax: JAX's ``jax.lax``, thin wrappers that bind kiln's core primitives."""

from kiln.lax.collectives import *  # noqa: F401,F403
from kiln.lax.contraction import *  # noqa: F401,F403
from kiln.lax.control_flow import *  # noqa: F401,F403
from kiln.lax.elementwise import *  # noqa: F401,F403
from kiln.lax.indexing import *  # noqa: F401,F403
from kiln.lax.reductions import *  # noqa: F401,F403
from kiln.lax.sorting import *  # noqa: F401,F403
from kiln.lax.structural import *  # noqa: F401,F403
