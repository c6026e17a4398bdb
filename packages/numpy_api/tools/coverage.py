"""How much of JAX's NumPy API kiln-numpy implements and tests.

Two steps, in two interpreters (kiln never imports jax):

    # 1. record JAX's public names (run with a Python that has jax 0.10.2)
    /tmp/jaxenv/bin/python packages/numpy_api/tools/coverage.py record
    # 2. compare with kiln (run with kiln's dev venv)
    .venv/bin/python packages/numpy_api/tools/coverage.py report [--missing]

``record`` writes ``jax_names.json`` beside this file: for each module (jax.numpy,
jax.numpy.linalg, jax.nn, jax.scipy.special), its public names and what each is (function,
type, constant, module). ``report`` counts a name *implemented* when kiln's module has it
and it is not a placeholder that always raises NotImplementedError (``STUBS``), and *tested*
when a test under packages/numpy_api/tests names it as ``<alias>.<name>`` (jnp., nn.,
special./sp., linalg.), lists it in a ``"<name>"`` string of a parametrised table, or a
golden file's expression (tests/golden/jax_*.json, run by test_golden_values.py) uses it.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAMES_FILE = HERE / "jax_names.json"
TESTS = HERE.parent / "tests"
MODULES = {
    "jax.numpy": ("kiln.numpy", ("jnp",)),
    "jax.numpy.linalg": ("kiln.numpy.linalg", ("jnp.linalg", "linalg")),
    "jax.nn": ("kiln.nn", ("nn", "jax.nn")),
    "jax.scipy.special": ("kiln.scipy.special", ("special", "sp")),
}

# Names kiln defines only to raise NotImplementedError (they need core primitives kiln does
# not have yet); JAX's own always-raising functions (fromiter, fromfile) are not listed.
STUBS = {
    "jax.numpy": {"roots"},
}


def _kind(value: object) -> str:
    import types

    if isinstance(value, types.ModuleType):
        return "module"
    if isinstance(value, type):
        return "type"
    if callable(value):
        return "function"
    return "constant"


def record() -> None:
    out = {}
    for name in MODULES:
        module = importlib.import_module(name)
        out[name] = {n: _kind(getattr(module, n)) for n in sorted(dir(module))
                     if not n.startswith("_")}
    import jax

    out["version"] = jax.__version__
    NAMES_FILE.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {NAMES_FILE} (jax {jax.__version__})")


def _tested_names(aliases: tuple[str, ...]) -> set[str]:
    # The tests, and the expressions of the golden files that test_golden_values.py runs.
    text = "\n".join(p.read_text() for p in TESTS.glob("test_*.py"))
    for golden in (TESTS / "golden").glob("jax_*.json"):
        cases = json.loads(golden.read_text())["cases"]
        text += "\n".join(cases) + "\n"
        for table in cases.values():
            if isinstance(table, dict) and all(isinstance(k, str) for k in table):
                text += "\n".join(k for k in table if "jnp." in k)
    found = set()
    for alias in aliases:
        found |= set(re.findall(re.escape(alias) + r"\.([A-Za-z_][A-Za-z_0-9]*)", text))
    found |= set(re.findall(r"[\"']([A-Za-z_][A-Za-z_0-9]*)[\"']", text))
    return found


def report(show_missing: bool) -> dict:
    names = json.loads(NAMES_FILE.read_text())
    summary = {}
    total = [0, 0, 0]
    for jax_module, (kiln_module, aliases) in MODULES.items():
        module = importlib.import_module(kiln_module)
        wanted = names[jax_module]
        tested_anywhere = _tested_names(aliases)
        implemented, tested, missing, untested = [], [], [], []
        for name in wanted:
            if hasattr(module, name) and name not in STUBS.get(jax_module, ()):
                implemented.append(name)
                if name in tested_anywhere or wanted[name] == "module":
                    tested.append(name)
                else:
                    untested.append(name)
            else:
                missing.append(name)
        n = len(wanted)
        total[0] += n
        total[1] += len(implemented)
        total[2] += len(tested)
        summary[jax_module] = {"names": n, "implemented": len(implemented),
                               "tested": len(tested), "missing": missing,
                               "untested": untested}
        print(f"{jax_module:20s} {len(implemented):4d}/{n:<4d} implemented "
              f"({len(implemented) / n:6.1%}), {len(tested):4d}/{n:<4d} tested "
              f"({len(tested) / n:6.1%})")
        if show_missing:
            if missing:
                print(f"  missing:  {' '.join(missing)}")
            if untested:
                print(f"  untested: {' '.join(untested)}")
    print(f"{'all':20s} {total[1]:4d}/{total[0]:<4d} implemented ({total[1] / total[0]:6.1%}),"
          f" {total[2]:4d}/{total[0]:<4d} tested ({total[2] / total[0]:6.1%})")
    return summary


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "report"
    if command == "record":
        record()
    else:
        report("--missing" in sys.argv)
