"""The indifference conditions of a support pair in a period game, and every solution (docs/theory/periods.md).

At a state of a [`LaggedRace`][patentrace.LaggedRace] an equilibrium mixes over a pair
of supports ``(S_1, S_2)`` of equal size ``n``. Firm 0's indifference over ``S_1`` fixes
firm 1's mixture and firm 0's value: for ``a`` in ``S_1``,

    sum_b K_1(a, b) s_b + beta u_a y - v_1 = 0,   sum_b s_b = 1,   y = v_1 (w . s),

``n + 1`` linear equations in ``(s, v_1, y)`` and one bilinear one. The linear part
leaves a line ``x0 + t d`` (its null space, parametrised by the value or, where that is
ill conditioned, by the unknown with the largest maximal minor: ``null_lines``), and the bilinear equation is
then a quadratic in ``t``: each support pair gives at most two solutions for each firm,
all found. (For two actions this is the quadratic of docs/theory/periods.md.) Every
coefficient is written with probabilities of moving and ``1 - beta`` kept apart
(``z = v (m . s)``, ``m`` the rival's chances of moving), so nothing cancels when
``beta`` is close to 1. Candidates are polished by Newton steps on the support equations.
[`patentrace.solvers.stagegame`][patentrace.solvers.stagegame] enumerates the support
pairs (``support_pairs``) and checks what these functions return.

Examples
--------
Three actions each, searched in full: 9 pairs of single actions, 9 of two, 1 of three.

>>> [rows.shape[0] for rows, cols in support_pairs(3, 3, max_pairs=100)[0]]
[9, 9, 1]
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from numpy.typing import NDArray

__all__ = ["CONSECUTIVE_UP_TO", "indifference", "null_lines", "polish", "quadratic_roots", "support_pairs"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

CONSECUTIVE_UP_TO = 3  # largest consecutive supports searched beyond max_pairs
WELL_CONDITIONED = 1e-8  # smallest |det| / product of column norms of the block solved with the value as parameter
RANK_FLOOR = 1e-12  # largest maximal minor / product of row norms below which a system has no line
TAME_LINE = 1e6  # largest entry of an LU-solved line, relative to the system's largest entry


def indifference(
    payoff: FloatArray, own: tuple[FloatArray, FloatArray], rival_moves: FloatArray, beta: float,
    impatience: float, rows: IntArray, cols: IntArray,
) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
    """Solve one firm's indifference over supports ``rows`` for the rival's mixture on ``cols``.

    Returns the solutions ``(s, v, z)`` (shape ``(P, 2, n + 2)``, two roots each), the
    linear equations they solve (for ``polish``) and which roots exist.

    ``payoff`` is the firm's ``K`` with its own actions as rows; ``own`` holds its actions'
    probabilities of staying and of moving, ``rival_moves`` the rival's of moving. For ``a``
    in ``rows`` the firm's value ``v`` satisfies

        sum_b K(a, b) s_b - (1 - beta + beta m_a) v - beta u_a z = 0,   z = v (m' . s),

    where ``m`` are probabilities of moving: every coefficient is computed without
    cancellation, so the value keeps its digits when ``beta`` is close to 1 (``1 - beta``
    is ``impatience``). For ``P`` support pairs of size ``n`` (``rows``, ``cols`` of shape
    ``(P, n)``).

    Examples
    --------
    Both firms work in the oracle of docs/theory/periods.md (P5): firm 0's value is
    ``(-k + beta (p^2 / 2 + p (1 - p))) / (1 - beta (1 - p)^2)``, and ``z = v m`` with ``m = 1/2``.

    >>> import numpy as np
    >>> import patentrace as pr
    >>> from patentrace.equations import periods
    >>> menu = [pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})]
    >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=menu)
    >>> game = periods.period_game(race, periods.terminal_values(race), 0, 0)
    >>> both_work = np.array([[0]])
    >>> points, system, exists = indifference(game.other[0], (game.stay[0], game.moves(0)), game.moves(1),
    ...                                       game.beta, game.one_minus_beta, both_work, both_work)
    >>> beta = race.discount_factor
    >>> v = (-0.2 + beta * (0.125 + 0.25)) / (1 - beta * 0.25)
    >>> s, value, z = points[0, 0]
    >>> bool(exists[0, 0]), float(s), bool(abs(value - v) < 1e-15), bool(abs(z - v / 2) < 1e-15)
    (True, 1.0, True, True)
    """
    stay, moves = own
    pairs, n = rows.shape
    system = np.zeros((pairs, n + 1, n + 2))
    system[:, :n, :n] = payoff[rows[:, :, None], cols[:, None, :]]
    system[:, :n, n] = -(impatience + beta * moves[rows])
    system[:, :n, n + 1] = -beta * stay[rows]
    system[:, n, :n] = 1.0
    particular, direction, rank_ok = null_lines(system)
    mix0, mixd = particular[:, :n], direction[:, :n]
    if n == 1:  # a pure rival action: the mixture is exactly 1, and the bilinear equation exactly linear
        mix0, mixd = np.ones_like(mix0), np.zeros_like(mixd)
    v0, vd = particular[:, n], direction[:, n]
    z0, zd = particular[:, n + 1], direction[:, n + 1]
    m = rival_moves[cols]
    m0, md = np.sum(m * mix0, axis=1), np.sum(m * mixd, axis=1)
    # z(t) - v(t) m(t) = 0
    a, b, c = -vd * md, zd - v0 * md - vd * m0, z0 - v0 * m0
    roots, exists = quadratic_roots(a, b, c)
    line0 = np.concatenate([mix0, v0[:, None], z0[:, None]], axis=1)
    lined = np.concatenate([mixd, vd[:, None], zd[:, None]], axis=1)
    with np.errstate(over="ignore", invalid="ignore"):  # a root far out on the line (a ~ 0) is no mixture
        points = line0[:, None, :] + roots[:, :, None] * lined[:, None, :]
    finite = np.all(np.isfinite(points), axis=2)
    points[~finite] = 0.0
    return points, system, exists & finite & rank_ok[:, None]


def polish(system: FloatArray, rival_moves: FloatArray, points: FloatArray, rounds: int = 3) -> FloatArray:
    """Newton steps on a firm's indifference equations at candidate points ``(s, v, z)``.

    ``system`` holds the linear equations (as built by ``indifference``), ``rival_moves``
    the rival's probabilities of moving on its support; the last equation is ``z = v (m . s)``.
    The line-and-quadratic solution can lose digits where the mixture is sensitive to the
    value; two or three Newton steps on the square system restore them.

    Examples
    --------
    One action each: ``0.5 - v - 0.5 z = 0`` with ``z = v (0.5 s)`` and ``s = 1`` has
    ``v = 0.4``, ``z = 0.2``; Newton steps from a nearby point find it.

    >>> import numpy as np
    >>> system = np.array([[[0.5, -1.0, -0.5], [1.0, 0.0, 0.0]]])
    >>> polish(system, np.array([[0.5]]), np.array([[1.0, 0.41, 0.19]])).round(12).tolist()
    [[1.0, 0.4, 0.2]]
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


def null_lines(system: FloatArray) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
    """Solutions ``x0 + t d`` of ``system[p] x = e_last`` (``P`` systems of ``n + 1`` equations in ``n + 2`` unknowns).

    The line is parametrised by one unknown and the square block of the other columns
    solved by LU. First the value (unknown ``n``) is tried, where the block is well
    conditioned (``|det|`` at least ``WELL_CONDITIONED`` of the product of its column
    norms) and gives a line of the size of the system's entries (``TAME_LINE``): the
    common case. Otherwise, by Cramer's rule, the direction is the vector of the system's
    signed maximal minors (the determinants with one column deleted), and the line is
    parametrised by the unknown whose minor is largest: the best conditioned block, every
    other entry of the direction at most 1 in magnitude. A system whose largest minor is
    below ``RANK_FLOOR`` of the Hadamard bound (the product of its row norms) has rank
    below ``n + 1`` and gives no line; a line still huge is solved again by SVD. Returns
    the points, the directions and whether each system has rank ``n + 1``.

    Examples
    --------
    ``x_0 - x_1 = 0`` and ``x_0 = 1``: the line ``(1, 1, 0) + t (0, 0, 1)``.

    >>> import numpy as np
    >>> system = np.array([[[1.0, -1.0, 0.0], [1.0, 0.0, 0.0]]])
    >>> point, direction, full_rank = null_lines(system)
    >>> point[0].tolist(), direction[0].tolist(), full_rank.tolist()
    ([1.0, 1.0, 0.0], [0.0, 0.0, 1.0], [True])
    """
    pairs, rows, width = system.shape
    n = rows - 1
    particular, direction = np.zeros((pairs, width)), np.zeros((pairs, width))
    rank_ok = np.zeros(pairs, dtype=bool)
    square = np.delete(system, n, axis=2)  # the mixture and z columns
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # subnormal entries (a stay of 1e-323)
        determinant = np.abs(np.nan_to_num(np.linalg.det(square), nan=0.0))
    conditioned = determinant > WELL_CONDITIONED * np.prod(np.linalg.norm(square, axis=1), axis=1)
    first = np.flatnonzero(conditioned & (determinant > 1e-280))
    done = _pivoted(system, first, np.full(first.size, n), particular, direction)
    rank_ok[done] = True
    rest = np.setdiff1d(np.arange(pairs), done)
    if rest.size:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            minors = np.stack([np.linalg.det(np.delete(system[rest], k, axis=2)) for k in range(width)], axis=1)
        minors = np.where(np.isfinite(minors), minors, 0.0)
        pivot = np.argmax(np.abs(minors), axis=1)
        largest = np.abs(minors[np.arange(rest.size), pivot])
        full_rank = (largest > RANK_FLOOR * np.prod(np.linalg.norm(system[rest], axis=2), axis=1)) & (largest > 1e-280)
        done = _pivoted(system, rest[full_rank], pivot[full_rank], particular, direction)
        rank_ok[done] = True
        slow = np.setdiff1d(rest[full_rank], done)
        if slow.size:
            rank_ok[slow] = _by_svd(system[slow], particular, direction, slow)
    return particular, direction, rank_ok


def _pivoted(system: FloatArray, at: IntArray, pivot: IntArray, particular: FloatArray,
             direction: FloatArray) -> IntArray:
    """Lines of the systems ``at`` parametrised by unknown ``pivot`` (LU); fills those of the size of the entries.

    Returns the systems filled in (the rest gave a non-finite or huge line).
    """
    rows, width = system.shape[1:]
    rhs = np.zeros((at.size, rows))
    rhs[:, -1] = 1.0
    filled = []
    for k in np.unique(pivot).tolist():
        group = at[pivot == k]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            solved = np.linalg.solve(np.delete(system[group], k, axis=2),
                                     np.stack([rhs[: group.size], -system[group, :, k]], axis=-1))
        entries = np.maximum(np.max(np.abs(system[group]), axis=(1, 2)), 1.0)
        tame = np.all(np.isfinite(solved), axis=(1, 2))
        tame &= np.max(np.abs(np.where(np.isfinite(solved), solved, 0.0)), axis=(1, 2)) <= TAME_LINE * entries
        others = np.array([c for c in range(width) if c != k], dtype=np.intp)
        good = group[tame]
        particular[np.ix_(good, others)] = solved[tame, :, 0]
        direction[np.ix_(good, others)] = solved[tame, :, 1]
        direction[good, k] = 1.0
        filled.append(good)
    return np.concatenate(filled) if filled else np.zeros(0, dtype=np.intp)


def _by_svd(system: FloatArray, particular: FloatArray, direction: FloatArray, at: IntArray) -> NDArray[np.bool_]:
    """Lines of ``system`` (the systems ``at``) by SVD, which gives the line whatever its direction; their rank test."""
    rows = system.shape[1]
    rhs = np.zeros((system.shape[0], rows))
    rhs[:, -1] = 1.0
    left, singular, right = np.linalg.svd(system)
    kept = singular > 1e-12 * singular[:, :1]
    inverse = np.where(kept, 1.0 / np.where(kept, singular, 1.0), 0.0)
    coefficients = inverse * np.einsum("pij,pi->pj", left, rhs)  # U' b / s
    particular[at] = np.einsum("pji,pj->pi", right[:, :rows, :], coefficients)
    direction[at] = right[:, -1, :]
    return np.asarray(singular[:, -1] > 1e-12 * np.maximum(singular[:, 0], 1e-300))


def quadratic_roots(a: FloatArray, b: FloatArray, c: FloatArray) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Real roots of ``a t^2 + b t + c`` (two slots each; a linear equation fills one).

    Examples
    --------
    >>> import numpy as np
    >>> roots, exists = quadratic_roots(np.array([1.0, 1.0]), np.array([-3.0, 0.0]), np.array([2.0, 1.0]))
    >>> sorted(roots[0].tolist()), exists.tolist()      # t^2 - 3t + 2 has 1 and 2; t^2 + 1 has none
    ([1.0, 2.0], [[True, True], [False, False]])
    """
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


def support_pairs(m1: int, m2: int, max_pairs: int) -> tuple[list[tuple[IntArray, IntArray]], int | None]:
    """Index arrays of support pairs of equal size, by size; and the largest size searched in full.

    The size is None when every size was searched in full.

    Every support pair of each size while the running count stays within ``max_pairs``;
    for the sizes beyond, up to 3, only supports of consecutive actions (natural for
    menus that are grids of efforts, where equilibria mix neighbouring actions).

    Examples
    --------
    Two actions against three: 6 pairs of single actions and 3 of two actions, all searched.

    >>> sizes, full = support_pairs(2, 3, max_pairs=100)
    >>> [rows.shape[0] for rows, cols in sizes], full
    ([6, 3], None)
    >>> [rows.shape[0] for rows, cols in support_pairs(3, 3, max_pairs=10)[0]]   # beyond 10: neighbours only
    [9, 4, 1]
    """
    out: list[tuple[IntArray, IntArray]] = []
    total, full = 0, None
    for n in range(1, min(m1, m2) + 1):
        count = math.comb(m1, n) * math.comb(m2, n)
        if full is None and (total + count <= max_pairs or not out):
            total += count
            first = np.array(list(itertools.combinations(range(m1), n)), dtype=np.intp)
            second = np.array(list(itertools.combinations(range(m2), n)), dtype=np.intp)
        elif n <= CONSECUTIVE_UP_TO:
            full = n - 1 if full is None else full
            first = np.arange(n)[None, :] + np.arange(m1 - n + 1)[:, None]
            second = np.arange(n)[None, :] + np.arange(m2 - n + 1)[:, None]
        else:
            return out, n - 1 if full is None else full
        out.append((np.repeat(first, len(second), axis=0), np.tile(second, (len(first), 1))))
    return out, full
