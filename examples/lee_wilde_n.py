"""The one-stage race of Lee and Wilde (1980) and Reinganum (1982) with n firms, against its closed form.

With one stage, n alike firms, quadratic cost ``a x^2 / 2`` and loser prize ``L``, condition
(16) of docs/theory/race.md at a symmetric equilibrium is a quadratic in the effort, whose
positive root is equation (20):

    x* = [(n - 1)(P - L) - a r + sqrt(((n - 1)(P - L) - a r)^2 + 4 a (n - 1/2) r P)] / (2 a (n - 1/2)),
    V = P - a x*.

The script solves races of 2 to 8 firms over a grid of (prize, scale, discount, loser prize)
with ``pr.solve`` (two firms on the two-firm solver, more on the n-firm one), prints the
solver's effort and value beside the closed form, and fails if they differ by more than
1e-12 (relative). It also prints how the effort per firm and the expected time to the
discovery change with the number of rivals.

Run: ``python examples/lee_wilde_n.py``
"""

import itertools
import math

import patentrace as pr


def closed_form(firms: int, prize: float, scale: float, discount: float, loser: float) -> tuple[float, float]:
    n, p, a, r = firms, prize, scale, discount
    slope = (n - 1) * (p - loser) - a * r
    effort = (slope + math.sqrt(slope * slope + 4 * a * (n - 0.5) * r * p)) / (2 * a * (n - 0.5))
    return effort, p - a * effort


def main() -> None:
    print(f"{'n':>2} {'prize':>6} {'scale':>6} {'discount':>9} {'loser':>6} | {'effort (solver)':>16} "
          f"{'effort (20)':>16} | {'value (solver)':>15} {'value (20)':>15} | rel. error")
    worst = 0.0
    for firms, prize, scale, discount, loser in itertools.product(
            range(2, 9), (1.0, 10.0), (0.5, 2.0), (0.01, 0.5), (0.0, 0.2)):
        race = pr.Race(stages=(1,) * firms, prize=prize, loser_prize=loser * prize, discount=discount,
                       cost=pr.costs.Quadratic(scale=scale))
        eq = pr.solve(race)
        start = (0,) * firms
        x, v = float(eq.effort[(0, *start)]), float(eq.value[(0, *start)])
        x_star, v_star = closed_form(firms, prize, scale, discount, loser * prize)
        error = max(abs(x - x_star) / x_star, abs(v - v_star) / v_star)
        worst = max(worst, error)
        if prize == 1.0 and scale == 2.0 and discount == 0.5:
            print(f"{firms:2d} {prize:6g} {scale:6g} {discount:9g} {loser * prize:6g} | {x:16.12f} {x_star:16.12f} | "
                  f"{v:15.12f} {v_star:15.12f} | {error:.1e}")
    print(f"\nLargest relative difference between solver and closed form (20) over 112 races: {worst:.1e}")
    assert worst < 1e-12, f"solver and closed form differ by {worst:.1e}"
    print("\nMore rivals, P = 1, a = 1, r = 0.1, L = 0: effort per firm, industry hazard, expected time, value")
    for firms in range(1 + 1, 9):
        x, v = closed_form(firms, 1.0, 1.0, 0.1, 0.0)
        print(f"  n = {firms}: x* = {x:.6f}, n x* = {firms * x:.6f}, T = {1 / (firms * x):.6f}, V = {v:.6f}")


if __name__ == "__main__":
    main()
