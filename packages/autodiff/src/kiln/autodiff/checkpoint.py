"""``checkpoint`` (alias ``remat``): recompute a function's intermediates on the backward
pass instead of storing them.

``checkpoint(f)`` binds the ``remat2`` primitive (JAX 0.10.2's name) whose params carry
``f``'s jaxpr and a *policy*. Its partial-evaluation rule decides what the forward pass
saves: the values the policy calls saveable become residuals, every other value the
backward pass needs is recomputed inside the staged ``remat2`` equation from the saved ones
and the function's inputs. The default policy (None, as ``nothing_saveable``) saves nothing
but the inputs; ``everything_saveable`` saves everything (as without checkpoint).

A policy is ``policy(primitive, *input_avals, **params) -> bool`` (is this equation's
output saveable?); ``checkpoint_policies`` holds JAX's.
"""

from __future__ import annotations

import functools
import re
import types
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from kiln.autodiff.caching import JaxprCache
from kiln.autodiff.closures import trace_flat
from kiln.autodiff.jvp import jvp_jaxpr
from kiln.autodiff.partial_eval import (
    PartialJaxpr,
    consts_as_invars,
    dce_jaxpr,
    register_partial_eval,
)
from kiln.autodiff.pytrees import tree_flatten, tree_unflatten
from kiln.autodiff.rules.calls import fill_zeros, merge
from kiln.autodiff.transpose import is_undefined_primal, transpose_jaxpr
from kiln.autodiff.zeros import Zero
from kiln.core import tracing
from kiln.core.abstract import get_aval
from kiln.core.jaxpr import ClosedJaxpr, Jaxpr, Var, eval_jaxpr, param_printers
from kiln.core.primitive import (
    Primitive,
    register_abstract_eval,
    register_batch,
    register_decomposition,
    register_impl,
    register_jvp,
    register_transpose,
)
from kiln.core.primitives.contraction import dot_general_p
from kiln.core.reference import run_jaxpr
from kiln.core.tracing import with_trace

remat_p = Primitive("remat2", multiple_results=True)

# -- policies -------------------------------------------------------------------------------

name_p = Primitive("name")


def checkpoint_name(x: Any, name: str) -> Any:
    """``x``, tagged with ``name`` for the ``save_*_names`` policies."""
    return name_p.bind(x, name=name)


def everything_saveable(*_: Any, **__: Any) -> bool:
    return True


def nothing_saveable(*_: Any, **__: Any) -> bool:
    return False


def dots_saveable(prim: Primitive, *_: Any, **__: Any) -> bool:
    return prim is dot_general_p


def dots_with_no_batch_dims_saveable(prim: Primitive, *_: Any, **params: Any) -> bool:
    if prim is not dot_general_p:
        return False
    (_, _), (lhs_batch, rhs_batch) = params["dimension_numbers"]
    return not lhs_batch and not rhs_batch


def save_only_these_names(*names: str) -> Callable[..., bool]:
    def policy(prim: Primitive, *_: Any, **params: Any) -> bool:
        return prim is name_p and params["name"] in names

    return policy


def save_anything_except_these_names(*names: str) -> Callable[..., bool]:
    def policy(prim: Primitive, *_: Any, **params: Any) -> bool:
        return not (prim is name_p and params["name"] in names)

    return policy


def save_any_names_but_these(*names: str) -> Callable[..., bool]:
    def policy(prim: Primitive, *_: Any, **params: Any) -> bool:
        return prim is name_p and params["name"] not in names

    return policy


def save_from_both_policies(first: Callable, second: Callable) -> Callable[..., bool]:
    def policy(*args: Any, **params: Any) -> bool:
        return bool(first(*args, **params) or second(*args, **params))

    return policy


checkpoint_policies = types.SimpleNamespace(
    everything_saveable=everything_saveable,
    nothing_saveable=nothing_saveable,
    dots_saveable=dots_saveable,
    checkpoint_dots=dots_saveable,
    dots_with_no_batch_dims_saveable=dots_with_no_batch_dims_saveable,
    checkpoint_dots_with_no_batch_dims=dots_with_no_batch_dims_saveable,
    save_only_these_names=save_only_these_names,
    save_anything_except_these_names=save_anything_except_these_names,
    save_any_names_but_these=save_any_names_but_these,
    save_from_both_policies=save_from_both_policies,
)

# -- the user's function --------------------------------------------------------------------


def checkpoint(fun: Callable, *, prevent_cse: bool = True, policy: Callable | None = None,
               static_argnums: int | Sequence[int] = ()) -> Callable:
    """``fun``, but differentiating it saves only what ``policy`` allows (by default only
    its inputs) and recomputes the rest on the backward pass. ``static_argnums`` name
    arguments that are Python values, not arrays."""
    static = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    @functools.wraps(fun)
    def fun_remat(*args: Any, **kwargs: Any) -> Any:
        if tracing.context.trace is tracing.EVAL_TRACE:
            return fun(*args, **kwargs)
        nums = {i % len(args) for i in static}
        dyn = [a for i, a in enumerate(args) if i not in nums]
        leaves, in_tree = tree_flatten((dyn, kwargs))

        def call(dyn_args: list, dyn_kwargs: dict) -> Any:
            it = iter(dyn_args)
            full = [args[i] if i in nums else next(it) for i in range(len(args))]
            return fun(*full, **dyn_kwargs)

        traced = trace_flat(call, in_tree, [get_aval(x) for x in leaves], "checkpoint", fun)
        jaxpr, consts = _open(traced.closed)
        outs = remat_p.bind(*consts, *traced.hoisted, *leaves, jaxpr=jaxpr,
                            prevent_cse=prevent_cse, differentiated=False, policy=policy)
        return tree_unflatten(traced.out_tree, outs)

    return fun_remat


remat = checkpoint

# -- the primitive ----------------------------------------------------------------------------

_opened: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _open(closed: ClosedJaxpr) -> tuple[ClosedJaxpr, list[Any]]:
    """``closed`` with its consts as leading arguments (remat's jaxpr param has no consts),
    and those consts. Cached, so a jaxpr transformed twice gives the same param."""
    if not closed.jaxpr.constvars:
        return closed, []
    hit = _opened.get(closed)
    if hit is None:
        jaxpr, consts = consts_as_invars(closed)
        hit = _opened[closed] = (ClosedJaxpr(jaxpr, []), consts)
    return hit


def _remat_jvp(primals: list, tangents: list, *, jaxpr: ClosedJaxpr, **params: Any) -> tuple:
    nonzeros = [type(t) is not Zero for t in tangents]
    jvp_closed, out_nonzeros = jvp_jaxpr(jaxpr, nonzeros)
    body, consts = _open(jvp_closed)
    outs = remat_p.bind(*consts, *primals, *[t for t in tangents if type(t) is not Zero],
                        jaxpr=body, **params)
    n = len(jaxpr.out_avals)
    return outs[:n], fill_zeros(outs[n:], out_nonzeros, jaxpr.out_avals)


def _remat_partial_eval(trace: Any, *args: Any, jaxpr: ClosedJaxpr, policy: Any,
                        **params: Any) -> list[Any]:
    unknowns = [trace.is_unknown(x) for x in args]
    split = partial_eval_with_policy(jaxpr, unknowns, policy)
    known_args = [x for x, u in zip(args, unknowns) if not u]
    # The known part runs now, inline (it is the forward pass of the function).
    known_outs = with_trace(trace.parent, eval_jaxpr, split.known.jaxpr, split.known.consts,
                            *known_args)
    n_known = len(known_outs) - split.num_res
    unknown_outs = trace.stage(
        remat_p, [*known_outs[n_known:], *[x for x, u in zip(args, unknowns) if u]],
        dict(params, jaxpr=split.unknown, policy=policy, differentiated=True))
    return merge(split.out_unknowns, unknown_outs, known_outs[:n_known])


def _remat_transpose(cts: list, *args: Any, jaxpr: ClosedJaxpr, **params: Any) -> list:
    undefined = [is_undefined_primal(x) for x in args]
    ct_nonzeros = [type(ct) is not Zero for ct in cts]
    transposed, out_nonzeros = transpose_jaxpr(jaxpr, undefined, ct_nonzeros)
    body, consts = _open(transposed)
    outs = remat_p.bind(*consts, *[x for x, u in zip(args, undefined) if not u],
                        *[ct for ct in cts if type(ct) is not Zero], jaxpr=body,
                        **dict(params, differentiated=True))
    cts_in = fill_zeros(outs, out_nonzeros, [x.aval for x in args if is_undefined_primal(x)])
    return merge(undefined, cts_in, [None] * (len(args) - len(cts_in)))


def _remat_batch(args: list, dims: list, *, jaxpr: ClosedJaxpr, **params: Any) -> tuple:
    from kiln.batching import batch_jaxpr

    batched, out_dims = batch_jaxpr(jaxpr, dims)
    body, consts = _open(batched)
    outs = remat_p.bind(*consts, *args, jaxpr=body, **params)
    return outs, out_dims


def _pp_remat(eqn: Any, names: Any) -> list[tuple[str, Any]]:
    items = []
    for k, v in sorted(eqn.params.items()):
        if k == "policy" and v is not None:  # JAX masks the policy's address
            v = re.sub(r" at 0x[0-9a-fA-F]+>", " at 0xXXXXXXXXXXXX>", repr(v))
        items.append((k, v))
    return items


register_abstract_eval(remat_p, lambda *avals, jaxpr, **_: jaxpr.out_avals)
register_impl(remat_p, lambda *args, jaxpr, **_: run_jaxpr(jaxpr.jaxpr, jaxpr.consts, args))
register_decomposition(remat_p,
                       lambda *args, jaxpr, **_: eval_jaxpr(jaxpr.jaxpr, jaxpr.consts, *args))
register_jvp(remat_p, _remat_jvp)
register_partial_eval(remat_p, _remat_partial_eval)
register_transpose(remat_p, _remat_transpose)
register_batch(remat_p, _remat_batch)
param_printers[remat_p] = _pp_remat

# name: the identity, as a tag for policies
register_abstract_eval(name_p, lambda x, *, name: x)
register_impl(name_p, lambda x, *, name: x)
register_decomposition(name_p, lambda x, *, name: x)
register_jvp(name_p, lambda primals, tangents, *, name: (
    name_p.bind(primals[0], name=name),
    tangents[0] if type(tangents[0]) is Zero else name_p.bind(tangents[0], name=name)))
register_transpose(name_p, lambda ct, x, *, name: [ct])
register_batch(name_p, lambda args, dims, *, name: (name_p.bind(args[0], name=name), dims[0]))

# -- partial evaluation under a policy --------------------------------------------------------

_policy_cache = JaxprCache()


def partial_eval_with_policy(closed: ClosedJaxpr, unknowns: Sequence[bool],
                             policy: Callable | None) -> PartialJaxpr:
    """Split ``closed`` (a remat body) by which inputs are unknown, saving as residuals
    only the known values ``policy`` allows (and known inputs); the unknown jaxpr recomputes
    every other known value it needs. Higher-order equations with unknown inputs are staged
    whole (their known parts are recomputed too)."""
    key = (tuple(unknowns), policy)
    hit = _policy_cache.get(closed, key)
    if hit is not None:
        return hit
    jaxpr = closed.jaxpr
    unknown = {v for v, u in zip(jaxpr.invars, unknowns) if u}
    defined_by: dict[Var, Any] = {}
    staged = set()
    for eqn in jaxpr.eqns:
        if any(type(a) is Var and a in unknown for a in eqn.invars):
            unknown.update(eqn.outvars)
            staged.add(id(eqn))
        else:
            defined_by.update((v, eqn) for v in eqn.outvars)

    def saveable(eqn: Any) -> bool:
        return policy is not None and bool(
            policy(eqn.primitive, *[a.aval for a in eqn.invars], **eqn.params))

    residuals: list[Var] = []
    recomputed = set()
    seen: set[Var] = set()
    needed = [a for eqn in jaxpr.eqns if id(eqn) in staged for a in eqn.invars
              if type(a) is Var and a not in unknown]
    while needed:
        v = needed.pop()
        if v in seen:
            continue
        seen.add(v)
        eqn = defined_by.get(v)
        if eqn is None or saveable(eqn):
            residuals.append(v)
        elif id(eqn) not in recomputed:
            recomputed.add(id(eqn))
            needed.extend(a for a in eqn.invars if type(a) is Var)
    out_unknowns = [type(v) is Var and v in unknown for v in jaxpr.outvars]
    known_invars = [v for v, u in zip(jaxpr.invars, unknowns) if not u]
    known = Jaxpr(jaxpr.constvars, known_invars,
                  [v for v, u in zip(jaxpr.outvars, out_unknowns) if not u] + residuals,
                  [e for e in jaxpr.eqns if id(e) not in staged], jaxpr.debug_info)
    known, known_consts = dce_jaxpr(known, closed.consts)
    unknown_jaxpr = Jaxpr(
        [], residuals + [v for v, u in zip(jaxpr.invars, unknowns) if u],
        [v for v, u in zip(jaxpr.outvars, out_unknowns) if u],
        [e for e in jaxpr.eqns if id(e) in staged or id(e) in recomputed], jaxpr.debug_info)
    result = PartialJaxpr(ClosedJaxpr(known, known_consts), ClosedJaxpr(unknown_jaxpr, []),
                          out_unknowns, len(residuals))
    return _policy_cache.put(closed, key, result, known_consts)
