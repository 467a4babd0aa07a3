"""Benchmark: batch solving against a loop, and a dask sweep on 2 workers against 1.

1. ``pr.solve_many`` on 10,000 races of 3 to 10 stages per firm (random discounts,
   cost scales and exponents), against a Python loop over ``pr.solve`` on a sample of
   the same races (per-race times compared; ``--loop-sample 10000`` loops over all).
2. ``pr.sweep`` over a grid on a ``dask.distributed.LocalCluster`` with 2 worker
   processes against the same sweep on 1 worker (clusters started outside the timing).

Both comparisons run in this process, one after the other, and print ratios.

Run: ``python benchmarks/bench_sweep.py [--races 10000] [--loop-sample 500] [--no-dask]``
"""

from __future__ import annotations

import argparse
import functools
import logging
import time

import numpy as np

import patentrace as pr


def random_races(count: int, seed: int = 0) -> list[pr.Race]:
    rng = np.random.default_rng(seed)
    races = []
    for _ in range(count):
        exponent = float(rng.choice([2.0, 2.0, 2.5, 3.0]))
        races.append(
            pr.Race(
                stages=(int(rng.integers(3, 11)), int(rng.integers(3, 11))),
                prize=1.0,
                discount=float(rng.uniform(0.005, 0.1)),
                cost=pr.costs.Power(scale=float(rng.uniform(0.5, 2.0)), exponent=exponent),
            )
        )
    return races


def leader_value(eq: pr.Equilibrium) -> float:
    return float(eq.value[0, 0, 0])


def sweep_on_cluster(workers: int, grid: dict[str, list[float]]) -> float:
    from distributed import Client, LocalCluster

    make = functools.partial(pr.Race, stages=(6, 6), prize=1.0, cost=pr.costs.Power(scale=1.0, exponent=2.5))
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        executor = client.get_executor()
        pr.sweep(make, {"discount": [0.05], "loser_prize": [0.0]}, measure=leader_value, executor=executor)  # warm
        start = time.perf_counter()
        pr.sweep(make, grid, measure=leader_value, executor=executor, chunk_size=250)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--races", type=int, default=10_000)
    parser.add_argument("--loop-sample", type=int, default=500)
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    logging.getLogger("patentrace").setLevel(logging.ERROR)

    races = random_races(args.races)
    start = time.perf_counter()
    pr.solve_many(races)
    batch = time.perf_counter() - start
    sample = races[: args.loop_sample]
    start = time.perf_counter()
    for race in sample:
        pr.solve(race)
    loop = (time.perf_counter() - start) * len(races) / len(sample)
    print(f"solve_many, {len(races)} races of 3-10 stages: {batch:.2f} s; loop over pr.solve "
          f"({len(sample)} races timed, scaled to {len(races)}): {loop:.1f} s; speed-up {loop / batch:.0f}x")

    if args.no_dask:
        return
    grid = {"discount": list(np.linspace(0.01, 0.2, 80)), "loser_prize": list(np.linspace(0.0, 0.5, 50))}
    one = sweep_on_cluster(1, grid)
    two = sweep_on_cluster(2, grid)
    print(f"sweep of {80 * 50} races on a dask LocalCluster: 1 worker {one:.2f} s, 2 workers {two:.2f} s; "
          f"speed-up {one / two:.2f}x (ideal 2x on this 2-core machine)")


if __name__ == "__main__":
    main()
