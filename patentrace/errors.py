"""Exceptions that carry the state and the numbers behind a failure.

Examples
--------
>>> err = EquilibriumError("no equilibrium found", state=(0, 1), details={"residual": 1e-3})
>>> print(err)
no equilibrium found at state (0, 1): residual=0.001
"""

from __future__ import annotations

from typing import Any

__all__ = ["EquilibriumError", "TooManyEquilibriaError"]


class EquilibriumError(RuntimeError):
    """A solver could not certify an equilibrium at a state.

    Parameters
    ----------
    message : str
        What went wrong.
    state : tuple of int, optional
        The state ``(i, j)`` where it went wrong.
    details : dict, optional
        The numbers: residuals, efforts, continuation values.

    Attributes
    ----------
    state, details
        As given.

    Examples
    --------
    >>> err = EquilibriumError("residual above tolerance", state=(2, 1), details={"residual": 0.01})
    >>> err.state, err.details["residual"]
    ((2, 1), 0.01)
    >>> print(err)
    residual above tolerance at state (2, 1): residual=0.01
    """

    def __init__(self, message: str, state: tuple[int, int] | None = None, details: dict[str, Any] | None = None):
        self.message = message
        self.state = state
        self.details = dict(details or {})
        where = f" at state {state}" if state is not None else ""
        numbers = ", ".join(f"{k}={v!r}" for k, v in self.details.items())
        super().__init__(f"{message}{where}" + (f": {numbers}" if numbers else ""))


class TooManyEquilibriaError(EquilibriumError):
    """More Markov perfect equilibria than a caller allowed (``max_equilibria``).

    Parameters
    ----------
    limit : int
        The cap that was passed.
    found : int
        Equilibrium paths found so far when the search stopped (a lower bound on the total).
    branching : list of (int, int)
        The states where some path has several equilibria.

    Attributes
    ----------
    limit, found, branching
        As given.

    Examples
    --------
    >>> err = TooManyEquilibriaError(limit=2, found=3, branching=[(0, 0)])
    >>> err.found, err.branching
    (3, [(0, 0)])
    """

    def __init__(self, limit: int, found: int, branching: list[tuple[int, int]]):
        self.limit = limit
        self.found = found
        self.branching = list(branching)
        super().__init__(
            f"more than max_equilibria={limit} equilibria",
            None,
            {"found_so_far": found, "branching_states": self.branching},
        )
