"""The command line: its JSON equals the library's numbers for every model.

Bad values give one line naming the flag, misspelt flags the usage and the nearest flag, and
docs/cli.md's examples print what the page shows.
"""

import json
import math
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import patentrace as pr
from patentrace.cli import main
from patentrace.results.serialization import restore_floats

RACE = ["--stages", "3", "2", "--prize", "2", "--discount", "0.07", "--cost-scale", "1.5",
        "--cost-exponent", "2.5", "--cost-linear", "0.01", "--loser-prize", "0.1"]


def race() -> pr.Race:
    cost = pr.costs.Power(scale=1.5, exponent=2.5, linear=0.01)
    return pr.Race(stages=(3, 2), prize=2.0, discount=0.07, cost=cost, loser_prize=0.1)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def strict_loads(text: str):
    """``json.loads`` that refuses ``Infinity``, ``-Infinity`` and ``NaN`` (not JSON, RFC 8259)."""
    def refuse(constant: str):
        raise AssertionError(f"{constant} in the CLI's JSON")
    return json.loads(text, parse_constant=refuse)


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
    data = strict_loads(out)  # strict JSON: the infinite duration is the string "inf", as in the result files
    assert data["expected_duration"][0][0] == "inf"
    duration = restore_floats(data["expected_duration"])
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
    (race_argv("solve", stages=("2", "0", "2")), "--stages"),  # three firms (issue 17), one with no stage
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


def test_report_json_is_strict_where_a_time_is_infinite(capsys):
    # a participation cost makes the firm behind drop out: its expected time to discovery is infinite
    argv = ["report", "--stages", "2", "--prize", "1", "--discount", "0.1", "--cost-scale", "1", "--cost-exponent", "2",
            "--cost-linear", "0.3", "--state", "0", "1", "--follower-by", "expected_time"]
    _, out, _ = run(capsys, *argv)
    report = pr.leapfrog(pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(linear=0.3))),
                         (0, 1), follower_by="expected_time")
    assert report.remaining[0] == float("inf")  # the case this test is about
    data = strict_loads(out)
    assert data["remaining"] == ["inf", report.remaining[1]]  # written as the library's result files write it


def test_sweep_with_breakthroughs_equals_solving_each_point(capsys):
    swept = [*BREAKTHROUGH[:4], "--discount", "0.1", "0.2", *BREAKTHROUGH[6:]]  # --discount given once, two values
    _, out, _ = run(capsys, "sweep", *swept, "--state", "1", "0")
    data = json.loads(out)
    for k, discount in enumerate((0.1, 0.2)):
        race = pr.Race(stages=3, prize=1.0, discount=discount, cost=pr.costs.Quadratic(), breakthrough=[0.0, 0.05, 0.3])
        assert data["points"][k]["value_0"] == float(pr.solve(race).value[0, 1, 0])


# --- issue 20: per-firm rates and costs, the lagged and deterministic subcommands, misspelt flags -----------------

BASE = ["--stages", "3", "2", "--prize", "1", "--discount", "0.1"]


def solve_json(capsys, *argv: str) -> dict:
    status, out, err = run(capsys, "solve", *argv)
    assert status == 0, err
    return json.loads(out)


def assert_same_arrays(data: dict, eq, names=("effort", "hazard", "value", "win_probability", "expected_duration",
                                             "multiplicity")) -> None:
    for name in names:
        assert data[name] == getattr(eq, name).tolist(), name  # exact: floats are written with repr


def test_productivity_once_is_a_learning_curve_shared_by_both_firms(capsys):
    data = solve_json(capsys, *BASE, "--cost-scale", "1", "--productivity", "1,1.2,1.5")
    race_ = pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), productivity=[1.0, 1.2, 1.5])
    assert_same_arrays(data, pr.solve(race_))
    assert race_.productivity == ((1.0, 1.2, 1.5), (1.0, 1.2))  # firm 1 uses the first N2 levels
    # spaces and commas state the same curve; the curve changes the numbers
    spaced = solve_json(capsys, *BASE, "--cost-scale", "1", "--productivity", "1", "1.2", "1.5")
    assert {**spaced, "solver": None} == {**data, "solver": None}  # all but the solver's time
    plain = solve_json(capsys, *BASE, "--cost-scale", "1")
    assert plain["value"][0][0][0] != pytest.approx(data["value"][0][0][0], rel=1e-3)


def test_productivity_twice_is_per_firm_and_one_value_is_every_stage(capsys):
    data = solve_json(capsys, *BASE, "--cost-scale", "1", "--productivity", "1,1.2,1.5", "--productivity", "2")
    race_ = pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic(),
                    productivity=[[1.0, 1.2, 1.5], [2.0, 2.0]])
    assert_same_arrays(data, pr.solve(race_))
    assert data["model"]["productivity"] == [[1.0, 1.2, 1.5], [2.0, 2.0]]


def test_breakthrough_twice_is_per_firm(capsys):
    data = solve_json(capsys, *BASE, "--cost-scale", "1", "--breakthrough", "0", "0.05", "0.3",
                      "--breakthrough", "0.1")
    race_ = pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic(),
                    breakthrough=[[0.0, 0.05, 0.3], [0.1, 0.1]])
    eq = pr.solve(race_)
    assert_same_arrays(data, eq)
    # the jump chain at (0, 1) from the JSON alone: firm 1's breakthrough 0.1 is a win for firm 1
    h0, h1 = data["hazard"][0][0][1], data["hazard"][1][0][1]
    win = data["win_probability"][1]
    assert win[0][1] == pytest.approx((h0 * win[1][1] + h1 * win[0][2] + 0.1) / (h0 + h1 + 0.0 + 0.1), rel=1e-12)


def test_cost_once_equals_the_cost_scale_flags(capsys):
    by_spec = solve_json(capsys, *BASE, "--cost", "power:scale=1.5,exponent=2.5,linear=0.01")
    by_flags = solve_json(capsys, *BASE, "--cost-scale", "1.5", "--cost-exponent", "2.5", "--cost-linear", "0.01")
    race_ = pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Power(scale=1.5, exponent=2.5, linear=0.01))
    assert_same_arrays(by_spec, pr.solve(race_))
    assert_same_arrays(by_flags, pr.solve(race_))
    quadratic = solve_json(capsys, *BASE, "--cost", "quadratic:scale=2")
    assert_same_arrays(quadratic, pr.solve(pr.Race(stages=(3, 2), prize=1.0, discount=0.1,
                                                   cost=pr.costs.Quadratic(scale=2.0))))


def test_cost_twice_is_per_firm(capsys):
    data = solve_json(capsys, *BASE, "--cost", "quadratic:scale=1", "--cost", "power:scale=2,exponent=3")
    costs = (pr.costs.Quadratic(scale=1.0), pr.costs.Power(scale=2.0, exponent=3.0))
    eq = pr.solve(pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=costs))
    assert_same_arrays(data, eq)
    swapped = solve_json(capsys, *BASE, "--cost", "power:scale=2,exponent=3", "--cost", "quadratic:scale=1")
    assert swapped["value"] != data["value"]  # the order is firm 0, then firm 1


def test_report_and_simulate_take_the_per_firm_flags(capsys):
    flags = [*BASE, "--cost", "quadratic", "--cost", "quadratic:scale=1.3", "--productivity", "1,1.5,2",
             "--breakthrough", "0.02"]
    race_ = pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=(pr.costs.Quadratic(), pr.costs.Quadratic(scale=1.3)),
                    productivity=[1.0, 1.5, 2.0], breakthrough=[[0.02] * 3, [0.02] * 2])
    eq = pr.solve(race_)
    _, out, _ = run(capsys, "report", *flags, "--state", "0", "1")
    report = pr.leapfrog(eq, (0, 1))
    data = json.loads(out)
    assert data["leapfrog_probability"] == report.leapfrog_probability
    assert data["catch_up_probability"] == report.catch_up_probability
    _, out, _ = run(capsys, "simulate", *flags, "--start", "1", "0", "--paths", "500", "--seed", "3")
    assert json.loads(out)["simulation"] == pr.simulate(eq, (1, 0), 500, seed=3).to_dict()


def test_sweep_takes_the_per_firm_flags(capsys):
    argv = ["sweep", "--stages", "2", "--prize", "1", "--discount", "0.05", "0.2", "--cost", "quadratic",
            "--cost", "power:scale=1,exponent=3", "--productivity", "1", "--productivity", "1,2", "--state", "0", "1"]
    status, out, err = run(capsys, *argv)
    data = json.loads(out)
    assert status == 0, err
    assert data["parameters"] == ["discount"]
    for point in data["points"]:
        eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=point["discount"],
                              cost=(pr.costs.Quadratic(), pr.costs.Power(scale=1.0, exponent=3.0)),
                              productivity=[[1.0, 1.0], [1.0, 2.0]]))
        assert point["effort_1"] == eq.effort[1, 0, 1] and point["value_0"] == eq.value[0, 0, 1]


LAGGED = ["lagged", "--stages", "2", "--prize", "1", "--discount", "0.1", "--cost-scale", "1", "--lag", "0.5"]


def lagged_eq(efforts=(0.0, 0.5, 1.0), tie="split", **race_options):
    race_ = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), **race_options)
    return pr.solve(pr.LaggedRace.from_race(race_, lag=0.5, efforts=list(efforts), tie=tie))


def test_lagged_prints_the_library_equilibrium(capsys):
    status, out, err = run(capsys, *LAGGED, "--efforts", "0,0.5,1")
    data = json.loads(out)
    eq = lagged_eq()
    assert status == 0, err
    assert_same_arrays(data, eq, ("value", "win_probability", "tie_probability", "expected_duration", "multiplicity"))
    assert [data["strategy_0"], data["strategy_1"]] == [eq.strategy[0].tolist(), eq.strategy[1].tolist()]
    assert data["model"]["lag"] == 0.5
    # from the JSON alone, at (1, 1): each firm crosses in a period with probability E[1 - exp(-x lag)] under its
    # mixed strategy; the race ends in a tie if both cross in the same period, and goes on if neither does
    cross = [sum(s * -math.expm1(-x * 0.5) for s, x in zip(data[f"strategy_{k}"][1][1], (0.0, 0.5, 1.0), strict=True))
             for k in (0, 1)]
    tie = cross[0] * cross[1] / (1.0 - (1.0 - cross[0]) * (1.0 - cross[1]))
    assert data["tie_probability"][1][1] == pytest.approx(tie, rel=1e-12) and tie > 0.01
    _, table, _ = run(capsys, *LAGGED, "--efforts", "0", "0.5", "1", "--format", "table")
    assert "tie_probability" in table and f"{eq.value[0, 0, 1]:13.6g}" in table
    assert "expected_duration (periods)" in table


def test_lagged_per_firm_flags_and_tie(capsys):
    argv = [*LAGGED, "--efforts", "0,1", "--efforts", "0,0.5,1", "--productivity", "1,2", "--tie", "0.3",
            "--breakthrough", "0.05"]
    data = json.loads(run(capsys, *argv)[1])
    eq = lagged_eq(efforts=([0.0, 1.0], [0.0, 0.5, 1.0]), tie=0.3, productivity=[1.0, 2.0], breakthrough=[0.05, 0.05])
    assert_same_arrays(data, eq, ("value", "win_probability", "tie_probability"))
    assert len(data["strategy_0"][0][0]) == 2 and len(data["strategy_1"][0][0]) == 3  # two menus
    assert data["model"]["tie"] == 0.3


@pytest.mark.parametrize("tie", ["split", "loss", "0.25"])
def test_lagged_tie_rules(capsys, tie):
    data = json.loads(run(capsys, *LAGGED, "--efforts", "0,0.5,1", "--loser-prize", "0.2", "--tie", tie)[1])
    rule = float(tie) if tie[0].isdigit() else tie
    eq = lagged_eq(tie=rule, loser_prize=0.2)
    assert data["value"] == eq.value.tolist()
    # Bellman at (1, 1) from the JSON alone: firm 0 pays its expected cost now; at the period's end (discounted by
    # beta) it wins P if only it crosses, gets L if only the rival does, the tie payoff T if both do, and v again if
    # neither. Solved for T, it is the rule's: split P / 2, loss L, a share theta P.
    efforts = np.array([0.0, 0.5, 1.0])
    beta, per_period = math.exp(-0.1 * 0.5), -math.expm1(-0.1 * 0.5) / 0.1
    p0, p1 = (np.dot(data[f"strategy_{k}"][1][1], -np.expm1(-efforts * 0.5)) for k in (0, 1))
    cost = np.dot(data["strategy_0"][1][1], efforts**2 / 2 * per_period)
    v = data["value"][0][1][1]
    tie_payoff = (v + cost - beta * (p0 * (1 - p1) * 1.0 + (1 - p0) * p1 * 0.2 + (1 - p0) * (1 - p1) * v)) / (
        beta * p0 * p1)
    assert tie_payoff == pytest.approx({"split": 0.5, "loss": 0.2, "0.25": 0.25}[tie], abs=1e-12)


def test_deterministic_cost_flag_equals_the_library(capsys):
    argv = ["deterministic", "--prize", "2", "--discount", "0.05", "--cost", "power:scale=2,exponent=3"]
    data = json.loads(run(capsys, *argv, "--state", "0.3", "0.6")[1])
    race_ = pr.DeterministicRace(prize=2.0, discount=0.05, cost=pr.costs.Power(scale=2.0, exponent=3.0))
    report = pr.leapfrog(pr.solve(race_), (0.3, 0.6))
    assert data["remaining"] == list(report.remaining) and data["win_probability"] == [0.0, 1.0]
    _, table, _ = run(capsys, *argv, "--format", "table")
    assert f"{float(pr.solve(race_).single_firm_speed(0.5)):12.6g}" in table.splitlines()[8]


def test_lagged_state_prints_the_leapfrog_report(capsys):
    _, out, _ = run(capsys, *LAGGED, "--efforts", "0,0.5,1", "--state", "0", "1")
    report = pr.leapfrog(lagged_eq(), (0, 1))
    data = json.loads(out)
    for name in ("follower", "follower_win_probability", "leapfrog_probability", "catch_up_probability",
                 "tie_probability", "can_leapfrog"):
        assert data[name] == getattr(report, name), name
    _, table, _ = run(capsys, *LAGGED, "--efforts", "0,0.5,1", "--state", "0", "1", "--format", "table")
    assert table.strip() == str(report)


def test_lagged_without_efforts_uses_the_library_default(capsys):
    import inspect

    status, out, err = run(capsys, *LAGGED)
    default = inspect.signature(pr.LaggedRace.from_race).parameters["efforts"].default
    if default is inspect.Parameter.empty:  # this version has no default menu: the flag is needed, and said so
        assert status == 2 and out == "" and "--efforts is required" in err
        return
    race_ = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    eq = pr.solve(pr.LaggedRace.from_race(race_, lag=0.5))
    assert status == 0, err
    assert json.loads(out)["value"] == eq.value.tolist()


DETERMINISTIC = ["deterministic", "--prize", "1", "--discount", "0.1", "--cost-scale", "1"]


def test_deterministic_at_lag_zero_is_epsilon_preemption(capsys):
    status, out, err = run(capsys, *DETERMINISTIC)
    data = json.loads(out)
    # --cost-scale 1 with no exponent is the power cost with exponent 2, which the CLI builds as Power
    eq = pr.solve(pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Power(scale=1.0, exponent=2.0)))
    assert status == 0, err
    assert data["model"] == eq.to_dict()["model"] and data["converged"] is True
    _, table, _ = run(capsys, *DETERMINISTIC, "--format", "table")
    assert f"{float(eq.single_firm_value(0.0)):12.6g}" in table  # 0.602786, the lone firm's value at w = 0
    assert "0.602786" in table and "0.397214" in table  # the lone firm's value at 0 and speed at 0.5
    _, out, _ = run(capsys, *DETERMINISTIC, "--state", "0.2", "0.5")
    report = json.loads(out)
    assert report["follower"] == 0 and report["leapfrog_probability"] == 0.0 and report["contested_gap"] == 0.0


def test_deterministic_with_a_lag_equals_the_library(capsys):
    argv = [*DETERMINISTIC, "--lag", "0.4", "--max-speed", "1", "--steps", "5", "10", "--loser-prize", "0.1"]
    status, out, err = run(capsys, *argv)
    data = json.loads(out)
    race_ = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), lag=0.4, max_speed=1.0,
                                 loser_prize=0.1)
    eq = pr.solve(race_, steps=[5, 10])
    assert status == 0, err
    assert data["gaps"] == eq.gaps.tolist() and data["speeds"] == eq.speeds.tolist()
    assert data["grid"]["value"] == eq.grid.value.tolist()
    assert [r["steps"] for r in data["refinement"]] == [5, 10]
    _, out, _ = run(capsys, *argv, "--state", "0.2", "0.5")
    report = pr.leapfrog(eq, (0.2, 0.5))
    data = json.loads(out)
    assert data["state"] == list(report.state) and data["contested_gap"] == report.contested_gap
    assert data["leapfrog_probability"] == report.leapfrog_probability and data["can_lead"] == report.can_lead
    _, table, _ = run(capsys, *argv, "--format", "table")
    assert f"{eq.contested_gap(0.5):>14.6g}" in table.splitlines()[8]  # the row of w = 0.5


def test_deterministic_breakthrough_is_interpolated_in_experience(capsys):
    argv = [*DETERMINISTIC, "--breakthrough", "0", "0.2", "--steps", "20", "40", "--state", "0.2", "0.5"]
    status, out, err = run(capsys, *argv)
    race_ = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), breakthrough=lambda w: 0.2 * w)
    report = pr.leapfrog(pr.solve(race_, steps=[20, 40]), (0.2, 0.5))
    data = json.loads(out)
    assert status == 0, err
    assert data["follower_win_probability"] == pytest.approx(report.follower_win_probability, rel=1e-12, abs=0)
    assert data["lead_probability_by_grid"] == [list(row) for row in report.lead_probability_by_grid]


NEW_BAD_FLAGS = [
    ([*BASE, "--cost-scale", "1", "--productivity", "1,0"], "--productivity"),
    ([*BASE, "--cost-scale", "1", "--productivity", "1,x"], "--productivity"),
    ([*BASE, "--cost-scale", "1", "--productivity", "1,2"], "--productivity"),  # 2 levels for a 3-stage firm
    ([*BASE, "--cost-scale", "1", "--productivity", "1", "--productivity", "1", "--productivity", "1"],
     "--productivity"),
    ([*BASE, "--cost-scale", "1", "--breakthrough", "0.1", "--breakthrough", "0.1,-1"], "--breakthrough"),
    ([*BASE, "--cost", "quadatic"], "--cost"),
    ([*BASE, "--cost", "power:slope=2"], "--cost"),
    ([*BASE, "--cost", "power:scale=two"], "--cost"),
    ([*BASE, "--cost", "power:scale"], "--cost"),
    ([*BASE, "--cost", "power:exponent=0.5"], "--cost"),
    ([*BASE, "--cost", "quadratic:scale=-1"], "--cost"),
    ([*BASE, "--cost", "quadratic", "--cost-scale", "1"], "--cost"),
    ([*BASE, "--cost", "quadratic", "--cost", "quadratic", "--cost", "quadratic"], "--cost"),
    ([*BASE], "--cost-scale"),
]


@pytest.mark.parametrize(("argv", "flag"), NEW_BAD_FLAGS)
def test_a_bad_rate_or_cost_gives_one_line_naming_it(capsys, argv, flag):
    status, out, err = run(capsys, "solve", *argv)
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and f"error: {flag}" in err and "Traceback" not in err


BAD_MODEL_FLAGS = [
    ([*LAGGED, "--efforts", "0,-1"], "--efforts", "efforts must be >= 0"),
    ([*LAGGED, "--efforts", "0,1", "--tie", "first"], "--tie", "needs deterministic progress"),
    ([*LAGGED, "--efforts", "0,1", "--tie", "1.5"], "--tie", "must be in [0, 1]"),
    ([*LAGGED, "--efforts", "0,1", "--tie", "half"], "--tie", "split, first, loss"),
    ([*LAGGED[:-1], "0", "--efforts", "0,1"], "--lag", "lag must be > 0"),
    ([*LAGGED, "--efforts", "0,1", "--state", "2", "2"], "--state", "unreachable"),
    ([*DETERMINISTIC, "--lag", "-1"], "--lag", "lag must be >= 0"),
    ([*DETERMINISTIC, "--max-speed", "0"], "--max-speed", "max_speed must be > 0"),
    ([*DETERMINISTIC, "--breakthrough", "0.1,-0.1"], "--breakthrough", "must be finite and >= 0"),
    ([*DETERMINISTIC, "--lag", "0.4", "--steps", "1"], "--steps", "must be an int >= 2"),
    ([*DETERMINISTIC, "--state", "0.5", "0.5"], "--state", "level"),
    ([*DETERMINISTIC, "--state", "0.5", "1.5"], "--state", "[0, 1]"),
    ([*DETERMINISTIC[:-2], "--cost", "quadratic", "--cost", "quadratic"], "--cost", "once"),
]


@pytest.mark.parametrize(("argv", "flag", "message"), BAD_MODEL_FLAGS)
def test_a_bad_lagged_or_deterministic_value_gives_the_model_message(capsys, argv, flag, message):
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == "" and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert err.startswith(f"patentrace {argv[0]}: error: {flag}") and message in err


MISSPELT = [
    (["solve", *BASE, "--cost-scale", "1", "--prise", "2"], "solve", "--prise", "did you mean --prize?"),
    (["report", *BASE, "--cost-scale", "1", "--follower_by", "expected_time"], "report", "--follower_by",
     "did you mean --follower-by?"),
    (["simulate", *BASE, "--cost-scale", "1", "--seeds", "1"], "simulate", "--seeds", "did you mean --seed?"),
    (["sweep", *BASE, "--cost-scale", "1", "--wokers", "2"], "sweep", "--wokers", "did you mean --workers?"),
    ([*LAGGED, "--effrots", "0,1"], "lagged", "--effrots", "did you mean --efforts?"),
    ([*DETERMINISTIC, "--max_speed", "1"], "deterministic", "--max_speed", "did you mean --max-speed?"),
    ([*DETERMINISTIC, "--productivity=1"], "deterministic", "--productivity",
     "it is a flag of solve, report, simulate, sweep, lagged"),
    (["solve", *BASE, "--cost-scale", "1", "--state", "0", "1"], "solve", "--state",
     "it is a flag of report, sweep, lagged, deterministic"),
]


@pytest.mark.parametrize(("argv", "command", "flag", "hint"), MISSPELT)
def test_a_misspelt_flag_names_the_subcommand_prints_usage_and_suggests(capsys, argv, command, flag, hint):
    status, out, err = run(capsys, *argv)
    lines = err.strip().splitlines()
    assert status == 2 and out == "" and "Traceback" not in err
    assert lines[0].startswith(f"usage: patentrace {command} [-h]")
    assert lines[-1].startswith(f"patentrace {command}: error: unrecognized flag {flag};") and hint in lines[-1]


def test_a_misspelt_flag_is_caught_before_a_missing_one(capsys):
    # argparse alone reports the missing --prize and never mentions the typo
    status, _, err = run(capsys, "solve", "--stages", "2", "--prise", "1", "--discount", "0.1", "--cost-scale", "1")
    assert status == 2 and "did you mean --prize?" in err and "required" not in err


def test_abbreviations_and_negative_values_are_not_misspellings(capsys):
    status, out, _ = run(capsys, "solve", "--stages", "2", "--pri", "1", "--disc", "0.1", "--cost-scale", "1")
    assert status == 0
    assert json.loads(out)["value"] == pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1,
                                                        cost=pr.costs.Quadratic())).value.tolist()
    status, _, err = run(capsys, "solve", "--stages", "2", "--prize", "-1", "--discount", "0.1", "--cost-scale", "1")
    assert status == 2 and err.startswith("patentrace solve: error: --prize: prize must be > 0")


def test_a_misspelt_subcommand_or_top_level_flag(capsys):
    status, out, err = run(capsys, "slove", "--stages", "2")
    assert status == 2 and out == ""
    assert err.startswith("usage: patentrace [-h]") and "unknown subcommand 'slove'; did you mean 'solve'?" in err
    status, _, err = run(capsys, "--verison")
    assert status == 2 and "unrecognized flag --verison; did you mean --version?" in err


def test_the_console_script_suggests_without_a_traceback(tmp_path: Path):
    script = Path(sys.executable).parent / "patentrace"
    done = subprocess.run([str(script), "lagged", "--stages", "2", "--prize", "1", "--discount", "0.1",
                           "--cost-scale", "1", "--lagg", "0.5"], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == "" and "Traceback" not in done.stderr
    assert done.stderr.startswith("usage: patentrace lagged")
    assert "patentrace lagged: error: unrecognized flag --lagg; did you mean --lag?" in done.stderr


def docs_examples() -> list[tuple[str, list[str]]]:
    """Each ``$ patentrace ...`` command of docs/cli.md (continued by trailing backslashes), with the lines shown."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "cli.md").read_text()
    examples: list[tuple[str, list[str]]] = []
    for block in re.findall(r"^```\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE):
        continued = False
        for line in block.splitlines():
            if line.startswith("$ "):
                examples.append((line[2:].rstrip(" \\"), []))
            elif continued:
                examples[-1] = (examples[-1][0] + " " + line.strip().rstrip(" \\"), [])
            elif examples and block.startswith("$ "):
                examples[-1][1].append(line)
            continued = line.endswith("\\")
    return examples


@pytest.mark.parametrize(("command", "shown"), docs_examples())
def test_docs_cli_examples_print_what_the_page_shows(capsys, command, shown):
    status, out, err = run(capsys, *shlex.split(command)[1:])
    printed = [line.rstrip() for line in (out + err).splitlines()]
    for line in shown:
        if line.strip() in ("", "..."):
            continue
        if line.endswith(" ..."):  # a line cut short on the page: the printed line starts with it
            assert any(p.startswith(line[:-4]) for p in printed), f"{command!r} prints no line starting {line!r}"
        else:
            assert line.rstrip() in printed, f"{command!r} does not print {line!r}; it printed:\n{out}{err}"
    assert (status == 0) == ("error:" not in err)


@pytest.mark.parametrize(("argv", "values"), [
    (["solve", "--stages", "2", "--prize", "1", "2", "--discount", "0.1", "--cost-scale", "1"], "value '2'"),
    ([*LAGGED, "--efforts", "0,1", "--state", "0", "1", "1", "0"], "values '1', '0'"),
])
def test_a_value_too_many_names_the_subcommand_with_its_usage(capsys, argv, values):
    # argparse alone: "patentrace: error: unrecognized arguments: 2", neither the subcommand nor its usage
    status, out, err = run(capsys, *argv)
    lines = err.strip().splitlines()
    assert status == 2 and out == "" and lines[0].startswith(f"usage: patentrace {argv[0]} [-h]")
    assert lines[-1].startswith(f"patentrace {argv[0]}: error: unexpected {values}: no flag takes")


@pytest.mark.parametrize("argv", [
    ["solve", *BASE, "--cost-scale", "1", "--prize", "2"],
    ["solve", *BASE, "--cost-scale", "1", "--disc", "0.2"],  # an abbreviation is the same flag
    [*DETERMINISTIC, "--breakthrough", "0.1", "--breakthrough", "0.2"],  # one b(w): not a per-firm flag here
    [*LAGGED, "--efforts", "0,1", "--lag", "1"],
])
def test_a_flag_given_twice_is_refused_not_overridden(capsys, argv):
    # argparse alone keeps the last value silently
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert err.startswith(f"patentrace {argv[0]}: error: --") and "is given more than once" in err


def test_no_subcommand_prints_the_usage_and_the_subcommands(capsys):
    status, out, err = run(capsys)
    assert status == 2 and out == "" and err.startswith("usage: patentrace [-h] [--version]")
    assert "patentrace: error: give a subcommand: solve, report, simulate, sweep, lagged, deterministic" in err
