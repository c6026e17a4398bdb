"""The node registry: which Python types are pytree nodes, and how to take them apart.

There is one process-wide registry (JAX's "default registry"). It knows:

* the built-in node kinds -- ``None`` (a node with no children), ``tuple``, ``list``,
  ``dict`` and namedtuples (any ``tuple`` subclass with ``_fields``);
* custom nodes added with :func:`register_pytree_node` and its variants, including the
  pre-registered ``collections.OrderedDict`` and ``collections.defaultdict``;
* dataclass nodes added with :func:`register_dataclass`.

Registration is by exact type: subclasses of a registered type are leaves unless they
are registered themselves. Everything that is not a node is a leaf.

For speed, classification results are cached: ``NODES`` maps every known node type to
its :class:`NodeEntry`, and ``LEAF_TYPES`` is a set of types already found to be
leaves, so the flattener can test ``type(x) in LEAF_TYPES`` (or a whole container at C
speed with ``LEAF_TYPES.issuperset(map(type, xs))``).
"""

from __future__ import annotations

import collections
import dataclasses
import operator
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

from kiln.tree_util.keys import DictKey, GetAttrKey

__all__ = [
    "CUSTOM",
    "DATACLASS",
    "DICT",
    "LEAF_TYPES",
    "LIST",
    "NAMEDTUPLE",
    "NODES",
    "NONE",
    "TUPLE",
    "NodeEntry",
    "classify",
    "is_tree_node",
    "on_registry_change",
    "register_dataclass",
    "register_pytree_node",
    "register_pytree_node_class",
    "register_pytree_with_keys",
    "register_pytree_with_keys_class",
    "register_static",
]

T = TypeVar("T")
Typ = TypeVar("Typ", bound=type[Any])
H = TypeVar("H", bound=Hashable)

# Node kinds.
NONE = 0
TUPLE = 1
LIST = 2
DICT = 3
NAMEDTUPLE = 4
CUSTOM = 5
DATACLASS = 6

NoneType = type(None)


class NodeEntry:
    """How one node type is flattened and rebuilt.

    ``flatten(x) -> (children, aux)``, ``unflatten(aux, children) -> x`` and the
    optional ``flatten_with_keys(x) -> (((key, child), ...), aux)`` follow JAX's
    ``register_pytree_node`` conventions. For dataclass nodes ``data_fields`` and
    ``meta_fields`` are set and ``get_data``/``get_meta`` return tuples of attributes.
    """

    __slots__ = (
        "type",
        "kind",
        "flatten",
        "unflatten",
        "flatten_with_keys",
        "data_fields",
        "meta_fields",
        "get_data",
        "get_meta",
    )

    def __init__(
        self,
        typ: type,
        kind: int,
        flatten: Callable[[Any], tuple[Iterable[Any], Any]] | None = None,
        unflatten: Callable[[Any, Iterable[Any]], Any] | None = None,
        flatten_with_keys: Callable[[Any], tuple[Iterable[Any], Any]] | None = None,
    ) -> None:
        self.type = typ
        self.kind = kind
        self.flatten = flatten
        self.unflatten = unflatten
        self.flatten_with_keys = flatten_with_keys
        self.data_fields: tuple[str, ...] = ()
        self.meta_fields: tuple[str, ...] = ()
        self.get_data: Callable[[Any], tuple[Any, ...]] | None = None
        self.get_meta: Callable[[Any], tuple[Any, ...]] | None = None

    def __repr__(self) -> str:
        return f"NodeEntry({self.type.__name__}, kind={self.kind})"


NODES: dict[type, NodeEntry] = {
    NoneType: NodeEntry(NoneType, NONE),
    tuple: NodeEntry(tuple, TUPLE),
    list: NodeEntry(list, LIST),
    dict: NodeEntry(dict, DICT),
}

# Types known to be leaves. Seeded with common scalars; grows as the flattener meets
# new leaf types. It only caches negative answers, so clearing it is always safe.
LEAF_TYPES: set[type] = {int, float, complex, bool, str, bytes}
_LEAF_CACHE_LIMIT = 4096

_change_hooks: list[Callable[[], None]] = []


def on_registry_change(hook: Callable[[], None]) -> None:
    """Call ``hook()`` whenever a type is registered (used to drop stale caches)."""
    _change_hooks.append(hook)


def classify(typ: type) -> NodeEntry | None:
    """Return the node entry for ``typ``, or ``None`` if ``typ`` is a leaf type.

    Looks ``typ`` up in the registry, detects namedtuple classes, and caches the
    answer (in ``NODES`` or ``LEAF_TYPES``).
    """
    entry = NODES.get(typ)
    if entry is not None:
        return entry
    if issubclass(typ, tuple) and hasattr(typ, "_fields"):
        entry = NodeEntry(typ, NAMEDTUPLE)
        NODES[typ] = entry
        return entry
    if len(LEAF_TYPES) > _LEAF_CACHE_LIMIT:
        LEAF_TYPES.clear()
    LEAF_TYPES.add(typ)
    return None


def is_tree_node(typ: type) -> bool:
    """Return True if ``typ`` is a pytree node type.

    Parameters
    ----------
    typ
        The type to check.

    Returns
    -------
    bool
        True for registered types (built-in or custom) and namedtuple classes.
    """
    return classify(typ) is not None


def _is_registered(typ: type) -> bool:
    entry = NODES.get(typ)
    return entry is not None and entry.kind != NAMEDTUPLE


def _install(entry: NodeEntry) -> None:
    NODES[entry.type] = entry
    LEAF_TYPES.discard(entry.type)
    for hook in _change_hooks:
        hook()


def register_pytree_node(
    nodetype: type[T],
    flatten_func: Callable[[T], tuple[Iterable[Any], Any]],
    unflatten_func: Callable[[Any, Iterable[Any]], T],
    flatten_with_keys_func: Callable[[T], tuple[Iterable[tuple[Any, Any]], Any]] | None = None,
) -> None:
    """Register ``nodetype`` as a pytree node.

    Parameters
    ----------
    nodetype
        The exact type to treat as an internal node (subclasses are not included).
    flatten_func
        ``flatten_func(x) -> (children, aux_data)``: an iterable of children to be
        flattened recursively, and hashable auxiliary data kept in the treedef.
    unflatten_func
        ``unflatten_func(aux_data, children) -> x``; ``children`` is a tuple.
    flatten_with_keys_func
        Optional ``f(x) -> (((key, child), ...), aux_data)`` giving a key-path entry
        for each child; without it children are keyed by ``FlattenedIndexKey``.

    Raises
    ------
    ValueError
        If ``nodetype`` is already registered (or is a built-in node type).
    """
    if _is_registered(nodetype):
        raise ValueError(f"Duplicate custom PyTreeDef type registration for {nodetype!r}.")
    _install(NodeEntry(nodetype, CUSTOM, flatten_func, unflatten_func, flatten_with_keys_func))


def register_pytree_with_keys(
    nodetype: type[T],
    flatten_with_keys: Callable[[T], tuple[Iterable[tuple[Any, Any]], Any]],
    unflatten_func: Callable[[Any, Iterable[Any]], T],
    flatten_func: Callable[[T], tuple[Iterable[Any], Any]] | None = None,
) -> None:
    """Register ``nodetype`` as a pytree node whose children carry key-path entries.

    Parameters
    ----------
    nodetype
        The exact type to treat as an internal node.
    flatten_with_keys
        ``f(x) -> (((key, child), ...), aux_data)``.
    unflatten_func
        ``unflatten_func(aux_data, children) -> x``.
    flatten_func
        Optional faster ``f(x) -> (children, aux_data)`` used when keys are not
        needed; it must agree with ``flatten_with_keys``. Derived when omitted.
    """
    if not flatten_func:

        def flatten_func(tree: T) -> tuple[list[Any], Any]:
            key_children, aux = flatten_with_keys(tree)
            return [child for _, child in key_children], aux

    register_pytree_node(nodetype, flatten_func, unflatten_func, flatten_with_keys)


def register_pytree_node_class(cls: Typ) -> Typ:
    """Class decorator registering ``cls`` via its ``tree_flatten``/``tree_unflatten``.

    ``cls.tree_flatten(self) -> (children, aux)`` and the classmethod
    ``cls.tree_unflatten(aux, children)`` are used. Returns ``cls`` unchanged.
    """
    register_pytree_node(cls, operator.methodcaller("tree_flatten"), cls.tree_unflatten)
    return cls


def register_pytree_with_keys_class(cls: Typ) -> Typ:
    """Class decorator registering ``cls`` via ``tree_flatten_with_keys``.

    Uses ``cls.tree_flatten_with_keys(self)``, the classmethod ``cls.tree_unflatten``
    and, if present, ``cls.tree_flatten(self)``. Returns ``cls`` unchanged.
    """
    flatten_func = (
        operator.methodcaller("tree_flatten") if hasattr(cls, "tree_flatten") else None
    )
    register_pytree_with_keys(
        cls,
        operator.methodcaller("tree_flatten_with_keys"),
        cls.tree_unflatten,
        flatten_func,
    )
    return cls


def register_static(cls: type[H]) -> type[H]:
    """Register ``cls`` as a pytree node with no children.

    Instances carry themselves as auxiliary data, so they become part of the
    treedef (static under ``jit``). They must be hashable. Returns ``cls``.
    """

    def flatten(obj: Any) -> tuple[tuple[()], Any]:
        return (), obj

    def unflatten(obj: Any, children: Iterable[Any]) -> Any:
        return obj

    register_pytree_with_keys(cls, flatten, unflatten, flatten)
    return cls


def _tuple_getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    if not names:
        return lambda obj: ()
    if len(names) == 1:
        name = names[0]
        return lambda obj: (getattr(obj, name),)
    return operator.attrgetter(*names)


def register_dataclass(
    nodetype: Typ,
    data_fields: Sequence[str] | None = None,
    meta_fields: Sequence[str] | None = None,
    drop_fields: Sequence[str] = (),
) -> Typ:
    """Register a dataclass-like type as a pytree node.

    Parameters
    ----------
    nodetype
        The class. Instances are rebuilt with ``nodetype(**fields)``.
    data_fields
        Attribute names that are children (leaves or subtrees).
    meta_fields
        Attribute names that are static auxiliary data (must be hashable).
    drop_fields
        Dataclass fields to leave out of the registration.

    If ``data_fields`` and ``meta_fields`` are both omitted, ``nodetype`` must be a
    dataclass: fields whose metadata has ``static=True`` are meta fields, the other
    ``init`` fields are data fields.

    Returns
    -------
    type
        ``nodetype`` unchanged, so this can be used as a decorator.
    """
    if data_fields is None or meta_fields is None:
        if (data_fields is None) != (meta_fields is None):
            raise TypeError(
                "register_dataclass: data_fields and meta_fields must both be specified"
                f" when either is specified. Got {data_fields=} {meta_fields=}."
            )
        if not dataclasses.is_dataclass(nodetype):
            raise TypeError(
                "register_dataclass: data_fields and meta_fields are required when"
                f" nodetype is not a dataclass. Got {nodetype=}."
            )
        fields = dataclasses.fields(nodetype)
        data_fields = [f.name for f in fields if not f.metadata.get("static", False)]
        meta_fields = [f.name for f in fields if f.metadata.get("static", False)]

    meta = tuple(meta_fields)
    data = tuple(data_fields)

    if dataclasses.is_dataclass(nodetype):
        init_fields = {f.name for f in dataclasses.fields(nodetype) if f.init}
        init_fields.difference_update(drop_fields)
        given = {*meta, *data}
        if given != init_fields:
            msg = (
                "data_fields and meta_fields must include all dataclass fields with"
                " ``init=True`` and only them."
            )
            missing = init_fields - given
            if missing:
                msg += (
                    f" Missing fields: {missing}. Add them to drop_fields to suppress"
                    " this error."
                )
            unexpected = given - init_fields
            if unexpected:
                msg += f" Unexpected fields: {unexpected}."
            raise ValueError(msg)

    overlap = set(data) & set(meta)
    if overlap:
        raise ValueError(
            f"data_fields and meta_fields must not overlap. Overlapping fields: {overlap}."
        )
    if _is_registered(nodetype):
        raise ValueError(
            f"Duplicate custom dataclass PyTreeDef type registration for {nodetype!r}."
        )

    get_data = _tuple_getter(data)
    get_meta = _tuple_getter(meta)

    def flatten(obj: Any) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        return get_data(obj), get_meta(obj)

    def unflatten(meta_values: Any, data_values: Iterable[Any]) -> Any:
        kwargs = dict(zip(meta, meta_values))
        kwargs.update(zip(data, data_values))
        return nodetype(**kwargs)

    keys = tuple(GetAttrKey(name) for name in data)

    def flatten_with_keys(obj: Any) -> tuple[list[tuple[Any, Any]], tuple[Any, ...]]:
        return list(zip(keys, get_data(obj))), get_meta(obj)

    entry = NodeEntry(nodetype, DATACLASS, flatten, unflatten, flatten_with_keys)
    entry.data_fields = data
    entry.meta_fields = meta
    entry.get_data = get_data
    entry.get_meta = get_meta
    _install(entry)
    return nodetype


# --- pre-registered standard-library containers ------------------------------------


def _ordered_dict_flatten(x: collections.OrderedDict) -> tuple[list[Any], tuple[Any, ...]]:
    keys = tuple(x)
    return [x[k] for k in keys], keys


def _ordered_dict_flatten_with_keys(
    x: collections.OrderedDict,
) -> tuple[list[tuple[Any, Any]], tuple[Any, ...]]:
    keys = tuple(x)
    return [(DictKey(k), x[k]) for k in keys], keys


def _ordered_dict_unflatten(keys: tuple[Any, ...], values: Iterable[Any]) -> Any:
    return collections.OrderedDict(zip(keys, values))


def _defaultdict_flatten(x: collections.defaultdict) -> tuple[list[Any], tuple[Any, Any]]:
    keys = tuple(sorted(x))
    return [x[k] for k in keys], (x.default_factory, keys)


def _defaultdict_flatten_with_keys(
    x: collections.defaultdict,
) -> tuple[list[tuple[Any, Any]], tuple[Any, Any]]:
    keys = tuple(sorted(x))
    return [(DictKey(k), x[k]) for k in keys], (x.default_factory, keys)


def _defaultdict_unflatten(aux: tuple[Any, Any], values: Iterable[Any]) -> Any:
    factory, keys = aux
    return collections.defaultdict(factory, zip(keys, values))


register_pytree_node(
    collections.OrderedDict,
    _ordered_dict_flatten,
    _ordered_dict_unflatten,
    _ordered_dict_flatten_with_keys,
)
register_pytree_node(
    collections.defaultdict,
    _defaultdict_flatten,
    _defaultdict_unflatten,
    _defaultdict_flatten_with_keys,
)
