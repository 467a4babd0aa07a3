"""Every example runs, asserts what it shows, and prints it."""

import subprocess
import sys
from pathlib import Path

import pytest
from matplotlib import image as plt_image

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

EXPECTED = {
    "lag_experiment.py": ["Longer lags do not help the follower here", "Figure saved to"],
    "lag_continuous.py": ["a longer lag does not help the follower", "first order in the lag",
                          "continuous effort says 0.0547 with 0", "Figure saved to lag_continuous.png"],
    "quickstart.py": ["follower: firm 0", "can leapfrog:           yes"],
    "lee_wilde.py": ["Largest relative difference between solver and closed form"],
    "lee_wilde_n.py": ["Largest relative difference between solver and closed form (20) over 112 races",
                       "n = 8: x* = 0.934271"],
    "third_rival.py": ["third firm level w/ leader", "The third rival raised the follower's chance of leapfrogging"],
    "multiplicity.py": ["Several equilibria appeared only in families with a loser prize", "13 equilibria;"],
    "dropout.py": ["(0, 2), (0, 3), (1, 3)", "can leapfrog:           no"],
    "figures.py": ["6 figures saved to", "dropout region: the firm behind idles at [(0, 0)"],
    "fgst_four_claims.py": ["epsilon-preemption with leapfrogging impossible", "Figure saved to fgst_contested_gap.png",
                            "the gap grows with the lag and vanishes with it",
                            "20-cell grids cannot tell whether", "so it never draws level"],
    "grossman_shapiro.py": ["At all 55 points", "Outside that scope: loser prize 0.3"],
    "harris_vickers.py": ["Every firm without an active rival plays exactly the single-firm policy"],
    "lippman_mccardle.py": ["43 have a follower that drops out", "the leader never drops out while the follower"],
    "later_stages.py": ["At the level states of all 120 races", "Not at every fixed lead"],
    "simulate.py": ["1000000 paths from state (0, 2)", "Every simulated frequency is within four standard errors"],
    "doraszelski.py": ["kappa = 4: increasing dominance, increasing dominance, increasing dominance",
                       "Figure saved to doraszelski.png"],
    "comparative_statics.py": ["(1, 0) implicit", "Largest relative difference between exact derivative and finite",
                               "lambdify along r in [0.01, 0.8] (40 values) against pr.solve"],
    "long_race.py": ["on the compiled path", "a leader facing an idle rival plays as if alone"],
    "tug_of_war.py": ["1. The leader works harder than the follower at every uneven position: 84 of 84.",
                      "2. The follower's effort rises as the gap closes, strictly: 84 of 84.",
                      "Every simulated frequency is within four standard errors"],
}


def test_every_example_is_listed():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(set(EXPECTED) - {"figures.py"}))  # figures.py: test_figures_are_drawn
def test_example_runs(name: str, tmp_path: Path):
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, timeout=600, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    for phrase in EXPECTED[name]:
        assert phrase in done.stdout


def test_lag_figure_is_drawn(tmp_path: Path):
    subprocess.run([sys.executable, str(EXAMPLES / "lag_experiment.py")], check=True, cwd=tmp_path,
                   capture_output=True, timeout=600)
    picture = tmp_path / "lag_experiment.png"
    pixels = plt_image.imread(picture)
    assert pixels.shape[0] > 300 and pixels.std() > 0.05  # not blank


def test_doraszelski_figure_is_drawn(tmp_path: Path):
    subprocess.run([sys.executable, str(EXAMPLES / "doraszelski.py")], check=True, cwd=tmp_path,
                   capture_output=True, timeout=600)
    pixels = plt_image.imread(tmp_path / "doraszelski.png")
    assert pixels.shape[0] > 300 and pixels.std() > 0.05  # not blank


def test_figures_are_drawn(tmp_path: Path):
    done = subprocess.run([sys.executable, str(EXAMPLES / "figures.py"), str(tmp_path / "out")], capture_output=True,
                          text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for phrase in EXPECTED["figures.py"]:
        assert phrase in done.stdout
    names = sorted(p.name for p in (tmp_path / "out").glob("*.png"))
    assert names == ["contested_gap.png", "dropout.png", "effort.png", "leapfrog.png", "paths.png", "value.png"]
    for name in names:
        pixels = plt_image.imread(tmp_path / "out" / name)
        assert pixels.shape[0] > 300 and pixels.std() > 0.05, name  # not blank
