"""Maps of an equilibrium over the state lattice: efforts, values, leapfrog chances, dropout.

Examples
--------
>>> import patentrace as pr
>>> from patentrace.plot import effort_figure
>>> eq = pr.solve(pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
>>> fig = effort_figure(eq)
>>> fig.axes[0].get_title(), fig.axes[0].get_xlabel()
('firm 0', 'stages completed by firm 1 (j)')
"""

from __future__ import annotations

from typing import Any

import numpy as np

from patentrace.faces.plot._base import new_figure, state_map
from patentrace.models.lattice import open_states
from patentrace.reports.leapfrog import leapfrog, leapfrog_map, preemption_region
from patentrace.results.equilibrium import Equilibrium, LaggedEquilibrium

__all__ = ["dropout_figure", "effort_figure", "idle_categories", "leapfrog_figure", "value_figure"]

AnyEquilibrium = Equilibrium | LaggedEquilibrium


def _check(eq: object) -> AnyEquilibrium:
    if not isinstance(eq, (Equilibrium, LaggedEquilibrium)):
        raise TypeError(f"eq must be a patentrace.Equilibrium or LaggedEquilibrium, got {type(eq).__name__}")
    return eq


def _describe(eq: AnyEquilibrium) -> str:
    n1, n2 = eq.model.stages
    lag = f", lag {eq.model.lag:g}" if isinstance(eq, LaggedEquilibrium) else ""
    return f"stages ({n1}, {n2}), prize {eq.model.prize:g}, discount {eq.model.discount:g}{lag}"


def _pair_of_maps(eq: AnyEquilibrium, values: np.ndarray[Any, Any], label: str, title: str) -> Any:
    """Two maps side by side, one per firm, on one colour scale with one colour bar."""
    shown = open_states(eq.model.stages)
    fig = new_figure(10.0, 4.6)
    axes = fig.subplots(1, 2)
    top = float(np.max(values[:, shown])) if shown.any() else 1.0
    mesh = None
    for firm, ax in enumerate(axes):
        mesh = state_map(ax, np.ma.masked_array(values[firm], mask=~shown), vmin=0.0, vmax=top if top > 0 else 1.0)
        ax.set_title(f"firm {firm}")
    fig.colorbar(mesh, ax=list(axes), label=label, shrink=0.9)
    fig.suptitle(f"{title} — {_describe(eq)}")
    return fig


def effort_figure(eq: AnyEquilibrium) -> Any:
    """Each firm's equilibrium effort at every open state (docs/theory/race.md).

    For a [`LaggedEquilibrium`][patentrace.LaggedEquilibrium] the map shows each firm's probability
    of advancing at least one stage in a period (docs/theory/periods.md), its counterpart of effort.

    Parameters
    ----------
    eq : Equilibrium or LaggedEquilibrium
        Its efforts (for a lagged race, chances of advancing) are mapped.

    Returns
    -------
    matplotlib.figure.Figure
        Two maps (firm 0, firm 1) with a shared colour bar; finished states grey.

    Examples
    --------
    >>> import patentrace as pr
    >>> from patentrace.plot import effort_figure
    >>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> fig = effort_figure(eq)
    >>> [ax.get_title() for ax in fig.axes[:2]], fig.axes[2].get_ylabel()
    (['firm 0', 'firm 1'], 'effort x')
    """
    eq = _check(eq)
    if isinstance(eq, LaggedEquilibrium):
        return _pair_of_maps(eq, eq.advance_probability(), "probability of advancing in a period",
                             "Equilibrium: chance of progress per period")
    return _pair_of_maps(eq, np.asarray(eq.effort), "effort x", "Equilibrium effort")


def value_figure(eq: AnyEquilibrium) -> Any:
    """Each firm's equilibrium value (expected discounted payoff) at every open state (docs/theory/race.md, periods.md).

    Parameters
    ----------
    eq : Equilibrium or LaggedEquilibrium
        Its values are mapped.

    Returns
    -------
    matplotlib.figure.Figure
        The maps of [`effort_figure`][patentrace.faces.plot.effort_figure], of values; the colour bar names the prize.

    Examples
    --------
    >>> import patentrace as pr
    >>> from patentrace.plot import value_figure
    >>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> value_figure(eq).axes[-1].get_ylabel()
    'value (prize = 1)'
    """
    eq = _check(eq)
    return _pair_of_maps(eq, np.asarray(eq.value), f"value (prize = {eq.model.prize:g})", "Equilibrium value")


def leapfrog_figure(eq: AnyEquilibrium, quantity: str = "leapfrog_probability") -> Any:
    """The follower's probability of leapfrogging from every state (docs/theory/leapfrog.md).

    Parameters
    ----------
    eq : Equilibrium or LaggedEquilibrium
        Its follower's chances are mapped.
    quantity : {"leapfrog_probability", "catch_up_probability", "follower_win_probability"}
        The chance mapped (see ``patentrace.reports.leapfrog.leapfrog_map``).

    Returns
    -------
    matplotlib.figure.Figure
        One map on the scale 0..1; level and finished states grey.

    Examples
    --------
    >>> import patentrace as pr
    >>> from patentrace.plot import leapfrog_figure
    >>> eq = pr.solve(pr.Race(stages=3, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> leapfrog_figure(eq).axes[1].get_ylabel()
    'follower leapfrogs'
    """
    eq = _check(eq)
    chances = leapfrog_map(eq, quantity)
    fig = new_figure(6.4, 5.2)
    ax = fig.add_subplot()
    mesh = state_map(ax, chances, cmap="magma", vmin=0.0, vmax=1.0)
    what = {"leapfrog_probability": "follower leapfrogs", "catch_up_probability": "follower catches up",
            "follower_win_probability": "follower wins"}[quantity]
    fig.colorbar(mesh, ax=ax, label=what)
    ax.set_title(f"Probability that the firm behind {what.split(' ', 1)[1]} (grey: level or finished)\n"
                 f"{_describe(eq)}", fontsize=10)
    return fig


_IDLE_LABELS = ("both invest", "firm 0 idles", "firm 1 idles", "both idle (stall)")


def idle_categories(eq: AnyEquilibrium) -> np.ma.MaskedArray[Any, Any]:
    """Who idles at each open state: 0 both invest, 1 firm 0 idles, 2 firm 1 idles, 3 both idle.

    A firm idles where its effort is zero (not merely below the float range,
    ``Equilibrium.underflow``), or in a lagged race where it cannot advance in the
    period. Finished states are masked.

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.Race(stages=4, prize=1.0, discount=0.05, cost=pr.costs.Quadratic(linear=0.05))
    >>> int(idle_categories(pr.solve(race))[0, 2])   # firm 0, two stages further behind, drops out
    1
    """
    eq = _check(eq)
    if isinstance(eq, LaggedEquilibrium):
        idle = eq.advance_probability() == 0.0
    else:
        idle = (np.asarray(eq.effort) == 0.0) & ~np.asarray(eq.underflow)
    category = idle[0].astype(int) + 2 * idle[1].astype(int)
    return np.ma.masked_array(category, mask=~open_states(eq.model.stages))


def dropout_figure(eq: AnyEquilibrium) -> Any:
    """The dropout region: where each firm idles, and the preemption region of docs/theory/leapfrog.md (F4).

    Cells are coloured by who idles; cells of the preemption region (the firm with more
    stages left idles) are hatched. The title says whether ε-preemption holds.

    Parameters
    ----------
    eq : Equilibrium or LaggedEquilibrium
        Where its firms idle is mapped.

    Returns
    -------
    matplotlib.figure.Figure
        One map of who idles, with the preemption region hatched and a labelled colour bar.

    Examples
    --------
    >>> import patentrace as pr
    >>> from patentrace.plot import dropout_figure
    >>> race = pr.Race(stages=4, prize=1.0, discount=0.05, cost=pr.costs.Quadratic(linear=0.05))
    >>> [t.get_text() for t in dropout_figure(pr.solve(race)).axes[1].get_yticklabels()]
    ['both invest', 'firm 0 idles', 'firm 1 idles', 'both idle (stall)']
    """
    from matplotlib.colors import BoundaryNorm, ListedColormap

    eq = _check(eq)
    category = idle_categories(eq)
    colours = ListedColormap(["#d9ead3", "#3c78d8", "#e69138", "#444444"])
    norm = BoundaryNorm(np.arange(5) - 0.5, colours.N)
    fig = new_figure(7.2, 5.2)
    ax = fig.add_subplot()
    mesh = state_map(ax, category, cmap=colours, norm=norm, annotate=False)
    region = preemption_region(eq)
    rows, columns = np.nonzero(region)
    for i, j in zip(rows.tolist(), columns.tolist(), strict=True):
        ax.add_patch(_hatched(i, j))
    bar = fig.colorbar(mesh, ax=ax, ticks=np.arange(4), label="who idles")
    bar.ax.set_yticklabels(_IDLE_LABELS)
    holds = leapfrog(eq, (0, 0)).epsilon_preemption  # the same at every state
    ax.set_title(f"Dropout region (hatched: the firm behind idles); ε-preemption "
                 f"{'holds' if holds else 'does not hold'}\n{_describe(eq)}", fontsize=10)
    return fig


def _hatched(i: int, j: int) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((j - 0.5, i - 0.5), 1.0, 1.0, fill=False, hatch="///", edgecolor="white", linewidth=0.0)
