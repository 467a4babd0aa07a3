"""Lippman and McCardle (1987): the follower drops out when far behind; the leader never does while it is active.

With a participation cost (``c(x) = m x + a x^2 / 2``, ``m > 0``) a firm idles exactly
where ``m (r + h_rival) / lambda >= r A + h_rival (A - B)`` (docs/theory/race.md). The script
solves symmetric races over a grid of stage counts, discount rates, participation costs
and loser prizes, and checks at every open state that

1. a firm that idles while its rival works is behind (the follower drops out, the
   leader never does) — or, at a level state, the state has several equilibria and
   the solver's selection rule picked one where one firm races and the other waits
   (with a loser prize this is an equilibrium either way round; see docs/index.md);
2. the dropout region is monotone: a follower that idles at some gap still idles when
   it is further behind;
3. the leader never idles at a state where the follower is active.

It also counts the races with a dropout region, so that the checks are not vacuous,
and prints the region of one race.

Run: ``python examples/lippman_mccardle.py``
"""

import itertools

import numpy as np

import patentrace as pr


def main() -> None:
    races = with_dropout = level_idle = 0
    for stages, discount, linear, loser in itertools.product((3, 5, 8), (0.02, 0.05, 0.2), (0.01, 0.03, 0.1),
                                                             (0.0, 0.2)):
        race = pr.Race(stages=stages, prize=1.0, discount=discount, loser_prize=loser,
                       cost=pr.costs.Quadratic(scale=1.0, linear=linear))
        eq = pr.solve(race)
        x = eq.effort
        races += 1
        dropped = False
        for i, j in itertools.product(range(stages), range(stages)):
            for firm in (0, 1):
                own, rival = (i, j)[firm], (j, i)[firm]  # stages completed by the firm and by its rival
                idle, rival_idle = x[firm, i, j] == 0.0, x[1 - firm, i, j] == 0.0
                if idle and not rival_idle:
                    if own == rival and eq.multiplicity[i, j] > 1:
                        level_idle += 1  # an asymmetric equilibrium of a symmetric state, selected
                        continue
                    dropped = True
                    assert own < rival, f"firm {firm} idles at {(i, j)} without being behind ({race})"
                    further = (i, j + 1) if firm == 0 else (i + 1, j)
                    if max(further) < stages:
                        assert x[firm, further[0], further[1]] == 0.0, (firm, (i, j), further)
                if own > rival and not rival_idle:
                    assert not idle, f"leader {firm} idles at {(i, j)} while the follower works ({race})"
        with_dropout += dropped
    print(f"{races} races checked (stages 3, 5, 8; discount 0.02-0.2; participation cost 0.01-0.1; loser prize 0, "
          f"0.2); {with_dropout} have a follower that drops out.")
    print(f"At {level_idle} level states with several equilibria the selected one has one firm waiting.")
    assert with_dropout > races // 2, "too few races with dropout for the checks to mean anything"
    print("Apart from those, only a firm that is behind drops out, it stays out further behind, and the leader "
          "never drops out while the follower is active.")

    race = pr.Race(stages=5, prize=1.0, discount=0.05, cost=pr.costs.Quadratic(scale=1.0, linear=0.03))
    eq = pr.solve(race, verify=True)
    np.set_printoptions(precision=4, suppress=True)
    print(f"\nFor example, {race.stages} stages, discount 0.05, c(x) = 0.03 x + x^2/2; firm 0's effort "
          "(rows: its stages done, columns: firm 1's):")
    print(eq.effort[0])
    region = [(int(i), int(j)) for i, j in zip(*np.nonzero(pr.preemption_region(eq)), strict=True)]
    print("States where the firm behind idles:", region)


if __name__ == "__main__":
    main()
