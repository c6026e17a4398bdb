"""PyTreeDef.flatten_up_to: prefix flattening and JAX's mismatch messages."""

import collections
import dataclasses
import re

import pytest

from kiln.tree_util import register_dataclass, register_pytree_node, tree_structure
from kiln.tree_util.upto import compile_up_to, flatten_up_to

P = collections.namedtuple("P", ["x", "y"])
P2 = collections.namedtuple("P2", ["x", "y"])
R = collections.namedtuple("R", ["x", "y", "z"])


class Foo:
    def __init__(self, *children, aux="x"):
        self.children, self.aux = children, aux

    def __repr__(self):
        return f"Foo{self.children}"


register_pytree_node(Foo, lambda f: (f.children, f.aux), lambda aux, ch: Foo(*ch, aux=aux))


@dataclasses.dataclass
class DC:
    x: int
    y: int
    op: str = dataclasses.field(default="add", metadata=dict(static=True))


@dataclasses.dataclass
class DC2:
    x: int
    y: int


register_dataclass(DC)
register_dataclass(DC2)

OD = collections.OrderedDict
DD = collections.defaultdict


def test_prefix_flattening():
    td = tree_structure((1, {"a": 2}))
    assert td.flatten_up_to(([1, 2], {"a": (3, 4)})) == [[1, 2], (3, 4)]
    assert tree_structure(P(1, 2)).flatten_up_to(P(3, (4, 5))) == [3, (4, 5)]
    assert tree_structure((1, 1)).flatten_up_to((None, 2)) == [None, 2]
    assert tree_structure((None, 1)).flatten_up_to((None, 2)) == [2]
    assert tree_structure(None).flatten_up_to(None) == []
    assert tree_structure(7).flatten_up_to({"any": [1]}) == [{"any": [1]}]
    assert tree_structure(Foo(1, 2)).flatten_up_to(Foo([1], 2)) == [[1], 2]
    assert tree_structure(DC(1, 2)).flatten_up_to(DC((1,), 2)) == [(1,), 2]


NONE_HINT = (
    "\n\nIn previous releases of JAX, flatten-up-to used to consider None to be a "
    "tree-prefix of non-None values. To obtain the previous behavior, you can usually "
    "write:\n  jax.tree.map(lambda x, y: None if x is None else f(x, y), a, b, "
    "is_leaf=lambda x: x is None)"
)

# (treedef source, value, message) -- messages checked against JAX 0.10.2.
CASES = [
    ((1, {"a": 2}), [1, {"a": 2}], "Expected tuple, got [1, {'a': 2}]."),
    ((1, 2), (1, 2, 3), "Tuple arity mismatch: 3 != 2; tuple: (1, 2, 3)."),
    ([1, 2], [1, 2, 3], "List arity mismatch: 3 != 2; list: [1, 2, 3]."),
    ([1, 2], (1, 2), "Expected list, got (1, 2)."),
    ([1, 2], 5, "Expected list, got 5."),
    ((1, 2), P(1, 2), "Expected tuple, got P(x=1, y=2)."),
    (
        {"a": 1, "b": 2},
        {"a": 1, "c": 2},
        "Dict key mismatch; expected keys: ['a', 'b']; present keys: ['a', 'c'].",
    ),
    (
        {"a": 1, "b": 2},
        {"a": 1, "b": 2, "c": 3},
        "Dict key mismatch; expected keys: ['a', 'b']; present keys: ['a', 'b', 'c'].",
    ),
    ({"a": 1}, OD(a=1), "Expected dict, got OrderedDict([('a', 1)])."),
    ({"a": 1}, DD(int, a=1), "Expected dict, got defaultdict(<class 'int'>, {'a': 1})."),
    (
        {"a": 1},
        {"a": 1, 1: 2},
        "Comparator raised exception while sorting pytree dictionary keys.",
    ),
    ((None, 1), (1, 2), "Expected None, got 1." + NONE_HINT),
    (None, [], "Expected None, got []." + NONE_HINT),
    (
        P(1, 2),
        P2(3, 4),
        "Named tuple type mismatch: expected type: <class 'test_flatten_up_to.P'>, "
        "tuple: P2(x=3, y=4).",
    ),
    (P(1, 2), (3, 4), "Expected named tuple, got (3, 4)."),
    (P(1, 2), R(1, 2, 3), "Named tuple arity mismatch: 3 != 2; tuple: R(x=1, y=2, z=3)."),
    (
        OD([("b", 1), ("a", 2)]),
        OD([("a", 1), ("b", 2)]),
        "Mismatch custom node data: ('b', 'a') != ('a', 'b'); "
        "value: OrderedDict([('a', 1), ('b', 2)]).",
    ),
    (
        OD([("b", 1), ("a", 2)]),
        {"a": 1, "b": 2},
        "Custom node type mismatch: expected type: <class 'collections.OrderedDict'>, "
        "value: {'a': 1, 'b': 2}.",
    ),
    (
        DD(list, {"a": 1}),
        DD(int, {"a": 1}),
        "Mismatch custom node data: (<class 'list'>, ('a',)) != (<class 'int'>, ('a',)); "
        "value: defaultdict(<class 'int'>, {'a': 1}).",
    ),
    (Foo(1, 2), Foo(1, 2, 3), "Custom type arity mismatch: 3 != 2; value: Foo(1, 2, 3)."),
    (
        Foo(1, 2),
        Foo(1, 2, 3, aux="y"),
        "Mismatch custom node data: 'x' != 'y'; value: Foo(1, 2, 3).",
    ),
    (
        Foo(1),
        3,
        "Custom node type mismatch: expected type: <class 'test_flatten_up_to.Foo'>, value: 3.",
    ),
    (
        DC(1, 2),
        DC2(1, 2),
        "Custom dataclass node type mismatch: expected type: <class 'test_flatten_up_to.DC'>,"
        " value: DC2(x=1, y=2).",
    ),
    (
        DC(1, 2),
        DC(1, 2, "mul"),
        "Mismatch custom dataclass node data: ('add',) != ('mul',); "
        "value: DC(x=1, y=2, op='mul').",
    ),
]


@pytest.mark.parametrize("source, value, message", CASES)
def test_mismatch_messages(source, value, message):
    td = tree_structure(source)
    with pytest.raises(ValueError) as info:
        td.flatten_up_to(value)
    # Class reprs name this test module, which pytest may import under a longer name.
    got = re.sub(
        r"<class '[\w.]*test_flatten_up_to\.", "<class 'test_flatten_up_to.", str(info.value)
    )
    assert got == message


@pytest.mark.parametrize("source, value, message", CASES)
def test_mismatch_messages_after_compilation(source, value, message):
    td = tree_structure(source)
    expected = td.flatten_up_to(source)
    for _ in range(70):  # past the hot threshold: a generated function is used
        assert td.flatten_up_to(source) == expected
    assert td._up_to is not None
    with pytest.raises(ValueError) as info:
        td.flatten_up_to(value)
    got = re.sub(
        r"<class '[\w.]*test_flatten_up_to\.", "<class 'test_flatten_up_to.", str(info.value)
    )
    assert got == message


def test_compiled_prefix_flattening_matches_walk():
    cases = [
        ((1, {"a": 2}), ([1, 2], {"a": (3, 4)})),
        (P(1, 2), P(3, (4, 5))),
        ((1, 1), (None, 2)),
        ((None, 1), (None, 2)),
        ([Foo(1, [2]), DC(1, 2)], [Foo([1], [(2, 3)]), DC({"q": 1}, None)]),
        ({"x": OD(b=1, a=2), "y": DD(int, {"k": 1})}, {"x": OD(b=[1], a=2), "y": DD(int, k=3)}),
    ]
    for source, value in cases:
        spec = tree_structure(source)._spec
        assert compile_up_to(spec)(value, spec) == flatten_up_to(spec, value)


def test_compiled_function_reports_mismatch_as_none():
    spec = tree_structure({"a": [1, (2, 3)], "b": P(1, 2)})._spec
    fn = compile_up_to(spec)
    assert fn({"a": [1, (2, 3)], "b": P(1, 2)}, spec) == [1, 2, 3, 1, 2]
    assert fn({"a": [1, (2, 3, 4)], "b": P(1, 2)}, spec) is None
    with pytest.raises(KeyError):  # the caller treats any exception as a mismatch
        fn({"a": [1, (2, 3)], "c": P(1, 2)}, spec)
    assert fn([1], spec) is None


def test_errors_from_custom_flatten_propagate_after_compilation():
    class Flaky:
        fail = False

        def __init__(self, v):
            self.v = v

    def flat(o):
        if Flaky.fail:
            raise RuntimeError("flatten failed")
        return (o.v,), None

    register_pytree_node(Flaky, flat, lambda a, c: Flaky(c[0]))
    td = tree_structure([Flaky(1)])
    for _ in range(10):
        assert td.flatten_up_to([Flaky(2)]) == [2]
    Flaky.fail = True
    with pytest.raises(RuntimeError, match="flatten failed"):
        td.flatten_up_to([Flaky(2)])
