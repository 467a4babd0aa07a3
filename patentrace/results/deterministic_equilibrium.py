"""The result of solving FGST's deterministic race (docs/theory/deterministic.md).

A [`DeterministicEquilibrium`][patentrace.results.deterministic_equilibrium.DeterministicEquilibrium] holds the lone
firm's path (the leader's under
ε-preemption) and, with an information lag, the equilibrium of the race in periods on
the finest experience grid solved, with the contested gap at every leader cell and the
record of the grid's refinement ([`GridRefinement`][patentrace.results.deterministic_equilibrium.GridRefinement]). Under
perfect monitoring with
breakthroughs it holds instead the Markov-chain approximations solved
([`ChainRefinement`][patentrace.results.deterministic_equilibrium.ChainRefinement]), the finest of which answers
questions about states. The
solvers are [`patentrace.solvers.deterministic`][patentrace.solvers.deterministic] and
[`patentrace.solvers.perfect_monitoring`][patentrace.solvers.perfect_monitoring].

Examples
--------
>>> import patentrace as pr
>>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), lag=0.4, max_speed=1.0)
>>> eq = pr.solve(race, steps=[5, 10])
>>> eq.steps, eq.contested_gap(0.5), eq.converged
(10, 0.3, False)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from patentrace._validate import experience
from patentrace.equations.lone_firm import SingleFirmPath, single_firm_path
from patentrace.models import DeterministicRace
from patentrace.models.experience_grid import read, speed_table
from patentrace.results import serialization as stored
from patentrace.results.equilibrium import (
    Equilibrium,
    FloatArray,
    IntArray,
    LaggedEquilibrium,
    SolverInfo,
    Verification,
    _frozen,
    _same,
    _xarray,
)

__all__ = ["SAMPLE_ROWS", "ChainRefinement", "DeterministicEquilibrium", "GridRefinement", "check_experience"]


class GridRefinement(NamedTuple):
    """One grid of a ``DeterministicEquilibrium``'s refinement.

    Attributes
    ----------
    steps : int
        Grid cells between experience 0 and 1.
    speeds : int
        Size of the speed menu.
    seconds : float
        Time to solve this grid.
    gap : ndarray
        The contested gap at the sample leader positions ``DeterministicEquilibrium.positions``.
    change : float
        Largest change of ``gap`` from the previous grid (``inf`` for the first).

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), lag=0.4, max_speed=1.0)
    >>> first, second = pr.solve(race, steps=[5, 10]).refinement
    >>> (first.steps, first.speeds, first.change), (second.steps, second.speeds)
    ((5, 3, inf), (10, 5))
    """

    steps: int
    speeds: int
    seconds: float
    gap: FloatArray
    change: float


SAMPLE_ROWS = ("value_0", "value_1", "speed_0", "speed_1", "win_0", "win_1")
"""What ``ChainRefinement.samples`` holds, row by row, at each sample state (firm 0 leads there)."""

_IDLE = 1e-6  # a speed at most this fraction of the lone firm's speed at the finish counts as idling


class ChainRefinement(NamedTuple):
    """One grid of the refinement under perfect monitoring with breakthroughs (docs/theory/deterministic.md).

    The grid's race is the Markov-chain approximation
    [`DeterministicRace.poisson_race`][patentrace.DeterministicRace.poisson_race],
    solved by [`patentrace.solve`][patentrace.solve].

    Attributes
    ----------
    steps : int
        Grid cells between experience 0 and 1.
    seconds : float
        Time to solve this grid.
    path : str
        How the Poisson race was solved (``"compiled"`` or ``"allroots"``).
    samples : ndarray, shape (6, S)
        At the sample states ``DeterministicEquilibrium.samples`` (firm 0 leading):
        the rows [`SAMPLE_ROWS`][patentrace.results.deterministic_equilibrium.SAMPLE_ROWS] (values, speeds and win
        probabilities of both firms).
    compared : ndarray of bool, shape (S,)
        Sample states compared with the previous grid: those whose lead is at least
        [`BAND`][patentrace.models.experience_grid.BAND] cells on it (all False for the first grid).
    change : float
        Largest change at the compared states from the previous grid: values relative
        to the prize, speeds relative to the largest sample speed on this grid, win
        probabilities as they are (``inf`` for the first grid, or when nothing was compared).
    extrapolated : ndarray, shape (6, S)
        Richardson's estimate of the limit, ``2 * samples - previous samples`` (the
        error is first order in ``1 / steps``), at the compared states; equal to
        ``samples`` elsewhere. A diagnostic: answers come from the finest grid.
    underflow : int
        Firm-states of the chain whose effort is 0 only because its continuation
        values are below the float range (``Equilibrium.underflow``): a firm far
        behind in a race without discovery, whose limit speed is 0 anyway.
    equilibrium : Equilibrium
        The Poisson race's equilibrium on this grid.

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), breakthrough=lambda w: 0.1)
    >>> first, second = pr.solve(race, steps=[20, 40]).chain_refinement
    >>> (first.steps, first.change), (second.steps, bool(second.change < 0.01))
    ((20, inf), (40, True))
    """

    steps: int
    seconds: float
    path: str
    samples: FloatArray
    compared: NDArray[np.bool_]
    change: float
    extrapolated: FloatArray
    underflow: int
    equilibrium: Equilibrium


@dataclass(frozen=True, eq=False)
class DeterministicEquilibrium:
    """An equilibrium of FGST's deterministic race (docs/theory/deterministic.md).

    With ``lag = 0`` it is the ε-preemption equilibrium: the firm behind never
    invests and the leader runs the lone firm's path, for any positive lead. With a
    lag it is the equilibrium of the race in periods on the finest experience grid
    solved (``grid``), reached by refining until the contested gap settled. With
    ``lag = 0`` and a breakthrough hazard it is the perfect-monitoring equilibrium
    approximated by Markov chains on refined grids (``chain_refinement``; the finest,
    ``chain``, answers): values, speeds and win probabilities are read from it by
    bilinear interpolation, with leads under a few cells read at
    [`BAND`][patentrace.models.experience_grid.BAND] cells
    ([`patentrace.models.experience_grid`][patentrace.models.experience_grid]).

    Attributes
    ----------
    model : DeterministicRace
        The race solved.
    path : SingleFirmPath
        The lone firm's value and speed.
    grid : LaggedEquilibrium or None
        The equilibrium on the finest grid (None at lag 0). Its states are grid
        cells, its actions the speeds ``speeds``.
    speeds : ndarray
        The speed of each action on the finest grid (empty at lag 0).
    gaps : ndarray of int
        At each leader cell of the finest grid, the largest lead (in cells) at which
        the follower invests with positive probability (empty at lag 0).
    positions : ndarray
        Leader positions at which the refinement compares the contested gap.
    refinement : tuple of GridRefinement
        Every grid solved, coarsest first.
    converged : bool
        The last refinement changed the gap by at most ``solver.options["gap_tolerance"]``
        (lag 0 with breakthroughs: the sample values by at most ``solver.options["tolerance"]``).
    solver : SolverInfo
        Method, options, version, time.
    chain_refinement : tuple of ChainRefinement
        Lag 0 with breakthroughs: every Markov-chain grid solved, coarsest first (empty otherwise).
    samples : ndarray, shape (S, 2)
        Lag 0 with breakthroughs: the states ``(w1, w2)`` at which the grids are
        compared (leader at 0.1, ..., 0.9, leads 0.1, 0.2, ... behind it; empty otherwise).

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> eq = pr.solve(race)                       # perfect monitoring: epsilon-preemption
    >>> eq.contested_gap(0.5), round(float(eq.single_firm_speed(0.5)), 6)
    (0.0, 0.397214)
    """

    model: DeterministicRace
    path: SingleFirmPath = field(repr=False)
    grid: LaggedEquilibrium | None = field(repr=False)
    speeds: FloatArray = field(repr=False)
    gaps: IntArray = field(repr=False)
    positions: FloatArray = field(repr=False)
    refinement: tuple[GridRefinement, ...] = field(repr=False)
    converged: bool
    solver: SolverInfo = field(repr=False)
    chain_refinement: tuple[ChainRefinement, ...] = field(default=(), repr=False)
    samples: FloatArray = field(default_factory=lambda: np.zeros((0, 2)), repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "speeds", _frozen(np.asarray(self.speeds, dtype=float)))
        object.__setattr__(self, "gaps", _frozen(np.asarray(self.gaps, dtype=np.intp)))
        object.__setattr__(self, "positions", _frozen(np.asarray(self.positions, dtype=float)))
        object.__setattr__(self, "samples", _frozen(np.asarray(self.samples, dtype=float).reshape(-1, 2)))

    @property
    def chain(self) -> Equilibrium | None:
        """Lag 0 with breakthroughs: the Poisson race's equilibrium on the finest grid; None otherwise.

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), breakthrough=lambda w: 0.1)
        >>> eq = pr.solve(race, steps=[20, 40])
        >>> eq.chain.model.stages, eq.steps
        ((40, 40), 40)
        """
        return self.chain_refinement[-1].equilibrium if self.chain_refinement else None

    @property
    def idle_speed(self) -> float:
        """Speeds at or below this count as idling in ``follower_invests`` and the leapfrog report.

        0 except at lag 0 with breakthroughs, where it is ``1e-6`` of the lone firm's
        speed at the finish: there a firm far behind in a race without discovery has a
        chain speed that is positive but vanishes faster than any power of the cells
        (below 1e-100 at a 0.1 lead on 100 cells), its limit being 0.

        Examples
        --------
        >>> import patentrace as pr
        >>> pr.solve(pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic())).idle_speed
        0.0
        """
        if self.chain is None:
            return 0.0
        return _IDLE * float(self.path.speed(1.0))

    def single_firm_value(self, w: Any) -> FloatArray:
        """``V_m(w)``, the lone firm's value at experience ``w`` in ``[0, 1]``.

        Examples
        --------
        >>> import patentrace as pr
        >>> eq = pr.solve(pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> round(float(eq.single_firm_value(0.0)), 5)            # docs/theory/deterministic.md (D3)
        0.60279
        """
        return self.path.value(w)

    def single_firm_speed(self, w: Any) -> FloatArray:
        """``x_m(w)``, the lone firm's speed at experience ``w`` in ``[0, 1]``.

        Examples
        --------
        >>> import patentrace as pr
        >>> eq = pr.solve(pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> round(float(eq.single_firm_speed(1.0)), 10)           # sqrt(2 r P / a) at the finish
        0.4472135955
        """
        return self.path.speed(w)

    @property
    def steps(self) -> int:
        """Cells of the finest grid (0 at lag 0 without breakthroughs).

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), lag=0.4, max_speed=1.0)
        >>> pr.solve(race, steps=[5, 10]).steps
        10
        """
        if self.chain is not None:
            return int(self.chain.model.stages[0])
        return 0 if self.grid is None else int(self.grid.model.stages[0])

    def cell(self, w: float) -> int:
        """The grid cell nearest to experience ``w`` on the finest grid.

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), lag=0.4, max_speed=1.0)
        >>> pr.solve(race, steps=[10]).cell(0.52)
        5
        """
        at = check_experience("w", w)
        return round(at * self.steps)

    def contested_gap(self, w: float) -> float:
        """The largest lead that the follower still contests when the leader is at ``w``.

        0 at lag 0 (ε-preemption). With a lag, read off the finest grid at the cell
        nearest ``w``, in units of experience (a multiple of ``1 / steps``). At lag 0
        with breakthroughs the follower may invest at every lead (to raise its own
        discovery hazard), so "invests" does not mean "contests": there the gap is the
        largest lead of at least [`BAND`][patentrace.models.experience_grid.BAND] cells at which
        the follower runs strictly faster than the leader (closing in), on the finest
        chain at the cell nearest ``w``; 0 if there is none.

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), lag=0.4, max_speed=1.0)
        >>> pr.solve(race, steps=[10]).contested_gap(0.5)
        0.3
        """
        cell = self.cell(w)
        return 0.0 if self.steps == 0 else float(self.gaps[cell]) / self.steps

    def strategy(self, w1: float, w2: float) -> tuple[FloatArray, FloatArray]:
        """Each firm's mixed speed at ``(w1, w2)``: probabilities over ``speeds``.

        At lag 0 the speeds are pure and returned as one-element arrays ``[x]``: the
        leader's lone speed and the follower's 0 (with breakthroughs:
        [`speed`][patentrace.results.deterministic_equilibrium.DeterministicEquilibrium.speed]). A
        level state at lag 0 has no leader and is refused.

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), lag=0.2, max_speed=2.0)
        >>> leader, follower = pr.solve(race, steps=[20]).strategy(0.5, 0.4)
        >>> bool(abs(follower.sum() - 1.0) < 1e-12), bool(0.0 < follower[0] < 1.0)    # the follower mixes
        (True, True)
        """
        a, b = check_experience("w1", w1), check_experience("w2", w2)
        if self.grid is None:
            x = self.speed(a, b)
            return np.array([x[0]]), np.array([x[1]])
        i, j = self.cell(a), self.cell(b)
        return np.asarray(self.grid.strategy[0][i, j]), np.asarray(self.grid.strategy[1][i, j])

    def _level_at_lag_zero(self, w1: float, w2: float) -> tuple[float, float]:
        a, b = check_experience("w1", w1), check_experience("w2", w2)
        if self.grid is None and a == b:
            raise ValueError(f"w1 == w2 = {a}: at lag 0 the equilibrium needs a leader (a level state is a knife-edge)")
        return a, b

    def _chain_read(self, name: str, w1: float, w2: float) -> FloatArray:
        assert self.chain is not None
        table = getattr(self.chain, name)
        if name == "effort":
            return np.array([read(speed_table(table[0]), w1, w2), read(speed_table(table[1]), w1, w2)])
        return np.array([read(table[0], w1, w2), read(table[1], w1, w2)])

    def _stored(self, name: str, w1: float, w2: float) -> FloatArray | None:
        """Both firms' ``name`` at ``(w1, w2)`` as stored, or None on the lone-firm path.

        The grid's at the nearest cells (a lag), or the chain's interpolated (lag 0 with
        breakthroughs); at lag 0 without breakthroughs the caller computes it from the path.
        """
        if self.grid is not None:
            i, j = self.cell(w1), self.cell(w2)
            return np.array(getattr(self.grid, name)[:, i, j], dtype=float)
        if self.chain is not None:
            return self._chain_read(name, w1, w2)
        return None

    def speed(self, w1: float, w2: float) -> FloatArray:
        """Each firm's speed at ``(w1, w2)``: shape ``(2,)``.

        Lag 0: the leader's lone speed and 0 (ε-preemption); with breakthroughs, the
        finest chain's speeds interpolated ([`read`][patentrace.models.experience_grid.read]).
        With a lag: the expected speed of each firm's mixed action at the nearest cells.
        A level state at lag 0 is refused.

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), breakthrough=lambda w: 0.1)
        >>> x = pr.solve(race, steps=[40]).speed(0.5, 0.2)      # constant discovery: the follower idles
        >>> round(float(x[0]), 2), bool(x[1] < 1e-12)           # 0 to rounding
        (0.48, True)
        """
        a, b = self._level_at_lag_zero(w1, w2)
        if self.grid is not None:
            sigma = self.strategy(a, b)
            return np.array([float(sigma[0] @ self.speeds), float(sigma[1] @ self.speeds)])
        if self.chain is not None:
            return self._chain_read("effort", a, b)
        lead = float(self.path.speed(max(a, b)))
        return np.array([lead, 0.0]) if a > b else np.array([0.0, lead])

    def value(self, w1: float, w2: float) -> FloatArray:
        """Each firm's expected discounted payoff at ``(w1, w2)``: shape ``(2,)``.

        Lag 0: the leader's ``V_m`` and the follower's ``L exp(-r T)``, ``T`` the lone
        leader's time to the finish; with breakthroughs, the finest chain's values
        interpolated. With a lag: the grid's values at the nearest cells. A level state
        at lag 0 is refused.

        Examples
        --------
        >>> import patentrace as pr
        >>> eq = pr.solve(pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> [round(float(v), 5) for v in eq.value(0.4, 0.5)]   # docs/theory/deterministic.md (D3): V_m(0.5) for firm 1
        [0.0, 0.78889]
        """
        a, b = self._level_at_lag_zero(w1, w2)
        stored = self._stored("value", a, b)
        if stored is not None:
            return stored
        leader = max(a, b)
        ahead = float(self.path.value(leader))
        behind = self.model.loser_prize * math.exp(-self.model.discount * self.path.time_to_finish(leader))
        return np.array([ahead, behind]) if a > b else np.array([behind, ahead])

    def win_probability(self, w1: float, w2: float) -> FloatArray:
        """Each firm's probability of winning from ``(w1, w2)``: shape ``(2,)``.

        Lag 0: 1 for the leader if the lone firm runs from its position (0 for both if
        it never starts); with breakthroughs, the finest chain's interpolated. With a
        lag: the grid's at the nearest cells. A level state at lag 0 is refused.

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), breakthrough=lambda w: 0.1)
        >>> win = pr.solve(race, steps=[40]).win_probability(0.5, 0.2)
        >>> bool(0.0 < win[1] < 0.2), round(float(win.sum()), 12)          # discovery gives the follower a chance
        (True, 1.0)
        """
        a, b = self._level_at_lag_zero(w1, w2)
        stored = self._stored("win_probability", a, b)
        if stored is not None:
            return stored
        runs = float(self.path.value(max(a, b))) > 0.0
        return np.array([float(runs and a > b), float(runs and b > a)])

    def follower_invests(self, w1: float, w2: float) -> bool:
        """Whether the firm behind at ``(w1, w2)`` invests (runs at a positive speed).

        Lag 0: never (ε-preemption); with breakthroughs, its interpolated speed exceeds
        [`idle_speed`][patentrace.results.deterministic_equilibrium.DeterministicEquilibrium.idle_speed]. With a lag: it
        moves with positive probability (more than
        1e-12) at the nearest cells. A state without a firm behind is refused.

        Examples
        --------
        >>> import patentrace as pr
        >>> grows = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(),
        ...                              breakthrough=lambda w: 0.02 + 0.4 * w * w)
        >>> pr.solve(grows, steps=[40]).follower_invests(0.5, 0.2)     # to raise its own discovery hazard
        True
        """
        a, b = check_experience("w1", w1), check_experience("w2", w2)
        if a == b or (self.grid is not None and self.cell(a) == self.cell(b)):
            raise ValueError(f"state ({a}, {b}) has no firm behind" + (" on the grid" if a != b else ""))
        behind = 1 if a > b else 0
        if self.grid is not None:
            sigma = self.strategy(a, b)[behind]
            return bool(1.0 - sigma[0] > 1e-12)
        return bool(self.speed(a, b)[behind] > self.idle_speed)

    def verify(self) -> Verification:
        """Largest gain from a deviation and largest Bellman residual on the finest grid (0 at lag 0).

        Lag 0 with breakthroughs: the finest Poisson chain's
        [`Equilibrium.verify`][patentrace.Equilibrium.verify] (a deviation in effort
        at any one state, over a grid of efforts and a local optimiser, and the HJB
        residual): it certifies the chain's equilibrium, not the distance to the limit,
        which ``chain_refinement`` measures.

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), lag=0.4, max_speed=1.0)
        >>> gain, residual = pr.solve(race, steps=[10]).verify()
        >>> gain < 1e-12 and residual < 1e-12
        True
        """
        if self.chain is not None:
            return self.chain.verify()
        if self.grid is None:
            return Verification(0.0, 0.0)
        return self.grid.verify()

    def __repr__(self) -> str:
        race = self.model
        discovery = ", breakthrough" if race.breakthrough is not None else ""
        return (f"DeterministicEquilibrium(lag={race.lag}, max_speed={race.max_speed}{discovery}, steps={self.steps}, "
                f"converged={self.converged})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DeterministicEquilibrium):
            return NotImplemented
        arrays = ("speeds", "gaps", "positions", "samples")
        return (bool(self.model == other.model) and self.solver == other.solver and self.converged == other.converged
                and self.grid == other.grid and all(_same(getattr(self, n), getattr(other, n)) for n in arrays)
                and _same_rows(self.refinement, other.refinement)
                and _same_rows(self.chain_refinement, other.chain_refinement)
                and (self.path.method, self.path.start) == (other.path.method, other.path.start))

    __hash__ = None  # type: ignore[assignment]  # equal by value, like the arrays it holds

    def to_dict(self) -> dict[str, Any]:
        """Plain Python data, ready for ``json.dumps``; ``from_dict`` inverts it exactly.

        The lone firm's path is not stored: it is a function of the model, rebuilt on
        reading. Lag 0 with breakthroughs: the sample states and every grid's record
        (``"chain_refinement"``, without the chains' full arrays, which run to hundreds
        of thousands of states; ``eq.chain.to_dict()`` gives the finest). Such a race
        has a breakthrough hazard given as a Python function, which is written as its
        ``repr`` and cannot be rebuilt: ``from_dict`` refuses it, naming it.

        Examples
        --------
        >>> import json
        >>> import patentrace as pr
        >>> eq = pr.solve(pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> json.loads(json.dumps(eq.to_dict()))["model"]["lag"]
        0.0
        """
        return {
            "format": stored.FORMAT, "type": type(self).__name__, "model": self.model.to_dict(),
            "speeds": self.speeds.tolist(), "gaps": self.gaps.tolist(), "positions": self.positions.tolist(),
            "refinement": [{"steps": r.steps, "speeds": r.speeds, "seconds": r.seconds, "gap": r.gap.tolist(),
                            "change": r.change} for r in self.refinement],
            "converged": self.converged,
            "grid": None if self.grid is None else self.grid.to_dict(),
            "solver": self.solver.to_dict(),
            "samples": self.samples.tolist(),
            "chain_refinement": [
                {"steps": r.steps, "seconds": r.seconds, "path": r.path, "rows": list(SAMPLE_ROWS),
                 "samples": r.samples.tolist(), "compared": r.compared.tolist(), "change": r.change,
                 "extrapolated": r.extrapolated.tolist(), "underflow": r.underflow}
                for r in self.chain_refinement
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "data") -> DeterministicEquilibrium:
        """The equilibrium that ``to_dict`` wrote, equal to it (``==``); the lone firm's path is recomputed.

        Raises
        ------
        patentrace.results.serialization.ResultFormatError
            For data that is not a deterministic race's equilibrium or is damaged, and
            for a race whose breakthrough hazard was a Python function (naming it).

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), lag=0.4, max_speed=1.0)
        >>> eq = pr.solve(race, steps=[5, 10])
        >>> pr.DeterministicEquilibrium.from_dict(eq.to_dict()) == eq
        True
        """
        stored.check_header(data, cls.__name__, where)
        model: DeterministicRace = stored.rebuild_model(data.get("model"), where, "DeterministicRace")
        grid = None if data.get("grid") is None else LaggedEquilibrium.from_dict(data["grid"], f"{where}: grid")
        rows = data.get("refinement")
        if not isinstance(rows, list) or not all(isinstance(row, Mapping) for row in rows):
            raise stored.ResultFormatError(f"{where}: refinement must be a list of grid records, got {rows!r}")
        if data.get("chain_refinement"):
            raise stored.ResultFormatError(f"{where}: the Markov-chain refinement (lag 0 with breakthroughs) is not "
                                           "stored in full and cannot be rebuilt")
        refinement = tuple(_grid_row(f"{where}: refinement[{k}]", row) for k, row in enumerate(rows))
        converged = data.get("converged")
        if not isinstance(converged, bool):
            raise stored.ResultFormatError(f"{where}: converged must be true or false, got {converged!r}")
        return cls(
            model=model, path=single_firm_path(model), grid=grid,
            speeds=_vector(f"{where}: speeds", data.get("speeds"), np.float64),
            gaps=_vector(f"{where}: gaps", data.get("gaps"), np.intp),
            positions=_vector(f"{where}: positions", data.get("positions"), np.float64),
            refinement=refinement, converged=converged,
            solver=SolverInfo.from_dict(data.get("solver", {})),
            samples=_vector(f"{where}: samples", data.get("samples"), np.float64, width=2),
        )

    def to_xarray(self) -> Any:
        """The equilibrium as an ``xarray.Dataset``; ``from_xarray`` inverts it exactly.

        Variables: ``speeds`` (over ``speed``), ``gaps`` (``cell``), ``positions``
        (``position``), ``samples`` (``sample``, ``w``), the refinement's records
        (``refinement_steps`` ... over ``refinement``, ``refinement_gap`` over
        ``refinement`` and ``position``) and, with a lag, the finest grid's
        equilibrium as the variables of ``LaggedEquilibrium.to_xarray``
        prefixed ``grid_``. Attributes:
        ``format``, ``type``, ``model`` and ``solver_info`` as JSON, ``converged``
        (1 or 0), and the grid's ``grid_model`` and ``grid_solver_info``. Lag 0 with
        breakthroughs: the chain refinement's records as JSON in ``chain_refinement``
        (not rebuilt by ``from_xarray``, like the model's breakthrough function).

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), lag=0.4, max_speed=1.0)
        >>> dataset = pr.solve(race, steps=[5, 10]).to_xarray()
        >>> dataset["refinement_steps"].values.tolist(), int(dataset["grid_multiplicity"].sel(i=0, j=0))
        ([5, 10], 1)
        """
        xr = _xarray("to_xarray")
        variables: dict[str, Any] = {
            "speeds": (("speed",), self.speeds), "gaps": (("cell",), self.gaps),
            "positions": (("position",), self.positions), "samples": (("sample", "w"), self.samples),
            "refinement_steps": (("refinement",), np.array([r.steps for r in self.refinement], dtype=np.intp)),
            "refinement_speeds": (("refinement",), np.array([r.speeds for r in self.refinement], dtype=np.intp)),
            "refinement_seconds": (("refinement",), np.array([r.seconds for r in self.refinement], dtype=float)),
            "refinement_change": (("refinement",), np.array([r.change for r in self.refinement], dtype=float)),
            "refinement_gap": (("refinement", "position"), np.array([r.gap for r in self.refinement], dtype=float)
                               .reshape(len(self.refinement), self.positions.size)),
        }
        attrs = {"format": stored.FORMAT, "type": type(self).__name__,
                 "model": stored.strict_json(self.model.to_dict()),
                 "solver_info": stored.strict_json(self.solver.to_dict()), "converged": int(self.converged),
                 "chain_refinement": stored.strict_json(self.to_dict()["chain_refinement"])}
        dataset = xr.Dataset(variables, attrs=attrs)
        if self.grid is not None:
            grid = self.grid.to_xarray()
            dataset = xr.merge([dataset, grid.rename({name: f"grid_{name}" for name in grid.data_vars})],
                               combine_attrs="override")
            dataset.attrs.update({"grid_model": grid.attrs["model"], "grid_solver_info": grid.attrs["solver_info"]})
        return dataset

    @classmethod
    def from_xarray(cls, dataset: Any, where: str = "dataset") -> DeterministicEquilibrium:
        """The equilibrium that ``to_xarray`` wrote (also after a netCDF file), equal to it (``==``).

        Examples
        --------
        A grid of 10 cells, speeds up to 2:

        >>> import patentrace as pr
        >>> eq = pr.solve(pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), lag=0.2,
        ...                                    max_speed=2.0), steps=[10])
        >>> pr.DeterministicEquilibrium.from_xarray(eq.to_xarray()) == eq
        True
        """
        attrs = getattr(dataset, "attrs", None)
        if not isinstance(attrs, Mapping):
            raise stored.ResultFormatError(f"{where}: not a saved patentrace result (no attributes)")
        stored.check_header(attrs, cls.__name__, where)
        data: dict[str, Any] = {"format": stored.FORMAT, "type": cls.__name__}
        for name in ("model", "solver_info", "chain_refinement"):
            data[name] = stored.parse_json(str(attrs.get(name)), f"{where}: attribute {name!r}")
        data["solver"] = data.pop("solver_info")
        data["converged"] = bool(attrs.get("converged"))
        names = ("speeds", "gaps", "positions", "samples", "refinement_steps", "refinement_speeds",
                 "refinement_seconds", "refinement_change", "refinement_gap")
        for name in names:
            if name not in dataset.variables:
                raise stored.ResultFormatError(f"{where}: the variable {name!r} is missing")
            data[name] = np.asarray(dataset[name].values).tolist()
        data["refinement"] = [
            {"steps": steps, "speeds": speeds, "seconds": seconds, "change": change, "gap": gap}
            for steps, speeds, seconds, change, gap in zip(*(data.pop(f"refinement_{n}") for n in (
                "steps", "speeds", "seconds", "change", "gap")), strict=True)
        ]
        data["grid"] = None
        if "grid_model" in attrs:
            grid = dataset[[name for name in dataset.data_vars if str(name).startswith("grid_")]]
            grid = grid.rename({name: str(name)[len("grid_"):] for name in grid.data_vars})
            grid.attrs = {"format": stored.FORMAT, "type": "LaggedEquilibrium", "model": attrs["grid_model"],
                          "solver_info": attrs["grid_solver_info"]}
            data["grid"] = LaggedEquilibrium.from_xarray(grid, f"{where}: grid").to_dict()
        return cls.from_dict(data, where)


def _same_rows(first: tuple[Any, ...], second: tuple[Any, ...]) -> bool:
    """Refinement records equal field by field (arrays exactly, equilibria by their own equality)."""
    def same(a: Any, b: Any) -> bool:
        return _same(a, b) if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) else bool(a == b)

    return len(first) == len(second) and all(
        len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
        for a, b in zip(first, second, strict=True))


def _vector(name: str, data: Any, dtype: type[np.generic], width: int | None = None) -> NDArray[Any]:
    """A stored list as an array of ``dtype``: one axis, or rows of ``width``."""
    if not isinstance(data, list):
        raise stored.ResultFormatError(f"{name}: expected a list of numbers, got {data!r}")
    if not data:
        return np.zeros((0,) if width is None else (0, width), dtype=dtype)
    shape = (len(data),) if width is None else (len(data), width)
    return stored.array_from(name, data, dtype, shape)


def _grid_row(name: str, row: Mapping[str, Any]) -> GridRefinement:
    steps, speeds = row.get("steps"), row.get("speeds")
    if isinstance(steps, bool) or not isinstance(steps, int) or isinstance(speeds, bool) or not isinstance(speeds, int):
        raise stored.ResultFormatError(f"{name}: steps and speeds must be whole numbers, got {steps!r}, {speeds!r}")
    return GridRefinement(steps=steps, speeds=speeds, seconds=stored.number(f"{name}.seconds", row.get("seconds")),
                          gap=_vector(f"{name}.gap", row.get("gap"), np.float64),
                          change=stored.number(f"{name}.change", row.get("change")))


def check_experience(name: str, w: Any) -> float:
    """``w`` as a float in ``[0, 1]``, or a ValueError naming ``name``.

    Examples
    --------
    >>> check_experience("w1", 0.25)
    0.25
    >>> check_experience("w1", 1.5)
    Traceback (most recent call last):
    ...
    ValueError: w1 (experience) must lie in [0, 1], got 1.5
    """
    at = experience(name, w)
    if at.ndim != 0:
        raise TypeError(f"{name} must be one stored.number in [0, 1], got {w!r}")
    return float(at)


def perfect_monitoring(race: DeterministicRace, solver: SolverInfo) -> DeterministicEquilibrium:
    """The ε-preemption equilibrium of a race with lag 0 (docs/theory/deterministic.md)."""
    return DeterministicEquilibrium(
        model=race, path=single_firm_path(race), grid=None, speeds=np.zeros(0), gaps=np.zeros(0, dtype=np.intp),
        positions=np.zeros(0), refinement=(), converged=True, solver=solver,
    )
