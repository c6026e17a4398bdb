"""kiln-autodiff's conformance checks over every example of every core primitive
(packages/core/tests/conformance/examples_*.py): jvp rules against finite differences and
transpose rules by the dot-product identity, on the NumPy reference backend and, when
kiln-compiler is installed, on XLA's CPU backend."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import kiln.autodiff  # noqa: F401  (registers the rules and the checks)
from kiln.core.backend import available_platforms
from kiln.core.config import config, enable_x64
from kiln.core.testing import check_primitive

CONFORMANCE = Path(__file__).resolve().parents[2] / "core" / "tests" / "conformance"
CHECKS = ["jvp_vs_finite_differences", "transpose_dot_product"]

# Failures that are not autodiff's: the primitive itself misbehaves on these inputs.
# (backend or None for all, example id) -> why
KNOWN_ISSUES = {
    ("cpu", "gather(float32,int32)5"):
        "kiln-compiler's scatter-add of a scalar operand with empty index vectors fails XLA's "
        "HLO verifier (the transpose of this gather)",
    ("cpu", "gather(float64,int32)5"):
        "kiln-compiler's scatter-add of a scalar operand with empty index vectors fails XLA's "
        "HLO verifier (the transpose of this gather)",
}


def _load(attribute: str) -> list[tuple]:
    examples = []
    for path in sorted(CONFORMANCE.glob("examples_*.py")):
        spec = importlib.util.spec_from_file_location(f"kiln_autodiff_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        examples.extend(getattr(module, attribute, []))
    return examples


def _id(example: tuple) -> str:
    prim, args, _ = example
    return f"{prim.name}({','.join(np.asarray(a).dtype.name for a in args)})"


def _cases(examples: list[tuple]) -> list:
    ids = _unique([_id(e) for e in examples])
    return [pytest.param(e, id=name) for e, name in zip(examples, ids)]


def _unique(names: list[str]) -> list[str]:
    """pytest's ids: repeated names numbered from 0 in order."""
    counts = {n: names.count(n) for n in names}
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if counts[n] > 1:
            out.append(f"{n}{seen.setdefault(n, 0)}")
            seen[n] += 1
        else:
            out.append(n)
    return out


def _jit_examples() -> list[tuple]:
    """jit's call primitive, whose rules transform its body (as core's conformance test)."""
    import kiln
    from kiln import lax
    from kiln.core import jit_p

    x, y = np.arange(3, dtype=np.float32), np.float32(2)
    nonlinear = kiln.make_jaxpr(lambda x, y: lax.add(lax.sin(x), y))(x, y)
    linear = kiln.make_jaxpr(lambda x, y: lax.sub(lax.mul(x, 3.0), y))(x, y)
    return [(jit_p, (x, y), {"jaxpr": nonlinear, "name": "f"}),
            (jit_p, (x, y), {"jaxpr": linear, "name": "g"})]


EXAMPLES = _load("EXAMPLES") + _jit_examples()
EXAMPLES_X64 = _load("EXAMPLES_X64")
BACKENDS = ["numpy"] + (["cpu"] if "cpu" in available_platforms() else [])


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    with config.override("jax_platforms", request.param):
        yield request.param


def _check(example: tuple, backend: str, request: pytest.FixtureRequest) -> None:
    name = request.node.callspec.id.split("-", 1)[1]
    reason = KNOWN_ISSUES.get((backend, name)) or KNOWN_ISSUES.get((None, name))
    if reason is not None:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True))
    prim, args, params = example
    try:
        check_primitive(prim, *args, only=CHECKS, **params)
    except Exception as e:
        if backend != "numpy" and type(e).__name__ == "LoweringError":
            pytest.skip(f"the {backend} backend cannot run this yet: {e}")
        raise


@pytest.mark.parametrize("example", _cases(EXAMPLES))
def test_derivative_rules(example: tuple, backend: str, request: pytest.FixtureRequest) -> None:
    _check(example, backend, request)


@pytest.mark.parametrize("example", _cases(EXAMPLES_X64))
def test_derivative_rules_x64(example: tuple, backend: str,
                              request: pytest.FixtureRequest) -> None:
    with enable_x64():
        _check(example, backend, request)


# The checks skip where they do not apply; make sure they do apply where they should.
MUST_PASS = {"sin": ["jvp_vs_finite_differences"],
             "dot_general": CHECKS, "reduce_sum": CHECKS, "gather": CHECKS,
             "broadcast_in_dim": CHECKS, "cumsum": CHECKS, "jit": CHECKS}


@pytest.mark.parametrize("name", sorted(MUST_PASS))
def test_checks_apply_to_differentiable_float_examples(name):
    with config.override("jax_platforms", "numpy"):
        reports = [check_primitive(prim, *args, only=CHECKS, **params)
                   for prim, args, params in EXAMPLES
                   if prim.name == name and np.asarray(args[0]).dtype == np.float32]
    assert reports
    assert any(all(c in r.passed for c in MUST_PASS[name]) for r in reports), reports
