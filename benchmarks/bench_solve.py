"""Benchmark: pr.solve on a 200x200-stage race against a naive per-state fsolve loop.

The baseline is what a researcher writes first: a Python loop over states in
backward order, each state's first-order conditions (docs/theory/race.md (1)) handed to
``scipy.optimize.fsolve`` from a fixed starting point, and the efforts clipped at
zero. Both run in this process, one after the other, and the script prints the
ratio of their times (and how far the baseline's answers are from the library's).

Run: ``python benchmarks/bench_solve.py [--stages 200] [--baseline-stages 200] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from scipy.optimize import fsolve
from timing import best_of

import patentrace as pr


def naive_fsolve(stages: int, prize: float, discount: float, scale: float) -> np.ndarray:
    """Per-state fsolve loop for the symmetric quadratic race; returns firm 0's efforts."""
    n, r, a = stages, discount, scale
    value = np.zeros((2, n + 1, n + 1))
    effort = np.zeros((2, n + 1, n + 1))
    value[0, n, :n], value[1, :n, n] = prize, prize
    for d in range(2 * n - 2, -1, -1):
        for i in range(max(0, d - n + 1), min(d, n - 1) + 1):
            j = d - i
            a1, b1 = value[0, i + 1, j], value[0, i, j + 1]
            a2, b2 = value[1, i, j + 1], value[1, i + 1, j]

            def conditions(x: np.ndarray, a1=a1, b1=b1, a2=a2, b2=b2) -> list[float]:
                x1, x2 = x
                return [
                    a * x1 * (r + x1 + x2) - a * x1**2 / 2 - r * a1 - x2 * (a1 - b1),
                    a * x2 * (r + x1 + x2) - a * x2**2 / 2 - r * a2 - x1 * (a2 - b2),
                ]

            x1, x2 = np.maximum(fsolve(conditions, [0.1, 0.1]), 0.0)
            effort[:, i, j] = x1, x2
            value[0, i, j] = (-a * x1**2 / 2 + x1 * a1 + x2 * b1) / (r + x1 + x2)
            value[1, i, j] = (-a * x2**2 / 2 + x2 * a2 + x1 * b2) / (r + x1 + x2)
    return effort[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stages", type=int, default=200)
    parser.add_argument("--baseline-stages", type=int, default=200, help="smaller = quicker, per-state extrapolation")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=pr.UnderflowWarning)  # far-behind states of the long races
    n, base_n = args.stages, args.baseline_stages
    cases = [
        ("quadratic, r = 0.1", 0.1, pr.costs.Quadratic(scale=1.0)),
        ("quadratic, r = 1e-5", 1e-5, pr.costs.Quadratic(scale=1.0)),
        ("power g = 3, r = 1e-5", 1e-5, pr.costs.Power(scale=1.0, exponent=3.0)),
    ]
    print(f"pr.solve on a {n}x{n}-stage race ({n * n} states), best of {args.repeat}; baseline: naive per-state "
          f"fsolve loop on a {base_n}x{base_n} race, measured in this run")
    header = f"{'case':24} {'library s':>10} {'states/s':>12} {'baseline s':>11} {'speed-up':>9}"
    print(f"{header} {'max |dx| vs baseline':>22}")
    for label, discount, cost in cases:
        race = pr.Race(stages=n, prize=1.0, discount=discount, cost=cost)
        seconds, _ = best_of(args.repeat, lambda race=race: pr.solve(race))
        if isinstance(cost, pr.costs.Power) and cost.exponent == 2.0:
            base_seconds, base_effort = best_of(1, lambda d=discount: naive_fsolve(base_n, 1.0, d, 1.0))
            reference = pr.solve(pr.Race(stages=base_n, prize=1.0, discount=discount, cost=cost)).effort[0]
            per_state_ratio = (base_seconds / base_n**2) / (seconds / n**2)
            gap = float(np.max(np.abs(base_effort - reference)))
            print(f"{label:24} {seconds:10.3f} {n * n / seconds:12.0f} {base_seconds:11.2f} {per_state_ratio:8.0f}x "
                  f"{gap:22.1e}")
        else:
            print(f"{label:24} {seconds:10.3f} {n * n / seconds:12.0f} {'-':>11} {'-':>9} {'-':>22}")
    print("speed-up = (baseline seconds per state) / (library seconds per state)")


if __name__ == "__main__":
    main()
