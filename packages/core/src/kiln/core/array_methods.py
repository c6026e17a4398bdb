"""Where arrays and tracers get their operators and NumPy-style methods.

They are kiln.numpy's to define (``x + y`` follows ``jnp.add``'s promotion and broadcasting),
but kiln.numpy depends on kiln-core, not the other way round. So core installs placeholders:
the first use of an operator imports kiln.numpy, which calls :func:`set_array_methods` to
replace them, and the call goes through. Without kiln-numpy installed, they raise an
ImportError naming the distribution to install. kiln's own packages never rely on these:
they call ``kiln.lax``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiln.core.array import Array
from kiln.core.tracing import Tracer

OPERATORS = (
    "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
    "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__", "__divmod__",
    "__rdivmod__", "__pow__", "__rpow__", "__matmul__", "__rmatmul__", "__and__", "__rand__",
    "__or__", "__ror__", "__xor__", "__rxor__", "__lshift__", "__rlshift__", "__rshift__",
    "__rrshift__", "__neg__", "__pos__", "__abs__", "__invert__", "__eq__", "__ne__", "__lt__",
    "__le__", "__gt__", "__ge__", "__getitem__", "__round__",
)

# Non-dunder attributes kiln.numpy provides (methods and properties such as .T and .at).
_provided_attributes: set[str] = {
    "T", "mT", "at", "all", "any", "argmax", "argmin", "argsort", "astype", "clip", "conj",
    "conjugate", "cumprod", "cumsum", "diagonal", "dot", "flatten", "imag", "max", "mean",
    "min", "nonzero", "prod", "ptp", "ravel", "real", "repeat", "reshape", "round", "sort",
    "squeeze", "std", "sum", "swapaxes", "take", "trace", "transpose", "var", "view",
}

_CLASSES = (Array, Tracer)
_loaded = False


def _load_numpy() -> None:
    global _loaded
    if _loaded:
        return
    try:
        import kiln.numpy  # noqa: F401  (installs the real methods)
    except ImportError as e:
        raise ImportError(
            "Array operators and methods (x + y, x.sum(), x[i], ...) come from kiln.numpy: "
            "install the kiln-numpy distribution, or use kiln.lax functions."
        ) from e
    _loaded = True


def _placeholder(name: str) -> Callable[..., Any]:
    def method(self: Any, *args: Any) -> Any:
        _load_numpy()
        real = getattr(type(self), name)
        if getattr(real, "_kiln_placeholder", False):
            return NotImplemented if name != "__getitem__" else _missing(name)
        return real(self, *args)

    method.__name__ = name
    method._kiln_placeholder = True  # type: ignore[attr-defined]
    return method


def _missing(name: str) -> Any:
    raise NotImplementedError(f"kiln.numpy does not define {name} on arrays")


def _getattr(self: Any, name: str) -> Any:
    # Only reached when normal lookup fails: a kiln.numpy attribute not yet installed.
    if name in _provided_attributes and not _loaded:
        _load_numpy()
        return getattr(self, name)
    raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


def set_array_methods(methods: dict[str, Any]) -> None:
    """Install ``methods`` (names to functions or properties) on kiln.Array and on tracers.
    kiln.numpy calls this when it is imported; others may add methods too."""
    _provided_attributes.update(n for n in methods if not n.startswith("__"))
    for cls in _CLASSES:
        for name, fn in methods.items():
            setattr(cls, name, fn)


for _cls in _CLASSES:
    for _name in OPERATORS:
        setattr(_cls, _name, _placeholder(_name))
    _cls.__getattr__ = _getattr  # type: ignore[attr-defined]
    _cls.__hash__ = _cls.__dict__["__hash__"]  # keep raising TypeError despite __eq__
