"""The command line's flags: the parser, per-firm values and cost specifications.

A flag that states a per-firm quantity (``--productivity``, ``--breakthrough``, ``--cost``,
``--efforts``) is given once for both firms or twice, firm 0 first. Numbers inside one
occurrence are separated by spaces or commas: ``--productivity 1 1.2 1.5`` and
``--productivity 1,1.2,1.5`` are the same learning curve.

Examples
--------
>>> per_firm("--productivity", [["1,1.5"], ["2"]], (2, 3))
[[1.0, 1.5], [2.0, 2.0, 2.0]]
>>> parse_cost("power:scale=2,exponent=3")
Power(scale=2.0, exponent=3.0, linear=0.0)
"""

from __future__ import annotations

import argparse
import difflib
import re
from collections.abc import Sequence
from typing import Any, NoReturn

import numpy as np

from patentrace._version import __version__
from patentrace.models.costs import Cost, Power, Quadratic

__all__ = ["COMMANDS", "UsageError", "build_parser", "flag_error", "menus", "numbers", "parse_cost", "per_firm"]

# Which flag sets which parameter: a model's error message starts with the parameter's name.
FLAG_OF = {
    "stages": "--stages", "prize": "--prize", "discount": "--discount", "loser_prize": "--loser-prize",
    "scale": "--cost-scale", "exponent": "--cost-exponent", "linear": "--cost-linear",
    "cost": "--cost-scale/--cost-exponent/--cost-linear", "paths": "--paths", "seed": "--seed",
    "breakthrough": "--breakthrough", "productivity": "--productivity", "lag": "--lag", "efforts": "--efforts",
    "tie": "--tie", "max_speed": "--max-speed", "steps": "--steps", "state": "--state",
}
COMMANDS = ("solve", "report", "simulate", "sweep", "lagged", "deterministic")
_COST_FAMILIES: dict[str, type[Power]] = {"power": Power, "quadratic": Quadratic}
_COST_PARAMETERS = {"power": ("scale", "exponent", "linear"), "quadratic": ("scale", "linear")}


class UsageError(Exception):
    """A bad command line: the message names the flag (and, for a misspelt flag, shows the usage)."""


class _Parser(argparse.ArgumentParser):
    """An argument parser that raises instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: error: {message}")


def flag_error(prog: str, error: Exception) -> UsageError:
    """Turn a model's validation error into a usage error that names the flag.

    Parameters
    ----------
    prog : str
        ``patentrace`` and the subcommand, as the message's prefix.
    error : Exception
        The model's ``ValueError`` or ``TypeError``; its message starts with the parameter's name.

    Returns
    -------
    UsageError

    Examples
    --------
    >>> str(flag_error("patentrace lagged", ValueError("lag must be > 0 (the length of a period), got -1.0")))
    'patentrace lagged: error: --lag: lag must be > 0 (the length of a period), got -1.0'
    """
    message = str(error)
    first = re.match(r"[A-Za-z_]*", message)
    flag = FLAG_OF.get(first.group(0) if first else "")
    return UsageError(f"{prog}: error: {flag + ': ' if flag else ''}{message}")


def numbers(flag: str, tokens: Sequence[str]) -> list[float]:
    """The numbers of one occurrence of a flag, separated by spaces or commas.

    Parameters
    ----------
    flag : str
        The flag, named in the error.
    tokens : sequence of str
        What followed the flag on the command line.

    Returns
    -------
    list of float

    Raises
    ------
    ValueError
        If an entry is not a number.

    Examples
    --------
    >>> numbers("--efforts", ["0,0.5", "1"])
    [0.0, 0.5, 1.0]
    >>> numbers("--efforts", ["0,x"])
    Traceback (most recent call last):
    ...
    ValueError: --efforts: 'x' is not a number (give numbers separated by spaces or commas)
    """
    out = []
    for token in tokens:
        for entry in token.split(","):
            try:
                out.append(float(entry))
            except ValueError:
                raise ValueError(f"{flag}: {entry.strip()!r} is not a number (give numbers separated by spaces or "
                                 "commas)") from None
    return out


def _firm_count(flag: str, occurrences: Sequence[Any], firms: int = 2) -> None:
    if len(occurrences) > 2 and firms == 2:
        raise ValueError(f"{flag}: give it once (both firms) or twice (firm 0, then firm 1), got it "
                         f"{len(occurrences)} times")
    if len(occurrences) not in (1, firms):
        raise ValueError(f"{flag}: give it once (all firms) or {firms} times (one per firm, firm 0 first), got it "
                         f"{len(occurrences)} times")


def per_firm(flag: str, occurrences: Sequence[Sequence[str]] | None, stages: tuple[int, ...]) -> Any:
    """A per-stage rate from the occurrences of its flag, in the shapes ``Race`` accepts.

    Once: one number is every stage of both firms; several are one per experience level,
    shared by both firms (``max(N1, N2)`` of them; firm ``k`` uses its first ``N_k``).
    Twice: firm 0's, then firm 1's, each one number for every stage or one per stage (with
    ``n`` firms: once, or ``n`` times, one per firm).

    Parameters
    ----------
    flag : str
        The flag, named in errors.
    occurrences : list of lists of str, or None
        What followed each occurrence of the flag; None if it was not given.
    stages : tuple of int
        Each firm's number of stages.

    Returns
    -------
    None, list of float, or a pair of lists
        None when the flag was not given (the model's default).

    Raises
    ------
    ValueError
        If an entry is not a number or the flag is given more than twice; the model
        checks the counts and the values.

    Examples
    --------
    >>> per_firm("--breakthrough", [["0.1"]], (2, 3))
    [[0.1, 0.1], [0.1, 0.1, 0.1]]
    >>> per_firm("--breakthrough", [["0", "0.1", "0.2"]], (2, 3))
    [0.0, 0.1, 0.2]
    """
    if occurrences is None:
        return None
    _firm_count(flag, occurrences, len(stages))
    values = [numbers(flag, tokens) for tokens in occurrences]
    if len(values) == 1:
        return [values[0] * n for n in stages] if len(values[0]) == 1 else values[0]
    return [firm * stages[k] if len(firm) == 1 else firm for k, firm in enumerate(values)]


def menus(occurrences: Sequence[Sequence[str]] | None) -> Any:
    """The effort menu of ``--efforts``: one list for both firms, a pair of lists, or None (not given).

    Examples
    --------
    >>> menus([["0,0.5,1"]]), menus([["0", "1"], ["0", "2"]]), menus(None)
    ([0.0, 0.5, 1.0], [[0.0, 1.0], [0.0, 2.0]], None)
    """
    if occurrences is None:
        return None
    _firm_count("--efforts", occurrences)
    values = [numbers("--efforts", tokens) for tokens in occurrences]
    return values[0] if len(values) == 1 else values


def parse_cost(spec: str) -> Cost:
    """A cost from ``FAMILY[:NAME=VALUE,...]``, e.g. ``power:scale=1,exponent=2.5,linear=0.01``.

    Families: ``power`` (``scale``, ``exponent``, ``linear``; defaults 1, 2, 0) is
    ``c(x) = linear x + scale x^exponent / exponent``; ``quadratic`` (``scale``, ``linear``)
    is its exponent-2 case.

    Parameters
    ----------
    spec : str
        The family, then optionally a colon and comma-separated ``name=value`` pairs.

    Returns
    -------
    Cost

    Raises
    ------
    ValueError
        If the family or a parameter is unknown (with the nearest name), a value is not a
        number, or the cost's own check fails (its message).

    Examples
    --------
    >>> parse_cost("quadratic:scale=1.5")
    Quadratic(scale=1.5, linear=0.0)
    >>> parse_cost("power:slope=2")
    Traceback (most recent call last):
    ...
    ValueError: --cost: power has no parameter 'slope'; did you mean 'scale'? (its parameters: scale, exponent, linear)
    """
    family, _, rest = spec.partition(":")
    family = family.strip().lower()
    if family not in _COST_FAMILIES:
        raise ValueError(f"--cost: unknown cost family {family!r}{_nearest(family, list(_COST_FAMILIES))} "
                         f"(families: {', '.join(_COST_FAMILIES)}; e.g. power:scale=1,exponent=2)")
    allowed = _COST_PARAMETERS[family]
    parameters: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        name, equals, text = item.partition("=")
        name = name.strip()
        if name not in allowed:
            raise ValueError(f"--cost: {family} has no parameter {name!r}{_nearest(name, list(allowed))} "
                             f"(its parameters: {', '.join(allowed)})")
        if not equals:
            raise ValueError(f"--cost: {name} needs a value, as in {name}=1.5")
        try:
            parameters[name] = float(text)
        except ValueError:
            raise ValueError(f"--cost: {name}={text.strip()!r} is not a number") from None
    with np.errstate(over="ignore", invalid="ignore"):  # the cost's own check reports non-finite values
        try:
            cost = _COST_FAMILIES[family](**parameters)
            cost.check()
        except (ValueError, TypeError) as err:
            raise ValueError(f"--cost: {err}") from None
    return cost


def _nearest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


# --- the parser ---------------------------------------------------------------------------------------------------


def _race_flags(parser: argparse.ArgumentParser, many: bool, stages: bool = True, per_firm_costs: bool = True) -> None:
    """The flags that state a race; with ``many`` the numeric ones take several values (a sweep)."""
    nargs = "+" if many else None
    several = " (one or more values)" if many else ""
    group = parser.add_argument_group("the race")
    if stages:
        group.add_argument("--stages", type=int, nargs="+", required=True, metavar="N",
                           help="stages to complete: N1 [N2 ...], one for both firms or one per firm (solve, report, "
                                "simulate and sweep take races of more than two firms: --stages 3 3 3)")
    group.add_argument("--prize", type=float, nargs=nargs, required=True, metavar="P", help=f"prize P > 0{several}")
    group.add_argument("--discount", type=float, nargs=nargs, required=True, metavar="R",
                       help=f"discount rate r > 0{several}")
    group.add_argument("--loser-prize", type=float, nargs=nargs, default=None, metavar="L",
                       help=f"loser's prize 0 <= L <= P (default 0){several}")
    costs = parser.add_argument_group("the cost c(x) = M x + A x^G / G: --cost-scale, or --cost")
    costs.add_argument("--cost-scale", type=float, nargs=nargs, default=None, metavar="A",
                       help=f"cost scale A > 0, both firms{several}")
    costs.add_argument("--cost-exponent", type=float, nargs=nargs, default=None, metavar="G",
                       help=f"cost exponent G > 1 (default 2){several}")
    costs.add_argument("--cost-linear", type=float, nargs=nargs, default=None, metavar="M",
                       help=f"marginal cost at zero effort M >= 0 (default 0){several}")
    firms = "given once for both firms" + (" or twice, firm 0 first" if per_firm_costs else "")
    costs.add_argument("--cost", action="append", default=None, metavar="FAMILY[:NAME=VALUE,...]",
                       help=f"a cost instead of the --cost-* flags, {firms}: power:scale=A,exponent=G,linear=M or "
                            "quadratic:scale=A,linear=M (omitted parameters take their defaults)")


def _per_stage_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("per-firm rates (numbers separated by spaces or commas; the flag once for "
                                      "both firms, or twice, firm 0 first)")
    group.add_argument("--productivity", action="append", nargs="+", default=None, metavar="LAMBDA",
                       help="hazard per unit of effort lambda(i) > 0 after i stages: one value for every stage, or "
                            "one per stage, a learning curve (default 1)")
    group.add_argument("--breakthrough", action="append", nargs="+", default=None, metavar="B",
                       help="hazard b(i) >= 0 of an outright win after i stages: one value for every stage, or one "
                            "per stage (default 0)")


def _common_flags(parser: argparse.ArgumentParser, selection: bool = True) -> None:
    parser.add_argument("--format", choices=("json", "table"), default="json", help="output format (default json)")
    if selection:
        parser.add_argument("--selection", choices=("fastest", "slowest", "richest"), default="fastest",
                            help="rule where a state has several equilibria (default fastest)")


def _state_flag(parser: argparse.ArgumentParser, help_: str, default: list[int] | None = None,
                many: bool = False) -> None:
    """``--state I J``; with ``many``, one entry per firm of a race of any number of firms."""
    if many:
        parser.add_argument("--state", type=int, nargs="+", default=default, metavar="I", help=help_)
    else:
        parser.add_argument("--state", type=int, nargs=2, default=default, metavar=("I", "J"), help=help_)


def _lagged_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("the race in periods")
    group.add_argument("--lag", type=float, required=True, metavar="D", help="length of a period D > 0")
    group.add_argument("--efforts", action="append", nargs="+", default=None, metavar="X",
                       help="the effort menu, efforts >= 0 (spaces or commas), once for both firms or twice, firm 0 "
                            "first (default: LaggedRace.from_race's own default)")
    group.add_argument("--tie", default="split", metavar="RULE",
                       help="split, first, loss, or a share theta in [0, 1] of the prize each (default split)")
    _state_flag(parser, "print the leapfrog report at stages completed (I, J) instead of the equilibrium")


def _deterministic_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("the deterministic race")
    group.add_argument("--lag", type=float, default=0.0, metavar="D",
                       help="information lag D >= 0 (default 0: perfect monitoring)")
    group.add_argument("--max-speed", type=float, default=None, metavar="X", help="a cap X > 0 on speed (default none)")
    group.add_argument("--breakthrough", nargs="+", default=None, metavar="B",
                       help="hazard b(w) >= 0 of an outright discovery at experience w: one value for every w, or "
                            "values at w = 0, ..., 1 equally spaced, linear in between (default none)")
    group.add_argument("--steps", type=int, nargs="+", default=None, metavar="N",
                       help="the experience grids to solve, coarsest first (default: refine automatically)")
    parser.add_argument("--state", type=float, nargs=2, default=None, metavar=("W1", "W2"),
                        help="print the leapfrog report at experience (W1, W2) instead of the equilibrium")


def build_parser() -> tuple[_Parser, dict[str, argparse.ArgumentParser]]:
    """The command line's parser, and each subcommand's own parser by name.

    Examples
    --------
    >>> parser, commands = build_parser()
    >>> sorted(commands) == sorted(COMMANDS)
    True
    """
    parser = _Parser(prog="patentrace", description="Patent races (FGST 1983): equilibria and leapfrogging.")
    parser.add_argument("--version", action="version", version=f"patentrace {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{" + ",".join(COMMANDS) + "}")
    helps = {"solve": "the equilibrium's arrays", "report": "the leapfrog report at a state",
             "simulate": "Monte Carlo histories from a state", "sweep": "a grid of races, reported at one state",
             "lagged": "the race in periods of length --lag: its equilibrium or leapfrog report",
             "deterministic": "FGST's deterministic race: its equilibrium or leapfrog report"}
    commands: dict[str, argparse.ArgumentParser] = {
        name: sub.add_parser(name, help=helps[name], description=helps[name]) for name in COMMANDS}
    _state_flag(commands["report"], "stages completed by each firm (default 0 for every firm)", None, many=True)
    commands["report"].add_argument(
        "--follower-by", choices=("distance", "expected_time"), default="distance",
        help="who is behind: more stages to go (default) or longer expected time to discovery")
    commands["report"].add_argument(
        "--follower", type=int, default=None, metavar="K",
        help="more than two firms: the firm reported on (default: the one furthest behind)")
    simulate_ = commands["simulate"]
    simulate_.add_argument("--start", type=int, nargs="+", default=None, metavar="I",
                           help="stages completed at the start by each firm (default 0 for every firm)")
    simulate_.add_argument("--paths", type=int, default=100_000, help="number of histories >= 1 (default 100000)")
    simulate_.add_argument("--seed", type=int, default=None, help="random seed >= 0 (default: fresh, reported)")
    _state_flag(commands["sweep"], "the state reported at every grid point, one entry per firm (default 0 for every "
                "firm)", None, many=True)
    commands["sweep"].add_argument(
        "--workers", type=int, default=1,
        help="processes to solve the grid on, at most the processors available (default 1)")
    for name in ("solve", "report", "simulate", "sweep", "lagged"):
        _race_flags(commands[name], many=name == "sweep")
        _per_stage_flags(commands[name])
        _common_flags(commands[name])
    _lagged_flags(commands["lagged"])
    _race_flags(commands["deterministic"], many=False, stages=False, per_firm_costs=False)
    _deterministic_flags(commands["deterministic"])
    _common_flags(commands["deterministic"], selection=False)
    return parser, commands
