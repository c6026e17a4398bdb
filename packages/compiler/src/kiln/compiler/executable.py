"""Running compiled computations: the callable ``XlaBackend.compile`` returns.

The fast path of a call is: read ``_buf`` off each argument, launch the executable (PJRT
returns before the computation ends: asynchronous dispatch), turn its outputs into buffers
with result handlers made once per executable, wrap them as Arrays. Anything else (NumPy
arguments, Python scalars, arrays on another device or backend, deleted arrays) takes the
slow path, which places the arguments first. Once an executable has met arguments on another
device it keeps checking placement on every call.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kiln.compiler import jaxlib_api as api
from kiln.compiler.array import (
    XlaArray,
    buffer_deleted,
    deleted_error,
    mark_deleted_if_donated,
)
from kiln.compiler.lowering import LoweredModule
from kiln.core import dtypes
from kiln.core.jaxpr import ClosedJaxpr


class Runner:
    """A lowered module, compiled per (device, committed) on demand, with the per-variant
    objects a call needs."""

    def __init__(self, backend: Any, lowered: LoweredModule, name: str, device: Any,
                 committed: bool, consts: Sequence[Any]):
        self.backend = backend
        self.lowered = lowered
        self.name = name
        self.device = device  # the default target
        self.committed = committed  # outputs committed by default (jit(device=...))
        self.consts = list(consts)  # values of the hoisted consts
        self.in_avals = lowered.in_avals
        self.out_avals = lowered.out_avals
        self.donated = frozenset(lowered.donated)
        self._variants: dict[tuple[Any, bool], tuple] = {}

    def variant(self, device: Any, committed: bool) -> tuple:
        """(launch, handlers, const buffers, executable) for ``device``."""
        key = (device, committed)
        v = self._variants.get(key)
        if v is None:
            exe = self.backend.compile_text(self.lowered.text, device, self.name)
            handlers = [api.result_handler(a, device.pjrt, committed) for a in self.out_avals]
            const_bufs = [self.backend.buffer_for(c, a, device)
                          for c, a in zip(self.consts, self.lowered.const_avals)]
            v = self._variants[key] = (api.launcher(exe), handlers, const_bufs, exe)
        return v

    def executable(self) -> Any:
        return self.variant(self.device, self.committed)[3]

    def run_placed(self, args: Sequence[Any]) -> list[Any]:
        """The slow path: choose the device, place every argument there, run."""
        backend = self.backend
        if backend.varied:
            target, committed = backend.placement(args, self.device, self.committed)
        else:  # every array of the backend is on its default device
            target, committed = self.device, self.committed
        launch, handlers, const_bufs, _ = self.variant(target, committed)
        bufs = list(const_bufs)
        donated = self.donated
        for i, (x, aval) in enumerate(zip(args, self.in_avals)):
            bufs.append(backend.buffer_for(x, aval, target, i in donated))
        try:
            outs = api.collect(launch(bufs), handlers)
        except api.JaxlibError:
            _raise_if_deleted(args)
            raise
        if donated:
            self.mark_donated(args)
        wrap = backend.array_type
        return list(map(wrap, outs, self.out_avals))

    def mark_donated(self, args: Sequence[Any]) -> None:
        for i in self.donated:
            mark_deleted_if_donated(args[i])


def _raise_if_deleted(args: Sequence[Any]) -> None:
    for x in args:
        if isinstance(x, XlaArray) and buffer_deleted(x._buf):
            raise deleted_error(x.aval) from None


_MAX_UNROLLED = 16  # calls with at most this many arguments and outputs get unrolled code


def make_callable(runner: Runner) -> Callable[..., list[Any]]:
    """The function from flat arguments to a list of output Arrays.

    Fast path: every argument is an array of this backend with a live buffer, and no array
    of the backend lives off its default device (``backend.varied`` is False, the usual
    single-device case): the buffers go straight to the executable. Anything else goes
    through ``Runner.run_placed``. For up to 16 arguments and outputs the function is
    generated with the arguments and outputs unrolled (no loops, no per-call closures)."""
    launch, handlers, const_bufs, _ = runner.variant(runner.device, runner.committed)
    n_in, n_out = len(runner.in_avals), len(runner.out_avals)
    names = {
        "launch": launch, "collect": api.collect, "handlers": handlers,
        "const_bufs": const_bufs, "backend": runner.backend, "wrap": runner.backend.array_type,
        "out_avals": runner.out_avals, "run_placed": runner.run_placed,
        "raise_if_deleted": _raise_if_deleted, "errors": (api.JaxlibError, TypeError),
        "mark_donated": runner.mark_donated, "new": object.__new__,
    }
    if n_in <= _MAX_UNROLLED and n_out <= _MAX_UNROLLED:
        run = _unrolled(n_in, n_out, bool(const_bufs), bool(runner.donated), names)
    else:
        run = _generic(bool(runner.donated), names)
    run.runner = runner  # type: ignore[attr-defined]
    return run


def _unrolled(n_in: int, n_out: int, consts: bool, donated: bool,
              names: dict[str, Any]) -> Callable[..., list[Any]]:
    params = ", ".join(f"a{i}" for i in range(n_in))
    args = f"({params},)" if n_in == 1 else f"({params})"
    bufs = ", ".join(f"a{i}._buf" for i in range(n_in))
    if consts:
        bufs = f"*const_bufs, {bufs}" if n_in else "*const_bufs"
    outs = ", ".join(f"o{i}" for i in range(n_out))
    target = f"{outs}," if n_out == 1 else (outs or "_unused")
    collect = f"{target} = collect(launch(bufs), handlers)" if n_out else \
        "collect(launch(bufs), handlers)"
    # Arrays are made without calling __init__: object.__new__ and two slot writes.
    make = "".join(f"\n        r{i} = new(wrap); r{i}._buf = o{i}; r{i}.aval = v{i}"
                   for i in range(n_out))
    result = "[" + ", ".join(f"r{i}" for i in range(n_out)) + "]"
    avals = ", ".join(f"v{i}" for i in range(n_out))
    source = f"""
def factory({", ".join(names)}):
    {avals + ("," if n_out == 1 else "") + " = out_avals" if n_out else "pass"}
    checking = False

    def on_error(args):
        nonlocal checking
        raise_if_deleted(args)
        checking = True  # e.g. arrays of another client: place them from now on
        return run_placed(args)

    def run({params}):
        if checking or backend.varied:
            return run_placed({args})
        try:
            bufs = [{bufs}]
        except AttributeError:
            return run_placed({args})
        try:
            {collect}
        except errors:
            return on_error({args})
        {"mark_donated(" + args + ")" if donated else ""}{make}
        return {result}

    return run
"""
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<kiln executable {n_in}->{n_out}>", "exec"), namespace)  # noqa: S102
    return namespace["factory"](**names)


def _generic(donated: bool, names: dict[str, Any]) -> Callable[..., list[Any]]:
    launch, collect, handlers = names["launch"], names["collect"], names["handlers"]
    const_bufs, backend, wrap = names["const_bufs"], names["backend"], names["wrap"]
    out_avals, run_placed, errors = names["out_avals"], names["run_placed"], names["errors"]
    mark_donated = names["mark_donated"]
    checking = False

    def on_error(args: tuple) -> list[Any]:
        nonlocal checking
        _raise_if_deleted(args)
        checking = True
        return run_placed(args)

    def run(*args: Any) -> list[Any]:
        if checking or backend.varied:
            return run_placed(args)
        try:
            bufs = [x._buf for x in args]
        except AttributeError:
            return run_placed(args)
        if const_bufs:
            bufs = const_bufs + bufs
        try:
            outs = collect(launch(bufs), handlers)
        except errors:
            return on_error(args)
        if donated:
            mark_donated(args)
        return list(map(wrap, outs, out_avals))

    return run


# -- jax_debug_nans / jax_debug_infs ---------------------------------------------------------


def find_non_finite(outs: Sequence[Any], nans: bool, infs: bool) -> str | None:
    for x in outs:
        aval = x.aval
        if not (dtypes.is_inexact(aval.dtype) and aval.size):
            continue
        value = np.asarray(x._value)
        if nans and np.isnan(value).any():
            return "nan"
        if infs and np.isinf(value).any():
            return "inf"
    return None


def non_finite_error(kind: str, where: str) -> FloatingPointError:
    what = "invalid value (nan)" if kind == "nan" else "divide by zero (inf)"
    return FloatingPointError(f"{what} encountered in {where}")


def with_debug_checks(run: Callable[..., list[Any]], closed: ClosedJaxpr, name: str,
                      nans: bool, infs: bool) -> Callable[..., list[Any]]:
    """Check a jitted computation's outputs; on NaN/inf re-run it op by op (each op then
    checks its own outputs) to name the primitive, as JAX does."""
    from kiln.core.jaxpr import eval_jaxpr

    def checked(*args: Any) -> list[Any]:
        outs = run(*args)
        kind = find_non_finite(outs, nans, infs)
        if kind is None:
            return outs
        warnings.warn(f"Invalid {kind} value encountered in the output of a kiln.jit "
                      "function. Calling the de-optimized version.", RuntimeWarning,
                      stacklevel=3)
        eval_jaxpr(closed.jaxpr, closed.consts, *args)
        raise non_finite_error(kind, f"jit({name})")

    checked.runner = run.runner  # type: ignore[attr-defined]
    return checked

