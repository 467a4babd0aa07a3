"""The four claims of Fudenberg, Gilbert, Stiglitz and Tirole (1983), computed (docs/theory/).

1. Deterministic race, perfect monitoring: a firm with an arbitrarily small lead
   preempts its rival (ε-preemption).
2. Random discovery: ε-preemption can occur when leapfrogging is impossible. With a
   breakthrough hazard that grows with experience and perfect monitoring, the firm
   behind can never become the leader, though discovery keeps its win probability
   positive; with c'(0) = 0 it still invests (more slowly than the leader), with a
   participation cost it idles (ε-preemption). Lagged grids with few cells cannot
   settle whether it idles at short lags (their least positive speed is too coarse);
   Poisson accumulation with the same hazards lets it overtake.
3. A multi-stage race with no participation cost allows leapfrogging: the follower
   always invests and overtakes with positive probability.
4. An information lag restores competition in the deterministic race: leads below a
   contested gap that grows with the lag are fought over.

Each claim is asserted; the script exits non-zero if one fails. It also saves a
figure of the contested gap against the lag (``fgst_contested_gap.png``).

Run: ``python examples/fgst_four_claims.py``
"""

import itertools
import math

import patentrace as pr
from patentrace import chain
from patentrace.lattice import open_states, remaining
from patentrace.plot import contested_gap_figure

QUADRATIC = pr.costs.Quadratic(scale=1.0)


def claim_1() -> None:
    race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=QUADRATIC, lag=0.0)
    eq = pr.solve(race)
    print("1. Deterministic race, perfect monitoring (lag 0)")
    for lead in (0.1, 1e-3, 1e-6):
        report = pr.leapfrog(eq, state=(0.5, 0.5 - lead))
        leader_speed, follower_speed = eq.strategy(0.5, 0.5 - lead)
        print(f"   lead {lead:>6g}: follower's speed {follower_speed[0]:.1f}, leader's {leader_speed[0]:.6f} "
              f"(alone: {float(eq.single_firm_speed(0.5)):.6f}); follower can leapfrog: {report.can_leapfrog}")
        assert report.can_leapfrog is False and report.follower_win_probability == 0.0
        assert follower_speed[0] == 0.0 and leader_speed[0] == float(eq.single_firm_speed(0.5))
    print("   -> epsilon-preemption: the leader runs the lone firm's path, the follower never invests.\n")


def discovery(w: float) -> float:
    """The breakthrough hazard at experience w: random discovery that grows with experience."""
    return 0.02 + 0.4 * w * w


def lag_rows(
    cost: pr.costs.Cost, cells_by_lag: dict[float, tuple[int, ...]]
) -> dict[tuple[float, int, float], tuple[bool, bool]]:
    """Deterministic race with a lag on experience grids, the leader at w = 0.5: who invests, who can lead."""
    print(f"   {'lag':>6} {'cells':>5} {'least speed':>11} {'lead':>5} {'follower invests':>17} "
          f"{'follower wins':>14} {'can ever lead':>14}")
    invests = {}
    for lag, cells in cells_by_lag.items():
        race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=cost, lag=lag, max_speed=2.0, breakthrough=discovery)
        for steps in cells:
            eq = pr.solve(race, steps=[steps], verify=True)
            least = 1.0 / (steps * lag)  # one cell a period: the smallest positive speed on this grid
            assert abs(eq.speeds[1] - least) < 1e-12
            for lead in (0.05, 0.2):
                report = pr.leapfrog(eq, state=(0.5, 0.5 - lead))
                chance = 1.0 - float(eq.strategy(0.5, 0.5 - lead)[1][0])
                wins = report.follower_win_probability
                print(f"   {lag:6.2f} {steps:5d} {least:11.3f} {lead:5.2f} {chance:17.4f} {wins:14.4f} "
                      f"{report.can_lead!s:>14}")
                assert wins > 0.0  # discovery keeps the follower's chance positive whatever it does
                if chance == 0.0:
                    assert not report.can_lead
                invests[(lag, steps, lead)] = (chance > 0.0, bool(report.can_lead))
    return invests


def perfect_monitoring(cost: pr.costs.Cost) -> tuple[pr.DeterministicEquilibrium, dict[float, pr.LeapfrogReport]]:
    """Lag 0: the Markov-chain approximations refined until they settle; the leader at w = 0.5."""
    race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=cost, breakthrough=discovery)
    eq = pr.solve(race, verify=True)
    changes = ", ".join(f"{r.steps} cells {r.change:.2g} ({r.seconds:.1f} s)" for r in eq.chain_refinement[1:])
    print(f"       grids {[r.steps for r in eq.chain_refinement]}; converged: {eq.converged}; largest change at the")
    print(f"       sample states from the grid before: {changes}")
    print(f"   {'lead':>5} {'leader speed':>13} {'follower speed':>15} {'follower wins':>14} {'can ever lead':>14}   "
          "chains' chance of ever leading, by cells")
    reports = {}
    for lead in (0.05, 0.2):
        speed = eq.speed(0.5, 0.5 - lead)
        report = pr.leapfrog(eq, state=(0.5, 0.5 - lead))
        trend = ", ".join(f"{p:.1e} ({n})" for n, p in report.lead_probability_by_grid)
        print(f"   {lead:5.2f} {speed[0]:13.4f} {speed[1]:15.4f} {report.follower_win_probability:14.4f} "
              f"{report.can_lead!s:>14}   {trend}")
        assert report.follower_win_probability > 0.0 and speed[1] < speed[0]
        reports[lead] = report
    return eq, reports


def claim_2() -> None:
    print("2. Random discovery: a breakthrough hazard b(w) = 0.02 + 0.4 w^2 on top of reaching w = 1")
    print("   (a) Perfect monitoring (lag 0), cost x^2 / 2: the HJB solved through its Markov-chain approximation")
    eq, reports = perfect_monitoring(QUADRATIC)
    assert eq.converged
    lag_zero_speed = {lead: float(eq.speed(0.5, 0.5 - lead)[1]) for lead in reports}
    for lead, report in reports.items():
        assert eq.follower_invests(0.5, 0.5 - lead) and report.can_lead is False and report.lead_probability == 0.0
        chances = [p for _, p in report.lead_probability_by_grid]
        assert all(b < a for a, b in itertools.pairwise(chances))
    print("       -> the follower invests (its discovery hazard grows with its experience) but more slowly than the")
    print("          leader, so it never draws level: it cannot leapfrog, and wins only by discovery. Not")
    print("          epsilon-preemption in the sense of (F4) (the firm behind does not idle).")
    print("   (b) The same race with a lag (speed cap 2). On a grid of n cells the speeds are multiples of")
    print("       1 / (n lag), so the least positive speed is coarse at short lags:")
    invests = lag_rows(QUADRATIC, {0.4: (20,), 0.2: (20,), 0.1: (20, 40), 0.05: (20, 40)})
    artifacts = [(lag, lead) for (lag, steps, lead), (yes, _) in invests.items()
                 if steps == 20 and not yes and invests.get((lag, 40, lead), (False, False))[0]]
    assert artifacts  # idle on 20 cells, investing on 40: the coarse menu, not the lag, made it idle
    assert all(invests[(lag, 20, lead)] == (True, True) for lag in (0.2, 0.4) for lead in (0.05, 0.2))
    assert all(1.0 / (20 * lag) > 2.0 * lag_zero_speed[lead] for lag, lead in artifacts)
    shown = ", ".join(f"lag {lag} lead {lead}" for lag, lead in artifacts)
    compared = ", ".join(f"{1.0 / (20 * lag):g} against {lag_zero_speed[lead]:.3f}" for lag, lead in artifacts)
    print(f"       -> idling on 20 cells turns into investing on 40 cells at {shown}.")
    print("          There the least positive speed on 20 cells is more than twice the follower's speed under")
    print(f"          perfect monitoring ({compared}), so 20-cell grids cannot tell whether")
    print("          the follower idles at short lags. What they do show: at the longer lags 0.2 and 0.4 the")
    print("          follower mixes in investment and can get ahead, and at every lag it keeps a positive chance")
    print("          through discovery.")
    print("   (c) A participation cost, c(x) = 0.3 x + x^2 / 2 (c'(0) > 0), perfect monitoring:")
    costly = pr.costs.Quadratic(scale=1.0, linear=0.3)
    eq, reports = perfect_monitoring(costly)
    assert eq.converged
    idle = all(not eq.follower_invests(0.5, 0.5 - lead) for lead in reports)
    assert idle and reports[0.05].epsilon_preemption and not any(r.can_lead for r in reports.values())
    wins = reports[0.2].follower_win_probability
    print("       -> the firm behind idles at every lead the chains resolve and can never become the leader,")
    print(f"          yet it wins with probability {wins:.4f} at a lead of 0.2 through random discovery:")
    print("          epsilon-preemption with leapfrogging impossible.")
    print("   (d) Poisson accumulation: N stages, the same hazard b(i / N) while at stage i, cost a x^2 / 2,")
    print("       a = 1/N^2; the leader at stage N/2, the follower one stage behind.")
    print(f"   {'N':>7} {'':>5} {'follower invests':>17} {'follower wins':>14} {'can ever lead':>14}")
    for n in (5, 10, 20):
        race = pr.Race(stages=n, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(scale=1.0 / n**2),
                       breakthrough=[discovery(i / n) for i in range(n)])
        eq = pr.solve(race, verify=True)
        left_0, left_1 = remaining(race.stages)
        ahead = open_states(race.stages) & (left_1 < left_0)
        i, j = n // 2, n // 2 - 1
        can_lead = bool(chain.reachable(eq.hazard, ahead)[i, j])
        print(f"   {n:7d} {'':>5} {eq.effort[1, i, j]:17.4f} {eq.win_probability[1, i, j]:14.4f} {can_lead!s:>14}")
        assert eq.effort[1, i, j] > 0.0 and can_lead
    print("       -> with Poisson accumulation (one stage is a large step) the firm behind keeps investing and")
    print("          can overtake, as in claim 3.\n")


def claim_3() -> None:
    race = pr.Race(stages=4, prize=1.0, discount=0.05, cost=QUADRATIC)
    eq = pr.solve(race)
    print("3. Multi-stage race without a participation cost (4 stages)")
    for state in ((1, 0), (2, 0), (3, 0)):
        report = pr.leapfrog(eq, state=state)
        print(f"   state {state}: follower invests {eq.effort[1][state]:.4f}, leapfrogs with probability "
              f"{report.leapfrog_probability:.4f}")
        assert report.can_leapfrog and report.leapfrog_probability > 0.0
    assert not pr.leapfrog(eq, state=(1, 0)).epsilon_preemption
    print("   -> the follower keeps investing and can leapfrog: competition survives a lead.\n")


def claim_4() -> None:
    print("4. Deterministic race with an information lag (speed cap 2): the contested gap at w = 0.5")
    print(f"   {'lag':>5} {'cells':>6} {'gap':>7} {'(x_max - x_m) lag':>18} {'one-cell lead contested':>24}")
    lags, gaps, spec = (0.05, 0.1, 0.2, 0.4), [], []
    for lag in lags:
        steps = round(8 / (2.0 * lag))  # 9 speeds on each grid
        race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=QUADRATIC, lag=lag, max_speed=2.0)
        eq = pr.solve(race, steps=[steps], verify=True)
        gap = eq.contested_gap(0.5)
        threshold = (2.0 - (math.sqrt(0.2) - 0.1 * 0.5)) * lag  # (D5), docs/theory/deterministic.md, with x_m(0.5)
        close = pr.leapfrog(eq, state=(0.5, 0.5 - 1.0 / steps))
        print(f"   {lag:5.2f} {steps:6d} {gap:7.4f} {threshold:18.4f} {close.can_leapfrog!s:>24}")
        assert gap > 0.0 and close.can_leapfrog and not close.epsilon_preemption
        gaps.append(gap)
        spec.append(threshold)
    assert all(a < b for a, b in itertools.pairwise(gaps))
    print("   -> leads below the gap are contested; the gap grows with the lag and vanishes with it.")
    race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=QUADRATIC, lag=0.2, max_speed=2.0)
    eq = pr.solve(race, steps=[10, 20, 40])
    print("   Refining the grid at lag 0.2 (threshold (D5) of docs/theory/deterministic.md at w = 0.5: "
          f"{(2.0 - (math.sqrt(0.2) - 0.05)) * 0.2:.4f}):")
    for row in eq.refinement:
        print(f"     {row.steps:3d} cells, {row.speeds:2d} speeds: gap at w = 0.5 {row.gap[4]:.4f}, "
              f"largest change over w = 0.1 .. 0.9 {row.change:.4f}")
    assert eq.refinement[0].gap[4] < eq.refinement[1].gap[4] < eq.refinement[2].gap[4] <= spec[2]
    print("   -> the computed gap approaches the threshold from below as the speed grid gets finer.")
    figure = contested_gap_figure(lags, gaps, thresholds={"(x_max - x_m) lag, (D5)": spec},
                                  label="contested gap at w = 0.5 (grids of 9 speeds)")
    figure.savefig("fgst_contested_gap.png", dpi=100)
    print("   Figure saved to fgst_contested_gap.png")


def main() -> None:
    claim_1()
    claim_2()
    claim_3()
    claim_4()


if __name__ == "__main__":
    main()
