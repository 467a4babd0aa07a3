"""The state space of a race: the lattice of stages completed (docs/theory/race.md).

A state ``(i, j)`` records the stages completed by firm 0 and firm 1. From a
state the race moves only to ``(i + 1, j)`` or ``(i, j + 1)``, so each
anti-diagonal depends only on the next one: the states of one anti-diagonal are
independent games, the unit of vectorisation. States with ``i = N0`` or
``j = N1`` are terminal; the corner ``(N0, N1)`` is unreachable.

``Layout`` stores the lattices of many races one after another in flat
arrays, and groups the open states of all of them by the stages still to go,
``(N0 - i) + (N1 - j)``: a state depends only on states one stage nearer the
end, so one sweep over that distance solves every race of a batch at once,
whatever their stage counts.

Examples
--------
>>> layout = Layout.of([(3, 2)])
>>> [list(zip(s.i.tolist(), s.j.tolist())) for s in layout.steps][:2]
[[(2, 1)], [(1, 1), (2, 0)]]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from numbers import Integral
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["Layout", "Step", "check_state", "open_states", "remaining"]

IntArray = NDArray[np.intp]


def open_states(stages: tuple[int, int]) -> NDArray[np.bool_]:
    """Mask of shape ``(N0 + 1, N1 + 1)``: True where neither firm has finished."""
    mask = np.zeros((stages[0] + 1, stages[1] + 1), dtype=bool)
    mask[: stages[0], : stages[1]] = True
    return mask


def remaining(stages: tuple[int, int]) -> tuple[IntArray, IntArray]:
    """Stages left for each firm at every state, two arrays of shape ``(N0 + 1, N1 + 1)``."""
    i, j = np.indices((stages[0] + 1, stages[1] + 1))
    return stages[0] - i, stages[1] - j


def check_state(state: object, stages: tuple[int, int]) -> tuple[int, int]:
    """Return ``state`` as a pair of ints, or raise ``ValueError`` naming ``state``.

    Every state ``(i, j)`` with ``0 <= i <= N0`` and ``0 <= j <= N1`` is in the
    race except the unreachable corner ``(N0, N1)``.

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


@dataclass(frozen=True)
class Step:
    """The open states of a batch that are the same number of stages from the end.

    Attributes
    ----------
    here : ndarray of int
        Flat index of each state.
    after_first, after_second : ndarray of int
        Flat index of the state after firm 0 (``i + 1``), resp. firm 1 (``j + 1``), succeeds.
    race, i, j : ndarray of int
        Which race of the batch, and the state ``(i, j)`` in it.
    """

    here: IntArray
    after_first: IntArray
    after_second: IntArray
    race: IntArray
    i: IntArray
    j: IntArray


@dataclass(frozen=True, eq=False)
class Layout:
    """The state lattices of many races, one after another in flat arrays.

    Race ``k`` with stages ``(N0, N1)`` occupies ``(N0 + 1)(N1 + 1)`` consecutive
    entries from ``offset[k]``, row-major in ``(i, j)``; ``unflatten`` gives
    its ``(..., N0 + 1, N1 + 1)`` view back.

    Examples
    --------
    >>> layout = Layout.of([(1, 1), (2, 1)])
    >>> layout.size, layout.offset.tolist()
    (10, [0, 4])
    """

    stages: IntArray
    offset: IntArray
    size: int

    @staticmethod
    def of(stages: Sequence[tuple[int, int]]) -> Layout:
        """The layout of races with the given stage counts, in order."""
        counts = np.asarray(stages, dtype=np.intp).reshape(-1, 2)
        sizes = (counts[:, 0] + 1) * (counts[:, 1] + 1)
        offset = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
        return Layout(stages=counts, offset=offset, size=int(sizes.sum()))

    @cached_property
    def states(self) -> tuple[IntArray, IntArray, IntArray]:
        """Race, ``i`` and ``j`` of every flat entry."""
        sizes = (self.stages[:, 0] + 1) * (self.stages[:, 1] + 1)
        race = np.repeat(np.arange(self.stages.shape[0]), sizes)
        local = np.arange(self.size) - self.offset[race]
        i, j = np.divmod(local, self.stages[race, 1] + 1)
        return race, i, j

    @cached_property
    def steps(self) -> list[Step]:
        """Open states grouped by stages still to go, nearest the end first (backward order)."""
        race, i, j = self.states
        n1, n2 = self.stages[race, 0], self.stages[race, 1]
        opened = np.flatnonzero((i < n1) & (j < n2))
        to_go = (n1 - i + n2 - j)[opened]
        order = opened[np.argsort(to_go, kind="stable")]
        bounds = np.flatnonzero(np.diff(np.sort(to_go))) + 1
        steps = []
        for here in np.split(order, bounds):
            width = n2[here] + 1
            steps.append(Step(here, here + width, here + 1, race[here], i[here], j[here]))
        return steps

    def unflatten(self, flat: NDArray[Any], race: int) -> NDArray[Any]:
        """Race ``race``'s entries of ``flat`` (last axis) as an array ``(..., N0 + 1, N1 + 1)``."""
        n1, n2 = (int(v) for v in self.stages[race])
        start = int(self.offset[race])
        return flat[..., start : start + (n1 + 1) * (n2 + 1)].reshape((*flat.shape[:-1], n1 + 1, n2 + 1))
