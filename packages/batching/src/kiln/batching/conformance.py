"""The conformance kit's batching check, ``batch_vs_loop``: a primitive's batching rule
against a Python loop over the batch.

Importing this module registers the check with ``kiln.core.testing`` (kiln-batching names it
in the ``kiln.conformance`` entry-point group, so ``check_primitive`` finds it). From an
example ``(prim, args, params)`` the check makes a batch of members (the example's values with
their elements shuffled, so every member stays in the primitive's domain), then vmaps the
primitive over several choices of batched operands and batch positions (all batched at the
front, all at the back, one operand batched at a time, random ones, negative ``in_axes``) and
compares each result with the primitive applied to each member in a loop. One choice is also
run under ``jit``, which checks the batched primitives' shape rules.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from kiln import jit
from kiln.batching.api import vmap
from kiln.core import Primitive, dtypes, get_aval, get_rule
from kiln.core.primitives import collectives as _collectives
from kiln.core.reference import to_numpy
from kiln.core.testing import Skip, as_list, register_check

BATCH = 3
_COLLECTIVES = frozenset(_collectives.NAMED_AXIS_PRIMITIVES)


def _members(x: Any, rng: np.random.Generator) -> list[np.ndarray]:
    """``BATCH`` values like ``x``: ``x`` itself, then shuffles of its elements (scalars are
    varied instead: shifted integers, scaled floats)."""
    aval = get_aval(x)
    value = np.asarray(to_numpy(x, aval))
    members = [value]
    for k in range(1, BATCH):
        if value.size > 1:
            flat = value.reshape(-1)
            members.append(flat[rng.permutation(flat.size)].reshape(value.shape))
        elif dtypes.is_int(value.dtype):
            members.append(np.asarray(value.astype(np.int64) + k).astype(value.dtype))
        elif dtypes.is_inexact(value.dtype):
            wide = value.astype(np.complex128 if dtypes.is_complex(value.dtype) else np.float64)
            members.append(np.asarray(wide * (1 + 0.25 * k)).astype(value.dtype))
        else:  # bool
            members.append(value ^ bool(k % 2))
    return members


def _in_axes_choices(ndims: Sequence[int], rng: np.random.Generator) -> list[tuple]:
    n = len(ndims)
    choices = [tuple(0 for _ in ndims), tuple(-1 for _ in ndims)]  # front, back
    for i in range(min(n, 3)):
        if n > 1:
            choices.append(tuple(min(1, d) if j == i else None for j, d in enumerate(ndims)))
    for _ in range(2):
        axes = [None if rng.random() < 0.3 else int(rng.integers(0, d + 1)) for d in ndims]
        if all(a is None for a in axes):
            axes[0] = 0
        choices.append(tuple(axes))
    unique: list[tuple] = []
    for c in choices:
        if c not in unique:
            unique.append(c)
    return unique


def _assert_close(name: str, got: Any, want: np.ndarray, where: str) -> None:
    got = np.asarray(got)
    assert got.shape == want.shape, f"{name} {where}: shape {got.shape}, loop gives {want.shape}"
    assert got.dtype == want.dtype, f"{name} {where}: dtype {got.dtype}, loop gives {want.dtype}"
    if not dtypes.is_inexact(want.dtype):
        assert np.array_equal(got, want), f"{name} {where}: vmap gives\n{got}\nloop:\n{want}"
        return
    # Batched reductions and contractions may sum in another order: a few ulps apart.
    tol = max(1e-5, 16 * float(dtypes.finfo(want.dtype).eps))
    wide = np.complex128 if dtypes.is_complex(want.dtype) else np.float64
    np.testing.assert_allclose(got.astype(wide), want.astype(wide), rtol=tol, atol=tol,
                               equal_nan=True, err_msg=f"{name} {where}")


def check_batch_vs_loop(prim: Primitive, args: Sequence[Any], params: dict) -> None:
    """Raise AssertionError when ``vmap`` of ``prim`` disagrees with a loop over members;
    :class:`~kiln.core.testing.Skip` when the primitive has nothing to batch."""
    if prim in _COLLECTIVES:
        raise Skip("collectives need a bound axis name (tested with vmap's axis_name)")
    if not args:
        raise Skip("no operands to batch")
    if get_rule("impl", prim) is None and get_rule("decomposition", prim) is None:
        raise Skip("no impl rule to loop with")
    rng = np.random.default_rng(zlib.crc32(prim.name.encode()))
    members = [_members(x, rng) for x in args]
    ndims = [get_aval(x).ndim for x in args]
    fun = lambda *xs: prim.bind(*xs, **params)  # noqa: E731
    loops: dict[tuple, list[np.ndarray]] = {}
    for number, in_axes in enumerate(_in_axes_choices(ndims, rng)):
        mask = tuple(a is not None for a in in_axes)
        if mask not in loops:
            loops[mask] = _loop(prim, params, args, members, mask)
        batched = [x if a is None else np.stack(m, axis=a % (d + 1))
                   for x, m, a, d in zip(args, members, in_axes, ndims)]
        mapped = vmap(fun, in_axes=in_axes)
        if number == 0:
            mapped = jit(mapped)
        where = f"with in_axes={in_axes}" + (" under jit" if number == 0 else "")
        try:
            got = as_list(mapped(*batched), prim)
        except Exception as e:
            raise AssertionError(f"{prim.name} {where}: {type(e).__name__}: {e}") from e
        want = loops[mask]
        assert len(got) == len(want), f"{prim.name}: {len(got)} outputs, loop {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            _assert_close(prim.name, g, w, f"output {i} {where}")


def _loop(prim: Primitive, params: dict, args: Sequence[Any], members: list[list[Any]],
          batched: tuple[bool, ...]) -> list[np.ndarray]:
    """The primitive applied to each member in turn (unbatched operands: the example's),
    stacked along a leading axis."""
    outs = [as_list(prim.bind(*[m[k] if b else x for x, m, b in zip(args, members, batched)],
                              **params), prim)
            for k in range(BATCH)]
    return [np.stack([np.asarray(o[i]) for o in outs]) for i in range(len(outs[0]))]


register_check("batch_vs_loop", check_batch_vs_loop)

__all__ = ["check_batch_vs_loop"]
