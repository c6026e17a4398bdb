"""The conformance kit: ``check_primitive`` checks a primitive's rules against each other.

kiln-core's own check compares the ``impl`` rule with the ``abstract_eval`` rule (shape,
dtype, and weak type of the result). Other packages add checks for the rules they consume:
kiln-autodiff (jvp against finite differences, transpose by the dot-product identity),
kiln-batching (batch rule against a loop), backends (lowering against impl). They register
them through the ``kiln.conformance`` entry-point group (or :func:`register_check`), so this
module never imports them.

    >>> from kiln.core.testing import check_primitive
    >>> check_primitive(my_prim, np.ones(3, np.float32), axis=0)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import numpy as np

from kiln.core.abstract import ShapedArray, get_aval
from kiln.core.primitive import Primitive, abstract_eval, get_rule
from kiln.core.reference import impl_of, to_numpy

ENTRY_POINT_GROUP = "kiln.conformance"


@dataclass
class CheckReport:
    primitive: str
    passed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        skipped = ", ".join(f"{k} ({v})" for k, v in self.skipped.items())
        return (f"CheckReport({self.primitive}: passed {self.passed}"
                + (f"; skipped {skipped}" if skipped else "") + ")")


class Skip(Exception):
    """Raised by a check that does not apply (e.g. a jvp check on an integer primitive)."""


# name -> check(prim, args, params, report) raising AssertionError on failure, Skip if n/a
_checks: dict[str, Callable[[Primitive, Sequence[Any], dict], None]] = {}
_loaded_entry_points = False


def register_check(name: str, check: Callable[[Primitive, Sequence[Any], dict], None]) -> None:
    """Add a check to the kit: ``check(prim, args, params)`` raises AssertionError when the
    rules disagree and :class:`Skip` when the check does not apply."""
    _checks[name] = check


def _load_checks() -> None:
    global _loaded_entry_points
    if _loaded_entry_points:
        return
    _loaded_entry_points = True
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        ep.load()  # registering is the import's side effect


def check_primitive(prim: Primitive, *args: Any, only: Sequence[str] | None = None,
                    **params: Any) -> CheckReport:
    """Check ``prim``'s rules against each other on ``args`` (NumPy arrays or scalars) and
    ``params``. Raises AssertionError naming the rule that disagrees; returns a report of the
    checks that passed and those that did not apply."""
    _load_checks()
    report = CheckReport(prim.name)
    for name, check in _checks.items():
        if only is not None and name not in only:
            continue
        try:
            check(prim, args, params)
        except Skip as e:
            report.skipped[name] = str(e) or "not applicable"
        else:
            report.passed.append(name)
    return report


def as_list(out: Any, prim: Primitive) -> list[Any]:
    return list(out) if prim.multiple_results else [out]


def _check_impl_matches_abstract_eval(prim: Primitive, args: Sequence[Any], params: dict) -> None:
    if get_rule("impl", prim) is None and get_rule("decomposition", prim) is None:
        raise Skip("no impl rule")
    in_avals = [get_aval(a) for a in args]
    expected = as_list(abstract_eval(prim, in_avals, params), prim)
    values = [to_numpy(a, aval) for a, aval in zip(args, in_avals)]
    got = as_list(impl_of(prim, in_avals, params)(*values, **params), prim)
    assert len(got) == len(expected), (
        f"{prim.name}: impl returned {len(got)} outputs, abstract_eval says {len(expected)}")
    for i, (value, aval) in enumerate(zip(got, expected)):
        value = np.asarray(value)
        assert isinstance(aval, ShapedArray), f"{prim.name}: abstract_eval returned {aval!r}"
        assert value.shape == aval.shape, (
            f"{prim.name} output {i}: impl gave shape {value.shape}, abstract_eval {aval.shape}")
        assert value.dtype == aval.dtype, (
            f"{prim.name} output {i}: impl gave dtype {value.dtype}, abstract_eval {aval.dtype}")


register_check("impl_vs_abstract_eval", _check_impl_matches_abstract_eval)
