"""kiln.dtypes: dtype utilities (``jax.dtypes``)."""

from kiln.core.dtypes import (  # noqa: F401
    TypePromotionError,
    bfloat16,
    canonicalize_dtype,
    finfo,
    float0,
    iinfo,
    issubdtype,
    itemsize_bits,
    result_type,
)


def scalar_type_of(x):
    """The Python scalar type (bool, int, float, complex) of ``x``'s dtype."""
    from kiln.core import dtypes

    dt = dtypes.dtype(x)
    if dt == dtypes.bool_:
        return bool
    if dtypes.is_int(dt):
        return int
    return complex if dtypes.is_complex(dt) else float
