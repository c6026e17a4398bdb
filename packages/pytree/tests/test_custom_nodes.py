"""Registering custom node types: functions, class decorators, dataclasses, statics."""

import collections
import dataclasses

import pytest

from kiln.tree import static
from kiln.tree_util import (
    GetAttrKey,
    SequenceKey,
    default_registry,
    is_tree_node,
    register_dataclass,
    register_pytree_node,
    register_pytree_node_class,
    register_pytree_with_keys,
    register_pytree_with_keys_class,
    register_static,
    tree_flatten,
    tree_flatten_with_path,
    tree_leaves,
    tree_map,
    tree_structure,
    tree_unflatten,
)


class Pair:
    def __init__(self, a, b, aux="x"):
        self.a, self.b, self.aux = a, b, aux

    def __eq__(self, other):
        return type(other) is Pair and (self.a, self.b, self.aux) == (other.a, other.b, other.aux)

    def __repr__(self):
        return f"Pair({self.a!r}, {self.b!r}, {self.aux!r})"


register_pytree_node(Pair, lambda p: ((p.a, p.b), p.aux), lambda aux, ch: Pair(*ch, aux))


def test_custom_node_roundtrip():
    tree = Pair(1, (2, 3), "tag")
    leaves, td = tree_flatten(tree)
    assert leaves == [1, 2, 3]
    assert str(td) == "PyTreeDef(CustomNode(Pair[tag], [*, (*, *)]))"
    assert td.node_data() == (Pair, "tag")
    assert tree_unflatten(td, leaves) == tree
    assert tree_map(lambda x: x * 10, tree) == Pair(10, (20, 30), "tag")


def test_subclass_of_registered_type_is_a_leaf():
    class SubPair(Pair):
        pass

    x = SubPair(1, 2)
    assert len(tree_leaves(x)) == 1 and tree_leaves(x)[0] is x


@pytest.mark.parametrize("typ", [Pair, tuple, list, dict, type(None), collections.OrderedDict,
                                 collections.defaultdict])
def test_duplicate_registration_raises(typ):
    with pytest.raises(
        ValueError, match=rf"^Duplicate custom PyTreeDef type registration for {typ!r}\.$"
    ):
        register_pytree_node(typ, lambda x: ((), None), lambda a, c: None)


def test_namedtuple_can_be_registered_as_custom():
    NT = collections.namedtuple("NT", ["a", "b"])
    assert is_tree_node(NT)
    register_pytree_node(NT, lambda t: ((t.b,), t.a), lambda a, ch: NT(a, ch[0]))
    leaves, td = tree_flatten(NT(1, 2))
    assert leaves == [2]
    assert str(td) == "PyTreeDef(CustomNode(NT[1], [*]))"


def test_registering_a_previously_seen_leaf_type():
    class Late:
        def __init__(self, v):
            self.v = v

    x = Late(1)
    assert tree_leaves([x]) == [x]  # classified (and cached) as a leaf
    register_pytree_node(Late, lambda o: ((o.v,), None), lambda a, c: Late(c[0]))
    assert tree_leaves([x]) == [1]


def test_flatten_function_result_is_validated():
    class BadResult:
        pass

    class BadLength:
        pass

    class BadChildren:
        pass

    register_pytree_node(BadResult, lambda o: 5, lambda a, c: None)
    register_pytree_node(BadLength, lambda o: ([1],), lambda a, c: None)
    register_pytree_node(BadChildren, lambda o: (5, "q"), lambda a, c: None)
    prefix = "The to_iterable function for a custom PyTree node should return a "
    with pytest.raises(ValueError) as info:
        tree_flatten(BadResult())
    assert str(info.value) == prefix + "(children, aux_data) tuple, got 5"
    with pytest.raises(ValueError) as info:
        tree_flatten(BadLength())
    assert str(info.value) == prefix + "(children, aux_data) tuple, got ([1],)"
    with pytest.raises(ValueError) as info:
        tree_flatten([BadChildren()])
    assert str(info.value) == (
        prefix + "(children, aux_data) tuple where 'children' is iterable, got (5, 'q')"
    )


def test_children_may_be_any_iterable():
    class Gen:
        def __init__(self, items):
            self.items = items

    register_pytree_node(Gen, lambda g: ((x for x in g.items), None), lambda a, c: Gen(list(c)))
    leaves, td = tree_flatten(Gen([1, [2, 3]]))
    assert leaves == [1, 2, 3]
    assert str(td) == "PyTreeDef(CustomNode(Gen[None], [*, [*, *]]))"


@register_pytree_node_class
class Vec:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def tree_flatten(self):
        return (self.x, self.y), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children)


def test_register_pytree_node_class():
    leaves, td = tree_flatten(Vec(1, [2]))
    assert leaves == [1, 2]
    out = tree_unflatten(td, [3, 4])
    assert (type(out), out.x, out.y) == (Vec, 3, [4])
    paths = [p for p, _ in tree_flatten_with_path(Vec(1, 2))[0]]
    assert [str(p[0]) for p in paths] == ["[<flat index 0>]", "[<flat index 1>]"]


def test_register_pytree_node_class_requires_methods():
    class Missing:
        pass

    with pytest.raises(AttributeError):
        register_pytree_node_class(Missing)


@register_pytree_with_keys_class
class Keyed:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def tree_flatten_with_keys(self):
        return ((GetAttrKey("x"), self.x), (GetAttrKey("y"), self.y)), "k"

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children)


def test_register_pytree_with_keys_class():
    pairs, td = tree_flatten_with_path(Keyed(1, {"z": 2}))
    assert [(str(p[0]), x) for p, x in pairs] == [(".x", 1), (".y", 2)]
    assert str(td) == "PyTreeDef(CustomNode(Keyed[k], [*, {'z': *}]))"
    assert tree_leaves(Keyed(1, 2)) == [1, 2]  # derived plain flatten


def test_register_pytree_with_keys_uses_given_flatten():
    calls = []

    class Both:
        def __init__(self, v):
            self.v = v

    def flat(o):
        calls.append("plain")
        return (o.v,), None

    def flat_keys(o):
        calls.append("keys")
        return ((GetAttrKey("v"), o.v),), None

    register_pytree_with_keys(Both, flat_keys, lambda a, c: Both(c[0]), flat)
    tree_leaves(Both(1))
    tree_flatten_with_path(Both(1))
    assert calls == ["plain", "keys"]


@dataclasses.dataclass
class Layer:
    w: object
    b: object
    act: str = dataclasses.field(default="relu", metadata=dict(static=True))
    size: int = static(default=3)


register_dataclass(Layer)


def test_register_dataclass_infers_fields():
    leaves, td = tree_flatten(Layer(1, 2))
    assert leaves == [1, 2]
    assert str(td) == "PyTreeDef(CustomNode(Layer[('relu', 3)], [*, *]))"
    assert td.node_data() == (Layer, ("relu", 3))
    assert tree_unflatten(td, [5, 6]) == Layer(5, 6)
    pairs, _ = tree_flatten_with_path(Layer(1, 2))
    assert [(str(p[0]), x) for p, x in pairs] == [(".w", 1), (".b", 2)]
    assert tree_structure(Layer(1, 2)) != tree_structure(Layer(1, 2, act="gelu"))


def test_register_dataclass_explicit_fields_order():
    @dataclasses.dataclass
    class ABC:
        a: int
        b: int
        c: int

    register_dataclass(ABC, data_fields=["b", "a"], meta_fields=["c"])
    leaves, td = tree_flatten(ABC(1, 2, 3))
    assert leaves == [2, 1]
    assert str(td) == "PyTreeDef(CustomNode(ABC[(3,)], [*, *]))"
    assert tree_unflatten(td, [20, 10]) == ABC(10, 20, 3)


def test_register_dataclass_validation():
    @dataclasses.dataclass
    class AB:
        a: int
        b: int

    with pytest.raises(ValueError) as info:
        register_dataclass(AB, data_fields=["a"], meta_fields=[])
    assert str(info.value) == (
        "data_fields and meta_fields must include all dataclass fields with ``init=True`` "
        "and only them. Missing fields: {'b'}. Add them to drop_fields to suppress this error."
    )
    with pytest.raises(ValueError) as info:
        register_dataclass(AB, data_fields=["a", "b", "z"], meta_fields=[])
    assert str(info.value) == (
        "data_fields and meta_fields must include all dataclass fields with ``init=True`` "
        "and only them. Unexpected fields: {'z'}."
    )
    with pytest.raises(ValueError) as info:
        register_dataclass(AB, data_fields=["a", "b"], meta_fields=["a"])
    assert str(info.value) == (
        "data_fields and meta_fields must not overlap. Overlapping fields: {'a'}."
    )
    with pytest.raises(TypeError) as info:
        register_dataclass(AB, data_fields=["a", "b"])
    assert str(info.value) == (
        "register_dataclass: data_fields and meta_fields must both be specified when either "
        "is specified. Got data_fields=['a', 'b'] meta_fields=None."
    )

    class Plain:
        pass

    with pytest.raises(TypeError, match="data_fields and meta_fields are required when"):
        register_dataclass(Plain)


def test_register_dataclass_init_false_and_drop_fields():
    @dataclasses.dataclass
    class WithDerived:
        a: int
        b: int = dataclasses.field(init=False, default=0)

    with pytest.raises(ValueError, match=r"Unexpected fields: \{'b'\}"):
        register_dataclass(WithDerived)

    @dataclasses.dataclass
    class Droppy:
        a: int
        b: int = 7

    register_dataclass(Droppy, data_fields=["a"], meta_fields=[], drop_fields=["b"])
    leaves, td = tree_flatten(Droppy(1, 2))
    assert leaves == [1]
    assert str(td) == "PyTreeDef(CustomNode(Droppy[()], [*]))"
    assert tree_unflatten(td, [5]) == Droppy(5, 7)


def test_register_dataclass_on_plain_class():
    class Plain:
        def __init__(self, a, b):
            self.a, self.b = a, b

    register_dataclass(Plain, data_fields=["a"], meta_fields=["b"])
    leaves, td = tree_flatten(Plain(1, 2))
    assert leaves == [1]
    assert str(td) == "PyTreeDef(CustomNode(Plain[(2,)], [*]))"
    assert vars(tree_unflatten(td, [9])) == {"a": 9, "b": 2}


def test_register_dataclass_twice():
    with pytest.raises(ValueError) as info:
        register_dataclass(Layer)
    assert str(info.value) == (
        f"Duplicate custom dataclass PyTreeDef type registration for {Layer!r}."
    )


@register_static
class Mode:
    def __init__(self, name):
        self.name = name

    def __eq__(self, other):
        return isinstance(other, Mode) and other.name == self.name

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return f"Mode({self.name})"


def test_register_static():
    m = Mode("train")
    leaves, td = tree_flatten((1, m))
    assert leaves == [1]
    assert str(td) == "PyTreeDef((*, CustomNode(Mode[Mode(train)], [])))"
    assert tree_unflatten(td, [2]) == (2, m)
    assert tree_unflatten(td, [2])[1] is m
    assert tree_flatten_with_path((1, m))[0] == [((SequenceKey(0),), 1)]
    assert tree_structure((1, Mode("a"))) != tree_structure((1, Mode("b")))


def test_register_static_twice_raises():
    with pytest.raises(ValueError, match="Duplicate custom PyTreeDef type registration"):
        register_static(Mode)


def test_is_tree_node():
    NT = collections.namedtuple("NT2", ["a"])
    for typ in (dict, list, tuple, type(None), NT, collections.OrderedDict,
                collections.defaultdict, Pair, Layer, Mode):
        assert is_tree_node(typ), typ
    for typ in (int, str, object, float):
        assert not is_tree_node(typ), typ


def test_default_registry_methods():
    assert default_registry.is_node(Pair)
    assert not default_registry.is_node(int)
    assert default_registry.flatten((1, [2]))[0] == [1, 2]
    assert default_registry.flatten_one_level(3) is None
    assert default_registry.flatten_one_level([1, 2]) == ([1, 2], None)
    assert default_registry.flatten_one_level_with_keys(3) is None
    pairs, _ = default_registry.flatten_with_path([1, (2,)], lambda p, x: isinstance(x, tuple))
    assert [x for _, x in pairs] == [1, (2,)]

    class ViaRegistry:
        def __init__(self, v):
            self.v = v

    default_registry.register_node(ViaRegistry, lambda o: ((o.v,), None), lambda a, c: None)
    assert tree_leaves(ViaRegistry(4)) == [4]

    @dataclasses.dataclass
    class DCViaRegistry:
        a: int
        b: int

    default_registry.register_dataclass_node(DCViaRegistry, ["a"], ["b"])
    assert tree_leaves(DCViaRegistry(1, 2)) == [1]
