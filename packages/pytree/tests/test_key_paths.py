"""Key-path entries, keystr, and flattening with paths."""

import collections
import dataclasses
import operator

import pytest

from kiln.tree_util import (
    DictKey,
    FlattenedIndexKey,
    GetAttrKey,
    Partial,
    SequenceKey,
    keystr,
    register_dataclass,
    register_pytree_node,
    tree_flatten,
    tree_flatten_with_path,
    tree_leaves_with_path,
)

P = collections.namedtuple("P", ["x", "y"])


class Opaque:
    def __init__(self, *children):
        self.children = children


register_pytree_node(Opaque, lambda o: (o.children, None), lambda a, c: Opaque(*c))


@dataclasses.dataclass
class Rec:
    first: object
    second: object


register_dataclass(Rec)


def test_entry_str_and_repr():
    entries = [SequenceKey(0), DictKey("a"), GetAttrKey("x"), FlattenedIndexKey(3),
               DictKey(1), DictKey((1, "a")), DictKey(None)]
    assert [repr(k) for k in entries] == [
        "SequenceKey(idx=0)", "DictKey(key='a')", "GetAttrKey(name='x')",
        "FlattenedIndexKey(key=3)", "DictKey(key=1)", "DictKey(key=(1, 'a'))",
        "DictKey(key=None)",
    ]
    assert [str(k) for k in entries] == [
        "[0]", "['a']", ".x", "[<flat index 3>]", "[1]", "[(1, 'a')]", "[None]",
    ]


def test_entry_attributes_and_match_args():
    assert SequenceKey(2).idx == 2 and SequenceKey.__match_args__ == ("idx",)
    assert DictKey("k").key == "k" and DictKey.__match_args__ == ("key",)
    assert GetAttrKey("n").name == "n" and GetAttrKey.__match_args__ == ("name",)
    assert FlattenedIndexKey(4).key == 4 and FlattenedIndexKey.__match_args__ == ("key",)
    match DictKey("z"):
        case DictKey(key=k):
            assert k == "z"


def test_entry_equality_and_hash():
    assert SequenceKey(0) == SequenceKey(0)
    assert SequenceKey(0) != FlattenedIndexKey(0)
    assert DictKey(0) != SequenceKey(0)
    assert SequenceKey(0) != 0
    assert DictKey("a") != "a"
    assert DictKey(1) == DictKey(True)
    assert hash(DictKey("a")) == hash(DictKey("a"))
    assert len({SequenceKey(1), SequenceKey(1), DictKey(1)}) == 2
    with pytest.raises(TypeError):
        hash(DictKey([1]))
    assert repr(DictKey([1])) == "DictKey(key=[1])"


def test_entries_are_immutable():
    k = SequenceKey(0)
    with pytest.raises(AttributeError):
        k.idx = 3
    with pytest.raises(AttributeError):
        DictKey("a").key = "b"


def test_entry_validation():
    assert SequenceKey(True) == SequenceKey(1)
    with pytest.raises(TypeError):
        SequenceKey("a")
    with pytest.raises(TypeError):
        SequenceKey(1.5)
    with pytest.raises(TypeError):
        GetAttrKey(1)
    with pytest.raises(TypeError):
        FlattenedIndexKey("a")


def test_entries_are_unordered():
    with pytest.raises(TypeError):
        SequenceKey(0) < SequenceKey(1)  # noqa: B015


def test_keystr():
    path = (DictKey("a"), SequenceKey(0), GetAttrKey("x"), FlattenedIndexKey(3))
    assert keystr(path) == "['a'][0].x[<flat index 3>]"
    assert keystr(path, simple=True, separator="/") == "a/0/x/3"
    assert keystr(path, simple=True) == "a0x3"
    assert keystr(path, separator=" ") == "['a'] [0] .x [<flat index 3>]"
    assert keystr(("a", 1, DictKey("b"))) == "a1['b']"
    assert keystr(()) == ""


def test_keystr_docstring_example():
    params = {"foo": {"bar": {"baz": 1, "bat": [2, 3]}}}
    paths = [p for p, _ in tree_leaves_with_path(params)]
    assert [keystr(p) for p in paths] == [
        "['foo']['bar']['bat'][0]",
        "['foo']['bar']['bat'][1]",
        "['foo']['bar']['baz']",
    ]
    assert [keystr(p, simple=True, separator="/") for p in paths] == [
        "foo/bar/bat/0", "foo/bar/bat/1", "foo/bar/baz",
    ]


def test_flatten_with_path_builtins():
    tree = {"a": [1, (2,)], "b": None, "c": collections.OrderedDict(z=1, y=2)}
    pairs, td = tree_flatten_with_path(tree)
    assert pairs == [
        ((DictKey("a"), SequenceKey(0)), 1),
        ((DictKey("a"), SequenceKey(1), SequenceKey(0)), 2),
        ((DictKey("c"), DictKey("z")), 1),
        ((DictKey("c"), DictKey("y")), 2),
    ]
    assert str(td) == (
        "PyTreeDef({'a': [*, (*,)], 'b': None, 'c': CustomNode(OrderedDict[('z', 'y')], "
        "[*, *])})"
    )
    assert td == tree_flatten(tree)[1]


def test_flatten_with_path_other_nodes():
    assert tree_flatten_with_path(P(1, 2))[0] == [((GetAttrKey("x"),), 1), ((GetAttrKey("y"),), 2)]
    dd = collections.defaultdict(list, {"b": 1, "a": 2})
    assert tree_flatten_with_path(dd)[0] == [((DictKey("a"),), 2), ((DictKey("b"),), 1)]
    assert tree_flatten_with_path(5)[0] == [((), 5)]
    assert tree_flatten_with_path(None)[0] == []
    assert tree_flatten_with_path(Opaque(1, [2]))[0] == [
        ((FlattenedIndexKey(0),), 1),
        ((FlattenedIndexKey(1), SequenceKey(0)), 2),
    ]
    assert tree_flatten_with_path(Rec(1, 2))[0] == [
        ((GetAttrKey("first"),), 1),
        ((GetAttrKey("second"),), 2),
    ]
    pairs, td = tree_flatten_with_path(Partial(print, 1, k=2))
    assert pairs == [
        ((FlattenedIndexKey(0), SequenceKey(0)), 1),
        ((FlattenedIndexKey(1), DictKey("k")), 2),
    ]
    assert str(td) == (
        "PyTreeDef(CustomNode(Partial[<built-in function print>], [(*,), {'k': *}]))"
    )


def test_flatten_with_path_is_leaf():
    tree = [(1, 2), [3]]
    assert tree_leaves_with_path(tree, is_leaf=lambda x: isinstance(x, tuple)) == [
        ((SequenceKey(0),), (1, 2)),
        ((SequenceKey(1), SequenceKey(0)), 3),
    ]
    assert tree_leaves_with_path(
        tree, is_leaf=lambda p, x: len(p) == 1, is_leaf_takes_path=True
    ) == [((SequenceKey(0),), (1, 2)), ((SequenceKey(1),), [3])]
    seen = []
    tree_leaves_with_path(
        {"a": [1]}, is_leaf=lambda p, x: seen.append(keystr(p)) or False, is_leaf_takes_path=True
    )
    assert seen == ["", "['a']", "['a'][0]"]


def test_paths_match_leaf_order():
    tree = {"z": [1, {"q": 2, "a": 3}], "a": (4, P(5, 6)), "m": Partial(operator.add, 7)}
    leaves, _ = tree_flatten(tree)
    assert [x for _, x in tree_leaves_with_path(tree)] == leaves
