"""kiln.numpy: not yet built (see the repository's issues)."""
