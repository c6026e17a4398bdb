"""PyTreeDef: printed form, sizes, children, node data, equality, hashing, composition."""

import collections
import copy

import pytest

from kiln.tree_util import (
    PyTreeDef,
    default_registry,
    register_pytree_node,
    tree_flatten,
    tree_structure,
    treedef_children,
    treedef_is_leaf,
    treedef_tuple,
)

Point = collections.namedtuple("Point", ["x", "y"])
Other = collections.namedtuple("Other", ["x", "y"])


class Box:
    """A custom node: children are ``items``, aux data is ``tag``."""

    def __init__(self, items, tag="t"):
        self.items = list(items)
        self.tag = tag

    def __eq__(self, other):
        return type(other) is Box and self.items == other.items and self.tag == other.tag

    def __repr__(self):
        return f"Box({self.items!r}, {self.tag!r})"


register_pytree_node(Box, lambda b: (b.items, b.tag), lambda tag, items: Box(items, tag))


# Printed forms checked against JAX 0.10.2.
@pytest.mark.parametrize(
    "tree, text",
    [
        (1, "PyTreeDef(*)"),
        (None, "PyTreeDef(None)"),
        ((), "PyTreeDef(())"),
        ((1,), "PyTreeDef((*,))"),
        ((1, {"a": 2, "b": (3, 4)}), "PyTreeDef((*, {'a': *, 'b': (*, *)}))"),
        ([1, [], (), {}, None], "PyTreeDef([*, [], (), {}, None])"),
        (((), [()], {}), "PyTreeDef(((), [()], {}))"),
        ({"a": {"c": 1, "b": None}}, "PyTreeDef({'a': {'b': None, 'c': *}})"),
        ({3: 1, 1: 2}, "PyTreeDef({1: *, 3: *})"),
        ({"it's": 1, 'b"': 2}, "PyTreeDef({'b\"': *, \"it's\": *})"),
        (Point(1, (2, 3)), "PyTreeDef(CustomNode(namedtuple[Point], [*, (*, *)]))"),
        (
            collections.OrderedDict([("b", 1), ("a", 2)]),
            "PyTreeDef(CustomNode(OrderedDict[('b', 'a')], [*, *]))",
        ),
        (
            collections.defaultdict(list, {"b": 1, "a": 2}),
            "PyTreeDef(CustomNode(defaultdict[(<class 'list'>, ('a', 'b'))], [*, *]))",
        ),
        (
            collections.defaultdict(None, {"b": 1}),
            "PyTreeDef(CustomNode(defaultdict[(None, ('b',))], [*]))",
        ),
        (Box([1, (2, 3)], "x"), "PyTreeDef(CustomNode(Box[x], [*, (*, *)]))"),
        (Box([1, 2], [1, 2]), "PyTreeDef(CustomNode(Box[[1, 2]], [*, *]))"),
        (Box([1, 2], None), "PyTreeDef(CustomNode(Box[None], [*, *]))"),
        (
            Box([Box([1]), [Box([])]], ("a", 1)),
            "PyTreeDef(CustomNode(Box[('a', 1)], [CustomNode(Box[t], [*]), "
            "[CustomNode(Box[t], [])]]))",
        ),
    ],
)
def test_repr_matches_jax(tree, text):
    treedef = tree_structure(tree)
    assert repr(treedef) == text
    assert str(treedef) == text


def test_sizes():
    td = tree_structure((1, {"a": 2, "b": (3, 4)}))
    assert (td.num_leaves, td.num_nodes) == (4, 7)
    assert (tree_structure(None).num_leaves, tree_structure(None).num_nodes) == (0, 1)
    assert (tree_structure(5).num_leaves, tree_structure(5).num_nodes) == (1, 1)
    td = tree_structure(Box([1, [2]]))
    assert (td.num_leaves, td.num_nodes) == (2, 4)


def test_children():
    td = tree_structure((1, {"a": 2, "b": (3, 4)}, None))
    kids = td.children()
    assert [str(k) for k in kids] == [
        "PyTreeDef(*)",
        "PyTreeDef({'a': *, 'b': (*, *)})",
        "PyTreeDef(None)",
    ]
    assert kids == treedef_children(td)
    assert kids == [tree_structure(x) for x in (1, {"a": 2, "b": (3, 4)}, None)]
    assert tree_structure(1).children() == []
    assert tree_structure(None).children() == []
    assert [str(k) for k in tree_structure(Box([1, [2, 3]], "z")).children()] == [
        "PyTreeDef(*)",
        "PyTreeDef([*, *])",
    ]


def test_node_data():
    assert tree_structure({"b": 1, "a": 2}).node_data() == (dict, ["a", "b"])
    assert tree_structure([1, 2]).node_data() == (list, None)
    assert tree_structure((1, 2)).node_data() == (tuple, None)
    assert tree_structure(None).node_data() == (type(None), None)
    assert tree_structure(1).node_data() is None
    assert tree_structure(Point(1, 2)).node_data() == (Point, None)
    od = collections.OrderedDict([("b", 1), ("a", 2)])
    assert tree_structure(od).node_data() == (collections.OrderedDict, ("b", "a"))
    assert tree_structure(Box([1], "hi")).node_data() == (Box, "hi")


def test_treedef_is_leaf():
    assert treedef_is_leaf(tree_structure(1))
    assert treedef_is_leaf(tree_structure(None))
    assert treedef_is_leaf(tree_structure(()))
    assert not treedef_is_leaf(tree_structure([1, 2]))
    assert not treedef_is_leaf(tree_structure((1,)))


def test_treedef_tuple():
    td = treedef_tuple([tree_structure(1), tree_structure([1, 2])])
    assert str(td) == "PyTreeDef((*, [*, *]))"
    assert td == tree_structure((0, [0, 0]))
    assert td.num_leaves == 3
    assert str(treedef_tuple([])) == "PyTreeDef(())"
    assert treedef_tuple(iter([tree_structure(None)])) == tree_structure((None,))


def test_equality():
    assert tree_structure([1, 2]) == tree_structure([3, 4])
    assert tree_structure([1, 2]) != tree_structure((3, 4))
    assert tree_structure([1, 2]) != tree_structure([1, 2, 3])
    assert tree_structure({"a": 1, "b": 2}) == tree_structure({"b": 1, "a": 2})
    assert tree_structure({"a": 1}) != tree_structure({"b": 1})
    assert tree_structure(Point(1, 2)) != tree_structure(Other(1, 2))
    assert tree_structure(Box([1], "hi")) != tree_structure(Box([1], "ho"))
    assert tree_structure(Box([1], 1)) == tree_structure(Box([1], 1.0))
    assert tree_structure(None) != tree_structure(())
    assert not (tree_structure([1]) == 5)
    assert tree_structure([1]) != "PyTreeDef([*])"


def test_ordering_is_not_supported():
    with pytest.raises(TypeError):
        tree_structure([1]) < tree_structure((1,))  # noqa: B015


def test_hash_consistent_with_equality():
    a = tree_structure({"x": [1, (2, 3)], "y": None})
    b = tree_structure({"y": None, "x": [4, (5, 6)]})
    assert a == b and hash(a) == hash(b)
    assert len({a, b, tree_structure([1])}) == 2
    assert hash(tree_structure({1: 0})) == hash(tree_structure({True: 0}))


def test_unhashable_aux_data_still_hashes():
    a = tree_structure(Box([1, 2], [1, 2]))
    b = tree_structure(Box([3, 4], [1, 2]))
    assert a == b
    assert hash(a) == hash(b)
    assert {a: 1}[b] == 1


def test_compose():
    outer = tree_structure((1, 2))
    inner = tree_structure([1, {"a": 3}])
    composed = outer.compose(inner)
    assert str(composed) == "PyTreeDef(([*, {'a': *}], [*, {'a': *}]))"
    assert composed.num_leaves == 4
    assert str(tree_structure(1).compose(inner)) == "PyTreeDef([*, {'a': *}])"
    assert str(tree_structure((None, 1)).compose(tree_structure([1, 2]))) == (
        "PyTreeDef((None, [*, *]))"
    )
    assert composed.unflatten([1, 2, 3, 4]) == ([1, {"a": 2}], [3, {"a": 4}])


def test_walk():
    td = tree_structure((1, {"a": 2, "b": [3, None]}))
    out = td.walk(lambda kids, data: ("N", kids, data), lambda x: ("L", x), [10, 20, 30])
    assert out == (
        "N",
        (
            ("L", 10),
            ("N", (("L", 20), ("N", (("L", 30), ("N", (), None)), None)), ["a", "b"]),
        ),
        None,
    )
    custom = tree_structure(Box([1, 2], "q"))
    assert custom.walk(lambda k, d: (k, d), lambda x: -x, [1, 2]) == ((-1, -2), "q")


def test_from_iterable_tree():
    td = tree_structure((1, {"a": 2, "b": [3, None]}))
    assert td.from_iterable_tree((10, [20, (30, [])])) == (10, {"a": 20, "b": [30, None]})
    with pytest.raises(TypeError):
        td.from_iterable_tree((10, [20, (30, None)]))


def test_from_node_data_and_children():
    td = tree_structure((1, {"a": 2, "b": [3, None]}))
    rebuilt = PyTreeDef.from_node_data_and_children(
        default_registry, td.node_data(), td.children()
    )
    assert rebuilt == td
    made = td.from_node_data_and_children(
        default_registry, (dict, ["x", "y"]), [tree_structure(1), tree_structure(None)]
    )
    assert str(made) == "PyTreeDef({'x': *, 'y': None})"
    assert made.unflatten([7]) == {"x": 7, "y": None}
    assert str(td.from_node_data_and_children(default_registry, None, [])) == "PyTreeDef(*)"
    made = td.from_node_data_and_children(default_registry, (Box, "z"), [tree_structure(1)])
    assert str(made) == "PyTreeDef(CustomNode(Box[z], [*]))"
    with pytest.raises(RuntimeError, match=r"Could not find type: <class 'int'>\."):
        td.from_node_data_and_children(default_registry, (int, "z"), [tree_structure(1)])


def test_not_directly_constructible():
    with pytest.raises(TypeError):
        PyTreeDef()


def test_copy_returns_same_object():
    td = tree_structure([1, (2,)])
    assert copy.copy(td) is td
    assert copy.deepcopy(td) is td


def test_flatten_returns_pytreedef_instances():
    _, td = tree_flatten({"a": [1]})
    assert isinstance(td, PyTreeDef)
    _, td = tree_flatten(1)
    assert isinstance(td, PyTreeDef)
