"""Benchmark: races of more than two firms, the library against a plain compiled C loop, in one run.

The C reference (``benchmarks/reference_nfirm.c``, built here with the system compiler into
a temporary directory and loaded with ctypes) solves the same races state by state by
best-response iteration on condition (16) of docs/theory/race.md, quadratic costs, with no
certificate, no check and one equilibrium per state. The library (``pr.solve``) proves at
every state that its equilibrium is the only one before it accepts it (one compiled loop:
a contraction bound or interval contraction, then best-response and Newton steps; states it
cannot settle go to the search for every equilibrium; docs/solver.md, "More than two
firms"), computes win probabilities and expected durations, and checks the HJB residual of
every state, as every ``pr.solve`` does.

Cases (prize 1, discount 0.1, costs a_k x^2 / 2): a 3-firm 40x40x40 race (68,921 states) with
scales (1, 1.2, 0.8), the same with alike firms (scale 1; the library solves one state per
orbit of permutations), and a 4-firm 12-stage race (28,561 states) with scales
(1, 1.2, 0.8, 1.1). Printed: each time as a ratio to the C loop's, measured in the same run,
and the largest difference between the two answers.

Measured on 3 December 2026 (2 cores shared with other work, ``--repeat 5``, four runs): the
3-firm race 4.6x to 5.2x, the race of alike firms 2.6x to 2.8x, the 4-firm race 2.2x to 2.4x
the C loop (which took 5.7, 5.6 and 11.5 ms). The rest of the 3-firm time: the compiled
sweep about two thirds (per state the contraction test, two best-response sweeps, the
values), the compiled chain and residual check most of the rest. Before the sweep was one
compiled loop (per-hyperplane numpy around a compiled certificate): 24x to 38x.

Run: ``python benchmarks/bench_nfirm.py [--repeat 3]``
"""

from __future__ import annotations

import argparse
import ctypes
import tempfile
from pathlib import Path

import numpy as np
from compiled_reference import compile_reference
from timing import best_of

import patentrace as pr

HERE = Path(__file__).resolve().parent
DOUBLES = ctypes.POINTER(ctypes.c_double)
LONGS = ctypes.POINTER(ctypes.c_long)
CASES = {
    "3 firms, 40x40x40": ((40, 40, 40), (1.0, 1.2, 0.8)),
    "3 alike firms, 40x40x40": ((40, 40, 40), (1.0, 1.0, 1.0)),
    "4 firms, 12 stages each": ((12, 12, 12, 12), (1.0, 1.2, 0.8, 1.1)),
}
TARGET = 5.0


def build_reference(folder: Path) -> ctypes.CDLL | None:
    """Compile reference_nfirm.c with the system C compiler; None (with a message) if there is none."""
    lib = compile_reference("reference_nfirm.c", folder)
    if lib is None:
        return None
    lib.solve_nfirm.argtypes = [ctypes.c_int, LONGS, ctypes.c_double, ctypes.c_double, DOUBLES, DOUBLES, DOUBLES]
    return lib


def reference(lib: ctypes.CDLL, stages: tuple[int, ...], scales: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The C loop's efforts and values, shaped like the library's arrays."""
    shape = tuple(n + 1 for n in stages)
    size = int(np.prod(shape))
    effort, value = np.zeros(len(stages) * size), np.zeros(len(stages) * size)
    counts = np.asarray(stages, dtype=np.int64)
    scale = np.asarray(scales, dtype=float)
    lib.solve_nfirm(len(stages), counts.ctypes.data_as(LONGS), 1.0, 0.1, scale.ctypes.data_as(DOUBLES),
                    effort.ctypes.data_as(DOUBLES), value.ctypes.data_as(DOUBLES))
    return effort.reshape((len(stages), *shape)), value.reshape((len(stages), *shape))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        lib = build_reference(Path(folder))
        if lib is None:
            return
        print(f"{'case':<26} {'states':>8} {'C loop (s)':>11} {'pr.solve / C':>13} {'largest |diff|':>15}")
        worst = 0.0
        for name, (stages, scales) in CASES.items():
            race = pr.Race(stages=stages, prize=1.0, discount=0.1,
                           cost=tuple(pr.costs.Quadratic(scale=a) for a in scales))
            c_time, (effort, value) = best_of(args.repeat, lambda stages=stages, scales=scales: reference(
                lib, stages, scales))
            ours_time, eq = best_of(args.repeat, lambda race=race: pr.solve(race))
            assert int(eq.multiplicity.max()) == 1  # one equilibrium everywhere: the C loop's is the same one
            diff = max(float(np.max(np.abs(eq.effort - effort))), float(np.max(np.abs(eq.value - value))))
            ratio = ours_time / c_time
            worst = max(worst, ratio)
            states = int(np.prod([n + 1 for n in stages]))
            print(f"{name:<26} {states:>8} {c_time:>11.4f} {ratio:>12.1f}x {diff:>15.2e}")
        verdict = "within" if worst <= TARGET else "above"
        print(f"\nLargest ratio {worst:.1f}x: {verdict} the target of {TARGET:g}x the C loop "
              "(ratios move by about 10% from run to run on a loaded machine: repeat).")


if __name__ == "__main__":
    main()
