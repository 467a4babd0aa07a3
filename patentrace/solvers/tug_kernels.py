"""The compiled Newton iteration of the tug-of-war for power costs (docs/theory/tug-of-war.md).

The same stacked HJB as patentrace.solvers.tug's ``TugSystem`` (values ordered
``V0(1), V1(1), V0(2), ...``, efforts eliminated by the first-order condition), for
costs ``c(x) = m x + a x^g / g``, compiled with numba: the residual and the banded
Jacobian in one pass, and a banded LU with partial pivoting (two bands either side,
fill up to four above) for each step. ``patentrace.solvers.tug.newton`` uses it when
both costs are power costs; whatever path found the values, the result is checked by
the same equations (patentrace.equations.tug).

Examples
--------
>>> import numpy as np
>>> import patentrace as pr
>>> tug = pr.TugOfWar(length=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
>>> v, iterations = power_newton(tug, 1.0, np.zeros((2, 1)), 1e-14)
>>> x = (1 - 0.1 + (1 + 0.4 + 0.01) ** 0.5) / 3          # Lee-Wilde, V = P - a x
>>> bool(abs(v[0, 0] - (1 - x)) < 1e-14), iterations > 0
(True, True)
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from patentrace.models.costs import Power
from patentrace.models.tug_of_war import TugOfWar

__all__ = ["power_newton"]

FloatArray = NDArray[np.float64]
_jit = numba.njit(cache=True, error_model="numpy", nogil=True)
_MAX_ITER = 60


@_jit
def _effort(gain: float, lam: float, a: float, g: float, m: float) -> tuple[float, float, float]:
    """Effort, its cost, and ``dx / d gain`` for the first-order condition ``m + a x^(g-1) = lam * gain``."""
    y = lam * gain
    if y <= m:
        return 0.0, 0.0, 0.0
    x = ((y - m) / a) ** (1.0 / (g - 1.0))
    curvature = a * (g - 1.0) * x ** (g - 2.0)
    slope = lam / curvature if curvature > 0.0 and np.isfinite(curvature) else 0.0
    return x, m * x + a * x**g / g, slope


@_jit
def _system(v: FloatArray, prize: float, loser: float, r: float, a: FloatArray, g: FloatArray, m: FloatArray,
            lam: FloatArray, res: FloatArray, band: FloatArray) -> float:
    """Residuals (firm-major within a position) and the Jacobian rows; returns the largest scaled residual."""
    n = lam.shape[1]
    band[:, :] = 0.0
    worst = 0.0
    for k in range(n):
        v0, v1 = v[2 * k], v[2 * k + 1]
        up0 = v[2 * k + 2] if k + 1 < n else prize          # V0(k+1)
        down0 = v[2 * k - 2] if k > 0 else loser            # V0(k-1)
        up1 = v[2 * k - 1] if k > 0 else prize              # V1(k-1), firm 1's own success
        down1 = v[2 * k + 3] if k + 1 < n else loser        # V1(k+1)
        x0, c0, s0 = _effort(up0 - v0, lam[0, k], a[0], g[0], m[0])
        x1, c1, s1 = _effort(up1 - v1, lam[1, k], a[1], g[1], m[1])
        h0, h1 = lam[0, k] * x0, lam[1, k] * x1
        total = r + h0 + h1
        i0, i1 = 2 * k, 2 * k + 1
        res[i0] = r * v0 + c0 - h0 * (up0 - v0) - h1 * (down0 - v0)
        res[i1] = r * v1 + c1 - h1 * (up1 - v1) - h0 * (down1 - v1)
        worst = max(worst, abs(res[i0]) / total, abs(res[i1]) / total)
        cross0 = -(down0 - v0) * lam[1, k] * s1           # firm 0's row through h1(k)
        cross1 = -(down1 - v1) * lam[0, k] * s0           # firm 1's row through h0(k)
        # band[i, j - i + 2] holds d res_i / d v_j
        band[i0, 2] = total
        band[i0, 3] = -cross0                              # V1(k)
        if k + 1 < n:
            band[i0, 4] = -h0                              # V0(k+1)
        if k > 0:
            band[i0, 0] = -h1                              # V0(k-1)
            band[i0, 1] = cross0                           # V1(k-1)
        band[i1, 2] = total
        band[i1, 1] = -cross1                              # V0(k)
        if k > 0:
            band[i1, 0] = -h1                              # V1(k-1)
        if k + 1 < n:
            band[i1, 3] = cross1                           # V0(k+1)
            band[i1, 4] = -h0                              # V1(k+1)
    return worst / prize


@_jit
def _banded_solve(band: FloatArray, rhs: FloatArray, x: FloatArray) -> bool:
    """Solve in place by Gaussian elimination with partial pivoting; row i holds columns i-2 .. i+4."""
    size = rhs.size
    for c in range(size):
        pivot, best = c, abs(band[c, 2])
        for row in range(c + 1, min(c + 3, size)):
            value = abs(band[row, c - row + 2])
            if value > best:
                pivot, best = row, value
        if not best > 0.0:
            return False
        if pivot != c:
            for j in range(c, min(c + 5, size)):
                here, there = j - c + 2, j - pivot + 2
                band[c, here], band[pivot, there] = band[pivot, there], band[c, here]
            rhs[c], rhs[pivot] = rhs[pivot], rhs[c]
        for row in range(c + 1, min(c + 3, size)):
            factor = band[row, c - row + 2] / band[c, 2]
            if factor != 0.0:
                band[row, c - row + 2] = 0.0
                for j in range(c + 1, min(c + 5, size)):
                    band[row, j - row + 2] -= factor * band[c, j - c + 2]
                rhs[row] -= factor * rhs[c]
    for i in range(size - 1, -1, -1):
        acc = rhs[i]
        for j in range(i + 1, min(i + 5, size)):
            acc -= band[i, j - i + 2] * x[j]
        x[i] = acc / band[i, 2]
    return True


@_jit
def _newton(v: FloatArray, prize: float, loser: float, r: float, a: FloatArray, g: FloatArray, m: FloatArray,
            lam: FloatArray, tolerance: float) -> int:
    """Damped Newton in place on ``v``; the iteration count, or minus it on failure."""
    size = v.size
    res = np.zeros(size)
    band = np.zeros((size, 7))
    step = np.zeros(size)
    trial = np.zeros(size)
    error = _system(v, prize, loser, r, a, g, m, lam, res, band)
    for iteration in range(1, _MAX_ITER + 1):
        for i in range(size):
            res[i] = -res[i]
        if not _banded_solve(band, res, step):
            return -iteration
        alpha = 1.0
        while True:
            for i in range(size):
                trial[i] = v[i] + alpha * step[i]
            t_error = _system(trial, prize, loser, r, a, g, m, lam, res, band)
            if np.isfinite(t_error) and (t_error <= (1.0 - 1e-4 * alpha) * error or t_error <= tolerance):
                break
            alpha *= 0.5
            if alpha < 1e-3:
                return -iteration
        largest = 0.0
        for i in range(size):
            largest = max(largest, abs(trial[i] - v[i]))
            v[i] = trial[i]
        error = t_error
        if error <= tolerance and (largest <= 1e-12 * prize or error == 0.0):
            return iteration
    return -_MAX_ITER


def power_newton(model: TugOfWar, scale: float, start: FloatArray, tolerance: float) -> tuple[FloatArray, int]:
    """Damped Newton on the stacked HJB at productivity scale ``scale``, compiled; power costs only.

    Returns the interior values ``(2, K - 1)`` and the iteration count (negative when it failed).

    Examples
    --------
    >>> import numpy as np
    >>> import patentrace as pr
    >>> tug = pr.TugOfWar(length=3, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> values, iterations = power_newton(tug, 0.0, np.zeros((2, 2)), 1e-14)   # nobody moves: 0 is the answer
    >>> values.tolist(), iterations
    ([[0.0, 0.0], [0.0, 0.0]], 1)
    """
    costs = [c for c in model.cost if isinstance(c, Power)]
    a = np.array([c.scale for c in costs])
    g = np.array([c.exponent for c in costs])
    m = np.array([c.linear for c in costs])
    lam = np.ascontiguousarray(scale * model.productivity_array())
    v = np.ascontiguousarray(np.asarray(start, dtype=float).T.ravel())
    iterations = _newton(v, float(model.prize), float(model.loser_prize), float(model.discount), a, g, m, lam,
                         float(tolerance))
    return v.reshape(-1, 2).T.copy(), int(iterations)
