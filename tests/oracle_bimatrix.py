"""A complete oracle for small bimatrix games: every extreme Nash equilibrium, exactly, in rationals.

The game ``(A, B)`` (row player's and column player's payoffs, both ``m x n``) is read
exactly: each float becomes the ``Fraction`` it denotes, so no tolerance enters the
enumeration. With both matrices shifted to be positive, the best-response polytopes are

    P = {x in R^m : x >= 0, B^T x <= 1}     labels: i where x_i = 0, m + j where (B^T x)_j = 1
    Q = {y in R^n : A y <= 1, y >= 0}       labels: i where (A y)_i = 1, m + j where y_j = 0

and a pair of nonzero vertices ``(x, y)`` whose labels together cover ``0 .. m+n-1`` is,
normalised, an extreme Nash equilibrium. Every vertex is found by trying every choice of
tight constraints (each square subsystem solved exactly), so degenerate polytopes, whose
vertices have more tight constraints than dimensions, lose nothing. The result is the set of
all extreme equilibria of any game, degenerate or not; in a nondegenerate game these are all
its equilibria, and in a degenerate one every equilibrium is a convex combination of
extreme ones within a component (Avis, Rosenberg, Savani and von Stengel 2010).

Pure Python, exponential in the size: meant for games of up to about 7 x 7 in the tests.
It shares no code with ``patentrace`` (nor with nashpy, whose ``support_enumeration``
misses equilibria of some generic games and whose ``vertex_enumeration`` works in floats).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

Vector = tuple[Fraction, ...]
Matrix = list[list[Fraction]]


def exact(matrix: np.ndarray | Sequence[Sequence[float]]) -> Matrix:
    """The matrix as rationals, each entry exactly the float (or int) it was."""
    return [[v if isinstance(v, Fraction) else Fraction(v) for v in row] for row in np.asarray(matrix, dtype=object)]


def _integer(matrix: Matrix) -> list[list[int]]:
    """A positive multiple of the matrix shifted to entries >= 1, in integers (same equilibria)."""
    shift = 1 - min(min(row) for row in matrix)
    shifted = [[v + shift for v in row] for row in matrix]
    scale = math.lcm(*(v.denominator for row in shifted for v in row))
    return [[int(v * scale) for v in row] for row in shifted]


def _solve(rows: list[list[int]]) -> tuple[list[int], int] | None:
    """``(n, d)`` with ``rows @ (n / d) = 1`` and ``d > 0``, or None when singular.

    Fraction-free Gauss-Jordan elimination (Bareiss): every division is exact, and at the end
    each diagonal entry is the determinant ``d`` and the right-hand side is ``d`` times the solution.
    """
    k = len(rows)
    aug = [[*r, 1] for r in rows]
    previous = 1
    for col in range(k):
        pivot = next((r for r in range(col, k) if aug[r][col] != 0), None)
        if pivot is None:
            return None
        aug[col], aug[pivot] = aug[pivot], aug[col]
        lead = aug[col][col]
        for r in range(k):
            if r != col:
                factor = aug[r][col]
                aug[r] = [(lead * a - factor * b) // previous for a, b in zip(aug[r], aug[col], strict=True)]
        previous = lead
    det = aug[k - 1][k - 1]
    sign = 1 if det > 0 else -1
    return [sign * aug[r][k] for r in range(k)], sign * det


def _vertices(payoff: list[list[int]], own: int, other: int) -> dict[Vector, frozenset[int]]:
    """Nonzero vertices of {z in R^own : z >= 0, payoff^T z <= 1} and their labels.

    ``payoff`` is ``own x other``, in positive integers. Labels: ``i`` where ``z_i = 0`` and
    ``own + j`` where ``(payoff^T z)_j = 1``. Every choice of ``k`` nonzero coordinates and ``k``
    tight rows is solved exactly and kept when feasible.
    """
    found: dict[Vector, frozenset[int]] = {}
    for k in range(1, min(own, other) + 1):
        for support in itertools.combinations(range(own), k):
            for tight in itertools.combinations(range(other), k):
                solved = _solve([[payoff[i][j] for i in support] for j in tight])
                if solved is None or any(v < 0 for v in solved[0]):
                    continue
                numerator, det = solved
                z = [0] * own
                for i, v in zip(support, numerator, strict=True):
                    z[i] = v
                sums = [sum(z[i] * payoff[i][j] for i in support) for j in range(other)]
                if any(total > det for total in sums):
                    continue
                labels = {i for i in range(own) if z[i] == 0} | {own + j for j in range(other) if sums[j] == det}
                found[tuple(Fraction(v, det) for v in z)] = frozenset(labels)
    return found


def _polytopes(first: np.ndarray | Matrix, second: np.ndarray | Matrix) -> tuple[
        dict[Vector, frozenset[int]], dict[Vector, frozenset[int]], int, int]:
    """The vertices of P and of Q with their labels in the game's numbering, and ``(m, n)``."""
    a, b = exact(first), exact(second)
    m, n = len(a), len(a[0])
    if len(b) != m or any(len(row) != n for row in (*a, *b)):
        raise ValueError(f"payoffs must both be m x n, got {len(a)} x {n} and {len(b)} x {len(b[0])}")
    a_int, b_int = _integer(a), _integer(b)
    rows = _vertices(b_int, m, n)
    # Q is P's construction on A^T, whose labels j < n are the game's m + j and n + i are the game's i
    cols = {y: frozenset((label - n) if label >= n else (m + label) for label in labels)
            for y, labels in _vertices([list(col) for col in zip(*a_int, strict=True)], n, m).items()}
    return rows, cols, m, n


def extreme_equilibria(first: np.ndarray | Matrix, second: np.ndarray | Matrix) -> list[tuple[Vector, Vector]]:
    """Every extreme Nash equilibrium of the bimatrix game, as exact mixed strategies.

    Parameters
    ----------
    first, second
        The row player's and the column player's payoffs, ``m x n`` each (floats are read exactly).

    Returns
    -------
    list of (x, y)
        The row and column mixed strategies (tuples of ``Fraction`` summing to 1), without repeats.
    """
    rows, cols, m, n = _polytopes(first, second)
    everything = frozenset(range(m + n))
    found = []
    for x, x_labels in rows.items():
        for y, y_labels in cols.items():
            if x_labels | y_labels == everything:
                sx, sy = sum(x), sum(y)
                found.append((tuple(v / sx for v in x), tuple(v / sy for v in y)))
    return found


def degenerate(first: np.ndarray | Matrix, second: np.ndarray | Matrix) -> bool:
    """Whether the game is degenerate: some vertex of P or Q has more tight constraints than dimensions.

    Equivalently, some mixed strategy has more pure best responses against it than the size of its support.
    """
    rows, cols, m, n = _polytopes(first, second)
    return any(len(labels) > m for labels in rows.values()) or any(len(labels) > n for labels in cols.values())


def is_equilibrium(first: np.ndarray, second: np.ndarray, x: np.ndarray, y: np.ndarray, atol: float = 1e-9) -> bool:
    """Whether ``(x, y)`` is a Nash equilibrium to ``atol``: mixed strategies, no pure deviation gains more.

    The definition itself, so complete for any game: in a degenerate game it accepts every point of a
    component of equilibria, not only the extreme ones.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    a, b = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    for p in (x, y):
        if np.any(p < -atol) or abs(p.sum() - 1.0) > atol:
            return False
    scale = 1.0 + max(np.abs(a).max(), np.abs(b).max())
    return bool(np.all(a @ y <= x @ a @ y + atol * scale) and np.all(x @ b <= x @ b @ y + atol * scale))


def is_extreme_equilibrium(first: np.ndarray, second: np.ndarray, x: np.ndarray, y: np.ndarray,
                           atol: float = 1e-9) -> bool:
    """Whether ``(x, y)`` is, to ``atol``, one of the game's extreme equilibria."""
    return any(
        np.allclose(x, np.array(a, dtype=float), rtol=0, atol=atol)
        and np.allclose(y, np.array(b, dtype=float), rtol=0, atol=atol)
        for a, b in extreme_equilibria(first, second)
    )


def is_enumerated_equilibrium(first: np.ndarray, second: np.ndarray, x: np.ndarray, y: np.ndarray,
                              atol: float = 1e-9) -> bool:
    """Whether ``(x, y)`` is what a complete enumeration may return, to ``atol``.

    In a nondegenerate game: one of the extreme equilibria. In a degenerate game an equilibrium may lie
    inside a component, so the definition itself is checked instead.
    """
    if degenerate(first, second):
        return is_equilibrium(first, second, x, y, atol=atol)
    return is_extreme_equilibrium(first, second, x, y, atol=atol)
