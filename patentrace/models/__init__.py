"""Layer 1, models: what a race is (docs/theory/race.md, periods.md, deterministic.md).

The cost families ([`costs`][patentrace.models.costs]), one module per model
(``race``, ``lagged``,
``deterministic``), and the lattice and grids of states
(``lattice``, [`experience_grid`][patentrace.models.experience_grid]):
frozen, validated at construction.

May import: the standard library, numpy/scipy/sympy, and the base modules
(``patentrace.errors``, ``patentrace._validate``, ``patentrace._version``). Nothing
from any other layer.
"""

from patentrace.models.deterministic import DeterministicRace
from patentrace.models.effort import ContinuousEffort, PoissonEffort
from patentrace.models.lagged import Action, LaggedRace
from patentrace.models.race import Race
from patentrace.models.tug_of_war import TugOfWar

__all__ = ["Action", "ContinuousEffort", "DeterministicRace", "LaggedRace", "PoissonEffort", "Race", "TugOfWar"]
