"""kiln.scipy: not yet built (see the repository's issues)."""
