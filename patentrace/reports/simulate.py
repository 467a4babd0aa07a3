"""Monte Carlo histories of a solved race: an independent check of the computed chances (docs/theory/leapfrog.md).

[`simulate`][patentrace.simulate] draws many histories of the race from a start state, with both
firms playing their equilibrium strategies, and counts what happened: who won,
whether the follower was ever strictly ahead (leapfrogging; a win counts) or ever
level (catching up), and how long the race took. The definitions are those of
[`patentrace.leapfrog`][patentrace.leapfrog]: the follower is the firm with more stages left at the
start. The counts estimate ``eq.win_probability[:, i, j]``,
``eq.expected_duration[i, j]`` and the report's ``follower_win_probability``,
``leapfrog_probability`` and ``catch_up_probability``, by a route that shares
nothing with their backward recursions.

- [`Race`][patentrace.Race] (docs/theory/race.md): at an open state the next event comes
  after an exponential holding time with rate ``h_0 + h_1``; it is firm 0's success
  with probability ``h_0 / (h_0 + h_1)``. With breakthroughs (docs/theory/race.md (14)-(15)) the rate is
  ``h_0 + h_1 + b_0 + b_1`` and the event is firm ``k``'s outright win with
  probability ``b_k`` over that rate.
- [`LaggedRace`][patentrace.LaggedRace] (docs/theory/periods.md): in each period every firm mixes over
  its actions and advances a random number of stages. Periods in which nobody
  moves (the self-loop) are skipped in one draw: their number is geometric with
  the probability of a move. Both firms crossing the finish line in one period is
  a tie, broken by the race's tie rule. Durations are counted in periods.

All paths advance together (numpy arrays over paths); the only loop is over
events, at most ``N0 + N1 - 1`` of them. A state where nobody can move is a
**stall**: a path that reaches one stops there and is counted in
``stall_frequency``, and the mean duration is then infinite, as
``eq.expected_duration`` is.

Examples
--------
>>> import patentrace as pr
>>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
>>> sim = pr.simulate(eq, start=(0, 1), paths=20_000, seed=1)
>>> sim.follower
0
>>> bool(abs(sim.win_frequency[0] - eq.win_probability[0, 0, 1]) < 4 * sim.win_standard_error[0])
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Integral
from typing import Any, overload

import numpy as np
from numpy.typing import NDArray

from patentrace.equations.periods import progress_matrix
from patentrace.models.lagged import LaggedRace
from patentrace.models.lattice import check_state, open_states
from patentrace.models.race import Race
from patentrace.reports._sampling import Tally, follower_at_start, frequency, seeded_generator
from patentrace.reports.nfirm import NFirmSimulation, simulate_nfirm
from patentrace.reports.tug_simulate import TugSimulation, simulate_tug
from patentrace.results.chain import jump_weights
from patentrace.results.equilibrium import Equilibrium, LaggedEquilibrium, _freeze_fields
from patentrace.results.nfirm import NFirmEquilibrium
from patentrace.results.tug_equilibrium import TugEquilibrium

__all__ = ["FIRST_WINS", "SECOND_WINS", "STALLED", "TIE", "SamplePaths", "Simulation", "simulate"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
_Event = tuple[Any, IntArray, IntArray]  # time waited, stages advanced by firm 0 and by firm 1

# How a path ended.
FIRST_WINS, SECOND_WINS, TIE, STALLED = 0, 1, 2, 3
# Move probabilities below this draw their waiting periods in floats (numpy's geometric saturates).
_RARE_MOVE = 1e-12
_OUTCOME_NAMES = {FIRST_WINS: "firm 0 wins", SECOND_WINS: "firm 1 wins", TIE: "tie", STALLED: "stalled"}

CHUNK = 1 << 18  # paths drawn together: bounds memory, fixed so that a seed always gives the same numbers
MAX_SAMPLE = 10_000


@dataclass(frozen=True, eq=False)
class SamplePaths:
    """Some simulated histories, state by state.

    Attributes
    ----------
    i, j : ndarray of int, shape (paths, events + 1)
        Stages completed by firm 0 and firm 1 after each event; a path that has
        ended repeats its last state.
    time : ndarray, shape (paths, events + 1)
        When each state was entered (time for a ``Race``, periods for a ``LaggedRace``).
    length : ndarray of int, shape (paths,)
        Number of states each path visited, the start included.
    outcome : ndarray of int, shape (paths,)
        ``FIRST_WINS`` (0), ``SECOND_WINS`` (1), ``TIE`` (2) or ``STALLED`` (3).

    Examples
    --------
    >>> import patentrace as pr
    >>> eq = pr.solve(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> paths = pr.simulate(eq, (0, 0), 10, seed=0, sample=2).sample
    >>> paths.length.tolist(), paths.i.shape     # one event ends a one-stage race
    ([2, 2], (2, 2))
    """

    i: IntArray
    j: IntArray
    time: FloatArray
    length: IntArray
    outcome: IntArray

    def __post_init__(self) -> None:
        _freeze_fields(self, ("i", "j", "time", "length", "outcome"))


@dataclass(frozen=True, eq=False)
class Simulation(Tally[Race | LaggedRace, tuple[int, int]]):
    """Frequencies from simulated histories, with their standard errors (docs/theory/leapfrog.md).

    Every frequency ``f`` over ``n`` paths comes with its standard error
    ``sqrt(f (1 - f) / n)``; the mean duration with ``s / sqrt(n)``, ``s`` the
    sample standard deviation.

    Attributes
    ----------
    model : Race or LaggedRace
        The race simulated.
    start : (int, int)
        The state every path starts from.
    paths : int
        Number of paths.
    seed : int
        The seed used: ``simulate(eq, start, paths, seed)`` repeats the numbers exactly.
        When none was given, the fresh entropy drawn.
    follower, leader : int or None
        As in [`patentrace.leapfrog`][patentrace.leapfrog]: the firm with more (fewer) stages left at
        ``start``; None when level.
    win_frequency, win_standard_error : ndarray, shape (2,)
        Share of paths each firm won outright (a tie broken by ``tie="first"`` counts).
    tie_frequency, tie_standard_error : float
        Share of paths ending in a tie (lagged races only; 0 in continuous time).
    stall_frequency, stall_standard_error : float
        Share of paths that reached a state where nobody can move.
    leapfrog_frequency, leapfrog_standard_error : float or None
        Share of paths on which the follower was ever strictly ahead (a win counts);
        None when level at the start.
    catch_up_frequency, catch_up_standard_error : float or None
        Share of paths on which the follower ever drew level or got ahead (a tie counts).
    mean_duration, duration_standard_error : float
        Mean time until the race ended (periods for a lagged race); ``inf`` if a path stalled.
    duration_unit : str
        ``"time"`` or ``"periods"``.
    sample : SamplePaths or None
        The first paths in full, when asked for.

    Examples
    --------
    >>> import patentrace as pr
    >>> eq = pr.solve(pr.Race(stages=(2, 3), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> sim = pr.simulate(eq, (0, 0), 5000, seed=3)
    >>> sim.follower, sim.duration_unit, sim.to_dict()["paths"]
    (1, 'time', 5000)
    """

    tie_frequency: float
    tie_standard_error: float
    stall_frequency: float
    stall_standard_error: float
    duration_unit: str
    sample: SamplePaths | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        _freeze_fields(self, ("win_frequency", "win_standard_error"), dtype=float)

    @property
    def mean_time(self) -> tuple[float, float]:
        """Mean duration in units of time and its standard error: periods times the lag in a lagged race.

        The counterpart of ``LaggedEquilibrium.expected_time`` (and of ``expected_duration`` for a ``Race``).

        Examples
        --------
        >>> import patentrace as pr
        >>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> sim = pr.simulate(eq, (0, 1), 20_000, seed=1)
        >>> mean, error = sim.mean_time            # against the computed expected duration
        >>> bool(abs(mean - eq.expected_duration[0, 1]) < 4 * error)
        True
        """
        lag = float(getattr(self.model, "lag", 1.0)) if self.duration_unit == "periods" else 1.0
        return self.mean_duration * lag, self.duration_standard_error * lag

    def __repr__(self) -> str:
        return (f"Simulation(start={self.start}, paths={self.paths}, seed={self.seed}, "
                f"win_frequency={self.win_frequency.tolist()}, mean_duration={self.mean_duration!r})")

    def __str__(self) -> str:
        i, j = self.start
        rows = [f"Simulation from state ({i}, {j}): {self.paths} paths, seed {self.seed}",
                "  frequency             estimate     standard error"]

        def row(label: str, value: float, error: float) -> None:
            rows.append(f"  {label:<20} {value:12.6f} {error:12.6f}")

        row("firm 0 wins", float(self.win_frequency[0]), float(self.win_standard_error[0]))
        row("firm 1 wins", float(self.win_frequency[1]), float(self.win_standard_error[1]))
        if self.tie_frequency:
            row("tie", self.tie_frequency, self.tie_standard_error)
        if self.stall_frequency:
            row("stalled", self.stall_frequency, self.stall_standard_error)
        if self.follower is None:
            rows.append("  level at the start: no follower")
        else:
            assert self.leapfrog_frequency is not None and self.leapfrog_standard_error is not None
            assert self.catch_up_frequency is not None and self.catch_up_standard_error is not None
            rows.append(f"  follower: firm {self.follower}")
            row("follower leapfrogs", self.leapfrog_frequency, self.leapfrog_standard_error)
            row("follower catches up", self.catch_up_frequency, self.catch_up_standard_error)
        row(f"mean duration ({self.duration_unit})", self.mean_duration, self.duration_standard_error)
        return "\n".join(rows)

    def to_dict(self) -> dict[str, Any]:
        """Plain Python data, ready for ``json.dumps`` (an infinite duration stays ``inf``).

        Examples
        --------
        >>> import patentrace as pr
        >>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> sim = pr.simulate(eq, (0, 1), 20_000, seed=1)
        >>> data = sim.to_dict()
        >>> data["paths"], data["follower"], data["duration_unit"]
        (20000, 0, 'time')
        """
        out: dict[str, Any] = {
            "start": list(self.start), "paths": self.paths, "seed": self.seed,
            "follower": self.follower, "leader": self.leader,
            "win_frequency": self.win_frequency.tolist(), "win_standard_error": self.win_standard_error.tolist(),
            "tie_frequency": self.tie_frequency, "tie_standard_error": self.tie_standard_error,
            "stall_frequency": self.stall_frequency, "stall_standard_error": self.stall_standard_error,
            "leapfrog_frequency": self.leapfrog_frequency, "leapfrog_standard_error": self.leapfrog_standard_error,
            "catch_up_frequency": self.catch_up_frequency, "catch_up_standard_error": self.catch_up_standard_error,
            "mean_duration": self.mean_duration, "duration_standard_error": self.duration_standard_error,
            "duration_unit": self.duration_unit,
        }
        if self.sample is not None:
            out["sample"] = {"i": self.sample.i.tolist(), "j": self.sample.j.tolist(),
                             "time": self.sample.time.tolist(), "length": self.sample.length.tolist(),
                             "outcome": self.sample.outcome.tolist()}
        return out


def _count(name: str, value: object, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}")
    number = int(value)
    if number < low or (high is not None and number > high):
        bound = f">= {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{name} must be {bound}, got {number}")
    return number


@dataclass
class _Paths:
    """The state of a batch of paths while they advance (mutable, private)."""

    i: IntArray
    j: IntArray
    elapsed: FloatArray
    moves: IntArray
    outcome: IntArray
    alive: BoolArray
    ahead: BoolArray
    level: BoolArray

    @staticmethod
    def start(n: int, i: int, j: int) -> _Paths:
        return _Paths(i=np.full(n, i, dtype=np.int64), j=np.full(n, j, dtype=np.int64), elapsed=np.zeros(n),
                      moves=np.zeros(n, dtype=np.int64), outcome=np.full(n, -1, dtype=np.int64),
                      alive=np.ones(n, dtype=bool), ahead=np.zeros(n, dtype=bool), level=np.zeros(n, dtype=bool))


class _ContinuousChain:
    """Events of a [`Race`][patentrace.Race]: exponential holding times, then a firm's success (docs/theory/race.md)."""

    tie_rule = None

    def __init__(self, eq: Equilibrium):
        race = eq.model
        self.stages: tuple[int, int] = race.stages
        self.hazard = np.asarray(eq.hazard)
        self.jump = np.zeros_like(self.hazard)  # b_k at every state; 0 where firm k has finished
        self.jump[0, : race.stages[0], :] = race.breakthrough_array(0)[:, None]
        self.jump[1, :, : race.stages[1]] = race.breakthrough_array(1)[None, :]

    def rate(self, i: IntArray, j: IntArray) -> FloatArray:
        """Rate of the next event, ``h_0 + h_1 + b_0 + b_1``."""
        return np.asarray(self.hazard[0, i, j] + self.hazard[1, i, j] + self.jump[0, i, j] + self.jump[1, i, j])

    def draw(self, rng: np.random.Generator, i: IntArray, j: IntArray, rate: FloatArray) -> _Event:
        """Holding times and advances: firm 0 succeeds with probability ``h_0 / rate``.

        A breakthrough advances its firm to the finish line.
        """
        # The rates divided by the largest (patentrace.results.chain.jump_weights): no overflow of their sum
        # and no 0 * inf. Below a subnormal rate the holding time overflows to inf, as its mean does.
        del rate
        w0, w1, total, scale = jump_weights(self.hazard[0, i, j], self.hazard[1, i, j],
                                            self.jump[:, i, j])
        with np.errstate(over="ignore"):
            waited = rng.standard_exponential(i.size) / scale / total
        u = rng.random(i.size) * total
        h0, h1, b0 = w0, w1, self.jump[0, i, j] / scale
        d1 = (u < h0).astype(np.int64)
        d2 = 1 - d1
        first_jumps = (u >= h0 + h1) & (u < h0 + h1 + b0)
        second_jumps = u >= h0 + h1 + b0
        d1 = np.where(first_jumps, self.stages[0] - i, np.where(second_jumps, 0, d1))
        d2 = np.where(first_jumps, 0, np.where(second_jumps, self.stages[1] - j, d2))
        return waited, d1, d2


class _PeriodChain:
    """Events of a ``LaggedRace``: the first period in which a firm advances (docs/theory/periods.md).

    With ``a = sigma_0 D_0`` and ``b = sigma_1 D_1`` the firms' distributions of stages advanced
    in a period, somebody moves with probability ``(1 - a_0) + a_0 (1 - b_0)``; the number of
    periods until then is geometric. Given a move, ``d_1 = 0`` has probability
    ``a_0 (1 - b_0) / move`` and ``d_1 = d > 0`` has ``a_d / move``; then ``d_2`` is drawn
    from ``b``, or from ``b`` given ``d_2 > 0`` when ``d_1 = 0``.
    """

    def __init__(self, eq: LaggedEquilibrium):
        race = eq.model
        self.stages: tuple[int, int] = race.stages
        self.tie_rule: Any = race.tie
        width = [max(progress_matrix(race, k, s).shape[1] for s in range(race.stages[k])) for k in (0, 1)]
        self.move = np.zeros(race.shape)
        self.first_cdf = np.ones((*race.shape, width[0]))
        self.second_cdf = np.ones((*race.shape, width[1]))
        self.second_moved_cdf = np.ones((*race.shape, width[1]))
        for i, j in zip(*np.nonzero(open_states(race.stages)), strict=True):
            a = eq.strategy[0][i, j] @ progress_matrix(race, 0, int(i))
            b = eq.strategy[1][i, j] @ progress_matrix(race, 1, int(j))
            a_moves, b_moves = float(a[1:].sum()), float(b[1:].sum())  # summed directly: no 1 - a_0 cancellation
            move = a_moves + float(a[0]) * b_moves
            self.move[i, j] = min(move, 1.0)
            if move > 0.0:
                self.first_cdf[i, j, : a.size] = _cdf(np.concatenate([[a[0] * b_moves], a[1:]]))
                self.second_cdf[i, j, : b.size] = _cdf(b)
                if b_moves > 0.0:
                    self.second_moved_cdf[i, j, : b.size] = _cdf(np.concatenate([[0.0], b[1:]]))

    def rate(self, i: IntArray, j: IntArray) -> FloatArray:
        """Probability that somebody advances in a period."""
        return np.asarray(self.move[i, j])

    def draw(self, rng: np.random.Generator, i: IntArray, j: IntArray, rate: FloatArray) -> _Event:
        """Periods until a move (this one included) and the stages each firm advances in it."""
        waited = rng.geometric(rate).astype(float)
        rare = rate < _RARE_MOVE
        if rare.any():  # numpy's geometric saturates at 2**63 - 1: inverse transform in floats, inf past the range
            with np.errstate(over="ignore", divide="ignore"):
                waited[rare] = np.ceil(rng.standard_exponential(int(rare.sum())) / -np.log1p(-rate[rare]))
        d1 = _draw(self.first_cdf[i, j], rng.random(i.size))
        second = np.where((d1 == 0)[:, None], self.second_moved_cdf[i, j], self.second_cdf[i, j])
        return waited, d1, _draw(second, rng.random(i.size))


def _advance(chain: _ContinuousChain | _PeriodChain, rng: np.random.Generator, paths: _Paths) -> None:
    """One event for every live path: stop the stalled ones, move the others, record how they end."""
    idx = np.flatnonzero(paths.alive)
    i, j = paths.i[idx], paths.j[idx]
    rate = chain.rate(i, j)
    stalled = rate == 0.0
    paths.outcome[idx[stalled]] = STALLED
    paths.alive[idx[stalled]] = False
    idx, i, j, rate = idx[~stalled], i[~stalled], j[~stalled], rate[~stalled]
    waited, d1, d2 = chain.draw(rng, i, j, rate)
    paths.elapsed[idx] += waited
    paths.moves[idx] += 1
    n1, n2 = chain.stages
    cross1, cross2 = i + d1 >= n1, j + d2 >= n2
    outcome = np.full(idx.size, -1, dtype=np.int64)
    outcome[cross1 & ~cross2] = FIRST_WINS
    outcome[cross2 & ~cross1] = SECOND_WINS
    both = cross1 & cross2
    outcome[both] = TIE
    if chain.tie_rule == "first":
        # at constant speed firm k crosses after (N_k - stage) / d_k of the period: compare crosswise
        late1, late2 = (n1 - i) * d2, (n2 - j) * d1
        outcome[both & (late1 < late2)] = FIRST_WINS
        outcome[both & (late2 < late1)] = SECOND_WINS
    paths.i[idx] = np.minimum(i + d1, n1)
    paths.j[idx] = np.minimum(j + d2, n2)
    ended = outcome >= 0
    paths.outcome[idx[ended]] = outcome[ended]
    paths.alive[idx[ended]] = False


def _cdf(probabilities: FloatArray) -> FloatArray:
    """Cumulative probabilities, normalised, exactly 1 from the last category with positive probability on."""
    cdf = np.cumsum(probabilities) / probabilities.sum()
    last = int(np.flatnonzero(probabilities > 0.0)[-1]) if np.any(probabilities > 0.0) else 0
    cdf[last:] = 1.0
    return np.asarray(cdf)


def _draw(cdf: FloatArray, u: FloatArray) -> IntArray:
    """Inverse-CDF draw per row: the number of entries of ``cdf[k]`` at or below ``u[k]``."""
    out = np.zeros(u.size, dtype=np.int64)
    for column in range(cdf.shape[1] - 1):  # the last entry is 1 > u
        out += u >= cdf[:, column]
    return out


def _mark_follower(paths: _Paths, follower: int, stages: tuple[int, int]) -> None:
    """Record, after an event, whether the follower is strictly ahead or level (a win counts as ahead)."""
    left0, left1 = stages[0] - paths.i, stages[1] - paths.j
    gap = left0 - left1 if follower == 0 else left1 - left0
    going_on = paths.outcome < 0
    won = paths.outcome == (FIRST_WINS if follower == 0 else SECOND_WINS)
    paths.ahead |= (going_on & (gap < 0)) | won
    paths.level |= (going_on & (gap <= 0)) | won | (paths.outcome == TIE)


@dataclass
class _Moments:
    """Count, mean and sum of squared deviations, merged chunk by chunk (Chan, Golub and LeVeque).

    The running sums are kept for the values divided by ``scale``, a power of two at least
    their largest magnitude (raised, exactly, when a larger value arrives): the squares of
    holding times near the float range then cannot overflow, while their standard error can
    still be represented, and the results are those of the unscaled sums wherever those are finite.
    """

    count: int = 0
    mean: float = 0.0
    squares: float = 0.0
    scale: float = 0.0  # 0 until the first value

    def add(self, values: FloatArray) -> None:
        if values.size == 0:
            return
        if not np.all(np.isfinite(values)):  # a holding time beyond the float range: the mean is too
            self.count += values.size
            self.mean = self.squares = math.inf
            return
        self._cover(float(np.max(np.abs(values))))
        scaled = values / self.scale
        count, mean = values.size, float(scaled.mean())
        squares = float(np.sum((scaled - mean) ** 2))
        total = self.count + count
        delta = mean - self.mean
        self.mean += delta * count / total
        self.squares += squares + delta * delta * self.count * count / total
        self.count = total

    def _cover(self, peak: float) -> None:
        """Raise ``scale`` to a power of two at least ``peak``, rescaling the sums so far (exactly)."""
        if math.isinf(self.mean) or (self.scale > 0.0 and peak <= self.scale):
            return
        scale = math.ldexp(1.0, math.frexp(peak)[1]) if peak > 0.0 else 1.0
        if self.scale > 0.0:
            ratio = self.scale / scale
            self.mean *= ratio
            self.squares *= ratio * ratio
        self.scale = scale

    def mean_and_error(self) -> tuple[float, float]:
        """The mean and its standard error ``s / sqrt(n)``."""
        if math.isinf(self.mean):
            return math.inf, math.inf
        mean = self.mean * self.scale if self.scale > 0.0 else self.mean
        if self.count < 2:
            return mean, 0.0
        return mean, math.sqrt(self.squares / (self.count - 1) / self.count) * self.scale


@overload
def simulate(eq: TugEquilibrium, start: int | None, paths: int, seed: int | None = ..., *,
             sample: int = ...) -> TugSimulation: ...


@overload
def simulate(eq: NFirmEquilibrium, start: Any, paths: int, seed: int | None = ..., *,
             sample: int = ..., follower: int | None = ...) -> NFirmSimulation: ...


@overload
def simulate(eq: Equilibrium | LaggedEquilibrium, start: tuple[int, int], paths: int, seed: int | None = ..., *,
             sample: int = ...) -> Simulation: ...


def simulate(
    eq: Equilibrium | LaggedEquilibrium | TugEquilibrium | NFirmEquilibrium,
    start: Any,
    paths: int,
    seed: int | None = None,
    *,
    sample: int = 0,
    follower: int | None = None,
) -> Simulation | TugSimulation | NFirmSimulation:
    """Simulate histories of a solved race from ``start`` under the equilibrium strategies.

    Parameters
    ----------
    eq : Equilibrium or LaggedEquilibrium
        A solved [`Race`][patentrace.Race] or [`LaggedRace`][patentrace.LaggedRace].
        A ``TugEquilibrium`` (docs/theory/tug-of-war.md) goes to patentrace.reports.tug_simulate, with
        ``start`` a position (an int, or None for the model's) and no ``sample``. An
        ``NFirmEquilibrium`` (``n >= 3`` firms) goes to patentrace.reports.nfirm, with ``start``
        one entry per firm, no ``sample``, and ``follower`` the firm whose leapfrogging is counted.
    start : (int, int)
        Stages completed ``(i, j)`` at the start; ``0 <= i <= N0``, ``0 <= j <= N1``,
        not both finished.
    paths : int
        Number of histories, ``>= 1``.
    seed : int, optional
        ``>= 0``; the same seed gives the same numbers. None draws fresh entropy
        (recorded in the result's ``seed``).
    sample : int
        Keep this many paths in full (``0 <= sample <= min(paths, 10000)``).

    Returns
    -------
    Simulation
        Frequencies and their standard errors; estimates of the chances of docs/theory/leapfrog.md.

    Raises
    ------
    TypeError
        If ``eq`` is not a solved race, or ``paths``, ``seed`` or ``sample`` are not integers.
    ValueError
        If ``start`` is outside the race, ``paths < 1``, ``seed < 0`` or ``sample`` out of range.

    Examples
    --------
    >>> import patentrace as pr
    >>> eq = pr.solve(pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> sim = pr.simulate(eq, start=(0, 0), paths=1000, seed=7, sample=3)
    >>> sim.paths, sim.sample.i.shape
    (1000, (3, 5))
    >>> pr.simulate(eq, start=(0, 0), paths=0)
    Traceback (most recent call last):
    ...
    ValueError: paths must be >= 1, got 0
    """
    if isinstance(eq, NFirmEquilibrium):
        if sample:
            raise ValueError(f"sample must be 0 for a race of more than two firms (no paths are kept), got {sample!r}")
        return simulate_nfirm(eq, start, paths, seed, follower)
    if follower is not None:
        raise ValueError(f"follower can be named only in a race of more than two firms, got {follower!r}")
    if isinstance(eq, TugEquilibrium):
        if sample:
            raise ValueError(f"sample must be 0 for a TugEquilibrium (no paths are kept), got {sample!r}")
        return simulate_tug(eq, start, paths, seed)
    if not isinstance(eq, (Equilibrium, LaggedEquilibrium)):
        raise TypeError(f"eq must be a patentrace.Equilibrium or LaggedEquilibrium, got {type(eq).__name__}")
    stages = eq.model.stages
    i0, j0 = check_state(start, stages)
    n = _count("paths", paths, 1)
    keep = _count("sample", sample, 0, min(n, MAX_SAMPLE))
    entropy, rng = seeded_generator(None if seed is None else _count("seed", seed, 0))
    chain = _PeriodChain(eq) if isinstance(eq, LaggedEquilibrium) else _ContinuousChain(eq)
    follower = follower_at_start(stages[0] - i0, stages[1] - j0)

    wins, ties, stalls, leaps, catches = np.zeros(2, dtype=np.int64), 0, 0, 0, 0
    durations = _Moments()
    kept: SamplePaths | None = None
    for begin in range(0, n, CHUNK):
        size = min(CHUNK, n - begin)
        batch = _Paths.start(size, i0, j0)
        if i0 == stages[0] or j0 == stages[1]:  # a finished race: nothing happens
            batch.outcome[:] = FIRST_WINS if i0 == stages[0] else SECOND_WINS
            batch.alive[:] = False
        if follower is not None:
            _mark_follower(batch, follower, stages)
        trace = [(batch.i[:keep].copy(), batch.j[:keep].copy(), batch.elapsed[:keep].copy())] if begin == 0 else []
        while batch.alive.any():
            _advance(chain, rng, batch)
            if follower is not None:
                _mark_follower(batch, follower, stages)
            if trace:
                trace.append((batch.i[:keep].copy(), batch.j[:keep].copy(), batch.elapsed[:keep].copy()))
        if begin == 0:
            kept = SamplePaths(i=np.stack([t[0] for t in trace], axis=1), j=np.stack([t[1] for t in trace], axis=1),
                               time=np.stack([t[2] for t in trace], axis=1), length=batch.moves[:keep] + 1,
                               outcome=batch.outcome[:keep].copy())
        wins += np.bincount(batch.outcome[batch.outcome <= SECOND_WINS], minlength=2)[:2]
        ties += int(np.sum(batch.outcome == TIE))
        stalls += int(np.sum(batch.outcome == STALLED))
        leaps += int(np.sum(batch.ahead))
        catches += int(np.sum(batch.level))
        durations.add(batch.elapsed[batch.outcome != STALLED])

    win = [frequency(int(w), n) for w in wins]
    mean, error = (math.inf, math.inf) if stalls else durations.mean_and_error()
    leap = frequency(leaps, n) if follower is not None else (None, None)
    catch = frequency(catches, n) if follower is not None else (None, None)
    return Simulation(
        model=eq.model, start=(i0, j0), paths=n, seed=entropy, follower=follower,
        leader=None if follower is None else 1 - follower,
        win_frequency=np.array([w[0] for w in win]), win_standard_error=np.array([w[1] for w in win]),
        tie_frequency=frequency(ties, n)[0], tie_standard_error=frequency(ties, n)[1],
        stall_frequency=frequency(stalls, n)[0], stall_standard_error=frequency(stalls, n)[1],
        leapfrog_frequency=leap[0], leapfrog_standard_error=leap[1],
        catch_up_frequency=catch[0], catch_up_standard_error=catch[1],
        mean_duration=mean, duration_standard_error=error,
        duration_unit="periods" if isinstance(eq, LaggedEquilibrium) else "time",
        sample=kept if keep else None,
    )
