"""Layer 4, solvers: pure functions from a model to its equilibrium.

:func:`solve` is the front door: it dispatches on the model's type. :func:`solve_many`
solves many models in one vectorised pass, with the models as an extra array axis.

May import: the base modules, ``patentrace.models``, ``patentrace.equations`` and
``patentrace.results`` (the types a solver returns, and the jump chains).

Examples
--------
>>> import patentrace as pr
>>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
>>> eq.solver.method, eq.solver.selection
('backward', 'fastest')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from patentrace.errors import EquilibriumError
from patentrace.models import DeterministicRace, LaggedRace, Race
from patentrace.results.deterministic_equilibrium import DeterministicEquilibrium
from patentrace.results.equilibrium import Equilibrium, LaggedEquilibrium
from patentrace.solvers.allpaths import solve_all
from patentrace.solvers.backward import single_firm, solve_race, solve_races
from patentrace.solvers.deterministic import solve_deterministic
from patentrace.solvers.stagegame import solve_lagged

__all__ = ["single_firm", "solve", "solve_all", "solve_many"]


def solve(
    model: Race | LaggedRace | DeterministicRace,
    *,
    method: str = "backward",
    selection: str = "fastest",
    grid: int = 16,
    verify: bool = False,
    tolerance: float = 1e-8,
    max_pairs: int = 200_000,
    steps: Sequence[int] | None = None,
    gap_tolerance: float = 0.04,
    chain_tolerance: float = 5e-3,
) -> Any:
    """Solve a model for its Markov perfect equilibrium.

    Parameters
    ----------
    model : Race, LaggedRace or DeterministicRace
        The race (SPEC.md §1, §2 or §3).
    method : {"backward"}
        Backward induction over the states. For a :class:`Race`, every state's
        equilibria are bracketed (:mod:`patentrace.solvers.backward`), or, for power
        costs, the state is solved by a compiled kernel where a certificate proves its
        equilibrium unique (:mod:`patentrace.solvers.compiled`; ``eq.solver.options["path"]``
        says which); for a
        :class:`LaggedRace`, every stationary equilibrium of each period game is
        found by support enumeration (:mod:`patentrace.solvers.stagegame`); for a
        :class:`DeterministicRace`, ε-preemption at lag 0, Markov-chain
        approximations refined until they settle at lag 0 with a breakthrough
        (:mod:`patentrace.solvers.perfect_monitoring`), and otherwise one
        equilibrium per state on experience grids refined until the contested gap
        settles (:mod:`patentrace.solvers.deterministic`).
    selection : {"fastest", "slowest", "richest"}
        Where a state has several equilibria: the one with the largest total
        hazard or expected progress (default), the smallest, or the largest joint
        value. The count is kept in ``multiplicity`` either way.
    grid : int
        ``Race``: cells the per-state root search starts from.
    verify : bool
        Also run ``verify()`` and raise if a deviation gains more than
        ``tolerance`` (relative to the prize) or a residual exceeds it.
    tolerance : float
        Threshold for ``verify``.
    max_pairs : int
        ``LaggedRace``: most support pairs enumerated per state (beyond it the
        largest supports are left out and ``solver.options["complete"]`` is False).
    steps : sequence of int, optional
        ``DeterministicRace``: the grids to solve (default: refine automatically).
    gap_tolerance : float
        ``DeterministicRace``: change of the contested gap at which refining stops.
    chain_tolerance : float
        ``DeterministicRace`` at lag 0 with a breakthrough: change of the values,
        speeds and win probabilities at the sample states at which refining stops.

    Returns
    -------
    Equilibrium, LaggedEquilibrium or DeterministicEquilibrium
        Every state's equilibrium checked.

    Raises
    ------
    TypeError
        If ``model`` is not a supported model.
    EquilibriumError
        If an equilibrium cannot be certified; it names the state and the numbers.

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> eq = pr.solve(race, verify=True)
    >>> eq.effort.shape
    (2, 4, 3)
    """
    if method != "backward":
        raise ValueError(f"method must be 'backward', got {method!r}")
    if isinstance(model, LaggedRace):
        lagged = solve_lagged(model, selection=selection, max_pairs=max_pairs)
        if verify:
            _certify_lagged(lagged, tolerance)
        return lagged
    if isinstance(model, DeterministicRace):
        found = solve_deterministic(model, steps=steps, gap_tolerance=gap_tolerance, chain_tolerance=chain_tolerance)
        if verify:
            _certify_lagged(found, tolerance)
        return found
    if not isinstance(model, Race):
        raise TypeError(f"model must be a patentrace.Race, LaggedRace or DeterministicRace, got {type(model).__name__}")
    eq = solve_race(model, selection=selection, grid=grid)
    if verify:
        _certify(eq, tolerance)
    return eq


def _certify_lagged(eq: LaggedEquilibrium | DeterministicEquilibrium, tolerance: float) -> None:
    gain, residual = eq.verify()
    if gain > tolerance or residual > tolerance:
        raise EquilibriumError(
            "verification failed", None, {"deviation_gain": gain, "residual": residual, "tolerance": tolerance}
        )


def _certify(eq: Equilibrium, tolerance: float) -> None:
    gain = eq.deviation_gain() / eq.model.prize
    residual = eq.residual()
    for name, array in (("deviation gain", gain), ("HJB residual", residual)):
        worst = np.unravel_index(int(np.argmax(array)), array.shape)
        if array[worst] > tolerance:
            firm, i, j = (int(v) for v in worst)
            raise EquilibriumError(
                f"verification failed: {name} above tolerance for firm {firm}",
                (i, j),
                {name.replace(" ", "_"): float(array[worst]), "tolerance": tolerance,
                 "effort": float(eq.effort[firm, i, j]), "value": float(eq.value[firm, i, j])},
            )


def solve_many(
    models: Sequence[Race],
    *,
    selection: str = "fastest",
    grid: int = 16,
    verify: bool = False,
    tolerance: float = 1e-8,
) -> list[Equilibrium]:
    """Solve many models in one vectorised pass; the result equals :func:`solve` model by model.

    All races, whatever their stage counts, are swept together by the number of
    stages still to go (:class:`~patentrace.models.lattice.Layout`), their parameters
    one more array axis; races with power costs share one compiled sweep whatever
    the cost parameters (races it cannot certify, and races with other costs, are
    swept on the all-roots path, together when their costs are equal). A batch of
    2000 ten-stage quadratic races takes about 4 times as long as a plain C loop
    (``benchmarks/bench_compiled.py``).

    Parameters
    ----------
    models : sequence of Race
        The races.
    selection, grid, verify, tolerance
        As for :func:`solve`, applied to every race.

    Returns
    -------
    list of Equilibrium
        In the order of ``models``.

    Raises
    ------
    TypeError
        If a model is not a supported model; it names its position.
    EquilibriumError
        If some race's equilibrium cannot be certified.

    Examples
    --------
    >>> import patentrace as pr
    >>> races = [pr.Race(stages=n, prize=1.0, discount=r, cost=pr.costs.Quadratic())
    ...          for n in (1, 2, 3) for r in (0.05, 0.1)]
    >>> eqs = pr.solve_many(races)
    >>> all(float(abs(a.value - pr.solve(m).value).max()) < 1e-12 for a, m in zip(eqs, races))
    True
    """
    models = list(models)
    for position, model in enumerate(models):
        if not isinstance(model, Race):
            raise TypeError(f"models[{position}] must be a patentrace.Race, got {type(model).__name__}")
    equilibria = solve_races(models, selection=selection, grid=grid)
    if verify:
        for eq in equilibria:
            _certify(eq, tolerance)
    return equilibria
