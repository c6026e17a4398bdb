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


def _fits(width: int, first: tuple[int, bool, Doc], rest: list[tuple[int, bool, Doc]]) -> bool:
    # Does `first` (flat), then what follows on `rest`, fit before the next break?
    stack = [first]
    below = len(rest)
    while width >= 0:
        if not stack:
            if below == 0:
                return True
            below -= 1
            stack.append(rest[below])
        indent, flat, doc = stack.pop()
        if isinstance(doc, Text):
            width -= len(doc.s)
        elif isinstance(doc, Line):
            if not flat:
                return True
            width -= len(doc.flat)
        elif isinstance(doc, Concat):
            stack.extend((indent, flat, d) for d in reversed(doc.docs))
        elif isinstance(doc, Nest):
            stack.append((indent + doc.indent, flat, doc.doc))
        else:  # Group
            stack.append((indent, flat, doc.doc))
    return False


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
        else:  # Group: flat if it and what follows up to the next break fit
            mode = flat or _fits(width - col, (indent, _FLAT, d.doc), stack)
            stack.append((indent, mode, d.doc))
    return "".join(out)
