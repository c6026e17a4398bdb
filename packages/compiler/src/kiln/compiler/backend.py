"""``XlaBackend``: kiln's backend plugin for XLA through PJRT (``cpu``; ``cuda``, ``rocm``,
``tpu`` when their PJRT plugins are installed and the device is present).

It is found through the ``kiln.backends`` entry point ``xla`` and, being of higher priority
than the NumPy reference backend, is kiln's default once installed (``JAX_PLATFORMS`` or
``jax_platforms`` choose another).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kiln.compiler import compilation, plugins
from kiln.compiler import jaxlib_api as api
from kiln.compiler.aot import Lowered
from kiln.compiler.array import XlaArray, array_type_for, buffer_deleted, deleted_error
from kiln.compiler.devices import XlaDevice
from kiln.compiler.executable import (
    Runner,
    find_non_finite,
    make_callable,
    non_finite_error,
    with_debug_checks,
)
from kiln.compiler.lowering import (
    BACKEND,
    LoweredModule,
    MissingLoweringError,
    lower_closed_jaxpr,
    lower_primitive,
)
from kiln.core.abstract import ShapedArray, get_aval
from kiln.core.array import Array
from kiln.core.backend import Backend, Device
from kiln.core.config import config
from kiln.core.config import values as config_values
from kiln.core.jaxpr import ClosedJaxpr, eval_jaxpr
from kiln.core.primitive import abstract_eval, get_rule, lowering_kind, rule_table
from kiln.core.reference import impl_of, to_numpy

EAGER_CACHE_SIZE = 4096
SCALAR_CACHE_SIZE = 256
_PY_SCALARS = (bool, int, float, complex)

_generic_rules = rule_table(lowering_kind(BACKEND))
_decompositions = rule_table("decomposition")

_instances: list[XlaBackend] = []


class XlaBackend(Backend):
    """XLA through one PJRT client. ``compile`` lowers a closed jaxpr to StableHLO and returns
    a callable; ``apply_primitive`` runs one primitive through a cached executable."""

    name = "xla"

    @classmethod
    def discover(cls) -> dict[str, int]:
        return plugins.discover()

    def __init__(self, platform: str = "cpu"):
        super().__init__(platform)
        n = config_values.num_cpu_devices
        self.client = plugins.make_client(
            platform, num_cpu_devices=n if n is not None and n >= 0 else None,
            asynchronous=bool(config_values.cpu_enable_async_dispatch))
        self._devices = [XlaDevice(self, d) for d in api.client_devices(self.client)]
        self._by_pjrt = {d.pjrt: d for d in self._devices}
        self.array_type = array_type_for(self)
        self._eager: dict[Any, Callable[..., list[Any]]] = {}
        self._scalars: dict[Any, Any] = {}
        self._platform_rules = rule_table(lowering_kind(BACKEND, platform))
        # True once an array of this backend may live off the default device: executables
        # then check placement on every call (see executable.make_callable).
        self.varied = len(self._devices) > 1 and config_values.default_device is not None
        _instances.append(self)

    def __repr__(self) -> str:
        return f"<XlaBackend platform={self.platform} devices={len(self._devices)}>"

    # -- devices and placement ---------------------------------------------------------------

    def devices(self) -> list[Device]:
        return list(self._devices)

    def device_of(self, pjrt_device: Any) -> XlaDevice:
        return self._by_pjrt[pjrt_device]

    def default_device(self) -> XlaDevice:
        wanted = config_values.default_device
        if isinstance(wanted, XlaDevice) and wanted.backend is self:
            return wanted
        return self._devices[0]

    def placement(self, args: Sequence[Any], default: XlaDevice,
                  committed: bool) -> tuple[XlaDevice, bool]:
        """The device a computation on ``args`` runs on, and whether its outputs are
        committed: the device of the committed arguments (which must agree), else
        ``default``. A computation given an explicit device (``committed``) runs there."""
        if committed:
            return default, True
        target = None
        for i, x in enumerate(args):
            if not isinstance(x, XlaArray):
                continue
            if buffer_deleted(x._buf):
                raise deleted_error(x.aval)
            if x._backend is self and api.buffer_committed(x._buf):
                device = x.device
                if target is None:
                    target, first = device, i
                elif device is not target:
                    raise ValueError(
                        "Received incompatible devices for jitted computation. Got argument "
                        f"{first} with device {target} and argument {i} with device {device}")
        if target is None:
            return default, False
        return target, True

    def buffer_for(self, x: Any, aval: ShapedArray, device: XlaDevice,
                   donated: bool = False, committed: bool = False) -> Any:
        """A buffer on ``device`` holding ``x`` (an Array of any backend, a NumPy value or a
        Python scalar) as ``aval``'s dtype."""
        if isinstance(x, XlaArray):
            buf = x._buf
            if buffer_deleted(buf):
                raise deleted_error(x.aval)
            if x._backend is self:
                if api.buffer_device(buf) == device.pjrt:
                    return buf
                return api.copy_to_device(buf, device.pjrt)
            host = x._value  # another client: through the host
        elif type(x) in _PY_SCALARS:
            if donated or committed:
                return api.device_put(np.asarray(x, aval.dtype), aval, device.pjrt, committed,
                                      zero_copy=True)
            key = (type(x), x, aval.dtype, device)
            buf = self._scalars.get(key)
            if buf is None:
                if len(self._scalars) >= SCALAR_CACHE_SIZE:
                    self._scalars.clear()
                buf = self._scalars[key] = api.device_put(
                    np.asarray(x, aval.dtype), aval, device.pjrt, False, zero_copy=True)
            return buf
        elif isinstance(x, Array):
            host = x._value
        else:
            host = x
        array = np.asarray(host)
        fresh = False
        if array.dtype != aval.dtype:
            array = array.astype(aval.dtype)
            fresh = True
        if not array.flags.c_contiguous:
            array = np.ascontiguousarray(array)
            fresh = True
        if array.shape != aval.shape:
            array = np.broadcast_to(array, aval.shape).copy()
            fresh = True
        return api.device_put(array, aval, device.pjrt, committed, zero_copy=fresh)

    def device_put(self, value: Any, aval: ShapedArray, device: Device | None = None) -> Array:
        committed = device is not None
        target = device if isinstance(device, XlaDevice) and device.backend is self else \
            self.default_device()
        if target is not self._devices[0]:
            self.varied = True
        if isinstance(value, XlaArray) and value._backend is self:
            if buffer_deleted(value._buf):
                raise deleted_error(value.aval)
            buf = value._buf
            if value.device is not target:
                buf = api.copy_to_device(buf, target.pjrt)
            elif value.committed == committed:
                return value
            return self.array_type(api.rewrap(buf, aval, target.pjrt, committed), aval)
        return self.array_type(self.buffer_for(value, aval, target, committed=committed), aval)

    def block_until_ready(self, arrays: Sequence[Any]) -> None:
        """Wait for several arrays of this backend at once."""
        bufs = []
        for x in arrays:
            x._check_alive()
            bufs.append(x._buf)
        api.batched_block_until_ready(bufs)

    # -- compiling ---------------------------------------------------------------------------

    def compile_text(self, text: str, device: XlaDevice, name: str = "") -> Any:
        return compilation.compile_module(self.client, device.pjrt, text, name)

    def supports(self, prim: Any) -> bool:
        return prim in self._platform_rules or prim in _generic_rules or prim in _decompositions

    def _target(self, device: Any) -> tuple[XlaDevice, bool]:
        if device is None:
            return self.default_device(), False
        if isinstance(device, XlaDevice) and device.backend is self:
            if device is not self._devices[0]:
                self.varied = True
            return device, True
        raise ValueError(f"device {device!r} does not belong to the {self.platform} backend")

    def _lower(self, closed: ClosedJaxpr, donate_argnums: Sequence[int]) -> tuple:
        name = function_name(closed)
        module = lower_closed_jaxpr(closed, name, self.platform, donate_argnums)
        if module.unused_donations:
            shapes = ", ".join(str(a) for a in module.unused_donations)
            warnings.warn(f"Some donated buffers were not usable: {shapes}.\nSee an explanation "
                          "at https://docs.jax.dev/en/latest/faq.html#buffer-donation.",
                          UserWarning, stacklevel=4)
        return name, module

    def compile(self, closed: ClosedJaxpr, *, donate_argnums: Sequence[int] = (),
                device: Any = None) -> Callable[..., list[Any]]:
        try:
            name, module = self._lower(closed, donate_argnums)
        except MissingLoweringError as e:
            return self._op_by_op(closed, e.primitive)
        target, committed = self._target(device)
        runner = Runner(self, module, name, target, committed,
                        [closed.consts[i] for i in module.hoisted])
        run = make_callable(runner)
        nans, infs = config_values.debug_nans, config_values.debug_infs
        if nans or infs:
            run = with_debug_checks(run, closed, name, nans, infs)
        return run

    def lower(self, closed: ClosedJaxpr, *, out_tree: Any = None,
              donate_argnums: Sequence[int] = (), device: Any = None, **_: Any) -> Lowered:
        name, module = self._lower(closed, donate_argnums)
        target, committed = self._target(device)
        return Lowered(self, closed, module, out_tree, name, target, committed)

    def _op_by_op(self, closed: ClosedJaxpr, missing: Any) -> Callable[..., list[Any]]:
        """A jaxpr holding a primitive the backend cannot lower runs op by op: each primitive
        through its executable, the unlowerable ones through their impl on the host."""
        _warn_once(missing, "jit runs the function op by op")
        out_avals = closed.out_avals

        def run(*args: Any) -> list[Any]:
            outs = eval_jaxpr(closed.jaxpr, closed.consts, *args)
            return [x if isinstance(x, XlaArray) else self.device_put(x, aval)
                    for x, aval in zip(outs, out_avals)]

        return run

    def _host_primitive(self, prim: Any, avals: Sequence[ShapedArray], params: dict,
                        out_avals: list[ShapedArray]) -> Callable[..., list[Any]]:
        """``prim`` run with its NumPy impl on the host (it has no lowering)."""
        _warn_once(prim, "it runs its NumPy impl on the host")
        rule = impl_of(prim, avals, params)

        def run(*args: Any) -> list[Any]:
            values = [to_numpy(x, a) for x, a in zip(args, avals)]
            out = rule(*values, **params)
            outs = list(out) if prim.multiple_results else [out]
            return [self.device_put(np.asarray(x, a.dtype), a) for x, a in zip(outs, out_avals)]

        return run

    # -- eager execution ---------------------------------------------------------------------

    def apply_primitive(self, prim: Any, args: Sequence[Any], params: dict) -> Any:
        try:
            avals = tuple([x.aval for x in args])
        except AttributeError:
            avals = tuple(map(get_aval, args))
        try:
            key = (prim, avals, *params.items())
            run = self._eager.get(key)
        except TypeError:  # unhashable params
            key = (prim, avals, _freeze(params))
            run = self._eager.get(key)
        if run is None:
            run = self._compile_primitive(key, prim, avals, params)
        outs = run(*args)
        if config_values.debug_nans or config_values.debug_infs:
            kind = find_non_finite(outs, config_values.debug_nans, config_values.debug_infs)
            if kind is not None:
                raise non_finite_error(kind, prim.name)
        return outs if prim.multiple_results else outs[0]

    def _compile_primitive(self, key: Any, prim: Any, avals: tuple, params: dict) -> Any:
        out = abstract_eval(prim, avals, params)
        out_avals = list(out) if prim.multiple_results else [out]
        try:
            text = lower_primitive(prim, avals, out_avals, params, self.platform)
        except MissingLoweringError:
            if get_rule("impl", prim) is None:
                raise
            run = self._host_primitive(prim, avals, params, out_avals)
            self._eager[key] = run
            return run
        module = LoweredModule(text, list(avals), out_avals)
        runner = Runner(self, module, prim.name, self.default_device(), False, [])
        run = make_callable(runner)
        if len(self._eager) >= EAGER_CACHE_SIZE:
            self._eager.clear()
        self._eager[key] = run
        return run

    def clear_caches(self) -> None:
        self._eager.clear()
        self._scalars.clear()


_warned: set[str] = set()


def _warn_once(prim: Any, what: str) -> None:
    if prim.name in _warned:
        return
    _warned.add(prim.name)
    warnings.warn(f"kiln: primitive '{prim.name}' has no xla lowering rule, so {what}. "
                  "Register one with kiln.core.register_lowering(prim, rule, backend='xla').",
                  UserWarning, stacklevel=4)


def function_name(closed: ClosedJaxpr) -> str:
    info = closed.jaxpr.debug_info
    fun = getattr(info, "fun", None)
    if fun is None:
        return "fn"
    return getattr(fun, "__name__", None) or type(fun).__name__


def _freeze(value: Any) -> Any:
    """A hashable stand-in for unhashable params (lists, dicts, arrays)."""
    if isinstance(value, dict):
        return tuple((k, _freeze(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_freeze(v) for v in value))
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype, value.shape, value.tobytes())
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return value


def _on_config_change(name: str, value: Any) -> None:
    if name == "default_device":
        for backend in _instances:
            backend._eager.clear()
            if value is not None and len(backend._devices) > 1:
                backend.varied = True


config.add_listener(_on_config_change)
