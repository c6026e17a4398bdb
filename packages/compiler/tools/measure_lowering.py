"""Measures how fast a StableHLO module can be produced: as text built in Python (what
kiln-compiler does) against jaxlib's MLIR Python bindings (what JAX does).

    python packages/compiler/tools/measure_lowering.py [number of ops]

Builds the same chain of add/multiply/sine ops both ways, then times what the compiler does
with each (parsing text, parsing bytecode) and one compilation of each.
"""

from __future__ import annotations

import io
import sys
import time

from jaxlib import xla_client as xc
from jaxlib.mlir import ir
from jaxlib.mlir._mlir_libs import _jax_mlir_ext
from jaxlib.mlir.dialects import func, stablehlo

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
T = "tensor<8x8xf32>"


def build_text() -> str:
    lines, prev = [], "%arg0"
    for i in range(N):
        op = ("stablehlo.add", "stablehlo.multiply", "stablehlo.sine")[i % 3]
        if op == "stablehlo.sine":
            lines.append(f'    %{i} = "{op}"({prev}) : ({T}) -> {T}')
        else:
            lines.append(f'    %{i} = "{op}"({prev}, %arg1) : ({T}, {T}) -> {T}')
        prev = f"%{i}"
    body = "\n".join(lines)
    return (f"module @m {{\n  func.func public @main(%arg0: {T}, %arg1: {T}) -> {T} {{\n"
            f"{body}\n    return {prev} : {T}\n  }}\n}}\n")


def make_context() -> ir.Context:
    registry = ir.DialectRegistry()
    _jax_mlir_ext.register_dialects(registry)
    ctx = ir.Context()
    ctx.append_dialect_registry(registry)
    stablehlo.register_dialect(ctx)
    ctx.load_all_available_dialects()
    return ctx


def build_bindings(ctx: ir.Context) -> ir.Module:
    with ctx, ir.Location.unknown():
        module = ir.Module.create()
        t = ir.RankedTensorType.get((8, 8), ir.F32Type.get())
        with ir.InsertionPoint(module.body):
            f = func.FuncOp("main", ir.FunctionType.get([t, t], [t]))
            f.attributes["sym_visibility"] = ir.StringAttr.get("public")
            block = f.add_entry_block()
            with ir.InsertionPoint(block):
                a, b = block.arguments
                prev = a
                for i in range(N):
                    if i % 3 == 0:
                        prev = stablehlo.AddOp(prev, b).result
                    elif i % 3 == 1:
                        prev = stablehlo.MulOp(prev, b).result
                    else:
                        prev = stablehlo.SineOp(prev).result
                func.ReturnOp([prev])
        return module


def best(fn, n: int = 5):
    times, result = [], None
    for _ in range(n):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    start = time.perf_counter()
    ctx = make_context()
    setup = time.perf_counter() - start
    t_text, text = best(build_text)
    t_bind, module = best(lambda: build_bindings(ctx))

    def to_bytecode() -> bytes:
        out = io.BytesIO()
        module.operation.write_bytecode(out)
        return out.getvalue()

    t_ser, bytecode = best(to_bytecode)
    t_parse_text, _ = best(lambda: ir.Module.parse(text, ctx))
    t_parse_bytes, _ = best(lambda: ir.Module.parse(bytecode, ctx))
    us = lambda t: t / N * 1e6  # noqa: E731
    print(f"{N} ops")
    print(f"  build as text          {t_text * 1e3:8.2f} ms  ({us(t_text):.2f} us/op)")
    print(f"  build with bindings    {t_bind * 1e3:8.2f} ms  ({us(t_bind):.2f} us/op)"
          f" + bytecode {t_ser * 1e3:.2f} ms; context setup {setup * 1e3:.1f} ms")
    print(f"  parse text             {t_parse_text * 1e3:8.2f} ms"
          f"  ({us(t_parse_text):.2f} us/op)")
    print(f"  parse bytecode         {t_parse_bytes * 1e3:8.2f} ms"
          f"  ({us(t_parse_bytes):.2f} us/op)")
    print(f"  text end to end        {(t_text + t_parse_text) * 1e3:8.2f} ms")
    print(f"  bindings end to end    {(t_bind + t_ser + t_parse_bytes) * 1e3:8.2f} ms")
    client = xc.make_cpu_client()
    devices = xc.DeviceList((client.devices()[0],))
    t_c1, _ = best(lambda: client.compile_and_load(text.encode(), devices,
                                                   xc.CompileOptions()), 2)
    t_c2, _ = best(lambda: client.compile_and_load(bytecode, devices, xc.CompileOptions()), 2)
    print(f"  compile from text {t_c1 * 1e3:.1f} ms, from bytecode {t_c2 * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
