"""Ahead-of-time compilation: ``jit(f).lower(*args)`` returns :class:`Lowered`, whose
``compile()`` returns :class:`Compiled`, as in JAX."""

from __future__ import annotations

from typing import Any

from kiln.compiler import jaxlib_api as api
from kiln.compiler.executable import Runner, make_callable
from kiln.compiler.lowering import LoweredModule
from kiln.core.abstract import get_aval
from kiln.core.jaxpr import ClosedJaxpr
from kiln.core.pytree import tree_flatten


class Lowered:
    """A jitted function lowered to StableHLO for given argument types, not yet compiled."""

    def __init__(self, backend: Any, closed: ClosedJaxpr, module: LoweredModule, out_tree: Any,
                 name: str, device: Any, committed: bool):
        self._backend = backend
        self._closed = closed
        self._module = module
        self.out_tree = out_tree
        self._name = name
        self._device = device
        self._committed = committed

    @property
    def in_avals(self) -> list[Any]:
        return list(self._module.in_avals)

    @property
    def out_avals(self) -> list[Any]:
        return list(self._module.out_avals)

    @property
    def donated_argnums(self) -> tuple[int, ...]:
        return self._module.donated

    def as_text(self, dialect: str | None = None, *, debug_info: bool = False,
                generic: bool = False) -> str:
        """The StableHLO module. Printed in MLIR's pretty syntax when jaxlib's MLIR bindings
        load (as JAX prints it); ``generic=True`` gives the generic syntax kiln compiles."""
        if dialect not in (None, "stablehlo"):
            raise ValueError(f"kiln lowers to StableHLO only, not {dialect!r}")
        if generic:
            return self._module.text
        try:
            return api.pretty_print_module(self._module.text, debug_info)
        except Exception:  # bindings missing or changed: the generic text is still valid
            return self._module.text

    def compiler_ir(self, dialect: str | None = None) -> str:
        return self.as_text(dialect)

    def compile(self, compiler_options: Any = None) -> Compiled:
        runner = Runner(self._backend, self._module, self._name, self._device, self._committed,
                        [self._closed.consts[i] for i in self._module.hoisted])
        return Compiled(runner, make_callable(runner), self.out_tree, self._closed)

    def cost_analysis(self) -> dict[str, float]:
        return self.compile().cost_analysis()

    def __repr__(self) -> str:
        return f"<Lowered {self._name} for {self._backend.platform}>"


class Compiled:
    """A compiled executable for given argument types: call it with the arguments' pytree
    (static arguments left out), as the jitted function would be called."""

    def __init__(self, runner: Runner, run: Any, out_tree: Any, closed: ClosedJaxpr):
        self._runner = runner
        self._run = run
        self.out_tree = out_tree
        self._closed = closed

    @property
    def in_avals(self) -> list[Any]:
        return list(self._runner.in_avals)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        leaves = tree_flatten((args, kwargs))[0]
        self._check_arguments(leaves)
        return self.out_tree.unflatten(self._run(*leaves))

    def _check_arguments(self, leaves: list[Any]) -> None:
        expected = self._runner.in_avals
        if len(leaves) != len(expected):
            raise TypeError(f"Compiled function called with {len(leaves)} arguments, but it "
                            f"was compiled for {len(expected)}")
        mismatches = []
        for i, (x, aval) in enumerate(zip(leaves, expected)):
            got = get_aval(x)
            if got.shape != aval.shape or got.dtype != aval.dtype:
                mismatches.append(f"Argument '{self._arg_name(i)}' compiled with "
                                  f"{aval.str_short(short_dtypes=False)} and called with "
                                  f"{got.str_short(short_dtypes=False)}")
        if mismatches:
            raise TypeError(
                "Argument types differ from the types for which this computation was "
                "compiled. Perhaps you are calling the compiled executable with a different "
                "enable_x64 mode than when it was AOT compiled? The mismatches are:\n"
                + "\n".join(mismatches))

    def _arg_name(self, i: int) -> str:
        info = self._closed.jaxpr.debug_info
        names = getattr(info, "arg_names", None)
        try:
            return str(names[i]) if names is not None else f"args[{i}]"
        except Exception:
            return f"args[{i}]"

    def as_text(self) -> str:
        """The optimised HLO XLA compiled."""
        return api.compiled_text(self._runner.executable())

    def cost_analysis(self) -> dict[str, float]:
        return api.cost_analysis(self._runner.executable())

    def memory_analysis(self) -> Any:
        return api.memory_analysis(self._runner.executable())

    def runtime_executable(self) -> Any:
        return self._runner.executable()

    def __repr__(self) -> str:
        return f"<Compiled {self._runner.name} for {self._runner.backend.platform}>"
