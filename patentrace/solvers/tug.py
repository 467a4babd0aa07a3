"""Newton's method with continuation for the tug-of-war (SPEC.md §6).

The state graph of the tug-of-war has cycles, so the ``2 (K - 1)`` interior values
are solved together. Each firm's effort is eliminated through the first-order
condition ``c'(x) = lambda (A - V)`` (patentrace.equations.tug), leaving the HJB of
every position as one equation in the values. Its Jacobian is banded: with the
unknowns ordered ``V0(1), V1(1), V0(2), V1(2), ...`` a row touches only the
positions ``k - 1, k, k + 1``, two bands either side of the diagonal, so a Newton
step is one banded LU solve (``scipy.linalg.solve_banded``), linear in ``K``.

Continuation: the productivities are scaled by ``t`` from 0 to 1. At ``t = 0``
nobody can move and every interior value is 0, exactly, with the Jacobian ``r I``;
the path is followed with steps that double after a success and shrink after a
failure, and the end point is polished by Newton to machine precision. That is the
selection rule of ``pr.solve``: the equilibrium on the branch that continues the
race in which nobody moves. Where the race has several equilibria,
``pr.solve_all`` looks for the others.

Examples
--------
>>> import patentrace as pr
>>> eq = solve_tug(pr.TugOfWar(length=3, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
>>> eq.solver.method, eq.solver.options["continuation_steps"] >= 1
('newton', True)
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import solve_banded

from patentrace._version import __version__
from patentrace.equations import tug as tug_equations
from patentrace.errors import EquilibriumError
from patentrace.models.tug_of_war import TugOfWar
from patentrace.results.equilibrium import SolverInfo
from patentrace.results.tug_equilibrium import TugEquilibrium

__all__ = ["NewtonDivergenceError", "TugSystem", "newton", "solve_tug"]

FloatArray = NDArray[np.float64]

_POLISH = 1e-14   # relative HJB residual at which Newton has converged
_PATH = 1e-9      # looser convergence on the way along the continuation path
_MAX_ITER = 60


class NewtonDivergenceError(Exception):
    """Newton did not converge; carries the last iterate and its scaled residual."""

    def __init__(self, values: FloatArray, residual: FloatArray):
        super().__init__("newton did not converge")
        self.values = values
        self.residual = residual


@dataclass(frozen=True)
class TugSystem:
    """The stacked HJB of a tug-of-war at productivity scale ``t``, and its banded Jacobian.

    Parameters
    ----------
    model : TugOfWar
        The race.
    scale : float
        ``t``: the productivities are ``t lambda_f(k)``.

    Examples
    --------
    >>> import numpy as np
    >>> import patentrace as pr
    >>> system = TugSystem(pr.TugOfWar(length=3, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), 0.0)
    >>> system.residual(np.zeros((2, 2))).tolist()   # nobody moves: V = 0 solves the HJB
    [[0.0, 0.0], [0.0, 0.0]]
    """

    model: TugOfWar
    scale: float

    @property
    def productivity(self) -> FloatArray:
        """``t lambda_f(k)``, shape ``(2, K - 1)``."""
        return self.scale * self.model.productivity_array()

    def residual(self, interior: FloatArray) -> FloatArray:
        """HJB residual ``r V - [...]`` at the first-order-condition efforts, shape ``(2, K - 1)``."""
        value = tug_equations.full_values(self.model, interior)
        lam = self.productivity
        effort = tug_equations.efforts(self.model, value, lam)
        return tug_equations.hjb_residual(self.model, value, effort, lam)

    def evaluate(self, interior: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Residual ``(2, K - 1)``, the Jacobian in banded form ``(5, 2 (K - 1))``, and the total rates.

        Rows and columns are ordered ``V0(1), V1(1), V0(2), ...``; ``bands[2 + i - j, j]``
        is ``dG_i / dV_j`` (the storage of ``scipy.linalg.solve_banded`` with two bands
        either side).
        """
        model = self.model
        lam = self.productivity
        value = tug_equations.full_values(model, interior)
        effort = tug_equations.efforts(model, value, lam)
        residual = tug_equations.hjb_residual(model, value, effort, lam)
        slope = tug_equations.effort_slopes(model, effort, lam)
        hazard = lam * effort
        _, rival_next = tug_equations.continuations(value)
        total = model.discount + hazard[0] + hazard[1]
        # derivative of firm f's residual through the rival's hazard: -(B_f - V_f) * lambda_rival * slope_rival
        cross = -(rival_next - interior) * (lam * slope)[::-1]
        n = 2 * model.interior
        bands = np.zeros((5, n))

        def put(rows: slice, offset: int, entries: FloatArray) -> None:
            index = np.arange(n)[rows]
            bands[2 - offset, index + offset] = entries

        bands[2, :] = np.repeat(total, 2)                 # dG_f(k) / dV_f(k)
        put(slice(0, n - 2, 2), 2, -hazard[0, :-1])       # firm 0: V0(k+1), own success
        put(slice(2, n, 2), -2, -hazard[1, 1:])           # firm 0: V0(k-1), rival success
        put(slice(2, n, 2), -1, cross[0, 1:])             # firm 0: V1(k-1), through h1(k)
        put(slice(0, n, 2), 1, -cross[0])                 # firm 0: V1(k), through h1(k)
        put(slice(3, n, 2), -2, -hazard[1, 1:])           # firm 1: V1(k-1), own success
        put(slice(1, n - 2, 2), 2, -hazard[0, :-1])       # firm 1: V1(k+1), rival success
        put(slice(1, n - 2, 2), 1, cross[1, :-1])         # firm 1: V0(k+1), through h0(k)
        put(slice(1, n, 2), -1, -cross[1])                # firm 1: V0(k), through h0(k)
        return residual, bands, total


def _scaled(residual: FloatArray, total: FloatArray, prize: float) -> float:
    """Largest ``|G| / (r + h0 + h1) / P``: the HJB residual in units of the prize."""
    return float(np.max(np.abs(residual) / total)) / prize


def newton(system: TugSystem, start: FloatArray, tolerance: float = _POLISH) -> tuple[FloatArray, int]:
    """Damped Newton on the stacked HJB from ``start`` (shape ``(2, K - 1)``).

    Returns the values and the number of iterations; raises ``NewtonDivergenceError`` when the
    scaled residual does not fall below ``tolerance`` within the iteration budget.

    Examples
    --------
    >>> import numpy as np
    >>> import patentrace as pr
    >>> system = TugSystem(pr.TugOfWar(length=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), 1.0)
    >>> values, _ = newton(system, np.zeros((2, 1)))
    >>> x = (1 - 0.1 + (1 + 0.4 + 0.01) ** 0.5) / 3        # Lee-Wilde, V = P - a x
    >>> bool(abs(values[0, 0] - (1 - x)) < 1e-14)
    True
    """
    prize = system.model.prize
    u = np.array(start, dtype=float)
    residual, bands, total = system.evaluate(u)
    error = _scaled(residual, total, prize)
    for iteration in range(1, _MAX_ITER + 1):
        try:
            step = solve_banded((2, 2), bands, -residual.T.ravel(), check_finite=False)
        except (np.linalg.LinAlgError, ValueError):
            raise NewtonDivergenceError(u, residual) from None
        step = step.reshape(-1, 2).T
        alpha = 1.0
        while True:
            trial = u + alpha * step
            t_residual, t_bands, t_total = system.evaluate(trial)
            t_error = _scaled(t_residual, t_total, prize)
            if np.isfinite(t_error) and (t_error <= (1.0 - 1e-4 * alpha) * error or t_error <= tolerance):
                break
            alpha *= 0.5
            if alpha < 1e-3:
                raise NewtonDivergenceError(u, residual)
        u, residual, bands, total, error = trial, t_residual, t_bands, t_total, t_error
        small_step = float(np.max(np.abs(alpha * step))) <= 1e-12 * prize
        if error <= tolerance and (small_step or error == 0.0):
            return u, iteration
    raise NewtonDivergenceError(u, residual)


def continuation(model: TugOfWar, start: FloatArray | None = None) -> tuple[FloatArray, dict[str, int]]:
    """Follow the equilibrium from productivity scale 0 (or from ``start`` at scale 1) to scale 1.

    With ``start`` given, Newton is run at scale 1 from it only (the multi-start of
    ``solve_all``). Returns the interior values and counts of steps and iterations;
    raises ``NewtonDivergenceError`` if the path cannot be followed.

    Examples
    --------
    >>> import patentrace as pr
    >>> values, counts = continuation(pr.TugOfWar(length=3, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> values.shape, counts["continuation_steps"] >= 1
    ((2, 2), True)
    """
    if start is not None:
        values, iterations = newton(TugSystem(model, 1.0), start)
        return values, {"continuation_steps": 0, "newton_iterations": iterations}
    u = np.zeros((2, model.interior))
    t, step, steps, iterations = 0.0, 1.0, 0, 0
    last: FloatArray | None = None
    last_t = 0.0
    while t < 1.0:
        target = min(1.0, t + step)
        guess = u if last is None else u + (u - last) * (target - t) / (t - last_t)
        try:
            found, used = newton(TugSystem(model, target), guess, _POLISH if target == 1.0 else _PATH)
        except NewtonDivergenceError:
            step *= 0.25
            if step < 1e-6:
                raise
            continue
        iterations += used
        steps += 1
        last, last_t, u, t = u, t, found, target
        step = min(2.0 * step, 1.0)
    return u, {"continuation_steps": steps, "newton_iterations": iterations}


def solve_tug(model: TugOfWar, tolerance: float = 1e-10) -> TugEquilibrium:
    """The equilibrium of a tug-of-war by continuation and Newton, checked state by state (SPEC.md §6).

    Parameters
    ----------
    model : TugOfWar
        The race.
    tolerance : float
        Largest HJB residual and largest gap between a stored effort and the best
        response of SPEC.md §1 equation (1) to the stored values, both relative to
        the prize, accepted at any position.

    Returns
    -------
    TugEquilibrium
        With ``solver.method == "newton"`` and the path counts in ``solver.options``.

    Raises
    ------
    EquilibriumError
        If the continuation stalls or the result fails a check; ``details`` name the
        firm, the position and the residual.

    Examples
    --------
    >>> import patentrace as pr
    >>> eq = solve_tug(pr.TugOfWar(length=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> round(float(eq.effort[0, 1]), 10)   # Lee-Wilde: (P - a r + sqrt(P^2 + 4 a P r + a^2 r^2)) / (3 a)
    0.6958114029
    """
    started = time.perf_counter()
    try:
        interior, counts = continuation(model)
    except NewtonDivergenceError as failure:
        raise _failure("continuation in the productivity scale did not converge", model, failure.values,
                       failure.residual) from None
    info = SolverInfo("newton", "continuation from the race in which nobody moves",
                      {"tolerance": tolerance, **counts}, __version__, 0.0)
    eq = TugEquilibrium.build(model, tug_equations.full_values(model, interior), info)
    check(eq, tolerance)
    seconds = time.perf_counter() - started
    return TugEquilibrium(eq.model, eq.effort, eq.hazard, eq.value, eq.win_probability, eq.expected_duration,
                          SolverInfo(info.method, info.selection, info.options, info.version, seconds))


def _failure(message: str, model: TugOfWar, interior: FloatArray, residual: FloatArray) -> EquilibriumError:
    firm, k = np.unravel_index(int(np.argmax(np.abs(residual))), residual.shape)
    return EquilibriumError(message, None, {
        "firm": int(firm), "position": int(k) + 1, "residual": float(residual[firm, k]),
        "value": float(interior[firm, k]), "length": model.length,
    })


def check(eq: TugEquilibrium, tolerance: float) -> None:
    """Raise unless every array is finite, the HJB holds and each effort is the best response (SPEC.md §6).

    The best response is recomputed from SPEC.md §1 equation (1) with the stored
    continuation values and the rival's stored hazard (the value eliminated), a second
    path to the effort than the first-order condition the solver used.

    Examples
    --------
    >>> import patentrace as pr
    >>> check(pr.solve(pr.TugOfWar(length=4, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())), 1e-10)
    """
    model = eq.model
    for name in ("effort", "hazard", "value", "win_probability"):
        array = getattr(eq, name)
        if not np.all(np.isfinite(array)):
            firm, k = np.argwhere(~np.isfinite(array))[0]
            raise EquilibriumError(f"{name} is not finite", None, {"firm": int(firm), "position": int(k)})
    residual = eq.residual()
    if not residual.max() <= tolerance:
        firm, k = np.unravel_index(int(np.argmax(residual)), residual.shape)
        raise EquilibriumError("HJB residual above tolerance", None, {
            "firm": int(firm), "position": int(k), "residual": float(residual[firm, k]), "tolerance": tolerance})
    own_next, rival_next = tug_equations.continuations(eq.value)
    lam = model.productivity_array()
    from patentrace.equations import hjb

    for f in (0, 1):
        response = hjb.best_response(model.cost[f], lam[f], own_next[f], rival_next[f], eq.hazard[1 - f, 1:-1],
                                     model.discount)
        scale = np.maximum(1.0, np.abs(response))
        gap = np.abs(response - eq.effort[f, 1:-1]) / scale
        if not gap.max() <= max(tolerance, 1e-8) ** 0.5 * 1e-2 + tolerance:
            k = int(np.argmax(gap))
            raise EquilibriumError("effort is not the best response to the values", None, {
                "firm": f, "position": k + 1, "effort": float(eq.effort[f, k + 1]), "best_response": float(response[k]),
            })
