"""Sweeps: serial, process pool and dask cluster agree with pr.solve; errors and checkpoints."""

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import sweep_models as models

import patentrace as pr

GRID = {"discount": [0.05, 0.1, 0.2], "scale": [0.5, 1.0, 2.0]}


def expected_values(measure=models.leader_value) -> np.ndarray:
    return np.array([[measure(pr.solve(models.make_race(r, a))) for a in GRID["scale"]] for r in GRID["discount"]])


def test_serial_sweep_equals_solve_point_by_point():
    result = pr.sweep(models.make_race, GRID, measure=models.leader_value, chunk_size=4)
    assert result.names == ("discount", "scale")
    assert result.values.shape == (3, 3) and not result.failed.any() and result.errors == {}
    np.testing.assert_allclose(result.values, expected_values(), rtol=1e-12)
    dataset = result.dataset
    assert dataset["measure"].sel(discount=0.1, scale=2.0).item() == pytest.approx(
        models.leader_value(pr.solve(models.make_race(0.1, 2.0))), rel=1e-12
    )


def test_default_measure_keeps_equilibria_and_array_measures_add_axes():
    whole = pr.sweep(models.make_race, GRID)
    assert whole.values.dtype == object and isinstance(whole.values[1, 2], pr.Equilibrium)
    assert whole.values[1, 2].model == models.make_race(0.1, 2.0)
    pair = pr.sweep(models.make_race, GRID, measure=models.both_efforts)
    assert pair.values.shape == (3, 3, 2)
    np.testing.assert_allclose(pair.values[2, 0], models.both_efforts(pr.solve(models.make_race(0.2, 0.5))))


def test_process_pool_sweep_equals_serial():
    serial = pr.sweep(models.make_race, GRID, measure=models.leader_value)
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        parallel = pr.sweep(models.make_race, GRID, measure=models.leader_value, executor=pool, chunk_size=2)
    np.testing.assert_array_equal(parallel.values, serial.values)


def test_dask_local_cluster_sweep_equals_serial_and_solve(monkeypatch: pytest.MonkeyPatch):
    distributed = pytest.importorskip("distributed")
    # worker processes import the model builders from this folder
    here = str(Path(__file__).resolve().parent)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")])))
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        result = pr.sweep(models.make_race, GRID, measure=models.leader_value,
                          executor=client.get_executor(), chunk_size=2)
        on_workers = set(client.run(os.getpid).values())
    assert len(on_workers) == 2 and os.getpid() not in on_workers  # really other processes
    serial = pr.sweep(models.make_race, GRID, measure=models.leader_value)
    np.testing.assert_array_equal(result.values, serial.values)
    np.testing.assert_allclose(result.values, expected_values(), rtol=1e-12)


def test_a_failing_point_does_not_stop_the_sweep():
    result = pr.sweep(models.fragile_race, GRID, measure=models.fragile_measure, chunk_size=3)
    assert result.errors == {  # the solve, the measure and the model failed
        (0, 0): "TypeError: model must be a patentrace.Race, LaggedRace or DeterministicRace, got str",
        (1, 1): "ZeroDivisionError: measure broke",  # the measure failed
        (2, 2): "RuntimeError: no race here",  # building the model failed
    }
    assert result.failed.sum() == 3
    good = ~result.failed
    np.testing.assert_allclose(np.asarray(result.values)[good], expected_values()[good], rtol=1e-12)
    assert np.ma.is_masked(result.values[1, 1])
    assert np.isnan(result.dataset["measure"].sel(discount=0.1, scale=1.0).item())


class Interrupting:
    """A measure that counts finished points and stops the sweep once, at a given point."""

    def __init__(self, stop_at: int | None):
        self.stop_at, self.calls, self.finished = stop_at, 0, {}

    def __call__(self, eq: pr.Equilibrium) -> float:
        self.calls += 1
        if self.calls == self.stop_at:
            self.stop_at = None
            raise KeyboardInterrupt
        key = (eq.model.discount, eq.model.cost[0].scale)
        self.finished[key] = self.finished.get(key, 0) + 1
        return models.leader_value(eq)


def test_checkpoint_resumes_with_nothing_lost_and_nothing_computed_twice(tmp_path: Path):
    path = tmp_path / "sweep.ckpt"
    measure = Interrupting(stop_at=6)
    with pytest.raises(KeyboardInterrupt):
        pr.sweep(models.make_race, GRID, measure=measure, chunk_size=4, checkpoint=path)
    assert sum(measure.finished.values()) == 5  # five points finished before the interruption
    resumed = pr.sweep(models.make_race, GRID, measure=measure, chunk_size=4, checkpoint=path)
    assert sorted(measure.finished.values()) == [1] * 9  # every point finished exactly once, overall
    np.testing.assert_allclose(resumed.values, expected_values(), rtol=1e-12)
    again = Interrupting(stop_at=None)
    complete = pr.sweep(models.make_race, GRID, measure=again, chunk_size=4, checkpoint=path)
    assert again.calls == 0  # a finished sweep computes nothing more
    np.testing.assert_array_equal(complete.values, resumed.values)


def test_checkpoint_of_another_sweep_is_refused(tmp_path: Path):
    path = tmp_path / "sweep.ckpt"
    pr.sweep(models.make_race, GRID, measure=models.leader_value, checkpoint=path)
    with pytest.raises(ValueError, match="different sweep"):
        pr.sweep(models.make_race, {"discount": [0.05], "scale": [1.0]}, measure=models.leader_value,
                 checkpoint=path)


def test_progress_bar_when_asked(capsys: pytest.CaptureFixture[str]):
    pr.sweep(models.make_race, GRID, measure=models.leader_value, progress=True)
    assert "9/9" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"grid": {}}, "grid must be a non-empty"),
        ({"grid": {"discount": []}}, "grid\\['discount'\\]"),
        ({"grid": {"prize_money": [1.0]}}, "'prize_money'"),
        ({"measure": "value"}, "measure must be callable"),
        ({"executor": object()}, "executor must be a concurrent.futures.Executor"),
        ({"chunk_size": 0}, "chunk_size"),
    ],
)
def test_bad_input(arguments: dict, message: str):
    call = {"make_model": models.make_race, "grid": GRID, "measure": models.leader_value}
    call.update(arguments)
    with pytest.raises(ValueError, match=message):
        pr.sweep(**call)


def test_solve_many_checks_its_models():
    with pytest.raises(TypeError, match=r"models\[1\]"):
        pr.solve_many([models.make_race(0.1, 1.0), "race"])
