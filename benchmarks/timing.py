"""The one timing rule of the benchmark scripts: the best of several runs, with the last result.

The scripts print ratios of two timings taken in the same process, never a bare time;
each timing is the fastest of ``repeat`` runs (the least disturbed by the machine).
Imported by the scripts as a sibling module (``python benchmarks/bench_*.py`` puts this
folder on the import path).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds of the fastest of ``repeat`` calls of ``run``, and the last call's result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result
