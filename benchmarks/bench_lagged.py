"""Benchmark: a 20x20-stage lagged race with 5-action menus, against nashpy used naively per state.

The baseline solves each state as a researcher might with nashpy alone: guess the
state's values, find an equilibrium of the bimatrix game M(v) with
``support_enumeration``, update the values to what that profile pays, and repeat
until they settle; states in backward order. It is timed on the states nearest the
end of the race (``--baseline-states``), and per-state times are compared with the
library's, measured in the same run.

Run: ``python benchmarks/bench_lagged.py [--stages 20] [--baseline-states 20]``
"""

from __future__ import annotations

import argparse
import time
import warnings

import nashpy
import numpy as np

import patentrace as pr
from patentrace.equations.periods import period_game, terminal_values
from patentrace.models.lattice import Layout

MENU = [(0.0, 0.0), (0.02, 0.2), (0.05, 0.4), (0.1, 0.6), (0.2, 0.8)]  # (cost, probability of one stage)


def naive(race: pr.LaggedRace, states: int) -> tuple[float, int]:
    """Value iteration with nashpy per state, on the first ``states`` states in backward order."""
    value = terminal_values(race)
    done = 0
    start = time.perf_counter()
    for step in Layout.of([race.stages]).steps:
        for i, j in zip(step.i.tolist(), step.j.tolist(), strict=True):
            game = period_game(race, value, i, j)
            v = np.zeros(2)
            for _ in range(500):
                bimatrix = nashpy.Game(game.payoff(0, v[0]), game.payoff(1, v[1]))
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    s1, s2 = next(iter(bimatrix.support_enumeration()))
                new = np.array([s1 @ game.payoff(0, v[0]) @ s2, s1 @ game.payoff(1, v[1]) @ s2])
                if np.max(np.abs(new - v)) < 1e-12:
                    break
                v = new
            value[:, i, j] = v
            done += 1
            if done == states:
                return time.perf_counter() - start, done
    return time.perf_counter() - start, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stages", type=int, default=20)
    parser.add_argument("--baseline-states", type=int, default=20)
    args = parser.parse_args()
    menu = [pr.Action(cost, {1: p, 0: 1 - p}) for cost, p in MENU]
    race = pr.LaggedRace(stages=args.stages, prize=1.0, lag=1.0, discount=0.05, actions=menu)
    start = time.perf_counter()
    eq = pr.solve(race)
    library = time.perf_counter() - start
    states = args.stages * args.stages
    baseline, timed = naive(race, args.baseline_states)
    ratio = (baseline / timed) / (library / states)
    print(f"{args.stages}x{args.stages}-stage lagged race, 5-action menus ({states} states): "
          f"library {library:.2f} s (every equilibrium of every state, checked: {eq.verify()})")
    print(f"naive nashpy value iteration: {baseline:.2f} s for {timed} states "
          f"-> {baseline / timed * states:.1f} s for all, estimated; per-state speed-up {ratio:.0f}x")
    several = int((eq.multiplicity > 1).sum())
    print(f"states with several equilibria: {several} (the naive loop keeps the first it meets)")


if __name__ == "__main__":
    main()
