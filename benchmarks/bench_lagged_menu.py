"""Benchmark: issue 19's lag experiment on effort menus of 21, 41 and 161 points, timed in one run.

One technology (a 5 x 5 race with a learning curve, quadratic costs) is played in periods
of length 0.1 to 2 (``pr.lag_experiment``); the effort menu is a uniform grid on [0, 1].
Before issue 19 a coarser menu could be slower than a finer one (21 points 17.6 s, 41
points 2.0 s, 161 points 27.4 s): the per-state support search spent its budget in full on
coarse menus and searched finer ones only among neighbouring efforts. Now duplicate and
strictly dominated efforts are removed first and the budget (``max_pairs``) applies to
what is left. The script prints each menu's time (wall clock and CPU), the ratios of CPU
times time(21)/time(41) and time(161)/time(41), and how many states' searches were
incomplete. Measured on this project's machine: before, 37.9 s, 5.0 s and 63.4 s of CPU
for 21, 41 and 161 efforts; after, 7.1 s, 9.3 s and 17.7 s. Later, support systems that are
nearly singular were solved correctly (a state had raised "no equilibrium found"); against the
earlier line solver, in one process, that costs 1.06 times at 21 efforts and 1.7 times at 41.

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


def run(points: int, lags: list[float]) -> tuple[float, float, int, int, pr.LagExperiment]:
    """Wall-clock and CPU seconds for the experiment on ``points`` efforts; states searched incompletely; states."""
    start, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pr.IncompleteEnumerationWarning)  # counted below instead
        experiment = pr.lag_experiment(RACE, lags, efforts=np.linspace(0.0, 1.0, points), state=(0, 1))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    incomplete = sum(len(eq.solver.options["incomplete_states"]) for eq in experiment.equilibria)
    return seconds, cpu, incomplete, 25 * len(lags), experiment


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--menus", type=int, nargs="+", default=[21, 41, 161])
    parser.add_argument("--lags", type=float, nargs="+", default=[0.1, 0.25, 0.5, 1.0, 2.0])
    args = parser.parse_args()
    times = {}
    for points in args.menus:
        seconds, cpu, incomplete, states, experiment = run(points, args.lags)
        times[points] = cpu
        print(f"{points:4d} efforts: {seconds:7.2f} s ({cpu:.2f} s CPU), {incomplete}/{states} state searches "
              "incomplete; "
              f"follower's win probability at (0, 1) by lag: {np.round(experiment.follower_win_probability, 4)}")
    if 41 in times:
        for points in args.menus:
            if points != 41:
                print(f"CPU time({points}) / CPU time(41) = {times[points] / times[41]:.2f}")


if __name__ == "__main__":
    main()
