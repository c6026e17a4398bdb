"""Elementwise ``lax`` functions: ``lax.add(x, y)``, ``lax.sin(x)``, ..."""

from __future__ import annotations

from typing import Any

from kiln.core.primitives import elementwise as _ew


def add(x: Any, y: Any) -> Any:
    """Elementwise addition: ``x + y``. Operands must have the same dtype."""
    return _ew.add_p.bind(x, y)


def mul(x: Any, y: Any) -> Any:
    """Elementwise multiplication: ``x * y``. Operands must have the same dtype."""
    return _ew.mul_p.bind(x, y)


def sin(x: Any) -> Any:
    """Elementwise sine."""
    return _ew.sin_p.bind(x)


def integer_pow(x: Any, y: int) -> Any:
    """Elementwise power ``x ** y`` for a static Python integer ``y``."""
    return _ew.integer_pow_p.bind(x, y=int(y))
