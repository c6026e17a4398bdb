"""Rules for jit's call primitive: differentiated without inlining its body.

- jvp: the body's jvp jaxpr, bound as a new jit (primals and nonzero tangents in);
- partial_eval: a *known* jit runs now and returns the residuals, an *unknown* jit that
  consumes them is staged (so ``grad(jit(f))`` runs one forward and one backward program);
- transpose: the transposed body, bound as a jit again.
"""

from __future__ import annotations

from typing import Any

from kiln.autodiff.jvp import jvp_jaxpr
from kiln.autodiff.partial_eval import partial_eval_jaxpr, register_partial_eval
from kiln.autodiff.transpose import is_undefined_primal, transpose_jaxpr
from kiln.autodiff.zeros import Zero, tangent_aval
from kiln.core import jit_p, register_jvp, register_transpose


def fill_zeros(values: list[Any], nonzeros: list[bool], avals: list[Any]) -> list[Any]:
    """Spread ``values`` over the positions marked in ``nonzeros``; ``Zero`` elsewhere."""
    it = iter(values)
    return [next(it) if nz else Zero(tangent_aval(a)) for a, nz in zip(avals, nonzeros)]


def merge(flags: list[bool], when_true: list[Any], when_false: list[Any]) -> list[Any]:
    t, f = iter(when_true), iter(when_false)
    return [next(t) if flag else next(f) for flag in flags]


@register_jvp(jit_p)
def _jit_jvp(primals: list, tangents: list, *, jaxpr: Any, **params: Any) -> tuple:
    nonzeros = [type(t) is not Zero for t in tangents]
    jvp_closed, out_nonzeros = jvp_jaxpr(jaxpr, nonzeros)
    outs = jit_p.bind(*primals, *[t for t in tangents if type(t) is not Zero],
                      jaxpr=jvp_closed, **params)
    n = len(jaxpr.out_avals)
    return outs[:n], fill_zeros(outs[n:], out_nonzeros, jaxpr.out_avals)


@register_partial_eval(jit_p)
def _jit_partial_eval(trace: Any, *args: Any, jaxpr: Any, **params: Any) -> list[Any]:
    unknowns = [trace.is_unknown(x) for x in args]
    split = partial_eval_jaxpr(jaxpr, unknowns)
    known_outs: list[Any] = []
    if split.known.out_avals:
        known_outs = trace.bind_known(jit_p, *[x for x, u in zip(args, unknowns) if not u],
                                      jaxpr=split.known, **params)
    n_known = len(known_outs) - split.num_res
    residuals = known_outs[n_known:]
    unknown_outs: list[Any] = []
    if split.unknown.out_avals:
        unknown_outs = trace.stage(
            jit_p, [*residuals, *[x for x, u in zip(args, unknowns) if u]],
            dict(params, jaxpr=split.unknown))
    return merge(split.out_unknowns, unknown_outs, known_outs[:n_known])


@register_transpose(jit_p)
def _jit_transpose(cts: list, *args: Any, jaxpr: Any, **params: Any) -> list[Any]:
    undefined = [is_undefined_primal(x) for x in args]
    ct_nonzeros = [type(ct) is not Zero for ct in cts]
    transposed, out_nonzeros = transpose_jaxpr(jaxpr, undefined, ct_nonzeros)
    outs: list[Any] = []
    if transposed.out_avals:
        outs = jit_p.bind(*[x for x, u in zip(args, undefined) if not u],
                          *[ct for ct in cts if type(ct) is not Zero],
                          jaxpr=transposed, **params)
    undefined_avals = [x.aval for x in args if is_undefined_primal(x)]
    cts_in = fill_zeros(outs, out_nonzeros, undefined_avals)
    return merge(undefined, cts_in, [None] * (len(args) - len(cts_in)))
