"""Figures (the optional ``plot`` extra), under their public name ``patentrace.plot``.

The code lives in :mod:`patentrace.faces.plot`, which documents every figure.

Examples
--------
>>> from patentrace.plot import leapfrog_figure
>>> leapfrog_figure.__module__
'patentrace.faces.plot.maps'
"""

from patentrace.faces.plot import (
    contested_gap_figure,
    dropout_figure,
    effort_figure,
    idle_categories,
    lag_figure,
    leapfrog_figure,
    paths_figure,
    value_figure,
)

__all__ = [
    "contested_gap_figure",
    "dropout_figure",
    "effort_figure",
    "idle_categories",
    "lag_figure",
    "leapfrog_figure",
    "paths_figure",
    "value_figure",
]
