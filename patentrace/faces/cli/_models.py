"""The models the command line's flags describe: the race, the race in periods, the deterministic race.

Every bad value raises a ``UsageError`` naming its flag, with the model's own message.

Examples
--------
>>> from patentrace.costs import Quadratic
>>> make_race((2, 3), prize=1.0, discount=0.1, cost=Quadratic(scale=2.0), productivity=[[1.0, 2.0], [1.0] * 3])
... # doctest: +ELLIPSIS
Race(stages=(2, 3), prize=1.0, discount=0.1, cost=(Quadratic(scale=2.0, linear=0.0), ...), ...)
"""

from __future__ import annotations

import argparse
import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from patentrace.models import DeterministicRace, LaggedRace, Race
from patentrace.models.costs import Cost, Power
from patentrace.models.lattice import check_state
from patentrace.models.nfirm_lattice import check_state as check_firms_state

from ._flags import UsageError, flag_error, menus, numbers, parse_cost, per_firm

__all__ = ["InterpolatedHazard", "check_firm_stages", "check_state_flag", "deterministic_race", "lagged_race",
           "make_race", "power_cost", "race", "race_point", "stated_costs"]

_TIE_RULES = ("split", "first", "loss")


def power_cost(scale: float, exponent: float | None = None, linear: float | None = None) -> Power:
    """``c(x) = linear x + scale x^exponent / exponent`` from the ``--cost-*`` flags (defaults 2 and 0).

    Examples
    --------
    >>> power_cost(1.5)
    Power(scale=1.5, exponent=2.0, linear=0.0)
    """
    with np.errstate(over="ignore", invalid="ignore"):  # the cost's own check reports non-finite values
        cost = Power(scale=scale, exponent=2.0 if exponent is None else exponent,
                     linear=0.0 if linear is None else linear)
        cost.check()
    return cost


def make_race(stages: tuple[int, ...], prize: float, discount: float, cost: Cost | Sequence[Cost],
              loser_prize: float | None = None, productivity: Any = None, breakthrough: Any = None) -> Race:
    """The race (the race, docs/theory/race.md) with the command line's defaults.

    Examples
    --------
    >>> make_race((2, 2), prize=1.0, discount=0.1, cost=power_cost(1.0), breakthrough=[0.1, 0.2]).breakthrough
    ((0.1, 0.2), (0.1, 0.2))
    """
    with np.errstate(over="ignore", invalid="ignore"):  # the cost's own check reports non-finite values
        return Race(stages=stages, prize=prize, discount=discount, cost=cost,
                    loser_prize=0.0 if loser_prize is None else loser_prize, productivity=productivity,
                    breakthrough=breakthrough)


def race_point(stages: tuple[int, ...], *, prize: float, discount: float, loser_prize: float | None = None,
               cost_scale: float | None = None, cost_exponent: float | None = None,
               cost_linear: float | None = None, cost: Any = None, productivity: Any = None,
               breakthrough: Any = None) -> Race:
    """One point of a sweep: the race, its cost either ``cost`` or built from the ``cost_*`` values.

    Examples
    --------
    >>> race_point((2, 2), prize=1.0, discount=0.1, cost_scale=2.0).cost[0]
    Power(scale=2.0, exponent=2.0, linear=0.0)
    """
    if cost is None:
        cost = power_cost(1.0 if cost_scale is None else cost_scale, cost_exponent, cost_linear)
    return make_race(stages, prize, discount, cost, loser_prize, productivity, breakthrough)


def check_firm_stages(args: argparse.Namespace) -> tuple[int, ...]:
    """``--stages`` of ``solve``, ``report``, ``simulate``, ``sweep``: one value for both firms, or one per firm."""
    values = args.stages
    return (values[0], values[0]) if len(values) == 1 else tuple(values)


@overload
def check_state_flag(stages: tuple[int, int], state: Sequence[int], flag: str, prog: str) -> tuple[int, int]: ...


@overload
def check_state_flag(stages: tuple[int, ...], state: Sequence[int], flag: str, prog: str) -> tuple[int, ...]: ...


def check_state_flag(stages: tuple[int, ...], state: Sequence[int], flag: str, prog: str) -> tuple[int, ...]:
    """A state (one entry per firm) inside the race, or a usage error naming ``flag``."""
    try:
        if len(stages) > 2:
            return check_firms_state(tuple(state), stages)
        return check_state(tuple(state), (stages[0], stages[1]))
    except ValueError as err:
        raise UsageError(f"{prog}: error: {flag}: {err}") from None


def stated_costs(args: argparse.Namespace, prog: str, per_firm_costs: bool = True, firms: int = 2) -> Any:
    """The ``--cost`` occurrences as costs (one, or a pair), or None when the ``--cost-*`` flags state it.

    ``--cost`` and the ``--cost-*`` flags exclude each other, and one of them is needed.
    """
    scale_flags = [name for name in ("cost_scale", "cost_exponent", "cost_linear") if getattr(args, name) is not None]
    if args.cost is None:
        if args.cost_scale is None:
            raise UsageError(f"{prog}: error: --cost-scale (or --cost) is required")
        return None
    if scale_flags:
        given = ", ".join("--" + name.replace("_", "-") for name in scale_flags)
        raise UsageError(f"{prog}: error: --cost states the whole cost: give it or {given}, not both")
    if len(args.cost) not in ((1, firms) if per_firm_costs else (1,)):
        many = "once (both firms) or twice (firm 0, then firm 1)" if per_firm_costs else "once (both firms share it)"
        if per_firm_costs and firms > 2:
            many = f"once (all firms) or {firms} times (one per firm, firm 0 first)"
        raise UsageError(f"{prog}: error: --cost: give it {many}, got it {len(args.cost)} times")
    try:
        costs = [parse_cost(spec) for spec in args.cost]
    except ValueError as err:
        raise UsageError(f"{prog}: error: {err}") from None
    return costs[0] if len(costs) == 1 else tuple(costs)


def _rates(args: argparse.Namespace, stages: tuple[int, ...], prog: str) -> dict[str, Any]:
    try:
        return {name: per_firm(f"--{name}", getattr(args, name), stages) for name in ("productivity", "breakthrough")}
    except ValueError as err:
        raise UsageError(f"{prog}: error: {err}") from None


def race(args: argparse.Namespace, prog: str) -> Race:
    """The race of ``solve``, ``report``, ``simulate`` and ``lagged`` (two firms or more: ``--stages N1 N2 N3 ...``)."""
    stages = check_firm_stages(args)
    cost = stated_costs(args, prog, firms=len(stages))
    try:
        if cost is None:
            cost = power_cost(args.cost_scale, args.cost_exponent, args.cost_linear)
        return make_race(stages, args.prize, args.discount, cost, args.loser_prize, **_rates(args, stages, prog))
    except (ValueError, TypeError) as err:
        raise flag_error(prog, err) from None


def _tie(text: str, prog: str) -> str | float:
    if text in _TIE_RULES:
        return text
    try:
        return float(text)
    except ValueError:
        raise UsageError(f"{prog}: error: --tie must be split, first, loss or a share theta in [0, 1], "
                         f"got {text!r}") from None


def lagged_race(args: argparse.Namespace, prog: str) -> LaggedRace:
    """The race in periods (docs/theory/periods.md): ``LaggedRace.from_race`` with ``--lag`` and ``--efforts``.

    Without ``--efforts`` no menu is passed: ``from_race``'s own default decides. If this
    version's ``from_race`` has no default menu, ``--efforts`` is required.
    """
    continuous = race(args, prog)
    if continuous.firms > 2:
        raise UsageError(f"{prog}: error: --stages: the race in periods has two firms, got {continuous.firms}")
    try:
        menu = menus(args.efforts)
    except ValueError as err:
        raise UsageError(f"{prog}: error: {err}") from None
    options: dict[str, Any] = {"tie": _tie(args.tie, prog)}
    if menu is not None:
        options["efforts"] = menu
    elif inspect.signature(LaggedRace.from_race).parameters["efforts"].default is inspect.Parameter.empty:
        raise UsageError(f"{prog}: error: --efforts is required: this version's LaggedRace.from_race has no default "
                         "effort menu (give e.g. --efforts 0,0.5,1)")
    try:
        return LaggedRace.from_race(continuous, lag=args.lag, **options)
    except (ValueError, TypeError) as err:
        raise flag_error(prog, err) from None


@dataclass(frozen=True)
class InterpolatedHazard:
    """``b(w)``: one value for every experience level, or values at ``w = 0, ..., 1`` equally spaced, linear between.

    Examples
    --------
    >>> InterpolatedHazard((0.0, 0.2))(0.25), InterpolatedHazard((0.1,))(0.9)
    (0.05, 0.1)
    """

    values: tuple[float, ...]

    def __call__(self, w: float) -> float:
        if len(self.values) == 1:
            return self.values[0]
        return float(np.interp(w, np.linspace(0.0, 1.0, len(self.values)), self.values))


def _hazard(tokens: Sequence[str] | None, prog: str) -> InterpolatedHazard | None:
    if tokens is None:
        return None
    try:
        values = numbers("--breakthrough", tokens)
    except ValueError as err:
        raise UsageError(f"{prog}: error: {err}") from None
    bad = [v for v in values if not (np.isfinite(v) and v >= 0.0)]
    if bad:
        raise UsageError(f"{prog}: error: --breakthrough: b(w) must be finite and >= 0, got {bad[0]!r}")
    return InterpolatedHazard(tuple(values))


def deterministic_race(args: argparse.Namespace, prog: str) -> DeterministicRace:
    """FGST's deterministic race (docs/deterministic.md): one cost for both firms, ``--lag`` 0 by default."""
    cost = stated_costs(args, prog, per_firm_costs=False)
    try:
        if cost is None:
            cost = power_cost(args.cost_scale, args.cost_exponent, args.cost_linear)
        return DeterministicRace(prize=args.prize, discount=args.discount, cost=cost, lag=args.lag,
                                 max_speed=args.max_speed, loser_prize=0.0 if args.loser_prize is None else
                                 args.loser_prize, breakthrough=_hazard(args.breakthrough, prog))
    except (ValueError, TypeError) as err:
        raise flag_error(prog, err) from None
