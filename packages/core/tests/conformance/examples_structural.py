"""Conformance examples of the structural primitives (broadcast_in_dim, reshape, squeeze,
transpose, rev, pad, concatenate, slice, iota, split, stack, unstack, tile):
``EXAMPLES = [(primitive, args, params), ...]`` with NumPy arguments of canonical dtypes.

``EXAMPLES_X64`` holds float64 variants of the float32 examples; run them with
``jax_enable_x64`` on (without it their arguments canonicalise to float32)."""

from __future__ import annotations

import ml_dtypes
import numpy as np

from kiln.core.primitives.structural import PRIMITIVES as P

_rng = np.random.default_rng(0)


def _arr(shape: tuple[int, ...], dtype: type) -> np.ndarray:
    dt = np.dtype(dtype)
    if dt == np.bool_:
        return _rng.random(shape) < 0.5
    if np.issubdtype(dt, np.complexfloating):
        return (_rng.standard_normal(shape) + 1j * _rng.standard_normal(shape)).astype(dt)
    if np.issubdtype(dt, np.integer):
        lo = 0 if np.issubdtype(dt, np.unsignedinteger) else -8
        return _rng.integers(lo, 8, shape).astype(dt)
    return _rng.standard_normal(shape).astype(dt)  # floats, incl. bfloat16


# Structural ops never compute on elements: any dtype goes, so cover a spread of them.
_DTYPES = (np.float32, ml_dtypes.bfloat16, np.float16, np.int8, np.uint32, np.bool_,
           np.complex64)

EXAMPLES: list[tuple] = []
EXAMPLES_X64: list[tuple] = []


def _add(prim, args, params):
    EXAMPLES.append((prim, args, params))
    if any(np.asarray(a).dtype == np.float32 for a in args):
        EXAMPLES_X64.append((prim, tuple(np.asarray(a).astype(np.float64)
                                          if np.asarray(a).dtype == np.float32 else a
                                          for a in args), params))


def _pad_value(x: np.ndarray) -> np.ndarray:
    return np.zeros((), x.dtype)


for _dt in _DTYPES:
    _x = _arr((2, 3), _dt)
    _add(P["broadcast_in_dim"], (_x,),
         {"shape": (4, 2, 3), "broadcast_dimensions": (1, 2), "sharding": None})
    _add(P["reshape"], (_x,), {"new_sizes": (3, 2), "dimensions": None, "sharding": None})
    _add(P["reshape"], (_x,), {"new_sizes": (6,), "dimensions": (1, 0), "sharding": None})
    _add(P["squeeze"], (_arr((1, 3, 1), _dt),), {"dimensions": (0, 2)})
    _add(P["transpose"], (_x,), {"permutation": (1, 0)})
    _add(P["rev"], (_x,), {"dimensions": (0, 1)})
    _add(P["pad"], (_x, _pad_value(_x)), {"padding_config": ((1, -1, 1), (-2, 2, 0))})
    _add(P["concatenate"], (_x, _arr((1, 3), _dt)), {"dimension": 0})
    _add(P["slice"], (_x,), {"start_indices": (0, 1), "limit_indices": (2, 3), "strides": None})
    _add(P["split"], (_x,), {"sizes": (1, 0, 2), "axis": 1})
    _add(P["stack"], (_x, _x, _x), {"axis": 2})
    _add(P["unstack"], (_x,), {"axis": 1})
    _add(P["tile"], (_x,), {"reps": (2, 1)})

# Other shapes: scalars, size-0 arrays, implicit transposes, strides.
_f = _arr((3, 1), np.float32)
_add(P["broadcast_in_dim"], (_f,),
     {"shape": (2, 3, 4), "broadcast_dimensions": (1, 0), "sharding": None})
_add(P["broadcast_in_dim"], (np.float32(2.5),),
     {"shape": (2, 0), "broadcast_dimensions": (), "sharding": None})
_add(P["broadcast_in_dim"], (_arr((0, 3), np.int32),),
     {"shape": (0, 3), "broadcast_dimensions": (0, 1), "sharding": None})
_add(P["reshape"], (np.float32(1.0),), {"new_sizes": (1, 1), "dimensions": None,
                                         "sharding": None})
_add(P["reshape"], (_arr((0, 4), np.float32),), {"new_sizes": (2, 0, 2), "dimensions": None,
                                                  "sharding": None})
_add(P["squeeze"], (_arr((1,), np.float32),), {"dimensions": (0,)})
_add(P["transpose"], (_arr((2, 3, 4), np.float32),), {"permutation": (2, 0, 1)})
_add(P["transpose"], (np.float32(3.0),), {"permutation": ()})
_add(P["rev"], (_arr((0, 3), np.float32),), {"dimensions": (1,)})
_add(P["pad"], (_arr((0,), np.float32), np.float32(1.0)), {"padding_config": ((1, 2, 3),)})
_add(P["pad"], (_arr((4,), np.int32), np.int32(7)), {"padding_config": ((-4, 1, 0),)})
_add(P["pad"], (np.float32(1.0), np.float32(0.0)), {"padding_config": ()})
_add(P["concatenate"], (_arr((2, 0), np.float32), _arr((2, 3), np.float32)), {"dimension": 1})
_add(P["slice"], (_arr((5, 7), np.float32),),
     {"start_indices": (1, 0), "limit_indices": (5, 7), "strides": (2, 3)})
_add(P["slice"], (_arr((4,), np.float32),),
     {"start_indices": (2,), "limit_indices": (2,), "strides": None})
_add(P["split"], (_arr((4,), np.float32),), {"sizes": (4,), "axis": 0})
_add(P["stack"], (np.float32(1.0), np.float32(2.0)), {"axis": 0})
_add(P["unstack"], (_arr((0, 2), np.float32),), {"axis": 0})
_add(P["tile"], (np.float32(2.0),), {"reps": ()})
_add(P["tile"], (_arr((2, 3), np.float32),), {"reps": (0, 3)})

for _dt in (np.int32, np.uint8, np.float32, ml_dtypes.bfloat16, np.float16, np.complex64):
    _add(P["iota"], (), {"dtype": np.dtype(_dt), "shape": (3, 4), "dimension": 1,
                         "sharding": None})
_add(P["iota"], (), {"dtype": np.dtype(np.int32), "shape": (0,), "dimension": 0,
                     "sharding": None})
