"""Firms compete more vigorously in later stages — where that holds in this model, and where it does not.

With the prize closer, a stage completed is worth more, so in a symmetric race the
efforts at level states ``(i, i)`` should rise with ``i`` (docs/theory/invariants.md lists "effort
rises towards the last stage" among the regularities the model reproduces in scanned
cases, not as a theorem). The script solves symmetric races over a grid of stage
counts, discount rates ``r a / P``, cost exponents, loser prizes and participation
costs, and checks that at level states each firm's effort rises strictly with the
stages completed (once it is active: with a participation cost both may idle in the
first states).

It then shows that the stronger claim — at every fixed lead, both firms work harder as
the race advances — fails in the same model: a counterexample is printed.

Run: ``python examples/later_stages.py``
"""

import itertools

import numpy as np

import patentrace as pr


def level_efforts(race: pr.Race) -> np.ndarray:
    """Both firms' efforts at the level states: shape (2, N), column ``i`` for state ``(i, i)``."""
    x = pr.solve(race, verify=True).effort
    return np.array([[x[firm, i, i] for i in range(race.stages[0])] for firm in (0, 1)])


def main() -> None:
    checked = 0
    for stages, discount, exponent, loser, linear in itertools.product(
        (3, 6), np.geomspace(0.005, 1.0, 5), (1.5, 2.0, 3.0), (0.0, 0.3), (0.0, 0.03)
    ):
        race = pr.Race(stages=stages, prize=1.0, discount=discount, loser_prize=loser,
                       cost=pr.costs.Power(scale=1.0, exponent=exponent, linear=linear))
        for effort in level_efforts(race):
            active = int(np.argmax(effort > 0)) if np.any(effort > 0) else stages
            assert np.all(effort[active:] > 0) and np.all(np.diff(effort[active:]) > 0), (race, effort)
        checked += 1
    race = pr.Race(stages=6, prize=1.0, discount=0.05, cost=pr.costs.Quadratic(scale=1.0))
    print("Six stages, c(x) = x^2/2, discount 0.05: effort at the level states (0, 0) .. (5, 5)")
    print("  " + "  ".join(f"{x:.4f}" for x in level_efforts(race)[0]))
    print(f"\nAt the level states of all {checked} races scanned (stages 3 and 6, r a / P from 0.005 to 1, "
          "exponents 1.5, 2, 3, loser prize 0 and 0.3, participation cost 0 and 0.03), effort rises with every "
          "stage completed.")

    race = pr.Race(stages=6, prize=1.0, discount=0.005, cost=pr.costs.Power(scale=1.0, exponent=3.0))
    x = pr.solve(race, verify=True).effort
    lead = 3
    leader = [float(x[0, i + lead, i]) for i in range(6 - lead)]
    print(f"\nNot at every fixed lead: 6 stages, c(x) = x^3/3, discount 0.005; the leader, {lead} stages ahead, "
          f"works {', '.join(f'{v:.4f}' for v in leader)} at (3, 0), (4, 1), (5, 2).")
    assert not np.all(np.diff(leader) > 0), "the counterexample should show a fall"


if __name__ == "__main__":
    main()
