"""Check computed probabilities against a million simulated races (docs/theory/leapfrog.md).

A ten-stage race (``c(x) = x^2 / 2``, discount 0.02) is solved, and a million histories
are simulated from state (0, 2), where firm 0 is two stages behind. The script prints,
for each chance the leapfrog report computes, the simulated frequency, its standard
error, the computed probability and their difference in standard errors; then the same
for a race in periods with an information lag, where ties happen.

Run: ``python examples/simulate.py``
"""

import time

import patentrace as pr


def compare(eq, state: tuple[int, int], paths: int, seed: int) -> None:
    began = time.perf_counter()
    sim = pr.simulate(eq, state, paths, seed)
    seconds = time.perf_counter() - began
    report = pr.leapfrog(eq, state)
    i, j = state
    rows = [
        ("firm 0 wins", sim.win_frequency[0], sim.win_standard_error[0], eq.win_probability[0, i, j]),
        ("firm 1 wins", sim.win_frequency[1], sim.win_standard_error[1], eq.win_probability[1, i, j]),
        ("follower leapfrogs", sim.leapfrog_frequency, sim.leapfrog_standard_error, report.leapfrog_probability),
        ("follower catches up", sim.catch_up_frequency, sim.catch_up_standard_error, report.catch_up_probability),
        (f"mean duration ({sim.duration_unit})", sim.mean_duration, sim.duration_standard_error,
         eq.expected_duration[i, j]),
    ]
    if isinstance(eq, pr.LaggedEquilibrium):
        rows.insert(2, ("tie", sim.tie_frequency, sim.tie_standard_error, eq.tie_probability[i, j]))
    print(f"{paths} paths from state {state} in {seconds:.2f} s (seed {seed}); follower: firm {sim.follower}")
    print(f"  {'':<24}{'simulated':>12}{'std. error':>12}{'computed':>12}{'difference':>12}")
    for name, frequency, error, computed in rows:
        z = (frequency - computed) / error if error > 0 else 0.0
        print(f"  {name:<24}{frequency:12.6f}{error:12.6f}{computed:12.6f}{z:+10.2f} se")
        assert abs(z) < 4.0, (name, z)


def main() -> None:
    race = pr.Race(stages=10, prize=1.0, discount=0.02, cost=pr.costs.Quadratic(scale=1.0))
    compare(pr.solve(race), (0, 2), 1_000_000, seed=1)
    print()
    lagged = pr.LaggedRace.from_race(pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()),
                                     lag=1.0, efforts=[0.0, 0.3, 0.8])
    compare(pr.solve(lagged), (0, 0), 200_000, seed=1)
    print("\nEvery simulated frequency is within four standard errors of the computed probability.")


if __name__ == "__main__":
    main()
