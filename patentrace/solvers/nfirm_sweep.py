"""The whole-lattice sweep of ``patentrace.solvers.nfirm`` for power costs, compiled (docs/solver.md).

``plan_sweep`` orders the open states hyperplane by hyperplane (and, where all firms are
alike, picks one state per orbit of permutations); ``terminal_values`` fills the finished
states; ``sweep_planes`` then solves every open state in one compiled loop: continuation
values, the breakthrough shift, the effort bound, the certificate of
``patentrace.solvers.nfirm_kernels`` (``_contracted``, then the branch-and-bound ``_state``),
the equilibrium and its values, and the copies to permuted states. States no certificate
settles are marked ``HANDED`` and the loop stops at their hyperplane for the numpy search.
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
    _jit,
)
from patentrace.solvers.nfirm_kernels import BRANCHED, FAST, HANDED, UNIQUE, _contracted, _inline, _state

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

__all__ = ["plan_sweep", "sweep_planes", "terminal_values"]


@_jit
def _power_parameters(cost: FloatArray) -> FloatArray:  # pragma: no cover - compiled
    """The per-firm columns of ``par`` that do not change from state to state (``cost[k] = (a, g, m)``)."""
    firms = cost.shape[0]
    par = np.zeros((firms, _COLUMNS))
    for k in range(firms):
        a, g = cost[k, 0], cost[k, 1]
        par[k, _A], par[k, _INV_A], par[k, _G], par[k, _M] = a, 1.0 / a, g, cost[k, 2]
        par[k, _LOG_A], par[k, _LOG_KAPPA] = math.log(a), math.log(1.0 - 1.0 / g)
    return par


@_inline
def _effort_bound(par: FloatArray, after: FloatArray, bound: FloatArray) -> None:  # pragma: no cover - compiled
    """``StateGames.effort_bound`` at one state: ``c_k'(X_k) = lambda_k max(A_k, max_l (A_k - B_kl), 0)``."""
    firms = bound.shape[0]
    for k in range(firms):
        own = par[k, _OWN]
        spread = max(own, 0.0)
        for rival in range(firms):
            if rival != k:
                spread = max(spread, own - after[k, rival])
        excess = max(par[k, _LAM] * spread - par[k, _M], 0.0) * par[k, _INV_A]
        bound[k] = (excess if par[k, _G] == 2.0 else excess ** (1.0 / (par[k, _G] - 1.0))) * (1.0 + 1e-12)


@_inline
def _balance(x: FloatArray, coordinate: IntArray) -> None:  # pragma: no cover - compiled
    """``solvers.nfirm._balance`` at one state: firms at the same stage that agree to 1e-8 get the first's entry."""
    firms = x.shape[0]
    for k in range(1, firms):
        for first in range(k):
            if coordinate[k] == coordinate[first] and abs(x[k] - x[first]) <= 1e-8 * max(abs(x[first]), 1e-300):
                x[k] = x[first]


@_inline
def _values(par: FloatArray, raw: FloatArray, x: FloatArray, r: float, jump: FloatArray, prize: float,
            loser: float, out: FloatArray) -> None:  # pragma: no cover - compiled
    """Every firm's value (docs/theory/race.md (17)) at efforts ``x``, as ``hjb.FirmProblem.flow_value`` computes it.

    ``raw[k, l] = V_k(s + e_l)`` (unshifted), ``jump[k] = b_k``; the aggregate rival of
    ``equations.nfirm.aggregate_rival``.
    """
    firms = x.shape[0]
    total_jump = 0.0
    for k in range(firms):
        total_jump += jump[k]
    for k in range(firms):
        weighted = total = 0.0
        for rival in range(firms):
            if rival != k:
                h = par[rival, _LAM] * x[rival]
                weighted += raw[k, rival] * h
                total += h
        mean = weighted / total if total > 0.0 else 0.0
        hazard = par[k, _LAM] * x[k]
        g = par[k, _G]
        level = par[k, _M] * x[k] + par[k, _A] * (x[k] * x[k] if g == 2.0 else x[k] ** g) / g
        b_own, b_rival = jump[k], total_jump - jump[k]
        numerator = -level + hazard * raw[k, k] + total * mean
        numerator = numerator + b_own * prize + b_rival * loser
        out[k] = numerator / (r + hazard + total + b_own + b_rival)


@_jit
def sweep_planes(
    start: int, order: IntArray, offsets: IntArray, copies: IntArray, source: IntArray, perm: IntArray,
    copy_offsets: IntArray, strides: IntArray, shape: IntArray, lam: FloatArray, jump: FloatArray,
    cost: FloatArray, prize: float, loser: float, r: float, symmetric: bool, value: FloatArray,
    effort: FloatArray, status: IntArray,
) -> int:  # pragma: no cover - compiled
    """The backward sweep of ``solvers.nfirm`` for power costs, from hyperplane ``start`` on, compiled.

    Hyperplane ``p`` is solved at the flat states ``order[offsets[p]:offsets[p + 1]]``; a race
    of alike firms then copies each solved state to its permutations, ``copies[i]`` taking
    firm ``j``'s entries of ``source[i]`` as firm ``perm[j, i]``'s
    (``copy_offsets`` per hyperplane). At every state: the continuation values, the
    breakthrough shift of docs/theory/race.md (18), the effort bound, the fast certificate
    (``_contracted``), failing that the branch-and-bound (``_state``), then the values (17).
    ``status[s]`` becomes ``FAST``, ``BRANCHED`` or ``HANDED``. Returns the first hyperplane
    with a handed state, once its other states are written (its copies are not), or the
    number of hyperplanes when every state was certified.
    """
    firms, planes = lam.shape[0], offsets.size - 1
    par = _power_parameters(cost)
    raw, after = np.empty((firms, firms)), np.empty((firms, firms))
    work = (np.empty(firms), np.empty(firms), np.empty(firms), np.empty(firms), np.empty(firms), np.empty(firms),
            np.empty(firms), np.empty(firms), np.empty(firms))
    system = (np.empty((firms, firms)), np.empty((firms, firms)), np.empty((firms, firms)))
    x, bound, here, shift, out = np.empty(firms), np.empty(firms), np.empty(firms), np.empty(firms), np.empty(firms)
    coordinate = np.empty(firms, dtype=np.intp)
    for plane in range(start, planes):
        handed = False
        for position in range(offsets[plane], offsets[plane + 1]):
            s = order[position]
            total_jump = 0.0
            for k in range(firms):
                if symmetric:
                    coordinate[k] = (s // strides[k]) % shape[k]
                here[k] = jump[k, s]
                total_jump += here[k]
            rate = r + total_jump
            for k in range(firms):  # docs/theory/race.md (18); exactly 0 without breakthroughs
                shift[k] = (here[k] * prize + (total_jump - here[k]) * loser) / rate if total_jump > 0.0 else 0.0
                for rival in range(firms):
                    raw[k, rival] = value[k, s + strides[rival]]
                    after[k, rival] = raw[k, rival] - shift[k]
                par[k, _OWN], par[k, _LAM], par[k, _INV_LAM] = after[k, k], lam[k, s], 1.0 / lam[k, s]
            _effort_bound(par, after, bound)
            if _contracted(par, after, rate, bound, x, work, system):
                status[s] = FAST
            elif _state(par, after, rate, bound, x) == UNIQUE:
                status[s] = BRANCHED
            else:
                status[s] = HANDED
                handed = True
                continue
            if symmetric:
                _balance(x, coordinate)
            _values(par, raw, x, r, here, prize, loser, out)
            if symmetric:
                _balance(out, coordinate)
            for k in range(firms):
                effort[k, s], value[k, s] = x[k], out[k]
        if handed:
            return plane
        if symmetric:
            for i in range(copy_offsets[plane], copy_offsets[plane + 1]):
                for j in range(firms):
                    effort[perm[j, i], copies[i]] = effort[j, source[i]]
                    value[perm[j, i], copies[i]] = value[j, source[i]]
    return planes


@_jit
def plan_sweep(shape: IntArray, symmetric: bool) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray,
                                                          IntArray]:  # pragma: no cover - compiled
    """The order of ``sweep_planes``: ``order, offsets, copies, source, perm, copy_offsets`` (``solvers.nfirm._plan``).

    The open states (no firm finished) grouped by total stages completed, the largest total
    first, in flat order within a group (``Lattice.hyperplanes``). Without ``symmetric`` every
    open state is solved and nothing copied. With it, only the states with non-decreasing
    stage counts are solved, and every open state is a copy of its sorted state ``source``,
    firm ``perm[j]`` playing firm ``j``'s part (``perm`` the stable sort of its stage counts).
    """
    firms = shape.size
    strides = np.ones(firms, dtype=np.intp)
    for k in range(firms - 2, -1, -1):
        strides[k] = strides[k + 1] * shape[k + 1]
    size = strides[0] * shape[0]
    top = 0
    for k in range(firms):
        top += shape[k] - 2
    planes = top + 1
    counts = np.zeros(planes + 1, dtype=np.intp)
    plane_of = np.full(size, -1, dtype=np.intp)
    coordinate = np.zeros(firms, dtype=np.intp)
    for s in range(size):
        opened, total = True, 0
        for k in range(firms):
            opened = opened and coordinate[k] < shape[k] - 1
            total += coordinate[k]
        if opened:
            plane_of[s] = top - total
            counts[top - total + 1] += 1
        for k in range(firms - 1, -1, -1):  # the next state in C order
            if coordinate[k] < shape[k] - 1:
                coordinate[k] += 1
                break
            coordinate[k] = 0
    copy_offsets = np.cumsum(counts)
    copies = np.empty(copy_offsets[planes], dtype=np.intp)
    filled = copy_offsets[:planes].copy()
    for s in range(size):
        if plane_of[s] >= 0:
            copies[filled[plane_of[s]]] = s
            filled[plane_of[s]] += 1
    if not symmetric:
        return (copies, copy_offsets, np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp),
                np.zeros((firms, 0), dtype=np.intp), np.zeros(planes + 1, dtype=np.intp))
    source = np.empty(copies.size, dtype=np.intp)
    perm = np.empty((firms, copies.size), dtype=np.intp)
    canonical = np.zeros(copies.size, dtype=np.bool_)
    offsets = np.zeros(planes + 1, dtype=np.intp)
    order_ = np.empty(firms, dtype=np.intp)
    for i in range(copies.size):
        s = copies[i]
        for k in range(firms):
            coordinate[k] = (s // strides[k]) % shape[k]
            order_[k] = k
        for k in range(1, firms):  # insertion sort: stable
            j = k
            while j > 0 and coordinate[order_[j - 1]] > coordinate[order_[j]]:
                order_[j - 1], order_[j] = order_[j], order_[j - 1]
                j -= 1
        flat, ascending = 0, True
        for k in range(firms):
            perm[k, i] = order_[k]
            flat += coordinate[order_[k]] * strides[k]
            if k and coordinate[k - 1] > coordinate[k]:
                ascending = False
        source[i], canonical[i] = flat, ascending
        if ascending:
            offsets[plane_of[s] + 1] += 1
    return copies[canonical], np.cumsum(offsets), copies, source, perm, copy_offsets


@_jit
def terminal_values(shape: IntArray, prize: float, loser: float, value: FloatArray,
                    multiplicity: IntArray) -> None:  # pragma: no cover - compiled
    """``Lattice.terminal``'s values into ``value`` (n, size), and ``multiplicity`` 0 where several firms finished.

    A finished firm gets ``prize``, shared as ``(prize + (f - 1) loser) / f`` where ``f >= 2``
    firms have finished (unreachable states); the others ``loser``; 0 at open states, where
    ``multiplicity`` is 1, as at terminal states.
    """
    firms = shape.size
    coordinate = np.zeros(firms, dtype=np.intp)
    for s in range(value.shape[1]):
        done = 0
        for k in range(firms):
            if coordinate[k] == shape[k] - 1:
                done += 1
        count = float(max(done, 1))
        share = (prize + (count - 1.0) * loser) / count if done else 0.0
        for k in range(firms):
            value[k, s] = share if coordinate[k] == shape[k] - 1 else (loser if done else 0.0)
        multiplicity[s] = 0 if done > 1 else 1
        for k in range(firms - 1, -1, -1):  # the next state in C order
            if coordinate[k] < shape[k] - 1:
                coordinate[k] += 1
                break
            coordinate[k] = 0
