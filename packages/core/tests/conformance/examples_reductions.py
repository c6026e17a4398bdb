"""Conformance examples of the reduction, cumulative, contraction and sorting primitives:
``EXAMPLES = [(primitive, args, params), ...]`` with NumPy arguments of canonical dtypes.

``EXAMPLES_X64`` holds float64 variants of the float examples; run them with
``jax_enable_x64`` on (without it their arguments canonicalise to float32)."""

from __future__ import annotations

import ml_dtypes
import numpy as np

import kiln
from kiln import lax
from kiln.core.config import enable_x64
from kiln.core.primitives import contraction, cumulative, reductions, sorting

_rng = np.random.default_rng(0)


def _arr(shape: tuple[int, ...], dtype: type) -> np.ndarray:
    dt = np.dtype(dtype)
    if dt == np.bool_:
        return _rng.random(shape) < 0.5
    if np.issubdtype(dt, np.complexfloating):
        return (_rng.standard_normal(shape) + 1j * _rng.standard_normal(shape)).astype(dt)
    if dt.kind in "iu":
        lo, hi = (0, 8) if dt.kind == "u" else (-8, 8)
        return _rng.integers(lo, hi, shape).astype(dt)
    return _rng.standard_normal(shape).astype(dt)  # floats, incl. bfloat16 and float8s


_bf16 = ml_dtypes.bfloat16
_FLOATS = (np.float32, np.float16, _bf16)
_NUMBERS = (np.float32, _bf16, np.int8, np.uint32, np.complex64, np.int32)
_BITWISE = (np.bool_, np.int8, np.uint32, np.int32)

EXAMPLES: list[tuple] = []
EXAMPLES_X64: list[tuple] = []


def _add(prim, args, params, x64=True):
    EXAMPLES.append((prim, args, params))
    if x64 and any(np.asarray(a).dtype == np.float32 for a in args):
        EXAMPLES_X64.append((prim, tuple(np.asarray(a).astype(np.float64)
                                          if np.asarray(a).dtype == np.float32 else a
                                          for a in args), params))


# -- reductions ---------------------------------------------------------------------------------
for _name in ("reduce_sum", "reduce_prod", "reduce_max", "reduce_min"):
    _prim = reductions.PRIMITIVES[_name]
    _extra = {"out_sharding": None} if _name == "reduce_sum" else {}
    for _dt in _NUMBERS:
        _add(_prim, (_arr((3, 4), _dt),), {"axes": (0,), **_extra})
    _add(_prim, (_arr((2, 3, 4), np.float32),), {"axes": (2, 0), **_extra})
    _add(_prim, (_arr((0, 3), np.float32),), {"axes": (0,), **_extra})
    _add(_prim, (np.float32(1.5),), {"axes": (), **_extra})
_add(reductions.reduce_max_p, (_arr((3, 2), np.bool_),), {"axes": (1,)})

for _name in ("reduce_and", "reduce_or", "reduce_xor"):
    _prim = reductions.PRIMITIVES[_name]
    for _dt in _BITWISE:
        _add(_prim, (_arr((3, 4), _dt),), {"axes": (1,)})
    _add(_prim, (_arr((2, 0, 3), np.uint8),), {"axes": (0, 1)})

for _prim in (reductions.argmax_p, reductions.argmin_p):
    for _dt in (np.float32, np.float16, _bf16, np.int8, np.uint32, np.bool_):
        _add(_prim, (_arr((3, 4), _dt),), {"axes": (0,), "index_dtype": np.dtype(np.int32)})
    _add(_prim, (_arr((2, 5), np.float32),), {"axes": (1,), "index_dtype": np.dtype(np.int16)})

# reduce carries its computation as a jaxpr of the operand dtypes, so the float64 variants
# get a computation traced on float64 (with x64 on).
def _reduce_examples(float_type: type) -> list[tuple]:
    comp = kiln.make_jaxpr(lambda a, b: lax.add(lax.mul(a, 2.0), b))(
        float_type(0), float_type(0))
    pair = kiln.make_jaxpr(lambda a0, a1, b0, b1: (lax.add(a0, b0), lax.mul(a1, b1)))(
        float_type(0), np.int32(0), float_type(0), np.int32(0))
    return [
        (reductions.reduce_p, (_arr((3, 4), float_type), float_type(0)),
         {"computation": lax.add, "jaxpr": comp, "dimensions": (1,)}),
        (reductions.reduce_p, (_arr((2, 3), float_type), _arr((2, 3), np.int32),
                               float_type(0), np.int32(1)),
         {"computation": lax.add, "jaxpr": pair, "dimensions": (0, 1)}),
    ]


EXAMPLES.extend(_reduce_examples(np.float32))
with enable_x64():
    EXAMPLES_X64.extend(_reduce_examples(np.float64))

# -- cumulative ---------------------------------------------------------------------------------
for _name, _prim in cumulative.PRIMITIVES.items():
    for _dt in ((np.float32, _bf16, np.complex64) if _name == "cumlogsumexp"
                else (np.float32, np.float16, _bf16, np.int8, np.uint32, np.complex64)):
        _add(_prim, (_arr((3, 4), _dt),), {"axis": 1, "reverse": False})
    _add(_prim, (_arr((4, 2), np.float32),), {"axis": 0, "reverse": True})
    _add(_prim, (_arr((0, 3), np.float32),), {"axis": 0, "reverse": False})

# -- dot_general --------------------------------------------------------------------------------
_MATMUL = (((1,), (0,)), ((), ()))
_BATCHED = (((2,), (1,)), ((0,), (0,)))


def _dot(lhs, rhs, dims, preferred=None, precision=None):
    _add(contraction.dot_general_p, (lhs, rhs),
         {"dimension_numbers": dims, "precision": precision,
          "preferred_element_type": None if preferred is None else np.dtype(preferred),
          "out_sharding": None})


for _dt in (np.float32, np.float16, _bf16, np.int8, np.uint32, np.complex64, np.bool_):
    _dot(_arr((2, 3), _dt), _arr((3, 4), _dt), _MATMUL)
_dot(_arr((5, 2, 3), np.float32), _arr((5, 3, 4), np.float32), _BATCHED,
     precision=(contraction.Precision.HIGHEST, contraction.Precision.HIGHEST))
_dot(_arr((5, 2, 3), np.int8), _arr((5, 3, 4), np.int8), _BATCHED, preferred=np.int32)
_dot(_arr((2, 3), _bf16), _arr((3, 4), _bf16), _MATMUL, preferred=np.float32)
_dot(_arr((2, 3), np.uint8), _arr((3, 4), np.int8), _MATMUL)
_dot(_arr((2, 3), np.float32), _arr((3,), np.int8), (((1,), (0,)), ((), ())))
_dot(_arr((3,), np.float32), _arr((3,), np.float32), (((0,), (0,)), ((), ())))
_dot(_arr((2, 3), np.float32), _arr((4, 5), np.float32), (((), ()), ((), ())))
_dot(_arr((2, 0), np.float32), _arr((0, 4), np.float32), _MATMUL)

# -- sorting ------------------------------------------------------------------------------------
for _dt in (np.float32, np.float16, _bf16, np.int8, np.uint32, np.bool_, np.complex64):
    _add(sorting.sort_p, (_arr((3, 5), _dt),),
         {"dimension": 1, "is_stable": True, "num_keys": 1})
_add(sorting.sort_p, (_arr((4, 3), np.float32), _arr((4, 3), np.int32)),
     {"dimension": 0, "is_stable": False, "num_keys": 1})
_add(sorting.sort_p, (_arr((6,), np.int8), _arr((6,), np.float32), _arr((6,), np.uint32)),
     {"dimension": 0, "is_stable": True, "num_keys": 2})

for _dt in (np.float32, np.float16, _bf16, np.int8, np.uint32, np.bool_):
    _add(sorting.top_k_p, (_arr((3, 5), _dt),), {"k": 2, "axis": 1})
_add(sorting.top_k_p, (_arr((4, 3), np.float32),), {"k": 4, "axis": 0})
_add(sorting.top_k_p, (_arr((2, 3), np.float32),), {"k": 0, "axis": 1})

_APPROX = {"recall_target": 0.95, "reduction_input_size_override": -1}
for _dt in _FLOATS:
    for _is_max in (True, False):
        _add(sorting.approx_top_k_p, (_arr((3, 6), _dt),),
             {"k": 3, "reduction_dimension": -1, "is_max_k": _is_max,
              "aggregate_to_topk": True, **_APPROX})
_add(sorting.approx_top_k_p, (_arr((5, 2), np.float32),),
     {"k": 2, "reduction_dimension": 0, "is_max_k": True, "aggregate_to_topk": False,
      **_APPROX})
