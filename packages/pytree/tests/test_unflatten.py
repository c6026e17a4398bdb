"""Rebuilding trees: leaf-count errors, iterables, and the compiled rebuild plans."""

import collections
import dataclasses

import pytest

from kiln.tree_util import (
    register_dataclass,
    register_pytree_node,
    tree_flatten,
    tree_structure,
    tree_unflatten,
    unflatten,
)
from kiln.tree_util.spec import LEAF
from kiln.tree_util.unflattening import compile_plan, interpret

Triple = collections.namedtuple("Triple", ["a", "b", "c"])


class Node:
    def __init__(self, children, aux):
        self.children, self.aux = tuple(children), aux

    def __eq__(self, other):
        return type(other) is Node and (self.children, self.aux) == (other.children, other.aux)


register_pytree_node(Node, lambda n: (n.children, n.aux), lambda aux, ch: Node(ch, aux))


@dataclasses.dataclass
class Params:
    w: object
    b: object
    name: str = dataclasses.field(default="p", metadata=dict(static=True))


register_dataclass(Params)


@dataclasses.dataclass
class Odd:
    value: object


# A field name that is not an identifier exercises the generic dataclass path.
register_dataclass(Odd, data_fields=["value"], meta_fields=[])

SAMPLES = [
    (1, {"a": 2, "b": (3, 4)}),
    [None, (), {}, [], (1,), [2]],
    {"x": [Triple(1, 2, (3,)), {"k": None}], "y": collections.OrderedDict(b=1, a=2)},
    collections.defaultdict(int, {"b": [1], "a": 2}),
    Node([1, Node([], "leafless"), (2, 3)], ("aux", 1)),
    Node([5], None),
    Params(w=[1, 2], b={"z": 3}, name="dense"),
    Odd(value=(1, 2)),
    {i: [i, (i, i)] for i in range(20)},
]


def test_too_few_and_too_many_leaves():
    td = tree_structure((1, {"a": 2, "b": (3, 4)}))
    with pytest.raises(ValueError, match=r"^Too few leaves for PyTreeDef; expected 4, got 3$"):
        td.unflatten([10, 20, 30])
    with pytest.raises(ValueError, match=r"^Too many leaves for PyTreeDef; expected 4\.$"):
        td.unflatten([10, 20, 30, 40, 50])
    with pytest.raises(ValueError, match="Too many leaves"):
        tree_unflatten(tree_structure([1, 1]), (i for i in range(5)))


def test_non_iterable_leaves_rejected():
    with pytest.raises(TypeError):
        tree_structure([1]).unflatten(5)


def test_accepts_any_iterable():
    td = tree_structure((1, {"a": 2, "b": (3, 4)}))
    expected = (10, {"a": 20, "b": (30, 40)})
    assert td.unflatten(iter([10, 20, 30, 40])) == expected
    assert td.unflatten((10, 20, 30, 40)) == expected
    assert tree_unflatten(tree_structure([1, 2]), (x for x in "ab")) == ["a", "b"]
    assert unflatten(td, [10, 20, 30, 40]) == expected


def test_leaf_and_none_treedefs():
    assert tree_structure(1).unflatten([5]) == 5
    assert tree_structure(None).unflatten([]) is None
    assert tree_unflatten(tree_structure([None, 1]), [2]) == [None, 2]


@pytest.mark.parametrize("tree", SAMPLES)
def test_interpreter_and_compiled_plan_agree(tree):
    leaves, td = tree_flatten(tree)
    fresh = [f"leaf{i}" for i in range(len(leaves))]
    expected = interpret(fresh, td._spec)
    plan = compile_plan(td._spec)
    assert plan(fresh, td._spec) == expected
    assert interpret(leaves, td._spec) == tree
    assert plan(leaves, td._spec) == tree


@pytest.mark.parametrize("tree", SAMPLES)
def test_repeated_unflatten_uses_a_plan_and_stays_correct(tree):
    leaves, td = tree_flatten(tree)
    for _ in range(6):
        assert td.unflatten(leaves) == tree
        # a structurally equal treedef from a fresh flatten shares the cached plan
        leaves2, td2 = tree_flatten(tree)
        assert td2.unflatten(leaves2) == tree
    assert td._plan is not None


def test_plan_rebuilds_each_treedefs_own_aux_objects():
    a_aux, b_aux = ("x", 1), ("x", 1.0)  # equal but distinguishable
    ta = tree_structure(Node([1], a_aux))
    tb = tree_structure(Node([1], b_aux))
    assert ta == tb
    for _ in range(5):
        assert ta.unflatten([0]).aux is a_aux
        assert tb.unflatten([0]).aux is b_aux


def test_custom_unflatten_receives_tuple_of_children():
    seen = []

    class Probe:
        pass

    def unflat(aux, children):
        seen.append(type(children))
        return Probe()

    register_pytree_node(Probe, lambda p: ([1, 2], None), unflat)
    leaves, td = tree_flatten(Probe())
    for _ in range(5):
        td.unflatten(leaves)
    assert set(seen) == {tuple}


def test_compile_plan_of_leaf_is_interpreter():
    assert compile_plan(LEAF) is interpret


def test_plan_source_is_recorded():
    _, td = tree_flatten({"a": [1, 2], "b": 3})
    plan = compile_plan(td._spec)
    assert "def _plan(L, S)" in plan.__doc__


def test_deep_custom_nesting_compiles():
    tree = 0
    for i in range(55):
        tree = Node([tree, i], i)
    leaves, td = tree_flatten(tree)
    assert compile_plan(td._spec)(leaves, td._spec) == tree


def test_very_deep_structures_fall_back_to_the_interpreter():
    tree = 0
    for _ in range(80):
        tree = [tree]
    leaves, td = tree_flatten(tree)
    for _ in range(5):
        assert td.unflatten(leaves) == tree
    assert td._plan is interpret


def test_hot_cache_compiles_after_threshold_and_clears_on_registration():
    from kiln.tree_util.hotcache import HotCache

    compiled = []

    def fake_compile(spec):
        compiled.append(spec)
        return "compiled"

    cache = HotCache(fake_compile, "fallback")
    td = tree_structure({"a": [1, 2]})
    assert cache.get(td, td._spec, lambda: td.num_nodes) is None  # first use: cold
    assert cache.get(td, td._spec, lambda: td.num_nodes) == "compiled"  # small: 2nd use
    assert cache.get(tree_structure({"a": [3, 4]}), td._spec, lambda: 4) == "compiled"
    assert len(compiled) == 1

    class Registered:
        pass

    register_pytree_node(Registered, lambda o: ((), None), lambda a, c: Registered())
    assert cache.get(td, td._spec, lambda: td.num_nodes) is None  # cleared


def test_large_structures_wait_longer_before_compiling():
    from kiln.tree_util.hotcache import HotCache

    cache = HotCache(lambda spec: "compiled", "fallback")
    big = tree_structure([[i, i] for i in range(2000)])
    results = [cache.get(big, big._spec, lambda: big.num_nodes) for _ in range(30)]
    first = results.index("compiled")
    assert first == 2 + big.num_nodes // 256 - 1
