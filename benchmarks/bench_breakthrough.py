"""Benchmark: what breakthroughs cost, as a ratio against the same race without them, in one run.

Each case is solved twice, best of ``--repeat``: without breakthroughs and with a
breakthrough hazard that grows with experience, ``b(i) = 0.002 (1 + i)``. The issue's
target is a ratio of at most 1.5. Cases: one 200x200-stage race (quadratic cost and power
cost g = 3; the compiled path), a 30x30 race, a batch of 2000 ten-stage races through ``pr.solve_many``,
and a 40x40 race forced onto the all-roots path (``compiled_path=False``).

Run: ``python benchmarks/bench_breakthrough.py [--stages 200] [--batch 2000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from timing import best_of

import patentrace as pr
from patentrace.solvers import compiled
from patentrace.solvers.backward import solve_race


def growing(race: pr.Race) -> pr.Race:
    """The same race with b(i) = 0.002 (1 + i) for both firms."""
    return dataclasses.replace(race, breakthrough=tuple([0.002 * (1 + i) for i in range(n)] for n in race.stages))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stages", type=int, default=200)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("patentrace").setLevel(logging.ERROR)
    n = args.stages
    cases: list[tuple[str, Callable[[pr.Race | list[pr.Race]], Any], Any]] = [
        (f"{n}x{n} quadratic, r = 0.1", pr.solve,
         pr.Race(stages=n, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())),
        (f"{n}x{n} power g = 3, r = 0.01", pr.solve,
         pr.Race(stages=n, prize=1.0, discount=0.01, cost=pr.costs.Power(exponent=3.0))),
        ("30x30 quadratic, r = 0.1", pr.solve,
         pr.Race(stages=30, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())),
        (f"{args.batch} x 10 stages, solve_many", pr.solve_many,
         [pr.Race(stages=10, prize=1.0, discount=0.005 + 0.015 * k / args.batch, cost=pr.costs.Quadratic())
          for k in range(args.batch)]),
        ("40x40 all-roots path, m = 0.02", lambda race: solve_race(race, compiled_path=False),
         pr.Race(stages=40, prize=1.0, discount=0.05, cost=pr.costs.Quadratic(linear=0.02))),
    ]
    print(f"plain race vs breakthroughs b(i) = 0.002 (1 + i), best of {args.repeat}, measured in this run")
    print(f"{'case':36} {'plain s':>9} {'with b s':>9} {'ratio':>7} {'path with b':>12} "
          f"{'states solved, plain / b':>25}")
    for label, solve, model in cases:
        jumped = [growing(m) for m in model] if isinstance(model, list) else growing(model)
        solve(model), solve(jumped)  # compile and warm up
        plain, _ = best_of(args.repeat, lambda solve=solve, model=model: solve(model))
        with_b, _ = best_of(args.repeat, lambda solve=solve, jumped=jumped: solve(jumped))
        result = solve(jumped)
        path = (result[0] if isinstance(result, list) else result).solver.options["path"]
        solved = "-"
        if path == "compiled":  # states that needed a solve (not the closed form of an idle, vanished firm)
            counts = [sum(v for key, v in compiled.sweep_races(m if isinstance(m, list) else [m]).paths.items()
                          if key != "one firm idles") for m in (model, jumped)]
            solved = f"{counts[0]} / {counts[1]}"
        print(f"{label:36} {plain:9.3f} {with_b:9.3f} {with_b / plain:7.2f} {path:>12} {solved:>25}")
    print("ratio = seconds with breakthroughs / seconds without; the target is <= 1.5. In a long race without")
    print("breakthroughs most states have a firm so far behind that its values underflow and it idles (a closed")
    print("form); with breakthroughs its values stay positive and every state is a game to solve. Where both solve")
    print("the same games (the batch) the ratio is the cost of breakthroughs per game.")


if __name__ == "__main__":
    main()
