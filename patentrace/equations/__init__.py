"""Layer 2, equations: the math of one state, in SPEC order.

The HJB equation and the best response (:mod:`~patentrace.equations.hjb`, SPEC.md §1),
the period game (:mod:`~patentrace.equations.periods`, SPEC.md §2) and the lone firm
(:mod:`~patentrace.equations.lone_firm`, SPEC.md §3). The solvers use them to find an
equilibrium, and verification uses them to check one.

May import: the base modules and ``patentrace.models``.
"""
