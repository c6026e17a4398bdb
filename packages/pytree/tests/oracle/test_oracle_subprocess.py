"""Oracle tests through the project's ``jax_oracle`` fixture: JAX runs in its own process.

Each tree is written as a Python expression evaluated both here (with kiln) and in the
oracle interpreter (with JAX); printed structures, leaves, key paths and error messages
must agree. Skipped unless KILN_ORACLE_PYTHON is set (``nox -s oracle`` sets it).
"""

import collections
import json
import re

import pytest

import kiln.tree_util as ktu

pytestmark = pytest.mark.oracle

PRELUDE = """
import collections
NT = collections.namedtuple("NT", ["a", "b"])
NT2 = collections.namedtuple("NT2", ["a", "b"])

class Foo:
    def __init__(self, children, aux):
        self.children, self.aux = list(children), aux
    def __repr__(self):
        return f"Foo({self.children!r}, {self.aux!r})"

tu.register_pytree_node(Foo, lambda f: (f.children, f.aux), lambda a, ch: Foo(ch, a))
"""

TREES = [
    "1",
    "None",
    "()",
    "(1,)",
    "(1, {'a': 2, 'b': (3, 4)})",
    "[1, [], (), {}, None]",
    "{'b': 1, 'a': 2, 'c': [3, None]}",
    "{3: 1, 1: 2, 2: (3,)}",
    "{1.5: 1, 0: 2, True: 3}",
    "NT(1, (2, 3))",
    "collections.OrderedDict([('b', 1), ('a', [2, 3])])",
    "collections.defaultdict(list, {'b': 1, 'a': 2})",
    "Foo([1, (2, 3)], 'tag')",
    "Foo([Foo([1], ('n', 1)), [Foo([], None)]], 7)",
    "{'params': [{'w': 1.0, 'b': 2.0}, (3.0, 4.0)] * 3, 'step': 5}",
]

MISMATCHES = [
    ("(1, {'a': 2})", "[1, {'a': 2}]"),
    ("(1, 2)", "(1, 2, 3)"),
    ("{'a': 1, 'b': 2}", "{'a': 1, 'c': 2}"),
    ("{'a': 1, 'b': 2}", "{'a': 1, 'b': 2, 'c': 3}"),
    ("{'a': [1, (2, 3)]}", "{'a': [1, (2, 3, 4)]}"),
    ("(None, 1)", "(1, 1)"),
    ("NT(1, 2)", "NT2(1, 2)"),
    ("collections.OrderedDict(a=1, b=2)", "collections.OrderedDict(b=1, a=2)"),
    ("Foo([1, 2], 'hi')", "Foo([1, 2], 'ho')"),
    ("Foo([1, 2], 'x')", "Foo([1, 2, 3], 'x')"),
    ("{'a': 1}", "{'a': 1, 1: 2}"),
]

BODY = """
def describe(tu, tree):
    leaves, td = tu.tree_flatten(tree)
    paths = [tu.keystr(p) for p, _ in tu.tree_leaves_with_path(tree)]
    return [repr(leaves), str(td), td.num_nodes, td.num_leaves, paths,
            repr(td.node_data()), [str(c) for c in td.children()]]

def error(fn):
    try:
        return "ok: " + repr(fn())
    except Exception as e:
        return type(e).__name__ + ": " + str(e)

def mismatch(tu, a, b):
    return [error(lambda: tu.tree_structure(a).flatten_up_to(b)),
            error(lambda: tu.tree_map(lambda *xs: xs, a, b))]
"""


def _normalise(text: str) -> str:
    text = re.sub(r"<class '[\w.]*\.(Foo|NT2?)'>", r"<class 'X.\1'>", text)
    head, sep, tail = text.rpartition("symmetric difference on key sets is\n    ")
    if sep:
        text = head + sep + " ".join(sorted(tail.split(" ")))
    return text


@pytest.fixture(scope="module")
def jax_results(jax_oracle):
    code = (
        "import jax.tree_util as tu\n"
        + PRELUDE
        + BODY
        + f"trees = {json.dumps(TREES)}\nmismatches = {json.dumps(MISMATCHES)}\n"
        + "result = {'trees': [describe(tu, eval(t)) for t in trees],\n"
        + "          'mismatches': [mismatch(tu, eval(a), eval(b)) for a, b in mismatches]}\n"
    )
    return jax_oracle(code)


@pytest.fixture(scope="module")
def kiln_env():
    # "__main__" as module name, so class reprs read as in the oracle's ``python -c``
    env = {"__name__": "__main__", "tu": ktu, "collections": collections}
    exec(PRELUDE, env)
    exec(BODY, env)
    return env


@pytest.mark.parametrize("index", range(len(TREES)), ids=TREES)
def test_tree_matches_jax(index, jax_results, kiln_env):
    tree = eval(TREES[index], kiln_env)
    got = json.loads(json.dumps(kiln_env["describe"](ktu, tree)))
    assert got == jax_results["trees"][index]


@pytest.mark.parametrize(
    "index", range(len(MISMATCHES)), ids=[f"{a} vs {b}" for a, b in MISMATCHES]
)
def test_mismatch_errors_match_jax(index, jax_results, kiln_env):
    a, b = (eval(x, kiln_env) for x in MISMATCHES[index])
    got = [_normalise(m) for m in kiln_env["mismatch"](ktu, a, b)]
    assert got == [_normalise(m) for m in jax_results["mismatches"][index]]
