"""The while loop of kiln-random's rejection samplers (gamma, poisson, binomial):
``lax.while_loop`` with loop-invariant values kept apart from the carry, as the samplers
are written."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kiln import lax


def random_while(cond: Callable, body: Callable, consts: Sequence[Any],
                 init: Sequence[Any]) -> list[Any]:
    """Loop over the carry ``init`` with loop-invariant ``consts``:
    ``cond(consts, carry) -> bool[]`` and ``body(consts, carry) -> carry`` (lists)."""
    consts = list(consts)
    return list(lax.while_loop(lambda carry: cond(consts, list(carry)),
                               lambda carry: list(body(consts, list(carry))), list(init)))
