"""Layer 3, results: the equilibrium types, their verification, and the jump chains.

An equilibrium is data over the states plus what produced it; ``verify()`` checks it
against the equations of ``patentrace.equations`` (docs/theory/race.md, periods.md), and the chains
([`chain`][patentrace.results.chain]) turn hazards into win probabilities and durations.
The solvers build these types, so results come before solvers in the import order:
a result never calls a solver, and its check never depends on the solver that made it.

May import: the base modules, ``patentrace.models`` and ``patentrace.equations``.
"""
