"""Times one workload for one library in this process; prints one JSON line."""

from __future__ import annotations

import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path


def load(name: str):
    path = Path(__file__).parent / "workloads" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"workload_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def time_steady(fn, min_time: float = 0.2, repeats: int = 7) -> float:
    """Median seconds per call, over `repeats` runs of a loop lasting about `min_time`."""
    for _ in range(3):
        fn()
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time / 5 or number >= 1 << 20:
            break
        number *= 4
    number = max(1, int(number * (min_time / 5) / max(elapsed, 1e-9)))
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def main() -> None:
    name, lib = sys.argv[1], sys.argv[2]
    module = load(name)
    try:
        start = time.perf_counter()
        fn = module.make(lib)
        if getattr(module, "FIRST_CALL", False):
            start = time.perf_counter()
            fn()
            seconds = time.perf_counter() - start
        elif getattr(module, "SETUP_IS_WORKLOAD", False):
            seconds = time.perf_counter() - start
        else:
            seconds = time_steady(fn)
    except NotImplementedError as e:
        print(json.dumps({"skipped": str(e) or "not implemented"}))
        return
    print(json.dumps({"seconds": seconds}))


if __name__ == "__main__":
    main()
