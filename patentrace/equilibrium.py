"""The result of solving a race: arrays over states, the model, and a self-check.

An :class:`Equilibrium` is immutable and self-describing: it holds the model
that produced it, the solver that ran and how, and every per-state quantity of
SPEC.md §1 as arrays of shape ``(2, N1 + 1, N2 + 1)`` indexed ``[firm, i, j]``.
:meth:`Equilibrium.verify` re-derives optimality from the HJB without trusting
the solver: it searches each firm's effort at each state, rival held fixed.

Examples
--------
>>> import patentrace as pr
>>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
>>> round(float(eq.value[0, 0, 0]), 10)
0.1795728262
>>> check = eq.verify()
>>> check.max_deviation_gain < 1e-12 and check.max_residual < 1e-12
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from patentrace import verification
from patentrace.models import Race

__all__ = ["Equilibrium", "SolverInfo", "Verification"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

class Verification(NamedTuple):
    """What :meth:`Equilibrium.verify` found, both relative numbers.

    Attributes
    ----------
    max_deviation_gain : float
        Largest gain any firm could get by changing its effort at any one state,
        rival and continuation held fixed, divided by the prize.
    max_residual : float
        Largest HJB residual ``|r V - [-c + h (A - V) + h' (B - V)]|``, divided by
        the sum of the absolute values of its terms.
    """

    max_deviation_gain: float
    max_residual: float


@dataclass(frozen=True)
class SolverInfo:
    """How an equilibrium was computed.

    Attributes
    ----------
    method : str
        The solver, e.g. ``"backward"``.
    selection : str
        The rule applied where a state has several equilibria.
    options : dict
        The solver's numerical settings (grid, tolerances).
    version : str
        The patentrace version.
    seconds : float
        Wall-clock time of the solve.
    """

    method: str
    selection: str
    options: dict[str, Any]
    version: str
    seconds: float


def _frozen(array: NDArray[Any]) -> NDArray[Any]:
    out = np.array(array, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class Equilibrium:
    """A Markov perfect equilibrium of a :class:`~patentrace.Race` (SPEC.md §1).

    Attributes
    ----------
    model : Race
        The race solved.
    effort : ndarray, shape (2, N1 + 1, N2 + 1)
        ``effort[k, i, j]``: firm ``k``'s effort at state ``(i, j)``; 0 at terminal states.
    hazard : ndarray, shape (2, N1 + 1, N2 + 1)
        ``lambda_k * effort``: firm ``k``'s rate of completing its current stage.
    value : ndarray, shape (2, N1 + 1, N2 + 1)
        Expected discounted payoff; ``prize`` / ``loser_prize`` at terminal states.
        The unreachable corner ``(N1, N2)`` holds ``(prize + loser_prize) / 2``.
    win_probability : ndarray, shape (2, N1 + 1, N2 + 1)
        Probability that firm ``k`` wins; 1 / 0 at terminal states, 1/2 at the corner.
        The two sum to 1 except where both firms idle (the race stalls).
    expected_duration : ndarray, shape (N1 + 1, N2 + 1)
        Expected time until someone wins; ``inf`` where the race can stall.
    multiplicity : ndarray of int, shape (N1 + 1, N2 + 1)
        Equilibria found at each state given the selected continuation; 1 at
        terminal states, 0 at the unreachable corner.
    underflow : ndarray of bool, shape (2, N1 + 1, N2 + 1)
        True where firm ``k``'s effort is 0 only because its continuation values
        are below the float range (about 1e-290 of the prize): in theory it is
        positive but smaller than any double. With quadratic costs a firm's
        value roughly squares with each stage it is behind, so long races with
        a large ``discount * scale / prize`` reach this quickly.
    solver : SolverInfo
        Method, selection rule, options, version and timing.
    """

    model: Race
    effort: FloatArray
    hazard: FloatArray
    value: FloatArray
    win_probability: FloatArray
    expected_duration: FloatArray
    multiplicity: IntArray
    underflow: NDArray[np.bool_]
    solver: SolverInfo = field(repr=False)

    def __post_init__(self) -> None:
        for name in ("effort", "hazard", "value", "win_probability", "expected_duration", "multiplicity", "underflow"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    def __repr__(self) -> str:
        n1, n2 = self.model.stages
        many = int(np.sum(self.multiplicity > 1))
        return (
            f"Equilibrium(stages=({n1}, {n2}), solver={self.solver.method!r}, "
            f"selection={self.solver.selection!r}, states_with_several_equilibria={many})"
        )

    def deviation_gain(self) -> FloatArray:
        """Best gain from a one-state deviation in effort, per firm and state (absolute).

        See :func:`patentrace.verification.deviation_gain`.
        """
        return verification.deviation_gain(self)

    def residual(self) -> FloatArray:
        """HJB residual per firm and state, relative to the size of its terms.

        See :func:`patentrace.verification.hjb_residual`.
        """
        return verification.hjb_residual(self)

    def verify(self) -> Verification:
        """Check the equilibrium: largest profitable deviation and largest HJB residual.

        Returns
        -------
        Verification
            ``(max_deviation_gain, max_residual)``: the gain relative to the prize,
            the residual relative to the size of the HJB's terms. Nothing is raised;
            :func:`patentrace.solve` with ``verify=True`` raises on failure.

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.Race(stages=(3, 2), prize=1.0, discount=0.05,
        ...                cost=pr.costs.Power(scale=1.0, exponent=3.0, linear=0.02))
        >>> gain, residual = pr.solve(race).verify()
        >>> gain < 1e-10 and residual < 1e-12
        True
        """
        gain = float(np.max(self.deviation_gain())) / self.model.prize
        return Verification(max_deviation_gain=gain, max_residual=float(np.max(self.residual())))

    def to_dict(self) -> dict[str, Any]:
        """Plain Python data (nested lists), ready for ``json.dumps``.

        ``inf`` durations (stalling races) stay ``float('inf')``; use
        ``json.dumps(..., allow_nan=True)`` or replace them.
        """
        race = self.model
        return {
            "model": {
                "type": type(race).__name__,
                "stages": list(race.stages),
                "prize": race.prize,
                "loser_prize": race.loser_prize,
                "discount": race.discount,
                "cost": [repr(c) for c in race.cost],
                "productivity": [list(p) for p in race.productivity],
            },
            "effort": self.effort.tolist(),
            "hazard": self.hazard.tolist(),
            "value": self.value.tolist(),
            "win_probability": self.win_probability.tolist(),
            "expected_duration": self.expected_duration.tolist(),
            "multiplicity": self.multiplicity.tolist(),
            "underflow": self.underflow.tolist(),
            "solver": {
                "method": self.solver.method,
                "selection": self.solver.selection,
                "options": dict(self.solver.options),
                "version": self.solver.version,
                "seconds": self.solver.seconds,
            },
        }

    def to_xarray(self) -> Any:
        """The arrays as an ``xarray.Dataset`` with coordinates ``firm``, ``i``, ``j``.

        Requires the optional ``xarray`` package (``pip install patentrace[xarray]``).
        """
        try:
            import xarray as xr
        except ImportError as err:  # pragma: no cover - depends on the environment
            raise ImportError("to_xarray needs xarray: pip install 'patentrace[xarray]'") from err
        n1, n2 = self.model.stages
        coords = {"firm": [0, 1], "i": np.arange(n1 + 1), "j": np.arange(n2 + 1)}
        per_firm = ("firm", "i", "j")
        return xr.Dataset(
            {
                "effort": (per_firm, self.effort),
                "hazard": (per_firm, self.hazard),
                "value": (per_firm, self.value),
                "win_probability": (per_firm, self.win_probability),
                "expected_duration": (("i", "j"), self.expected_duration),
                "multiplicity": (("i", "j"), self.multiplicity),
                "underflow": (per_firm, self.underflow),
            },
            coords=coords,
            attrs={"solver": self.solver.method, "selection": self.solver.selection, "version": self.solver.version},
        )
