"""Every equilibrium of each state of a race with ``n >= 3`` firms, by backward induction (docs/solver.md).

The open states with the same total number of completed stages are independent games
(docs/theory/race.md (16)); each such hyperplane, from the last to the first, is solved as
one vectorised batch. At every state the solver finds every equilibrium of the game of
``patentrace.equations.nfirm``:

0. **Compiled sweep** (power costs): every hyperplane and state in one compiled loop
   (``patentrace.solvers.nfirm_sweep.sweep_planes``). A state is certified to have one
   equilibrium where the best responses contract on the box of 1 (a weighted Lipschitz bound
   below 0.75), or on the box left by interval contraction without splitting (exact ranges
   of ``BR_k`` where it is monotone in each rival: the monotone iteration of 2 from both
   corners), or where that box shrinks below ``1e-9`` of the bounds; best-response steps and
   Newton's method then settle inside the box. A state it cannot settle goes to the compiled
   branch-and-bound of 3, and failing that to 1-3 here; the loop resumes after it.
1. **Bounds.** Every best response lies in ``[0, X_k]`` (``StateGames.effort_bound``), so
   every equilibrium lies in the box ``[0, X]``.
2. **Supermodular states.** Where ``StateGames.supermodular`` proves that each best
   response rises with each rival's effort on the box, the iterates ``BR^t(0)`` rise and
   ``BR^t(X)`` fall, and every equilibrium stays between them (Topkis; Milgrom and
   Roberts 1990). They are iterated until they meet: then the equilibrium is unique and
   certified. Where they do not meet, the box between them is searched as in 3.
3. **Search.** Elsewhere, or between the iterates, a branch-and-bound over boxes of
   efforts: a box is narrowed to its intersection with an enclosure of the best responses
   over it (``StateGames.enclosure``), dropped when that is empty (it holds no fixed point),
   and split in its widest direction otherwise, until every box is narrower than
   ``1e-9`` of the bounds. No fixed point is ever dropped. Newton's method on
   ``x = BR(x)`` from each surviving box finds its equilibrium; a surviving box with no
   equilibrium near it raises [`EquilibriumError`][patentrace.EquilibriumError] with the state
   and the numbers, and so does a state with more than 4096 boxes.

Several equilibria at a state are counted in ``multiplicity`` and one is selected by the
rule of [`patentrace.solve`][patentrace.solve] (``"fastest"``, ``"slowest"`` or ``"richest"``);
at a state where all firms are interchangeable it prefers a symmetric equilibrium. A race
whose firms are all alike is solved at the states with non-decreasing stage counts and
copied to their permutations, so it is symmetric under every permutation of the firms.

Examples
--------
>>> import patentrace as pr
>>> eq = solve_nfirm(pr.Race(stages=(1, 1, 1), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
>>> eq.effort[:, 0, 0, 0].round(10).tolist()     # docs/theory/race.md (20) with n = 3
[0.8094182111, 0.8094182111, 0.8094182111]
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from patentrace._version import __version__
from patentrace.equations import hjb
from patentrace.equations.nfirm import StateGames, aggregate_rival
from patentrace.errors import EquilibriumError
from patentrace.models import Race
from patentrace.models.costs import Power
from patentrace.models.nfirm_lattice import Lattice
from patentrace.results.equilibrium import SolverInfo
from patentrace.results.nfirm import NFirmEquilibrium, chain_arrays
from patentrace.solvers.selection import SELECTION_RULES

__all__ = ["StateEquilibria", "find_equilibria", "solve_nfirm"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]

_EPS = float(np.finfo(float).eps)
_RESOLUTION = 1e-9  # boxes are split until narrower than this fraction of the bound
_MAX_BOXES = 4096  # per state
_MONOTONE_STEPS = 200
_NEWTON_STEPS = 40
_SAME = 1e-7  # equilibria closer than this fraction of the bound are one
_SYMMETRIC = 1e-8
_GAIN = 1e-10  # as the two-firm search: a deviation may gain at most this fraction of the continuation values


@dataclass(frozen=True)
class StateEquilibria:
    """Every equilibrium found at a batch of states.

    Attributes
    ----------
    effort : ndarray, shape (n, E)
        The equilibria, one column each.
    owner : ndarray of int, shape (E,)
        The state (position in the batch) of each equilibrium.
    count : ndarray of int, shape (m,)
        Equilibria per state.
    supermodular : ndarray of bool, shape (m,)
        States certified supermodular.
    searched : ndarray of bool, shape (m,)
        States that needed the branch-and-bound search.
    contracted : ndarray of bool, shape (m,)
        States certified by the compiled interval contraction (power costs).
    """

    effort: FloatArray
    owner: IntArray
    count: IntArray
    supermodular: BoolArray
    searched: BoolArray
    contracted: BoolArray


def _scale(bound: FloatArray) -> FloatArray:
    """Per state, the largest effort bound (at least the smallest normal double)."""
    return np.asarray(np.maximum(bound.max(axis=0), float(np.finfo(float).tiny)))


def _newton(
    games: StateGames, effort: FloatArray, low: FloatArray | None = None, high: FloatArray | None = None
) -> tuple[FloatArray, FloatArray]:
    """Newton's method on ``x - BR(x) = 0`` for each column; returns the efforts and the last ``|x - BR(x)|``.

    With ``low`` and ``high`` every iterate is kept in that box (projected Newton): where a best
    response is nearly vertical (a firm about to start investing, ``c''`` vanishing at 0), a free
    Newton step can leave the neighbourhood of the equilibrium it started next to.
    """
    x = np.array(effort, copy=True)
    floor = np.zeros_like(x) if low is None else low
    ceiling = np.full_like(x, np.inf) if high is None else high
    gap = np.full(x.shape[1], np.inf)
    firms = games.firms
    for _ in range(_NEWTON_STEPS):
        response = games.best_responses(x)
        error = x - response
        gap = np.abs(error).max(axis=0)
        scale = np.maximum(np.abs(x).max(axis=0), np.abs(response).max(axis=0))
        if np.all(gap <= 4.0 * _EPS * scale):
            return response, gap
        system = np.eye(firms)[None] - games.jacobian(x, response)
        try:
            step = np.linalg.solve(system, error.T[:, :, None])[:, :, 0].T
        except np.linalg.LinAlgError:
            step = error
        step = np.where(np.isfinite(step), step, error)
        x = np.clip(x - step, floor, ceiling)
    response = games.best_responses(x)
    return response, np.abs(x - response).max(axis=0)


def _monotone(games: StateGames, bound: FloatArray) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Iterate the best responses from the lowest and the highest efforts (a supermodular game).

    Returns the last iterates ``low <= high`` (every equilibrium lies between them) and
    whether they stayed ordered; an iterate that moves the wrong way means the game was not
    supermodular after all, and the state goes to the search on the full box.
    """
    low, high = np.zeros_like(bound), np.array(bound, copy=True)
    ordered = np.ones(bound.shape[1], dtype=bool)
    scale = _scale(bound)
    for _ in range(_MONOTONE_STEPS):
        up, down = games.best_responses(low), games.best_responses(high)
        slack = 8.0 * _EPS * scale
        ordered &= np.all(up >= low - slack, axis=0) & np.all(down <= high + slack, axis=0)
        moved = np.maximum(np.abs(up - low).max(axis=0), np.abs(down - high).max(axis=0))
        low, high = up, down
        if np.all(moved <= 4.0 * _EPS * scale) or np.all((high - low).max(axis=0) <= _RESOLUTION * scale):
            break
    ordered &= np.all(low <= high + 8.0 * _EPS * scale, axis=0)
    return low, high, ordered


def _search(games: StateGames, low: FloatArray, high: FloatArray, states: IntArray) -> tuple[FloatArray, IntArray]:
    """Branch-and-bound for every fixed point of ``BR`` in the boxes ``[low, high]`` (one per state).

    ``states`` names the states in errors. Returns the equilibria and their owners (positions
    in this batch).
    """
    scale = _scale(games.effort_bound())
    owner = np.arange(low.shape[1])
    lo, hi = np.array(low, copy=True), np.array(high, copy=True)
    done_lo, done_hi, done_owner = [], [], []
    slack_of = 1e-12
    for _ in range(64 * games.firms + 64):
        if owner.size == 0:
            break
        here = games.take(owner)
        for _ in range(4):  # narrow each box to its enclosure of the best responses
            lower, upper = here.enclosure(lo, hi)
            slack = slack_of * scale[owner]
            lo, hi = np.maximum(lo, lower - slack), np.minimum(hi, upper + slack)
        keep = np.all(lo <= hi, axis=0)
        owner, lo, hi = owner[keep], lo[:, keep], hi[:, keep]
        if owner.size == 0:
            break
        counts = np.bincount(owner, minlength=low.shape[1])
        if counts.max() > _MAX_BOXES:
            worst = int(np.argmax(counts))
            raise EquilibriumError("too many candidate boxes in the search for equilibria (a near-continuum of "
                                   "equilibria?)", tuple(int(v) for v in states[:, worst]),
                                   {"boxes": int(counts[worst]), "limit": _MAX_BOXES})
        width = (hi - lo) / scale[owner]
        small = width.max(axis=0) <= _RESOLUTION
        done_lo.append(lo[:, small])
        done_hi.append(hi[:, small])
        done_owner.append(owner[small])
        owner, lo, hi = owner[~small], lo[:, ~small], hi[:, ~small]
        if owner.size == 0:
            break
        axis = np.argmax(width[:, ~small], axis=0)
        middle = 0.5 * (lo[axis, np.arange(owner.size)] + hi[axis, np.arange(owner.size)])
        left_hi, right_lo = hi.copy(), lo.copy()
        left_hi[axis, np.arange(owner.size)] = middle
        right_lo[axis, np.arange(owner.size)] = middle
        owner = np.concatenate([owner, owner])
        lo, hi = np.concatenate([lo, right_lo], axis=1), np.concatenate([left_hi, hi], axis=1)
    if owner.size:
        raise EquilibriumError("the search for equilibria did not resolve every box",
                               tuple(int(v) for v in states[:, owner[0]]), {"boxes_left": int(owner.size)})
    if not done_owner:  # every box dropped (non-finite enclosures): the caller reports the states without one
        return np.zeros((games.firms, 0)), np.zeros(0, dtype=np.intp)
    return _settle(games, np.concatenate(done_lo, axis=1), np.concatenate(done_hi, axis=1),
                   np.concatenate(done_owner), scale, states)


def _settle(
    games: StateGames, lo: FloatArray, hi: FloatArray, owner: IntArray, scale: FloatArray, states: IntArray
) -> tuple[FloatArray, IntArray]:
    """Newton from the middle of every surviving box; the distinct equilibria, each box accounted for."""
    if owner.size == 0:
        return np.zeros((games.firms, 0)), np.zeros(0, dtype=np.intp)
    root, gap = _newton(games.take(owner), 0.5 * (lo + hi))
    near = 10.0 * (hi - lo).max(axis=0) + _SAME * scale[owner]
    converged = gap <= 1e-12 * scale[owner]
    inside = converged & (np.abs(root - 0.5 * (lo + hi)).max(axis=0) <= near)
    astray = np.flatnonzero(~inside)
    if astray.size:  # Newton kept near its box (projected), for boxes whose free run went elsewhere
        reach = near[astray]
        kept, kept_gap = _newton(games.take(owner[astray]), 0.5 * (lo + hi)[:, astray],
                                 np.maximum(lo[:, astray] - reach, 0.0), hi[:, astray] + reach)
        found = kept_gap <= 1e-12 * scale[owner[astray]]
        root[:, astray[found]], gap[astray[found]] = kept[:, found], kept_gap[found]
        inside[astray[found]] = True
        astray = astray[~found]
    if astray.size:  # still none: the box's middle, if no firm gains by moving to its exact best response
        middle = 0.5 * (lo + hi)[:, astray]
        calm = _no_gain(games.take(owner[astray]), middle)
        root[:, astray[calm]] = middle[:, calm]
        inside[astray[calm]] = True
    effort, owners = _distinct(root[:, inside], owner[inside], scale)
    for box in np.flatnonzero(~inside):  # a box whose own Newton run went elsewhere: is an equilibrium near it?
        mine = owners == owner[box]
        middle = 0.5 * (lo[:, box] + hi[:, box])
        if not np.any(np.abs(effort[:, mine] - middle[:, None]).max(axis=0) <= near[box]):
            raise EquilibriumError(
                "a box that may hold an equilibrium has none near it (a singular equilibrium?)",
                tuple(int(v) for v in states[:, owner[box]]),
                {"box_low": lo[:, box].tolist(), "box_high": hi[:, box].tolist(), "newton_gap": float(gap[box])})
    return effort, owners


def _no_gain(games: StateGames, effort: FloatArray) -> BoolArray:
    """Columns at which no firm gains more than ``_GAIN`` of its continuation values by moving to its best response.

    The acceptance test of the two-firm search (``patentrace.solvers.allroots``), used here for a
    box whose equilibrium Newton's method cannot reach: next to the effort at which a firm starts
    to invest its best response can be nearly vertical (``c''`` vanishing at 0), and a point of
    the box is then an equilibrium to this precision without being a root to full precision.
    """
    hazard = games.productivity * effort
    response = games.best_responses(effort)
    calm = np.ones(effort.shape[1], dtype=bool)
    for k in range(games.firms):
        problem = games.problem(k, hazard)
        gain = problem.flow_value(response[k]) - problem.flow_value(effort[k])
        size = np.maximum(np.abs(games.own_next[k]), np.abs(games.rival_next[k]).max(axis=0))
        calm &= gain <= _GAIN * np.maximum(size, float(np.finfo(float).tiny))
    return calm


def _distinct(effort: FloatArray, owner: IntArray, scale: FloatArray) -> tuple[FloatArray, IntArray]:
    """The equilibria with duplicates (closer than ``_SAME`` of the bound, same state) removed."""
    order = np.lexsort((*effort[::-1], owner))
    effort, owner = effort[:, order], owner[order]
    keep: list[int] = []
    for column in range(owner.size):
        same = [k for k in keep[-64:] if owner[k] == owner[column]
                and np.abs(effort[:, k] - effort[:, column]).max() <= _SAME * scale[owner[column]]]
        if not same:
            keep.append(column)
    return effort[:, keep], owner[keep]


def find_equilibria(games: StateGames, states: IntArray, compiled: bool = False) -> StateEquilibria:
    """Every equilibrium of each state's game (the module docstring says how; docs/solver.md why none is missed).

    Parameters
    ----------
    games : StateGames
        The games of ``m`` states.
    states : ndarray of int, shape (n, m)
        The states, named by errors.
    compiled : bool
        With power costs, try the compiled interval contraction first
        (``patentrace.solvers.nfirm_kernels``); the states it cannot certify get the rest.

    Returns
    -------
    StateEquilibria

    Examples
    --------
    >>> import numpy as np
    >>> from patentrace.costs import Quadratic
    >>> games = StateGames(own_next=np.ones((3, 1)), rival_next=np.zeros((3, 3, 1)),
    ...                    productivity=np.ones((3, 1)), discount=np.array([0.1]), cost=(Quadratic(),) * 3)
    >>> found = find_equilibria(games, np.zeros((3, 1), dtype=np.intp))
    >>> found.count.tolist(), bool(found.supermodular[0])
    ([1], True)
    """
    m = games.discount.size
    if not (compiled and m and all(isinstance(c, Power) for c in games.cost)):
        return _complete(games, states)
    from patentrace.solvers import nfirm_kernels

    bound = games.effort_bound()
    effort = np.zeros_like(bound)
    status = np.zeros(m, dtype=np.intp)
    cost = np.array([[c.scale, c.exponent, c.linear] for c in games.cost if isinstance(c, Power)])
    nfirm_kernels.certify_states(np.ascontiguousarray(games.own_next), np.ascontiguousarray(games.rival_next),
                                 np.ascontiguousarray(games.productivity), np.ascontiguousarray(games.discount),
                                 np.ascontiguousarray(bound), cost, effort, status)
    done = status == nfirm_kernels.UNIQUE
    rest = np.flatnonzero(~done)
    contracted = np.asarray(done, dtype=bool)
    if rest.size == 0:
        none = np.zeros(m, dtype=bool)
        return StateEquilibria(effort=effort, owner=np.arange(m), count=np.ones(m, dtype=np.intp),
                               supermodular=none, searched=none, contracted=contracted)
    others = _complete(games.take(rest), states[:, rest])
    supermodular, searched = np.zeros(m, dtype=bool), np.zeros(m, dtype=bool)
    supermodular[rest], searched[rest] = others.supermodular, others.searched
    count = np.ones(m, dtype=np.intp)
    count[rest] = others.count
    return StateEquilibria(effort=np.concatenate([effort[:, done], others.effort], axis=1),
                           owner=np.concatenate([np.flatnonzero(done), rest[others.owner]]), count=count,
                           supermodular=supermodular, searched=searched, contracted=contracted)


def _complete(games: StateGames, states: IntArray) -> StateEquilibria:
    """Every equilibrium of each state: monotone iteration where supermodular, the search elsewhere."""
    bound = games.effort_bound()
    scale = _scale(bound)
    certified = games.supermodular(bound)
    low, high = np.zeros_like(bound), np.array(bound, copy=True)
    unique = np.zeros(bound.shape[1], dtype=bool)
    solution = np.zeros_like(bound)
    picked = np.flatnonzero(certified)
    if picked.size:
        sub = games.take(picked)
        least, greatest, ordered = _monotone(sub, bound[:, picked])
        met = ordered & ((greatest - least).max(axis=0) <= _RESOLUTION * scale[picked])
        root, gap = _newton(sub, 0.5 * (least + greatest))
        within = np.all((root >= least - _SAME * scale[picked]) & (root <= greatest + _SAME * scale[picked]), axis=0)
        settled = met & within & (gap <= 1e-12 * scale[picked])
        unique[picked[settled]] = True
        solution[:, picked[settled]] = root[:, settled]
        keep = ordered & ~settled  # the equilibria lie between the iterates: search there
        low[:, picked[keep]], high[:, picked[keep]] = least[:, keep], greatest[:, keep]
    rest = np.flatnonzero(~unique)
    efforts, owners = [solution[:, unique]], [np.flatnonzero(unique)]
    if rest.size:
        found, owner = _search(games.take(rest), low[:, rest], high[:, rest], states[:, rest])
        efforts.append(found)
        owners.append(rest[owner])
    effort, owner = np.concatenate(efforts, axis=1), np.concatenate(owners)
    count = np.bincount(owner, minlength=bound.shape[1]).astype(np.intp)
    if np.any(count == 0):
        state = int(np.flatnonzero(count == 0)[0])
        raise EquilibriumError("no equilibrium found", tuple(int(v) for v in states[:, state]),
                               {"effort_bound": bound[:, state].tolist()})
    searched = ~unique
    return StateEquilibria(effort=effort, owner=owner, count=count, supermodular=certified, searched=searched,
                           contracted=np.zeros_like(certified))


def _choose(
    found: StateEquilibria, games: StateGames, selection: str, level: BoolArray
) -> FloatArray:
    """One equilibrium per state by ``selection``; at ``level`` states a symmetric one where there is one."""
    m = found.count.size
    hazard = games.productivity[:, found.owner] * found.effort
    if selection == "richest":
        sub = games.take(found.owner)
        score = sum(sub.problem(k, hazard).flow_value(found.effort[k]) for k in range(games.firms))
    else:
        score = hazard.sum(axis=0) * (1.0 if selection == "fastest" else -1.0)
    spread = found.effort.max(axis=0) - found.effort.min(axis=0)
    symmetric = spread <= _SYMMETRIC * np.maximum(found.effort.max(axis=0), 1e-300)
    preferred = level[found.owner] & symmetric
    has_preferred = np.bincount(found.owner, weights=preferred, minlength=m) > 0
    eligible = ~has_preferred[found.owner] | preferred
    score = np.where(eligible, np.asarray(score, dtype=float), -np.inf)
    order = np.lexsort((-score, found.owner))
    first = order[np.searchsorted(found.owner[order], np.arange(m))]
    return np.asarray(found.effort[:, first])


def interchangeable(race: Race) -> bool:
    """Whether every permutation of the firms leaves ``race`` unchanged (stages, costs, productivity, breakthroughs).

    Examples
    --------
    >>> import patentrace as pr
    >>> interchangeable(pr.Race(stages=(2, 2, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    True
    >>> interchangeable(pr.Race(stages=(2, 2, 1), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    False
    """
    return all(len(set(field)) == 1 for field in (race.stages, race.cost, race.productivity, race.breakthrough))


def _per_stage(lattice: Lattice, rates: tuple[tuple[float, ...], ...]) -> FloatArray:
    """A per-stage rate of each firm at every flat state; 0 where the firm has finished."""
    out = np.zeros((lattice.firms, *lattice.shape))
    for firm, curve in enumerate(rates):
        axis = [1] * lattice.firms
        axis[firm] = -1
        out[firm] = np.append(np.asarray(curve, dtype=float), 0.0).reshape(axis)  # broadcast along the other axes
    return out.reshape(lattice.firms, -1)


@dataclass(frozen=True)
class _Race:
    """What the sweep reads of a race, per flat state."""

    lattice: Lattice
    productivity: FloatArray
    breakthrough: FloatArray
    symmetric: bool


def _continuations(value: FloatArray, here: IntArray, strides: tuple[int, ...]) -> tuple[FloatArray, FloatArray]:
    """``A_k = V_k(s + e_k)`` (shape (n, m)) and ``B_kl = V_k(s + e_l)`` (shape (n, n, m))."""
    after = np.stack([value[:, here + stride] for stride in strides], axis=1)  # [k, l, m] = V_k(s + e_l)
    own = np.stack([after[k, k] for k in range(len(strides))])
    return own, after


def _hyperplane(race: Race, data: _Race, value: FloatArray, here: IntArray, selection: str, compiled: bool) -> tuple[
        FloatArray, FloatArray, IntArray, StateEquilibria]:
    """Efforts, values and equilibrium counts at the states ``here`` of one hyperplane."""
    firms, lattice = race.firms, data.lattice
    own, after = _continuations(value, here, lattice.strides)
    jump = data.breakthrough[:, here]
    total_jump = jump.sum(axis=0)
    rate = race.discount + total_jump
    shift = (jump * race.prize + (total_jump - jump) * race.loser_prize) / rate  # docs/theory/race.md (18)
    lam = data.productivity[:, here]
    games = StateGames(own - shift, after - shift[:, None, :], lam, rate, race.cost)
    states = lattice.coordinates(here)
    found = find_equilibria(games, states, compiled)
    level = np.full(here.size, data.symmetric) & np.all(states == states[:1], axis=0)
    effort = _choose(found, games, selection, level)
    if data.symmetric:  # firms at the same stage of a race of alike firms: one effort, exactly
        effort = _balance(effort, states)
    hazard = lam * effort
    total, mean = aggregate_rival(hazard, after)
    values = np.stack([
        hjb.FirmProblem(race.cost[k], lam[k], own[k], mean[k], total[k], race.discount, own_breakthrough=jump[k],
                        rival_breakthrough=total_jump - jump[k], prize=race.prize,
                        loser_prize=race.loser_prize).flow_value(effort[k])
        for k in range(firms)])
    if data.symmetric:
        values = _balance(values, states)
    return effort, values, found.count, found


def _balance(array: FloatArray, states: IntArray) -> FloatArray:
    """Give firms at the same stage the entry of the first of them, where all of them agree to ``_SYMMETRIC``."""
    out = np.array(array, copy=True)
    firms = states.shape[0]
    for k in range(1, firms):
        for first in range(k):
            tied = (states[k] == states[first]) & (
                np.abs(out[k] - out[first]) <= _SYMMETRIC * np.maximum(np.abs(out[first]), 1e-300))
            out[k] = np.where(tied, out[first], out[k])
    return out


def _canonical(lattice: Lattice, here: IntArray) -> tuple[BoolArray, IntArray, IntArray]:
    """Which states of ``here`` have non-decreasing stage counts; for every state its sorted state and permutation."""
    states = lattice.coordinates(here)
    perm = np.argsort(states, axis=0, kind="stable")
    ordered = np.take_along_axis(states, perm, axis=0)
    source = np.ravel_multi_index(tuple(ordered), lattice.shape)
    return np.all(np.diff(states, axis=0) >= 0, axis=0), np.asarray(source, dtype=np.intp), perm


def solve_nfirm(race: Race, selection: str = "fastest", compiled: bool = True) -> NFirmEquilibrium:
    """Solve a [`Race`][patentrace.Race] of any number of firms by backward induction over hyperplanes.

    Parameters
    ----------
    race : Race
        The model, ``n >= 2`` firms (with two, [`patentrace.solve`][patentrace.solve] uses the two-firm
        solver; this one is a second path to the same equilibria).
    selection : {"fastest", "slowest", "richest"}
        Rule for states with several equilibria.
    compiled : bool
        With power costs, solve in one compiled loop that certifies each state's equilibrium
        unique (``patentrace.solvers.nfirm_sweep.sweep_planes``) and hands the states it cannot
        certify to the numpy search; False uses the numpy path everywhere. The results agree
        to rounding.

    Returns
    -------
    NFirmEquilibrium

    Raises
    ------
    EquilibriumError
        If some state's equilibria cannot be certified (several firms on the edge of
        investing, say); it names the state and the numbers.

    Examples
    --------
    Two firms, where the two-firm solver's value of docs/theory/race.md is known, then three:

    >>> import patentrace as pr
    >>> round(float(solve_nfirm(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    ...                         ).effort[0, 0, 0]), 10)
    0.3517921025
    >>> solve_nfirm(pr.Race(stages=(2, 1, 1), prize=1.0, discount=0.1, cost=pr.costs.Quadratic())).effort.shape
    (3, 3, 2, 2)
    """
    if selection not in SELECTION_RULES:
        raise ValueError(f"selection must be one of {SELECTION_RULES}, got {selection!r}")
    started = time.perf_counter()
    lattice = Lattice(tuple(race.stages))
    data = _Race(lattice, _per_stage(lattice, race.productivity), _per_stage(lattice, race.breakthrough),
                 interchangeable(race))
    from patentrace.solvers import nfirm_sweep

    value, multiplicity = np.empty((race.firms, lattice.size)), np.empty(lattice.size, dtype=np.intp)
    nfirm_sweep.terminal_values(np.asarray(lattice.shape, dtype=np.intp), race.prize, race.loser_prize, value,
                                multiplicity)
    effort = np.zeros_like(value)
    if compiled and all(isinstance(c, Power) for c in race.cost):
        certified, searched, contracted = _sweep_compiled(race, data, value, effort, multiplicity, selection)
    else:
        certified, searched, contracted = _sweep(race, data, value, effort, multiplicity, selection, compiled)
    hazard = data.productivity * effort
    win, duration = chain_arrays(lattice, hazard, data.breakthrough)
    info = SolverInfo(method="backward", selection=selection,
                      options={"path": "nfirm", "contracted_states": contracted, "supermodular_states": certified,
                               "searched_states": searched},
                      version=__version__, seconds=time.perf_counter() - started)
    shape = (race.firms, *lattice.shape)
    for array in (effort, hazard, value, win, duration, multiplicity):  # ours alone: the result keeps them, uncopied
        array.setflags(write=False)
    return NFirmEquilibrium(model=race, solver=info, effort=effort.reshape(shape), hazard=hazard.reshape(shape),
                            value=value.reshape(shape), win_probability=win.reshape(shape),
                            expected_duration=duration.reshape(lattice.shape),
                            multiplicity=multiplicity.reshape(lattice.shape))


def _sweep(race: Race, data: _Race, value: FloatArray, effort: FloatArray, multiplicity: IntArray, selection: str,
           compiled: bool) -> tuple[int, int, int]:
    """The backward sweep in numpy, one hyperplane per batch; fills the arrays, returns the state counts.

    The counts are (supermodular, searched, contracted) states.
    """
    lattice = data.lattice
    certified = searched = contracted = 0
    for plane in lattice.hyperplanes:
        if data.symmetric:
            canonical, source, perm = _canonical(lattice, plane)
            here = plane[canonical]
        else:
            here = plane
        chosen, values, count, found = _hyperplane(race, data, value, here, selection, compiled)
        effort[:, here], value[:, here], multiplicity[here] = chosen, values, count
        certified += int(found.supermodular.sum())
        searched += int(found.searched.sum())
        contracted += int(found.contracted.sum())
        if data.symmetric:  # firm perm[j] at a state plays firm j's part at its sorted state
            columns = np.arange(plane.size)
            for j in range(race.firms):
                effort[perm[j], plane[columns]] = effort[j, source]
                value[perm[j], plane[columns]] = value[j, source]
            multiplicity[plane] = multiplicity[source]
    return certified, searched, contracted


@dataclass(frozen=True)
class _Plan:
    """The order of the compiled sweep: states to solve and (alike firms) states to copy, per hyperplane.

    Hyperplane ``p`` solves ``order[offsets[p]:offsets[p + 1]]`` and copies
    ``copies[copy_offsets[p]:copy_offsets[p + 1]]``, each from ``source`` with the firms
    permuted by ``perm`` (``_canonical``), as ``_sweep`` does one hyperplane at a time.
    """

    order: IntArray
    offsets: IntArray
    copies: IntArray
    source: IntArray
    perm: IntArray
    copy_offsets: IntArray


def _plan(data: _Race) -> _Plan:
    """The hyperplanes of ``Lattice.hyperplanes`` and the copies of ``_canonical``, at once (compiled)."""
    from patentrace.solvers import nfirm_sweep

    return _Plan(*nfirm_sweep.plan_sweep(np.asarray(data.lattice.shape, dtype=np.intp), data.symmetric))


def _sweep_compiled(race: Race, data: _Race, value: FloatArray, effort: FloatArray, multiplicity: IntArray,
                    selection: str) -> tuple[int, int, int]:
    """The backward sweep of power-cost races in one compiled loop (``nfirm_sweep.sweep_planes``).

    States the compiled certificates cannot settle are solved by ``_hyperplane`` (every
    equilibrium, numpy), after which the compiled loop resumes at the next hyperplane.
    Returns the state counts as ``_sweep``.
    """
    from patentrace.solvers import nfirm_kernels, nfirm_sweep

    lattice, plan = data.lattice, _plan(data)
    cost = np.array([[c.scale, c.exponent, c.linear] for c in race.cost if isinstance(c, Power)], dtype=float)
    status = np.full(lattice.size, -1, dtype=np.intp)
    strides, shape = np.asarray(lattice.strides, dtype=np.intp), np.asarray(lattice.shape, dtype=np.intp)
    planes = plan.offsets.size - 1
    certified = searched = 0
    plane = 0
    while plane < planes:
        plane = nfirm_sweep.sweep_planes(
            plane, plan.order, plan.offsets, plan.copies, plan.source, plan.perm, plan.copy_offsets, strides, shape,
            data.productivity, data.breakthrough, cost, race.prize, race.loser_prize, race.discount, data.symmetric,
            value, effort, status)
        if plane == planes:
            break
        solved = plan.order[plan.offsets[plane]:plan.offsets[plane + 1]]
        here = solved[status[solved] == nfirm_kernels.HANDED]
        chosen, values, count, found = _hyperplane(race, data, value, here, selection, False)
        effort[:, here], value[:, here], multiplicity[here] = chosen, values, count
        certified += int(found.supermodular.sum())
        searched += int(found.searched.sum())
        if data.symmetric:
            copies = slice(plan.copy_offsets[plane], plan.copy_offsets[plane + 1])
            target, source = plan.copies[copies], plan.source[copies]
            for j in range(race.firms):
                effort[plan.perm[j, copies], target] = effort[j, source]
                value[plan.perm[j, copies], target] = value[j, source]
        plane += 1
    if data.symmetric:
        multiplicity[plan.copies] = multiplicity[plan.source]
    contracted = int(np.count_nonzero((status == nfirm_kernels.FAST) | (status == nfirm_kernels.BRANCHED)))
    return certified, searched, contracted
