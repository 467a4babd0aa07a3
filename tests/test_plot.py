"""Every figure renders under Agg to a PNG that is not blank, with labels, a title and the right data."""

from pathlib import Path

import matplotlib
import numpy as np
import pytest
from matplotlib import image
from matplotlib.figure import Figure

import patentrace as pr
from patentrace.faces import plot
from patentrace.reports.leapfrog import leapfrog_map

matplotlib.use("Agg")  # the figures never touch pyplot; PNGs are written by the Agg canvas


@pytest.fixture(scope="module")
def dropout_eq() -> pr.Equilibrium:
    # examples/dropout.py: firm 0 idles at (0, 2), (0, 3) and (1, 3)
    return pr.solve(pr.Race(stages=4, prize=1.0, discount=0.05, cost=pr.costs.Quadratic(linear=0.05)))


@pytest.fixture(scope="module")
def lagged_eq() -> pr.LaggedEquilibrium:
    race = pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic(linear=0.02))
    return pr.solve(pr.LaggedRace.from_race(race, lag=1.0, efforts=[0.0, 0.3, 0.8]))


def rendered(fig: Figure, path: Path) -> np.ndarray:
    """Save as PNG and read back: the picture must not be blank."""
    assert isinstance(fig, Figure)
    fig.savefig(path, dpi=60)
    pixels = image.imread(path)[..., :3]
    assert pixels.shape[0] > 150 and pixels.shape[1] > 200
    assert pixels.std() > 0.05 and np.mean(np.any(pixels < 0.9, axis=-1)) > 0.02  # drawn, not a white page
    return pixels


def labelled(fig: Figure, panels: int, colour_bar: bool) -> None:
    axes = fig.axes[:panels]
    for ax in axes:
        assert ax.get_xlabel() and ax.get_ylabel()
    assert any(ax.get_title() for ax in axes) or fig.get_suptitle()
    assert len(fig.axes) == panels + (1 if colour_bar else 0)
    if colour_bar:
        assert fig.axes[-1].get_ylabel()  # the colour bar's label


def test_effort_and_value_maps(dropout_eq, tmp_path):
    for draw, data in ((plot.effort_figure, dropout_eq.effort), (plot.value_figure, dropout_eq.value)):
        fig = draw(dropout_eq)
        rendered(fig, tmp_path / f"{draw.__name__}.png")
        labelled(fig, panels=2, colour_bar=True)
        for firm in (0, 1):
            drawn = fig.axes[firm].collections[0].get_array()
            np.testing.assert_array_equal(drawn.reshape(5, 5)[:4, :4], data[firm, :4, :4])
            assert drawn.reshape(5, 5).mask[4].all() and drawn.reshape(5, 5).mask[:, 4].all()  # finished states


def test_leapfrog_map_matches_the_report_and_its_order(dropout_eq, lagged_eq, tmp_path):
    fig = plot.leapfrog_figure(dropout_eq)
    rendered(fig, tmp_path / "leapfrog.png")
    labelled(fig, panels=1, colour_bar=True)
    leap = leapfrog_map(dropout_eq)
    np.testing.assert_array_equal(fig.axes[0].collections[0].get_array().reshape(5, 5), leap)
    win = leapfrog_map(dropout_eq, "follower_win_probability")
    catch = leapfrog_map(dropout_eq, "catch_up_probability")
    assert np.all(win <= leap) and np.all(leap <= catch) and np.all(catch <= 1.0)  # docs/theory/leapfrog.md
    assert leap.mask.tolist() == np.eye(5, dtype=bool).__or__(np.arange(5)[:, None] == 4).__or__(
        np.arange(5)[None, :] == 4).tolist()  # level and finished states
    assert leap[0, 2] == 0.0 and leap[0, 1] > 0.0  # dropped out two behind; one behind it still races
    for eq in (dropout_eq, lagged_eq):  # one pass per follower gives what the report gives state by state
        maps = {q: leapfrog_map(eq, q) for q in ("follower_win_probability", "leapfrog_probability",
                                                 "catch_up_probability")}
        for i, j in zip(*np.nonzero(~maps["leapfrog_probability"].mask), strict=True):
            report = pr.leapfrog(eq, (int(i), int(j)))
            for quantity, chances in maps.items():
                assert chances[i, j] == getattr(report, quantity), (quantity, i, j)
    with pytest.raises(ValueError, match="quantity must be one of"):
        leapfrog_map(dropout_eq, "probability")


def test_dropout_map_shows_who_idles(dropout_eq, tmp_path):
    fig = plot.dropout_figure(dropout_eq)
    rendered(fig, tmp_path / "dropout.png")
    labelled(fig, panels=1, colour_bar=True)
    idle = plot.idle_categories(dropout_eq)
    assert sorted(zip(*np.nonzero(idle.filled(0) == 1), strict=True)) == [(0, 2), (0, 3), (1, 3)]
    assert sorted(zip(*np.nonzero(idle.filled(0) == 2), strict=True)) == [(2, 0), (3, 0), (3, 1)]  # symmetry
    hatched = [p for p in fig.axes[0].patches if p.get_hatch()]
    assert len(hatched) == int(pr.preemption_region(dropout_eq).sum()) == 6
    assert "does not hold" in fig.axes[0].get_title()


def test_lagged_maps(lagged_eq, tmp_path):
    fig = plot.effort_figure(lagged_eq)
    rendered(fig, tmp_path / "lagged_effort.png")
    labelled(fig, panels=2, colour_bar=True)
    drawn = fig.axes[0].collections[0].get_array().reshape(4, 3)
    np.testing.assert_allclose(drawn[:3, :2], lagged_eq.advance_probability()[0, :3, :2], rtol=0, atol=0)
    for draw in (plot.value_figure, plot.leapfrog_figure, plot.dropout_figure):
        rendered(draw(lagged_eq), tmp_path / f"lagged_{draw.__name__}.png")


def test_sample_paths(lagged_eq, tmp_path):
    eq = pr.solve(pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    sim = pr.simulate(eq, (0, 0), 300, seed=4, sample=25)
    fig = plot.paths_figure(sim, limit=10)
    rendered(fig, tmp_path / "paths.png")
    labelled(fig, panels=1, colour_bar=False)
    lines = [line for line in fig.axes[0].get_lines() if line.get_linestyle() != ":" and len(line.get_xdata()) > 1]
    assert len(lines) == 10
    first = sim.sample
    lead = (2 - first.j[0]) - (3 - first.i[0])
    np.testing.assert_array_equal(lines[0].get_ydata(), lead[: first.length[0]])
    assert fig.axes[0].get_xlabel() == "time"
    periods = plot.paths_figure(pr.simulate(lagged_eq, (0, 1), 100, seed=1, sample=5))
    rendered(periods, tmp_path / "lagged_paths.png")
    assert periods.axes[0].get_xlabel() == "periods"
    with pytest.raises(ValueError, match="no sample paths"):
        plot.paths_figure(pr.simulate(eq, (0, 0), 10, seed=1))
    with pytest.raises(ValueError, match="limit must be an integer >= 1"):
        plot.paths_figure(sim, limit=0)
    with pytest.raises(TypeError, match="simulation must be"):
        plot.paths_figure(eq)


def test_contested_gap_against_the_lag(tmp_path):
    lags = [0.4, 0.1, 0.2]
    fig = plot.contested_gap_figure(lags, [0.11, 0.02, 0.05], thresholds={"sufficient": [0.16, 0.04, 0.08]})
    rendered(fig, tmp_path / "gap.png")
    labelled(fig, panels=1, colour_bar=False)
    gap_line = next(line for line in fig.axes[0].get_lines() if line.get_label() == "contested gap g*(Δ)")
    assert gap_line.get_xdata().tolist() == [0.1, 0.2, 0.4] and gap_line.get_ydata().tolist() == [0.02, 0.05, 0.11]
    with pytest.raises(ValueError, match=r"gaps must have one value per lag \(3\)"):
        plot.contested_gap_figure(lags, [0.1, 0.2])
    with pytest.raises(ValueError, match="lags must be finite and > 0"):
        plot.contested_gap_figure([0.0, 0.1], [0.1, 0.2])
    with pytest.raises(ValueError, match="gaps must be finite and >= 0"):
        plot.contested_gap_figure([0.1, 0.2], [0.1, float("nan")])
    with pytest.raises(ValueError, match=r"thresholds\['x'\] must have one value per lag"):
        plot.contested_gap_figure([0.1, 0.2], [0.1, 0.2], thresholds={"x": [1.0]})


def test_lag_figure_still_importable_from_plot():
    from patentrace.plot import lag_figure

    assert lag_figure is plot.lines.lag_figure


def test_maps_refuse_what_is_not_an_equilibrium():
    with pytest.raises(TypeError, match=r"eq must be a patentrace\.Equilibrium"):
        plot.effort_figure("equilibrium")
