"""Quick start: solve a multi-stage patent race and ask whether the follower can leapfrog.

Two firms race through four R&D stages each (docs/theory/race.md) for a prize of 1, with
quadratic effort costs and a discount rate of 0.05. Firm 0 is one stage behind.
The script prints both firms' efforts, the equilibrium check, and the leapfrog
report (docs/theory/leapfrog.md) at state (0, 1).

Run: ``python examples/quickstart.py``
"""

import numpy as np

import patentrace as pr


def main() -> None:
    race = pr.Race(stages=4, prize=1.0, discount=0.05, cost=pr.costs.Quadratic(scale=1.0))
    eq = pr.solve(race)
    np.set_printoptions(precision=4, suppress=True)
    print("Race:", race)
    print("\nEffort of firm 0 (rows: stages firm 0 has completed, columns: firm 1's):")
    print(eq.effort[0])
    print("\nEffort of firm 1:")
    print(eq.effort[1])
    gain, residual = eq.verify()
    print(f"\nEquilibrium check: largest profitable deviation {gain:.1e} of the prize, "
          f"largest HJB residual {residual:.1e}")
    print()
    report = pr.leapfrog(eq, state=(0, 1))
    print(report)
    assert report.follower == 0 and report.can_leapfrog, "c'(0) = 0: the follower always invests (theory/leapfrog.md)"
    assert gain < 1e-8 and residual < 1e-8


if __name__ == "__main__":
    main()
