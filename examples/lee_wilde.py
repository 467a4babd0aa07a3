"""The one-stage race of Lee and Wilde (1980) and Reinganum (1982), against its closed form.

With one stage, symmetric firms, quadratic cost ``a x^2 / 2`` and no loser prize,
docs/theory/race.md gives the equilibrium effort and value in closed form:

    x* = [P - a r + sqrt(P^2 + 4 a P r + a^2 r^2)] / (3 a),    V = P - a x*.

The script solves a grid of (prize, scale, discount) with ``pr.solve`` and prints
the solver's effort and value beside the closed form; it fails if they differ
by more than 1e-12 (relative).

Run: ``python examples/lee_wilde.py``
"""

import itertools
import math

import patentrace as pr


def closed_form(prize: float, scale: float, discount: float) -> tuple[float, float]:
    p, a, r = prize, scale, discount
    effort = (p - a * r + math.sqrt(p * p + 4 * a * p * r + a * a * r * r)) / (3 * a)
    return effort, p - a * effort


def main() -> None:
    print(f"{'prize':>6} {'scale':>6} {'discount':>9} | {'effort (solver)':>16} {'effort (closed)':>16} | "
          f"{'value (solver)':>15} {'value (closed)':>15} | rel. error")
    worst = 0.0
    for prize, scale, discount in itertools.product((1.0, 10.0), (0.5, 1.0, 4.0), (0.01, 0.1, 1.0)):
        eq = pr.solve(pr.Race(stages=1, prize=prize, discount=discount, cost=pr.costs.Quadratic(scale=scale)))
        x, v = float(eq.effort[0, 0, 0]), float(eq.value[0, 0, 0])
        x_star, v_star = closed_form(prize, scale, discount)
        error = max(abs(x - x_star) / x_star, abs(v - v_star) / v_star)
        worst = max(worst, error)
        row = f"{prize:6g} {scale:6g} {discount:9g} | {x:16.12f} {x_star:16.12f} | {v:15.12f} {v_star:15.12f}"
        print(f"{row} | {error:.1e}")
    print(f"\nLargest relative difference between solver and closed form: {worst:.1e}")
    assert worst < 1e-12, f"solver and closed form differ by {worst:.1e}"


if __name__ == "__main__":
    main()
