"""Line figures: the lag experiment, simulated paths, and the contested gap against the lag.

Examples
--------
>>> import patentrace as pr
>>> from patentrace.plot import lag_figure
>>> race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
>>> fig = lag_figure(pr.lag_experiment(race, lags=[0.5, 1.0], efforts=[0.0, 0.3, 0.6]))
>>> fig.axes[0].get_xlabel()
'lag (length of a period)'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Integral
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from patentrace.faces.plot._base import new_figure
from patentrace.reports.simulate import FIRST_WINS, SECOND_WINS, STALLED, TIE, Simulation

if TYPE_CHECKING:
    from patentrace.reports.lag_experiment import LagExperiment

__all__ = ["contested_gap_figure", "lag_figure", "paths_figure"]

def lag_figure(experiment: LagExperiment) -> Any:
    """The follower's chances against the lag, technology held fixed (docs/theory/periods.md).

    Parameters
    ----------
    experiment : LagExperiment
        From [`patentrace.lag_experiment`][patentrace.lag_experiment].

    Returns
    -------
    matplotlib.figure.Figure
        One panel: the follower's chances (win, leapfrog, catch up) and a tie's, against the lag
        on a log scale; with continuous effort the win probability carries its error
        estimate as error bars.

    Examples
    --------
    >>> import patentrace as pr
    >>> from patentrace.plot import lag_figure
    >>> race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> fig = lag_figure(pr.lag_experiment(race, [0.5, 1.0, 2.0], efforts=[0.0, 0.5, 1.0]))
    >>> fig.axes[0].get_xlabel()
    'lag (length of a period)'
    """
    fig = new_figure()
    ax = fig.add_subplot()
    lags = experiment.lags
    for name, label, style in (
        ("follower_win_probability", "follower wins", "o-"),
        ("leapfrog_probability", "follower leapfrogs", "s--"),
        ("catch_up_probability", "follower catches up", "^:"),
        ("tie_probability", "tie", "x-."),
    ):
        error = experiment.follower_win_error if name == "follower_win_probability" else None
        if error is None:
            ax.plot(lags, getattr(experiment, name), style, label=label)
        else:  # continuous effort: the solve's error estimate as error bars
            ax.errorbar(lags, getattr(experiment, name), yerr=error, fmt=style, capsize=3, label=label)
    ax.set_xscale("log")
    ax.set_xlabel("lag (length of a period)")
    ax.set_ylabel("probability")
    ax.set_ylim(0.0, 1.0)
    i, j = experiment.state
    ax.set_title(f"Information lag and the follower's chances from state ({i}, {j}), technology fixed")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return fig


_OUTCOMES = ((FIRST_WINS, "firm 0 wins", "tab:blue"), (SECOND_WINS, "firm 1 wins", "tab:orange"),
             (TIE, "tie", "tab:green"), (STALLED, "stalled", "0.4"))


def paths_figure(simulation: Simulation, limit: int = 40) -> Any:
    """Simulated histories: firm 0's lead in stages left, against time (docs/theory/leapfrog.md).

    The lead is ``(N1 - j) - (N0 - i)``: positive while firm 0 is ahead, so a path
    that crosses zero is a leapfrog (or a catch-up, when it touches it). Each path is
    coloured by how it ended.

    Parameters
    ----------
    simulation : Simulation
        From [`patentrace.simulate`][patentrace.simulate] with ``sample > 0``.
    limit : int
        Most paths drawn (``>= 1``).

    Returns
    -------
    matplotlib.figure.Figure
        One panel: at most ``limit`` paths, coloured by outcome, with a legend.

    Examples
    --------
    >>> import patentrace as pr
    >>> from patentrace.plot import paths_figure
    >>> eq = pr.solve(pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> fig = paths_figure(pr.simulate(eq, (0, 0), 200, seed=1, sample=20))
    >>> fig.axes[0].get_ylabel()
    "firm 0's lead (stages left by firm 1 - by firm 0)"
    """
    if not isinstance(simulation, Simulation):
        raise TypeError(f"simulation must be a patentrace.Simulation, got {type(simulation).__name__}")
    if simulation.sample is None:
        raise ValueError("simulation holds no sample paths: call pr.simulate(..., sample=k) with k >= 1")
    if isinstance(limit, bool) or not isinstance(limit, Integral) or int(limit) < 1:
        raise ValueError(f"limit must be an integer >= 1, got {limit!r}")
    paths = simulation.sample
    n1, n2 = simulation.model.stages
    lead = (n2 - paths.j) - (n1 - paths.i)
    fig = new_figure()
    ax = fig.add_subplot()
    seen = set()
    limit = int(limit)
    for k in range(min(limit, paths.i.shape[0])):
        length = int(paths.length[k])
        outcome = int(paths.outcome[k])
        _, label, colour = next(o for o in _OUTCOMES if o[0] == outcome)
        ax.step(paths.time[k, :length], lead[k, :length], where="post", color=colour, alpha=0.6, linewidth=1.2,
                label=None if outcome in seen else label)
        ax.plot(paths.time[k, length - 1], lead[k, length - 1], "o", color=colour, markersize=3)
        seen.add(outcome)
    ax.axhline(0.0, color="black", linewidth=0.8, linestyle=":")
    ax.set_xlabel("time" if simulation.duration_unit == "time" else "periods")
    ax.set_ylabel("firm 0's lead (stages left by firm 1 - by firm 0)")
    i, j = simulation.start
    ax.set_title(f"Simulated histories from state ({i}, {j}): {min(limit, paths.i.shape[0])} of "
                 f"{simulation.paths} paths (seed {simulation.seed})", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(title="how the path ended")
    return fig


def _positive_array(name: str, value: ArrayLike, allow_zero: bool) -> NDArray[np.float64]:
    array = np.asarray(value, dtype=float)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty one-dimensional sequence of numbers, got shape {array.shape}")
    if not np.all(np.isfinite(array)) or np.any(array < 0.0) or (not allow_zero and np.any(array == 0.0)):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite and {bound}, got {array.tolist()}")
    return array


def contested_gap_figure(
    lags: Sequence[float] | ArrayLike,
    gaps: Sequence[float] | ArrayLike,
    *,
    thresholds: Mapping[str, Sequence[float] | ArrayLike] | None = None,
    label: str = "contested gap g*(Δ)",
    title: str = "Leads that a rival can contest, against the information lag",
) -> Any:
    """The contested gap against the lag (docs/theory/deterministic.md): below the curve the lead is contested.

    It takes plain arrays, e.g. the thresholds ``g*(Δ)`` computed for a
    ``DeterministicRace`` on a grid of lags, and optional comparison curves such as
    the sufficient condition ``sqrt(2 Δ V_m / a) - x_m Δ``.

    Parameters
    ----------
    lags : sequence of float
        ``Δ > 0``, one per point.
    gaps : sequence of float
        ``g*(Δ) >= 0``, the lead below which the follower can contest, one per lag.
    thresholds : dict, optional
        Label -> values (one per lag) of further curves, drawn dashed.
    label : str, optional
        The legend entry of ``gaps``.
    title : str, optional
        The title of the figure.

    Returns
    -------
    matplotlib.figure.Figure
        One panel: ``gaps`` as a solid line, each threshold dashed.

    Raises
    ------
    ValueError
        If the arrays are empty, of different lengths, not finite, or negative
        (``lags`` must be positive).

    Examples
    --------
    >>> from patentrace.plot import contested_gap_figure
    >>> fig = contested_gap_figure([0.1, 0.2, 0.4], [0.05, 0.1, 0.2], thresholds={"bound": [0.06, 0.12, 0.25]})
    >>> fig.axes[0].get_xlabel()
    'lag Δ (time between observations)'
    """
    x = _positive_array("lags", lags, allow_zero=False)
    y = _positive_array("gaps", gaps, allow_zero=True)
    if x.size != y.size:
        raise ValueError(f"gaps must have one value per lag ({x.size}), got {y.size}")
    order = np.argsort(x)
    x, y = x[order], y[order]
    fig = new_figure()
    ax = fig.add_subplot()
    top = float(np.max(y))
    curves = {}
    for name, values in (thresholds or {}).items():
        curve = _positive_array(f"thresholds[{name!r}]", values, allow_zero=True)
        if curve.size != x.size:
            raise ValueError(f"thresholds[{name!r}] must have one value per lag ({x.size}), got {curve.size}")
        curves[name] = curve[order]
        top = max(top, float(np.max(curve)))
    ceiling = 1.15 * top if top > 0 else 1.0
    ax.fill_between(x, 0.0, y, color="tab:red", alpha=0.15, label="contested: the follower can sneak ahead")
    ax.fill_between(x, y, ceiling, color="tab:blue", alpha=0.08, label="safe: the leader preempts")
    ax.plot(x, y, "o-", color="tab:red", label=label)
    for (name, curve), style in zip(curves.items(), ("s--", "^:", "x-.", "d--"), strict=False):
        ax.plot(x, curve, style, label=name)
    ax.set_ylim(0.0, ceiling)
    if x.size > 1:
        ax.set_xlim(float(x[0]), float(x[-1]))
    ax.set_xlabel("lag Δ (time between observations)")
    ax.set_ylabel("leader's lead in experience")
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return fig
