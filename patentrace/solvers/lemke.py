"""One equilibrium of a bimatrix game by Lemke–Howson, with lexicographic pivoting.

Support enumeration ([`patentrace.solvers.stagegame`][patentrace.solvers.stagegame]) finds every equilibrium
but its cost grows like ``4^m`` in the number of actions ``m``. The period games of
the deterministic race on a fine grid have dozens of speeds and equilibria that
mix many of them, so there one equilibrium is found by complementary pivoting
instead: a path of at most a few times ``m`` pivots.

With ``A`` and ``B`` shifted to be positive, firm 0's best-response polytope is
``{x >= 0 : B' x <= 1}`` and firm 1's ``{y >= 0 : A y <= 1}``. A label is an action:
firm 0's action ``i`` is "carried" where ``x_i = 0`` or ``(A y)_i = 1``, firm 1's
action ``j`` where ``y_j = 0`` or ``(B' x)_j = 1``. Starting from the artificial
point ``(0, 0)``, which carries every label, the method drops one label and pivots
in the two tableaux alternately, each leaving variable's label entering the other,
until the dropped label is picked up again: the pair, normalised, is an
equilibrium. Ties in the ratio test are broken lexicographically (by the rows of
the current basis inverse), so degenerate games do not cycle. nashpy's
``Game.lemke_howson`` implements the same path; this one works on floats in numpy,
which is fast enough to call at every state of a large grid, and is tested
in ``tests/test_deterministic.py`` against an exact enumeration, in rationals, of
every extreme equilibrium (``tests/oracle_bimatrix.py``).

A symmetric game ``(A, A')`` has a symmetric equilibrium, and the same path in the
one polytope ``{x >= 0 : A x <= 1}`` (labels shared by ``x_i`` and its slack) finds
one: [`symmetric_lemke_howson`][patentrace.solvers.lemke.symmetric_lemke_howson].

Examples
--------
>>> import numpy as np
>>> a = np.array([[3.0, 0.0], [0.0, 1.0]])      # a coordination game
>>> x, y = lemke_howson(a, a, dropped=0)
>>> x.tolist(), y.tolist()
([1.0, 0.0], [1.0, 0.0])
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["lemke_howson", "symmetric_lemke_howson"]

FloatArray = NDArray[np.float64]

_PIVOT = 1e-12  # smallest pivot element taken as positive


def lemke_howson(
    first: FloatArray, second: FloatArray, dropped: int = 0, max_pivots: int = 10_000
) -> tuple[FloatArray, FloatArray] | None:
    """An equilibrium ``(x, y)`` of the bimatrix game ``(first, second)``, or None if the path fails.

    Parameters
    ----------
    first, second : ndarray, shape (m, n)
        Firm 0's and firm 1's payoffs, rows firm 0's actions.
    dropped : int
        The label dropped at the start: ``0 .. m - 1`` a row, ``m .. m + n - 1`` a column.
        Different labels can end at different equilibria.
    max_pivots : int
        Give up (return None) after this many pivots.

    Returns
    -------
    (ndarray (m,), ndarray (n,)) or None
        Mixed actions summing to one. The caller checks them (pivoting is in floating
        point): [`lemke_howson`][patentrace.solvers.lemke.lemke_howson] does not certify its answer.

    Examples
    --------
    Matching pennies has one equilibrium, both mixing half and half:

    >>> import numpy as np
    >>> pennies = np.array([[1.0, -1.0], [-1.0, 1.0]])
    >>> [p.round(12).tolist() for p in lemke_howson(pennies, -pennies, dropped=2)]
    [[0.5, 0.5], [0.5, 0.5]]
    """
    m, n = first.shape
    if not 0 <= dropped < m + n:
        raise ValueError(f"dropped must be a label in 0 .. {m + n - 1}, got {dropped}")
    a = first - float(np.min(first)) + 1.0
    b = second - float(np.min(second)) + 1.0
    # columns are labels: tableau 0 holds x (labels 0..m-1) and the slacks of B'x <= 1 (m..m+n-1);
    # tableau 1 holds the slacks of A y <= 1 (0..m-1) and y (m..m+n-1); the last column is the right side
    tableaux = [np.hstack([b.T, np.eye(n), np.ones((n, 1))]), np.hstack([np.eye(m), a, np.ones((m, 1))])]
    bases = [np.arange(m, m + n), np.arange(m)]
    identity = [np.arange(m, m + n), np.arange(m)]  # where each tableau started as the identity
    entering, side = dropped, (0 if dropped < m else 1)
    for _ in range(max_pivots):
        table = tableaux[side]
        row = _pivot_row(table, entering, identity[side])
        if row is None:
            return None
        table[row] /= table[row, entering]
        others = np.arange(table.shape[0]) != row
        table[others] -= np.outer(table[others, entering], table[row])
        leaving = int(bases[side][row])
        bases[side][row] = entering
        if leaving == dropped:
            break
        entering, side = leaving, 1 - side
    else:
        return None
    x, y = np.zeros(m), np.zeros(n)
    rows_x = np.flatnonzero(bases[0] < m)
    x[bases[0][rows_x]] = tableaux[0][rows_x, -1]
    rows_y = np.flatnonzero(bases[1] >= m)
    y[bases[1][rows_y] - m] = tableaux[1][rows_y, -1]
    x, y = np.maximum(x, 0.0), np.maximum(y, 0.0)
    if x.sum() <= 0.0 or y.sum() <= 0.0:
        return None
    return x / x.sum(), y / y.sum()


def _pivot_row(table: FloatArray, entering: int, identity: NDArray[np.intp]) -> int | None:
    """The lexicographic minimum-ratio row for ``entering``, or None if the column has no positive entry."""
    column = table[:, entering]
    rows = np.flatnonzero(column > _PIVOT)
    if rows.size == 0:
        return None
    keys = np.column_stack([table[rows, -1], table[rows][:, identity]]) / column[rows, None]
    return int(rows[np.lexsort(keys.T[::-1])[0]])


def symmetric_lemke_howson(payoff: FloatArray, dropped: int = 0, max_pivots: int = 10_000) -> FloatArray | None:
    """A symmetric equilibrium ``x`` of the symmetric game ``(payoff, payoff')``, or None if the path fails.

    Parameters
    ----------
    payoff : ndarray, shape (m, m)
        The row player's payoffs; the column player's are the transpose.
    dropped : int
        The label (an action) dropped at the start.
    max_pivots : int
        Give up after this many pivots.

    Returns
    -------
    ndarray (m,) or None
        The mixed action both play (unchecked, as for [`lemke_howson`][patentrace.solvers.lemke.lemke_howson]).

    Examples
    --------
    >>> import numpy as np
    >>> chicken = np.array([[0.0, 3.0], [1.0, 2.0]])  # the symmetric equilibrium mixes half and half
    >>> symmetric_lemke_howson(chicken).round(12).tolist()
    [0.5, 0.5]
    """
    m = payoff.shape[0]
    if payoff.shape != (m, m):
        raise ValueError(f"payoff must be square for a symmetric game, got shape {payoff.shape}")
    if not 0 <= dropped < m:
        raise ValueError(f"dropped must be an action in 0 .. {m - 1}, got {dropped}")
    a = payoff - float(np.min(payoff)) + 1.0
    # columns: x (0..m-1), the slacks of A x <= 1 (m..2m-1), the right side; x_i and slack i share label i
    table = np.hstack([a, np.eye(m), np.ones((m, 1))])
    basis = np.arange(m, 2 * m)
    identity = np.arange(m, 2 * m)
    entering = dropped
    for _ in range(max_pivots):
        row = _pivot_row(table, entering, identity)
        if row is None:
            return None
        table[row] /= table[row, entering]
        others = np.arange(m) != row
        table[others] -= np.outer(table[others, entering], table[row])
        leaving = int(basis[row])
        basis[row] = entering
        if leaving % m == dropped:
            break
        entering = leaving + m if leaving < m else leaving - m
    else:
        return None
    x = np.zeros(m)
    rows = np.flatnonzero(basis < m)
    x[basis[rows]] = np.maximum(table[rows, -1], 0.0)
    return x / x.sum() if x.sum() > 0.0 else None
