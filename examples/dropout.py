"""A participation cost makes the follower drop out, and the leader then races as if alone.

With cost ``c(x) = 0.05 x + x^2 / 2`` (a positive marginal cost at zero effort),
four stages each and discount 0.05, docs/theory/race.md (7) says firm 0 idles at (0, 2),
(0, 3) and (1, 3): two or more stages behind, racing does not pay. There the
leader faces no active rival for the rest of the race, so it plays exactly the
policy of a firm alone (Harris and Vickers 1985; Lippman and McCardle 1987).
The script prints the dropout region and checks the leader's effort against
``pr.single_firm``.

Run: ``python examples/dropout.py``
"""

import numpy as np

import patentrace as pr


def main() -> None:
    race = pr.Race(stages=4, prize=1.0, discount=0.05, cost=pr.costs.Quadratic(scale=1.0, linear=0.05))
    eq = pr.solve(race)
    np.set_printoptions(precision=4, suppress=True)
    print("Effort of firm 0 (rows: stages firm 0 has completed, columns: firm 1's):")
    print(eq.effort[0])
    report = pr.leapfrog(eq, state=(0, 2))
    region = [(int(i), int(j)) for i, j in zip(*np.nonzero(report.preemption_region), strict=True)]
    print("\nStates where the firm behind does not invest (dropout region):", region)
    idle_firm_0 = [(i, j) for i, j in region if race.stages[0] - i > race.stages[1] - j]
    assert idle_firm_0 == [(0, 2), (0, 3), (1, 3)], idle_firm_0

    alone_effort, alone_value = pr.single_firm(race, firm=1)
    print("\nLeader (firm 1) where firm 0 has dropped out, against the single-firm policy:")
    print(f"{'state':>8} {'leader effort':>14} {'alone':>14} {'leader value':>14} {'alone':>14}")
    for i, j in idle_firm_0:
        x, v = float(eq.effort[1, i, j]), float(eq.value[1, i, j])
        print(f"{(i, j)!s:>8} {x:14.10f} {alone_effort[j]:14.10f} {v:14.10f} {alone_value[j]:14.10f}")
        assert abs(x - alone_effort[j]) < 1e-12 and abs(v - alone_value[j]) < 1e-12
    print("\n" + str(report))
    assert report.follower == 0 and not report.can_leapfrog


if __name__ == "__main__":
    main()
