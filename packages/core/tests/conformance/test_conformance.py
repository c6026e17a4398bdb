"""The conformance kit over every core primitive: each has an abstract_eval and an impl rule,
appears in the coverage table, has examples (examples_*.py beside this file), and passes
``check_primitive`` on each of them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import kiln
from kiln import lax
from kiln.core import coverage, jit_p, primitives
from kiln.core.primitive import Primitive, all_primitives, get_rule
from kiln.core.primitives import collectives
from kiln.core.testing import check_primitive

HERE = Path(__file__).parent


def load_examples() -> list[tuple]:
    examples = []
    for path in sorted(HERE.glob("examples_*.py")):
        spec = importlib.util.spec_from_file_location(f"kiln_examples_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        examples.extend(module.EXAMPLES)
    closed = kiln.make_jaxpr(lambda x, y: lax.add(lax.sin(x), y))(
        np.ones(3, np.float32), np.float32(2))
    examples.append((jit_p, (np.arange(3, dtype=np.float32), np.float32(2)),
                     {"jaxpr": closed, "name": "f"}))
    return examples


EXAMPLES = load_examples()


def core_primitives() -> list[Primitive]:
    modules = [getattr(primitives, m) for m in primitives.__dict__
               if not m.startswith("_") and hasattr(getattr(primitives, m), "__file__")]
    found = {v for m in modules for v in vars(m).values() if isinstance(v, Primitive)}
    return sorted(found | {jit_p}, key=lambda p: p.name)


def example_id(example: tuple) -> str:
    prim, args, _ = example
    dts = ",".join(np.asarray(a).dtype.name for a in args)
    return f"{prim.name}({dts})"


@pytest.mark.parametrize("example", EXAMPLES, ids=[example_id(e) for e in EXAMPLES])
def test_check_primitive(example: tuple) -> None:
    prim, args, params = example
    report = check_primitive(prim, *args, only=["impl_vs_abstract_eval"], **params)
    assert report.passed == ["impl_vs_abstract_eval"], report


def test_every_core_primitive_has_rules_and_examples() -> None:
    # Collectives need a bound axis name; their tests bind one (test_collectives.py).
    covered = {prim for prim, _, _ in EXAMPLES} | set(collectives.NAMED_AXIS_PRIMITIVES)
    missing = [p.name for p in core_primitives() if p not in covered]
    assert not missing, f"core primitives without conformance examples: {missing}"
    for prim in core_primitives():
        assert get_rule("abstract_eval", prim) is not None, prim
        assert get_rule("impl", prim) is not None, prim


def test_coverage_table_lists_every_core_primitive() -> None:
    table = coverage.coverage()
    for prim in core_primitives():
        assert table[prim]["abstract_eval"] == "y" and table[prim]["impl"] == "y"
    text = coverage.format_table(table)
    assert all(p.name in text for p in core_primitives())
    assert set(core_primitives()) <= set(all_primitives)
