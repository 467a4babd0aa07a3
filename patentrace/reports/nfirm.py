"""Leapfrogging with ``n`` firms: the report and the simulation (docs/theory/leapfrog.md, docs/theory/race.md (19)).

With more than two firms "the leader" and "the follower" need a choice of firm:

- the **follower** is the firm named, by default the one furthest behind (most stages left;
  the lowest-numbered of those tied);
- the **leader** is the follower's rival with the fewest stages left (the lowest-numbered of
  those tied) at the state reported on.

With ``follower_by="expected_time"`` (FGST's measure, docs/theory/leapfrog.md) "stages left" is
replaced, as for two firms, by each firm's expected time to its own discovery at its
equilibrium pace with the rivals held where they are (``time_to_discovery``): it chooses the
follower and the leader, and "ahead" and "level" in every probability below are measured by
the same times (the preemption region stays measured in stages, as for two firms).

From the state, under the equilibrium hazards, the jump chain of docs/theory/race.md (19)
gives the follower's probability of winning, of ever being strictly ahead of the leader
(``leapfrog_probability``; a win counts) and of ever drawing level with it or better
(``catch_up_probability``), and the same against every rival at once: ever strictly ahead of
all of them (``leapfrog_all_probability``) and ever level with or ahead of all of them
(``catch_up_all_probability``). ``leapfrog_by_rival[l]`` is the chance of ever being strictly
ahead of rival ``l``. The **preemption region** is per firm: the open states where the firm is
behind its nearest rival and exerts no effort.

``simulate_nfirm`` draws histories and counts the same
events, sharing nothing with the recursions but the efforts.

Examples
--------
>>> import patentrace as pr
>>> eq = pr.solve(pr.Race(stages=(2, 2, 1), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
>>> report = pr.leapfrog(eq, state=(0, 0, 0))     # stages left (2, 2, 1)
>>> report.follower, report.leader
(0, 2)
>>> report.follower_win_probability <= report.leapfrog_all_probability <= report.leapfrog_probability
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from patentrace._validate import tolerance as _threshold
from patentrace.models import Race
from patentrace.models.nfirm_lattice import Lattice, check_state
from patentrace.reports._sampling import Tally, frequency, mean_duration, seeded_generator
from patentrace.results.nfirm import NFirmEquilibrium, hitting_probability

__all__ = ["NFirmLeapfrogReport", "NFirmSimulation", "nfirm_leapfrog", "preemption_regions", "simulate_nfirm",
           "time_to_discovery"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]


_FOLLOWER_BY = ("distance", "expected_time")
# Expected times to discovery that agree to this relative tolerance are equal (level; tied for a role, the
# lower-numbered firm taking it): alike firms in a race that is not symmetric as a whole get times that agree
# only to rounding (the solver makes efforts exactly symmetric only where all firms are alike).
_SAME_TIME = 1e-9


def _roles(left: list[float], follower: object) -> tuple[int, int]:
    """The follower (named, or the firm furthest behind) and its leader (its rival with the least ``left``).

    ``left`` holds each firm's stages left, or expected time to discovery, at the state.
    """
    firms = len(left)
    if follower is None:  # the lowest-numbered of the firms furthest behind
        furthest = max(left)
        chosen = next(k for k in range(firms) if _same(left[k], furthest) or left[k] == furthest)
    elif isinstance(follower, (int, np.integer)) and not isinstance(follower, bool) and 0 <= follower < firms:
        chosen = int(follower)
    else:
        raise ValueError(f"follower must be a firm, an int from 0 to {firms - 1}, or None, got {follower!r}")
    rivals = [k for k in range(firms) if k != chosen]
    nearest = min(left[k] for k in rivals)
    return chosen, next(k for k in rivals if _same(left[k], nearest) or left[k] == nearest)


def _same(a: Any, b: Any) -> Any:
    """Whether stages left (integers: exactly) or expected times (to ``_SAME_TIME``, ``inf`` with ``inf``) are equal."""
    return np.isclose(a, b, rtol=_SAME_TIME, atol=0.0)


def _stages_left(lattice: Lattice) -> IntArray:
    """Each firm's stages left at every flat state, shape ``(n, size)``."""
    grids = np.indices(lattice.shape).reshape(lattice.firms, -1)
    return np.asarray(np.asarray(lattice.stages)[:, None] - grids, dtype=np.intp)


def _lead(left: NDArray[np.generic], follower: int, rivals: list[int]) -> tuple[NDArray[Any], NDArray[Any]]:
    """Per flat state: the follower's ``left`` and the least of ``rivals``' (follower's smaller: ahead of them all)."""
    return left[follower], left[rivals].min(axis=0)


def time_to_discovery(eq: NFirmEquilibrium) -> FloatArray:
    """Each firm's expected time to its own discovery at its equilibrium pace (FGST's measure, docs/theory/leapfrog.md).

    As for two firms (``patentrace.reports.leapfrog.time_to_discovery``): firm ``k`` at ``s``
    completes stages at its equilibrium hazards ``h_k(s + t e_k)`` and breaks through at
    ``b_k``, its rivals held where they are:
    ``T_k(s) = [1 + h_k T_k(s + e_k)] / (h_k + b_k)``, ``T_k = 0`` where it has finished, and
    ``inf`` where it never moves.

    Returns
    -------
    ndarray, shape (n, N0 + 1, ..., N_{n-1} + 1)

    Examples
    --------
    One stage each: firm ``k``'s time is ``1 / h_k``.

    >>> import patentrace as pr
    >>> eq = pr.solve(pr.Race(stages=(1, 1, 1), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> bool(abs(time_to_discovery(eq)[2, 0, 0, 0] * eq.hazard[2, 0, 0, 0] - 1.0) < 1e-15)
    True
    """
    race = eq.model
    lattice = Lattice(tuple(race.stages))
    jump = _jumps(race, lattice).reshape(eq.hazard.shape)
    out = np.zeros(eq.hazard.shape)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for k, stages in enumerate(race.stages):
            # firm k's own axis first: mine[i] holds every state where it has completed i stages
            hazard, breakthrough, mine = (np.moveaxis(a[k], k, 0) for a in (eq.hazard, jump, out))
            for i in range(stages - 1, -1, -1):
                h, b = hazard[i], breakthrough[i]
                later = np.where(h > 0.0, h * mine[i + 1], 0.0)
                mine[i] = np.where(h + b > 0.0, (1.0 + later) / np.where(h + b > 0.0, h + b, 1.0), np.inf)
    return out


def _jumps(race: Race, lattice: Lattice) -> FloatArray:
    """Breakthrough hazards ``b_k`` at every flat state, shape ``(n, size)`` (zeros without breakthroughs)."""
    hazard = race.breakthrough_hazard()
    return np.zeros((lattice.firms, lattice.size)) if hazard is None else hazard.reshape(lattice.firms, -1)


def _reachable(lattice: Lattice, hazard: FloatArray, breakthrough: FloatArray, target: BoolArray,
               credited: int) -> BoolArray:
    """Whether some path of positive hazards leads from each state to ``target`` (or to the credited firm's win)."""
    out = np.array(target, copy=True)
    for here in lattice.hyperplanes:
        onward = breakthrough[credited, here] > 0.0
        for k, stride in enumerate(lattice.strides):
            onward |= (hazard[k, here] > 0.0) & out[here + stride]
        out[here] |= onward
    return out


def preemption_regions(eq: NFirmEquilibrium) -> BoolArray:
    """Per firm, the open states where it is behind its nearest rival and exerts no effort, shape of ``eq.effort``.

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.Race(stages=(3, 3, 3), prize=1.0, discount=0.1, cost=pr.costs.Quadratic(linear=0.2))
    >>> region = preemption_regions(pr.solve(race))
    >>> region.shape, bool(region[0, 0, 2, 2]), bool(region[0, 0, 0, 0])
    ((3, 4, 4, 4), True, False)
    """
    lattice = Lattice(tuple(eq.model.stages))
    opened = lattice.finished == 0
    out = np.zeros((lattice.firms, lattice.size), dtype=bool)
    effort = eq.effort.reshape(lattice.firms, -1)
    left = _stages_left(lattice)
    for k in range(lattice.firms):
        mine, nearest = _lead(left, k, [m for m in range(lattice.firms) if m != k])
        out[k] = opened & (mine > nearest) & (effort[k] == 0.0)
    return out.reshape(eq.effort.shape)


@dataclass(frozen=True)
class NFirmLeapfrogReport:
    """Whether, where and how likely a firm behind leapfrogs, in a race of ``n`` firms (the module docstring).

    Attributes
    ----------
    state : tuple of int
        The state reported on.
    remaining : tuple of int, or tuple of float
        Each firm's stages left there; with ``follower_by="expected_time"``, its expected
        time to discovery (``time_to_discovery``).
    follower, leader : int
        The firm reported on, and its rival with the fewest stages left (the shortest time).
    win_probability : tuple of float
        Each firm's probability of winning from ``state``.
    follower_win_probability : float
    leapfrog_probability, catch_up_probability : float
        Ever strictly ahead of the leader (a win counts); ever level with it or ahead.
    leapfrog_all_probability, catch_up_all_probability : float
        Ever strictly ahead of every rival at once; ever level with or ahead of all of them.
    leapfrog_by_rival : tuple of float or None
        Per firm, ever strictly ahead of that rival; None at the follower's own entry.
    can_leapfrog : bool
        ``leapfrog_probability > tolerance``; for ``tolerance = 0``, decided exactly: is there a
        path of positive hazards to a state ahead of the leader?
    preemption_region : ndarray of bool, shape (n, N0 + 1, ..., N_{n-1} + 1)
        Per firm, the open states where it is behind its nearest rival and does not invest.
    epsilon_preemption : tuple of bool
        Per firm: the race has states where its nearest rival leads it by one stage, and it
        invests in none of them.
    tolerance : float

    Examples
    --------
    >>> import patentrace as pr
    >>> eq = pr.solve(pr.Race(stages=(2, 1, 1), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> report = pr.leapfrog(eq, (0, 0, 0))
    >>> report.follower, report.leader, report.remaining
    (0, 1, (2, 1, 1))
    >>> bool(report.follower_win_probability == eq.win_probability[0, 0, 0, 0])
    True
    """

    state: tuple[int, ...]
    remaining: tuple[int, ...] | tuple[float, ...]
    follower: int
    leader: int
    win_probability: tuple[float, ...]
    follower_win_probability: float
    leapfrog_probability: float
    catch_up_probability: float
    leapfrog_all_probability: float
    catch_up_all_probability: float
    leapfrog_by_rival: tuple[float | None, ...]
    can_leapfrog: bool
    preemption_region: BoolArray = field(repr=False)
    epsilon_preemption: tuple[bool, ...]
    tolerance: float

    def __str__(self) -> str:
        measure = "stages left" if all(isinstance(v, int) for v in self.remaining) else "expected time to discovery"
        rows = [
            f"state {self.state}, {measure} {self.remaining}: follower firm {self.follower}, "
            f"leader firm {self.leader}",
            f"  follower wins:                {self.follower_win_probability:.6g}",
            f"  leapfrogs the leader:         {self.leapfrog_probability:.6g}",
            f"  catches up with the leader:   {self.catch_up_probability:.6g}",
            f"  ever ahead of every rival:    {self.leapfrog_all_probability:.6g}",
            f"  ever level with every rival:  {self.catch_up_all_probability:.6g}",
            f"  can leapfrog:                 {'yes' if self.can_leapfrog else 'no'} (tolerance {self.tolerance:g})",
        ]
        return "\n".join(rows)


def nfirm_leapfrog(
    eq: NFirmEquilibrium, state: object, tolerance: float = 0.0, follower: object = None,
    follower_by: str = "distance",
) -> NFirmLeapfrogReport:
    """The leapfrog report of a race of ``n`` firms at ``state``: [`patentrace.leapfrog`][patentrace.leapfrog] for them.

    Parameters
    ----------
    eq : NFirmEquilibrium
        The solved race.
    state : tuple of int
        One entry per firm; not two firms finished.
    tolerance : float
        In ``[0, 1)``: ``can_leapfrog`` is ``leapfrog_probability > tolerance``.
    follower : int, optional
        The firm to report on; default the one furthest behind (the lowest-numbered of
        several).
    follower_by : {"distance", "expected_time"}
        Behind and ahead by stages left (default) or by expected time to discovery
        (``time_to_discovery``, FGST's measure; the module docstring). Times that agree
        to a relative ``1e-9`` count as equal: level, and tied for follower or leader.

    Examples
    --------
    >>> import patentrace as pr
    >>> eq = pr.solve(pr.Race(stages=(1, 1, 1), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> report = nfirm_leapfrog(eq, (0, 0, 0), follower=1)
    >>> report.leader, round(report.leapfrog_probability, 12), round(report.follower_win_probability, 12)
    (0, 0.333333333333, 0.333333333333)

    By expected time to discovery, a firm with more stages left can lead (cheaper effort here):

    >>> race = pr.Race(stages=(2, 1, 1), prize=1.0, discount=0.1,
    ...                cost=(pr.costs.Quadratic(scale=0.05), pr.costs.Quadratic(), pr.costs.Quadratic()))
    >>> report = nfirm_leapfrog(pr.solve(race), (0, 0, 0), follower_by="expected_time")
    >>> report.follower, report.leader, [round(t, 4) for t in report.remaining]
    (1, 0, [0.3277, 1.1222, 1.1222])
    """
    tolerance = _threshold("tolerance", tolerance, upper=1.0)
    if follower_by not in _FOLLOWER_BY:
        raise ValueError(f"follower_by must be one of {_FOLLOWER_BY}, got {follower_by!r}")
    race = eq.model
    lattice = Lattice(tuple(race.stages))
    point = check_state(state, race.stages)
    here = int(np.ravel_multi_index(point, lattice.shape))
    stages_left = _stages_left(lattice)
    left = stages_left if follower_by == "distance" else time_to_discovery(eq).reshape(lattice.firms, -1)
    remaining = tuple(v.item() for v in left[:, here])
    chosen, leader = _roles(list(remaining), follower)
    hazard = eq.hazard.reshape(lattice.firms, -1)
    jump = _jumps(race, lattice)
    credited = np.arange(lattice.firms) == chosen
    reachable = lattice.finished <= 1
    if follower_by == "expected_time":
        # times are 0 for a firm that has finished and inf for every other once the race is over: where a
        # rival has won, the follower is not level with anyone (with two firms the leader's 0 says so)
        reachable = (lattice.finished == 0) | ((lattice.finished == 1) & (stages_left[chosen] == 0))

    def chance(rivals: list[int], strictly: bool) -> tuple[float, BoolArray]:
        mine, theirs = _lead(left, chosen, rivals)
        level = _same(mine, theirs)
        target = reachable & (((mine < theirs) & ~level) if strictly else ((mine <= theirs) | level))
        return float(hitting_probability(lattice, hazard, jump, target, credited)[here]), target

    rivals = [k for k in range(lattice.firms) if k != chosen]
    leap, ahead = chance([leader], True)
    catch_up, _ = chance([leader], False)
    leap_all, _ = chance(rivals, True)
    catch_up_all, _ = chance(rivals, False)
    by_rival = tuple(None if k == chosen else chance([k], True)[0] for k in range(lattice.firms))
    exact = tolerance == 0.0  # decided by the paths of positive hazards, not by a probability that may underflow
    possible = bool(_reachable(lattice, hazard, jump, ahead, chosen)[here]) if exact else leap > tolerance
    region = preemption_regions(eq)
    epsilon = []
    for k in range(lattice.firms):
        mine, nearest = _lead(stages_left, k, [m for m in range(lattice.firms) if m != k])
        one_behind = (lattice.finished == 0) & (mine - nearest == 1)
        epsilon.append(bool(one_behind.any() and np.all(region.reshape(lattice.firms, -1)[k, one_behind])))
    win = eq.win_probability.reshape(lattice.firms, -1)[:, here]
    return NFirmLeapfrogReport(
        state=point, remaining=remaining, follower=chosen,
        leader=leader, win_probability=tuple(float(v) for v in win), follower_win_probability=float(win[chosen]),
        leapfrog_probability=leap, catch_up_probability=catch_up, leapfrog_all_probability=leap_all,
        catch_up_all_probability=catch_up_all, leapfrog_by_rival=by_rival, can_leapfrog=possible,
        preemption_region=region, epsilon_preemption=tuple(epsilon), tolerance=tolerance,
    )


@dataclass(frozen=True, eq=False)
class NFirmSimulation(Tally[Race, tuple[int, ...]]):
    """Frequencies from simulated histories of a race of ``n`` firms, with standard errors.

    The fields of every simulation (``win_frequency`` has one entry per firm; leapfrogging and
    catching up are against the leader, as in [`NFirmLeapfrogReport`][patentrace.NFirmLeapfrogReport]),
    and the same against every rival at once.

    Attributes
    ----------
    leapfrog_all_frequency, leapfrog_all_standard_error : float
        Share of paths on which the follower was ever strictly ahead of every rival.
    catch_up_all_frequency, catch_up_all_standard_error : float
        Share of paths on which it was ever level with or ahead of every rival.
    stall_frequency : float
        Share of paths that reached a state where nothing moves.

    Examples
    --------
    >>> import patentrace as pr
    >>> eq = pr.solve(pr.Race(stages=(1, 1, 1), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> sim = pr.simulate(eq, (0, 0, 0), paths=1000, seed=2)
    >>> sim.win_frequency.shape, round(float(sim.win_frequency.sum()), 12)
    ((3,), 1.0)
    """

    leapfrog_all_frequency: float
    leapfrog_all_standard_error: float
    catch_up_all_frequency: float
    catch_up_all_standard_error: float
    stall_frequency: float


def simulate_nfirm(eq: NFirmEquilibrium, start: object, paths: int, seed: int | None = None,
                   follower: object = None) -> NFirmSimulation:
    """Histories of a race of ``n`` firms from ``start``: [`patentrace.simulate`][patentrace.simulate] for them.

    Each event comes after an exponential time at the total rate ``sum h + sum b`` of the state
    and is firm ``k``'s success with probability ``h_k`` over that rate, or firm ``m``'s
    breakthrough (an outright win) with probability ``b_m`` over it. All paths advance together.

    Examples
    --------
    >>> import patentrace as pr
    >>> eq = pr.solve(pr.Race(stages=(2, 1, 1), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> sim = simulate_nfirm(eq, (0, 0, 0), paths=20_000, seed=3)
    >>> bool(all(abs(sim.win_frequency - eq.win_probability[:, 0, 0, 0]) < 4 * sim.win_standard_error))
    True
    """
    race = eq.model
    lattice = Lattice(tuple(race.stages))
    point = check_state(start, race.stages)
    if isinstance(paths, bool) or not isinstance(paths, (int, np.integer)) or paths < 1:
        raise ValueError(f"paths must be an int >= 1, got {paths!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ValueError(f"seed must be an int >= 0 or None, got {seed!r}")
    entropy, rng = seeded_generator(seed)
    chosen, leader = _roles([n - i for n, i in zip(lattice.stages, point, strict=True)], follower)
    rivals = [k for k in range(lattice.firms) if k != chosen]
    firms, count = lattice.firms, int(paths)
    rates = np.concatenate([eq.hazard.reshape(firms, -1), _jumps(race, lattice)])
    state = np.tile(np.asarray(point, dtype=np.intp), (count, 1))
    winner = np.full(count, -1)
    stalled = np.zeros(count, dtype=bool)
    time = np.zeros(count)
    stages = np.asarray(lattice.stages)
    flags = {"leap": np.zeros(count, dtype=bool), "catch": np.zeros(count, dtype=bool),
             "leap_all": np.zeros(count, dtype=bool), "catch_all": np.zeros(count, dtype=bool)}

    def mark() -> None:
        left = stages[None, :] - state
        mine, ahead_of = left[:, chosen], left[:, rivals].min(axis=1)
        flags["leap"] |= mine < left[:, leader]
        flags["catch"] |= mine <= left[:, leader]
        flags["leap_all"] |= mine < ahead_of
        flags["catch_all"] |= mine <= ahead_of

    finished = state == stages[None, :]
    winner[finished.any(axis=1)] = np.argmax(finished, axis=1)[finished.any(axis=1)]
    mark()
    for _ in range(int(stages.sum())):
        alive = np.flatnonzero((winner < 0) & ~stalled)
        if alive.size == 0:
            break
        flat = np.ravel_multi_index(tuple(state[alive].T), lattice.shape)
        weights = rates[:, flat].T  # (paths alive, 2n): successes, then breakthroughs
        total = weights.sum(axis=1)
        stuck = total <= 0.0
        stalled[alive[stuck]] = True
        alive, weights, total = alive[~stuck], weights[~stuck], total[~stuck]
        time[alive] += rng.exponential(1.0, alive.size) / total
        cumulative = np.cumsum(weights, axis=1) / total[:, None]
        event = np.minimum((rng.random(alive.size)[:, None] >= cumulative).sum(axis=1), 2 * firms - 1)
        moved = event < firms
        state[alive[moved], event[moved]] += 1
        winner[alive[~moved]] = event[~moved] - firms
        done = state[alive] == stages[None, :]
        ended = done.any(axis=1)
        winner[alive[ended]] = np.argmax(done[ended], axis=1)
        mark()
        flags["leap"][winner == chosen] = True
        flags["leap_all"][winner == chosen] = True
        flags["catch"][winner == chosen] = True
        flags["catch_all"][winner == chosen] = True
    win = [frequency(int(np.sum(winner == k)), count) for k in range(firms)]
    leap, catch, leap_all, catch_all = (frequency(int(flags[name].sum()), count)
                                        for name in ("leap", "catch", "leap_all", "catch_all"))
    mean, spread = mean_duration(time, bool(stalled.any()))
    return NFirmSimulation(
        model=race, start=point, paths=count, seed=entropy, follower=chosen, leader=leader,
        win_frequency=np.array([f for f, _ in win]), win_standard_error=np.array([s for _, s in win]),
        leapfrog_frequency=leap[0], leapfrog_standard_error=leap[1], catch_up_frequency=catch[0],
        catch_up_standard_error=catch[1], mean_duration=mean, duration_standard_error=spread,
        leapfrog_all_frequency=leap_all[0], leapfrog_all_standard_error=leap_all[1],
        catch_up_all_frequency=catch_all[0], catch_up_all_standard_error=catch_all[1],
        stall_frequency=float(stalled.mean()),
    )
