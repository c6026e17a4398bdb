"""The tracing machinery: traces, tracers and the current-trace context.

Every transformation is a :class:`Trace` whose ``process_primitive`` knows what to do with
one primitive. ``Primitive.bind`` hands each operation to the *current* trace. A trace
created inside another keeps it as ``parent`` and runs its rules with the parent current, so
transformations nest to any depth: each trace only ever sees its own tracers, and treats
anything else (values, tracers of outer traces) as a constant. ``level`` counts that nesting.

A trace is invalidated when its transformation ends; a tracer of an invalid trace that is
used again has *leaked* (it was stored in a global, say) and raises UnexpectedTracerError.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from kiln.core import errors
from kiln.core.abstract import HasAval


class Trace:
    """One transformation in progress. Subclasses implement ``process_primitive``."""

    __slots__ = ("parent", "level", "valid", "__weakref__")

    def __init__(self, parent: Any = "current"):
        # By default a new trace nests inside the current one; the root EvalTrace has none.
        if parent == "current":
            parent = context.trace
        self.parent = parent
        self.level = 0 if parent is None else parent.level + 1
        self.valid = True

    def process_primitive(self, prim: Any, args: tuple, params: dict) -> Any:
        raise NotImplementedError

    def invalidate(self) -> None:
        self.valid = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(level={self.level})"


class TraceContext(threading.local):
    """The trace that ``bind`` hands operations to, per thread."""

    trace: Trace


context = TraceContext()


def current_trace() -> Trace:
    return context.trace


@contextlib.contextmanager
def set_current_trace(trace: Trace) -> Iterator[None]:
    previous = context.trace
    context.trace = trace
    try:
        yield
    finally:
        context.trace = previous


def leaked_tracer_error(tracer: Tracer) -> errors.UnexpectedTracerError:
    trace = tracer._trace
    where = getattr(trace, "describe_function", lambda: "")()
    return errors.UnexpectedTracerError(
        "Encountered an unexpected tracer. A function transformed by kiln had a side effect, "
        f"allowing for a reference to an intermediate value with type "
        f"{tracer.aval.str_short()} wrapped in a {type(tracer).__name__} to escape the scope "
        "of the transformation.\nkiln transformations require that functions explicitly "
        "return their outputs, and disallow saving intermediate values to global state."
        + (f"\nThe function being traced when the value leaked was {where}." if where else "")
        + "\nSee https://docs.jax.dev/en/latest/errors.html#jax.errors.UnexpectedTracerError"
    )


class EvalTrace(Trace):
    """The outermost trace: runs primitives on the backend that holds their arguments."""

    __slots__ = ()

    def process_primitive(self, prim: Any, args: tuple, params: dict) -> Any:
        for x in args:
            if isinstance(x, Tracer):
                raise leaked_tracer_error(x)
        return _apply_primitive(prim, args, params)


def _apply_primitive(prim: Any, args: tuple, params: dict) -> Any:
    # Bound on first use: kiln.core.dispatch imports this module.
    global _apply_primitive
    from kiln.core.dispatch import apply_primitive

    _apply_primitive = apply_primitive
    return apply_primitive(prim, args, params)


EVAL_TRACE = EvalTrace(None)
context.trace = EVAL_TRACE
TraceContext.trace = EVAL_TRACE  # the default in threads started later


class Tracer(HasAval):
    """A value standing in for an array while a transformation traces a function.

    Array methods and operators (``x + y``, ``x.sum()``, ``x[i]``) come from kiln.numpy,
    installed on first use; Python conversions that need a concrete value raise JAX's errors.
    """

    __slots__ = ("_trace", "__weakref__")
    __array_priority__ = 1000

    def __init__(self, trace: Trace):
        self._trace = trace

    aval: Any  # subclasses provide it (a ShapedArray)

    def to_concrete_value(self) -> Any:
        """The value behind this tracer when Python may see it (e.g. under grad), else None."""
        return None

    def _describe_origin(self) -> str:
        describe = getattr(self._trace, "describe_origin", None)
        return describe(self) if describe is not None else ""

    def _concrete(self, error: Exception) -> Any:
        value = self.to_concrete_value()
        if value is None:
            raise error
        return value

    def __bool__(self) -> bool:
        return bool(self._concrete(errors.TracerBoolConversionError(self)))

    def __int__(self) -> int:
        return int(self._concrete(errors.ConcretizationTypeError(self, _conversion_hint("int"))))

    def __float__(self) -> float:
        return float(
            self._concrete(errors.ConcretizationTypeError(self, _conversion_hint("float")))
        )

    def __complex__(self) -> complex:
        return complex(
            self._concrete(errors.ConcretizationTypeError(self, _conversion_hint("complex")))
        )

    def __index__(self) -> int:
        return self._concrete(errors.TracerIntegerConversionError(self)).__index__()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise errors.TracerArrayConversionError(self)

    def __hash__(self) -> int:
        raise TypeError(f"unhashable type: '{type(self).__name__}'")

    def __len__(self) -> int:
        if not self.aval.shape:
            raise TypeError("len() of unsized object")
        return self.aval.shape[0]

    def __iter__(self) -> Iterator[Any]:
        if not self.aval.shape:
            raise TypeError("iteration over a 0-d array")
        from kiln.core.array import unstack

        return iter(unstack(self))

    def __setitem__(self, index: Any, value: Any) -> None:
        from kiln.core.array import item_assignment_error

        raise item_assignment_error(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.aval})"


def _conversion_hint(fn: str) -> str:
    return (
        f"The problem arose with the `{fn}` function. If trying to convert the data type of a "
        f"value, try using `x.astype({fn})` or `jnp.array(x, {fn})` instead."
    )


def with_trace(trace: Trace, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``fn`` with ``trace`` current (the hot-path form of ``set_current_trace``)."""
    previous = context.trace
    context.trace = trace
    try:
        return fn(*args, **kwargs)
    finally:
        context.trace = previous
