"""Exceptions that carry the state and the numbers behind a failure, and the library's warning.

Examples
--------
>>> err = EquilibriumError("no equilibrium found", state=(0, 1), details={"residual": 1e-3})
>>> print(err)
no equilibrium found at state (0, 1): residual=0.001
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = [
    "EquilibriumError",
    "IncompleteEnumerationWarning",
    "RefinementWarning",
    "TooManyEquilibriaError",
    "UnderflowWarning",
]

# Frames in files under this folder are the library's own; a warning points past them.
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


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

    def __init__(self, message: str, state: tuple[int, ...] | None = None, details: dict[str, Any] | None = None):
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
    branching : list of tuple of int
        The states where some path has several equilibria (one entry per firm).

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

    def __init__(self, limit: int, found: int, branching: list[tuple[int, ...]]):
        self.limit = limit
        self.found = found
        self.branching = list(branching)
        super().__init__(
            f"more than max_equilibria={limit} equilibria",
            None,
            {"found_so_far": found, "branching_states": self.branching},
        )


class UnderflowWarning(UserWarning):
    """Some firm-states have continuation values below the float range (``Equilibrium.underflow``).

    With quadratic costs a firm's value roughly squares with every stage it is behind
    (docs/theory/race.md (11), the lone firm), so in long races the values of far-behind states fall
    below about 1e-290 of the prize. Their efforts are positive in theory but round to 0;
    ``eq.underflow`` marks them (its sum is the count) and the leapfrog report does not
    count them as preemption. The message is always the same, so Python's default filter
    shows it once per line of user code that solves such a race.

    Examples
    --------
    >>> import warnings
    >>> import patentrace as pr
    >>> race = pr.Race(stages=30, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     eq = pr.solve(race)
    >>> [w.category.__name__ for w in caught], int(eq.underflow.sum())
    (['UnderflowWarning'], 980)
    >>> with warnings.catch_warnings():
    ...     warnings.filterwarnings("error")
    ...     warnings.filterwarnings("ignore", category=pr.UnderflowWarning)   # how a user silences it
    ...     eq = pr.solve(race)
    """


class IncompleteEnumerationWarning(UserWarning):
    """A lagged race's search for equilibria left some support pairs out: equilibria may be missing.

    The period game of a state of a ``LaggedRace`` (the race in periods, docs/theory/periods.md) is
    solved by enumerating pairs of supports, after merging duplicate actions and removing
    strictly dominated ones. Where the remaining game has more support pairs than
    ``max_pairs``, the larger supports are searched only among neighbouring actions of the
    menu, and an equilibrium mixing actions far apart can be missed. The message names
    the states and how many support pairs each left out; the equilibrium carries the same
    facts in ``solver.options["incomplete_states"]`` and ``solver.options["searched_support_size"]``,
    and the leapfrog report in ``complete``. Raise ``max_pairs`` to search them all.

    Examples
    --------
    >>> import warnings
    >>> import patentrace as pr
    >>> race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> lagged = pr.LaggedRace.from_race(race, lag=0.1, efforts=[k / 8 for k in range(9)])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     eq = pr.solve(lagged, max_pairs=10)
    >>> [w.category.__name__ for w in caught], eq.solver.options["incomplete_states"]
    (['IncompleteEnumerationWarning'], [[0, 0]])
    """


class RefinementWarning(UserWarning):
    """A refined effort menu did not settle: the answer still moves by more than the tolerance.

    ``pr.solve(lagged, refine=True)`` doubles a lagged race's effort grids until the
    values and win probabilities at every state move by at most ``refine_tolerance``
    (the finite menus of the race in periods, docs/theory/periods.md). When ``max_refinements``
    doublings are not enough, the finest answer is returned with
    ``solver.options["converged"]`` False, its last change as ``error_estimate``, and this
    warning.

    Examples
    --------
    >>> import warnings
    >>> import patentrace as pr
    >>> race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> lagged = pr.LaggedRace.from_race(race, lag=0.5, efforts=[0.0, 1.0])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     eq = pr.solve(lagged, refine=True, refine_tolerance=1e-9, max_refinements=2)
    >>> [w.category.__name__ for w in caught], eq.solver.options["converged"]
    (['RefinementWarning'], False)
    """


def user_stacklevel() -> int:
    """The ``stacklevel`` of ``warnings.warn`` that points at the first caller outside the library.

    Call it from the function that calls ``warnings.warn``. However deep inside the
    package the warning arises (``pr.solve``, ``pr.solve_many``, ``pr.sweep``,
    ``pr.solve_all``), the warning names the user's line that started the solve.

    Returns
    -------
    int
        1 for the calling function itself, plus one per enclosing library frame.

    Examples
    --------
    >>> user_stacklevel()   # called from outside the library (here, a doctest): the caller itself
    1
    """
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    return level
