"""Benchmark: ``import patentrace`` in a fresh process, against ``import numpy, scipy.optimize``.

The baseline is the least a numerical script imports. Each import is timed inside a fresh
interpreter (``time.perf_counter`` around the import statement, so interpreter start-up
is not counted on either side); the two alternate, so that both see the same load on a
shared machine, and each keeps the fastest of ``--repeat`` runs (the least disturbed).
The fresh interpreters run from the repository root, so they import this checkout's
package. ``timing.best_of`` times a call in this process, which is not the quantity here.

Run: ``python benchmarks/bench_import.py [--repeat 7]``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "import patentrace"
BASELINE = "import numpy, scipy.optimize"
TARGET = 2.0
# Optional dependencies that must not load with the package (tests/test_import.py asserts it too).
LAZY = ("sympy", "numba", "nashpy", "matplotlib", "scipy.stats")


def fresh_import(statement: str) -> tuple[float, list[str]]:
    """Seconds ``statement`` takes in a new interpreter, and which of ``LAZY`` it loaded."""
    script = (
        "import sys, time\n"
        "start = time.perf_counter()\n"
        f"{statement}\n"
        "seconds = time.perf_counter() - start\n"
        f"print(seconds, *[m for m in {LAZY!r} if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT)
    seconds, *loaded = done.stdout.split()
    return float(seconds), loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    package_times, baseline_times, loaded = [], [], set()
    for _ in range(args.repeat):
        seconds, _ = fresh_import(BASELINE)
        baseline_times.append(seconds)
        seconds, heavy = fresh_import(PACKAGE)
        package_times.append(seconds)
        loaded.update(heavy)
    best_package, best_baseline = min(package_times), min(baseline_times)
    ratio = best_package / best_baseline
    median_ratio = statistics.median(package_times) / statistics.median(baseline_times)
    print(f"fresh-process import, best of {args.repeat} (alternating):")
    print(f"  {PACKAGE:32s} {best_package:.3f} s")
    print(f"  {BASELINE:32s} {best_baseline:.3f} s")
    print(f"ratio: {ratio:.2f}x (target <= {TARGET:g}x; ratio of medians {median_ratio:.2f}x)")
    print("heavy dependencies loaded by the import: " + (", ".join(sorted(loaded)) or "none"))
    if ratio > TARGET or loaded:
        sys.exit("import-time target missed")


if __name__ == "__main__":
    main()
