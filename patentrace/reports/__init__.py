"""Layer 5, reports: what an equilibrium means.

The leapfrog report (docs/theory/leapfrog.md), simulated histories, and the lag experiment
(docs/theory/periods.md), read off the equilibria that the solvers return.

May import: the base modules, ``patentrace.models``, ``patentrace.equations``,
``patentrace.results`` and ``patentrace.solvers``.
"""
