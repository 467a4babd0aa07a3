"""The certificates of the compiled path of ``patentrace.solvers.nfirm``, state by state (docs/solver.md).

For races whose costs are all power costs ``c(x) = m x + a x**g / g``,
``patentrace.solvers.nfirm_sweep.sweep_planes`` solves every open state in one compiled
loop, with the steps of this module. Each state's equilibrium is certified unique first by
``_contracted``:

- the best responses are a contraction on the box ``[0, X]`` that holds every equilibrium
  (``StateGames.effort_bound``), or on a box left by interval contraction without splitting
  (``_narrow``): ``_contracts`` bounds each ``|dBR_k/dx_l|`` over the box and looks for
  weights under which ``BR`` shrinks distances by 0.75; or that box is narrower than ``1e-9``
  of the bound (the search's resolution). The enclosure of each round (``_enclose_firm``)
  is the exact range of ``BR_k`` where the sign of ``dBR_k/dh_l`` is fixed over the box
  (``_surplus``): in a supermodular state, the monotone iteration from both corners;
- best-response steps, then Newton's method (``_settle``), must converge inside the box.

A state where this fails goes to the branch-and-bound (``_state``): the numpy search
(``solvers.nfirm._search``) on ``[0, X]``, each box narrowed by the enclosure of
``StateGames.enclosure``, dropped when empty, split otherwise, until narrower than ``1e-9``
of the bound. No fixed point is ever lost, so when every surviving box lies within ``1e-7``
of the bound of the others the state has one equilibrium, which Newton's method from their
middle must reach. A state whose survivors lie apart (it may have several equilibria), that
needs too many boxes, or where Newton's method does not settle, is handed to the numpy path
(status ``HANDED``), which finds every equilibrium. ``certify_states`` runs the
branch-and-bound alone on a batch of states (``solvers.nfirm.find_equilibria``).

The best response is the compiled path's (``compiled_kernels._response_to_gain``), the same
formulas as ``patentrace.models.costs.power_best_response``.
"""

from __future__ import annotations

import math

import numba
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
    _inverse_marginal,
    _jit,
    _response_to_gain,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

__all__ = ["BRANCHED", "FAST", "HANDED", "UNIQUE", "certify_states"]

_inline = numba.njit(cache=True, error_model="numpy", nogil=True, inline="always")  # the sweep's per-state steps

HANDED, UNIQUE = 0, 1
FAST, BRANCHED = 1, 2  # how sweep_planes certified a state: the fast certificate, or the branch-and-bound
_EPS = float(np.finfo(float).eps)
_TINY = float(np.finfo(float).tiny)
_RESOLUTION = 1e-9  # as solvers.nfirm: a box narrower than this fraction of the bound holds one equilibrium
_SLACK = 1e-12  # as solvers.nfirm: rounding allowed at the edges of an enclosure
_NEAR = 1e-7  # as solvers.nfirm: the iterated effort must stay this close to the box
_ITERATIONS = 60  # Newton steps
_BOXES = 256  # boxes waiting at one state
_STEPS = 20_000  # boxes examined at one state
_ROUNDS = 400  # rounds of the unsplit contraction of the fast certificate
_STALL = 0.97  # a round that keeps more than this share of the box's total width has stalled
_CONTRACTION = 0.75  # the weighted Lipschitz bound below which BR has one fixed point (a margin below 1)
_POWER_STEPS = 4  # weights tried for that bound
_STEPS_ALONE = 12  # best-response steps before Newton's method, while they shrink fast
_SLOW = 0.2  # a step that moves the efforts more than this share of the step before: Newton's method


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
    return _polish(par, after, r, x, scale, np.empty(firms), np.empty((firms, firms)), np.empty(firms))


@_jit
def _polish(par: FloatArray, after: FloatArray, r: float, x: FloatArray, scale: float, y: FloatArray,
            system: FloatArray, error: FloatArray) -> bool:  # pragma: no cover - compiled
    """``_newton`` with its work arrays given (``y``, ``error``: (n,); ``system``: (n, n))."""
    firms = x.shape[0]
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


@_inline
def _narrow(par: FloatArray, after: FloatArray, r: float, surplus: FloatArray, lo: FloatArray, hi: FloatArray,
            slack: float, low: FloatArray, high: FloatArray, fastest: FloatArray) -> bool:  # pragma: no cover
    """One round of interval contraction, firm by firm (Gauss-Seidel); False if the box ``[lo, hi]`` becomes empty.

    Firm ``k``'s interval is intersected with an enclosure of ``BR_k`` over the box as it
    stands (the firms before ``k`` already narrowed, ``_enclose_firm``): every fixed point in
    the box stays in it. ``[low[k], high[k]]`` and ``fastest[k]`` are set as ``_enclose_firm`` says.
    """
    for k in range(lo.shape[0]):
        _enclose_firm(par, after, r, surplus, lo, hi, low, high, fastest, k)
        lo[k], hi[k] = max(lo[k], low[k] - slack), min(hi[k], high[k] + slack)
        if not lo[k] <= hi[k]:
            return False
    return True


@_inline
def _surplus(par: FloatArray, after: FloatArray, r: float, out: FloatArray) -> None:  # pragma: no cover - compiled
    """``out[k, l] = S_kl - r B_kl``, ``S_kl = max_x [lambda_k x (A_k - B_kl) - c_k(x)]`` (a conjugate).

    ``(r + lambda_k x + H_{-k}) (V - B_kl)`` at effort ``x`` is ``lambda_k x (A_k - B_kl) - c_k(x) - r B_kl
    + sum_{m != k, l} h_m (B_km - B_kl)``, and ``V_k`` is the largest ``V`` over ``x``: so ``V_k - B_kl``,
    whose sign is that of ``dBR_k/dh_l`` (docs/theory/race.md (5)), has the sign of
    ``out[k, l] + sum_{m != k, l} h_m (B_km - B_kl)`` (docs/solver.md, "More than two firms").
    """
    firms = out.shape[0]
    for k in range(firms):
        for rival in range(firms):
            if rival == k:
                out[k, rival] = 0.0
                continue
            peak = _inverse_marginal(par, k, par[k, _LAM] * (par[k, _OWN] - after[k, rival]))
            g = par[k, _G]
            conjugate = par[k, _A] * (1.0 - 1.0 / g) * (peak * peak if g == 2.0 else peak**g)
            out[k, rival] = conjugate - r * after[k, rival]


@_inline
def _enclose_firm(par: FloatArray, after: FloatArray, r: float, surplus: FloatArray, lo: FloatArray, hi: FloatArray,
                  low: FloatArray, high: FloatArray, fastest: FloatArray, k: int) -> None:  # pragma: no cover
    """Bounds on ``BR_k`` while the rivals' efforts range over the box ``[lo, hi]``, into ``low[k]``, ``high[k]``.

    ``BR_k`` rises with the right side ``q`` of docs/theory/race.md (16) and falls with
    ``s = (r + H_{-k}) / lambda_k``; both are sums over the rivals. Where ``_surplus`` fixes the
    sign of ``dBR_k/dh_l`` over the whole box (its smallest or largest value over the box
    beyond ``1e-12`` of its terms, against rounding), ``BR_k`` is monotone in ``h_l`` there, and
    ``h_l`` enters ``q`` and ``s`` together at the end that lowers (raises) ``BR_k``. Where it
    does not, ``q`` and ``s`` take their worst ends apart, as in ``_enclose``. With every sign
    fixed, the bounds are the exact range of ``BR_k`` (its values at two corners of the box).
    ``fastest[k]`` becomes the smallest ``s`` over the box; the bounds remain valid over every
    smaller box, which is what ``_contracts`` needs.
    """
    firms = lo.shape[0]
    own, lam = par[k, _OWN], par[k, _LAM]
    q_low = q_high = r * own
    total_low = total_high = total_fast = 0.0
    for rival in range(firms):
        if rival == k:
            continue
        gap = own - after[k, rival]
        h_low, h_high = par[rival, _LAM] * lo[rival], par[rival, _LAM] * hi[rival]
        total_fast += h_low
        sign_low = sign_high = surplus[k, rival]
        size = abs(surplus[k, rival]) + r * abs(after[k, rival])
        for other in range(firms):
            if other != k and other != rival:
                step = after[k, other] - after[k, rival]
                term_low, term_high = step * par[other, _LAM] * lo[other], step * par[other, _LAM] * hi[other]
                sign_low += min(term_low, term_high)
                sign_high += max(term_low, term_high)
                size += max(abs(term_low), abs(term_high))
        margin = 1e-12 * size
        if sign_low >= margin or h_low == h_high:  # BR_k rises with h_l (or h_l is fixed)
            q_low, q_high = q_low + gap * h_low, q_high + gap * h_high
            total_low, total_high = total_low + h_low, total_high + h_high
        elif sign_high <= -margin:  # BR_k falls with h_l
            q_low, q_high = q_low + gap * h_high, q_high + gap * h_low
            total_low, total_high = total_low + h_high, total_high + h_low
        else:
            q_low += min(gap * h_low, gap * h_high)
            q_high += max(gap * h_low, gap * h_high)
            total_low, total_high = total_low + h_high, total_high + h_low
    slowest, quickest = (r + total_low) / lam, (r + total_high) / lam
    fastest[k] = (r + total_fast) / lam
    low[k] = _response_to_gain(par, k, q_low - par[k, _M] * slowest, slowest)
    high[k] = _response_to_gain(par, k, q_high - par[k, _M] * quickest, quickest)


@_inline
def _bend_bound(par: FloatArray, k: int, low: float, high: float, fastest: float) -> float:  # pragma: no cover
    """A lower bound on ``c_k''(x) (s + x)`` for ``x`` in ``[low, high]`` and ``s >= fastest`` (power cost).

    ``c''(x) (s + x) = (g - 1) a (s x**(g - 2) + x**(g - 1))``: the second term rises with
    ``x``, the first is monotone in ``x`` (rising for ``g > 2``, falling for ``g < 2``). 0 when
    ``g > 2`` and ``low = 0`` (``c''(0) = 0``: the best response can be vertical there).
    """
    a, g = par[k, _A], par[k, _G]
    if g == 2.0:
        return float(a * (fastest + low))
    at_high = high ** (g - 2.0)
    at_low = low ** (g - 2.0) if low > 0.0 else (math.inf if g < 2.0 else 0.0)
    return float((g - 1.0) * a * (fastest * min(at_low, at_high) + low ** (g - 1.0)))


@_inline
def _contracts(par: FloatArray, after: FloatArray, low: FloatArray, high: FloatArray, fastest: FloatArray,
               bound: FloatArray, weight: FloatArray, image: FloatArray) -> bool:  # pragma: no cover - compiled
    """Whether ``BR`` is a contraction on the box, so that it has at most one fixed point there.

    ``bound[k, l]`` bounds ``|dBR_k/dx_l| = lambda_l |A_k - B_kl - c_k'(x)/lambda_k| /
    (c_k''(x) (s + x))`` (implicit differentiation of docs/theory/race.md (16)) over the box:
    ``x = BR_k`` in ``[low[k], high[k]]``, ``s >= fastest[k]``; 0 where the firm idles
    throughout (``high[k] = 0``). If some ``w > 0`` has ``bound w <= 0.75 w`` (tried: ``w = 1``,
    then a few power iterations towards the Perron vector of ``bound``), then for two fixed
    points ``x, y`` the mean value theorem gives ``max_k |x_k - y_k| / w_k <= 0.75`` times
    itself: ``x = y``. ``0.75`` leaves a wide margin for rounding; a NaN or infinite bound
    certifies nothing.
    """
    firms = low.shape[0]
    holds = True
    for k in range(firms):  # the bounds times c''(x) (s + x), and the test with w = 1 (no division yet)
        weight[k], image[k] = 1.0, 1.0
        row = 0.0
        for rival in range(firms):
            bound[k, rival] = 0.0
        if not high[k] > 0.0:
            continue
        bend = _bend_bound(par, k, max(low[k], 0.0), high[k], fastest[k])
        if not bend > 0.0:
            return False
        slope_low = _cost_terms(par, k, max(low[k], 0.0))[1] * par[k, _INV_LAM]
        slope_high = _cost_terms(par, k, high[k])[1] * par[k, _INV_LAM]
        for rival in range(firms):
            if rival != k:
                gap = par[k, _OWN] - after[k, rival]
                bound[k, rival] = par[rival, _LAM] * max(abs(gap - slope_low), abs(gap - slope_high))
                row += bound[k, rival]
        holds = holds and row <= _CONTRACTION * bend
        image[k] = bend
    if holds:
        return True
    largest = 0.0
    for k in range(firms):  # the bounds themselves, and their row sums
        reach, total = 1.0 / image[k], 0.0
        for rival in range(firms):
            bound[k, rival] *= reach
            total += bound[k, rival]
        image[k] = total
        largest = max(largest, total)
    for _ in range(_POWER_STEPS):
        if holds:
            return True
        if not (largest > 0.0 and math.isfinite(largest)):
            return False
        for k in range(firms):
            weight[k] = image[k] / largest + 1e-6
        holds, largest = True, 0.0
        for k in range(firms):
            total = 0.0
            for rival in range(firms):
                total += bound[k, rival] * weight[rival]
            image[k] = total
            holds = holds and total <= _CONTRACTION * weight[k]
            largest = max(largest, total)
    return holds


@_inline
def _contracted(par: FloatArray, after: FloatArray, r: float, bound: FloatArray, x: FloatArray,
                work: tuple[FloatArray, ...], system: tuple[FloatArray, ...]) -> bool:  # pragma: no cover - compiled
    """The fast certificate of one state: True when its one equilibrium is proved and written to ``x``.

    First ``_contracts`` on the whole box ``[0, X]`` that holds every equilibrium (every best
    response lies in it, and ``s >= r / lambda_k``): far from the prize, where the values
    hardly depend on who succeeds, ``BR`` is a contraction there and the state has one
    equilibrium. Otherwise rounds of ``_narrow`` (no splitting, so no fixed point is lost)
    until the box is narrower than ``1e-9`` of the bound (as the search's resolution) or
    ``_contracts`` proves at most one fixed point in it. Then ``_settle`` from the box's
    middle must converge inside the box (to ``1e-7`` of the bound), and that is the
    equilibrium. False when a round keeps more than ``_STALL`` of the box's width (the caller
    then runs the branch-and-bound of ``_state``) or the iteration does not settle.
    ``work`` holds 9 scratch arrays of ``n`` numbers and ``system`` three ``n x n`` scratch matrices.
    """
    firms = x.shape[0]
    lo, hi, low, high, fastest, weight, image, y, error = work
    bounds, jacobian, surplus = system
    scale = _TINY
    for k in range(firms):
        scale = max(scale, bound[k])
        lo[k], hi[k], low[k], high[k], fastest[k] = 0.0, bound[k], 0.0, bound[k], r * par[k, _INV_LAM]
    if not _contracts(par, after, low, high, fastest, bounds, weight, image):
        _surplus(par, after, r, surplus)
        width = math.inf
        proved = False
        for _ in range(_ROUNDS):
            if not _narrow(par, after, r, surplus, lo, hi, _SLACK * scale, low, high, fastest):
                return False
            widest = total = 0.0
            for k in range(firms):
                widest, total = max(widest, hi[k] - lo[k]), total + (hi[k] - lo[k])
            if widest <= _RESOLUTION * scale or _contracts(par, after, low, high, fastest, bounds, weight, image):
                proved = True
                break
            if not total <= _STALL * width:
                return False
            width = total
        if not proved:
            return False
    for k in range(firms):
        x[k] = 0.5 * (lo[k] + hi[k])
    if not _settle(par, after, r, x, scale, y, jacobian, error):
        return False
    near = _NEAR * scale
    inside = True
    for k in range(firms):
        inside = inside and lo[k] - near <= x[k] <= hi[k] + near
    return inside


@_inline
def _settle(par: FloatArray, after: FloatArray, r: float, x: FloatArray, scale: float, y: FloatArray,
            system: FloatArray, error: FloatArray) -> bool:  # pragma: no cover - compiled
    """The fixed point of ``BR`` from ``x`` (in place), at most one being there; True when it settles to rounding.

    Best-response steps firm by firm (Gauss-Seidel) while each moves the efforts less than
    ``_SLOW`` times the step before (``BR`` hardly depends on the rivals, as far from the
    prize), at most ``_STEPS_ALONE``; then Newton's method (``_polish``). Settled means a step
    moved no effort by more than ``4 eps`` of ``scale``.
    """
    firms = x.shape[0]
    previous = math.inf
    for _ in range(_STEPS_ALONE):
        moved = 0.0
        for k in range(firms):
            rivals, q = 0.0, r * par[k, _OWN]
            for rival in range(firms):
                if rival != k:
                    h = par[rival, _LAM] * x[rival]
                    rivals += h
                    q += h * (par[k, _OWN] - after[k, rival])
            s = (r + rivals) * par[k, _INV_LAM]
            response = _response_to_gain(par, k, q - par[k, _M] * s, s)
            moved = max(moved, abs(response - x[k]))
            x[k] = response
        if moved <= 4.0 * _EPS * scale:
            return True
        if not moved <= _SLOW * previous:
            break
        previous = moved
    return _polish(par, after, r, x, scale, y, system, error)
