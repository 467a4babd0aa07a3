"""Grossman and Shapiro (1987): in a two-stage race the leader works harder, and both work harder once level.

Two symmetric firms each need two stages (docs/theory/race.md). At state (1, 0) firm 0 leads
by one stage; at (1, 1) the follower has caught up and both are one stage from the
prize. The script solves the race over a grid of ``r a / P`` (by the scaling (I8) of
docs/theory/invariants.md this covers every prize and cost scale) and cost exponents ``g`` (cost
``a x^g / g``, no loser prize), and checks at every point that

1. the leader's effort at (1, 0) exceeds the follower's, and
2. both efforts at (1, 1) exceed what each firm did at (1, 0).

It prints one row per point for ``g = 2`` and a summary for the rest, then shows that
claim 2 is not a theorem of this model: with a loser prize ``L = 0.3 P`` and a high
discount rate the leader works harder at (1, 0) than at (1, 1).

Run: ``python examples/grossman_shapiro.py``
"""

import itertools

import numpy as np

import patentrace as pr

DISCOUNTS = np.geomspace(0.001, 100.0, 11)  # r a / P, with a = P = 1
EXPONENTS = (1.25, 1.5, 2.0, 3.0, 5.0)


def two_stage(discount: float, exponent: float, loser_prize: float = 0.0) -> tuple[float, float, float, float]:
    """Leader's and follower's efforts at (1, 0), then firm 0's and firm 1's at (1, 1)."""
    race = pr.Race(stages=2, prize=1.0, discount=discount, loser_prize=loser_prize,
                   cost=pr.costs.Power(scale=1.0, exponent=exponent))
    x = pr.solve(race, verify=True).effort
    return float(x[0, 1, 0]), float(x[1, 1, 0]), float(x[0, 1, 1]), float(x[1, 1, 1])


def main() -> None:
    print("Cost x^2/2, prize 1, no loser prize: efforts at (1, 0) (firm 0 leads) and at (1, 1) (level)")
    print(f"{'r a / P':>9} | {'leader':>8} {'follower':>9} | {'level':>8}")
    checked = 0
    for discount, exponent in itertools.product(DISCOUNTS, EXPONENTS):
        leader, follower, level0, level1 = two_stage(discount, exponent)
        if exponent == 2.0:
            print(f"{discount:9.4g} | {leader:8.4f} {follower:9.4f} | {level0:8.4f}")
        assert abs(level0 - level1) < 1e-12, "symmetric firms at a symmetric state"
        assert leader > follower, (discount, exponent, leader, follower)
        assert level0 > leader and level1 > follower, (discount, exponent, leader, follower, level0)
        checked += 1
    print(f"\nAt all {checked} points (r a / P from 0.001 to 100, exponents {EXPONENTS}): the leader works "
          "harder than the follower, and both work harder once the follower catches up.")

    leader, follower, _, _ = two_stage(0.1, 2.0)
    assert abs(leader - 0.4686350713) < 1e-9 and abs(follower - 0.2494666666) < 1e-9, "docs/theory/race.md, N = 2"

    leader, follower, level0, _ = two_stage(2.0, 2.0, loser_prize=0.3)
    print(f"\nOutside that scope: loser prize 0.3, r a / P = 2: leader {leader:.4f} at (1, 0) but only "
          f"{level0:.4f} at (1, 1); the follower {follower:.4f} -> {level0:.4f}.")
    assert leader > follower and level0 < leader and level0 > follower


if __name__ == "__main__":
    main()
