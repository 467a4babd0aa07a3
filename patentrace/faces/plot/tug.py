"""The tug-of-war's figure: efforts, values and win probabilities against the position (docs/theory/tug-of-war.md).

Examples
--------
>>> import patentrace as pr
>>> from patentrace.plot import tug_figure
>>> fig = tug_figure(pr.solve(pr.TugOfWar(length=6, prize=1.0, discount=0.05, cost=pr.costs.Quadratic())))
>>> [ax.get_ylabel() for ax in fig.axes]
['effort x', 'value V', 'win probability']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from patentrace.faces.plot._base import new_figure
from patentrace.results.tug_equilibrium import TugEquilibrium

__all__ = ["tug_figure"]

_LABELS = ("firm 0 (wins at K)", "firm 1 (wins at 0)")


def tug_figure(eq: TugEquilibrium) -> Any:
    """Three panels over the positions ``0 .. K``: each firm's effort, value and chance of winning.

    Parameters
    ----------
    eq : TugEquilibrium
        A solved tug-of-war.

    Returns
    -------
    matplotlib.figure.Figure
        Positions where a value underflowed (``eq.underflow``) are marked with crosses on
        the effort panel.

    Raises
    ------
    TypeError
        If ``eq`` is not a ``TugEquilibrium``.

    Examples
    --------
    >>> import patentrace as pr
    >>> eq = pr.solve(pr.TugOfWar(length=4, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> [line.get_label() for line in tug_figure(eq).axes[0].lines][:2]
    ['firm 0 (wins at K)', 'firm 1 (wins at 0)']
    """
    if not isinstance(eq, TugEquilibrium):
        raise TypeError(f"eq must be a patentrace.TugEquilibrium, got {type(eq).__name__}")
    model = eq.model
    k = np.arange(model.length + 1)
    fig = new_figure(width=10.0, height=3.6)
    axes = fig.subplots(1, 3)
    for ax, data, label in zip(axes, (eq.effort, eq.value, eq.win_probability),
                               ("effort x", "value V", "win probability"), strict=True):
        for firm in (0, 1):
            ax.plot(k, data[firm], marker="o", markersize=3, label=_LABELS[firm])
        ax.set_xlabel("position k")
        ax.set_ylabel(label)
        ax.axvline(model.length / 2, color="0.7", linewidth=0.8, linestyle=":")
    flagged = eq.underflow
    for firm in (0, 1):
        if flagged[firm].any():
            axes[0].scatter(k[flagged[firm]], np.zeros(int(flagged[firm].sum())), marker="x", color="0.4",
                            label=f"underflow, firm {firm}")
    axes[0].legend(fontsize="small")
    fig.suptitle(f"Tug-of-war, K = {model.length}, P = {model.prize:g}, r = {model.discount:g}")
    return fig
