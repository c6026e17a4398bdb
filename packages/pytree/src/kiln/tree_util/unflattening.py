"""Rebuilding pytrees from a spec and a flat list of leaves.

Two strategies, chosen per structure:

* :func:`interpret` walks the spec recursively. It has no set-up cost and is used for
  structures seen only a few times, very deep structures and huge ones.
* :func:`compile_plan` generates and compiles one Python function per structure that
  rebuilds the whole tree in a single expression, e.g. for ``{'a': [*, *], 'b': *}``::

      def _plan(L, S):
          k1 = S[1]
          return {k1[0]: [L[0], L[1]], k1[1]: L[2]}

  Dict keys and custom auxiliary data are read from the spec ``S`` passed in (never
  baked into the code), so one plan serves every structure that compares equal, while
  each treedef still rebuilds with its own key and aux objects. Plans are cached
  process-wide by structure in :data:`PLANS` (a :class:`~kiln.tree_util.hotcache.HotCache`)
  and also on each treedef.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from itertools import islice
from typing import Any

from kiln.tree_util.hotcache import HotCache
from kiln.tree_util.registry import (
    CUSTOM,
    DATACLASS,
    DICT,
    LIST,
    NAMEDTUPLE,
    NODES,
    NONE,
    TUPLE,
)
from kiln.tree_util.spec import LEAF, Spec, entry_of

__all__ = ["PLANS", "Plan", "compile_plan", "interpret"]

Plan = Callable[[Any, Spec], Any]


def interpret(leaves: Any, spec: Spec) -> Any:
    """Rebuild the tree described by ``spec`` from ``leaves`` (exact length)."""
    if spec is LEAF:
        return leaves[0]
    it = iter(leaves)
    return _build(spec, it.__next__, it)


def _build(spec: Spec, nxt: Callable[[], Any], it: Any) -> Any:
    node_type, data, children = spec
    n = len(children)
    if children.count(LEAF) == n:
        if node_type is tuple:
            return tuple(islice(it, n))
        if node_type is list:
            return list(islice(it, n))
        if node_type is dict:
            return dict(zip(data, islice(it, n)))
        values = tuple(islice(it, n))
    else:
        built = [nxt() if c is LEAF else _build(c, nxt, it) for c in children]
        if node_type is list:
            return built
        if node_type is tuple:
            return tuple(built)
        if node_type is dict:
            return dict(zip(data, built))
        values = tuple(built)
    entry = NODES.get(node_type) or entry_of(node_type)
    kind = entry.kind
    if kind == NONE:
        return None
    if kind == NAMEDTUPLE:
        return node_type(*values)
    return entry.unflatten(data, values)


class _Gen:
    """Source generator for one plan."""

    def __init__(self) -> None:
        self.prelude: list[str] = []
        self.names: dict[str, Any] = {}
        self.leaf = 0
        self.var = 0
        self.needs_memo: dict[int, bool] = {}

    def fresh(self, prefix: str) -> str:
        self.var += 1
        return f"{prefix}{self.var}"

    def const(self, value: Any) -> str:
        name = self.fresh("_g")
        self.names[name] = value
        return name

    def needs(self, spec: Spec) -> bool:
        """Whether rebuilding ``spec`` reads anything (keys, aux) from the spec."""
        if spec is LEAF:
            return False
        key = id(spec)
        got = self.needs_memo.get(key)
        if got is None:
            kind = entry_of(spec[0]).kind
            got = kind in (DICT, CUSTOM, DATACLASS) or any(self.needs(c) for c in spec[2])
            self.needs_memo[key] = got
        return got

    def expr(self, spec: Spec, ref: str) -> str:
        """Return an expression rebuilding ``spec``; ``ref`` evaluates to ``spec``."""
        if spec is LEAF:
            i = self.leaf
            self.leaf += 1
            return f"L[{i}]"
        node_type, data, children = spec
        entry = entry_of(node_type)
        kind = entry.kind
        child_ref = None
        if any(self.needs(c) for c in children):
            child_ref = self.fresh("c")
            self.prelude.append(f"    {child_ref} = {ref}[2]")
        data_ref = None
        if kind in (DICT, CUSTOM, DATACLASS):
            data_ref = self.fresh("k")
            self.prelude.append(f"    {data_ref} = {ref}[1]")
        elems = [
            self.expr(c, f"{child_ref}[{j}]" if child_ref is not None else "")
            for j, c in enumerate(children)
        ]
        if kind == TUPLE:
            if len(elems) == 1:
                return f"({elems[0]},)"
            return "(" + ", ".join(elems) + ")"
        if kind == LIST:
            return "[" + ", ".join(elems) + "]"
        if kind == NONE:
            return "None"
        if kind == DICT:
            items = ", ".join(f"{data_ref}[{j}]: {e}" for j, e in enumerate(elems))
            return "{" + items + "}"
        if kind == NAMEDTUPLE:
            return f"{self.const(node_type)}(" + ", ".join(elems) + ")"
        if kind == DATACLASS and _identifiers(entry.data_fields + entry.meta_fields):
            args = [f"{name}={e}" for name, e in zip(entry.data_fields, elems)]
            args += [f"{name}={data_ref}[{j}]" for j, name in enumerate(entry.meta_fields)]
            return f"{self.const(node_type)}(" + ", ".join(args) + ")"
        fn = self.const(entry.unflatten)
        if len(elems) == 1:
            return f"{fn}({data_ref}, ({elems[0]},))"
        return f"{fn}({data_ref}, (" + ", ".join(elems) + "))"


def _identifiers(names: tuple[str, ...]) -> bool:
    return all(n.isidentifier() and not keyword.iskeyword(n) for n in names)


def compile_plan(spec: Spec) -> Plan:
    """Generate and compile a rebuild function for ``spec`` (see module docstring)."""
    if spec is LEAF:
        return interpret
    gen = _Gen()
    body = gen.expr(spec, "S")
    source = "\n".join(["def _plan(L, S):", *gen.prelude, f"    return {body}", ""])
    namespace: dict[str, Any] = dict(gen.names)
    exec(compile(source, "<kiln.tree_util plan>", "exec"), namespace)
    plan = namespace["_plan"]
    plan.__doc__ = source
    return plan


PLANS = HotCache(compile_plan, interpret)
