"""The compiled sweep against the all-roots path, a C reference and its own fallbacks.

The compiled sweep (patentrace.solvers.compiled) may claim a state's equilibrium only
where a certificate proves it unique; wherever it cannot, the race goes through the
all-roots path. Every number it returns must agree with the all-roots path to 1e-10.
"""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import patentrace as pr
from patentrace.solvers import compiled
from patentrace.solvers.backward import solve_race, solve_races
from tests.strategies import races

REFERENCE_C = Path(__file__).resolve().parent.parent / "benchmarks" / "reference_race.c"
FIELDS = ("effort", "hazard", "value", "win_probability", "expected_duration")


def assert_same(fast: pr.Equilibrium, robust: pr.Equilibrium, tolerance: float = 1e-10) -> None:
    """Every array of two solutions of one race agrees to ``tolerance`` (relative to the prize for values)."""
    scale = {"effort": 1.0, "hazard": 1.0, "value": fast.model.prize, "win_probability": 1.0}
    for name in FIELDS:
        ours, theirs = getattr(fast, name), getattr(robust, name)
        infinite = np.isinf(theirs)
        assert np.array_equal(np.isinf(ours), infinite), name
        gap = np.abs(ours[~infinite] - theirs[~infinite])
        size = scale.get(name, 0.0) + np.abs(theirs[~infinite])  # durations: relative
        assert np.all(gap <= tolerance * size), (name, float(np.max(gap / size)))
    assert np.array_equal(fast.multiplicity, robust.multiplicity)
    assert np.array_equal(fast.underflow, robust.underflow)


@given(races())
def test_fast_path_equals_all_roots_path(race: pr.Race):
    fast = solve_race(race)
    robust = solve_race(race, compiled_path=False)
    assert robust.solver.options["path"] == "allroots"
    assert_same(fast, robust)
    if np.any(robust.multiplicity > 1):  # several equilibria somewhere: the compiled path must not claim it
        assert fast.solver.options["path"] == "allroots"


@settings(max_examples=30)
@given(races(max_stages=6, linear=False, loser=False))
def test_certified_races_stay_compiled(race: pr.Race):
    """Without loser prize or participation cost, the certificates cover every state here."""
    sweep = compiled.sweep_races([race])
    robust = solve_race(race, compiled_path=False)
    if sweep.status[0] == 0:
        n1, n2 = race.stages
        assert sum(sweep.paths.values()) == n1 * n2
        assert np.all(robust.multiplicity[:n1, :n2] == 1)
        assert_same(solve_race(race), robust)


def test_several_equilibria_fall_back():
    """docs/solver.md: one stage, L = 0.8, three equilibria; no certificate holds, so no claim."""
    race = pr.Race(stages=1, prize=1.0, loser_prize=0.8, discount=0.002,
                   cost=(pr.costs.Quadratic(scale=0.5, linear=0.27), pr.costs.Quadratic(scale=0.8, linear=0.27)))
    sweep = compiled.sweep_races([race])
    assert sweep.status.tolist() == [1]
    assert compiled.FAILURES[1] == "no uniqueness certificate at a state"
    eq = pr.solve(race)
    assert eq.solver.options["path"] == "allroots"
    assert eq.multiplicity[0, 0] == 3


@pytest.mark.parametrize(
    ("stages", "discount", "cost"),
    [
        (60, 0.5, pr.costs.Quadratic()),  # far-behind values underflow to 0: the idling shortcut
        (40, 0.01, pr.costs.Power(exponent=3.0)),
        ((12, 15), 0.05, pr.costs.Power(exponent=1.5)),  # contraction fails here: the race falls back
        (8, 0.05, pr.costs.Power(scale=2.0, exponent=2.5, linear=0.05)),  # dropout
    ],
)
def test_larger_races_agree(stages, discount, cost):
    race = pr.Race(stages=stages, prize=1.0, discount=discount, cost=cost)
    assert_same(solve_race(race), solve_race(race, compiled_path=False))


def test_batch_mixes_paths_and_costs():
    class Cubic(pr.costs.Cost):  # a cost of a user's own: never compiled
        def value(self, effort):
            return np.asarray(effort, dtype=float) ** 3 / 3

        def marginal(self, effort):
            return np.asarray(effort, dtype=float) ** 2

        def expression(self, effort=None):
            raise NotImplementedError

    batch = [
        pr.Race(stages=(3, 4), prize=1.0, discount=0.05, cost=pr.costs.Quadratic()),
        pr.Race(stages=1, prize=1.0, loser_prize=0.8, discount=0.002,
                cost=(pr.costs.Quadratic(scale=0.5, linear=0.27), pr.costs.Quadratic(scale=0.8, linear=0.27))),
        pr.Race(stages=(2, 5), prize=2.0, discount=0.2, cost=pr.costs.Power(exponent=3.0),
                productivity=([1.0, 2.0], [0.5, 1.0, 1.5, 1.0, 1.0])),
        pr.Race(stages=2, prize=1.0, discount=0.1, cost=Cubic()),
    ]
    fast = solve_races(batch)
    assert [eq.solver.options["path"] for eq in fast] == ["compiled", "allroots", "compiled", "allroots"]
    for eq, race in zip(fast, batch, strict=True):
        assert_same(eq, solve_race(race, compiled_path=False))


def test_spec_numbers_on_the_compiled_path():
    """SPEC.md §1, N = 2, P = 1, r = 0.1, a = 1."""
    eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    assert eq.solver.options["path"] == "compiled"
    assert eq.effort[0, 1, 0] == pytest.approx(0.4686350713, abs=1e-10)
    assert eq.effort[1, 1, 0] == pytest.approx(0.2494666666, abs=1e-10)
    assert eq.effort[0, 0, 0] == pytest.approx(0.3517921025, abs=1e-10)
    assert eq.value[0, 0, 0] == pytest.approx(0.1795728262, abs=1e-10)
    assert eq.win_probability[0, 0, 1] == pytest.approx(0.1736986930, abs=1e-10)


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
@pytest.mark.parametrize("exponent", [2.0, 3.0])
def test_c_reference_agrees(tmp_path: Path, exponent: float):
    """An independent implementation (benchmarks/reference_race.c: Newton on both conditions, in C)."""
    import ctypes

    library = tmp_path / "libreference.so"
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", str(REFERENCE_C), "-o", str(library), "-lm"], check=True)
    lib = ctypes.CDLL(str(library))
    doubles = ctypes.POINTER(ctypes.c_double)
    lib.solve_race.argtypes = [ctypes.c_long, ctypes.c_double, ctypes.c_double, ctypes.c_double, ctypes.c_double,
                               doubles, doubles]
    n, discount = 40, 0.01
    effort, value = np.zeros((2, n + 1, n + 1)), np.zeros((2, n + 1, n + 1))
    lib.solve_race(n, 1.0, discount, 1.0, exponent, effort.ctypes.data_as(doubles), value.ctypes.data_as(doubles))
    eq = pr.solve(pr.Race(stages=n, prize=1.0, discount=discount, cost=pr.costs.Power(exponent=exponent)))
    assert eq.solver.options["path"] == "compiled"
    assert np.max(np.abs(eq.effort - effort)[:, :n, :n]) < 1e-12
    assert np.max(np.abs(eq.value - value)[:, :n, :n]) < 1e-12


def test_results_are_read_only_and_not_copied():
    eq = pr.solve(pr.Race(stages=3, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    for name in (*FIELDS, "multiplicity", "underflow"):
        with pytest.raises(ValueError, match="read-only"):
            getattr(eq, name)[..., 0] = 0
    with pytest.raises(ValueError, match="WRITEABLE"):  # the owner of a view is read-only too
        eq.effort.setflags(write=True)


@given(st.sampled_from([0, 1, "yes", None]))
def test_compiled_path_must_be_a_bool(flag):
    with pytest.raises(TypeError, match="compiled_path"):
        solve_race(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), compiled_path=flag)


def test_sweep_refuses_other_costs():
    class Linearish(pr.costs.Power):
        pass

    race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=Linearish(scale=1.0, exponent=2.0))
    assert not compiled.compilable(race)
    with pytest.raises(TypeError, match=r"races\[0\] must have power costs"):
        compiled.sweep_races([race])
