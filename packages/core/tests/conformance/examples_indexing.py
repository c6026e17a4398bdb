"""Conformance examples of the indexing primitives (dynamic_slice, dynamic_update_slice,
gather, scatter, scatter-add, scatter-sub, scatter-mul, scatter-min, scatter-max):
``EXAMPLES = [(primitive, args, params), ...]`` with NumPy arguments of canonical dtypes.

``EXAMPLES_X64`` holds float64 variants of the float32 examples; run them with
``jax_enable_x64`` on (without it their arguments canonicalise to float32)."""

from __future__ import annotations

import ml_dtypes
import numpy as np

from kiln.core.primitives import indexing as ix
from kiln.lax import GatherDimensionNumbers as GDN
from kiln.lax import GatherScatterMode as Mode
from kiln.lax import ScatterDimensionNumbers as SDN

_rng = np.random.default_rng(1)


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


_DTYPES = (np.float32, ml_dtypes.bfloat16, np.float16, np.int8, np.uint32, np.bool_,
           np.complex64)
_NUMBERS = (np.float32, ml_dtypes.bfloat16, np.int8, np.uint32, np.complex64)
_ORDERED = (np.float32, ml_dtypes.bfloat16, np.int8, np.uint32)  # for min and max

EXAMPLES: list[tuple] = []
EXAMPLES_X64: list[tuple] = []


def _add(prim, args, params):
    EXAMPLES.append((prim, args, params))
    if any(np.asarray(a).dtype == np.float32 for a in args):
        EXAMPLES_X64.append((prim, tuple(np.asarray(a).astype(np.float64)
                                          if np.asarray(a).dtype == np.float32 else a
                                          for a in args), params))


def _i(*values: int, dtype: type = np.int32) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(v, dtype) for v in values)


# -- dynamic_slice and dynamic_update_slice (start indices clamp into bounds) -------------------
for _dt in _DTYPES:
    _x = _arr((4, 5), _dt)
    _add(ix.dynamic_slice_p, (_x, *_i(1, 3)), {"slice_sizes": (2, 3)})
    _add(ix.dynamic_update_slice_p, (_x, _arr((2, 2), _dt), *_i(3, -1)), {})
_add(ix.dynamic_slice_p, (_arr((6,), np.float32), *_i(200, dtype=np.uint8)),
     {"slice_sizes": (2,)})
_add(ix.dynamic_slice_p, (_arr((3, 0), np.float32), *_i(-5, 2, dtype=np.int16)),
     {"slice_sizes": (3, 0)})
_add(ix.dynamic_slice_p, (np.float32(2.0),), {"slice_sizes": ()})
_add(ix.dynamic_update_slice_p, (np.float32(2.0), np.float32(3.0)), {})
_add(ix.dynamic_update_slice_p, (_arr((3,), np.float32), _arr((0,), np.float32),
                                 *_i(2, dtype=np.int8)), {})

# -- gather -------------------------------------------------------------------------------------
_ROWS = GDN(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,))
_WINDOWS = GDN(offset_dims=(1, 2), collapsed_slice_dims=(), start_index_map=(0, 1))
_BATCHED = GDN(offset_dims=(2,), collapsed_slice_dims=(1,), start_index_map=(1,),
               operand_batching_dims=(0,), start_indices_batching_dims=(0,))
_ROW_INDICES = np.array([[0], [4], [-1], [2]], np.int32)


def _gather_params(dn: GDN, slice_sizes: tuple[int, ...], mode: Mode,
                   fill_value: object = None) -> dict:
    return {"dimension_numbers": dn, "slice_sizes": slice_sizes, "indices_are_sorted": False,
            "unique_indices": False, "mode": mode, "fill_value": fill_value}


for _dt in _DTYPES:
    _fill = ix.default_fill_value(np.dtype(_dt))
    for _mode in (Mode.CLIP, Mode.FILL_OR_DROP, Mode.PROMISE_IN_BOUNDS):
        _add(ix.gather_p, (_arr((5, 3), _dt), _ROW_INDICES),
             _gather_params(_ROWS, (1, 3), _mode, _fill if _mode is Mode.FILL_OR_DROP else None))
_add(ix.gather_p, (_arr((4, 5), np.float32), np.array([[0, 0], [3, 4], [-1, 2]], np.int16)),
     _gather_params(_WINDOWS, (2, 2), Mode.FILL_OR_DROP, 7.0))
_add(ix.gather_p, (_arr((4, 5), np.int32), np.array([[0, 0], [3, 4], [255, 2]], np.uint8)),
     _gather_params(_WINDOWS, (2, 2), Mode.CLIP))
_add(ix.gather_p, (_arr((2, 4, 3), np.float32), np.array([[[1], [3]], [[0], [5]]], np.int32)),
     _gather_params(_BATCHED, (1, 1, 3), Mode.FILL_OR_DROP, np.nan))
_add(ix.gather_p, (_arr((5, 3), np.float32), np.zeros((0, 1), np.int32)),
     _gather_params(_ROWS, (1, 3), Mode.CLIP))
_add(ix.gather_p, (np.float32(4.0), np.zeros((3, 0), np.int32)),
     _gather_params(GDN((), (), ()), (), Mode.PROMISE_IN_BOUNDS))

# -- scatters -----------------------------------------------------------------------------------
_SCATTER_ROWS = SDN(update_window_dims=(1,), inserted_window_dims=(0,),
                    scatter_dims_to_operand_dims=(0,))
_SCATTER_WINDOWS = SDN(update_window_dims=(1, 2), inserted_window_dims=(),
                       scatter_dims_to_operand_dims=(0, 1))
_SCATTER_BATCHED = SDN(update_window_dims=(2,), inserted_window_dims=(1,),
                       scatter_dims_to_operand_dims=(1,), operand_batching_dims=(0,),
                       scatter_indices_batching_dims=(0,))
# Rows 0 and 2 twice each, plus out-of-bounds rows 5 and -1.
_SCATTER_INDICES = np.array([[0], [2], [5], [2], [-1], [0]], np.int32)


def _scatter_params(dn: SDN, mode: Mode, unique: bool = False) -> dict:
    # The impls of the combining scatters do not read update_jaxpr: None keeps these
    # examples free of the elementwise primitives that lax.scatter_* trace into it.
    return {"dimension_numbers": dn, "indices_are_sorted": unique, "unique_indices": unique,
            "mode": mode, "update_jaxpr": None, "update_consts": ()}


_SCATTER_DTYPES = {
    ix.scatter_p: _DTYPES,
    ix.scatter_add_p: _NUMBERS,
    ix.scatter_sub_p: _NUMBERS,
    ix.scatter_mul_p: _NUMBERS,
    ix.scatter_min_p: _ORDERED,
    ix.scatter_max_p: _ORDERED,
}
for _prim, _dts in _SCATTER_DTYPES.items():
    for _dt in _dts:
        for _mode in (Mode.CLIP, Mode.FILL_OR_DROP):
            _add(_prim, (_arr((4, 3), _dt), _SCATTER_INDICES, _arr((6, 3), _dt)),
                 _scatter_params(_SCATTER_ROWS, _mode))
    _add(_prim, (_arr((4, 5), np.float32), np.array([[0, 0], [3, 4], [-1, 2]], np.int16),
                 _arr((3, 2, 2), np.float32)), _scatter_params(_SCATTER_WINDOWS, Mode.CLIP))
    _add(_prim, (_arr((2, 4, 3), np.float32), np.array([[[1], [3]], [[0], [5]]], np.int32),
                 _arr((2, 2, 3), np.float32)),
         _scatter_params(_SCATTER_BATCHED, Mode.FILL_OR_DROP))
    _add(_prim, (_arr((4, 3), np.float32), np.zeros((0, 1), np.int32),
                 _arr((0, 3), np.float32)), _scatter_params(_SCATTER_ROWS, Mode.CLIP))
    # Unique, sorted, in-bounds indices (what JAX needs to differentiate scatter-mul).
    _add(_prim, (_arr((4, 3), np.float32), np.array([[0], [1], [3]], np.int32),
                 _arr((3, 3), np.float32)),
         _scatter_params(_SCATTER_ROWS, Mode.PROMISE_IN_BOUNDS, unique=True))
