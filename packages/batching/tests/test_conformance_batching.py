"""The conformance kit's ``batch_vs_loop`` check over every example of every core primitive
(kiln-core's packages/core/tests/conformance/examples_*.py, loaded by path): vmap of the
primitive over several batch positions agrees with a Python loop."""

from __future__ import annotations

import importlib.util
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

import kiln
from kiln import lax
from kiln.batching.conformance import check_batch_vs_loop
from kiln.core import jit_p
from kiln.core.primitive import Primitive
from kiln.core.testing import ENTRY_POINT_GROUP, Skip, check_primitive

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "core" / "tests" / "conformance"

# Primitives with nothing to batch: no operands (iota), or a collective, which needs a bound
# axis name (test_collectives.py tests them under vmap).
SKIP_REASONS = ("no operands to batch", "collectives need a bound axis name")


def load_examples() -> list[tuple]:
    examples = []
    for path in sorted(EXAMPLES_DIR.glob("examples_*.py")):
        spec = importlib.util.spec_from_file_location(f"kiln_batching_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        examples.extend(module.EXAMPLES)
    closed = kiln.make_jaxpr(lambda x, y: lax.add(lax.sin(x), y))(
        np.ones(3, np.float32), np.float32(2))
    examples.append((jit_p, (np.arange(3, dtype=np.float32), np.float32(2)),
                     {"jaxpr": closed, "name": "f"}))
    return examples


EXAMPLES = load_examples()


def example_id(example: tuple) -> str:
    prim, args, _ = example
    dts = ",".join(np.asarray(a).dtype.name for a in args)
    return f"{prim.name}({dts})"


@pytest.mark.parametrize("example", EXAMPLES, ids=[example_id(e) for e in EXAMPLES])
def test_batch_vs_loop(example: tuple) -> None:
    # The check itself (check_primitive would also run every other installed package's).
    prim, args, params = example
    try:
        check_batch_vs_loop(prim, args, params)
    except Skip as e:
        assert str(e).startswith(SKIP_REASONS), e


def test_check_primitive_finds_the_check_through_the_entry_point() -> None:
    (ep,) = [ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)
             if ep.name == "batching"]
    assert ep.value == "kiln.batching.conformance"
    try:
        report = check_primitive(jit_p, *EXAMPLES[-1][1], only=["batch_vs_loop"],
                                 **EXAMPLES[-1][2])
    except ImportError as e:  # another package's entry point is broken
        pytest.skip(f"an installed kiln.conformance entry point fails to load: {e}")
    assert report.passed == ["batch_vs_loop"], report


def test_every_core_primitive_has_a_batching_rule() -> None:
    import kiln.batching  # noqa: F401  (registers the rules)
    from kiln.core import get_rule, primitives

    modules = [getattr(primitives, m) for m in vars(primitives)
               if not m.startswith("_") and hasattr(getattr(primitives, m), "__file__")]
    prims = {v for m in modules for v in vars(m).values() if isinstance(v, Primitive)}
    missing = sorted(p.name for p in prims | {jit_p} if get_rule("batch", p) is None)
    assert not missing, f"core primitives without a batching rule: {missing}"
