"""The conformance kit's ``xla_lowering_vs_impl`` check over every example of kiln-core's
conformance suite (packages/core/tests/conformance/examples_*.py, loaded by path): the XLA
result of each core primitive agrees with its NumPy impl. A primitive whose examples do not
exist yet is skipped; one with examples but no xla lowering fails."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from kiln.core import jit_p, primitives
from kiln.core.backend import get_backend
from kiln.core.primitive import Primitive
from kiln.core.testing import check_primitive

CONFORMANCE = Path(__file__).resolve().parents[2] / "core" / "tests" / "conformance"
CHECK = "xla_lowering_vs_impl"


def load_examples() -> list[tuple]:
    examples = []
    for path in sorted(CONFORMANCE.glob("examples_*.py")):
        spec = importlib.util.spec_from_file_location(f"kiln_xla_examples_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        examples.extend(module.EXAMPLES)
    return examples


EXAMPLES = load_examples()


def core_primitives() -> list[Primitive]:
    found = {jit_p}
    for name in dir(primitives):
        module = getattr(primitives, name)
        if getattr(module, "__name__", "").startswith("kiln.core.primitives."):
            found |= {v for v in vars(module).values() if isinstance(v, Primitive)}
    return sorted(found, key=lambda p: p.name)


def example_id(example: tuple) -> str:
    prim, args, _ = example
    dts = ",".join(np.asarray(a).dtype.name for a in args)
    return f"{prim.name}({dts})"


def _ids(examples: list[tuple]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for e in examples:
        name = example_id(e)
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return out


@pytest.mark.parametrize("example", EXAMPLES, ids=_ids(EXAMPLES))
def test_xla_agrees_with_impl(example: tuple) -> None:
    prim, args, params = example
    report = check_primitive(prim, *args, only=[CHECK], **params)
    assert report.passed == [CHECK], report


@pytest.mark.parametrize("prim", core_primitives(), ids=lambda p: p.name)
def test_every_core_primitive_with_examples_lowers(prim: Primitive) -> None:
    if not any(p is prim for p, _, _ in EXAMPLES) and prim is not jit_p:
        pytest.skip(f"no conformance examples for {prim.name} yet")
    assert get_backend("cpu").supports(prim), f"{prim.name} has no xla lowering"


def test_jit_call_primitive() -> None:
    import kiln
    from kiln import lax

    closed = kiln.make_jaxpr(lambda x, y: lax.add(lax.sin(x), y))(
        np.ones(3, np.float32), np.float32(2))
    args = (np.arange(3, dtype=np.float32), np.float32(2))
    report = check_primitive(jit_p, *args, only=[CHECK], jaxpr=closed, name="f")
    assert report.passed == [CHECK], report
