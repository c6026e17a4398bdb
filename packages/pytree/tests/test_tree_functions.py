"""reduce, reduce_associative, all, transpose, broadcast, all_leaves, one-level flatten."""

import collections
import dataclasses
import functools
import operator

import pytest

from kiln.tree_util import (
    DictKey,
    GetAttrKey,
    SequenceKey,
    all_leaves,
    flatten_one_level,
    flatten_one_level_with_keys,
    register_dataclass,
    tree_all,
    tree_broadcast,
    tree_leaves,
    tree_reduce,
    tree_reduce_associative,
    tree_structure,
    tree_transpose,
)

P = collections.namedtuple("P", ["x", "y"])


@dataclasses.dataclass
class DC:
    x: int
    y: int
    op: str = dataclasses.field(default="add", metadata=dict(static=True))


register_dataclass(DC)


def test_tree_reduce():
    tree = [1, (2, 3), {"a": 4}]
    assert tree_reduce(operator.add, tree) == 10
    assert tree_reduce(operator.add, tree, 100) == 110
    assert tree_reduce(operator.add, [], 0) == 0
    assert tree_reduce(lambda a, b: (a, b), [1], None) == (None, 1)
    is_tuple = lambda x: isinstance(x, tuple)
    assert tree_reduce(lambda a, b: a + [b], [(1, 2)], [], is_leaf=is_tuple) == [(1, 2)]
    with pytest.raises(TypeError, match="empty"):
        tree_reduce(operator.add, [])
    # left-to-right order, compared with functools.reduce over the leaves
    tree = {"b": [1, 2], "a": (3, [4])}
    assert tree_reduce(lambda a, b: f"({a}{b})", tree) == functools.reduce(
        lambda a, b: f"({a}{b})", tree_leaves(tree)
    )


def test_tree_reduce_associative():
    assert tree_reduce_associative(lambda a, b: (a, b), [1, 2, 3, 4, 5]) == ((1, 2), (3, (4, 5)))
    assert tree_reduce_associative(operator.add, {"a": 1}) == 1
    assert tree_reduce_associative(operator.add, [], identity=0) == 0
    msg = "^Must specify identity for parallel reduction of empty sequence.$"
    with pytest.raises(TypeError, match=msg):
        tree_reduce_associative(operator.add, [])
    assert tree_reduce_associative(operator.add, list(range(100))) == sum(range(100))


def test_tree_all():
    assert tree_all([1, (2, 0)]) is False
    assert tree_all([]) is True
    assert tree_all([True, {"a": True}]) is True
    assert tree_all([None]) is True
    assert tree_all([0], is_leaf=lambda x: isinstance(x, list)) is True


def test_tree_transpose():
    outer = tree_structure([0, 0])
    inner = tree_structure((0, 0))
    assert tree_transpose(outer, inner, [(1, 2), (3, 4)]) == ([1, 3], [2, 4])
    assert tree_transpose(outer, None, [(1, 2), (3, 4)]) == ([1, 3], [2, 4])
    outer = tree_structure({"a": 0, "b": 0})
    assert tree_transpose(outer, None, {"a": [1, 2], "b": [3, 4]}) == [
        {"a": 1, "b": 3},
        {"a": 2, "b": 4},
    ]


def test_tree_transpose_mismatch():
    with pytest.raises(TypeError) as info:
        tree_transpose(tree_structure([0, 0]), tree_structure((0, 0, 0)), [(1, 2), (3, 4)])
    assert str(info.value) == (
        "Mismatch\nPyTreeDef([(*, *), (*, *)])\n != \nPyTreeDef([(*, *, *), (*, *, *)])"
    )


def test_tree_broadcast():
    assert tree_broadcast((1, 2, 3), (0, {"a": 0, "b": 0}, (0, 0))) == (
        1,
        {"a": 2, "b": 2},
        (3, 3),
    )
    assert tree_broadcast((1, None), (0, None)) == (1, None)
    assert tree_broadcast(1, (0, None, [2, 3])) == (1, None, [1, 1])
    assert tree_broadcast([(1, 2)], [[0, 0]], is_leaf=lambda x: isinstance(x, tuple)) == [
        [(1, 2), (1, 2)]
    ]


def test_tree_broadcast_error():
    with pytest.raises(ValueError) as info:
        tree_broadcast((1, 2), (0, {"a": 0, "b": 0}, (0, 0)))
    assert str(info.value) == (
        "pytree structure error: different lengths of tuple at key path\n"
        "    broadcast_prefix prefix_tree\n"
        "At that key path, the prefix pytree broadcast_prefix prefix_tree has a subtree of "
        "type tuple of length 2, but the full pytree has a subtree of the same type but of "
        "length 3."
    )


def test_all_leaves():
    assert all_leaves([1, 2])
    assert not all_leaves([1, (2,)])
    assert not all_leaves([1, None])
    assert all_leaves([])
    assert all_leaves(iter([1, "a", object()]))
    assert all_leaves([(1,)], is_leaf=lambda x: isinstance(x, tuple))
    assert not all_leaves([[1]], is_leaf=lambda x: isinstance(x, tuple))
    assert not all_leaves([P(1, 2)])
    tree = {"a": [1, 2, 3]}
    assert all_leaves(tree_leaves(tree))
    assert not all_leaves([tree])


def test_flatten_one_level():
    assert flatten_one_level({"b": 1, "a": [2]}) == (([2], 1), ("a", "b"))
    assert flatten_one_level([1, 2]) == ([1, 2], None)
    assert flatten_one_level((1, 2)) == ((1, 2), None)
    assert flatten_one_level(None) == ((), None)
    assert flatten_one_level(P(1, 2)) == ([1, 2], P)
    assert flatten_one_level(collections.OrderedDict(b=1, a=2)) == ([1, 2], ("b", "a"))
    assert flatten_one_level(DC(1, 2)) == ([1, 2], ("add",))
    with pytest.raises(ValueError, match=r"^can't tree-flatten type: <class 'int'>$"):
        flatten_one_level(1)


def test_flatten_one_level_with_keys():
    assert flatten_one_level_with_keys({"b": 1, "a": [2]}) == (
        ((DictKey("a"), [2]), (DictKey("b"), 1)),
        ("a", "b"),
    )
    assert flatten_one_level_with_keys([1, 2]) == (
        ((SequenceKey(0), 1), (SequenceKey(1), 2)),
        None,
    )
    assert flatten_one_level_with_keys(None) == ((), None)
    # JAX 0.10.2 labels every namedtuple field with the first field's name; kiln
    # uses each field's own name.
    assert flatten_one_level_with_keys(P(1, 2)) == (
        [(GetAttrKey("x"), 1), (GetAttrKey("y"), 2)],
        P,
    )
    assert flatten_one_level_with_keys(DC(1, 2)) == (
        [(GetAttrKey("x"), 1), (GetAttrKey("y"), 2)],
        ("add",),
    )
    with pytest.raises(ValueError, match="can't tree-flatten type"):
        flatten_one_level_with_keys("leaf")
