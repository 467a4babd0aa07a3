"""Where does a race have several Markov perfect equilibria? A scan with pr.solve_all.

Efforts are strategic complements wherever a firm prefers its own success to its
rival's (docs/theory/race.md: dBR/dh has the sign of V - B), and a game of complements can have
several equilibria. This script draws random races in five families — the baseline,
participation costs (linear terms), strong learning curves, a loser prize (asymmetric
prizes), and a loser prize with participation costs — solves each with
``pr.solve_all``, and counts the races with more than one equilibrium. It then prints
the equilibria of one race that has several.
"""

import numpy as np

import patentrace as pr

RACES_PER_FAMILY = 150
rng = np.random.default_rng(2026)


def draw(family: str) -> pr.Race:
    stages = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    scales = rng.uniform(0.2, 2.0, size=2)
    exponents = rng.choice([2.0, 3.0], size=2)
    linear = rng.uniform(0.0, 0.3, size=2) if "linear" in family else np.zeros(2)
    loser = float(rng.uniform(0.0, 0.95)) if "loser" in family else 0.0
    productivity = None
    if family == "learning":
        growth = rng.uniform(1.5, 5.0, size=2)
        productivity = tuple(tuple(float(g**i) for i in range(n)) for g, n in zip(growth, stages, strict=True))
    cost = tuple(pr.costs.Power(scale=float(a), exponent=float(g), linear=float(m))
                 for a, g, m in zip(scales, exponents, linear, strict=True))
    return pr.Race(stages=stages, prize=1.0, loser_prize=loser, discount=float(10 ** rng.uniform(-3, 0)),
                   cost=cost, productivity=productivity)


families = ["baseline", "linear", "learning", "loser", "loser+linear"]
example = None
found_in = []
print("Races with several Markov perfect equilibria (random races, 1-3 stages each):")
print(f"{'family':>14}  {'several':>7}  {'of':>4}  {'most equilibria':>15}")
for family in families:
    several, most = 0, 1
    for _ in range(RACES_PER_FAMILY):
        race = draw(family)
        count = len(pr.solve_all(race, max_equilibria=10_000))
        if count > 1:
            several += 1
            if example is None or count > len(pr.solve_all(example)):
                example = race
        most = max(most, count)
    print(f"{family:>14}  {several:>7}  {RACES_PER_FAMILY:>4}  {most:>15}")
    if several:
        found_in.append(family)

if found_in and all("loser" in f for f in found_in):
    print("Several equilibria appeared only in families with a loser prize.")
elif found_in:
    print(f"Several equilibria appeared in: {', '.join(found_in)}.")
else:
    print("No race had several equilibria.")

if example is not None:
    eqs = pr.solve_all(example)
    print(f"\nExample: stages {example.stages}, loser prize {example.loser_prize:.3f}, "
          f"discount {example.discount:.4f}, costs {example.cost[0]!r} / {example.cost[1]!r}")
    print(f"{len(eqs)} equilibria; efforts at the start (0, 0) and values:")
    for eq in eqs:
        x, v = eq.effort[:, 0, 0], eq.value[:, 0, 0]
        print(f"  x = ({x[0]:.4f}, {x[1]:.4f})   V = ({v[0]:.4f}, {v[1]:.4f})   "
              f"states with several: {int((eq.multiplicity > 1).sum())}")
