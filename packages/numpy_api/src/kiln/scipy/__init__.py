"""kiln.scipy: SciPy functions with JAX's semantics. ``kiln.scipy.special`` is provided."""

from kiln.scipy import special  # noqa: F401
