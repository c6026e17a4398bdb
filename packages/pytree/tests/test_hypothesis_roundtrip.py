"""Property tests over random nested structures, checked against independent references."""

import collections
import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from kiln.tree_util import (
    DictKey,
    FlattenedIndexKey,
    GetAttrKey,
    SequenceKey,
    register_pytree_node,
    tree_flatten,
    tree_flatten_with_path,
    tree_map,
    tree_structure,
    tree_unflatten,
)
from kiln.tree_util.unflattening import compile_plan, interpret
from kiln.tree_util.upto import compile_up_to, flatten_up_to

NT = collections.namedtuple("NT", ["first", "second"])


class Bag:
    """Custom node keeping its children in a list and a string tag as aux data."""

    def __init__(self, items, tag):
        self.items, self.tag = list(items), tag

    def __eq__(self, other):
        return type(other) is Bag and self.items == other.items and self.tag == other.tag

    def __repr__(self):
        return f"Bag({self.items!r}, {self.tag!r})"


register_pytree_node(Bag, lambda b: (b.items, b.tag), lambda tag, items: Bag(items, tag))

leaf = st.one_of(
    st.integers(-1000, 1000),
    st.floats(allow_nan=False),
    st.text(max_size=3),
    st.booleans(),
    st.binary(max_size=2),
    st.builds(complex, st.integers(-5, 5), st.integers(-5, 5)),
)
str_keys = st.text(alphabet="abcdefgh", min_size=1, max_size=3)


def containers(children):
    return st.one_of(
        st.lists(children, max_size=5),
        st.lists(children, max_size=5).map(tuple),
        st.dictionaries(str_keys, children, max_size=5),
        st.dictionaries(st.integers(-20, 20), children, max_size=4),
        st.builds(NT, children, children),
        st.dictionaries(str_keys, children, max_size=4).map(
            lambda d: collections.OrderedDict(reversed(list(d.items())))
        ),
        st.dictionaries(str_keys, children, max_size=4).map(
            lambda d: collections.defaultdict(list, d)
        ),
        st.builds(Bag, st.lists(children, max_size=3), st.sampled_from(["p", "q"])),
        st.just(None),
    )


trees = st.recursive(leaf | st.none(), containers, max_leaves=40)


def ref_children(x):
    """(children, how-to-index) for nodes, or None for leaves -- written independently."""
    t = type(x)
    if t is list or t is tuple:
        return list(x)
    if t is NT:
        return [x.first, x.second]
    if t is dict or t is collections.defaultdict:
        return [x[k] for k in sorted(x)]
    if t is collections.OrderedDict:
        return list(x.values())
    if t is Bag:
        return list(x.items)
    return None


def ref_leaves(x):
    if x is None:
        return []
    kids = ref_children(x)
    if kids is None:
        return [x]
    out = []
    for k in kids:
        out.extend(ref_leaves(k))
    return out


def ref_render(x):
    """JAX's treedef notation, computed directly from the value."""
    if x is None:
        return "None"
    t = type(x)
    if t is list:
        return "[" + ", ".join(map(ref_render, x)) + "]"
    if t is tuple:
        inner = ", ".join(map(ref_render, x))
        return "(" + inner + ("," if len(x) == 1 else "") + ")"
    if t is dict:
        return "{" + ", ".join(f"{k!r}: {ref_render(x[k])}" for k in sorted(x)) + "}"
    if t is NT:
        return f"CustomNode(namedtuple[NT], [{ref_render(x.first)}, {ref_render(x.second)}])"
    if t is collections.OrderedDict:
        kids = ", ".join(ref_render(v) for v in x.values())
        return f"CustomNode(OrderedDict[{tuple(x)}], [{kids}])"
    if t is collections.defaultdict:
        kids = ", ".join(ref_render(x[k]) for k in sorted(x))
        return f"CustomNode(defaultdict[{(x.default_factory, tuple(sorted(x)))}], [{kids}])"
    if t is Bag:
        return f"CustomNode(Bag[{x.tag}], [" + ", ".join(map(ref_render, x.items)) + "])"
    return "*"


def same(a, b):
    """Equal values with identical container types all the way down."""
    if type(a) is not type(b):
        return False
    kids_a, kids_b = ref_children(a), ref_children(b)
    if kids_a is None:
        return a == b
    if type(a) in (dict, collections.defaultdict, collections.OrderedDict):
        if list(a) != list(b) and sorted(a) != sorted(b):
            return False
    if type(a) is Bag and a.tag != b.tag:
        return False
    return len(kids_a) == len(kids_b) and all(map(same, kids_a, kids_b))


def follow(tree, path):
    for key in path:
        if type(key) is SequenceKey:
            tree = tree[key.idx]
        elif type(key) is DictKey:
            tree = tree[key.key]
        elif type(key) is GetAttrKey:
            tree = getattr(tree, key.name)
        else:
            assert type(key) is FlattenedIndexKey
            tree = ref_children(tree)[key.key]
    return tree


@settings(max_examples=300, deadline=None)
@given(trees)
def test_roundtrip_and_leaf_order(tree):
    leaves, td = tree_flatten(tree)
    assert leaves == ref_leaves(tree)
    assert td.num_leaves == len(leaves)
    rebuilt = tree_unflatten(td, leaves)
    assert same(rebuilt, tree)
    assert str(td) == f"PyTreeDef({ref_render(tree)})"


@settings(max_examples=150, deadline=None)
@given(trees)
def test_compiled_plan_matches_interpreter(tree):
    leaves, td = tree_flatten(tree)
    marks = list(range(len(leaves)))
    plan = compile_plan(td._spec)
    assert same(plan(marks, td._spec), interpret(marks, td._spec))
    for _ in range(4):  # exercise the cached-plan path
        assert same(td.unflatten(leaves), tree)


@settings(max_examples=150, deadline=None)
@given(trees)
def test_structure_equality_hash_and_pickle(tree):
    td = tree_structure(tree)
    mapped = tree_map(lambda x: ("wrapped", x), tree)
    td2 = tree_structure(mapped, is_leaf=lambda x: type(x) is tuple and x[:1] == ("wrapped",))
    assert td == td2 and hash(td) == hash(td2)
    restored = pickle.loads(pickle.dumps(td))
    assert restored == td and hash(restored) == hash(td)
    assert td.flatten_up_to(tree) == tree_flatten(tree)[0]
    assert td.num_nodes == 1 + sum(c.num_nodes for c in td.children()) or td.num_nodes == 1


@settings(max_examples=150, deadline=None)
@given(trees)
def test_paths_locate_leaves(tree):
    pairs, td = tree_flatten_with_path(tree)
    assert [x for _, x in pairs] == ref_leaves(tree)
    assert td == tree_structure(tree)
    for path, x in pairs:
        assert follow(tree, path) is x


@settings(max_examples=100, deadline=None)
@given(trees, trees)
def test_equality_agrees_with_reference_rendering(a, b):
    # Two structures are equal iff they render the same (no custom aux data with
    # loose equality is generated here).
    same_render = ref_render(a) == ref_render(b)
    assert (tree_structure(a) == tree_structure(b)) == same_render


@settings(max_examples=150, deadline=None)
@given(trees, st.sampled_from([list, tuple, dict, NT, Bag]))
def test_prefix_flattening_compiled_matches_walk(tree, cut_type):
    # a prefix structure: subtrees of one container type are cut off as leaves
    prefix = tree_structure(tree, is_leaf=lambda x: type(x) is cut_type)
    spec = prefix._spec
    expected = flatten_up_to(spec, tree)
    assert compile_up_to(spec)(tree, spec) == expected
    assert prefix.flatten_up_to(tree) == expected
    assert len(expected) == prefix.num_leaves
    assert same(tree_unflatten(prefix, expected), tree)
