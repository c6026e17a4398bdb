"""The public names of kiln.tree_util and kiln.tree mirror jax.tree_util / jax.tree."""

import dataclasses
import operator

import kiln.tree as kt
import kiln.tree_util as ktu

# dir(jax.tree_util) and dir(jax.tree) in JAX 0.10.2, public names only.
JAX_TREE_UTIL = [
    "DictKey", "FlattenedIndexKey", "GetAttrKey", "KeyEntry", "KeyPath", "Partial",
    "PyTreeDef", "SequenceKey", "all_leaves", "default_registry", "flatten_one_level",
    "flatten_one_level_with_keys", "is_tree_node", "keystr", "register_dataclass",
    "register_pytree_node", "register_pytree_node_class", "register_pytree_with_keys",
    "register_pytree_with_keys_class", "register_static", "tree_all", "tree_broadcast",
    "tree_flatten", "tree_flatten_with_path", "tree_leaves", "tree_leaves_with_path",
    "tree_map", "tree_map_with_path", "tree_reduce", "tree_reduce_associative",
    "tree_structure", "tree_transpose", "tree_unflatten", "treedef_children",
    "treedef_is_leaf", "treedef_tuple",
]
JAX_TREE = [
    "all", "broadcast", "flatten", "flatten_with_path", "leaves", "leaves_with_path", "map",
    "map_with_path", "reduce", "reduce_associative", "static", "structure", "transpose",
    "unflatten",
]


def test_tree_util_exports_everything_jax_does():
    missing = [n for n in JAX_TREE_UTIL if not hasattr(ktu, n)]
    assert missing == []
    assert set(JAX_TREE_UTIL) <= set(ktu.__all__)


def test_tree_exports_everything_jax_does():
    assert [n for n in JAX_TREE if not hasattr(kt, n)] == []
    assert sorted(kt.__all__) == sorted(JAX_TREE)


def test_fast_entry_points():
    assert ktu.flatten is ktu.tree_flatten
    leaves, td = ktu.flatten({"a": (1, 2)})
    assert ktu.unflatten(td, leaves) == {"a": (1, 2)}


def test_tree_namespace_aliases():
    tree = {"b": [1, 2], "a": (3,)}
    leaves, td = kt.flatten(tree)
    assert leaves == [3, 1, 2]
    assert kt.unflatten(td, leaves) == tree
    assert kt.leaves(tree) == leaves
    assert kt.structure(tree) == td
    assert kt.map(lambda x: x + 1, tree) == {"b": [2, 3], "a": (4,)}
    assert kt.map(operator.add, tree, tree) == {"b": [2, 4], "a": (6,)}
    assert [ktu.keystr(p) for p, _ in kt.leaves_with_path(tree)] == [
        "['a'][0]", "['b'][0]", "['b'][1]",
    ]
    assert kt.flatten_with_path(tree)[1] == td
    assert kt.map_with_path(lambda p, x: len(p), tree) == {"b": [2, 2], "a": (2,)}
    assert kt.reduce(operator.add, tree) == 6
    assert kt.reduce(operator.add, tree, 10) == 16
    assert kt.reduce_associative(operator.add, tree) == 6
    assert kt.reduce_associative(operator.add, [], identity=0) == 0
    assert kt.all(tree) is True
    assert kt.transpose(kt.structure([0, 0]), None, [(1, 2), (3, 4)]) == ([1, 3], [2, 4])
    assert kt.broadcast((1, 2), ([0, 0], 0)) == ([1, 1], 2)


def test_static_field():
    @ktu.register_dataclass
    @dataclasses.dataclass
    class MyOp:
        x: int
        op: str = kt.static(default="add")
        tag: str = kt.static(default="t", metadata={"other": 1})

    f = dataclasses.fields(MyOp)
    assert f[1].metadata["static"] is True
    assert dict(f[2].metadata) == {"static": True, "other": 1}
    leaves, td = kt.flatten(MyOp(1))
    assert leaves == [1]
    assert str(td) == "PyTreeDef(CustomNode(MyOp[('add', 't')], [*]))"


def test_public_functions_have_docstrings():
    for name in ktu.__all__:
        obj = getattr(ktu, name)
        if callable(obj) and not isinstance(obj, type(ktu.KeyEntry)):
            assert obj.__doc__, name
    for name in kt.__all__:
        assert getattr(kt, name).__doc__, name
