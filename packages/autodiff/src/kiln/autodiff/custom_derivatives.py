"""``custom_jvp`` and ``custom_vjp``: functions with user-defined derivatives, as
higher-order primitives that need no special support from kiln-core.

``f = custom_jvp(fun)`` binds ``custom_jvp_call``, whose params carry ``fun``'s closed jaxpr
(what every backend and non-differentiating transformation runs, through the primitive's
impl or decomposition) and the user's jvp rule (a callable, run only when a jvp trace
differentiates the call). ``custom_vjp`` binds ``custom_vjp_call`` with the fwd and bwd
rules: differentiating it runs ``fwd`` now and stages a ``custom_lin`` equation on the
tangents, linear by fiat, whose transpose calls ``bwd``. Forward mode through a custom_vjp
function is therefore an error, as in JAX.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from kiln.autodiff.closures import function_name, resolve_kwargs, trace_flat
from kiln.autodiff.jvp import jvp_flat
from kiln.autodiff.pytrees import (
    keystr,
    tree_flatten,
    tree_flatten_with_path,
    tree_map,
    tree_unflatten,
)
from kiln.autodiff.transpose import backward_pass
from kiln.autodiff.zeros import (
    Zero,
    add_tangents,
    float0,
    instantiate,
    tangent_aval,
    zeros_like_aval,
)
from kiln.core import tracing
from kiln.core.abstract import ShapedArray, get_aval
from kiln.core.jaxpr import ClosedJaxpr, eval_jaxpr, param_printers
from kiln.core.primitive import (
    Primitive,
    register_abstract_eval,
    register_batch,
    register_decomposition,
    register_impl,
    register_jvp,
    register_transpose,
)
from kiln.core.reference import run_jaxpr

custom_jvp_call_p = Primitive("custom_jvp_call", multiple_results=True)
custom_vjp_call_p = Primitive("custom_vjp_call", multiple_results=True)
custom_lin_p = Primitive("custom_lin", multiple_results=True)


class CustomVJPException(Exception):
    """Differentiation of a custom_vjp function with respect to a value it closes over."""

    def __init__(self) -> None:
        super().__init__(
            "Detected differentiation of a custom_vjp function with respect to a closed-over "
            "value. That isn't supported because the custom VJP rule only specifies how to "
            "differentiate the custom_vjp function with respect to explicit input parameters. "
            "Try passing the closed-over value into the custom_vjp function as an argument, and "
            "adapting the custom_vjp fwd and bwd rules.")


def _split_nondiff(args: tuple, nondiff_argnums: tuple[int, ...]) -> tuple[list, list]:
    nondiff = set(nondiff_argnums)
    return ([a for i, a in enumerate(args) if i in nondiff],
            [a for i, a in enumerate(args) if i not in nondiff])


def _merge_nondiff(nondiff_argnums: tuple[int, ...], nondiff: Sequence[Any],
                   diff: Sequence[Any]) -> tuple:
    nd, d = iter(nondiff), iter(diff)
    n = len(nondiff) + len(diff)
    return tuple(next(nd) if i in nondiff_argnums else next(d) for i in range(n))


def _aval_tree_text(tree: Any, avals: Sequence[ShapedArray]) -> str:
    return str(tree_unflatten(tree, [a.str_short() for a in avals])).replace("'", "")


def _is_eager() -> bool:
    return tracing.context.trace is tracing.EVAL_TRACE


# -- custom_jvp -----------------------------------------------------------------------------


class custom_jvp:  # noqa: N801  (JAX's name)
    """A function with a custom jvp rule, set with ``defjvp`` (or ``defjvps``).

    ``nondiff_argnums`` name positional arguments that are not differentiated: they are
    passed unchanged to ``fun`` and first to the jvp rule,
    ``jvp(*nondiff_args, primals, tangents) -> (primal_out, tangent_out)``.
    """

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.jvp: Callable | None = None
        self.symbolic_zeros = False

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        return self if obj is None else functools.partial(self, obj)

    def defjvp(self, jvp: Callable, symbolic_zeros: bool = False) -> Callable:
        """Set the jvp rule ``jvp(primals, tangents) -> (primal_out, tangent_out)``. With
        ``symbolic_zeros``, tangents known to be zero arrive as ``SymbolicZero`` objects."""
        self.jvp = jvp
        self.symbolic_zeros = symbolic_zeros
        return jvp

    def defjvps(self, *jvps: Callable | None) -> None:
        """Set the jvp rule from one function per argument,
        ``jvp_i(tangent_i, primal_out, *primals) -> tangent contribution`` (None: the
        output does not depend on that argument); contributions are summed."""
        if self.nondiff_argnums:
            raise TypeError("Can't use ``defjvps`` with ``nondiff_argnums``.")

        def jvp(primals: tuple, tangents: tuple) -> tuple:
            primal_out = self(*primals)
            total = None
            for rule, t in zip(jvps, tangents):
                if rule is None:
                    continue
                term = rule(t, primal_out, *primals)
                total = term if total is None else tree_map(add_tangents, total, term)
            if total is None:
                total = tree_map(lambda x: zeros_like_aval(tangent_aval(get_aval(x))),
                                 primal_out)
            return primal_out, total

        jvp.__name__ = getattr(self.fun, "__name__", "jvp") + "_jvps"
        self.defjvp(jvp)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        name = function_name(self.fun)
        if self.jvp is None:
            raise AttributeError(f"No JVP defined for custom_jvp function {name} using defjvp.")
        try:
            args = resolve_kwargs(self.fun, args, kwargs)
        except TypeError as e:
            raise TypeError(
                "The input arguments to the custom_jvp-decorated function "
                f"{name} could not be resolved to positional-only arguments. "
                f"Binding failed with the error:\n{e}") from e
        if _is_eager():
            return self.fun(*args)
        nondiff, diff = _split_nondiff(args, self.nondiff_argnums)
        leaves, in_tree = tree_flatten(tuple(diff))
        avals = [get_aval(x) for x in leaves]
        traced = trace_flat(
            lambda *d: self.fun(*_merge_nondiff(self.nondiff_argnums, nondiff, d)),
            in_tree, avals, "custom_jvp", self.fun)
        rule = CustomJVPRule(self, nondiff, in_tree, traced.out_tree, traced.closed.out_avals)
        outs = custom_jvp_call_p.bind(*traced.hoisted, *leaves, call_jaxpr=traced.closed,
                                      jvp=rule, num_consts=len(traced.hoisted),
                                      symbolic_zeros=self.symbolic_zeros)
        return tree_unflatten(traced.out_tree, outs)


class CustomJVPRule:
    """A custom_jvp function's jvp rule on flat values: ``rule(primals, tangents) ->
    (primals_out, tangents_out)``, with the checks of JAX's and its errors. Printed as the
    rule's name (``jvp=<lambda>`` in a jaxpr)."""

    def __init__(self, owner: custom_jvp, nondiff: list, in_tree: Any, out_tree: Any,
                 out_avals: list[ShapedArray]):
        self.owner = owner
        self.nondiff = nondiff
        self.in_tree = in_tree
        self.out_tree = out_tree
        self.out_avals = out_avals

    @property
    def name(self) -> str:
        return function_name(self.owner.fun)

    def __str__(self) -> str:
        return function_name(self.owner.jvp)

    __repr__ = __str__

    def __call__(self, primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[list, list]:
        owner = self.owner
        jvp_name, name = function_name(owner.jvp), self.name
        py_primals = tree_unflatten(self.in_tree, list(primals))
        py_tangents = tree_unflatten(self.in_tree, list(tangents))
        pair = owner.jvp(*self.nondiff, py_primals, py_tangents)
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise TypeError(f"Custom JVP rule {jvp_name} for function {name} must produce a pair "
                            "(list or tuple of length two) representing primal and tangent "
                            f"outputs, but got {pair}.")
        primals_out, out_tree = tree_flatten(pair[0])
        tangents_out, tangent_tree = tree_flatten(pair[1], is_leaf=lambda x: type(x) is Zero)
        if out_tree != tangent_tree:
            raise TypeError(f"Custom JVP rule {jvp_name} for function {name} must produce primal "
                            "and tangent outputs with equal container (pytree) structures, but "
                            f"got {out_tree} and {tangent_tree} respectively.")
        avals = [get_aval(x) for x in primals_out]
        prefix = (f"Custom JVP rule {jvp_name} for function {name} must produce a pair (list or "
                  "tuple of length two) where the first element represents the primal output "
                  "(equal in value to the output of the custom_jvp-decorated function "
                  f"{name}, ")
        if out_tree != self.out_tree:
            raise TypeError(
                prefix + "and in particular of the same container/pytree structure), but "
                "instead the JVP rule output's first element had container/pytree structure:\n"
                f"    {_aval_tree_text(out_tree, avals)}\nwhile the custom_jvp-decorated "
                f"function {name} had output container/pytree structure:\n"
                f"    {_aval_tree_text(self.out_tree, self.out_avals)}.")
        if any(a.strip_weak_type() != b.strip_weak_type() for a, b in zip(avals, self.out_avals)):
            raise TypeError(
                prefix + "and in particular with leaves of the same shape/dtype), but instead "
                "the JVP rule output's first element had shapes/dtypes of:\n"
                f"    {_aval_tree_text(out_tree, avals)}\nwhile the custom_jvp-decorated "
                f"function {name} had output shapes/dtypes of:\n"
                f"    {_aval_tree_text(self.out_tree, self.out_avals)}")
        self._check_tangents(avals, tangents_out)
        return primals_out, tangents_out

    @staticmethod
    def _check_tangents(avals: list[ShapedArray], tangents: list[Any]) -> None:
        expected = [tangent_aval(a).strip_weak_type() for a in avals]
        got = [(t.aval if type(t) is Zero else get_aval(t)).strip_weak_type() for t in tangents]
        if all(e.shape == g.shape and e.dtype == g.dtype for e, g in zip(expected, got)):
            return
        if len(expected) == 1:
            raise TypeError(
                "Custom JVP rule must produce primal and tangent outputs with corresponding "
                f"shapes and dtypes. Expected {expected[0].str_short()} (tangent type of "
                f"{avals[0].strip_weak_type().str_short()}) but got {got[0].str_short()}.")
        lines = "\n".join(
            f"  primal {a.str_short()} with tangent {g.str_short()}, expecting tangent {e}"
            for a, e, g in zip(avals, expected, got) if e != g)
        raise TypeError("Custom JVP rule must produce primal and tangent outputs with "
                        f"corresponding shapes and dtypes, but got:\n{lines}")


def _custom_jvp_call_jvp(primals: list, tangents: list, *, call_jaxpr: ClosedJaxpr,
                         jvp: CustomJVPRule, num_consts: int, symbolic_zeros: bool) -> tuple:
    if any(type(t) is not Zero for t in tangents[:num_consts]):
        # The function closes over a value being differentiated: its rule does not say how
        # the output depends on that value, the function itself does.
        return jvp_flat(lambda *xs: eval_jaxpr(call_jaxpr.jaxpr, call_jaxpr.consts, *xs),
                        primals, tangents)
    args, arg_tangents = primals[num_consts:], tangents[num_consts:]
    if not symbolic_zeros:
        arg_tangents = [instantiate(t) for t in arg_tangents]
    return jvp(args, arg_tangents)


def _run_call_jaxpr(*args: Any, call_jaxpr: ClosedJaxpr, **_: Any) -> list[Any]:
    return run_jaxpr(call_jaxpr.jaxpr, call_jaxpr.consts, args)


def _eval_call_jaxpr(*args: Any, call_jaxpr: ClosedJaxpr, **_: Any) -> list[Any]:
    return eval_jaxpr(call_jaxpr.jaxpr, call_jaxpr.consts, *args)


def _transpose_call_jaxpr(cts: list, *args: Any, call_jaxpr: ClosedJaxpr, **_: Any) -> list:
    return backward_pass(call_jaxpr.jaxpr, call_jaxpr.consts, args, cts)


def _pp_custom_jvp_call(eqn: Any, names: Any) -> list[tuple[str, Any]]:
    params = eqn.params
    items = [("name", params["jvp"].name), ("call_jaxpr", params["call_jaxpr"]),
             ("jvp", params["jvp"]), ("symbolic_zeros", params["symbolic_zeros"])]
    if params["num_consts"]:
        items.append(("num_consts", params["num_consts"]))
    return items


for _prim in (custom_jvp_call_p, custom_vjp_call_p):
    register_abstract_eval(_prim, lambda *avals, call_jaxpr, **_: call_jaxpr.out_avals)
    register_impl(_prim, _run_call_jaxpr)
    register_decomposition(_prim, _eval_call_jaxpr)
register_jvp(custom_jvp_call_p, _custom_jvp_call_jvp)
register_transpose(custom_jvp_call_p, _transpose_call_jaxpr)
param_printers[custom_jvp_call_p] = _pp_custom_jvp_call


# -- custom_vjp -----------------------------------------------------------------------------


class custom_vjp:  # noqa: N801  (JAX's name)
    """A function with a custom vjp, set with ``defvjp(fwd, bwd)``.

    ``fwd(*args) -> (primal_out, residuals)`` runs on the forward pass (residuals may be
    any pytree); ``bwd(*nondiff_args, residuals, cotangent) -> tuple`` of cotangents, one per
    differentiated argument (``None`` for zeros). ``nondiff_argnums`` name positional
    arguments passed unchanged to ``fun`` and ``fwd`` and first to ``bwd``.
    """

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.fwd: Callable | None = None
        self.bwd: Callable | None = None
        self.symbolic_zeros = False

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        return self if obj is None else functools.partial(self, obj)

    def defvjp(self, fwd: Callable, bwd: Callable, symbolic_zeros: bool = False,
               optimize_remat: bool = False) -> None:
        self.fwd = fwd
        self.bwd = bwd
        self.symbolic_zeros = symbolic_zeros

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        name = function_name(self.fun)
        if self.fwd is None or self.bwd is None:
            raise AttributeError(f"No VJP defined for custom_vjp function {name} using defvjp.")
        try:
            args = resolve_kwargs(self.fun, args, kwargs)
        except TypeError as e:
            raise TypeError(
                "The input arguments to the custom_vjp-decorated function "
                f"{name} could not be resolved to positional-only arguments. "
                f"Binding failed with the error:\n{e}") from e
        if _is_eager():
            return self.fun(*args)
        nondiff, diff = _split_nondiff(args, self.nondiff_argnums)
        leaves, in_tree = tree_flatten(tuple(diff))
        avals = [get_aval(x) for x in leaves]
        traced = trace_flat(
            lambda *d: self.fun(*_merge_nondiff(self.nondiff_argnums, nondiff, d)),
            in_tree, avals, "custom_vjp", self.fun)
        rules = CustomVJPRules(self, nondiff, in_tree, traced.out_tree, avals,
                               traced.closed.out_avals)
        outs = custom_vjp_call_p.bind(*traced.hoisted, *leaves, call_jaxpr=traced.closed,
                                      fwd=rules.fwd, bwd=rules.bwd,
                                      num_consts=len(traced.hoisted),
                                      symbolic_zeros=self.symbolic_zeros)
        return tree_unflatten(traced.out_tree, outs)


class _Named:
    """A callable printed as a function name in jaxpr params (``fwd=f_fwd``), and the
    custom_vjp rules it belongs to."""

    def __init__(self, fn: Callable, name: str, rules: CustomVJPRules):
        self.fn = fn
        self.name = name
        self.rules = rules

    def __call__(self, *args: Any) -> Any:
        return self.fn(*args)

    def __str__(self) -> str:
        return self.name

    __repr__ = __str__


class CustomVJPRules:
    """A custom_vjp function's fwd and bwd rules on flat values, with JAX's checks."""

    def __init__(self, owner: custom_vjp, nondiff: list, in_tree: Any, out_tree: Any,
                 in_avals: list[ShapedArray], out_avals: list[ShapedArray]):
        self.owner = owner
        self.nondiff = nondiff
        self.in_tree = in_tree
        self.out_tree = out_tree
        self.in_avals = in_avals
        self.out_avals = out_avals
        self.fwd = _Named(self._fwd, function_name(owner.fwd), self)
        self.bwd = _Named(self._bwd, function_name(owner.bwd), self)
        self.name = function_name(owner.fun)

    def _fwd(self, args: Sequence[Any]) -> tuple[list, list, Any]:
        """(residual leaves, primal output leaves, residual structure)."""
        owner, name, fwd_name = self.owner, self.name, self.fwd.name
        diff = tree_unflatten(self.in_tree, list(args))
        pair = owner.fwd(*_merge_nondiff(owner.nondiff_argnums, self.nondiff, diff))
        prefix = (f"Custom VJP fwd rule {fwd_name} for function {name} must produce a pair "
                  "(list or tuple of length two) where the first element represents the "
                  "primal output (equal to ")
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise TypeError(
                prefix + f"those of the custom_vjp-decorated function {name}) and the second "
                "element represents residuals (i.e. values stored from the forward pass for use "
                f"on the backward pass), but instead of a pair the fwd rule {fwd_name} produced "
                f"{pair}.")
        outs, out_tree = tree_flatten(pair[0])
        avals = [get_aval(x) for x in outs]
        middle = (f"the output of the custom_vjp-decorated function {name}) and the second "
                  "element represents residuals (i.e. values stored from the forward pass for "
                  "use on the backward pass), but instead the fwd rule output's first element "
                  "had ")
        if out_tree != self.out_tree:
            raise TypeError(
                prefix + middle + "container/pytree structure:\n"
                f"    {_aval_tree_text(out_tree, avals)}\nwhile the custom_vjp-decorated "
                f"function {name} had output container/pytree structure:\n"
                f"    {_aval_tree_text(self.out_tree, self.out_avals)}.")
        if any(a.strip_weak_type() != b.strip_weak_type() for a, b in zip(avals, self.out_avals)):
            raise TypeError(
                prefix + middle + "shapes/dtypes of:\n"
                f"    {_aval_tree_text(out_tree, avals)}\nwhile the custom_vjp-decorated "
                f"function {name} had output shapes/dtypes of:\n"
                f"    {_aval_tree_text(self.out_tree, self.out_avals)}")
        res, res_tree = tree_flatten(pair[1])
        return res, outs, res_tree

    def _bwd(self, res_tree: Any, res: Sequence[Any], cts: Sequence[Any]) -> list[Any]:
        """Cotangents of the flat differentiated inputs (``Zero`` where bwd gave None)."""
        owner = self.owner
        py_res = tree_unflatten(res_tree, list(res))
        py_cts = tree_unflatten(self.out_tree, list(cts))
        out = owner.bwd(*self.nondiff, py_res, py_cts)
        args_tree = tree_unflatten(self.in_tree, [0] * len(self.in_avals))
        if isinstance(out, list) and len(out) == len(args_tree):
            out = tuple(out)
        flat = self._match_structure(out, args_tree)
        paths = [keystr(p) for p, _ in tree_flatten_with_path(args_tree)[0]]
        results = []
        for path, aval, ct in zip(paths, self.in_avals, flat):
            expected = tangent_aval(aval)
            if ct is None or expected.dtype == float0:
                results.append(Zero(expected))
                continue
            if type(ct) is Zero:
                if ct.aval.shape != expected.shape or ct.aval.dtype != expected.dtype:
                    raise ValueError(
                        "Custom VJP bwd rule produced a SymbolicZero with a shape/dtype that "
                        "does not match the corresponding input tangent shape/dtype: at "
                        f"output{path} the SymbolicZero had shape/dtype "
                        f"{ct.aval.str_short()} while the corresponding input had shape/dtype "
                        f"{aval.str_short()}. Consider just returning a None here instead of a "
                        "SymbolicZero object.")
                results.append(ct)
                continue
            got = get_aval(ct)
            if got.shape != expected.shape:
                mismatch = ", so the dtypes do not match and the shapes do not match" \
                    if got.dtype != expected.dtype else ", so the shapes do not match"
                raise ValueError(
                    "Custom VJP bwd rule must produce an output with the same type as the args "
                    f"tuple of the primal function, but at output{path} the bwd rule produced "
                    f"an output of type {got.str_short(short_dtypes=False)} corresponding to an "
                    f"input of type {aval.str_short(short_dtypes=False)}{mismatch}")
            if got.dtype != expected.dtype:
                from kiln import lax

                ct = lax.convert_element_type(ct, expected.dtype)
            results.append(ct)
        return results

    def _match_structure(self, out: Any, args_tree: Any) -> list[Any]:
        """The bwd output's leaves per input leaf (None spreads over a whole argument)."""
        _, out_tree = tree_flatten(out, is_leaf=lambda x: x is None)
        error = TypeError(
            "Custom VJP bwd rule must produce an output with the same container (pytree) "
            "structure as the args tuple of the primal function, and in particular must "
            "produce a tuple of length equal to the number of arguments to the primal "
            f"function, but got bwd output structure {tree_flatten(out)[1]} for primal input "
            f"structure {self.in_tree}.")
        if not isinstance(out, tuple) or len(out) != len(args_tree):
            raise error
        flat: list[Any] = []
        for ct, arg in zip(out, args_tree):
            n = len(tree_flatten(arg)[0])
            if ct is None:
                flat.extend([None] * n)
                continue
            leaves, tree = tree_flatten(ct, is_leaf=lambda x: x is None or type(x) is Zero)
            if tree != tree_flatten(arg)[1]:
                raise error
            flat.extend(leaves)
        return flat


def _custom_vjp_call_jvp(primals: list, tangents: list, *, call_jaxpr: ClosedJaxpr,
                         fwd: _Named, bwd: _Named, num_consts: int,
                         symbolic_zeros: bool) -> tuple:
    if any(type(t) is not Zero for t in tangents[:num_consts]):
        raise CustomVJPException()
    args, arg_tangents = primals[num_consts:], tangents[num_consts:]
    res, outs, res_tree = fwd(args)
    in_zeros = tuple(type(t) is Zero for t in arg_tangents)
    out_avals = tuple(tangent_aval(get_aval(x)) for x in outs)
    tangents_out = custom_lin_p.bind(
        *res, *[t for t in arg_tangents if type(t) is not Zero], num_res=len(res),
        bwd=_Named(functools.partial(bwd.fn, res_tree), bwd.name, bwd.rules),
        out_avals=out_avals, symbolic_zeros=symbolic_zeros, in_zeros=in_zeros)
    return outs, tangents_out


def _pp_custom_vjp_call(eqn: Any, names: Any) -> list[tuple[str, Any]]:
    params = eqn.params
    items = [("name", params["fwd"].rules.name), ("bwd", params["bwd"]),
             ("call_jaxpr", params["call_jaxpr"]), ("fwd", params["fwd"]),
             ("symbolic_zeros", params["symbolic_zeros"])]
    if params["num_consts"]:
        items.append(("num_consts", params["num_consts"]))
    return items


register_jvp(custom_vjp_call_p, _custom_vjp_call_jvp)
param_printers[custom_vjp_call_p] = _pp_custom_vjp_call


# -- custom_lin: the tangent map of a custom_vjp function, transposed by its bwd --------------


def _forward_mode_error(*args: Any, **params: Any) -> Any:
    raise TypeError("can't apply forward-mode autodiff (jvp) to a custom_vjp function.")


def _custom_lin_transpose(cts: list, *args: Any, num_res: int, bwd: _Named, out_avals: tuple,
                          symbolic_zeros: bool, in_zeros: tuple) -> list:
    res = args[:num_res]
    if not symbolic_zeros:
        cts = [instantiate(ct) for ct in cts]
    cts_in = bwd(res, cts)
    return [None] * num_res + [ct for ct, zero in zip(cts_in, in_zeros) if not zero]


def _pp_custom_lin(eqn: Any, names: Any) -> list[tuple[str, Any]]:
    return sorted((k, v) for k, v in eqn.params.items() if k != "out_avals")


register_abstract_eval(custom_lin_p, lambda *avals, out_avals, **_: list(out_avals))
register_impl(custom_lin_p, _forward_mode_error)
register_decomposition(custom_lin_p, _forward_mode_error)  # backends: the same error
register_jvp(custom_lin_p, _forward_mode_error)
register_batch(custom_lin_p, _forward_mode_error)
register_transpose(custom_lin_p, _custom_lin_transpose)
param_printers[custom_lin_p] = _pp_custom_lin


# -- batching: the body is batched as a jaxpr, the rules by vmap ------------------------------


def _to_dim(x: Any, batched_at_zero: bool, dim: int | None) -> Any:
    """An output of a rule vmapped with out_axes=0, as the input it belongs to: its batch
    axis moved to ``dim``, or summed away when the input is not batched."""
    from kiln import lax

    if dim is None:
        return lax.reduce_sum(x, (0,)) if batched_at_zero else x
    if dim == 0:
        return x
    ndim = len(get_aval(x).shape)
    perm = list(range(1, ndim))
    perm.insert(dim, 0)
    return lax.transpose(x, tuple(perm))


class BatchedJVPRule:
    """A custom_jvp rule under vmap: the rule vmapped over the batched primals (and their
    tangents, which are batched alike), every output batched at 0."""

    def __init__(self, rule: Any, dims: Sequence[int | None], axis: Any):
        self.rule = rule
        self.dims = list(dims)
        self.axis = axis
        self.name = rule.name

    def __str__(self) -> str:
        return str(self.rule)

    __repr__ = __str__

    def __call__(self, primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[list, list]:
        from kiln.batching import vmap

        def pair(ps: list, ts: list) -> tuple:
            outs, out_tangents = self.rule(ps, ts)
            return list(outs), [instantiate(t) for t in out_tangents]

        mapped = vmap(pair, in_axes=(self.dims, self.dims), out_axes=0,
                      axis_name=self.axis.name, axis_size=self.axis.size)
        outs, out_tangents = mapped(list(primals), [instantiate(t) for t in tangents])
        return outs, out_tangents


def _custom_jvp_call_batch(args: list, dims: list, *, call_jaxpr: ClosedJaxpr,
                           jvp: Any, num_consts: int, symbolic_zeros: bool) -> tuple:
    from kiln.batching import batch_jaxpr, current_axis

    axis = current_axis()
    batched, out_dims = batch_jaxpr(call_jaxpr, dims, dims_out=[0] * len(call_jaxpr.out_avals))
    rule = BatchedJVPRule(jvp, dims[num_consts:], axis)
    outs = custom_jvp_call_p.bind(*args, call_jaxpr=batched, jvp=rule, num_consts=num_consts,
                                  symbolic_zeros=False)
    return outs, out_dims


def _custom_vjp_call_batch(args: list, dims: list, *, call_jaxpr: ClosedJaxpr, fwd: _Named,
                           bwd: _Named, num_consts: int, symbolic_zeros: bool) -> tuple:
    from kiln.batching import batch_jaxpr, current_axis, vmap

    axis = current_axis()
    n_out = len(call_jaxpr.out_avals)
    batched, out_dims = batch_jaxpr(call_jaxpr, dims, dims_out=[0] * n_out)
    arg_dims = dims[num_consts:]
    res_trees: list[Any] = []

    def batched_fwd(values: Sequence[Any]) -> tuple[list, list, Any]:
        def run(xs: list) -> tuple:
            res, outs, res_tree = fwd(xs)
            res_trees.append(res_tree)
            return list(res), list(outs)

        res, outs = vmap(run, in_axes=(arg_dims,), out_axes=0, axis_name=axis.name,
                         axis_size=axis.size)(list(values))
        return res, outs, res_trees[-1]

    def batched_bwd(res_tree: Any, res: Sequence[Any], cts: Sequence[Any]) -> list[Any]:
        def run(r: list, c: list) -> list:
            return [instantiate(ct) for ct in bwd.fn(res_tree, r, c)]

        cts_in = vmap(run, in_axes=(0, 0), out_axes=0, axis_name=axis.name,
                      axis_size=axis.size)(list(res), [instantiate(c) for c in cts])
        return [_to_dim(ct, True, d) for ct, d in zip(cts_in, arg_dims)]

    outs = custom_vjp_call_p.bind(
        *args, call_jaxpr=batched, fwd=_Named(batched_fwd, fwd.name, fwd.rules),
        bwd=_Named(batched_bwd, bwd.name, bwd.rules), num_consts=num_consts,
        symbolic_zeros=False)
    return outs, out_dims


register_batch(custom_jvp_call_p, _custom_jvp_call_batch)
register_batch(custom_vjp_call_p, _custom_vjp_call_batch)
