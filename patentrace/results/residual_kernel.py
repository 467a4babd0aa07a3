"""The HJB residual of ``patentrace.results.verification.hjb_residual`` in one compiled pass, for power costs.

Every ``pr.solve`` checks the residual (docs/theory/invariants.md (I2)), so it must cost little next to the
compiled solve: a numpy evaluation makes some fifteen passes over the states, this
kernel one. The formula is that of ``patentrace.results.verification.hjb_residual``, with
``c(x) = m x + a x**g / g`` ([`Power`][patentrace.models.costs.Power]); other costs use the numpy
path. Compiled on first use and cached on disk, like ``patentrace.solvers.compiled``.

Examples
--------
>>> import numpy as np
>>> import patentrace as pr
>>> from patentrace.results.verification import numpy_residual
>>> eq = pr.solve(pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
>>> fast = power_residual(eq, 1e-290)
>>> bool(np.allclose(fast, numpy_residual(eq), rtol=1e-12, atol=1e-300))
True
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = ["power_residual"]

FloatArray = NDArray[np.float64]


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _kernel(
    value: FloatArray, effort: FloatArray, hazard: FloatArray, jump0: FloatArray, jump1: FloatArray,
    model: FloatArray, cost: FloatArray, out: FloatArray,
) -> None:  # pragma: no cover - compiled
    """``out[k, i, j]`` = relative residual of firm ``k`` at every open state (verification.hjb_residual).

    ``model`` holds ``r, P, L, v_min``; ``cost[k]`` holds ``a, g, m`` of firm ``k``.
    """
    r, prize, loser, smallest = model[0], model[1], model[2], model[3]
    n1, n2 = jump0.size, jump1.size
    for i in range(n1):
        for j in range(n2):
            for firm in range(2):
                if firm == 0:
                    v, a, b = value[0, i, j], value[0, i + 1, j], value[0, i, j + 1]
                    x, h, h_rival = effort[0, i, j], hazard[0, i, j], hazard[1, i, j]
                    b_own, b_rival = jump0[i], jump1[j]
                else:
                    v, a, b = value[1, i, j], value[1, i, j + 1], value[1, i + 1, j]
                    x, h, h_rival = effort[1, i, j], hazard[1, i, j], hazard[0, i, j]
                    b_own, b_rival = jump1[j], jump0[i]
                g = cost[firm, 1]
                power = x * x if g == 2.0 else x**g  # x * x: the quadratic cost without a pow call
                c = cost[firm, 2] * x + cost[firm, 0] * power / g
                flow = -c + h * (a - v) + h_rival * (b - v) + b_own * (prize - v) + b_rival * (loser - v)
                raw = r * v - flow
                if raw == 0.0:
                    out[firm, i, j] = 0.0
                    continue
                size = r * abs(v) + c + h * (abs(a) + abs(v)) + h_rival * (abs(b) + abs(v))
                size += b_own * (abs(prize) + abs(v)) + b_rival * (abs(loser) + abs(v))
                floor = (r + h + h_rival + b_own + b_rival) * smallest
                if size < floor:
                    size = floor
                out[firm, i, j] = abs(raw) / size


def power_residual(eq: Any, smallest_value: float) -> FloatArray:
    """Relative HJB residual of a race with ``Power`` costs, shape ``(2, N0 + 1, N1 + 1)``.

    ``smallest_value`` is ``v_min`` of ``patentrace.results.verification.hjb_residual``.
    """
    race = eq.model
    model = np.array([race.discount, race.prize, race.loser_prize, smallest_value])
    cost = np.array([[c.scale, c.exponent, c.linear] for c in race.cost], dtype=float)
    out = np.zeros((2, *race.shape))
    _kernel(np.ascontiguousarray(eq.value, dtype=float), np.ascontiguousarray(eq.effort, dtype=float),
            np.ascontiguousarray(eq.hazard, dtype=float), race.breakthrough_array(0).astype(float),
            race.breakthrough_array(1).astype(float), model, cost, out)
    return out
