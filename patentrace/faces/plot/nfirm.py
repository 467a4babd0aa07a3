"""Figures of a race of more than two firms: slices of the state lattice over a pair of firms.

A race of ``n`` firms has ``n`` state axes; a map shows two of them, the stages completed
by a pair of firms, with every other firm held at a fixed stage (``at``). One map per firm
shows its effort, value or win probability there (docs/theory/race.md (16)-(19)).

Examples
--------
>>> import patentrace as pr
>>> from patentrace.plot import slice_figure
>>> eq = pr.solve(pr.Race(stages=(2, 2, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
>>> fig = slice_figure(eq, "effort", pair=(0, 2), at=(0, 1, 0))
>>> [ax.get_title() for ax in fig.axes[:3]], fig.axes[0].get_xlabel()
(['firm 0', 'firm 1', 'firm 2'], 'stages completed by firm 2')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from patentrace.faces.plot._base import new_figure, state_map
from patentrace.models.nfirm_lattice import check_state
from patentrace.results.nfirm import NFirmEquilibrium

__all__ = ["slice_figure"]

QUANTITIES = {"effort": "effort x", "value": "value V", "win_probability": "probability of winning",
              "hazard": "hazard h"}


def _slice(eq: NFirmEquilibrium, pair: tuple[int, int], at: tuple[int, ...]) -> tuple[Any, ...]:
    """The index of the slice: ``pair``'s axes whole, every other firm's at its entry of ``at``."""
    return tuple(slice(None) if k in pair else at[k] for k in range(eq.model.firms))


def slice_figure(eq: NFirmEquilibrium, quantity: str = "effort", pair: Sequence[int] = (0, 1),
                 at: Sequence[int] | None = None) -> Any:
    """One map per firm of ``quantity`` over the stages of a ``pair`` of firms, the others held at ``at``.

    Parameters
    ----------
    eq : NFirmEquilibrium
        A solved race of more than two firms.
    quantity : {"effort", "value", "win_probability", "hazard"}
        What to map.
    pair : (int, int)
        Two different firms: rows are the stages completed by the first, columns by the second.
    at : sequence of int, optional
        A state (one entry per firm) whose entries fix the other firms; default all 0.
        Its entries for the pair are ignored.

    Returns
    -------
    matplotlib.figure.Figure
        ``n`` maps on one colour scale with one colour bar; states where a firm has finished grey.

    Raises
    ------
    ValueError
        For an unknown ``quantity``, a ``pair`` that is not two different firms, or an ``at``
        that is not a state of the race; the message names the argument.

    Examples
    --------
    >>> import patentrace as pr
    >>> eq = pr.solve(pr.Race(stages=(2, 2, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> slice_figure(eq, pair=(1, 1))
    Traceback (most recent call last):
    ...
    ValueError: pair must be two different firms from 0 to 2, got (1, 1)
    """
    if not isinstance(eq, NFirmEquilibrium):
        raise TypeError(f"eq must be a patentrace.NFirmEquilibrium (a race of more than two firms), got "
                        f"{type(eq).__name__}")
    if quantity not in QUANTITIES:
        raise ValueError(f"quantity must be one of {tuple(QUANTITIES)}, got {quantity!r}")
    firms = eq.model.firms
    chosen = tuple(pair)
    if len(chosen) != 2 or chosen[0] == chosen[1] or not all(isinstance(k, int) and 0 <= k < firms for k in chosen):
        raise ValueError(f"pair must be two different firms from 0 to {firms - 1}, got {tuple(pair)!r}")
    fixed = [0] * firms if at is None else list(at)
    if len(fixed) == firms:
        fixed = [0 if k in chosen else fixed[k] for k in range(firms)]
    point = check_state(tuple(fixed), eq.model.stages)  # names ``state``: the entries of ``at``
    index = _slice(eq, (chosen[0], chosen[1]), point)
    values = np.asarray(getattr(eq, quantity))
    grids = np.indices(eq.model.shape)
    opened = np.all(grids < np.asarray(eq.model.stages).reshape((-1,) + (1,) * firms), axis=0)[index]
    if chosen[0] > chosen[1]:
        opened = opened.T
    maps = [values[(k, *index)].T if chosen[0] > chosen[1] else values[(k, *index)] for k in range(firms)]
    top = max((float(np.max(m[opened])) for m in maps if opened.any()), default=1.0)
    fig = new_figure(3.6 * firms + 1.0, 4.2)
    axes = fig.subplots(1, firms)
    mesh = None
    for firm, ax in enumerate(axes):
        mesh = state_map(ax, np.ma.masked_array(maps[firm], mask=~opened), vmin=0.0, vmax=top if top > 0 else 1.0)
        ax.set_title(f"firm {firm}")
        ax.set_xlabel(f"stages completed by firm {chosen[1]}")
        ax.set_ylabel(f"stages completed by firm {chosen[0]}")
    fig.colorbar(mesh, ax=list(axes), label=QUANTITIES[quantity], shrink=0.9)
    others = ", ".join(f"firm {k} at {point[k]}" for k in range(firms) if k not in chosen)
    fig.suptitle(f"{QUANTITIES[quantity]} — stages {tuple(eq.model.stages)}; {others}")
    return fig
