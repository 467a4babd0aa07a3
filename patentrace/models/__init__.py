"""Layer 1, models: what a race is (SPEC.md §1, §2, §3).

The cost families (:mod:`~patentrace.models.costs`), one module per model
(:mod:`~patentrace.models.race`, :mod:`~patentrace.models.lagged`,
:mod:`~patentrace.models.deterministic`), and the lattice and grids of states
(:mod:`~patentrace.models.lattice`, :mod:`~patentrace.models.experience_grid`):
frozen, validated at construction.

May import: the standard library, numpy/scipy/sympy, and the base modules
(``patentrace.errors``, ``patentrace._validate``, ``patentrace._version``). Nothing
from any other layer.
"""

from patentrace.models.deterministic import DeterministicRace
from patentrace.models.lagged import Action, LaggedRace
from patentrace.models.race import Race
from patentrace.models.tug_of_war import TugOfWar

__all__ = ["Action", "DeterministicRace", "LaggedRace", "Race", "TugOfWar"]
