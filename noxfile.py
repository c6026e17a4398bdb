"""kiln's automation: the test suite, each package alone, lint, and JAX as an oracle.

    nox -s tests          # the whole suite (what CI runs): default backend, then NumPy's
    nox -s tests_numpy    # the whole suite with the NumPy reference backend forced only
    nox -s pick           # each package alone, with only its declared dependencies
    nox -s lint           # ruff
    nox -s oracle         # differential tests against JAX 0.10.2 (in its own virtualenv)
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PACKAGES = ["pytree", "core", "numpy_api", "autodiff", "batching", "random", "compiler"]
TEST_TOOLS = ["pytest>=8", "hypothesis>=6.100"]
JAX_VERSION = "0.10.2"  # the oracle is pinned to the jaxlib kiln-compiler uses

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True


def _distribution(folder: str) -> tuple[str, list[str]]:
    meta = tomllib.loads((ROOT / "packages" / folder / "pyproject.toml").read_text())["project"]
    return meta["name"], meta.get("dependencies", [])


def _folder_of(distribution: str) -> str | None:
    for folder in PACKAGES:
        if _distribution(folder)[0] == distribution:
            return folder
    return None


def _with_kiln_dependencies(folder: str) -> list[str]:
    """``folder`` and the folders of the kiln distributions it needs, dependencies first."""
    order: list[str] = []

    def visit(f: str) -> None:
        for requirement in _distribution(f)[1]:
            dep = _folder_of(requirement.split("=")[0].split(">")[0].split("<")[0].strip())
            if dep is not None and dep not in order:
                visit(dep)
        if f not in order:
            order.append(f)

    visit(folder)
    return order


def _install_all(session: nox.Session) -> None:
    session.install(*TEST_TOOLS)
    session.install(*[f"-e./packages/{p}" for p in PACKAGES])


@nox.session
def tests(session: nox.Session) -> None:
    """The whole suite on the default backend (XLA), then again with the NumPy reference
    backend forced (JAX_PLATFORMS=numpy)."""
    _install_all(session)
    session.run("pytest", "-p", "no:cacheprovider", *session.posargs)
    session.run("pytest", "-p", "no:cacheprovider", *session.posargs,
                env={"JAX_PLATFORMS": "numpy"})


@nox.session
def tests_numpy(session: nox.Session) -> None:
    """The whole suite with the NumPy reference backend forced (JAX_PLATFORMS=numpy) only."""
    _install_all(session)
    session.run("pytest", "-p", "no:cacheprovider", *session.posargs,
                env={"JAX_PLATFORMS": "numpy"})


@nox.session(reuse_venv=False)
@nox.parametrize("package", PACKAGES)
def pick(session: nox.Session, package: str) -> None:
    """One package alone, in a fresh venv with only its declared dependencies: build and
    install it (not editable), import it, run its own tests."""
    session.install(*TEST_TOOLS)
    session.install(*[f"./packages/{p}" for p in _with_kiln_dependencies(package)])
    module = {"numpy_api": "kiln.numpy", "pytree": "kiln.tree_util"}.get(
        package, f"kiln.{package}")
    session.run("python", "-c", f"import {module}")
    session.run("pytest", "-p", "no:cacheprovider", f"packages/{package}/tests",
                *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")


@nox.session
def oracle(session: nox.Session) -> None:
    """Differential tests against JAX. JAX lives in a virtualenv of its own: when jax is
    importable, jaxlib attaches JAX's behaviour to its objects, which would hide what kiln
    lacks. Tests reach it through KILN_ORACLE_PYTHON."""
    _install_all(session)
    jax_env = Path(session.virtualenv.location).parent / "oracle-jax"
    if not (jax_env / "bin" / "python").exists():
        session.run("python", "-m", "venv", str(jax_env), external=True)
    jax_python = str(jax_env / "bin" / "python")
    session.run(jax_python, "-m", "pip", "install", "-q", f"jax=={JAX_VERSION}",
                f"jaxlib=={JAX_VERSION}", external=True)
    session.run("pytest", "-p", "no:cacheprovider", "-m", "oracle", *session.posargs,
                env={"KILN_ORACLE_PYTHON": jax_python})


@nox.session
def benchmarks(session: nox.Session) -> None:
    """The benchmark suite: kiln here, JAX in its own virtualenv, NumPy; prints ratios."""
    _install_all(session)
    jax_env = Path(session.virtualenv.location).parent / "oracle-jax"
    if not (jax_env / "bin" / "python").exists():
        session.run("python", "-m", "venv", str(jax_env), external=True)
        session.run(str(jax_env / "bin" / "python"), "-m", "pip", "install", "-q",
                    f"jax=={JAX_VERSION}", f"jaxlib=={JAX_VERSION}", external=True)
    session.run("python", "benchmarks/run.py", "--jax-python",
                str(jax_env / "bin" / "python"), *session.posargs,
                env={"PYTHONPATH": os.fspath(ROOT)})
