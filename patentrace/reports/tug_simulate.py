"""Simulated histories of a tug-of-war under its equilibrium (docs/theory/tug-of-war.md).

Every path starts at a position and jumps up at rate ``h0(k)`` and down at rate
``h1(k)`` until it reaches an end (or a position where nobody moves, where it stalls).
The frequencies estimate the win probabilities and the leapfrog report's chances,
each with its standard error, so a test can compare them with the chain's exact numbers.

Examples
--------
>>> import patentrace as pr
>>> eq = pr.solve(pr.TugOfWar(length=4, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
>>> sim = simulate_tug(eq, start=1, paths=2000, seed=1)
>>> sim.follower, bool(abs(sim.win_frequency[0] - eq.win_probability[0, 1]) < 4 * sim.win_standard_error[0])
(0, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np
from numpy.typing import NDArray

from patentrace.models.tug_of_war import TugOfWar
from patentrace.reports._sampling import Tally, follower_at_start, frequency, mean_duration, seeded_generator
from patentrace.results.tug_equilibrium import TugEquilibrium

__all__ = ["TugSimulation", "simulate_tug"]

FloatArray = NDArray[np.float64]
_MAX_JUMPS = 10_000_000


@dataclass(frozen=True)
class TugSimulation(Tally[TugOfWar, int]):
    """Frequencies from simulated tug-of-war histories, with standard errors ``sqrt(f (1 - f) / n)``.

    Attributes
    ----------
    model : TugOfWar
        The race.
    start : int
        The position every path starts from.
    paths, seed : int
        Number of paths; the seed (the same seed repeats the numbers).
    follower, leader : int or None
        As in the leapfrog report: the firm further from (nearer to) its end at ``start``.
    win_frequency, win_standard_error : ndarray, shape (2,)
        Share of paths each firm won.
    stall_frequency : float
        Share of paths that reached a position where nobody moves.
    leapfrog_frequency, leapfrog_standard_error, catch_up_frequency, catch_up_standard_error : float or None
        Share of paths on which the follower was ever strictly ahead (a win counts), and
        ever level or ahead; None when level at the start.
    mean_duration, duration_standard_error : float
        Mean time to the end (``inf`` if a path stalled).
    mean_reversals : float
        Mean number of times the lead changed hands along a path (crossings of the middle).

    Examples
    --------
    ``pr.simulate`` returns one for a tug-of-war; the simulated win frequency is close
    to the chain's probability:

    >>> import patentrace as pr
    >>> eq = pr.solve(pr.TugOfWar(length=4, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> sim = pr.simulate(eq, 1, 20_000, seed=0)
    >>> isinstance(sim, pr.TugSimulation), sim.paths
    (True, 20000)
    >>> bool(abs(sim.win_frequency[0] - eq.win_probability[0, 1]) < 4 * sim.win_standard_error[0])
    True
    """

    stall_frequency: float
    mean_reversals: float

    def to_dict(self) -> dict[str, Any]:
        """Plain Python data.

        Examples
        --------
        >>> import patentrace as pr
        >>> eq = pr.solve(pr.TugOfWar(length=3, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> simulate_tug(eq, 1, 100, seed=0).to_dict()["paths"]
        100
        """
        out = {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "model"}
        out["win_frequency"] = self.win_frequency.tolist()
        out["win_standard_error"] = self.win_standard_error.tolist()
        return out


def _int(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int >= {low}, got {value!r}")
    if int(value) < low:
        raise ValueError(f"{name} must be >= {low}, got {int(value)}")
    return int(value)


def simulate_tug(eq: TugEquilibrium, start: int | None = None, paths: int = 10_000,
                 seed: int | None = None) -> TugSimulation:
    """Simulate ``paths`` histories of a solved tug-of-war from position ``start`` (docs/theory/tug-of-war.md).

    Parameters
    ----------
    eq : TugEquilibrium
        The equilibrium whose hazards drive the paths.
    start : int, optional
        Position in ``1 .. K-1``; None means the model's ``start_position``.
    paths : int
        ``>= 1``.
    seed : int, optional
        ``>= 0``; None draws fresh entropy (recorded in the result).

    Returns
    -------
    TugSimulation

    Raises
    ------
    TypeError, ValueError
        If ``start``, ``paths`` or ``seed`` is not an int in range.

    Examples
    --------
    >>> import patentrace as pr
    >>> eq = pr.solve(pr.TugOfWar(length=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> simulate_tug(eq, start=0, paths=10)
    Traceback (most recent call last):
    ...
    ValueError: start must be an interior position in 1 .. 1, got 0
    """
    model = eq.model
    length = model.length
    k0 = model.start_position if start is None else _int("start", start, 0)
    if not 1 <= k0 <= length - 1:
        raise ValueError(f"start must be an interior position in 1 .. {length - 1}, got {k0}")
    n = _int("paths", paths, 1)
    entropy, rng = seeded_generator(None if seed is None else _int("seed", seed, 0))
    up, down = eq.hazard[0], eq.hazard[1]
    total = up + down
    follower = follower_at_start(length - k0, k0)

    def ahead_of_follower(position: NDArray[np.intp]) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        own = length - position if follower == 0 else position
        return own < length - own, own <= length - own

    position = np.full(n, k0, dtype=np.intp)
    elapsed = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    stalled = np.zeros(n, dtype=bool)
    ahead = np.zeros(n, dtype=bool)
    level = np.zeros(n, dtype=bool)
    side = np.sign(2 * position - length)
    reversals = np.zeros(n, dtype=np.int64)
    jumps = 0
    while alive.any():
        index = np.nonzero(alive)[0]
        at = position[index]
        rate = total[at]
        stuck = rate <= 0.0
        stalled[index[stuck]] = True
        alive[index[stuck]] = False
        index, at, rate = index[~stuck], at[~stuck], rate[~stuck]
        elapsed[index] += rng.exponential(1.0, index.size) / rate
        step = np.where(rng.random(index.size) * rate < up[at], 1, -1)
        position[index] = at + step
        jumps += index.size
        new_side = np.sign(2 * position[index] - length)
        reversals[index] += new_side * side[index] < 0      # the lead changed hands (side: last non-level one)
        side[index] = np.where(new_side != 0, new_side, side[index])
        if follower is not None:
            now_ahead, now_level = ahead_of_follower(position[index])
            ahead[index] |= now_ahead
            level[index] |= now_level
        alive[index] = (position[index] > 0) & (position[index] < length)
        if jumps > _MAX_JUMPS * max(1, n // 10_000):
            raise RuntimeError(f"simulation exceeded {jumps} jumps without ending; the race barely moves")
    wins = np.array([np.sum(position == length), np.sum(position == 0)])
    win = [frequency(int(w), n) for w in wins]
    leap = frequency(int(ahead.sum()), n) if follower is not None else (None, None)
    catch = frequency(int(level.sum()), n) if follower is not None else (None, None)
    mean, error = mean_duration(elapsed, bool(stalled.any()))
    return TugSimulation(
        model=model, start=k0, paths=n, seed=entropy, follower=follower,
        leader=None if follower is None else 1 - follower,
        win_frequency=np.array([w[0] for w in win]), win_standard_error=np.array([w[1] for w in win]),
        stall_frequency=float(stalled.mean()),
        leapfrog_frequency=leap[0], leapfrog_standard_error=leap[1],
        catch_up_frequency=catch[0], catch_up_standard_error=catch[1],
        mean_duration=mean, duration_standard_error=error, mean_reversals=float(reversals.mean()),
    )
