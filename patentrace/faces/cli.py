"""The ``patentrace`` command line: solve, report, simulate and sweep a race from the shell.

Every subcommand states a :class:`~patentrace.Race` (SPEC.md §1) with the same flags::

    --stages N1 [N2] --prize P --discount R --cost-scale A
    [--cost-exponent G] [--cost-linear M] [--loser-prize L] [--breakthrough B [B ...]]

for the cost ``c(x) = M x + A x^G / G`` (default ``G = 2``, ``M = 0``, ``L = 0``, no
breakthroughs). ``--breakthrough`` gives the hazard ``b(i)`` of an immediate win while a
firm has completed ``i`` stages (SPEC.md §1): one value for every stage, or one per stage,
the same for both firms (which then need the same number of stages). It prints JSON
(``--format json``, the default) or a table (``--format table``):

- ``solve``: the equilibrium's arrays, exactly as :meth:`~patentrace.Equilibrium.to_dict`
  gives them (``effort``, ``hazard``, ``value``, ``win_probability``,
  ``expected_duration``... as nested lists);
- ``report --state I J [--follower-by expected_time]``: the leapfrog report of SPEC.md §4,
  the follower chosen by remaining stages (default) or by expected time to discovery;
- ``simulate --start I J --paths N --seed S``: Monte Carlo frequencies with their
  standard errors, next to the computed probabilities;
- ``sweep``: the flags ``--prize``, ``--discount``, ``--cost-scale``, ``--cost-exponent``,
  ``--cost-linear`` and ``--loser-prize`` take several values; every combination is
  solved (:func:`patentrace.sweep`) and reported at ``--state``; ``--breakthrough`` is
  the same at every grid point.

A bad flag value gives a one-line error on standard error that names the flag, and
exit status 2; a race whose equilibrium cannot be certified, exit status 1. JSON
floats are written with ``repr``, so they read back exactly; an infinite expected
duration (a race that can stall) is written ``Infinity``, as Python's ``json`` does.

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
import functools
import json
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, NoReturn

import numpy as np
from numpy.typing import NDArray

from patentrace._limits import check_workers
from patentrace._version import __version__
from patentrace.errors import EquilibriumError
from patentrace.faces.sweep import SweepResult, sweep
from patentrace.models import Race
from patentrace.models.costs import Power
from patentrace.models.lattice import check_state
from patentrace.reports.leapfrog import LeapfrogReport, leapfrog
from patentrace.reports.simulate import Simulation, simulate
from patentrace.results.equilibrium import Equilibrium
from patentrace.solvers import solve

__all__ = ["main"]

# Which flag sets which parameter; a model's error message starts with the parameter's name.
_FLAGS = {
    "stages": "--stages", "prize": "--prize", "discount": "--discount", "loser_prize": "--loser-prize",
    "scale": "--cost-scale", "exponent": "--cost-exponent", "linear": "--cost-linear",
    "paths": "--paths", "seed": "--seed", "breakthrough": "--breakthrough",
}
_SWEPT = ("prize", "discount", "cost_scale", "cost_exponent", "cost_linear", "loser_prize")
_MEASURES = ("effort_0", "effort_1", "value_0", "value_1", "win_probability_0", "win_probability_1",
             "expected_duration")


class UsageError(Exception):
    """A bad command line: the message names the flag."""


class _Parser(argparse.ArgumentParser):
    """An argument parser that raises instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: error: {message}")


def _race_flags(parser: argparse.ArgumentParser, many: bool) -> None:
    """The flags that state a race; with ``many`` the numeric ones take several values (a sweep)."""
    nargs = "+" if many else None
    several = " (one or more values)" if many else ""
    group = parser.add_argument_group("the race (SPEC.md §1)")
    group.add_argument("--stages", type=int, nargs="+", required=True, metavar="N",
                       help="stages to complete: N1 [N2], one for both firms or one per firm")
    group.add_argument("--prize", type=float, nargs=nargs, required=True, metavar="P", help=f"prize P > 0{several}")
    group.add_argument("--discount", type=float, nargs=nargs, required=True, metavar="R",
                       help=f"discount rate r > 0{several}")
    group.add_argument("--cost-scale", type=float, nargs=nargs, required=True, metavar="A",
                       help=f"cost scale a > 0 in c(x) = m x + a x^g / g{several}")
    group.add_argument("--cost-exponent", type=float, nargs=nargs, default=[2.0] if many else 2.0, metavar="G",
                       help=f"cost exponent g > 1 (default 2){several}")
    group.add_argument("--cost-linear", type=float, nargs=nargs, default=[0.0] if many else 0.0, metavar="M",
                       help=f"marginal cost at zero effort m >= 0 (default 0){several}")
    group.add_argument("--loser-prize", type=float, nargs=nargs, default=[0.0] if many else 0.0, metavar="L",
                       help=f"loser's prize L <= P (default 0){several}")
    group.add_argument("--breakthrough", type=float, nargs="+", default=None, metavar="B",
                       help="breakthrough hazards b >= 0: one for every stage, or one per stage for both firms "
                            "(default none)")


def _common_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("json", "table"), default="json", help="output format (default json)")
    parser.add_argument("--selection", choices=("fastest", "slowest", "richest"), default="fastest",
                        help="rule where a state has several equilibria (default fastest)")


def _parser() -> _Parser:
    parser = _Parser(prog="patentrace", description="Patent races (FGST 1983): equilibria and leapfrogging.")
    parser.add_argument("--version", action="version", version=f"patentrace {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{solve,report,simulate,sweep}")
    solve_ = commands.add_parser("solve", help="the equilibrium's arrays")
    report = commands.add_parser("report", help="the leapfrog report at a state")
    report.add_argument("--state", type=int, nargs=2, default=[0, 0], metavar=("I", "J"),
                        help="stages completed by firm 0 and firm 1 (default 0 0)")
    report.add_argument("--follower-by", choices=("distance", "expected_time"), default="distance",
                        help="who is behind: more stages to go (default) or longer expected time to discovery")
    simulate_ = commands.add_parser("simulate", help="Monte Carlo histories from a state")
    simulate_.add_argument("--start", type=int, nargs=2, default=[0, 0], metavar=("I", "J"),
                           help="stages completed at the start (default 0 0)")
    simulate_.add_argument("--paths", type=int, default=100_000, help="number of histories >= 1 (default 100000)")
    simulate_.add_argument("--seed", type=int, default=None, help="random seed >= 0 (default: fresh, reported)")
    sweep_ = commands.add_parser("sweep", help="a grid of races, reported at one state")
    sweep_.add_argument("--state", type=int, nargs=2, default=[0, 0], metavar=("I", "J"),
                        help="the state reported at every grid point (default 0 0)")
    sweep_.add_argument("--workers", type=int, default=1,
                        help="processes to solve the grid on, at most the processors available (default 1)")
    for sub, many in ((solve_, False), (report, False), (simulate_, False), (sweep_, True)):
        _race_flags(sub, many)
        _common_flags(sub)
    return parser


def _flag_error(prog: str, error: Exception) -> UsageError:
    """Turn a model's validation error into a usage error that names the flag."""
    message = str(error)
    first = message.split(" ", 1)[0].split("[", 1)[0].rstrip(":")  # "breakthrough[0][1] must be ..."
    flag = _FLAGS.get(first, "--cost-scale/--cost-exponent/--cost-linear" if first == "cost" else None)
    return UsageError(f"{prog}: error: {flag + ': ' if flag else ''}{message}")


def _stages(args: argparse.Namespace, prog: str) -> tuple[int, int]:
    values = args.stages
    if len(values) > 2:
        raise UsageError(f"{prog}: error: --stages takes one or two values (N1 [N2]), got {len(values)}")
    return (values[0], values[-1])


def make_race(
    stages: tuple[int, int], prize: float, discount: float, cost_scale: float, cost_exponent: float = 2.0,
    cost_linear: float = 0.0, loser_prize: float = 0.0, breakthrough: Sequence[float] | None = None,
) -> Race:
    """The race the command line's flags describe (SPEC.md §1).

    ``breakthrough`` is None, one hazard for every stage of both firms, or one per stage
    shared by both firms.

    Examples
    --------
    >>> make_race((2, 3), prize=1.0, discount=0.1, cost_scale=2.0).cost[0]
    Power(scale=2.0, exponent=2.0, linear=0.0)
    >>> make_race((2, 3), prize=1.0, discount=0.1, cost_scale=2.0, breakthrough=[0.05]).breakthrough
    ((0.05, 0.05), (0.05, 0.05, 0.05))
    """
    rates: Any = None
    if breakthrough is not None:
        rates = list(breakthrough)
        if len(rates) == 1:
            rates = [rates * stages[0], rates * stages[1]]
        elif stages[0] != stages[1]:
            raise ValueError(f"breakthrough: one value per stage needs the same stages for both firms, got "
                             f"{stages}; give one value for every stage")
    with np.errstate(over="ignore", invalid="ignore"):  # the cost's own check reports non-finite values
        cost = Power(scale=cost_scale, exponent=cost_exponent, linear=cost_linear)
        return Race(stages=stages, prize=prize, discount=discount, cost=cost, loser_prize=loser_prize,
                    breakthrough=rates)


def _race(args: argparse.Namespace, prog: str) -> Race:
    stages = _stages(args, prog)
    try:
        return make_race(stages, args.prize, args.discount, args.cost_scale, args.cost_exponent,
                         args.cost_linear, args.loser_prize, args.breakthrough)
    except (ValueError, TypeError) as err:
        raise _flag_error(prog, err) from None


def _check_state(stages: tuple[int, int], state: Sequence[int], flag: str, prog: str) -> tuple[int, int]:
    try:
        return check_state(tuple(state), stages)
    except ValueError as err:
        raise UsageError(f"{prog}: error: {flag}: {err}") from None


def _matrix(name: str, array: NDArray[Any]) -> str:
    """One array over states as a table: rows i (firm 0's stages), columns j (firm 1's)."""
    columns = array.shape[1]
    head = f"{name} (rows: stages completed by firm 0, columns: by firm 1)"
    lines = [head, "      " + "".join(f"{j:>13d}" for j in range(columns))]
    for i, row in enumerate(array):
        lines.append(f"{i:>6d}" + "".join(f"{v:13.6g}" for v in row))
    return "\n".join(lines)


def _solve_output(eq: Equilibrium, form: str) -> str:
    if form == "json":
        return json.dumps(eq.to_dict())
    blocks = [repr(eq)]
    for name in ("effort", "value", "win_probability"):
        blocks += [_matrix(f"{name} of firm {k}", getattr(eq, name)[k]) for k in (0, 1)]
    blocks.append(_matrix("expected_duration", eq.expected_duration))
    return "\n\n".join(blocks)


def _report_dict(report: LeapfrogReport) -> dict[str, Any]:
    return {
        "state": list(report.state), "remaining": list(report.remaining), "follower": report.follower,
        "leader": report.leader, "win_probability": list(report.win_probability),
        "tie_probability": report.tie_probability, "follower_win_probability": report.follower_win_probability,
        "leapfrog_probability": report.leapfrog_probability, "catch_up_probability": report.catch_up_probability,
        "can_leapfrog": report.can_leapfrog, "preemption_region": report.preemption_region.tolist(),
        "underflow_region": report.underflow_region.tolist(),
        "epsilon_preemption": report.epsilon_preemption, "tolerance": report.tolerance,
    }


def _simulate_output(eq: Equilibrium, sim: Simulation, form: str) -> str:
    i, j = sim.start
    report = leapfrog(eq, sim.start)
    computed: dict[str, Any] = {
        "win_probability": eq.win_probability[:, i, j].tolist(),
        "expected_duration": float(eq.expected_duration[i, j]),
        "leapfrog_probability": report.leapfrog_probability, "catch_up_probability": report.catch_up_probability,
    }
    if form == "json":
        return json.dumps({"simulation": sim.to_dict(), "computed": computed})
    rows = [("firm 0 wins", sim.win_frequency[0], sim.win_standard_error[0], computed["win_probability"][0]),
            ("firm 1 wins", sim.win_frequency[1], sim.win_standard_error[1], computed["win_probability"][1])]
    if sim.follower is not None:
        rows += [("follower leapfrogs", sim.leapfrog_frequency, sim.leapfrog_standard_error,
                  report.leapfrog_probability),
                 ("follower catches up", sim.catch_up_frequency, sim.catch_up_standard_error,
                  report.catch_up_probability)]
    rows.append(("mean duration", sim.mean_duration, sim.duration_standard_error, computed["expected_duration"]))
    lines = [f"Simulation from state ({i}, {j}): {sim.paths} paths, seed {sim.seed}"
             + (f"; follower: firm {sim.follower}" if sim.follower is not None else "; level: no follower"),
             f"  {'':<20} {'simulated':>12} {'std. error':>12} {'computed':>12}"]
    lines += [f"  {name:<20} {a:12.6f} {b:12.6f} {c:12.6f}" for name, a, b, c in rows]
    if sim.stall_frequency:
        lines.append(f"  {sim.stall_frequency:.6f} of the paths stalled (both firms idle)")
    return "\n".join(lines)


def _measure(eq: Equilibrium, state: tuple[int, int]) -> NDArray[np.float64]:
    """The numbers a sweep reports at ``state`` (see ``_MEASURES``)."""
    i, j = state
    return np.array([*eq.effort[:, i, j], *eq.value[:, i, j], *eq.win_probability[:, i, j],
                     eq.expected_duration[i, j]])


def _sweep_output(result: SweepResult, names: list[str], state: tuple[int, int], form: str) -> str:
    points = []
    for index in np.ndindex(result.failed.shape):
        point: dict[str, Any] = {name: float(result.coords[name][k]) for name, k in zip(names, index, strict=True)}
        if result.failed[index]:
            point["error"] = result.errors[index]
        else:
            point.update({m: float(v) for m, v in zip(_MEASURES, np.asarray(result.quantity()[index]), strict=True)})
        points.append(point)
    if form == "json":
        return json.dumps({"state": list(state), "parameters": names, "measures": list(_MEASURES), "points": points})
    header = [*names, *_MEASURES]
    widths = [max(12, len(h)) for h in header]
    lines = [f"Sweep over {', '.join(names)}; measures at state {state}",
             "  ".join(f"{h:>{w}}" for h, w in zip(header, widths, strict=True))]
    for point in points:
        if "error" in point:
            cells = [f"{point[n]:>{w}.6g}" for n, w in zip(names, widths, strict=False)]
            lines.append("  ".join(cells) + "  failed: " + point["error"])
        else:
            lines.append("  ".join(f"{point[h]:>{w}.6g}" for h, w in zip(header, widths, strict=True)))
    return "\n".join(lines)


def _run_sweep(args: argparse.Namespace, prog: str) -> str:
    stages = _stages(args, prog)
    grid = {name: list(getattr(args, name)) for name in _SWEPT}
    # Check every value on its own, the other parameters at harmless values: a bad value names its flag. The loser
    # prize is checked against the largest prize; a clash with a smaller one fails only at its grid points.
    harmless = {"prize": 1.0, "discount": 0.1, "cost_scale": 1.0, "cost_exponent": 2.0, "cost_linear": 0.0,
                "loser_prize": 0.0}
    for name, values in grid.items():  # prizes first: they are checked before the loser prize needs them
        for value in values:
            point = harmless | ({"prize": max(grid["prize"])} if name == "loser_prize" else {}) | {name: value}
            try:
                make_race(stages, **point)
            except (ValueError, TypeError) as err:
                raise UsageError(f"{prog}: error: --{name.replace('_', '-')}: {err}") from None
    try:
        make_race(stages, **harmless, breakthrough=args.breakthrough)
    except (ValueError, TypeError) as err:
        raise _flag_error(prog, err) from None
    if args.workers < 1:
        raise UsageError(f"{prog}: error: --workers must be >= 1, got {args.workers}")
    try:
        check_workers("--workers", args.workers)  # before any process starts (repro cli_checks.sh)
    except ValueError as err:
        raise UsageError(f"{prog}: error: {err}") from None
    state = _check_state(stages, args.state, "--state", prog)
    swept = [name for name in _SWEPT if len(grid[name]) > 1] or ["prize"]
    fixed = {name: grid[name][0] for name in _SWEPT if name not in swept}
    make = functools.partial(make_race, stages, **fixed, breakthrough=args.breakthrough)
    measure = functools.partial(_measure, state=state)
    axes = {name: grid[name] for name in swept}
    if args.workers == 1:
        result = sweep(make, axes, measure, selection=args.selection)
    else:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            result = sweep(make, axes, measure, executor=pool, selection=args.selection)
    return _sweep_output(result, swept, state, args.format)


def _run(args: argparse.Namespace, prog: str) -> str:
    if args.command == "sweep":
        return _run_sweep(args, prog)
    race = _race(args, prog)
    eq = solve(race, selection=args.selection)
    if args.command == "solve":
        return _solve_output(eq, args.format)
    if args.command == "report":
        report = leapfrog(eq, _check_state(race.stages, args.state, "--state", prog), follower_by=args.follower_by)
        return str(report) if args.format == "table" else json.dumps(_report_dict(report))
    start = _check_state(race.stages, args.start, "--start", prog)
    try:
        sim = simulate(eq, start, args.paths, args.seed)
    except (ValueError, TypeError) as err:
        raise _flag_error(prog, err) from None
    return _simulate_output(eq, sim, args.format)


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
    parser = _parser()
    prog = "patentrace"
    try:
        args = parser.parse_args(argv)
        prog = f"patentrace {args.command}"
        print(_run(args, prog))
    except UsageError as err:
        print(err, file=sys.stderr)
        return 2
    except EquilibriumError as err:
        print(f"{prog}: no certified equilibrium: {err}", file=sys.stderr)
        return 1
    except SystemExit as done:  # --help and --version
        return done.code if isinstance(done.code, int) else 0
    return 0
