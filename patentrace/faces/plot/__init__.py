"""Figures (matplotlib, the optional ``plot`` extra): ``pip install "patentrace[plot]"``.

Every function takes results of the library (an equilibrium, a simulation, a lag
experiment, or plain arrays) and returns a ``matplotlib.figure.Figure`` built
without pyplot's global state, with labelled axes, a title and, for maps, a colour
bar; save it with ``fig.savefig(path)``. matplotlib is imported only when a figure
is drawn.

- [`effort_figure`][patentrace.faces.plot.effort_figure], [`value_figure`][patentrace.faces.plot.value_figure]: per-firm
  maps over the states (docs/theory/race.md, periods.md);
- [`leapfrog_figure`][patentrace.faces.plot.leapfrog_figure]: the follower's chance of leapfrogging from every state
  (docs/theory/leapfrog.md);
- [`dropout_figure`][patentrace.faces.plot.dropout_figure]: who idles where, and the preemption region
  (docs/theory/leapfrog.md (F4));
- [`paths_figure`][patentrace.faces.plot.paths_figure]: simulated histories
  ([`patentrace.simulate`][patentrace.simulate]);
- [`lag_figure`][patentrace.faces.plot.lag_figure]: the follower's chances against the lag (docs/theory/periods.md);
- [`contested_gap_figure`][patentrace.faces.plot.contested_gap_figure]: the contested gap against the lag
  (docs/theory/deterministic.md).
- ``tug_figure``: a tug-of-war's efforts, values and win probabilities against the position
  (docs/theory/tug-of-war.md).
- [`slice_figure`][patentrace.faces.plot.slice_figure]: a race of more than two firms, every firm's
  effort, value or win probability over the stages of a pair of firms, the others held fixed
  (docs/theory/race.md (16)-(19)).

Examples
--------
>>> import patentrace as pr
>>> from patentrace.plot import leapfrog_figure
>>> eq = pr.solve(pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
>>> leapfrog_figure(eq).axes[0].get_xlabel()
'stages completed by firm 1 (j)'
"""

from patentrace.faces.plot.lines import contested_gap_figure, lag_figure, paths_figure
from patentrace.faces.plot.maps import dropout_figure, effort_figure, idle_categories, leapfrog_figure, value_figure
from patentrace.faces.plot.nfirm import slice_figure
from patentrace.faces.plot.tug import tug_figure

__all__ = [
    "contested_gap_figure",
    "dropout_figure",
    "effort_figure",
    "idle_categories",
    "lag_figure",
    "leapfrog_figure",
    "paths_figure",
    "slice_figure",
    "tug_figure",
    "value_figure",
]
