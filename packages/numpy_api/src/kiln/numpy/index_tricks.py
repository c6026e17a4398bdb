"""Index tricks: ``r_``, ``c_``, ``mgrid``, ``ogrid``, ``s_`` and ``index_exp``."""

from __future__ import annotations

from typing import Any

import numpy as np
from kiln.core import dtypes
from kiln.numpy import promotion


def _slice_values(s: slice) -> Any:
    """The values ``s`` describes: ``start:stop:step``, or ``start:stop:Nj`` for N points
    (endpoint included)."""
    from kiln.numpy.creation import arange, linspace

    start = 0 if s.start is None else s.start
    step = 1 if s.step is None else s.step
    if isinstance(step, complex):
        return linspace(start, s.stop, int(abs(step)), endpoint=True)
    return arange(start, s.stop, step)


class _Grid:
    """``mgrid[...]`` (dense) and ``ogrid[...]`` (sparse) coordinate grids."""

    def __init__(self, sparse: bool, name: str):
        self.sparse = sparse
        self.name = name

    def __getitem__(self, key: Any) -> Any:
        from kiln.numpy.creation import meshgrid
        from kiln.numpy.shape import stack

        if isinstance(key, slice):
            return _slice_values(key)
        outputs = [_slice_values(k) for k in key]
        outputs = [promotion._as_array(x) for x in promotion.promote_dtypes(*outputs)]
        grids = meshgrid(*outputs, indexing="ij", sparse=self.sparse)
        if self.sparse:
            return grids
        if not grids:
            return promotion.asarray(np.zeros((0,), dtypes.canonicalize_dtype(np.int64)))
        return stack(grids, 0)

    def __repr__(self) -> str:
        return f"<kiln.numpy.{self.name}>"


mgrid = _Grid(sparse=False, name="mgrid")
ogrid = _Grid(sparse=True, name="ogrid")


class _AxisConcat:
    """``r_[...]`` and ``c_[...]``: concatenate slices, scalars and arrays along an axis;
    a leading string ``'axis,ndmin,trans1d'`` (or ``'r'``/``'c'``) configures it."""

    def __init__(self, axis: int, ndmin: int, trans1d: int, name: str):
        self.axis = axis
        self.ndmin = ndmin
        self.trans1d = trans1d
        self.name = name

    def __getitem__(self, key: Any) -> Any:
        from kiln.numpy.creation import array
        from kiln.numpy.shape import concatenate

        key = key if isinstance(key, tuple) else (key,)
        axis, ndmin, trans1d = self.axis, self.ndmin, self.trans1d
        matrix = None
        if key and isinstance(key[0], str):
            spec, key = key[0], key[1:]
            if spec in ("r", "c"):
                matrix = spec
            else:
                parts = [p for p in spec.split(",")]
                axis = int(parts[0])
                if len(parts) > 1:
                    ndmin = int(parts[1])
                if len(parts) > 2:
                    trans1d = int(parts[2])
        items = []
        for item in key:
            if isinstance(item, slice):
                arr = _slice_values(item)
            elif isinstance(item, str):
                raise ValueError("string directive must be placed at the beginning")
            else:
                arr = array(item, copy=False)
            if arr.ndim < ndmin:
                item_ndim = arr.ndim
                arr = arr.reshape((1,) * (ndmin - item_ndim) + arr.shape)
                if trans1d != -1:
                    # NumPy's rule: the item's own axes move to position trans1d.
                    k2, k1 = ndmin - item_ndim, trans1d
                    if k1 < 0:
                        k1 += k2 + 1
                    order = list(range(ndmin))
                    arr = arr.transpose(order[:k1] + order[k2:] + order[k1:k2])
            items.append(arr)
        if not items:
            return promotion.asarray(np.zeros((0,), dtypes.canonicalize_dtype(np.float64)))
        out = concatenate(items, axis=axis)
        if matrix == "c" and out.ndim == 1:
            out = out.reshape((-1, 1))
        elif matrix == "r" and out.ndim == 1:
            out = out.reshape((1, -1))
        return out

    def __len__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return f"<kiln.numpy.{self.name}>"


r_ = _AxisConcat(axis=0, ndmin=1, trans1d=-1, name="r_")
c_ = _AxisConcat(axis=-1, ndmin=2, trans1d=0, name="c_")


class _IndexExpression:
    """``s_[...]`` (the index itself) and ``index_exp[...]`` (always a tuple)."""

    def __init__(self, maketuple: bool):
        self.maketuple = maketuple

    def __getitem__(self, item: Any) -> Any:
        if self.maketuple and not isinstance(item, tuple):
            return (item,)
        return item


index_exp = _IndexExpression(maketuple=True)
s_ = _IndexExpression(maketuple=False)

