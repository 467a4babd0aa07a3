"""Cost families, under their public name ``pr.costs`` (docs/theory/race.md).

The code lives in [`patentrace.models.costs`][patentrace.models.costs]; this module keeps the path
``patentrace.costs`` that the documentation shows (``from patentrace.costs import Quadratic``).

Examples
--------
>>> from patentrace.costs import Quadratic
>>> float(Quadratic(scale=2.0).marginal(1.5))
3.0
"""

from patentrace.models.costs import (
    Cost,
    CostLike,
    Power,
    PowerFamily,
    Quadratic,
    exact_rational,
    power_best_response,
)

__all__ = ["Cost", "CostLike", "Power", "PowerFamily", "Quadratic", "exact_rational", "power_best_response"]
