"""Benchmark: pr.solve_all against pr.solve on a race whose states all have one equilibrium.

With one equilibrium per state, ``solve_all`` has one path. Where the compiled sweep
certifies every state unique, ``solve_all`` returns that equilibrium at once; otherwise
it sweeps the path as ``solve`` does, plus the bookkeeping of shared branches. Both
cases are timed here, best of ``--repeat`` runs each, and the script prints the ratios
(the target is < 3).

Run: ``python benchmarks/bench_solve_all.py [--stages 30] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import warnings
from typing import Any

from timing import best_of

import patentrace as pr
from patentrace.solvers.allpaths import _all_race
from patentrace.solvers.backward import solve_race


def compare(label: str, race: pr.Race, repeat: int, compiled_path: bool) -> None:
    (path,) = pr.solve_all(race)
    assert float(abs(path.value - pr.solve(race).value).max()) < 1e-12
    if compiled_path:
        def solve() -> Any:
            return pr.solve(race)

        def every() -> Any:
            return pr.solve_all(race)
    else:  # both on the all-roots path: solve_race without the compiled sweep, and the all-paths sweep itself
        def solve() -> Any:
            return solve_race(race, compiled_path=False)

        def every() -> Any:
            return _all_race(race, max_equilibria=1000, grid=16)
    (one, _), (all_, _) = best_of(repeat, solve), best_of(repeat, every)
    print(f"{label}: pr.solve {one * 1e3:8.1f} ms, pr.solve_all {all_ * 1e3:8.1f} ms, "
          f"ratio {all_ / one:.2f}  (target < 3)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stages", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=pr.UnderflowWarning)  # far-behind values; not the point here
    race = pr.Race(stages=args.stages, prize=1.0, discount=0.05, cost=pr.costs.Quadratic())
    print(f"{args.stages}x{args.stages} quadratic race, one equilibrium per state")
    compare("  compiled path (every state certified unique)", race, args.repeat, compiled_path=True)
    compare("  all-roots path (the all-paths sweep itself)  ", race, args.repeat, compiled_path=False)


if __name__ == "__main__":
    main()
