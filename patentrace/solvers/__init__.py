"""Layer 4, solvers: pure functions from a model to its equilibrium.

[`solve`][patentrace.solve] is the front door: it dispatches on the model's type. [`solve_many`][patentrace.solve_many]
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

from patentrace._validate import count
from patentrace._validate import tolerance as _threshold
from patentrace.errors import EquilibriumError
from patentrace.models import DeterministicRace, LaggedRace, Race, TugOfWar
from patentrace.results.deterministic_equilibrium import DeterministicEquilibrium
from patentrace.results.equilibrium import Equilibrium, LaggedEquilibrium
from patentrace.results.nfirm import NFirmEquilibrium
from patentrace.results.tug_equilibrium import TugEquilibrium
from patentrace.results.verification import certify, check_finite
from patentrace.solvers.allpaths import solve_all
from patentrace.solvers.backward import single_firm, solve_race, solve_races_collecting
from patentrace.solvers.deterministic import solve_deterministic
from patentrace.solvers.menu_refinement import refine_lagged
from patentrace.solvers.nfirm import solve_nfirm
from patentrace.solvers.periods_continuous import solve_continuous
from patentrace.solvers.stagegame import check_lagged, solve_lagged
from patentrace.solvers.tug import solve_tug

__all__ = ["single_firm", "solve", "solve_all", "solve_many"]


def solve(
    model: Race | LaggedRace | DeterministicRace | TugOfWar,
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
    refine: bool = False,
    refine_tolerance: float = 1e-3,
    max_refinements: int = 3,
) -> Any:
    """Solve a model for its Markov perfect equilibrium.

    Parameters
    ----------
    model : Race, LaggedRace, DeterministicRace or TugOfWar
        The race (docs/theory/race.md, periods.md, deterministic.md or tug-of-war.md).
    method : {"backward", "newton"}
        Backward induction over the states. For a [`Race`][patentrace.Race], every state's
        equilibria are bracketed ([`patentrace.solvers.backward`][patentrace.solvers.backward]), or, for power
        costs, the state is solved by a compiled kernel where a certificate proves its
        equilibrium unique (``patentrace.solvers.compiled``; ``eq.solver.options["path"]``
        says which); for a
        [`LaggedRace`][patentrace.LaggedRace], every stationary equilibrium of each period game is
        found by support enumeration ([`patentrace.solvers.stagegame`][patentrace.solvers.stagegame]), or, with
        continuous effort, every pure equilibrium by bracketing the best responses
        (``patentrace.solvers.periods_continuous``, docs/lagged.md); for a
        [`DeterministicRace`][patentrace.DeterministicRace], ε-preemption at lag 0, Markov-chain
        approximations refined until they settle at lag 0 with a breakthrough
        ([`patentrace.solvers.perfect_monitoring`][patentrace.solvers.perfect_monitoring]), and otherwise one
        equilibrium per state on experience grids refined until the contested gap
        settles ([`patentrace.solvers.deterministic`][patentrace.solvers.deterministic]). For a ``TugOfWar`` (whose
        state graph has cycles) the method is Newton's on all positions at once with
        continuation in the productivity scale from the race in which nobody moves
        (patentrace.solvers.tug; ``"backward"`` means it there too), and every position is checked
        (HJB residual and best response within ``tolerance``; with ``verify`` also the
        deviation gain). It returns the equilibrium on that continuation branch; whether
        there are others, ``solve_all`` answers (exactly for quadratic costs and length <= 4).
        ``selection``, ``grid``, ``max_pairs`` and the deterministic options do not apply to it.
    selection : {"fastest", "slowest", "richest"}
        Where a state has several equilibria: the one with the largest total
        hazard or expected progress (default), the smallest, or the largest joint
        value. The count is kept in ``multiplicity`` either way. ``Race``: at a state
        whose game is the same for both firms (a level state of a symmetric race) the
        rule chooses among the symmetric equilibria, and a race with interchangeable
        firms comes out symmetric (docs/solver.md, "Symmetric selection").
    grid : int
        ``Race``: cells the per-state root search starts from.
    verify : bool
        Also search every state for a profitable deviation (``verify()``) and raise if one
        gains more than ``tolerance`` (relative to the prize); for lagged and deterministic
        races also check the Bellman residual.
    tolerance : float
        Threshold of the checks, a finite number > 0. Every solve of a ``Race``, with or
        without ``verify``, checks that every returned array is finite
        (``expected_duration`` may be ``inf``: the race can stall, or its expected time is
        beyond the float range) and that the HJB residual, relative to each state's value
        scale (``patentrace.results.verification.hjb_residual``), is at most ``tolerance``;
        lagged and deterministic races get the finiteness check.
    max_pairs : int
        ``LaggedRace``: an int ``>= 1``, the most support pairs enumerated per state, after
        duplicate and strictly dominated actions are removed (beyond it the larger supports are
        searched only among neighbouring actions, ``solver.options["complete"]`` is False and
        an ``IncompleteEnumerationWarning`` names the states). Every lagged equilibrium is
        checked at every state before it is returned, whatever ``verify`` and ``selection``.
    steps : sequence of int, optional
        ``DeterministicRace``: the grids to solve (default: refine automatically).
    gap_tolerance : float
        ``DeterministicRace``: change of the contested gap at which refining stops.
    chain_tolerance : float
        ``DeterministicRace`` at lag 0 with a breakthrough: change of the values,
        speeds and win probabilities at the sample states at which refining stops.
    refine : bool
        ``LaggedRace`` built by ``LaggedRace.from_race``: double the effort grids until the
        values and win probabilities at every state move by at most ``refine_tolerance``
        (``patentrace.solvers.menu_refinement.refine_lagged``); every step is in
        ``solver.options["refinement"]``, the last change in ``"error_estimate"``.
    refine_tolerance : float
        ``refine=True``: the change, relative to the prize, at which refining stops (> 0).
    max_refinements : int
        ``refine=True``: most doublings (>= 1); past them a ``RefinementWarning``.

    Returns
    -------
    Equilibrium, NFirmEquilibrium, LaggedEquilibrium, DeterministicEquilibrium or TugEquilibrium
        Every state's equilibrium checked; every array finite (``expected_duration`` may be ``inf``).
        A ``Race`` of more than two firms gives an [`NFirmEquilibrium`][patentrace.NFirmEquilibrium]
        (``patentrace.solvers.nfirm``: every equilibrium of each state, docs/solver.md, "More than
        two firms"; ``grid`` does not apply); two firms are solved as always.

    Raises
    ------
    TypeError
        If ``model`` is not a supported model.
    EquilibriumError
        If an equilibrium cannot be certified, an output array is not finite, or a check
        fails; it names the array or check, the state and the numbers.

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> eq = pr.solve(race, verify=True)
    >>> eq.effort.shape
    (2, 4, 3)
    """
    if method != "backward" and not (method == "newton" and isinstance(model, TugOfWar)):
        raise ValueError(f"method must be 'backward' (or 'newton' for a TugOfWar), got {method!r}")
    tolerance = _threshold("tolerance", tolerance, positive=True)  # NaN would pass every check, < 0 fail every one
    max_pairs = count("max_pairs", max_pairs, 1)  # the same check as solve_all's
    refine_tolerance = _threshold("refine_tolerance", refine_tolerance, positive=True)
    max_refinements = count("max_refinements", max_refinements, 1)
    if not isinstance(refine, (bool, np.bool_)):
        raise ValueError(f"refine must be True or False, got {refine!r}")
    if refine and not isinstance(model, LaggedRace):
        raise ValueError(f"refine=True refines a LaggedRace's effort menus; got a {type(model).__name__} "
                         "(a DeterministicRace refines its grid by itself, see steps and gap_tolerance)")
    if isinstance(model, TugOfWar):
        tug = solve_tug(model, tolerance=tolerance)
        if verify:
            _certify_tug(tug, tolerance)
        return tug
    if isinstance(model, LaggedRace):
        if model.continuous:
            lagged = solve_continuous(model, selection=selection)
            _certify_lagged(lagged, tolerance, verify)
            return lagged
        if refine:
            lagged = refine_lagged(model, selection=selection, max_pairs=max_pairs, tolerance=refine_tolerance,
                                   max_refinements=max_refinements)
        else:
            lagged = solve_lagged(model, selection=selection, max_pairs=max_pairs)
        _certify_lagged(lagged, tolerance, verify)
        check_lagged(lagged, tolerance)  # whatever the selection and ``verify``: each state's profile is checked
        return lagged
    if isinstance(model, DeterministicRace):
        found = solve_deterministic(model, steps=steps, gap_tolerance=gap_tolerance, chain_tolerance=chain_tolerance)
        _certify_lagged(found, tolerance, verify)
        return found
    if not isinstance(model, Race):
        raise TypeError(f"model must be a patentrace.Race, LaggedRace or DeterministicRace, got {type(model).__name__}")
    if model.firms > 2:  # docs/solver.md, "More than two firms"; two firms keep the two-firm solver
        many: NFirmEquilibrium = solve_nfirm(model, selection=selection)
        many.certify(tolerance, deviation=verify)
        return many
    eq = solve_race(model, selection=selection, grid=grid)
    certify(eq, tolerance, deviation=verify)
    return eq


def _certify_tug(eq: TugEquilibrium, tolerance: float) -> None:
    """The deviation gain of a tug-of-war at every position within ``tolerance`` (docs/theory/tug-of-war.md)."""
    gain = eq.deviation_gain()
    if not gain.max() <= tolerance:
        firm, position = divmod(int(gain.argmax()), gain.shape[1])
        raise EquilibriumError("profitable deviation above tolerance", None, {
            "firm": firm, "position": position, "deviation_gain": float(gain.max()), "tolerance": tolerance})


def _check_lagged_finite(eq: LaggedEquilibrium) -> None:
    """Every array of a lagged equilibrium finite (expected durations may be ``+inf``: stalls)."""
    check_finite({"value": eq.value, "win_probability": eq.win_probability, "tie_probability": eq.tie_probability,
                  "expected_duration": eq.expected_duration, "strategy_0": eq.strategy[0],
                  "strategy_1": eq.strategy[1]}, may_be_infinite=("expected_duration",))


def _certify_lagged(eq: LaggedEquilibrium | DeterministicEquilibrium, tolerance: float, deviation: bool) -> None:
    """Finite arrays, the Bellman residual always, the deviation gain with ``deviation`` (NaN fails)."""
    grid = eq if isinstance(eq, LaggedEquilibrium) else eq.grid
    if grid is not None:
        _check_lagged_finite(grid)
    if isinstance(eq, DeterministicEquilibrium):
        check_finite({"speeds": eq.speeds, "positions": eq.positions})
        if eq.chain is not None:
            check_finite({"effort": eq.chain.effort, "value": eq.chain.value,
                          "win_probability": eq.chain.win_probability,
                          "expected_duration": eq.chain.expected_duration}, may_be_infinite=("expected_duration",))
    if not deviation:
        return
    gain, residual = eq.verify()
    if not (gain <= tolerance and residual <= tolerance):
        raise EquilibriumError(
            "verification failed", None, {"deviation_gain": gain, "residual": residual, "tolerance": tolerance}
        )


def solve_many(
    models: Sequence[Race],
    *,
    selection: str = "fastest",
    grid: int = 16,
    verify: bool = False,
    tolerance: float = 1e-8,
    errors: str = "raise",
) -> list[Equilibrium | NFirmEquilibrium | EquilibriumError]:
    """Solve many models in one vectorised pass; the result equals [`solve`][patentrace.solve] model by model.

    All races, whatever their stage counts, are swept together by the number of
    stages still to go (``Layout``), their parameters
    one more array axis; races with power costs share one compiled sweep whatever
    the cost parameters (races it cannot certify, and races with other costs, are
    swept on the all-roots path, together when their costs are equal). A batch of
    2000 ten-stage quadratic races takes about 4 times as long as a plain C loop
    (``benchmarks/bench_compiled.py``).

    Each race gets exactly the equilibrium [`solve`][patentrace.solve] gives it, array for array
    and bit for bit, whatever the other races of the batch: no tolerance, scale or
    iteration count of the per-state search depends on them (docs/solver.md,
    "Batches").

    Parameters
    ----------
    models : sequence of Race
        The races; races of more than two firms are solved one by one by
        ``patentrace.solvers.nfirm`` (each gets what [`solve`][patentrace.solve] gives it).
    selection, grid, verify, tolerance
        As for [`solve`][patentrace.solve], applied to every race.
    errors : {"raise", "collect"}
        What a race that cannot be certified does. ``"raise"`` (default): the
        [`EquilibriumError`][patentrace.EquilibriumError] of the first such race in the
        list is raised, with ``details["race"]`` its position in ``models``.
        ``"collect"``: that race's error takes its place in the returned list and
        the other races are returned, as [`patentrace.sweep`][patentrace.sweep] records a failed
        point.

    Returns
    -------
    list of Equilibrium
        In the order of ``models``; with ``errors="collect"``, an
        [`EquilibriumError`][patentrace.EquilibriumError] in place of each race that failed.

    Raises
    ------
    TypeError
        If a model is not a supported model; it names its position.
    ValueError
        If ``errors`` is not one of the choices.
    EquilibriumError
        With ``errors="raise"``, if some race's equilibrium cannot be certified;
        ``details["race"]`` is its position in ``models``.

    Examples
    --------
    >>> import patentrace as pr
    >>> races = [pr.Race(stages=n, prize=1.0, discount=r, cost=pr.costs.Quadratic())
    ...          for n in (1, 2, 3) for r in (0.05, 0.1)]
    >>> eqs = pr.solve_many(races)
    >>> all((a.value == pr.solve(m).value).all() for a, m in zip(eqs, races))
    True
    """
    tolerance = _threshold("tolerance", tolerance, positive=True)
    if errors not in ("raise", "collect"):
        raise ValueError(f"errors must be 'raise' or 'collect', got {errors!r}")
    models = list(models)
    for position, model in enumerate(models):
        if not isinstance(model, Race):
            raise TypeError(f"models[{position}] must be a patentrace.Race, got {type(model).__name__}")
    two = [k for k, model in enumerate(models) if model.firms == 2]
    outcomes: list[Any] = [None] * len(models)
    for position, outcome in zip(two, solve_races_collecting([models[k] for k in two], selection=selection,
                                                             grid=grid), strict=True):
        outcomes[position] = outcome
        if isinstance(outcome, EquilibriumError):
            outcome.details["race"] = position
    for position, model in enumerate(models):
        if model.firms > 2:  # one by one: patentrace.solvers.nfirm solves each race's hyperplanes as batches
            try:
                outcomes[position] = solve_nfirm(model, selection=selection)
            except EquilibriumError as err:
                outcomes[position] = err
    for position, outcome in enumerate(outcomes):  # the post-solve check of solve, race by race
        try:
            if isinstance(outcome, NFirmEquilibrium):
                outcome.certify(tolerance, deviation=verify)
            elif isinstance(outcome, Equilibrium):
                certify(outcome, tolerance, deviation=verify)
        except EquilibriumError as err:
            outcomes[position] = err
        if isinstance(outcomes[position], EquilibriumError):
            outcomes[position].details.setdefault("race", position)
    if errors == "raise":
        for outcome in outcomes:
            if isinstance(outcome, EquilibriumError):
                raise outcome
    return outcomes
