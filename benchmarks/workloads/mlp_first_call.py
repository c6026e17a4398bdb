"""The first call of the MLP training step: trace, lower, compile and run once."""

DESCRIPTION = "first call of jit(grad + SGD) of the mlp_step MLP (trace + lower + compile)"
FIRST_CALL = True


def make(lib: str):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).with_name("_mlp.py")
    spec = importlib.util.spec_from_file_location("workload_mlp_helper", path)
    mlp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mlp)
    step, params, x, y, block = mlp.setup(lib)
    block((params, x, y))
    return lambda: block(step(params, x, y))
