"""kiln-compiler's lowering rules for the core primitives, one module per family (as in
``kiln.core.primitives``). Importing this package registers them with
``kiln.core.register_lowering(prim, rule, backend="xla")``.

Each module looks its primitives up by name in the family module of kiln-core, so a primitive
kiln-core does not define (yet) is skipped rather than breaking the import.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from kiln.core.primitive import Primitive, register_lowering

BACKEND = "xla"


def core_primitive(family: str, name: str) -> Primitive | None:
    """The core primitive called ``name`` of ``kiln.core.primitives.<family>``, if defined."""
    try:
        module = importlib.import_module(f"kiln.core.primitives.{family}")
    except ImportError:
        return None
    for attr in (f"{name}_p", f"{name.replace('-', '_')}_p", name):
        prim = getattr(module, attr, None)
        if isinstance(prim, Primitive) and prim.name == name:
            return prim
    table = getattr(module, "PRIMITIVES", None)
    if isinstance(table, dict) and isinstance(table.get(name), Primitive):
        return table[name]
    for value in vars(module).values():
        if isinstance(value, Primitive) and value.name == name:
            return value
    return None


def register_family(family: str, rules: dict[str, Callable[..., Any]]) -> dict[str, Primitive]:
    """Register ``rules`` (primitive name -> rule) for the primitives of ``family`` that
    exist; returns those registered."""
    done = {}
    for name, rule in rules.items():
        prim = core_primitive(family, name)
        if prim is not None:
            register_lowering(prim, rule, backend=BACKEND)
            done[name] = prim
    return done


from kiln.compiler.rules import (  # noqa: E402,F401  (registering is the import's effect)
    calls,
    collectives,
    contraction,
    control_flow,
    cumulative,
    elementwise,
    indexing,
    reductions,
    sorting,
    special,
    structural,
)
