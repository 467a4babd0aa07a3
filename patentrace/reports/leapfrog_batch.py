"""The leapfrog report for many equilibria at once: the same reports as one call at a time, at sweep speed.

``pr.leapfrog`` runs the jump chain of one race (the leapfrog report,
docs/theory/leapfrog.md, (F1) to (F4)) through about twenty small numpy calls per stage;
for a sweep of thousands of races the calls, not the arithmetic, take the time.
``leapfrog_many`` lays all the races of a batch one after another in flat
arrays (the lattice layout the batch solver uses) and runs each backward
recursion once for the whole batch. Each state's number comes out of the same
elementwise operations, on the same operands, as in ``pr.leapfrog``, so every
report equals the one-at-a-time report bit for bit.

``LeapfrogMeasure`` is the report as a sweep measure: ``pr.sweep`` hands it a
whole chunk of equilibria at once (through its ``many`` method).

Examples
--------
>>> import patentrace as pr
>>> races = [pr.Race(stages=2, prize=1.0, discount=r, cost=pr.costs.Quadratic()) for r in (0.05, 0.1)]
>>> reports = leapfrog_many(pr.solve_many(races), state=(0, 1))
>>> [round(report.follower_win_probability, 10) for report in reports]     # the second: the two-stage race
[0.1847929199, 0.173698693]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from patentrace._validate import tolerance as _threshold
from patentrace.models.lattice import Layout, check_state
from patentrace.reports.leapfrog import _FOLLOWER_BY, LeapfrogReport, leapfrog
from patentrace.results.chain import hitting_probability_flat, reachable_flat
from patentrace.results.equilibrium import Equilibrium

__all__ = ["LeapfrogMeasure", "leapfrog_many"]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.intp]

# What LeapfrogMeasure can return: the report's numbers (the follower's are None at a level state).
QUANTITIES = ("leapfrog_probability", "catch_up_probability", "follower_win_probability", "can_leapfrog",
              "follower", "win_probability", "epsilon_preemption")
_FOLLOWERS = ("leapfrog_probability", "catch_up_probability", "follower_win_probability", "can_leapfrog", "follower")


def leapfrog_many(
    eqs: Sequence[Any], state: tuple[Any, Any], tolerance: float = 0.0, follower_by: str = "distance",
) -> list[LeapfrogReport]:
    """The leapfrog report of every equilibrium at one state, equal to ``pr.leapfrog`` one by one.

    The report of docs/theory/leapfrog.md, (F1) to (F4) (the follower's chances to win, to get
    ahead and to draw level, and the preemption region), for a batch of equilibria.
    The equilibria of races (``Equilibrium``) are reported together, in one pass of
    each backward recursion over all their states; lagged and deterministic
    equilibria are reported one at a time (their chains are not vectorised across
    races). Either way each report equals ``pr.leapfrog(eq, state, tolerance,
    follower_by)``: the same numbers, bit for bit.

    Parameters
    ----------
    eqs : sequence of Equilibrium, LaggedEquilibrium or DeterministicEquilibrium
        Solved races, e.g. from ``pr.solve_many``; stage counts may differ.
    state : (int, int), or (float, float) for deterministic races
        The state reported on, in every race (see ``pr.leapfrog``).
    tolerance : float
        In ``[0, 1)``: as for ``pr.leapfrog``.
    follower_by : {"distance", "expected_time"}
        As for ``pr.leapfrog``.

    Returns
    -------
    list of LeapfrogReport
        In the order of ``eqs``.

    Raises
    ------
    ValueError
        If ``follower_by`` or ``tolerance`` is invalid, or ``state`` is outside some
        race (the error of the first such race, with a note naming its position).
    TypeError
        If some entry of ``eqs`` is not an equilibrium (the first, with its position).

    Examples
    --------
    With a participation cost, a follower two stages behind does not invest
    (preemption), in the three-stage race as in the four-stage one of ``pr.leapfrog``'s
    example:

    >>> import patentrace as pr
    >>> races = [pr.Race(stages=n, prize=1.0, discount=0.05, cost=pr.costs.Quadratic(linear=0.05)) for n in (3, 4)]
    >>> [(report.follower, report.can_leapfrog) for report in leapfrog_many(pr.solve_many(races), state=(0, 2))]
    [(0, False), (0, False)]
    """
    outcomes = leapfrog_outcomes(eqs, state, tolerance, follower_by)
    for position, outcome in enumerate(outcomes):
        if isinstance(outcome, Exception):
            outcome.add_note(f"(in the equilibrium at position {position} of eqs)")
            raise outcome
    return outcomes  # type: ignore[return-value]  # no entry is an exception


def leapfrog_outcomes(
    eqs: Sequence[Any], state: tuple[Any, Any], tolerance: float = 0.0, follower_by: str = "distance",
) -> list[LeapfrogReport | Exception]:
    """``leapfrog_many``, with the error of an equilibrium that cannot be reported in its place.

    The arguments that concern every equilibrium (``follower_by``, ``tolerance``) are
    checked first and raise; the state is checked race by race.

    Examples
    --------
    >>> import patentrace as pr
    >>> eqs = pr.solve_many([pr.Race(stages=n, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()) for n in (1, 2)])
    >>> [type(outcome).__name__ for outcome in leapfrog_outcomes(eqs, state=(2, 0))]
    ['ValueError', 'LeapfrogReport']
    """
    if follower_by not in _FOLLOWER_BY:
        raise ValueError(f"follower_by must be one of {_FOLLOWER_BY}, got {follower_by!r}")
    tolerance = _threshold("tolerance", tolerance, upper=1.0)
    outcomes: list[LeapfrogReport | Exception | None] = [None] * len(eqs)
    batch: list[tuple[int, Equilibrium, tuple[int, int]]] = []
    checked: dict[tuple[int, int], tuple[int, int] | Exception] = {}  # the state, checked once per stage count
    for position, eq in enumerate(eqs):
        try:
            if isinstance(eq, Equilibrium):
                stages = eq.model.stages
                if stages not in checked:
                    try:
                        checked[stages] = check_state(state, stages)
                    except ValueError as err:
                        checked[stages] = err
                where = checked[stages]
                if isinstance(where, Exception):
                    raise ValueError(*where.args)  # a fresh error for each race (notes are added per race)
                batch.append((position, eq, where))
            else:  # lagged and deterministic equilibria (and wrong types: leapfrog says what is wrong)
                outcomes[position] = leapfrog(eq, state, tolerance, follower_by)
        except Exception as err:  # one equilibrium that cannot be reported does not take the batch down
            outcomes[position] = err
    if batch:
        reports = _BatchOfRaces([eq for _, eq, _ in batch], [s for _, _, s in batch], tolerance, follower_by).reports()
        for (position, _, _), report in zip(batch, reports, strict=True):
            outcomes[position] = report
    return [outcome for outcome in outcomes if outcome is not None]


def _ranges(starts: IntArray, sizes: IntArray) -> IntArray:
    """``concatenate([arange(s, s + n) for s, n in zip(starts, sizes)])``, without the Python loop."""
    ends = np.cumsum(sizes)
    shift = np.repeat(starts - (ends - sizes), sizes)
    out: IntArray = np.arange(int(ends[-1]) if len(ends) else 0, dtype=np.intp) + shift
    return out


class _BatchOfRaces:
    """The equilibria of races of one batch, in the flat arrays of one lattice ``Layout``.

    Every per-state array of ``pr.leapfrog`` (stages left, the preemption region,
    the expected times to discovery, the target sets of the chances) is computed
    here for all the races at once, by the same elementwise operations.
    """

    def __init__(self, eqs: list[Equilibrium], states: list[tuple[int, int]], tolerance: float,
                 follower_by: str) -> None:
        self.eqs, self.tolerance, self.follower_by = eqs, tolerance, follower_by
        self.layout = Layout.of([eq.model.stages for eq in eqs])
        race, i, j = self.layout.states
        n1, n2 = self.layout.stages[race, 0], self.layout.stages[race, 1]
        self.race = race
        self.left = (n1 - i, n2 - j)  # stages left: as lattice.remaining, race by race
        self.opened = (i < n1) & (j < n2)
        self.hazard = np.concatenate([eq.hazard.reshape(2, -1) for eq in eqs], axis=1)
        self.jump = np.zeros((2, self.layout.size))  # breakthrough hazards; 0 in races without them
        self.has_jumps = np.zeros(len(eqs), dtype=bool)
        for k, eq in enumerate(eqs):
            jump = eq.model.breakthrough_hazard()
            if jump is not None:
                start = int(self.layout.offset[k])
                self.jump[:, start : start + jump[0].size] = jump.reshape(2, -1)
                self.has_jumps[k] = True
        self.width = self.layout.stages[:, 1] + 1
        rows = np.array([s[0] for s in states], dtype=np.intp)
        columns = np.array([s[1] for s in states], dtype=np.intp)
        self.states = states
        self.at = self.layout.offset + rows * self.width + columns  # flat index of each race's state

    def reports(self) -> list[LeapfrogReport]:
        region, underflow, epsilon = self._preemption()
        left_0, left_1 = self.left
        if self.follower_by == "expected_time":
            left_0, left_1 = self._time_to_discovery()
        at = self.at
        remaining_0, remaining_1 = left_0[at].tolist(), left_1[at].tolist()  # ints or floats, as .item() gives
        follower = np.where(left_0[at] > left_1[at], 0, 1)
        level = left_0[at] == left_1[at]
        chances = self._chances(follower, level, left_0, left_1)
        win = np.concatenate([eq.win_probability.reshape(2, -1) for eq in self.eqs], axis=1)[:, at]
        wins = list(zip(win[0].tolist(), win[1].tolist(), strict=True))  # Python floats, as float() gives
        bounds = [*self.layout.offset.tolist(), self.layout.size]
        nobody = (None, None, None, None, None, None)
        out = []
        for k, eq in enumerate(self.eqs):
            first = None if level[k] else int(follower[k])
            follower_fields = nobody if first is None else (first, 1 - first, wins[k][first], *chances[k])
            start, stop, shape = bounds[k], bounds[k + 1], eq.model.shape
            out.append(LeapfrogReport(
                state=self.states[k], remaining=(remaining_0[k], remaining_1[k]), follower=follower_fields[0],
                leader=follower_fields[1], win_probability=wins[k], tie_probability=0.0,
                follower_win_probability=follower_fields[2], leapfrog_probability=follower_fields[3],
                catch_up_probability=follower_fields[4], can_leapfrog=follower_fields[5],
                preemption_region=region[start:stop].reshape(shape),
                underflow_region=underflow[start:stop].reshape(shape),
                epsilon_preemption=bool(epsilon[k]), tolerance=self.tolerance))
        return out

    def _preemption(self) -> tuple[BoolArray, BoolArray, BoolArray]:
        """The preemption and underflow regions (flat) and whether ε-preemption holds, race by race."""
        left_0, left_1 = self.left
        behind_0, behind_1 = self.opened & (left_0 > left_1), self.opened & (left_1 > left_0)
        effort = np.concatenate([eq.effort.reshape(2, -1) for eq in self.eqs], axis=1)
        small = np.concatenate([eq.underflow.reshape(2, -1) for eq in self.eqs], axis=1)
        region = (behind_0 & (effort[0] == 0.0) & ~small[0]) | (behind_1 & (effort[1] == 0.0) & ~small[1])
        underflow = (behind_0 & small[0]) | (behind_1 & small[1])
        one_ahead = self.opened & (np.abs(left_0 - left_1) == 1)
        count = len(self.eqs)
        leads = np.bincount(self.race, weights=one_ahead, minlength=count)
        held = np.bincount(self.race, weights=one_ahead & region, minlength=count)
        return region, underflow, (leads > 0) & (held == leads)

    def _time_to_discovery(self) -> tuple[FloatArray, FloatArray]:
        """``time_to_discovery`` of every race, flat: the same recursion, one row of all races at a time."""
        out = np.zeros((2, self.layout.size))
        width = self.width[self.race]
        for firm, step in ((0, width), (1, np.ones_like(width))):
            left = self.left[firm]
            order = np.argsort(left, kind="stable")
            bounds = np.searchsorted(left[order], np.arange(1, int(left.max(initial=0)) + 1))
            ends = np.append(bounds[1:], len(order))
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                for start, stop in zip(bounds.tolist(), ends.tolist(), strict=True):  # one stage left, then two, ...
                    here = order[start:stop]
                    h, b = self.hazard[firm, here], self.jump[firm, here]
                    later = np.where(h > 0.0, h * out[firm, here + step[here]], 0.0)
                    out[firm, here] = np.where(h + b > 0.0, (1.0 + later) / np.where(h + b > 0.0, h + b, 1.0), np.inf)
        return out[0], out[1]

    def _chances(self, follower: IntArray, level: BoolArray, left_0: NDArray[Any],
                 left_1: NDArray[Any]) -> dict[int, tuple[float, float, bool]]:
        """Leapfrog and catch-up probabilities and whether leapfrogging is possible, for races with a follower.

        Races are grouped by what the chain credits: without breakthroughs nothing; with
        them the follower's own breakthrough (a win, so it counts). Each group is one
        layout, solved by the same chain functions ``pr.leapfrog`` calls.
        """
        out: dict[int, tuple[float, float, bool]] = {}
        groups: dict[int | None, list[int]] = {}
        for k in np.flatnonzero(~level).tolist():
            groups.setdefault(int(follower[k]) if self.has_jumps[k] else None, []).append(k)
        with np.errstate(invalid="ignore"):  # inf - inf where neither firm ever discovers: level, tested first
            gap_0 = np.where(left_0 == left_1, 0.0, left_0 - left_1)
            gap_1 = np.where(left_0 == left_1, 0.0, left_1 - left_0)
        for credited, members in groups.items():
            chosen = np.asarray(members, dtype=np.intp)
            layout = Layout.of([(int(a), int(b)) for a, b in self.layout.stages[chosen].tolist()])
            flat = _ranges(self.layout.offset[chosen], (layout.stages[:, 0] + 1) * (layout.stages[:, 1] + 1))
            gap = np.where(follower[self.race[flat]] == 0, gap_0[flat], gap_1[flat])
            hazard = self.hazard[:, flat]
            jump = None if credited is None else self.jump[:, flat]
            at = layout.offset + (self.at[chosen] - self.layout.offset[chosen])
            leap = hitting_probability_flat(layout, hazard, gap < 0, jump, credited)[at].tolist()
            catch_up = hitting_probability_flat(layout, hazard, gap <= 0, jump, credited)[at].tolist()
            if self.tolerance == 0.0:
                possible = reachable_flat(layout, hazard, gap < 0, jump, credited)[at].tolist()
            else:
                possible = [value > self.tolerance for value in leap]
            for position, k in enumerate(members):
                out[k] = (leap[position], catch_up[position], bool(possible[position]))
        return out


@dataclass(frozen=True)
class LeapfrogMeasure:
    """A quantity of the leapfrog report as a measure for ``pr.sweep``, computed a chunk at a time.

    ``LeapfrogMeasure(state, quantity)(eq)`` is ``getattr(pr.leapfrog(eq, state, ...),
    quantity)``; ``pr.sweep`` calls its ``many`` method instead, with every
    equilibrium of a chunk, so a sweep measuring the report (docs/theory/leapfrog.md)
    costs about as much as solving the races.

    Attributes
    ----------
    state : (int, int), or (float, float) for deterministic races
        The state reported on at every point of the sweep.
    quantity : str or None
        One of ``QUANTITIES``: ``"leapfrog_probability"`` (default),
        ``"catch_up_probability"``, ``"follower_win_probability"``, ``"can_leapfrog"``,
        ``"follower"`` (0 or 1), ``"win_probability"`` (both firms', a pair) or
        ``"epsilon_preemption"``; None for the whole [`LeapfrogReport`][patentrace.LeapfrogReport] (a sweep
        then holds the reports; a checkpoint cannot store them).
    tolerance : float
        As for ``pr.leapfrog``.
    follower_by : {"distance", "expected_time"}
        As for ``pr.leapfrog``.

    Raises
    ------
    ValueError
        At construction, for an unknown ``quantity``, ``follower_by`` or a tolerance
        outside ``[0, 1)``. A point whose state is level has no follower: asking for a
        follower's quantity there fails that point (a sweep records it as failed, with
        the reason), rather than giving a number that is not one.

    Examples
    --------
    The follower's chance of leapfrogging from (0, 1) in the two-stage race, by discount rate:

    >>> import patentrace as pr
    >>> def race(discount):
    ...     return pr.Race(stages=2, prize=1.0, discount=discount, cost=pr.costs.Quadratic())
    >>> result = pr.sweep(race, {"discount": [0.05, 0.1]}, measure=LeapfrogMeasure(state=(0, 1)))
    >>> result.values.round(10).tolist()
    [0.1847929199, 0.173698693]
    """

    state: tuple[Any, Any]
    quantity: str | None = "leapfrog_probability"
    tolerance: float = 0.0
    follower_by: str = "distance"

    def __post_init__(self) -> None:
        if self.quantity is not None and self.quantity not in QUANTITIES:
            raise ValueError(f"quantity must be one of {QUANTITIES} or None, got {self.quantity!r}")
        if self.follower_by not in _FOLLOWER_BY:
            raise ValueError(f"follower_by must be one of {_FOLLOWER_BY}, got {self.follower_by!r}")
        if not isinstance(self.state, (tuple, list)) or len(self.state) != 2:
            raise ValueError(f"state must be a pair (i, j) of stages completed, got {self.state!r}")
        object.__setattr__(self, "state", tuple(self.state))
        object.__setattr__(self, "tolerance", _threshold("tolerance", self.tolerance, upper=1.0))

    def __call__(self, eq: Any) -> Any:
        """The quantity for one equilibrium (raises where ``many`` puts an error)."""
        outcome = self.many([eq])[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def many(self, eqs: Sequence[Any]) -> list[Any]:
        """The quantity for every equilibrium, with an exception in place of each that has none.

        Parameters
        ----------
        eqs : sequence of equilibria
            As for [`leapfrog_many`][patentrace.leapfrog_many].

        Returns
        -------
        list
            In the order of ``eqs``: the quantity (a float, bool, int, pair of floats or
            report), or the exception that this equilibrium raises (a state outside its
            race, or a follower's quantity at a level state).

        Examples
        --------
        At (0, 1) firm 0 follows in the two-stage race; in the one-stage race firm 1 has won:

        >>> import patentrace as pr
        >>> eqs = pr.solve_many([pr.Race(stages=n, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()) for n in (2, 1)])
        >>> LeapfrogMeasure((0, 1), "follower").many(eqs)
        [0, 0]
        >>> LeapfrogMeasure((0, 1), "win_probability").many(eqs)[1]
        (0.0, 1.0)
        """
        out: list[Any] = []
        for outcome in leapfrog_outcomes(eqs, self.state, self.tolerance, self.follower_by):
            if isinstance(outcome, Exception) or self.quantity is None:
                out.append(outcome)
            elif outcome.follower is None and self.quantity in _FOLLOWERS:
                out.append(ValueError(
                    f"state {outcome.state} is level (remaining {outcome.remaining}): there is no follower, so no "
                    f"{self.quantity}"))
            else:
                out.append(getattr(outcome, self.quantity))
        return out
