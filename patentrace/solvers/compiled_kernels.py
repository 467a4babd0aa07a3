"""The numba kernels of the compiled backward sweep (docs/theory/race.md; docs/solver.md, "The compiled path").

Per-state best responses, uniqueness certificates, the root searches and the sweep
over a batch of races, compiled with ``numba.njit(cache=True)``. The Python side
(batching the races, handing states to the all-roots search, the result type) is
``patentrace.solvers.compiled``, which documents the method.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

_EPS = float(np.finfo(float).eps)
_TINY = float(np.finfo(float).tiny)
# As in allroots: a deviation may gain at most this fraction of the continuation values.
_GAIN_TOLERANCE = 1e-10
# As in backward: continuation values below this multiple of the prize have left the float range.
_FLOAT_FLOOR = 1e-290
_HALLEY_STEPS = 60
_NEWTON_STEPS = 200
# Iterations of the squeeze certificate (_squeezed): a map contracting by 1/2 needs about 46 to reach rounding.
_SQUEEZE_STEPS = 60


# What _certified proves about a state.
_UNCERTIFIED, _UNIQUE, _IDLE_FIRST, _IDLE_SECOND = 0, 1, 2, 3
# How a state was solved, counted in CompiledSweep.paths.
_PAIR_PATH, _COMPOSITE_PATH, _IDLE_PATH, _ALLROOTS_PATH, _MIRROR_PATH = 0, 1, 2, 3, 4

_jit = numba.njit(cache=True, error_model="numpy", nogil=True)

# Columns of the (2, _COLUMNS) array that describes both firms' problems at a state.
_OWN, _RIVAL, _LAM, _INV_LAM, _A, _INV_A, _G, _M, _LOG_A, _LOG_KAPPA = range(10)
_COLUMNS = 10


@_jit
def _response(par: FloatArray, k: int, h: float, r: float) -> float:  # pragma: no cover - compiled
    """Firm ``k``'s best response to rival hazard ``h``: docs/theory/race.md (1) for ``c = m x + a x**g / g``.

    The root of ``c'(x)(s + x) - c(x) = q`` with ``s = (r + h) / lambda`` and
    ``q = r A + h (A - B)``, 0 where ``Q = q - m s <= 0`` (costs.power_best_response):
    the cancellation-free closed form for ``g = 2``, otherwise Halley's method on
    ``F(t) = (g - 1) t + log(s + (1 - 1/g) e^t) - log(Q / a)`` in ``t = log x`` from its
    upper bound, each step clamped to a bracket whose ends differ by ``2**(1/(g-1))``.
    """
    own, m = par[k, _OWN], par[k, _M]
    # s and Q as costs.power_best_response computes them (a division, not the reciprocal), so that
    # a firm exactly at its participation threshold (Q = 0 in exact arithmetic) idles on both paths.
    s = (r + h) / par[k, _LAM]
    gain = r * own + h * (own - par[k, _RIVAL]) - m * s
    return _response_to_gain(par, k, gain, s)


@_jit
def _response_to_gain(par: FloatArray, k: int, gain: float, s: float) -> float:  # pragma: no cover - compiled
    """The root of ``a s x**(g-1) + a (1 - 1/g) x**g = Q`` for ``Q = gain > 0``, else 0 (see ``_response``)."""
    if not gain > 0.0:
        return 0.0
    g = par[k, _G]
    if g == 2.0:
        ratio = gain * par[k, _INV_A]
        return float(2.0 * ratio / (s + math.sqrt(s * s + 2.0 * ratio)))
    kappa = 1.0 - 1.0 / g
    log_ratio = math.log(gain) - par[k, _LOG_A]
    log_s, log_kappa, log_two = math.log(s), par[k, _LOG_KAPPA], math.log(2.0)
    upper = min((log_ratio - log_s) / (g - 1.0), (log_ratio - log_kappa) / g)
    lower = min((log_ratio - log_two - log_s) / (g - 1.0), (log_ratio - log_two - log_kappa) / g)
    t = upper
    for _ in range(_HALLEY_STEPS):
        grow = kappa * math.exp(t)
        residual = (g - 1.0) * t + math.log(s + grow) - log_ratio
        share = grow / (s + grow)
        slope = (g - 1.0) + share
        step = residual / (slope - 0.5 * residual * share * (1.0 - share) / slope)
        t_next = min(max(t - step, lower), upper)
        done = abs(t_next - t) <= 4.0 * _EPS * max(1.0, abs(t))
        t = t_next
        if done:
            break
    return math.exp(t)


@_jit
def _cost_terms(par: FloatArray, k: int, x: float) -> tuple[float, float, float]:  # pragma: no cover - compiled
    """``c(x), c'(x), c''(x)`` of firm ``k``'s power cost (``c''(0)`` is 0 or inf for ``g != 2``)."""
    a, g, m = par[k, _A], par[k, _G], par[k, _M]
    if g == 2.0:
        return m * x + 0.5 * a * x * x, m + a * x, a
    if x == 0.0:
        return 0.0, m, math.inf if g < 2.0 else 0.0
    power = a * x ** (g - 1.0)
    return m * x + power * x / g, m + power, (g - 1.0) * power / x


@_jit
def _value(par: FloatArray, k: int, x: float, h: float, r: float) -> float:  # pragma: no cover - compiled
    """``V(x) = [-c(x) + lambda x A + h B] / (r + lambda x + h)`` (patentrace.equations.hjb.FirmProblem.flow_value)."""
    hazard = par[k, _LAM] * x
    level = _cost_terms(par, k, x)[0]
    return float((-level + hazard * par[k, _OWN] + h * par[k, _RIVAL]) / (r + hazard + h))


@_jit
def _inverse_marginal(par: FloatArray, k: int, slope: float) -> float:  # pragma: no cover - compiled
    """``((y - m) / a)**(1 / (g - 1))``, 0 where ``y <= m`` (costs.power_inverse_marginal)."""
    excess = max(slope - par[k, _M], 0.0)
    g = par[k, _G]
    if g == 2.0:
        return float(excess * par[k, _INV_A])
    return float((excess * par[k, _INV_A]) ** (1.0 / (g - 1.0)))


@_jit
def _response_slope(par: FloatArray, k: int, x: float, h: float, r: float) -> float:  # pragma: no cover - compiled
    """``dBR/dh = (A - B - c'(x)/lambda) / (c''(x) (s + x))`` at an interior response ``x``; 0 when idle."""
    if x <= 0.0:
        return 0.0
    _, slope, bend = _cost_terms(par, k, x)
    inv_lam = par[k, _INV_LAM]
    return float((par[k, _OWN] - par[k, _RIVAL] - slope * inv_lam) / (bend * ((r + h) * inv_lam + x)))


@_jit
def _certified(par: FloatArray, r: float, bound0: float, bound1: float) -> int:  # pragma: no cover - compiled
    """Whether a state's game provably has one equilibrium (allroots._unique_root, and idling).

    Returns ``_UNCERTIFIED``, ``_UNIQUE``, or ``_IDLE_FIRST`` / ``_IDLE_SECOND`` when firm 0 /
    firm 1 idles whatever its rival does. Five certificates, each a proof
    (docs/performance.md):

    - idling: the net gain of (1) is affine in the rival's hazard, so a firm that idles
      at both ends of the range idles throughout; ``T`` is then constant;
    - concavity: both firms' efforts are complements (``V > B`` at every rival hazard,
      equivalently ``max_x [lambda x (A - B) - c(x)] > r B``, a convex conjugate in
      closed form), ``g >= 2`` and each firm invests at every rival hazard in range;
    - contraction: the Lipschitz bound of allroots below 1/2;
    - flatness: ``T`` is monotone, so ``T(X) <= T(0)`` makes it non-increasing;
    - squeeze: where ``T`` increases, iterating it on an interval that holds every fixed
      point shrinks the interval to rounding (``_squeezed``).
    """
    concave = True
    idle_first = idle_second = False
    for k in range(2):
        own, rival, m, g = par[k, _OWN], par[k, _RIVAL], par[k, _M], par[k, _G]
        widest = par[1 - k, _LAM] * (bound1 if k == 0 else bound0)
        invests_alone = r * own - m * (r / par[k, _LAM]) > 0.0
        invests_crowded = r * own + widest * (own - rival) - m * ((r + widest) / par[k, _LAM]) > 0.0
        if not (invests_alone or invests_crowded):
            if k == 0:
                idle_first = True
            else:
                idle_second = True
        if concave and g >= 2.0 and invests_alone and invests_crowded:
            # max_x [y x - c(x)] = a (1 - 1/g) x^g at c'(x) = y: the conjugate of the power cost.
            peak = _inverse_marginal(par, k, par[k, _LAM] * (own - rival))
            conjugate = par[k, _A] * (1.0 - 1.0 / g) * (peak * peak if g == 2.0 else peak**g)
            surplus = conjugate - r * rival
            concave = surplus > 1e-12 * (conjugate + r * abs(rival)) + _TINY
        else:
            concave = False
    if idle_first:
        return _IDLE_FIRST
    if idle_second:
        return _IDLE_SECOND
    if concave or _kinked_concavity(par, r, bound0, bound1):
        return _UNIQUE
    lipschitz = par[0, _LAM] * par[1, _LAM]
    for k in range(2):
        widest = par[1 - k, _LAM] * (bound1 if k == 0 else bound0)
        alone = _response(par, k, 0.0, r)
        crowded = _response(par, k, widest, r)
        gap = _value(par, k, alone, 0.0, r) - par[k, _RIVAL]
        bend = min(_cost_terms(par, k, alone)[2], _cost_terms(par, k, crowded)[2])
        lipschitz = lipschitz * par[k, _LAM] * abs(gap) / (bend * r)
    if lipschitz < 0.5:  # a NaN bound (0 / 0) certifies nothing
        return _UNIQUE
    # T is monotone (docs/solver.md); if it does not rise from 0 to the top of the range it is
    # non-increasing, and phi strictly decreasing (allroots: ``~increasing``). If it rises by at
    # most rounding, T maps [0, top] into [T(0), T(top)], so every fixed point lies within 64
    # ulps of the range: one equilibrium at float precision (allroots merges roots far wider
    # apart, 1e-8 of the range). This is the state of a firm whose best response is flat
    # because its rival's move leaves its value unchanged (V = B), seen only through rounding.
    p = 1 if par[1, _LAM] * bound1 > par[0, _LAM] * bound0 else 0
    o = 1 - p
    top = (bound1 if p == 1 else bound0) * (1.0 + 1e-9) + _TINY
    at_zero = _response(par, p, par[o, _LAM] * _response(par, o, 0.0, r), r)
    at_top = _response(par, p, par[o, _LAM] * _response(par, o, par[p, _LAM] * top, r), r)
    if at_top <= at_zero + 64.0 * _EPS * top or _squeezed(par, r, p, at_zero, at_top, top):
        return _UNIQUE
    return _idle_by_elimination(par, r, bound0, bound1)


@_jit
def _squeezed(par: FloatArray, r: float, p: int, low: float, high: float, top: float) -> bool:  # pragma: no cover
    """Whether the fixed points of an increasing ``T`` all lie within 64 ulps of ``top``.

    An increasing ``T`` maps ``[0, top]`` into ``[T(0), T(top)] = [low, high]``, and any
    interval ``[u, v]`` holding every fixed point into ``[T(u), T(v)]``, which holds them
    too. Iterating from ``[low, high]`` (each end widened by 16 ulps against rounding)
    squeezes the interval onto the fixed points: it shrinks below 64 ulps where they are
    one (``T`` contracts around it, however steep it is elsewhere, e.g. where a rival's
    best response has the infinite slope of a power cost at its dropout point), and stops
    shrinking at the distance between them where there are several. Gives up when an
    iteration shrinks the interval by less than 10%.
    """
    o = 1 - p
    slack = 16.0 * _EPS * top
    for _ in range(_SQUEEZE_STEPS):
        if high - low <= 64.0 * _EPS * top:
            return True
        next_low = _response(par, p, par[o, _LAM] * _response(par, o, par[p, _LAM] * low, r), r) - slack
        next_high = _response(par, p, par[o, _LAM] * _response(par, o, par[p, _LAM] * high, r), r) + slack
        if not next_high - next_low < 0.9 * (high - low):
            return False
        low, high = max(next_low, low), min(next_high, high)
    return False


@_jit
def _idle_by_elimination(par: FloatArray, r: float, bound0: float, bound1: float) -> int:  # pragma: no cover
    """Idling proved by shrinking the efforts' ranges with monotone best responses, or ``_UNCERTIFIED``.

    Every equilibrium has ``x_k`` in ``[0, X_k]``. Each best response is monotone in the
    rival's hazard (docs/solver.md), so ``x_0 = BR_0(lambda_1 x_1)`` lies between the
    responses to the ends of firm 1's range, and so on, alternately: the ranges only
    shrink and always hold every equilibrium. If a firm's net gain ``Q`` (affine in the
    rival's hazard) is ``<= 0`` at both ends of its rival's range, it idles in every
    equilibrium, which is then unique: the state of a firm that would invest only if
    pressed harder than its rival can press it (with breakthroughs, ``A - K < 0``).
    """
    low = np.zeros(2)
    high = np.array([bound0, bound1])
    for _ in range(8):
        for k in range(2):
            o = 1 - k
            h_low, h_high = par[o, _LAM] * low[o], par[o, _LAM] * high[o]
            if _idle_gain(par, k, h_low, r) <= 0.0 and _idle_gain(par, k, h_high, r) <= 0.0:
                return _IDLE_FIRST if k == 0 else _IDLE_SECOND
            first, second = _response(par, k, h_low, r), _response(par, k, h_high, r)
            low[k] = max(min(first, second) * (1.0 - 1e-9) - _TINY, 0.0)
            high[k] = max(first, second) * (1.0 + 1e-9) + _TINY
    return _UNCERTIFIED


@_jit
def _idle_gain(par: FloatArray, k: int, h: float, r: float) -> float:  # pragma: no cover - compiled
    """``Q = r A + h (A - B) - c'(0) (r + h) / lambda``: firm ``k`` invests at rival hazard ``h`` iff ``Q > 0``."""
    own = par[k, _OWN]
    return float(r * own + h * (own - par[k, _RIVAL]) - par[k, _M] * ((r + h) / par[k, _LAM]))


@_jit
def _complements(par: FloatArray, k: int, r: float) -> bool:  # pragma: no cover - compiled
    """``V > B`` at every rival hazard: ``max_x [lambda x (A - B) - c(x)] > r B`` (the conjugate in closed form)."""
    own, rival, g = par[k, _OWN], par[k, _RIVAL], par[k, _G]
    peak = _inverse_marginal(par, k, par[k, _LAM] * (own - rival))
    conjugate = par[k, _A] * (1.0 - 1.0 / g) * (peak * peak if g == 2.0 else peak**g)
    return bool(conjugate - r * rival > 1e-12 * (conjugate + r * abs(rival)) + _TINY)


@_jit
def _kinked_concavity(par: FloatArray, r: float, bound0: float, bound1: float) -> bool:  # pragma: no cover
    """The concavity certificate where one firm invests only when pressed (docs/howto/breakthroughs.md).

    Complements and ``g >= 2`` for both firms. In equilibrium the pivot ``p`` faces at least
    the hazard ``lambda_o BR_o(0)`` (best responses increase); if it invests at both ends of
    ``[lambda_o BR_o(0), lambda_o X_o]`` its best response is concave and increasing there.
    If the other firm invests at every hazard, ``T`` is concave with ``T(0) > 0``: one root.
    If it invests only above a threshold ``h*`` (``Q_o(0) <= 0 < Q_o(lambda_p X_p)``, as with
    breakthroughs when ``A - K < 0``), ``T`` equals ``BR_p(0)`` below ``y* = h* / lambda_p`` and
    is concave increasing above; with ``BR_p(0) > y*`` (the other firm invests against the
    pivot's response to an idle rival) ``phi > 0`` below ``y*`` and ``phi`` is concave above,
    positive at ``y*`` and ``<= 0`` at ``X_p``: again exactly one root.
    """
    for k in range(2):
        if par[k, _G] < 2.0 or not _complements(par, k, r):
            return False
    p = 1 if par[1, _LAM] * bound1 > par[0, _LAM] * bound0 else 0
    o = 1 - p
    bound_p, bound_o = (bound1, bound0) if p == 1 else (bound0, bound1)
    if not _idle_gain(par, p, par[o, _LAM] * bound_o, r) > 0.0:
        return False
    if not _idle_gain(par, o, par[p, _LAM] * bound_p, r) > 0.0:
        return False
    if not _idle_gain(par, p, par[o, _LAM] * _response(par, o, 0.0, r), r) > 0.0:
        return False
    if _idle_gain(par, o, 0.0, r) > 0.0:
        return True
    return _idle_gain(par, o, par[p, _LAM] * _response(par, p, 0.0, r), r) > 0.0


@_jit
def _newton_pair(par: FloatArray, r: float, x0: float, x1: float, out: FloatArray) -> bool:  # pragma: no cover
    """Newton's method on both first-order conditions (1) from interior efforts ``(x0, x1)``.

    ``F_k = c_k'(x_k)(r + h_k + h_o)/lambda_k - c_k(x_k) - r A_k - h_o (A_k - B_k)``, with
    ``dF_k/dx_k = c_k''(x_k)(r + h_k + h_o)/lambda_k`` and
    ``dF_k/dx_o = lambda_o (c_k'(x_k)/lambda_k - A_k + B_k)`` (allroots._newton_on_conditions).
    Returns False, leaving the state to the bracketing search, if an iterate leaves the
    interior or 20 steps do not converge; the caller checks the result either way.
    """
    own0, own1, rival0, rival1 = par[0, _OWN], par[1, _OWN], par[0, _RIVAL], par[1, _RIVAL]
    lam0, lam1, inv0, inv1 = par[0, _LAM], par[1, _LAM], par[0, _INV_LAM], par[1, _INV_LAM]
    for _ in range(20):
        h0, h1 = lam0 * x0, lam1 * x1
        total = r + h0 + h1
        level0, slope0, bend0 = _cost_terms(par, 0, x0)
        level1, slope1, bend1 = _cost_terms(par, 1, x1)
        f0 = slope0 * total * inv0 - level0 - r * own0 - h1 * (own0 - rival0)
        f1 = slope1 * total * inv1 - level1 - r * own1 - h0 * (own1 - rival1)
        j00, j11 = bend0 * total * inv0, bend1 * total * inv1
        j01 = lam1 * (slope0 * inv0 - own0 + rival0)
        j10 = lam0 * (slope1 * inv1 - own1 + rival1)
        inverse = 1.0 / (j00 * j11 - j01 * j10)
        step0 = (f0 * j11 - j01 * f1) * inverse
        step1 = (j00 * f1 - j10 * f0) * inverse
        # A step that would cut an effort by more than 40% (a far-behind firm, whose effort can
        # be orders of magnitude below its neighbour's) is replaced by that firm's best response
        # to the other's current effort.
        next0 = x0 - step0 if step0 <= 0.4 * x0 else _response(par, 0, h1, r)
        next1 = x1 - step1 if step1 <= 0.4 * x1 else _response(par, 1, lam0 * next0, r)
        if not (next0 > 0.0 and next1 > 0.0 and next0 < math.inf and next1 < math.inf):
            return False
        x0, x1 = next0, next1
        # Quadratic convergence: after a step below 1e-8 of the iterate it is exact to rounding
        # (the caller's check confirms it).
        if abs(step0) <= 1e-8 * x0 and abs(step1) <= 1e-8 * x1:
            out[0], out[1] = x0, x1
            return True
    return False


@_jit
def _composite_root(par: FloatArray, r: float, p: int, top: float, guess: float) -> float:  # pragma: no cover
    """The root of ``phi(y) = BR_p(lambda_o BR_o(lambda_p y)) - y`` in ``[0, top]``; NaN if none converges.

    Newton's method with ``phi' = T' - 1`` from implicit differentiation of (1), safeguarded
    by bisection on the bracket ``phi(0) >= 0 > phi(top)`` (top: the bound on ``X``).
    """
    o = 1 - p
    lam_p, lam_o = par[p, _LAM], par[o, _LAM]
    f_lo = _response(par, p, lam_o * _response(par, o, 0.0, r), r)
    if f_lo == 0.0:  # the pivot idles against the other's best response
        return 0.0
    lo, hi = 0.0, top
    y = guess if 0.0 < guess < top else f_lo if f_lo < top else top
    for _ in range(_NEWTON_STEPS):
        h_p = lam_p * y
        x_o = _response(par, o, h_p, r)
        h_o = lam_o * x_o
        x_p = _response(par, p, h_o, r)
        f = x_p - y
        if f == 0.0:
            return y
        if f > 0.0:
            lo = y
        else:
            hi = y
        slope = _response_slope(par, p, x_p, h_o, r) * lam_o * _response_slope(par, o, x_o, h_p, r) * lam_p - 1.0
        following = y - f / slope
        if not (slope < 0.0 and lo < following < hi):
            following = 0.5 * (lo + hi)
        small = abs(following - y) <= 1e-9 * abs(following)
        y = following
        if small or hi - lo <= 4.0 * _EPS * hi:
            return float(y)
    return math.nan


@_jit
def _settle(
    par: FloatArray, r: float, p: int, y: float, known_hazard: float, known_response: float, out: FloatArray
) -> int:  # pragma: no cover - compiled
    """Efforts and values from the pivot's root ``y``, checked as in allroots; 0 or a failure code.

    ``known_response`` is the pivot's best response to the rival hazard ``known_hazard``,
    if already computed (NaN otherwise).
    """
    o = 1 - p
    # The other firm's exact best response to the root; the pivot's must give the root back.
    h_p = par[p, _LAM] * y
    x_o = _response(par, o, h_p, r)
    h_o = par[o, _LAM] * x_o
    exact = known_response if h_o == known_hazard else _response(par, p, h_o, r)
    if not abs(exact - y) <= 64.0 * _EPS * y + _TINY:
        return 4
    inverse = 1.0 / (r + h_p + h_o)
    value_p = (-_cost_terms(par, p, y)[0] + h_p * par[p, _OWN] + h_o * par[p, _RIVAL]) * inverse
    value_o = (-_cost_terms(par, o, x_o)[0] + h_o * par[o, _OWN] + h_p * par[o, _RIVAL]) * inverse
    # No profitable deviation (allroots._deviation_gains); the other firm's is 0 by construction.
    if exact != y:
        gain = _value(par, p, exact, h_o, r) - value_p
        scale = max(abs(par[p, _OWN]), abs(par[p, _RIVAL]))
        if not gain <= _GAIN_TOLERANCE * scale + _TINY:
            return 5
    if not (math.isfinite(value_p) and math.isfinite(value_o)):
        return 5
    out[p], out[o], out[2 + p], out[2 + o] = y, x_o, value_p, value_o
    return 0


@_jit
def _solve_state(
    par: FloatArray, r: float, guess: FloatArray, out: FloatArray, paths: IntArray
) -> int:  # pragma: no cover - compiled
    """The unique equilibrium of one state into ``out`` (efforts, values); 0 or a failure code."""
    # Bounds on any best response: c'(x) <= lambda max(A, A - B) (allroots.effort_bound).
    bound0 = _inverse_marginal(par, 0, par[0, _LAM] * max(par[0, _OWN], par[0, _OWN] - par[0, _RIVAL]))
    bound1 = _inverse_marginal(par, 1, par[1, _LAM] * max(par[1, _OWN], par[1, _OWN] - par[1, _RIVAL]))
    certificate = _certified(par, r, bound0, bound1)
    if certificate == _UNCERTIFIED:
        return 1
    # The pivot: the firm with the larger hazard bound (firm 0 on ties), as in allroots.
    p = 1 if par[1, _LAM] * bound1 > par[0, _LAM] * bound0 else 0
    if certificate != _UNIQUE:
        # One firm idles at every hazard of its rival: the rival plays its best response to
        # an idle firm, and the root is that response (or 0 if the idle firm is the pivot).
        idler = 0 if certificate == _IDLE_FIRST else 1
        y = 0.0 if idler == p else _response(par, p, 0.0, r)
        paths[_IDLE_PATH] += 1
        return _settle(par, r, p, y, 0.0, y, out)
    # Fast attempt: Newton on both conditions from the neighbouring state's efforts.
    if (
        guess[0] > 0.0 and guess[1] > 0.0 and _newton_pair(par, r, guess[0], guess[1], out)
        and _settle(par, r, p, out[p], math.nan, math.nan, out) == 0
    ):
        paths[_PAIR_PATH] += 1
        return 0
    top = (bound1 if p == 1 else bound0) * (1.0 + 1e-9) + _TINY
    y = _composite_root(par, r, p, top, guess[p])
    if math.isnan(y):
        return 3
    paths[_COMPOSITE_PATH] += 1
    return _settle(par, r, p, y, math.nan, math.nan, out)


@_jit
def _vanished(par: FloatArray) -> int:  # pragma: no cover - compiled
    """A firm with ``A = B = 0`` and ``c'(0) = 0`` (values below the float range), or -1.

    With breakthroughs the values are shifted (``A - K = B - K < 0`` when both real values
    vanish): such a firm's net gain ``Q = r (A - K) - c'(0) r / lambda < 0`` does not depend
    on the rival's hazard, so it idles too.
    """
    for k in range(2):
        own = par[k, _OWN]
        if own == par[k, _RIVAL] and own <= 0.0 and (own < 0.0 or par[k, _M] == 0.0):
            return k
    return -1


@_jit
def _warm_start(
    effort: FloatArray, first: int, second: int, row_below: bool, column_right: bool, guess: FloatArray
) -> FloatArray:  # pragma: no cover - compiled
    """Efforts to start Newton from: ``x(i, j+1) + x(i+1, j) - x(i+1, j+1)`` where all three are open states."""
    if row_below and column_right:
        for firm in range(2):
            guess[firm] = effort[firm, second] + effort[firm, first] - effort[firm, first + 1]
            if not guess[firm] > 0.0:
                guess[firm] = effort[firm, second]
    else:
        near = second if column_right else first
        guess[0], guess[1] = effort[0, near], effort[1, near]
    return guess


@_jit
def _sweep_kernel(
    stages: IntArray, offset: IntArray, discount: FloatArray, prize: FloatArray, loser: FloatArray,
    scale: FloatArray, exponent: FloatArray, linear: FloatArray,
    productivity: FloatArray, productivity_start: IntArray, breakthrough: FloatArray,
    effort: FloatArray, hazard: FloatArray, value: FloatArray, win: FloatArray,
    duration: FloatArray, multiplicity: IntArray, underflow: NDArray[np.bool_],
    status: IntArray, failed_state: IntArray, paths: IntArray, underflow_count: IntArray,
    done: NDArray[np.bool_], given: NDArray[np.bool_], pending: NDArray[np.bool_], active: NDArray[np.bool_],
    mirror: NDArray[np.bool_], first_call: bool, hand_over: bool,
) -> None:  # pragma: no cover - compiled
    """Sweep the open states of every ``active`` race whose successors are ``done``, row by row.

    On the first call the terminal states are filled and marked done. A state whose
    successors are both done is *ready*: if it is ``given`` (its effort, value and
    multiplicity were written by the all-roots search, ``sweep_races``), only its
    jump-chain quantities and underflow flags are computed here; otherwise it is solved
    (``_solve_state``). A ready state that cannot be settled records its failure code
    and state in ``status`` / ``failed_state`` (the first one, in row order); with
    ``hand_over`` it is marked ``pending`` and the sweep goes on with every state that
    does not depend on it, otherwise the race stops there.

    In a ``mirror`` race (the firms are interchangeable, ``patentrace.solvers.selection.interchangeable``)
    a state ``(i, j)`` with ``i < j`` is the mirror image of ``(j, i)``, solved earlier in the
    same pass (a higher row): it gets that state's efforts, values and multiplicity with the
    firms exchanged, and waits while ``(j, i)`` is pending. At a level state ``(i, i)`` the
    certified unique equilibrium is symmetric, and both firms get the first firm's effort
    and value (they agree to rounding), so that the race comes out symmetric to rounding.
    """
    par = np.empty((2, _COLUMNS))
    guess = np.zeros(2)
    out = np.empty(4)
    for k in range(stages.shape[0]):
        if not active[k]:
            continue
        n1, n2, start = stages[k, 0], stages[k, 1], offset[k]
        width = n2 + 1
        base, big, small = discount[k], prize[k], loser[k]
        for firm in range(2):
            a, g = scale[firm, k], exponent[firm, k]
            par[firm, _A], par[firm, _INV_A], par[firm, _G], par[firm, _M] = a, 1.0 / a, g, linear[firm, k]
            par[firm, _LOG_A], par[firm, _LOG_KAPPA] = math.log(a), math.log(1.0 - 1.0 / g)
        if first_call:
            # Terminal states (docs/theory/race.md (4)) and the jump chain's boundary values (patentrace.results.chain);
            # open states are all written below.
            for i in range(n1 + 1):
                for j in range(n2 + 1) if i == n1 else range(n2, n2 + 1):
                    here = start + i * width + j
                    done[here] = True
                    effort[0, here] = effort[1, here] = 0.0
                    hazard[0, here] = hazard[1, here] = 0.0
                    underflow[0, here] = underflow[1, here] = False
                    multiplicity[here] = 1
                    duration[here] = 0.0
                    if i == n1 and j == n2:
                        value[0, here] = value[1, here] = 0.5 * (big + small)
                        win[0, here] = win[1, here] = 0.5
                        multiplicity[here] = 0
                    elif i == n1:
                        value[0, here], value[1, here] = big, small
                        win[0, here], win[1, here] = 1.0, 0.0
                    else:
                        value[0, here], value[1, here] = small, big
                        win[0, here], win[1, here] = 0.0, 1.0
        stop = False
        for i in range(n1 - 1, -1, -1):
            lam0 = productivity[0, productivity_start[0, k] + i]
            b0 = breakthrough[0, productivity_start[0, k] + i]
            par[0, _LAM], par[0, _INV_LAM] = lam0, 1.0 / lam0
            for j in range(n2 - 1, -1, -1):
                here = start + i * width + j
                first, second = here + width, here + 1  # after firm 0's, firm 1's success
                if done[here] or not (done[first] and done[second]):
                    continue  # solved already, or waits for a state handed to the all-roots search
                lam1 = productivity[1, productivity_start[1, k] + j]
                b1 = breakthrough[1, productivity_start[1, k] + j]
                par[1, _LAM], par[1, _INV_LAM] = lam1, 1.0 / lam1
                # Breakthroughs (race.md (14)-(15)): the state game without them at discount r + b0 + b1, every
                # value of firm k lowered by K_k (backward.breakthrough_shift); exact no-ops at b = 0.
                r = base + b0 + b1
                shift0, shift1 = (b0 * big + b1 * small) / r, (b1 * big + b0 * small) / r
                par[0, _OWN], par[1, _OWN] = value[0, first] - shift0, value[1, second] - shift1
                par[0, _RIVAL], par[1, _RIVAL] = value[0, second] - shift0, value[1, first] - shift1
                if mirror[k] and i < j:
                    source = start + j * width + i  # (j, i), in a row already swept
                    if not done[source]:
                        continue  # (j, i) was handed over: so is, in effect, (i, j)
                    effort[0, here], effort[1, here] = effort[1, source], effort[0, source]
                    value[0, here], value[1, here] = value[1, source], value[0, source]
                    multiplicity[here] = multiplicity[source]
                    out[0], out[1] = effort[0, here], effort[1, here]
                    paths[_MIRROR_PATH] += 1
                    code = 0
                elif given[here]:
                    # Solved by the all-roots search: effort, value and multiplicity are in place.
                    out[0], out[1] = effort[0, here], effort[1, here]
                    paths[_ALLROOTS_PATH] += 1
                    code = 0
                else:
                    idler = _vanished(par)
                    if idler >= 0:
                        # A firm whose continuation values are both 0 with c'(0) = 0 has q = 0 at every
                        # rival hazard: it idles, and its rival plays its best response to an idle firm.
                        other = 1 - idler
                        response = _response(par, other, 0.0, r)
                        hazard_other = par[other, _LAM] * response
                        out[idler], out[other] = 0.0, response
                        out[2 + idler] = hazard_other * par[idler, _RIVAL] / (r + hazard_other)
                        out[2 + other] = _value(par, other, response, 0.0, r)
                        paths[_IDLE_PATH] += 1
                        code = 0
                    else:
                        code = _solve_state(par, r, _warm_start(effort, first, second, i + 1 < n1, j + 1 < n2, guess),
                                            out, paths)
                    if code != 0:
                        if status[k] == 0:
                            status[k] = code
                            failed_state[k, 0], failed_state[k, 1] = i, j
                        if not hand_over:
                            stop = True
                            break
                        pending[here] = True
                        continue
                    if mirror[k] and i == j:  # the unique equilibrium of a symmetric game is symmetric
                        out[1], out[3] = out[0], out[2]
                    effort[0, here], effort[1, here] = out[0], out[1]
                    value[0, here], value[1, here] = out[2] + shift0, out[3] + shift1
                    multiplicity[here] = 1
                done[here] = True
                h0, h1 = lam0 * out[0], lam1 * out[1]
                hazard[0, here], hazard[1, here] = h0, h1
                underflow[0, here] = underflow[1, here] = False
                # Underflow flags (backward._underflow): zero effort with a net gain positive beyond
                # rounding, or with c'(0) = 0 and continuation values below the float range.
                for firm in range(2):
                    if out[firm] == 0.0:
                        own, rival, m = par[firm, _OWN], par[firm, _RIVAL], par[firm, _M]
                        h = h1 if firm == 0 else h0
                        participation = m * ((r + h) / par[firm, _LAM])
                        gain = r * own + h * (own - rival) - participation
                        rounding = 64.0 * _EPS * (r * abs(own) + h * (abs(own) + abs(rival)) + participation)
                        shift = shift0 if firm == 0 else shift1
                        # with a breakthrough shift K > 0 the idling is decided by K, not by rounding
                        vanished = m == 0.0 and shift == 0.0 and max(abs(own + shift), abs(rival + shift)) < (
                            _FLOAT_FLOOR * big)
                        if gain > rounding or vanished:
                            underflow[firm, here] = True
                            underflow_count[k] += 1
                if b0 + b1 > 0.0:
                    # The values in the direct form of the HJB (hjb.FirmProblem.flow_value): V - K loses the digits of V
                    # when the shift K is much larger than V (backward._direct_values).
                    denominator = base + h0 + h1 + b0 + b1
                    value[0, here] = (-_cost_terms(par, 0, effort[0, here])[0] + h0 * value[0, first]
                                      + h1 * value[0, second] + b0 * big + b1 * small) / denominator
                    value[1, here] = (-_cost_terms(par, 1, effort[1, here])[0] + h1 * value[1, second]
                                      + h0 * value[1, first] + b1 * big + b0 * small) / denominator
                _jump_chain(here, first, second, h0, h1, b0, b1, win, duration)
            if stop:
                break


@_jit
def _jump_chain(
    here: int, first: int, second: int, h0: float, h1: float, b0: float, b1: float,
    win: FloatArray, duration: FloatArray,
) -> None:  # pragma: no cover - compiled
    """Win probabilities and expected duration at ``here`` (chain.win_probability_flat, chain.expected_duration_flat).

    The rates are divided by the largest of them first (chain.jump_weights), so subnormal or
    huge hazards give no 0/0 or inf/inf; a state where every rate is 0 is a stall.
    """
    scale = max(max(h0, h1), max(b0, b1))
    if scale > 0.0:
        w0, w1, j0, j1 = h0 / scale, h1 / scale, b0 / scale, b1 / scale
        total = w0 + w1 + j0 + j1
        win[0, here] = min((w0 * win[0, first] + w1 * win[0, second] + j0) / total, 1.0)
        win[1, here] = min((w0 * win[1, first] + w1 * win[1, second] + j1) / total, 1.0)
        after = 1.0 / scale  # inf beyond the float range, as the duration then is
        if w0 > 0.0:
            after += w0 * duration[first]
        if w1 > 0.0:
            after += w1 * duration[second]
        duration[here] = after / total
    else:
        win[0, here] = win[1, here] = 0.0
        duration[here] = math.inf
