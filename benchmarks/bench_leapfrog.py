"""Benchmark: a sweep measuring the leapfrog report, against solve_many on the same races (issue 20).

On one grid of 2,000 races (stage counts 3 to 10, discounts, loser prizes, cost scales,
a small participation cost), all timed in this one run:

1. ``pr.sweep(make_race, grid, measure=pr.LeapfrogMeasure(state))`` — the report's
   leapfrog probability at every point, a chunk at a time — against
   ``pr.solve_many`` on the same races, built beforehand (the target: at most 2x);
2. the same sweep with the report one call at a time (``measure=lambda eq:
   pr.leapfrog(eq, state).leapfrog_probability``, the path before ``LeapfrogMeasure``);
3. ``pr.leapfrog_many(eqs, state)`` against a loop of ``pr.leapfrog`` over the same
   equilibria, for each ``follower_by`` (and a check that the reports are equal).

With ``--dask``, also where a dask sweep's time goes against the serial sweep of step 1:
starting a ``LocalCluster`` of 1 and of 2 worker processes, the first sweep on it (each
worker imports the library and loads the compiled kernel), warm sweeps by chunk size, one
chunk of 1,000 races computed inside a worker against the same chunk in this process,
and the round trip of that chunk's task.

Every line is a ratio of two timings taken here, each the best of ``--repeat`` runs (the
three timings of step 1 taken in turn; the slow per-call paths run once).

Run: ``python benchmarks/bench_leapfrog.py [--repeat 5] [--state 0 1] [--dask]``
"""

from __future__ import annotations

import argparse
import functools
import itertools
import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from timing import best_of

import patentrace as pr
from patentrace.faces.sweep import _run_chunk

STAGES = [(3, 3), (3, 5), (5, 3), (4, 6), (6, 4), (8, 8), (10, 4), (4, 10)]
GRID = {"stages": STAGES, "discount": list(np.geomspace(0.01, 0.5, 10)), "loser_prize": [0.0, 0.1, 0.2, 0.3, 0.4],
        "scale": [0.5, 0.75, 1.0, 1.5, 2.0]}  # 8 x 10 x 5 x 5 = 2,000 races


def make_race(stages: tuple[int, int], discount: float, loser_prize: float, scale: float) -> pr.Race:
    return pr.Race(stages=stages, prize=1.0, discount=discount, loser_prize=loser_prize,
                   cost=pr.costs.Quadratic(scale=scale, linear=0.02))


def interleaved(repeat: int, *runs: Callable[[], Any]) -> list[tuple[float, Any]]:
    """``best_of`` for several runs taken in turn, so that a change in the machine's load hits them alike."""
    best: list[tuple[float, Any]] = [(float("inf"), None)] * len(runs)
    for _ in range(repeat):
        for k, run in enumerate(runs):
            seconds, result = best_of(1, run)
            best[k] = (min(best[k][0], seconds), result)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--state", type=int, nargs=2, default=(0, 1))
    parser.add_argument("--dask", action="store_true", help="also time sweeps on a dask LocalCluster")
    args = parser.parse_args()
    logging.getLogger("patentrace").setLevel(logging.ERROR)
    state = (args.state[0], args.state[1])
    points = [dict(zip(GRID, values, strict=True)) for values in itertools.product(*GRID.values())]
    races = [make_race(**point) for point in points]
    count = len(races)
    pr.sweep(make_race, {k: v[:1] for k, v in GRID.items()}, measure=pr.LeapfrogMeasure(state))  # warm: compile

    measure = pr.LeapfrogMeasure(state)
    (solve_many, eqs), (batched, result), (plain, _) = interleaved(
        args.repeat, lambda: pr.solve_many(races),
        lambda: pr.sweep(make_race, GRID, measure=measure, progress=False),
        lambda: pr.sweep(make_race, GRID, measure=None, progress=False))

    def one_call(eq: pr.Equilibrium) -> float | None:
        return pr.leapfrog(eq, state).leapfrog_probability

    per_call, old = best_of(1, lambda: pr.sweep(make_race, GRID, measure=one_call, progress=False))
    same = np.array_equal(np.ma.getdata(result.values)[~result.failed], np.ma.getdata(old.values)[~result.failed])
    print(f"{count} races, leapfrog report at {state} (leapfrog probability); ratios to solve_many on the same races:")
    print(f"  sweep, measure=pr.LeapfrogMeasure(state):         {batched / solve_many:5.2f}x   (target <= 2x)")
    print(f"  sweep, no measure (whole equilibria):             {plain / solve_many:5.2f}x")
    print(f"  sweep, measure=pr.leapfrog one call at a time:    {per_call / solve_many:5.2f}x   "
          f"({per_call / batched:.0f}x the batched sweep; values equal: {same})")
    for follower_by in ("distance", "expected_time"):
        many, reports = best_of(args.repeat, lambda fb=follower_by: pr.leapfrog_many(eqs, state, follower_by=fb))
        loop, alone = best_of(1, lambda fb=follower_by: [pr.leapfrog(eq, state, follower_by=fb) for eq in eqs])
        equal = all(a.leapfrog_probability == b.leapfrog_probability and a.can_leapfrog == b.can_leapfrog
                    and np.array_equal(a.preemption_region, b.preemption_region)
                    for a, b in zip(reports, alone, strict=True))
        print(f"  follower_by={follower_by!r:15}: pr.leapfrog_many {many / solve_many:5.2f}x solve_many; "
              f"a loop of pr.leapfrog {loop / many:5.1f}x pr.leapfrog_many (reports equal: {equal})")
    if args.dask:
        dask_sweeps(measure, points, batched, args.repeat)


def chunk_seconds(points: list[dict[str, Any]], measure: pr.LeapfrogMeasure) -> float:
    """Seconds to build, solve and measure one chunk where this runs (in this process, or in a worker)."""
    start = time.perf_counter()
    _run_chunk(make_race, measure, points, {})
    return time.perf_counter() - start


def dask_sweeps(measure: pr.LeapfrogMeasure, points: list[dict[str, Any]], serial: float, repeat: int) -> None:
    """Ratios of a dask sweep's parts to the serial sweep (``serial`` seconds)."""
    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.ERROR)
    chunk = points[:1000]
    here, _ = best_of(repeat, lambda: chunk_seconds(chunk, measure))
    print("dask.distributed LocalCluster, ratios to the serial sweep above (= 1):")
    for workers in (1, 2):
        begin = time.perf_counter()
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None) as cluster, Client(cluster) as client:
            started = time.perf_counter() - begin
            run = functools.partial(pr.sweep, make_race, GRID, measure=measure, executor=client.get_executor(),
                                    progress=False)
            first, _ = best_of(1, run)
            warm = {size: best_of(repeat, functools.partial(run, chunk_size=size))[0] for size in (64, 256, 1000)}
            inside = min(client.submit(chunk_seconds, chunk, measure, pure=False).result() for _ in range(repeat))
            trip, _ = best_of(repeat, lambda: client.submit(chunk_seconds, chunk, measure, pure=False).result())
        total = time.perf_counter() - begin
        sizes = ", ".join(f"chunk {size}: {t / serial:.2f}x" for size, t in warm.items())
        print(f"  {workers} worker(s): starting the cluster {started / serial:.1f}x, "
              f"first sweep {first / serial:.1f}x, warm sweeps {sizes}; start to stop {total / serial:.1f}x")
        print(f"      a chunk of 1000 races: computed in the worker {inside / here:.2f}x in this process; its task's "
              f"round trip {trip / inside:.2f}x its computation in the worker")


if __name__ == "__main__":
    main()
