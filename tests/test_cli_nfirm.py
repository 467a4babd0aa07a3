"""The command line with more than two firms (issue 17): ``--stages 3 3 3``."""

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
    (["sweep", *RACE], "--stages takes one or two values"),
])
def test_bad_flags_name_the_flag(capsys, argv, message):
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == "" and message in err
