"""Benchmark: the hybrid path against the all-roots path, on races with a few states of several equilibria.

A race whose every state the compiled sweep certifies stays compiled; before the hybrid
path one uncertified state sent the whole race to the vectorised all-roots path. Now
only those states go to the all-roots search (docs/solver.md, "The hybrid path"). Two
races, each solved both ways in this run (best of ``--repeat``):

- 200 stages, power cost g = 3, discount 0.01, loser prize 0.2 (several equilibria
  along the diagonal);
- ``DeterministicRace(...).poisson_race(400)``: breakthrough hazard 0.02 + 0.4 w^2,
  quadratic cost, discount 0.1, prize 1.

Printed per race: the ratio hybrid / all-roots (the headline), the states handed over,
the states the all-roots path finds with several equilibria, and the states whose
multiplicity differs between the two paths (0 expected, except rounding twins:
tests/test_compiled.py::assert_same).

Run: ``python benchmarks/bench_hybrid.py [--repeat 3] [--stages 200] [--steps 400]``
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from timing import best_of

import patentrace as pr
from patentrace.solvers.backward import solve_race


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stages", type=int, default=200)
    parser.add_argument("--steps", type=int, default=400)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=pr.UnderflowWarning)  # far-behind states of the long races
    chain = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(),
                                 breakthrough=lambda w: 0.02 + 0.4 * w * w)
    cases = [
        (f"power g=3, L=0.2, {args.stages} stages",
         pr.Race(stages=args.stages, prize=1.0, discount=0.01, cost=pr.costs.Power(exponent=3.0), loser_prize=0.2)),
        (f"poisson_race({args.steps}), b = 0.02 + 0.4 w^2", chain.poisson_race(args.steps)),
    ]
    solve_race(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))  # compile
    print(f"hybrid path vs all-roots path, best of {args.repeat}, measured in this run")
    print(f"{'race':44} {'ratio':>7} {'path':>8} {'handed':>7} {'several':>8} {'differ':>7} {'hybrid s':>9} "
          f"{'allroots s':>10}")
    for label, race in cases:
        fast_s, fast = best_of(args.repeat, lambda race=race: solve_race(race))
        slow_s, slow = best_of(args.repeat, lambda race=race: solve_race(race, compiled_path=False))
        several = int(np.sum(slow.multiplicity > 1))
        differ = int(np.sum(fast.multiplicity != slow.multiplicity))
        handed = fast.solver.options.get("allroots_states", "-")
        print(f"{label:44} {fast_s / slow_s:7.3f} {fast.solver.options['path']:>8} {handed:>7} {several:>8} "
              f"{differ:>7} {fast_s:9.3f} {slow_s:10.3f}")
    print("ratio = seconds on the hybrid path / seconds on the all-roots path (lower is better). 'handed': states")
    print("the compiled sweep gave to the all-roots search; each costs a Python-level search (about 1-2 ms per")
    print("round of hand-overs), which is what remains of the all-roots path's cost.")


if __name__ == "__main__":
    main()
