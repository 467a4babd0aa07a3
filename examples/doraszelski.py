"""Catch-up or increasing dominance? Breakthroughs growing with experience (Doraszelski 2003; docs/theory/race.md (14)).

Each firm's knowledge stock is the number of stages it has completed; while at stage
``i`` it makes the discovery outright at rate ``b(i) = beta ((i + 1) / N)^kappa``, on top
of finishing all ``N`` stages. ``kappa`` is the curvature of the breakthrough hazard in
knowledge: 0 flat, below 1 concave, 1 linear, above 1 convex. At every state where
firm 0 leads by one stage the script compares the follower's effort with the
leader's: the follower investing more is **catch-up**, less is **increasing
dominance**. Every equilibrium is verified (``verify=True``).

Prints a table over ``beta`` and ``kappa`` and saves ``doraszelski.png`` (the
follower's effort relative to the leader's along the one-stage-lead states).

Run: ``python examples/doraszelski.py``
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import patentrace as pr

N = 8
BETAS = (0.05, 0.2, 0.5)
KAPPAS = (0.0, 0.5, 1.0, 2.0, 4.0)
LEADS = [(i + 1, i) for i in range(N - 1)]  # firm 0 one stage ahead


def efforts(beta: float, kappa: float) -> tuple[np.ndarray, np.ndarray]:
    """Leader's and follower's efforts at the one-stage-lead states of the race with b(i)."""
    hazards = [beta * ((i + 1) / N) ** kappa for i in range(N)]
    race = pr.Race(stages=N, prize=1.0, discount=0.05, cost=pr.costs.Quadratic(), breakthrough=hazards)
    eq = pr.solve(race, verify=True)
    leader = np.array([eq.effort[0, i, j] for i, j in LEADS])
    follower = np.array([eq.effort[1, i, j] for i, j in LEADS])
    return leader, follower


def main() -> None:
    print(f"{N}-stage race, r = 0.05, c(x) = x^2 / 2, b(i) = beta ((i + 1) / {N})^kappa; the {N - 1} states with a "
          "one-stage lead")
    print(f"{'beta':>5} {'kappa':>5} {'follower > leader':>18} {'both idle':>10} {'mean follower/leader':>21}  verdict")
    curves = {}
    verdicts = {}
    for beta in BETAS:
        for kappa in KAPPAS:
            leader, follower = efforts(beta, kappa)
            active = leader > 0.0
            ratio = np.where(active, follower / np.where(active, leader, 1.0), np.nan)
            more = int(np.sum(follower > leader))
            idle = int(np.sum((leader == 0.0) & (follower == 0.0)))
            mean = float(np.nanmean(ratio))
            verdict = "catch-up" if more > (N - 1) / 2 else ("increasing dominance" if more == 0 else "mixed")
            verdicts[beta, kappa] = verdict
            print(f"{beta:5.2f} {kappa:5.1f} {more:>14d} / {N - 1} {idle:10d} {mean:21.3f}  {verdict}")
            if beta == 0.2:
                curves[kappa] = ratio
    print("By curvature, the verdicts for beta = " + ", ".join(f"{b:g}" for b in BETAS) + ":")
    for kappa in KAPPAS:
        print(f"  kappa = {kappa:g}: " + ", ".join(verdicts[b, kappa] for b in BETAS))
    print("Catch-up appears only for a hazard that rises with knowledge, not too convexly (kappa 0.5 to 2), and a")
    print("large enough beta; the most convex hazard (kappa = 4) gives increasing dominance throughout.")
    print("A flat hazard (kappa = 0) makes a stage worth little to the firm behind: it idles early in the race (with")
    print("beta >= 0.2 both firms idle at some early leads, waiting for a discovery), although c'(0) = 0.")
    assert all(verdicts[b, 4.0] == "increasing dominance" for b in BETAS)
    assert verdicts[0.5, 1.0] == "catch-up" and verdicts[0.05, 4.0] == "increasing dominance"
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for kappa, ratio in curves.items():
        axes.plot([i for i, _ in LEADS], ratio, marker="o", label=f"kappa = {kappa:g}")
    axes.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
    axes.set_xlabel("leader's stages completed i (follower at i - 1)")
    axes.set_ylabel("follower's effort / leader's effort")
    axes.set_title(f"Breakthroughs b(i) = 0.2 ((i + 1) / {N})^kappa: above 1 is catch-up")
    axes.legend()
    figure.tight_layout()
    figure.savefig("doraszelski.png", dpi=100)
    print("Figure saved to doraszelski.png")


if __name__ == "__main__":
    main()
