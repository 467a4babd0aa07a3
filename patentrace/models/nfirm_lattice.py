"""The lattice of states of a race with ``n`` firms (docs/theory/race.md (16)-(19)).

A state ``s = (i_0, ..., i_{n-1})`` records the stages each firm has completed. From
``s`` the race moves only to some ``s + e_k``, so the open states with the same total
number of completed stages are independent games: each such hyperplane depends only on
the next one. A state in which some firm has finished is terminal; one in which two or
more have finished cannot be reached. Arrays over states are C-ordered of shape
``(N_0 + 1, ..., N_{n-1} + 1)``; ``flat + stride[k]`` is the flat index of ``s + e_k``.

Examples
--------
>>> lattice = Lattice((1, 2, 1))
>>> lattice.shape, lattice.strides
((2, 3, 2), (6, 2, 1))
>>> [lattice.coordinates(h).T.tolist() for h in lattice.hyperplanes]
[[[0, 1, 0]], [[0, 0, 0]]]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from numbers import Integral

import numpy as np
from numpy.typing import NDArray

__all__ = ["Lattice", "check_state"]

IntArray = NDArray[np.intp]
FloatArray = NDArray[np.float64]


def check_state(state: object, stages: Sequence[int]) -> tuple[int, ...]:
    """``state`` as a tuple of ints, one per firm, or ``ValueError`` naming ``state`` and the valid range.

    Examples
    --------
    >>> check_state((0, 1, 2), (2, 2, 2))
    (0, 1, 2)
    >>> check_state((0, 1), (2, 2, 2))
    Traceback (most recent call last):
    ...
    ValueError: state must have one entry per firm (3: stages completed by firms 0 to 2), got (0, 1)
    """
    firms = len(stages)
    if not isinstance(state, (tuple, list)) or len(state) != firms:
        raise ValueError(f"state must have one entry per firm ({firms}: stages completed by firms 0 to "
                         f"{firms - 1}), got {state!r}")
    if not all(isinstance(v, Integral) and not isinstance(v, bool) for v in state):
        raise ValueError(f"state must hold integers (stages completed), got {state!r}")
    point = tuple(int(v) for v in state)
    if not all(0 <= v <= n for v, n in zip(point, stages, strict=True)):
        raise ValueError(f"state {point} is outside the race: need 0 <= state[k] <= N_k = {tuple(stages)}")
    if sum(v == n for v, n in zip(point, stages, strict=True)) > 1:
        raise ValueError(f"state {point} is unreachable: two firms cannot both finish")
    return point


@dataclass(frozen=True, eq=False)
class Lattice:
    """The states of one race with ``n >= 2`` firms, flat in C order.

    Parameters
    ----------
    stages : tuple of int
        ``N_k`` per firm.
    """

    stages: tuple[int, ...]

    @property
    def firms(self) -> int:
        """``n``."""
        return len(self.stages)

    @property
    def shape(self) -> tuple[int, ...]:
        """``(N_0 + 1, ..., N_{n-1} + 1)``."""
        return tuple(n + 1 for n in self.stages)

    @property
    def size(self) -> int:
        """Number of states."""
        return int(np.prod(self.shape))

    @property
    def strides(self) -> tuple[int, ...]:
        """Flat distance from ``s`` to ``s + e_k``, per firm."""
        out = [1] * self.firms
        for k in range(self.firms - 2, -1, -1):
            out[k] = out[k + 1] * self.shape[k + 1]
        return tuple(out)

    def coordinates(self, flat: IntArray) -> IntArray:
        """The states of flat indices, shape ``(n, len(flat))``."""
        return np.asarray(np.unravel_index(flat, self.shape), dtype=np.intp)

    @cached_property
    def finished(self) -> IntArray:
        """Per state, how many firms have finished (0 at open states)."""
        grids = np.indices(self.shape).reshape(self.firms, -1)
        return np.asarray((grids == np.asarray(self.stages)[:, None]).sum(axis=0), dtype=np.intp)

    @cached_property
    def hyperplanes(self) -> list[IntArray]:
        """Flat indices of the open states, grouped by total stages completed, the largest total first."""
        grids = np.indices(self.shape).reshape(self.firms, -1)
        opened = np.flatnonzero(self.finished == 0)
        totals = grids[:, opened].sum(axis=0)
        return [opened[totals == t] for t in range(int(totals.max()), -1, -1)]

    def terminal(self, prize: float, loser_prize: float) -> tuple[FloatArray, FloatArray]:
        """Values and win probabilities at terminal states, 0 at open states, shapes ``(n, size)``.

        The firm that has finished gets ``prize`` (win probability 1) and every other firm
        ``loser_prize`` (0). At the unreachable states where several firms have finished, those
        firms share: ``(prize + (f - 1) loser_prize) / f`` each, and win probability ``1 / f``
        (with two firms, the corner's ``(P + L) / 2`` and 1/2).
        """
        grids = np.indices(self.shape).reshape(self.firms, -1)
        done = grids == np.asarray(self.stages)[:, None]
        count = np.maximum(self.finished, 1).astype(float)
        ended = self.finished > 0
        share = (prize + (count - 1.0) * loser_prize) / count
        value = np.where(done, share, np.where(ended, loser_prize, 0.0))
        win = np.where(done, 1.0 / count, 0.0)
        return np.asarray(value, dtype=float), np.asarray(win, dtype=float)
