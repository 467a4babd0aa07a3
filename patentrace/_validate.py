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

import itertools
import math
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["count", "experience", "finite_real", "grid_sizes", "tolerance"]


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


def tolerance(name: str, value: object, upper: float = math.inf, positive: bool = False) -> float:
    """A threshold ``0 <= value < upper`` (``0 < value`` if ``positive``) as a float, or an error naming ``name``.

    A NaN threshold would make every comparison false (a check that never fails), and a
    negative one would make every comparison true, so both are refused here.

    Examples
    --------
    >>> tolerance("tolerance", 1e-8)
    1e-08
    >>> tolerance("tolerance", -1.0)
    Traceback (most recent call last):
    ...
    ValueError: tolerance must be a finite number >= 0, got -1.0
    >>> tolerance("tolerance", 1.0, upper=1.0)
    Traceback (most recent call last):
    ...
    ValueError: tolerance must be a finite number in [0, 1), got 1.0
    >>> tolerance("tolerance", 0.0, positive=True)
    Traceback (most recent call last):
    ...
    ValueError: tolerance must be a finite number > 0, got 0.0
    """
    low = "(0" if positive else "[0"
    span = ("> 0" if positive else ">= 0") if math.isinf(upper) else f"in {low}, {upper:g})"
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a finite number {span}, got {value!r} of type {type(value).__name__}")
    number = float(value)
    if not (math.isfinite(number) and 0.0 <= number < upper) or (positive and number == 0.0):
        raise ValueError(f"{name} must be a finite number {span}, got {number!r}")
    return number


def count(name: str, value: object, low: int) -> int:
    """An int ``>= low`` (numpy integers too, never a bool or a float), or a ValueError naming ``name``.

    Examples
    --------
    >>> count("max_pairs", 10, 1)
    10
    >>> count("max_pairs", -1, 1)
    Traceback (most recent call last):
    ...
    ValueError: max_pairs must be an int >= 1, got -1
    """
    if isinstance(value, bool) or not isinstance(value, Integral):  # a ValueError, as solve_all always raised
        raise ValueError(f"{name} must be an int >= {low}, got {value!r} of type {type(value).__name__}")
    if int(value) < low:
        raise ValueError(f"{name} must be an int >= {low}, got {int(value)!r}")
    return int(value)


def grid_sizes(name: str, value: object, low: int) -> list[int]:
    """A non-empty strictly increasing sequence of ints ``>= low``, or a TypeError/ValueError naming ``name``.

    Examples
    --------
    >>> grid_sizes("steps", (5, 10), 2)
    [5, 10]
    >>> grid_sizes("steps", "abc", 2)
    Traceback (most recent call last):
    ...
    TypeError: steps must be a non-empty increasing sequence of ints >= 2, got 'abc'
    """
    wanted = f"{name} must be a non-empty increasing sequence of ints >= {low}"
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise TypeError(f"{wanted}, got {value!r}")
    sizes = [count(f"{name}[{k}]", v, low) for k, v in enumerate(value)]
    if not sizes or any(b <= a for a, b in itertools.pairwise(sizes)):
        raise ValueError(f"{wanted}, got {value!r}")
    return sizes
