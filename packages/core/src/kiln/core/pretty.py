"""A small Wadler-style pretty printer: documents that print on one line when they fit the
width, and break at their ``line``s, indented, when they don't. Jaxprs print through it."""

from __future__ import annotations

from collections.abc import Iterable


class Doc:
    __slots__ = ()

    def __add__(self, other: Doc | str) -> Doc:
        return Concat((self, text(other) if isinstance(other, str) else other))

    def __radd__(self, other: str) -> Doc:
        return Concat((text(other), self))

    def format(self, width: int = 80) -> str:
        return _render(self, width)


class Text(Doc):
    __slots__ = ("s",)

    def __init__(self, s: str):
        self.s = s


class Line(Doc):
    """A line break, or ``flat`` (a space by default) when its group fits on one line."""

    __slots__ = ("flat",)

    def __init__(self, flat: str = " "):
        self.flat = flat


class Concat(Doc):
    __slots__ = ("docs",)

    def __init__(self, docs: tuple[Doc, ...]):
        self.docs = docs


class Nest(Doc):
    __slots__ = ("indent", "doc")

    def __init__(self, indent: int, doc: Doc):
        self.indent, self.doc = indent, doc


class Group(Doc):
    __slots__ = ("doc",)

    def __init__(self, doc: Doc):
        self.doc = doc


def text(s: str) -> Doc:
    return Text(s)


def concat(docs: Iterable[Doc | str]) -> Doc:
    return Concat(tuple(text(d) if isinstance(d, str) else d for d in docs))


def join(sep: Doc | str, docs: Iterable[Doc | str]) -> Doc:
    out: list[Doc | str] = []
    for i, d in enumerate(docs):
        if i:
            out.append(sep)
        out.append(d)
    return concat(out)


def nest(indent: int, doc: Doc) -> Doc:
    return Nest(indent, doc)


def group(doc: Doc) -> Doc:
    return Group(doc)


line = Line()
softline = Line("")  # breaks to nothing when flat

_FLAT, _BREAK = True, False


def _fits(width: int, doc: Doc) -> bool:
    # Whether `doc`, printed flat, fits in `width` columns. Like JAX's printer, only the group
    # itself counts, not what follows it on the line.
    stack = [doc]
    while stack:
        if width < 0:
            return False
        d = stack.pop()
        if isinstance(d, Text):
            width -= len(d.s)
        elif isinstance(d, Line):
            width -= len(d.flat)
        elif isinstance(d, Concat):
            stack.extend(reversed(d.docs))
        else:  # Nest or Group
            stack.append(d.doc)
    return width >= 0


def _render(doc: Doc, width: int) -> str:
    out: list[str] = []
    col = 0
    stack: list[tuple[int, bool, Doc]] = [(0, _BREAK, doc)]
    while stack:
        indent, flat, d = stack.pop()
        if isinstance(d, Text):
            out.append(d.s)
            col += len(d.s)
        elif isinstance(d, Line):
            if flat:
                out.append(d.flat)
                col += len(d.flat)
            else:
                out.append("\n" + " " * indent)
                col = indent
        elif isinstance(d, Concat):
            stack.extend((indent, flat, c) for c in reversed(d.docs))
        elif isinstance(d, Nest):
            stack.append((indent + d.indent, flat, d.doc))
        else:  # Group: flat if it fits on the rest of the line
            mode = flat or _fits(width - col, d.doc)
            stack.append((indent, mode, d.doc))
    return "".join(out)
