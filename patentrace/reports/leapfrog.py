"""Can the firm behind leapfrog the leader? The report of docs/theory/leapfrog.md.

The **leader** at a state is the firm with fewer stages left; with equal
distances there is none. Under the equilibrium hazards the jump chain of the
race ([`patentrace.results.chain`][patentrace.results.chain]) gives, from the state,

- the follower's probability of winning,
- its probability of ever being strictly ahead (a win counts): leapfrogging,
- its probability of ever drawing level or better: catching up,

with ``win <= leapfrog <= catch-up <= 1``. The **preemption region** is every
open state where the firm with more stages left exerts no effort;
**ε-preemption** holds when it contains every state with a one-stage lead.

Examples
--------
>>> import patentrace as pr
>>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
>>> report = pr.leapfrog(eq, state=(0, 1))
>>> report.follower, round(report.follower_win_probability, 10)
(0, 0.173698693)
>>> report.can_leapfrog
True
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, overload

import numpy as np
from numpy.typing import NDArray

from patentrace._validate import tolerance as _threshold
from patentrace.equations.periods import FIRST_WINS, SECOND_WINS, TIE
from patentrace.models.experience_grid import BAND, read
from patentrace.models.lattice import check_state, open_states, remaining
from patentrace.reports.nfirm import NFirmLeapfrogReport, nfirm_leapfrog
from patentrace.reports.tug_leapfrog import TugLeapfrogReport, tug_leapfrog
from patentrace.results.chain import hitting_probability, period_hitting_probability, period_reachable, reachable
from patentrace.results.deterministic_equilibrium import DeterministicEquilibrium, check_experience
from patentrace.results.equilibrium import Equilibrium, LaggedEquilibrium
from patentrace.results.experience_path import experience_path
from patentrace.results.nfirm import NFirmEquilibrium
from patentrace.results.tug_equilibrium import TugEquilibrium

__all__ = ["LeapfrogReport", "leapfrog", "leapfrog_map", "preemption_region", "time_to_discovery", "underflow_region"]

BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]
AnyEquilibrium = Equilibrium | LaggedEquilibrium


@dataclass(frozen=True)
class LeapfrogReport:
    """Whether, where and how likely the follower leapfrogs (docs/theory/leapfrog.md).

    Attributes
    ----------
    state : (int, int)
        The state reported on (experience ``(w1, w2)`` for a deterministic race at lag 0).
    remaining : (int, int)
        Stages left for each firm (distance to the finish in a deterministic race at lag 0;
        expected times to discovery with ``follower_by="expected_time"``).
    follower, leader : int or None
        The firm with more (fewer) stages left; None when level.
    win_probability : (float, float)
        Each firm's probability of winning from ``state``.
    tie_probability : float
        Probability of a tie (lagged races; 0 in continuous time).
    follower_win_probability : float or None
        The follower's probability of winning; None when level.
    leapfrog_probability : float or None
        Probability that the follower is ever strictly ahead (a win counts).
    catch_up_probability : float or None
        Probability that the follower ever draws level (or gets ahead).
    can_leapfrog : bool or None
        ``leapfrog_probability > tolerance``; None when level. For the default
        tolerance 0 it is decided exactly: is there a path to the lead along which
        every step has a positive hazard? (The probability itself can underflow.)
    preemption_region : ndarray of bool, shape (N0 + 1, N1 + 1)
        Open states where the firm with more stages left exerts zero effort.
        States where that zero is only underflow (``Equilibrium.underflow``) are
        left out: the firm does invest there, too little for a double to hold.
    underflow_region : ndarray of bool, shape (N0 + 1, N1 + 1)
        Open states where the firm behind has an effort below the float range.
    epsilon_preemption : bool
        True when the race has states with a one-stage lead and all are in the
        preemption region. (Deterministic race at lag 0: every lead is, and the
        region is given as a single True cell.)
    tolerance : float
        Threshold for ``can_leapfrog``.
    contested_gap : float or None
        Deterministic race only (docs/theory/deterministic.md): the largest lead, in experience, that
        the follower still contests with the leader where it is (0 at lag 0; with
        breakthroughs at lag 0, see
        [`DeterministicEquilibrium.contested_gap`][patentrace.DeterministicEquilibrium.contested_gap]).
    can_lead : bool or None
        Deterministic race only: whether the follower can ever be strictly ahead in
        experience, a win by discovery **not** counted (``can_leapfrog`` counts it, as
        docs/theory/leapfrog.md says). At lag 0 with breakthroughs it is the limit's answer, read off
        the deterministic path ([`experience_path`][patentrace.results.experience_path.experience_path];
        drawing level counts); with a lag, whether some open state strictly ahead is
        reachable on the grid. None for other models and at level states.
    lead_probability : float or None
        The probability of that (same sources as ``can_lead``).
    lead_probability_by_grid : tuple of (int, float)
        At lag 0 with breakthroughs: ``(steps, probability)`` of being ever strictly
        ahead in experience, a discovery win not counted, in each Markov chain solved
        (read at the state): evidence for ``can_lead``, positive on every finite grid
        (the chain's random steps) but falling as the grid is refined when the limit
        says no. Empty otherwise.
    complete : bool
        Whether the solve searched for every equilibrium at every state
        (``eq.solver.options["complete"]``; True where the solver does not say). False for
        a lagged race whose support search left pairs out (an
        ``IncompleteEnumerationWarning`` was emitted): the equilibrium reported on is
        verified, but another one may have been missed.

    Examples
    --------
    In the two-stage race of docs/theory/race.md the follower at (0, 1) can only win by
    leapfrogging, so the two probabilities agree:

    >>> import patentrace as pr
    >>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> report = pr.leapfrog(eq, state=(0, 1))
    >>> report.follower, round(report.follower_win_probability, 10), round(report.leapfrog_probability, 10)
    (0, 0.173698693, 0.173698693)
    >>> win, leap, catch_up = report.follower_win_probability, report.leapfrog_probability, report.catch_up_probability
    >>> bool(win <= leap + 1e-15 and leap <= catch_up + 1e-15)     # to rounding: two computations of one number
    True
    """

    state: tuple[int, int] | tuple[float, float]
    remaining: tuple[int, int] | tuple[float, float]
    follower: int | None
    leader: int | None
    win_probability: tuple[float, float]
    tie_probability: float
    follower_win_probability: float | None
    leapfrog_probability: float | None
    catch_up_probability: float | None
    can_leapfrog: bool | None
    preemption_region: BoolArray = field(repr=False)
    underflow_region: BoolArray = field(repr=False)
    epsilon_preemption: bool
    tolerance: float
    contested_gap: float | None = None
    can_lead: bool | None = None
    lead_probability: float | None = None
    lead_probability_by_grid: tuple[tuple[int, float], ...] = ()
    complete: bool = True

    def __str__(self) -> str:
        i, j = self.state
        if isinstance(self.remaining[0], int):
            measure = "stages left"
        elif self.contested_gap is not None:
            measure = "experience left"
        else:
            measure = "expected time to discovery"  # follower_by="expected_time"
        left = f"{measure}: firm 0 {self.remaining[0]:.10g}, firm 1 {self.remaining[1]:.10g}"
        lines = [f"Leapfrog report at state ({i}, {j}); {left}"]
        if self.follower is None:
            lines.append("  level: no leader, no follower")
        else:
            lines += [
                f"  leader: firm {self.leader}    follower: firm {self.follower}",
                f"  follower wins:          {self.follower_win_probability:.10f}",
                f"  follower leapfrogs:     {self.leapfrog_probability:.10f}",
                f"  follower catches up:    {self.catch_up_probability:.10f}",
                f"  can leapfrog:           {'yes' if self.can_leapfrog else 'no'} (tolerance {self.tolerance:g})",
            ]
            if self.can_leapfrog and self.leapfrog_probability == 0.0:
                lines.append("  note: leapfrogging is possible, but its probability is below the float range")
        lines.append(
            f"  win probabilities:      firm 0 {self.win_probability[0]:.10f}, firm 1 {self.win_probability[1]:.10f}"
            + (f", tie {self.tie_probability:.10f}" if self.tie_probability else "")
        )
        states = [(int(a), int(b)) for a, b in zip(*np.nonzero(self.preemption_region), strict=True)]
        shown = ", ".join(str(s) for s in states[:12]) + (", ..." if len(states) > 12 else "")
        lines.append(f"  preemption region:      {len(states)} state(s){': ' + shown if states else ''}")
        lines.append(f"  epsilon-preemption:     {'holds' if self.epsilon_preemption else 'does not hold'}")
        if self.contested_gap is not None:
            lines.append(f"  contested gap:          {self.contested_gap:.6g} (experience)")
        if self.can_lead is not None:
            lines.append(f"  can ever lead:          {'yes' if self.can_lead else 'no'} (a win by discovery not "
                         f"counted; probability {self.lead_probability:.6g})")
        if self.lead_probability_by_grid:
            trend = ", ".join(f"{p:.3g} ({n} cells)" for n, p in self.lead_probability_by_grid)
            lines.append(f"  leads in the chains:    {trend}")
        total = self.win_probability[0] + self.win_probability[1] + self.tie_probability
        if total < 1.0 - 1e-9:
            lines.append(
                f"  note: the win probabilities sum to {total:.10f}: with probability {1.0 - total:.3g} the race "
                "reaches a state where both firms idle"
                + (" or their efforts are below the float range" if self.underflow_region.any() else "")
            )
        if self.underflow_region.any():
            lines.append(
                f"  note: at {int(self.underflow_region.sum())} state(s) the follower's effort is positive but "
                "below the float range (not counted as preemption)"
            )
        return "\n".join(lines)


def _behind(eq: AnyEquilibrium) -> tuple[BoolArray, BoolArray]:
    """Masks of open states where firm 0 (resp. firm 1) has more stages left."""
    left_0, left_1 = remaining(eq.model.stages)
    opened = open_states(eq.model.stages)
    return opened & (left_0 > left_1), opened & (left_1 > left_0)


def underflow_region(eq: AnyEquilibrium) -> BoolArray:
    """Open states where the firm behind has an effort below the float range (none in lagged races).

    Examples
    --------
    A race short and cheap enough has no underflow:

    >>> import patentrace as pr
    >>> eq = pr.solve(pr.Race(stages=3, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> bool(underflow_region(eq).any())
    False
    """
    if isinstance(eq, LaggedEquilibrium):
        return np.zeros(eq.model.shape, dtype=bool)
    behind_0, behind_1 = _behind(eq)
    return np.asarray((behind_0 & eq.underflow[0]) | (behind_1 & eq.underflow[1]))


def preemption_region(eq: AnyEquilibrium) -> BoolArray:
    """Open states where the firm with more stages left does not invest (docs/theory/leapfrog.md).

    In a [`Race`][patentrace.Race]: zero effort (zeros that are only underflow,
    ``Equilibrium.underflow``, do not count). In a [`LaggedRace`][patentrace.LaggedRace]: no
    chance of advancing in the period by its action (a breakthrough, which comes
    whatever the firm plays, does not count as investing).

    Examples
    --------
    >>> import patentrace as pr
    >>> eq = pr.solve(pr.Race(stages=3, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> bool(preemption_region(eq).any())   # c'(0) = 0: the follower always invests
    False
    """
    behind_0, behind_1 = _behind(eq)
    if isinstance(eq, LaggedEquilibrium):
        if eq.model.has_breakthroughs:
            # what the firm's own action does: a breakthrough comes whatever it plays, so it does not count
            actions_only = replace(eq.model, breakthrough=None)
            eq = replace(eq, model=actions_only)
        advance = eq.advance_probability()
        return np.asarray((behind_0 & (advance[0] == 0.0)) | (behind_1 & (advance[1] == 0.0)))
    idle_0 = behind_0 & (eq.effort[0] == 0.0) & ~eq.underflow[0]
    idle_1 = behind_1 & (eq.effort[1] == 0.0) & ~eq.underflow[1]
    return np.asarray(idle_0 | idle_1)


def _chances(
    eq: AnyEquilibrium, state: tuple[int, int], follower: int, gap: NDArray[Any], tolerance: float
) -> tuple[float, float, bool]:
    """Leapfrog and catch-up probabilities of the follower, and whether leapfrogging is possible."""
    i, j = state
    ahead, level = gap < 0, gap <= 0
    if isinstance(eq, LaggedEquilibrium):
        wins = (FIRST_WINS if follower == 0 else SECOND_WINS,)
        race, strategy = eq.model, eq.strategy
        leap = float(period_hitting_probability(race, strategy, ahead, wins)[i, j])
        catch_up = float(period_hitting_probability(race, strategy, level, (*wins, TIE))[i, j])
        possible = bool(period_reachable(race, strategy, ahead, wins)[i, j])
    else:
        jump = eq.model.breakthrough_hazard()  # the follower's own breakthrough is a win: it counts
        credited = None if jump is None else follower
        leap = float(hitting_probability(eq.hazard, ahead, jump, credited)[i, j])
        catch_up = float(hitting_probability(eq.hazard, level, jump, credited)[i, j])
        possible = bool(reachable(eq.hazard, ahead, jump, credited)[i, j])
    return leap, catch_up, possible if tolerance == 0.0 else leap > tolerance


_FOLLOWER_BY = ("distance", "expected_time")


def time_to_discovery(eq: Equilibrium) -> FloatArray:
    """Each firm's expected time to its own discovery at its equilibrium pace (FGST's measure, docs/theory/leapfrog.md).

    Firm 0 at ``(i, j)`` completes stages at its equilibrium hazards ``h_0(i', j)`` and
    breaks through at ``b_0(i')``, with the rival held where it is:
    ``T_0(i, j) = [1 + h_0 T_0(i+1, j)] / (h_0 + b_0)``, ``T_0(N0, j) = 0``, and
    ``inf`` where it never moves. (The rival's moves change firm 0's pace; this
    measure takes the pace the state offers now, the reading of "expected time
    remaining until discovery" the library uses for ``follower_by="expected_time"``.)

    Returns
    -------
    ndarray, shape (2, N0 + 1, N1 + 1)
        0 where the firm has finished; the values at states where the rival has
        finished are computed the same way.

    Examples
    --------
    >>> import patentrace as pr
    >>> eq = pr.solve(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> bool(abs(time_to_discovery(eq)[0, 0, 0] - 1 / eq.hazard[0, 0, 0]) < 1e-15)
    True
    """
    race = eq.model
    jump = race.breakthrough_hazard()
    rate_b = np.zeros_like(eq.hazard) if jump is None else jump
    n1, n2 = race.stages
    out = np.zeros((2, *race.shape))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for i in range(n1 - 1, -1, -1):
            h, b = eq.hazard[0, i, :], rate_b[0, i, :]
            later = np.where(h > 0.0, h * out[0, i + 1, :], 0.0)
            out[0, i, :] = np.where(h + b > 0.0, (1.0 + later) / np.where(h + b > 0.0, h + b, 1.0), np.inf)
        for j in range(n2 - 1, -1, -1):
            h, b = eq.hazard[1, :, j], rate_b[1, :, j]
            later = np.where(h > 0.0, h * out[1, :, j + 1], 0.0)
            out[1, :, j] = np.where(h + b > 0.0, (1.0 + later) / np.where(h + b > 0.0, h + b, 1.0), np.inf)
    return out


@overload
def leapfrog(
    eq: TugEquilibrium, state: Any, tolerance: float = ..., follower_by: str = ..., follower: int | None = ...
) -> TugLeapfrogReport: ...


@overload
def leapfrog(
    eq: NFirmEquilibrium, state: Any, tolerance: float = ..., follower_by: str = ..., follower: int | None = ...
) -> NFirmLeapfrogReport: ...


@overload
def leapfrog(
    eq: AnyEquilibrium | DeterministicEquilibrium, state: tuple[Any, Any], tolerance: float = ...,
    follower_by: str = ..., follower: int | None = ...,
) -> LeapfrogReport: ...


def leapfrog(
    eq: AnyEquilibrium | DeterministicEquilibrium | TugEquilibrium | NFirmEquilibrium, state: Any,
    tolerance: float = 0.0, follower_by: str = "distance", follower: int | None = None,
) -> LeapfrogReport | TugLeapfrogReport | NFirmLeapfrogReport:
    """The leapfrog report of docs/theory/leapfrog.md for an equilibrium at a state.

    Parameters
    ----------
    eq : Equilibrium, LaggedEquilibrium, DeterministicEquilibrium or TugEquilibrium
        A solved race. In a lagged race a firm can jump several stages in a period,
        so it can get ahead without ever being level; a tie counts as drawing level.
        A ``TugEquilibrium`` (docs/theory/tug-of-war.md) gets patentrace.reports.tug_leapfrog's report
        at the position ``state`` (an int). An ``NFirmEquilibrium`` (a race of ``n >= 3`` firms) gets
        the [`NFirmLeapfrogReport`][patentrace.NFirmLeapfrogReport] of
        patentrace.reports.nfirm, with ``state`` one entry per firm.
    state : (int, int), or (float, float) for a deterministic race
        Stages completed ``(i, j)``; ``0 <= i <= N0``, ``0 <= j <= N1``, not both finished.
        For a [`DeterministicEquilibrium`][patentrace.DeterministicEquilibrium], experience ``(w1, w2)`` in
        ``[0, 1]``: at lag 0 the report is the ε-preemption equilibrium's (the follower
        never invests: every chance is exactly 0); with a lag it is the finest grid's
        at the nearest cells (``state`` in the report is then in cells), with
        ``contested_gap`` added.
    tolerance : float
        In ``[0, 1)``: ``can_leapfrog`` is ``leapfrog_probability > tolerance``. The default 0 asks
        whether leapfrogging is possible at all, answered exactly by a search for
        a path to the lead with positive probability at every step (a product of
        tiny probabilities can underflow to 0). Pass e.g. 1e-6 to ask whether it is
        likely enough to matter.
    follower_by : {"distance", "expected_time"}
        Who is behind: the firm with more stages left (default), or FGST's measure,
        the firm with the longer expected time to discovery under equilibrium play
        (``time_to_discovery``; a [`Race`][patentrace.Race]'s equilibrium, of any number of
        firms: patentrace.reports.nfirm's ``time_to_discovery`` for three or more). With
        ``"expected_time"`` "ahead" and "level" in the leapfrog and catch-up
        probabilities are measured by the same times.
    follower : int, optional
        Races of ``n >= 3`` firms only: the firm to report on (default: the one furthest behind).

    Returns
    -------
    LeapfrogReport (NFirmLeapfrogReport for ``n >= 3`` firms)

    Raises
    ------
    ValueError
        If ``state`` is outside the race.

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.Race(stages=4, prize=1.0, discount=0.05, cost=pr.costs.Quadratic(linear=0.05))
    >>> report = pr.leapfrog(pr.solve(race), state=(0, 2))
    >>> report.follower, report.can_leapfrog
    (0, False)
    """
    if follower_by not in _FOLLOWER_BY:
        raise ValueError(f"follower_by must be one of {_FOLLOWER_BY}, got {follower_by!r}")
    if isinstance(eq, NFirmEquilibrium):  # n >= 3 firms: patentrace.reports.nfirm
        return nfirm_leapfrog(eq, state, tolerance, follower, follower_by)
    if follower is not None:
        raise ValueError(f"follower can be named only in a race of more than two firms (with two, it is the firm "
                         f"with more stages left), got {follower!r}")
    if isinstance(eq, TugEquilibrium):   # the position chain of docs/theory/tug-of-war.md (reports.tug_leapfrog)
        if follower_by != "distance":
            raise ValueError(f"follower_by must be 'distance' for a TugEquilibrium, got {follower_by!r}")
        return tug_leapfrog(eq, state, tolerance)
    tolerance = _threshold("tolerance", tolerance, upper=1.0)  # a probability threshold
    if follower_by == "expected_time" and not isinstance(eq, Equilibrium):
        raise ValueError(
            f"follower_by='expected_time' needs a patentrace.Equilibrium (a Race), got {type(eq).__name__}"
        )
    if isinstance(eq, DeterministicEquilibrium):
        return _deterministic_report(eq, state, tolerance)
    if not isinstance(eq, (Equilibrium, LaggedEquilibrium)):
        raise TypeError(f"eq must be a patentrace.Equilibrium or LaggedEquilibrium, got {type(eq).__name__}")
    stages = eq.model.stages
    i, j = check_state(state, stages)
    left_0, left_1 = remaining(stages)
    one_ahead = open_states(stages) & (np.abs(left_0 - left_1) == 1)
    if isinstance(eq, Equilibrium) and follower_by == "expected_time":
        times = time_to_discovery(eq)
        left_0, left_1 = times[0], times[1]
    left = (left_0[i, j].item(), left_1[i, j].item())
    region = preemption_region(eq)
    epsilon = bool(one_ahead.any() and np.all(region[one_ahead]))
    win = (float(eq.win_probability[0, i, j]), float(eq.win_probability[1, i, j]))
    tie = float(eq.tie_probability[i, j]) if isinstance(eq, LaggedEquilibrium) else 0.0
    common: dict[str, Any] = {"state": (i, j), "remaining": left, "win_probability": win, "tie_probability": tie,
              "preemption_region": region, "underflow_region": underflow_region(eq),
              "epsilon_preemption": epsilon, "tolerance": tolerance,
              "complete": bool(eq.solver.options.get("complete", True))}
    if left[0] == left[1]:
        return LeapfrogReport(
            follower=None, leader=None, follower_win_probability=None, leapfrog_probability=None,
            catch_up_probability=None, can_leapfrog=None, **common,
        )
    follower = 0 if left[0] > left[1] else 1
    with np.errstate(invalid="ignore"):  # inf - inf where neither firm ever discovers: level, as tested above
        gap = np.where(left_0 == left_1, 0.0, (left_0 - left_1) if follower == 0 else (left_1 - left_0))
    leap, catch_up, possible = _chances(eq, (i, j), follower, gap, tolerance)
    return LeapfrogReport(
        follower=follower, leader=1 - follower, follower_win_probability=win[follower],
        leapfrog_probability=leap, catch_up_probability=catch_up, can_leapfrog=possible, **common,
    )


def _deterministic_report(eq: DeterministicEquilibrium, state: tuple[Any, Any], tolerance: float) -> LeapfrogReport:
    """The report of docs/theory/leapfrog.md for FGST's deterministic race (docs/theory/deterministic.md)."""
    if not isinstance(state, (tuple, list)) or len(state) != 2:
        raise ValueError(f"state must be a pair of experience levels (w1, w2) in [0, 1], got {state!r}")
    w1, w2 = check_experience("state[0]", state[0]), check_experience("state[1]", state[1])
    if w1 == 1.0 and w2 == 1.0:
        raise ValueError(f"state {state!r} is outside the race: both firms have finished")
    leader_at = max(w1, w2)
    if eq.grid is not None:
        cells = (eq.cell(w1), eq.cell(w2))
        report = leapfrog(eq.grid, cells, tolerance)
        lead: dict[str, Any] = {}
        if report.follower is not None:
            grid = eq.grid
            left_0, left_1 = remaining(grid.model.stages)
            gap = (left_0 - left_1) if report.follower == 0 else (left_1 - left_0)
            ahead = open_states(grid.model.stages) & (gap < 0)  # a win (by discovery or at the line) not counted
            lead = {"can_lead": bool(period_reachable(grid.model, grid.strategy, ahead)[cells]),
                    "lead_probability": float(period_hitting_probability(grid.model, grid.strategy, ahead)[cells])}
        return replace(report, contested_gap=eq.contested_gap(leader_at), **lead)
    if w1 == w2:
        raise ValueError(f"state {state!r} is level: at lag 0 the equilibrium needs a leader (a level state is a "
                         "knife-edge)")
    if eq.chain is not None:
        return _perfect_monitoring_report(eq, (w1, w2), tolerance)
    follower = 0 if w1 < w2 else 1
    runs = float(eq.single_firm_value(leader_at)) > 0.0  # the lone leader starts at all
    win = (0.0, 0.0) if not runs else ((0.0, 1.0) if follower == 0 else (1.0, 0.0))
    return LeapfrogReport(
        state=(w1, w2), remaining=(1.0 - w1, 1.0 - w2), follower=follower, leader=1 - follower,
        win_probability=win, tie_probability=0.0, follower_win_probability=0.0, leapfrog_probability=0.0,
        catch_up_probability=0.0, can_leapfrog=False, preemption_region=np.ones((1, 1), dtype=bool),
        underflow_region=np.zeros((1, 1), dtype=bool), epsilon_preemption=True, tolerance=tolerance,
        contested_gap=0.0, can_lead=False, lead_probability=0.0,
    )


def _chain_lead_probability(chain: Equilibrium, state: tuple[float, float], follower: int) -> float:
    """In one Markov chain: probability that ``follower`` is ever strictly ahead, a discovery win not counted."""
    left_0, left_1 = remaining(chain.model.stages)
    gap = (left_0 - left_1) if follower == 0 else (left_1 - left_0)
    jump = chain.model.breakthrough_hazard()  # a discovery ends the race without reaching the target
    return read(hitting_probability(chain.hazard, gap < 0, jump), *state)


def _perfect_monitoring_report(
    eq: DeterministicEquilibrium, state: tuple[float, float], tolerance: float
) -> LeapfrogReport:
    """docs/theory/leapfrog.md (F1) at lag 0 with breakthroughs: the limit along the path, the chains as evidence."""
    w1, w2 = state
    follower = 0 if w1 < w2 else 1
    chain = eq.chain
    assert chain is not None
    left_0, left_1 = remaining(chain.model.stages)
    behind = open_states(chain.model.stages) & (np.abs(left_0 - left_1) >= BAND)
    idle = np.where(left_0 > left_1, chain.effort[0], chain.effort[1]) <= eq.idle_speed
    region = behind & idle
    one_ahead = open_states(chain.model.stages) & (np.abs(left_0 - left_1) == BAND)
    underflow = np.where(left_0 > left_1, chain.underflow[0], chain.underflow[1]) & behind
    common: dict[str, Any] = {
        "state": (w1, w2), "remaining": (1.0 - w1, 1.0 - w2), "follower": follower, "leader": 1 - follower,
        "tie_probability": 0.0, "preemption_region": region, "underflow_region": underflow,
        "epsilon_preemption": bool(one_ahead.any() and np.all(region[one_ahead])), "tolerance": tolerance,
        "contested_gap": eq.contested_gap(max(w1, w2)),
        "lead_probability_by_grid": tuple((r.steps, _chain_lead_probability(r.equilibrium, state, follower))
                                          for r in eq.chain_refinement),
    }
    if max(w1, w2) == 1.0:  # the leader has finished: it won
        win = (1.0, 0.0) if follower == 1 else (0.0, 1.0)
        return LeapfrogReport(win_probability=win, follower_win_probability=0.0, leapfrog_probability=0.0,
                              catch_up_probability=0.0, can_leapfrog=False, can_lead=False, lead_probability=0.0,
                              **common)
    path = experience_path(eq, state)
    leap = path.win_probability[follower] + path.lead_probability
    return LeapfrogReport(
        win_probability=path.win_probability, follower_win_probability=path.win_probability[follower],
        leapfrog_probability=leap, catch_up_probability=leap, can_leapfrog=leap > tolerance,
        can_lead=path.draws_level, lead_probability=path.lead_probability, **common,
    )


_MAPPED = ("follower_win_probability", "leapfrog_probability", "catch_up_probability")


def leapfrog_map(eq: AnyEquilibrium, quantity: str = "leapfrog_probability") -> np.ma.MaskedArray[Any, Any]:
    """One of the follower's chances (docs/theory/leapfrog.md) from every state, as a masked array.

    Parameters
    ----------
    eq : Equilibrium or LaggedEquilibrium
        A solved race.
    quantity : {"leapfrog_probability", "catch_up_probability", "follower_win_probability"}
        Which probability of [`LeapfrogReport`][patentrace.LeapfrogReport] to map.

    Returns
    -------
    numpy.ma.MaskedArray, shape (N0 + 1, N1 + 1)
        ``leapfrog(eq, (i, j)).<quantity>`` at every open state where one firm is
        behind; masked where the firms are level and at finished states.

    Examples
    --------
    >>> import patentrace as pr
    >>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> chances = leapfrog_map(eq)
    >>> round(float(chances[0, 1]), 10), bool(chances.mask[0, 0])
    (0.173698693, True)
    """
    if quantity not in _MAPPED:
        raise ValueError(f"quantity must be one of {_MAPPED}, got {quantity!r}")
    if not isinstance(eq, (Equilibrium, LaggedEquilibrium)):
        raise TypeError(f"eq must be a patentrace.Equilibrium or LaggedEquilibrium, got {type(eq).__name__}")
    stages = eq.model.stages
    left_0, left_1 = remaining(stages)
    opened = open_states(stages)
    out = np.zeros(eq.model.shape)
    for follower in (0, 1):
        # the target sets of _chances depend only on who is behind, so one pass serves every such state
        gap = (left_0 - left_1) if follower == 0 else (left_1 - left_0)
        behind = opened & (gap > 0)
        if not behind.any():
            continue
        if quantity == "follower_win_probability":
            values = np.asarray(eq.win_probability[follower])
        elif isinstance(eq, LaggedEquilibrium):
            wins = (FIRST_WINS if follower == 0 else SECOND_WINS,)
            ends = wins if quantity == "leapfrog_probability" else (*wins, TIE)
            target = gap < 0 if quantity == "leapfrog_probability" else gap <= 0
            values = period_hitting_probability(eq.model, eq.strategy, target, ends)
        else:
            jump = eq.model.breakthrough_hazard()
            target = gap < 0 if quantity == "leapfrog_probability" else gap <= 0
            values = hitting_probability(eq.hazard, target, jump, None if jump is None else follower)
        out[behind] = values[behind]
    return np.ma.masked_array(out, mask=~(opened & (left_0 != left_1)))
