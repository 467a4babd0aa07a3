"""Figures (matplotlib, the optional ``plot`` extra): ``pip install "patentrace[plot]"``.

Every function takes results of the library (an equilibrium, a simulation, a lag
experiment, or plain arrays) and returns a :class:`matplotlib.figure.Figure` built
without pyplot's global state, with labelled axes, a title and, for maps, a colour
bar; save it with ``fig.savefig(path)``. matplotlib is imported only when a figure
is drawn.

- :func:`effort_figure`, :func:`value_figure`: per-firm maps over the states (SPEC.md §1, §2);
- :func:`leapfrog_figure`: the follower's chance of leapfrogging from every state (SPEC.md §4);
- :func:`dropout_figure`: who idles where, and the preemption region (SPEC.md §4);
- :func:`paths_figure`: simulated histories (:func:`patentrace.simulate`);
- :func:`lag_figure`: the follower's chances against the lag (SPEC.md §2);
- :func:`contested_gap_figure`: the contested gap against the lag (SPEC.md §3);
- ``tug_figure``: a tug-of-war's efforts, values and win probabilities against the position (docs/theory/tug-of-war.md).

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
from patentrace.faces.plot.tug import tug_figure

__all__ = [
    "contested_gap_figure",
    "dropout_figure",
    "effort_figure",
    "idle_categories",
    "lag_figure",
    "leapfrog_figure",
    "paths_figure",
    "tug_figure",
    "value_figure",
]
