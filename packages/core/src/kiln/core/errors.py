"""JAX's error types, with messages that name the user's mistake and the fix.

Tracer errors say which function was being traced, for which transformation, and which
argument the offending value depends on (see ``Tracer._describe_origin``).
"""

from __future__ import annotations

from typing import Any

_DOCS = "https://docs.jax.dev/en/latest/errors.html#jax.errors."


class _KilnErrorMixin:
    """Marks errors raised on purpose by kiln (tracebacks of these hide kiln's frames)."""


class JAXTypeError(_KilnErrorMixin, TypeError):
    def __init__(self, message: str):
        super().__init__(message)


class JAXIndexError(_KilnErrorMixin, IndexError):
    def __init__(self, message: str):
        super().__init__(message)


def _tracer_text(tracer: Any) -> str:
    aval = getattr(tracer, "aval", None)
    return f"traced array with shape {aval.str_short(short_dtypes=False)}" if aval else "tracer"


def _origin(tracer: Any) -> str:
    describe = getattr(tracer, "_describe_origin", None)
    text = describe() if describe is not None else ""
    return f"\n{text}" if text else ""


class ConcretizationTypeError(JAXTypeError):
    """A traced value was used where Python needs a concrete one."""

    def __init__(self, tracer: Any, context: str = ""):
        super().__init__(
            "Abstract tracer value encountered where concrete value is expected: "
            f"{_tracer_text(tracer)}\n{context}{_origin(tracer)}\n\n"
            f"See {_DOCS}ConcretizationTypeError"
        )


class TracerBoolConversionError(ConcretizationTypeError):
    """``bool()`` (a Python ``if``, ``while``, ``and``...) of a traced value."""

    def __init__(self, tracer: Any):
        JAXTypeError.__init__(
            self,
            f"Attempted boolean conversion of {_tracer_text(tracer)}.{_origin(tracer)}\n"
            "Use kiln.lax.cond, kiln.lax.while_loop or kiln.numpy.where for control flow that "
            "depends on traced values, or mark the argument static with static_argnums.\n"
            f"See {_DOCS}TracerBoolConversionError",
        )


class TracerIntegerConversionError(JAXTypeError):
    """``int()``/``__index__`` of a traced value (e.g. ``range(x)`` or ``lst[x]``)."""

    def __init__(self, tracer: Any):
        super().__init__(
            f"The __index__() method was called on {_tracer_text(tracer)}{_origin(tracer)}\n"
            f"See {_DOCS}TracerIntegerConversionError"
        )


class TracerArrayConversionError(JAXTypeError):
    """``np.asarray()`` of a traced value."""

    def __init__(self, tracer: Any):
        super().__init__(
            "The numpy.ndarray conversion method __array__() was called on "
            f"{_tracer_text(tracer)}{_origin(tracer)}\n"
            "Use kiln.numpy functions instead of numpy functions on traced values.\n"
            f"See {_DOCS}TracerArrayConversionError"
        )


class NonConcreteBooleanIndexError(JAXIndexError):
    """Boolean-mask indexing with a traced mask (its result shape would depend on values)."""

    def __init__(self, tracer: Any):
        super().__init__(
            "Array boolean indices must be concrete; got "
            f"{getattr(tracer, 'aval', tracer)}\n"
            "Use kiln.numpy.where(mask, x, fill) to keep the shape static.\n"
            f"See {_DOCS}NonConcreteBooleanIndexError"
        )


class UnexpectedTracerError(JAXTypeError):
    """A tracer escaped the transformation that made it (e.g. stored in a global)."""

    def __init__(self, msg: str):
        super().__init__(msg)


class KeyReuseError(JAXTypeError):
    pass


class JaxprTypeError(TypeError):
    """A jaxpr failed its type check."""


class JaxRuntimeError(RuntimeError):
    """An error raised by a backend while running a computation."""


class InconclusiveDimensionOperation(Exception):
    pass
