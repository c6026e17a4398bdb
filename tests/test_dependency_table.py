"""DESIGN.md's dependency table is law: each package imports only the kiln packages its row
names and the third-party distributions its pyproject declares; nothing imports jax, and only
kiln-compiler imports jaxlib."""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# folder -> (distribution, kiln modules it owns, kiln distributions it may import)
TABLE = {
    "pytree": ("kiln-pytree", ("kiln.tree_util", "kiln.tree"), ()),
    "core": ("kiln-core", ("kiln", "kiln.core", "kiln.lax", "kiln.errors", "kiln.dtypes"),
             ("kiln-pytree",)),
    "numpy_api": ("kiln-numpy", ("kiln.numpy", "kiln.nn", "kiln.scipy"), ("kiln-core",)),
    "autodiff": ("kiln-autodiff", ("kiln.autodiff",), ("kiln-core", "kiln-batching")),
    "batching": ("kiln-batching", ("kiln.batching",), ("kiln-core",)),
    "random": ("kiln-random", ("kiln.random",), ("kiln-core",)),
    "compiler": ("kiln-compiler", ("kiln.compiler",), ("kiln-core",)),
}
# Distributions whose import names differ from their distribution names.
IMPORT_NAMES = {"ml_dtypes": "ml_dtypes", "jaxlib": "jaxlib", "numpy": "numpy"}


def owner_of(module: str) -> str:
    """The distribution that provides ``module`` (a kiln module)."""
    best = ("", "")
    for dist, owned, _ in TABLE.values():
        for prefix in owned:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best[0]):
                best = (prefix, dist)
    return best[1]


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
    return found


def declared_requirements(folder: str) -> set[str]:
    meta = tomllib.loads((ROOT / "packages" / folder / "pyproject.toml").read_text())
    names = set()
    for req in meta["project"].get("dependencies", []):
        for sep in "=<>!~ ;[":
            req = req.split(sep)[0]
        names.add(req.strip().replace("-", "_").lower())
    return names


@pytest.mark.parametrize("folder", sorted(TABLE))
def test_pyproject_declares_exactly_the_table_row(folder: str) -> None:
    dist, _, allowed = TABLE[folder]
    meta = tomllib.loads((ROOT / "packages" / folder / "pyproject.toml").read_text())
    assert meta["project"]["name"] == dist
    kiln_deps = {d.replace("_", "-") for d in declared_requirements(folder)
                 if d.startswith("kiln")}
    assert kiln_deps == set(allowed)


@pytest.mark.parametrize("folder", sorted(TABLE))
def test_imports_follow_the_table(folder: str) -> None:
    dist, _, allowed = TABLE[folder]
    third_party = declared_requirements(folder)
    problems = []
    for path in sorted((ROOT / "packages" / folder / "src").rglob("*.py")):
        for line, module in imports_of(path):
            top = module.split(".")[0]
            where = f"{path.relative_to(ROOT)}:{line}: {module}"
            if top in ("jax",):
                problems.append(f"{where} (the product never imports jax)")
            elif top == "kiln":
                owner = owner_of(module.rsplit(".", 1)[0]) or owner_of(module)
                if owner not in (dist, *allowed):
                    problems.append(f"{where} (belongs to {owner}, not in {dist}'s row)")
            elif top in sys.stdlib_module_names or top == "__future__":
                continue
            elif top not in third_party:
                problems.append(f"{where} ({top} is not a declared dependency of {dist})")
    assert not problems, "\n".join(problems)


def test_only_the_compiler_imports_jaxlib() -> None:
    for folder in TABLE:
        if folder == "compiler":
            continue
        for path in (ROOT / "packages" / folder / "src").rglob("*.py"):
            assert not any(m.split(".")[0] == "jaxlib" for _, m in imports_of(path)), path


def test_no_package_ships_the_kiln_namespace_init_except_core() -> None:
    for folder in TABLE:
        init = ROOT / "packages" / folder / "src" / "kiln" / "__init__.py"
        assert init.exists() == (folder == "core"), init
