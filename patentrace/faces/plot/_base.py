"""What every figure shares: a pyplot-free ``Figure`` and maps over the state lattice.

A map draws one number per state ``(i, j)`` as a cell: columns are the stages
firm 1 has completed (``j``), rows those of firm 0 (``i``), ``(0, 0)`` at the
bottom left. Masked cells (finished states, or states where the number has no
meaning) are left grey.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["new_figure", "state_map"]

MISSING = "0.85"  # the grey of masked cells
X_LABEL = "stages completed by firm 1 (j)"
Y_LABEL = "stages completed by firm 0 (i)"


def new_figure(width: float = 7.0, height: float = 4.5) -> Any:
    """A ``matplotlib.figure.Figure`` with constrained layout, outside pyplot's global state."""
    try:
        from matplotlib.figure import Figure
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError('figures need matplotlib: pip install "patentrace[plot]"') from err
    return Figure(figsize=(width, height), layout="constrained")


def state_map(ax: Any, values: np.ma.MaskedArray[Any, Any], *, cmap: Any = "viridis", norm: Any = None,
              vmin: float | None = None, vmax: float | None = None, annotate: bool | None = None,
              fmt: str = "{:.2f}") -> Any:
    """Draw ``values[i, j]`` as cells on ``ax``; return the mesh (for a colour bar).

    ``annotate`` writes each number in its cell (default: when there are at most 64 cells).
    """
    rows, columns = values.shape
    import matplotlib as mpl

    colours = mpl.colormaps[cmap] if isinstance(cmap, str) else cmap
    colours = colours.with_extremes(bad=MISSING)
    mesh = ax.pcolormesh(np.arange(columns + 1) - 0.5, np.arange(rows + 1) - 0.5, values, cmap=colours,
                         norm=norm, vmin=None if norm is not None else vmin, vmax=None if norm is not None else vmax,
                         edgecolors="white", linewidth=0.5)
    ax.set_xticks(np.arange(columns))
    ax.set_yticks(np.arange(rows))
    ax.set_xlabel(X_LABEL)
    ax.set_ylabel(Y_LABEL)
    ax.set_aspect("equal")
    if annotate if annotate is not None else rows * columns <= 64:
        for (i, j), value in np.ndenumerate(values.filled(np.nan)):
            if np.isfinite(value):
                shade = mesh.cmap(mesh.norm(value))
                light = 0.299 * shade[0] + 0.587 * shade[1] + 0.114 * shade[2] > 0.5
                ax.text(j, i, fmt.format(value), ha="center", va="center", fontsize=7,
                        color="black" if light else "white")
    return mesh
