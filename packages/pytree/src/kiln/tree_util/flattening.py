"""Flattening: turning a pytree into a list of leaves plus a PyTreeDef.

:func:`flatten` is the hot entry point used by the rest of kiln (e.g. ``jit`` argument
handling); ``tree_flatten`` is the same function. Without ``is_leaf`` it takes a fast
path tuned for CPython:

* leaf tests are a set lookup (``type(x) in LEAF_TYPES``); a container whose children
  are all leaves is recognised with unrolled tests (up to 3 children) or one C-level
  ``LEAF_TYPES.issuperset(map(type, xs))``, then copied with ``leaves.extend``;
* lists, tuples and dicts are handled inline in one loop without dispatching through
  the registry; all-leaf tuples and lists share prebuilt specs, so few objects are
  allocated (which also keeps garbage-collector passes rare);
* dicts reuse a cached sort order keyed by their insertion-order keys (the rebuilt
  key tuple still holds each dict's own key objects).

With ``is_leaf`` or when key paths are requested, :func:`flatten_general` does the
work (one recursive walk that can also collect key paths).
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any

from kiln.tree_util.keys import DictKey, FlattenedIndexKey, GetAttrKey, SequenceKey
from kiln.tree_util.registry import (
    CUSTOM,
    DATACLASS,
    DICT,
    LEAF_TYPES,
    LIST,
    NAMEDTUPLE,
    NODES,
    NONE,
    TUPLE,
    NodeEntry,
    classify,
)
from kiln.tree_util.spec import LEAF, NONE_SPEC, Spec, leaves_tuple
from kiln.tree_util.treedef import _LEAF_TREEDEF, PyTreeDef, make_treedef
from kiln.tree_util.upto import sorted_keys

__all__ = [
    "flatten",
    "flatten_general",
    "flatten_one_level",
    "flatten_one_level_with_keys",
    "flatten_with_path",
]

_LT = LEAF_TYPES  # mutated in place by the registry, never rebound
_all_leaves = LEAF_TYPES.issuperset
_node_get = NODES.get
_SHARED = tuple(leaves_tuple(n) for n in range(64))
_new = object.__new__
_EMPTY_DICT_SPEC = (dict, (), ())
# Shared specs of all-leaf tuples and lists of length n < 64.
_TUPLE_SPECS = tuple((tuple, None, s) for s in _SHARED)
_LIST_SPECS = tuple((list, None, s) for s in _SHARED)
# (value getter, key getter) for one-key dicts, in the shape of a _DICT_ORDERS entry.
_ONE_KEY = (lambda d: tuple(d.values()), lambda keys: keys)

# insertion-order key tuple -> (getter of values in sorted order, getter of keys in
# sorted order). Only for dicts with 2..32 keys.
_DICT_ORDERS: dict[tuple[Any, ...], tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {}
_DICT_ORDERS_LIMIT = 4096


def _bad_children(result: Any) -> ValueError:
    return ValueError(
        "The to_iterable function for a custom PyTree node should return a "
        f"(children, aux_data) tuple where 'children' is iterable, got {result!r}"
    )


def _bad_result(result: Any) -> ValueError:
    return ValueError(
        "The to_iterable function for a custom PyTree node should return a "
        f"(children, aux_data) tuple, got {result!r}"
    )


def _call_flatten(entry: NodeEntry, x: Any) -> tuple[Any, Any]:
    """Run a custom node's flatten function, validating its result like JAX."""
    result = entry.flatten(x)
    if type(result) is not tuple or len(result) != 2:
        raise _bad_result(result)
    children, data = result
    if type(children) is not tuple and type(children) is not list:
        try:
            children = tuple(children)
        except TypeError:
            raise _bad_children(result) from None
    return children, data


def _dict_order(keys: tuple[Any, ...]) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    order = sorted(range(len(keys)), key=keys.__getitem__)
    ordered = [keys[i] for i in order]
    got = (itemgetter(*ordered), itemgetter(*order))
    if len(_DICT_ORDERS) >= _DICT_ORDERS_LIMIT:
        _DICT_ORDERS.clear()
    _DICT_ORDERS[keys] = got
    return got


def _flat_dict(x: dict, leaves: list[Any]) -> Spec:
    n = len(x)
    if 1 < n <= 32:
        kt = tuple(x)
        got = _DICT_ORDERS.get(kt)
        if got is None:
            try:
                got = _dict_order(kt)
            except TypeError:
                raise ValueError(
                    "Comparator raised exception while sorting pytree dictionary keys."
                ) from None
        value_getter, key_getter = got
        keys = key_getter(kt)
        values = value_getter(x)
    elif n == 1:
        keys = tuple(x)
        values = tuple(x.values())
        if type(values[0]) in _LT:
            leaves.append(values[0])
            return (dict, keys, _SHARED[1])
    elif n == 0:
        return _EMPTY_DICT_SPEC
    else:
        keys = tuple(sorted_keys(x))
        values = [x[k] for k in keys]
    if _all_leaves(map(type, values)):
        leaves.extend(values)
        return (dict, keys, _SHARED[n] if n < 64 else leaves_tuple(n))
    return (dict, keys, _children(values, leaves))


def _children(xs: Any, leaves: list[Any]) -> tuple[Spec, ...]:
    # The hot loop. Leaf tests for containers of up to 3 children are unrolled: besides
    # being quicker than issuperset(map(...)), they allocate nothing, which keeps the
    # garbage collector (triggered by allocation counts) out of the way.
    out: list[Spec] = []
    push = out.append
    append = leaves.append
    lt = _LT
    for c in xs:
        tc = type(c)
        if tc in lt:
            append(c)
            push(LEAF)
        elif tc is tuple or tc is list:
            n = len(c)
            if n > 3:
                leafy = type(c[0]) in lt and _all_leaves(map(type, c))
            elif n == 3:
                leafy = type(c[0]) in lt and type(c[1]) in lt and type(c[2]) in lt
            elif n == 2:
                leafy = type(c[0]) in lt and type(c[1]) in lt
            else:
                leafy = n == 0 or type(c[0]) in lt
            if leafy:
                leaves.extend(c)
                if n < 64:
                    push((_TUPLE_SPECS if tc is tuple else _LIST_SPECS)[n])
                else:
                    push((tc, None, leaves_tuple(n)))
            else:
                push((tc, None, _children(c, leaves)))
        elif tc is dict:
            # Inlined copy of the common case of _flat_dict (order cached).
            kt = tuple(c)
            n = len(kt)
            if n == 1:
                got = _ONE_KEY
            elif n:
                got = _DICT_ORDERS.get(kt)
            else:
                push(_EMPTY_DICT_SPEC)
                continue
            if got is None:
                push(_flat_dict(c, leaves))
                continue
            values = got[0](c)
            if n > 3:
                leafy = type(values[0]) in lt and _all_leaves(map(type, values))
            elif n == 3:
                leafy = (
                    type(values[0]) in lt and type(values[1]) in lt and type(values[2]) in lt
                )
            elif n == 2:
                leafy = type(values[0]) in lt and type(values[1]) in lt
            else:
                leafy = type(values[0]) in lt
            if leafy:
                leaves.extend(values)
                push((dict, got[1](kt), _SHARED[n]))
            else:
                push((dict, got[1](kt), _children(values, leaves)))
        else:
            push(_flat(c, leaves))
    return tuple(out)


def _flat(x: Any, leaves: list[Any]) -> Spec:
    tx = type(x)
    if tx is list or tx is tuple:
        n = len(x)
        if n == 0 or (type(x[0]) in _LT and _all_leaves(map(type, x))):
            leaves.extend(x)
            if n < 64:
                return (_TUPLE_SPECS if tx is tuple else _LIST_SPECS)[n]
            return (tx, None, leaves_tuple(n))
        return (tx, None, _children(x, leaves))
    if tx is dict:
        return _flat_dict(x, leaves)
    if x is None:
        return NONE_SPEC
    entry = _node_get(tx)
    if entry is None:
        entry = classify(tx)
        if entry is None:
            leaves.append(x)
            return LEAF
    kind = entry.kind
    if kind == NAMEDTUPLE:
        children: Any = x
        data = None
    elif kind == DATACLASS:
        children = entry.get_data(x)
        data = entry.get_meta(x)
    else:
        children, data = _call_flatten(entry, x)
    if _all_leaves(map(type, children)):
        leaves.extend(children)
        return (tx, data, leaves_tuple(len(children)))
    return (tx, data, _children(children, leaves))


def flatten(
    tree: Any, is_leaf: Callable[[Any], bool] | None = None
) -> tuple[list[Any], PyTreeDef]:
    """Flatten a pytree into its leaves and structure.

    Parameters
    ----------
    tree
        The pytree to flatten.
    is_leaf
        Optional predicate called on every subtree (root included) before it is
        flattened; returning True makes that subtree a leaf.

    Returns
    -------
    tuple[list, PyTreeDef]
        The leaves in order (dict entries by sorted key) and the treedef.
    """
    leaves: list[Any] = []
    if is_leaf is None:
        if type(tree) in _LT:
            return [tree], _LEAF_TREEDEF
        spec = _flat(tree, leaves)
    else:
        spec = flatten_general(tree, leaves, None, is_leaf, False)
    if spec is LEAF:
        return leaves, _LEAF_TREEDEF
    td = _new(PyTreeDef)
    td._spec = spec
    td._num_leaves = len(leaves)
    td._num_nodes = None
    td._hash = None
    td._plan = None
    td._up_to = None
    return leaves, td


def _check_predicate(result: Any) -> bool:
    if result is True:
        return True
    if result is False or result is None:
        return False
    raise ValueError(
        f"is_leaf predicate returned a non-boolean value {result!r}; expected a boolean"
    )


_SEQ_KEYS = tuple(SequenceKey(i) for i in range(256))
_INDEX_KEYS = tuple(FlattenedIndexKey(i) for i in range(256))
_STR_KEYS: dict[str, DictKey] = {}
_FIELD_KEYS: dict[type, tuple[GetAttrKey, ...]] = {}


def _seq_keys(n: int) -> tuple[SequenceKey, ...]:
    if n <= 256:
        return _SEQ_KEYS[:n]
    return _SEQ_KEYS + tuple(SequenceKey(i) for i in range(256, n))


def _index_keys(n: int) -> tuple[FlattenedIndexKey, ...]:
    if n <= 256:
        return _INDEX_KEYS[:n]
    return _INDEX_KEYS + tuple(FlattenedIndexKey(i) for i in range(256, n))


def _dict_key(k: Any) -> DictKey:
    if type(k) is not str:
        return DictKey(k)
    key = _STR_KEYS.get(k)
    if key is None:
        if len(_STR_KEYS) >= 4096:
            _STR_KEYS.clear()
        key = _STR_KEYS[k] = DictKey(k)
    return key


def _field_keys(typ: type, names: Any) -> tuple[GetAttrKey, ...]:
    keys = _FIELD_KEYS.get(typ)
    if keys is None:
        keys = _FIELD_KEYS[typ] = tuple(GetAttrKey(f) for f in names)
    return keys


def _node_children(
    entry: NodeEntry, x: Any, want_keys: bool
) -> tuple[Any, Any, Any]:
    """Return ``(children, node data, key entries or None)`` for node ``x``."""
    kind = entry.kind
    if kind == TUPLE or kind == LIST:
        return x, None, _seq_keys(len(x)) if want_keys else None
    if kind == DICT:
        sk = sorted_keys(x)
        if want_keys:
            get = _STR_KEYS.get
            keys = [(get(k) if type(k) is str else None) or _dict_key(k) for k in sk]
        else:
            keys = None
        return [x[k] for k in sk], tuple(sk), keys
    if kind == NONE:
        return (), None, () if want_keys else None
    if kind == NAMEDTUPLE:
        return x, None, _field_keys(type(x), type(x)._fields) if want_keys else None
    if kind == DATACLASS:
        keys = _field_keys(entry.type, entry.data_fields) if want_keys else None
        return entry.get_data(x), entry.get_meta(x), keys
    assert kind == CUSTOM
    if want_keys and entry.flatten_with_keys is not None:
        result = entry.flatten_with_keys(x)
        if type(result) is not tuple or len(result) != 2:
            raise _bad_result(result)
        pairs, data = result
        try:
            pairs = list(pairs)
        except TypeError:
            raise _bad_children(result) from None
        return [c for _, c in pairs], data, [k for k, _ in pairs]
    children, data = _call_flatten(entry, x)
    return children, data, _index_keys(len(children)) if want_keys else None


def _pred_node(x: Any, leaves: list[Any], pred: Callable[[Any], Any]) -> Spec:
    """Flatten ``x`` (for which ``pred`` was false) calling ``pred`` on descendants."""
    tx = type(x)
    entry = _node_get(tx) or classify(tx)
    if entry is None:
        leaves.append(x)
        return LEAF
    if entry.kind == NONE:
        return NONE_SPEC
    children, data, _ = _node_children(entry, x, False)
    specs: list[Spec] = []
    push = specs.append
    append = leaves.append
    for c in children:
        flag = pred(c)
        if flag is True or (flag is not False and flag is not None and _check_predicate(flag)):
            append(c)
            push(LEAF)
        elif type(c) in _LT:
            append(c)
            push(LEAF)
        else:
            push(_pred_node(c, leaves, pred))
    return (tx, data, tuple(specs))


def _path_node(
    x: Any,
    path: tuple[Any, ...],
    leaves: list[Any],
    paths: list[tuple[Any, ...]],
    pred: Callable[..., Any] | None,
    takes_path: bool,
) -> Spec:
    """Flatten node candidate ``x`` at ``path``, recording each leaf's key path."""
    tx = type(x)
    entry = _node_get(tx) or classify(tx)
    if entry is None:
        leaves.append(x)
        paths.append(path)
        return LEAF
    if entry.kind == NONE:
        return NONE_SPEC
    children, data, keys = _node_children(entry, x, True)
    specs: list[Spec] = []
    push = specs.append
    append = leaves.append
    append_path = paths.append
    for key, c in zip(keys, children):
        p = path + (key,)
        if pred is not None:
            flag = pred(p, c) if takes_path else pred(c)
            if flag is True or (
                flag is not False and flag is not None and _check_predicate(flag)
            ):
                append(c)
                append_path(p)
                push(LEAF)
                continue
        if type(c) in _LT:
            append(c)
            append_path(p)
            push(LEAF)
        else:
            push(_path_node(c, p, leaves, paths, pred, takes_path))
    return (tx, data, tuple(specs))


def flatten_general(
    x: Any,
    leaves: list[Any],
    paths: list[tuple[Any, ...]] | None,
    is_leaf: Callable[..., Any] | None,
    is_leaf_takes_path: bool,
) -> Spec:
    """Flatten ``x`` into ``leaves`` and return its spec (the general path).

    Appends each leaf's key path to ``paths`` when it is a list; ``is_leaf`` is called
    on every subtree as ``is_leaf(path, x)`` when ``is_leaf_takes_path`` else
    ``is_leaf(x)``.
    """
    if is_leaf is not None:
        flag = is_leaf((), x) if is_leaf_takes_path else is_leaf(x)
        if flag is not False and _check_predicate(flag):
            leaves.append(x)
            if paths is not None:
                paths.append(())
            return LEAF
    if paths is not None or is_leaf_takes_path:
        return _path_node(x, (), leaves, [] if paths is None else paths, is_leaf,
                          is_leaf_takes_path)
    if is_leaf is None:
        return _flat(x, leaves)
    return _pred_node(x, leaves, is_leaf)


def flatten_with_path(
    tree: Any,
    is_leaf: Callable[..., bool] | None = None,
    is_leaf_takes_path: bool = False,
) -> tuple[list[tuple[tuple[Any, ...], Any]], PyTreeDef]:
    """Flatten a pytree, pairing each leaf with its key path.

    Parameters
    ----------
    tree
        The pytree to flatten.
    is_leaf
        Optional predicate marking subtrees as leaves.
    is_leaf_takes_path
        If true, ``is_leaf`` is called as ``is_leaf(path, x)``.

    Returns
    -------
    tuple[list[tuple[KeyPath, Any]], PyTreeDef]
        ``(key_path, leaf)`` pairs and the treedef.
    """
    leaves: list[Any] = []
    paths: list[tuple[Any, ...]] = []
    spec = flatten_general(tree, leaves, paths, is_leaf, is_leaf_takes_path)
    if spec is LEAF:
        td = _LEAF_TREEDEF
    else:
        td = make_treedef(spec, len(leaves))
    return list(zip(paths, leaves)), td


def _node_entry(tree: Any) -> NodeEntry:
    entry = classify(type(tree))
    if entry is None:
        raise ValueError(f"can't tree-flatten type: {type(tree)}")
    return entry


def flatten_one_level(tree: Any) -> tuple[Any, Any]:
    """Flatten one level of a pytree node.

    Returns
    -------
    tuple
        ``(children, node_data)``: for dicts the values (as a tuple, by sorted key)
        and the sorted key tuple; for namedtuples a list and the class; for custom
        nodes a list of children and the auxiliary data.

    Raises
    ------
    ValueError
        If ``tree`` is a leaf.
    """
    entry = _node_entry(tree)
    kind = entry.kind
    if kind == LIST:
        return list(tree), None
    if kind == TUPLE:
        return tree, None
    if kind == DICT:
        keys = tuple(sorted_keys(tree))
        return tuple(tree[k] for k in keys), keys
    if kind == NONE:
        return (), None
    if kind == NAMEDTUPLE:
        return list(tree), type(tree)
    children, data, _ = _node_children(entry, tree, False)
    return list(children), data


def flatten_one_level_with_keys(tree: Any) -> tuple[Any, Any]:
    """Flatten one level of a pytree node, pairing each child with its key entry.

    Returns ``(((key, child), ...), node_data)``; raises ``ValueError`` for leaves.
    """
    entry = _node_entry(tree)
    kind = entry.kind
    children, data, keys = _node_children(entry, tree, True)
    assert keys is not None
    pairs = list(zip(keys, children))
    if kind in (TUPLE, LIST, DICT, NONE):
        return tuple(pairs), data
    if kind == NAMEDTUPLE:
        return pairs, type(tree)
    return pairs, data
