"""Time to import the NumPy API (a fresh process per measurement)."""

DESCRIPTION = "import kiln.numpy / jax.numpy / numpy in a fresh process"
SETUP_IS_WORKLOAD = True


def make(lib: str):
    if lib == "kiln":
        import kiln.numpy  # noqa: F401
    elif lib == "jax":
        import jax.numpy  # noqa: F401
    else:
        import numpy  # noqa: F401
    return lambda: None
