"""``patentrace sweep``: every combination of the flags given several values, reported at one state.

A race of any number of firms (``--stages 3 3 3``, as for ``solve``, ``report`` and
``simulate``): each point reports every firm's effort, value and win probability at
``--state`` (one entry per firm, default the start), and the expected duration.

Examples
--------
>>> measures(3)[:3], measures(2)[-1]
(('effort_0', 'effort_1', 'effort_2'), 'expected_duration')
"""

from __future__ import annotations

import argparse
import functools
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
from numpy.typing import NDArray

from patentrace._limits import check_workers
from patentrace.faces.sweep import SweepResult, sweep
from patentrace.results.equilibrium import Equilibrium
from patentrace.results.nfirm import NFirmEquilibrium
from patentrace.results.serialization import canonical_json

from ._flags import UsageError, flag_error, per_firm
from ._models import check_firm_stages, check_state_flag, race_point, stated_costs

__all__ = ["run_sweep"]

_SWEPT = ("prize", "discount", "cost_scale", "cost_exponent", "cost_linear", "loser_prize")
_COST_FLAGS = ("cost_scale", "cost_exponent", "cost_linear")
_DEFAULTS = {"cost_exponent": [2.0], "cost_linear": [0.0], "loser_prize": [0.0]}
# The value each parameter takes while another one's values are checked on their own.
_HARMLESS = {"prize": 1.0, "discount": 0.1, "cost_scale": 1.0, "cost_exponent": 2.0, "cost_linear": 0.0,
             "loser_prize": 0.0}


def measures(firms: int) -> tuple[str, ...]:
    """The names of the numbers a sweep reports at its state: per firm effort, value, win probability; the duration."""
    return (*(f"{name}_{k}" for name in ("effort", "value", "win_probability") for k in range(firms)),
            "expected_duration")


def _measure(eq: Equilibrium | NFirmEquilibrium, state: tuple[int, ...]) -> NDArray[np.float64]:
    """The numbers a sweep reports at ``state`` (see ``measures``)."""
    firms = len(state)
    flat = int(np.ravel_multi_index(state, eq.expected_duration.shape))
    per_firm = [np.asarray(array).reshape(firms, -1)[:, flat] for array in (eq.effort, eq.value, eq.win_probability)]
    return np.array([*np.concatenate(per_firm), eq.expected_duration.reshape(-1)[flat]])


def _sweep_output(result: SweepResult, names: list[str], state: tuple[int, ...], form: str) -> str:
    reported = measures(len(state))
    points = []
    for index in np.ndindex(result.failed.shape):
        point: dict[str, Any] = {name: float(result.coords[name][k]) for name, k in zip(names, index, strict=True)}
        if result.failed[index]:
            point["error"] = result.errors[index]
        else:
            point.update({m: float(v) for m, v in zip(reported, np.asarray(result.quantity()[index]), strict=True)})
        points.append(point)
    if form == "json":
        return canonical_json({"state": list(state), "parameters": names, "measures": list(reported), "points": points})
    header = [*names, *reported]
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


def _grid(args: argparse.Namespace, cost: Any) -> dict[str, list[float]]:
    """Each swept flag's values (defaults filled in); without the ``--cost-*`` flags when ``--cost`` is given."""
    names = [name for name in _SWEPT if cost is None or name not in _COST_FLAGS]
    return {name: list(getattr(args, name) if getattr(args, name) is not None else _DEFAULTS[name])
            for name in names}


def _check_values(stages: tuple[int, ...], grid: dict[str, list[float]], fixed: dict[str, Any], prog: str) -> None:
    """Check every value on its own, the others at harmless values, so that a bad value names its flag.

    The loser prize is checked against the largest prize; a clash with a smaller one fails
    only at its grid points (and is reported there).
    """
    harmless = {name: _HARMLESS[name] for name in grid}
    for name, values in grid.items():
        for value in values:
            point = harmless | ({"prize": max(grid["prize"])} if name == "loser_prize" else {}) | {name: value}
            try:
                race_point(stages, **point, **fixed)
            except (ValueError, TypeError) as err:
                message = str(err)
                raise UsageError(f"{prog}: error: --{name.replace('_', '-')}: {message}") from None


def run_sweep(args: argparse.Namespace, prog: str) -> str:
    """Solve every combination of the swept flags' values (``patentrace.sweep``) and report them at ``--state``."""
    stages = check_firm_stages(args)
    cost = stated_costs(args, prog, firms=len(stages))
    try:
        fixed = {"cost": cost} | {name: per_firm(f"--{name}", getattr(args, name), stages)
                                  for name in ("productivity", "breakthrough")}
    except ValueError as err:
        raise UsageError(f"{prog}: error: {err}") from None
    grid = _grid(args, cost)
    _check_values(stages, grid, {"cost": cost}, prog)
    try:
        race_point(stages, **{name: _HARMLESS[name] for name in grid}, **fixed)
    except (ValueError, TypeError) as err:
        raise flag_error(prog, err) from None
    if args.workers < 1:
        raise UsageError(f"{prog}: error: --workers must be >= 1, got {args.workers}")
    try:
        check_workers("--workers", args.workers)  # before any process starts (repro cli_checks.sh)
    except ValueError as err:
        raise UsageError(f"{prog}: error: {err}") from None
    state = check_state_flag(stages, args.state or [0] * len(stages), "--state", prog)
    swept = [name for name in grid if len(grid[name]) > 1] or ["prize"]
    constant = {name: values[0] for name, values in grid.items() if name not in swept}
    make = functools.partial(race_point, stages, **constant, **fixed)
    measure = functools.partial(_measure, state=state)
    axes = {name: grid[name] for name in swept}
    if args.workers == 1:
        result = sweep(make, axes, measure, selection=args.selection)
    else:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            result = sweep(make, axes, measure, executor=pool, selection=args.selection)
    return _sweep_output(result, swept, state, args.format)
