"""Partial: a functools.partial whose bound arguments are pytree children."""

import functools
import operator

from kiln.tree_util import Partial, tree_flatten, tree_map, tree_structure, tree_unflatten


def test_behaves_like_partial():
    add_one = Partial(operator.add, 1)
    assert add_one(2) == 3
    assert isinstance(add_one, functools.partial)
    assert repr(Partial(operator.add, 1, k=2)) == "Partial(<built-in function add>, 1, k=2)"


def test_arguments_are_children():
    leaves, td = tree_flatten(Partial(operator.add, 1))
    assert leaves == [1]
    assert str(td) == "PyTreeDef(CustomNode(Partial[<built-in function add>], [(*,), {}]))"
    assert tree_unflatten(td, [5])(2) == 7
    assert tree_map(lambda x: x * 10, Partial(operator.add, 1))(2) == 12


def test_keywords_are_children():
    def f(a, *, k):
        return a - k

    p = Partial(f, k=3)
    leaves, td = tree_flatten(p)
    assert leaves == [3]
    assert tree_unflatten(td, [1])(10) == 9


def test_function_is_static_node_data():
    assert tree_structure(Partial(operator.add, 1)) == tree_structure(Partial(operator.add, 2))
    assert tree_structure(Partial(operator.add, 1)) != tree_structure(Partial(operator.sub, 1))


def test_wrapping_a_partial_keeps_inner_arguments_static():
    inner = functools.partial(operator.add, 1)
    p = Partial(inner, 2)
    leaves, td = tree_flatten(p)
    assert leaves == [2]
    assert p() == 3
    assert str(td) == (
        "PyTreeDef(CustomNode(Partial[_HashableCallableShim(functools.partial("
        "<built-in function add>, 1))], [(*,), {}]))"
    )
    nested = Partial(Partial(operator.add, 1), 2)
    assert tree_flatten(nested)[0] == [2]
    assert nested() == 3
    assert tree_unflatten(tree_structure(nested), [5])() == 6
    assert tree_structure(Partial(inner, 2)) == tree_structure(Partial(inner, 9))


def test_zero_arguments():
    p = Partial(operator.add)
    leaves, td = tree_flatten(p)
    assert leaves == []
    assert tree_unflatten(td, [])(1, 2) == 3
