"""Solvers: pure functions from a model to its equilibrium.

:func:`solve` is the front door: it dispatches on the model's type.

Examples
--------
>>> import patentrace as pr
>>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
>>> eq.solver.method, eq.solver.selection
('backward', 'fastest')
"""

from __future__ import annotations

import numpy as np

from patentrace.equilibrium import Equilibrium
from patentrace.errors import EquilibriumError
from patentrace.models import Race
from patentrace.solvers.backward import single_firm, solve_race

__all__ = ["single_firm", "solve"]


def solve(
    model: Race,
    *,
    method: str = "backward",
    selection: str = "fastest",
    grid: int = 16,
    verify: bool = False,
    tolerance: float = 1e-8,
) -> Equilibrium:
    """Solve a model for its Markov perfect equilibrium.

    Parameters
    ----------
    model : Race
        The race (SPEC.md §1).
    method : {"backward"}
        Backward induction over anti-diagonals, every state's equilibria
        bracketed (:mod:`patentrace.solvers.backward`).
    selection : {"fastest", "slowest", "richest"}
        Where a state has several equilibria: the one with the largest total
        hazard (default), the smallest, or the largest joint value. The count is
        kept in ``Equilibrium.multiplicity`` either way.
    grid : int
        Resolution of the per-state root search (points per effort range).
    verify : bool
        Also run :meth:`Equilibrium.verify` and raise if a deviation gains more than
        ``tolerance`` (relative to the prize) or a residual exceeds it.
    tolerance : float
        Threshold for ``verify``.

    Returns
    -------
    Equilibrium
        Every state's efforts are mutual best responses (checked per state).

    Raises
    ------
    TypeError
        If ``model`` is not a supported model.
    EquilibriumError
        If an equilibrium cannot be certified; it names the state and the numbers.

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> eq = pr.solve(race, verify=True)
    >>> eq.effort.shape
    (2, 4, 3)
    """
    if not isinstance(model, Race):
        raise TypeError(f"model must be a patentrace.Race, got {type(model).__name__}")
    if method != "backward":
        raise ValueError(f"method must be 'backward' for a Race, got {method!r}")
    eq = solve_race(model, selection=selection, grid=grid)
    if verify:
        _certify(eq, tolerance)
    return eq


def _certify(eq: Equilibrium, tolerance: float) -> None:
    gain = eq.deviation_gain() / eq.model.prize
    residual = eq.residual()
    for name, array in (("deviation gain", gain), ("HJB residual", residual)):
        worst = np.unravel_index(int(np.argmax(array)), array.shape)
        if array[worst] > tolerance:
            firm, i, j = (int(v) for v in worst)
            raise EquilibriumError(
                f"verification failed: {name} above tolerance for firm {firm}",
                (i, j),
                {name.replace(" ", "_"): float(array[worst]), "tolerance": tolerance,
                 "effort": float(eq.effort[firm, i, j]), "value": float(eq.value[firm, i, j])},
            )
