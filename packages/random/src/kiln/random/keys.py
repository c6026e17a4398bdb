"""PRNG keys: legacy uint32 keys (``PRNGKey``) and typed keys (``key``), and the operations
on them: ``split``, ``fold_in``, ``clone``, ``bits``, ``key_data``, ``wrap_key_data``,
``key_impl``.

A typed key array (JAX's ``PRNGKeyArray``, dtype ``key<fry>``) is a :class:`PRNGKeyArray`:
a thin wrapper holding the uint32 key data (shape ``key_shape + (2,)``) and the
implementation. It is registered as a pytree whose one child is that data, so it passes
through ``jit``, ``vmap`` and ``grad`` like an array. (kiln-core has no extended dtypes; see
the package README for what a fully faithful key dtype needs from core.)
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

import kiln
from kiln import lax
from kiln.core import dtypes
from kiln.core.abstract import get_aval
from kiln.core.config import values as _config
from kiln.core.dispatch import device_put
from kiln.core.jit import jit
from kiln.core.pytree import register_pytree_node
from kiln.core.tracing import Tracer
from kiln.random import prng as _bits

U32 = _bits.U32


class PRNGImpl(NamedTuple):
    """A PRNG implementation: its key data shape and the functions on key data."""

    key_shape: tuple[int, ...]
    seed: Any
    split: Any
    random_bits: Any
    fold_in: Any
    name: str
    tag: str

    def __repr__(self) -> str:
        return (f"PRNGImpl(key_shape={self.key_shape}, seed={self.seed!r}, "
                f"split={self.split!r}, random_bits={self.random_bits!r}, "
                f"fold_in={self.fold_in!r}, name='{self.name}', tag='{self.tag}')")

    def pprint(self) -> str:
        return self.name


threefry_prng_impl = PRNGImpl((2,), _bits.seed_data, _bits.split, _bits.random_bits,
                              _bits.fold_in, "threefry2x32", "fry")

PRNG_IMPLS = {"threefry2x32": threefry_prng_impl}


def resolve_impl(impl: Any) -> PRNGImpl:
    """The implementation named by ``impl`` (None: ``jax_default_prng_impl``)."""
    if impl is None:
        impl = _config.default_prng_impl
    if isinstance(impl, PRNGImpl):
        return impl
    name = getattr(impl, "name", impl)
    if name in PRNG_IMPLS:
        return PRNG_IMPLS[name]
    known = {"threefry2x32", "rbg", "unsafe_rbg"}
    if name in known:
        raise NotImplementedError(
            f"kiln.random implements the threefry2x32 PRNG only; {name!r} keys are not "
            "available")
    raise ValueError(f"unrecognized PRNG implementation {impl!r}; kiln.random supports "
                     "'threefry2x32'")


class KeyType:
    """The dtype of typed key arrays: ``key<fry>``."""

    __slots__ = ("impl",)

    def __init__(self, impl: PRNGImpl):
        self.impl = impl

    @property
    def name(self) -> str:
        return f"key<{self.impl.tag}>"

    @property
    def itemsize(self) -> int:
        return math.prod(self.impl.key_shape) * U32.itemsize

    kind = "V"

    def __str__(self) -> str:
        return self.name

    __repr__ = __str__

    def __eq__(self, other: Any) -> bool:
        return type(other) is KeyType and other.impl is self.impl

    def __hash__(self) -> int:
        return hash(("KeyType", self.impl.name))


def _shape(x: Any) -> tuple[int, ...]:
    return _bits.shape_of(x)


class PRNGKeyArray:
    """An array of typed PRNG keys (``jax.random.key``'s result): shape ``key_shape``,
    dtype ``key<fry>``, holding uint32 key data of shape ``key_shape + (2,)``."""

    __slots__ = ("_impl", "_base_array", "__weakref__")
    __array_priority__ = 100

    def __init__(self, impl: PRNGImpl, key_data: Any):
        self._impl = impl
        self._base_array = key_data

    # -- array-like attributes ------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return _shape(self._base_array)[:-len(self._impl.key_shape)]

    @property
    def dtype(self) -> KeyType:
        return KeyType(self._impl)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.size * self.itemsize

    @property
    def weak_type(self) -> bool:
        return False

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __iter__(self) -> Iterator[PRNGKeyArray]:
        if not self.shape:
            raise TypeError("iteration over a 0-d key array")
        return (self[i] for i in range(self.shape[0]))

    def __getitem__(self, index: Any) -> PRNGKeyArray:
        return PRNGKeyArray(self._impl, _index(self._base_array, index, self.ndim))

    def __hash__(self) -> int:
        raise TypeError(f"unhashable type: '{type(self).__name__}'")

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return _keys_equal(self, other)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return lax.bitwise_not(_keys_equal(self, other))

    # -- reshaping ----------------------------------------------------------------------------

    def reshape(self, *shape: Any, order: str = "C") -> PRNGKeyArray:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        shape = _resolve_shape(tuple(operator.index(d) for d in shape), self.size)
        return PRNGKeyArray(self._impl, lax.reshape(self._base_array,
                                                    (*shape, *self._impl.key_shape)))

    def ravel(self) -> PRNGKeyArray:
        return self.reshape(self.size)

    flatten = ravel

    def transpose(self, *axes: Any) -> PRNGKeyArray:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        perm = tuple(axes) if axes else tuple(reversed(range(self.ndim)))
        perm = tuple(a % self.ndim for a in perm) if self.ndim else ()
        key_axes = tuple(range(self.ndim, self.ndim + len(self._impl.key_shape)))
        return PRNGKeyArray(self._impl, lax.transpose(self._base_array, perm + key_axes))

    @property
    def T(self) -> PRNGKeyArray:
        return self.transpose()

    def squeeze(self, axis: Any = None) -> PRNGKeyArray:
        if axis is None:
            axes = tuple(i for i, d in enumerate(self.shape) if d == 1)
        else:
            axes = tuple(a % self.ndim for a in (axis if isinstance(axis, tuple) else (axis,)))
        return PRNGKeyArray(self._impl, lax.squeeze(self._base_array, axes))

    def copy(self) -> PRNGKeyArray:
        return self

    # -- device-array methods ---------------------------------------------------------------

    def block_until_ready(self) -> PRNGKeyArray:
        block = getattr(self._base_array, "block_until_ready", None)
        if block is not None:
            block()
        return self

    def devices(self) -> Any:
        return self._base_array.devices()

    @property
    def device(self) -> Any:
        return self._base_array.device

    @property
    def sharding(self) -> Any:
        return self._base_array.sharding

    @property
    def is_fully_addressable(self) -> bool:
        return True

    def is_deleted(self) -> bool:
        return bool(getattr(self._base_array, "is_deleted", lambda: False)())

    def delete(self) -> None:
        self._base_array.delete()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TypeError("JAX array with PRNGKey dtype cannot be converted to a NumPy array. "
                        "Use jax.random.key_data(arr) if you wish to extract the underlying "
                        "integer array.")

    # -- printing -----------------------------------------------------------------------------

    def __repr__(self) -> str:
        data = self._base_array
        if isinstance(data, Tracer):
            return f"{type(data).__name__}<{self.dtype.name}{list(self.shape)}>"
        text = str(np.asarray(data))
        return f"Array({self.shape}, dtype={self.dtype.name}) overlaying:\n{text}"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def _resolve_shape(shape: tuple[int, ...], size: int) -> tuple[int, ...]:
    if -1 in shape:
        known = math.prod(d for d in shape if d != -1)
        shape = tuple(size // known if d == -1 else d for d in shape)
    if math.prod(shape) != size:
        raise TypeError(f"cannot reshape key array of size {size} into shape {shape}")
    return shape


def _index(data: Any, index: Any, ndim: int) -> Any:
    """``data[index]`` for basic indices (ints, slices, Ellipsis, None) over the leading
    ``ndim`` (key) axes; integer tracers index dynamically."""
    if not isinstance(index, tuple):
        index = (index,)
    if any(i is Ellipsis for i in index):
        at = next(k for k, i in enumerate(index) if i is Ellipsis)
        used = sum(1 for i in index if i is not None and i is not Ellipsis)
        index = index[:at] + (slice(None),) * (ndim - used) + index[at + 1:]
    if sum(1 for i in index if i is not None) > ndim:
        raise IndexError(f"Too many indices for key array: array is {ndim}-dimensional, "
                         f"but {len(index)} were indexed")
    axis = 0
    squeeze: list[int] = []
    new_axes: list[int] = []
    out_axis = 0
    for i in index:
        if i is None:
            new_axes.append(out_axis)
            out_axis += 1
            continue
        size = _shape(data)[axis]
        if isinstance(i, slice):
            start, stop, step = i.indices(size)
            if step < 0:
                data = lax.rev(data, (axis,))
                start, stop, step = size - 1 - start, size - 1 - stop, -step
            n = len(range(start, stop, step))
            limit = list(_shape(data))
            begin = [0] * len(limit)
            strides = [1] * len(limit)
            begin[axis] = start
            limit[axis] = start + max(n - 1, 0) * step + 1 if n else start
            strides[axis] = step
            data = lax.slice(data, tuple(begin), tuple(limit), tuple(strides))
            axis += 1
            out_axis += 1
            continue
        if not isinstance(i, (int, np.integer)):
            if _shape(i) != () or not dtypes.is_int(get_aval(i).dtype):
                raise IndexError("kiln.random key arrays support basic indexing only (integer "
                                 "scalars, slices, None, Ellipsis)")
            start = [np.int32(0)] * len(_shape(data))
            i = lax.convert_element_type(i, np.int32)
            start[axis] = lax.rem(lax.add(lax.rem(i, np.int32(size)), np.int32(size)),
                                  np.int32(size))
            sizes = list(_shape(data))
            sizes[axis] = 1
            data = lax.dynamic_slice(data, start, sizes)
        else:
            k = operator.index(i)
            if not -size <= k < size:
                raise IndexError(f"index {k} is out of bounds for axis {axis} with size {size}")
            k %= size
            begin = [0] * len(_shape(data))
            limit = list(_shape(data))
            begin[axis] = k
            limit[axis] = k + 1
            data = lax.slice(data, tuple(begin), tuple(limit))
        squeeze.append(axis)
        axis += 1
    if squeeze:
        data = lax.squeeze(data, tuple(squeeze))
    for a in new_axes:
        data = lax.expand_dims(data, (a,))
    return data


def _keys_equal(a: Any, b: Any) -> Any:
    da, db = key_data(a), key_data(b)
    eq = lax.eq(da, db)
    return lax.reduce_and(eq, (len(_shape(eq)) - 1,))


def _flatten(k: PRNGKeyArray) -> tuple[tuple[Any], PRNGImpl]:
    return (k._base_array,), k._impl


def _unflatten(impl: PRNGImpl, children: Sequence[Any]) -> PRNGKeyArray:
    (data,) = children
    return PRNGKeyArray(impl, data)


register_pytree_node(PRNGKeyArray, _flatten, _unflatten)


# -- validating keys ---------------------------------------------------------------------------


def is_typed_key(x: Any) -> bool:
    return isinstance(x, PRNGKeyArray)


def _invalid_data(impl: PRNGImpl, shape: tuple[int, ...], dtype: Any) -> TypeError | None:
    if dtype != U32:
        return TypeError("JAX encountered invalid PRNG key data: expected key_data.dtype = "
                         f"uint32; got dtype={np.dtype(dtype).name}")
    n = len(impl.key_shape)
    if shape[-n:] != impl.key_shape:
        return TypeError("JAX encountered invalid PRNG key data: expected key_data.shape to "
                         f"end with {impl.key_shape}; got shape={shape} for impl={impl!r}")
    return None


def _as_data(x: Any) -> Any:
    """A raw key given as a list/NumPy array/Array/tracer, as an array value."""
    if isinstance(x, (list, tuple)):
        x = np.asarray(x)
    return x


def unwrap(name: str, key: Any, allow_batched: bool = False) -> tuple[Any, PRNGImpl, bool]:
    """``(key data, impl, typed)`` of a key argument of the function ``name``; raises JAX's
    errors for invalid key data and (unless ``allow_batched``) for arrays of keys."""
    if isinstance(key, PRNGKeyArray):
        data, impl, typed = key._base_array, key._impl, True
        shape = key.shape
    else:
        data = _as_data(key)
        impl, typed = threefry_prng_impl, False
        try:
            aval = get_aval(data)
        except TypeError:
            raise TypeError(f"{name} requires a PRNG key (an array of dtype uint32 and shape "
                            f"(..., 2), or a typed key), got {key!r}") from None
        error = _invalid_data(impl, tuple(aval.shape), aval.dtype)
        if error is not None:
            raise error
        shape = tuple(aval.shape)
    if not allow_batched and (shape if typed else shape[:-1]):
        raise ValueError(f"{name} accepts a single key, but was given a key array of shape "
                         f"{shape} != (). Use jax.vmap for batching.")
    return data, impl, typed


def rewrap(data: Any, impl: PRNGImpl, typed: bool) -> Any:
    return PRNGKeyArray(impl, data) if typed else data


# -- public API ----------------------------------------------------------------------------------


def _seed_value(seed: Any) -> Any:
    """``seed`` as an integer array (Python ints follow JAX: int64 bits with x64, else the
    low 32 bits)."""
    if isinstance(seed, PRNGKeyArray):
        raise TypeError("PRNGKey seed must be an integer; got a key array")
    if isinstance(seed, bool):
        return np.asarray(seed, np.uint32)
    if isinstance(seed, int):
        if _config.enable_x64:
            if not -(2**63) <= seed < 2**64:
                raise OverflowError(f"Python int {seed} too large to convert to int64")
            return np.asarray(seed & (2**64 - 1), np.uint64) if seed >= 2**63 else \
                np.asarray(seed, np.int64)
        if not -(2**63) <= seed < 2**64:
            raise OverflowError(f"Python int {seed} too large to convert to int64")
        return np.asarray(seed & 0xFFFFFFFF, np.uint32)
    if isinstance(seed, (float, complex)):
        raise TypeError(f"PRNG key seed must be an integer; got {seed!r}")
    aval = get_aval(seed)
    if aval.shape:
        raise TypeError(f"PRNGKey accepts a scalar seed, but was given an array of shape "
                        f"{aval.shape} != (). Use jax.vmap for batching")
    if not (dtypes.is_int(aval.dtype) or aval.dtype == dtypes.bool_):
        raise TypeError(f"PRNG key seed must be an integer; got {seed!r}")
    if isinstance(seed, np.generic):
        seed = np.asarray(seed)
    if aval.dtype == dtypes.bool_:
        seed = lax.convert_element_type(seed, U32)
    return seed


def _make_key(seed: Any, impl: Any) -> tuple[Any, PRNGImpl]:
    impl = resolve_impl(impl)
    value = _seed_value(seed)
    if isinstance(value, np.ndarray):  # a concrete seed: its words are known now
        value = np.asarray(value, dtypes.canonicalize_dtype(value.dtype))
        if value.dtype.itemsize == 8:
            bits = int(value.view(np.uint64))
            words = [bits >> 32, bits & 0xFFFFFFFF]
        else:
            words = [0, int(value.astype(np.int64)) & 0xFFFFFFFF]
        return device_put(np.array(words, U32)), impl
    return impl.seed(value), impl


def PRNGKey(seed: Any, *, impl: Any = None) -> Any:
    """A legacy PRNG key (uint32[2]) from an integer seed.

    ``PRNGKey(42)`` is ``[0, 42]``; 64-bit seeds (with x64 enabled) fill both words.
    Prefer :func:`key`, which returns a typed key.
    """
    data, _ = _make_key(seed, impl)
    return data


def key(seed: Any, *, impl: Any = None, dtype: Any = None) -> PRNGKeyArray:
    """A typed PRNG key (shape ``()``, dtype ``key<fry>``) from an integer seed."""
    data, impl = _make_key(seed, _impl_of(impl, dtype))
    return PRNGKeyArray(impl, data)


def _impl_of(impl: Any, dtype: Any) -> Any:
    """The implementation named by ``impl`` or by a key ``dtype`` (``key<fry>``)."""
    if dtype is None:
        return impl
    if impl is not None:
        raise TypeError("pass impl or dtype, not both")
    if isinstance(dtype, KeyType):
        return dtype.impl
    raise TypeError(f"dtype must be a key dtype (key_dtype()), got {dtype!r}")


def key_data(keys: Any) -> Any:
    """The uint32 data underlying ``keys`` (a typed key array, or a legacy uint32 key, which
    is returned as is)."""
    if isinstance(keys, PRNGKeyArray):
        return keys._base_array
    data, _, _ = unwrap("key_data", keys, allow_batched=True)
    return data


def wrap_key_data(key_bits_array: Any, *, impl: Any = None,
                  dtype: Any = None) -> PRNGKeyArray:
    """A typed key array over ``key_bits_array`` (uint32, shape ``(..., 2)``)."""
    impl = resolve_impl(_impl_of(impl, dtype))
    if isinstance(key_bits_array, PRNGKeyArray):
        raise TypeError("wrap_key_data expects uint32 key data, got a typed key array")
    data = _as_data(key_bits_array)
    aval = get_aval(data)
    error = _invalid_data(impl, tuple(aval.shape), aval.dtype)
    if error is not None:
        raise error
    if isinstance(data, np.ndarray):
        data = kiln.device_put(data)
    return PRNGKeyArray(impl, data)


def key_impl(keys: Any) -> str:
    """The name of the PRNG implementation of ``keys`` (``'threefry2x32'``)."""
    if isinstance(keys, PRNGKeyArray):
        return keys._impl.name
    unwrap("key_impl", keys, allow_batched=True)
    return threefry_prng_impl.name


def key_dtype(impl: Any = None) -> KeyType:
    """The dtype of typed keys of ``impl`` (``key<fry>`` for threefry2x32)."""
    return KeyType(resolve_impl(impl))


def _shape_arg(name: str, num: Any) -> tuple[int, ...]:
    if isinstance(num, (tuple, list)):
        shape = tuple(operator.index(d) for d in num)
    else:
        try:
            shape = (operator.index(num),)
        except TypeError:
            raise TypeError(f"{name}: num must be an int or a tuple of ints, got {num!r}") \
                from None
    if any(d < 0 for d in shape):
        raise ValueError(f"{name}: negative dimensions are not allowed, got {shape}")
    return shape


# The key operations run as one compiled computation each when called eagerly.
_split = jit(lambda data, *, shape: _bits.split(data, shape), static_argnames=("shape",))
_fold_in = jit(_bits.fold_in)
_random_bits = jit(lambda data, *, bit_width, shape: _bits.random_bits(data, bit_width, shape),
                   static_argnames=("bit_width", "shape"))


def split(key: Any, num: int | tuple[int, ...] = 2) -> Any:
    """Split a key into ``num`` new keys (an int, or a shape): an array of keys of shape
    ``(num,)`` (legacy keys: uint32 of shape ``(num, 2)``)."""
    data, impl, typed = unwrap("split", key)
    shape = _shape_arg("split", num)
    out = _split(data, shape=shape) if impl is threefry_prng_impl else impl.split(data, shape)
    return rewrap(out, impl, typed)


def _fold_value(data: Any) -> Any:
    """``jnp.uint32(data)``: Python ints must fit in uint32; arrays are converted (wrapping,
    floats truncated)."""
    if isinstance(data, bool):
        return np.uint32(data)
    if isinstance(data, int):
        if not 0 <= data < 2**32:
            raise OverflowError(f"Python integer {data} out of bounds for uint32")
        return np.uint32(data)
    if isinstance(data, float):
        return np.uint32(int(data))
    if isinstance(data, np.generic) or isinstance(data, np.ndarray):
        value = np.asarray(data)
        if value.dtype.kind == "f":
            return np.asarray(value.astype(np.int64), U32)
        return np.asarray(value.astype(U32))
    aval = get_aval(data)
    return data if aval.dtype == U32 else lax.convert_element_type(data, U32)


def fold_in(key: Any, data: Any) -> Any:
    """A new key that depends on ``key`` and the integer ``data`` (e.g. a step number)."""
    key_arr, impl, typed = unwrap("fold_in", key)
    value = _fold_value(data)
    out = _fold_in(key_arr, value) if impl is threefry_prng_impl else impl.fold_in(key_arr, value)
    return rewrap(out, impl, typed)


def clone(key: Any) -> Any:
    """A copy of ``key`` that may be consumed again (a no-op without key reuse checking)."""
    return key


def check_dtype_available(dtype: Any) -> np.dtype:
    """``dtype`` canonicalized for the x64 setting, warning as JAX does when a 64-bit dtype
    is requested with x64 disabled."""
    requested = np.dtype(dtype)
    canonical = dtypes.canonicalize_dtype(requested)
    if canonical != requested:
        warnings.warn(
            f"Explicitly requested dtype {requested.name} is not available, and will be "
            f"truncated to dtype {canonical.name}. To enable more dtypes, set the "
            "jax_enable_x64 configuration option or the JAX_ENABLE_X64 shell environment "
            "variable. See https://github.com/jax-ml/jax#current-gotchas for more.",
            stacklevel=3)
    return canonical


def canonical_shape(name: str, shape: Any) -> tuple[int, ...]:
    """A sampler's ``shape`` argument as a tuple of ints (an int is a 1-D shape)."""
    if isinstance(shape, (tuple, list)):
        out = tuple(operator.index(d) for d in shape)
    else:
        try:
            out = (operator.index(shape),)
        except TypeError:
            raise TypeError(f"{name}: shape must be a sequence of integers, got {shape!r}") \
                from None
    if any(d < 0 for d in out):
        raise ValueError(f"{name}: negative dimensions are not allowed, got shape {out}")
    return out


def bits(key: Any, shape: Sequence[int] = (), dtype: Any = None, *,
         out_sharding: Any = None) -> Any:
    """Uniformly random bits: unsigned integers of ``dtype`` (default: ``uint32``, or
    ``uint64`` with x64 enabled) and shape ``shape``."""
    data, impl, _ = unwrap("bits", key)
    if dtype is None:
        dtype = np.dtype(np.uint64) if _config.enable_x64 else U32
    dtype = np.dtype(dtype)
    if not dtypes.is_unsigned(dtype):
        raise ValueError(f"dtype argument to `bits` must be an unsigned int dtype, got "
                         f"{dtype.name}")
    dtype = check_dtype_available(dtype)
    shape = canonical_shape("bits", shape)
    if impl is threefry_prng_impl:
        return _random_bits(data, bit_width=dtype.itemsize * 8, shape=shape)
    return impl.random_bits(data, dtype.itemsize * 8, shape)
