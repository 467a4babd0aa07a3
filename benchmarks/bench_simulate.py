"""Benchmark: a million simulated histories of a 10x10 race, against a per-path Python loop.

The baseline is what a researcher writes first: one history at a time, a Python loop
over events drawing the holding time and the winner of each event with numpy's
generator. It is timed on ``--baseline-paths`` histories and scaled per path; both run in
the same process on the same equilibrium.

Run: ``python benchmarks/bench_simulate.py [--paths 1000000] [--baseline-paths 20000]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import patentrace as pr


def naive(eq: pr.Equilibrium, start: tuple[int, int], paths: int, seed: int) -> tuple[float, float]:
    """Per-path loop; returns the seconds taken and firm 0's win frequency."""
    rng = np.random.default_rng(seed)
    n1, n2 = eq.model.stages
    wins = 0
    began = time.perf_counter()
    for _ in range(paths):
        i, j, clock = *start, 0.0
        while i < n1 and j < n2:
            h0, h1 = eq.hazard[0, i, j], eq.hazard[1, i, j]
            clock += rng.exponential(1.0 / (h0 + h1))
            if rng.random() * (h0 + h1) < h0:
                i += 1
            else:
                j += 1
        wins += i == n1
    return time.perf_counter() - began, wins / paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=1_000_000)
    parser.add_argument("--baseline-paths", type=int, default=20_000)
    args = parser.parse_args()
    eq = pr.solve(pr.Race(stages=10, prize=1.0, discount=0.02, cost=pr.costs.Quadratic()))
    began = time.perf_counter()
    sim = pr.simulate(eq, (0, 0), args.paths, seed=1)
    fast = time.perf_counter() - began
    slow, frequency = naive(eq, (0, 0), args.baseline_paths, seed=1)
    per_path = slow / args.baseline_paths
    print(f"pr.simulate: {args.paths} paths of a 10x10 race in {fast:.2f} s "
          f"(firm 0 wins {sim.win_frequency[0]:.4f} +- {sim.win_standard_error[0]:.4f}; "
          f"computed {eq.win_probability[0, 0, 0]:.4f})")
    print(f"per-path loop: {args.baseline_paths} paths in {slow:.2f} s (firm 0 wins {frequency:.4f}); "
          f"scaled to {args.paths} paths: {per_path * args.paths:.1f} s")
    print(f"speed-up: {per_path * args.paths / fast:.0f}x")


if __name__ == "__main__":
    main()
