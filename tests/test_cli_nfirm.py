"""The command line with more than two firms (issue 17): ``--stages 3 3 3``."""

import functools
import json

import numpy as np
import pytest

import patentrace as pr
from patentrace.faces.cli import main

RACE = ["--stages", "2", "1", "2", "--prize", "1", "--discount", "0.1", "--cost-scale", "1", "--cost-linear", "0.01"]
MODEL = pr.Race(stages=(2, 1, 2), prize=1.0, discount=0.1, cost=pr.costs.Power(scale=1.0, exponent=2.0, linear=0.01))


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_solve_json_is_the_library_result_exactly(capsys):
    status, out, err = run(capsys, "solve", *RACE)
    assert status == 0 and err == ""
    back, eq = pr.NFirmEquilibrium.from_dict(json.loads(out)), pr.solve(MODEL)
    assert back.model == eq.model
    for name in ("effort", "value", "win_probability", "expected_duration", "multiplicity"):
        np.testing.assert_array_equal(getattr(back, name), getattr(eq, name))


def test_solve_table_has_a_row_per_reachable_state(capsys):
    status, out, _ = run(capsys, "solve", *RACE, "--format", "table")
    rows = [line for line in out.splitlines() if line.startswith("(")]
    reachable = int(np.sum(pr.solve(MODEL).multiplicity > 0))
    assert status == 0 and len(rows) == reachable
    first = rows[0].split()
    assert float(first[3]) == pytest.approx(pr.solve(MODEL).effort[0, 0, 0, 0], abs=5e-7)


def test_report_and_simulate_with_a_named_follower(capsys):
    status, out, _ = run(capsys, "report", *RACE, "--state", "0", "0", "1", "--follower", "1")
    report = pr.leapfrog(pr.solve(MODEL), (0, 0, 1), follower=1)
    data = json.loads(out)
    assert status == 0 and data["follower"] == 1 and data["leader"] == report.leader
    assert data["leapfrog_probability"] == report.leapfrog_probability
    status, out, _ = run(capsys, "simulate", *RACE, "--start", "0", "0", "1", "--paths", "20000", "--seed", "4")
    rows = {row["quantity"]: row for row in json.loads(out)["rows"]}
    assert status == 0
    for row in rows.values():
        assert abs(row["simulated"] - row["computed"]) <= 4 * row["standard_error"] + 1e-12


@pytest.mark.parametrize(("argv", "message"), [
    (["report", *RACE, "--state", "0", "1"], "--state: state must have one entry per firm (3"),
    (["report", *RACE, "--follower", "5"], "--follower: follower must be a firm"),
    (["solve", *RACE[:-4], "--cost", "Power:scale=1,exponent=2", "--cost", "Power:scale=1,exponent=2"],
     "--cost: give it once (all firms) or 3 times"),
    (["solve", *RACE, "--productivity", "1", "--productivity", "1"], "give it once (all firms) or 3 times"),
    (["lagged", *RACE, "--lag", "1"], "--stages: the race in periods has two firms, got 3"),
    (["sweep", *RACE, "--state", "0", "1"], "--state: state must have one entry per firm (3"),
    (["sweep", *RACE, "--cost", "quadratic", "--cost", "quadratic"], "--cost states the whole cost"),
    (["sweep", *RACE[:-4], "--cost", "quadratic", "--cost", "quadratic"], "--cost: give it once (all firms) or 3"),
])
def test_bad_flags_name_the_flag(capsys, argv, message):
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == "" and message in err


# --- sweep ----------------------------------------------------------------------------------------------------

SWEPT = ["--stages", "2", "1", "2", "--prize", "1", "--discount", "0.05", "0.2", "--cost-scale", "1", "2.5",
         "--cost-linear", "0.01"]


def test_sweep_json_equals_pr_sweep_and_pr_solve_at_the_reported_state(capsys):
    status, out, err = run(capsys, "sweep", *SWEPT, "--state", "0", "1", "0")
    data = json.loads(out)
    assert status == 0 and err == "" and data["state"] == [0, 1, 0]
    assert data["parameters"] == ["discount", "cost_scale"] and len(data["points"]) == 4
    assert data["measures"] == ["effort_0", "effort_1", "effort_2", "value_0", "value_1", "value_2",
                                "win_probability_0", "win_probability_1", "win_probability_2", "expected_duration"]

    def make(discount, cost_scale):
        return pr.Race(stages=(2, 1, 2), prize=1.0, discount=discount,
                       cost=pr.costs.Power(scale=cost_scale, exponent=2.0, linear=0.01))

    swept = pr.sweep(make, {"discount": [0.05, 0.2], "cost_scale": [1.0, 2.5]},
                     measure=lambda eq: eq.value[:, 0, 1, 0])
    for point in data["points"]:
        eq = pr.solve(make(point["discount"], point["cost_scale"]))
        assert isinstance(eq, pr.NFirmEquilibrium)
        for k in range(3):  # JSON carries the library's doubles exactly
            assert point[f"effort_{k}"] == eq.effort[k, 0, 1, 0]
            assert point[f"value_{k}"] == eq.value[k, 0, 1, 0]
            assert point[f"win_probability_{k}"] == eq.win_probability[k, 0, 1, 0]
        assert point["expected_duration"] == eq.expected_duration[0, 1, 0]
        at = ([0.05, 0.2].index(point["discount"]), [1.0, 2.5].index(point["cost_scale"]))
        np.testing.assert_array_equal([point[f"value_{k}"] for k in range(3)], swept.values[at])


def test_sweep_table_and_default_state_of_n_firms(capsys):
    status, out, _ = run(capsys, "sweep", *SWEPT[:9], "--cost-scale", "1", "--format", "table")
    lines = out.splitlines()
    assert status == 0 and lines[0] == "Sweep over discount; measures at state (0, 0, 0)" and len(lines) == 4
    assert lines[1].split()[:4] == ["discount", "effort_0", "effort_1", "effort_2"]
    for line, discount in zip(lines[2:], (0.05, 0.2), strict=True):
        eq = pr.solve(pr.Race(stages=(2, 1, 2), prize=1.0, discount=discount, cost=pr.costs.Quadratic()))
        cells = [float(v) for v in line.split()]
        assert cells[0] == discount
        np.testing.assert_allclose(cells[1:4], eq.effort[:, 0, 0, 0], rtol=5e-6)
        np.testing.assert_allclose(cells[-1], eq.expected_duration[0, 0, 0], rtol=5e-6)


def test_sweep_of_four_firms_with_per_firm_costs(capsys):
    costs = ["--cost", "quadratic:scale=1", "--cost", "quadratic:scale=2", "--cost", "quadratic:scale=1",
             "--cost", "power:scale=1,exponent=3"]
    status, out, _ = run(capsys, "sweep", "--stages", "1", "1", "2", "1", "--prize", "1", "--discount", "0.1",
                         "0.3", *costs, "--state", "0", "0", "1", "0")
    assert status == 0
    cost = (pr.costs.Quadratic(), pr.costs.Quadratic(scale=2.0), pr.costs.Quadratic(),
            pr.costs.Power(scale=1.0, exponent=3.0))
    make = functools.partial(pr.Race, stages=(1, 1, 2, 1), prize=1.0, cost=cost)
    for point in json.loads(out)["points"]:
        eq = pr.solve(make(discount=point["discount"]))
        assert [point[f"win_probability_{k}"] for k in range(4)] == eq.win_probability[:, 0, 0, 1, 0].tolist()
