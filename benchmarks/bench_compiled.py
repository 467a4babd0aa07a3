"""Benchmark: the library against a plain compiled C loop and a naive fsolve loop, in one run.

The C reference (``benchmarks/reference_race.c``, built here with the system compiler
into a temporary directory and loaded with ctypes) solves the same races by Newton's
method on the two first-order conditions of docs/theory/race.md (1) at each state, with no
certificate and no check. The naive baseline is a Python loop over states handing each
state's conditions to ``scipy.optimize.fsolve``; it is timed on a smaller race (or a
smaller batch) and compared per state, as stated in its column.

Cases (prize 1, scale 1): one symmetric 1000x1000-stage race with discount 1e-7, and a
batch of 2000 ten-stage races with discounts spread over 0.005 to 0.02; each with the
quadratic cost and with the power cost g = 3. Also printed: the largest difference from
the C results, the peak memory of the 1000x1000 race (fresh subprocess, above the
baseline after imports and compilation), and numba's import and first-call costs.

Run: ``python benchmarks/bench_compiled.py [--stages 1000] [--batch 2000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from compiled_reference import compile_reference
from scipy.optimize import fsolve
from timing import best_of

import patentrace as pr

HERE = Path(__file__).resolve().parent
DOUBLES = ctypes.POINTER(ctypes.c_double)
TARGETS = {2.0: 5.0, 3.0: 10.0}


def build_reference(folder: Path) -> ctypes.CDLL | None:
    """Compile reference_race.c with the system C compiler; None (with a message) if there is none."""
    lib = compile_reference("reference_race.c", folder)
    if lib is None:
        return None
    lib.solve_race.argtypes = [ctypes.c_long, ctypes.c_double, ctypes.c_double, ctypes.c_double, ctypes.c_double,
                               DOUBLES, DOUBLES]
    lib.solve_batch.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_double, DOUBLES, ctypes.c_double,
                                ctypes.c_double, DOUBLES, DOUBLES]
    return lib


def naive_fsolve(stages: int, discount: float, exponent: float) -> np.ndarray:
    """Per-state fsolve loop for the symmetric race with c = x**g / g; returns (effort, value)."""
    n, r, g = stages, discount, exponent
    value = np.zeros((2, n + 1, n + 1))
    effort = np.zeros((2, n + 1, n + 1))
    value[0, n, :n], value[1, :n, n] = 1.0, 1.0
    for i in range(n - 1, -1, -1):
        for j in range(n - 1, -1, -1):
            a1, b1 = value[0, i + 1, j], value[0, i, j + 1]
            a2, b2 = value[1, i, j + 1], value[1, i + 1, j]

            def conditions(x: np.ndarray, a1=a1, b1=b1, a2=a2, b2=b2) -> list[float]:
                x1, x2 = np.abs(x)
                return [
                    x1 ** (g - 1) * (r + x1 + x2) - x1**g / g - r * a1 - x2 * (a1 - b1),
                    x2 ** (g - 1) * (r + x1 + x2) - x2**g / g - r * a2 - x1 * (a2 - b2),
                ]

            with warnings.catch_warnings():  # the naive loop ignores fsolve's convergence warnings
                warnings.simplefilter("ignore", RuntimeWarning)
                x1, x2 = np.abs(fsolve(conditions, [0.1, 0.1]))
            effort[:, i, j] = x1, x2
            value[0, i, j] = (-(x1**g) / g + x1 * a1 + x2 * b1) / (r + x1 + x2)
            value[1, i, j] = (-(x2**g) / g + x2 * a2 + x1 * b2) / (r + x1 + x2)
    return effort


def peak_memory(stages: int, exponent: float) -> float:
    """Peak resident memory (MB) of solving one race, above the baseline after imports, in a fresh process.

    Linux: the peak (``VmHWM``) is reset through ``/proc/self/clear_refs`` after the imports
    and the first compilation, so it measures the solve alone.
    """
    code = f"""
import logging, patentrace as pr
logging.getLogger("patentrace").setLevel(logging.ERROR)
def status(field):
    with open("/proc/self/status") as lines:
        return next(int(line.split()[1]) for line in lines if line.startswith(field))
cost = pr.costs.Power(scale=1.0, exponent={exponent})
pr.solve(pr.Race(stages=3, prize=1.0, discount=0.1, cost=cost))   # compile or load the cache
with open("/proc/self/clear_refs", "w") as refs:   # reset the peak (VmHWM) to the current size
    refs.write("5")
base = status("VmRSS:")
eq = pr.solve(pr.Race(stages={stages}, prize=1.0, discount=1e-7, cost=cost))
print((status("VmHWM:") - base) / 1024)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout.split()[-1])


def startup_costs() -> tuple[float, float, float]:
    """Seconds to import numba, and to compile the kernel cold and load it from the cache, in fresh processes."""
    probe = """
import time, logging
t = time.perf_counter(); import numba; numba_import = time.perf_counter() - t
import patentrace as pr
logging.getLogger("patentrace").setLevel(logging.ERROR)
t = time.perf_counter()
pr.solve(pr.Race(stages=3, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
print(numba_import, time.perf_counter() - t)
"""
    with tempfile.TemporaryDirectory() as cache:
        env = {**__import__("os").environ, "NUMBA_CACHE_DIR": cache}
        cold = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env)
        warm = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env)
    numba_import, compile_seconds = (float(v) for v in cold.stdout.split())
    return numba_import, compile_seconds, float(warm.stdout.split()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--stages", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--batch-stages", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline-stages", type=int, default=30, help="race size for the fsolve estimate")
    args = parser.parse_args()
    logging.getLogger("patentrace").setLevel(logging.ERROR)
    n, count, small = args.stages, args.batch, args.batch_stages
    discounts = np.linspace(0.005, 0.02, count)
    with tempfile.TemporaryDirectory() as folder:
        lib = build_reference(Path(folder))
        print(f"one race: {n}x{n} stages, discount 1e-7; batch: {count} races of {small}x{small} stages, "
              f"discounts 0.005-0.02; best of {args.repeat}")
        print(f"naive fsolve loop timed on a {args.baseline_stages}x{args.baseline_stages} race (one race) and on "
              f"{max(count // 100, 1)} races (batch), compared per state")
        header = (f"{'case':30} {'library s':>10} {'C s':>8} {'lib/C':>7} {'target':>7} {'lib/fsolve':>11} "
                  f"{'max |x - x_C|':>14} {'max |V - V_C|':>14}")
        print(header)
        for exponent in (2.0, 3.0):
            cost = pr.costs.Power(scale=1.0, exponent=exponent)
            name = "quadratic" if exponent == 2.0 else f"power g = {exponent:g}"
            pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=cost))  # compile or load the cache first
            race = pr.Race(stages=n, prize=1.0, discount=1e-7, cost=cost)
            races = [pr.Race(stages=small, prize=1.0, discount=float(r), cost=cost) for r in discounts]
            cases = [
                (f"{name}, one {n}x{n} race", lambda race=race: [pr.solve(race)], n * n, 1),
                (f"{name}, batch of {count}", lambda races=races: pr.solve_many(races), small * small * count, count),
            ]
            for label, run, states, races_in_case in cases:
                side = n if races_in_case == 1 else small
                effort = np.zeros((races_in_case, 2, side + 1, side + 1))
                value = np.zeros_like(effort)
                rates = np.ascontiguousarray(discounts)

                def reference(e=effort, v=value, g=exponent, rates=rates, one=races_in_case == 1) -> None:
                    if one:
                        lib.solve_race(n, 1.0, 1e-7, 1.0, g, e.ctypes.data_as(DOUBLES), v.ctypes.data_as(DOUBLES))
                    else:
                        lib.solve_batch(count, small, 1.0, rates.ctypes.data_as(DOUBLES), 1.0, g,
                                        e.ctypes.data_as(DOUBLES), v.ctypes.data_as(DOUBLES))

                # Library and C runs alternate, so that both see the same load on a shared machine.
                times: dict[str, list[float]] = {"library": [], "C": []}
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    eqs = run()
                    times["library"].append(time.perf_counter() - start)
                    if lib is not None:
                        start = time.perf_counter()
                        reference()
                        times["C"].append(time.perf_counter() - start)
                seconds = min(times["library"])
                if races_in_case == 1:
                    base_n = args.baseline_stages
                    naive_seconds, _ = best_of(1, lambda base_n=base_n, e=exponent: naive_fsolve(base_n, 1e-7, e))
                    naive_per_state = naive_seconds / base_n**2
                else:
                    sample = discounts[::100][: max(count // 100, 1)]
                    naive_seconds, _ = best_of(
                        1, lambda sample=sample, e=exponent: [naive_fsolve(small, float(r), e) for r in sample]
                    )
                    naive_per_state = naive_seconds / (len(sample) * small * small)
                fsolve_ratio = (seconds / states) / naive_per_state
                ratio, gap_x, gap_v, c_text = "-", "-", "-", "-"
                if lib is not None:
                    c_seconds = min(times["C"])
                    ours_x = np.stack([eq.effort for eq in eqs])
                    ours_v = np.stack([eq.value for eq in eqs])
                    open_states = np.zeros(ours_x.shape[-2:], dtype=bool)
                    open_states[:-1, :-1] = True
                    gap_x = f"{float(np.max(np.abs(ours_x - effort)[..., open_states])):.1e}"
                    gap_v = f"{float(np.max(np.abs(ours_v - value)[..., open_states])):.1e}"
                    ratio, c_text = f"{seconds / c_seconds:.1f}x", f"{c_seconds:.4f}"
                print(f"{label:30} {seconds:10.4f} {c_text:>8} {ratio:>7} {TARGETS[exponent]:6.0f}x "
                      f"{fsolve_ratio:11.5f} {gap_x:>14} {gap_v:>14}")
                fast = sum(eq.solver.options.get("path") == "compiled" for eq in eqs)
                print(f"{'':30} {fast} of {len(eqs)} race(s) certified on the compiled path")
    print("lib/C = library seconds / C seconds, same races, same run; lib/fsolve = library seconds per state /")
    print("fsolve-loop seconds per state (the fsolve loop timed on the smaller race or batch above)")
    for exponent in (2.0, 3.0):
        if not Path("/proc/self/clear_refs").exists():
            print("peak memory: needs Linux's /proc/self/clear_refs; skipped")
            break
        print(f"peak memory of one {n}x{n} race, g = {exponent:g}: {peak_memory(n, exponent):.0f} MB above the "
              "baseline after imports (target < 300 MB)")
    numba_import, cold, warm = startup_costs()
    print(f"numba: import {numba_import:.2f} s; first solve compiling the kernel {cold:.1f} s; "
          f"first solve in a new process loading the on-disk cache {warm:.2f} s")


if __name__ == "__main__":
    main()
