"""Key-path entries: the objects that name one step from a pytree node to a child.

``tree_flatten_with_path`` and friends describe where each leaf sits as a tuple of
these entries (a *key path*); :func:`keystr` renders such a tuple as text.

* :class:`SequenceKey` -- an index into a list or tuple, printed ``[0]``.
* :class:`DictKey` -- a dictionary key, printed ``['a']`` (the key's ``repr``).
* :class:`GetAttrKey` -- an attribute name (namedtuples, dataclasses), printed ``.x``.
* :class:`FlattenedIndexKey` -- the position of a child of a custom node that was
  registered without key information, printed ``[<flat index 0>]``.

Entries are immutable, hashable (where their payload is), comparable for equality
with entries of the same class only, and picklable.
"""

from __future__ import annotations

import operator
from typing import Any, TypeVar

__all__ = [
    "DictKey",
    "FlattenedIndexKey",
    "GetAttrKey",
    "KeyEntry",
    "KeyPath",
    "SequenceKey",
    "keystr",
]

KeyEntry = TypeVar("KeyEntry", bound=Any)
KeyPath = tuple[KeyEntry, ...]


def _readonly(self: object, name: str, value: object) -> None:
    raise AttributeError(f"property of {type(self).__name__!r} object has no setter")


class SequenceKey:
    """Key-path entry for the ``idx``-th child of a list or tuple."""

    __slots__ = ("idx",)
    __match_args__ = ("idx",)
    idx: int

    def __init__(self, idx: int) -> None:
        object.__setattr__(self, "idx", operator.index(idx))

    __setattr__ = _readonly

    def __str__(self) -> str:
        return f"[{self.idx!r}]"

    def __repr__(self) -> str:
        return f"SequenceKey(idx={self.idx!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is SequenceKey and other.idx == self.idx

    def __hash__(self) -> int:
        return hash((SequenceKey, self.idx))

    def __reduce__(self) -> tuple[Any, ...]:
        return (SequenceKey, (self.idx,))


class DictKey:
    """Key-path entry for the child stored under ``key`` in a mapping."""

    __slots__ = ("key",)
    __match_args__ = ("key",)
    key: Any

    def __init__(self, key: Any) -> None:
        object.__setattr__(self, "key", key)

    __setattr__ = _readonly

    def __str__(self) -> str:
        return f"[{self.key!r}]"

    def __repr__(self) -> str:
        return f"DictKey(key={self.key!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is DictKey and bool(other.key == self.key)

    def __hash__(self) -> int:
        return hash(self.key)

    def __reduce__(self) -> tuple[Any, ...]:
        return (DictKey, (self.key,))


class GetAttrKey:
    """Key-path entry for the child stored in attribute ``name``."""

    __slots__ = ("name",)
    __match_args__ = ("name",)
    name: str

    def __init__(self, name: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"GetAttrKey name must be a str, got {type(name).__name__}")
        object.__setattr__(self, "name", name)

    __setattr__ = _readonly

    def __str__(self) -> str:
        return f".{self.name}"

    def __repr__(self) -> str:
        return f"GetAttrKey(name={self.name!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is GetAttrKey and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __reduce__(self) -> tuple[Any, ...]:
        return (GetAttrKey, (self.name,))


class FlattenedIndexKey:
    """Key-path entry for the ``key``-th child of a custom node without key support."""

    __slots__ = ("key",)
    __match_args__ = ("key",)
    key: int

    def __init__(self, key: int) -> None:
        object.__setattr__(self, "key", operator.index(key))

    __setattr__ = _readonly

    def __str__(self) -> str:
        return f"[<flat index {self.key}>]"

    def __repr__(self) -> str:
        return f"FlattenedIndexKey(key={self.key!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is FlattenedIndexKey and other.key == self.key

    def __hash__(self) -> int:
        return hash((FlattenedIndexKey, self.key))

    def __reduce__(self) -> tuple[Any, ...]:
        return (FlattenedIndexKey, (self.key,))


def _simple_str(entry: Any) -> str:
    cls = type(entry)
    if cls is SequenceKey:
        return str(entry.idx)
    if cls is DictKey or cls is FlattenedIndexKey:
        return str(entry.key)
    if cls is GetAttrKey:
        return entry.name
    return str(entry)


def keystr(keys: KeyPath, *, simple: bool = False, separator: str = "") -> str:
    """Render a key path as a string.

    Parameters
    ----------
    keys
        A tuple of key-path entries (or any objects convertible with ``str``).
    simple
        If true, print each entry's bare payload (``0``, ``a``, ``x``) instead of
        the bracketed form (``[0]``, ``['a']``, ``.x``). Shorter but ambiguous.
    separator
        Text placed between consecutive entries.

    Returns
    -------
    str
        For example ``"['a'][0].x"``, or ``"a/0/x"`` with ``simple=True, separator="/"``.
    """
    fn = _simple_str if simple else str
    return separator.join(map(fn, keys))
