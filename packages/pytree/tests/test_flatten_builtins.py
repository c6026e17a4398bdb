"""Flattening and rebuilding the built-in node types (None, tuple, list, dict, ...)."""

import collections

import pytest

from kiln.tree_util import tree_flatten, tree_leaves, tree_structure, tree_unflatten

Point = collections.namedtuple("Point", ["x", "y"])


def roundtrip(tree):
    leaves, treedef = tree_flatten(tree)
    return tree_unflatten(treedef, leaves)


@pytest.mark.parametrize(
    "tree, leaves",
    [
        (1, [1]),
        ("s", ["s"]),
        (None, []),
        ((), []),
        ([], []),
        ({}, []),
        ((1, 2), [1, 2]),
        ([1, [2, (3,)]], [1, 2, 3]),
        ({"b": 1, "a": 2, "c": 3}, [2, 1, 3]),
        ({3: "x", 1: "y"}, ["y", "x"]),
        ({(1, "a"): 1, (0, 2): 2}, [2, 1]),
        ([None, 1, (None,), {"a": None}], [1]),
        ((1, {"a": 2, "b": (3, 4)}), [1, 2, 3, 4]),
        (Point(1, (2, 3)), [1, 2, 3]),
        (collections.OrderedDict([("b", 1), ("a", 2)]), [1, 2]),
        (collections.defaultdict(list, {"b": 1, "a": 2}), [2, 1]),
        (["ab", b"cd", 1j, 2.5, True], ["ab", b"cd", 1j, 2.5, True]),
    ],
)
def test_leaves_in_order(tree, leaves):
    assert tree_leaves(tree) == leaves
    assert roundtrip(tree) == tree


def test_roundtrip_preserves_types():
    tree = [
        (1, 2),
        [3],
        {"k": 4},
        Point(5, 6),
        collections.OrderedDict([("z", 7), ("y", 8)]),
        collections.defaultdict(int, {"q": 9}),
        None,
    ]
    out = roundtrip(tree)
    assert [type(x) for x in out] == [type(x) for x in tree]
    assert out == tree
    assert out[6] is None


def test_dict_rebuilt_in_sorted_key_order():
    out = roundtrip({"b": 1, "a": 2})
    assert list(out) == ["a", "b"]


def test_ordered_dict_keeps_insertion_order():
    od = collections.OrderedDict([("b", 1), ("a", 2)])
    leaves, treedef = tree_flatten(od)
    assert leaves == [1, 2]
    out = tree_unflatten(treedef, ["B", "A"])
    assert type(out) is collections.OrderedDict
    assert list(out.items()) == [("b", "B"), ("a", "A")]


def test_defaultdict_keeps_factory_and_sorts_keys():
    dd = collections.defaultdict(list, {"b": 1, "a": 2})
    leaves, treedef = tree_flatten(dd)
    assert leaves == [2, 1]
    out = tree_unflatten(treedef, [10, 20])
    assert type(out) is collections.defaultdict
    assert out.default_factory is list
    assert dict(out) == {"a": 10, "b": 20}
    assert treedef.node_data() == (collections.defaultdict, (list, ("a", "b")))


def test_none_is_a_node_without_children():
    leaves, treedef = tree_flatten(None)
    assert leaves == []
    assert treedef.num_leaves == 0
    assert treedef.num_nodes == 1
    assert tree_unflatten(treedef, []) is None


def test_is_leaf_stops_descent():
    tree = [(1, 2), [3], None]
    leaves, treedef = tree_flatten(tree, is_leaf=lambda x: isinstance(x, tuple))
    assert leaves == [(1, 2), 3]
    assert str(treedef) == "PyTreeDef([*, [*], None])"


def test_is_leaf_none_makes_none_a_leaf():
    leaves, treedef = tree_flatten([1, None], is_leaf=lambda x: x is None)
    assert leaves == [1, None]
    assert str(treedef) == "PyTreeDef([*, *])"


def test_is_leaf_applies_to_root():
    leaves, treedef = tree_flatten([1, 2], is_leaf=lambda x: True)
    assert leaves == [[1, 2]]
    assert str(treedef) == "PyTreeDef(*)"


def test_is_leaf_returning_none_means_false():
    leaves, _ = tree_flatten([1, [2]], is_leaf=lambda x: None)
    assert leaves == [1, 2]


def test_is_leaf_must_return_bool():
    with pytest.raises(ValueError, match="is_leaf predicate returned a non-boolean value 0"):
        tree_flatten([1, [2]], is_leaf=lambda x: 0)


def test_is_leaf_exception_propagates():
    with pytest.raises(ZeroDivisionError):
        tree_flatten([1], is_leaf=lambda x: 1 / 0)


def test_unsortable_dict_keys_raise_like_jax():
    msg = "Comparator raised exception while sorting pytree dictionary keys."
    with pytest.raises(ValueError, match=msg):
        tree_flatten({"b": 1, 1: 2})
    with pytest.raises(ValueError, match=msg):
        tree_flatten({None: 1, "a": 2})
    # also for large dicts (a different code path) and under is_leaf
    big = {i: i for i in range(40)}
    big["x"] = 0
    with pytest.raises(ValueError, match=msg):
        tree_flatten(big)
    with pytest.raises(ValueError, match=msg):
        tree_flatten({"b": 1, 1: 2}, is_leaf=lambda x: False)


def test_mixed_numeric_keys_sort():
    leaves, treedef = tree_flatten({1.5: "a", 0: "b", True: "c"})
    assert leaves == ["b", "c", "a"]
    assert str(treedef) == "PyTreeDef({0: *, True: *, 1.5: *})"


def test_equal_but_distinct_keys_are_preserved():
    # {1: ...} and {True: ...} have equal treedefs, but each rebuilds its own key.
    td_int = tree_structure({1: 0})
    td_bool = tree_structure({True: 0})
    assert td_int == td_bool
    for _ in range(5):  # run past the plan-compilation threshold
        assert list(tree_unflatten(td_bool, [5])) == [True]
        assert type(next(iter(tree_unflatten(td_bool, [5])))) is bool
        assert type(next(iter(tree_unflatten(td_int, [5])))) is int


def test_dict_key_order_cache_uses_each_dicts_own_keys():
    class Key(str):
        pass

    plain = {"a": 1, "b": 2}
    special = {Key("b"): 3, Key("a"): 4}
    tree_flatten({"b": 0, "a": 0})  # warm the order cache with plain str keys
    _, td = tree_flatten(special)
    keys = list(tree_unflatten(td, [0, 0]))
    assert keys == ["a", "b"] and all(type(k) is Key for k in keys)
    assert tree_leaves(plain) == [1, 2]
    assert tree_leaves(special) == [4, 3]


def test_subclasses_of_builtin_containers_are_leaves():
    class D(dict):
        pass

    class L(list):
        pass

    class T(tuple):
        pass

    for x in (D(a=1), L([1, 2]), T((1, 2))):
        leaves, treedef = tree_flatten(x)
        assert leaves == [x]
        assert str(treedef) == "PyTreeDef(*)"


def test_namedtuple_subclass_is_a_namedtuple_node():
    class Sub(Point):
        pass

    leaves, treedef = tree_flatten(Sub(1, 2))
    assert leaves == [1, 2]
    assert str(treedef) == "PyTreeDef(CustomNode(namedtuple[Sub], [*, *]))"
    assert type(tree_unflatten(treedef, [3, 4])) is Sub


def test_large_containers():
    big_list = list(range(1000))
    assert tree_leaves(big_list) == big_list
    big_dict = {f"k{i:04d}": i for i in range(500)}
    assert tree_leaves(big_dict) == list(range(500))
    assert roundtrip(big_dict) == big_dict
    nested = [[i, (i, {"a": i})] for i in range(200)]
    assert roundtrip(nested) == nested


def test_leaves_are_not_copied():
    obj = object()
    arr = [1, 2]
    leaves = tree_leaves({"a": obj, "b": (arr,)}, is_leaf=lambda x: x is arr)
    assert leaves[0] is obj and leaves[1] is arr


def test_new_leaf_types_are_classified():
    class Opaque:
        pass

    a, b = Opaque(), Opaque()
    tree = [a, (b, 1), {"k": Opaque()}]
    leaves, treedef = tree_flatten(tree)
    assert leaves[:3] == [a, b, 1]
    assert len(leaves) == 4
    assert str(treedef) == "PyTreeDef([*, (*, *), {'k': *}])"


def test_deep_nesting_roundtrip():
    tree = 0
    for i in range(200):
        tree = [tree, i] if i % 2 else {"n": tree}
    for _ in range(4):  # past the plan-compilation threshold
        assert roundtrip(tree) == tree
