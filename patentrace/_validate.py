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
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["experience", "finite_real"]


def finite_real(name: str, value: object) -> float:
    """Return ``value`` as a finite float, or raise ``TypeError``/``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {value!r} of type {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {number!r}")
    return number


def experience(name: str, w: Any) -> NDArray[np.float64]:
    """``w`` (a number or an array) as floats in ``[0, 1]``, or a TypeError/ValueError naming ``name``.

    Examples
    --------
    >>> experience("w", [0.0, 0.5]).tolist()
    [0.0, 0.5]
    >>> experience("w1", 1.5)
    Traceback (most recent call last):
    ...
    ValueError: w1 (experience) must lie in [0, 1], got 1.5
    """
    try:
        at = np.asarray(w, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number in [0, 1], got {w!r}") from None
    if not np.all(np.isfinite(at)) or np.any(at < 0.0) or np.any(at > 1.0):
        raise ValueError(f"{name} (experience) must lie in [0, 1], got {w!r}")
    return at
