"""The Markov perfect equilibrium of races by backward induction, many races at once.

Terminal values are known (docs/theory/race.md (4)): ``V_0(N0, j) = P``, ``V_0(i, N1) = L``
and symmetrically. A state depends only on states one stage nearer the end, so
the solver sweeps the open states of a whole batch of races by the number of
stages still to go (``Layout``), from the end to the
start, solving every state of a step at once: it finds every equilibrium of
each state's game (``patentrace.solvers.allroots``), applies the selection
rule where there are several, and records the multiplicity. One race is a
batch of one: [`solve_race`][patentrace.solvers.backward.solve_race] and
[`solve_races`][patentrace.solvers.backward.solve_races] are the same code.

Races with power costs go first through the compiled sweep
(``patentrace.solvers.compiled``), which claims a state's equilibrium only where
a certificate proves it unique and checks it; the states it cannot certify are
handed to the all-roots search one pass at a time (the hybrid path, ``_settler``),
and only a race past the hand-over budget, or refused by that search, is solved here,
on the all-roots path, in full.

Races whose costs are all [`Power`][patentrace.models.costs.Power] share one sweep
whatever their parameters (the costs become a
[`PowerFamily`][patentrace.models.costs.PowerFamily] with one entry per state); races with
other costs are swept together when their costs are equal.

Examples
--------
>>> import patentrace as pr
>>> eq = solve_race(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
>>> round(float(eq.effort[0, 0, 0]), 10)
0.6958114029
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from patentrace._limits import check_root_grid
from patentrace._version import __version__
from patentrace.equations import hjb
from patentrace.errors import EquilibriumError, UnderflowWarning, user_stacklevel
from patentrace.models import Race
from patentrace.models.costs import CostLike, Power, PowerFamily
from patentrace.models.lattice import Layout, Step
from patentrace.results import chain
from patentrace.results.equilibrium import Equilibrium, SolverInfo
from patentrace.solvers.allroots import StateGames, find_equilibria
from patentrace.solvers.selection import (
    SELECTION_RULES,
    interchangeable,
    select,
    symmetric_equilibria,
    symmetric_games,
)

if TYPE_CHECKING:  # numba loads, and the kernels compile or load from cache, on the first solve that needs them
    from patentrace.solvers import compiled

__all__ = ["breakthrough_shift", "single_firm", "solve_race", "solve_races", "solve_races_collecting"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]
logger = logging.getLogger(__name__)

# Continuation values below this multiple of the prize have left the float range
# (with quadratic costs a firm's value roughly squares with every stage it is behind).
_FLOAT_FLOOR = 1e-290
# Fixed text (the count is in Equilibrium.underflow), so that Python shows it once per line of user code.
UNDERFLOW_MESSAGE = (
    f"some firm-states have continuation values below the float range (< {_FLOAT_FLOOR:g} x prize): their "
    "efforts are positive in theory but round to 0; Equilibrium.underflow marks them. Silence with "
    "warnings.filterwarnings('ignore', category=patentrace.UnderflowWarning)"
)
# A net gain within this many rounding units of its terms has no reliable sign (see _underflow).
_ROUNDING = 64.0 * float(np.finfo(float).eps)


def _check_options(selection: str, grid: int) -> None:
    if selection not in SELECTION_RULES:
        raise ValueError(f"selection must be one of {SELECTION_RULES}, got {selection!r}")
    if isinstance(grid, bool) or not isinstance(grid, int) or grid < 2:
        raise ValueError(f"grid must be an int >= 2, got {grid!r}")
    check_root_grid(grid)  # before any work: grid=10**9 would need gigabytes (repro grid_oom.py)


def solve_race(
    race: Race, selection: str = "fastest", grid: int = 16, compiled_path: bool = True, warn_underflow: bool = True,
) -> Equilibrium:
    """Solve one [`Race`][patentrace.Race] by backward induction (a batch of one).

    Parameters
    ----------
    race : Race
        The model.
    selection : {"fastest", "slowest", "richest"}
        Rule for states with several equilibria (see ``patentrace.solvers.selection.select``).
    grid : int
        Cells the per-state root search starts from (see
        ``find_equilibria``).
    compiled_path : bool
        Try the compiled sweep first (``patentrace.solvers.compiled``; races with power
        costs whose every state has a uniqueness certificate). False forces the all-roots
        path everywhere; the results agree to rounding.
    warn_underflow : bool
        Emit one [`UnderflowWarning`][patentrace.UnderflowWarning] (fixed message, pointing at the
        caller's line) when some firm-states have continuation values below the float
        range; ``Equilibrium.underflow`` marks them. Callers that expect them (the Markov
        chains of [`patentrace.solvers.perfect_monitoring`][patentrace.solvers.perfect_monitoring]) turn it off.

    Returns
    -------
    Equilibrium
        Efforts, hazards, values, win probabilities, expected durations and
        multiplicities at every state.

    Raises
    ------
    EquilibriumError
        If some state's equilibrium cannot be certified; it names the state.

    Examples
    --------
    >>> import patentrace as pr
    >>> eq = solve_race(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> round(float(eq.effort[0, 0, 0]), 10)        # docs/theory/race.md: x(0, 0) = 0.3517921025
    0.3517921025
    """
    return solve_races([race], selection=selection, grid=grid, compiled_path=compiled_path,
                       warn_underflow=warn_underflow)[0]


def solve_races(
    races: Sequence[Race], selection: str = "fastest", grid: int = 16, compiled_path: bool = True,
    warn_underflow: bool = True,
) -> list[Equilibrium]:
    """Solve many races in one vectorised sweep per group of compatible costs.

    Parameters
    ----------
    races : sequence of Race
        The models, any stage counts.
    selection, grid, compiled_path, warn_underflow
        As for [`solve_race`][patentrace.solvers.backward.solve_race].

    Returns
    -------
    list of Equilibrium
        One per race, in order; each equal to what [`solve_race`][patentrace.solvers.backward.solve_race] returns.

    Examples
    --------
    >>> import patentrace as pr
    >>> races = [pr.Race(stages=n, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()) for n in (1, 2)]
    >>> [round(float(eq.value[0, 0, 0]), 10) for eq in solve_races(races)]
    [0.3041885971, 0.1795728262]
    """
    outcomes = solve_races_collecting(races, selection, grid, compiled_path, warn_underflow)
    for outcome in outcomes:
        if isinstance(outcome, EquilibriumError):
            raise outcome
    return [eq for eq in outcomes if isinstance(eq, Equilibrium)]


def solve_races_collecting(
    races: Sequence[Race], selection: str = "fastest", grid: int = 16, compiled_path: bool = True,
    warn_underflow: bool = True,
) -> list[Equilibrium | EquilibriumError]:
    """As ``solve_races``, with a race that cannot be certified reported in its place.

    Each race's equilibrium is the one [`solve_race`][patentrace.solvers.backward.solve_race] returns for it, bit for
    bit,
    whatever the batch: every state is solved by elementwise operations whose count does
    not depend on the other states solved with it, and the costs of power-cost races
    always travel as a [`PowerFamily`][patentrace.models.costs.PowerFamily]. A batch of the all-roots
    path that fails is solved again race by race, so one race cannot take the others down;
    its [`EquilibriumError`][patentrace.EquilibriumError] has ``details["race"]`` set to its
    position in ``races``.

    Returns
    -------
    list of Equilibrium or EquilibriumError
        One per race, in order.

    Examples
    --------
    >>> import patentrace as pr
    >>> races = [pr.Race(stages=n, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()) for n in (2, 1)]
    >>> outcomes = solve_races_collecting(races)
    >>> round(float(outcomes[0].value[0, 0, 0]), 10)      # docs/theory/race.md: V(0, 0) = 0.1795728262
    0.1795728262
    >>> bool((outcomes[1].value == solve_race(races[1]).value).all())
    True
    """
    _check_options(selection, grid)
    if not isinstance(compiled_path, bool):
        raise TypeError(f"compiled_path must be True or False, got {compiled_path!r}")
    solved: dict[int, Equilibrium | EquilibriumError] = {}
    if compiled_path:
        solved.update(_compiled(races, selection, grid))
    groups: list[list[int]] = []
    for position, race in enumerate(races):
        if position in solved:
            continue
        for group in groups:
            if _sweep_together(races[group[0]], race):
                group.append(position)
                break
        else:
            groups.append([position])
    for group in groups:
        solved.update(_sweep_group(races, group, selection, grid))
    result = [solved[k] for k in range(len(races))]
    underflow = sum(int(eq.underflow.sum()) for eq in result if isinstance(eq, Equilibrium))
    if warn_underflow and underflow:
        logger.debug("%d firm-states have continuation values below the float range", underflow)
        warnings.warn(UNDERFLOW_MESSAGE, UnderflowWarning, stacklevel=user_stacklevel())
    return result


def _sweep_group(
    races: Sequence[Race], group: list[int], selection: str, grid: int
) -> dict[int, Equilibrium | EquilibriumError]:
    """The all-roots sweep of one group; if it fails, each race on its own, failures kept."""
    try:
        return dict(zip(group, _sweep([races[k] for k in group], selection, grid, group), strict=True))
    except EquilibriumError as err:
        if len(group) == 1:
            err.details.setdefault("race", group[0])
            return {group[0]: err}
    outcomes: dict[int, Equilibrium | EquilibriumError] = {}
    for position in group:
        try:
            outcomes[position] = _sweep([races[position]], selection, grid, [position])[0]
        except EquilibriumError as err:
            err.details.setdefault("race", position)
            outcomes[position] = err
    return outcomes


def _compiled(races: Sequence[Race], selection: str, grid: int) -> dict[int, Equilibrium]:
    """The races the compiled sweep solves (``patentrace.solvers.compiled``), by position.

    States without a certificate are handed to the all-roots search (the hybrid path:
    ``options["path"] == "hybrid"`` and ``options["allroots_states"]`` counts them).
    Races with other costs, and races the hybrid path gives up, are left out: the
    all-roots sweep solves them.
    """
    if not any(_all_power(race) for race in races):  # none for the compiled sweep: numba need not load
        return {}
    from patentrace.solvers import compiled

    positions = [k for k, race in enumerate(races) if compiled.compilable(race)]
    if not positions:
        return {}
    started = time.perf_counter()
    chosen = [races[k] for k in positions]
    sweep = compiled.sweep_races(chosen, settle=_settler(chosen, positions, selection, grid))
    seconds = time.perf_counter() - started
    infos = {
        handed: SolverInfo(
            method="backward",
            selection=selection,
            options={"grid": grid, "batch": len(races), "path": "hybrid" if handed else "compiled",
                     "allroots_states": handed},
            version=__version__,
            seconds=seconds,
        )
        for handed in set(sweep.handed.tolist())
    }
    solved = {}
    status, offset, handed = sweep.status.tolist(), sweep.layout.offset.tolist(), sweep.handed.tolist()
    for local, position in enumerate(positions):
        if status[local]:
            i, j = (int(v) for v in sweep.failed_state[local])
            logger.debug("race %d leaves the compiled sweep at state (%d, %d): %s", position, i, j,
                         compiled.FAILURES[status[local]])
            continue
        solved[position] = Equilibrium.from_flat(races[position], infos[handed[local]], sweep.arrays, offset[local])
    return solved


def _settler(races: Sequence[Race], positions: Sequence[int], selection: str, grid: int) -> compiled.Settle:
    """The all-roots search for the states the compiled sweep hands over (the hybrid path).

    Each state is solved as ``_sweep`` solves it: every equilibrium of its game
    (``find_equilibria``, costs grouped as
    ``_costs`` groups them), the one ``selection`` picks
    (``select``), and the number found.
    """

    def settle(job: compiled.Handover) -> tuple[FloatArray, FloatArray, IntArray]:
        owners = [races[k] for k in job.race.tolist()]
        games = StateGames(
            own_next=job.own_next, rival_next=job.rival_next, productivity=job.productivity,
            discount=job.discount, cost=_costs(owners, np.arange(len(owners))), states=job.state,
            races=np.asarray(positions, dtype=np.intp)[job.race],
        )
        return _choose(games, grid, selection)

    return settle


def _choose(games: StateGames, grid: int, selection: str) -> tuple[FloatArray, FloatArray, IntArray]:
    """Every equilibrium of each state's game, the one ``selection`` picks, and how many there are.

    At a state whose game is the same for both firms (a level state of a symmetric race,
    ``symmetric_games``) the rule picks among the symmetric
    equilibria, and the one picked is made exactly symmetric: both firms get the first
    firm's effort and value (they agree to ``1e-8`` already), so that a symmetric race
    comes out symmetric to rounding.
    """
    found = find_equilibria(games, grid)
    level = symmetric_games(games)
    chosen = select(found, games.productivity, selection, level)
    effort, value = found.effort[:, chosen], found.value[:, chosen]
    balance = level & symmetric_equilibria(found)[chosen]
    effort[1, balance], value[1, balance] = effort[0, balance], value[0, balance]
    return effort, value, found.count


def _mirror_state(layout: Layout, race: IntArray, i: IntArray, j: IntArray) -> IntArray:
    """Flat index of state ``(j, i)`` of each race (races with ``N0 = N1``)."""
    return np.asarray(layout.offset[race] + j * (layout.stages[race, 1] + 1) + i, dtype=np.intp)


def _all_power(race: Race) -> bool:
    return all(isinstance(c, Power) for c in race.cost)


def _sweep_together(first: Race, second: Race) -> bool:
    return (_all_power(first) and _all_power(second)) or tuple(first.cost) == tuple(second.cost)


def _productivity(layout: Layout, races: Sequence[Race]) -> FloatArray:
    """``lambda_k`` at every flat state of the layout; 0 where firm ``k`` has finished."""
    return _per_stage(layout, [(r.productivity_array(0), r.productivity_array(1)) for r in races])


def _breakthrough(layout: Layout, races: Sequence[Race]) -> FloatArray | None:
    """``b_k`` at every flat state of the layout (0 where firm ``k`` has finished); None if all are 0."""
    if not any(r.has_breakthroughs for r in races):
        return None
    return _per_stage(layout, [(r.breakthrough_array(0), r.breakthrough_array(1)) for r in races])


def breakthrough_shift(
    layout: Layout, races: Sequence[Race], discount: FloatArray, breakthrough: FloatArray | None
) -> tuple[FloatArray, FloatArray]:
    """Per flat state: the effective discount ``R = r + b_0 + b_1`` and each firm's shift ``K_k``.

    docs/theory/race.md (14)-(15), "Breakthroughs": a state's game with breakthroughs is the game
    without them at discount ``R`` with every value of firm ``k`` lowered by
    ``K_k = (b_k P + b_o L) / R``
    ([`patentrace.equations.hjb.breakthrough_shift`][patentrace.equations.hjb.breakthrough_shift]). Without
    breakthroughs ``R`` is ``discount`` and ``K`` is 0.

    Examples
    --------
    >>> import numpy as np
    >>> import patentrace as pr
    >>> race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), breakthrough=[0.2])
    >>> layout = Layout.of([race.stages])
    >>> rate, shift = breakthrough_shift(layout, [race], np.full(layout.size, 0.1), _breakthrough(layout, [race]))
    >>> round(float(rate[0]), 12), np.round(shift[:, 0], 12).tolist()      # (0, 0): R = 0.5, K = 0.2 / 0.5
    (0.5, [0.4, 0.4])
    """
    if breakthrough is None:
        return discount, np.zeros((2, layout.size))
    race = layout.states[0]
    prize = np.array([r.prize for r in races])[race]
    loser = np.array([r.loser_prize for r in races])[race]
    rate, first = hjb.breakthrough_shift(discount, breakthrough[0], breakthrough[1], prize, loser)
    _, second = hjb.breakthrough_shift(discount, breakthrough[1], breakthrough[0], prize, loser)
    return rate, np.stack([first, second])


def _per_stage(layout: Layout, rates: Sequence[tuple[FloatArray, FloatArray]]) -> FloatArray:
    """A per-stage rate of each firm at every flat state of the layout; 0 where the firm has finished."""
    race, i, j = layout.states
    lam = np.zeros((2, layout.size))
    for firm, stage in ((0, i), (1, j)):
        curves = [pair[firm] for pair in rates]
        start = np.concatenate([[0], np.cumsum([len(c) for c in curves])[:-1]]).astype(np.intp)
        flat = np.concatenate(curves)
        running = stage < layout.stages[race, firm]
        lam[firm, running] = flat[start[race[running]] + stage[running]]
    return lam


def _terminal_values(layout: Layout, prize: FloatArray, loser: FloatArray) -> FloatArray:
    """Values with the terminal states filled (docs/theory/race.md (4)) and 0 elsewhere, flat."""
    race, i, j = layout.states
    n1, n2 = layout.stages[race, 0], layout.stages[race, 1]
    p, loss = prize[race], loser[race]
    value = np.zeros((2, layout.size))
    first, second, corner = (i == n1) & (j < n2), (j == n2) & (i < n1), (i == n1) & (j == n2)
    value[0] = np.where(first, p, np.where(second, loss, 0.0))
    value[1] = np.where(first, loss, np.where(second, p, 0.0))
    value[:, corner] = 0.5 * (p + loss)[corner]
    return value


def _costs(races: Sequence[Race], race: IntArray) -> tuple[CostLike, CostLike]:
    """The firms' costs at each flat state: the group's shared costs, or a power family per firm."""
    if all(_all_power(r) for r in races):
        families = [PowerFamily.of([r.cost[firm] for r in races]).take(race) for firm in (0, 1)]
        return families[0], families[1]
    return races[0].cost[0], races[0].cost[1]


def _sweep(races: Sequence[Race], selection: str, grid: int, positions: Sequence[int]) -> list[Equilibrium]:
    """Backward induction over a batch of races whose costs can share one sweep.

    ``positions`` are the races' places in the caller's list, named by errors.
    """
    started = time.perf_counter()
    layout = Layout.of([r.stages for r in races])
    race, i, j = layout.states
    discount = np.array([r.discount for r in races])[race]
    prize = np.array([r.prize for r in races])
    loser = np.array([r.loser_prize for r in races])
    lam = _productivity(layout, races)
    jump = _breakthrough(layout, races)
    rate, shift = breakthrough_shift(layout, races, discount, jump)
    cost = _costs(races, race)
    value = _terminal_values(layout, prize, loser)
    effort = np.zeros_like(value)
    multiplicity = np.where((i == layout.stages[race, 0]) & (j == layout.stages[race, 1]), 0, 1).astype(np.intp)
    mirror = np.array([interchangeable(r) for r in races], dtype=bool)
    for step in layout.steps:
        # The state game of docs/theory/race.md at discount R with values shifted by K (both exact no-ops without
        # breakthroughs; see breakthrough_shift).
        here_shift = shift[:, step.here]
        games = StateGames(
            own_next=np.stack([value[0, step.after_first], value[1, step.after_second]]) - here_shift,
            rival_next=np.stack([value[0, step.after_second], value[1, step.after_first]]) - here_shift,
            productivity=lam[:, step.here],
            discount=rate[step.here],
            cost=(_take(cost[0], step.here), _take(cost[1], step.here)),
            states=np.stack([step.i, step.j]),
            races=np.asarray(positions, dtype=np.intp)[step.race],
        )
        chosen_effort, chosen_value, multiplicity[step.here] = _choose(games, grid, selection)
        effort[:, step.here] = chosen_effort
        value[:, step.here] = chosen_value + here_shift
        if jump is not None:
            value[:, step.here] = _direct_values(games, jump[:, step.here], effort[:, step.here], value, step,
                                                 discount[step.here], (prize[step.race], loser[step.race]))
        copy = mirror[step.race] & (step.i < step.j)
        if copy.any():  # (i, j) of a symmetric race is (j, i) with the firms exchanged
            source = _mirror_state(layout, step.race[copy], step.i[copy], step.j[copy])
            effort[:, step.here[copy]] = effort[::-1, source]
            value[:, step.here[copy]] = value[::-1, source]
            multiplicity[step.here[copy]] = multiplicity[source]
    hazard = lam * effort
    win = chain.win_probability_flat(layout, hazard, jump)
    duration = chain.expected_duration_flat(layout, hazard, jump)
    underflow = _underflow(layout, value, effort, lam, rate, cost, prize[race], shift)
    info = SolverInfo(
        method="backward",
        selection=selection,
        options={"grid": grid, "batch": len(races), "path": "allroots"},
        version=__version__,
        seconds=time.perf_counter() - started,
    )
    arrays = {"effort": effort, "hazard": hazard, "value": value, "win_probability": win,
              "expected_duration": duration, "multiplicity": multiplicity, "underflow": underflow}
    return [Equilibrium.from_flat(r, info, arrays, int(layout.offset[k])) for k, r in enumerate(races)]


def _direct_values(
    games: StateGames, jump: FloatArray, effort: FloatArray, value: FloatArray, step: Step, discount: FloatArray,
    prizes: tuple[FloatArray, FloatArray],
) -> FloatArray:
    """Both firms' values at a step's states in the direct form of the HJB (docs/theory/race.md (15)).

    ``V = [-c(x) + h A + h' B + b P + b' L] / (r + h + h' + b + b')``
    ([`FirmProblem.flow_value`][patentrace.equations.hjb.FirmProblem.flow_value]) at the selected
    efforts. The shifted game's ``V - K`` plus ``K`` loses the digits of ``V`` below ``eps K`` when
    the shift ``K = (b P + b' L) / R`` is much larger than ``V`` (a firm far behind with a high
    breakthrough hazard): fuzz race 7349 lost 9 of its 16 digits at state (15, 11).
    """
    prize, loser = prizes
    hazard = games.productivity * effort
    out = np.empty_like(effort)
    for firm, (own_after, rival_after) in enumerate(((step.after_first, step.after_second),
                                                    (step.after_second, step.after_first))):
        problem = hjb.FirmProblem(games.cost[firm], games.productivity[firm], value[firm, own_after],
                                  value[firm, rival_after], hazard[1 - firm], discount, own_breakthrough=jump[firm],
                                  rival_breakthrough=jump[1 - firm], prize=prize, loser_prize=loser)
        out[firm] = problem.flow_value(effort[firm])
    return out


def _take(cost: CostLike, where: IntArray) -> CostLike:
    return cost.take(where) if isinstance(cost, PowerFamily) else cost


def _underflow(
    layout: Layout,
    value: FloatArray,
    effort: FloatArray,
    lam: FloatArray,
    discount: FloatArray,
    cost: tuple[CostLike, CostLike],
    prize: FloatArray,
    shift: FloatArray | None = None,
) -> BoolArray:
    """Firm-states whose zero effort is an artefact of underflow, not a decision to idle.

    A firm idles only if ``Q = r A + h (A - B) - c'(0) (r + h) / lambda <= 0``. A zero
    effort with ``Q > 0`` is a positive effort below the float range (with
    ``c(x) ~ x**g``, ``g < 2``, the effort is about ``Q**(1/(g-1))``); and with
    ``c'(0) = 0`` a zero effort whose continuation values are themselves below the
    float range is decided by rounding, not by the model. A ``Q`` within 64 rounding
    units of its terms is not flagged: its sign is rounding's. With breakthroughs,
    ``discount`` is the effective rate ``R`` and ``Q`` uses the shifted values
    ``A - K``, ``B - K`` ([`breakthrough_shift`][patentrace.solvers.backward.breakthrough_shift]).
    """
    flag = np.zeros(value.shape, dtype=bool)
    for step in layout.steps:
        here, after = step.here, (step.after_first, step.after_second)
        for firm in (0, 1):
            a, b = value[firm, after[firm]], value[firm, after[1 - firm]]
            vanished_values = np.maximum(np.abs(a), np.abs(b)) < _FLOAT_FLOOR * prize[here]
            if shift is not None:  # with a breakthrough shift K > 0 the idling is decided by K, not by rounding
                vanished_values &= shift[firm, here] == 0.0
            if shift is not None:
                a, b = a - shift[firm, here], b - shift[firm, here]
            rival_hazard = lam[1 - firm, here] * effort[1 - firm, here]
            floor = _take(cost[firm], here).marginal(np.zeros(here.size))
            r = discount[here]
            participation = floor * ((r + rival_hazard) / lam[firm, here])
            gain = r * a + rival_hazard * (a - b) - participation
            # Q within rounding of 0 (as where a firm idles next door at the same rival hazard, making
            # Q = 0 exactly in theory) has no sign to report: only a clearly positive Q counts.
            rounding = _ROUNDING * (r * np.abs(a) + rival_hazard * (np.abs(a) + np.abs(b)) + participation)
            vanished = (floor == 0.0) & vanished_values
            flag[firm, here] = (effort[firm, here] == 0.0) & ((gain > rounding) | vanished)
    return flag


def single_firm(race: Race, firm: int = 0) -> tuple[FloatArray, FloatArray]:
    """The policy of a firm that races alone: its rival never moves (docs/theory/race.md (11)).

    With no rival hazard, equation (1) reads ``c'(x)(r + lambda x)/lambda - c(x) = r A``
    with ``A`` the value one stage on. This is the policy a leader plays once its
    rival has dropped out for good ("as if alone", Harris and Vickers 1985). The
    firm's own breakthrough hazard ``b = b_k(i)`` counts (docs/theory/race.md (14)-(15), with no rival):
    ``c'(x)(r + b + lambda x)/lambda - c(x) = (r + b) A - b P``, and the firm idles
    where the right side is at most ``c'(0)(r + b)/lambda``, worth ``b P/(r + b)``; as in
    [`patentrace.symbolic.single_firm`][patentrace.symbolic.single_firm].

    Parameters
    ----------
    race : Race
        The model; only ``firm``'s stages, cost, productivity and breakthrough
        hazards and the prize matter.
    firm : int
        0 or 1.

    Returns
    -------
    effort, value : ndarray, shape (N + 1,)
        Indexed by stages completed; ``value[N]`` is the prize, ``effort[N]`` is 0.

    Examples
    --------
    >>> import patentrace as pr
    >>> effort, value = single_firm(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> import math; v1 = (math.sqrt(1.0 + 0.05) - math.sqrt(0.05)) ** 2   # equation (11), docs/theory/race.md
    >>> bool(abs(value[1] - v1) < 1e-15)
    True
    >>> lucky = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), breakthrough=[0.2])
    >>> bool(abs(single_firm(lucky)[1][0] - (13 - math.sqrt(29)) / 10) < 1e-15)   # symbolic.single_firm's root
    True
    """
    if firm not in (0, 1):
        raise ValueError(f"firm must be 0 or 1, got {firm!r}")
    n = race.stages[firm]
    cost, lam, jump = race.cost[firm], race.productivity_array(firm), race.breakthrough_array(firm)
    effort, value = np.zeros(n + 1), np.zeros(n + 1)
    value[n] = race.prize
    for i in range(n - 1, -1, -1):
        alone = hjb.FirmProblem(cost, lam[i], value[i + 1], 0.0, 0.0, race.discount, own_breakthrough=jump[i],
                                prize=race.prize)
        effort[i] = alone.best_response()
        value[i] = alone.flow_value(effort[i])
    return effort, value
