"""kiln.autodiff: not yet built (see the repository's issues)."""
