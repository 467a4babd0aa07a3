"""Does a third rival help the follower? Two firms against three, from the same states.

A two-firm race of four stages each, and the same race with a third firm of the same
technology. From the same states (firm 0 behind firm 1; the third firm level with the
follower, or level with the leader), the script prints side by side the follower's
chances of winning, of leapfrogging the leader (ever strictly ahead of it; a win counts)
and of catching up with it, and the total investment at the state (the sum of the firms'
efforts, and their flow cost). The answer is computed, not assumed: the script counts the
states at which the third rival raises the follower's leapfrog probability.

Run: ``python examples/third_rival.py``
"""

import patentrace as pr

STAGES = 4
COST = pr.costs.Quadratic(scale=1.0, linear=0.02)
TWO = pr.Race(stages=(STAGES, STAGES), prize=1.0, discount=0.1, cost=COST)
THREE = pr.Race(stages=(STAGES, STAGES, STAGES), prize=1.0, discount=0.1, cost=COST)


def row(label: str, report, efforts) -> str:
    spending = sum(float(COST.value(x)) for x in efforts)
    return (f"  {label:<28} win {report.follower_win_probability:.4f}  leapfrog {report.leapfrog_probability:.4f}  "
            f"catch up {report.catch_up_probability:.4f}  total effort {sum(efforts):.4f}  flow cost {spending:.4f}")


def main() -> None:
    two, three = pr.solve(TWO, verify=True), pr.solve(THREE, verify=True)
    helped, compared = 0, 0
    for i, j in ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3)):
        base = pr.leapfrog(two, (i, j))
        print(f"state ({i}, {j}) of the two-firm race: firm 0 has completed {i} stages, the leader firm 1 {j}")
        print(row("two firms", base, [float(two.effort[k, i, j]) for k in range(2)]))
        for label, third in (("third firm level w/ follower", i), ("third firm level w/ leader", j)):
            report = pr.leapfrog(three, (i, j, third), follower=0)
            efforts = [float(three.effort[k, i, j, third]) for k in range(3)]
            print(row(label, report, efforts))
            compared += 1
            helped += report.leapfrog_probability > base.leapfrog_probability
            assert report.follower_win_probability <= report.leapfrog_probability <= report.catch_up_probability
    print(f"\nThe third rival raised the follower's chance of leapfrogging the leader at {helped} of {compared} "
          "state pairs.")


if __name__ == "__main__":
    main()
