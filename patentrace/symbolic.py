"""Exact and certified equilibria as sympy expressions: ``pr.symbolic.solve(race, symbols=())``.

The solver lives in ``patentrace.solvers.symbolic``; this module is its public name.

Examples
--------
>>> import patentrace as pr
>>> race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
>>> pr.symbolic.solve(race).form(0, 0)
'closed form'
"""

from patentrace.solvers.symbolic import (
    MAX_DEGREE,
    PARAMETERS,
    SymbolicEquilibrium,
    single_firm,
    solve,
)

__all__ = ["MAX_DEGREE", "PARAMETERS", "SymbolicEquilibrium", "single_firm", "solve"]
