"""Every equilibrium of the two-firm game at a batch of states (docs/theory/race.md).

At an open state the continuation values ``A_k, B_k`` are known, and an
equilibrium is a pair of efforts, each a best response (docs/theory/race.md (1)) to
the other's hazard. Substituting one best response into the other leaves one
equation in the effort ``y`` of a *pivot* firm ``p`` (the other is ``o``):

    phi(y) = T(y) - y,    T(y) = BR_p(lambda_o BR_o(lambda_p y)).

Its roots are the equilibria, one to one: the pivot's effort is the root and
the other's is ``BR_o(lambda_p y)``, at full relative precision however small
(1e-12 and below). The pivot is the firm with the larger hazard bound.

**Bounds.** ``c'(x) x >= c(x)`` for a convex cost with ``c(0) = 0``, so every
best response obeys ``c'(BR_k) <= lambda_k max(A_k, A_k - B_k)``. With ``X`` the
pivot's bound, ``phi(0) >= 0 >= phi(X)``: there is always an equilibrium.

**Monotonicity.** Implicit differentiation of (1) gives
``dBR/dh = lambda (V - B) / (c''(x) (r + h_0 + h_1))``, and
``V - B = max_x [lambda x (A - B) - c(x) - r B] / (r + lambda x + h)`` has the
same sign for every rival hazard ``h``. So each best response is monotone in
the rival's hazard (increasing where ``V >= B``: strategic complements) and
``T`` is monotone. Where ``T`` is non-increasing, ``phi`` is strictly
decreasing and the root is unique. Where ``T`` is increasing, several roots are
possible (they occur with a loser prize, see docs/solver.md), and a cell ``[u, v]`` of
the pivot's effort can hold a root only if ``T(u) <= v`` and ``T(v) >= u``.
The search starts from ``grid`` cells, discards every cell that fails this
test, splits the rest, and repeats until the surviving cells are narrower than
``1e-8`` of the range. Each surviving cell where ``phi`` changes sign holds a
root, polished by a vectorised bracketing method. Two roots closer than the
final width (a near-tangency) are not separated; a near-continuum of fixed
points (more than 4096 surviving cells at a state) raises
[`EquilibriumError`][patentrace.EquilibriumError] rather than guess.

Where a best response is nearly vertical at the root (next to the effort at
which a firm starts to invest), the pair is settled in the better-conditioned
variable, or by Newton's method on both first-order conditions. Every
equilibrium is then checked: neither firm can gain more than ``1e-10`` of its
continuation values by moving to its exact best response.

Examples
--------
>>> import numpy as np
>>> from patentrace.costs import Quadratic
>>> game = StateGames(own_next=np.array([[1.0], [1.0]]), rival_next=np.array([[0.0], [0.0]]),
...                   productivity=np.ones((2, 1)), discount=np.array([0.1]), cost=(Quadratic(), Quadratic()))
>>> found = find_equilibria(game)
>>> found.count.tolist(), np.round(found.effort[:, 0], 10).tolist()  # Lee-Wilde, N = 1
([1], [0.6958114029, 0.6958114029])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from patentrace.equations import hjb
from patentrace.errors import EquilibriumError
from patentrace.models.costs import CostLike, PowerFamily
from patentrace.solvers.bracket import bracketed_root
from patentrace.solvers.selection import (
    _SYMMETRIC,
    SELECTION_RULES,
    select,
    symmetric_equilibria,
    symmetric_games,
)

__all__ = [
    "SELECTION_RULES", "StateEquilibria", "StateGames", "find_equilibria", "select", "symmetric_equilibria",
    "symmetric_games",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

# Cells of the pivot's effort are split until narrower than this fraction of its range.
_RESOLUTION = 1e-8
# A state's surviving cells are split in 32 while few (each round costs a Python-level step), in 4
# when many (each round then costs mostly arithmetic, and 4 needs 4x fewer evaluations). The
# count is the state's own, so that a state's roots do not depend on the batch it is solved in;
# 128 cells split in 32 stay within _MAX_CELLS_PER_STATE.
_SPLIT = 32
_SPLIT_MANY = 4
_MANY_CELLS = 128
_MAX_CELLS_PER_STATE = 4096
# A deviation may gain at most this fraction of the continuation values.
_GAIN_TOLERANCE = 1e-10
_EPS = float(np.finfo(float).eps)
_TINY = float(np.finfo(float).tiny)


@dataclass(frozen=True)
class StateGames:
    """The stage games at ``n`` states, given their continuation values (docs/theory/race.md).

    Parameters
    ----------
    own_next : ndarray, shape (2, n)
        ``A_k``: firm ``k``'s value after its own success.
    rival_next : ndarray, shape (2, n)
        ``B_k``: firm ``k``'s value after its rival's success.
    productivity : ndarray, shape (2, n)
        ``lambda_k`` at each state.
    discount : float or ndarray, shape (n,)
        ``r > 0`` at each state (states of different races may differ).
    cost : (CostLike, CostLike)
        The firms' costs: one [`Cost`][patentrace.models.costs.Cost] each for every state, or a
        [`PowerFamily`][patentrace.models.costs.PowerFamily] each with one entry per state.
    states : ndarray of int, shape (2, n), optional
        The ``(i, j)`` labels, used in error messages.
    races : ndarray of int, shape (n,), optional
        Which race of a batch each state belongs to, for error messages.
    """

    own_next: FloatArray
    rival_next: FloatArray
    productivity: FloatArray
    discount: FloatArray
    cost: tuple[CostLike, CostLike]
    states: IntArray | None = None
    races: IntArray | None = None

    def __post_init__(self) -> None:
        discount = np.broadcast_to(np.asarray(self.discount, dtype=float), (self.own_next.shape[1],))
        object.__setattr__(self, "discount", discount)

    @property
    def size(self) -> int:
        """Number of states."""
        return int(self.own_next.shape[1])

    def cost_at(self, firm: int, where: IntArray | slice = slice(None), like: FloatArray | None = None) -> CostLike:
        """Firm ``firm``'s cost at states ``where``, shaped to broadcast against ``like``."""
        cost = self.cost[firm]
        return cost.take(where, like) if isinstance(cost, PowerFamily) else cost

    def best_response(self, firm: int, rival_hazard: FloatArray, where: IntArray | slice = slice(None)) -> FloatArray:
        """Firm ``firm``'s best response (docs/theory/race.md (1)) at states ``where`` to ``rival_hazard``."""
        return hjb.FirmProblem(
            self.cost_at(firm, where, rival_hazard),
            _column(self.productivity[firm, where], rival_hazard),
            _column(self.own_next[firm, where], rival_hazard),
            _column(self.rival_next[firm, where], rival_hazard),
            rival_hazard,
            _column(self.discount[where], rival_hazard),
        ).best_response()

    def value(self, firm: int, effort: FloatArray, rival_hazard: FloatArray, where: IntArray | slice) -> FloatArray:
        """Firm ``firm``'s value from ``effort`` against ``rival_hazard`` at states ``where``."""
        return hjb.FirmProblem(
            self.cost_at(firm, where, effort),
            self.productivity[firm, where],
            self.own_next[firm, where],
            self.rival_next[firm, where],
            rival_hazard,
            self.discount[where],
        ).flow_value(effort)

    @property
    def relabelling_allowed(self) -> bool:
        """Whether firms may be exchanged state by state: costs per state, or one cost for both."""
        first, second = self.cost
        return (isinstance(first, PowerFamily) and isinstance(second, PowerFamily)) or first == second

    def relabelled(self, swap: NDArray[np.bool_]) -> StateGames:
        """The same games with firms 0 and 1 exchanged at the states where ``swap`` is True."""

        def exchange(array: FloatArray) -> FloatArray:
            return np.where(swap, array[::-1], array)

        first, second = self.cost
        if isinstance(first, PowerFamily) and isinstance(second, PowerFamily):
            cost: tuple[CostLike, CostLike] = (first.swapped(second, swap), second.swapped(first, swap))
        else:
            cost = self.cost
        return StateGames(
            exchange(self.own_next), exchange(self.rival_next), exchange(self.productivity),
            self.discount, cost, self.states, self.races,
        )

    def label(self, index: int) -> tuple[int, int] | None:
        """The ``(i, j)`` label of the state at batch position ``index``."""
        if self.states is None:
            return None
        return int(self.states[0, index]), int(self.states[1, index])

    def where(self, index: int) -> dict[str, int]:
        """Which race of a batch the state at ``index`` belongs to, for error details."""
        return {} if self.races is None else {"race": int(self.races[index])}


@dataclass(frozen=True)
class StateEquilibria:
    """All equilibria found at a batch of states.

    Attributes
    ----------
    state : ndarray of int, shape (m,)
        Batch position of each equilibrium, in increasing order.
    effort : ndarray, shape (2, m)
        Both firms' efforts in each equilibrium.
    value : ndarray, shape (2, m)
        Both firms' values in each equilibrium.
    count : ndarray of int, shape (n,)
        Number of equilibria at each state (the multiplicity).
    """

    state: IntArray
    effort: FloatArray
    value: FloatArray
    count: IntArray


def _column(values: FloatArray, like: FloatArray) -> FloatArray:
    """Reshape per-state ``values`` to broadcast against ``like`` (states along axis 0)."""
    return values.reshape(values.shape + (1,) * (np.ndim(like) - values.ndim))


def effort_bound(games: StateGames, firm: int) -> FloatArray:
    """Upper bound on any best response: ``c'(x) <= lambda max(A, A - B)``."""
    a, b = games.own_next[firm], games.rival_next[firm]
    return games.cost_at(firm).inverse_marginal(games.productivity[firm] * np.maximum(a, a - b))


def find_equilibria(games: StateGames, grid: int = 16) -> StateEquilibria:
    """Every equilibrium of the stage game at each state (pure efforts, docs/theory/race.md).

    Parameters
    ----------
    games : StateGames
        The states and their continuation values.
    grid : int
        Cells of the pivot's effort range the search starts from.

    Returns
    -------
    StateEquilibria
        Every equilibrium found, with its values, and the count per state.

    Raises
    ------
    EquilibriumError
        If a root does not polish into a pair of mutual best responses, or the
        fixed points at a state cannot be separated.
    """
    bound = np.stack([effort_bound(games, 0), effort_bound(games, 1)])
    hazard_bound = games.productivity * bound
    second_leads = hazard_bound[1] > hazard_bound[0]
    if games.relabelling_allowed:
        # Relabel the firms state by state so that firm 0 is always the pivot, and
        # search all states in one pass.
        oriented = games.relabelled(second_leads)
        everywhere = np.arange(games.size)
        pivot_bound = np.where(second_leads, bound[1], bound[0])
        unique = _unique_root(games, bound)
        state, root, bracket_end = _pivot_roots(oriented, 0, everywhere, pivot_bound, unique, grid)
        effort = _equilibrium_efforts(oriented, 0, state, root, bracket_end, _RESOLUTION * pivot_bound[state])
        swap = second_leads[state]
        effort[:, swap] = effort[::-1][:, swap]
    else:
        states, efforts = [], []
        unique = _unique_root(games, bound)
        for pivot, where in ((0, np.flatnonzero(~second_leads)), (1, np.flatnonzero(second_leads))):
            if where.size == 0:
                continue
            index, root, bracket_end = _pivot_roots(games, pivot, where, bound[pivot, where], unique[where], grid)
            states.append(index)
            width = _RESOLUTION * bound[pivot, index]
            efforts.append(_equilibrium_efforts(games, pivot, index, root, bracket_end, width))
        state = np.concatenate(states)
        effort = np.concatenate(efforts, axis=1)
    state, effort = _with_symmetric_roots(games, bound, state, effort)
    order = np.argsort(state, kind="stable")
    state, effort = state[order], effort[:, order]
    hazard = games.productivity[:, state] * effort
    value = np.stack([games.value(0, effort[0], hazard[1], state), games.value(1, effort[1], hazard[0], state)])
    count = np.bincount(state, minlength=games.size)
    if np.any(count == 0):
        missing = int(np.flatnonzero(count == 0)[0])
        raise EquilibriumError(
            "no equilibrium found", games.label(missing), {**games.where(missing), "effort_bound": bound[:, missing]}
        )
    return StateEquilibria(state=state, effort=effort, value=value, count=count)


def _with_symmetric_roots(
    games: StateGames, bound: FloatArray, state: IntArray, effort: FloatArray
) -> tuple[IntArray, FloatArray]:
    """Add the symmetric equilibrium of each symmetric game where the cell search missed it.

    A game that is the same for both firms (``symmetric_games``) has a symmetric
    equilibrium ``(y, y)``: ``psi(y) = BR(lambda y) - y`` is ``>= 0`` at 0 and ``< 0`` at the
    effort bound. The cell search can miss it when it lies within the search's resolution
    (``1e-8`` of a loose effort bound) of another root, e.g. next to ``(0, x)`` where the best
    responses are steep strategic substitutes. There it is found on the diagonal, in one
    variable, and kept if neither firm can gain by deviating.
    """
    balanced = np.zeros(games.size, dtype=bool)
    x0, x1 = effort
    np.logical_or.at(balanced, state, np.abs(x0 - x1) <= _SYMMETRIC * np.maximum(np.abs(x0), np.abs(x1)))
    missing = np.flatnonzero(symmetric_games(games) & ~balanced)
    if missing.size == 0:
        return state, effort
    lam = games.productivity[0, missing]

    def psi(y: FloatArray, at: IntArray) -> FloatArray:
        return games.best_response(0, lam[at] * y, missing[at]) - y

    top = bound[0, missing] * (1.0 + 1e-9) + _TINY
    low, high = np.zeros(missing.size), top
    f_low, f_high = psi(low, np.arange(missing.size)), psi(high, np.arange(missing.size))
    ok = (f_low >= 0.0) & (f_high < 0.0)
    if not ok.any():
        return state, effort
    keep = np.flatnonzero(ok)
    root, _ = bracketed_root(lambda y, at: psi(y, keep[at]), low[keep], high[keep], f_low[keep], f_high[keep])
    pair = np.stack([root, root])
    gain, scale = _deviation_gains(games, missing[keep], pair)
    good = np.all(gain <= _GAIN_TOLERANCE * scale + _TINY, axis=0) & np.isfinite(root)
    found_at, diagonal = missing[keep][good], pair[:, good]
    # A root found within the smallest normal float of the symmetric one is the same equilibrium
    # (subnormal efforts carry no relative precision: an effort bound of 7e-323 holds 14 of them);
    # the symmetric root replaces it rather than counting twice.
    effort = effort.copy()
    added = np.ones(found_at.size, dtype=bool)
    for k, (where, y) in enumerate(zip(found_at.tolist(), diagonal[0].tolist(), strict=True)):
        same = np.flatnonzero((state == where) & np.all(np.abs(effort - y) <= _TINY, axis=0))
        if same.size:
            effort[:, same[0]] = y
            added[k] = False
    return np.concatenate([state, found_at[added]]), np.concatenate([effort, diagonal[:, added]], axis=1)


def _composite(games: StateGames, pivot: int, where: IntArray, pivot_effort: FloatArray) -> FloatArray:
    """``phi(y) = BR_p(lambda_o BR_o(lambda_p y)) - y`` at states ``where``."""
    other = 1 - pivot
    pivot_hazard = _column(games.productivity[pivot, where], pivot_effort) * pivot_effort
    other_effort = games.best_response(other, pivot_hazard, where)
    other_hazard = _column(games.productivity[other, where], pivot_effort) * other_effort
    return games.best_response(pivot, other_hazard, where) - pivot_effort


def _unique_root(games: StateGames, bound: FloatArray) -> NDArray[np.bool_]:
    """States where theory proves that ``phi`` has exactly one root, so no search is needed.

    From (1), ``dBR/dh = lambda (V - B) / (c''(x) (r + h + lambda x))``, where the sign of
    ``V - B`` is the same for every rival hazard ``h`` and its size does not grow with
    ``h``. Two certificates, for power costs, checked at the ends of the rival's hazard
    range ``[0, lambda X]`` (over which the best response is monotone and the net gain
    of (1) affine):

    - **contraction**: ``|T'| <= lambda_0 lambda_1 prod_k lambda_k |V_k - B_k| / (c_k''_min r)``
      with ``V_k - B_k`` taken at ``h = 0`` and ``c''_min`` the smaller curvature at the
      ends (``c''`` is monotone in ``x``). Below 1/2, ``phi`` is strictly decreasing.
    - **concavity**: where ``V > B`` (complements), ``c''`` does not fall (``g >= 2``) and
      the firm invests at every rival hazard, the slope falls with ``h``: the best
      response is concave and increasing. Then so is ``T``, and ``phi = T - y`` is concave
      with ``phi(0) = T(0) > 0``, so it has one root.
    """
    concave = np.ones(games.size, dtype=bool)
    lipschitz = games.productivity[0] * games.productivity[1]
    for firm in (0, 1):
        cost = games.cost_at(firm)
        exponent = getattr(cost, "exponent", None)
        if exponent is None:  # not a power cost: the curvature of its marginal cost is unknown
            return np.zeros(games.size, dtype=bool)
        lam, a, b, r = games.productivity[firm], games.own_next[firm], games.rival_next[firm], games.discount
        widest = games.productivity[1 - firm] * bound[1 - firm]
        floor = cost.marginal(np.zeros(games.size))
        invests = [r * a + h * (a - b) - floor * (r + h) / lam > 0.0 for h in (0.0, widest)]
        alone = cost.best_response(r * a, r / lam)
        crowded = hjb.FirmProblem(cost, lam, a, b, widest, r).best_response()
        gap = hjb.FirmProblem(cost, lam, a, b, 0.0, r).flow_value(alone) - b  # V - B at h = 0
        complement = gap > 1e-12 * np.maximum(np.abs(a), np.abs(b)) + _TINY
        concave &= (np.asarray(exponent) >= 2.0) & invests[0] & invests[1] & complement
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # c''(0) may be 0 or inf
            bend = np.minimum(cost.curvature(alone), cost.curvature(crowded))
            lipschitz = lipschitz * lam * np.abs(gap) / (bend * r)
    contraction = np.nan_to_num(lipschitz, nan=np.inf) < 0.5
    return np.asarray(concave | contraction)


def _pivot_roots(
    games: StateGames, pivot: int, where: IntArray, bound: FloatArray, unique: NDArray[np.bool_], grid: int
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Roots of ``phi`` in ``[0, bound]`` at states ``where``: state index, root, other end of its bracket.

    States flagged ``unique`` (see ``_unique_root``), and states where ``T`` is
    non-increasing, have one root: the first cell of the grid where ``phi`` changes sign
    holds it. The others go through the cell search.
    """
    # Stretch the range a little so that phi < 0 strictly at its top despite rounding.
    top = bound * (1.0 + 1e-9) + _TINY
    points = top[:, None] * np.linspace(0.0, 1.0, max(grid, 1) + 1)[None, :]
    phi = _composite(games, pivot, where, points)
    at_zero = np.flatnonzero(phi[:, 0] == 0.0)  # the pivot idles: a root exactly at 0
    increasing = phi[:, -1] + points[:, -1] > phi[:, 0] + points[:, 0]
    single = np.flatnonzero(unique | ~increasing)
    crossing = (phi[single, :-1] > 0.0) & (phi[single, 1:] <= 0.0)
    has_crossing = crossing.any(axis=1)
    single, first = single[has_crossing], np.argmax(crossing[has_crossing], axis=1)
    cells = _Cells(single, points[single, first], points[single, first + 1], phi[single, first], phi[single, first + 1])
    rising = np.flatnonzero(increasing & ~unique)
    if rising.size:
        cells = cells.join(_search_cells(games, pivot, where, top, rising, points[rising], phi[rising]))
    change = (cells.f_lo > 0.0) != (cells.f_hi > 0.0)
    row = cells.row[change]
    found, other_end = bracketed_root(
        lambda y, at: _composite(games, pivot, where[row[at]], y),
        cells.lo[change], cells.hi[change], cells.f_lo[change], cells.f_hi[change],
    )
    row_all = np.concatenate([at_zero, row])
    root_all = np.concatenate([np.zeros(at_zero.size), found])
    end_all = np.concatenate([np.zeros(at_zero.size), other_end])
    order = np.lexsort((root_all, row_all))
    row_all, root_all, end_all = row_all[order], root_all[order], end_all[order]
    # A root on a cell boundary is found twice, and rounding noise can make phi change sign
    # more than once right at a root: roots closer than the resolution are one equilibrium.
    repeat = np.zeros(row_all.size, dtype=bool)
    repeat[1:] = (row_all[1:] == row_all[:-1]) & (root_all[1:] - root_all[:-1] <= _RESOLUTION * top[row_all[1:]])
    return where[row_all[~repeat]], root_all[~repeat], end_all[~repeat]


@dataclass(frozen=True)
class _Cells:
    """Intervals ``[lo, hi]`` of the pivot's effort, with ``phi`` at both ends."""

    row: IntArray
    lo: FloatArray
    hi: FloatArray
    f_lo: FloatArray
    f_hi: FloatArray

    def take(self, mask: NDArray[np.bool_] | IntArray) -> _Cells:
        return _Cells(self.row[mask], self.lo[mask], self.hi[mask], self.f_lo[mask], self.f_hi[mask])

    def join(self, other: _Cells) -> _Cells:
        return _Cells(
            *(np.concatenate([getattr(self, n), getattr(other, n)]) for n in ("row", "lo", "hi", "f_lo", "f_hi"))
        )

    @staticmethod
    def from_points(row: IntArray, points: FloatArray, phi: FloatArray) -> _Cells:
        """Consecutive points of each row (one row per entry of ``row``) as cells."""
        per_row = points.shape[1] - 1
        return _Cells(
            np.repeat(row, per_row),
            points[:, :-1].ravel(), points[:, 1:].ravel(), phi[:, :-1].ravel(), phi[:, 1:].ravel(),
        )


def _search_cells(
    games: StateGames, pivot: int, where: IntArray, top: FloatArray, rows: IntArray,
    points: FloatArray, phi: FloatArray,
) -> _Cells:
    """Cells that may hold a root of ``phi`` where ``T`` is increasing, each narrower than the resolution."""
    cells = _Cells.from_points(rows, points, phi)
    while True:
        image_lo, image_hi = cells.f_lo + cells.lo, cells.f_hi + cells.hi  # T at both ends
        slack = 16.0 * _EPS * np.maximum(np.abs(cells.lo), np.abs(cells.hi)) + _TINY
        possible = (image_lo <= cells.hi + slack) & (image_hi >= cells.lo - slack)
        # A sign change proves a root whatever rounding does to T's monotonicity (T is
        # computed through differences that can cancel, e.g. near a firm's dropout point).
        cells = cells.take(possible | ((cells.f_lo > 0.0) != (cells.f_hi > 0.0)))
        crowded = np.bincount(cells.row, minlength=where.size) > _MAX_CELLS_PER_STATE
        if crowded.any():
            k = int(np.flatnonzero(crowded)[0])
            raise EquilibriumError(
                "fixed points cannot be separated (best responses nearly coincide over a range)",
                games.label(int(where[k])),
                {**games.where(int(where[k])), "cells": int(np.sum(cells.row == k)), "effort_range": float(top[k])},
            )
        wide = (cells.hi - cells.lo) > _RESOLUTION * top[cells.row]
        if not wide.any():
            return cells
        # How finely a state's cells are split depends on that state's count alone, never on the
        # rest of the batch: a race's equilibria must not depend on the races solved with it.
        many = (np.bincount(cells.row[wide], minlength=where.size) > _MANY_CELLS)[cells.row]
        split = [cells.take(wide & ~many), cells.take(wide & many)]
        cells = cells.take(~wide)
        for parts, group in zip((_SPLIT, _SPLIT_MANY), split, strict=True):
            if group.row.size:
                cells = cells.join(_split(games, pivot, where, group, parts))


def _split(games: StateGames, pivot: int, where: IntArray, cells: _Cells, parts: int) -> _Cells:
    """Each cell cut into ``parts`` equal cells, with ``phi`` at the new ends."""
    fractions = np.linspace(0.0, 1.0, parts + 1)[None, 1:-1]
    inner = cells.lo[:, None] + (cells.hi - cells.lo)[:, None] * fractions
    phi_inner = _composite(games, pivot, where[cells.row], inner)
    ends = np.column_stack([cells.lo, inner, cells.hi])
    phi_ends = np.column_stack([cells.f_lo, phi_inner, cells.f_hi])
    return _Cells.from_points(cells.row, ends, phi_ends)


def _equilibrium_efforts(
    games: StateGames, pivot: int, index: IntArray, root: FloatArray, bracket_end: FloatArray, width: FloatArray
) -> FloatArray:
    """Efforts ``(x_0, x_1)`` from the pivot's roots, checked for profitable deviations.

    The other firm plays its exact best response to the root. Where the other
    firm's best response is so steep that the pivot's own best response to it
    misses the root by more than rounding (next to the effort at which the other
    firm starts to invest), the root is found again in the other firm's effort,
    in which it is well conditioned: the image of the final bracket holds it.
    Where both best responses are steep there, Newton's method on the pair of
    first-order conditions (1), which cross transversally, settles the pair.

    Both best responses can be so steep at the root that neither variable resolves
    it (each firm within a few float spacings of the effort at which the other stops
    investing: the composite map jumps across the root between neighbouring floats in
    either variable). The settling in the other variable then lands on a jump, where
    rounding leaves one effort at 0. Newton's method on the conditions (1), which
    stay well conditioned there, then starts from the pivot's root and the other
    firm's best response to it, both positive; its pair is kept only if the pivot's
    effort stays within the search's resolution ``width`` of the root (the root the
    sign change proves, not another equilibrium). Every pair is then checked for
    profitable deviations as before.

    Parameters
    ----------
    games : StateGames
        The states and their continuation values.
    pivot : int
        The firm whose effort ``root`` is.
    index : ndarray of int, shape (m,)
        Batch position of each root.
    root, bracket_end : ndarray, shape (m,)
        Each root of ``phi`` and the other end of its final bracket.
    width : ndarray, shape (m,)
        The search's resolution in the pivot's effort at each root: roots closer than
        this are one equilibrium.

    Returns
    -------
    ndarray, shape (2, m)
        Both firms' efforts at each root.

    Raises
    ------
    EquilibriumError
        If some pair is not a pair of mutual best responses (a deviation gains more
        than ``1e-10`` of the continuation values).
    """
    other = 1 - pivot
    effort = np.empty((2, index.size))
    effort[pivot] = root
    effort[other] = games.best_response(other, games.productivity[pivot, index] * root, index)
    exact = games.best_response(pivot, games.productivity[other, index] * effort[other], index)
    steep = np.flatnonzero(np.abs(exact - root) > 64.0 * _EPS * root + _TINY)
    if steep.size:
        at = index[steep]
        start = effort[:, steep].copy()  # the root and the other's best response to it
        far_end = games.best_response(other, games.productivity[pivot, at] * bracket_end[steep], at)
        ends = np.stack([effort[other, steep], far_end])
        phi = _composite(games, other, at, ends.T).T
        change = np.flatnonzero((phi[0] > 0.0) != (phi[1] > 0.0))
        if change.size:
            swapped, _ = bracketed_root(
                lambda z, sub: _composite(games, other, at[change[sub]], z),
                ends[0, change], ends[1, change], phi[0, change], phi[1, change],
            )
            fix = steep[change]
            effort[other, fix] = swapped
            effort[pivot, fix] = games.best_response(pivot, games.productivity[other, index[fix]] * swapped, index[fix])
        gain, scale = _deviation_gains(games, at, effort[:, steep])
        failed = np.any(gain > _GAIN_TOLERANCE * scale, axis=0)
        interior = np.all(effort[:, steep] > 0.0, axis=0)
        unsettled = steep[failed & interior]
        if unsettled.size:
            effort[:, unsettled] = _newton_on_conditions(games, index[unsettled], effort[:, unsettled])
        # The other variable did not resolve the root either and rounding left an effort at 0:
        # Newton from the pivot's root and the other's best response to it (both positive).
        cornered = np.flatnonzero(failed & ~interior & np.all(start > 0.0, axis=0))
        if cornered.size:
            rows = steep[cornered]
            settled = _newton_on_conditions(games, index[rows], start[:, cornered])
            near = np.abs(settled[pivot] - root[rows]) <= width[rows]
            effort[:, rows[near]] = settled[:, near]
    gain, scale = _deviation_gains(games, index, effort)
    bad = ~np.all(gain <= _GAIN_TOLERANCE * scale + _TINY, axis=0) | ~np.all(np.isfinite(effort), axis=0)
    if np.any(bad):
        k = int(np.flatnonzero(bad)[0])
        raise EquilibriumError(
            "efforts are not mutual best responses",
            games.label(int(index[k])),
            {**games.where(int(index[k])), "effort": effort[:, k].tolist(), "deviation_gain": gain[:, k].tolist(),
             "value_scale": scale[:, k].tolist()},
        )
    return effort


def _deviation_gains(games: StateGames, index: IntArray, effort: FloatArray) -> tuple[FloatArray, FloatArray]:
    """What each firm gains by moving to its exact best response, and the size of its values."""
    hazard = games.productivity[:, index] * effort
    gains, scales = [], []
    for firm in (0, 1):
        rival_hazard = hazard[1 - firm]
        exact = games.best_response(firm, rival_hazard, index)
        best = games.value(firm, exact, rival_hazard, index)
        gains.append(best - games.value(firm, effort[firm], rival_hazard, index))
        scales.append(np.maximum(np.abs(games.own_next[firm, index]), np.abs(games.rival_next[firm, index])))
    return np.stack(gains), np.stack(scales)


def _newton_on_conditions(games: StateGames, index: IntArray, effort: FloatArray) -> FloatArray:
    """Newton's method on both first-order conditions (1) at once, from interior efforts.

    ``F_k = c_k'(x_k)(r + lambda_k x_k + h_o)/lambda_k - c_k(x_k) - r A_k - h_o (A_k - B_k)``,
    with ``dF_k/dx_k = c_k''(x_k)(r + lambda_k x_k + h_o)/lambda_k`` and
    ``dF_k/dx_o = lambda_o (c_k'(x_k)/lambda_k - A_k + B_k)``. Steps that would leave
    the interior are halved.
    """
    x = effort.copy()
    live = np.arange(index.size)  # a pair leaves once converged, so its steps do not depend on the others
    for _ in range(30):
        at = index[live]
        r, lam = games.discount[at], games.productivity[:, at]
        a, b, here = games.own_next[:, at], games.rival_next[:, at], x[:, live]
        hazard = lam * here
        rival = hazard[::-1]
        cost = [games.cost_at(k, at) for k in (0, 1)]
        slope = np.stack([cost[k].marginal(here[k]) for k in (0, 1)])
        level = np.stack([cost[k].value(here[k]) for k in (0, 1)])
        bend = np.stack([cost[k].curvature(here[k]) for k in (0, 1)])
        residual = slope * (r + hazard + rival) / lam - level - r * a - rival * (a - b)
        own = bend * (r + hazard + rival) / lam
        cross = lam[::-1] * (slope / lam - (a - b))
        determinant = own[0] * own[1] - cross[0] * cross[1]
        step = np.stack([
            (residual[0] * own[1] - cross[0] * residual[1]) / determinant,
            (own[0] * residual[1] - cross[1] * residual[0]) / determinant,
        ])
        shrink = np.ones(live.size)
        trial = here - step
        for _ in range(60):  # halve steps that would leave the interior
            inside = np.all(trial > 0.0, axis=0)
            if inside.all():
                break
            shrink = np.where(inside, shrink, 0.5 * shrink)
            trial = here - shrink * step
        trial = np.where(np.isfinite(trial) & (trial > 0.0), trial, here)
        done = np.all(np.abs(trial - here) <= 4.0 * _EPS * np.abs(here), axis=0)
        x[:, live] = trial
        live = live[~done]
        if live.size == 0:
            break
    return x
