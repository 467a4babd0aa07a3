"""Reading a race solved on an experience grid at any experience levels (docs/theory/deterministic.md).

Under perfect monitoring the deterministic race with breakthroughs is solved through
its Markov-chain approximation on ``n`` cells
([`DeterministicRace.poisson_race`][patentrace.DeterministicRace.poisson_race]):
a [`Race`][patentrace.Race] whose state ``(i, j)`` stands for experience
``(i / n, j / n)``. This module reads such a solution at experience levels between
cells.

**The contested band.** Within a few cells of the diagonal the chain is a sprint:
one cell of progress changes who leads, and both firms run at speeds that grow like
``n`` (with ``P = a = 1``, ``r = 0.1`` and ``b(w) = 0.02 + 0.4 w^2``, speeds near 20,
40 and 75 at a one-cell lead on 100, 200 and 400 cells, back to about 0.6 by eight
cells). The band is about eight cells wide whatever ``n``, so it shrinks like ``1 / n``
in experience and is absent from the limit, in which the leader keeps any positive
lead. Readings therefore never enter it: a lead shorter than [`BAND`][patentrace.models.experience_grid.BAND] cells is
read at [`BAND`][patentrace.models.experience_grid.BAND] cells (the leader's position kept), an error of the same order
as the grid's own.

Examples
--------
>>> import numpy as np
>>> table = np.add.outer(np.arange(41.0), np.zeros(41))      # a quantity equal to the first cell index
>>> float(read(table, 0.5, 0.2)), float(read(table, 0.2, 0.5)), float(read(table, 0.5, 0.49))
(20.0, 8.0, 20.0)
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

__all__ = ["BAND", "clamped_cells", "read", "speed_table"]

FloatArray = NDArray[np.float64]

BAND = 10
"""Leads shorter than this many cells are read at this many cells (the chain's contested band)."""


def clamped_cells(steps: int, w1: float, w2: float) -> tuple[float, float]:
    """Fractional grid coordinates of ``(w1, w2)`` on ``steps`` cells, the lead widened to ``BAND`` cells.

    The leader (more experience) keeps its position; the follower is moved back so
    that the lead is at least ``BAND`` cells, but not below cell 0. ``w1 == w2`` has
    no leader and is returned unchanged.

    Examples
    --------
    >>> clamped_cells(100, 0.5, 0.45)         # a 5-cell lead is read at 10 cells
    (50.0, 40.0)
    >>> clamped_cells(100, 0.02, 0.3)         # firm 1 leads; firm 0 is already more than 10 cells back
    (2.0, 30.0)
    """
    a, b = w1 * steps, w2 * steps
    if a == b:
        return a, b
    if a > b:
        return a, max(0.0, min(b, a - BAND))
    return max(0.0, min(a, b - BAND)), b


def read(table: FloatArray, w1: float, w2: float) -> float:
    """``table`` (shape ``(n + 1, n + 1)``, indexed by cells) at experience ``(w1, w2)``, bilinear.

    Leads shorter than [`BAND`][patentrace.models.experience_grid.BAND] cells are read at
    [`BAND`][patentrace.models.experience_grid.BAND] cells
    ([`clamped_cells`][patentrace.models.experience_grid.clamped_cells]); the four cells around the point are
    interpolated
    linearly in each direction.

    Examples
    --------
    >>> import numpy as np
    >>> table = np.add.outer(np.arange(21.0), 100 * np.arange(21.0))   # i + 100 j on 20 cells
    >>> float(read(table, 0.875, 0.125))                                 # cells (17.5, 2.5)
    267.5
    """
    n = table.shape[0] - 1
    p, q = clamped_cells(n, w1, w2)
    i, j = min(math.floor(p), n - 1), min(math.floor(q), n - 1)
    s, t = p - i, q - j
    corners = table[i : i + 2, j : j + 2]
    return float((1 - s) * (1 - t) * corners[0, 0] + s * (1 - t) * corners[1, 0]
                 + (1 - s) * t * corners[0, 1] + s * t * corners[1, 1])


def speed_table(effort: FloatArray) -> FloatArray:
    """A firm's chain efforts (speeds) with the finished edge filled in, for reading between cells.

    A chain stores effort 0 at finished states (``i = n`` or ``j = n``), where there
    is nothing left to do; read as a speed at ``w`` just short of 1 that zero would
    slow a firm down to a standstill before the finish line. Row ``n`` and column
    ``n`` are replaced by row and column ``n - 1``: the speed on the last cell holds
    to the line.

    Examples
    --------
    >>> import numpy as np
    >>> effort = np.array([[0.5, 0.4, 0.0], [0.6, 0.7, 0.0], [0.0, 0.0, 0.0]])
    >>> speed_table(effort).tolist()
    [[0.5, 0.4, 0.4], [0.6, 0.7, 0.7], [0.6, 0.7, 0.7]]
    """
    out = np.array(effort, dtype=float)
    out[-1, :] = out[-2, :]
    out[:, -1] = out[:, -2]
    return out
