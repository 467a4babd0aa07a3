"""Layer 2, equations: the math of one state, in the order of docs/theory/.

The HJB equation and the best response ([`hjb`][patentrace.equations.hjb], docs/theory/race.md (1)),
the period game ([`periods`][patentrace.equations.periods], docs/theory/periods.md (P2)) and the lone firm
([`lone_firm`][patentrace.equations.lone_firm], docs/theory/deterministic.md (D3)). The solvers use them to find an
equilibrium, and verification uses them to check one.

May import: the base modules and ``patentrace.models``.
"""
