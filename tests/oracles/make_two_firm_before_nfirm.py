"""How tests/oracles/two_firm_before_nfirm.json was made: 24 random two-firm races solved at commit d4b0550.

Run with that commit's package first on PYTHONPATH (e.g. unpacked from `git archive d4b0550 patentrace`):
`python tests/oracles/make_two_firm_before_nfirm.py tests/oracles/two_firm_before_nfirm.json`.
"""

import json
import sys

import numpy as np

import patentrace as pr

ARRAYS = ("effort", "hazard", "value", "win_probability", "expected_duration", "multiplicity")
rng = np.random.default_rng(2017)


def cost() -> pr.costs.Power:
    exponent = float(rng.choice([2.0, float(rng.uniform(1.5, 4.0))]))
    linear = float(rng.choice([0.0, float(rng.uniform(0.0, 0.1))]))
    return pr.costs.Power(scale=float(rng.uniform(0.3, 3.0)), exponent=exponent, linear=linear)


def main(path: str) -> None:
    """Solve the 24 races and write their arrays to ``path``."""
    out = []
    for k in range(24):
        stages = tuple(int(v) for v in rng.integers(1, 7, 2))
        first = cost()
        costs = (first, first) if k % 3 == 0 else (first, cost())
        productivity = None if k % 2 else [float(v) for v in rng.uniform(0.5, 2.0, max(stages))]
        breakthrough = None if k % 4 else [float(v) for v in rng.uniform(0.0, 0.1, max(stages))]
        race = pr.Race(stages=stages, prize=float(rng.uniform(0.5, 3.0)),
                       loser_prize=float(rng.choice([0.0, float(rng.uniform(0, 0.5))])),
                       discount=float(10 ** rng.uniform(-3, 0)), cost=costs, productivity=productivity,
                       breakthrough=breakthrough)
        eq = pr.solve(race)
        out.append({"model": race.to_dict(), **{name: getattr(eq, name).tolist() for name in ARRAYS}})
    with open(path, "w") as file:
        json.dump({"source": "patentrace at commit d4b0550 (before issue 17)", "races": out}, file)


if __name__ == "__main__":  # a script, never run on import (pytest imports every module for its doctests)
    main(sys.argv[1])
