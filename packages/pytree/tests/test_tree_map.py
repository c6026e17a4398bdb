"""tree_map / tree_map_with_path: results, prefix semantics and structure errors."""

import collections
import dataclasses
import re

import pytest

from kiln.tree_util import (
    keystr,
    register_dataclass,
    register_pytree_node,
    tree_map,
    tree_map_with_path,
)


class Foo:
    def __init__(self, *children, aux="x"):
        self.children, self.aux = children, aux

    def __eq__(self, other):
        return type(other) is Foo and (self.children, self.aux) == (other.children, other.aux)

    def __repr__(self):
        return f"Foo{self.children}"


register_pytree_node(Foo, lambda f: (f.children, f.aux), lambda aux, ch: Foo(*ch, aux=aux))


@dataclasses.dataclass
class Cfg:
    x: int
    y: int
    op: str = dataclasses.field(default="add", metadata=dict(static=True))


register_dataclass(Cfg)

P = collections.namedtuple("P", ["x", "y"])


def test_single_tree():
    assert tree_map(lambda x: x * 2, (1, {"a": 2, "b": [3]})) == (2, {"a": 4, "b": [6]})
    assert tree_map(lambda x: x, (None, 1)) == (None, 1)
    assert tree_map(lambda x: x, []) == []
    assert tree_map(str, [(1, 2), [3]], is_leaf=lambda x: isinstance(x, tuple)) == [
        "(1, 2)",
        ["3"],
    ]


def test_is_leaf_none():
    assert tree_map(lambda x: x is None, (None, 1), is_leaf=lambda x: x is None) == (True, False)


def test_multiple_trees():
    assert tree_map(lambda x, y: x + y, (1, {"a": 2}), (10, {"a": 20})) == (11, {"a": 22})
    assert tree_map(lambda x, y, z: x + y + z, [1, 2], [10, 20], [100, 200]) == [111, 222]


def test_rest_trees_may_be_deeper():
    assert tree_map(lambda x, y: (x, y), (1, 2), (10, [20, 30])) == ((1, 10), (2, [20, 30]))
    # with is_leaf, the rest trees are cut at the same places
    out = tree_map(
        lambda a, b: (a, b), [(1, 2)], [(1, 2, 3)], is_leaf=lambda x: isinstance(x, tuple)
    )
    assert out == [((1, 2), (1, 2, 3))]


def test_result_structure_from_first_tree():
    out = tree_map(lambda x, y: x, Foo(1, [2]), Foo(3, [4]))
    assert out == Foo(1, [2])


def test_map_with_path():
    tree = {"a": [1, (2,)], "b": Foo(3, 4), "c": P(5, 6), "d": Cfg(7, 8)}
    out = tree_map_with_path(lambda p, x: (keystr(p), x), tree)
    assert out == {
        "a": [("['a'][0]", 1), (("['a'][1][0]", 2),)],
        "b": Foo(("['b'][<flat index 0>]", 3), ("['b'][<flat index 1>]", 4)),
        "c": P(("['c'].x", 5), ("['c'].y", 6)),
        "d": Cfg(("['d'].x", 7), ("['d'].y", 8)),
    }


def test_map_with_path_multiple_trees():
    out = tree_map_with_path(lambda p, x, y: (keystr(p), x + y), [1, 2], [10, 20])
    assert out == [("[0]", 11), ("[1]", 22)]


def test_map_with_path_is_leaf_takes_path():
    out = tree_map_with_path(
        lambda p, x: keystr(p),
        [(1, 2), [3]],
        is_leaf=lambda p, x: len(p) == 1,
        is_leaf_takes_path=True,
    )
    assert out == ["[0]", "[1]"]


def _norm(text):
    return re.sub(r"<class '[\w.]*test_tree_map\.", "<class 'test_tree_map.", text)


# Messages checked against JAX 0.10.2.
ERROR_CASES = [
    (
        (1, {"a": 2}),
        [10, {"a": 20}],
        "pytree structure error: different types at key path\n"
        "    tree_map tree\n"
        "At that key path, the prefix pytree tree_map tree has a subtree of type\n"
        "    <class 'tuple'>\n"
        "but at the same key path the full pytree has a subtree of different type\n"
        "    <class 'list'>.",
    ),
    (
        (1, 2),
        (10, 20, 30),
        "pytree structure error: different lengths of tuple at key path\n"
        "    tree_map tree\n"
        "At that key path, the prefix pytree tree_map tree has a subtree of type tuple of "
        "length 2, but the full pytree has a subtree of the same type but of length 3.",
    ),
    (
        [],
        [1],
        "pytree structure error: different lengths of list at key path\n"
        "    tree_map tree\n"
        "At that key path, the prefix pytree tree_map tree has a subtree of type list of "
        "length 0, but the full pytree has a subtree of the same type but of length 1.",
    ),
    (
        {"a": [1, (2, 3)]},
        {"a": [1, (2, 3, 4)]},
        "pytree structure error: different lengths of tuple at key path\n"
        "    tree_map tree['a'][1]\n"
        "At that key path, the prefix pytree tree_map tree has a subtree of type tuple of "
        "length 2, but the full pytree has a subtree of the same type but of length 3.",
    ),
    (
        {"a": 1, "b": 2},
        {"a": 1, "c": 2},
        "pytree structure error: different pytree metadata at key path\n"
        "    tree_map tree\n"
        "At that key path, the prefix pytree tree_map tree has a subtree of type\n"
        "    <class 'dict'>\n"
        "with metadata\n"
        "    ('a', 'b')\n"
        "but at the same key path the full pytree has a subtree of the same type but with "
        "metadata\n"
        "    ('a', 'c')\n"
        "so the diff in the metadata at these pytree nodes is\n"
        "    - ('a', 'b')\n"
        "    ?        ^\n\n"
        "    + ('a', 'c')\n"
        "    ?        ^\n",
    ),
    (
        {"a": 1, "b": 2},
        {"a": 1, "b": 2, "c": 3},
        "pytree structure error: different numbers of pytree children at key path\n"
        "    tree_map tree\n"
        "At that key path, the prefix pytree tree_map tree has a subtree of type\n"
        "    <class 'dict'>\n"
        "with 2 child keys\n"
        "    a b\n"
        "but at the same key path the full pytree has a subtree of the same type but with "
        "3 child keys\n"
        "    a b c\n"
        "so the symmetric difference on key sets is\n"
        "    c",
    ),
    (
        {"a": 1, "b": 2, "c": 3},
        {"a": 1},
        "pytree structure error: different numbers of pytree children at key path\n"
        "    tree_map tree\n"
        "At that key path, the prefix pytree tree_map tree has a subtree of type\n"
        "    <class 'dict'>\n"
        "with 3 child keys\n"
        "    a b c\n"
        "but at the same key path the full pytree has a subtree of the same type but with "
        "1 child keys\n"
        "    a\n"
        "so the symmetric difference on key sets is\n"
        "    b c",
    ),
    (
        Foo(1, 2, aux="hi"),
        Foo(1, 2, aux="ho"),
        "pytree structure error: different pytree metadata at key path\n"
        "    tree_map tree\n"
        "At that key path, the prefix pytree tree_map tree has a subtree of type\n"
        "    <class 'test_tree_map.Foo'>\n"
        "with metadata\n"
        "    hi\n"
        "but at the same key path the full pytree has a subtree of the same type but with "
        "metadata\n"
        "    ho\n"
        "so the diff in the metadata at these pytree nodes is\n"
        "    - hi\n"
        "    + ho",
    ),
    (
        Foo(1, 2),
        Foo(1, 2, 3),
        "pytree structure error: different numbers of pytree children at key path\n"
        "    tree_map tree\n"
        "At that key path, the prefix pytree tree_map tree has a subtree of type\n"
        "    <class 'test_tree_map.Foo'>\n"
        "with 2 child keys\n"
        "    0 1\n"
        "but at the same key path the full pytree has a subtree of the same type but with "
        "3 child keys\n"
        "    0 1 2\n"
        "so the symmetric difference on key sets is\n"
        "    2",
    ),
    (
        (None, 1),
        (1, 1),
        "pytree structure error: different types at key path\n"
        "    tree_map tree[0]\n"
        "At that key path, the prefix pytree tree_map tree has a subtree of type\n"
        "    <class 'NoneType'>\n"
        "but at the same key path the full pytree has a subtree of different type\n"
        "    <class 'int'>.",
    ),
    (
        [1, 2],
        5,
        "pytree structure error: different types at key path\n"
        "    tree_map tree\n"
        "At that key path, the prefix pytree tree_map tree has a subtree of type\n"
        "    <class 'list'>\n"
        "but at the same key path the full pytree has a subtree of different type\n"
        "    <class 'int'>.",
    ),
    (
        P(1, 2),
        (1, 2),
        "pytree structure error: different types at key path\n"
        "    tree_map tree\n"
        "At that key path, the prefix pytree tree_map tree has a subtree of type\n"
        "    <class 'test_tree_map.P'>\n"
        "but at the same key path the full pytree has a subtree of different type\n"
        "    <class 'tuple'>.",
    ),
    (
        Cfg(1, 2),
        Cfg(1, 2, "mul"),
        "pytree structure error: different pytree metadata at key path\n"
        "    tree_map tree\n"
        "At that key path, the prefix pytree tree_map tree has a subtree of type\n"
        "    <class 'test_tree_map.Cfg'>\n"
        "with metadata\n"
        "    ('add',)\n"
        "but at the same key path the full pytree has a subtree of the same type but with "
        "metadata\n"
        "    ('mul',)\n"
        "so the diff in the metadata at these pytree nodes is\n"
        "    - ('add',)\n"
        "    + ('mul',)",
    ),
    (
        collections.OrderedDict(a=1, b=2),
        collections.OrderedDict(b=1, a=2),
        "pytree structure error: different pytree metadata at key path\n"
        "    tree_map tree\n"
        "At that key path, the prefix pytree tree_map tree has a subtree of type\n"
        "    <class 'collections.OrderedDict'>\n"
        "with metadata\n"
        "    ('a', 'b')\n"
        "but at the same key path the full pytree has a subtree of the same type but with "
        "metadata\n"
        "    ('b', 'a')\n"
        "so the diff in the metadata at these pytree nodes is\n"
        "    - ('a', 'b')\n"
        "    + ('b', 'a')",
    ),
]


@pytest.mark.parametrize("first, second, message", ERROR_CASES)
def test_structure_error_messages(first, second, message):
    with pytest.raises(ValueError) as info:
        tree_map(lambda *xs: xs[0], first, second)
    assert _norm(str(info.value)) == message
    assert info.value.__cause__ is None


def test_error_for_the_failing_tree_among_several():
    with pytest.raises(ValueError, match="different lengths of list") as info:
        tree_map(lambda a, b, c: a, [1, 2], [1, 2], [1, 2, 3])
    assert "length 2" in str(info.value) and "length 3" in str(info.value)


def test_map_with_path_error_names_itself():
    with pytest.raises(ValueError) as info:
        tree_map_with_path(lambda p, x, y: x, (1, 2), (10, 20, 30))
    assert str(info.value).startswith(
        "pytree structure error: different lengths of tuple at key path\n"
        "    tree_map_with_path tree\n"
    )


def test_function_errors_propagate():
    with pytest.raises(ZeroDivisionError):
        tree_map(lambda x: 1 / x, [1, 0])
