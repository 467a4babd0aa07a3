"""Harris and Vickers (1985): a firm that faces no active rival acts as if it were alone.

Where the rival has dropped out for good — it idles at the current state and at every
state the leader's own progress leads to — the race is, for the firm still working, a
race against nobody. Its equilibrium effort and value must then equal those of a
single firm with the same stages, cost and learning curve (``pr.single_firm``,
docs/theory/race.md (1) with no rival hazard).

The script solves races with a participation cost (``c(x) = m x + a x^g / g``,
``m > 0``, which creates dropout; docs/theory/race.md (7)) over a grid of stage counts, discount
rates, participation costs, loser prizes, cost exponents, asymmetric stage counts and
a learning curve, finds every state where one firm faces no active rival, and
compares the other's effort and value with the single-firm policy. It fails if any
differ by more than 1e-12 or if no such state is found.

Run: ``python examples/harris_vickers.py``
"""

import itertools

import numpy as np

import patentrace as pr


def races() -> list[pr.Race]:
    grid = []
    for stages, discount, linear, loser, exponent in itertools.product(
        ((3, 3), (5, 5), (6, 4), (4, 7)), (0.02, 0.1), (0.02, 0.1), (0.0, 0.2), (1.5, 3.0)
    ):
        curve = np.linspace(1.0, 2.0, max(stages))  # productivity rises with experience
        for productivity in (None, curve):
            grid.append(pr.Race(stages=stages, prize=1.0, discount=discount, loser_prize=loser,
                                cost=pr.costs.Power(scale=1.0, exponent=exponent, linear=linear),
                                productivity=productivity))
    return grid


def alone_states(effort: np.ndarray, firm: int) -> list[tuple[int, int]]:
    """Open states where ``firm``'s rival idles there and at every state ``firm``'s progress leads to."""
    rival = 1 - firm
    n0, n1 = effort.shape[1] - 1, effort.shape[2] - 1
    found = []
    for i, j in itertools.product(range(n0), range(n1)):
        ahead = [(ii, j) for ii in range(i, n0)] if firm == 0 else [(i, jj) for jj in range(j, n1)]
        if all(effort[rival, a, b] == 0.0 for a, b in ahead):
            found.append((i, j))
    return found


def main() -> None:
    states = worst = 0.0
    example = None
    grid = races()
    for race in grid:
        eq = pr.solve(race)
        for firm in (0, 1):
            effort, value = pr.single_firm(race, firm)
            for i, j in alone_states(eq.effort, firm):
                own = (i, j)[firm]
                gap = max(abs(eq.effort[firm, i, j] - effort[own]), abs(eq.value[firm, i, j] - value[own]))
                worst, states = max(worst, gap), states + 1
                if example is None and own > 0:
                    example = (race, firm, (i, j), float(eq.effort[firm, i, j]), float(effort[own]))
    print(f"{len(grid)} races solved; {int(states)} states where a firm faces no active rival.")
    print(f"Largest difference from the single-firm policy (effort or value): {worst:.1e}")
    assert states > 0, "no state without an active rival: the scan says nothing"
    assert worst <= 1e-12, worst
    race, firm, state, x, alone = example
    print(f"For example, stages {race.stages}, discount {race.discount}, cost {race.cost[firm]}: at {state} "
          f"firm {firm} works {x:.10f}, a lone firm {alone:.10f}.")
    print("Every firm without an active rival plays exactly the single-firm policy.")


if __name__ == "__main__":
    main()
