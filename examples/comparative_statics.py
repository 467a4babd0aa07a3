"""Comparative statics of a two-stage race, exactly: how effort responds to the discount rate.

The symmetric two-stage race (docs/theory/race.md, P = 1, r = 0.1, a = 1) with the prize and the
discount rate kept symbolic. At the asymmetric states (1, 0) and (0, 1) the efforts have no
radicals: pr.symbolic represents them as implicit roots of the state's first-order
conditions on the branch through the model's equilibrium. Their derivatives are exact by the
implicit function theorem; we compare them with finite differences of pr.solve, and the
branch-following lambdify with pr.solve across a range of discount rates.
"""

import numpy as np

import patentrace as pr

race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
sym = pr.symbolic.solve(race, symbols=("prize", "discount"))
P, r = sym.symbols["prize"], sym.symbols["discount"]

print(f"Built in {sym.seconds:.2f} s. Forms: (1, 1) {sym.form(1, 1)}, (1, 0) {sym.form(1, 0)}, "
      f"(0, 0) {sym.form(0, 0)}")
print("Leader's effort at (1, 0):", sym.effort(0, 1, 0), "=", sym.evaluate(sym.effort(0, 1, 0), 20))
print("Its system F_1 = 0:", sym.system(1, 0)[0], "= 0")
print("Effort at (0, 0) given its continuation:", sym.effort(0, 0, 0))

h = 1e-6
worst = 0.0
for quantity, parameter, firm, state in (("effort", "discount", 0, (0, 0)), ("effort", "discount", 0, (1, 0)),
                                         ("effort", "discount", 1, (1, 0)), ("value", "prize", 0, (0, 0))):
    exact = float(sym.evaluate(sym.derivative(quantity, parameter, firm, state), 20))
    moved = [pr.Race(stages=2, prize=1.0 + (s if parameter == "prize" else 0.0),
                     discount=0.1 + (s if parameter == "discount" else 0.0), cost=pr.costs.Quadratic())
             for s in (h, -h)]
    fd = (getattr(pr.solve(moved[0]), quantity)[(firm, *state)]
          - getattr(pr.solve(moved[1]), quantity)[(firm, *state)]) / (2 * h)
    worst = max(worst, abs(exact - fd) / abs(fd))
    print(f"d {quantity}_{firm + 1}{state} / d {parameter}: exact {exact:+.12f}, finite difference {fd:+.12f}")
assert worst < 1e-6
print(f"Largest relative difference between exact derivative and finite difference: {worst:.1e}")

discounts = np.linspace(0.01, 0.8, 40)
effort, _ = sym.lambdify()(prize=1.0, discount=discounts)
gap = max(np.abs(effort[..., n] - pr.solve(pr.Race(stages=2, prize=1.0, discount=float(d),
                                                    cost=pr.costs.Quadratic())).effort).max()
          for n, d in enumerate(discounts))
assert gap < 1e-10
print(f"lambdify along r in [0.01, 0.8] (40 values) against pr.solve: largest difference {gap:.1e}")
rises = bool(np.all(np.diff(effort[0, 1, 0]) > 0))
print(f"The leader's effort at (1, 0) rises with r on the whole range: {rises}; d x_0(1,0)/dr at the model:",
      sym.evaluate(sym.derivative("effort", "discount", 0, (1, 0)), 12))
