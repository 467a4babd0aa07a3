"""The result of solving a race: arrays over states, the model, and a self-check.

An [`Equilibrium`][patentrace.Equilibrium] is immutable and self-describing: it holds the model
that produced it, the solver that ran and how, and every per-state quantity of
docs/theory/race.md as arrays of shape ``(2, N0 + 1, N1 + 1)`` indexed ``[firm, i, j]``.
[`Equilibrium.verify`][patentrace.Equilibrium.verify] re-derives optimality from the HJB without trusting
the solver: it searches each firm's effort at each state, rival held fixed.

Examples
--------
>>> import patentrace as pr
>>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
>>> round(float(eq.value[0, 0, 0]), 10)
0.1795728262
>>> check = eq.verify()
>>> check.max_deviation_gain < 1e-12 and check.max_residual < 1e-12
True
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from patentrace.equations.periods import PeriodGame, nashpy_agrees, period_game, progress_matrix
from patentrace.models import LaggedRace, Race
from patentrace.models.lattice import open_states
from patentrace.results import verification

__all__ = ["Equilibrium", "LaggedEquilibrium", "SolverInfo", "Verification"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

class Verification(NamedTuple):
    """What [`Equilibrium.verify`][patentrace.Equilibrium.verify] found, both relative numbers.

    Attributes
    ----------
    max_deviation_gain : float
        Largest gain any firm could get by changing its effort at any one state,
        rival and continuation held fixed, divided by the prize.
    max_residual : float
        Largest HJB residual ``|r V - [-c + h (A - V) + h' (B - V)]|``, divided by the
        state's value scale ``r |V| + c + h (|A| + |V|) + h' (|B| + |V|)`` (breakthrough
        terms alike; ``patentrace.results.verification.hjb_residual``): about the relative
        error of the value, a few rounding units when it is right.

    Examples
    --------
    >>> import patentrace as pr
    >>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> check = eq.verify()
    >>> check.max_deviation_gain < 1e-12, check.max_residual < 1e-12
    (True, True)
    """

    max_deviation_gain: float
    max_residual: float


@dataclass(frozen=True)
class SolverInfo:
    """How an equilibrium was computed.

    Attributes
    ----------
    method : str
        The solver, e.g. ``"backward"``.
    selection : str
        The rule applied where a state has several equilibria.
    options : dict
        The solver's numerical settings (grid, tolerances).
    version : str
        The patentrace version.
    seconds : float
        Wall-clock time of the solve.

    Examples
    --------
    >>> import patentrace as pr
    >>> info = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())).solver
    >>> info.method, info.selection, info.version == pr.__version__
    ('backward', 'fastest', True)
    """

    method: str
    selection: str
    options: dict[str, Any]
    version: str
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """Plain Python data.

        Examples
        --------
        >>> import patentrace as pr
        >>> info = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())).solver
        >>> data = info.to_dict()
        >>> data["method"], data["options"]["grid"]
        ('backward', 16)
        """
        return {"method": self.method, "selection": self.selection, "options": dict(self.options),
                "version": self.version, "seconds": self.seconds}


def _frozen(array: NDArray[Any]) -> NDArray[Any]:
    """A read-only array: ``array`` itself if neither it nor the array owning its memory can be written."""
    owner = array if array.base is None else array.base
    if not array.flags.writeable and isinstance(owner, np.ndarray) and not owner.flags.writeable:
        return array
    out = np.array(array, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class Equilibrium:
    """A Markov perfect equilibrium of a [`Race`][patentrace.Race] (docs/theory/race.md).

    Attributes
    ----------
    model : Race
        The race solved.
    effort : ndarray, shape (2, N0 + 1, N1 + 1)
        ``effort[k, i, j]``: firm ``k``'s effort at state ``(i, j)``; 0 at terminal states.
    hazard : ndarray, shape (2, N0 + 1, N1 + 1)
        ``lambda_k * effort``: firm ``k``'s rate of completing its current stage.
    value : ndarray, shape (2, N0 + 1, N1 + 1)
        Expected discounted payoff; ``prize`` / ``loser_prize`` at terminal states.
        The unreachable corner ``(N0, N1)`` holds ``(prize + loser_prize) / 2``.
    win_probability : ndarray, shape (2, N0 + 1, N1 + 1)
        Probability that firm ``k`` wins; 1 / 0 at terminal states, 1/2 at the corner.
        Always finite, whatever the size of the hazards ([`patentrace.results.chain`][patentrace.results.chain]). The
        two
        sum to 1 except where the race can stall: a state where both hazards (and
        breakthrough hazards) are exactly 0, efforts that underflow to 0 included, never
        moves again, and both firms' win probabilities there are 0.
    expected_duration : ndarray, shape (N0 + 1, N1 + 1)
        Expected time until someone wins. ``inf`` where the race can stall (it never ends)
        and where the expected time exceeds the largest double, about 1.8e308 (behind a
        hazard below about 5.6e-309, e.g. an effort of 1e-317); never NaN.
    multiplicity : ndarray of int, shape (N0 + 1, N1 + 1)
        Equilibria found at each state given the selected continuation; 1 at
        terminal states, 0 at the unreachable corner.
    underflow : ndarray of bool, shape (2, N0 + 1, N1 + 1)
        True where firm ``k``'s effort is 0 only because its continuation values
        are below the float range (about 1e-290 of the prize): in theory it is
        positive but smaller than any double. With quadratic costs a firm's
        value roughly squares with each stage it is behind, so long races with
        a large ``discount * scale / prize`` reach this quickly.
    solver : SolverInfo
        Method, selection rule, options, version and timing.

    Notes
    -----
    [`patentrace.solve`][patentrace.solve] checks every equilibrium it returns
    (``patentrace.results.verification.certify``): every array finite (``expected_duration``
    may be ``inf``, as above) and the HJB residual within ``tolerance`` of each state's
    value scale; otherwise it raises [`EquilibriumError`][patentrace.EquilibriumError] naming
    the array or check, the firm, the state and the numbers.

    Examples
    --------
    The two-stage race of docs/theory/race.md (``P = 1``, ``r = 0.1``, ``c(x) = x^2 / 2``):

    >>> import patentrace as pr
    >>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> eq.effort[:, 1, 0].round(10).tolist()   # firm 0 leads at (1, 0)
    [0.4686350713, 0.2494666666]
    >>> round(float(eq.value[0, 0, 0]), 10), round(float(eq.win_probability[0, 0, 1]), 10)
    (0.1795728262, 0.173698693)
    """

    model: Race
    effort: FloatArray
    hazard: FloatArray
    value: FloatArray
    win_probability: FloatArray
    expected_duration: FloatArray
    multiplicity: IntArray
    underflow: NDArray[np.bool_]
    solver: SolverInfo = field(repr=False)

    def __post_init__(self) -> None:
        for name in ("effort", "hazard", "value", "win_probability", "expected_duration", "multiplicity", "underflow"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    @classmethod
    def from_flat(cls, model: Race, solver: SolverInfo, flat: Mapping[str, NDArray[Any]], start: int) -> Equilibrium:
        """The equilibrium of ``model`` out of the flat arrays of a batch of races.

        Parameters
        ----------
        model : Race
            The race solved.
        solver : SolverInfo
            How it was solved.
        flat : mapping of str to ndarray
            Each per-state field (``effort`` to ``underflow``) over the states of a
            ``Layout`` of races, on the last axis.
        start : int
            Where ``model``'s states begin on that axis (its offset in the layout).

        Returns
        -------
        Equilibrium
            Its arrays are views of ``flat`` where ``flat`` is read-only, copies otherwise.

        Examples
        --------
        The second race of a compiled sweep:

        >>> import patentrace as pr
        >>> from patentrace.solvers.compiled import sweep_races
        >>> races = [pr.Race(stages=stages, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()) for stages in (1, 2)]
        >>> sweep = sweep_races(races)
        >>> info = SolverInfo("backward", "fastest", {}, pr.__version__, 0.0)
        >>> eq = Equilibrium.from_flat(races[1], info, sweep.arrays, start=int(sweep.layout.offset[1]))
        >>> round(float(eq.value[0, 0, 0]), 10)   # as in the two-stage race of docs/theory/race.md
        0.1795728262
        """
        n1, n2 = model.stages
        stop = start + (n1 + 1) * (n2 + 1)
        return cls(model=model, solver=solver, **{
            name: array[..., start:stop].reshape((*array.shape[:-1], n1 + 1, n2 + 1)) for name, array in flat.items()
        })

    def __repr__(self) -> str:
        n1, n2 = self.model.stages
        many = int(np.sum(self.multiplicity > 1))
        return (
            f"Equilibrium(stages=({n1}, {n2}), solver={self.solver.method!r}, "
            f"selection={self.solver.selection!r}, states_with_several_equilibria={many})"
        )

    def deviation_gain(self) -> FloatArray:
        """Best gain from a one-state deviation in effort, per firm and state (absolute).

        See ``patentrace.results.verification.deviation_gain``.

        Examples
        --------
        No firm gains by deviating anywhere in the two-stage race of docs/theory/race.md:

        >>> import patentrace as pr
        >>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> gain = eq.deviation_gain()
        >>> gain.shape, bool(gain.max() < 1e-12)
        ((2, 3, 3), True)
        """
        return verification.deviation_gain(self)

    def residual(self) -> FloatArray:
        """HJB residual per firm and state, relative to the state's value scale.

        See ``patentrace.results.verification.hjb_residual``.

        Examples
        --------
        Both firms' HJB equations hold to rounding in the two-stage race of docs/theory/race.md (2):

        >>> import patentrace as pr
        >>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> bool(eq.residual().max() < 1e-12)
        True
        """
        return verification.hjb_residual(self)

    def verify(self) -> Verification:
        """Check the equilibrium: largest profitable deviation and largest HJB residual.

        Returns
        -------
        Verification
            ``(max_deviation_gain, max_residual)``: the gain relative to the prize,
            the residual relative to the state's value scale. Nothing is raised;
            [`patentrace.solve`][patentrace.solve] checks the residual on every solve and, with
            ``verify=True``, the gain too, and raises on failure.

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.Race(stages=(3, 2), prize=1.0, discount=0.05,
        ...                cost=pr.costs.Power(scale=1.0, exponent=3.0, linear=0.02))
        >>> gain, residual = pr.solve(race).verify()
        >>> gain < 1e-10 and residual < 1e-12
        True
        """
        gain = float(np.max(self.deviation_gain())) / self.model.prize
        return Verification(max_deviation_gain=gain, max_residual=float(np.max(self.residual())))

    def to_dict(self) -> dict[str, Any]:
        """Plain Python data (nested lists), ready for ``json.dumps``.

        ``inf`` durations (stalling races) stay ``float('inf')``; use
        ``json.dumps(..., allow_nan=True)`` or replace them.

        Examples
        --------
        The numbers survive a round trip through JSON:

        >>> import patentrace as pr
        >>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> import json
        >>> data = json.loads(json.dumps(eq.to_dict()))
        >>> data["effort"][0][1][0], data["solver"]["method"]
        (0.4686350713, 'backward')
        """
        race = self.model
        return {
            "model": {
                "type": type(race).__name__,
                "stages": list(race.stages),
                "prize": race.prize,
                "loser_prize": race.loser_prize,
                "discount": race.discount,
                "cost": [repr(c) for c in race.cost],
                "productivity": [list(p) for p in race.productivity],
                "breakthrough": [list(b) for b in race.breakthrough],
            },
            "effort": self.effort.tolist(),
            "hazard": self.hazard.tolist(),
            "value": self.value.tolist(),
            "win_probability": self.win_probability.tolist(),
            "expected_duration": self.expected_duration.tolist(),
            "multiplicity": self.multiplicity.tolist(),
            "underflow": self.underflow.tolist(),
            "solver": self.solver.to_dict(),
        }

    def to_xarray(self) -> Any:
        """The arrays as an ``xarray.Dataset`` with coordinates ``firm``, ``i``, ``j``.

        Requires the optional ``xarray`` package (``pip install patentrace[xarray]``).

        Examples
        --------
        Each array becomes a variable over ``firm``, ``i`` and ``j``:

        >>> import patentrace as pr
        >>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> dataset = eq.to_xarray()
        >>> bool(dataset["effort"].sel(firm=0, i=1, j=0).item() == eq.effort[0, 1, 0]), dataset.attrs["solver"]
        (True, 'backward')
        """
        try:
            import xarray as xr
        except ImportError as err:  # pragma: no cover - depends on the environment
            raise ImportError("to_xarray needs xarray: pip install 'patentrace[xarray]'") from err
        n1, n2 = self.model.stages
        coords = {"firm": [0, 1], "i": np.arange(n1 + 1), "j": np.arange(n2 + 1)}
        per_firm = ("firm", "i", "j")
        return xr.Dataset(
            {
                "effort": (per_firm, self.effort),
                "hazard": (per_firm, self.hazard),
                "value": (per_firm, self.value),
                "win_probability": (per_firm, self.win_probability),
                "expected_duration": (("i", "j"), self.expected_duration),
                "multiplicity": (("i", "j"), self.multiplicity),
                "underflow": (per_firm, self.underflow),
            },
            coords=coords,
            attrs={"solver": self.solver.method, "selection": self.solver.selection, "version": self.solver.version},
        )


@dataclass(frozen=True, eq=False)
class LaggedEquilibrium:
    """A stationary equilibrium of a [`LaggedRace`][patentrace.LaggedRace] (docs/theory/periods.md).

    Attributes
    ----------
    model : LaggedRace
        The race solved; its ``lag`` is the length of a period.
    strategy : (ndarray, ndarray)
        ``strategy[k][i, j, a]``: probability that firm ``k`` plays its action ``a`` at
        ``(i, j)``; shapes ``(N0 + 1, N1 + 1, m_k)``, zero at terminal states.
    value : ndarray, shape (2, N0 + 1, N1 + 1)
        Expected discounted payoffs; prize / loser prize at terminal states.
    win_probability : ndarray, shape (2, N0 + 1, N1 + 1)
        Probability that firm ``k`` wins outright (a tie broken by ``tie="first"`` counts).
    tie_probability : ndarray, shape (N0 + 1, N1 + 1)
        Probability that the race ends in a tie that shares or forfeits the prize.
        ``win_0 + win_1 + tie = 1`` except where the race can stall (nobody advances).
    expected_duration : ndarray, shape (N0 + 1, N1 + 1)
        Expected number of periods until the race ends (``inf`` where it can stall).
    multiplicity : ndarray of int, shape (N0 + 1, N1 + 1)
        Equilibria found at each state given the selected continuation.
    degenerate : ndarray of bool, shape (N0 + 1, N1 + 1)
        States whose period game is degenerate at an equilibrium found (a firm has more
        pure best responses than its support): equilibria may form a continuum there.
    solver : SolverInfo
        Method, selection rule, options (``complete``: whether every support size was
        enumerated everywhere), version, time.

    Examples
    --------
    The oracle of docs/theory/periods.md (P5): one stage, shirk (effort 0) or work (effort 0.5 for one
    period, cost 0.125, success probability ``p = 1 - e^-0.5``). Work costs less than
    ``beta p P (1 - p/2)``, so both firms working is the unique equilibrium:

    >>> import patentrace as pr
    >>> race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> eq = pr.solve(pr.LaggedRace.from_race(race, lag=1.0, efforts=[0.0, 0.5]))
    >>> eq.strategy[0][0, 0], int(eq.multiplicity[0, 0])
    (array([0., 1.]), 1)
    """

    model: LaggedRace
    strategy: tuple[FloatArray, FloatArray]
    value: FloatArray
    win_probability: FloatArray
    tie_probability: FloatArray
    expected_duration: FloatArray
    multiplicity: IntArray
    degenerate: NDArray[np.bool_]
    solver: SolverInfo = field(repr=False)

    def __post_init__(self) -> None:
        for name in ("value", "win_probability", "tie_probability", "expected_duration", "multiplicity",
                     "degenerate"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        object.__setattr__(self, "strategy", (_frozen(self.strategy[0]), _frozen(self.strategy[1])))

    def advance_probability(self) -> FloatArray:
        """Probability that each firm advances at least one stage in a period, shape ``(2, N0 + 1, N1 + 1)``.

        Examples
        --------
        In the oracle (P5) of docs/theory/periods.md (one stage, efforts 0 and 0.5 over a period of length 1) both
        firms work, so each advances with probability ``1 - e^-0.5``.

        >>> import math
        >>> import patentrace as pr
        >>> race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
        >>> eq = pr.solve(pr.LaggedRace.from_race(race, lag=1.0, efforts=[0.0, 0.5]))
        >>> bool(abs(eq.advance_probability()[0, 0, 0] - (1 - math.exp(-0.5))) < 1e-15)
        True
        """
        out = np.zeros((2, *self.model.shape))
        for i, j in zip(*np.nonzero(open_states(self.model.stages)), strict=True):
            for firm, stage in ((0, int(i)), (1, int(j))):
                still = progress_matrix(self.model, firm, stage)[:, 0]
                out[firm, i, j] = float(self.strategy[firm][i, j] @ (1.0 - still))
        return out

    @property
    def expected_time(self) -> FloatArray:
        """Expected duration in units of time: periods times the lag.

        Examples
        --------
        The race ends in the first period in which a firm succeeds: after ``1 / (1 - (1 - p)^2)``
        periods of length 1, ``p = 1 - e^-0.5`` (the oracle (P5) of docs/theory/periods.md, both working).

        >>> import math
        >>> import patentrace as pr
        >>> race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
        >>> eq = pr.solve(pr.LaggedRace.from_race(race, lag=1.0, efforts=[0.0, 0.5]))
        >>> p = 1 - math.exp(-0.5)
        >>> bool(abs(eq.expected_time[0, 0] - 1.0 / (1 - (1 - p) ** 2)) < 1e-12)    # lag 1
        True
        """
        return np.asarray(self.expected_duration * self.model.lag)

    def __repr__(self) -> str:
        n1, n2 = self.model.stages
        many = int(np.sum(self.multiplicity > 1))
        return (f"LaggedEquilibrium(stages=({n1}, {n2}), lag={self.model.lag}, "
                f"selection={self.solver.selection!r}, states_with_several_equilibria={many})")

    def _period_games(self) -> Iterator[tuple[int, int, PeriodGame]]:
        """Each open state ``(i, j)`` with its period game ``M(v)`` (docs/theory/periods.md (P2)), from the values."""
        for i, j in zip(*np.nonzero(open_states(self.model.stages)), strict=True):
            yield int(i), int(j), period_game(self.model, self.value, int(i), int(j))

    def verify(self) -> Verification:
        """Check the equilibrium: largest gain from a pure action, largest Bellman residual.

        At every open state the period game ``M_k(v_k)`` is rebuilt from the stored
        values; the gain is the best pure action's payoff minus the value, the residual
        ``|v_k - sigma_0' M_k(v_k) sigma_1|``; both relative to the prize.

        Examples
        --------
        >>> import patentrace as pr
        >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
        >>> race = pr.LaggedRace(stages=2, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
        >>> gain, residual = pr.solve(race).verify()
        >>> gain < 1e-12 and residual < 1e-12
        True
        """
        gain, residual = 0.0, 0.0
        for i, j, game in self._period_games():
            s1, s2 = self.strategy[0][i, j], self.strategy[1][i, j]
            v1, v2 = self.value[0, i, j], self.value[1, i, j]
            m1, m2 = game.payoff(0, v1), game.payoff(1, v2)
            gain = max(gain, float(np.max(m1 @ s2)) - v1, float(np.max(s1 @ m2)) - v2)
            residual = max(residual, abs(v1 - float(s1 @ m1 @ s2)), abs(v2 - float(s1 @ m2 @ s2)))
        return Verification(max_deviation_gain=float(max(gain, 0.0)) / self.model.prize,
                            max_residual=float(residual) / self.model.prize)

    def nashpy_disagrees(self) -> list[tuple[int, int]]:
        """States whose profile nashpy's vertex enumeration of ``M(v)`` does not contain.

        An independent check of every state's equilibrium; empty when all agree.
        Degenerate states can hold equilibria that are not vertices.

        Examples
        --------
        nashpy's vertex enumeration finds the equilibrium of the oracle (P5), docs/theory/periods.md (both work) too.

        >>> import patentrace as pr
        >>> race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
        >>> eq = pr.solve(pr.LaggedRace.from_race(race, lag=1.0, efforts=[0.0, 0.5]))
        >>> eq.nashpy_disagrees()
        []
        """
        out = []
        for i, j, game in self._period_games():
            profile = (self.strategy[0][i, j], self.strategy[1][i, j])
            if not nashpy_agrees(game, profile, self.value[:, i, j]):
                out.append((int(i), int(j)))
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain Python data (nested lists), ready for ``json.dumps``.

        Examples
        --------
        Firm 0's mixed action at the start of the oracle (P5) of docs/theory/periods.md, and that a tie can happen.

        >>> import patentrace as pr
        >>> race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
        >>> eq = pr.solve(pr.LaggedRace.from_race(race, lag=1.0, efforts=[0.0, 0.5]))
        >>> data = eq.to_dict()
        >>> data["strategy"][0][0][0], data["tie_probability"][0][0] > 0
        ([0.0, 1.0], True)
        """
        return {
            "model": {"type": "LaggedRace", "stages": list(self.model.stages), "prize": self.model.prize,
                      "loser_prize": self.model.loser_prize, "discount": self.model.discount,
                      "lag": self.model.lag, "tie": self.model.tie,
                      "breakthrough": [list(b) for b in self.model.breakthrough]},
            "strategy": [self.strategy[0].tolist(), self.strategy[1].tolist()],
            "value": self.value.tolist(),
            "win_probability": self.win_probability.tolist(),
            "tie_probability": self.tie_probability.tolist(),
            "expected_duration": self.expected_duration.tolist(),
            "multiplicity": self.multiplicity.tolist(),
            "degenerate": self.degenerate.tolist(),
            "solver": self.solver.to_dict(),
        }
