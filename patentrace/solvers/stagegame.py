"""Every stationary equilibrium of a [`LaggedRace`][patentrace.LaggedRace], state by state (docs/theory/periods.md).

At a state, with the values of later states known, an equilibrium is a pair of
mixed actions ``sigma`` and values ``v`` such that ``sigma`` is a Nash equilibrium of
the bimatrix game ``M_k(v_k) = K_k + beta u w' v_k`` and ``v_k = sigma_1' M_k(v_k) sigma_2``
([`patentrace.equations.periods`][patentrace.equations.periods]). Best responses are pure, so equilibria are found by
enumerating pairs of supports ``(S_1, S_2)`` of equal size ``n``.

Firm 0's indifference over ``S_1`` fixes firm 1's mixture and firm 0's value: for
``a`` in ``S_1``,

    sum_b K_1(a, b) s_b + beta u_a y - v_1 = 0,   sum_b s_b = 1,   y = v_1 (w . s),

``n + 1`` linear equations in ``(s, v_1, y)`` and one bilinear one. The linear part
leaves a line ``x0 + t d`` (its null space, from a batched SVD), and the bilinear
equation is then a quadratic in ``t``: each support pair gives at most two
solutions for each firm, all found. (For two actions this is the quadratic of
docs/theory/periods.md.) Every coefficient is written with probabilities of moving and ``1 - beta``
kept apart (``z = v (m . s)``, ``m`` the rival's chances of moving), so nothing cancels
when ``beta`` is close to 1; and each candidate's values are recomputed from the profile
(the ratio game's values) before its best responses are checked in the full game, so a
value read off an ill-conditioned support system cannot pass. Candidates are polished by
Newton steps on the support equations.

Before the search, payoff-identical duplicate actions are merged (an equilibrium puts
their weight on the first; they are reported, not counted as more equilibria) and
strictly dominated actions are removed, iteratively, with dominance checked at both ends
of the range the firm's value can take. Supports of every size of what remains are then
enumerated unless there are more than ``max_pairs`` pairs; then the larger sizes are
searched only among consecutive actions of the menu, up to three of them (menus from
[`from_race`][patentrace.LaggedRace.from_race] are effort grids, whose equilibria mix
neighbouring efforts), the result says so (``complete`` is False) and
``solve_lagged`` emits an [`IncompleteEnumerationWarning`][patentrace.IncompleteEnumerationWarning]
naming the states.

Each equilibrium is checked for degeneracy (a firm with more pure best responses
than its support has actions, where equilibria can form a continuum): it is
reported in ``degenerate``, not hidden. ``nashpy``'s vertex enumeration on ``M(v)``
is an independent check ([`patentrace.equations.periods.nashpy_agrees`][patentrace.equations.periods.nashpy_agrees]),
used by the tests and by
[`LaggedEquilibrium.verify`][patentrace.LaggedEquilibrium.verify].

Examples
--------
>>> import patentrace as pr
>>> from patentrace.equations.periods import period_game, terminal_values
>>> p, k = 0.5, 0.4    # the binary oracle of docs/theory/periods.md (P5), middle regime: three equilibria
>>> work, shirk = pr.Action(k, {1: p, 0: 1 - p}), pr.Action(0.0, {0: 1.0})
>>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
>>> found = state_equilibria(period_game(race, terminal_values(race), 0, 0))
>>> len(found.value), found.complete
(3, True)
"""

from __future__ import annotations

import itertools
import math
import time
import warnings
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from patentrace._version import __version__
from patentrace.equations.periods import PeriodGame, period_game, terminal_values
from patentrace.errors import EquilibriumError, IncompleteEnumerationWarning, RefinementWarning, user_stacklevel
from patentrace.models import LaggedRace
from patentrace.models.lattice import Layout
from patentrace.results import chain
from patentrace.results.equilibrium import LaggedEquilibrium, SolverInfo
from patentrace.solvers.selection import SELECTION_RULES

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

__all__ = [
    "SearchRecord",
    "StateEquilibria",
    "check_lagged",
    "deviation_gains",
    "refine_lagged",
    "solve_lagged",
    "state_equilibria",
]

_MAX_PAIRS = 200_000
_CHUNK = 20_000  # support pairs solved at once
_CONSECUTIVE_UP_TO = 3  # largest consecutive supports searched beyond max_pairs
_SAME = 1e-9
_WELL_CONDITIONED = 1e-8  # smallest |det| / product of column norms solved by LU rather than SVD
_LOOSE = 1e-6  # first screen of candidates, before Newton polishing (relative to the payoff scale)


@dataclass(frozen=True)
class StateEquilibria:
    """Every equilibrium found at one state.

    Attributes
    ----------
    strategy : (ndarray (e, m1), ndarray (e, m2))
        Each equilibrium's mixed actions.
    value : ndarray, shape (e, 2)
        Each equilibrium's values.
    degenerate : bool
        Some equilibrium has a firm with more pure best responses than actions in its
        support: there may be a continuum of equilibria, of which these are points.
    complete : bool
        Every support pair of the reduced game was enumerated.
    searched : int or None
        Incomplete searches: the largest support size whose pairs were all searched in the
        reduced game (larger supports only among up to three neighbouring actions); None
        when ``complete``.
    undominated : (int, int) or None
        Actions of each firm left after merging duplicates and removing strictly
        dominated actions: the game whose supports were enumerated.
    duplicates : (tuple, tuple)
        Each firm's groups of payoff-identical actions (indices into its menu). An
        equilibrium puts the weight of a group on its first action; the others are
        equivalent and not counted as further equilibria.

    Examples
    --------
    The oracle (P5) of docs/theory/periods.md with ``L < k < H`` (work costs 0.4 here): three equilibria, the
    symmetric mixed one working with probability ``(2/p)(1 - k/H)``.

    >>> import patentrace as pr
    >>> from patentrace.equations.periods import period_game, terminal_values
    >>> work, shirk = pr.Action(0.4, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    >>> found = state_equilibria(period_game(race, terminal_values(race), 0, 0))
    >>> len(found.value), found.complete
    (3, True)
    >>> beta_p = 0.5 * race.discount_factor
    >>> mixed = sorted(float(s[0]) for s in found.strategy[0])[1]
    >>> bool(abs(mixed - (2 / 0.5) * (1 - 0.4 / beta_p)) < 1e-12)
    True
    """

    strategy: tuple[FloatArray, FloatArray]
    value: FloatArray
    degenerate: bool
    complete: bool
    searched: int | None = None
    undominated: tuple[int, int] | None = None
    duplicates: tuple[tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]] = ((), ())


def _indifference(
    payoff: FloatArray, own: tuple[FloatArray, FloatArray], rival_moves: FloatArray, beta: float,
    impatience: float, rows: IntArray, cols: IntArray,
) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
    """Solve one firm's indifference over supports ``rows`` for the rival's mixture on ``cols``.

    Returns the solutions ``(s, v, z)`` (shape ``(P, 2, n + 2)``, two roots each), the
    linear equations they solve (for ``_polish``) and which roots exist.

    ``payoff`` is the firm's ``K`` with its own actions as rows; ``own`` holds its actions'
    probabilities of staying and of moving, ``rival_moves`` the rival's of moving. For ``a``
    in ``rows`` the firm's value ``v`` satisfies

        sum_b K(a, b) s_b - (1 - beta + beta m_a) v - beta u_a z = 0,   z = v (m' . s),

    where ``m`` are probabilities of moving: every coefficient is computed without
    cancellation, so the value keeps its digits when ``beta`` is close to 1 (``1 - beta``
    is ``impatience``). For ``P`` support pairs of size ``n`` (``rows``, ``cols`` of shape
    ``(P, n)``).
    """
    stay, moves = own
    pairs, n = rows.shape
    system = np.zeros((pairs, n + 1, n + 2))
    system[:, :n, :n] = payoff[rows[:, :, None], cols[:, None, :]]
    system[:, :n, n] = -(impatience + beta * moves[rows])
    system[:, :n, n + 1] = -beta * stay[rows]
    system[:, n, :n] = 1.0
    particular, direction, rank_ok = _null_lines(system)
    mix0, mixd = particular[:, :n], direction[:, :n]
    if n == 1:  # a pure rival action: the mixture is exactly 1, and the bilinear equation exactly linear
        mix0, mixd = np.ones_like(mix0), np.zeros_like(mixd)
    v0, vd = particular[:, n], direction[:, n]
    z0, zd = particular[:, n + 1], direction[:, n + 1]
    m = rival_moves[cols]
    m0, md = np.sum(m * mix0, axis=1), np.sum(m * mixd, axis=1)
    # z(t) - v(t) m(t) = 0
    a, b, c = -vd * md, zd - v0 * md - vd * m0, z0 - v0 * m0
    roots, exists = _quadratic(a, b, c)
    line0 = np.concatenate([mix0, v0[:, None], z0[:, None]], axis=1)
    lined = np.concatenate([mixd, vd[:, None], zd[:, None]], axis=1)
    points = line0[:, None, :] + roots[:, :, None] * lined[:, None, :]
    return points, system, exists & rank_ok[:, None]


def _polish(system: FloatArray, rival_moves: FloatArray, points: FloatArray, rounds: int = 3) -> FloatArray:
    """Newton steps on a firm's indifference equations at candidate points ``(s, v, z)``.

    ``system`` holds the linear equations (as built by ``_indifference``), ``rival_moves``
    the rival's probabilities of moving on its support; the last equation is ``z = v (m . s)``.
    The line-and-quadratic solution can lose digits where the mixture is sensitive to the
    value; two or three Newton steps on the square system restore them.
    """
    pairs, rows, width = system.shape
    n = rows - 1
    rhs = np.zeros((pairs, rows))
    rhs[:, n] = 1.0
    x = points.copy()
    for _ in range(rounds):
        s, v, z = x[:, :n], x[:, n], x[:, n + 1]
        moving = np.sum(rival_moves * s, axis=1)
        residual = np.concatenate([np.einsum("pij,pj->pi", system, x) - rhs, (z - v * moving)[:, None]], axis=1)
        jacobian = np.zeros((pairs, width, width))
        jacobian[:, :rows] = system
        jacobian[:, rows, :n] = -v[:, None] * rival_moves
        jacobian[:, rows, n] = -moving
        jacobian[:, rows, n + 1] = 1.0
        step = np.zeros_like(x)
        for p in range(pairs):  # few candidates reach here; a singular Jacobian keeps its point
            try:
                step[p] = np.linalg.solve(jacobian[p], -residual[p])
            except np.linalg.LinAlgError:
                continue
        if not np.all(np.isfinite(step)):
            step[~np.isfinite(step)] = 0.0
        x = x + step
    return x


def _null_lines(system: FloatArray) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
    """Solutions ``x0 + t d`` of ``system[p] x = e_last`` (``P`` systems of ``n + 1`` equations in ``n + 2`` unknowns).

    The value (unknown ``n``) is the line's parameter where the other columns are well
    conditioned (a batched LU solve, the fast path); the rest are solved by SVD, which
    gives the line whatever its direction. Returns the points, the directions and
    whether each system has rank ``n + 1``.
    """
    pairs, rows, width = system.shape
    n = rows - 1
    rhs = np.zeros((pairs, rows))
    rhs[:, n] = 1.0
    particular, direction = np.zeros((pairs, width)), np.zeros((pairs, width))
    rank_ok = np.zeros(pairs, dtype=bool)
    square = np.delete(system, n, axis=2)  # the mixture and z columns
    hadamard = np.prod(np.linalg.norm(square, axis=1), axis=1)
    determinant = np.abs(np.linalg.det(square))
    # Well conditioned (|det| not tiny against the product of the column norms: a nearly singular
    # block gives a line whose point and direction are huge and cancel), and not underflowing.
    fast = (determinant > _WELL_CONDITIONED * hadamard) & (determinant > 1e-280)
    if fast.any():
        with np.errstate(over="ignore", invalid="ignore"):
            solved = np.linalg.solve(square[fast], np.stack([rhs[fast], -system[fast, :, n]], axis=-1))
        finite = np.all(np.isfinite(solved), axis=(1, 2))
        fast[np.flatnonzero(fast)[~finite]] = False
        others = [k for k in range(width) if k != n]
        particular[np.ix_(fast, others)] = solved[finite, :, 0]
        direction[np.ix_(fast, others)] = solved[finite, :, 1]
        direction[fast, n] = 1.0
        rank_ok[fast] = True
    slow = ~fast
    if slow.any():
        left, singular, right = np.linalg.svd(system[slow])
        kept = singular > 1e-12 * singular[:, :1]
        inverse = np.where(kept, 1.0 / np.where(kept, singular, 1.0), 0.0)
        coefficients = inverse * np.einsum("pij,pi->pj", left, rhs[slow])  # U' b / s
        particular[slow] = np.einsum("pji,pj->pi", right[:, :rows, :], coefficients)
        direction[slow] = right[:, -1, :]
        rank_ok[slow] = singular[:, -1] > 1e-12 * np.maximum(singular[:, 0], 1e-300)
    return particular, direction, rank_ok


def _quadratic(a: FloatArray, b: FloatArray, c: FloatArray) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Real roots of ``a t^2 + b t + c`` (two slots each; a linear equation fills one)."""
    scale = np.maximum.reduce([np.abs(a), np.abs(b), np.abs(c), np.full(a.shape, 1e-300)])
    a, b, c = a / scale, b / scale, c / scale
    linear = np.abs(a) <= 1e-13
    discriminant = b * b - 4.0 * a * c
    real = discriminant >= -1e-12
    root = np.sqrt(np.maximum(discriminant, 0.0))
    q = -0.5 * (b + np.where(b >= 0.0, root, -root))  # cancellation-free
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # non-finite roots are dropped
        first = np.where(linear, -c / b, q / a)
        second = np.where(linear, np.nan, c / q)
    exists = np.stack([real & np.isfinite(first), real & ~linear & np.isfinite(second)], axis=1)
    return np.stack([np.nan_to_num(first), np.nan_to_num(second)], axis=1), exists


def _support_pairs(m1: int, m2: int, max_pairs: int) -> tuple[list[tuple[IntArray, IntArray]], int | None]:
    """Index arrays of support pairs of equal size, by size; and the largest size searched in full.

    The size is None when every size was searched in full.

    Every support pair of each size while the running count stays within ``max_pairs``;
    for the sizes beyond, up to 3, only supports of consecutive actions (natural for
    menus that are grids of efforts, where equilibria mix neighbouring actions).
    """
    out: list[tuple[IntArray, IntArray]] = []
    total, full = 0, None
    for n in range(1, min(m1, m2) + 1):
        count = math.comb(m1, n) * math.comb(m2, n)
        if full is None and (total + count <= max_pairs or not out):
            total += count
            first = np.array(list(itertools.combinations(range(m1), n)), dtype=np.intp)
            second = np.array(list(itertools.combinations(range(m2), n)), dtype=np.intp)
        elif n <= _CONSECUTIVE_UP_TO:
            full = n - 1 if full is None else full
            first = np.arange(n)[None, :] + np.arange(m1 - n + 1)[:, None]
            second = np.arange(n)[None, :] + np.arange(m2 - n + 1)[:, None]
        else:
            return out, n - 1 if full is None else full
        out.append((np.repeat(first, len(second), axis=0), np.tile(second, (len(first), 1))))
    return out, full


@dataclass(frozen=True)
class _Reduction:
    """A period game without duplicate and strictly dominated actions (the actions kept, by firm)."""

    game: PeriodGame
    kept: tuple[IntArray, IntArray]
    duplicates: tuple[tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]]


def _subgame(game: PeriodGame, rows: IntArray, cols: IntArray) -> PeriodGame:
    """The period game restricted to firm 1's actions ``rows`` and firm 2's ``cols``."""
    return PeriodGame(other=game.other[:, rows][:, :, cols], stay=(game.stay[0][rows], game.stay[1][cols]),
                      beta=game.beta, progress=(game.progress[0][rows], game.progress[1][cols]),
                      outcomes=game.outcomes, impatience=game.one_minus_beta)


def _duplicates(keys: FloatArray) -> tuple[IntArray, tuple[tuple[int, ...], ...]]:
    """First action of each group of rows of ``keys`` that are equal, and the groups with several."""
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    groups = tuple(tuple(int(a) for a in np.flatnonzero(inverse == g)) for g in range(first.size))
    return np.sort(first).astype(np.intp), tuple(g for g in groups if len(g) > 1)


def _value_bounds(game: PeriodGame) -> tuple[FloatArray, FloatArray]:
    """Bounds ``(low, high)`` on each firm's value in any equilibrium of the state's game.

    A value is the ratio of sums ``sum K(a, b) s_a s_b / sum (1 - beta u_a w_b) s_a s_b``, so it
    lies within the range of the ratios ``K(a, b) / (1 - beta u_a w_b)``; and a firm can play
    any one action for ever, so its value is at least the worst ratio of its best such action.
    """
    beta, impatience = game.beta, game.one_minus_beta
    mv, mw = game.moves(0), game.moves(1)
    leaving = impatience + beta * (mv[:, None] + game.stay[0][:, None] * mw[None, :])
    ratio = game.other / leaving[None]
    low = np.array([np.max(np.min(ratio[0], axis=1)), np.max(np.min(ratio[1], axis=0))])
    high = np.array([np.max(ratio[0]), np.max(ratio[1])])
    return low, high


def _beaten(payoff: FloatArray, stay: FloatArray, rival_stay: FloatArray, beta: float, values: FloatArray,
            margin: float) -> NDArray[np.bool_]:
    """Own actions (rows of ``payoff``) that another action beats against every rival action, at every value."""
    m = payoff.shape[0]
    out = np.zeros(m, dtype=bool)
    for start in range(0, m, 64):  # chunks of the beaten action keep memory linear in m^2
        block = slice(start, min(start + 64, m))
        better = np.ones((block.stop - block.start, m), dtype=bool)
        for v in values:
            pay = payoff + beta * stay[:, None] * rival_stay[None, :] * v
            better &= np.all(pay[None, :, :] > pay[block, None, :] + margin, axis=2)
        out[block] = better.any(axis=1)
    return out


def _reduce(game: PeriodGame, scale: float) -> _Reduction:
    """Merge payoff-identical actions, then remove strictly dominated ones, iteratively.

    Two actions of a firm are duplicates when they give both firms the same payoffs
    against every rival action and the same chance of staying: equilibria that differ
    only in how they split weight between them are one equilibrium, which puts all the
    weight on the first. An action is removed when another of the firm's actions pays
    strictly more (by ``1e-12`` of the payoff scale) against every remaining rival
    action, whatever the firm's own value within its equilibrium bounds
    (``_value_bounds``): it is never a best response, so no equilibrium uses it.
    """
    keys1 = np.hstack([game.other[0], game.other[1], game.progress[0]])
    keys2 = np.hstack([game.other[0].T, game.other[1].T, game.progress[1]])
    rows, same1 = _duplicates(keys1)
    cols, same2 = _duplicates(keys2)
    low, high = _value_bounds(game)
    margin = 1e-12 * scale
    changed = True
    while changed:
        changed = False
        sub = _subgame(game, rows, cols)
        out1 = _beaten(sub.other[0], sub.stay[0], sub.stay[1], game.beta, np.array([low[0], high[0]]), margin)
        out2 = _beaten(sub.other[1].T, sub.stay[1], sub.stay[0], game.beta, np.array([low[1], high[1]]), margin)
        if out1.any() or out2.any():
            rows, cols = rows[~out1], cols[~out2]
            changed = True
    return _Reduction(_subgame(game, rows, cols), (rows, cols), (same1, same2))


def state_equilibria(game: PeriodGame, max_pairs: int = _MAX_PAIRS) -> StateEquilibria:
    """Every equilibrium of the period game at one state (see the module docstring).

    Payoff-identical duplicate actions are merged and strictly dominated actions
    removed first (``_reduce``); the supports of what remains are enumerated.
    A degenerate game (payoff ties, common with deterministic progress) can have no
    equilibrium whose supports have equal sizes; then the payoffs are perturbed by
    1e-10 of their scale, the perturbed game's equilibria are found, and those that
    are equilibria of the original game to 1e-9 are kept, with ``degenerate`` set.
    Every equilibrium returned is checked in the full game, its values recomputed
    from the profile: no action of either firm pays more than 1e-9 of the payoff
    scale above its value.

    Parameters
    ----------
    game : PeriodGame
        The state's game, from [`patentrace.equations.periods.period_game`][patentrace.equations.periods.period_game].
    max_pairs : int
        Most support pairs to enumerate (in the reduced game).

    Returns
    -------
    StateEquilibria

    Examples
    --------
    >>> import patentrace as pr
    >>> from patentrace.equations.periods import period_game, terminal_values
    >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    >>> found = state_equilibria(period_game(race, terminal_values(race), 0, 0))
    >>> found.strategy[0].tolist(), found.strategy[1].tolist()     # k < L: both work, uniquely
    ([[1.0, 0.0]], [[1.0, 0.0]])
    """
    scale = float(np.max(np.abs(game.other))) + 1.0
    tol = 1e-9 * scale
    reduction = _reduce(game, scale)
    small = reduction.game
    candidates, searched = _enumerate(small, small.other, max_pairs, tol)
    found = _lift(game, reduction, candidates, tol)
    perturbed = False
    if not found:
        noise = np.random.default_rng(0).random(small.other.shape)
        candidates, searched = _enumerate(small, small.other + 1e-10 * scale * noise, max_pairs, tol)
        found = _lift(game, reduction, candidates, tol)
        perturbed = True
    if not found:
        hint = {} if searched is None else {
            "searched": f"every support pair up to size {searched}, then supports of neighbouring actions only; "
                        "raise max_pairs to search them all"}
        raise EquilibriumError("no equilibrium found at a period game", None,
                               {"actions": game.other.shape[1:], "undominated": small.other.shape[1:],
                                "complete": searched is None, **hint})
    strategy1, strategy2, value = _distinct([c[0] for c in found], [c[1] for c in found],
                                            [_ratio_values(game, c[0], c[1]) for c in found])
    degenerate = perturbed or _degenerate(game, strategy1, strategy2, value, tol)
    return StateEquilibria((strategy1, strategy2), value, degenerate, searched is None, searched=searched,
                           undominated=(int(small.other.shape[1]), int(small.other.shape[2])),
                           duplicates=reduction.duplicates)


def _lift(
    game: PeriodGame, reduction: _Reduction, candidates: list[tuple[FloatArray, FloatArray]], tol: float
) -> list[tuple[FloatArray, FloatArray]]:
    """The reduced game's equilibria as profiles of the full game, kept only if they are equilibria there."""
    out = []
    rows, cols = reduction.kept
    for small1, small2 in candidates:
        sigma1, sigma2 = np.zeros(game.other.shape[1]), np.zeros(game.other.shape[2])
        sigma1[rows], sigma2[cols] = small1, small2
        if _is_equilibrium(game, sigma1, sigma2, tol):
            out.append((sigma1, sigma2))
    return out


def _enumerate(
    game: PeriodGame, other: FloatArray, max_pairs: int, tol: float
) -> tuple[list[tuple[FloatArray, FloatArray]], int | None]:
    """Equilibria of the period game with payoffs ``other`` (``K``), by support enumeration.

    Returns the candidates and the largest support size searched in full (None: all of them).
    """
    k1, k2 = other
    u, w = game.stay
    mv, mw = game.moves(0), game.moves(1)
    m1, m2 = k1.shape
    beta, impatience = game.beta, game.one_minus_beta
    scale = float(np.max(np.abs(other))) + 1.0
    found: list[tuple[FloatArray, FloatArray]] = []
    supports, searched = _support_pairs(m1, m2, max_pairs)
    for all_rows, all_cols in supports:
        for start in range(0, all_rows.shape[0], _CHUNK):
            rows, cols = all_rows[start : start + _CHUNK], all_cols[start : start + _CHUNK]
            points1, system1, ok1 = _indifference(k1, (u, mv), mw, beta, impatience, rows, cols)
            points2, system2, ok2 = _indifference(k2.T, (w, mw), mv, beta, impatience, cols, rows)
            n = rows.shape[1]
            for r1, r2 in itertools.product(range(2), range(2)):
                ok = ok1[:, r1] & ok2[:, r2]
                ok &= np.all(points2[:, r2, :n] >= -_LOOSE, axis=1) & np.all(points1[:, r1, :n] >= -_LOOSE, axis=1)
                at = np.flatnonzero(ok)
                if at.size == 0:
                    continue
                good = _best_responses(game, other, rows[at], cols[at], points1[at, r1], points2[at, r2],
                                       _LOOSE * scale)
                at = at[good]
                if at.size == 0:
                    continue
                polished1 = _polish(system1[at], mw[cols[at]], points1[at, r1])
                polished2 = _polish(system2[at], mv[rows[at]], points2[at, r2])
                good = _best_responses(game, other, rows[at], cols[at], polished1, polished2, tol)
                good &= np.all(polished1[:, :n] >= -1e-10, axis=1) & np.all(polished2[:, :n] >= -1e-10, axis=1)
                for p in np.flatnonzero(good):
                    sigma1, sigma2 = np.zeros(m1), np.zeros(m2)
                    sigma1[rows[at[p]]] = polished2[p, :n]
                    sigma2[cols[at[p]]] = polished1[p, :n]
                    found.append((_mixture(sigma1), _mixture(sigma2)))
    return found, searched


def _mixture(weights: FloatArray) -> FloatArray:
    """Weights as a mixed action: rounding noise (below 1e-13) set to 0, the rest normalised to sum to 1."""
    out = np.where(weights > 1e-13, weights, 0.0)
    return np.asarray(out / out.sum())


def _best_responses(
    game: PeriodGame, other: FloatArray, rows: IntArray, cols: IntArray, points1: FloatArray, points2: FloatArray,
    tol: float,
) -> NDArray[np.bool_]:
    """Which candidates leave no action of either firm gaining more than ``tol`` over its value.

    ``points1[p] = (s_2, v_1, z_1)`` solves firm 1's indifference (firm 2's mixture on
    ``cols[p]``), ``points2[p] = (s_1, v_2, z_2)`` firm 2's. The gain of firm 1's action ``a``
    is ``(K_1 s_2)_a - (1 - beta + beta m_a) v_1 - beta u_a z_1``: no cancellation when
    ``beta`` is close to 1.
    """
    n = rows.shape[1]
    k1, k2 = other
    u, w = game.stay
    mv, mw = game.moves(0), game.moves(1)
    beta, impatience = game.beta, game.one_minus_beta
    s2, v1, z1 = points1[:, :n], points1[:, n], points1[:, n + 1]
    s1, v2, z2 = points2[:, :n], points2[:, n], points2[:, n + 1]
    gain1 = (np.einsum("apk,pk->pa", k1[:, cols], s2) - (impatience + beta * mv[None, :]) * v1[:, None]
             - beta * u[None, :] * z1[:, None])
    gain2 = (np.einsum("bpk,pk->pb", k2.T[:, rows], s1) - (impatience + beta * mw[None, :]) * v2[:, None]
             - beta * w[None, :] * z2[:, None])
    return np.asarray(np.all(gain1 <= tol, axis=1) & np.all(gain2 <= tol, axis=1))


def deviation_gains(game: PeriodGame, sigma1: FloatArray, sigma2: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Each action's payoff above the firm's value, the values being those the profile pays (docs/theory/periods.md).

    Firm 1's action ``a`` against ``sigma_2`` pays ``(K_1 sigma_2)_a + beta u_a W v_1`` with
    ``W = w . sigma_2``; its gain is that minus ``v_1``, written
    ``(K_1 sigma_2)_a - v_1 (1 - beta + beta m_a + beta u_a (1 - W))`` with ``m_a = 1 - u_a``
    summed from the progress distribution, so no two nearly equal numbers are subtracted
    when ``beta`` is close to 1.

    Examples
    --------
    The oracle of docs/theory/periods.md with ``k < L``: against a worker, working gains nothing and
    shirking loses.

    >>> import numpy as np
    >>> import patentrace as pr
    >>> from patentrace.equations.periods import period_game, terminal_values
    >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    >>> game = period_game(race, terminal_values(race), 0, 0)
    >>> gains = deviation_gains(game, np.array([1.0, 0.0]), np.array([1.0, 0.0]))
    >>> [float(g[0]) == 0.0 or abs(float(g[0])) < 1e-15 for g in gains], [bool(g[1] < 0) for g in gains]
    ([True, True], [True, True])
    """
    v1, v2 = _ratio_values(game, sigma1, sigma2)
    beta, impatience = game.beta, game.one_minus_beta
    mv, mw = game.moves(0), game.moves(1)
    gain1 = game.other[0] @ sigma2 - v1 * (impatience + beta * mv + beta * game.stay[0] * float(mw @ sigma2))
    gain2 = sigma1 @ game.other[1] - v2 * (impatience + beta * mw + beta * game.stay[1] * float(mv @ sigma1))
    return np.asarray(gain1), np.asarray(gain2)


def _is_equilibrium(game: PeriodGame, sigma1: FloatArray, sigma2: FloatArray, tol: float) -> bool:
    """Whether no pure action beats the ratio-game values of ``(sigma1, sigma2)`` in the original game."""
    gain1, gain2 = deviation_gains(game, sigma1, sigma2)
    return bool(np.all(gain1 <= tol) and np.all(gain2 <= tol))


def _ratio_values(game: PeriodGame, sigma1: FloatArray, sigma2: FloatArray) -> tuple[float, float]:
    """``v_k = sigma_1' K_k sigma_2 / (1 - beta (u . sigma_1)(w . sigma_2))``: the values, recomputed exactly."""
    leaving = game.leaving(sigma1, sigma2)
    return float(sigma1 @ game.other[0] @ sigma2) / leaving, float(sigma1 @ game.other[1] @ sigma2) / leaving


def _distinct(
    found1: list[FloatArray], found2: list[FloatArray], values: list[tuple[float, float]]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    keep: list[int] = []
    for k in range(len(values)):
        if not any(
            np.max(np.abs(found1[k] - found1[q])) < _SAME and np.max(np.abs(found2[k] - found2[q])) < _SAME
            for q in keep
        ):
            keep.append(k)
    if not keep:
        return np.zeros((0, 0)), np.zeros((0, 0)), np.zeros((0, 2))
    return (np.array([found1[k] for k in keep]), np.array([found2[k] for k in keep]),
            np.array([values[k] for k in keep], dtype=float))


def _degenerate(game: PeriodGame, s1: FloatArray, s2: FloatArray, value: FloatArray, tol: float) -> bool:
    for k in range(value.shape[0]):
        gain1, gain2 = deviation_gains(game, s1[k], s2[k])
        best1, best2 = np.sum(gain1 >= -tol), np.sum(gain2 >= -tol)
        if best1 > np.sum(s1[k] > 0) or best2 > np.sum(s2[k] > 0):
            return True
    return False


def _select(found: StateEquilibria, game: PeriodGame, rule: str) -> int:
    """Position of the chosen equilibrium: fastest / slowest expected progress, or richest."""
    steps = [p @ np.arange(p.shape[1]) for p in game.progress]
    progress = found.strategy[0] @ steps[0] + found.strategy[1] @ steps[1]
    score = {"fastest": progress, "slowest": -progress, "richest": found.value.sum(axis=1)}[rule]
    return int(np.argmax(score))


@dataclass
class SearchRecord:
    """What the per-state searches of one lagged race left out or merged (for ``solver.options``).

    Attributes
    ----------
    incomplete : dict
        ``(i, j)`` -> ``(searched, m1, m2)`` at states whose search was incomplete: supports of
        up to ``searched`` actions were all searched among the ``m1 x m2`` undominated actions,
        larger ones only among neighbouring actions.
    duplicates : (set, set)
        Each firm's groups of payoff-identical actions met at some state.

    Examples
    --------
    >>> record = SearchRecord()
    >>> record.options()
    {'complete': True, 'incomplete_states': [], 'searched_support_size': [], 'undominated_actions': [], \
'duplicate_actions': [[], []]}
    """

    incomplete: dict[tuple[int, int], tuple[int, int, int]] = field(default_factory=dict)
    duplicates: tuple[set[tuple[int, ...]], set[tuple[int, ...]]] = field(default_factory=lambda: (set(), set()))

    def add(self, state: tuple[int, int], found: StateEquilibria) -> None:
        """Record one state's search.

        Examples
        --------
        >>> import patentrace as pr
        >>> from patentrace.equations.periods import period_game, terminal_values
        >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
        >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, work, shirk])
        >>> record = SearchRecord()
        >>> record.add((0, 0), state_equilibria(period_game(race, terminal_values(race), 0, 0)))
        >>> record.options()["duplicate_actions"]
        [[[0, 1]], [[0, 1]]]
        """
        if found.searched is not None:
            m1, m2 = found.undominated or found.strategy[0].shape[1:] + found.strategy[1].shape[1:]
            self.incomplete[state] = (found.searched, int(m1), int(m2))
        for firm in (0, 1):
            self.duplicates[firm].update(found.duplicates[firm])

    def options(self) -> dict[str, Any]:
        """Plain data for ``solver.options``: completeness, the incomplete states, the duplicate actions.

        Examples
        --------
        >>> SearchRecord(incomplete={(0, 0): (2, 9, 9)}).options()["incomplete_states"]
        [[0, 0]]
        """
        states = sorted(self.incomplete)
        return {
            "complete": not states,
            "incomplete_states": [[i, j] for i, j in states],
            "searched_support_size": [self.incomplete[s][0] for s in states],
            "undominated_actions": [list(self.incomplete[s][1:]) for s in states],
            "duplicate_actions": [[list(g) for g in sorted(self.duplicates[firm])] for firm in (0, 1)],
        }

    def warn(self, max_pairs: int) -> None:
        """Emit an ``IncompleteEnumerationWarning`` if some state's search was incomplete.

        Examples
        --------
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     SearchRecord(incomplete={(0, 1): (2, 9, 9)}).warn(max_pairs=1000)
        >>> print(caught[0].message)  # doctest: +ELLIPSIS
        equilibria may be missing at 1 state(s), [[0, 1]]: ... (0, 1): supports of more than 2 of 9 x 9 ...
        """
        if not self.incomplete:
            return
        states = sorted(self.incomplete)
        shown = "; ".join(
            f"{s}: supports of more than {self.incomplete[s][0]} of {self.incomplete[s][1]} x {self.incomplete[s][2]} "
            "undominated actions" for s in states[:6]) + ("; ..." if len(states) > 6 else "")
        warnings.warn(
            f"equilibria may be missing at {len(states)} state(s), {[list(s) for s in states]}: beyond "
            f"max_pairs={max_pairs} support pairs, larger supports were searched only among neighbouring actions "
            f"(up to {_CONSECUTIVE_UP_TO}) -- {shown}. Raise max_pairs to search them all.",
            IncompleteEnumerationWarning, stacklevel=user_stacklevel(),
        )


def solve_lagged(race: LaggedRace, selection: str = "fastest", max_pairs: int = _MAX_PAIRS) -> LaggedEquilibrium:
    """The stationary equilibrium of a [`LaggedRace`][patentrace.LaggedRace] by backward induction.

    States only move forward apart from the self-loop, so they are solved from the
    end of the race backwards, every equilibrium of each state found and one chosen
    by ``selection`` (``"fastest"``: most expected progress per period; ``"slowest"``;
    ``"richest"``: the largest joint value). Where some state's search was incomplete
    (more support pairs than ``max_pairs`` after the reduction), an
    ``IncompleteEnumerationWarning`` names the states.

    Parameters
    ----------
    race : LaggedRace
        The model.
    selection : {"fastest", "slowest", "richest"}
        Rule for states with several equilibria.
    max_pairs : int
        Most support pairs enumerated per state.

    Returns
    -------
    LaggedEquilibrium
        ``solver.options`` holds ``complete``, ``incomplete_states`` with
        ``searched_support_size`` and ``undominated_actions`` at each (the support size searched in
        full, the actions left after the reduction), and
        ``duplicate_actions`` (each firm's groups of payoff-identical actions).

    Examples
    --------
    >>> import patentrace as pr
    >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    >>> eq = solve_lagged(race)
    >>> eq.strategy[0][0, 0].tolist(), int(eq.multiplicity[0, 0])
    ([1.0, 0.0], 1)
    """
    if selection not in SELECTION_RULES:
        raise ValueError(f"selection must be one of {SELECTION_RULES}, got {selection!r}")
    started = time.perf_counter()
    n1, n2 = race.stages
    sizes = (len(race.menus[0][0]), len(race.menus[1][0]))
    value = terminal_values(race)
    strategy = (np.zeros((n1 + 1, n2 + 1, sizes[0])), np.zeros((n1 + 1, n2 + 1, sizes[1])))
    multiplicity = np.ones((n1 + 1, n2 + 1), dtype=np.intp)
    multiplicity[n1, n2] = 0
    degenerate = np.zeros((n1 + 1, n2 + 1), dtype=bool)
    record = SearchRecord()
    for step in Layout.of([race.stages]).steps:
        for i, j in zip(step.i.tolist(), step.j.tolist(), strict=True):
            game = period_game(race, value, i, j)
            try:
                found = state_equilibria(game, max_pairs)
            except EquilibriumError as err:
                raise EquilibriumError(str(err).split(" at ")[0], (i, j), err.details) from None
            chosen = _select(found, game, selection)
            strategy[0][i, j], strategy[1][i, j] = found.strategy[0][chosen], found.strategy[1][chosen]
            value[:, i, j] = found.value[chosen]
            multiplicity[i, j] = found.value.shape[0]
            degenerate[i, j] = found.degenerate
            record.add((i, j), found)
    record.warn(max_pairs)
    win, tie = chain.period_outcome_probabilities(race, strategy)
    return LaggedEquilibrium(
        model=race, strategy=strategy, value=value, win_probability=win, tie_probability=tie,
        expected_duration=chain.period_expected_duration(race, strategy),
        multiplicity=multiplicity, degenerate=degenerate,
        solver=SolverInfo(
            method="support enumeration",
            selection=selection,
            options={"max_pairs": max_pairs, **record.options()},
            version=__version__,
            seconds=time.perf_counter() - started,
        ),
    )


def refine_lagged(
    race: LaggedRace, selection: str = "fastest", max_pairs: int = _MAX_PAIRS, tolerance: float = 1e-3,
    max_refinements: int = 3,
) -> LaggedEquilibrium:
    """Solve a lagged race on finer and finer effort menus until the answer settles.

    The race must come from [`LaggedRace.from_race`][patentrace.LaggedRace.from_race]
    (it carries its ``technology`` and ``effort_grid``). Each refinement doubles every firm's
    effort grid, inserting the midpoint of each pair of neighbouring efforts, and solves
    again (the finite menus of the race in periods, docs/lagged.md). It stops once the
    values and the win probabilities at every state have moved by at most ``tolerance``
    (relative to the prize) in each of two successive doublings (one is not enough: an
    equilibrium at an effort that both grids offer does not move at all) and against the
    grid of the finest grid's midpoints (the same resolution with no interior effort in
    common, where such an equilibrium has to move); the largest of the three changes is
    the reported error estimate. After ``max_refinements`` doublings
    without settling, the finest answer is returned with a
    ``RefinementWarning``.

    Parameters
    ----------
    race : LaggedRace
        Built by ``LaggedRace.from_race``.
    selection, max_pairs
        As for ``solve_lagged``.
    tolerance : float
        Largest change, over all states, of values and win probabilities (over the prize).
    max_refinements : int
        Most doublings.

    Returns
    -------
    LaggedEquilibrium
        On the finest grid solved. ``solver.options["refinement"]`` records every step
        (efforts per firm, the change from the previous grid, whether its search was
        complete, seconds, and ``"shifted_change"`` where the midpoint grid was solved);
        ``"error_estimate"`` is the largest of the last two changes and the shifted change,
        ``"converged"`` whether it is within ``tolerance``.

    Raises
    ------
    ValueError
        If the race has no technology to refine (a menu of actions given by hand).

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> lagged = pr.LaggedRace.from_race(race, lag=0.5, efforts=[0.0, 0.3, 1.0])
    >>> eq = refine_lagged(lagged, tolerance=0.06, max_refinements=5)
    >>> [step["efforts"][0] for step in eq.solver.options["refinement"]], eq.solver.options["converged"]
    ([3, 5, 9, 17], True)
    >>> options = eq.solver.options
    >>> [round(step["change"], 4) for step in options["refinement"][1:]], round(options["error_estimate"], 4)
    ([0.0962, 0.0587, 0.0], 0.0587)
    """
    if race.technology is None or race.effort_grid is None:
        raise ValueError("refine=True needs a LaggedRace built by LaggedRace.from_race (its technology and effort "
                         "grids); a menu of actions given by hand is the model itself and is solved as given")
    started = time.perf_counter()
    steps: list[dict[str, Any]] = []
    previous: LaggedEquilibrium | None = None
    current = race
    changes: list[float] = []
    shifted: dict[int, float] = {}  # step -> change of its grid against the grid of its midpoints

    def shift_change(eq: LaggedEquilibrium) -> float:
        # A pure equilibrium at an effort both grids offer changes by 0 under doubling, however far that
        # effort is from the model's; on the grid of the midpoints (the same resolution, no interior
        # effort in common) it has to move.
        moved = _change(eq, solve_lagged(_shifted(eq.model), selection=selection, max_pairs=max_pairs))
        shifted[len(steps) - 1] = moved
        steps[-1]["shifted_change"] = moved
        return moved

    for _ in range(max_refinements + 1):
        eq = solve_lagged(current, selection=selection, max_pairs=max_pairs)
        if previous is not None:
            changes.append(_change(previous, eq))
        steps.append({"efforts": [len(g) for g in current.effort_grid or ((), ())],
                      "change": changes[-1] if previous is not None else None,
                      "complete": bool(eq.solver.options["complete"]), "seconds": eq.solver.seconds})
        if len(changes) >= 2 and max(changes[-2:]) <= tolerance and shift_change(eq) <= tolerance:
            break
        previous, current = eq, _doubled(current)
    last = len(steps) - 1
    moved = shifted[last] if last in shifted else shift_change(eq)
    change = max([*changes[-2:], moved]) if changes else math.inf
    converged = len(changes) >= 2 and change <= tolerance
    if not converged:
        warnings.warn(
            f"the effort menus did not settle after {len(steps) - 1} doubling(s): the last changed the values or win "
            f"probabilities by {change:.3g} > refine_tolerance={tolerance:g} (efforts per firm "
            f"{steps[-1]['efforts']}); raise max_refinements or refine_tolerance",
            RefinementWarning, stacklevel=user_stacklevel())
    options = {**eq.solver.options, "refine_tolerance": tolerance, "max_refinements": max_refinements,
               "refinement": steps, "error_estimate": change if math.isfinite(change) else None,
               "converged": converged}
    solver = replace(eq.solver, options=options, seconds=time.perf_counter() - started)
    return replace(eq, solver=solver)


def _change(coarse: LaggedEquilibrium, fine: LaggedEquilibrium) -> float:
    """Largest change of a value or a win probability at any state, relative to the prize."""
    value = float(np.max(np.abs(fine.value - coarse.value))) / fine.model.prize
    win = float(np.max(np.abs(fine.win_probability - coarse.win_probability)))
    return max(value, win)


def _doubled(race: LaggedRace) -> LaggedRace:
    """The same race with each firm's effort grid doubled: the midpoint of each pair of neighbours inserted."""
    assert race.technology is not None and race.effort_grid is not None
    grids = []
    for grid in race.effort_grid:
        points = np.sort(np.asarray(grid, dtype=float))
        grids.append(np.unique(np.concatenate([points, 0.5 * (points[:-1] + points[1:])])).tolist())
    return LaggedRace.from_race(race.technology, race.lag, efforts=(grids[0], grids[1]), tie=race.tie)


def _shifted(race: LaggedRace) -> LaggedRace:
    """The same race on the midpoints of each firm's effort grid, with its two ends kept (the same resolution)."""
    assert race.technology is not None and race.effort_grid is not None
    grids = []
    for grid in race.effort_grid:
        points = np.sort(np.asarray(grid, dtype=float))
        grids.append(np.unique(np.concatenate([points[:1], 0.5 * (points[:-1] + points[1:]), points[-1:]])).tolist())
    return LaggedRace.from_race(race.technology, race.lag, efforts=(grids[0], grids[1]), tie=race.tie)


def check_lagged(eq: LaggedEquilibrium, tolerance: float) -> None:
    """Raise unless every open state's profile is an equilibrium of its period game (docs/theory/periods.md).

    At every open state the period game is rebuilt from the stored values of later
    states; the largest gain of a pure action over the firm's value
    (``deviation_gains``, values recomputed from the profile) and the Bellman
    residual ``|v_k - sigma_1' M_k(v_k) sigma_2|`` must both be at most ``tolerance``
    times the prize.

    Raises
    ------
    EquilibriumError
        At the first state that fails, with the gain, the residual, the profile and the values.

    Examples
    --------
    >>> import patentrace as pr
    >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    >>> race = pr.LaggedRace(stages=2, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    >>> check_lagged(solve_lagged(race), 1e-10)     # passes silently
    """
    race = eq.model
    bound = tolerance * race.prize
    for step in Layout.of([race.stages]).steps:
        for i, j in zip(step.i.tolist(), step.j.tolist(), strict=True):
            game = period_game(race, eq.value, i, j)
            s1, s2 = eq.strategy[0][i, j], eq.strategy[1][i, j]
            v1, v2 = float(eq.value[0, i, j]), float(eq.value[1, i, j])
            gains = deviation_gains(game, s1, s2)
            gain = max(float(np.max(gains[0])), float(np.max(gains[1])), 0.0)
            residual = max(abs(v1 - float(s1 @ game.payoff(0, v1) @ s2)), abs(v2 - float(s1 @ game.payoff(1, v2) @ s2)))
            if not (gain <= bound and residual <= bound):
                raise EquilibriumError(
                    "a lagged equilibrium fails its check", (i, j),
                    {"deviation_gain": gain, "residual": residual, "tolerance": bound,
                     "strategy": (s1.tolist(), s2.tolist()), "value": (v1, v2)})
