"""Tracing: traces nest, tracers raise JAX's errors where Python needs concrete values, and
leaked tracers are caught."""

from __future__ import annotations

import numpy as np
import pytest

import kiln
from kiln import errors, lax
from kiln.core import tracing
from kiln.core.staging import JaxprTrace


def test_bool_of_a_tracer_is_a_tracer_bool_conversion_error() -> None:
    def f(x):
        if lax.sin(x):
            return x
        return x

    with pytest.raises(errors.TracerBoolConversionError) as info:
        kiln.jit(f)(1.0)
    message = str(info.value)
    assert "Attempted boolean conversion of traced array with shape float32[]" in message
    assert "for jit" in message and "depends on the value of the argument x" in message
    assert isinstance(info.value, errors.ConcretizationTypeError)
    assert isinstance(info.value, TypeError)


@pytest.mark.parametrize("convert, error", [
    (int, errors.ConcretizationTypeError),
    (float, errors.ConcretizationTypeError),
    (lambda x: range(x), errors.TracerIntegerConversionError),
    (np.asarray, errors.TracerArrayConversionError),
])
def test_python_conversions_of_tracers_raise_jax_errors(convert, error) -> None:
    with pytest.raises(error, match="traced array with shape"):
        kiln.jit(lambda x: convert(x))(1)


def test_error_names_the_argument_the_value_depends_on() -> None:
    def f(a, b):
        return int(lax.mul(b, 2.0))

    with pytest.raises(errors.ConcretizationTypeError, match="argument b"):
        kiln.jit(f)(1.0, 2.0)


def test_leaked_tracer_is_an_unexpected_tracer_error() -> None:
    leaked = []
    kiln.jit(lambda x: leaked.append(x) or x)(1.0)
    with pytest.raises(errors.UnexpectedTracerError, match="escape the scope"):
        lax.sin(leaked[0])
    with pytest.raises(errors.UnexpectedTracerError):
        kiln.make_jaxpr(lambda y: lax.add(y, leaked[0]))(1.0)


def test_traces_nest_with_levels() -> None:
    levels = []

    def inner(x):
        levels.append(tracing.current_trace().level)
        return x

    def outer(x):
        levels.append(tracing.current_trace().level)
        kiln.make_jaxpr(inner)(x)
        return x

    kiln.make_jaxpr(outer)(1.0)
    assert levels == [1, 2]
    assert tracing.current_trace() is tracing.EVAL_TRACE


def test_inner_trace_treats_outer_tracers_as_constants() -> None:
    def outer(x):
        inner = kiln.make_jaxpr(lambda y: lax.mul(x, y))(2.0)
        assert len(inner.jaxpr.constvars) == 0 or inner.consts[0] is x
        return x

    kiln.make_jaxpr(outer)(1.0)


def test_jit_hoists_closed_over_tracers_into_arguments() -> None:
    def outer(x):
        return kiln.jit(lambda y: lax.mul(x, y))(np.float32(2.0))

    jaxpr = kiln.make_jaxpr(outer)(np.float32(1.0))
    (eqn,) = jaxpr.eqns
    assert eqn.primitive.name == "jit" and len(eqn.invars) == 2
    assert eqn.invars[0] is jaxpr.jaxpr.invars[0]


def test_tracer_shape_properties_and_len() -> None:
    def f(x):
        assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and len(x) == 2
        assert x.dtype == np.float32
        return x

    kiln.make_jaxpr(f)(np.ones((2, 3), np.float32))


def test_tracers_are_unhashable_and_immutable() -> None:
    def f(x):
        with pytest.raises(TypeError, match="unhashable"):
            hash(x)
        with pytest.raises(TypeError, match="do not support in-place item assignment"):
            x[0] = 1.0
        return x

    kiln.make_jaxpr(f)(np.ones(3, np.float32))


def test_trace_invalidated_after_tracing() -> None:
    traces = []
    kiln.make_jaxpr(lambda x: traces.append(tracing.current_trace()) or x)(1.0)
    assert isinstance(traces[0], JaxprTrace) and not traces[0].valid


def test_side_effects_run_at_trace_time_only() -> None:
    printed = []
    f = kiln.jit(lambda x: printed.append("traced") or lax.add(x, 1.0))
    f(1.0)
    f(2.0)
    assert printed == ["traced"]


def test_tracers_are_instances_of_kiln_array() -> None:
    assert kiln.jit(lambda x: isinstance(x, kiln.Array))(1.0)
    assert isinstance(kiln.device_put(1.0), kiln.Array)
    assert not isinstance(np.ones(2), kiln.Array)
    assert kiln.Array.__name__ == "Array"
