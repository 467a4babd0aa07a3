"""The compiled certificate of ``patentrace.solvers.nfirm``: interval contraction on a state's game (docs/solver.md).

For races whose costs are all power costs ``c(x) = m x + a x**g / g``, each open state of a
hyperplane is first tried here, compiled with numba: the branch-and-bound of the numpy
search (``solvers.nfirm._search``) on the box ``[0, X]`` that holds every equilibrium
(``StateGames.effort_bound``). Each box is replaced by its intersection with the enclosure
of the best responses over it (``StateGames.enclosure``: ``BR_k`` rises with the right side
of docs/theory/race.md (16) and falls with the rivals' total hazard), dropped when that is
empty, and split otherwise, until narrower than ``1e-9`` of the bound. No fixed point is ever
lost, so when every surviving box lies within ``1e-7`` of the bound of the others, the state
has one equilibrium (up to that resolution, as in the search); Newton's method from the
middle of the survivors must settle there, and gives the effort. A state whose survivors lie
apart (it may have several equilibria), that needs too many boxes, or where Newton's method
does not settle, is left to the numpy path (status ``HANDED``), which finds every equilibrium.

The best response is the compiled path's (``compiled_kernels._response_to_gain``), the same
formulas as ``patentrace.models.costs.power_best_response``.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from patentrace.solvers.compiled_kernels import (
    _A,
    _COLUMNS,
    _G,
    _INV_A,
    _INV_LAM,
    _LAM,
    _LOG_A,
    _LOG_KAPPA,
    _M,
    _OWN,
    _cost_terms,
    _jit,
    _response_to_gain,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

__all__ = ["HANDED", "UNIQUE", "certify_states"]

HANDED, UNIQUE = 0, 1
_EPS = float(np.finfo(float).eps)
_TINY = float(np.finfo(float).tiny)
_RESOLUTION = 1e-9  # as solvers.nfirm: a box narrower than this fraction of the bound holds one equilibrium
_SLACK = 1e-12  # as solvers.nfirm: rounding allowed at the edges of an enclosure
_NEAR = 1e-7  # as solvers.nfirm: the iterated effort must stay this close to the box
_ITERATIONS = 60  # Newton steps
_BOXES = 256  # boxes waiting at one state
_STEPS = 20_000  # boxes examined at one state


@_jit
def _responses(par: FloatArray, after: FloatArray, r: float, x: FloatArray,
               out: FloatArray) -> None:  # pragma: no cover - compiled
    """Every firm's best response (16) to the others' efforts ``x``."""
    firms = x.shape[0]
    for k in range(firms):
        own, rivals, q = par[k, _OWN], 0.0, r * par[k, _OWN]
        for rival in range(firms):
            if rival != k:
                h = par[rival, _LAM] * x[rival]
                rivals += h
                q += h * (own - after[k, rival])
        s = (r + rivals) / par[k, _LAM]
        out[k] = _response_to_gain(par, k, q - par[k, _M] * s, s)


@_jit
def _enclose(par: FloatArray, after: FloatArray, r: float, lo: FloatArray, hi: FloatArray, low: FloatArray,
             high: FloatArray) -> None:  # pragma: no cover - compiled
    """Bounds ``[low, high]`` on every best response while the efforts range over ``[lo, hi]``."""
    firms = lo.shape[0]
    for k in range(firms):
        own = par[k, _OWN]
        q_low = q_high = r * own
        total_low = total_high = 0.0
        for rival in range(firms):
            if rival == k:
                continue
            gap = own - after[k, rival]
            h_low, h_high = par[rival, _LAM] * lo[rival], par[rival, _LAM] * hi[rival]
            q_low += min(gap * h_low, gap * h_high)
            q_high += max(gap * h_low, gap * h_high)
            total_low += h_low
            total_high += h_high
        slowest, fastest = (r + total_high) / par[k, _LAM], (r + total_low) / par[k, _LAM]
        low[k] = _response_to_gain(par, k, q_low - par[k, _M] * slowest, slowest)
        high[k] = _response_to_gain(par, k, q_high - par[k, _M] * fastest, fastest)


@_jit
def _contract(par: FloatArray, after: FloatArray, r: float, lo: FloatArray, hi: FloatArray, slack: float,
              rounds: int) -> bool:  # pragma: no cover - compiled
    """Narrow ``[lo, hi]`` to its intersection with the enclosure, ``rounds`` times; False if it becomes empty."""
    firms = lo.shape[0]
    low, high = np.empty(firms), np.empty(firms)
    for _ in range(rounds):
        _enclose(par, after, r, lo, hi, low, high)
        for k in range(firms):
            lo[k], hi[k] = max(lo[k], low[k] - slack), min(hi[k], high[k] + slack)
            if lo[k] > hi[k]:
                return False
    return True


@_jit
def _newton(par: FloatArray, after: FloatArray, r: float, x: FloatArray,
            scale: float) -> bool:  # pragma: no cover - compiled
    """Newton's method on ``x - BR(x) = 0`` from ``x`` (in place); True when it settles to rounding."""
    firms = x.shape[0]
    y, system, error = np.empty(firms), np.empty((firms, firms)), np.empty(firms)
    for _ in range(_ITERATIONS):
        _responses(par, after, r, x, y)
        moved = 0.0
        for k in range(firms):
            error[k] = x[k] - y[k]
            moved = max(moved, abs(error[k]))
        if moved <= 4.0 * _EPS * scale:
            for k in range(firms):
                x[k] = y[k]
            return True
        for k in range(firms):  # I - dBR/dx (docs/theory/race.md (5) with the aggregate rival), 0 rows where idle
            rivals = 0.0
            for rival in range(firms):
                if rival != k:
                    rivals += par[rival, _LAM] * x[rival]
            for rival in range(firms):
                system[k, rival] = 1.0 if rival == k else 0.0
            if y[k] > 0.0:
                _, slope, bend = _cost_terms(par, k, y[k])
                denominator = bend * ((r + rivals) * par[k, _INV_LAM] + y[k])
                for rival in range(firms):
                    if rival != k and denominator > 0.0 and math.isfinite(denominator):
                        gain = par[k, _OWN] - after[k, rival] - slope * par[k, _INV_LAM]
                        system[k, rival] = -par[rival, _LAM] * gain / denominator
        if not _gauss(system, error):
            return False
        for k in range(firms):
            x[k] = max(x[k] - error[k], 0.0) if math.isfinite(error[k]) else y[k]
    return False


@_jit
def _gauss(system: FloatArray, rhs: FloatArray) -> bool:  # pragma: no cover - compiled
    """Solve ``system z = rhs`` in place (``rhs`` becomes ``z``), partial pivoting; False if singular."""
    size = rhs.shape[0]
    for column in range(size):
        pivot = column
        for row in range(column + 1, size):
            if abs(system[row, column]) > abs(system[pivot, column]):
                pivot = row
        if not abs(system[pivot, column]) > 0.0:
            return False
        if pivot != column:
            for k in range(size):
                system[column, k], system[pivot, k] = system[pivot, k], system[column, k]
            rhs[column], rhs[pivot] = rhs[pivot], rhs[column]
        for row in range(column + 1, size):
            factor = system[row, column] / system[column, column]
            for k in range(column, size):
                system[row, k] -= factor * system[column, k]
            rhs[row] -= factor * rhs[column]
    for row in range(size - 1, -1, -1):
        total = rhs[row]
        for k in range(row + 1, size):
            total -= system[row, k] * rhs[k]
        rhs[row] = total / system[row, row]
    return True


@_jit
def _state(par: FloatArray, after: FloatArray, r: float, bound: FloatArray,
           effort: FloatArray) -> int:  # pragma: no cover - compiled
    """Certify one state's equilibrium unique and write it to ``effort``; ``UNIQUE`` or ``HANDED``.

    A branch-and-bound over boxes as in ``solvers.nfirm._search``: each box narrowed by the
    enclosure, dropped when empty, split in its widest direction until narrower than
    ``_RESOLUTION`` of the bound. Where the surviving boxes all lie within ``_NEAR`` of the
    bound of each other, they hold the state's only equilibrium, found by Newton's method
    from their middle; otherwise (several equilibria, or too many boxes) the state is handed on.
    """
    firms = bound.shape[0]
    scale = _TINY
    for k in range(firms):
        scale = max(scale, bound[k])
    slack = _SLACK * scale
    lows, highs = np.empty((_BOXES, firms)), np.empty((_BOXES, firms))
    lows[0, :], highs[0, :] = 0.0, bound
    pending = 1
    first, last = np.full(firms, math.inf), np.full(firms, -math.inf)  # the surviving boxes' hull
    survivors = 0
    for _ in range(_STEPS):
        if pending == 0:
            break
        pending -= 1
        lo, hi = lows[pending].copy(), highs[pending].copy()
        if not _contract(par, after, r, lo, hi, slack, 4):
            continue
        widest, width = 0, -1.0
        for k in range(firms):
            if hi[k] - lo[k] > width:
                widest, width = k, hi[k] - lo[k]
        if width <= _RESOLUTION * scale or not width > 0.0:
            survivors += 1
            for k in range(firms):
                first[k], last[k] = min(first[k], lo[k]), max(last[k], hi[k])
                if last[k] - first[k] > _NEAR * scale:
                    return HANDED  # boxes apart: maybe several equilibria, for the complete search
            continue
        if pending + 2 > _BOXES:
            return HANDED
        middle = 0.5 * (lo[widest] + hi[widest])
        lows[pending], highs[pending] = lo, hi
        highs[pending, widest] = middle
        lows[pending + 1], highs[pending + 1] = lo, hi
        lows[pending + 1, widest] = middle
        pending += 2
    if pending or survivors == 0:
        return HANDED
    x = 0.5 * (first + last)
    if not _newton(par, after, r, x, scale):
        return HANDED
    near = _NEAR * scale
    for k in range(firms):
        if x[k] < first[k] - near or x[k] > last[k] + near:
            return HANDED
        effort[k] = x[k]
    return UNIQUE


@_jit
def certify_states(
    own: FloatArray, after: FloatArray, lam: FloatArray, rate: FloatArray, bound: FloatArray, cost: FloatArray,
    effort: FloatArray, status: IntArray,
) -> None:  # pragma: no cover - compiled
    """Try every state of a batch: ``own`` (n, m), ``after`` (n, n, m), ``lam`` (n, m), ``rate`` (m,), ``bound`` (n, m).

    ``cost[k] = (a, g, m)`` of firm ``k``. Writes ``effort[:, j]`` and ``status[j]`` (``UNIQUE``
    or ``HANDED``) for every state ``j``.
    """
    firms, states = own.shape
    par = np.zeros((firms, _COLUMNS))
    for k in range(firms):
        a, g = cost[k, 0], cost[k, 1]
        par[k, _A], par[k, _INV_A], par[k, _G], par[k, _M] = a, 1.0 / a, g, cost[k, 2]
        par[k, _LOG_A], par[k, _LOG_KAPPA] = math.log(a), math.log(1.0 - 1.0 / g)
    x = np.empty(firms)
    for j in range(states):
        for k in range(firms):
            par[k, _OWN], par[k, _LAM], par[k, _INV_LAM] = own[k, j], lam[k, j], 1.0 / lam[k, j]
        status[j] = _state(par, after[:, :, j], rate[j], bound[:, j].copy(), x)
        if status[j] == UNIQUE:
            for k in range(firms):
                effort[k, j] = x[k]
