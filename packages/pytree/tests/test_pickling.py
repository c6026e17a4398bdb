"""Pickling treedefs, key entries and Partial."""

import collections
import operator
import pickle

import pytest

from kiln.tree_util import (
    DictKey,
    FlattenedIndexKey,
    GetAttrKey,
    Partial,
    SequenceKey,
    default_registry,
    register_pytree_node,
    tree_flatten,
    tree_structure,
    tree_unflatten,
)

Pair = collections.namedtuple("Pair", ["a", "b"])


class Tagged:
    def __init__(self, value, tag):
        self.value, self.tag = value, tag


register_pytree_node(Tagged, lambda t: ((t.value,), t.tag), lambda tag, c: Tagged(c[0], tag))


@pytest.mark.parametrize(
    "tree",
    [
        1,
        None,
        (1, {"a": 2, "b": (3, 4)}),
        [None, (), {}, []],
        Pair(1, [2, 3]),
        collections.OrderedDict([("z", 1), ("y", 2)]),
        collections.defaultdict(list, {"b": 1, "a": 2}),
        Tagged(5, "label"),
        Partial(operator.add, 1),
    ],
)
def test_treedef_pickle_roundtrip(tree):
    leaves, treedef = tree_flatten(tree)
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        restored = pickle.loads(pickle.dumps(treedef, protocol=protocol))
        assert restored == treedef
        assert hash(restored) == hash(treedef)
        assert str(restored) == str(treedef)
        assert restored.num_leaves == treedef.num_leaves
        assert restored.num_nodes == treedef.num_nodes
        rebuilt = tree_unflatten(restored, leaves)
        assert tree_structure(rebuilt) == treedef


def test_local_custom_type_cannot_be_pickled():
    def make():
        class Local:
            pass

        register_pytree_node(Local, lambda o: ((), None), lambda a, c: Local())
        return Local

    local = make()
    with pytest.raises((AttributeError, pickle.PicklingError)):
        pickle.dumps(tree_structure(local()))


def test_key_entries_pickle():
    keys = (SequenceKey(0), DictKey("a"), GetAttrKey("x"), FlattenedIndexKey(3), DictKey((1, 2)))
    assert pickle.loads(pickle.dumps(keys)) == keys


def test_partial_pickles():
    p = Partial(operator.add, 1)
    q = pickle.loads(pickle.dumps(p))
    assert q(2) == 3
    assert type(q) is Partial


def test_default_registry_pickles_by_reference():
    assert pickle.loads(pickle.dumps(default_registry)) is default_registry
