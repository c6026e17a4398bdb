"""``jax.lax``'s control flow: ``cond``, ``switch``, ``while_loop``, ``fori_loop``, ``scan``,
``map`` and ``associative_scan``, with JAX's semantics, checks and error messages.

Each traces the user's functions to jaxprs (both branches of a ``cond`` always, as JAX does,
even for a concrete predicate) and binds one primitive of ``kiln.core.primitives.
control_flow``. Values the functions close over (arrays, tracers of enclosing
transformations) become explicit operands of the primitive, so transformations see them.
As in JAX, an output that merely forwards an input is not computed by the primitive: a
``cond`` output that every branch forwards from the same input, a loop carry the body leaves
unchanged (it becomes a const), a ``scan`` output that forwards an ``xs`` input.
``fori_loop`` with concrete bounds is a ``scan`` (so it can be reverse-differentiated),
otherwise a ``while_loop``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kiln.core import dtypes
from kiln.core.abstract import ShapedArray, get_aval
from kiln.core.array import Array
from kiln.core.config import values as _config
from kiln.core.errors import ConcretizationTypeError
from kiln.core.jaxpr import ClosedJaxpr, Jaxpr, Var
from kiln.core.primitives.control_flow import (
    cond_p,
    dce,
    forwarded_inputs,
    scan_p,
    typematch,
    unstacked_aval,
    while_p,
)
from kiln.core.staging import DebugInfo, trace_to_jaxpr
from kiln.core.tracing import Tracer
from kiln.lax import elementwise as _ew
from kiln.lax import structural as _st
from kiln.lax.elementwise import _stage_constant
from kiln.tree_util import (
    flatten_one_level,
    flatten_one_level_with_keys,
    keystr,
    tree_flatten,
    tree_flatten_with_path,
    tree_structure,
    tree_unflatten,
    treedef_children,
    treedef_is_leaf,
)

_no_operand = object()


# -- tracing the user's functions -------------------------------------------------------------


class _Traced:
    """A user function traced on flat avals: a jaxpr whose consts are leading inputs, the
    values of those consts, and the output's pytree structure."""

    __slots__ = ("jaxpr", "consts", "out_tree")

    def __init__(self, jaxpr: Jaxpr, consts: list[Any], out_tree: Any):
        self.jaxpr = jaxpr
        self.consts = consts
        self.out_tree = out_tree

    @property
    def out_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.jaxpr.outvars]


def _trace(fun: Callable, call: Callable[[Callable, list], Any], in_avals: Sequence[ShapedArray],
           traced_for: str) -> _Traced:
    """Trace ``call(fun, flat_args)`` (which returns a pytree) on ``in_avals``."""
    trees: list[Any] = []

    def flat(*args: Any) -> list[Any]:
        leaves, tree = tree_flatten(call(fun, list(args)))
        trees.append(tree)
        return leaves

    jaxpr, consts = trace_to_jaxpr(flat, in_avals, DebugInfo(traced_for, fun, None))
    opened = Jaxpr([], [*jaxpr.constvars, *jaxpr.invars], jaxpr.outvars, jaxpr.eqns,
                   jaxpr.debug_info)
    return _Traced(opened, list(consts), trees[0])


def _avals_of(leaves: Sequence[Any]) -> list[ShapedArray]:
    return [get_aval(x) for x in leaves]


def _as_value(x: Any) -> Any:
    """An operand returned in place of a primitive's output: arrays and tracers as they are,
    Python and NumPy scalars as arrays (weak types kept), like JAX's ``lax.asarray``."""
    if isinstance(x, (Array, Tracer)):
        return x
    return _stage_constant(x, get_aval(x))


def _is_concrete(x: Any) -> bool:
    return not isinstance(x, Tracer) or x.to_concrete_value() is not None


def _concrete_value(x: Any) -> Any:
    return x.to_concrete_value() if isinstance(x, Tracer) else x


# -- JAX's error messages -----------------------------------------------------------------------


def fun_sourceinfo(fun: Callable) -> str:
    """``name at file:line`` of a function, as JAX's messages name it."""
    while hasattr(fun, "func") and not hasattr(fun, "__code__"):  # functools.partial
        fun = fun.func
    fun = inspect.unwrap(fun)
    code = getattr(fun, "__code__", None)
    if code is None:
        return "<unknown>"
    return f"{fun.__name__} at {code.co_filename}:{code.co_firstlineno}"


def _capitalize(s: str) -> str:
    return s[0].upper() + s[1:]


def _mismatch_extra(a: ShapedArray, b: ShapedArray) -> str:
    reasons = []
    if a.dtype != b.dtype:
        reasons.append("the dtypes do not match")
    if tuple(a.shape) != tuple(b.shape):
        reasons.append("the shapes do not match")
    if not reasons:
        return ""
    if len(reasons) == 1:
        return ", so " + reasons[0]
    return ", so " + ", ".join(reasons[:-1]) + ", and " + reasons[-1]


class _Leaf:
    """Stands for a leaf in structure comparisons of tree definitions."""


def _type_text(x: Any) -> str:
    return "pytree leaf" if isinstance(x, _Leaf) else str(type(x))


def _structure_differences(t1: Any, t2: Any, path: tuple = ()) -> list[tuple]:
    """Where two pytrees of different structure differ: ``(path, what t1 is, what t2 is,
    why)`` tuples, as JAX's ``tree_util.equality_errors``."""
    leaf1, leaf2 = treedef_is_leaf(tree_structure(t1)), treedef_is_leaf(tree_structure(t2))
    if leaf1 and leaf2 and (t1 is None) == (t2 is None):
        return []
    if type(t1) is not type(t2):
        return [(path, _type_text(t1), _type_text(t2), "their Python types differ")]
    if isinstance(t1, (list, tuple)) and len(t1) != len(t2):
        return [(path, f"{type(t1).__name__} of length {len(t1)}",
                 f"{type(t2).__name__} of length {len(t2)}", "the lengths do not match")]
    children1, meta1 = flatten_one_level(t1)
    children2, meta2 = flatten_one_level(t2)
    children1, children2 = list(children1), list(children2)
    if len(children1) != len(children2):
        def things(t: Any, n: int) -> str:
            return f"{type(t)} with {n} child{'ren' if n > 1 else ''}"
        return [(path, things(t1, len(children1)), things(t2, len(children2)),
                 "the numbers of children do not match")]
    if meta1 != meta2:
        return [(path, f"{type(t1)} with pytree metadata {meta1}",
                 f"{type(t2)} with pytree metadata {meta2}",
                 "the pytree node metadata does not match")]
    out = []
    for (key, c1), c2 in zip(flatten_one_level_with_keys(t1)[0], children2):
        out.extend(_structure_differences(c1, c2, (*path, key)))
    return out


def _treedef_differences(tree1: Any, tree2: Any) -> list[tuple]:
    return _structure_differences(tree_unflatten(tree1, [_Leaf()] * tree1.num_leaves),
                                  tree_unflatten(tree2, [_Leaf()] * tree2.num_leaves))


def _listing(diffs: list[str], single_end: str = ".\n", last_end: str = ".\n",
             sep: str = ";\n") -> str:
    if len(diffs) == 1:
        return f"{_capitalize(diffs[0])}{single_end}"
    return "\n".join(f"  * {d}{sep}" for d in diffs[:-1]) + f"\n  * {diffs[-1]}{last_end}"


def _leaf_paths(tree: Any) -> list[tuple]:
    return [p for p, _ in tree_flatten_with_path(tree_unflatten(tree, [0] * tree.num_leaves))[0]]


def _check_branch_outputs(api_name: str, name1: str, name2: str, f1: Callable, f2: Callable,
                          out1: _Traced, out2: _Traced) -> None:
    """JAX's TypeErrors for branches whose outputs differ in structure or type."""
    info1, info2 = fun_sourceinfo(f1), fun_sourceinfo(f2)
    paths = _leaf_paths(out1.out_tree)

    def component(p: tuple) -> str:
        return f" at path {keystr(p)}" if p else ""

    if out1.out_tree != out2.out_tree:
        diffs = [f"{name1} output{component(p)} is a {thing1} but {name2} output"
                 f"{component(p)} is a {thing2}, so {why}"
                 for p, thing1, thing2, why in _treedef_differences(out1.out_tree,
                                                                    out2.out_tree)]
        if not diffs:
            return
        differences = f"{diffs[0]}.\n" if len(diffs) == 1 else (
            "\n".join(f"  * {d};\n" for d in diffs[:-1]) + f"  * {diffs[-1]}.\n")
        raise TypeError(
            f"{api_name} branch outputs must have the same pytree structure, but they "
            f"differ:\n\n{name1} is {info1}\n{name2} is {info2}\n\n{differences}\n"
            f"Revise {name1} and/or {name2} so that they have the same pytree structure.")
    avals1, avals2 = out1.out_avals, out2.out_avals
    if all(typematch(a, b) for a, b in zip(avals1, avals2)):
        return
    diffs = [f"the output of {name1}{component(p)} has type {a.str_short(False)} but the "
             f"corresponding output of {name2} has type {b.str_short(False)}"
             f"{_mismatch_extra(a, b)}"
             for p, a, b in zip(paths, avals1, avals2) if not typematch(a, b)]
    differences = _listing(diffs, ".\n", ".\n", ";")
    raise TypeError(
        f"{api_name} branches must have equal output types but they differ.\n\n"
        f"{name1} is {info1}\n{name2} is {info2}\n\n{differences}\n"
        f"Revise {name1} and/or {name2} so that all output types match.")


def _check_carry_type(name: str, body_fun: Callable, in_tree: Any,
                      in_avals: Sequence[ShapedArray], out_tree: Any,
                      out_avals: Sequence[ShapedArray]) -> None:
    """JAX's TypeErrors for a loop body whose carry output differs from its carry input."""
    try:
        carry_name = next(iter(inspect.signature(body_fun).parameters), None)
    except (TypeError, ValueError):
        carry_name = None

    def component(p: tuple) -> str:
        if carry_name:
            return (f"the input carry component {carry_name}{keystr(p)}" if p
                    else f"the input carry {carry_name}")
        return f"the input carry at path {keystr(p)}" if p else "the input carry"

    if in_tree != out_tree:
        diffs = [f"{component(p)} is a {thing1} but the corresponding component of the carry "
                 f"output is a {thing2}, so {why}"
                 for p, thing1, thing2, why in _structure_differences(
                     tree_unflatten(in_tree, list(in_avals)),
                     tree_unflatten(out_tree, list(out_avals)))]
        if not diffs:
            return
        differences = _listing(diffs, ".\n", ".\n", ";\n")
        raise TypeError(
            f"{name} function carry input and carry output must have the same pytree "
            f"structure, but they differ:\n\n{differences}\n"
            "Revise the function so that the carry output has the same pytree structure as "
            "the carry input.")
    if all(typematch(a, b) for a, b in zip(in_avals, out_avals)):
        return
    diffs = [f"{component(p)} has type {a.str_short(False)} but the corresponding output "
             f"carry component has type {b.str_short(False)}{_mismatch_extra(a, b)}"
             for p, a, b in zip(_leaf_paths(in_tree), in_avals, out_avals)
             if not typematch(a, b)]
    differences = _listing(diffs, ".\n", ".\n", ";\n")
    raise TypeError(
        f"{name} function carry input and carry output must have equal types, but they "
        f"differ:\n\n{differences}\n"
        "Revise the function so that all output types match the corresponding input types.")


def _promote_weak_inputs(values: list[Any], in_avals: Sequence[ShapedArray],
                         out_avals: Sequence[ShapedArray]) -> tuple[list[Any], bool]:
    """Initial carries of weak type converted to the type the body returns (a Python scalar
    ``0`` carried as a float...); whether any changed."""
    changed = False
    out = []
    for x, a, b in zip(values, in_avals, out_avals):
        if a.weak_type and not typematch(a, b):
            x = _ew.convert_element_type(x, dtypes.result_type(x, b.dtype))
            changed = True
        out.append(x)
    return out, changed


# -- cond and switch ----------------------------------------------------------------------------


def _operands(operands: tuple, operand: Any) -> tuple:
    if operand is _no_operand:
        return operands
    if operands:
        raise TypeError("if 'operand' keyword is passed then no positional operands can be "
                        f"passed, got operand={operand!r} and positional operands {operands}")
    return (operand,)


def cond(pred: Any, true_fun: Callable, false_fun: Callable, *operands: Any,
         operand: Any = _no_operand) -> Any:
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)``, as one ``cond``
    primitive: both functions are traced (even for a concrete ``pred``), their outputs must
    agree in structure, shapes and dtypes. ``pred`` is a boolean or numeric scalar (a number
    means ``pred != 0``). Under ``vmap`` with a batched ``pred`` both branches run and the
    results are selected."""
    if not (callable(true_fun) and callable(false_fun)):
        # the old signature: cond(pred, true_operand, true_fun, false_operand, false_fun)
        if callable(false_fun) and len(operands) == 2 and callable(operands[1]):
            x_true, f_true, x_false, f_false = true_fun, false_fun, *operands
            return cond(pred, lambda x, _: f_true(x), lambda _, x: f_false(x), x_true, x_false)
        raise TypeError("lax.cond: true_fun and false_fun arguments should be callable.")
    operands = _operands(operands, operand)
    if pred is None:
        raise TypeError("cond predicate is None")
    if isinstance(pred, Sequence) or np.ndim(pred) != 0:
        raise TypeError(f"Pred must be a scalar, got {pred} of " + (
            f"type {type(pred)}" if isinstance(pred, Sequence) else f"shape {np.shape(pred)}."))
    try:
        pred_dtype = dtypes.result_type(pred)
    except TypeError as err:
        raise TypeError(f"Pred type must be either boolean or number, got {pred}.") from err
    if pred_dtype.kind != "b":
        if pred_dtype.kind not in "iuf":
            raise TypeError(f"Pred type must be either boolean or number, got {pred_dtype}.")
        if isinstance(pred, (Array, Tracer)):
            pred = _ew.ne(pred, np.zeros((), pred.dtype)[()])
        else:
            pred = np.asarray(pred) != 0
    if _config.disable_jit and _is_concrete(pred):
        return true_fun(*operands) if _concrete_value(pred) else false_fun(*operands)
    index = _ew.convert_element_type(pred, np.int32)
    return _bind_cond(index, [false_fun, true_fun], operands, "cond",
                      ["false_fun", "true_fun"], order=[1, 0])


def switch(index: Any, branches: Sequence[Callable], *operands: Any,
           operand: Any = _no_operand) -> Any:
    """``branches[index](*operands)`` as one ``cond`` primitive, ``index`` clamped into
    ``[0, len(branches) - 1]``. Every branch is traced; their outputs must agree."""
    if not all(callable(b) for b in branches):
        raise TypeError("lax.switch: branches argument should be a sequence of callables.")
    operands = _operands(operands, operand)
    if len(np.shape(index)) != 0:
        raise TypeError(f"Branch index must be scalar, got {index} of shape "
                        f"{np.shape(index)}.")
    try:
        index_dtype = dtypes.result_type(index)
    except TypeError as err:
        raise TypeError(f"Index type must be an integer, got {index}.") from err
    if index_dtype.kind not in "iu":
        raise TypeError(f"Index type must be an integer, got {index} as {index_dtype}")
    branches = tuple(branches)
    if not branches:
        raise ValueError("Empty branch sequence")
    if len(branches) == 1:
        return branches[0](*operands)
    index = _ew.convert_element_type(index, np.int32)
    index = _ew.clamp(np.int32(0), index, np.int32(len(branches) - 1))
    if _config.disable_jit and _is_concrete(index):
        return branches[int(_concrete_value(index))](*operands)
    names = ["branch 0", *(f"branch{i}" for i in range(1, len(branches)))]
    return _bind_cond(index, list(branches), operands, "switch", names)


def _bind_cond(index: Any, funs: list[Callable], operands: tuple, api_name: str,
               names: list[str], order: Sequence[int] | None = None) -> Any:
    """Bind ``cond`` of ``funs`` (branch i is ``funs[i]``) on ``operands``. The functions
    are traced in ``order`` (JAX's: ``true_fun`` first for ``cond``), whose first is the
    one every other's outputs are checked against; their consts are merged in that order."""
    order = list(range(len(funs))) if order is None else list(order)
    leaves, in_tree = tree_flatten(operands)
    avals = _avals_of(leaves)
    traced: list[Any] = [None] * len(funs)
    for i in order:
        traced[i] = _trace(funs[i], lambda f, xs: f(*tree_unflatten(in_tree, xs)), avals,
                           api_name)
    first = order[0]
    for i in order[1:]:
        _check_branch_outputs(api_name, names[first], names[i], funs[first], funs[i],
                              traced[first], traced[i])
    jaxprs, consts = _merge_consts(traced, order)
    args = [*consts, *leaves]
    # Outputs every branch forwards from the same input are that input, not cond outputs.
    forwards = [forwarded_inputs(j) for j in jaxprs]
    forward = [f[0] if len(set(f)) == 1 else None for f in zip(*forwards)]
    keep = [f is None for f in forward]
    branches = tuple(ClosedJaxpr(Jaxpr([], j.invars, [v for v, k in zip(j.outvars, keep) if k],
                                       j.eqns, j.debug_info), [])
                     for j in jaxprs)
    outs = iter(cond_p.bind(index, *args, branches=branches))
    flat = [next(outs) if f is None else _as_value(args[f]) for f in forward]
    return tree_unflatten(traced[first].out_tree, flat)


def _merge_consts(traced: list[_Traced], order: Sequence[int]) -> tuple[list[Jaxpr], list[Any]]:
    """The branches' consts (taken in ``order``, deduplicated by identity), as leading
    inputs of every branch."""
    consts: list[Any] = []
    position: dict[int, int] = {}
    for i in order:
        for c in traced[i].consts:
            if id(c) not in position:
                position[id(c)] = len(consts)
                consts.append(c)
    jaxprs = []
    for t in traced:
        n = len(t.consts)
        own = {position[id(c)]: v for c, v in zip(t.consts, t.jaxpr.invars[:n])}
        const_vars = [own.get(i) or Var(get_aval(c)) for i, c in enumerate(consts)]
        jaxprs.append(Jaxpr([], [*const_vars, *t.jaxpr.invars[n:]], t.jaxpr.outvars,
                            t.jaxpr.eqns, t.jaxpr.debug_info))
    return jaxprs, consts


# -- while_loop and fori_loop -------------------------------------------------------------------


def while_loop(cond_fun: Callable, body_fun: Callable, init_val: Any) -> Any:
    """Repeat ``val = body_fun(val)`` while ``cond_fun(val)``, starting from ``init_val``,
    as one ``while`` primitive. The carry must keep its structure, shapes and dtypes;
    ``cond_fun`` returns a boolean scalar. Not reverse-mode differentiable (XLA cannot bound
    the memory it would need): use ``scan``, or ``fori_loop`` with static bounds."""
    if not (callable(body_fun) and callable(cond_fun)):
        raise TypeError("lax.while_loop: body_fun and cond_fun arguments should be callable.")
    if _config.disable_jit:
        try:
            val = init_val
            while _concrete_bool(cond_fun(val)):
                val = body_fun(val)
            return val
        except ConcretizationTypeError:
            pass  # a transformation's values: run the primitive
    init, in_tree = tree_flatten(init_val)
    init_avals = _avals_of(init)

    def create(avals: list[ShapedArray]) -> tuple[_Traced, _Traced]:
        cond_t = _trace(cond_fun, lambda f, xs: f(tree_unflatten(in_tree, xs)), avals,
                        "while_cond")
        body_t = _trace(body_fun, lambda f, xs: f(tree_unflatten(in_tree, xs)), avals,
                        "while_body")
        if not treedef_is_leaf(cond_t.out_tree) or len(cond_t.out_avals) != 1:
            raise TypeError(f"cond_fun must return a boolean scalar, but got pytree "
                            f"{cond_t.out_tree}.")
        pred = cond_t.out_avals[0]
        if pred.shape != () or pred.dtype != np.bool_:
            raise TypeError("cond_fun must return a boolean scalar, but got output type(s) "
                            f"{cond_t.out_avals}.")
        return cond_t, body_t

    cond_t, body_t = create(init_avals)
    if len(body_t.out_avals) != len(init_avals):
        _check_carry_type("while_loop body", body_fun, in_tree, init_avals, body_t.out_tree,
                          body_t.out_avals)
    init, changed = _promote_weak_inputs(init, init_avals, body_t.out_avals)
    if changed:
        init_avals = _avals_of(init)
        cond_t, body_t = create(init_avals)
    _check_carry_type("while_loop body", body_fun, in_tree, init_avals, body_t.out_tree,
                      body_t.out_avals)
    n_cond, n_body = len(cond_t.consts), len(body_t.consts)
    # A carry the body returns unchanged and the condition does not read is a body const.
    body_forward = forwarded_inputs(body_t.jaxpr)
    not_forwarded = [f != n_body + i for i, f in enumerate(body_forward)]
    cond_jaxpr, kept = dce(cond_t.jaxpr, [True], [True] * n_cond + not_forwarded)
    to_const = [not k for k in kept[n_cond:]]
    body_jaxpr = body_t.jaxpr
    moved: list[Any] = []
    if any(to_const):
        carry_vars = body_jaxpr.invars[n_body:]
        body_jaxpr = Jaxpr(
            [], [*(v for v, m in zip(carry_vars, to_const) if m), *body_jaxpr.invars[:n_body],
                 *(v for v, m in zip(carry_vars, to_const) if not m)],
            [v for v, m in zip(body_jaxpr.outvars, to_const) if not m], body_jaxpr.eqns,
            body_jaxpr.debug_info)
        moved = [x for x, m in zip(init, to_const) if m]
        init = [x for x, m in zip(init, to_const) if not m]
    else:
        cond_jaxpr = cond_t.jaxpr
    outs = iter(while_p.bind(*cond_t.consts, *moved, *body_t.consts, *init,
                             cond_nconsts=n_cond, cond_jaxpr=ClosedJaxpr(cond_jaxpr, []),
                             body_nconsts=len(moved) + n_body,
                             body_jaxpr=ClosedJaxpr(body_jaxpr, [])))
    moved_it = iter(moved)
    flat = [next(moved_it) if m else next(outs) for m in to_const]
    return tree_unflatten(body_t.out_tree, flat)


def _concrete_bool(pred: Any) -> bool:
    if isinstance(pred, Tracer):
        value = pred.to_concrete_value()
        if value is None:
            raise ConcretizationTypeError(pred, "")
        return bool(value)
    return bool(pred)


def fori_loop(lower: Any, upper: Any, body_fun: Callable, init_val: Any, *,
              unroll: int | bool | None = None) -> Any:
    """``for i in range(lower, upper): val = body_fun(i, val)``. With concrete bounds this
    is a ``scan`` (reverse-mode differentiable, ``unroll`` allowed), otherwise a
    ``while_loop``. ``lower`` and ``upper`` must have equal integer types (a weakly typed
    Python int adapts to the other)."""
    if not callable(body_fun):
        raise TypeError("lax.fori_loop: body_fun argument should be callable.")
    lower_aval, upper_aval = get_aval(lower), get_aval(upper)
    lower_dtype, upper_dtype = lower_aval.dtype, upper_aval.dtype
    if lower_dtype == upper_dtype:
        dtype = lower_dtype
    else:
        dtype = None
        if dtypes.issubdtype(lower_dtype, np.signedinteger) and \
                dtypes.issubdtype(upper_dtype, np.signedinteger):
            if lower_aval.weak_type and not upper_aval.weak_type:
                dtype = upper_dtype
            elif upper_aval.weak_type and not lower_aval.weak_type:
                dtype = lower_dtype
        if dtype is None:
            raise TypeError("lower and upper arguments to fori_loop must have equal types, "
                            f"got {lower_dtype.name} and {upper_dtype.name}")
    use_scan = _is_concrete(lower) and _is_concrete(upper)
    if use_scan:
        try:
            lower_, upper_ = int(_concrete_value(lower)), int(_concrete_value(upper))
        except TypeError:
            use_scan = False
    if use_scan:
        length = max(upper_ - lower_, 0)
        if _config.disable_jit and length == 0:
            return init_val

        def scanned(carry: tuple, _: Any) -> tuple:
            i, x = carry
            return (_ew.add(i, _one_like(i)), body_fun(i, x)), None

        (_, result), _ = scan(scanned, (lower_, init_val), None, length=length,
                              unroll=False if unroll is None else unroll)
        return result
    if unroll is not None and unroll is not False and unroll != 1:
        raise ValueError("Can only use `unroll` in `fori_loop` if the loop bounds are "
                         "statically known.")
    if lower_dtype != dtype:
        lower = _ew.convert_element_type(lower, dtype)
    if upper_dtype != dtype:
        upper = _ew.convert_element_type(upper, dtype)

    def while_cond(carry: tuple) -> Any:
        i, stop, _ = carry
        return _ew.lt(i, stop)

    def while_body(carry: tuple) -> tuple:
        i, stop, x = carry
        return _ew.add(i, _one_like(i)), stop, body_fun(i, x)

    _, _, result = while_loop(while_cond, while_body, (lower, upper, init_val))
    return result


def _one_like(x: Any) -> Any:
    aval = get_aval(x)
    return 1 if aval.weak_type else np.ones((), aval.dtype)[()]


# -- scan and map -------------------------------------------------------------------------------


def _scan_length(xs: list[Any], length: Any) -> int:
    try:
        lengths = [x.shape[0] for x in xs]
    except (AttributeError, IndexError) as err:
        bad = ", ".join(str(x) for x in xs if not getattr(x, "shape", ()))
        raise ValueError(f"scan got value with no leading axis to scan over: {bad}.") from err
    if length is not None:
        try:
            length = int(length)
        except ConcretizationTypeError:
            raise ConcretizationTypeError(
                length, "The `length` argument to `scan` expects a concrete `int` value. For "
                "scan-like iteration with a dynamic length, use `while_loop` or "
                "`fori_loop`.") from None
        if not all(length == n for n in lengths):
            raise ValueError(f"scan got `length` argument of {length} which disagrees with "
                             f"leading axis sizes {lengths}.")
        return length
    unique = set(lengths)
    if len(unique) > 1:
        raise ValueError("scan got values with different leading axis sizes: "
                         f"{', '.join(str(n) for n in lengths)}.")
    if not unique:
        raise ValueError("scan got no values to scan over and `length` not provided.")
    return lengths[0]


def scan(f: Callable, init: Any, xs: Any = None, length: int | None = None,
         reverse: bool = False, unroll: int | bool = 1, _split_transpose: bool = False) -> Any:
    """Scan ``f: (carry, x) -> (carry, y)`` over the leading axis of ``xs`` (pytrees),
    returning the final carry and the ``y``s stacked, as one ``scan`` primitive.

    ``length`` gives the number of iterations when there are no ``xs``; ``reverse`` scans
    from the end (``ys`` keep the positions of their ``xs``); ``unroll`` (an int, or True for
    all iterations) is how many iterations backends put in one trip of their loop. The carry
    must keep its structure, shapes and dtypes."""
    if not callable(f):
        raise TypeError("lax.scan: f argument should be callable.")
    init_flat, init_tree = tree_flatten(init)
    xs_flat, xs_tree = tree_flatten(xs)
    length = _scan_length(xs_flat, length)
    if _config.disable_jit:
        return _scan_in_python(f, init, xs_flat, xs_tree, length, reverse)
    x_avals = [unstacked_aval(get_aval(x)) for x in xs_flat]
    n_init = len(init_flat)

    def call(fun: Callable, args: list) -> Any:
        out = fun(tree_unflatten(init_tree, args[:n_init]), tree_unflatten(xs_tree, args[n_init:]))
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise TypeError(f"scan body output must be a pair, got {_aval_tree_text(out)}.")
        return tuple(out)

    def create(carry_avals: list[ShapedArray]) -> tuple[_Traced, Any, list, Any, list]:
        traced = _trace(f, call, [*carry_avals, *x_avals], "scan")
        carry_tree, ys_tree = treedef_children(traced.out_tree)
        n_carry_out = carry_tree.num_leaves
        avals = traced.out_avals
        return traced, carry_tree, avals[:n_carry_out], ys_tree, avals[n_carry_out:]

    init_avals = _avals_of(init_flat)
    traced, carry_tree, carry_out, ys_tree, _ = create(init_avals)
    if len(carry_out) != len(init_avals):
        _check_carry_type("scan body", f, init_tree, init_avals, carry_tree, carry_out)
    init_flat, changed = _promote_weak_inputs(init_flat, init_avals, carry_out)
    if changed:
        init_avals = _avals_of(init_flat)
        traced, carry_tree, carry_out, ys_tree, _ = create(init_avals)
    _check_carry_type("scan body", f, init_tree, init_avals, carry_tree, carry_out)
    unroll = _unroll_count(unroll, length)

    jaxpr, consts = traced.jaxpr, traced.consts
    n_consts, n_carry, n_xs = len(consts), len(init_flat), len(xs_flat)
    n_ys = len(jaxpr.outvars) - n_carry
    forward = forwarded_inputs(jaxpr)
    # A carry the body returns unchanged is a const.
    to_const = [forward[i] == n_consts + i for i in range(n_carry)]
    carry_vars = jaxpr.invars[n_consts:n_consts + n_carry]
    moved = [x for x, m in zip(init_flat, to_const) if m]
    carries = [x for x, m in zip(init_flat, to_const) if not m]
    # A y that forwards an x is that x, not a scan output.
    x_position = {v: i for i, v in enumerate(jaxpr.invars[n_consts + n_carry:])}
    y_forward = [x_position.get(v) if type(v) is Var else None
                 for v in jaxpr.outvars[n_carry:]]
    outvars = [v for v, m in zip(jaxpr.outvars[:n_carry], to_const) if not m]
    outvars += [v for v, fwd in zip(jaxpr.outvars[n_carry:], y_forward) if fwd is None]
    invars = [*(v for v, m in zip(carry_vars, to_const) if m), *jaxpr.invars[:n_consts],
              *(v for v, m in zip(carry_vars, to_const) if not m),
              *jaxpr.invars[n_consts + n_carry:]]
    body = ClosedJaxpr(Jaxpr([], invars, outvars, jaxpr.eqns, jaxpr.debug_info), [])
    outs = scan_p.bind(*moved, *consts, *carries, *xs_flat, reverse=bool(reverse),
                       length=length, jaxpr=body, num_consts=len(moved) + n_consts,
                       num_carry=len(carries), unroll=unroll)
    carry_it, ys_it = iter(outs[:len(carries)]), iter(outs[len(carries):])
    moved_it = iter(moved)
    carry_final = [next(moved_it) if m else next(carry_it) for m in to_const]
    ys = [next(ys_it) if fwd is None else _as_value(xs_flat[fwd]) for fwd in y_forward]
    assert n_ys == len(ys) and n_xs == len(xs_flat)
    return tree_unflatten(carry_tree, carry_final), tree_unflatten(ys_tree, ys)


def _aval_tree_text(out: Any) -> str:
    leaves, tree = tree_flatten(out)
    avals = _avals_of(leaves)
    if treedef_is_leaf(tree) and avals:
        aval = avals[0]
        return ("~" if aval.weak_type else "") + str(aval)
    return str(tree_unflatten(tree, avals))


def _unroll_count(unroll: Any, length: int) -> int:
    if isinstance(unroll, Tracer):
        value = unroll.to_concrete_value()
        if value is None:
            raise ConcretizationTypeError(unroll, "The `unroll` argument to `scan` expects a "
                                          "concrete `int` or `bool` value.")
        unroll = value
    if isinstance(unroll, (bool, np.bool_)):
        return max(length, 1) if unroll else 1
    unroll = int(unroll)
    if unroll < 0:
        raise ValueError("`unroll` must be a `bool` or a non-negative `int`.")
    return unroll


def _scan_in_python(f: Callable, init: Any, xs_flat: list, xs_tree: Any, length: int,
                    reverse: bool) -> Any:
    """``scan`` under ``disable_jit``: a Python loop."""
    if length == 0:
        raise ValueError("zero-length scan is not supported in disable_jit() mode because "
                         "the output type is unknown.")
    carry, ys = init, []
    order = range(length - 1, -1, -1) if reverse else range(length)
    for i in order:
        x = tree_unflatten(xs_tree, [_st.index_in_dim(x, i, keepdims=False) for x in xs_flat])
        carry, y = f(carry, x)
        ys.append(y)
    if reverse:
        ys.reverse()
    leaves = [tree_flatten(y)[0] for y in ys]
    stacked = [_st.concatenate([_st.expand_dims(v, (0,)) for v in column], 0)
               for column in zip(*leaves)]
    return carry, tree_unflatten(tree_flatten(ys[0])[1], stacked)


def map(f: Callable, xs: Any, *, batch_size: int | None = None) -> Any:  # noqa: A001
    """``f`` applied to each slice of ``xs`` along its leading axis, the results stacked:
    a ``scan`` with no carry. With ``batch_size``, ``batch_size`` slices at a time under
    ``vmap`` (the remainder in one more ``vmap``); ``batch_size=0`` is a plain ``vmap``."""
    if batch_size is None:
        _, ys = scan(lambda _, x: ((), f(x)), (), xs)
        return ys
    import kiln  # vmap comes from kiln-batching, loaded lazily

    vmapped = kiln.vmap(f)
    scan_xs, rest_xs = _batch_and_remainder(xs, batch_size)
    scan_ys = None
    if scan_xs is not None:
        _, scan_ys = scan(lambda _, x: ((), vmapped(x)), (), scan_xs)

    def merge(x: Any) -> Any:
        shape = get_aval(x).shape
        return _st.reshape(x, (shape[0] * shape[1], *shape[2:]))

    if scan_ys is None:
        return vmapped(rest_xs)
    ys_leaves, ys_tree = tree_flatten(scan_ys)
    if rest_xs is None:
        return tree_unflatten(ys_tree, [merge(y) for y in ys_leaves])
    rest_leaves = tree_flatten(vmapped(rest_xs))[0]
    return tree_unflatten(ys_tree, [_st.concatenate([merge(y), r], 0)
                                    for y, r in zip(ys_leaves, rest_leaves)])


def _batch_and_remainder(xs: Any, batch_size: int) -> tuple[Any, Any]:
    leaves, tree = tree_flatten(xs)
    if not leaves:
        return xs, None
    n = get_aval(leaves[0]).shape[0]
    batches, remainder = (0, n) if batch_size == 0 else divmod(n, batch_size)
    used = batches * batch_size

    def head(x: Any) -> Any:
        shape = get_aval(x).shape
        part = _st.slice(x, (0,) * len(shape), (used, *shape[1:]))
        return _st.reshape(part, (batches, batch_size, *shape[1:]))

    def tail(x: Any) -> Any:
        shape = get_aval(x).shape
        return _st.slice(x, (used,) + (0,) * (len(shape) - 1), shape)

    if batches == 0:
        return None, tree_unflatten(tree, [tail(x) for x in leaves])
    scanned = tree_unflatten(tree, [head(x) for x in leaves])
    return scanned, (tree_unflatten(tree, [tail(x) for x in leaves]) if remainder else None)


# -- associative_scan ---------------------------------------------------------------------------


def associative_scan(fn: Callable, elems: Any, reverse: bool = False, axis: int = 0) -> Any:
    """All prefix combinations of ``elems`` along ``axis`` under the associative ``fn``
    (``[a, fn(a, b), fn(fn(a, b), c), ...]``; from the end with ``reverse``), computed in
    O(log n) rounds of ``fn`` applied to whole slices: ``fn`` must work elementwise along
    ``axis``. ``elems`` may be a pytree of arrays of equal length along ``axis``."""
    if not callable(fn):
        raise TypeError("lax.associative_scan: fn argument should be callable.")
    leaves, tree = tree_flatten(elems)
    if reverse:
        leaves = [_st.rev(x, (axis,)) for x in leaves]
    ndim = get_aval(leaves[0]).ndim
    axis = axis + ndim if axis < 0 else axis
    n = get_aval(leaves[0]).shape[axis]
    if not all(get_aval(x).shape[axis] == n for x in leaves[1:]):
        raise ValueError("Array inputs to associative_scan must have the same first "
                         f"dimension. (saw: {[get_aval(x).shape for x in leaves]})")

    def combine(a: list, b: list) -> list:
        out = fn(tree_unflatten(tree, a), tree_unflatten(tree, b))
        return tree_flatten(out)[0]

    def part(x: Any, start: int, stop: int | None, stride: int = 1) -> Any:
        return _st.slice_in_dim(x, start, stop, stride=stride, axis=axis)

    def prefix(xs: list) -> list:
        # The odd positions of the result scan the sums of adjacent pairs (recursively); the
        # even positions add the next element to the odd ones; then interleave them.
        size = get_aval(xs[0]).shape[axis]
        if size < 2:
            return xs
        odd = prefix(combine([part(x, 0, -1, 2) for x in xs], [part(x, 1, None, 2) for x in xs]))
        if size % 2 == 0:
            even = combine([part(o, 0, -1) for o in odd], [part(x, 2, None, 2) for x in xs])
        else:
            even = combine(odd, [part(x, 2, None, 2) for x in xs])
        even = [_st.concatenate([part(x, 0, 1), e], axis) for x, e in zip(xs, even)]
        return [_interleave(e, o, axis) for e, o in zip(even, odd)]

    out = prefix(leaves)
    if reverse:
        out = [_st.rev(x, (axis,)) for x in out]
    return tree_unflatten(tree, out)


def _interleave(a: Any, b: Any, axis: int) -> Any:
    """``a[0], b[0], a[1], b[1], ...`` along ``axis`` (``a`` as long as ``b`` or one more):
    both padded with zeros between their elements, then added (or-ed, for booleans)."""
    a_aval, b_aval = get_aval(a), get_aval(b)
    same = a_aval.shape[axis] == b_aval.shape[axis]
    a_pad = [(0, 0, 0)] * a_aval.ndim
    b_pad = [(0, 0, 0)] * b_aval.ndim
    a_pad[axis] = (0, 1 if same else 0, 1)
    b_pad[axis] = (1, 0 if same else 1, 1)
    combine = _ew.bitwise_or if a_aval.dtype == np.bool_ else _ew.add
    zero_a = np.zeros((), a_aval.dtype)[()]
    zero_b = np.zeros((), b_aval.dtype)[()]
    return combine(_st.pad(a, zero_a, a_pad), _st.pad(b, zero_b, b_pad))


__all__ = [
    "associative_scan", "cond", "cond_p", "fori_loop", "map", "scan", "scan_p", "switch",
    "while_loop", "while_p",
]
