"""Every root of a state's pure-equilibrium map ``phi`` in the race in periods with continuous effort (docs/lagged.md).

With ``y`` firm 0's effort, the pure equilibria of a state's period game are the roots of

    phi(y) = T(y) - y,   T(y) = BR_0(p_1(BR_1(p_0(y)))),

on ``[0, X_0]``, each best response the unique root of the period first-order condition
([`periods_continuous`][patentrace.equations.periods_continuous] in equations).
``phi`` is evaluated on a grid finer near 0 for all states of an anti-diagonal at once;
every sign change is bracketed and polished, and every cell where a pair of roots could
hide between grid points is split (docs/lagged.md, "How every equilibrium is found").
[`patentrace.solvers.periods_continuous`][patentrace.solvers.periods_continuous] builds
the race's equilibria from these solutions.

Examples
--------
>>> import patentrace as pr
>>> from patentrace.equations.periods_continuous import terminal_values
>>> race = pr.LaggedRace.from_race(pr.Race(stages=(1, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), 0.5)
>>> [found.effort.shape for found in diagonal_solutions(race, terminal_values(race), [(0, 1)])]
[(1, 2)]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from patentrace.equations.periods_continuous import (
    FirmTerms,
    state_terms,
    value_of,
)
from patentrace.models import LaggedRace
from patentrace.models.effort import ContinuousEffort
from patentrace.solvers.bracket import bracketed_root, midpoint

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
Bracket = tuple[int, float, float, float, float]  # state, u, v, phi(u), phi(v)

__all__ = ["DEPTH", "GRID", "SPLIT", "StateSolutions", "diagonal_solutions", "state_solutions"]

GRID = 257  # points of the first grid of firm 0's effort, denser near 0
SPLIT = 16  # each doubtful cell is split this many ways
DEPTH = 4  # rounds of splitting before a cell is reported as unresolved
_MAX_CELLS = 4096  # most cells split in one round, over the states of an anti-diagonal
_SAFETY = 4.0  # factor on the slope estimate of a cell
_SAME = 1e-9  # equilibria closer than this (relative to max_effort) are one
_WIDTH = 1e-12  # final width of a root bracket, relative to max_effort


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
    split, up to ``DEPTH`` times; a sign change of ``phi`` inside a split cell that holds
    no known root brackets new roots.
    """
    found = [_Found([], []) for _ in range(game.size)]
    grids = [_grid(float(top)) for top in game.tops[0]]
    owner = np.repeat(np.arange(game.size), GRID)
    values = game.phi(np.concatenate(grids), owner).reshape(game.size, GRID)
    brackets = [b for s in range(game.size) for b in _sign_changes(s, grids[s], values[s], found[s])]
    _polish(game, found, brackets, tight)
    pending = [(s, grids[s], values[s], np.zeros(GRID - 1)) for s in range(game.size)]
    for depth in range(DEPTH + 1):
        cells: list[tuple[int, FloatArray, float]] = []
        for s, ys, ph, floor in pending:
            psi = _deflated(game, s, ys, ph, found[s].roots)
            doubt = np.flatnonzero(_doubtful(ys, psi, floor))
            if depth == DEPTH or len(cells) + doubt.size > _MAX_CELLS:  # give up on these: report them
                found[s].unresolved += doubt.size
                continue
            for k in doubt:
                parent = abs(psi[k + 1] - psi[k]) / max(ys[k + 1] - ys[k], 1e-300)
                cells.append((s, np.linspace(ys[k], ys[k + 1], SPLIT + 1), max(parent, float(floor[k]))))
        if not cells:
            break
        owner = np.repeat(np.array([c[0] for c in cells], dtype=np.intp), SPLIT + 1)
        values_flat = game.phi(np.concatenate([c[1] for c in cells]), owner).reshape(len(cells), SPLIT + 1)
        pending, brackets = [], []
        for (s, sub, floor_value), part in zip(cells, values_flat, strict=True):
            if not any(sub[0] <= z <= sub[-1] for z in found[s].roots):  # a sign change here is a missed root
                brackets += _sign_changes(s, sub, part, found[s])
            pending.append((s, sub, part, np.full(SPLIT, floor_value)))
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
