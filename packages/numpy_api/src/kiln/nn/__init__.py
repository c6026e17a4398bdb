"""kiln.nn: not yet built (see the repository's issues)."""
