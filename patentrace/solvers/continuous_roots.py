"""Every root of a state's pure-equilibrium map ``phi`` in the race in periods with continuous effort (docs/lagged.md).

With ``y`` firm 0's effort, the pure equilibria of a state's period game are the roots of

    phi(y) = T(y) - y,   T(y) = BR_0(p_1(BR_1(p_0(y)))),

on ``[0, X_0]``, each best response the unique root of the period first-order condition
([`periods_continuous`][patentrace.equations.periods_continuous] in equations).
``phi`` is evaluated on a grid finer near 0 for all states of an anti-diagonal at once and
every sign change is bracketed and polished. Then every cell of the grid is either
proved to hold no root or split: the gap of the first-order condition is a quadratic in
the rival's success probability, so the best responses to an interval of it lie between
bounds found from its exact extremes, and composing the bounds encloses ``T`` over a
cell; a cell its enclosure misses holds no equilibrium (docs/lagged.md, "How every
equilibrium is found"). Cells that can be neither excluded nor merged into a known root
are reported as unresolved.
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
from numpy.typing import ArrayLike, NDArray

from patentrace.equations.periods_continuous import (
    FirmTerms,
    state_terms,
    value_of,
)
from patentrace.models import LaggedRace
from patentrace.models.effort import ContinuousEffort
from patentrace.results.continuous_lagged import state_check
from patentrace.solvers.bracket import bracketed_root, midpoint

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
Bracket = tuple[int, float, float, float, float]  # state, u, v, phi(u), phi(v)
Games = list[tuple[FirmTerms, FirmTerms]]

__all__ = ["DEPTH", "GAIN", "GRID", "SPLIT", "StateSolutions", "best_response_bounds", "diagonal_solutions",
           "game_solutions", "state_solutions"]

GRID = 257  # points of the first grid of firm 0's effort, denser near 0
_COARSE = 8  # first-grid cells in each cell of the first round of exclusion
SPLIT = 32  # each cell that can be neither excluded nor settled is split this many ways
DEPTH = 16  # most rounds of splitting; cells left after them are reported as unresolved
GAIN = 1e-10  # largest deviation gain, relative to the prize, of an equilibrium (the check of every solver)
_MAX_CELLS = 4096  # most cells of one state split in a round; beyond them the state's cells are unresolved
_SAME = 1e-9  # equilibria closer than this (relative to max_effort) are one
_FINEST = 1e-3 * _SAME  # cells narrower than this (relative to max_effort) are not split
_WIDTH = 1e-12  # final width of a root bracket, relative to max_effort
_EPS = float(np.finfo(float).eps)
_ROUNDING = 64.0 * _EPS  # a scaled gap within this of 0 has no certain sign
_OFFSETS = 8.0 ** np.arange(-2.0, 6.0)  # distances, relative to the spread of a guess, of the trial bounds


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

    def __init__(self, games: Games, prize: float) -> None:
        self.size = len(games)
        self.prize = prize
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
        return self._gap(firm, self.technology(firm, x, owner), q, owner)

    def _gap(self, firm: int, tech: tuple[FloatArray, ...], q: FloatArray, owner: IntArray) -> FloatArray:
        a0, a1, b0, b1, loop = self.coefficients[firm][:, owner]
        phi_a, phi_b, kappa = a0 + a1 * q, b0 + b1 * q, loop * (1.0 - q)
        c, marginal, p, slope = tech
        target = phi_b - kappa * (phi_a + phi_b)
        lhs = marginal * (1.0 - kappa * (1.0 - p))
        rhs = slope * (kappa * c + target)
        scale = np.abs(lhs) + slope * (kappa * np.abs(c) + np.abs(phi_b) + kappa * (np.abs(phi_a) + np.abs(phi_b)))
        return np.asarray((lhs - rhs) / np.maximum(scale, 1e-300))

    def gap_range(self, firm: int, x: FloatArray, q_lo: FloatArray, q_hi: FloatArray,
                  owner: IntArray) -> tuple[FloatArray, FloatArray]:
        """Largest and smallest sign-carrying gap at efforts ``x`` over rival probabilities ``[q_lo, q_hi]``.

        Unscaled, the gap ``p'(x) (G(x) - target(q))`` is a quadratic in ``q`` with
        curvature ``-p' loop (a1 + b1)`` (docs/lagged.md, "How every equilibrium is
        found"): its extremes over an interval are at the ends and at the vertex when
        inside. The scaled gap is evaluated at those three points; its largest and
        smallest values there have the signs of the unscaled extremes.
        """
        a0, a1, b0, b1, loop = self.coefficients[firm][:, owner]
        tech = self.technology(firm, x, owner)
        c, marginal, p, slope = tech
        curvature = -slope * loop * (a1 + b1)
        linear = -slope * b1 + loop * (marginal * (1.0 - p) + slope * c) + slope * loop * (a1 + b1 - a0 - b0)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):  # a flat or tiny curvature: no vertex
            vertex = -linear / (2.0 * curvature)
        vertex = np.where(np.isfinite(vertex), np.clip(vertex, q_lo, q_hi), q_lo)
        values = np.stack([self._gap(firm, tech, q, owner) for q in (q_lo, q_hi, vertex)])
        return values.max(axis=0), values.min(axis=0)

    def enclosure(self, firm: int, q_lo: FloatArray, q_hi: FloatArray, floor: FloatArray, ceiling: FloatArray,
                  guess: tuple[FloatArray, FloatArray], owner: IntArray,
                  steps: int = 0) -> tuple[FloatArray, FloatArray]:
        """Bounds ``[lower, upper]`` on the best responses to every ``q`` in ``[q_lo, q_hi]``, rounded outward.

        ``floor <= BR(q) <= ceiling`` must hold already (``0`` and ``max_effort`` do), and
        ``guess`` is about the smallest and largest best response (at the ends of the
        interval, say). An effort where the largest gap over the interval is certainly
        negative lies below every best response (the gap changes sign once, upward, at
        the best response); one where the smallest gap is certainly positive lies above
        every one. Efforts at growing distances outside ``guess`` are tried at once, and
        the nearest certain one on each side is the bound (``floor`` or ``ceiling`` when
        none is): a wrong guess costs width, never validity. ``steps`` bisections between
        each bound and the guess then tighten it.
        """
        top = self.tops[firm][owner]
        spread = guess[1] - guess[0] + _EPS * top
        offsets = spread[None, :] * _OFFSETS[:, None]
        below = np.maximum(guess[0][None, :] - offsets, floor[None, :])
        above = np.minimum(guess[1][None, :] + offsets, ceiling[None, :])
        k, n = _OFFSETS.size, floor.size
        every = np.tile(owner, 2 * k)
        largest, smallest = self.gap_range(firm, np.r_[below.ravel(), above.ravel()], np.tile(q_lo, 2 * k),
                                           np.tile(q_hi, 2 * k), every)
        rises = (largest[:k * n] < -_ROUNDING).reshape(k, n)
        falls = (smallest[k * n:] > _ROUNDING).reshape(k, n)
        lower = np.maximum(np.max(np.where(rises, below, -np.inf), axis=0), floor)
        upper = np.minimum(np.min(np.where(falls, above, np.inf), axis=0), ceiling)
        inner = np.maximum(guess[0], lower), np.minimum(guess[1], upper)  # no certain point between bound and guess
        for _ in range(steps):
            mid = np.r_[0.5 * (lower + inner[0]), 0.5 * (inner[1] + upper)]
            largest, smallest = self.gap_range(firm, mid, np.r_[q_lo, q_lo], np.r_[q_hi, q_hi], np.r_[owner, owner])
            rise, fall = largest[:n] < -_ROUNDING, smallest[n:] > _ROUNDING
            lower, inner = np.where(rise, mid[:n], lower), (np.where(rise, inner[0], mid[:n]), inner[1])
            upper, inner = np.where(fall, mid[n:], upper), (inner[0], np.where(fall, inner[1], mid[n:]))
        return lower * (1.0 - 4.0 * _EPS), np.minimum(upper * (1.0 + 4.0 * _EPS), top)

    def success_range(self, firm: int, lo: FloatArray, hi: FloatArray, owner: IntArray, within_lo: FloatArray,
                      within_hi: FloatArray) -> tuple[FloatArray, FloatArray]:
        """``[p(lo), p(hi)]`` rounded outward (``p`` increases), inside ``[within_lo, within_hi]``."""
        q_lo = np.maximum(self.probability(firm, lo, owner) * (1.0 - 8.0 * _EPS), within_lo)
        q_hi = np.minimum(self.probability(firm, hi, owner) * (1.0 + 8.0 * _EPS), within_hi)
        return q_lo, np.maximum(q_hi, q_lo)

    def best_response(self, firm: int, q: FloatArray, owner: IntArray,
                      within: tuple[FloatArray, FloatArray] | None = None) -> FloatArray:
        """Best responses to rival success probabilities ``q``, by bracketing the gap on ``[0, max_effort]``.

        Or on ``within``, bounds known to hold them (``enclosure``): a narrower bracket.
        """
        lo, top = (np.zeros(q.size), self.tops[firm][owner]) if within is None else within
        g_lo, g_hi = self.gap(firm, lo, q, owner), self.gap(firm, top, q, owner)
        out = np.where(g_hi <= 0.0, top, lo)
        inside = np.flatnonzero((g_lo < 0.0) & (g_hi > 0.0))
        if inside.size:
            qs, whose = q[inside], owner[inside]
            roots, _ = bracketed_root(lambda x, at: self.gap(firm, x, qs[at], whose[at]), lo[inside], top[inside],
                                      g_lo[inside], g_hi[inside])
            out[inside] = roots
        return out

    def response_map(self, y: FloatArray, owner: IntArray,
                     within: FloatArray | None = None) -> tuple[FloatArray, FloatArray]:
        """``(T(y), BR_1(p_0(y)))`` for firm 0's efforts ``y``; ``within``: rows 2, 3, 6, 7 of ``_Cells.bounds``."""
        second = self.best_response(1, self.probability(0, y, owner), owner,
                                    None if within is None else (within[2], within[3]))
        first = self.best_response(0, self.probability(1, second, owner), owner,
                                   None if within is None else (within[6], within[7]))
        return first, second

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


@dataclass
class _Found:
    """Roots of one state's ``phi`` found so far, with the far ends of their brackets."""

    roots: list[float]
    far: list[float]
    unresolved: int = 0


@dataclass
class _Cells:
    """Cells ``[lo, hi]`` of firm 0's effort still in doubt, with ``phi`` at their ends and their parents' bounds.

    ``reply`` rows: firm 1's best response at ``lo`` and ``hi``, then ``T`` there.
    ``bounds`` rows: firm 1's success-probability interval, firm 1's best-response
    bounds, firm 0's success-probability interval, firm 0's best-response bounds (``lo,
    hi`` each), all valid for the cell because they are valid for its parent
    (docs/lagged.md, "How every equilibrium is found").
    """

    owner: IntArray
    lo: FloatArray
    hi: FloatArray
    f_lo: FloatArray
    f_hi: FloatArray
    reply: FloatArray  # shape (4, cells)
    bounds: FloatArray  # shape (8, cells)

    def take(self, which: NDArray[np.bool_] | IntArray) -> _Cells:
        return _Cells(self.owner[which], self.lo[which], self.hi[which], self.f_lo[which], self.f_hi[which],
                      self.reply[:, which], self.bounds[:, which])


def _first_cells(game: _Diagonal, grids: list[FloatArray], image: FloatArray, second: FloatArray,
                 stride: int = 1) -> _Cells:
    """The cells between every ``stride``-th point of the first grid of every state, bounded by ``[0, max_effort]``."""
    y, image, second = np.stack(grids)[:, ::stride], image[:, ::stride], second[:, ::stride]
    owner = np.repeat(np.arange(game.size, dtype=np.intp), y.shape[1] - 1)
    bounds = np.zeros((8, owner.size))
    bounds[[1, 5]] = 1.0
    bounds[3], bounds[7] = game.tops[1][owner], game.tops[0][owner]
    values = image - y
    reply = np.stack([second[:, :-1].ravel(), second[:, 1:].ravel(), image[:, :-1].ravel(), image[:, 1:].ravel()])
    return _Cells(owner, y[:, :-1].ravel(), y[:, 1:].ravel(), values[:, :-1].ravel(), values[:, 1:].ravel(), reply,
                  bounds)


def _guess(ends: FloatArray) -> tuple[FloatArray, FloatArray]:
    return np.minimum(ends[0], ends[1]), np.maximum(ends[0], ends[1])


def _excluded(game: _Diagonal, cells: _Cells) -> NDArray[np.bool_]:
    """Cells that hold no fixed point of ``T`` because ``T`` maps them, provably, elsewhere; tightens ``bounds``.

    ``p_0`` maps the cell into firm 1's success-probability interval, firm 1's best
    responses to it lie within bounds, ``p_1`` maps those into firm 0's interval, and
    firm 0's best responses to that lie in ``E``: ``T([lo, hi])`` is inside ``E``, so a
    cell that ``E`` misses holds no equilibrium.
    """
    own, b = cells.owner, cells.bounds
    b[0], b[1] = game.success_range(0, cells.lo, cells.hi, own, b[0], b[1])
    b[2], b[3] = game.enclosure(1, b[0], b[1], b[2], b[3], _guess(cells.reply[:2]), own)
    b[4], b[5] = game.success_range(1, b[2], b[3], own, b[4], b[5])
    b[6], b[7] = game.enclosure(0, b[4], b[5], b[6], b[7], _guess(cells.reply[2:]), own)
    return np.asarray((b[7] < cells.lo) | (b[6] > cells.hi))


def _roots_within(found: list[_Found], owner: IntArray, a: FloatArray, b: FloatArray) -> NDArray[np.bool_]:
    """Whether each state ``owner`` has a known root in ``[a, b]``."""
    out = np.zeros(owner.size, dtype=bool)
    for s in np.unique(owner).tolist():
        z = np.sort(np.asarray(found[s].roots, dtype=float))
        if z.size == 0:
            continue
        at = owner == s
        k = np.minimum(np.searchsorted(z, a[at], side="left"), z.size - 1)
        out[at] = (z[k] >= a[at]) & (z[k] <= b[at])
    return out


def _new_roots(game: _Diagonal, found: list[_Found], cells: _Cells, tight: bool) -> None:
    """Polish the sign changes of ``phi`` in cells that hold no known root: each is a root not yet found."""
    change = (np.sign(cells.f_lo) * np.sign(cells.f_hi) < 0) & ~_roots_within(found, cells.owner, cells.lo, cells.hi)
    at = np.flatnonzero(change)
    brackets = [(int(cells.owner[k]), float(cells.lo[k]), float(cells.hi[k]), float(cells.f_lo[k]),
                 float(cells.f_hi[k])) for k in at]
    _polish(game, found, brackets, tight)


def _split(game: _Diagonal, found: list[_Found], cells: _Cells) -> _Cells:
    """Each cell cut into ``SPLIT`` equal cells, ``phi`` evaluated at the new ends (zeros recorded as roots)."""
    n = cells.lo.size
    frac = np.arange(1, SPLIT) / SPLIT
    inner = cells.lo[:, None] + (cells.hi - cells.lo)[:, None] * frac[None, :]
    owner = np.repeat(cells.owner, SPLIT - 1)
    image, second = game.response_map(inner.ravel(), owner, np.repeat(cells.bounds, SPLIT - 1, axis=1))
    f_inner = (image - inner.ravel()).reshape(n, SPLIT - 1)
    for k in np.flatnonzero(f_inner.ravel() == 0.0).tolist():
        found[int(owner[k])].roots.append(float(inner.ravel()[k]))
        found[int(owner[k])].far.append(float(inner.ravel()[k]))
    ends = np.concatenate([cells.lo[:, None], inner, cells.hi[:, None]], axis=1)
    f_ends = np.concatenate([cells.f_lo[:, None], f_inner, cells.f_hi[:, None]], axis=1)
    reply = []
    for row, inside in ((0, second), (2, image)):
        at = np.concatenate([cells.reply[row][:, None], inside.reshape(n, SPLIT - 1), cells.reply[row + 1][:, None]],
                            axis=1)
        reply += [at[:, :-1].ravel(), at[:, 1:].ravel()]
    return _Cells(np.repeat(cells.owner, SPLIT), ends[:, :-1].ravel(), ends[:, 1:].ravel(), f_ends[:, :-1].ravel(),
                  f_ends[:, 1:].ravel(), np.stack(reply), np.repeat(cells.bounds, SPLIT, axis=1))


def _over_budget(cells: _Cells) -> NDArray[np.bool_]:
    """The cells of states with more than ``_MAX_CELLS`` cells to split: their search stops here."""
    counts = np.bincount(cells.owner)
    return np.asarray(counts[cells.owner] > _MAX_CELLS)


def _settle(game: _Diagonal, found: list[_Found], left: _Cells, stuck: NDArray[np.bool_]) -> None:
    """Decide the cells that could be neither excluded nor split further, cluster by cluster.

    A run of adjacent cells of the finest width, narrower than the merge distance and away
    from every known root may hide a tangency: its point of smallest ``|phi|`` is kept as
    an equilibrium if it passes the check of an equilibrium, else the cluster is
    unresolved. Any other cluster (with a cell ``stuck`` wider, for lack of rounds or
    budget) is unresolved.
    """
    for s in np.unique(left.owner).tolist():
        mine = left.owner == s
        cells = left.take(mine)
        order = np.argsort(cells.lo)
        lo, hi, f_lo, f_hi = cells.lo[order], cells.hi[order], cells.f_lo[order], cells.f_hi[order]
        forced = stuck[mine][order]
        starts = np.flatnonzero(np.r_[True, lo[1:] != hi[:-1]])
        same = _SAME * float(game.tops[0][s])
        for first, last in zip(starts.tolist(), np.r_[starts[1:], lo.size].tolist(), strict=True):
            a, b = float(lo[first]), float(hi[last - 1])
            near = bool(_roots_within(found, np.array([s], dtype=np.intp), np.array([a - same]),
                                      np.array([b + same]))[0])
            doubtful = near or b - a > same or bool(np.any(forced[first:last]))
            if doubtful or not _tangency(game, found[s], s, lo[first:last], f_lo[first:last], hi[last - 1],
                                         f_hi[last - 1]):
                found[s].unresolved += 1


def _tangency(game: _Diagonal, found: _Found, s: int, lo: FloatArray, f_lo: FloatArray, end: float,
              f_end: float) -> bool:
    """Keep the point of smallest ``|phi|`` of a cluster if it is an equilibrium; whether it is.

    An equilibrium: ``|T(y) - y|`` within the merge distance (a fixed point to that
    resolution) and the check of every solver passed (``GAIN``).
    """
    points, values = np.r_[lo, end], np.abs(np.r_[f_lo, f_end])
    best = int(np.argmin(values))
    if values[best] > _SAME * float(game.tops[0][s]):
        return False
    y = np.array([points[best]])
    owner = np.array([s], dtype=np.intp)
    second = game.response_map(y, owner)[1]
    terms = game.terms[s]
    q = float(terms[0].effort.probability(y[0])), float(terms[1].effort.probability(second[0]))
    value = float(value_of(terms[0], y[0], q[1])), float(value_of(terms[1], second[0], q[0]))
    gain, residual = state_check(terms, (float(y[0]), float(second[0])), value)
    if not (gain <= GAIN * game.prize and residual <= GAIN * game.prize):
        return False
    found.roots.append(float(y[0]))
    found.far.append(float(y[0]))
    return True


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


def _search(game: _Diagonal, tight: bool) -> list[_Found]:
    """Every root of each state's ``phi`` on ``[0, X_0]``, with far bracket ends and unresolved cells.

    First the sign changes and zeros of ``phi`` on the grid, all states at once. Then
    branch and bound over the grid's cells: a cell whose image under ``T`` provably misses
    it (``_excluded``) holds no root and is dropped; a sign change in a cell without a
    known root is a new root; a cell within the merge distance of a known root is part of
    that equilibrium; any other cell is split ``SPLIT`` ways, down to ``_FINEST`` of the
    range, for at most ``DEPTH`` rounds and ``_MAX_CELLS`` cells a state. What is left is
    decided by ``_settle``.
    """
    found = [_Found([], []) for _ in range(game.size)]
    grids = [_grid(float(top)) for top in game.tops[0]]
    owner = np.repeat(np.arange(game.size), GRID)
    image, second = (part.reshape(game.size, GRID) for part in game.response_map(np.concatenate(grids), owner))
    values = image - np.stack(grids)
    brackets = [b for s in range(game.size) for b in _sign_changes(s, grids[s], values[s], found[s])]
    _polish(game, found, brackets, tight)
    coarse = _first_cells(game, grids, image, second, _COARSE)  # a first, cheaper round on cells of _COARSE cells
    kept = np.flatnonzero(~_excluded(game, coarse))
    cells = _first_cells(game, grids, image, second)
    per_state = (GRID - 1) // _COARSE
    inside = ((kept % per_state)[:, None] * _COARSE + np.arange(_COARSE)[None, :]).ravel()
    picked = np.repeat(coarse.owner[kept], _COARSE) * (GRID - 1) + inside
    cells = cells.take(picked)
    cells.bounds = np.repeat(coarse.bounds[:, kept], _COARSE, axis=1)  # valid for the parts of a cell
    left: list[_Cells] = []
    stuck: list[NDArray[np.bool_]] = []
    for depth in range(DEPTH + 1):
        cells = cells.take(~_excluded(game, cells))
        _new_roots(game, found, cells, tight)
        same = _SAME * game.tops[0][cells.owner]
        cells = cells.take(~_roots_within(found, cells.owner, cells.hi - same, cells.lo + same))
        fine = cells.hi - cells.lo <= _FINEST * game.tops[0][cells.owner]
        forced = ~fine & ((depth == DEPTH) | _over_budget(cells))
        left.append(cells.take(fine | forced))
        stuck.append(forced[fine | forced])
        cells = cells.take(~(fine | forced))
        if cells.lo.size == 0:
            break
        cells = _split(game, found, cells)
    _settle(game, found, _Cells(*(np.concatenate([getattr(c, name) for c in left], axis=-1) for name in
                                  ("owner", "lo", "hi", "f_lo", "f_hi", "reply", "bounds"))), np.concatenate(stuck))
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
    return game_solutions([state_terms(race, value, i, j) for i, j in states], race.prize, tight)


def game_solutions(games: Games, prize: float, tight: bool = False) -> list[StateSolutions]:
    """Every pure equilibrium of each period game given by both firms' terms, searched together.

    Parameters
    ----------
    games : list of (FirmTerms, FirmTerms)
        Each game's terms (``state_terms``), firm 0's first; regular technologies.
    prize : float
        The prize, the unit of the check of a tangency (``GAIN``).
    tight : bool
        As for ``state_solutions``.

    Returns
    -------
    list of StateSolutions

    Examples
    --------
    Firm 0 shifted: its own terms against itself (a symmetric game), one equilibrium.

    >>> import patentrace as pr
    >>> from patentrace.equations.periods_continuous import state_terms, terminal_values
    >>> race = pr.LaggedRace.from_race(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), 1.0)
    >>> terms = state_terms(race, terminal_values(race), 0, 0)
    >>> [found.effort.shape for found in game_solutions([terms, terms], 1.0)]
    [(1, 2), (1, 2)]
    """
    game = _Diagonal(games, prize)
    return [_solutions(game, s, found) for s, found in enumerate(_search(game, tight))]


def best_response_bounds(terms: FirmTerms, q_lo: ArrayLike, q_hi: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Bounds on the firm's best responses to every rival success probability in ``[q_lo, q_hi]``.

    The bounds of the exclusion test of the search (docs/lagged.md, "How every equilibrium
    is found"), bisected to working precision and rounded outward: for a regular
    technology every best response to a ``q`` in the interval lies between them.

    Parameters
    ----------
    terms : FirmTerms
        The firm's terms at a state.
    q_lo, q_hi : array_like
        Intervals of the rival's success probability, ``0 <= q_lo <= q_hi <= 1``.

    Returns
    -------
    (ndarray, ndarray)
        Lower and upper bounds.

    Examples
    --------
    >>> import patentrace as pr
    >>> from patentrace.equations.periods_continuous import state_terms, terminal_values
    >>> race = pr.LaggedRace.from_race(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), 1.0)
    >>> terms = state_terms(race, terminal_values(race), 0, 0)[0]
    >>> lower, upper = best_response_bounds(terms, [0.2], [0.2])       # one q: the best response itself
    >>> bool(0.0 < upper[0] - lower[0] < 1e-12)
    True
    """
    lo = np.atleast_1d(np.asarray(q_lo, dtype=float))
    hi = np.atleast_1d(np.asarray(q_hi, dtype=float))
    game = _Diagonal([(terms, terms)], 1.0)
    owner = np.zeros(lo.size, dtype=np.intp)
    guess = _guess(np.stack([game.best_response(0, lo, owner), game.best_response(0, hi, owner)]))
    return game.enclosure(0, lo, hi, np.zeros(lo.size), np.full(lo.size, terms.effort.max_effort), guess, owner, 80)


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
