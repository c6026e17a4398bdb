"""jvp and transpose rules of the cumulative reductions. cumsum is linear (its transpose is
the cumulative sum the other way); cumprod, cummax, cummin and cumlogsumexp are
differentiated through their decompositions (a scan of slices and their combining
primitive), which needs no rule here."""

from __future__ import annotations

from typing import Any

from kiln.autodiff.ruledefs import deflinear
from kiln.core.primitives.cumulative import cumsum_p


def _cumsum_transpose(ct: Any, x: Any, *, axis: int, reverse: bool) -> list:
    return [cumsum_p.bind(ct, axis=axis, reverse=not reverse)]


deflinear(cumsum_p, _cumsum_transpose)
