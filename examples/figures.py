"""The figures of an equilibrium, saved as PNG files (the ``plot`` extra: matplotlib).

A six-by-five-stage race with a participation cost (``c(x) = 0.03 x + x^2 / 2``,
discount 0.05) has a dropout region: a firm far enough behind stops investing. The
script draws the efforts, the values, the follower's chance of leapfrogging from every
state, the dropout region, forty simulated histories from (2, 0), and — from the closed
forms of docs/theory/deterministic.md — the contested gap of the deterministic race against the
information lag. It prints what each figure shows and where it was saved.

Run: ``python examples/figures.py [DIRECTORY]`` (default: the current directory)
"""

import math
import sys
from pathlib import Path

import numpy as np

import patentrace as pr
from patentrace import plot


def contested_gaps(lags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """docs/theory/deterministic.md at experience 0 (P = 1, a = 1, r = 0.1): the capped and the uncapped thresholds."""
    p, a, r, cap = 1.0, 1.0, 0.1, 1.0
    value = (math.sqrt(p) - math.sqrt(a * r / 2)) ** 2  # V_m(0)
    speed = math.sqrt(2 * r * p / a) - r  # x_m(0)
    return (cap - speed) * lags, np.sqrt(2 * lags * value / a) - speed * lags


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()
    out.mkdir(parents=True, exist_ok=True)
    race = pr.Race(stages=(6, 5), prize=1.0, discount=0.05, cost=pr.costs.Quadratic(scale=1.0, linear=0.03))
    eq = pr.solve(race, verify=True)
    saved = []

    def save(fig, name: str, what: str) -> None:
        path = out / name
        fig.savefig(path, dpi=90)
        saved.append(path)
        print(f"{name:<14} {what}")

    save(plot.effort_figure(eq), "effort.png",
         f"efforts; largest {eq.effort.max():.3f}, at (5, 4) where both are one stage from the end")
    assert np.unravel_index(np.argmax(eq.effort), eq.effort.shape)[1:] == (5, 4)
    save(plot.value_figure(eq), "value.png",
         f"values; at (0, 0) firm 0 (one stage further from the end) is worth {eq.value[0, 0, 0]:.4f}, "
         f"firm 1 {eq.value[1, 0, 0]:.4f}")
    chances = pr.leapfrog(eq, (2, 0))
    save(plot.leapfrog_figure(eq), "leapfrog.png",
         f"the follower's chance of leapfrogging; from (2, 0) firm {chances.follower} leapfrogs with probability "
         f"{chances.leapfrog_probability:.4f}")
    region = [(int(i), int(j)) for i, j in zip(*np.nonzero(pr.preemption_region(eq)), strict=True)]
    save(plot.dropout_figure(eq), "dropout.png", f"dropout region: the firm behind idles at {region}")
    sim = pr.simulate(eq, (2, 0), 20_000, seed=2026, sample=40)
    save(plot.paths_figure(sim), "paths.png",
         f"histories from (2, 0): firm 1 wins {sim.win_frequency[1]:.4f} +- {sim.win_standard_error[1]:.4f} "
         f"of 20000 (computed {eq.win_probability[1, 2, 0]:.4f})")
    lags = np.array([0.05, 0.1, 0.2, 0.4, 0.8, 1.6])
    capped, uncapped = contested_gaps(lags)
    save(plot.contested_gap_figure(lags, capped, thresholds={"no speed cap: sufficient lead": uncapped},
                                   label="speed cap 1: g* = (x_max - x_m) Δ"),
         "contested_gap.png", f"contested gap at lag 0.4: {capped[3]:.4f} (speed cap 1)")
    assert abs(sim.win_frequency[1] - eq.win_probability[1, 2, 0]) < 4 * sim.win_standard_error[1] + 1e-12
    print(f"{len(saved)} figures saved to {out}")


if __name__ == "__main__":
    main()
