# Records JAX 0.10.2's type-promotion results: golden values for kiln-core's dtype tests.
# promote_types: jnp.promote_types on dtype pairs (x64 off; JAX does not canonicalize here).
# result_type_x32 / result_type_x64: jax.dtypes.result_type on dtypes and Python scalar types
# (int, float, complex are weak), returning "<dtype>" or "<dtype>*" when weakly typed.
import json
import sys

import jax
import jax.numpy as jnp
import numpy as np
from jax import dtypes

names = ["bool","uint8","uint16","uint32","uint64","int8","int16","int32","int64",
         "bfloat16","float16","float32","float64","complex64","complex128",
         "int4","uint4","int2","uint2","float8_e4m3fn","float8_e5m2","float8_e4m3b11fnuz",
         "float8_e4m3fnuz","float8_e5m2fnuz","float8_e3m4","float8_e4m3","float8_e8m0fnu","float4_e2m1fn"]
weak = {"int*": int, "float*": float, "complex*": complex}
def operand(k):
    return weak[k] if k in weak else np.dtype(getattr(jnp, k))
out = {"promote_types": {}}
for a in names:
    for b in names:
        try:
            result = str(jnp.promote_types(operand(a), operand(b)))
        except Exception as e:
            result = "error:" + type(e).__name__
        out["promote_types"][f"{a},{b}"] = result
for x64 in (False, True):
    jax.config.update("jax_enable_x64", x64)
    table = {}
    keys = names + list(weak)
    for a in keys:
        for b in keys:
            try:
                t, w = dtypes.result_type(operand(a), operand(b), return_weak_type_flag=True)
                table[f"{a},{b}"] = str(np.dtype(t)) + ("*" if w else "")
            except Exception as e:
                table[f"{a},{b}"] = "error:" + type(e).__name__
    out["result_type_x64" if x64 else "result_type_x32"] = table
json.dump(out, open(sys.argv[1], "w"), indent=0, sort_keys=True)
