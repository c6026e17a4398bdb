"""kiln.random: not yet built (see the repository's issues)."""
