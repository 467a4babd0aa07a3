"""Layer 5, reports: what an equilibrium means.

The leapfrog report (SPEC.md §4), simulated histories, and the lag experiment
(SPEC.md §2), read off the equilibria that the solvers return.

May import: the base modules, ``patentrace.models``, ``patentrace.equations``,
``patentrace.results`` and ``patentrace.solvers``.
"""
