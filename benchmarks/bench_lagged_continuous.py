"""Benchmark: continuous effort in the race in periods, against the 41-point menu of the same race.

The race of ``examples/lag_continuous.py`` (5 stages each, quadratic cost, productivity
1..5) at one lag, solved two ways in the same run: with continuous effort (the default of
``LaggedRace.from_race``: every pure equilibrium of each state, each checked against 4001
efforts and a local optimiser) and with the uniform 41-point effort grid on [0, 1]
(support enumeration of every mixed equilibrium). Prints the ratio of the times and the
follower's win probability at (1, 0) by both.

Run: ``python benchmarks/bench_lagged_continuous.py [--lag 1.0] [--repeat 3]``
"""

from __future__ import annotations

import argparse

import numpy as np
from timing import best_of

import patentrace as pr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lag", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    race = pr.Race(stages=5, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), productivity=[1, 2, 3, 4, 5])
    smooth = pr.LaggedRace.from_race(race, args.lag)
    menu = pr.LaggedRace.from_race(race, args.lag, np.linspace(0.0, 1.0, 41))
    pr.solve(smooth)  # warm up imports
    continuous_time, continuous = best_of(args.repeat, lambda: pr.solve(smooth))
    menu_time, grid = best_of(args.repeat, lambda: pr.solve(menu))
    win = (pr.leapfrog(continuous, (1, 0)).follower_win_probability,
           pr.leapfrog(grid, (1, 0)).follower_win_probability)
    print(f"5x5 learning race at lag {args.lag}: continuous effort {continuous_time:.2f} s, "
          f"41-point menu {menu_time:.2f} s, ratio continuous / menu = {continuous_time / menu_time:.2f}")
    print(f"follower at (1, 0) wins with probability {win[0]:.4f} (continuous effort) and {win[1]:.4f} (menu); "
          f"preempted states {int(pr.leapfrog(continuous, (1, 0)).preemption_region.sum())} and "
          f"{int(pr.leapfrog(grid, (1, 0)).preemption_region.sum())}")


if __name__ == "__main__":
    main()
