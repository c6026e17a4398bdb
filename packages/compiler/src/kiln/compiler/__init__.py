"""kiln.compiler: not yet built (see the repository's issues)."""
