"""No global state: solves on 4 threads equal the serial results digit for digit (issue 21).

``pr.symbolic.solve`` used to set mpmath's global precision, so under threads a
"certified" 40-digit number came back wrong (or failed its own certificate) and
``mpmath.mp.dps`` was left changed. Symbolic numbers are compared as strings,
floats with ``==``.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import mpmath
import numpy as np
import pytest

import patentrace as pr
from patentrace.solvers import _mp

Q = pr.costs.Quadratic()
THREADS = 4


def _symbolic_digits(job: tuple[pr.Race, dict[str, object]]) -> list[str]:
    """Every open state's efforts and values, and its form, as strings."""
    race, options = job
    sym = pr.symbolic.solve(race, **options)
    out = []
    for i in range(race.stages[0]):
        for j in range(race.stages[1]):
            out.append(sym.form(i, j))
            out.extend(str(sym.effort(k, i, j)) for k in (0, 1))
            out.extend(str(sym.value(k, i, j)) for k in (0, 1))
    return out


SYMBOLIC_JOBS = [
    (pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=Q), {"digits": 40, "exact": False}),
    (pr.Race(stages=(3, 2), prize=1.0, discount=0.2, cost=Q), {"digits": 20, "exact": False}),
    (pr.Race(stages=(2, 3), prize=1.0, discount=0.05, cost=pr.costs.Power(scale=1.0, exponent=3.0)),
     {"digits": 60, "exact": False}),
    (pr.Race(stages=(1, 2), prize=1.0, discount=0.1, cost=Q), {}),                  # a root of a polynomial
    (pr.Race(stages=1, prize=1.0, discount=0.1, cost=Q), {"symbols": ("prize",)}),   # a closed form
    (pr.Race(stages=(3, 2), prize=2.0, discount=0.3, cost=Q, loser_prize=0.1), {"digits": 25, "exact": False}),
]


def _in_threads(work, jobs, repeats=2):
    """``work`` over ``jobs`` on THREADS threads, ``repeats`` times over (results in job order)."""
    with ThreadPoolExecutor(THREADS) as pool:
        return [list(pool.map(work, jobs)) for _ in range(repeats)]


@pytest.fixture(scope="module")
def symbolic_serial() -> list[list[str]]:
    return [_symbolic_digits(job) for job in SYMBOLIC_JOBS]


def test_symbolic_solves_on_threads_equal_the_serial_ones_digit_for_digit(symbolic_serial):
    dps, prec = mpmath.mp.dps, mpmath.mp.prec
    for parallel in _in_threads(_symbolic_digits, SYMBOLIC_JOBS, repeats=1):
        assert parallel == symbolic_serial
    assert (mpmath.mp.dps, mpmath.mp.prec) == (dps, prec)   # the global context is left as it was
    # The 40-digit certified effort at (0, 0) agrees with the float solver to its 15 digits.
    first = symbolic_serial[0]
    assert abs(float(first[1]) - pr.solve(SYMBOLIC_JOBS[0][0]).effort[0, 0, 0]) < 1e-13


def test_symbolic_numbers_ignore_another_threads_global_mpmath_precision(symbolic_serial):
    # A user's own mpmath code in another thread, switching the global precision to 8 digits all along.
    dps = mpmath.mp.dps   # not always 15: tests/oracle_quadratic.py sets 60 when it is imported
    stop = threading.Event()

    def meddle() -> None:
        while not stop.is_set():
            with mpmath.workdps(8):
                mpmath.mpf(1) / 3

    meddler = threading.Thread(target=meddle)
    meddler.start()
    try:
        parallel = _in_threads(_symbolic_digits, SYMBOLIC_JOBS[:3], repeats=1)[0]
    finally:
        stop.set()
        meddler.join()
    assert parallel == symbolic_serial[:3]
    assert mpmath.mp.dps == dps


def test_each_thread_has_its_own_mpmath_precision():
    dps = mpmath.mp.dps
    barrier = threading.Barrier(THREADS)

    def hold(digits: int) -> tuple[int, str]:
        with _mp.workdps(digits):
            barrier.wait()                  # every thread is inside its own workdps now
            third = _mp.mpf(1) / 3
            seen = _mp.dps
            barrier.wait()
        return seen, _mp.nstr(third, digits)

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(hold, (20, 40, 60, 80)))
    assert [seen for seen, _ in results] == [20, 40, 60, 80]
    assert [text for _, text in results] == ["0." + "3" * dps for dps in (20, 40, 60, 80)]
    assert mpmath.mp.dps == dps and _mp.dps == 15   # this thread's private context keeps mpmath's default


NUMERIC_RACES = [
    pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=Q),
    pr.Race(stages=6, prize=1.0, discount=0.05, cost=pr.costs.Quadratic(linear=0.05)),
    pr.Race(stages=(4, 5), prize=1.0, discount=0.2, cost=pr.costs.Power(scale=1.0, exponent=3.0),
            breakthrough=[0.0, 0.1, 0.2, 0.3, 0.4]),
    pr.Race(stages=(5, 3), prize=2.0, discount=0.1, cost=(Q, pr.costs.Quadratic(scale=2.0)), loser_prize=0.2),
    pr.Race(stages=4, prize=1.0, discount=0.1, cost=pr.costs.Power(scale=1.0, exponent=2.5, linear=0.02)),
]
_FIELDS = ("effort", "hazard", "value", "win_probability", "expected_duration", "multiplicity")


def _arrays(eq: pr.Equilibrium) -> list[np.ndarray]:
    return [np.asarray(getattr(eq, name)) for name in _FIELDS]


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_numeric_solves_on_threads_equal_the_serial_ones_exactly():
    serial = [_arrays(pr.solve(race)) for race in NUMERIC_RACES]
    for parallel in _in_threads(lambda race: _arrays(pr.solve(race)), NUMERIC_RACES):
        assert all(_same(a, b) for a, b in zip(parallel, serial, strict=True))
    batches = _in_threads(lambda races: [_arrays(eq) for eq in pr.solve_many(races)],
                          [NUMERIC_RACES] * THREADS, repeats=1)[0]
    batch_serial = [_arrays(eq) for eq in pr.solve_many(NUMERIC_RACES)]
    for batch in batches:
        assert all(_same(a, b) for a, b in zip(batch, batch_serial, strict=True))


def test_lagged_solves_on_threads_equal_the_serial_ones_exactly():
    work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    races = [pr.LaggedRace(stages=(n, 2), prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
             for n in (1, 2, 3, 4)]

    def arrays(race: pr.LaggedRace) -> list[np.ndarray]:
        eq = pr.solve(race)
        return [np.asarray(eq.value), np.asarray(eq.win_probability), np.asarray(eq.multiplicity)]

    serial = [arrays(race) for race in races]
    for parallel in _in_threads(arrays, races):
        assert all(_same(a, b) for a, b in zip(parallel, serial, strict=True))
