"""Figures (the optional ``plot`` extra), under their public name ``patentrace.plot``.

The code lives in [`patentrace.faces.plot`][patentrace.faces.plot], which documents every figure; this module
re-exports its public names.

Examples
--------
>>> from patentrace.plot import leapfrog_figure
>>> leapfrog_figure.__module__
'patentrace.faces.plot.maps'
"""

from patentrace.faces.plot import *  # noqa: F403  # the public names, listed once in faces.plot.__all__
from patentrace.faces.plot import __all__ as __all__
