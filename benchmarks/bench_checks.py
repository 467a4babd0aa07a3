"""Benchmark: what the post-solve checks of every ``pr.solve`` cost next to the solve.

Every ``pr.solve`` of a Race checks that each returned array is finite and that the HJB
residual is within ``tolerance`` (patentrace.results.verification.certify). This script times
the solve without the checks (``patentrace.solvers.backward.solve_race``) and with them
(``pr.solve``) on the same races, in this process, and prints the ratio; and, for scale,
the full ``verify=True`` (the deviation search at every state).

Run: ``python benchmarks/bench_checks.py [--repeat 5]``
"""

from __future__ import annotations

import argparse
import logging

from timing import best_of

import patentrace as pr
from patentrace.solvers.backward import solve_race


def races() -> dict[str, pr.Race]:
    """A compiled-path race, a breakthrough race and an all-roots race."""
    return {
        "100x100 quadratic": pr.Race(stages=100, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()),
        "40x40 power, breakthroughs": pr.Race(stages=40, prize=1.0, discount=0.05,
                                              cost=pr.costs.Power(scale=1.0, exponent=3.0, linear=0.01),
                                              breakthrough=[0.01] * 40),
        "20x20 custom cost": pr.Race(stages=20, prize=1.0, discount=0.1,
                                     cost=pr.costs.Power(scale=2.0, exponent=1.5), loser_prize=0.3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    logging.getLogger("patentrace").setLevel(logging.ERROR)
    print(f"{'race':30s} {'solve (s)':>10s} {'checked/raw':>12s} {'verify=True/raw':>16s}")
    for name, race in races().items():
        solve_race(race)  # compile and warm caches
        raw, _ = best_of(args.repeat, lambda race=race: solve_race(race))
        checked, _ = best_of(args.repeat, lambda race=race: pr.solve(race))
        verified, _ = best_of(max(1, args.repeat // 2), lambda race=race: pr.solve(race, verify=True))
        print(f"{name:30s} {raw:10.4f} {checked / raw:12.2f} {verified / raw:16.2f}")


if __name__ == "__main__":
    main()
