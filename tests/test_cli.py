"""The command line: its JSON equals the library's arrays, and bad flags give one clear line."""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import patentrace as pr
from patentrace.cli import main

RACE = ["--stages", "3", "2", "--prize", "2", "--discount", "0.07", "--cost-scale", "1.5",
        "--cost-exponent", "2.5", "--cost-linear", "0.01", "--loser-prize", "0.1"]


def race() -> pr.Race:
    cost = pr.costs.Power(scale=1.5, exponent=2.5, linear=0.01)
    return pr.Race(stages=(3, 2), prize=2.0, discount=0.07, cost=cost, loser_prize=0.1)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_solve_json_equals_the_library_arrays(capsys):
    status, out, err = run(capsys, "solve", *RACE)
    assert status == 0 and err == ""
    data = json.loads(out)
    eq = pr.solve(race())
    for name in ("effort", "hazard", "value", "win_probability", "expected_duration", "multiplicity"):
        assert data[name] == getattr(eq, name).tolist(), name  # exact: floats are written with repr
    assert data["model"]["stages"] == [3, 2] and data["model"]["loser_prize"] == 0.1


def test_solve_json_spec_numbers(capsys):
    status, out, _ = run(capsys, "solve", "--stages", "2", "--prize", "1", "--discount", "0.1", "--cost-scale", "1")
    data = json.loads(out)
    assert status == 0
    assert data["effort"][0][1][0] == pytest.approx(0.4686350713, abs=1e-10)  # docs/theory/race.md
    assert data["value"][1][0][0] == pytest.approx(0.1795728262, abs=1e-10)
    assert data["win_probability"][0][0][1] == pytest.approx(0.1736986930, abs=1e-10)


def test_an_infinite_duration_round_trips(capsys):
    argv = ["solve", "--stages", "6", "--prize", "1", "--discount", "0.1", "--cost-scale", "1", "--cost-linear", "0.1"]
    _, out, _ = run(capsys, *argv)
    duration = json.loads(out)["expected_duration"]
    assert math.isinf(duration[0][0])
    eq = pr.solve(pr.Race(stages=6, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(linear=0.1)))
    assert duration == eq.expected_duration.tolist()


def test_report_json_equals_the_library_report(capsys):
    status, out, _ = run(capsys, "report", *RACE, "--state", "0", "1")
    data = json.loads(out)
    report = pr.leapfrog(pr.solve(race()), (0, 1))
    assert status == 0
    assert data["follower"] == report.follower == 0
    for name in ("follower_win_probability", "leapfrog_probability", "catch_up_probability", "can_leapfrog",
                 "epsilon_preemption"):
        assert data[name] == getattr(report, name), name
    assert data["preemption_region"] == report.preemption_region.tolist()
    assert data["underflow_region"] == report.underflow_region.tolist()
    assert data["win_probability"] == list(report.win_probability)


def test_simulate_json_equals_the_library_simulation(capsys):
    status, out, _ = run(capsys, "simulate", *RACE, "--start", "1", "0", "--paths", "3000", "--seed", "4")
    data = json.loads(out)
    eq = pr.solve(race())
    assert status == 0
    assert data["simulation"] == pr.simulate(eq, (1, 0), 3000, seed=4).to_dict()
    assert data["computed"]["win_probability"] == eq.win_probability[:, 1, 0].tolist()
    assert data["computed"]["leapfrog_probability"] == pr.leapfrog(eq, (1, 0)).leapfrog_probability


def test_sweep_json_equals_solving_each_point(capsys):
    argv = ["sweep", "--stages", "2", "3", "--prize", "1", "--discount", "0.05", "0.2", "--cost-scale", "1", "3",
            "--state", "0", "1"]
    status, out, _ = run(capsys, *argv)
    data = json.loads(out)
    assert status == 0 and data["parameters"] == ["discount", "cost_scale"] and len(data["points"]) == 4
    for point in data["points"]:
        eq = pr.solve(pr.Race(stages=(2, 3), prize=1.0, discount=point["discount"],
                              cost=pr.costs.Quadratic(scale=point["cost_scale"])))
        assert point["effort_0"] == eq.effort[0, 0, 1] and point["value_1"] == eq.value[1, 0, 1]
        assert point["win_probability_0"] == eq.win_probability[0, 0, 1]
        assert point["expected_duration"] == eq.expected_duration[0, 1]


def test_sweep_records_a_clash_of_two_good_values_at_its_point(capsys):
    argv = ["sweep", "--stages", "2", "--prize", "0.5", "1", "--loser-prize", "0.8", "--discount", "0.1",
            "--cost-scale", "1"]
    status, out, _ = run(capsys, *argv)
    first, second = json.loads(out)["points"]
    assert status == 0 and "loser_prize must be <= prize" in first["error"]
    loser = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), loser_prize=0.8))
    assert second["value_0"] == loser.value[0, 0, 0]


def test_tables(capsys):
    base = ["--stages", "2", "--prize", "1", "--discount", "0.1", "--cost-scale", "1", "--format", "table"]
    _, out, _ = run(capsys, "solve", *base)
    assert "value of firm 0" in out and "0.179573" in out and "0.468635" in out
    _, out, _ = run(capsys, "report", *base, "--state", "0", "1")
    assert "follower wins:          0.1736986930" in out
    _, out, _ = run(capsys, "simulate", *base, "--start", "0", "1", "--paths", "2000", "--seed", "1")
    assert "follower leapfrogs" in out and "computed" in out and "0.173699" in out
    _, out, _ = run(capsys, "sweep", *base[:6], "--cost-scale", "1", "2", "--format", "table")
    lines = out.splitlines()
    assert lines[0].startswith("Sweep over cost_scale") and len(lines) == 4
    assert lines[2].split()[:4] == ["1", "0.351792", "0.351792", "0.179573"]


def race_argv(command: str, *extra: str, stages: tuple[str, ...] = ("3",), prize: tuple[str, ...] = ("1",),
              discount: tuple[str, ...] = ("0.1",), cost_scale: tuple[str, ...] | None = ("1",)) -> list[str]:
    """The command line of ``command`` on a valid race, with some flags' values replaced and ``extra`` appended."""
    argv = [command, "--stages", *stages, "--prize", *prize, "--discount", *discount]
    if cost_scale is not None:
        argv += ["--cost-scale", *cost_scale]
    return [*argv, *extra]


BAD_FLAGS = [
    (race_argv("solve", prize=("-1",)), "--prize"),
    (race_argv("solve", prize=("abc",)), "--prize"),
    (race_argv("solve", prize=("nan",)), "--prize"),
    (race_argv("solve", discount=("0",)), "--discount"),
    (race_argv("solve", stages=("0",)), "--stages"),
    (race_argv("solve", stages=("1", "2", "3")), "--stages"),
    (race_argv("solve", stages=("2.5",)), "--stages"),
    (race_argv("solve", cost_scale=("0",)), "--cost-scale"),
    (race_argv("solve", "--cost-exponent", "1"), "--cost-exponent"),
    (race_argv("solve", "--cost-linear", "-1"), "--cost-linear"),
    (race_argv("solve", "--loser-prize", "2"), "--loser-prize"),
    (race_argv("solve", cost_scale=None), "--cost-scale"),
    (race_argv("solve", "--cost-exponent", "500"), "--cost-exponent"),
    (race_argv("solve", "--format", "xml"), "--format"),
    (race_argv("report", "--state", "4", "0"), "--state"),
    (race_argv("simulate", "--paths", "0"), "--paths"),
    (race_argv("simulate", "--seed", "-1"), "--seed"),
    (race_argv("simulate", "--start", "3", "3"), "--start"),
    (race_argv("sweep", discount=("0.1", "-2")), "--discount"),
    (race_argv("sweep", "--loser-prize", "0", "nan", prize=("1", "2")), "--loser-prize"),
    (race_argv("sweep", "--loser-prize", "3", prize=("1", "2")), "--loser-prize"),
    (race_argv("sweep", "--cost-exponent", "2", "0.5"), "--cost-exponent"),
    (race_argv("sweep", "--workers", "0"), "--workers"),
    (race_argv("solve", "--breakthrough", "0.1", "-0.1", stages=("2",)), "--breakthrough"),
    (race_argv("solve", "--breakthrough", "0.1", "0.2", "0.3", stages=("2",)), "--breakthrough"),
    (race_argv("solve", "--breakthrough", "0.1", "0.2", stages=("2", "3")), "--breakthrough"),
    (race_argv("sweep", "--breakthrough", "inf", stages=("2",), prize=("1", "2")), "--breakthrough"),
    (race_argv("report", "--follower-by", "time", stages=("2",)), "--follower-by"),
]


@pytest.mark.parametrize(("argv", "flag"), BAD_FLAGS)
def test_a_bad_flag_gives_one_line_naming_it(capsys, argv, flag):
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and flag in err and "Traceback" not in err


def test_help_and_version(capsys):
    assert main(["--help"]) == 0
    assert "solve" in capsys.readouterr().out
    assert main(["--version"]) == 0
    assert pr.__version__ in capsys.readouterr().out


def test_entry_points(tmp_path: Path):
    script = Path(sys.executable).parent / "patentrace"
    argv = ["solve", "--stages", "2", "--prize", "1", "--discount", "0.1", "--cost-scale", "1"]
    eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    done = subprocess.run([str(script), *argv], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert np.array_equal(np.array(json.loads(done.stdout)["value"]), eq.value)
    bad = subprocess.run([sys.executable, "-m", "patentrace", "solve", "--stages", "2", "--prize", "x"],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip() == "patentrace solve: error: argument --prize: invalid float value: 'x'"

def test_sweep_on_two_processes_gives_the_same_json(capsys):
    argv = ["sweep", "--stages", "2", "--prize", "1", "--discount", "0.05", "0.1", "0.2", "--cost-scale", "1"]
    _, alone, _ = run(capsys, *argv)
    status, pooled, _ = run(capsys, *argv, "--workers", "2")
    assert status == 0 and json.loads(pooled) == json.loads(alone)


BREAKTHROUGH = ["--stages", "3", "--prize", "1", "--discount", "0.1", "--cost-scale", "1", "--breakthrough",
                "0.0", "0.05", "0.3"]


def breakthrough_race(rates=(0.0, 0.05, 0.3)) -> pr.Race:
    return pr.Race(stages=3, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), breakthrough=list(rates))


def test_breakthrough_flag_solves_the_library_race(capsys):
    status, out, err = run(capsys, "solve", *BREAKTHROUGH)
    data = json.loads(out)
    eq = pr.solve(breakthrough_race())
    assert status == 0 and err == ""
    assert data["value"] == eq.value.tolist() and data["win_probability"] == eq.win_probability.tolist()
    # one value is every stage's hazard
    _, out, _ = run(capsys, "solve", *BREAKTHROUGH[:-3], "0.2")
    assert json.loads(out)["value"] == pr.solve(breakthrough_race((0.2, 0.2, 0.2))).value.tolist()
    # the jump chain with breakthroughs, from the JSON alone, at (2, 1): b = 0.3 and 0.05
    h0, h1 = data["hazard"][0][2][1], data["hazard"][1][2][1]
    win = data["win_probability"][0]
    assert win[2][1] == pytest.approx((h0 * win[3][1] + h1 * win[2][2] + 0.3) / (h0 + h1 + 0.3 + 0.05), rel=1e-12)
    _, out, _ = run(capsys, "solve", *BREAKTHROUGH[:-4])
    assert data["win_probability"][0][2][1] != pytest.approx(json.loads(out)["win_probability"][0][2][1], rel=1e-3)


def test_report_follower_by_expected_time(capsys):
    _, out, _ = run(capsys, "report", *BREAKTHROUGH, "--state", "2", "1", "--follower-by", "expected_time")
    report = pr.leapfrog(pr.solve(breakthrough_race()), (2, 1), follower_by="expected_time")
    data = json.loads(out)
    assert data["follower"] == report.follower and data["leapfrog_probability"] == report.leapfrog_probability
    _, table, _ = run(capsys, "report", *BREAKTHROUGH, "--state", "2", "1", "--follower-by", "expected_time",
                      "--format", "table")
    assert f"expected time to discovery: firm 0 {report.remaining[0]:.10g}" in table


def test_sweep_with_breakthroughs_equals_solving_each_point(capsys):
    _, out, _ = run(capsys, "sweep", *BREAKTHROUGH, "--discount", "0.1", "0.2", "--state", "1", "0")
    data = json.loads(out)
    for k, discount in enumerate((0.1, 0.2)):
        race = pr.Race(stages=3, prize=1.0, discount=discount, cost=pr.costs.Quadratic(), breakthrough=[0.0, 0.05, 0.3])
        assert data["points"][k]["value_0"] == float(pr.solve(race).value[0, 1, 0])
