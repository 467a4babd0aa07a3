"""Compiled passes over the states of a race with ``n`` firms, for ``patentrace.results.nfirm``.

The absorbing jump chain (win probabilities and expected durations, docs/theory/race.md (19))
and, for power costs, the HJB residual, each one pass over the flat states from the last to
the first. Kept apart so that ``import patentrace`` does not load numba: ``results.nfirm``
imports this module the first time it needs it.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = ["chain_pass", "residual_pass"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

_jit = numba.njit(cache=True, error_model="numpy", nogil=True)


@_jit
def chain_pass(shape: IntArray, strides: IntArray, hazard: FloatArray, breakthrough: FloatArray, win: FloatArray,
               duration: FloatArray) -> None:  # pragma: no cover - compiled
    """Win probabilities and expected durations (docs/theory/race.md (19)) in one pass, rates scaled once."""
    firms = hazard.shape[0]
    moves, jumps = np.empty(firms), np.empty(firms)
    coordinate = shape - 1
    for s in range(duration.size - 1, -1, -1):
        done = _finished(coordinate, shape)
        if done:
            for k in range(firms):
                win[k, s] = 1.0 / done if coordinate[k] == shape[k] - 1 else 0.0
            _step_back(coordinate, shape)
            continue
        largest, total = _scaled_rates(hazard, breakthrough, s, moves, jumps)
        for j in range(firms):
            onward = jumps[j]
            for k in range(firms):
                if moves[k] > 0.0:
                    onward += moves[k] * win[j, s + strides[k]]
            win[j, s] = onward / total if largest > 0.0 else 0.0
        if largest > 0.0:
            onward = 0.0
            for k in range(firms):
                if moves[k] > 0.0:
                    onward += moves[k] * duration[s + strides[k]]
            duration[s] = (1.0 / largest + onward) / total
        else:
            duration[s] = np.inf
        _step_back(coordinate, shape)


@_jit
def _finished(coordinate: IntArray, shape: IntArray) -> int:  # pragma: no cover - compiled
    """How many firms have finished at the state ``coordinate`` (``Lattice.finished``)."""
    count = 0
    for k in range(shape.size):
        if coordinate[k] == shape[k] - 1:
            count += 1
    return count


@_jit
def _step_back(coordinate: IntArray, shape: IntArray) -> None:  # pragma: no cover - compiled
    """The state before ``coordinate`` in C order (flat index minus one), in place."""
    for k in range(shape.size - 1, -1, -1):
        if coordinate[k] > 0:
            coordinate[k] -= 1
            return
        coordinate[k] = shape[k] - 1


@_jit
def _scaled_rates(hazard: FloatArray, breakthrough: FloatArray, s: int, moves: FloatArray,
                  jumps: FloatArray) -> tuple[float, float]:  # pragma: no cover - compiled
    """``_rates`` at one state: ``moves``, ``jumps`` divided by the largest rate; that rate and their total."""
    largest = 0.0
    for k in range(moves.size):
        largest = max(largest, hazard[k, s], breakthrough[k, s])
    safe = largest if largest > 0.0 else 1.0
    total_moves = total_jumps = 0.0
    for k in range(moves.size):  # 0 / safe is 0: no division where nothing breaks through
        moves[k] = hazard[k, s] / safe
        jumps[k] = breakthrough[k, s] / safe if breakthrough[k, s] != 0.0 else 0.0
        total_moves += moves[k]
        total_jumps += jumps[k]
    return largest, total_moves + total_jumps


@_jit
def residual_pass(shape: IntArray, strides: IntArray, tables: FloatArray, effort: FloatArray,
                  hazard: FloatArray, value: FloatArray, cost: FloatArray, model: FloatArray,
                  out: FloatArray) -> None:  # pragma: no cover - compiled
    """``NFirmEquilibrium.residual`` for power costs at the open states, the numpy path's operations per state.

    ``tables[0, k, i]`` and ``tables[1, k, i]`` are firm ``k``'s productivity and breakthrough
    hazard at experience ``i``; ``cost[k] = (a, g, m)``; ``model = (r, P, L, v_min)``. Firm
    ``k``'s problem is against its aggregate rival (``equations.nfirm.aggregate_rival``),
    its residual that of ``verification.relative_residual``.
    """
    firms = effort.shape[0]
    r, prize, loser, smallest = model[0], model[1], model[2], model[3]
    jump = np.empty(firms)
    coordinate = shape - 1
    for s in range(effort.shape[1] - 1, -1, -1):
        if _finished(coordinate, shape):
            _step_back(coordinate, shape)
            continue
        total_jump = 0.0
        for k in range(firms):
            jump[k] = tables[1, k, coordinate[k]]
            total_jump += jump[k]
        for k in range(firms):
            lam = tables[0, k, coordinate[k]]
            weighted = h = 0.0
            for rival in range(firms):
                if rival != k:
                    weighted += value[k, s + strides[rival]] * hazard[rival, s]
                    h += hazard[rival, s]
            mean = weighted / h if h > 0.0 else 0.0
            x, v, own = effort[k, s], value[k, s], value[k, s + strides[k]]
            b_own, b_rival = jump[k], total_jump - jump[k]
            g = cost[k, 1]
            c = cost[k, 2] * x + cost[k, 0] * (x * x if g == 2.0 else x**g) / g  # x * x: numpy squares for g = 2
            hazard_own = lam * x
            flow = -c + hazard_own * (own - v) + h * (mean - v)
            flow = flow + b_own * (prize - v) + b_rival * (loser - v)
            raw = r * v - flow
            if raw == 0.0:
                out[k, s] = 0.0
                continue
            size = r * abs(v) + c
            size = size + hazard_own * (abs(own) + abs(v)) + h * (abs(mean) + abs(v))
            size = size + b_own * (abs(prize) + abs(v)) + b_rival * (abs(loser) + abs(v))
            rates = r + hazard_own + h + b_own + b_rival
            out[k, s] = abs(raw) / max(size, rates * smallest)
        _step_back(coordinate, shape)
