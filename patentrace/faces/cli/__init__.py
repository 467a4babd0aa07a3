"""The ``patentrace`` command line: every model, solved, reported, simulated and swept from the shell.

Subcommands (docs/cli.md lists every flag):

- ``solve``: the race's equilibrium (the race, docs/theory/race.md), exactly as
  ``Equilibrium.to_dict()`` gives it;
- ``report --state I J [--follower-by expected_time]``: the leapfrog report at a state (with more
  than two firms ``--state`` has one entry per firm and ``--follower K`` names the firm reported on);
- ``simulate --start I J --paths N --seed S``: Monte Carlo frequencies with their standard
  errors, next to the computed probabilities;
- ``sweep``: the flags ``--prize``, ``--discount``, ``--cost-scale``, ``--cost-exponent``,
  ``--cost-linear`` and ``--loser-prize`` take several values; every combination is solved
  (``patentrace.sweep``) and reported at ``--state``;
- ``lagged --lag D [--efforts X ...] [--tie RULE] [--state I J]``: the race in periods
  (docs/theory/periods.md), ``LaggedRace.from_race`` of the race the other flags state; its
  equilibrium, or with ``--state`` its leapfrog report;
- ``deterministic [--lag D] [--max-speed X] [--breakthrough B ...] [--steps N ...] [--state W1 W2]``:
  FGST's deterministic race (docs/deterministic.md); its equilibrium, or with ``--state`` its
  leapfrog report at experience ``(W1, W2)``.

The race is stated by ``--stages N1 [N2 ...] --prize P --discount R [--loser-prize L]``, a cost
(``--cost-scale A [--cost-exponent G] [--cost-linear M]`` for ``c(x) = M x + A x^G / G`` for
both firms, or ``--cost FAMILY:NAME=VALUE,...`` once for both firms or twice, firm 0 first),
and the per-stage rates ``--productivity`` and ``--breakthrough``: once for both firms or
twice, firm 0 first; one number for every stage, or one per stage (a learning curve),
separated by spaces or commas. ``solve``, ``report`` and ``simulate`` also take races of more than
two firms (``--stages 3 3 3``), with ``--cost`` and the rates given once or once per firm.

Output is JSON (``--format json``, the default; floats written with ``repr``, so they read
back exactly; strict JSON, an infinite expected duration is the string ``"inf"``) or tables (``--format table``).
A misspelt flag prints the subcommand's usage and the nearest flag; a bad value prints
one line naming the flag with the model's own message; both exit with status 2, without a
traceback. A race whose equilibrium cannot be certified exits with status 1.

Examples
--------
>>> import json, contextlib, io
>>> out = io.StringIO()
>>> with contextlib.redirect_stdout(out):
...     status = main(["solve", "--stages", "2", "--prize", "1", "--discount", "0.1", "--cost-scale", "1"])
>>> status, round(json.loads(out.getvalue())["value"][0][0][0], 10)
(0, 0.1795728262)
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from patentrace.errors import EquilibriumError
from patentrace.reports.leapfrog import leapfrog
from patentrace.reports.simulate import simulate
from patentrace.solvers import solve

from ._flags import UsageError, build_parser, flag_error
from ._models import check_state_flag, deterministic_race, lagged_race, race
from ._output import deterministic_output, equilibrium_output, report_output, simulate_output
from ._spelling import check_spelling, unexpected_values
from ._sweep import run_sweep

__all__ = ["main"]


def _solve(args: argparse.Namespace, prog: str) -> str:
    return equilibrium_output(solve(race(args, prog), selection=args.selection), args.format)


def _report(args: argparse.Namespace, prog: str) -> str:
    model = race(args, prog)
    state = check_state_flag(model.stages, args.state or [0] * model.firms, "--state", prog)
    eq = solve(model, selection=args.selection)
    if args.follower is None:
        return report_output(leapfrog(eq, state, follower_by=args.follower_by), args.format)
    try:
        report = leapfrog(eq, state, follower_by=args.follower_by, follower=args.follower)
    except ValueError as err:  # a --follower out of range, or named in a race of two firms
        raise UsageError(f"{prog}: error: --follower: {err}") from None
    return report_output(report, args.format)


def _simulate(args: argparse.Namespace, prog: str) -> str:
    model = race(args, prog)
    start = check_state_flag(model.stages, args.start or [0] * model.firms, "--start", prog)
    eq = solve(model, selection=args.selection)
    try:
        sim = simulate(eq, start, args.paths, args.seed)
    except (ValueError, TypeError) as err:
        raise flag_error(prog, err) from None
    return simulate_output(eq, sim, args.format)


def _lagged(args: argparse.Namespace, prog: str) -> str:
    model = lagged_race(args, prog)
    state = None if args.state is None else check_state_flag(model.stages, args.state, "--state", prog)
    eq = solve(model, selection=args.selection)
    return equilibrium_output(eq, args.format) if state is None else report_output(leapfrog(eq, state), args.format)


def _deterministic(args: argparse.Namespace, prog: str) -> str:
    model = deterministic_race(args, prog)
    try:
        eq = solve(model, steps=args.steps)
    except (ValueError, TypeError) as err:  # a bad --steps: the solver checks the grids
        raise flag_error(prog, err) from None
    if args.state is None:
        return deterministic_output(eq, args.format)
    try:
        report = leapfrog(eq, tuple(args.state))
    except ValueError as err:  # outside the race, or level at lag 0: the report's own message names the state
        raise UsageError(f"{prog}: error: --state: {err}") from None
    return report_output(report, args.format)


_RUN: dict[str, Callable[[argparse.Namespace, str], str]] = {
    "solve": _solve, "report": _report, "simulate": _simulate, "sweep": run_sweep, "lagged": _lagged,
    "deterministic": _deterministic,
}


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (0 fine, 1 no certified equilibrium, 2 bad input).

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status.

    Examples
    --------
    >>> main(["solve", "--stages", "2", "--prize", "-1", "--discount", "0.1", "--cost-scale", "1"])
    2
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    parser, commands = build_parser()
    prog = "patentrace"
    try:
        check_spelling(parser, commands, argv)
        args, extra = parser.parse_known_args(argv)
        prog = f"patentrace {args.command}"
        if extra:
            raise unexpected_values(args.command, commands[args.command], extra)
        print(_RUN[args.command](args, prog))
    except UsageError as err:
        print(err, file=sys.stderr)
        return 2
    except EquilibriumError as err:
        print(f"{prog}: no certified equilibrium: {err}", file=sys.stderr)
        return 1
    except SystemExit as done:  # --help and --version
        return done.code if isinstance(done.code, int) else 0
    except BrokenPipeError:  # the reader stopped early (| head): no traceback, and none at exit either
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0
