"""``Partial``: a ``functools.partial`` that is a pytree.

The bound positional and keyword arguments are the children (so they are traced /
mapped over), and the wrapped function is the auxiliary data (so it is static).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from kiln.tree_util.registry import register_pytree_node

__all__ = ["Partial"]


class _CallableBox:
    """Wraps a callable, delegating calls, hashing and equality to it.

    ``functools.partial`` merges nested partials into one; boxing an inner partial
    keeps its arguments out of the outer ``Partial``'s pytree children.
    """

    __slots__ = ("fun", "func", "args", "keywords")

    def __init__(self, fun: Callable[..., Any]) -> None:
        self.fun = fun

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fun(*args, **kwargs)

    def __hash__(self) -> int:
        return hash(self.fun)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _CallableBox):
            return bool(self.fun == other.fun)
        return bool(self.fun == other)

    def __repr__(self) -> str:
        return f"_HashableCallableShim({self.fun!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_CallableBox, (self.fun,))


class Partial(functools.partial):
    """A ``functools.partial`` whose bound arguments are pytree children.

    ``Partial(f, *args, **kwargs)`` behaves like ``functools.partial`` but can be
    passed through ``tree_map``, ``jit`` and other transformations: ``args`` and
    ``kwargs`` are flattened as leaves/subtrees, ``f`` is static node data.
    """

    def __new__(cls, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Partial:
        if isinstance(func, functools.partial):
            inner = func
            box = _CallableBox(inner)
            out = super().__new__(cls, box, *args, **kwargs)
            box.func = inner.func
            box.args = inner.args
            box.keywords = inner.keywords
            return out
        return super().__new__(cls, func, *args, **kwargs)


def _partial_flatten(p: Partial) -> tuple[tuple[Any, Any], Any]:
    return (p.args, p.keywords), p.func


def _partial_unflatten(func: Any, children: Any) -> Partial:
    args, keywords = children
    return Partial(func, *args, **keywords)


register_pytree_node(Partial, _partial_flatten, _partial_unflatten)
