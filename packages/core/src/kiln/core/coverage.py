"""The coverage table: every primitive and which rules and backends it has.

    python -m kiln.core.coverage            # all primitives of the installed kiln packages
    python -m kiln.core.coverage --missing  # only primitives lacking some rule

A rule marked ``d`` is not registered but the primitive has a decomposition, so the
transformation or backend traces through it.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any

from kiln.core.primitive import RULE_KINDS, Primitive, all_primitives, rule_kinds, rule_table

# Packages that register rules or primitives when imported (loaded if installed).
RULE_PROVIDERS = ("kiln.lax", "kiln.autodiff", "kiln.batching", "kiln.random",
                  "kiln.compiler", "kiln.numpy")


def load_rule_providers() -> list[str]:
    loaded = []
    for name in RULE_PROVIDERS:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        loaded.append(name)
    return loaded


def columns() -> list[str]:
    lowerings = sorted(k for k in rule_kinds() if k.startswith("lower/"))
    return list(RULE_KINDS) + lowerings


def coverage() -> dict[Primitive, dict[str, str]]:
    """``{primitive: {rule kind: "y" | "d" | ""}}`` for every primitive."""
    decompositions = rule_table("decomposition")
    table = {}
    for prim in all_primitives:
        row = {}
        for kind in columns():
            if prim in rule_table(kind):
                row[kind] = "y"
            elif kind != "decomposition" and prim in decompositions:
                row[kind] = "d"
            else:
                row[kind] = ""
        table[prim] = row
    return table


def format_table(table: dict[Primitive, dict[str, str]]) -> str:
    cols = columns()
    width = max([len(p.name) for p in table] + [9])
    head = f"{'primitive':{width}s} " + " ".join(f"{c:>{max(len(c), 3)}s}" for c in cols)
    lines = [head, "-" * len(head)]
    for prim, row in table.items():
        lines.append(f"{prim.name:{width}s} " + " ".join(
            f"{row[c] or '.':>{max(len(c), 3)}s}" for c in cols))
    return "\n".join(lines)


def main(argv: Any = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--missing", action="store_true",
                        help="only primitives that lack some rule")
    args = parser.parse_args(argv)
    loaded = load_rule_providers()
    table = coverage()
    if args.missing:
        table = {p: r for p, r in table.items() if "" in r.values()}
    print(f"rules from: {', '.join(loaded)}")
    print(format_table(table))
    print(f"\n{len(all_primitives)} primitives; y = rule registered, d = through the "
          "decomposition, . = missing")


if __name__ == "__main__":
    main()
