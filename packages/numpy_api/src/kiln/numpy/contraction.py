"""Products and contractions: ``matmul``, ``dot``, ``vdot``, ``inner``, ``outer``,
``tensordot``, ``kron``, ``matvec``, ``vecmat``, ``vecdot``, ``trace``, ``cross`` and
``einsum`` (with its contraction-order optimisation, ``einsum_path``).

Operands of different dtypes go to ``dot_general`` as they are, with the promoted dtype as
``preferred_element_type``, as in JAX.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np
from kiln import lax
from kiln.core import dtypes
from kiln.numpy import promotion
from kiln.numpy.promotion import asarray, check_arraylike
from kiln.numpy.reductions import canonicalize_axis


def _preferred(a: Any, b: Any, preferred_element_type: Any) -> tuple[np.dtype, bool]:
    if preferred_element_type is None:
        return promotion.result_dtype_and_weak(a, b)
    return promotion.canonicalize_user_dtype(preferred_element_type, "dot"), False


def _finish(result: Any, dtype: np.dtype, weak: bool) -> Any:
    if result.dtype == dtype and result.aval.weak_type == weak:
        return result
    return lax.elementwise._convert_element_type(result, dtype, weak)


def matmul(a: Any, b: Any, *, precision: Any = None, preferred_element_type: Any = None,
           out_sharding: Any = None) -> Any:
    """Matrix product with NumPy's broadcasting of the leading (batch) dimensions; 1-D
    operands are vectors."""
    check_arraylike("matmul", a, b)
    a, b = asarray(a), asarray(b)
    for i, x in enumerate((a, b)):
        if x.ndim < 1:
            raise ValueError(f"matmul input operand {i} must have ndim at least 1, but it has "
                             f"ndim {x.ndim}")
    dtype, weak = _preferred(a, b, preferred_element_type)
    a_is_mat, b_is_mat = a.ndim > 1, b.ndim > 1
    a_batch_dims = tuple(a.shape[:-2]) if a_is_mat else ()
    b_batch_dims = tuple(b.shape[:-2]) if b_is_mat else ()
    nbatch = max(len(a_batch_dims), len(b_batch_dims))
    a_batch_dims = (None,) * (nbatch - len(a_batch_dims)) + a_batch_dims
    b_batch_dims = (None,) * (nbatch - len(b_batch_dims)) + b_batch_dims
    a_squeeze: list[int] = []
    b_squeeze: list[int] = []
    a_batch: list[int] = []
    b_batch: list[int] = []
    idx_batch: list[int] = []
    idx_a_other: list[int] = []
    idx_b_other: list[int] = []
    for i, (ba, bb) in enumerate(zip(a_batch_dims, b_batch_dims)):
        if ba is None:
            idx_b_other.append(i)
        elif bb is None:
            idx_a_other.append(i)
        elif ba == 1:
            idx_b_other.append(i)
            a_squeeze.append(len(idx_batch) + len(idx_a_other) + len(a_squeeze))
        elif bb == 1:
            idx_a_other.append(i)
            b_squeeze.append(len(idx_batch) + len(idx_b_other) + len(b_squeeze))
        elif ba == bb:
            a_batch.append(len(idx_batch) + len(idx_a_other))
            b_batch.append(len(idx_batch) + len(idx_b_other))
            idx_batch.append(i)
        else:
            raise ValueError(f"Incompatible shapes for matmul arguments: {a.shape} and "
                             f"{b.shape}")
    if a_is_mat:
        idx_a_other.append(nbatch)
    if b_is_mat:
        idx_b_other.append(nbatch + a_is_mat)
    perm = np.argsort(np.concatenate([idx_batch, idx_a_other, idx_b_other]).astype(int))
    if a_squeeze:
        a = lax.squeeze(a, tuple(a_squeeze))
    if b_squeeze:
        b = lax.squeeze(b, tuple(b_squeeze))
    out = lax.dot_general(a, b, (((a.ndim - 1,), (b.ndim - 1 - b_is_mat,)),
                                 (tuple(a_batch), tuple(b_batch))),
                          precision=precision, preferred_element_type=dtype,
                          out_sharding=out_sharding)
    result = lax.transpose(out, tuple(int(p) for p in perm))
    return _finish(result, dtype, weak)


def dot(a: Any, b: Any, *, precision: Any = None, preferred_element_type: Any = None,
        out_sharding: Any = None) -> Any:
    """NumPy's ``dot``: the product of scalars, the inner product of vectors, the matrix
    product of matrices, and a sum over the last axis of ``a`` and the second-to-last of
    ``b`` otherwise."""
    check_arraylike("dot", a, b)
    a, b = asarray(a), asarray(b)
    dtype, weak = _preferred(a, b, preferred_element_type)
    if a.ndim == 0 or b.ndim == 0:
        contract: tuple = ((), ())
    elif b.ndim == 1:
        contract = ((a.ndim - 1,), (0,))
    else:
        contract = ((a.ndim - 1,), (b.ndim - 2,))
    result = lax.dot_general(a, b, (contract, ((), ())), precision=precision,
                             preferred_element_type=dtype, out_sharding=out_sharding)
    return _finish(result, dtype, weak)


def vdot(a: Any, b: Any, *, precision: Any = None, preferred_element_type: Any = None) -> Any:
    """The dot product of the flattened arrays, conjugating ``a``."""
    from kiln.numpy.shape import ravel
    from kiln.numpy.ufuncs import conjugate

    check_arraylike("vdot", a, b)
    a = asarray(a)
    if dtypes.is_complex(a.dtype):
        a = conjugate(a)
    return dot(ravel(a), ravel(b), precision=precision,
               preferred_element_type=preferred_element_type)


def tensordot(a: Any, b: Any, axes: Any = 2, *, precision: Any = None,
              preferred_element_type: Any = None) -> Any:
    """Sum of products over ``axes``: the last ``axes`` of ``a`` with the first of ``b``,
    or explicit pairs of axes."""
    check_arraylike("tensordot", a, b)
    a, b = asarray(a), asarray(b)
    dtype, weak = _preferred(a, b, preferred_element_type)
    if type(axes) is int:
        if axes > min(a.ndim, b.ndim):
            raise TypeError(f"Number of tensordot axes (axes {axes}) exceeds input ranks "
                            f"({a.shape} and {b.shape})")
        contracting = (tuple(range(a.ndim - axes, a.ndim)), tuple(range(axes)))
    elif isinstance(axes, (tuple, list)) and len(axes) == 2:
        ax1, ax2 = axes
        if type(ax1) is int and type(ax2) is int:
            contracting = ((canonicalize_axis(ax1, a.ndim),), (canonicalize_axis(ax2, b.ndim),))
        elif isinstance(ax1, (tuple, list)) and isinstance(ax2, (tuple, list)):
            if len(ax1) != len(ax2):
                raise TypeError(f"tensordot requires axes lists to have equal length, got "
                                f"{ax1} and {ax2}.")
            contracting = (tuple(canonicalize_axis(i, a.ndim) for i in ax1),
                           tuple(canonicalize_axis(i, b.ndim) for i in ax2))
        else:
            raise TypeError("tensordot requires both axes lists to be either ints, tuples or "
                            f"lists, got {ax1} and {ax2}")
    else:
        raise TypeError("tensordot axes argument must be an int, a pair of ints, or a pair of "
                        "lists/tuples of ints.")
    result = lax.dot_general(a, b, (contracting, ((), ())), precision=precision,
                             preferred_element_type=dtype)
    return _finish(result, dtype, weak)


def inner(a: Any, b: Any, *, precision: Any = None, preferred_element_type: Any = None) -> Any:
    """Sum of products over the last axes of ``a`` and ``b``."""
    check_arraylike("inner", a, b)
    a, b = asarray(a), asarray(b)
    if a.ndim == 0 or b.ndim == 0:
        from kiln.numpy.ufuncs import multiply

        out = multiply(a, b)
        if preferred_element_type is not None:
            out = lax.convert_element_type(out, preferred_element_type)
        return out
    return tensordot(a, b, (-1, -1), precision=precision,
                     preferred_element_type=preferred_element_type)


def outer(a: Any, b: Any, out: None = None) -> Any:
    """The outer product of the flattened arrays."""
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.outer is not supported.")
    check_arraylike("outer", a, b)
    a, b = (promotion._as_array(x) for x in promotion.promote_dtypes(a, b))
    return lax.mul(lax.reshape(a, (a.size, 1)), lax.reshape(b, (1, b.size)))


def kron(a: Any, b: Any) -> Any:
    """The Kronecker product: blocks of ``b`` scaled by each element of ``a``."""
    check_arraylike("kron", a, b)
    a, b = (promotion._as_array(x) for x in promotion.promote_dtypes(a, b))
    if a.ndim < b.ndim:
        a = lax.expand_dims(a, tuple(range(b.ndim - a.ndim)))
    elif b.ndim < a.ndim:
        b = lax.expand_dims(b, tuple(range(a.ndim - b.ndim)))
    a_r = lax.expand_dims(a, tuple(range(1, 2 * a.ndim, 2)))
    b_r = lax.expand_dims(b, tuple(range(0, 2 * b.ndim, 2)))
    out_shape = tuple(int(x) * int(y) for x, y in zip(a.shape, b.shape))
    return lax.reshape(lax.mul(a_r, b_r), out_shape)


def matvec(x1: Any, x2: Any, /) -> Any:
    """Batched matrix-vector product (batch dimensions broadcast)."""
    check_arraylike("matvec", x1, x2)
    x2 = asarray(x2)
    out = matmul(x1, lax.expand_dims(x2, (x2.ndim,)))
    return lax.squeeze(out, (out.ndim - 1,))


def vecmat(x1: Any, x2: Any, /) -> Any:
    """Batched vector-matrix product, conjugating the vector."""
    from kiln.numpy.ufuncs import conjugate

    check_arraylike("vecmat", x1, x2)
    x1 = conjugate(asarray(x1))
    out = matmul(lax.expand_dims(x1, (x1.ndim - 1,)), x2)
    return lax.squeeze(out, (out.ndim - 2,))


def vecdot(x1: Any, x2: Any, /, *, axis: int = -1, precision: Any = None,
           preferred_element_type: Any = None) -> Any:
    """Batched dot product of vectors along ``axis``, conjugating ``x1``."""
    from kiln.numpy.shape import moveaxis
    from kiln.numpy.ufuncs import conjugate

    check_arraylike("vecdot", x1, x2)
    a, b = asarray(x1), asarray(x2)
    if a.shape[axis] != b.shape[axis]:
        raise ValueError(f"axes must match; got shapes {a.shape} and {b.shape} with "
                         f"{axis=}")
    a = conjugate(moveaxis(a, axis, -1))
    b = moveaxis(b, axis, -1)
    out = matmul(lax.expand_dims(a, (a.ndim - 1,)), lax.expand_dims(b, (b.ndim,)),
                 precision=precision, preferred_element_type=preferred_element_type)
    return lax.squeeze(out, (out.ndim - 2, out.ndim - 1))


def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None,
          out: None = None) -> Any:
    """Sum along the diagonal ``offset`` of the plane of ``axis1`` and ``axis2``."""
    from kiln.numpy.creation import diagonal
    from kiln.numpy.reductions import sum

    check_arraylike("trace", a)
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.trace is not supported.")
    return sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


def cross(a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1,
          axis: int | None = None) -> Any:
    """The cross product of vectors of length 2 or 3 along the given axes."""
    from kiln.numpy.shape import moveaxis, stack

    check_arraylike("cross", a, b)
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = (promotion._as_array(x) for x in promotion.promote_dtypes(a, b))
    a = moveaxis(a, axisa, -1)
    b = moveaxis(b, axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError("Dimension must be either 2 or 3 for cross product")
    from kiln.numpy.ufuncs import multiply, subtract

    def part(x: Any, i: int) -> Any:
        if i < x.shape[-1]:
            return lax.index_in_dim(x, i, x.ndim - 1, keepdims=False)
        return lax.full(x.shape[:-1], 0, x.dtype)

    if a.shape[-1] == 2 and b.shape[-1] == 2:
        return subtract(multiply(part(a, 0), part(b, 1)), multiply(part(a, 1), part(b, 0)))
    a0, a1, a2 = (part(a, i) for i in range(3))
    b0, b1, b2 = (part(b, i) for i in range(3))
    c = stack([subtract(multiply(a1, b2), multiply(a2, b1)),
               subtract(multiply(a2, b0), multiply(a0, b2)),
               subtract(multiply(a0, b1), multiply(a1, b0))])
    return moveaxis(c, 0, axisc)


# -- einsum -------------------------------------------------------------------------------------

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _parse_einsum(subscripts: Any, operands: Sequence[Any]) -> tuple[str, list[Any]]:
    """Normalise einsum's two calling conventions to ``('ij,jk->ik', operands)``."""
    if isinstance(subscripts, str):
        return subscripts.replace(" ", ""), list(operands)
    # Interleaved form: einsum(op0, sublist0, op1, sublist1, ..., [sublistout])
    args = [subscripts, *operands]
    ops, subs = args[0::2], args[1::2]
    out_sub = None
    if len(args) % 2 == 1:
        out_sub = ops.pop()
    def letters(sub: Sequence[Any]) -> str:
        return "".join("..." if s is Ellipsis else _LETTERS[operator.index(s)] for s in sub)
    expr = ",".join(letters(s) for s in subs)
    if out_sub is not None:
        expr += "->" + letters(out_sub)
    return expr, ops


def _expand_ellipses(expr: str, shapes: list[tuple[int, ...]]) -> tuple[list[str], str]:
    if "->" in expr:
        lhs, out = expr.split("->")
        explicit = True
    else:
        lhs, out, explicit = expr, "", False
    inputs = lhs.split(",")
    if len(inputs) != len(shapes):
        raise ValueError(f"einsum: {len(inputs)} input subscripts for {len(shapes)} operands")
    used = set(c for c in expr if c.isalpha())
    free = [c for c in _LETTERS if c not in used]
    max_ell = 0
    for term, shape in zip(inputs, shapes):
        if "..." in term:
            max_ell = max(max_ell, len(shape) - (len(term) - 3))
    ell = "".join(free[:max_ell])
    new_inputs = []
    for term, shape in zip(inputs, shapes):
        if "..." in term:
            n = len(shape) - (len(term) - 3)
            term = term.replace("...", ell[max_ell - n:] if n else "")
        if len(term) != len(shape):
            raise ValueError(f"einsum: operand has {len(shape)} dimensions but subscripts "
                             f"{term!r} name {len(term)}")
        new_inputs.append(term)
    if explicit:
        out = out.replace("...", ell)
    else:
        counts: dict[str, int] = {}
        for term in new_inputs:
            for c in term:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    for c in out:
        if not any(c in term for term in new_inputs):
            raise ValueError(f"einsum: output subscript {c!r} does not appear in the inputs")
    return new_inputs, out


def _flops(indices: set[str], inner: bool, num_terms: int, sizes: dict[str, int]) -> int:
    size = 1
    for c in indices:
        size *= sizes[c]
    factor = max(1, num_terms - 1) + (1 if inner else 0)
    return size * factor


def _contract_path(inputs: list[str], output: str, sizes: dict[str, int],
                   optimize: Any) -> list[tuple[int, ...]]:
    """The order of pairwise contractions, as opt_einsum's ``contract_path`` lists them:
    exhaustive search for a few operands ('optimal'), greedy otherwise."""
    n = len(inputs)
    if n <= 1:
        return [tuple(range(n))] if n else []
    if optimize is False or optimize == "none":
        return [tuple(range(n))] if n > 1 else []
    if isinstance(optimize, (list, tuple)):
        path = [tuple(p) for p in optimize if not isinstance(p, str)]
        return path
    if n == 2:
        return [(0, 1)]
    strategy = optimize if isinstance(optimize, str) else "auto"
    if strategy in ("auto", "optimal", "dp", "branch-all", "branch-2", "auto-hq") and n <= 4:
        return _optimal_path(inputs, output, sizes)
    return _greedy_path(inputs, output, sizes)


def _contraction_result(sets: list[set[str]], i: int, j: int, output: set[str]
                        ) -> tuple[set[str], set[str], bool]:
    others = set()
    for k, s in enumerate(sets):
        if k not in (i, j):
            others |= s
    keep = output | others
    combined = sets[i] | sets[j]
    new = combined & keep
    removed = combined - new
    return new, combined, bool(removed)


def _optimal_path(inputs: list[str], output: str, sizes: dict[str, int]
                  ) -> list[tuple[int, ...]]:
    out_set = set(output)
    best: dict[str, Any] = {"cost": None, "path": None}

    def search(sets: list[set[str]], path: list[tuple[int, int]], cost: int) -> None:
        if best["cost"] is not None and cost >= best["cost"]:
            return
        if len(sets) == 1:
            best["cost"], best["path"] = cost, list(path)
            return
        for i, j in itertools.combinations(range(len(sets)), 2):
            new, combined, inner = _contraction_result(sets, i, j, out_set)
            step = _flops(combined, inner, 2, sizes)
            remaining = [s for k, s in enumerate(sets) if k not in (i, j)] + [new]
            search(remaining, path + [(i, j)], cost + step)

    search([set(t) for t in inputs], [], 0)
    return best["path"]


def _greedy_path(inputs: list[str], output: str, sizes: dict[str, int]
                 ) -> list[tuple[int, ...]]:
    out_set = set(output)
    sets = [set(t) for t in inputs]
    path = []

    def size_of(s: set[str]) -> int:
        r = 1
        for c in s:
            r *= sizes[c]
        return r

    while len(sets) > 1:
        best = None
        for i, j in itertools.combinations(range(len(sets)), 2):
            new, combined, inner = _contraction_result(sets, i, j, out_set)
            # opt_einsum's greedy cost: the size of the result minus the inputs' sizes.
            cost = size_of(new) - size_of(sets[i]) - size_of(sets[j])
            key = (cost, _flops(combined, inner, 2, sizes), i, j)
            if best is None or key < best[0]:
                best = (key, i, j, new)
        _, i, j, new = best
        path.append((i, j))
        sets = [s for k, s in enumerate(sets) if k not in (i, j)] + [new]
    return path


def einsum_path(subscripts: Any, /, *operands: Any,
                optimize: bool | str | list[tuple[int, ...]] = "auto") -> tuple[list, str]:
    """The contraction order einsum would use and a description of it."""
    expr, ops = _parse_einsum(subscripts, operands)
    shapes = [np.shape(o) if not hasattr(o, "shape") else tuple(o.shape) for o in ops]
    inputs, output = _expand_ellipses(expr, shapes)
    sizes = _index_sizes(inputs, shapes)
    path = _contract_path(inputs, output, sizes, optimize if optimize is not True
                          else "auto")
    info = (f"  Complete contraction:  {','.join(inputs)}->{output}\n"
            f"  Optimized path: {path}")
    return [*path], info


def _index_sizes(inputs: list[str], shapes: list[tuple[int, ...]]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for k, (term, shape) in enumerate(zip(inputs, shapes)):
        for c, d in zip(term, shape):
            if c in sizes and sizes[c] != d:
                if sizes[c] == 1:
                    sizes[c] = d
                elif d != 1:
                    raise ValueError(f"Size of label '{c}' for operand {k} ({sizes[c]}) "
                                     f"does not match previous terms ({d}).")
            elif c not in sizes:
                sizes[c] = d
    return sizes


def einsum(subscripts: Any, /, *operands: Any, out: None = None,
           optimize: str | bool | list[tuple[int, ...]] = "auto", precision: Any = None,
           preferred_element_type: Any = None, _dot_general: Any = None,
           out_sharding: Any = None) -> Any:
    """Einstein summation: ``einsum('ij,jk->ik', a, b)`` is ``a @ b``. Pairs of operands
    are contracted with ``dot_general`` in the order ``optimize`` finds cheapest."""
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.einsum is not supported.")
    expr, ops = _parse_einsum(subscripts, operands)
    check_arraylike("einsum", *ops)
    arrays = [asarray(o) for o in ops]
    if preferred_element_type is None:
        dtype, weak = promotion.result_dtype_and_weak(*arrays)
    else:
        dtype = promotion.canonicalize_user_dtype(preferred_element_type, "einsum")
        weak = False
    inputs, output = _expand_ellipses(expr, [a.shape for a in arrays])
    sizes = _index_sizes(inputs, [a.shape for a in arrays])
    path = _contract_path(inputs, output, sizes, "auto" if optimize is True else optimize)
    terms = list(zip(inputs, arrays))
    out_set = set(output)
    for contraction_ in path:
        # As JAX does: operands leave the list from the highest index down.
        picked = [terms[i] for i in sorted(contraction_, reverse=True)]
        terms = [t for k, t in enumerate(terms) if k not in contraction_]
        keep = set(output)
        for t, _ in terms:
            keep |= set(t)
        if len(picked) == 1:
            t, x = picked[0]
            terms.append(_reduce_term(t, x, keep, sizes))
            continue
        (t1, x1), rest = picked[0], picked[1:]
        for t2, x2 in rest:
            later = keep | set().union(*(set(t) for t, _ in rest if t is not t2))
            t1, x1 = _contract_pair(t1, x1, t2, x2, later, sizes, precision, dtype)
        terms.append((t1, x1))
    if len(terms) != 1:
        raise ValueError("einsum: the contraction path does not contract every operand")
    t, x = terms[0]
    t, x = _reduce_term(t, x, out_set, sizes)
    if t != output:
        x = lax.transpose(x, tuple(t.index(c) for c in output))
    return _finish(x, dtype, weak)


def _diagonalize(term: str, x: Any) -> tuple[str, Any]:
    """Take the diagonal of repeated indices within one term."""
    while True:
        dup = next((c for c in term if term.count(c) > 1), None)
        if dup is None:
            return term, x
        i = term.index(dup)
        j = term.index(dup, i + 1)
        n = x.shape[i]
        eye = lax.eq(lax.broadcasted_iota(np.int32, (n, n), 0),
                     lax.broadcasted_iota(np.int32, (n, n), 1))
        mask = lax.broadcast_in_dim(eye, x.shape, (i, j))
        x = lax.select(mask, x, lax.full_like(x, 0))
        x = lax.reduce_sum(x, (j,))
        term = term[:j] + term[j + 1:]


def _reduce_term(term: str, x: Any, keep: set[str], sizes: dict[str, int]
                 ) -> tuple[str, Any]:
    term, x = _diagonalize(term, x)
    drop = tuple(i for i, c in enumerate(term) if c not in keep)
    if drop:
        x = _sum(x, drop)
        term = "".join(c for c in term if c in keep)
    return term, x


def _sum(x: Any, axes: tuple[int, ...]) -> Any:
    if x.dtype == dtypes.bool_:
        return lax.reduce_or(x, axes)
    return lax.reduce_sum(x, axes)


def _contract_pair(t1: str, x1: Any, t2: str, x2: Any, keep: set[str],
                   sizes: dict[str, int], precision: Any, dtype: np.dtype
                   ) -> tuple[str, Any]:
    t1, x1 = _reduce_term(t1, x1, keep | set(t2), sizes)
    t2, x2 = _reduce_term(t2, x2, keep | set(t1), sizes)
    # size-1 broadcast dimensions (from ellipses) that differ: squeeze them away
    for c in set(t1) & set(t2):
        d1, d2 = x1.shape[t1.index(c)], x2.shape[t2.index(c)]
        if d1 != d2:
            if d1 == 1:
                x1 = lax.squeeze(x1, (t1.index(c),))
                t1 = t1.replace(c, "")
            else:
                x2 = lax.squeeze(x2, (t2.index(c),))
                t2 = t2.replace(c, "")
    shared = [c for c in t1 if c in t2]
    batch = [c for c in shared if c in keep]
    contracted = [c for c in shared if c not in keep]
    dims = ((tuple(t1.index(c) for c in contracted), tuple(t2.index(c) for c in contracted)),
            (tuple(t1.index(c) for c in batch), tuple(t2.index(c) for c in batch)))
    out = lax.dot_general(x1, x2, dims, precision=precision, preferred_element_type=dtype)
    t_out = "".join(batch) + "".join(c for c in t1 if c not in shared) + \
        "".join(c for c in t2 if c not in shared)
    return t_out, out
