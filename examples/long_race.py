"""A race of a thousand stages per firm, a million states, solved in a fraction of a second.

With a discount rate of 1e-7 values stay meaningful over a thousand stages. The race
goes through the compiled path (every state certified to have one equilibrium and
checked); the script prints how long it took and what a one-stage lead is worth, and
checks two facts that must hold whatever the speed: at a symmetric state each firm wins
with probability 1/2, and a leader whose rival has stopped investing plays the
single-firm policy (docs/theory/race.md (11), "as if alone").
"""

import time
import warnings

import numpy as np

import patentrace as pr

# Far-behind values leave the float range: eq.underflow counts those firm-states, so the warning can go.
warnings.filterwarnings("ignore", category=pr.UnderflowWarning)

race = pr.Race(stages=1000, prize=1.0, discount=1e-7, cost=pr.costs.Quadratic(scale=1.0))
pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))  # compile (or load the cache)
start = time.perf_counter()
eq = pr.solve(race)
seconds = time.perf_counter() - start
print(f"1000x1000-stage race ({1001 * 1001:,} states) solved in {seconds:.2f} s "
      f"on the {eq.solver.options['path']} path")
print(f"{int(eq.underflow.sum()):,} firm-states far behind have values below the float range (eq.underflow)")

for lead in (0, 1, 5, 20):
    i = 500 + lead
    print(f"lead of {lead:2d} stage(s) at ({i}, 500): leader wins with probability "
          f"{eq.win_probability[0, i, 500]:.4f}, efforts {eq.effort[0, i, 500]:.4f} vs {eq.effort[1, i, 500]:.3g}")

assert abs(eq.win_probability[0, 500, 500] - 0.5) < 1e-12
idle = eq.effort[1, 990, :100] == 0.0  # the follower, hundreds of stages behind, does not invest
alone_effort, _ = pr.single_firm(race)
assert idle.all() and np.allclose(eq.effort[0, 990, :100], alone_effort[990], rtol=1e-12, atol=0)
print("Symmetric state: each firm wins with probability 1/2; a leader facing an idle rival plays as if alone.")
