"""Argument checks shared by the models and the costs: clear errors that name the parameter.

Examples
--------
>>> finite_real("prize", 2)
2.0
>>> finite_real("prize", float("nan"))
Traceback (most recent call last):
...
ValueError: prize must be finite, got nan
"""

from __future__ import annotations

import math
from numbers import Real

__all__ = ["finite_real"]


def finite_real(name: str, value: object) -> float:
    """Return ``value`` as a finite float, or raise ``TypeError``/``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {value!r} of type {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {number!r}")
    return number
