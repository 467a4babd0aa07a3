"""Figures (matplotlib, the optional ``plot`` extra): ``pip install "patentrace[plot]"``.

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot's
global state, with labelled axes and a title; save it with ``fig.savefig(path)``.

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

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from patentrace.lag_experiment import LagExperiment

__all__ = ["lag_figure"]


def _figure(width: float = 7.0, height: float = 4.5) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError('figures need matplotlib: pip install "patentrace[plot]"') from err
    return Figure(figsize=(width, height), layout="constrained")


def lag_figure(experiment: LagExperiment) -> Any:
    """The follower's chances against the lag, technology held fixed (SPEC.md §2).

    Parameters
    ----------
    experiment : LagExperiment
        From :func:`patentrace.lag_experiment`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = _figure()
    ax = fig.add_subplot()
    lags = experiment.lags
    for name, label, style in (
        ("follower_win_probability", "follower wins", "o-"),
        ("leapfrog_probability", "follower leapfrogs", "s--"),
        ("catch_up_probability", "follower catches up", "^:"),
        ("tie_probability", "tie", "x-."),
    ):
        ax.plot(lags, getattr(experiment, name), style, label=label)
    ax.set_xscale("log")
    ax.set_xlabel("lag (length of a period)")
    ax.set_ylabel("probability")
    ax.set_ylim(0.0, 1.0)
    i, j = experiment.state
    ax.set_title(f"Information lag and the follower's chances from state ({i}, {j}), technology fixed")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return fig
