"""The core primitive set, one module per family: each defines its primitives with their
shape (abstract_eval) rules and NumPy (impl) rules."""

from kiln.core.primitives import elementwise  # noqa: F401
