"""kiln.numpy.linalg: ``norm`` and the linear algebra that needs no factorisation
(``matmul``, ``multi_dot``, ``outer``, ``trace``, ``vecdot``...). Factorisations
(``inv``, ``solve``, ``cholesky``, ``svd``...) need core primitives kiln does not have yet."""

from kiln.numpy.linalg.norms import (  # noqa: F401
    cross,
    diagonal,
    matmul,
    matrix_norm,
    matrix_power,
    matrix_transpose,
    multi_dot,
    norm,
    outer,
    tensordot,
    trace,
    vecdot,
    vector_norm,
)
