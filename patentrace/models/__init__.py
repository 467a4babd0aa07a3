"""Layer 1, models: what a race is (SPEC.md §1, §2, §3).

The cost families, the races (:class:`Race`, :class:`LaggedRace`,
:class:`DeterministicRace`), and the lattice and grids of states: frozen, validated
at construction.

May import: the standard library, numpy/scipy/sympy, and the base modules
(``patentrace.errors``, ``patentrace._validate``, ``patentrace._version``). Nothing
from any other layer.
"""

from patentrace.models.race import Action, DeterministicRace, LaggedRace, Race

__all__ = ["Action", "DeterministicRace", "LaggedRace", "Race"]
