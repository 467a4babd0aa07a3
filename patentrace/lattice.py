"""The state space of a race: the lattice of stages completed (SPEC.md §1).

A state ``(i, j)`` records the stages completed by firm 1 and firm 2. From a
state the race moves only to ``(i + 1, j)`` or ``(i, j + 1)``, so each
anti-diagonal ``i + j = d`` depends only on the next one: the states of one
anti-diagonal are independent games, the unit of vectorisation. States with
``i = N1`` or ``j = N2`` are terminal; the corner ``(N1, N2)`` is unreachable.

Examples
--------
>>> i, j = anti_diagonal(2, (3, 2))
>>> list(zip(i.tolist(), j.tolist()))
[(1, 1), (2, 0)]
"""

from __future__ import annotations

from collections.abc import Iterator
from numbers import Integral

import numpy as np
from numpy.typing import NDArray

__all__ = ["anti_diagonal", "anti_diagonals", "check_state", "open_states", "remaining"]

IntArray = NDArray[np.intp]


def anti_diagonal(d: int, stages: tuple[int, int]) -> tuple[IntArray, IntArray]:
    """Open (non-terminal) states with ``i + j = d``, as index arrays ``(i, j)``."""
    n1, n2 = stages
    i = np.arange(max(0, d - (n2 - 1)), min(d, n1 - 1) + 1)
    return i, d - i


def anti_diagonals(stages: tuple[int, int]) -> Iterator[tuple[IntArray, IntArray]]:
    """Open anti-diagonals from the last (closest to the end) to ``(0, 0)``: backward order."""
    for d in range(stages[0] + stages[1] - 2, -1, -1):
        yield anti_diagonal(d, stages)


def open_states(stages: tuple[int, int]) -> NDArray[np.bool_]:
    """Mask of shape ``(N1 + 1, N2 + 1)``: True where neither firm has finished."""
    mask = np.zeros((stages[0] + 1, stages[1] + 1), dtype=bool)
    mask[: stages[0], : stages[1]] = True
    return mask


def remaining(stages: tuple[int, int]) -> tuple[IntArray, IntArray]:
    """Stages left for each firm at every state, two arrays of shape ``(N1 + 1, N2 + 1)``."""
    i, j = np.indices((stages[0] + 1, stages[1] + 1))
    return stages[0] - i, stages[1] - j


def check_state(state: object, stages: tuple[int, int]) -> tuple[int, int]:
    """Return ``state`` as a pair of ints, or raise ``ValueError`` naming ``state``.

    Every state ``(i, j)`` with ``0 <= i <= N1`` and ``0 <= j <= N2`` is in the
    race except the unreachable corner ``(N1, N2)``.

    Examples
    --------
    >>> check_state((0, 1), (2, 2))
    (0, 1)
    >>> check_state((3, 0), (2, 2))
    Traceback (most recent call last):
    ...
    ValueError: state (3, 0) is outside the race: need 0 <= i <= 2 and 0 <= j <= 2
    """
    if not isinstance(state, (tuple, list)) or len(state) != 2:
        raise ValueError(f"state must be a pair (i, j) of stages completed, got {state!r}")
    if not all(isinstance(v, Integral) and not isinstance(v, bool) for v in state):
        raise ValueError(f"state must hold integers (stages completed), got {state!r}")
    i, j = int(state[0]), int(state[1])
    n1, n2 = stages
    if not (0 <= i <= n1 and 0 <= j <= n2):
        raise ValueError(f"state {(i, j)} is outside the race: need 0 <= i <= {n1} and 0 <= j <= {n2}")
    if (i, j) == (n1, n2):
        raise ValueError(f"state {(i, j)} is unreachable: both firms cannot finish")
    return i, j
