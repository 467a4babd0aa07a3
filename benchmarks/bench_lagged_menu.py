"""Benchmark: issue 19's lag experiment on effort menus of 21, 41 and 161 points, timed in one run.

One technology (a 5 x 5 race with a learning curve, quadratic costs) is played in periods
of length 0.1 to 2 (``pr.lag_experiment``); the effort menu is a uniform grid on [0, 1].
Before issue 19 a coarser menu could be slower than a finer one (21 points 17.6 s, 41
points 2.0 s, 161 points 27.4 s): the per-state support search spent its budget in full on
coarse menus and searched finer ones only among neighbouring efforts. Now duplicate and
strictly dominated efforts are removed first and the budget (``max_pairs``) applies to
what is left. The script prints each menu's time, the ratios time(21)/time(41) and
time(161)/time(41), and how many states' searches were complete.

Run: ``python benchmarks/bench_lagged_menu.py [--menus 21 41 161] [--lags 0.1 0.25 0.5 1 2]``
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

import patentrace as pr

RACE = pr.Race(stages=5, prize=1.0, discount=0.05, cost=pr.costs.Quadratic(scale=1.0),
               productivity=[1.0, 1.25, 1.5, 1.75, 2.0])


def run(points: int, lags: list[float]) -> tuple[float, int, int, pr.LagExperiment]:
    """Seconds for the experiment on a menu of ``points`` efforts; states searched incompletely; states."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pr.IncompleteEnumerationWarning)  # counted below instead
        experiment = pr.lag_experiment(RACE, lags, efforts=np.linspace(0.0, 1.0, points), state=(0, 1))
    seconds = time.perf_counter() - start
    incomplete = sum(len(eq.solver.options["incomplete_states"]) for eq in experiment.equilibria)
    return seconds, incomplete, 25 * len(lags), experiment


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--menus", type=int, nargs="+", default=[21, 41, 161])
    parser.add_argument("--lags", type=float, nargs="+", default=[0.1, 0.25, 0.5, 1.0, 2.0])
    args = parser.parse_args()
    times = {}
    for points in args.menus:
        seconds, incomplete, states, experiment = run(points, args.lags)
        times[points] = seconds
        print(f"{points:4d} efforts: {seconds:7.2f} s, {incomplete}/{states} state searches incomplete; "
              f"follower's win probability at (0, 1) by lag: {np.round(experiment.follower_win_probability, 4)}")
    if 41 in times:
        for points in args.menus:
            if points != 41:
                print(f"time({points}) / time(41) = {times[points] / times[41]:.2f}")


if __name__ == "__main__":
    main()
