"""Every pure equilibrium of a race in periods with continuous effort, state by state (docs/lagged.md).

At a state, with the values of later states known, firm ``k``'s best response to the
rival's effort is the unique root of the period first-order condition with the
self-loop value eliminated
([`periods_continuous`][patentrace.equations.periods_continuous] in equations). A pure
equilibrium is a pair of mutual best responses, so with ``y`` firm 0's effort

    phi(y) = T(y) - y,   T(y) = BR_0(p_1(BR_1(p_0(y)))),

on ``[0, X_0]`` (``X_0`` the largest effort). Best responses are continuous in the
rival's effort (the right side of the condition is continuous and the left side
strictly increasing), so ``phi`` is continuous with ``phi(0) >= 0 >= phi(X_0)``: every
state of a regular race has a pure equilibrium. The search evaluates ``phi`` on a grid
finer near 0, brackets every sign change, and refines every cell where a root could
hide between grid points (docs/lagged.md, "How every equilibrium is found").

Examples
--------
>>> import patentrace as pr
>>> race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
>>> eq = solve_continuous(pr.LaggedRace.from_race(race, lag=0.25))
>>> eq.effort.shape, int(eq.multiplicity[0, 0])
((2, 3, 3), 1)
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from patentrace._version import __version__
from patentrace.equations.periods_continuous import (
    FirmTerms,
    state_terms,
    terminal_values,
    value_of,
)
from patentrace.errors import EquilibriumError
from patentrace.models import Action, LaggedRace
from patentrace.models.effort import ContinuousEffort
from patentrace.models.lattice import Layout
from patentrace.results import chain
from patentrace.results.continuous_lagged import ContinuousLaggedEquilibrium, state_check
from patentrace.results.equilibrium import LaggedEquilibrium, SolverInfo
from patentrace.solvers.bracket import bracketed_root, midpoint
from patentrace.solvers.selection import SELECTION_RULES

__all__ = ["IrregularTechnologyWarning", "StateSolutions", "diagonal_solutions", "menu_race", "realised_menus",
           "solve_all_continuous", "solve_continuous", "solve_irregular", "state_solutions"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
Bracket = tuple[int, float, float, float, float]  # state, u, v, phi(u), phi(v)

GRID = 257  # points of the first grid of firm 0's effort, denser near 0
_SPLIT = 16  # each doubtful cell is split this many ways
_DEPTH = 4  # rounds of splitting before a cell is reported as unresolved
_MAX_CELLS = 4096  # most cells split in one round, over the states of an anti-diagonal
_SAFETY = 4.0  # factor on the slope estimate of a cell
_SAME = 1e-9  # equilibria closer than this (relative to max_effort) are one
_WIDTH = 1e-12  # final width of a root bracket, relative to max_effort
_GAIN = 1e-10  # largest deviation gain, relative to the prize, of an equilibrium returned


class IrregularTechnologyWarning(UserWarning):
    """A technology outside the conditions under which every pure equilibrium is found (docs/lagged.md)."""


@dataclass(frozen=True)
class StateSolutions:
    """Every pure equilibrium found at one state.

    Attributes
    ----------
    effort : ndarray, shape (e, 2)
        Each equilibrium's efforts.
    value : ndarray, shape (e, 2)
        Each equilibrium's values.
    far : ndarray, shape (e, 2)
        The efforts with firm 0's at the far end of its final root bracket (for the error estimate).
    unresolved : int
        Cells of firm 0's effort where a root could not be excluded nor bracketed (0 when the
        search is complete).

    Examples
    --------
    >>> import patentrace as pr
    >>> from patentrace.equations.periods_continuous import terminal_values
    >>> race = pr.LaggedRace.from_race(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), 1.0)
    >>> found = state_solutions(race, terminal_values(race), 0, 0)
    >>> found.effort.shape, found.unresolved, bool(abs(found.effort[0, 0] - found.effort[0, 1]) < 1e-12)
    ((1, 2), 0, True)
    """

    effort: FloatArray
    value: FloatArray
    far: FloatArray
    unresolved: int


class _Diagonal:
    """Both firms' period terms at several states (of one anti-diagonal), evaluated element by element.

    Every array of efforts comes with ``owner``, the position of each element's state; the
    coefficients of the equations of
    [`periods_continuous`][patentrace.equations.periods_continuous] in equations are arrays
    over the states, indexed by ``owner``. Technologies built by ``from_race`` that
    differ only in their rate (one firm's stages) are evaluated in one array operation.
    """

    def __init__(self, games: list[tuple[FirmTerms, FirmTerms]]) -> None:
        self.size = len(games)
        self.terms = games
        self.coefficients = [np.array([[getattr(g[k], name) for name in ("a0", "a1", "b0", "b1", "loop")]
                                       for g in games]).T for k in (0, 1)]
        self.tops = [np.array([g[k].effort.max_effort for g in games]) for k in (0, 1)]
        self.techs = [[g[k].effort for g in games] for k in (0, 1)]
        self.family = [_shared_family(techs) for techs in self.techs]

    def _by_state(self, firm: int, what: str, x: FloatArray, owner: IntArray) -> FloatArray:
        out = np.empty(x.shape)
        for s in np.unique(owner):
            at = owner == s
            out[at] = getattr(self.techs[firm][int(s)], what)(x[at])
        return out

    def probability(self, firm: int, x: FloatArray, owner: IntArray) -> FloatArray:
        family = self.family[firm]
        if family is not None:
            return np.asarray(-np.expm1(-family[2][owner] * x))
        return self._by_state(firm, "probability", x, owner)

    def technology(self, firm: int, x: FloatArray, owner: IntArray) -> tuple[FloatArray, ...]:
        """``(c, c', p, p')`` at efforts ``x``."""
        family = self.family[firm]
        if family is not None:
            cost, per_unit, rates = family
            rate = rates[owner]
            decay = np.exp(-rate * x)
            return (np.asarray(cost.value(x), dtype=float) * per_unit,
                    np.asarray(cost.marginal(x), dtype=float) * per_unit, -np.expm1(-rate * x), rate * decay)
        return tuple(self._by_state(firm, name, x, owner)
                     for name in ("period_cost", "cost_slope", "probability", "success_slope"))

    def gap(self, firm: int, x: FloatArray, q: FloatArray, owner: IntArray) -> FloatArray:
        """``best_response_gap`` element by element (see its docstring)."""
        a0, a1, b0, b1, loop = self.coefficients[firm][:, owner]
        phi_a, phi_b, kappa = a0 + a1 * q, b0 + b1 * q, loop * (1.0 - q)
        c, marginal, p, slope = self.technology(firm, x, owner)
        target = phi_b - kappa * (phi_a + phi_b)
        lhs = marginal * (1.0 - kappa * (1.0 - p))
        rhs = slope * (kappa * c + target)
        scale = np.abs(lhs) + slope * (kappa * np.abs(c) + np.abs(phi_b) + kappa * (np.abs(phi_a) + np.abs(phi_b)))
        return np.asarray((lhs - rhs) / np.maximum(scale, 1e-300))

    def best_response(self, firm: int, q: FloatArray, owner: IntArray) -> FloatArray:
        """Best responses to rival success probabilities ``q``, by bracketing the gap on ``[0, max_effort]``."""
        top = self.tops[firm][owner]
        lo = np.zeros(q.size)
        g_lo, g_hi = self.gap(firm, lo, q, owner), self.gap(firm, top, q, owner)
        out = np.where(g_hi <= 0.0, top, 0.0)
        inside = np.flatnonzero((g_lo < 0.0) & (g_hi > 0.0))
        if inside.size:
            qs, whose = q[inside], owner[inside]
            roots, _ = bracketed_root(lambda x, at: self.gap(firm, x, qs[at], whose[at]), lo[inside], top[inside],
                                      g_lo[inside], g_hi[inside])
            out[inside] = roots
        return out

    def response_map(self, y: FloatArray, owner: IntArray) -> tuple[FloatArray, FloatArray]:
        """``(T(y), BR_1(p_0(y)))`` for firm 0's efforts ``y``."""
        second = self.best_response(1, self.probability(0, y, owner), owner)
        return self.best_response(0, self.probability(1, second, owner), owner), second

    def phi(self, y: FloatArray, owner: IntArray) -> FloatArray:
        return np.asarray(self.response_map(y, owner)[0] - y)


def _shared_family(techs: list[ContinuousEffort]) -> tuple[Any, float, FloatArray] | None:
    """``(cost, per_unit, rates)`` when every technology is a Poisson one with the same cost, else None."""
    families = [t.family for t in techs]
    if any(f is None for f in families):
        return None
    first = families[0]
    assert first is not None
    if any(f is None or f[0] != first[0] or f[1] != first[1] for f in families):  # equal costs (a loaded race)
        return None
    return first[0], first[1], np.array([f[2] for f in families if f is not None])


def _grid(top: float) -> FloatArray:
    t = np.linspace(0.0, 1.0, GRID)
    return np.asarray(top * t * t)


def _doubtful(y: FloatArray, psi: FloatArray, slope_floor: FloatArray) -> NDArray[np.bool_]:
    """Cells without a sign change where a root could hide: ``|psi(u)| + |psi(v)| <= L (v - u)``.

    ``L`` is ``_SAFETY`` times the largest secant slope of the cell, its neighbours and
    its parent cell (``slope_floor``): an estimate of the Lipschitz constant of ``psi`` on
    the cell, not a bound.
    """
    width = np.diff(y)
    secant = np.abs(np.diff(psi)) / np.maximum(width, 1e-300)
    near = np.maximum(secant, np.maximum(np.r_[secant[1:], 0.0], np.r_[0.0, secant[:-1]]))
    bound = _SAFETY * np.maximum(near, slope_floor)
    same_sign = np.sign(psi[:-1]) * np.sign(psi[1:]) > 0
    return np.asarray(same_sign & (np.abs(psi[:-1]) + np.abs(psi[1:]) <= bound * width))


@dataclass
class _Found:
    """Roots of one state's ``phi`` found so far, with the far ends of their brackets."""

    roots: list[float]
    far: list[float]
    unresolved: int = 0


def _polish(game: _Diagonal, found: list[_Found], brackets: list[Bracket], tight: bool) -> None:
    """Polish sign-change brackets ``(state, u, v, phi(u), phi(v))`` of many states at once."""
    if not brackets:
        return
    owner = np.array([b[0] for b in brackets], dtype=np.intp)
    lo, hi, f_lo, f_hi = (np.array([b[k] for b in brackets]) for k in (1, 2, 3, 4))
    roots, other = bracketed_root(lambda x, at: game.phi(x, owner[at]), lo, hi, f_lo, f_hi)
    if tight:
        other = _collapse(game, roots, other, owner)
    for s, root, far in zip(owner.tolist(), roots.tolist(), other.tolist(), strict=True):
        found[s].roots.append(root)
        found[s].far.append(far)


def _sign_changes(s: int, y: FloatArray, phi: FloatArray, found: _Found) -> list[Bracket]:
    """Record the zeros of ``phi`` at the points ``y``; return the brackets of its sign changes."""
    for v in y[phi == 0.0].tolist():
        found.roots.append(v)
        found.far.append(v)
    change = np.flatnonzero(np.sign(phi[:-1]) * np.sign(phi[1:]) < 0)
    return [(s, float(y[k]), float(y[k + 1]), float(phi[k]), float(phi[k + 1])) for k in change]


def _collapse(game: _Diagonal, root: FloatArray, other: FloatArray, owner: IntArray) -> FloatArray:
    """Shrink each final bracket ``[root, other]`` by bisection to ``_WIDTH`` of the range; its new far end.

    Regula falsi stops once ``phi(root)`` is at rounding level, which can leave the far end
    of its bracket wide; the root lies between the two ends either way.
    """
    a, b = root.copy(), other.copy()
    f_a = game.phi(a, owner)
    width = _WIDTH * game.tops[0][owner]
    for _ in range(200):
        wide = np.flatnonzero((np.abs(b - a) > width) & (f_a != 0.0))
        if wide.size == 0:
            break
        mid = midpoint(a[wide], b[wide])
        f_mid = game.phi(mid, owner[wide])
        same = np.sign(f_mid) == np.sign(f_a[wide])
        a[wide] = np.where(same, mid, a[wide])
        f_a[wide] = np.where(same, f_mid, f_a[wide])
        b[wide] = np.where(same, b[wide], mid)
    return np.where(f_a == 0.0, a, b)


def _deflated(game: _Diagonal, s: int, y: FloatArray, phi: FloatArray, roots: list[float]) -> FloatArray:
    """``psi = phi / prod((y - z) / top)`` over the known roots ``z``: zero only at a root not yet found."""
    top = float(game.tops[0][s])
    factor = np.ones(y.size)
    for z in roots:
        factor *= (y - z) / top
    at_root = factor == 0.0
    if not np.any(at_root):
        return np.asarray(phi / factor)
    # psi at a known root: its limit, from a point just beside it
    step = 1e-7 * top
    beside = np.where(y[at_root] + step <= top, y[at_root] + step, y[at_root] - step)
    near = np.ones(beside.size)
    for z in roots:
        near *= np.where(np.abs(beside - z) > 0.0, (beside - z) / top, 1.0)
    out = phi.copy()
    out[~at_root] = phi[~at_root] / factor[~at_root]
    out[at_root] = game.phi(beside, np.full(beside.size, s, dtype=np.intp)) / near
    return out


def _search(game: _Diagonal, tight: bool) -> list[_Found]:
    """Every root of each state's ``phi`` on ``[0, X_0]``, with far bracket ends and unresolved cells.

    First the sign changes and zeros of ``phi`` on the grid, all states at once. Then, to
    find roots that come in pairs between grid points, each state's known roots are
    divided out (``psi``) and every cell where ``psi`` could vanish (``_doubtful``) is
    split, up to ``_DEPTH`` times; a sign change of ``phi`` inside a split cell that holds
    no known root brackets new roots.
    """
    found = [_Found([], []) for _ in range(game.size)]
    grids = [_grid(float(top)) for top in game.tops[0]]
    owner = np.repeat(np.arange(game.size), GRID)
    values = game.phi(np.concatenate(grids), owner).reshape(game.size, GRID)
    brackets = [b for s in range(game.size) for b in _sign_changes(s, grids[s], values[s], found[s])]
    _polish(game, found, brackets, tight)
    pending = [(s, grids[s], values[s], np.zeros(GRID - 1)) for s in range(game.size)]
    for depth in range(_DEPTH + 1):
        cells: list[tuple[int, FloatArray, float]] = []
        for s, ys, ph, floor in pending:
            psi = _deflated(game, s, ys, ph, found[s].roots)
            doubt = np.flatnonzero(_doubtful(ys, psi, floor))
            if depth == _DEPTH or len(cells) + doubt.size > _MAX_CELLS:  # give up on these: report them
                found[s].unresolved += doubt.size
                continue
            for k in doubt:
                parent = abs(psi[k + 1] - psi[k]) / max(ys[k + 1] - ys[k], 1e-300)
                cells.append((s, np.linspace(ys[k], ys[k + 1], _SPLIT + 1), max(parent, float(floor[k]))))
        if not cells:
            break
        owner = np.repeat(np.array([c[0] for c in cells], dtype=np.intp), _SPLIT + 1)
        values_flat = game.phi(np.concatenate([c[1] for c in cells]), owner).reshape(len(cells), _SPLIT + 1)
        pending, brackets = [], []
        for (s, sub, floor_value), part in zip(cells, values_flat, strict=True):
            if not any(sub[0] <= z <= sub[-1] for z in found[s].roots):  # a sign change here is a missed root
                brackets += _sign_changes(s, sub, part, found[s])
            pending.append((s, sub, part, np.full(_SPLIT, floor_value)))
        _polish(game, found, brackets, tight)
    return found


def _solutions(game: _Diagonal, s: int, found: _Found) -> StateSolutions:
    """Distinct roots of state ``s`` as equilibria: efforts, values, far ends."""
    top = float(game.tops[0][s])
    order = np.argsort(found.roots)
    y, y_far = np.array(found.roots, dtype=float)[order], np.array(found.far, dtype=float)[order]
    keep = np.r_[True, np.diff(y) > _SAME * top] if y.size else np.zeros(0, dtype=bool)
    y, y_far = y[keep], y_far[keep]
    owner = np.full(y.size, s, dtype=np.intp)
    second = game.response_map(y, owner)[1]
    second_far = game.response_map(y_far, owner)[1]
    terms = game.terms[s]
    effort = np.stack([y, second], axis=1)
    values = np.stack([value_of(terms[0], y, terms[1].effort.probability(second)),
                       value_of(terms[1], second, terms[0].effort.probability(y))], axis=1)
    return StateSolutions(effort=effort, value=values, far=np.stack([y_far, second_far], axis=1),
                          unresolved=int(found.unresolved))


def diagonal_solutions(race: LaggedRace, value: FloatArray, states: list[tuple[int, int]],
                       tight: bool = False) -> list[StateSolutions]:
    """Every pure equilibrium at each of ``states`` (independent games: one anti-diagonal), searched together.

    Parameters
    ----------
    race : LaggedRace
        A race with continuous effort.
    value : ndarray, shape (2, N1 + 1, N2 + 1)
        Values filled at every state after these.
    states : list of (int, int)
        Open states whose games do not depend on each other.
    tight : bool
        As for ``state_solutions``.

    Returns
    -------
    list of StateSolutions

    Examples
    --------
    >>> import patentrace as pr
    >>> from patentrace.equations.periods_continuous import terminal_values
    >>> race = pr.LaggedRace.from_race(pr.Race(stages=(2, 1), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()),
    ...                                1.0)
    >>> both = diagonal_solutions(race, terminal_values(race), [(1, 0)])
    >>> both[0].effort.shape
    (1, 2)
    """
    game = _Diagonal([state_terms(race, value, i, j) for i, j in states])
    return [_solutions(game, s, found) for s, found in enumerate(_search(game, tight))]


def state_solutions(race: LaggedRace, value: FloatArray, i: int, j: int, tight: bool = False) -> StateSolutions:
    """Every pure equilibrium of the period game at open state ``(i, j)`` (see the module docstring).

    Parameters
    ----------
    race : LaggedRace
        A race with continuous effort.
    value : ndarray, shape (2, N1 + 1, N2 + 1)
        Values filled at every later state.
    i, j : int
        The state.
    tight : bool
        Also shrink every final root bracket to 1e-12 of ``max_effort`` by bisection, so
        that ``far`` is within that of the root (slower; for the error estimate).

    Returns
    -------
    StateSolutions

    Examples
    --------
    >>> import patentrace as pr
    >>> from patentrace.equations.periods_continuous import terminal_values
    >>> race = pr.LaggedRace.from_race(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), 0.01)
    >>> x = state_solutions(race, terminal_values(race), 0, 0).effort[0, 0]
    >>> lee_wilde = (1 - 0.1 + (1 + 0.4 + 0.01) ** 0.5) / 3     # the race in continuous time, docs/theory/race.md
    >>> bool(abs(x - lee_wilde) < 0.01)
    True
    """
    return diagonal_solutions(race, value, [(i, j)], tight)[0]


def _select(found: StateSolutions, race: LaggedRace, i: int, j: int, rule: str) -> int:
    """The chosen equilibrium: most / least expected progress in a period, or the largest joint value."""
    tech = race.efforts[0][i], race.efforts[1][j]
    progress = tech[0].probability(found.effort[:, 0]) + tech[1].probability(found.effort[:, 1])
    score = {"fastest": progress, "slowest": -progress, "richest": found.value.sum(axis=1)}[rule]
    return int(np.argmax(score))


def solve_continuous(
    race: LaggedRace, selection: str = "fastest", far_ends: bool = False
) -> ContinuousLaggedEquilibrium | LaggedEquilibrium:
    """The stationary pure equilibrium of a race in periods with continuous effort, by backward induction.

    Every state's pure equilibria are found (``state_solutions``), one is chosen by
    ``selection``, and each chosen equilibrium is checked before it is used: no firm may
    gain more than ``1e-10`` of the prize by any effort, searched on a grid of 4001
    efforts and refined by a bounded local optimiser
    ([`patentrace.results.continuous_lagged.state_check`][patentrace.results.continuous_lagged.state_check]).

    Parameters
    ----------
    race : LaggedRace
        A race with continuous effort (``race.continuous``).
    selection : {"fastest", "slowest", "richest"}
        Rule for states with several equilibria.
    far_ends : bool
        Use, at every state, firm 0's effort at the far end of its final root bracket
        instead of the root estimate (with firm 1's best response to it): a second
        solution as good as the first, whose distance from it is the error estimate
        of [`patentrace.lag_experiment`][patentrace.lag_experiment].

    Returns
    -------
    ContinuousLaggedEquilibrium
        Or, when some firm's technology is not regular
        (``ContinuousEffort.regular``), the ``LaggedEquilibrium`` of a refined menu
        (``solve_irregular``), with a warning.

    Raises
    ------
    EquilibriumError
        If a state's chosen equilibrium fails the check, naming the state and the gain.

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> eq = solve_continuous(pr.LaggedRace.from_race(race, lag=0.01))
    >>> bool(abs(eq.effort[0, 0, 0] - pr.solve(race).effort[0, 0, 0]) < 0.01)    # close to continuous time
    True
    """
    if selection not in SELECTION_RULES:
        raise ValueError(f"selection must be one of {SELECTION_RULES}, got {selection!r}")
    if not race.continuous:
        raise TypeError("solve_continuous needs a LaggedRace with continuous effort; menus go to solve_lagged")
    if not all(tech.regular for firm in race.efforts for tech in firm):
        return solve_irregular(race, selection)
    started = time.perf_counter()
    n1, n2 = race.stages
    value = terminal_values(race)
    effort = np.zeros((2, n1 + 1, n2 + 1))
    multiplicity = np.ones((n1 + 1, n2 + 1), dtype=np.intp)
    multiplicity[n1, n2] = 0
    unresolved = np.zeros((n1 + 1, n2 + 1), dtype=np.intp)
    worst = 0.0
    for step in Layout.of([race.stages]).steps:
        states = list(zip(step.i.tolist(), step.j.tolist(), strict=True))
        for (i, j), found in zip(states, diagonal_solutions(race, value, states, tight=far_ends), strict=True):
            if found.effort.shape[0] == 0:  # impossible for a regular technology: phi(0) >= 0 >= phi(X)
                return solve_irregular(race, selection, reason=f"no pure equilibrium was found at state {(i, j)}")
            chosen = _select(found, race, i, j, selection)
            pair = found.far[chosen] if far_ends else found.effort[chosen]
            terms = state_terms(race, value, i, j)
            q = terms[0].effort.probability(pair[0]), terms[1].effort.probability(pair[1])
            v = (float(value_of(terms[0], pair[0], q[1])), float(value_of(terms[1], pair[1], q[0])))
            gain, residual = state_check(terms, (float(pair[0]), float(pair[1])), v)
            if not (gain <= _GAIN * race.prize and residual <= _GAIN * race.prize):
                raise EquilibriumError("a period equilibrium failed its check", (i, j),
                                       {"effort": pair.tolist(), "value": list(v), "deviation_gain": gain,
                                        "residual": residual})
            worst = max(worst, gain / race.prize)
            effort[:, i, j] = pair
            value[:, i, j] = v
            multiplicity[i, j] = found.effort.shape[0]
            unresolved[i, j] = found.unresolved
    if np.any(unresolved > 0):
        doubtful = [tuple(int(v) for v in s) for s in np.argwhere(unresolved > 0)]
        warnings.warn(f"continuous lagged race: at states {doubtful} the search could not exclude an equilibrium in "
                      "some cells (best responses nearly touching); multiplicity may be undercounted there",
                      stacklevel=2)
    return _assemble(race, effort, value, multiplicity, unresolved, selection, far_ends, worst,
                     time.perf_counter() - started)


def solve_all_continuous(race: LaggedRace, max_equilibria: int = 1000) -> list[ContinuousLaggedEquilibrium]:
    """Every pure equilibrium path of a race in periods with continuous effort (docs/lagged.md).

    Backward induction over the states, each path splitting where its state has several
    equilibria; states that see the same continuation share their search. Every
    equilibrium of every path is checked (4001 efforts and a local optimiser) before it is
    kept. An irregular technology is enumerated on its 21-point menu instead, with a warning.

    Parameters
    ----------
    race : LaggedRace
        A race with continuous effort.
    max_equilibria : int
        Most paths; beyond it ``TooManyEquilibriaError`` names the branching states.

    Returns
    -------
    list of ContinuousLaggedEquilibrium

    Examples
    --------
    Three equilibria at a one-stage race with a loser prize and a participation cost
    (docs/solver.md, "Where multiplicity comes from"):

    >>> import patentrace as pr
    >>> race = pr.Race(stages=1, prize=1.0, loser_prize=0.8, discount=0.002,
    ...                cost=(pr.costs.Quadratic(scale=0.5, linear=0.27), pr.costs.Quadratic(scale=0.8, linear=0.27)))
    >>> paths = pr.solve_all(pr.LaggedRace.from_race(race, 0.1))
    >>> sorted(round(float(eq.effort[0, 0, 0]), 4) for eq in paths)
    [0.0, 0.0153, 0.0722]
    """
    from patentrace.errors import TooManyEquilibriaError

    if not all(tech.regular for firm in race.efforts for tech in firm):
        from patentrace.solvers.allpaths import solve_all

        warnings.warn("continuous effort with an irregular technology: enumerating the equilibria of its 21-point "
                      "menu instead", IrregularTechnologyWarning, stacklevel=3)
        return solve_all(menu_race(race, 21), max_equilibria=max_equilibria)  # type: ignore[return-value]
    started = time.perf_counter()
    n1, n2 = race.stages
    multiplicity = np.ones((n1 + 1, n2 + 1), dtype=np.intp)
    multiplicity[n1, n2] = 0
    paths = [(terminal_values(race), np.zeros((2, n1 + 1, n2 + 1)), multiplicity)]
    unresolved = np.zeros((n1 + 1, n2 + 1), dtype=np.intp)
    branching: set[tuple[int, int]] = set()
    worst = 0.0
    for step in Layout.of([race.stages]).steps:
        for i, j in zip(step.i.tolist(), step.j.tolist(), strict=True):
            shared: dict[bytes, tuple[StateSolutions, list[tuple[float, float]]]] = {}
            grown = []
            for position, (value, effort, counts) in enumerate(paths):
                ahead = np.ascontiguousarray(value[:, i:, j:]).tobytes()
                if ahead not in shared:
                    found = state_solutions(race, value, i, j)
                    terms = state_terms(race, value, i, j)
                    gains = [state_check(terms, (float(x[0]), float(x[1])), (float(v[0]), float(v[1])))
                             for x, v in zip(found.effort, found.value, strict=True)]
                    for (gain, residual), x in zip(gains, found.effort, strict=True):
                        if not (gain <= _GAIN * race.prize and residual <= _GAIN * race.prize):
                            raise EquilibriumError("a period equilibrium failed its check", (i, j),
                                                   {"effort": x.tolist(), "deviation_gain": gain,
                                                    "residual": residual})
                    shared[ahead] = (found, gains)
                found, gains = shared[ahead]
                unresolved[i, j] = max(unresolved[i, j], found.unresolved)
                several = found.effort.shape[0]
                if several > 1:
                    branching.add((i, j))
                for k in range(several):
                    new_value, new_effort, new_counts = value.copy(), effort.copy(), counts.copy()
                    new_effort[:, i, j], new_value[:, i, j] = found.effort[k], found.value[k]
                    new_counts[i, j] = several
                    worst = max(worst, gains[k][0] / race.prize)
                    grown.append((new_value, new_effort, new_counts))
                    if len(grown) > max_equilibria:
                        total = len(grown) + len(paths) - position - 1
                        raise TooManyEquilibriaError(max_equilibria, total, sorted(branching))
            paths = grown
    seconds = time.perf_counter() - started
    return [_assemble(race, effort, value, counts, unresolved, "all", False, worst, seconds)
            for value, effort, counts in paths]


def menu_race(race: LaggedRace, points: int) -> LaggedRace:
    """The same technology on a finite menu: ``points`` efforts evenly spaced on ``[0, max_effort]``.

    Each effort ``x`` becomes an action costing ``c(x)`` that advances one stage with
    probability ``p(x)``: the race in periods of docs/theory/periods.md with a menu, solved
    by support enumeration. A second path to the continuous answer, and the fallback for
    irregular technologies.

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.LaggedRace.from_race(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), 1.0)
    >>> menu = menu_race(race, 3).menus[0][0]
    >>> [a.cost for a in menu][0], len(menu)
    (0.0, 3)
    """
    return _race_on_menus(race, lambda firm, stage, tech: np.linspace(0.0, tech.max_effort, points))


def solve_irregular(race: LaggedRace, selection: str = "fastest", points: tuple[int, ...] = (11, 21, 41),
                    tolerance: float = 1e-3, reason: str | None = None) -> LaggedEquilibrium:
    """A race whose technology is not regular, solved on menus refined until the win probabilities settle.

    The menus of ``menu_race`` with ``points[0], points[1], ...`` efforts are solved by
    support enumeration (mixed equilibria included) until the largest change of the win
    probabilities is below ``tolerance``; the finest menu solved is returned, and
    ``solver.options["menu_steps"]`` records every step ``(points, change)``. A warning
    names the firms and stages whose technology is irregular, or gives ``reason`` (a
    state where no pure equilibrium was found).

    Examples
    --------
    >>> import warnings, numpy as np
    >>> import patentrace as pr
    >>> linear = pr.ContinuousEffort(cost=lambda x: 0.1 * x, success=lambda x: 0.5 * x, max_effort=1.0)
    >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.1, actions=linear)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     eq = pr.solve(race)
    >>> caught[0].category.__name__, eq.solver.options["menu_steps"][0][0]
    ('IrregularTechnologyWarning', 11)
    """
    from patentrace.solvers.stagegame import solve_lagged  # the menu solver

    bad = [(k, i) for k in (0, 1) for i, tech in enumerate(race.efforts[k]) if not tech.regular]
    why = reason or (f"the technology of (firm, stage) {bad} is not regular (cost convex and non-decreasing, c'/p' "
                     "strictly increasing), so not every equilibrium can be certified from first-order conditions")
    warnings.warn(f"continuous effort: {why}; solving on refined menus of {list(points)} efforts instead",
                  IrregularTechnologyWarning, stacklevel=3)
    steps: list[tuple[int, float]] = []
    previous: LaggedEquilibrium | None = None
    for count in points:
        eq = solve_lagged(menu_race(race, count), selection=selection)
        change = float("inf") if previous is None else float(np.max(np.abs(eq.win_probability
                                                                           - previous.win_probability)))
        steps.append((count, change))
        previous = eq
        if change < tolerance:
            break
    assert previous is not None
    # lists, not tuples: the record is JSON data, equal after a save and a load
    options = {**previous.solver.options, "menu_steps": [[n, change] for n, change in steps],
               "irregular": [[k, i] for k, i in bad]}
    return LaggedEquilibrium(
        model=previous.model, strategy=previous.strategy, value=previous.value,
        win_probability=previous.win_probability, tie_probability=previous.tie_probability,
        expected_duration=previous.expected_duration, multiplicity=previous.multiplicity,
        degenerate=previous.degenerate,
        solver=SolverInfo(method="refined menu (irregular continuous effort)", selection=selection,
                          options=options, version=__version__, seconds=previous.solver.seconds),
    )


def realised_menus(race: LaggedRace, effort: FloatArray) -> LaggedRace:
    """The race in periods whose menus hold each state's equilibrium efforts, as actions.

    Firm 0's menu at stage ``i`` lists its efforts at ``(i, 0), (i, 1), ...``; firm 1's at
    stage ``j`` its efforts at ``(0, j), (1, j), ...``. Playing action ``j`` (resp. ``i``) at
    ``(i, j)`` is the continuous equilibrium, so the jump chains and reports of menu
    races read it unchanged.

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.LaggedRace.from_race(pr.Race(stages=(2, 1), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), 1.0)
    >>> menus = realised_menus(race, solve_continuous(race).effort).menus
    >>> [len(m) for m in menus[0]], [len(m) for m in menus[1]]
    ([1, 1], [2])
    """
    n1, n2 = race.stages

    def realised(firm: int, stage: int, tech: ContinuousEffort) -> FloatArray:
        return effort[firm, stage, :n2] if firm == 0 else effort[firm, :n1, stage]

    return _race_on_menus(race, realised)


def _race_on_menus(race: LaggedRace, efforts_at: Callable[[int, int, ContinuousEffort], FloatArray]) -> LaggedRace:
    """The race in periods whose menu at firm ``k``'s stage ``i`` holds ``efforts_at(k, i, tech)`` as actions.

    Each effort ``x`` of the stage's technology ``tech`` becomes an action costing
    ``c(x)`` (at least 0) that advances one stage with probability ``p(x)`` (clipped to
    ``[0, 1]``); the rest of the race (prizes, lag, ties, breakthroughs) is kept.
    """
    menus = []
    for firm, count in enumerate(race.stages):
        stages = []
        for stage in range(count):
            tech = race.efforts[firm][stage]
            x = efforts_at(firm, stage, tech)
            p = np.clip(tech.probability(x), 0.0, 1.0)
            cost = np.maximum(tech.period_cost(x), 0.0)
            stages.append(tuple(Action(cost=float(c), progress={0: 1.0 - float(s), 1: float(s)})
                                for c, s in zip(cost, p, strict=True)))
        menus.append(tuple(stages))
    return LaggedRace(stages=race.stages, prize=race.prize, lag=race.lag, discount=race.discount,
                      actions=(menus[0], menus[1]), loser_prize=race.loser_prize, tie=race.tie,
                      breakthrough=race.breakthrough)


def _assemble(
    race: LaggedRace, effort: FloatArray, value: FloatArray, multiplicity: NDArray[np.intp],
    unresolved: NDArray[np.intp], selection: str, far_ends: bool, worst: float, seconds: float,
) -> ContinuousLaggedEquilibrium:
    n1, n2 = race.stages
    menu_race = realised_menus(race, effort)
    strategy = (np.zeros((n1 + 1, n2 + 1, n2)), np.zeros((n1 + 1, n2 + 1, n1)))
    for i in range(n1):
        for j in range(n2):
            strategy[0][i, j, j] = 1.0
            strategy[1][i, j, i] = 1.0
    win, tie = chain.period_outcome_probabilities(menu_race, strategy)
    return ContinuousLaggedEquilibrium(
        model=menu_race, strategy=strategy, value=value, win_probability=win, tie_probability=tie,
        expected_duration=chain.period_expected_duration(menu_race, strategy),
        multiplicity=multiplicity, degenerate=np.zeros(race.shape, dtype=bool),
        solver=SolverInfo(
            method="continuous effort", selection=selection,
            options={"grid": GRID, "split": _SPLIT, "depth": _DEPTH, "far_ends": far_ends, "complete": bool(
                np.all(unresolved == 0)), "max_deviation_gain": worst},
            version=__version__, seconds=seconds,
        ),
        continuous=race, effort=effort, unresolved=unresolved,
    )
