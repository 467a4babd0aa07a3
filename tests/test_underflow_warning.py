"""The underflow notice is a warning of its own class, with a fixed message, at the user's line (issue 15).

A far-behind firm's values fall below the float range in long races (docs/index.md,
"Underflow"); ``eq.underflow`` marks those firm-states and the solver warns once per solve.
"""

import inspect
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import patentrace as pr

PACKAGE_PARENT = Path(pr.__file__).resolve().parent.parent
FLOOR = 1e-290  # of the prize: continuation values below it have left the float range

# Quadratic costs without a linear part (c'(0) = 0): every open firm-state with zero effort is underflow.
LONG = pr.Race(stages=30, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())   # 980 firm-states underflow
SHORT = pr.Race(stages=12, prize=1.0, discount=0.5, cost=pr.costs.Quadratic())  # 28 firm-states underflow
CLEAN = pr.Race(stages=8, prize=1.0, discount=1.0, cost=pr.costs.Quadratic())   # none


def values_below_the_float_range(eq: pr.Equilibrium) -> int:
    """Open firm-states whose both continuation values are below ``FLOOR`` x prize and whose effort is 0.

    Counted from the value array alone: firm 0 at (i, j) goes on to (i + 1, j) if it succeeds
    and to (i, j + 1) if its rival does; firm 1 the other way round.
    """
    v, x, floor = eq.value, eq.effort, FLOOR * eq.model.prize
    own_first, rival_first = v[0, 1:, :-1], v[0, :-1, 1:]
    own_second, rival_second = v[1, :-1, 1:], v[1, 1:, :-1]
    first = (np.maximum(np.abs(own_first), np.abs(rival_first)) < floor) & (x[0, :-1, :-1] == 0.0)
    second = (np.maximum(np.abs(own_second), np.abs(rival_second)) < floor) & (x[1, :-1, :-1] == 0.0)
    return int(first.sum() + second.sum())


def solve_recording(solve, *args):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = inspect.currentframe().f_lineno + 1
        result = solve(*args)
    return result, caught, line


@pytest.mark.parametrize(("race", "count"), [(LONG, 980), (SHORT, 28)])
def test_one_warning_per_solve_at_the_callers_line_and_the_count_in_eq_underflow(race, count):
    eq, caught, line = solve_recording(pr.solve, race)
    assert [w.category for w in caught] == [pr.UnderflowWarning]
    assert (caught[0].filename, caught[0].lineno) == (__file__, line)  # the user's call, not library code
    assert int(eq.underflow.sum()) == values_below_the_float_range(eq) == count
    # with c'(0) = 0 a firm idles only where its values vanish: every zero effort at an open state is underflow
    assert int((eq.effort[:, :-1, :-1] == 0.0).sum()) == count


def test_the_message_is_fixed_whatever_the_count():
    _, long_caught, _ = solve_recording(pr.solve, LONG)
    _, short_caught, _ = solve_recording(pr.solve, SHORT)
    long_text, short_text = str(long_caught[0].message), str(short_caught[0].message)
    assert long_text == short_text
    assert "980" not in long_text and "28" not in long_text
    assert "below the float range" in long_text and "Equilibrium.underflow" in long_text
    assert issubclass(pr.UnderflowWarning, UserWarning) and not issubclass(pr.UnderflowWarning, RuntimeWarning)


def test_no_warning_without_underflow():
    eq, caught, _ = solve_recording(pr.solve, CLEAN)
    assert caught == [] and not eq.underflow.any() and values_below_the_float_range(eq) == 0


def test_a_batch_warns_once_at_the_callers_line():
    eqs, caught, line = solve_recording(pr.solve_many, [LONG, CLEAN, SHORT])
    assert [w.category for w in caught] == [pr.UnderflowWarning]
    assert (caught[0].filename, caught[0].lineno) == (__file__, line)
    assert [int(eq.underflow.sum()) for eq in eqs] == [980, 0, 28]


def run_script(tmp_path: Path, body: str) -> str:
    """Run ``body`` in a fresh interpreter with Python's default warning filters; return its stderr."""
    script = tmp_path / "user_script.py"
    script.write_text("import warnings\nimport patentrace as pr\n" + body)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE_PARENT), env.get("PYTHONPATH", "")])  # the package under test
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, check=True,
                          env=env)
    return done.stderr


LOOP = (
    "long = pr.Race(stages=30, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())\n"
    "short = pr.Race(stages=12, prize=1.0, discount=0.5, cost=pr.costs.Quadratic())\n"
    "for race in (long, short, long):\n"
    "    eq = pr.solve(race)\n"  # line 6 of the script: three underflowing solves, one line
    "eq = pr.solve(short)\n"  # line 7: another line
)


def test_the_default_filter_shows_it_once_per_line_of_user_code(tmp_path: Path):
    stderr = run_script(tmp_path, LOOP)
    assert stderr.count(": UnderflowWarning: ") == 2, stderr
    assert "user_script.py:6: UnderflowWarning" in stderr and "user_script.py:7: UnderflowWarning" in stderr


def test_users_can_filter_it_by_class(tmp_path: Path):
    stderr = run_script(tmp_path, 'warnings.filterwarnings("ignore", category=pr.UnderflowWarning)\n' + LOOP)
    assert "UnderflowWarning" not in stderr and "below the float range" not in stderr
