"""Printing and saving: ``array_repr``, ``array_str``, the print options (NumPy's, which
kiln's array printing uses), ``save`` and ``savez``."""

from __future__ import annotations

from typing import Any

import numpy as np

get_printoptions = np.get_printoptions
set_printoptions = np.set_printoptions
printoptions = np.printoptions
save = np.save
savez = np.savez


def array_repr(arr: Any, max_line_width: int | None = None, precision: int | None = None,
               suppress_small: bool | None = None) -> str:
    """The repr of ``arr`` (``Array([...], dtype=...)``), with NumPy's print options."""
    from kiln.numpy.creation import asarray

    a = asarray(arr)
    if max_line_width is None and precision is None and suppress_small is None:
        return repr(a)
    with np.printoptions(linewidth=max_line_width or np.get_printoptions()["linewidth"],
                         precision=precision if precision is not None else
                         np.get_printoptions()["precision"],
                         suppress=bool(suppress_small)):
        return repr(a)


def array_str(a: Any, max_line_width: int | None = None, precision: int | None = None,
              suppress_small: bool | None = None) -> str:
    """The str of ``a`` (its values, as NumPy prints them)."""
    return np.array_str(np.asarray(a), max_line_width=max_line_width, precision=precision,
                        suppress_small=suppress_small)
