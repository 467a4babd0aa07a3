"""The jump chain of a race under given hazards: who wins, what is hit, how long it takes.

With hazards ``h_1, h_2`` at an open state the next event is firm 1's success
with probability ``h_1 / (h_1 + h_2)``. So the probability of reaching a set of
states before the race ends obeys (SPEC.md §4)

    U(i, j) = [h_1 U(i+1, j) + h_2 U(i, j+1)] / (h_1 + h_2),

and the expected time to the end obeys ``E = [1 + h_1 E(i+1, j) + h_2 E(i, j+1)] / (h_1 + h_2)``.
Both are solved backwards over anti-diagonals. A state where both hazards are
zero is a stall: the race never moves again, so it reaches nothing and its
expected duration is infinite.

Examples
--------
>>> import numpy as np
>>> hazard = np.zeros((2, 2, 2)); hazard[:, 0, 0] = (1.0, 3.0)
>>> target = np.zeros((2, 2), dtype=bool); target[1, 0] = True   # firm 1 wins
>>> float(hitting_probability(hazard, target)[0, 0])
0.25
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from patentrace.lattice import anti_diagonals

__all__ = ["expected_duration", "hitting_probability", "reachable", "win_probability"]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def _stages(hazard: FloatArray) -> tuple[int, int]:
    return hazard.shape[1] - 1, hazard.shape[2] - 1


def hitting_probability(hazard: FloatArray, target: BoolArray) -> FloatArray:
    """Probability of ever reaching ``target`` from each state.

    Parameters
    ----------
    hazard : ndarray, shape (2, N1 + 1, N2 + 1)
        Both firms' hazards at every state (zero at terminal states).
    target : ndarray of bool, shape (N1 + 1, N2 + 1)
        The states to reach; terminal states outside it count as missing it.

    Returns
    -------
    ndarray, shape (N1 + 1, N2 + 1)
        1 on ``target``, 0 on other terminal states and stalls.
    """
    reach = target.astype(float)
    for i, j in anti_diagonals(_stages(hazard)):
        h1, h2 = hazard[0, i, j], hazard[1, i, j]
        total = h1 + h2
        moving = h1 * reach[i + 1, j] + h2 * reach[i, j + 1]
        average = np.divide(moving, total, out=np.zeros_like(total), where=total > 0.0)
        reach[i, j] = np.where(target[i, j], 1.0, average)
    return reach


def reachable(hazard: FloatArray, target: BoolArray) -> BoolArray:
    """Whether ``target`` can be reached at all: some path has positive hazards at every step.

    The exact counterpart of ``hitting_probability(...) > 0``, which a product of
    small probabilities can underflow to 0.

    Examples
    --------
    >>> import numpy as np
    >>> hazard = np.zeros((2, 2, 2)); hazard[:, 0, 0] = (1e-300, 1.0)
    >>> target = np.zeros((2, 2), dtype=bool); target[1, 0] = True
    >>> bool(reachable(hazard, target)[0, 0])
    True
    """
    reach = target.copy()
    for i, j in anti_diagonals(_stages(hazard)):
        onward = ((hazard[0, i, j] > 0.0) & reach[i + 1, j]) | ((hazard[1, i, j] > 0.0) & reach[i, j + 1])
        reach[i, j] = target[i, j] | onward
    return reach


def win_probability(hazard: FloatArray) -> FloatArray:
    """Each firm's probability of winning, shape ``(2, N1 + 1, N2 + 1)``.

    Terminal states hold 1 for the winner and 0 for the loser; the unreachable
    corner ``(N1, N2)`` holds 1/2 each, as if both finished together and split.
    """
    n1, n2 = _stages(hazard)
    first = np.zeros((n1 + 1, n2 + 1), dtype=bool)
    first[n1, :n2] = True
    second = np.zeros_like(first)
    second[:n1, n2] = True
    win = np.stack([hitting_probability(hazard, first), hitting_probability(hazard, second)])
    win[:, n1, n2] = 0.5
    return win


def expected_duration(hazard: FloatArray) -> FloatArray:
    """Expected time until a firm wins, shape ``(N1 + 1, N2 + 1)``; ``inf`` where the race may stall."""
    duration = np.zeros(hazard.shape[1:])
    for i, j in anti_diagonals(_stages(hazard)):
        h1, h2 = hazard[0, i, j], hazard[1, i, j]
        total = h1 + h2
        # 0 * inf is 0 here: a move that never happens adds nothing.
        with np.errstate(invalid="ignore"):
            after = np.where(h1 > 0.0, h1 * duration[i + 1, j], 0.0) + np.where(h2 > 0.0, h2 * duration[i, j + 1], 0.0)
        with np.errstate(over="ignore"):  # hazards near the bottom of the float range: durations beyond it
            duration[i, j] = np.where(total > 0.0, (1.0 + after) / np.where(total > 0.0, total, 1.0), np.inf)
    return duration
