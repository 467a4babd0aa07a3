"""Issue 20, "Round trips": every result saves to a file and loads back equal, and a foreign file is refused.

Equality is checked twice: with the results' own ``==`` and, independently of it, bit for
bit on every array (``tobytes``), so a lenient ``__eq__`` could not hide a changed number.
"""

import dataclasses
import functools
import json
import math
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import patentrace as pr
from patentrace.models.effort import _effort_costing
from patentrace.results.serialization import ResultFormatError, strict_json
from tests.strategies import costs, examples, races

PACKAGE_PARENT = Path(pr.__file__).resolve().parent.parent


def same_bits(first: np.ndarray, second: np.ndarray) -> bool:
    """Identical arrays: shape, dtype and every byte (so -0.0 differs from 0.0, and every ulp counts)."""
    first, second = np.asarray(first), np.asarray(second)
    return first.shape == second.shape and first.dtype == second.dtype and first.tobytes() == second.tobytes()


def assert_same_arrays(first, second, names):
    for name in names:
        assert same_bits(getattr(first, name), getattr(second, name)), name


EQ_ARRAYS = ("effort", "hazard", "value", "win_probability", "expected_duration", "multiplicity", "underflow")
LAGGED_ARRAYS = ("value", "win_probability", "tie_probability", "expected_duration", "multiplicity", "degenerate")


def through_files(result):
    """``result`` saved and loaded through both formats (files in a fresh folder)."""
    with tempfile.TemporaryDirectory() as folder:
        loaded = []
        for suffix in (".json", ".nc"):
            path = Path(folder) / f"result{suffix}"
            pr.save(result, path)
            loaded.append(pr.load(path))
        return loaded


def through_json(result):
    """``to_dict`` -> strict JSON text -> ``from_dict``."""
    return type(result).from_dict(json.loads(strict_json(result.to_dict())))


# --- models ------------------------------------------------------------------------------------------------------


@st.composite
def races_with_breakthroughs(draw):
    race = draw(races(max_stages=6))
    rates = draw(st.one_of(st.none(), st.tuples(*(st.lists(st.floats(0.0, 0.5), min_size=n, max_size=n)
                                                  for n in race.stages))))
    return pr.Race(stages=race.stages, prize=race.prize, discount=race.discount, cost=race.cost,
                   loser_prize=race.loser_prize, productivity=race.productivity, breakthrough=rates)


@given(races_with_breakthroughs())
def test_a_race_rebuilds_from_its_constructor_arguments(race):
    data = json.loads(json.dumps(race.to_dict()))
    assert data["type"] == "Race" and all(c["cost"] in ("Power", "Quadratic") for c in data["cost"])
    again = pr.Race.from_dict(data)
    assert again == race and again.cost == race.cost and again.breakthrough == race.breakthrough


@st.composite
def actions(draw):
    weights = draw(st.lists(st.floats(0.01, 1.0), min_size=1, max_size=4))
    total = math.fsum(weights)
    return pr.Action(cost=draw(st.floats(0.0, 0.5)), progress={d: w / total for d, w in enumerate(weights)})


@given(st.lists(actions(), min_size=1, max_size=3), st.integers(1, 3), st.sampled_from(["split", "loss", 0.3]))
def test_a_lagged_race_rebuilds_its_actions_exactly(menu, stages, tie):
    race = pr.LaggedRace(stages=stages, prize=1.0, lag=0.5, discount=0.1, actions=menu, tie=tie)
    again = pr.LaggedRace.from_dict(json.loads(strict_json(race.to_dict())))
    assert again == race
    assert [a.progress for a in again.menus[0][0]] == [a.progress for a in race.menus[0][0]]  # float for float


@given(costs(), st.floats(0.0, 1.0), st.one_of(st.none(), st.floats(0.5, 3.0)))
def test_a_deterministic_race_rebuilds(cost, lag, cap):
    race = pr.DeterministicRace(prize=2.0, discount=0.05, cost=cost, lag=lag, max_speed=cap)
    assert pr.DeterministicRace.from_dict(json.loads(strict_json(race.to_dict()))) == race


def test_a_model_that_cannot_be_rebuilt_is_described_and_refused_by_name():
    class Cubic(pr.costs.Power):  # a cost of one's own: no family the data can name
        pass

    race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=Cubic(scale=1.0, exponent=3.0))
    data = race.to_dict()
    assert data["cost"][0]["unrestorable"].endswith("Cubic")
    with pytest.raises(ValueError, match=r"cost\[0\]: a .*Cubic was saved as its repr"):
        pr.Race.from_dict(data)
    with pytest.raises(ValueError, match="type: the data describes a 'Race', not a LaggedRace"):
        pr.LaggedRace.from_dict(data)


# --- equilibria ----------------------------------------------------------------------------------------------------


def test_issue_20_to_dict_has_an_inverse():
    """The issue: ``pr.Equilibrium(**d)`` failed with "'list' object has no attribute 'base'"; from_dict inverts."""
    eq = pr.solve(pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    data = json.loads(json.dumps(eq.to_dict()))
    assert data["model"]["cost"][0] == {"cost": "Quadratic", "scale": 1.0, "linear": 0.0}   # structured, not text
    again = pr.Equilibrium.from_dict(data)
    assert again == eq
    assert_same_arrays(again, eq, EQ_ARRAYS)
    assert again.solver.options == eq.solver.options and again.solver.seconds == eq.solver.seconds


@settings(max_examples=examples(12))
@given(races_with_breakthroughs().filter(lambda race: max(race.stages) <= 4))
def test_equilibria_of_random_races_save_and_load_equal(race):
    eq = pr.solve(race)
    for again in (through_json(eq), *through_files(eq)):
        assert again == eq and again.model == race
        assert_same_arrays(again, eq, EQ_ARRAYS)
        assert again.solver == eq.solver
    check = again.verify()                       # the loaded numbers are still an equilibrium
    assert check.max_deviation_gain < 1e-9 and check.max_residual < 1e-9


@settings(max_examples=examples(8))
@given(st.integers(1, 2), st.integers(1, 2), st.lists(st.floats(0.05, 2.0), min_size=1, max_size=2, unique=True),
       st.one_of(st.none(), st.lists(st.floats(0.05, 2.0), min_size=1, max_size=3, unique=True)),
       st.floats(0.2, 2.0), st.sampled_from(["split", "loss", 0.25]))
def test_lagged_equilibria_save_and_load_equal(n1, n2, efforts, rival_efforts, lag, tie):
    race = pr.Race(stages=(n1, n2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    grid = [0.0, *efforts] if rival_efforts is None else ([0.0, *efforts], [0.0, *rival_efforts])  # menus may differ
    eq = pr.solve(pr.LaggedRace.from_race(race, lag=lag, efforts=grid, tie=tie))
    for again in (through_json(eq), *through_files(eq)):
        assert again == eq
        assert_same_arrays(again, eq, LAGGED_ARRAYS)
        assert same_bits(again.strategy[0], eq.strategy[0]) and same_bits(again.strategy[1], eq.strategy[1])
    assert max(again.verify()) < 1e-9


@pytest.mark.parametrize(
    ("race", "steps"),
    [
        (pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), None),             # closed form
        (pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Power(exponent=3.0, linear=0.05)), None),
        (pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), lag=0.4, max_speed=1.0), [5, 10]),
    ],
)
def test_deterministic_equilibria_save_and_load_equal(race, steps):
    eq = pr.solve(race) if steps is None else pr.solve(race, steps=steps)
    for again in (through_json(eq), *through_files(eq)):
        assert again == eq
        assert_same_arrays(again, eq, ("speeds", "gaps", "positions", "samples"))
        assert [r.steps for r in again.refinement] == [r.steps for r in eq.refinement]
        assert all(same_bits(a.gap, b.gap) for a, b in zip(again.refinement, eq.refinement, strict=True))
        if eq.grid is not None:
            assert_same_arrays(again.grid, eq.grid, LAGGED_ARRAYS)
        # the lone firm's path is recomputed: V_m(0.5) of docs/theory/deterministic.md, quadratic race
        assert float(again.single_firm_value(0.5)) == float(eq.single_firm_value(0.5))
    if race.lag == 0.0 and race.cost == pr.costs.Quadratic():
        assert round(float(again.single_firm_value(0.5)), 5) == 0.78889


@settings(max_examples=examples(8))
@given(costs(), st.one_of(st.just(0.0), st.floats(0.25, 1.0)), st.floats(1.0, 3.0), st.integers(4, 8))
def test_deterministic_equilibria_of_random_races_save_and_load_equal(cost, lag, cap, steps):
    race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=cost, lag=lag, max_speed=cap)
    eq = pr.solve(race) if lag == 0.0 else pr.solve(race, steps=[steps])
    for again in (through_json(eq), *through_files(eq)):
        assert again == eq and again.model == race
        assert_same_arrays(again, eq, ("speeds", "gaps", "positions", "samples"))
        if eq.grid is not None:
            assert_same_arrays(again.grid, eq.grid, LAGGED_ARRAYS)
        assert again.path.method == eq.path.method and again.path.start == eq.path.start
        w = np.linspace(0.0, 1.0, 11)
        assert same_bits(again.single_firm_speed(w), eq.single_firm_speed(w))   # the recomputed path is the same


@settings(max_examples=examples(5))
@given(st.integers(1, 2), st.sampled_from([2.0, 3.0]), st.floats(0.5, 2.0), st.one_of(st.just(()), st.just(("prize",))))
def test_symbolic_equilibria_of_random_races_save_and_load_equal(n2, exponent, scale, symbols):
    race = pr.Race(stages=(1, n2), prize=1.0, discount=0.1, cost=pr.costs.Power(scale=scale, exponent=exponent))
    sym = pr.symbolic.solve(race, symbols=symbols)
    with tempfile.TemporaryDirectory() as folder:
        pr.save(sym, Path(folder) / "sym.json")
        again = pr.load(Path(folder) / "sym.json")
    assert again == sym and again.model == race
    assert [again.form(0, j) for j in range(n2)] == [sym.form(0, j) for j in range(n2)]


def test_a_deterministic_race_with_a_breakthrough_function_is_not_saved():
    race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), breakthrough=lambda w: 0.1)
    eq = pr.solve(race, steps=[20, 40])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "chain.json"
        with pytest.raises(ValueError, match="breakthrough: a function was saved as its repr"):
            pr.save(eq, path)
        assert list(Path(folder).iterdir()) == []                  # nothing written, not even the partial file


def test_symbolic_equilibrium_saves_its_recipe_and_loads_equal():
    sym = pr.symbolic.solve(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), symbols=("prize",))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sym.json"
        pr.save(sym, path)
        again = pr.load(path)
        with pytest.raises(ValueError, match=r"saves to \.json only"):
            pr.save(sym, Path(folder) / "sym.nc")
    assert again == sym and again.seconds == sym.seconds
    assert str(again.effort(0, 0, 0)) == "P/3 + sqrt(60*P + (10*P - 1)**2)/30 - 1/30"  # the closed form of the docs
    other = pr.symbolic.solve(pr.Race(stages=1, prize=2.0, discount=0.1, cost=pr.costs.Quadratic()), symbols=("prize",))
    assert other != sym


def test_equality_sees_one_ulp_and_the_solver_record():
    eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    value = eq.value.copy()
    value[0, 0, 0] = np.nextafter(value[0, 0, 0], 2.0)
    fields = {name: getattr(eq, name) for name in EQ_ARRAYS}
    assert pr.Equilibrium(model=eq.model, solver=eq.solver, **{**fields, "value": value}) != eq
    slower = pr.SolverInfo(eq.solver.method, eq.solver.selection, eq.solver.options, eq.solver.version, 1.0)
    assert pr.Equilibrium(model=eq.model, solver=slower, **fields) != eq
    assert pr.Equilibrium(model=eq.model, solver=eq.solver, **fields) == eq
    with pytest.raises(TypeError, match="unhashable"):
        hash(eq)


def test_equilibrium_arguments_are_keyword_only():
    """A positional call could put one array in another's place without an error: it is refused."""
    eq = pr.solve(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    with pytest.raises(TypeError):
        pr.Equilibrium(eq.model, eq.effort, eq.hazard, eq.value, eq.win_probability, eq.expected_duration,
                       eq.multiplicity, eq.underflow, eq.solver)


def test_to_dataframe_is_tidy_and_matches_the_arrays():
    eq = pr.solve(pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), loser_prize=0.2))
    table = eq.to_dataframe()
    assert len(table) == 2 * 4 * 3 and list(table.columns[:3]) == ["i", "j", "firm"]
    for row in table.itertuples():
        k, i, j = row.firm, row.i, row.j
        assert row.effort == eq.effort[k, i, j] and row.value == eq.value[k, i, j]
        assert row.win_probability == eq.win_probability[k, i, j] and row.underflow == eq.underflow[k, i, j]
        assert row.expected_duration == eq.expected_duration[i, j] and row.multiplicity == eq.multiplicity[i, j]
    # the two-stage race of docs/theory/race.md "Closed forms", through the table
    two = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())).to_dataframe()
    assert two.query("i == 1 and j == 0").effort.round(10).tolist() == [0.4686350713, 0.2494666666]


# --- sweeps --------------------------------------------------------------------------------------------------------

MAKE = functools.partial(pr.Race, stages=2, prize=1.0, cost=pr.costs.Quadratic())


def both_measures(eq):
    return {"value": eq.value[:, 0, 0], "duration": eq.expected_duration[0, 0], "effort": eq.effort[:, :2, :2]}


@settings(max_examples=examples(6))
@example([-1.0], [0.0, 0.2], "dict")  # every point failed, with dims (found by the thorough profile)
@example([-1.0], [0.0], "vector")
@given(st.lists(st.sampled_from([0.05, 0.1, 0.3, -1.0]), min_size=1, max_size=3, unique=True),
       st.lists(st.sampled_from([0.0, 0.2, 0.4]), min_size=1, max_size=2, unique=True),
       st.sampled_from(["scalar", "vector", "dict"]))
def test_sweeps_save_and_load_equal(discounts, losers, kind):
    measure = {"scalar": lambda eq: eq.value[0, 0, 0], "vector": lambda eq: eq.effort[:, 0, 0],
               "dict": both_measures}[kind]
    dims = {"vector": ("firm",), "dict": {"value": ("firm",)}}.get(kind)
    result = pr.sweep(MAKE, {"discount": discounts, "loser_prize": losers}, measure=measure, dims=dims)
    assert bool(result.failed.any()) == (-1.0 in discounts)
    for again in (through_json(result), *through_files(result)):
        assert again == result
        for name, values in result._quantities().items():
            assert same_bits(np.ma.getmaskarray(again.quantity(name)), np.ma.getmaskarray(values))
            assert same_bits(again.quantity(name).filled(0.0), values.filled(0.0))
        assert again.errors == result.errors and again.fixed == result.fixed


def test_a_measured_sweep_whose_every_point_failed_has_no_quantity_and_keeps_its_errors():
    result = pr.sweep(MAKE, {"discount": [-1.0, 0.0]}, measure=both_measures, dims={"value": ("firm",)})
    assert result.values == {} and result.dims == {} and bool(result.failed.all())
    assert set(result.errors) == {(0,), (1,)} and all("discount must be > 0" in m for m in result.errors.values())
    with pytest.raises(KeyError, match=r"no measured quantity 'value'; this sweep has \[\]"):
        result.quantity("value")
    for again in (through_json(result), *through_files(result)):
        assert again == result and again.values == {} and again.errors == result.errors


def test_a_sweep_of_whole_equilibria_saves_as_json():
    result = pr.sweep(MAKE, {"discount": [0.05, -1.0]})
    with tempfile.TemporaryDirectory() as folder:
        pr.save(result, Path(folder) / "sweep.json")
        again = pr.load(Path(folder) / "sweep.json")
        with pytest.raises(ValueError, match=r"save it as \.json"):
            pr.save(result, Path(folder) / "sweep.nc")
    assert again == result and again.values[1] is None
    assert_same_arrays(again.values[0], result.values[0], EQ_ARRAYS)


def test_sweep_dataset_names_dims_and_carries_the_fixed_parameters():
    result = pr.sweep(MAKE, {"discount": [0.05, 0.1]}, measure=both_measures,
                      dims={"value": ("firm",), "effort": ("firm", "i", "j")})
    dataset = result.dataset
    assert dataset["value"].dims == ("discount", "firm") and dataset["effort"].dims == ("discount", "firm", "i", "j")
    assert dataset["duration"].dims == ("discount",)
    assert dataset.attrs["prize"] == 1.0 and dataset.attrs["stages"] == 2
    assert json.loads(dataset.attrs["fixed"])["cost"] == {"cost": "Quadratic", "scale": 1.0, "linear": 0.0}
    # docs/theory/race.md "Closed forms": V(0, 0) = 0.1795728262 at r = 0.1, for both (symmetric) firms
    assert dataset["value"].sel(discount=0.1).round(10).values.tolist() == [0.1795728262, 0.1795728262]
    unnamed = pr.sweep(MAKE, {"discount": [0.1]}, measure=both_measures).dataset
    assert unnamed["value"].dims == ("discount", "value_dim_0")     # named after its quantity
    with pytest.raises(ValueError, match=r"dims\['value'\] names 2 dimensions, but the measured value has 1"):
        pr.sweep(MAKE, {"discount": [0.1]}, measure=both_measures, dims={"value": ("firm", "extra")})
    with pytest.raises(ValueError, match="dims names the quantity 'wins'"):
        pr.sweep(MAKE, {"discount": [0.1]}, measure=both_measures, dims={"wins": ("firm",)})


def test_a_checkpoint_holds_dict_measures_and_resumes_equal(tmp_path):
    grid = {"discount": [0.05, 0.1, -1.0]}
    path = tmp_path / "sweep.ckpt"
    first = pr.sweep(MAKE, grid, measure=both_measures, checkpoint=path, dims={"value": ("firm",)})
    lines = path.read_text().splitlines()
    assert len(lines) == 1 + 3 and '"value"' in lines[1]               # header + one record per point
    again = pr.sweep(MAKE, grid, measure=both_measures, checkpoint=path, dims={"value": ("firm",)})
    assert again == first and again.failed.tolist() == [False, False, True]
    direct = pr.solve(MAKE(discount=0.1))
    assert again.quantity("value")[1].tolist() == direct.value[:, 0, 0].tolist()


# --- continuous effort in periods ------------------------------------------------------------------------------------

CONTINUOUS_ARRAYS = ("effort", *LAGGED_ARRAYS, "unresolved")


def closure_effort(cost, productivity, lag, discount, prize):
    """The technology ``from_race`` built before it was data: closures over the same numbers.

    The reference of the bit-for-bit test: what ``poisson_effort`` returned until issue 20 x 19
    (lambdas, and the family record that lets the solver evaluate one firm's stages at once).
    """
    rate = float(productivity) * float(lag)
    per_unit = -math.expm1(-discount * lag) / discount
    effort = pr.ContinuousEffort(
        cost=lambda x: np.asarray(cost.value(x), dtype=float) * per_unit,
        success=lambda x: -np.expm1(-rate * np.asarray(x, dtype=float)),
        max_effort=_effort_costing(cost, prize / per_unit),
        marginal_cost=lambda x: np.asarray(cost.marginal(x), dtype=float) * per_unit,
        marginal_success=lambda x: rate * np.exp(-rate * np.asarray(x, dtype=float)),
    )
    object.__setattr__(effort, "_family", (cost, per_unit, rate))
    return effort


def with_closures(lagged, race):
    """``lagged`` (built by ``from_race(race, ...)``) with every effort replaced by its closure version."""
    efforts = tuple(tuple(closure_effort(race.cost[k], race.productivity[k][i], lagged.lag, race.discount, race.prize)
                          for i in range(race.stages[k])) for k in (0, 1))
    return dataclasses.replace(lagged, actions=efforts)


Q = pr.costs.Quadratic
BEFORE_AND_AFTER = [
    (pr.Race(stages=2, prize=1.0, discount=0.1, cost=Q()), 0.5, "split"),
    (pr.Race(stages=(3, 2), prize=1.0, loser_prize=0.2, discount=0.1, productivity=[[1.0, 1.5, 2.0], [0.8, 1.2]],
             cost=(Q(scale=1.5), pr.costs.Power(scale=1.0, exponent=3.0, linear=0.02))), 0.3, "split"),
    (pr.Race(stages=(2, 3), prize=2.0, loser_prize=0.5, discount=0.05, cost=Q(linear=0.01),
             productivity=[[1.0, 2.0], [1.0, 2.0, 3.0]]), 1.0, "loss"),
    (pr.Race(stages=(3, 3), prize=1.0, loser_prize=0.1, discount=0.2, cost=pr.costs.Power(scale=0.5, exponent=2.5),
             productivity=[[0.5, 1.0, 2.0], [2.0, 1.0, 0.5]], breakthrough=[[0.0, 0.1, 0.2], [0.05, 0.0, 0.0]]),
     0.7, 0.3),
]


@pytest.mark.parametrize(("race", "lag", "tie"), BEFORE_AND_AFTER)
def test_poisson_effort_as_data_computes_the_floats_of_the_closures(race, lag, tie):
    """PoissonEffort replaced closures: every function value and every solved array is the same, bit for bit."""
    lagged = pr.LaggedRace.from_race(race, lag=lag, tie=tie)
    before = with_closures(lagged, race)
    for data, closures in zip(sum(lagged.efforts, ()), sum(before.efforts, ()), strict=True):
        assert type(data) is pr.PoissonEffort and data.max_effort == closures.max_effort
        grid = np.linspace(0.0, data.max_effort, 257)
        for method in ("period_cost", "probability", "cost_slope", "success_slope"):
            assert same_bits(getattr(data, method)(grid), getattr(closures, method)(grid)), method
        assert data.regular == closures.regular
    eq, reference = pr.solve(lagged), pr.solve(before)
    assert type(eq) is type(reference) is pr.ContinuousLaggedEquilibrium
    assert eq.model == reference.model                                  # the menus of the equilibrium efforts
    assert_same_arrays(eq, reference, CONTINUOUS_ARRAYS)
    assert same_bits(eq.strategy[0], reference.strategy[0]) and same_bits(eq.strategy[1], reference.strategy[1])


def test_a_continuous_lagged_race_reads_as_data():
    race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=Q())
    lagged = pr.LaggedRace.from_race(race, lag=0.5)
    assert "<function" not in repr(lagged) and "lambda" not in repr(lagged)
    effort = lagged.efforts[0][0]
    assert repr(effort) == ("PoissonEffort(flow_cost=Quadratic(scale=1.0, linear=0.0), productivity=1.0, lag=0.5, "
                            "discount=0.1, prize=1.0)")
    assert lagged == pr.LaggedRace.from_race(race, lag=0.5)             # equal by value, not identity
    assert lagged != pr.LaggedRace.from_race(race, lag=0.5 + 1e-15)
    assert hash(effort) == hash(pr.PoissonEffort(Q(), 1.0, 0.5, 0.1, 1.0))
    assert pickle.loads(pickle.dumps(lagged)) == lagged                 # so a process pool can take it
    data = lagged.to_dict()
    assert data["actions"][0][0] == {"poisson_effort": {
        "flow_cost": {"cost": "Quadratic", "scale": 1.0, "linear": 0.0}, "productivity": 1.0, "lag": 0.5,
        "discount": 0.1, "prize": 1.0}}
    assert "<function" not in repr(pr.solve(lagged).continuous)


@st.composite
def continuous_lagged_races(draw):
    """``LaggedRace.from_race`` of a random race: stages 1-3, learning curves, loser prizes, breakthroughs, lags."""
    race = draw(races(max_stages=3))
    rates = draw(st.one_of(st.none(), st.tuples(*(st.lists(st.floats(0.0, 0.5), min_size=n, max_size=n)
                                                  for n in race.stages))))
    race = dataclasses.replace(race, breakthrough=rates)
    return race, draw(st.floats(0.05, 2.0)), draw(st.sampled_from(["split", "loss", 0.3]))


@settings(max_examples=examples(15))
@given(continuous_lagged_races())
def test_continuous_lagged_equilibria_save_and_load_equal(case):
    race, lag, tie = case
    lagged = pr.LaggedRace.from_race(race, lag=lag, tie=tie)
    rebuilt = pr.LaggedRace.from_dict(json.loads(strict_json(lagged.to_dict())))
    assert rebuilt == lagged and rebuilt.efforts == lagged.efforts
    eq = pr.solve(lagged)
    assert type(eq) is pr.ContinuousLaggedEquilibrium
    for again in (through_json(eq), *through_files(eq)):
        assert type(again) is pr.ContinuousLaggedEquilibrium
        assert again == eq and again.continuous == lagged and again.model == eq.model and again.solver == eq.solver
        assert_same_arrays(again, eq, CONTINUOUS_ARRAYS)
        assert same_bits(again.strategy[0], eq.strategy[0]) and same_bits(again.strategy[1], eq.strategy[1])
    # the loaded race is the race solved: solving it again gives the same numbers, bit for bit
    assert_same_arrays(pr.solve(again.continuous), eq, CONTINUOUS_ARRAYS)


def test_equality_of_a_continuous_result_sees_the_continuous_race(tmp_path):
    eq = pr.solve(pr.LaggedRace.from_race(pr.Race(stages=(2, 1), prize=1.0, discount=0.1, cost=Q()), lag=0.5))
    data = eq.to_dict()
    effort = data["continuous"]["actions"][1][0]["poisson_effort"]
    effort["productivity"] = float(np.nextafter(effort["productivity"], 2.0))    # one ulp, arrays untouched
    assert pr.ContinuousLaggedEquilibrium.from_dict(data) != eq
    path = tmp_path / "race.json"
    pr.save(eq, path)
    saved = json.loads(path.read_text())
    saved["continuous"] = data["continuous"]
    path.write_text(json.dumps(saved))
    with pytest.raises(ResultFormatError, match=r"race\.json: checksum mismatch"):
        pr.load(path)
    del data["continuous"]
    with pytest.raises(ResultFormatError, match=r"data: continuous: the model cannot be rebuilt"):
        pr.ContinuousLaggedEquilibrium.from_dict(data)
    dataset = eq.to_xarray()
    assert json.loads(dataset.attrs["continuous"]) == eq.continuous.to_dict()
    del dataset.attrs["continuous"]
    with pytest.raises(ResultFormatError, match=r"attribute 'continuous'"):
        pr.ContinuousLaggedEquilibrium.from_xarray(dataset)


def test_poisson_effort_data_is_checked_by_name():
    good = pr.PoissonEffort(Q(), 1.0, 0.5, 0.1, 1.0)
    race = pr.LaggedRace(stages=1, prize=1.0, lag=0.5, discount=0.1, actions=good)
    data = json.loads(strict_json(race.to_dict()))
    effort = data["actions"][0][0]["poisson_effort"]
    for change, message in (({"productivity": True}, r"actions\[0\]\[0\]\.productivity: expected a number"),
                            ({"speed": 1.0}, r"actions\[0\]\[0\]: a Poisson effort needs exactly"),
                            ({"flow_cost": {"cost": "Cubic"}}, r"actions\[0\]\[0\]\.flow_cost: unknown cost family"),
                            ({"lag": -1.0}, "lag must be > 0")):
        bad = json.loads(json.dumps(data))
        bad["actions"][0][0]["poisson_effort"] = {**effort, **change}
        with pytest.raises(ValueError, match=message):
            pr.LaggedRace.from_dict(bad)


    class Cubic(pr.costs.Power):  # a cost of one's own inside a Poisson effort: described, refused by name
        pass

    own = pr.LaggedRace(stages=1, prize=1.0, lag=0.5, discount=0.1,
                        actions=pr.PoissonEffort(Cubic(scale=1.0, exponent=3.0), 1.0, 0.5, 0.1, 1.0))
    with pytest.raises(ValueError, match=r"actions\[0\]\[0\]\.flow_cost: a .*Cubic was saved as its repr"):
        pr.LaggedRace.from_dict(own.to_dict())


def test_a_continuous_effort_of_ones_own_functions_is_described_and_refused_by_name(tmp_path):
    own = pr.ContinuousEffort(cost=lambda x: 0.02 * x**2, success=lambda x: 1 - np.exp(-0.5 * x), max_effort=5.0)
    race = pr.LaggedRace(stages=2, prize=1.0, lag=0.5, discount=0.1, actions=own)
    data = race.to_dict()
    assert data["actions"][0][0]["unrestorable"] == "ContinuousEffort"
    with pytest.raises(ValueError, match=r"actions\[0\]\[0\]: a ContinuousEffort was saved as its repr"):
        pr.LaggedRace.from_dict(data)
    eq = pr.solve(race)
    for suffix in (".json", ".nc"):
        with pytest.raises(ResultFormatError, match=r"continuous'?: the model cannot be rebuilt: actions\[0\]\[0\]: "
                                                    "a ContinuousEffort was saved as its repr"):
            pr.save(eq, tmp_path / f"own{suffix}")
    assert list(tmp_path.iterdir()) == []                               # nothing written, no partial file left


def lagged_race(lag, efforts=None):
    return pr.LaggedRace.from_race(pr.Race(stages=(2, 1), prize=1.0, loser_prize=0.1, discount=0.1, cost=Q()), lag=lag,
                                   efforts=efforts)


@pytest.mark.parametrize("efforts", [None, [0.0, 0.5]])
def test_a_sweep_of_whole_lagged_equilibria_saves_and_loads_equal(tmp_path, efforts):
    """Each whole equilibrium of a sweep is loaded as the type its data names (it was always read as a Race's)."""
    result = pr.sweep(functools.partial(lagged_race, efforts=efforts), {"lag": [0.5, 1.0]})
    pr.save(result, tmp_path / "sweep.json")
    again = pr.load(tmp_path / "sweep.json")
    assert again == result
    for loaded, solved in zip(again.values, result.values, strict=True):
        assert type(loaded) is type(solved) is (pr.LaggedEquilibrium if efforts else pr.ContinuousLaggedEquilibrium)
        assert_same_arrays(loaded, solved, LAGGED_ARRAYS if efforts else CONTINUOUS_ARRAYS)


def test_a_race_solved_on_refined_menus_saves_and_loads_equal(tmp_path):
    """An irregular technology is solved on menus: that LaggedEquilibrium saves too (its record is JSON data)."""
    linear = pr.ContinuousEffort(cost=lambda x: 0.1 * x, success=lambda x: 0.5 * x, max_effort=1.0)
    with pytest.warns(UserWarning, match="not regular"):
        eq = pr.solve(pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.1, actions=linear))
    assert type(eq) is pr.LaggedEquilibrium and eq.solver.options["menu_steps"][0][0] == 11
    for again in (through_json(eq), *through_files(eq)):
        assert again == eq and again.solver.options == eq.solver.options
        assert_same_arrays(again, eq, LAGGED_ARRAYS)


# --- foreign and damaged files -------------------------------------------------------------------------------------


def test_foreign_and_damaged_files_are_refused_by_name(tmp_path):
    eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    foreign = tmp_path / "notes.json"
    foreign.write_text('{"title": "my notes"}')
    with pytest.raises(ResultFormatError, match=r"notes\.json: not a saved patentrace result \(format None"):
        pr.load(foreign)
    cut = tmp_path / "cut.json"
    pr.save(eq, cut)
    cut.write_text(cut.read_text()[:200])
    with pytest.raises(ResultFormatError, match=r"cut\.json: not JSON"):
        pr.load(cut)
    altered = tmp_path / "altered.json"
    data = eq.to_dict()
    data["value"][0].pop()                                           # one row fewer than the model's states
    altered.write_text(json.dumps(data))
    with pytest.raises(ResultFormatError, match=r"altered\.json: value: expected shape \(2, 3, 3\)"):
        pr.load(altered)
    data = eq.to_dict()
    data["multiplicity"][0][0] = 1.5
    altered.write_text(json.dumps(data))
    with pytest.raises(ResultFormatError, match=r"multiplicity: expected whole numbers, got 1\.5"):
        pr.load(altered)
    data = eq.to_dict()
    data["value"][0][0][0] = None                                    # null must not become NaN silently
    altered.write_text(json.dumps(data))
    with pytest.raises(ResultFormatError, match="value: expected numbers, got None"):
        pr.load(altered)
    garbage = tmp_path / "garbage.nc"
    garbage.write_bytes(b"CDF\x01 not really a netCDF file")
    with pytest.raises(ResultFormatError, match=r"garbage\.nc: not a netCDF file written by patentrace.save"):
        pr.load(garbage)
    other = tmp_path / "other.nc"
    eq.to_xarray().drop_attrs().to_netcdf(other, engine="scipy")     # someone else's netCDF file
    with pytest.raises(ResultFormatError, match=r"other\.nc: not a saved patentrace result"):
        pr.load(other)
    with pytest.raises(ValueError, match=r"path must end in \.json .* or \.nc"):
        pr.save(eq, tmp_path / "race.pkl")
    with pytest.raises(TypeError, match="result must be one of"):
        pr.save({"value": 1}, tmp_path / "dict.json")
    with pytest.raises(ResultFormatError, match="holds a Equilibrium, not a LaggedEquilibrium"):
        pr.LaggedEquilibrium.from_dict(eq.to_dict())


def test_a_changed_number_is_never_loaded_silently(tmp_path):
    """Each file carries the SHA-256 of the result's data: a number edited or flipped in the file is refused."""
    import xarray as xr

    eq = pr.solve(pr.Race(stages=(2, 3), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    path = tmp_path / "race.json"
    pr.save(eq, path)
    data = json.loads(path.read_text())
    data["value"][0][0][0] = np.nextafter(data["value"][0][0][0], 1.0)     # one ulp: still a valid equilibrium file
    path.write_text(json.dumps(data))
    with pytest.raises(ResultFormatError, match=r"race\.json: checksum mismatch"):
        pr.load(path)
    del data["sha256"]
    path.write_text(json.dumps(data))
    with pytest.raises(ResultFormatError, match=r"no sha256 checksum.*Equilibrium\.from_dict"):
        pr.load(path)
    netcdf = tmp_path / "race.nc"
    pr.save(eq, netcdf)
    dataset = xr.load_dataset(netcdf, engine="scipy")
    dataset["effort"][1, 0, 2] = 0.5                                     # someone edits a number, keeps the attributes
    dataset.to_netcdf(netcdf, engine="scipy")
    with pytest.raises(ResultFormatError, match=r"race\.nc: checksum mismatch"):
        pr.load(netcdf)


def test_import_loads_neither_xarray_nor_pandas():
    script = ("import sys, patentrace as pr\n"
              "pr.solve(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())).to_dict()\n"
              "print(sorted(m for m in ('xarray', 'pandas') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False,
                          cwd=PACKAGE_PARENT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_docs_saving_section_prints_what_it_says(monkeypatch, tmp_path):
    """The examples of docs/results.md ("Saving and loading results") run and print what the page says."""
    import doctest

    monkeypatch.chdir(tmp_path)
    text = (PACKAGE_PARENT / "docs" / "results.md").read_text()
    section = text[text.index("## Saving and loading results"):]
    source = "\n".join("" if line.startswith("```") else line for line in section.splitlines())
    test = doctest.DocTestParser().get_doctest(source, {}, "results.md", "docs/results.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
    assert len(test.examples) >= 10
