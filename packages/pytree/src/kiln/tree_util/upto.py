"""``PyTreeDef.flatten_up_to``: flatten a tree only as deep as a given structure.

Walks a spec and a value together. Where the spec has a leaf, the whole corresponding
subtree of the value is emitted as one "leaf"; where the spec has a node, the value
must be a node of the same type, arity and node data. Mismatches raise ``ValueError``
with the same wording as JAX's C++ implementation.

:func:`flatten_up_to` is the reference walk. For hot structures, :data:`UP_TO` holds
generated functions (see :func:`compile_up_to`) that check and extract in straight-line
code and return ``None`` on any mismatch, in which case the walk is rerun to raise the
precise error.
"""

from __future__ import annotations

from collections.abc import Callable
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
    classify,
)
from kiln.tree_util.spec import LEAF, Spec, entry_of

__all__ = ["UP_TO", "compile_up_to", "flatten_up_to", "sorted_keys"]

_NONE_HINT = (
    "\n\nIn previous releases of JAX, flatten-up-to used to consider None to be a "
    "tree-prefix of non-None values. To obtain the previous behavior, you can usually "
    "write:\n  jax.tree.map(lambda x, y: None if x is None else f(x, y), a, b, "
    "is_leaf=lambda x: x is None)"
)


def sorted_keys(d: dict) -> list[Any]:
    """Return the keys of ``d`` sorted, raising JAX's error if they don't compare."""
    try:
        return sorted(d)
    except TypeError:
        raise ValueError(
            "Comparator raised exception while sorting pytree dictionary keys."
        ) from None


def flatten_up_to(spec: Spec, tree: Any) -> list[Any]:
    """Return the subtrees of ``tree`` sitting at the leaves of ``spec``."""
    out: list[Any] = []
    if spec is LEAF:
        out.append(tree)
    else:
        _walk(spec, tree, out)
    return out


def _walk(spec: Spec, x: Any, out: list[Any]) -> None:
    node_type, data, children = spec
    entry = NODES.get(node_type) or entry_of(node_type)
    kind = entry.kind
    n = len(children)
    if kind == TUPLE:
        if type(x) is not tuple:
            raise ValueError(f"Expected tuple, got {x!r}.")
        if len(x) != n:
            raise ValueError(f"Tuple arity mismatch: {len(x)} != {n}; tuple: {x!r}.")
        values = x
    elif kind == LIST:
        if type(x) is not list:
            raise ValueError(f"Expected list, got {x!r}.")
        if len(x) != n:
            raise ValueError(f"List arity mismatch: {len(x)} != {n}; list: {x!r}.")
        values = x
    elif kind == DICT:
        if type(x) is not dict:
            raise ValueError(f"Expected dict, got {x!r}.")
        keys = sorted_keys(x)
        if len(keys) != n or tuple(keys) != data:
            raise ValueError(
                f"Dict key mismatch; expected keys: {list(data)!r}; present keys: {keys!r}."
            )
        values = [x[k] for k in keys]
    elif kind == NONE:
        if x is not None:
            raise ValueError(f"Expected None, got {x!r}.{_NONE_HINT}")
        return
    elif kind == NAMEDTUPLE:
        got = classify(type(x))
        if got is None or got.kind != NAMEDTUPLE:
            raise ValueError(f"Expected named tuple, got {x!r}.")
        if len(x) != n:
            raise ValueError(f"Named tuple arity mismatch: {len(x)} != {n}; tuple: {x!r}.")
        if type(x) is not node_type:
            raise ValueError(
                f"Named tuple type mismatch: expected type: {node_type!r}, tuple: {x!r}."
            )
        values = x
    else:
        assert kind in (CUSTOM, DATACLASS)
        what = "custom dataclass node" if kind == DATACLASS else "custom node"
        if type(x) is not node_type:
            raise ValueError(
                f"{what[0].upper()}{what[1:]} type mismatch: expected type: "
                f"{node_type!r}, value: {x!r}."
            )
        if kind == DATACLASS:
            values, aux = entry.get_data(x), entry.get_meta(x)
        else:
            values, aux = entry.flatten(x)
            values = tuple(values)
        if aux != data:
            raise ValueError(f"Mismatch {what} data: {data!r} != {aux!r}; value: {x!r}.")
        if len(values) != n:
            raise ValueError(f"Custom type arity mismatch: {len(values)} != {n}; value: {x!r}.")
    append = out.append
    for child, value in zip(children, values):
        if child is LEAF:
            append(value)
        else:
            _walk(child, value, out)


class _UpToGen:
    """Source generator for one checked extraction function."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.leaves: list[str] = []
        self.names: dict[str, Any] = {}
        self.var = 0

    def fresh(self, prefix: str) -> str:
        self.var += 1
        return f"{prefix}{self.var}"

    def const(self, value: Any) -> str:
        name = self.fresh("_g")
        self.names[name] = value
        return name

    def node(self, spec: Spec, v: str, ref: str) -> None:
        """Emit checks for value ``v`` against ``spec`` (``ref`` evaluates to spec)."""
        node_type, _, children = spec
        entry = entry_of(node_type)
        kind = entry.kind
        n = len(children)
        emit = self.lines.append
        if kind == NONE:
            emit(f"    if {v} is not None: return None")
            return
        if kind == TUPLE or kind == LIST:
            name = "tuple" if kind == TUPLE else "list"
            emit(f"    if type({v}) is not {name} or len({v}) != {n}: return None")
            child = [f"{v}[{j}]" for j in range(n)]
        elif kind == NAMEDTUPLE:
            emit(f"    if type({v}) is not {self.const(node_type)} or len({v}) != {n}: return None")
            child = [f"{v}[{j}]" for j in range(n)]
        elif kind == DICT:
            keys = self.fresh("k")
            emit(f"    if type({v}) is not dict or len({v}) != {n}: return None")
            emit(f"    {keys} = {ref}[1]")
            child = [f"{v}[{keys}[{j}]]" for j in range(n)]
        else:
            aux = self.fresh("a")
            kids = self.fresh("h")
            emit(f"    if type({v}) is not {self.const(node_type)}: return None")
            if kind == DATACLASS:
                emit(f"    {aux} = {self.const(entry.get_meta)}({v})")
                emit(f"    if {aux} != {ref}[1]: return None")
                emit(f"    {kids} = {self.const(entry.get_data)}({v})")
            else:
                emit(f"    {aux} = {self.const(entry.flatten)}({v})")
                emit(f"    if type({aux}) is not tuple or len({aux}) != 2: return None")
                emit(f"    {kids} = tuple({aux}[0])")
                emit(f"    if {aux}[1] != {ref}[1] or len({kids}) != {n}: return None")
            child = [f"{kids}[{j}]" for j in range(n)]
        child_ref = None
        if any(c is not LEAF for c in children):
            child_ref = self.fresh("c")
            emit(f"    {child_ref} = {ref}[2]")
        for j, (c, expr) in enumerate(zip(children, child)):
            if c is LEAF:
                self.leaves.append(expr)
            else:
                w = self.fresh("v")
                emit(f"    {w} = {expr}")
                self.node(c, w, f"{child_ref}[{j}]")


def compile_up_to(spec: Spec) -> Callable[[Any, Spec], list[Any] | None]:
    """Generate ``f(tree, S)`` returning ``flatten_up_to``'s result, or None on mismatch."""
    if spec is LEAF:
        return lambda tree, s: [tree]
    gen = _UpToGen()
    gen.node(spec, "T", "S")
    source = "\n".join(
        ["def _up_to(T, S):", *gen.lines, "    return [" + ", ".join(gen.leaves) + "]", ""]
    )
    namespace: dict[str, Any] = dict(gen.names)
    exec(compile(source, "<kiln.tree_util flatten_up_to>", "exec"), namespace)
    fn = namespace["_up_to"]
    fn.__doc__ = source
    return fn


def _walk_up_to(tree: Any, spec: Spec) -> list[Any]:
    return flatten_up_to(spec, tree)


UP_TO = HotCache(compile_up_to, _walk_up_to)
