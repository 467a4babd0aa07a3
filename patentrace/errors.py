"""Exceptions that carry the state and the numbers behind a failure.

Examples
--------
>>> err = EquilibriumError("no equilibrium found", state=(0, 1), details={"residual": 1e-3})
>>> print(err)
no equilibrium found at state (0, 1): residual=0.001
"""

from __future__ import annotations

from typing import Any

__all__ = ["EquilibriumError"]


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
        self.state = state
        self.details = dict(details or {})
        where = f" at state {state}" if state is not None else ""
        numbers = ", ".join(f"{k}={v!r}" for k, v in self.details.items())
        super().__init__(f"{message}{where}" + (f": {numbers}" if numbers else ""))
