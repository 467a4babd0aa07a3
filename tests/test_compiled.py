"""The compiled sweep against the all-roots path, a C reference and its own fallbacks.

The compiled sweep (patentrace.solvers.compiled) may claim a state's equilibrium only
where a certificate proves it unique; wherever it cannot, the race goes through the
all-roots path. Every number it returns must agree with the all-roots path to 1e-10.
"""

import dataclasses
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

import patentrace as pr
from patentrace.solvers import compiled
from patentrace.solvers.allroots import StateGames, find_equilibria
from patentrace.solvers.backward import solve_race, solve_races
from tests.strategies import examples, races

REFERENCE_C = Path(__file__).resolve().parent.parent / "benchmarks" / "reference_race.c"
FIELDS = ("effort", "hazard", "value", "win_probability", "expected_duration")


EPS = float(np.finfo(float).eps)


def effort_tolerance(robust: pr.Equilibrium, fast: pr.Equilibrium, tolerance: float) -> np.ndarray:
    """``tolerance (1 + x)``, plus the effort's own conditioning where it is worse (docs/index.md, Precision).

    From (1), ``dx/dq = 1 / (c''(x) (s + x))`` with ``s = (r + h) / lambda`` and
    ``q = r A + h (A - B)``. Continuation values computed by two correct paths differ by a
    few rounding units, and the rival's effort by ``tolerance``; so ``q`` is known to about
    ``1e3 eps (r + h) max(|A|, |B|) + |A - B| lambda_o tolerance``. Near a participation
    threshold (``q`` a difference of nearly equal terms) or with ``c''`` vanishing at small
    efforts (exponents above 2) this makes an effort ill-conditioned; elsewhere the term is
    far below ``tolerance``.
    """
    race, value, effort = robust.model, robust.value, robust.effort
    n1, n2 = race.stages
    bound = tolerance * (1.0 + np.abs(effort))
    for firm in (0, 1):
        lam = np.asarray(race.productivity[firm], dtype=float)
        lam_other = np.asarray(race.productivity[1 - firm], dtype=float)
        for i in range(n1):
            for j in range(n2):
                own = value[0, i + 1, j] if firm == 0 else value[1, i, j + 1]
                rival = value[0, i, j + 1] if firm == 0 else value[1, i + 1, j]
                here, there = (i, j) if firm == 0 else (j, i)
                rival_hazard = lam_other[there] * effort[1 - firm, i, j]
                x = max(effort[firm, i, j], fast.effort[firm, i, j])
                if x == 0.0:  # both idle: nothing to allow for
                    continue
                slope = float(race.cost[firm].curvature(x)) * ((race.discount + rival_hazard) / lam[here] + x)
                noise = (1e3 * EPS * (race.discount + rival_hazard) * max(abs(own), abs(rival))
                         + abs(own - rival) * lam_other[there] * tolerance * (1.0 + effort[1 - firm, i, j]))
                bound[firm, i, j] += noise / slope
    return bound


def state_equilibria(eq: pr.Equilibrium, i: int, j: int) -> np.ndarray:
    """Every equilibrium (efforts, shape (2, m)) the all-roots search finds at ``(i, j)`` given ``eq``'s values."""
    race, value = eq.model, eq.value
    lam = np.array([[race.productivity[0][i]], [race.productivity[1][j]]])
    b0, b1 = race.breakthrough[0][i], race.breakthrough[1][j]
    rate = race.discount + b0 + b1
    shift = np.array([[(b0 * race.prize + b1 * race.loser_prize) / rate],
                      [(b1 * race.prize + b0 * race.loser_prize) / rate]])
    games = StateGames(
        own_next=np.array([[value[0, i + 1, j]], [value[1, i, j + 1]]]) - shift,
        rival_next=np.array([[value[0, i, j + 1]], [value[1, i + 1, j]]]) - shift,
        productivity=lam, discount=np.array([rate]), cost=race.cost,
    )
    return find_equilibria(games).effort


def rounding_twins(eq: pr.Equilibrium, i: int, j: int) -> int:
    """How many equilibria the all-roots search finds at ``(i, j)`` that differ by more than 1e-9 (1 + x)."""
    effort = state_equilibria(eq, i, j)
    distinct: list[np.ndarray] = []
    for x in effort.T:
        if not any(np.all(np.abs(x - y) <= 1e-9 * (1.0 + np.abs(y))) for y in distinct):
            distinct.append(x)
    return len(distinct)


def assert_same(fast: pr.Equilibrium, robust: pr.Equilibrium, tolerance: float = 1e-10, twins: bool = False) -> None:
    """Two solutions of one race agree, state by state.

    Values to ``tolerance`` of the prize, efforts to ``tolerance`` or their conditioning,
    and the jump chain to what those efforts allow; multiplicities and underflow flags exactly.

    ``twins`` allows one exception, a state whose game is decided by rounding (docs/solver.md,
    "The hybrid path"): the compiled certificate counts one equilibrium where the all-roots
    search, at its own continuation values, counts equilibria that agree to 1e-9 (a firm at
    its participation threshold: effort 0 or 1e-10 by the last bit of its net gain). There
    only, the counts and underflow flags may differ, and the fast count must equal the number
    of distinct equilibria the all-roots search finds.
    """
    race = robust.model
    differ = (fast.multiplicity != robust.multiplicity) | np.any(fast.underflow != robust.underflow, axis=0)
    if twins:
        for i, j in np.argwhere(differ).tolist():
            assert fast.multiplicity[i, j] == rounding_twins(robust, i, j) < robust.multiplicity[i, j], (i, j)
    else:
        assert not differ.any(), np.argwhere(differ)[:5].tolist()
    assert np.all(np.abs(fast.value - robust.value) <= tolerance * race.prize)
    effort_bound = effort_tolerance(robust, fast, tolerance)
    assert np.all(np.abs(fast.effort - robust.effort) <= effort_bound), "effort"
    lam = np.zeros_like(robust.effort)
    n1, n2 = race.stages
    lam[0, :n1, :] = np.asarray(race.productivity[0])[:, None]
    lam[1, :, :n2] = np.asarray(race.productivity[1])[None, :]
    hazard_bound = lam * effort_bound
    assert np.all(np.abs(fast.hazard - robust.hazard) <= hazard_bound), "hazard"
    # Each state's win probability averages its successors' with weights h_k / (h_0 + h_1),
    # so an error in the weights adds up at most once per step to the end.
    total = robust.hazard.sum(axis=0)
    # A total hazard below the normal float range (subnormal efforts) fixes its weights to no relative
    # precision at all: such states are left out of the bound and of the comparison.
    normal = total >= np.finfo(float).tiny
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = np.where(normal, hazard_bound.sum(axis=0) / np.where(normal, total, 1.0), 0.0)
    chain = tolerance + (n1 + n2) * float(np.max(shift[:n1, :n2], initial=0.0))
    compared = np.broadcast_to(normal | (total == 0.0), fast.win_probability.shape)
    assert np.all(np.abs(fast.win_probability - robust.win_probability)[compared] <= chain), "win_probability"
    finite = np.isfinite(robust.expected_duration)
    assert np.array_equal(np.isfinite(fast.expected_duration), finite)
    gap = np.abs(fast.expected_duration[finite] - robust.expected_duration[finite])
    with np.errstate(over="ignore"):  # durations near the top of the float range
        assert np.all(gap <= chain * robust.expected_duration[finite]), "expected_duration"


@given(races())
@example(  # an effort of 1e-10 next to a participation threshold: q is a difference of nearly equal terms
    pr.Race(stages=(6, 1), prize=1.0, discount=0.1, loser_prize=0.5,
            cost=(pr.costs.Power(scale=2.0, exponent=2.75), pr.costs.Power(scale=0.5, exponent=2.0)),
            productivity=((1.0, 1.0, 1.0, 0.5, 0.375, 1.0), (3.0,)))
)
@example(  # found by the thorough profile: at (0, 0) every effort is subnormal (bound 7e-323), and the
    # all-roots path counted (0, 7e-323) and (6e-323, 6e-323) as two equilibria
    pr.Race(stages=(6, 6), prize=0.5, discount=0.1, cost=pr.costs.Power(scale=4.0, exponent=1.5))
)
def test_fast_path_equals_all_roots_path(race: pr.Race):
    fast = solve_race(race)
    robust = solve_race(race, compiled_path=False)
    assert robust.solver.options["path"] == "allroots"
    assert_same(fast, robust)
    if np.any(robust.multiplicity > 1):  # several equilibria somewhere: the compiled sweep must not claim it
        assert fast.solver.options["path"] in ("hybrid", "allroots")


@settings(max_examples=examples(30))
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
    assert eq.solver.options["path"] == "hybrid"  # the one state goes to the all-roots search
    assert eq.solver.options["allroots_states"] == 1
    assert eq.multiplicity[0, 0] == 3
    assert_same(eq, solve_race(race, compiled_path=False))


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
    assert [eq.solver.options["path"] for eq in fast] == ["compiled", "hybrid", "compiled", "allroots"]
    for eq, race in zip(fast, batch, strict=True):
        assert_same(eq, solve_race(race, compiled_path=False))


def test_spec_numbers_on_the_compiled_path():
    """docs/theory/race.md, N = 2, P = 1, r = 0.1, a = 1."""
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


def test_results_are_read_only_views_of_read_only_arrays():
    eq = pr.solve(pr.Race(stages=3, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    for name in (*FIELDS, "multiplicity", "underflow"):
        array = getattr(eq, name)
        assert array.base is not None and not array.base.flags.writeable  # kept without a copy
        with pytest.raises(ValueError, match="read-only"):
            array[..., 0] = 0
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


def test_best_response_flat_to_rounding_is_certified():
    """A leader one stage from the prize whose response moves only by rounding with its rival's hazard.

    There ``V = B`` up to rounding, so the composite map ``T`` rises by an ulp or falls by one
    depending on the arithmetic; its fixed points all lie within a few ulps. The race must stay
    on the compiled path (it fell back to the all-roots path, 1000x slower, before) and agree with it.
    """
    race = pr.Race(stages=20, prize=1.0, discount=0.01, cost=pr.costs.Power(exponent=3.0), loser_prize=0.05)
    sweep = compiled.sweep_races([race])
    assert sweep.status[0] == 0
    fast, robust = solve_race(race), solve_race(race, compiled_path=False)
    assert fast.solver.options["path"] == "compiled"
    assert_same(fast, robust)


def test_an_increasing_composite_map_squeezed_to_one_fixed_point_is_certified():
    """A firm near its dropout point (power cost g = 3: a best response with infinite slope there).

    The composite map ``T`` increases, so flatness fails, and the contraction bound is infinite
    because of that slope; but iterating ``T`` on an interval holding every fixed point shrinks
    it to rounding. With a loser prize of 0.05 the 60-stage race fell back to the all-roots path
    before; with 0.2 there are several equilibria (the all-roots path finds them), and the
    squeeze must not hide them.
    """
    race = pr.Race(stages=60, prize=1.0, discount=0.01, cost=pr.costs.Power(exponent=3.0), loser_prize=0.05)
    fast, robust = solve_race(race), solve_race(race, compiled_path=False)
    assert fast.solver.options["path"] == "compiled"
    assert_same(fast, robust)
    crowded = dataclasses.replace(race, loser_prize=0.2)
    robust = solve_race(crowded, compiled_path=False)
    assert np.any(robust.multiplicity > 1)
    assert compiled.sweep_races([crowded]).status[0] == 1
    hybrid = solve_race(crowded)
    assert hybrid.solver.options["path"] == "hybrid"
    assert_same(hybrid, robust, twins=True)


# The hybrid path: states without a certificate go to the all-roots search, the rest stays compiled.

CROWDED = pr.Race(stages=60, prize=1.0, discount=0.01, cost=pr.costs.Power(exponent=3.0), loser_prize=0.2)


def chain_race(steps: int) -> pr.Race:
    """The Poisson approximation of a deterministic race whose breakthrough hazard grows with experience."""
    model = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(),
                                 breakthrough=lambda w: 0.02 + 0.4 * w * w)
    return model.poisson_race(steps)


@settings(max_examples=examples(200), deadline=None)
@given(races())
def test_hybrid_path_equals_all_roots_path(race: pr.Race):
    """Loser prizes and participation costs make several equilibria: those states are handed over, never hidden."""
    fast, robust = solve_race(race), solve_race(race, compiled_path=False)
    # efforts below the smallest normal float: the paths disagree there (a known defect, pinned by
    # test_subnormal_efforts_agree_on_both_paths below); everything else is checked
    assume(not (subnormal(fast.effort) or subnormal(robust.effort)))
    assert_same(fast, robust)
    check = fast.verify()
    assert check.max_deviation_gain <= 1e-8 and check.max_residual <= 1e-8, check
    options = fast.solver.options
    if options["path"] == "compiled":
        assert options["allroots_states"] == 0
        assert np.all(robust.multiplicity[: race.stages[0], : race.stages[1]] == 1)
    elif options["path"] == "hybrid":
        assert options["allroots_states"] >= int(np.sum(robust.multiplicity > 1)) > -1
        assert options["allroots_states"] >= 1


def subnormal(effort: np.ndarray) -> bool:
    """Whether some effort is positive but below the smallest normal float (about 2.2e-308)."""
    return bool(np.any((effort > 0.0) & (effort < np.finfo(float).tiny)))


def test_subnormal_efforts_agree_on_both_paths():
    # Found by the thorough profile (issue 15) in test_hybrid_path_equals_all_roots_path: a symmetric race whose
    # continuation values at (1, 0) are 2e-155, so the efforts at (0, 0) are about 2.3e-310, below the normal range
    cost = pr.costs.Power(scale=1.375, exponent=1.5)
    race = pr.Race(stages=(6, 6), prize=0.5, discount=0.7498942093324559, cost=(cost, cost))
    fast, robust = solve_race(race), solve_race(race, compiled_path=False)
    assert fast.effort[0, 0, 0] == fast.effort[1, 0, 0] > 0.0  # symmetric, and positive as in theory
    assert robust.effort[0, 0, 0] == robust.effort[1, 0, 0]  # was 0.0 and 2.28e-310 before symmetric selection
    assert np.array_equal(fast.underflow, robust.underflow)


@pytest.mark.parametrize("selection", ["fastest", "slowest", "richest"])
def test_hybrid_path_keeps_every_selection_rule(selection: str):
    fast = solve_race(CROWDED, selection=selection)
    robust = solve_race(CROWDED, selection=selection, compiled_path=False)
    assert np.sum(robust.multiplicity == 3) >= 5  # several equilibria along the diagonal
    assert fast.solver.options["path"] == "hybrid"
    assert fast.solver.selection == selection
    assert_same(fast, robust, twins=True)
    assert np.array_equal(fast.multiplicity == 3, robust.multiplicity == 3)


def test_symmetric_ties_are_selected_whatever_the_rounding():
    """At a symmetric state (x, 0) and (0, x) tie exactly; the rule picks firm 1 working, on both paths."""
    robust = solve_race(CROWDED, compiled_path=False)
    i, j = (int(v) for v in np.argwhere(robust.multiplicity == 3)[0])
    assert i == j
    assert robust.effort[0, i, j] >= robust.effort[1, i, j]


def test_breakthrough_chain_race_runs_hybrid():
    race = chain_race(80)
    fast, robust = solve_race(race), solve_race(race, compiled_path=False)
    assert np.any(robust.multiplicity > 1)
    assert fast.solver.options["path"] == "hybrid"
    assert 0 < fast.solver.options["allroots_states"] < 0.05 * 80 * 80
    assert_same(fast, robust)


def test_hybrid_batch_mixes_outcomes():
    batch = [
        chain_race(40),
        pr.Race(stages=(3, 4), prize=1.0, discount=0.05, cost=pr.costs.Quadratic()),
        pr.Race(stages=1, prize=1.0, loser_prize=0.8, discount=0.002,
                cost=(pr.costs.Quadratic(scale=0.5, linear=0.27), pr.costs.Quadratic(scale=0.8, linear=0.27))),
        pr.Race(stages=(20, 24), prize=1.0, discount=0.01, cost=pr.costs.Power(exponent=3.0), loser_prize=0.2),
    ]
    together = solve_races(batch)
    for eq, race in zip(together, batch, strict=True):
        alone = solve_race(race)
        assert eq.solver.options["path"] == alone.solver.options["path"]
        assert eq.solver.options["allroots_states"] == alone.solver.options["allroots_states"]
        assert_same(eq, solve_race(race, compiled_path=False), twins=True)
    assert [eq.solver.options["path"] for eq in together][1:3] == ["compiled", "hybrid"]


def test_races_past_the_budget_or_refused_fall_back_whole(monkeypatch: pytest.MonkeyPatch):
    race = chain_race(40)
    robust = solve_race(race, compiled_path=False)
    monkeypatch.setattr(compiled, "handover_budget", lambda stages: 0)
    eq = solve_race(race)
    assert eq.solver.options["path"] == "allroots"
    assert compiled.sweep_races([race], settle=lambda job: (_ for _ in ()).throw(AssertionError)).status[0] == 7
    monkeypatch.undo()

    def refuse(job: compiled.Handover):
        raise pr.EquilibriumError("refused", None, {})

    sweep = compiled.sweep_races([race], settle=refuse)
    assert sweep.status.tolist() == [6]
    assert compiled.FAILURES[6].startswith("the all-roots search failed")
    assert_same(solve_race(race), robust)


def test_solve_all_does_not_trust_a_hybrid_race():
    """Only a race with no state handed over is known to have one equilibrium without the all-paths search."""
    race = pr.Race(stages=1, prize=1.0, loser_prize=0.8, discount=0.002,
                   cost=(pr.costs.Quadratic(scale=0.5, linear=0.27), pr.costs.Quadratic(scale=0.8, linear=0.27)))
    assert pr.solve(race).solver.options["path"] == "hybrid"
    found = pr.solve_all(race)
    assert len(found) == 3
    assert all(eq.solver.method == "all paths" for eq in found)


def test_a_firm_exactly_at_its_participation_threshold_idles_on_both_paths():
    """``c'(0) / lambda = P`` for firm 1 at its last stage: ``Q = r (P - m / lambda) = 0`` exactly, so it idles.

    The compiled path once computed ``m (r + h) / lambda`` through the reciprocal of ``lambda``,
    found ``Q = 1e-19 > 0`` and an effort of 3e-17, and with the rival idle too the firm's win
    probability became 1 instead of the stall's 0.
    """
    cost = pr.costs.Power(scale=1.0, exponent=2.0, linear=0.1875)
    race = pr.Race(stages=(3, 1), prize=0.5, discount=0.01, cost=(cost, cost), productivity=((1.0, 1.0, 1.0), (0.375,)))
    fast, robust = solve_race(race), solve_race(race, compiled_path=False)
    assert fast.solver.options["path"] == "compiled"
    assert fast.effort[1, 0, 0] == robust.effort[1, 0, 0] == 0.0
    assert fast.win_probability[1, 0, 0] == robust.win_probability[1, 0, 0] == 0.0
    assert_same(fast, robust)


def test_a_net_gain_zero_up_to_rounding_is_not_flagged_as_underflow():
    """Firm 1 idles at (0, 1) against the same leader hazard, so at (0, 0) ``Q = (r + h) A - h B = 0`` in theory.

    Its values (about 1e-194) are inside the float range, so a zero effort there is the model's,
    not rounding's: neither path may flag it (they disagreed on the sign of a 1e-209 residue).
    """
    cost = pr.costs.Power(scale=1.0, exponent=1.5)
    race = pr.Race(stages=(1, 7), prize=1.0, discount=1.0, cost=(cost, cost), loser_prize=1.11038013384554e-193)
    fast, robust = solve_race(race), solve_race(race, compiled_path=False)
    assert not fast.underflow[1, 0, 0] and not robust.underflow[1, 0, 0]
    assert_same(fast, robust)
