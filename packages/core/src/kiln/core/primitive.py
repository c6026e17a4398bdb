"""Primitives and the one registry of their rules: kiln's stable extension interface.

A :class:`Primitive` is a name plus rules, held here by *kind*:

==================  ===========================================================================
``abstract_eval``   ``rule(*avals, **params) -> aval`` (or a list when ``multiple_results``)
``impl``            ``rule(*numpy_arrays, **params) -> numpy array`` (the NumPy reference)
``jvp``             ``rule(primals, tangents, **params) -> (primals_out, tangents_out)``
``transpose``       ``rule(cotangents, *args, **params) -> cotangents for args``
``batch``           ``rule(args, dims, **params) -> (outs, out_dims)``
``decomposition``   ``rule(*args, **params) -> outs``, written with other primitives
``lower/<backend>`` backend-specific (see the backend's docs), optionally per platform
==================  ===========================================================================

Any package may register any kind of rule for any primitive; the package that consumes the
rule (autodiff, batching, a backend) looks it up here, so neither imports the other.
A primitive with a ``decomposition`` works everywhere before it has other rules:
transformations and backends without a specific rule trace through the decomposition.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiln.core import tracing

INTERFACE_VERSION = (1, 0)

RULE_KINDS = ("abstract_eval", "impl", "jvp", "transpose", "batch", "decomposition")

# kind -> {primitive: rule}. Consumers keep a reference to their table for fast lookups.
_rules: dict[str, dict[Primitive, Callable]] = {kind: {} for kind in RULE_KINDS}

# Every primitive ever created, in creation order (the coverage table lists them).
all_primitives: list[Primitive] = []


class Primitive:
    """An operation kiln can trace, transform and run. ``bind`` applies it under whatever
    transformation is current (or evaluates it, when none is)."""

    __slots__ = ("name", "multiple_results", "__weakref__")

    def __init__(self, name: str, multiple_results: bool = False):
        self.name = name
        self.multiple_results = multiple_results
        all_primitives.append(self)

    def bind(self, *args: Any, **params: Any) -> Any:
        return tracing.context.trace.process_primitive(self, args, params)

    def __repr__(self) -> str:
        return self.name

    # JAX-style spellings of the registration verbs, usable as decorators.
    def def_abstract_eval(self, rule: Callable) -> Callable:
        return register_abstract_eval(self, rule)

    def def_impl(self, rule: Callable) -> Callable:
        return register_impl(self, rule)

    def def_decomposition(self, rule: Callable) -> Callable:
        return register_decomposition(self, rule)


def rule_table(kind: str) -> dict[Primitive, Callable]:
    """The live ``{primitive: rule}`` dict of one rule kind (created on first use, so that
    packages can add kinds, e.g. ``"lower/xla"``)."""
    table = _rules.get(kind)
    if table is None:
        table = _rules[kind] = {}
    return table


def rule_kinds() -> list[str]:
    return list(_rules)


def get_rule(kind: str, prim: Primitive) -> Callable | None:
    table = _rules.get(kind)
    return None if table is None else table.get(prim)


def register_rule(kind: str, prim: Primitive, rule: Callable | None = None) -> Any:
    """Register ``rule`` as ``prim``'s rule of ``kind``; without ``rule``, a decorator."""
    if not isinstance(prim, Primitive):
        raise TypeError(f"register_rule expects a Primitive, got {prim!r}")

    def register(fn: Callable) -> Callable:
        rule_table(kind)[prim] = fn
        return fn

    return register if rule is None else register(rule)


def register_abstract_eval(prim: Primitive, rule: Callable | None = None) -> Any:
    """Shape and dtype rule: ``rule(*avals, **params) -> aval``."""
    return register_rule("abstract_eval", prim, rule)


def register_impl(prim: Primitive, rule: Callable | None = None) -> Any:
    """NumPy reference implementation: ``rule(*numpy_arrays, **params) -> numpy array``."""
    return register_rule("impl", prim, rule)


def register_jvp(prim: Primitive, rule: Callable | None = None) -> Any:
    """Forward-mode rule: ``rule(primals, tangents, **params) -> (primals_out, tangents_out)``."""
    return register_rule("jvp", prim, rule)


def register_transpose(prim: Primitive, rule: Callable | None = None) -> Any:
    """Transpose of a linear primitive: ``rule(cts, *args, **params) -> cts of args``."""
    return register_rule("transpose", prim, rule)


def register_batch(prim: Primitive, rule: Callable | None = None) -> Any:
    """Batching rule: ``rule(args, dims, **params) -> (outs, out_dims)``."""
    return register_rule("batch", prim, rule)


def register_decomposition(prim: Primitive, rule: Callable | None = None) -> Any:
    """Definition by other primitives: ``rule(*args, **params) -> outs``."""
    return register_rule("decomposition", prim, rule)


def lowering_kind(backend: str, platform: str | None = None) -> str:
    return f"lower/{backend}" if platform is None else f"lower/{backend}/{platform}"


def register_lowering(
    prim: Primitive, rule: Callable | None = None, *, backend: str, platform: str | None = None
) -> Any:
    """A backend's lowering of ``prim`` (its signature is the backend's), optionally for one
    platform of that backend only."""
    return register_rule(lowering_kind(backend, platform), prim, rule)


def get_lowering(prim: Primitive, backend: str, platform: str | None = None) -> Callable | None:
    if platform is not None:
        rule = get_rule(lowering_kind(backend, platform), prim)
        if rule is not None:
            return rule
    return get_rule(lowering_kind(backend), prim)


def abstract_eval(prim: Primitive, avals: Any, params: dict) -> Any:
    """Apply ``prim``'s shape rule, deriving it from its decomposition when it has none."""
    rule = _abstract_eval_rules.get(prim)
    if rule is not None:
        return rule(*avals, **params)
    decomposition = _decomposition_rules.get(prim)
    if decomposition is None:
        raise NotImplementedError(
            f"primitive {prim.name} has no abstract_eval rule and no decomposition; register "
            "one with kiln.core.register_abstract_eval"
        )
    from kiln.core.staging import abstract_eval_fun

    outs = abstract_eval_fun(lambda *xs: decomposition(*xs, **params), avals)
    return outs if prim.multiple_results else outs[0]


_abstract_eval_rules = rule_table("abstract_eval")
_decomposition_rules = rule_table("decomposition")
