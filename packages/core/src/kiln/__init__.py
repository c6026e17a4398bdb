"""kiln: JAX's programming model, as small composable packages.

``import kiln`` is cheap: top-level names load on first use from whichever kiln
distribution provides them, and a name whose distribution is missing raises an ImportError
naming the distribution to install.
"""

# Other kiln distributions install subpackages of this namespace from their own folders
# (editable installs put each package's src/ on sys.path separately).
__path__ = __import__("pkgutil").extend_path(__path__, __name__)

import importlib as _importlib

__version__ = "0.1.0"

# name -> (module, attribute or None for the module itself, distribution)
_LAZY = {
    # kiln-core
    "jit": ("kiln.core.jit", "jit", "kiln-core"),
    "make_jaxpr": ("kiln.core.api", "make_jaxpr", "kiln-core"),
    "eval_shape": ("kiln.core.api", "eval_shape", "kiln-core"),
    "ShapeDtypeStruct": ("kiln.core.api", "ShapeDtypeStruct", "kiln-core"),
    "Array": ("kiln.core.array", "PublicArray", "kiln-core"),
    "device_put": ("kiln.core.dispatch", "device_put", "kiln-core"),
    "device_get": ("kiln.core.dispatch", "device_get", "kiln-core"),
    "block_until_ready": ("kiln.core.dispatch", "block_until_ready", "kiln-core"),
    "devices": ("kiln.core.backend", "devices", "kiln-core"),
    "local_devices": ("kiln.core.backend", "local_devices", "kiln-core"),
    "device_count": ("kiln.core.backend", "device_count", "kiln-core"),
    "local_device_count": ("kiln.core.backend", "local_device_count", "kiln-core"),
    "default_backend": ("kiln.core.backend", "default_backend", "kiln-core"),
    "process_index": ("kiln.core.backend", "process_index", "kiln-core"),
    "process_count": ("kiln.core.backend", "process_count", "kiln-core"),
    "config": ("kiln.core.config", "config", "kiln-core"),
    "disable_jit": ("kiln.core.config", "disable_jit", "kiln-core"),
    "enable_x64": ("kiln.core.config", "enable_x64", "kiln-core"),
    "default_matmul_precision": ("kiln.core.config", "default_matmul_precision", "kiln-core"),
    "debug_nans": ("kiln.core.config", "debug_nans", "kiln-core"),
    "numpy_rank_promotion": ("kiln.core.config", "numpy_rank_promotion", "kiln-core"),
    "numpy_dtype_promotion": ("kiln.core.config", "numpy_dtype_promotion", "kiln-core"),
    "threefry_partitionable": ("kiln.core.config", "threefry_partitionable", "kiln-core"),
    "clear_caches": ("kiln.core.jit", "clear_caches", "kiln-core"),
    "lax": ("kiln.lax", None, "kiln-core"),
    "core": ("kiln.core", None, "kiln-core"),
    "errors": ("kiln.errors", None, "kiln-core"),
    "dtypes": ("kiln.dtypes", None, "kiln-core"),
    # kiln-pytree
    "tree_util": ("kiln.tree_util", None, "kiln-pytree"),
    "tree": ("kiln.tree", None, "kiln-pytree"),
    # kiln-numpy
    "numpy": ("kiln.numpy", None, "kiln-numpy"),
    "nn": ("kiln.nn", None, "kiln-numpy"),
    "scipy": ("kiln.scipy", None, "kiln-numpy"),
    # kiln-autodiff
    "grad": ("kiln.autodiff", "grad", "kiln-autodiff"),
    "value_and_grad": ("kiln.autodiff", "value_and_grad", "kiln-autodiff"),
    "jvp": ("kiln.autodiff", "jvp", "kiln-autodiff"),
    "vjp": ("kiln.autodiff", "vjp", "kiln-autodiff"),
    "linearize": ("kiln.autodiff", "linearize", "kiln-autodiff"),
    "jacfwd": ("kiln.autodiff", "jacfwd", "kiln-autodiff"),
    "jacrev": ("kiln.autodiff", "jacrev", "kiln-autodiff"),
    "jacobian": ("kiln.autodiff", "jacrev", "kiln-autodiff"),
    "hessian": ("kiln.autodiff", "hessian", "kiln-autodiff"),
    "linear_transpose": ("kiln.autodiff", "linear_transpose", "kiln-autodiff"),
    "custom_jvp": ("kiln.autodiff", "custom_jvp", "kiln-autodiff"),
    "custom_vjp": ("kiln.autodiff", "custom_vjp", "kiln-autodiff"),
    "checkpoint": ("kiln.autodiff", "checkpoint", "kiln-autodiff"),
    "remat": ("kiln.autodiff", "checkpoint", "kiln-autodiff"),
    "checkpoint_policies": ("kiln.autodiff", "checkpoint_policies", "kiln-autodiff"),
    "closure_convert": ("kiln.autodiff", "closure_convert", "kiln-autodiff"),
    # kiln-batching
    "vmap": ("kiln.batching", "vmap", "kiln-batching"),
    # kiln-random
    "random": ("kiln.random", None, "kiln-random"),
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    try:
        module_name, attr, distribution = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'kiln' has no attribute {name!r}") from None
    try:
        module = _importlib.import_module(module_name)
        value = module if attr is None else getattr(module, attr)
    except (ImportError, AttributeError) as e:
        if isinstance(e, ImportError) and getattr(e, "name", None) not in (
            module_name, *_parents(module_name)
        ):
            raise
        raise ImportError(
            f"kiln.{name} is provided by the {distribution} distribution, which is not "
            f"installed (or does not provide it yet): pip install {distribution}"
        ) from e
    globals()[name] = value
    return value


def _parents(module_name: str) -> list[str]:
    parts = module_name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
