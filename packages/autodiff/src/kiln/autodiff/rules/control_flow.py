"""Differentiation rules of the control-flow primitives ``cond``, ``while`` and ``scan``:
their bodies are transformed as jaxprs, never inlined.

- **jvp**: each body's jvp jaxpr, bound as the same primitive over primals and nonzero
  tangents. A loop's carry tangent is nonzero if the initial one is or the body makes it so
  (a fixpoint), and zeros are instantiated where needed so the carry keeps its type.
- **partial_eval** (``linearize``/``vjp``): ``cond`` runs the known parts of its branches now
  (one ``cond``) and stages the rest (another), the branches' residuals merged by type;
  ``scan`` runs a known scan now whose extra outputs are the residuals, stacked per
  iteration (residuals that are known consts or ``xs`` are passed through, not stacked), and
  stages an unknown scan that consumes them; ``while`` runs its known carries now and stages
  the whole loop for the unknown ones (recomputing the known part, as JAX does).
- **transpose**: ``cond`` binds a ``cond`` of the transposed branches; ``scan`` runs the
  transposed body backwards (``reverse`` flipped), accumulating the cotangents of its
  linear consts in the carry; ``while`` cannot be transposed (JAX's ValueError: reverse
  mode needs ``scan`` or a ``fori_loop`` with static bounds).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kiln.autodiff.caching import JaxprCache
from kiln.autodiff.jvp import jvp_flat
from kiln.autodiff.partial_eval import (
    PartialEvalTrace,
    PartialJaxpr,
    dce_jaxpr,
    register_partial_eval,
)
from kiln.autodiff.rules.calls import fill_zeros, merge
from kiln.autodiff.transpose import UndefinedPrimal, backward_pass, is_undefined_primal
from kiln.autodiff.zeros import (
    Zero,
    add_tangents,
    float0,
    is_differentiable,
    tangent_aval,
    zeros_like_aval,
)
from kiln.core import register_jvp, register_transpose
from kiln.core.abstract import ShapedArray
from kiln.core.jaxpr import ClosedJaxpr, Jaxpr, Var, eval_jaxpr
from kiln.core.primitives.control_flow import (
    cond_p,
    dce,
    forwarded_inputs,
    hoist_tracer_consts,
    permute_invars,
    scan_p,
    split_list,
    stacked_aval,
    while_p,
    with_invars,
    with_outvars,
)
from kiln.core.staging import DebugInfo, trace_to_jaxpr
from kiln.core.tracing import Tracer, with_trace

# -- transforming bodies, with per-output instantiation -------------------------------------
# (kiln.autodiff's jvp_jaxpr, partial_eval_jaxpr and transpose_jaxpr instantiate all
# outputs or none; a branch or loop body needs to choose output by output.)

_jvp_cache = JaxprCache()
_partial_eval_cache = JaxprCache()
_transpose_cache = JaxprCache()


def _instantiate(t: Any, wanted: bool) -> Any:
    if wanted and type(t) is Zero and t.aval.dtype != float0:
        return zeros_like_aval(t.aval)
    return t


def jvp_body(closed: ClosedJaxpr, nonzeros: Sequence[bool],
             instantiate: Sequence[bool]) -> tuple[ClosedJaxpr, list[bool]]:
    """The jvp of ``closed``: primals, then the tangents of the inputs marked ``nonzeros``
    in; primal outputs, then the nonzero output tangents out (the returned flags), zeros
    instantiated for the outputs marked ``instantiate``."""
    key = (tuple(nonzeros), tuple(instantiate))
    hit = _jvp_cache.get(closed, key)
    if hit is not None:
        return hit
    n = len(closed.in_avals)
    found: list[bool] = []

    def jvp_fun(*args: Any) -> list[Any]:
        it = iter(args[n:])
        tangents = [next(it) if nz else Zero(tangent_aval(a))
                    for a, nz in zip(closed.in_avals, nonzeros)]
        outs, out_tangents = jvp_flat(
            lambda *xs: eval_jaxpr(closed.jaxpr, closed.consts, *xs), args[:n], tangents)
        out_tangents = [_instantiate(t, i) for t, i in zip(out_tangents, instantiate)]
        found[:] = [type(t) is not Zero for t in out_tangents]
        return [*outs, *(t for t in out_tangents if type(t) is not Zero)]

    avals = [*closed.in_avals,
             *(tangent_aval(a) for a, nz in zip(closed.in_avals, nonzeros) if nz)]
    jaxpr, consts = trace_to_jaxpr(jvp_fun, avals, DebugInfo("jvp", None, None))
    return _jvp_cache.put(closed, key, (ClosedJaxpr(jaxpr, consts), list(found)), consts)


def partial_eval_body(closed: ClosedJaxpr, unknowns: Sequence[bool],
                      instantiate: Sequence[bool]) -> PartialJaxpr:
    """``closed`` split by which inputs are unknown (kiln.autodiff's ``PartialJaxpr``),
    the outputs marked ``instantiate`` made unknown even when they are known."""
    key = (tuple(unknowns), tuple(instantiate))
    hit = _partial_eval_cache.get(closed, key)
    if hit is not None:
        return hit
    found: dict[str, Any] = {}

    def known_fun(*known_ins: Any) -> list[Any]:
        pe = PartialEvalTrace(DebugInfo("partial_eval", None, None))
        it = iter(known_ins)
        ins = [pe.new_arg(a) if u else next(it) for a, u in zip(closed.in_avals, unknowns)]
        try:
            outs = with_trace(pe, eval_jaxpr, closed.jaxpr, closed.consts, *ins)
            out_unknowns = [bool(i) or pe.is_unknown(x) for x, i in zip(outs, instantiate)]
            jaxpr, consts = pe.to_jaxpr([x for x, u in zip(outs, out_unknowns) if u])
        finally:
            pe.invalidate()
        jaxpr, consts = dce_jaxpr(jaxpr, consts)
        residuals = [(v, c) for v, c in zip(jaxpr.constvars, consts) if isinstance(c, Tracer)]
        kept = [(v, c) for v, c in zip(jaxpr.constvars, consts) if not isinstance(c, Tracer)]
        unknown = Jaxpr([v for v, _ in kept], [*(v for v, _ in residuals), *jaxpr.invars],
                        jaxpr.outvars, jaxpr.eqns, jaxpr.debug_info)
        found.update(unknown=ClosedJaxpr(unknown, [c for _, c in kept]),
                     out_unknowns=out_unknowns, num_res=len(residuals))
        return [*(x for x, u in zip(outs, out_unknowns) if not u), *(c for _, c in residuals)]

    known_avals = [a for a, u in zip(closed.in_avals, unknowns) if not u]
    jaxpr, consts = trace_to_jaxpr(known_fun, known_avals, DebugInfo("partial_eval", None, None))
    jaxpr, consts = dce_jaxpr(jaxpr, consts)
    result = PartialJaxpr(ClosedJaxpr(jaxpr, consts), found["unknown"], found["out_unknowns"],
                          found["num_res"])
    return _partial_eval_cache.put(closed, key, result, consts)


def transpose_body(closed: ClosedJaxpr, undefined: Sequence[bool], ct_nonzeros: Sequence[bool],
                   instantiate: Sequence[bool]) -> tuple[ClosedJaxpr, list[bool]]:
    """The transpose of ``closed`` with respect to its ``undefined`` inputs: the defined
    inputs, then the nonzero output cotangents in; the nonzero cotangents of the undefined
    inputs out (the returned flags, one per undefined input), zeros instantiated for those
    marked in ``instantiate`` (one per undefined input)."""
    key = (tuple(undefined), tuple(ct_nonzeros), tuple(instantiate))
    hit = _transpose_cache.get(closed, key)
    if hit is not None:
        return hit
    n_defined = sum(not u for u in undefined)
    found: list[bool] = []

    def transposed(*xs: Any) -> list[Any]:
        defined, cts = iter(xs[:n_defined]), iter(xs[n_defined:])
        args = [UndefinedPrimal(a) if u else next(defined)
                for a, u in zip(closed.in_avals, undefined)]
        cts_out = [next(cts) if nz else Zero(tangent_aval(a))
                   for a, nz in zip(closed.out_avals, ct_nonzeros)]
        cts_in = backward_pass(closed.jaxpr, closed.consts, args, cts_out)
        cts_in = [_instantiate(ct, i)
                  for ct, i in zip([c for c, u in zip(cts_in, undefined) if u], instantiate)]
        found[:] = [type(ct) is not Zero for ct in cts_in]
        return [ct for ct in cts_in if type(ct) is not Zero]

    avals = [a for a, u in zip(closed.in_avals, undefined) if not u]
    avals += [tangent_aval(a) for a, nz in zip(closed.out_avals, ct_nonzeros) if nz]
    jaxpr, consts = trace_to_jaxpr(transposed, avals, DebugInfo("transpose", None, None))
    return _transpose_cache.put(closed, key, (ClosedJaxpr(jaxpr, consts), list(found)), consts)


def _any(flag_lists: Sequence[Sequence[bool]]) -> list[bool]:
    return [any(flags) for flags in zip(*flag_lists)]


def _or(a: Sequence[bool], b: Sequence[bool]) -> list[bool]:
    return [x or y for x, y in zip(a, b)]


def _nonzero(ts: Sequence[Any]) -> list[Any]:
    return [t for t in ts if type(t) is not Zero]


def _bind_cond(index: Any, ops: Sequence[Any], branches: Sequence[ClosedJaxpr]) -> list[Any]:
    """``cond`` of ``branches``; consts of theirs that are tracers become operands."""
    hoisted = [hoist_tracer_consts(b) for b in branches]
    if not any(h for _, h in hoisted):
        return cond_p.bind(index, *ops, branches=tuple(branches))
    extra = [c for _, h in hoisted for c in h]
    new, offset = [], 0
    for closed, h in hoisted:
        avals = [ShapedArray(c.aval.shape, c.aval.dtype, c.aval.weak_type) for c in extra]
        invars = [*avals[:offset], *closed.jaxpr.invars[:len(h)], *avals[offset + len(h):],
                  *closed.jaxpr.invars[len(h):]]
        new.append(with_invars(closed, invars))
        offset += len(h)
    return cond_p.bind(index, *extra, *ops, branches=tuple(new))


def _bind_scan(consts: Sequence[Any], carry: Sequence[Any], xs: Sequence[Any],
               jaxpr: ClosedJaxpr, **params: Any) -> list[Any]:
    """``scan`` of ``jaxpr``; consts of the jaxpr that are tracers become leading consts."""
    jaxpr, hoisted = hoist_tracer_consts(jaxpr)
    return scan_p.bind(*hoisted, *consts, *carry, *xs, jaxpr=jaxpr,
                       num_consts=len(hoisted) + len(consts), num_carry=len(carry), **params)


# -- cond -----------------------------------------------------------------------------------


def _cond_jvp(primals: list, tangents: list, *, branches: Sequence[ClosedJaxpr]) -> tuple:
    index, *ops = primals
    nonzeros = [type(t) is not Zero for t in tangents[1:]]
    out_avals = branches[0].out_avals
    none = [False] * len(out_avals)
    out_nz = _any([jvp_body(b, nonzeros, none)[1] for b in branches])
    jvps = [jvp_body(b, nonzeros, out_nz)[0] for b in branches]
    outs = _bind_cond(index, [*ops, *_nonzero(tangents[1:])], jvps)
    n = len(out_avals)
    return outs[:n], fill_zeros(outs[n:], out_nz, out_avals)


def merge_residuals(per_branch: Sequence[Sequence[ShapedArray]],
                    ) -> tuple[list[ShapedArray], list[list[int]]]:
    """One list of residual slots for every branch: a branch's k-th residual of a type
    shares the slot of the other branches' k-th residual of that type. Returns the slots'
    avals and, per branch, the slot of each of its residuals."""
    slots: dict[tuple, int] = {}
    avals: list[ShapedArray] = []
    positions = []
    for residuals in per_branch:
        seen: dict[tuple, int] = {}
        mine = []
        for a in residuals:
            kind = (tuple(a.shape), a.dtype, a.weak_type)
            tag = (kind, seen.get(kind, 0))
            seen[kind] = tag[1] + 1
            if tag not in slots:
                slots[tag] = len(avals)
                avals.append(a)
            mine.append(slots[tag])
        positions.append(mine)
    return avals, positions


def _pad_known_outputs(known: ClosedJaxpr, n_outs: int, slots: list[ShapedArray],
                       mine: list[int]) -> ClosedJaxpr:
    """A branch's known jaxpr returning every residual slot (zeros in the others')."""
    def padded(*args: Any) -> list[Any]:
        outs = eval_jaxpr(known.jaxpr, known.consts, *args)
        res: list[Any] = [None] * len(slots)
        for slot, r in zip(mine, outs[n_outs:]):
            res[slot] = r
        return [*outs[:n_outs],
                *(zeros_like_aval(a) if r is None else r for a, r in zip(slots, res))]

    jaxpr, consts = trace_to_jaxpr(padded, known.in_avals)
    return ClosedJaxpr(jaxpr, consts)


def _cond_partial_eval(trace: Any, index: Any, *ops: Any,
                       branches: Sequence[ClosedJaxpr]) -> list[Any]:
    if trace.is_unknown(index):
        return trace.stage(cond_p, [index, *ops], {"branches": tuple(branches)})
    unknowns = [trace.is_unknown(x) for x in ops]
    none = [False] * len(branches[0].out_avals)
    out_unknowns = _any([partial_eval_body(b, unknowns, none).out_unknowns for b in branches])
    splits = [partial_eval_body(b, unknowns, out_unknowns) for b in branches]
    n_known = out_unknowns.count(False)
    slots, positions = merge_residuals([s.known.out_avals[n_known:] for s in splits])
    known_ops = [x for x, u in zip(ops, unknowns) if not u]
    unknown_ops = [x for x, u in zip(ops, unknowns) if u]
    known_outs: list[Any] = []
    if n_known or slots:
        known = [_pad_known_outputs(s.known, n_known, slots, mine)
                 for s, mine in zip(splits, positions)]
        known_outs = trace.bind_known(cond_p, index, *known_ops, branches=tuple(known))
    residuals = known_outs[n_known:]
    unknown_outs: list[Any] = []
    if any(out_unknowns):
        staged = []
        for s, mine in zip(splits, positions):
            own = dict(zip(mine, s.unknown.jaxpr.invars[:s.num_res]))
            invars = [own.get(k, a) for k, a in enumerate(slots)]
            staged.append(with_invars(s.unknown, [*invars, *s.unknown.jaxpr.invars[s.num_res:]]))
        unknown_outs = trace.stage(cond_p, [index, *residuals, *unknown_ops],
                                   {"branches": tuple(staged)})
    return merge(out_unknowns, unknown_outs, known_outs[:n_known])


def _cond_transpose(cts: list, index: Any, *ops: Any,
                    branches: Sequence[ClosedJaxpr]) -> list[Any]:
    if is_undefined_primal(index):
        raise ValueError("cond: cannot transpose with respect to the branch index")
    undefined = [is_undefined_primal(x) for x in ops]
    ct_nonzeros = [type(ct) is not Zero for ct in cts]
    none = [False] * sum(undefined)
    wanted = _any([transpose_body(b, undefined, ct_nonzeros, none)[1] for b in branches])
    wanted = [w and is_differentiable(x.aval)
              for w, x in zip(wanted, [x for x in ops if is_undefined_primal(x)])]
    outs: list[Any] = []
    if any(wanted):
        transposed = [transpose_body(b, undefined, ct_nonzeros, wanted)[0] for b in branches]
        outs = _bind_cond(index, [*(x for x in ops if not is_undefined_primal(x)),
                                  *_nonzero(cts)], transposed)
    undefined_avals = [x.aval for x in ops if is_undefined_primal(x)]
    cts_in = fill_zeros(outs, wanted, undefined_avals)
    return [None, *merge(undefined, cts_in, [None] * (len(ops) - len(cts_in)))]


register_jvp(cond_p, _cond_jvp)
register_partial_eval(cond_p, _cond_partial_eval)
register_transpose(cond_p, _cond_transpose)


# -- while ----------------------------------------------------------------------------------


def _while_jvp(primals: list, tangents: list, *, cond_jaxpr: ClosedJaxpr,
               body_jaxpr: ClosedJaxpr, cond_nconsts: int, body_nconsts: int) -> tuple:
    cond_consts, body_consts, init = split_list(primals, [cond_nconsts, body_nconsts])
    _, body_dots, init_dots = split_list(tangents, [cond_nconsts, body_nconsts])
    const_nz = [type(t) is not Zero for t in body_dots]
    carry_nz = [type(t) is not Zero for t in init_dots]
    n = len(init)
    for _ in range(n + 1):  # which carries have nonzero tangents: a fixpoint
        _, out_nz = jvp_body(body_jaxpr, const_nz + carry_nz, [False] * n)
        grown = _or(carry_nz, out_nz)
        if grown == carry_nz:
            break
        carry_nz = grown
    if not any(carry_nz):
        return while_p.bind(*primals, cond_jaxpr=cond_jaxpr, body_jaxpr=body_jaxpr,
                            cond_nconsts=cond_nconsts, body_nconsts=body_nconsts), \
            [Zero(tangent_aval(a)) for a in body_jaxpr.out_avals]
    body_jvp, _ = jvp_body(body_jaxpr, const_nz + carry_nz, carry_nz)
    # (consts, carry, const_dots, carry_dots) -> (consts, const_dots, carry, carry_dots)
    nb, dc, dk = body_nconsts, sum(const_nz), sum(carry_nz)
    order = [*range(nb), *range(nb + n, nb + n + dc), *range(nb, nb + n),
             *range(nb + n + dc, nb + n + dc + dk)]
    body_jvp = permute_invars(body_jvp, order)
    carry_dot_avals = [tangent_aval(a) for a, nz in zip(body_jaxpr.in_avals[nb:], carry_nz)
                       if nz]
    cond_jvp = with_invars(cond_jaxpr, [*cond_jaxpr.jaxpr.invars, *carry_dot_avals])
    body_jvp, hoisted = hoist_tracer_consts(body_jvp)
    dots = [_instantiate(t, nz) for t, nz in zip(init_dots, carry_nz) if nz]
    outs = while_p.bind(*cond_consts, *hoisted, *body_consts, *_nonzero(body_dots), *init,
                        *dots, cond_jaxpr=cond_jvp, body_jaxpr=body_jvp,
                        cond_nconsts=cond_nconsts,
                        body_nconsts=len(hoisted) + nb + dc)
    return outs[:n], fill_zeros(outs[n:], carry_nz, body_jaxpr.out_avals)


def _known_part(split: PartialJaxpr, n_outs: int) -> ClosedJaxpr:
    """The known jaxpr of ``split`` without its residual outputs."""
    known, _ = _dce_closed(split.known, [True] * n_outs + [False] * split.num_res)
    return known


def _dce_closed(closed: ClosedJaxpr, used: Sequence[bool]) -> tuple[ClosedJaxpr, list[bool]]:
    jaxpr, kept = dce(closed.jaxpr, used, [True] * len(closed.jaxpr.invars))
    live = set(jaxpr.constvars)
    consts = [c for v, c in zip(closed.jaxpr.constvars, closed.consts) if v in live]
    return ClosedJaxpr(jaxpr, consts), kept


def _while_partial_eval(trace: Any, *args: Any, cond_jaxpr: ClosedJaxpr,
                        body_jaxpr: ClosedJaxpr, cond_nconsts: int,
                        body_nconsts: int) -> list[Any]:
    params = {"cond_jaxpr": cond_jaxpr, "body_jaxpr": body_jaxpr,
              "cond_nconsts": cond_nconsts, "body_nconsts": body_nconsts}
    unknowns = [trace.is_unknown(x) for x in args]
    cond_uk, const_uk, carry_uk = split_list(unknowns, [cond_nconsts, body_nconsts])
    n = len(carry_uk)
    for _ in range(n + 1):
        grown = _or(carry_uk, partial_eval_body(body_jaxpr, const_uk + carry_uk,
                                                [False] * n).out_unknowns)
        if grown == carry_uk:
            break
        carry_uk = grown
    cond_split = partial_eval_body(cond_jaxpr, cond_uk + carry_uk, [False])
    if cond_split.out_unknowns[0] or all(carry_uk):
        return trace.stage(while_p, list(args), params)
    # The known carries run now; the unknown ones stage the whole loop (which recomputes
    # the known part).
    body_split = partial_eval_body(body_jaxpr, const_uk + carry_uk, carry_uk)
    n_known = carry_uk.count(False)
    cond_known = _known_part(cond_split, 1)
    body_known = _known_part(body_split, n_known)
    cond_consts, body_consts, init = split_list(args, [cond_nconsts, body_nconsts])
    known_outs = trace.bind_known(
        while_p, *(x for x, u in zip(cond_consts, cond_uk) if not u),
        *(x for x, u in zip(body_consts, const_uk) if not u),
        *(x for x, u in zip(init, carry_uk) if not u),
        cond_jaxpr=cond_known, body_jaxpr=body_known,
        cond_nconsts=cond_uk.count(False), body_nconsts=const_uk.count(False))
    staged = trace.stage(while_p, list(args), params)
    return merge(carry_uk, [x for x, u in zip(staged, carry_uk) if u], known_outs)


def _while_transpose(cts: Any, *args: Any, **params: Any) -> Any:
    raise ValueError("Reverse-mode differentiation does not work for lax.while_loop or "
                     "lax.fori_loop with dynamic start/stop values. Try using lax.scan, or "
                     "using fori_loop with static start/stop.")


register_jvp(while_p, _while_jvp)
register_partial_eval(while_p, _while_partial_eval)
register_transpose(while_p, _while_transpose)


# -- scan -----------------------------------------------------------------------------------


def _scan_jvp(primals: list, tangents: list, *, reverse: bool, length: int,
              jaxpr: ClosedJaxpr, num_consts: int, num_carry: int, unroll: int) -> tuple:
    nonzeros = [type(t) is not Zero for t in tangents]
    const_nz, carry_nz, xs_nz = split_list(nonzeros, [num_consts, num_carry])
    n_out = len(jaxpr.out_avals)
    for _ in range(num_carry + 1):  # which carries have nonzero tangents: a fixpoint
        _, out_nz = jvp_body(jaxpr, const_nz + carry_nz + xs_nz, [False] * n_out)
        grown = _or(carry_nz, out_nz[:num_carry])
        if grown == carry_nz:
            break
        carry_nz = grown
    body, out_nz = jvp_body(jaxpr, const_nz + carry_nz + xs_nz,
                            carry_nz + [False] * (n_out - num_carry))
    ys_nz = out_nz[num_carry:]
    nc, nk, nx = num_consts, num_carry, len(xs_nz)
    dc, dk, dx = sum(const_nz), sum(carry_nz), sum(xs_nz)
    # (consts, carry, xs, dots...) -> (consts, const_dots, carry, carry_dots, xs, xs_dots)
    t = nc + nk + nx
    order = [*range(nc), *range(t, t + dc), *range(nc, nc + nk), *range(t + dc, t + dc + dk),
             *range(nc + nk, t), *range(t + dc + dk, t + dc + dk + dx)]
    body = permute_invars(body, order)
    n_ys = n_out - nk
    dy = sum(ys_nz)
    # (carry, ys, carry_dots, ys_dots) -> (carry, carry_dots, ys, ys_dots)
    body = with_outvars(body, [*range(nk), *range(n_out, n_out + dk), *range(nk, nk + n_ys),
                               *range(n_out + dk, n_out + dk + dy)])
    consts, init, xs = split_list(primals, [num_consts, num_carry])
    const_dots, init_dots, xs_dots = split_list(tangents, [num_consts, num_carry])
    init_dots = [_instantiate(d, nz) for d, nz in zip(init_dots, carry_nz) if nz]
    outs = _bind_scan([*consts, *_nonzero(const_dots)], [*init, *init_dots],
                      [*xs, *_nonzero(xs_dots)], body, reverse=reverse, length=length,
                      unroll=unroll)
    carry, carry_dots, ys, ys_dots = split_list(outs, [nk, dk, n_ys])
    carry_avals, ys_avals = split_list(jaxpr.out_avals, [nk])
    ys_avals = [stacked_aval(length, a) for a in ys_avals]
    return [*carry, *ys], [*fill_zeros(carry_dots, carry_nz, carry_avals),
                           *fill_zeros(ys_dots, ys_nz, ys_avals)]


def _scan_partial_eval(trace: Any, *args: Any, reverse: bool, length: int, jaxpr: ClosedJaxpr,
                       num_consts: int, num_carry: int, unroll: int) -> list[Any]:
    unknowns = [trace.is_unknown(x) for x in args]
    const_uk, carry_uk, xs_uk = split_list(unknowns, [num_consts, num_carry])
    n_out = len(jaxpr.out_avals)
    for _ in range(num_carry + 1):  # which carries are unknown: a fixpoint
        split = partial_eval_body(jaxpr, const_uk + carry_uk + xs_uk, [False] * n_out)
        grown = _or(carry_uk, split.out_unknowns[:num_carry])
        if grown == carry_uk:
            break
        carry_uk = grown
    split = partial_eval_body(jaxpr, const_uk + carry_uk + xs_uk,
                              carry_uk + [False] * (n_out - num_carry))
    consts, init, xs = split_list(args, [num_consts, num_carry])
    k_consts = [x for x, u in zip(consts, const_uk) if not u]
    k_init = [x for x, u in zip(init, carry_uk) if not u]
    k_xs = [x for x, u in zip(xs, xs_uk) if not u]
    n_kc, n_kk = len(k_consts), len(k_init)
    n_known_outs = split.out_unknowns.count(False)
    # Residuals that are known consts or xs are passed to the unknown scan as they are; the
    # others are extra (stacked) outputs of the known scan.
    known = split.known
    forward = forwarded_inputs(known.jaxpr)[n_known_outs:]
    res_kind = []
    for f in forward:
        if f is not None and f < n_kc:
            res_kind.append(("const", k_consts[f]))
        elif f is not None and f >= n_kc + n_kk:
            res_kind.append(("xs", k_xs[f - n_kc - n_kk]))
        else:
            res_kind.append(("stacked", None))
    stacked = [kind == "stacked" for kind, _ in res_kind]
    known = with_outvars(known, [*range(n_known_outs),
                                 *(n_known_outs + i for i, s in enumerate(stacked) if s)])
    params = {"reverse": reverse, "length": length, "unroll": unroll}
    known_outs: list[Any] = []
    if known.out_avals:
        known, _ = _dce_closed(known, [True] * len(known.out_avals))
        known_outs = trace.bind_known(scan_p, *k_consts, *k_init, *k_xs, jaxpr=known,
                                      num_consts=n_kc, num_carry=n_kk, **params)
    known_carry, known_ys, res_stacked = split_list(
        known_outs, [n_kk, n_known_outs - n_kk])
    if not any(split.out_unknowns):
        return merge(split.out_unknowns, [], [*known_carry, *known_ys])
    # The unknown scan: (const residuals, unknown consts; unknown carries; stacked
    # residuals, xs residuals, unknown xs).
    unknown = split.unknown
    res_vars = unknown.jaxpr.invars[:split.num_res]
    u_consts, u_carry, u_xs = split_list(unknown.jaxpr.invars[split.num_res:],
                                         [const_uk.count(True), carry_uk.count(True)])
    by_kind = {k: [(v, val) for v, (kind, val) in zip(res_vars, res_kind) if kind == k]
               for k in ("const", "stacked", "xs")}
    body = with_invars(unknown, [*(v for v, _ in by_kind["const"]), *u_consts, *u_carry,
                                 *(v for v, _ in by_kind["stacked"]),
                                 *(v for v, _ in by_kind["xs"]), *u_xs])
    staged_consts = [*(val for _, val in by_kind["const"]),
                     *(x for x, u in zip(consts, const_uk) if u)]
    staged_carry = [x for x, u in zip(init, carry_uk) if u]
    staged_xs = [*res_stacked, *(val for _, val in by_kind["xs"]),
                 *(x for x, u in zip(xs, xs_uk) if u)]
    body, hoisted = hoist_tracer_consts(body)
    unknown_outs = trace.stage(
        scan_p, [*hoisted, *staged_consts, *staged_carry, *staged_xs],
        dict(params, jaxpr=body, num_consts=len(hoisted) + len(staged_consts),
             num_carry=len(staged_carry)))
    return merge(split.out_unknowns, unknown_outs, [*known_carry, *known_ys])


def _depends_on(jaxpr: Jaxpr, marked: Sequence[bool]) -> list[bool]:
    """Which outputs of ``jaxpr`` depend on its inputs marked in ``marked``."""
    dependent = {v for v, m in zip(jaxpr.invars, marked) if m}
    for eqn in jaxpr.eqns:
        if any(type(a) is Var and a in dependent for a in eqn.invars):
            dependent.update(eqn.outvars)
    return [type(v) is Var and v in dependent for v in jaxpr.outvars]


def _scan_transpose(cts: list, *args: Any, reverse: bool, length: int, jaxpr: ClosedJaxpr,
                    num_consts: int, num_carry: int, unroll: int) -> list[Any]:
    consts, init, xs = split_list(args, [num_consts, num_carry])
    const_lin = [is_undefined_primal(x) for x in consts]
    xs_lin = [is_undefined_primal(x) for x in xs]
    carry_lin = [is_undefined_primal(x) for x in init]
    for _ in range(num_carry + 1):  # carries that depend on linear inputs are linear
        grown = _or(carry_lin, _depends_on(jaxpr.jaxpr, const_lin + carry_lin + xs_lin))
        if grown == carry_lin:
            break
        carry_lin = grown
    ys_lin = _depends_on(jaxpr.jaxpr, const_lin + carry_lin + xs_lin)[num_carry:]
    ct_carry, ct_ys = split_list(cts, [num_carry])
    ys_ct_nz = [type(ct) is not Zero and lin for ct, lin in zip(ct_ys, ys_lin)]
    res_consts = [x for x in consts if not is_undefined_primal(x)]
    res_xs = [x for x in xs if not is_undefined_primal(x)]
    params = {"length": length, "unroll": unroll}
    # Carries that stay nonlinear (a loop counter...) are needed at every iteration: a
    # forward scan computes them first.
    nonlinear_values: list[Any] = []
    if not all(carry_lin):
        forward = _nonlinear_carry_scan(jaxpr, num_consts, num_carry, const_lin, carry_lin,
                                        xs_lin)
        outs = _bind_scan(res_consts, [x for x, lin in zip(init, carry_lin) if not lin],
                          res_xs, forward, reverse=reverse, **params)
        nonlinear_values = outs[carry_lin.count(False):]
    body = _transposed_scan_body(jaxpr, num_consts, num_carry, const_lin, carry_lin, xs_lin,
                                 ys_ct_nz)
    lin_const_avals = [x.aval for x in consts if is_undefined_primal(x)]
    acc = [zeros_like_aval(tangent_aval(a)) for a in lin_const_avals]
    carry_avals = jaxpr.in_avals[num_consts:num_consts + num_carry]
    ct_init = [zeros_like_aval(tangent_aval(a)) if type(ct) is Zero else ct
               for ct, a, lin in zip(ct_carry, carry_avals, carry_lin) if lin]
    outs = _bind_scan(res_consts, [*acc, *ct_init],
                      [*(ct for ct, nz in zip(ct_ys, ys_ct_nz) if nz), *res_xs,
                       *nonlinear_values], body, reverse=not reverse, **params)
    ct_consts, ct_carry_in, ct_xs = split_list(outs, [len(acc), len(ct_init)])
    it_consts, it_carry, it_xs = iter(ct_consts), iter(ct_carry_in), iter(ct_xs)
    result: list[Any] = [next(it_consts) if lin else None for lin in const_lin]
    for x, lin in zip(init, carry_lin):
        ct = next(it_carry) if lin else None
        result.append(ct if is_undefined_primal(x) else None)
    result += [next(it_xs) if lin else None for lin in xs_lin]
    return result


_transposed_body_cache = JaxprCache()


def _transposed_scan_body(jaxpr: ClosedJaxpr, num_consts: int, num_carry: int,
                          const_lin: list[bool], carry_lin: list[bool], xs_lin: list[bool],
                          ys_ct_nz: list[bool]) -> ClosedJaxpr:
    """The body of the backward scan: (defined consts; cotangent accumulators of the linear
    consts, cotangents of the linear carries; cotangents of the ys, defined xs, nonlinear
    carries) -> (accumulators, carry cotangents; cotangents of the linear xs)."""
    key = (tuple(const_lin), tuple(carry_lin), tuple(xs_lin), tuple(ys_ct_nz))
    hit = _transposed_body_cache.get(jaxpr, key)
    if hit is not None:
        return hit
    const_avals, carry_avals, x_avals = split_list(jaxpr.in_avals, [num_consts, num_carry])
    y_avals = jaxpr.out_avals[num_carry:]
    res_const_avals = [a for a, lin in zip(const_avals, const_lin) if not lin]
    acc_avals = [tangent_aval(a) for a, lin in zip(const_avals, const_lin) if lin]
    ct_carry_avals = [tangent_aval(a) for a, lin in zip(carry_avals, carry_lin) if lin]
    ct_y_avals = [tangent_aval(a) for a, nz in zip(y_avals, ys_ct_nz) if nz]
    res_x_avals = [a for a, lin in zip(x_avals, xs_lin) if not lin]
    nonlinear_avals = [a for a, lin in zip(carry_avals, carry_lin) if not lin]
    sizes = [len(res_const_avals), len(acc_avals), len(ct_carry_avals), len(ct_y_avals),
             len(res_x_avals)]

    def body(*args: Any) -> list[Any]:
        res_c, acc, ct_c, ct_y, res_x, nonlinear = split_list(args, sizes)
        res_c, ct_c, ct_y, res_x, nonlinear = map(iter, (res_c, ct_c, ct_y, res_x, nonlinear))
        primals = [UndefinedPrimal(a) if lin else next(res_c)
                   for a, lin in zip(const_avals, const_lin)]
        primals += [UndefinedPrimal(a) if lin else next(nonlinear)
                    for a, lin in zip(carry_avals, carry_lin)]
        primals += [UndefinedPrimal(a) if lin else next(res_x)
                    for a, lin in zip(x_avals, xs_lin)]
        cts_out = [next(ct_c) if lin else Zero(tangent_aval(a))
                   for a, lin in zip(jaxpr.out_avals[:num_carry], carry_lin)]
        cts_out += [next(ct_y) if nz else Zero(tangent_aval(a))
                    for a, nz in zip(y_avals, ys_ct_nz)]
        cts_in = backward_pass(jaxpr.jaxpr, jaxpr.consts, primals, cts_out)
        ct_consts, ct_carry, ct_xs = split_list(cts_in, [num_consts, num_carry])
        new_acc = [_instantiate(add_tangents(a, ct), True)
                   for a, ct in zip(acc, [c for c, lin in zip(ct_consts, const_lin) if lin])]
        carry_out = [_instantiate(ct, True) for ct, lin in zip(ct_carry, carry_lin) if lin]
        xs_out = [_instantiate(ct, True) for ct, lin in zip(ct_xs, xs_lin) if lin]
        return [*new_acc, *carry_out, *xs_out]

    in_avals = [*res_const_avals, *acc_avals, *ct_carry_avals, *ct_y_avals, *res_x_avals,
                *nonlinear_avals]
    traced, consts = trace_to_jaxpr(body, in_avals, DebugInfo("transpose", None, None))
    return _transposed_body_cache.put(jaxpr, key, ClosedJaxpr(traced, consts), consts)


def _nonlinear_carry_scan(jaxpr: ClosedJaxpr, num_consts: int, num_carry: int,
                          const_lin: list[bool], carry_lin: list[bool],
                          xs_lin: list[bool]) -> ClosedJaxpr:
    """A scan body computing only the nonlinear carries (from the defined consts and xs),
    whose ys are the nonlinear carries each iteration starts from."""
    carry_out = [not lin for lin in carry_lin]
    used = carry_out + [False] * (len(jaxpr.out_avals) - num_carry)
    pruned, _ = dce(jaxpr.jaxpr, used, [True] * len(jaxpr.jaxpr.invars))
    consts_v, carry_v, xs_v = split_list(pruned.invars, [num_consts, num_carry])
    nonlinear = [v for v, lin in zip(carry_v, carry_lin) if not lin]
    invars = [*(v for v, lin in zip(consts_v, const_lin) if not lin), *nonlinear,
              *(v for v, lin in zip(xs_v, xs_lin) if not lin)]
    live = set(pruned.constvars)
    consts = [c for v, c in zip(jaxpr.jaxpr.constvars, jaxpr.consts) if v in live]
    body = Jaxpr(pruned.constvars, invars, [*pruned.outvars, *nonlinear], pruned.eqns,
                 pruned.debug_info)
    return ClosedJaxpr(body, consts)


register_jvp(scan_p, _scan_jvp)
register_partial_eval(scan_p, _scan_partial_eval)
register_transpose(scan_p, _scan_transpose)

__all__ = ["jvp_body", "merge_residuals", "partial_eval_body", "transpose_body"]
