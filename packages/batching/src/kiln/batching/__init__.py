"""kiln.batching: not yet built (see the repository's issues)."""
