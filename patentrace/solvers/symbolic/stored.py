"""A symbolic equilibrium as JSON data, and back by solving again (issue 20, "Round trips").

A ``patentrace.solvers.symbolic.SymbolicEquilibrium`` is sympy expressions, some
of them objects that follow a branch of an algebraic curve (implicit efforts) or
carry an isolating interval. Reading expressions back from text would need sympy's
parser, which evaluates Python code: a saved file must never run code, so the
expressions are not read back. What is saved is the recipe and the record: the model,
the symbolic parameters, the digits, and at every open state its form and both firms'
effort and value as text (for reading and for the check). ``from_dict`` solves the
race again with the same recipe (the symbolic solver is deterministic) and refuses the
result unless every state's form and printed expressions equal the saved ones, so a
loaded symbolic equilibrium equals the saved one. Loading costs a solve: seconds for
small races, more for the exact 2 x 2 race (see docs/symbolic.md).

Examples
--------
>>> import patentrace as pr
>>> sym = pr.symbolic.solve(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), symbols=("prize",))
>>> data = sym.to_dict()
>>> data["symbols"], data["states"][0][:3]
(['prize'], [0, 0, 'closed form'])
>>> pr.symbolic.SymbolicEquilibrium.from_dict(data) == sym
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from patentrace.results.serialization import FORMAT, ResultFormatError, check_header, number, rebuild_model

if TYPE_CHECKING:
    from patentrace.solvers.symbolic.equilibrium import SymbolicEquilibrium

__all__ = ["same", "symbolic_from_dict", "symbolic_to_dict"]


def _record(sym: SymbolicEquilibrium) -> list[list[Any]]:
    """``[i, j, form, effort_0, effort_1, value_0, value_1]`` at every open state, expressions as text."""
    rows = []
    for i, j in sorted(sym._states):
        rows.append([i, j, sym.form(i, j), *(str(sym.effort(k, i, j)) for k in (0, 1)),
                     *(str(sym.value(k, i, j)) for k in (0, 1))])
    return rows


def symbolic_to_dict(sym: SymbolicEquilibrium) -> dict[str, Any]:
    """The recipe (model, symbols, digits) and every open state's form and expressions as text.

    Examples
    --------
    >>> import patentrace as pr
    >>> sym = pr.symbolic.solve(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> symbolic_to_dict(sym)["states"][0][:5]     # state, form, both efforts
    [0, 0, 'closed form', '3/10 + sqrt(141)/30', '3/10 + sqrt(141)/30']
    """
    return {"format": FORMAT, "type": "SymbolicEquilibrium", "model": sym.model.to_dict(),
            "symbols": [name for name in sym.symbols], "digits": sym.digits, "seconds": sym.seconds,
            "states": _record(sym)}


def symbolic_from_dict(data: Mapping[str, Any], where: str = "data") -> SymbolicEquilibrium:
    """Solve the saved recipe again and check every state against the saved record.

    Raises
    ------
    patentrace.results.serialization.ResultFormatError
        For data that is not a saved symbolic equilibrium, and when solving again does
        not reproduce every saved form and expression (naming the first state that differs).

    Examples
    --------
    >>> import patentrace as pr
    >>> sym = pr.symbolic.solve(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> data = sym.to_dict()
    >>> data["states"][0][3] = "1/2"
    >>> symbolic_from_dict(data)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    patentrace.results.serialization.ResultFormatError: data: solving the saved race again gives at state (0, 0) ...
    """
    from patentrace.solvers.symbolic.induction import solve

    check_header(data, "SymbolicEquilibrium", where)
    model = rebuild_model(data.get("model"), where, "Race")
    symbols, digits, states = data.get("symbols"), data.get("digits"), data.get("states")
    if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
        raise ResultFormatError(f"{where}: symbols must be a list of parameter names, got {symbols!r}")
    if isinstance(digits, bool) or not isinstance(digits, int):
        raise ResultFormatError(f"{where}: digits must be a whole number, got {digits!r}")
    if not isinstance(states, list):
        raise ResultFormatError(f"{where}: states must be a list of state records")
    forms = {row[2] for row in states if isinstance(row, list) and len(row) == 7}
    # exact=None gives roots of polynomials where the race is small enough; a race saved with exact=False
    # has certified numbers there instead.
    exact = False if "certified" in forms and "root of polynomial" not in forms else None
    sym = solve(model, tuple(symbols), digits=digits, exact=exact)
    again = _record(sym)
    if again != states:
        first = next((b for a, b in zip(states, again, strict=False) if a != b), None)
        at = f"state ({first[0]}, {first[1]})" if first else "the list of states"
        raise ResultFormatError(f"{where}: solving the saved race again gives at {at} {first!r}, the file holds "
                                f"{next((a for a, b in zip(states, again, strict=False) if a != b), None)!r}")
    sym.seconds = number(f"{where}: seconds", data.get("seconds"))
    return sym


def same(first: SymbolicEquilibrium, second: SymbolicEquilibrium) -> bool:
    """Equal models, symbols, digits, and forms and printed expressions at every state.

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> same(pr.symbolic.solve(race), pr.symbolic.solve(race, symbols=("prize",)))
    False
    """
    return (bool(first.model == second.model) and list(first.symbols) == list(second.symbols)
            and first.digits == second.digits and _record(first) == _record(second))
