"""Hypothesis strategies and settings shared by kiln-numpy's property tests."""

from __future__ import annotations

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st

# Eager kiln calls compile each new shape and dtype once: keep examples few and untimed.
SETTINGS = settings(deadline=None, max_examples=40)

SHAPES = [(), (1,), (4,), (2, 3), (3, 1), (1, 4), (2, 3, 2)]


@st.composite
def float_arrays(draw: st.DrawFn, shapes: list = SHAPES, dtype: type = np.float32,
                 lo: float = -10, hi: float = 10) -> np.ndarray:
    shape = draw(st.sampled_from(shapes))
    size = int(np.prod(shape))
    lo32, hi32 = float(np.float32(lo)), float(np.float32(hi))
    # No subnormals: XLA flushes them to zero, as JAX does on CPU.
    element = st.floats(lo32, hi32, width=32, allow_subnormal=False)
    values = draw(st.lists(element, min_size=size, max_size=size))
    return np.asarray(values, dtype=dtype).reshape(shape)


@st.composite
def int_arrays(draw: st.DrawFn, shapes: list = SHAPES, dtype: type = np.int32,
               lo: int = -50, hi: int = 50) -> np.ndarray:
    shape = draw(st.sampled_from(shapes))
    size = int(np.prod(shape))
    values = draw(st.lists(st.integers(lo, hi), min_size=size, max_size=size))
    return np.asarray(values, dtype=dtype).reshape(shape)
