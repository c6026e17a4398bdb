"""Reverse mode: transposing linear jaxprs (the backward pass).

``vjp`` linearizes a function and then transposes the linear jaxpr: it walks the equations
backwards, handing each equation's output cotangents to its primitive's transpose rule
(``kiln.core.register_transpose``), which returns the cotangents of the inputs.

Transpose rules see the linear inputs of an equation as :class:`UndefinedPrimal` markers
(they are what is being solved for) and every other input as its value. Equations whose
inputs are all defined are not linear: the backward pass evaluates the ones it needs,
forwards, first (``checkpoint`` bodies recompute their primal values this way).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kiln.autodiff.caching import JaxprCache
from kiln.autodiff.zeros import Zero, add_tangents, tangent_aval
from kiln.core.abstract import get_aval
from kiln.core.jaxpr import ClosedJaxpr, Jaxpr, Literal, Var
from kiln.core.primitive import rule_table
from kiln.core.staging import DebugInfo, trace_to_jaxpr

transpose_rules = rule_table("transpose")
_decompositions = rule_table("decomposition")


class UndefinedPrimal:
    """Marks a linear input of an equation being transposed (its value is not known; its
    cotangent is what the transpose rule computes)."""

    __slots__ = ("aval",)

    def __init__(self, aval: Any):
        self.aval = aval

    def __repr__(self) -> str:
        return f"UndefinedPrimal({self.aval.str_short()})"


def is_undefined_primal(x: Any) -> bool:
    return type(x) is UndefinedPrimal


def backward_pass(jaxpr: Jaxpr, consts: Sequence[Any], args: Sequence[Any],
                  cts_out: Sequence[Any]) -> list[Any]:
    """Transpose ``jaxpr`` with respect to its arguments that are ``UndefinedPrimal``.

    ``args`` holds an ``UndefinedPrimal`` or a value for each invar, ``cts_out`` a
    cotangent (maybe ``Zero``) for each output. Returns a cotangent for each argument:
    ``Zero`` where nothing flowed back, ``None`` for defined arguments."""
    env: dict[Var, Any] = dict(zip(jaxpr.constvars, consts))
    linear: set[Var] = set()
    for v, x in zip(jaxpr.invars, args):
        if type(x) is UndefinedPrimal:
            linear.add(v)
        else:
            env[v] = x
    linear_eqns = []
    forward_eqns = []
    for eqn in jaxpr.eqns:
        if any(type(a) is Var and a in linear for a in eqn.invars):
            linear_eqns.append(eqn)
            linear.update(eqn.outvars)
        else:
            forward_eqns.append(eqn)
    _evaluate_needed(forward_eqns, linear_eqns, env)

    cts: dict[Var, Any] = {}

    def write(v: Any, ct: Any) -> None:
        if ct is None or type(ct) is Zero or type(v) is not Var or v not in linear:
            return
        previous = cts.get(v)
        cts[v] = ct if previous is None else add_tangents(previous, ct)

    def read(a: Any) -> Any:
        return a.val if type(a) is Literal else env[a]

    for v, ct in zip(jaxpr.outvars, cts_out):
        write(v, ct)
    for eqn in reversed(linear_eqns):
        outs = [cts.pop(v, None) for v in eqn.outvars]
        if all(ct is None for ct in outs):
            continue
        ins = [UndefinedPrimal(a.aval) if type(a) is Var and a in linear else read(a)
               for a in eqn.invars]
        prim = eqn.primitive
        if prim.multiple_results:
            ct_arg = [Zero(v.aval) if ct is None else ct for v, ct in zip(eqn.outvars, outs)]
        else:
            ct_arg = outs[0]
        cts_in = transpose_rule(prim)(ct_arg, *ins, **eqn.params)
        for a, ct in zip(eqn.invars, cts_in):
            write(a, ct)
    return [_ct_or_zero(cts.get(v), v) if type(x) is UndefinedPrimal else None
            for v, x in zip(jaxpr.invars, args)]


def _ct_or_zero(ct: Any, v: Var) -> Any:
    return Zero(tangent_aval(v.aval)) if ct is None else ct


def _evaluate_needed(forward_eqns: list, linear_eqns: list, env: dict) -> None:
    """Evaluate, in order, the non-linear equations whose results linear equations use."""
    needed = {a for eqn in linear_eqns for a in eqn.invars if type(a) is Var and a not in env}
    todo = []
    for eqn in reversed(forward_eqns):
        if any(v in needed for v in eqn.outvars):
            todo.append(eqn)
            needed.update(a for a in eqn.invars if type(a) is Var)
    for eqn in reversed(todo):
        ins = [a.val if type(a) is Literal else env[a] for a in eqn.invars]
        out = eqn.primitive.bind(*ins, **eqn.params)
        if eqn.primitive.multiple_results:
            env.update(zip(eqn.outvars, out))
        else:
            env[eqn.outvars[0]] = out


def transpose_rule(prim: Any) -> Any:
    """``prim``'s transpose rule, or one that transposes its decomposition."""
    rule = transpose_rules.get(prim)
    if rule is not None:
        return rule
    decomposition = _decompositions.get(prim)
    if decomposition is None:
        raise NotImplementedError(
            f"Transpose rule (for reverse-mode differentiation) for '{prim.name}' not "
            "implemented; register one with kiln.core.register_transpose")

    def transpose_decomposition(ct: Any, *args: Any, **params: Any) -> list[Any]:
        avals = [x.aval if type(x) is UndefinedPrimal else get_aval(x) for x in args]

        def flat(*xs: Any) -> list[Any]:
            out = decomposition(*xs, **params)
            return list(out) if prim.multiple_results else [out]

        jaxpr, consts = trace_to_jaxpr(flat, avals)
        cts = ct if prim.multiple_results else [ct]
        return backward_pass(jaxpr, consts, args, cts)

    return transpose_decomposition


# -- transpose of a jaxpr -----------------------------------------------------------------------

_transpose_cache = JaxprCache()


def transpose_jaxpr(closed: ClosedJaxpr, undefined: Sequence[bool], ct_nonzeros: Sequence[bool],
                    ) -> tuple[ClosedJaxpr, list[bool]]:
    """The transpose of ``closed`` with respect to the inputs marked ``undefined``: a closed
    jaxpr taking the defined inputs and then the cotangents of the outputs marked in
    ``ct_nonzeros``, returning the cotangents of the undefined inputs marked in the returned
    list (the others are zero). Cached per jaxpr."""
    key = (tuple(undefined), tuple(ct_nonzeros))
    hit = _transpose_cache.get(closed, key)
    if hit is not None:
        return hit
    n_defined = sum(not u for u in undefined)
    out_nonzeros: list[bool] = []

    def transposed(*xs: Any) -> list[Any]:
        defined, cts = iter(xs[:n_defined]), iter(xs[n_defined:])
        args = [UndefinedPrimal(a) if u else next(defined)
                for a, u in zip(closed.in_avals, undefined)]
        cts_out = [next(cts) if nz else Zero(tangent_aval(a))
                   for a, nz in zip(closed.out_avals, ct_nonzeros)]
        cts_in = backward_pass(closed.jaxpr, closed.consts, args, cts_out)
        cts_in = [ct for ct, u in zip(cts_in, undefined) if u]
        out_nonzeros[:] = [type(ct) is not Zero for ct in cts_in]
        return [ct for ct in cts_in if type(ct) is not Zero]

    avals = [a for a, u in zip(closed.in_avals, undefined) if not u]
    avals += [tangent_aval(a) for a, nz in zip(closed.out_avals, ct_nonzeros) if nz]
    jaxpr, consts = trace_to_jaxpr(transposed, avals, DebugInfo("transpose", None, None))
    return _transpose_cache.put(closed, key, (ClosedJaxpr(jaxpr, consts), list(out_nonzeros)),
                                consts)
