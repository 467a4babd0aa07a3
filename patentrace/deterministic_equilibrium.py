"""The result of solving FGST's deterministic race (SPEC.md §3).

A :class:`DeterministicEquilibrium` holds the lone firm's path (the leader's under
ε-preemption) and, with an information lag, the equilibrium of the race in periods on
the finest experience grid solved, with the contested gap at every leader cell and the
record of the grid's refinement (:class:`GridRefinement`). The solver is
:mod:`patentrace.solvers.deterministic`.

Examples
--------
>>> import patentrace as pr
>>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), lag=0.4, max_speed=1.0)
>>> eq = pr.solve(race, steps=[5, 10])
>>> eq.steps, eq.contested_gap(0.5), eq.converged
(10, 0.3, False)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from patentrace._validate import experience
from patentrace.equilibrium import LaggedEquilibrium, SolverInfo, Verification, _frozen
from patentrace.lone_firm import SingleFirmPath, single_firm_path
from patentrace.models import DeterministicRace

__all__ = ["DeterministicEquilibrium", "GridRefinement", "check_experience"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


class GridRefinement(NamedTuple):
    """One grid of a :class:`DeterministicEquilibrium`'s refinement.

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


@dataclass(frozen=True)
class DeterministicEquilibrium:
    """An equilibrium of FGST's deterministic race (SPEC.md §3).

    With ``lag = 0`` it is the ε-preemption equilibrium: the firm behind never
    invests and the leader runs the lone firm's path, for any positive lead. With a
    lag it is the equilibrium of the race in periods on the finest experience grid
    solved (``grid``), reached by refining until the contested gap settled.

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
        The last refinement changed the gap by at most ``solver.options["gap_tolerance"]``.
    solver : SolverInfo
        Method, options, version, time.

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

    def __post_init__(self) -> None:
        object.__setattr__(self, "speeds", _frozen(np.asarray(self.speeds, dtype=float)))
        object.__setattr__(self, "gaps", _frozen(np.asarray(self.gaps, dtype=np.intp)))
        object.__setattr__(self, "positions", _frozen(np.asarray(self.positions, dtype=float)))

    def single_firm_value(self, w: Any) -> FloatArray:
        """``V_m(w)``, the lone firm's value at experience ``w`` in ``[0, 1]``.

        Examples
        --------
        >>> import patentrace as pr
        >>> eq = pr.solve(pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> round(float(eq.single_firm_value(0.0)), 5)            # SPEC.md §3
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
        """Cells of the finest grid (0 at lag 0).

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), lag=0.4, max_speed=1.0)
        >>> pr.solve(race, steps=[5, 10]).steps
        10
        """
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
        nearest ``w``, in units of experience (a multiple of ``1 / steps``).

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), lag=0.4, max_speed=1.0)
        >>> pr.solve(race, steps=[10]).contested_gap(0.5)
        0.3
        """
        cell = self.cell(w)
        return 0.0 if self.grid is None else float(self.gaps[cell]) / self.steps

    def strategy(self, w1: float, w2: float) -> tuple[FloatArray, FloatArray]:
        """Each firm's mixed speed at ``(w1, w2)``: probabilities over :attr:`speeds`.

        At lag 0 the speeds are pure and returned as one-element arrays ``[x]``: the
        leader's lone speed and the follower's 0. A level state at lag 0 has no leader
        and is refused.

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
            if a == b:
                raise ValueError(f"w1 == w2 = {a}: at lag 0 the epsilon-preemption equilibrium needs a leader")
            lead = float(self.path.speed(max(a, b)))
            pair = (np.array([lead]), np.array([0.0]))
            return pair if a > b else (pair[1], pair[0])
        i, j = self.cell(a), self.cell(b)
        return np.asarray(self.grid.strategy[0][i, j]), np.asarray(self.grid.strategy[1][i, j])

    def verify(self) -> Verification:
        """Largest gain from a deviation and largest Bellman residual on the finest grid (0 at lag 0).

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), lag=0.4, max_speed=1.0)
        >>> gain, residual = pr.solve(race, steps=[10]).verify()
        >>> gain < 1e-12 and residual < 1e-12
        True
        """
        if self.grid is None:
            return Verification(0.0, 0.0)
        return self.grid.verify()

    def __repr__(self) -> str:
        race = self.model
        return (f"DeterministicEquilibrium(lag={race.lag}, max_speed={race.max_speed}, steps={self.steps}, "
                f"converged={self.converged})")

    def to_dict(self) -> dict[str, Any]:
        """Plain Python data, ready for ``json.dumps``.

        Examples
        --------
        >>> import json
        >>> import patentrace as pr
        >>> eq = pr.solve(pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> json.loads(json.dumps(eq.to_dict()))["model"]["lag"]
        0.0
        """
        race = self.model
        return {
            "model": {"type": "DeterministicRace", "prize": race.prize, "discount": race.discount,
                      "lag": race.lag, "max_speed": race.max_speed, "loser_prize": race.loser_prize},
            "speeds": self.speeds.tolist(), "gaps": self.gaps.tolist(), "positions": self.positions.tolist(),
            "refinement": [{"steps": r.steps, "speeds": r.speeds, "seconds": r.seconds, "gap": r.gap.tolist(),
                            "change": r.change} for r in self.refinement],
            "converged": self.converged,
            "grid": None if self.grid is None else self.grid.to_dict(),
            "solver": self.solver.to_dict(),
        }


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
        raise TypeError(f"{name} must be one number in [0, 1], got {w!r}")
    return float(at)


def perfect_monitoring(race: DeterministicRace, solver: SolverInfo) -> DeterministicEquilibrium:
    """The ε-preemption equilibrium of a race with lag 0 (SPEC.md §3)."""
    return DeterministicEquilibrium(
        model=race, path=single_firm_path(race), grid=None, speeds=np.zeros(0), gaps=np.zeros(0, dtype=np.intp),
        positions=np.zeros(0), refinement=(), converged=True, solver=solver,
    )
