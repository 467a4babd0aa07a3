"""Benchmark: pr.solve_all against pr.solve on a race whose states all have one equilibrium.

With one equilibrium per state, ``solve_all`` has one path and sweeps it as ``solve``
does; its overhead is the bookkeeping of shared branches. Both run in this process,
best of ``--repeat`` runs each, and the script prints the ratio (the target is < 3).

Run: ``python benchmarks/bench_solve_all.py [--stages 30] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import patentrace as pr


def best_of(repeat: int, run: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stages", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    race = pr.Race(stages=args.stages, prize=1.0, discount=0.05, cost=pr.costs.Quadratic())
    (path,) = pr.solve_all(race)
    assert float(abs(path.value - pr.solve(race).value).max()) < 1e-12
    one = best_of(args.repeat, lambda: pr.solve(race))
    every = best_of(args.repeat, lambda: pr.solve_all(race))
    print(f"{args.stages}x{args.stages} race, one equilibrium per state")
    print(f"pr.solve:     {one * 1e3:8.1f} ms")
    print(f"pr.solve_all: {every * 1e3:8.1f} ms")
    print(f"ratio solve_all / solve: {every / one:.2f}  (target < 3)")


if __name__ == "__main__":
    main()
