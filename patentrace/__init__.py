"""patentrace: patent races, their equilibria, and whether the follower can leapfrog.

The Fudenberg-Gilbert-Stiglitz-Tirole (1983) multi-stage patent race, solved
numerically, with a report on leapfrogging. The models and their equations: docs/theory/.

Examples
--------
>>> import patentrace as pr
>>> race = pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic(scale=1.0))
>>> eq = pr.solve(race)
>>> report = pr.leapfrog(eq, state=(0, 1))
>>> report.follower, report.can_leapfrog
(0, True)

Importing the package loads numpy and scipy.optimize only; sympy (``patentrace.symbolic``),
numba (the compiled sweep), nashpy and matplotlib load on first use.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

from patentrace import costs

# Not public names: kept so that ``pr.lattice`` (used by the tests) and ``from patentrace import chain``
# (examples/fgst_four_claims.py) still work; the code is in patentrace.models.lattice and patentrace.results.chain.
from patentrace import lattice as lattice
from patentrace._version import __version__
from patentrace.errors import (
    EquilibriumError,
    IncompleteEnumerationWarning,
    RefinementWarning,
    TooManyEquilibriaError,
    UnderflowWarning,
)
from patentrace.faces.storage import ResultFormatError, load, save
from patentrace.faces.sweep import CheckpointError, SweepResult, sweep
from patentrace.models import Action, ContinuousEffort, DeterministicRace, LaggedRace, PoissonEffort, Race, TugOfWar
from patentrace.reports.lag_experiment import LagExperiment, lag_experiment
from patentrace.reports.leapfrog import LeapfrogReport, leapfrog, preemption_region
from patentrace.reports.leapfrog_batch import LeapfrogMeasure, leapfrog_many
from patentrace.reports.nfirm import NFirmLeapfrogReport, NFirmSimulation
from patentrace.reports.simulate import SamplePaths, Simulation, simulate
from patentrace.reports.tug_leapfrog import TugLeapfrogReport
from patentrace.reports.tug_simulate import TugSimulation
from patentrace.results import chain as chain
from patentrace.results.continuous_lagged import ContinuousLaggedEquilibrium
from patentrace.results.deterministic_equilibrium import ChainRefinement, DeterministicEquilibrium, GridRefinement
from patentrace.results.equilibrium import Equilibrium, LaggedEquilibrium, SolverInfo, Verification
from patentrace.results.nfirm import NFirmEquilibrium
from patentrace.results.tug_equilibrium import TugEquilibrium
from patentrace.solvers import single_firm, solve, solve_all, solve_many

__all__ = [
    "Action",
    "ChainRefinement",
    "CheckpointError",
    "ContinuousEffort",
    "ContinuousLaggedEquilibrium",
    "DeterministicEquilibrium",
    "DeterministicRace",
    "Equilibrium",
    "EquilibriumError",
    "GridRefinement",
    "IncompleteEnumerationWarning",
    "LagExperiment",
    "LaggedEquilibrium",
    "LaggedRace",
    "LeapfrogMeasure",
    "LeapfrogReport",
    "NFirmEquilibrium",
    "NFirmLeapfrogReport",
    "NFirmSimulation",
    "PoissonEffort",
    "Race",
    "RefinementWarning",
    "ResultFormatError",
    "SamplePaths",
    "Simulation",
    "SolverInfo",
    "SweepResult",
    "TooManyEquilibriaError",
    "TugEquilibrium",
    "TugLeapfrogReport",
    "TugOfWar",
    "TugSimulation",
    "UnderflowWarning",
    "Verification",
    "__version__",
    "costs",
    "lag_experiment",
    "leapfrog",
    "leapfrog_many",
    "load",
    "preemption_region",
    "save",
    "simulate",
    "single_firm",
    "solve",
    "solve_all",
    "solve_many",
    "sweep",
    "symbolic",
]


# Submodules that are public attributes but load heavy dependencies (sympy) on first access.
_LAZY_SUBMODULES = frozenset({"symbolic"})

if TYPE_CHECKING:  # type checkers see the real module, and no __getattr__ that would hide typos in user code
    from patentrace import symbolic
else:

    def __getattr__(name: str) -> ModuleType:
        """Import a lazily loaded submodule on first access (PEP 562): ``pr.symbolic`` loads sympy then."""
        if name in _LAZY_SUBMODULES:
            module = importlib.import_module(f"{__name__}.{name}")
            globals()[name] = module
            return module
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(globals()) | _LAZY_SUBMODULES)
