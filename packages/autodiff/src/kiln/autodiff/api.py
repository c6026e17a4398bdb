"""The differentiation API users call: ``jvp``, ``linearize``, ``vjp``, ``grad``,
``value_and_grad``, ``jacfwd``, ``jacrev`` and ``hessian``, with JAX's signatures, checks and
error messages. Each flattens its pytrees and calls the flat machinery: ``jvp_flat``
(forward mode), ``linearize_flat`` (jvp + partial evaluation) and ``backward_pass``
(transposition of the linear jaxpr), so reverse mode is linearize + transpose.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kiln import lax
from kiln.autodiff.jvp import JVPTracer, jvp_flat
from kiln.autodiff.partial_eval import linearize_flat
from kiln.autodiff.pytrees import tree_flatten, tree_map, tree_unflatten
from kiln.autodiff.transpose import UndefinedPrimal, backward_pass
from kiln.autodiff.zeros import Zero, float0, instantiate, tangent_dtype
from kiln.core import dtypes, tracing
from kiln.core.abstract import ShapedArray, get_aval
from kiln.core.array import Array
from kiln.core.dispatch import device_put_value
from kiln.core.jaxpr import eval_jaxpr
from kiln.core.staging import DebugInfo, trace_to_jaxpr
from kiln.core.tracing import Tracer

# -- argument handling ----------------------------------------------------------------------------


def _check_callable(fun: Any) -> None:
    if not callable(fun):
        raise TypeError(f"Expected a callable value, got {fun!r}")


def _aval_of_argument(x: Any) -> ShapedArray:
    try:
        return get_aval(x)
    except TypeError:
        raise TypeError(f"Argument '{x}' of type {type(x)} is not a valid JAX type") from None


def _aval_text(aval: ShapedArray) -> str:
    return ("~" if aval.weak_type else "") + aval.str_short(short_dtypes=False)


def _argnums_tuple(argnums: int | Sequence[int]) -> tuple[int, ...]:
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def _argnums_partial(fun: Callable, argnums: int | Sequence[int], args: tuple,
                     kwargs: dict) -> tuple[Callable, tuple]:
    """``fun`` as a function of the arguments at ``argnums`` only, and those arguments."""
    nums = _argnums_tuple(argnums)
    top = max(nums)
    if top >= len(args):
        raise TypeError(
            f"differentiating with respect to argnums={argnums} requires at least {top + 1} "
            f"positional arguments to be passed by the caller, but got only {len(args)} "
            "positional arguments.")
    nums = tuple(i % len(args) for i in nums)

    def partial_fun(*dyn_args: Any) -> Any:
        full = list(args)
        for i, value in zip(nums, dyn_args):
            full[i] = value
        return fun(*full, **kwargs)

    functools.update_wrapper(partial_fun, fun)
    return partial_fun, tuple(args[i] for i in nums)


def _split_aux(out: Any) -> tuple[Any, Any]:
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError("expected function with aux output to return a two-element tuple, but "
                        f"got type {type(out)} with value {out!r}")
    return out[0], out[1]


def _strip_own_tracers(tree: Any) -> Any:
    """``tree`` with the current trace's tracers replaced by their primal values (aux
    outputs are not differentiated)."""
    trace = tracing.context.trace

    def strip(x: Any) -> Any:
        while type(x) is JVPTracer and x._trace is trace:
            x = x.primal
        return x

    return tree_map(strip, tree)


class _FlatFun:
    """A pytree function flattened: called on leaves, returns leaves, and remembers its
    output structure (and aux output) from the call."""

    def __init__(self, fun: Callable, in_tree: Any, has_aux: bool):
        self.fun = fun
        self.in_tree = in_tree
        self.has_aux = has_aux
        self.out_tree: Any = None
        self.aux: Any = None

    def __call__(self, *leaves: Any) -> list[Any]:
        out = self.fun(*tree_unflatten(self.in_tree, leaves))
        if self.has_aux:
            out, aux = _split_aux(out)
            self.aux = _strip_own_tracers(aux)
        flat, self.out_tree = tree_flatten(out)
        return flat


def _user_value(t: Any) -> Any:
    """A tangent or cotangent as users receive it: zeros materialized, constants (NumPy
    scalars from the rules) as kiln Arrays; float0 values stay NumPy arrays, as in JAX."""
    if type(t) is Zero:
        if t.aval.dtype == float0 or tracing.context.trace is not tracing.EVAL_TRACE:
            return instantiate(t)  # staged: a broadcast zero, not a constant array
        return device_put_value(np.zeros(t.aval.shape, t.aval.dtype), t.aval)
    if isinstance(t, (Array, Tracer)) or np.asarray(t).dtype == float0:
        return t
    return device_put_value(t)


# -- forward mode -----------------------------------------------------------------------------


def jvp(fun: Callable, primals: Any, tangents: Any, has_aux: bool = False) -> Any:
    """Jacobian-vector product of ``fun`` at ``primals`` along ``tangents``.

    ``primals`` and ``tangents`` are tuples (or lists) of positional arguments with the
    same structure; returns ``(primals_out, tangents_out)`` (and ``aux`` with ``has_aux``).
    Integer and boolean arguments take ``float0`` tangents.
    """
    _check_callable(fun)
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("primal and tangent arguments to jax.jvp must be tuples or lists; "
                        f"found {type(primals).__name__} and {type(tangents).__name__}.")
    flat_primals, tree = tree_flatten(primals)
    flat_tangents, tangent_tree = tree_flatten(tangents)
    if tree != tangent_tree:
        raise TypeError("primal and tangent arguments to jax.jvp must have the same tree "
                        f"structure; primals have tree structure {tree} whereas tangents have "
                        f"tree structure {tangent_tree}.")
    flat_tangents = [_jvp_tangent(p, t) for p, t in zip(flat_primals, flat_tangents)]
    flat_fun = _FlatFun(fun, tree, has_aux)
    outs, out_tangents = jvp_flat(flat_fun, flat_primals, flat_tangents,
                                  DebugInfo("jvp", fun, None))
    out_tree = flat_fun.out_tree
    primals_out = tree_unflatten(out_tree, outs)
    tangents_out = tree_unflatten(out_tree, [_user_value(t) for t in out_tangents])
    if has_aux:
        return primals_out, tangents_out, flat_fun.aux
    return primals_out, tangents_out


def _jvp_tangent(primal: Any, tangent: Any) -> Any:
    """Check a user's tangent against its primal; ``Zero`` for float0 tangents."""
    p_aval, t_aval = _aval_of_argument(primal), _aval_of_argument(tangent)
    if p_aval.shape != t_aval.shape:
        raise ValueError("jvp called with different primal and tangent shapes;"
                         f"Got primal shape {p_aval.shape} and tangent shape as "
                         f"{t_aval.shape}")
    expected = tangent_dtype(p_aval.dtype)
    if t_aval.dtype != expected:
        raise TypeError(
            "primal and tangent arguments to jax.jvp do not match; dtypes must be equal, or in "
            "case of int/bool primal dtype the tangent dtype must be float0."
            f"Got primal dtype {p_aval.dtype} and so expected tangent dtype {expected}, but "
            f"got tangent dtype {t_aval.dtype} instead.")
    if expected == float0:
        return Zero(ShapedArray(p_aval.shape, float0))
    return tangent


def linearize(fun: Callable, *primals: Any, has_aux: bool = False) -> Any:
    """Evaluate ``fun`` at ``primals`` and return ``(primals_out, f_jvp)``, where ``f_jvp``
    maps input tangents to output tangents by evaluating a staged linear jaxpr (the primal
    computation is not repeated). With ``has_aux``, ``aux`` comes third."""
    _check_callable(fun)
    flat_primals, in_tree = tree_flatten(primals)
    in_avals = [_aval_of_argument(x) for x in flat_primals]
    flat_fun = _FlatFun(fun, in_tree, has_aux)
    outs, jaxpr, consts = linearize_flat(flat_fun, flat_primals,
                                         DebugInfo("linearize", fun, None))
    out_tree = flat_fun.out_tree

    def f_jvp(*tangents: Any) -> Any:
        flat_tangents, tree = tree_flatten(tangents)
        if tree != in_tree:
            raise TypeError(f"expected {in_tree}, got {tree}")
        for p_aval, t in zip(in_avals, flat_tangents):
            t_aval = _aval_of_argument(t)
            if t_aval.shape != p_aval.shape or t_aval.dtype != tangent_dtype(p_aval.dtype):
                raise ValueError(
                    "linearized function called on tangent values inconsistent with the "
                    f"original primal values:\nGot tangent aval {_aval_text(t_aval)} for "
                    f"primal aval {_aval_text(p_aval)} but expected "
                    f"{_aval_text(p_aval.update(dtype=tangent_dtype(p_aval.dtype)))}.")
        return tree_unflatten(out_tree, eval_jaxpr(jaxpr, consts, *flat_tangents))

    primals_out = tree_unflatten(out_tree, outs)
    if has_aux:
        return primals_out, f_jvp, flat_fun.aux
    return primals_out, f_jvp


# -- reverse mode -----------------------------------------------------------------------------


def vjp(fun: Callable, *primals: Any, has_aux: bool = False, reduce_axes: Any = ()) -> Any:
    """Evaluate ``fun`` at ``primals`` and return ``(primals_out, vjp_fun)``, where
    ``vjp_fun(cotangent)`` returns the cotangents of ``primals`` (a tuple, one per
    positional argument). With ``has_aux``, ``aux`` comes third.

    Reverse mode is linearize + transpose: ``vjp_fun`` runs the backward pass over the
    linear jaxpr staged while ``fun`` ran."""
    _check_callable(fun)
    flat_primals, in_tree = tree_flatten(primals)
    for x in flat_primals:
        _aval_of_argument(x)
    flat_fun = _FlatFun(fun, in_tree, has_aux)
    outs, jaxpr, consts = linearize_flat(flat_fun, flat_primals, DebugInfo("vjp", fun, None))
    out_tree = flat_fun.out_tree
    out_avals = [get_aval(x) for x in outs]

    def vjp_fun(cotangent: Any) -> tuple:
        cts, ct_tree = tree_flatten(cotangent)
        if ct_tree != out_tree:
            raise ValueError(
                "unexpected tree structure.\n\nThe argument to a VJP function returned by "
                "`kiln.vjp` must match the pytree\nstructure of the differentiated function "
                f"{_function_text(fun)}.\n\nBut the tree structures differ: got {ct_tree}, "
                f"expected {out_tree}.")
        cts_out = [_check_cotangent(ct, aval) for ct, aval in zip(cts, out_avals)]
        args = [UndefinedPrimal(v.aval) for v in jaxpr.invars]
        cts_in = backward_pass(jaxpr, consts, args, cts_out)
        return tree_unflatten(in_tree, [_user_value(ct) for ct in cts_in])

    primals_out = tree_unflatten(out_tree, outs)
    if has_aux:
        return primals_out, vjp_fun, flat_fun.aux
    return primals_out, vjp_fun


def _function_text(fun: Callable) -> str:
    return DebugInfo("vjp", fun, None).function_text()


def _check_cotangent(ct: Any, aval: ShapedArray) -> Any:
    expected = tangent_dtype(aval.dtype)
    if expected == float0:
        return Zero(ShapedArray(aval.shape, float0))
    ct_aval = _aval_of_argument(ct)
    if ct_aval.shape != aval.shape or ct_aval.dtype != expected:
        raise ValueError(
            "unexpected JAX type (e.g. shape/dtype) for argument to VJP function: got "
            f"{ct_aval.str_short(short_dtypes=False)}, but expected "
            f"{aval.str_short(short_dtypes=False)} because the corresponding output of the "
            f"differentiated function had JAX type {aval.str_short(short_dtypes=False)}")
    return ct


# -- grad -------------------------------------------------------------------------------------


def _check_input_dtype(name: str, holomorphic: bool, allow_int: bool, x: Any) -> None:
    dtype = _aval_of_argument(x).dtype
    if holomorphic:
        if not dtypes.is_complex(dtype):
            raise TypeError(f"{name} with holomorphic=True requires inputs with complex dtype, "
                            f"but got {dtype.name}.")
    if dtypes.is_int(dtype) or dtype == dtypes.bool_:
        if not allow_int:
            raise TypeError(
                f"{name} requires real- or complex-valued inputs (input dtype that is a "
                f"sub-dtype of np.inexact), but got {dtype.name}. If you want to use Boolean- "
                "or integer-valued inputs, use vjp or set allow_int to True.")
    elif not dtypes.is_inexact(dtype):
        raise TypeError(f"{name} requires numerical-valued inputs (input dtype that is a "
                        f"sub-dtype of np.bool_ or np.number), but got {dtype.name}.")


def _check_output_dtype(name: str, holomorphic: bool, x: Any) -> None:
    dtype = get_aval(x).dtype
    if holomorphic:
        if not dtypes.is_complex(dtype):
            raise TypeError(f"{name} with holomorphic=True requires outputs with complex dtype, "
                            f"but got {dtype.name}.")
    elif dtypes.is_complex(dtype):
        raise TypeError(
            f"{name} requires real-valued outputs (output dtype that is a sub-dtype of "
            f"np.floating), but got {dtype.name}. For holomorphic differentiation, pass "
            "holomorphic=True. For differentiation of non-holomorphic functions involving "
            "complex outputs, use kiln.vjp directly.")
    elif not dtypes.is_float(dtype):
        raise TypeError(
            f"{name} requires real-valued outputs (output dtype that is a sub-dtype of "
            f"np.floating), but got {dtype.name}. For differentiation of functions with "
            "integer outputs, use kiln.vjp directly.")


def _check_scalar(x: Any) -> None:
    msg = "Gradient only defined for scalar-output functions. Output {}."
    try:
        aval = get_aval(x)
    except TypeError:
        raise TypeError(msg.format(f"was {x!r}")) from None
    if aval.shape:
        raise TypeError(msg.format(f"had shape: {aval.shape}"))


def _one_like(x: Any) -> Any:
    """The cotangent seed 1 of the scalar ``x``, weakly typed when ``x`` is."""
    aval = get_aval(x)
    return device_put_value(np.ones((), aval.dtype), ShapedArray((), aval.dtype,
                                                                  aval.weak_type))


def value_and_grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
                   holomorphic: bool = False, allow_int: bool = False,
                   reduce_axes: Sequence[Any] = ()) -> Callable:
    """A function returning ``fun``'s value and its gradient with respect to the positional
    arguments at ``argnums`` (``((value, aux), grad)`` with ``has_aux``).

    ``fun`` must return a real scalar (complex with ``holomorphic=True``). Integer inputs
    are rejected unless ``allow_int``, in which case their gradient is ``float0`` zeros.
    """
    _check_callable(fun)

    @functools.wraps(fun)
    def value_and_grad_f(*args: Any, **kwargs: Any) -> Any:
        f_partial, dyn_args = _argnums_partial(fun, argnums, args, kwargs)
        for leaf in tree_flatten(dyn_args)[0]:
            _check_input_dtype("grad", holomorphic, allow_int, leaf)
        if has_aux:
            ans, vjp_fun, aux = vjp(f_partial, *dyn_args, has_aux=True)
        else:
            ans, vjp_fun = vjp(f_partial, *dyn_args)
        _check_scalar(ans)
        _check_output_dtype("grad", holomorphic, ans)
        g = vjp_fun(_one_like(ans))
        g = g[0] if isinstance(argnums, int) else g
        return ((ans, aux), g) if has_aux else (ans, g)

    return value_and_grad_f


def grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
         holomorphic: bool = False, allow_int: bool = False,
         reduce_axes: Sequence[Any] = ()) -> Callable:
    """A function returning the gradient of the scalar function ``fun`` with respect to the
    positional arguments at ``argnums`` (an int gives one gradient, a tuple a tuple of
    them). With ``has_aux``, ``fun`` returns ``(value, aux)`` and so does the gradient
    function: ``(grad, aux)``. See ``value_and_grad`` for the other options."""
    value_and_grad_f = value_and_grad(fun, argnums, has_aux=has_aux, holomorphic=holomorphic,
                                      allow_int=allow_int)

    @functools.wraps(fun)
    def grad_f(*args: Any, **kwargs: Any) -> Any:
        if has_aux:
            (_, aux), g = value_and_grad_f(*args, **kwargs)
            return g, aux
        _, g = value_and_grad_f(*args, **kwargs)
        return g

    return grad_f


# -- Jacobians --------------------------------------------------------------------------------


def _map_basis(fn: Callable, basis: Any) -> Any:
    """``fn`` applied to each slice of ``basis`` along its leading axis, results stacked
    along a new leading axis: ``vmap(fn)(basis)``, or a loop where kiln.batching's vmap is
    not available."""
    try:
        from kiln.batching import vmap
    except ImportError:
        vmap = None
    if vmap is not None:
        return vmap(fn)(basis)
    leaves, tree = tree_flatten(basis)
    n = leaves[0].shape[0]
    outs = [fn(tree_unflatten(tree, [b[i] for b in leaves])) for i in range(n)]
    return tree_map(lambda *xs: lax.stack(xs), *outs)


def _std_basis(leaves: list[Any]) -> tuple[int, list[np.ndarray]]:
    """The standard basis of the space of ``leaves``: for each leaf, an array of shape
    ``(n, *leaf.shape)`` of its dtype, where n is the total size."""
    avals = [get_aval(x) for x in leaves]
    n = sum(a.size for a in avals)
    blocks, offset = [], 0
    for a in avals:
        eye = np.zeros((n, a.size), dtype=a.dtype)
        eye[offset:offset + a.size] = np.eye(a.size, dtype=a.dtype)
        blocks.append(eye.reshape((n,) + a.shape))
        offset += a.size
    return n, blocks


def _split_basis_axis(x: Any, sizes: list[ShapedArray], axis_first: bool) -> list[Any]:
    """Split the leading axis of ``x`` (shape ``(n, *rest)``) into one block per aval of
    ``sizes``, each reshaped to ``aval.shape + rest`` (``axis_first``) or ``rest +
    aval.shape``."""
    rest = tuple(get_aval(x).shape[1:])
    out, offset = [], 0
    for a in sizes:
        block = lax.slice(x, (offset,) + (0,) * len(rest), (offset + a.size,) + rest)
        block = lax.reshape(block, tuple(a.shape) + rest)
        if not axis_first and a.shape and rest:
            k = len(a.shape)
            perm = tuple(range(k, k + len(rest))) + tuple(range(k))
            block = lax.transpose(block, perm)
        out.append(block)
        offset += a.size
    return out


def jacfwd(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False) -> Callable:
    """The Jacobian of ``fun`` by forward mode: one linearization, then the linear function
    pushed along each standard basis vector of the inputs at ``argnums``. Each output leaf
    of shape ``o`` gets, per input leaf of shape ``i``, a block of shape ``o + i``."""
    _check_callable(fun)

    def jacfun(*args: Any, **kwargs: Any) -> Any:
        f_partial, dyn_args = _argnums_partial(fun, argnums, args, kwargs)
        in_leaves, in_tree = tree_flatten(dyn_args)
        for leaf in in_leaves:
            _check_jacfwd_input(holomorphic, leaf)
        if has_aux:
            y, f_jvp, aux = linearize(f_partial, *dyn_args, has_aux=True)
        else:
            y, f_jvp = linearize(f_partial, *dyn_args)
        y_leaves, y_tree = tree_flatten(y)
        if holomorphic:
            for leaf in y_leaves:
                _check_output_dtype("jacfwd", True, leaf)
        _, basis = _std_basis(in_leaves)
        pushed = _map_basis(lambda b: f_jvp(*b), tree_unflatten(in_tree, basis))
        in_avals = [get_aval(x) for x in in_leaves]
        blocks = [tree_unflatten(in_tree, _split_basis_axis(t, in_avals, axis_first=False))
                  for t in tree_flatten(pushed)[0]]
        jac = tree_unflatten(y_tree, [b if not isinstance(argnums, int) else b[0]
                                      for b in blocks])
        return (jac, aux) if has_aux else jac

    return jacfun


def _check_jacfwd_input(holomorphic: bool, x: Any) -> None:
    dtype = _aval_of_argument(x).dtype
    if holomorphic:
        if not dtypes.is_complex(dtype):
            raise TypeError("jacfwd with holomorphic=True requires inputs with complex dtype, "
                            f"but got {dtype.name}.")
    elif not dtypes.is_float(dtype):
        raise TypeError(
            "jacfwd requires real-valued inputs (input dtype that is a sub-dtype of "
            f"np.floating), but got {dtype.name}. For holomorphic differentiation, pass "
            "holomorphic=True. For differentiation of non-holomorphic functions involving "
            "complex inputs or integer inputs, use kiln.jvp directly.")


def jacrev(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False, allow_int: bool = False) -> Callable:
    """The Jacobian of ``fun`` by reverse mode: one ``vjp``, then the pullback applied to
    each standard basis vector of the outputs. Blocks are laid out as in ``jacfwd``."""
    _check_callable(fun)

    def jacfun(*args: Any, **kwargs: Any) -> Any:
        f_partial, dyn_args = _argnums_partial(fun, argnums, args, kwargs)
        in_leaves, in_tree = tree_flatten(dyn_args)
        for leaf in in_leaves:
            _check_input_dtype("jacrev", holomorphic, allow_int, leaf)
        if has_aux:
            y, pullback, aux = vjp(f_partial, *dyn_args, has_aux=True)
        else:
            y, pullback = vjp(f_partial, *dyn_args)
        y_leaves, y_tree = tree_flatten(y)
        for leaf in y_leaves:
            _check_output_dtype("jacrev", holomorphic, leaf)
        _, basis = _std_basis(y_leaves)
        pulled = _map_basis(pullback, tree_unflatten(y_tree, basis))
        y_avals = [get_aval(x) for x in y_leaves]
        # per input leaf, the blocks of every output leaf; then outputs outermost
        per_input = [_split_basis_axis(ct, y_avals, axis_first=True)
                     for ct in tree_flatten(pulled)[0]]
        per_output = [tree_unflatten(in_tree, [blocks[j] for blocks in per_input])
                      for j in range(len(y_avals))]
        jac = tree_unflatten(y_tree, [b if not isinstance(argnums, int) else b[0]
                                      for b in per_output])
        return (jac, aux) if has_aux else jac

    return jacfun


jacobian = jacrev


def hessian(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
            holomorphic: bool = False) -> Callable:
    """The Hessian of the scalar function ``fun``: ``jacfwd(jacrev(fun))``."""
    return jacfwd(jacrev(fun, argnums, has_aux=has_aux, holomorphic=holomorphic), argnums,
                  has_aux=has_aux, holomorphic=holomorphic)



# -- transposition and stopping gradients -----------------------------------------------------


def linear_transpose(fun: Callable, *primals: Any, reduce_axes: Any = ()) -> Callable:
    """The transpose of the linear function ``fun`` at arguments shaped like ``primals``:
    a function from an output cotangent to the tuple of input cotangents."""
    _check_callable(fun)
    flat_primals, in_tree = tree_flatten(primals)
    in_avals = [_aval_of_argument(x) for x in flat_primals]
    flat_fun = _FlatFun(fun, in_tree, False)
    jaxpr, consts = trace_to_jaxpr(flat_fun, in_avals, DebugInfo("linear_transpose", fun, None))
    out_tree = flat_fun.out_tree
    out_avals = [v.aval for v in jaxpr.outvars]

    def transposed(*cotangent: Any) -> tuple:
        cts, ct_tree = tree_flatten(cotangent[0] if len(cotangent) == 1 else cotangent)
        if ct_tree != out_tree:
            raise TypeError("cotangent tree does not match function output, expected "
                            f"{out_tree} but got {ct_tree}")
        cts = [_check_cotangent(ct, aval) for ct, aval in zip(cts, out_avals)]
        cts_in = backward_pass(jaxpr, consts, [UndefinedPrimal(a) for a in in_avals], cts)
        return tree_unflatten(in_tree, [_user_value(ct) for ct in cts_in])

    return transposed


def stop_gradient(x: Any) -> Any:
    """``x`` (a pytree), as a constant to differentiation: its derivative is zero."""
    return lax.stop_gradient(x)
