"""Benchmark: the tug-of-war solve of the library against a compiled Newton solve of the same system, in one run.

The reference (written here in numba, independently of the library) solves the same
stacked HJB of docs/theory/tug-of-war.md for quadratic costs ``c(x) = a x^2 / 2`` by the same method:
continuation in the productivity scale from 0, steps doubling after a success and
shrinking after a failure, damped Newton on the values with the efforts eliminated by
the first-order condition, each step a block-tridiagonal solve (2 x 2 blocks, one per
position) by the block Thomas algorithm. It does no checking at all. The library's
``pr.solve`` does the same continuation with a banded LU (LAPACK) per Newton step and
then checks every position (HJB residual, best response by docs/theory/race.md (1)), builds the
win probabilities and durations, and flags underflow.

Printed: both times (best of ``--repeat``), their ratio (the issue's target: under 10
at K = 1000), the iteration counts, the time per Newton iteration of each, and the
largest difference between the two solutions (relative to the prize).

Run: ``python benchmarks/bench_tug.py [--length 1000] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import time
import warnings

import numba
import numpy as np
from timing import best_of

import patentrace as pr


@numba.njit(cache=False)
def _residual_jacobian(v0, v1, prize, loser, r, a0, a1, lam0, lam1, res, diag, lower, upper):
    """Residuals and 2x2 blocks of the Jacobian: diag[k], lower[k] (d/dV(k-1)), upper[k] (d/dV(k+1))."""
    n = v0.size
    worst = 0.0
    for k in range(n):
        a_own0 = v0[k + 1] if k + 1 < n else prize
        b_own0 = v0[k - 1] if k > 0 else loser
        a_own1 = v1[k - 1] if k > 0 else prize
        b_own1 = v1[k + 1] if k + 1 < n else loser
        d0 = a_own0 - v0[k]
        d1 = a_own1 - v1[k]
        x0 = lam0[k] * d0 / a0 if d0 > 0.0 else 0.0
        x1 = lam1[k] * d1 / a1 if d1 > 0.0 else 0.0
        s0 = lam0[k] / a0 if d0 > 0.0 else 0.0
        s1 = lam1[k] / a1 if d1 > 0.0 else 0.0
        h0 = lam0[k] * x0
        h1 = lam1[k] * x1
        res[2 * k] = r * v0[k] + a0 * x0 * x0 / 2 - h0 * d0 - h1 * (b_own0 - v0[k])
        res[2 * k + 1] = r * v1[k] + a1 * x1 * x1 / 2 - h1 * d1 - h0 * (b_own1 - v1[k])
        total = r + h0 + h1
        worst = max(worst, abs(res[2 * k]) / total, abs(res[2 * k + 1]) / total)
        c0 = -(b_own0 - v0[k]) * lam1[k] * s1      # firm 0's row through h1(k): d/dV1(k-1) = c0, d/dV1(k) = -c0
        c1 = -(b_own1 - v1[k]) * lam0[k] * s0      # firm 1's row through h0(k): d/dV0(k+1) = c1, d/dV0(k) = -c1
        diag[k, 0, 0] = total
        diag[k, 0, 1] = -c0
        diag[k, 1, 0] = -c1
        diag[k, 1, 1] = total
        lower[k, 0, 0] = -h1
        lower[k, 0, 1] = c0
        lower[k, 1, 0] = 0.0
        lower[k, 1, 1] = -h1
        upper[k, 0, 0] = -h0
        upper[k, 0, 1] = 0.0
        upper[k, 1, 0] = c1
        upper[k, 1, 1] = -h0
    return worst / prize


@numba.njit(cache=False)
def _block_thomas(diag, lower, upper, rhs, cp, dp, x):
    """Solve the block-tridiagonal system (2 x 2 blocks) in place, scalar arithmetic only, into ``x``."""
    n = diag.shape[0]
    for k in range(n):
        m00, m01, m10, m11 = diag[k, 0, 0], diag[k, 0, 1], diag[k, 1, 0], diag[k, 1, 1]
        d0, d1 = rhs[2 * k], rhs[2 * k + 1]
        if k > 0:
            l00, l01, l10, l11 = lower[k, 0, 0], lower[k, 0, 1], lower[k, 1, 0], lower[k, 1, 1]
            m00 -= l00 * cp[k - 1, 0, 0] + l01 * cp[k - 1, 1, 0]
            m01 -= l00 * cp[k - 1, 0, 1] + l01 * cp[k - 1, 1, 1]
            m10 -= l10 * cp[k - 1, 0, 0] + l11 * cp[k - 1, 1, 0]
            m11 -= l10 * cp[k - 1, 0, 1] + l11 * cp[k - 1, 1, 1]
            d0 -= l00 * dp[k - 1, 0] + l01 * dp[k - 1, 1]
            d1 -= l10 * dp[k - 1, 0] + l11 * dp[k - 1, 1]
        det = m00 * m11 - m01 * m10
        i00, i01, i10, i11 = m11 / det, -m01 / det, -m10 / det, m00 / det
        u00, u01, u10, u11 = upper[k, 0, 0], upper[k, 0, 1], upper[k, 1, 0], upper[k, 1, 1]
        cp[k, 0, 0] = i00 * u00 + i01 * u10
        cp[k, 0, 1] = i00 * u01 + i01 * u11
        cp[k, 1, 0] = i10 * u00 + i11 * u10
        cp[k, 1, 1] = i10 * u01 + i11 * u11
        dp[k, 0] = i00 * d0 + i01 * d1
        dp[k, 1] = i10 * d0 + i11 * d1
    x[2 * n - 2] = dp[n - 1, 0]
    x[2 * n - 1] = dp[n - 1, 1]
    for k in range(n - 2, -1, -1):
        x[2 * k] = dp[k, 0] - cp[k, 0, 0] * x[2 * k + 2] - cp[k, 0, 1] * x[2 * k + 3]
        x[2 * k + 1] = dp[k, 1] - cp[k, 1, 0] * x[2 * k + 2] - cp[k, 1, 1] * x[2 * k + 3]


@numba.njit(cache=False)
def _newton(v0, v1, prize, loser, r, a0, a1, lam0, lam1, tolerance):
    n = v0.size
    res = np.zeros(2 * n)
    diag = np.zeros((n, 2, 2))
    lower = np.zeros((n, 2, 2))
    upper = np.zeros((n, 2, 2))
    cp = np.zeros((n, 2, 2))
    dp = np.zeros((n, 2))
    step = np.zeros(2 * n)
    t0, t1 = np.zeros(n), np.zeros(n)
    error = _residual_jacobian(v0, v1, prize, loser, r, a0, a1, lam0, lam1, res, diag, lower, upper)
    for iteration in range(1, 61):
        for i in range(2 * n):
            res[i] = -res[i]
        _block_thomas(diag, lower, upper, res, cp, dp, step)
        alpha = 1.0
        while True:
            for k in range(n):
                t0[k] = v0[k] + alpha * step[2 * k]
                t1[k] = v1[k] + alpha * step[2 * k + 1]
            t_error = _residual_jacobian(t0, t1, prize, loser, r, a0, a1, lam0, lam1, res, diag, lower, upper)
            if t_error <= (1.0 - 1e-4 * alpha) * error or t_error <= tolerance:
                break
            alpha *= 0.5
            if alpha < 1e-3:
                return v0, v1, -iteration
        largest = 0.0
        for k in range(n):
            largest = max(largest, abs(t0[k] - v0[k]), abs(t1[k] - v1[k]))
            v0[k] = t0[k]
            v1[k] = t1[k]
        error = t_error
        if error <= tolerance and largest <= 1e-12 * prize:
            return v0, v1, iteration
    return v0, v1, -60


@numba.njit(cache=False)
def compiled_solve(length, prize, loser, r, a0, a1, lam0, lam1):
    """Continuation in the productivity scale and Newton, as the library does; returns values and iterations."""
    n = length - 1
    v0, v1 = np.zeros(n), np.zeros(n)
    last0, last1 = np.zeros(n), np.zeros(n)
    t, step, last_t, have_last, iterations = 0.0, 1.0, 0.0, False, 0
    while t < 1.0:
        target = min(1.0, t + step)
        g0, g1 = v0.copy(), v1.copy()
        if have_last:
            g0 = v0 + (v0 - last0) * (target - t) / (t - last_t)
            g1 = v1 + (v1 - last1) * (target - t) / (t - last_t)
        tol = 1e-14 if target == 1.0 else 1e-9
        f0, f1, used = _newton(g0.copy(), g1.copy(), prize, loser, r, a0, a1, target * lam0, target * lam1, tol)
        if used < 0:
            step *= 0.25
            if step < 1e-6:
                return v0, v1, -1
            continue
        iterations += used
        last0, last1, last_t, have_last = v0, v1, t, True
        v0, v1, t = f0, f1, target
        step = min(2.0 * step, 1.0)
    return v0, v1, iterations


def main() -> None:
    """Time both solves and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    length, prize, loser, r, scale = args.length, 1.0, 0.0, 0.1, (1.0, 1.5)
    rng = np.random.default_rng(1000)
    lam = rng.uniform(0.8, 1.25, (2, length - 1))
    tug = pr.TugOfWar(length=length, prize=prize, discount=r, loser_prize=loser,
                      cost=(pr.costs.Quadratic(scale=scale[0]), pr.costs.Quadratic(scale=scale[1])),
                      productivity=(lam[0].tolist(), lam[1].tolist()))

    def run_compiled() -> tuple[np.ndarray, np.ndarray, int]:
        return compiled_solve(length, prize, loser, r, scale[0], scale[1], lam[0].copy(), lam[1].copy())

    started = time.perf_counter()
    run_compiled()
    compile_seconds = time.perf_counter() - started

    def run_library() -> pr.TugEquilibrium:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pr.UnderflowWarning)
            return pr.solve(tug)

    library_seconds, eq = best_of(args.repeat, run_library)
    compiled_seconds, (v0, v1, iterations) = best_of(args.repeat, run_compiled)
    if iterations < 0:
        raise SystemExit("the compiled reference did not converge")
    difference = max(np.abs(eq.value[0, 1:-1] - v0).max(), np.abs(eq.value[1, 1:-1] - v1).max()) / prize
    library_iterations = eq.solver.options["newton_iterations"]
    print(f"tug-of-war, K = {length}, quadratic costs a = {scale}, r = {r}, P = {prize}, random productivities")
    print(f"  library pr.solve (checks included): {library_seconds * 1e3:8.2f} ms, "
          f"{library_iterations} Newton iterations, {eq.solver.options['continuation_steps']} continuation steps")
    print(f"  compiled reference (numba):         {compiled_seconds * 1e3:8.2f} ms, {iterations} Newton iterations "
          f"(first call with compilation {compile_seconds:.1f} s)")
    print(f"  ratio library / compiled:           {library_seconds / compiled_seconds:8.2f}   (target < 10)")
    print(f"  per Newton iteration:               {library_seconds / library_iterations * 1e6:8.1f} us vs "
          f"{compiled_seconds / iterations * 1e6:.1f} us")
    print(f"  largest value difference / prize:   {difference:.2e}; underflowed firm-positions: "
          f"{int(eq.underflow.sum())} of {2 * (length - 1)}")


if __name__ == "__main__":
    main()
