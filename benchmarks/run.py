"""Runs the benchmark workloads on kiln, JAX and NumPy in separate processes and prints the
kiln/JAX ratio of each (lower is better)."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
LIBS = ("kiln", "jax", "numpy")


def workloads() -> list[str]:
    return sorted(p.stem for p in (HERE / "workloads").glob("*.py") if not p.stem.startswith("_"))


def run_once(python: str, name: str, lib: str, env: dict) -> dict:
    proc = subprocess.run([python, str(HERE / "worker.py"), name, lib], capture_output=True,
                          text=True, env=env, timeout=1800)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["(no output)"]
        return {"error": tail[0]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(python: str, name: str, lib: str, processes: int) -> dict:
    env = dict(os.environ)
    if lib == "kiln":
        env.pop("JAX_PLATFORMS", None) if "KILN_KEEP_PLATFORMS" not in env else None
    results = [run_once(python, name, lib, env) for _ in range(processes)]
    times = [r["seconds"] for r in results if "seconds" in r]
    if not times:
        return results[0]
    return {"seconds": statistics.median(times)}


def fmt(result: dict | None) -> str:
    if result is None:
        return "-"
    if "seconds" in result:
        s = result["seconds"]
        return f"{s * 1e6:10.1f} us" if s < 1e-2 else f"{s * 1e3:10.2f} ms"
    return "skipped" if "skipped" in result else "error: " + result["error"][:40]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="workloads to run (default: all)")
    parser.add_argument("--jax-python", default=os.environ.get("KILN_BENCH_JAX_PYTHON"),
                        help="a Python interpreter with jax installed")
    parser.add_argument("--processes", type=int, default=3,
                        help="processes per measurement (the median is reported)")
    args = parser.parse_args()
    pythons = {"kiln": sys.executable, "numpy": sys.executable, "jax": args.jax_python}
    if pythons["jax"] is None:
        probe = subprocess.run([sys.executable, "-c", "import jax"], capture_output=True)
        pythons["jax"] = sys.executable if probe.returncode == 0 else None

    rows = []
    print(f"{'workload':28s} {'kiln':>14s} {'jax':>14s} {'numpy':>14s} {'kiln/jax':>9s}")
    for name in args.names or workloads():
        result = {}
        for lib in LIBS:
            python = pythons[lib]
            result[lib] = measure(python, name, lib, args.processes) if python else None
        ratio = "-"
        if result["jax"] and "seconds" in result["jax"] and "seconds" in result["kiln"]:
            ratio = f"{result['kiln']['seconds'] / result['jax']['seconds']:9.2f}"
        print(f"{name:28s} {fmt(result['kiln']):>14s} {fmt(result['jax']):>14s} "
              f"{fmt(result['numpy']):>14s} {ratio:>9s}", flush=True)
        rows.append({"workload": name, **result})
    if os.environ.get("KILN_BENCH_JSON"):
        Path(os.environ["KILN_BENCH_JSON"]).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
