"""Does a longer information lag help the firm behind? The model's answer, with its error (docs/lagged.md).

One technology per unit of time -- a five-stage race each, quadratic effort costs,
a learning curve (productivity 1, 2, 3, 4, 5 by stages completed), Poisson stage
completions -- is played in periods of length ``lag`` from 0.1 to 2. Within a period
each firm commits to a continuous effort without seeing its rival's
(``LaggedRace.from_race(race, lag)``, the default). For each lag the script reports,
for the firm one stage behind at (1, 0), its chance to win with the error estimate of
the solve, and how many states are preempted; it compares the shortest lags with
continuous time (``pr.solve(race)``), shows what an effort grid of 21 points says at
one lag, and draws ``lag_continuous.png``: the win probability against the lag with
error bars.

Run: ``python examples/lag_continuous.py [--figure PATH]``
"""

import argparse

import numpy as np

import patentrace as pr

LAGS = [0.1, 0.25, 0.5, 1.0, 1.5, 2.0]
STATE = (1, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figure", default="lag_continuous.png", help="where to save the figure")
    args = parser.parse_args()
    race = pr.Race(stages=5, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), productivity=[1, 2, 3, 4, 5])
    exact = pr.leapfrog(pr.solve(race), STATE)
    experiment = pr.lag_experiment(race, LAGS, state=STATE)
    error = experiment.follower_win_error
    assert error is not None
    print("Race: 5 stages each, prize 1, discount 0.1, cost x^2/2, productivity 1..5; continuous effort")
    print(f"Continuous time (no lag): firm {exact.follower} at {STATE} wins with probability "
          f"{exact.follower_win_probability:.4f}; {int(exact.preemption_region.sum())} preempted states\n")
    print(experiment)
    gains = [eq.verify().max_deviation_gain for eq in experiment.equilibria]
    print(f"\nEvery state's equilibrium checked against 4001 efforts and a local optimiser: largest gain "
          f"{max(gains):.1e} of the prize; largest error estimate of the win probability {error.max():.1e}")
    # first order in the lag: the error against continuous time halves with the lag
    half = pr.lag_experiment(race, [0.05], state=STATE).follower_win_probability[0]
    first = experiment.follower_win_probability[0] - exact.follower_win_probability
    second = half - exact.follower_win_probability
    print(f"Against continuous time: lag 0.1 differs by {first:+.5f}, lag 0.05 by {second:+.5f} "
          f"(ratio {first / second:.2f}: first order in the lag)")
    grid = np.linspace(0.0, 1.0, 21)
    menu = pr.leapfrog(pr.solve(pr.LaggedRace.from_race(race, 1.0, grid)), STATE)
    at_one = LAGS.index(1.0)
    print(f"At lag 1 a uniform 21-point effort grid says the follower wins with probability "
          f"{menu.follower_win_probability:.4f} with {int(menu.preemption_region.sum())} preempted states; "
          f"continuous effort says {experiment.follower_win_probability[at_one]:.4f} with "
          f"{int(experiment.preemption_states[at_one])}")
    steps = np.diff(experiment.follower_win_probability)
    assert np.all(error < 1e-7) and max(gains) <= 1e-10
    assert np.all(experiment.preemption_states == 0), "no state forced to idle"
    assert 1.8 < first / second < 2.2
    if np.all(steps < -2 * error.max()):
        print(f"With this technology a longer lag does not help the follower: its win probability falls at "
              f"every step, from {experiment.follower_win_probability[0]:.4f} at lag {LAGS[0]} to "
              f"{experiment.follower_win_probability[-1]:.4f} at lag {LAGS[-1]}, far beyond the error.")
    else:
        print("The follower's win probability does not fall at every step beyond the error.")
    assert np.all(steps < -2 * error.max()), "docs/lagged.md reports that the follower's chance falls with the lag"
    _figure(experiment, exact.follower_win_probability, args.figure)


def _figure(experiment: pr.LagExperiment, continuous: float, path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: no figure)")
        return
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    ax.errorbar(experiment.lags, experiment.follower_win_probability, yerr=experiment.follower_win_error,
                fmt="o-", capsize=4,
                label=f"follower wins (continuous effort; error bars: solver error, "
                      f"at most {experiment.follower_win_error.max():.0e})")
    ax.axhline(continuous, color="grey", linestyle="--", label="continuous time (no lag)")
    ax.set_xlabel("lag (length of a period)")
    ax.set_ylabel("probability that the firm behind at (1, 0) wins")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"Figure saved to {path}")


if __name__ == "__main__":
    main()
