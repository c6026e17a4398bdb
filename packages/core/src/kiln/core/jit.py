"""``jit``: trace once per abstract signature, run the traced jaxpr whole.

A jitted call flattens its arguments, looks up the cache by (argument structure, static
arguments, abstract values with weak types, tracing config), and then either runs the cached
executable (called eagerly) or binds the ``jit`` primitive, whose params carry the jaxpr, so
that transformations and backends see the whole function (called under a transformation).
"""

from __future__ import annotations

import functools
import inspect
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from kiln.core import tracing
from kiln.core.abstract import aval_attribute_types, get_aval
from kiln.core.config import values as config_values
from kiln.core.dispatch import backend_of
from kiln.core.jaxpr import ClosedJaxpr, Jaxpr, param_printers, pp_call_params
from kiln.core.primitive import Primitive, register_abstract_eval, register_impl
from kiln.core.primitives.collectives import axis_env
from kiln.core.reference import run_jaxpr
from kiln.core.staging import DebugInfo, flat_arg_names, trace_to_jaxpr
from kiln.core.tracing import EVAL_TRACE, Tracer
from kiln.tree_util import tree_flatten, tree_unflatten

jit_p = Primitive("jit", multiple_results=True)
param_printers[jit_p] = pp_call_params


@register_abstract_eval(jit_p)
def _jit_abstract_eval(*avals: Any, jaxpr: ClosedJaxpr, **_: Any) -> list[Any]:
    return jaxpr.out_avals


@register_impl(jit_p)
def _jit_impl(*args: Any, jaxpr: ClosedJaxpr, **_: Any) -> list[Any]:
    return run_jaxpr(jaxpr.jaxpr, jaxpr.consts, args)


class _Entry:
    """One traced signature: the jaxpr, how to rebuild outputs, and its executable."""

    __slots__ = ("closed", "hoisted", "out_tree", "name", "executable", "donate", "single")

    def __init__(self, closed: ClosedJaxpr, hoisted: list[Any], out_tree: Any, name: str,
                 donate: tuple[int, ...]):
        self.closed = closed  # constvars hold concrete consts; tracer consts are hoisted
        self.hoisted = hoisted  # closed-over tracers of outer traces, passed as leading args
        self.out_tree = out_tree
        self.name = name
        self.executable = None
        self.donate = donate
        self.single = out_tree.num_leaves == 1 and out_tree.num_nodes == 1  # a bare array


def _normalize_argnums(argnums: int | Iterable[int] | None) -> tuple[int, ...]:
    if argnums is None:
        return ()
    if isinstance(argnums, int):
        return (argnums,)
    return tuple(argnums)


def _normalize_argnames(argnames: str | Iterable[str] | None) -> tuple[str, ...]:
    if argnames is None:
        return ()
    if isinstance(argnames, str):
        return (argnames,)
    return tuple(argnames)


def _infer_static(fun: Callable, argnums: tuple[int, ...], argnames: tuple[str, ...],
                  ) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Fill in static argnames from argnums and vice versa, as JAX does."""
    try:
        params = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        return argnums, argnames
    positional = [p.name for p in params
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    n = len(positional)
    names = set(argnames)
    nums = set(i if i >= 0 else i + n for i in argnums)
    for i in list(nums):
        if 0 <= i < n and params[i].kind == params[i].POSITIONAL_OR_KEYWORD:
            names.add(positional[i])
    for name in argnames:
        if name in positional:
            nums.add(positional.index(name))
    return tuple(sorted(nums)), tuple(sorted(names))


class _Static:
    """A static argument in a cache key: hashed and compared by value."""

    __slots__ = ("value", "_hash")

    def __init__(self, value: Any):
        try:
            self._hash = hash(value)
        except TypeError as e:
            raise ValueError(
                "Non-hashable static arguments are not supported. An error occurred while "
                f"trying to hash an object of type {type(value)}, {value!r}. The error was:\n"
                f"TypeError: {e}\n"
            ) from None
        self.value = value

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: Any) -> bool:
        return type(other) is _Static and type(self.value) is type(other.value) and \
            bool(self.value == other.value)


class JitFunction:
    """The callable ``jit(fun)`` returns."""

    def __init__(
        self,
        fun: Callable,
        static_argnums: tuple[int, ...],
        static_argnames: tuple[str, ...],
        donate_argnums: tuple[int, ...],
        device: Any,
        backend: str | None,
    ):
        if not callable(fun):
            raise TypeError(f"Expected a callable value, got {fun!r}")
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.static_argnums, self.static_argnames = _infer_static(
            fun, static_argnums, static_argnames)
        self.donate_argnums = donate_argnums
        self.device = device
        self.backend = backend
        self._cache: dict[Any, _Entry] = {}
        # Calls whose arguments are all arrays skip flattening: keyed by their avals alone.
        self._array_cache: dict[Any, _Entry] = {}
        self._simple = not self.static_argnums and not self.static_argnames
        _live_jits.add(self)

    def __repr__(self) -> str:
        return f"<JitFunction of {self.fun!r}>"

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        # jit-decorated methods bind like functions.
        return self if obj is None else functools.partial(self, obj)

    # -- the call path ------------------------------------------------------------------------

    def _split(self, args: tuple, kwargs: dict) -> tuple[Any, tuple, tuple]:
        """(dynamic args and kwargs, static values for the key, static positions)."""
        if self._simple:
            return (args, kwargs), (), ()
        nums = [i if i >= 0 else i + len(args) for i in self.static_argnums]
        statics = tuple(_Static(args[i]) for i in nums if i < len(args))
        statics += tuple((k, _Static(kwargs[k])) for k in self.static_argnames if k in kwargs)
        dyn_args = tuple(a for i, a in enumerate(args) if i not in nums)
        dyn_kwargs = {k: v for k, v in kwargs.items() if k not in self.static_argnames}
        return (dyn_args, dyn_kwargs), statics, tuple(nums)

    def _merge(self, dyn: Any, args: tuple, kwargs: dict, nums: tuple) -> tuple[tuple, dict]:
        dyn_args, dyn_kwargs = dyn
        if not nums and self._simple:
            return dyn_args, dyn_kwargs
        it = iter(dyn_args)
        full = tuple(args[i] if i in nums else next(it) for i in range(len(args)))
        merged = dict(dyn_kwargs)
        merged.update({k: kwargs[k] for k in self.static_argnames if k in kwargs})
        return full, merged

    def _entry(self, args: tuple, kwargs: dict) -> tuple[_Entry, list[Any]]:
        dyn, statics, nums = self._split(args, kwargs)
        leaves, in_tree = tree_flatten(dyn)
        try:
            avals = tuple(map(get_aval, leaves))
        except TypeError:
            raise self._bad_argument(args, kwargs, leaves) from None
        # Named axes (vmap's axis_name) change what collectives trace to.
        axes = tuple(axis_env().items()) if tracing.context.trace is not EVAL_TRACE else ()
        key = (in_tree, statics, avals, config_values.trace_key, axes)
        entry = self._cache.get(key)
        if entry is None:
            entry = self._trace(args, kwargs, nums, in_tree, avals)
            if not entry.hoisted:  # closures over tracers are only valid for this trace
                self._cache[key] = entry
        return entry, leaves

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if config_values.disable_jit:
            return self.fun(*args, **kwargs)
        entry = None
        if not kwargs and self._simple and tracing.context.trace is EVAL_TRACE:
            # The hot path: positional arrays only. No pytree flattening, a key of avals.
            key = _array_key(args)
            if key is not None:
                entry = self._array_cache.get(key)
                if entry is None:
                    entry, _ = self._entry(args, kwargs)
                    if not entry.hoisted:
                        self._array_cache[key] = entry
                leaves = args
        if entry is None:
            entry, leaves = self._entry(args, kwargs)
        if tracing.context.trace is EVAL_TRACE and not entry.hoisted:
            executable = entry.executable
            if executable is None:
                executable = self._compile(entry, leaves)
            outs = executable(*leaves)
        else:
            outs = jit_p.bind(*entry.hoisted, *leaves, jaxpr=entry.closed, name=entry.name)
        if entry.single:
            return outs[0]
        return tree_unflatten(entry.out_tree, outs)

    def _trace(self, args: tuple, kwargs: dict, nums: tuple, in_tree: Any,
               avals: Sequence[Any]) -> _Entry:
        out_tree_box: list[Any] = []

        def flat_fun(*flat: Any) -> list[Any]:
            dyn = tree_unflatten(in_tree, flat)
            full_args, full_kwargs = self._merge(dyn, args, kwargs, nums)
            out_leaves, out_tree = tree_flatten(self.fun(*full_args, **full_kwargs))
            out_tree_box.append(out_tree)
            return out_leaves

        names = _LazyArgNames(self.fun, args, kwargs, nums)
        jaxpr, consts = trace_to_jaxpr(flat_fun, avals, DebugInfo("jit", self.fun, names))
        closed, hoisted = _hoist_tracer_consts(jaxpr, consts)
        name = getattr(self.fun, "__name__", type(self.fun).__name__)
        donate = tuple(i + len(hoisted) for i in self._donated_leaves(args, nums))
        return _Entry(closed, hoisted, out_tree_box[0], name, donate)

    def _donated_leaves(self, args: tuple, nums: tuple) -> list[int]:
        if not self.donate_argnums:
            return []
        out, offset = [], 0
        for i, arg in enumerate(args):
            if i in nums:
                continue
            n = len(tree_flatten(arg)[0])
            if i in self.donate_argnums:
                out.extend(range(offset, offset + n))
            offset += n
        return out

    def _compile(self, entry: _Entry, leaves: list[Any]) -> Callable[..., list[Any]]:
        backend = self._target_backend(leaves)
        entry.executable = backend.compile(entry.closed, donate_argnums=entry.donate,
                                           device=self.device)
        return entry.executable

    def _target_backend(self, leaves: list[Any]) -> Any:
        from kiln.core.backend import get_backend

        if self.device is not None:
            return self.device.backend
        if self.backend is not None:
            return get_backend(self.backend)
        return backend_of(leaves)

    def _bad_argument(self, args: tuple, kwargs: dict, leaves: list[Any]) -> TypeError:
        bad = next(x for x in leaves if not _is_valid(x))
        _, statics, nums = self._split(args, kwargs)
        names = _LazyArgNames(self.fun, args, kwargs, nums)
        path = next((n for n, x in zip(names, leaves) if x is bad), "?")
        return TypeError(
            f"Error interpreting argument to {self.fun!r} as an abstract array. The "
            f"problematic value is of type {type(bad)} and was passed to the function at path "
            f"{path}.\nThis typically means that a jit-wrapped function was called with a "
            "non-array argument, and this argument was not marked as static using the "
            "static_argnums or static_argnames parameters of kiln.jit."
        )

    # -- ahead of time ------------------------------------------------------------------------

    def trace(self, *args: Any, **kwargs: Any) -> Traced:
        entry, _ = self._entry(args, kwargs)
        return Traced(self, entry, args, kwargs)

    def lower(self, *args: Any, **kwargs: Any) -> Any:
        return self.trace(*args, **kwargs).lower()

    def eval_shape(self, *args: Any, **kwargs: Any) -> Any:
        from kiln.core.api import ShapeDtypeStruct

        entry, _ = self._entry(args, kwargs)
        outs = [ShapeDtypeStruct(a.shape, a.dtype, weak_type=a.weak_type)
                for a in entry.closed.out_avals]
        return tree_unflatten(entry.out_tree, outs)

    def clear_cache(self) -> None:
        self._cache.clear()
        self._array_cache.clear()

    def _cache_size(self) -> int:
        return len(self._cache)


class Traced:
    """The result of ``jit(f).trace(*args)``: the jaxpr, and a way on to lowering."""

    def __init__(self, jitted: JitFunction, entry: _Entry, args: tuple, kwargs: dict):
        self._jitted = jitted
        self._entry = entry
        self.args_info = (args, kwargs)

    @property
    def jaxpr(self) -> ClosedJaxpr:
        return self._entry.closed

    @property
    def out_info(self) -> Any:
        from kiln.core.api import ShapeDtypeStruct

        outs = [ShapeDtypeStruct(a.shape, a.dtype, weak_type=a.weak_type)
                for a in self._entry.closed.out_avals]
        return tree_unflatten(self._entry.out_tree, outs)

    def lower(self) -> Any:
        leaves = tree_flatten(self.args_info)[0]
        backend = self._jitted._target_backend(leaves)
        lower = getattr(backend, "lower", None)
        if lower is None:
            raise NotImplementedError(
                f"the {backend.name} backend does not support ahead-of-time lowering; "
                "install kiln-compiler for the xla backend")
        return lower(self._entry.closed, out_tree=self._entry.out_tree,
                     donate_argnums=self._entry.donate, device=self._jitted.device)


def _array_key(args: tuple) -> tuple | None:
    """The cache key of a call whose arguments are all Arrays, else None."""
    key = [config_values.trace_key]
    for a in args:
        if type(a) not in aval_attribute_types:
            return None
        key.append(a.aval)
    return tuple(key)


class _LazyArgNames(Sequence):
    """Argument names for error messages, computed only if a message needs them."""

    def __init__(self, fun: Callable, args: tuple, kwargs: dict, static: tuple):
        self._spec = (fun, args, kwargs, static)
        self._names: list[str] | None = None

    def _get(self) -> list[str]:
        if self._names is None:
            fun, args, kwargs, static = self._spec
            names = flat_arg_names(fun, args, kwargs)
            if static:
                from kiln.tree_util import tree_flatten as flatten

                drop = set()
                offset = 0
                for i, a in enumerate(args):
                    n = len(flatten(a)[0])
                    if i in static:
                        drop.update(range(offset, offset + n))
                    offset += n
                names = [n for j, n in enumerate(names) if j not in drop]
            self._names = names
        return self._names

    def __getitem__(self, i: Any) -> Any:
        return self._get()[i]

    def __len__(self) -> int:
        return len(self._get())


def _is_valid(x: Any) -> bool:
    try:
        get_aval(x)
    except TypeError:
        return False
    return True


def _hoist_tracer_consts(jaxpr: Jaxpr, consts: list[Any]) -> tuple[ClosedJaxpr, list[Any]]:
    """Turn constvars bound to tracers (closures over outer transformations' values) into
    leading invars, so the transformations see them as arguments of the jit equation."""
    if not any(isinstance(c, Tracer) for c in consts):
        return ClosedJaxpr(jaxpr, consts), []
    kept = [(v, c) for v, c in zip(jaxpr.constvars, consts) if not isinstance(c, Tracer)]
    moved = [(v, c) for v, c in zip(jaxpr.constvars, consts) if isinstance(c, Tracer)]
    body = Jaxpr([v for v, _ in kept], [v for v, _ in moved] + jaxpr.invars, jaxpr.outvars,
                 jaxpr.eqns, jaxpr.debug_info)
    return ClosedJaxpr(body, [c for _, c in kept]), [c for _, c in moved]


def jit(
    fun: Callable | None = None,
    *,
    static_argnums: int | Sequence[int] | None = None,
    static_argnames: str | Iterable[str] | None = None,
    donate_argnums: int | Sequence[int] | None = None,
    donate_argnames: str | Iterable[str] | None = None,
    keep_unused: bool = False,
    device: Any = None,
    backend: str | None = None,
    inline: bool = False,
    abstracted_axes: Any = None,
    in_shardings: Any = None,
    out_shardings: Any = None,
    compiler_options: Any = None,
) -> Any:
    """Compile ``fun`` whole: trace it once per abstract signature of its arguments and run
    the traced computation on the backend.

    Parameters mirror ``jax.jit``. ``static_argnums``/``static_argnames`` name arguments that
    are hashed into the cache key instead of traced; ``donate_argnums`` lets the backend reuse
    argument buffers for outputs (the NumPy backend accepts and ignores it).
    """
    if fun is None:
        return functools.partial(
            jit, static_argnums=static_argnums, static_argnames=static_argnames,
            donate_argnums=donate_argnums, donate_argnames=donate_argnames,
            keep_unused=keep_unused, device=device, backend=backend, inline=inline)
    donate = _normalize_argnums(donate_argnums)
    if donate_argnames is not None:
        try:
            positional = list(inspect.signature(fun).parameters)
        except (TypeError, ValueError):
            positional = []
        donate += tuple(positional.index(n) for n in _normalize_argnames(donate_argnames)
                        if n in positional)
    return JitFunction(fun, _normalize_argnums(static_argnums),
                       _normalize_argnames(static_argnames), donate, device, backend)


_live_jits: weakref.WeakSet = weakref.WeakSet()


def clear_caches() -> None:
    """Drop every jit cache (``jax.clear_caches``)."""
    for f in list(_live_jits):
        f.clear_cache()
