"""One training step of a small MLP (jit of grad + SGD), steady state."""

DESCRIPTION = "jit(grad + SGD) of a 256-512-512-10 tanh MLP, batch 64, per step (blocking)"


def make(lib: str):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).with_name("_mlp.py")
    spec = importlib.util.spec_from_file_location("workload_mlp_helper", path)
    mlp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mlp)
    step, params, x, y, block = mlp.setup(lib)
    state = [block(step(params, x, y))]

    def run():
        state[0] = block(step(state[0], x, y))

    return run
