"""Many roots at once: vectorised bracketing for functions that change sign on intervals.

Every bracket ``[lo, hi]`` holds a sign change of its own function; all are
refined together, each step one vectorised evaluation of the functions of the
brackets still open.

Examples
--------
>>> import numpy as np
>>> roots, _ = bracketed_root(lambda x, at: x * x - np.array([2.0, 3.0])[at],
...                           np.zeros(2), np.full(2, 2.0), -np.array([2.0, 3.0]), np.array([2.0, 1.0]))
>>> np.allclose(roots, np.sqrt([2.0, 3.0]), rtol=1e-15)
True
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from patentrace.errors import EquilibriumError

__all__ = ["bracketed_root", "midpoint"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

_EPS = float(np.finfo(float).eps)
_TINY = float(np.finfo(float).tiny)
_MAX_STEPS = 400


def bracketed_root(
    f: Callable[[FloatArray, IntArray], FloatArray],
    lo: FloatArray,
    hi: FloatArray,
    f_lo: FloatArray,
    f_hi: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Roots of ``f`` in brackets ``[lo, hi]`` where ``f`` changes sign, all at once.

    Regula falsi in its Illinois form (superlinear on smooth functions) with two
    safeguards from Dekker's method: a step never shorter than the tolerance, so
    that once the estimate is within it the bracket collapses across the root;
    and a bisection step whenever a bracket has not halved in three steps, so
    that brackets always shrink geometrically. ``f(x, at)`` evaluates the
    function of brackets ``at`` at ``x``. Stops when a bracket is within a few
    float spacings of its ends, or when ``|f(x)| <= 4 eps |x|``: for
    ``f(y) = T(y) - y`` that is a fixed point to working precision.

    Bisection steps take the geometric mean of brackets that span orders of
    magnitude, so that a root near zero (an effort of 1e-40, or a jump at 0
    that rounding leaves in a nearly idle firm's response) is reached in a few
    dozen steps, with relative precision.

    Returns the root estimates and the other end of their final brackets.
    """
    a, b, fa, fb = lo.copy(), hi.copy(), f_lo.copy(), f_hi.copy()
    root_at_lo = fa == 0.0
    b[root_at_lo] = a[root_at_lo]
    width = np.abs(b - a)
    stale = np.zeros(a.size, dtype=np.intp)
    active = np.flatnonzero((fa != 0.0) & (fb != 0.0))
    for _ in range(_MAX_STEPS):
        if active.size == 0:
            return b, a
        aa, bb, faa, fbb = a[active], b[active], fa[active], fb[active]
        tol = 2.0 * _EPS * np.abs(bb) + _TINY
        x = bb - (bb - aa) * (fbb / (fbb - faa))  # ratio first: products of tiny numbers underflow
        toward_a = np.sign(aa - bb)
        inside = (x > np.minimum(aa, bb)) & (x < np.maximum(aa, bb))
        x = np.where(inside & (stale[active] < 3), x, midpoint(aa, bb))
        x = np.where(np.abs(x - bb) < tol, bb + toward_a * tol, x)
        x = np.minimum(np.maximum(x, np.minimum(aa, bb)), np.maximum(aa, bb))  # never past the far end
        fx = f(x, active)
        flip = np.sign(fx) != np.sign(fbb)  # the root lies between the old b and x
        a[active] = np.where(flip, bb, aa)
        fa[active] = np.where(flip, fbb, 0.5 * faa)  # Illinois: halve the stale end
        b[active], fb[active] = x, fx
        new_width = np.abs(x - a[active])
        halved = new_width <= 0.5 * width[active]
        stale[active] = np.where(halved, 0, stale[active] + 1)
        width[active] = np.where(halved, new_width, width[active])
        # Done when the bracket is a few float spacings wide, or when phi(x) = T(x) - x
        # is at the rounding level of x: the fixed point holds to working precision.
        finished = (np.abs(fx) <= 4.0 * _EPS * np.abs(x)) | (new_width <= 2.0 * tol)
        active = active[~finished]
    raise EquilibriumError("root bracketing did not converge", None, {"brackets_left": int(active.size)})


def midpoint(a: FloatArray, b: FloatArray) -> FloatArray:
    """Arithmetic midpoint, or the geometric one where ``0 <= lo`` and ``hi > 4 lo``."""
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    spread = (lo >= 0.0) & (hi > 4.0 * np.maximum(lo, _TINY))
    geometric = np.sqrt(np.maximum(lo, _TINY)) * np.sqrt(np.maximum(hi, _TINY))
    return np.where(spread, geometric, 0.5 * (a + b))
