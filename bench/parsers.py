"""Benchmark: the card parsers on hostile inputs of size n, 4n and 16n (issue 11, item 8).

The cases are the ones ``tests/hostile/test_linear_time.py`` checks; this prints their
timings as a Markdown table with the growth from n to 16n (linear: about 16; quadratic: 256).
The package measured is whichever ``cardguard`` Python imports, so the same script times
another checkout with ``PYTHONPATH=/path/to/checkout python -P bench/parsers.py``.

    python bench/parsers.py [--scale 1]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
CASES_FILE = ROOT / "tests" / "hostile" / "test_linear_time.py"


def load_cases() -> ModuleType:
    """The test module, loaded by path (``tests`` is not a package that can be imported here)."""
    spec = importlib.util.spec_from_file_location("linear_time_cases", CASES_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1, help="multiply every case's n by this")
    args = parser.parse_args()
    cases = load_cases()
    import cardguard

    print(f"cardguard from {Path(cardguard.__file__).parent}\n")
    print("| case | n | time(n) | time(4n) | time(16n) | growth n -> 16n |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, case in cases.CASES.items():
        unit = case.unit * args.scale
        small, middle, large = (
            cases.best_time(case.parse, case.build(unit * size), case.rounds) for size in cases.SIZES
        )
        print(f"| {name} | {unit:,} | {small * 1000:.1f} ms | {middle * 1000:.1f} ms | {large * 1000:.1f} ms "
              f"| {large / max(small, 1e-9):.0f}x |", flush=True)


if __name__ == "__main__":
    main()
