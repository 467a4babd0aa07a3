"""The deterministic path of experience from a state, and discovery along it (docs/theory/leapfrog.md).

Under perfect monitoring the limit of the Markov chains is deterministic between
discoveries: from ``(w1, w2)`` experience follows ``dw_k / dt = x_k(w1, w2)``, the
equilibrium speeds, until a firm reaches ``w = 1``, while each firm discovers at rate
``b(w_k)``. With ``Lambda(t)`` the discovery hazard accumulated by both firms,

    win_k = integral of exp(-Lambda) b(w_k) dt  +  exp(-Lambda(T)) [k reaches 1 first at T].

Whether the follower can ever lead is then read off the path: only if its speed
exceeds the leader's long enough to draw level. If the path draws level, the limit
says nothing about what follows (a level state is a knife-edge; the chains there
sprint), so drawing level is counted as getting ahead: ``lead_probability`` is then
the probability of drawing level, an upper bound.

The speeds are the finest chain's, read by [`read`][patentrace.models.experience_grid.read]
([`speed_table`][patentrace.models.experience_grid.speed_table]); the path is integrated by RK45
(relative tolerance 1e-9) with events at the finish line, at level, and where the
probability that nobody has yet discovered falls below 1e-17.

Examples
--------
>>> import patentrace as pr
>>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), breakthrough=lambda w: 0.1)
>>> path = experience_path(pr.solve(race, steps=[40]), (0.5, 0.2))
>>> path.end, path.draws_level, round(path.lead_probability, 12)
('leader finishes', False, 0.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.integrate import solve_ivp

from patentrace.models.experience_grid import read, speed_table
from patentrace.results.deterministic_equilibrium import DeterministicEquilibrium, check_experience

__all__ = ["ExperiencePath", "experience_path"]

FloatArray = NDArray[np.float64]

_GONE = 40.0  # accumulated discovery hazard at which the path stops: exp(-40) < 1e-17 of the race is left
_HORIZON = 1e6  # time at which a path that has not ended is called a stall


@dataclass(frozen=True)
class ExperiencePath:
    """The limit path from a state: where experience goes, and who discovers on the way.

    Attributes
    ----------
    state : (float, float)
        The starting experience ``(w1, w2)``.
    follower : int
        The firm with less experience at the start.
    times : ndarray
        Times of the integration's steps, from 0.
    experience : ndarray, shape (2, len(times))
        Both firms' experience at those times.
    end : str
        ``"leader finishes"``, ``"follower finishes"``, ``"level"`` (the follower
        draws level), ``"discovery"`` (the race has surely ended by discovery, within
        1e-17) or ``"stall"`` (nobody moves and nobody discovers).
    survival : float
        Probability that nobody has discovered by the end of the path.
    win_probability : (float, float)
        Each firm's probability of winning along the path (discovery, and reaching
        ``w = 1`` first); with ``end == "level"`` the survival is left unassigned.
    draws_level : bool
        The follower draws level (or gets ahead) before the race ends.
    lead_probability : float
        Probability that it does, a win by discovery not counted: ``survival`` if it
        draws level, else 0.

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), breakthrough=lambda w: 0.1)
    >>> path = experience_path(pr.solve(race, steps=[40]), (0.5, 0.2))
    >>> bool(abs(path.experience[1, -1] - 0.2) < 1e-9), round(sum(path.win_probability), 12)  # the follower stays
    (True, 1.0)
    """

    state: tuple[float, float]
    follower: int
    times: FloatArray = field(repr=False)
    experience: FloatArray = field(repr=False)
    end: str
    survival: float
    win_probability: tuple[float, float]
    draws_level: bool
    lead_probability: float


def experience_path(eq: DeterministicEquilibrium, state: tuple[Any, Any]) -> ExperiencePath:
    """Integrate the limit path from ``state`` under the equilibrium speeds (lag 0 with breakthroughs).

    Parameters
    ----------
    eq : DeterministicEquilibrium
        Solved at lag 0 with a breakthrough (it has a ``chain``).
    state : (float, float)
        Experience ``(w1, w2)`` in ``[0, 1]``, not level, neither firm finished.

    Returns
    -------
    ExperiencePath

    Raises
    ------
    ValueError
        If ``eq`` has no chain, or ``state`` is level or finished.

    Examples
    --------
    A hazard that grows with experience: the follower invests, but more slowly than
    the leader, so it never draws level; it still wins by discovery.

    >>> import patentrace as pr
    >>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(),
    ...                             breakthrough=lambda w: 0.02 + 0.4 * w * w)
    >>> path = experience_path(pr.solve(race, steps=[40]), (0.5, 0.3))
    >>> path.end, path.draws_level, bool(0.04 < path.win_probability[1] < 0.08)
    ('leader finishes', False, True)
    """
    chain = eq.chain
    if chain is None:
        raise ValueError("experience_path needs a DeterministicEquilibrium solved at lag 0 with a breakthrough")
    w1, w2 = check_experience("state[0]", state[0]), check_experience("state[1]", state[1])
    if w1 == w2 or max(w1, w2) == 1.0:
        raise ValueError(f"state {state!r} must have a leader and a follower, neither at w = 1")
    follower = 0 if w1 < w2 else 1
    leader = 1 - follower
    speed = (speed_table(chain.effort[0]), speed_table(chain.effort[1]))
    hazard = eq.model.breakthrough_hazard

    def rates(_t: float, y: FloatArray) -> FloatArray:
        a, b = min(max(y[0], 0.0), 1.0), min(max(y[1], 0.0), 1.0)
        if a == b:  # on the level line (only at an event): keep the side the path comes from
            a, b = (a, b - 1e-12) if leader == 0 else (a - 1e-12, b)
        x = (read(speed[0], a, b), read(speed[1], a, b))
        rate = hazard([a, b])
        alive = math.exp(-y[2])
        return np.array([x[0], x[1], rate[0] + rate[1], alive * rate[0], alive * rate[1]])

    def finish_0(_t: float, y: FloatArray) -> float:
        return float(y[0] - 1.0)

    def finish_1(_t: float, y: FloatArray) -> float:
        return float(y[1] - 1.0)

    def level(_t: float, y: FloatArray) -> float:
        return float(y[leader] - y[follower])

    def gone(_t: float, y: FloatArray) -> float:
        return float(y[2] - _GONE)

    events = [finish_0, finish_1, level, gone]
    for event in events:
        event.terminal = True  # type: ignore[attr-defined]
    level.direction = -1  # type: ignore[attr-defined]
    start = np.array([w1, w2, 0.0, 0.0, 0.0])
    if not np.any(rates(0.0, start)[[0, 1, 2]] > 0.0):  # nobody moves, nobody discovers
        times, ys, end = np.zeros(1), start[:, None], "stall"
    else:
        solution = solve_ivp(rates, (0.0, _HORIZON), start, method="RK45", rtol=1e-9, atol=1e-12, events=events)
        times, ys = solution.t, solution.y
        fired = [k for k, hit in enumerate(solution.t_events) if hit.size]
        names = {0: "leader finishes" if leader == 0 else "follower finishes",
                 1: "leader finishes" if leader == 1 else "follower finishes", 2: "level", 3: "discovery"}
        end = names[fired[0]] if fired else "stall"
    final = ys[:, -1]
    survival = math.exp(-float(final[2]))
    win = [float(final[3]), float(final[4])]
    if end == "leader finishes":
        win[leader] += survival
    elif end == "follower finishes":
        win[follower] += survival
    draws_level = end in ("level", "follower finishes")
    return ExperiencePath(
        state=(w1, w2), follower=follower, times=np.asarray(times, dtype=float),
        experience=np.clip(np.asarray(ys[:2], dtype=float), 0.0, 1.0), end=end, survival=survival,
        win_probability=(win[0], win[1]), draws_level=draws_level,
        lead_probability=survival if draws_level else 0.0,
    )
