"""An independent solver for quadratic-cost races, in 60-digit arithmetic (mpmath).

It shares no code with patentrace. At each state it eliminates firm 1's effort
from the two first-order conditions of docs/theory/race.md (1) (firm 0's is linear in it),
takes every root of the resulting quartic (``mpmath.polyroots``), polishes each
interior solution on the 2x2 system with ``mpmath.findroot``, and adds the corner
equilibria in which one firm idles. Backward induction then applies the same
selection rules as the library. Use it only for small races: it is slow.
"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath as mp

mp.mp.dps = 60


@dataclass
class QuadraticFirm:
    scale: float
    linear: float


def best_response(firm: QuadraticFirm, lam, own_next, rival_next, rival_hazard, r):
    """Closed form of docs/theory/race.md (1) for c = m x + a x^2 / 2 (cancellation free)."""
    a, m = mp.mpf(firm.scale), mp.mpf(firm.linear)
    s = (r + rival_hazard) / lam
    gain = r * own_next + rival_hazard * (own_next - rival_next) - m * s
    if gain <= 0:
        return mp.mpf(0)
    return (2 * gain / a) / (s + mp.sqrt(s * s + 2 * gain / a))


def _idles(firm: QuadraticFirm, lam, own_next, rival_next, rival_hazard, r) -> bool:
    m = mp.mpf(firm.linear)
    return m * (r + rival_hazard) / lam >= r * own_next + rival_hazard * (own_next - rival_next)


def state_equilibria(firms, lam, own_next, rival_next, r):
    """Every equilibrium (x1, x2) of one state's game, as mpmath numbers."""
    (f1, f2), (l1, l2), (a1n, a2n), (b1n, b2n) = firms, lam, own_next, rival_next
    a1, m1, a2, m2 = (mp.mpf(v) for v in (f1.scale, f1.linear, f2.scale, f2.linear))
    d1, d2 = a1n - b1n, a2n - b2n
    # firm 0's condition: x2 * D(x1) = N(x1), polynomials in x1 (coefficients low to high)
    numer = [r * a1n - m1 * r / l1, -a1 * r / l1, -a1 / 2]
    denom = [l2 * (m1 / l1 - d1), l2 * a1 / l1]
    # firm 1's condition: alpha x2^2 + beta(x1) x2 + gamma(x1) = 0
    alpha = [a2 / 2]
    beta = [a2 * r / l2, a2 * l1 / l2]
    gamma = [m2 * r / l2 - r * a2n, m2 * l1 / l2 - l1 * d2]

    def mul(p, q):
        out = [mp.mpf(0)] * (len(p) + len(q) - 1)
        for i, u in enumerate(p):
            for j, v in enumerate(q):
                out[i + j] += u * v
        return out

    def add(*ps):
        out = [mp.mpf(0)] * max(len(p) for p in ps)
        for p in ps:
            for i, u in enumerate(p):
                out[i] += u
        return out

    quartic = add(mul(alpha, mul(numer, numer)), mul(beta, mul(numer, denom)), mul(gamma, mul(denom, denom)))
    while len(quartic) > 1 and quartic[-1] == 0:
        quartic.pop()
    found = []
    if len(quartic) > 1:
        scale = max(abs(c) for c in quartic)
        roots = mp.polyroots([c / scale for c in reversed(quartic)], maxsteps=400, extraprec=400)
        for root in roots:
            if abs(mp.im(root)) > mp.mpf(10) ** -20 * max(1, abs(root)) or mp.re(root) <= 0:
                continue
            x1 = mp.re(root)
            den = denom[0] + denom[1] * x1
            if den == 0:
                continue
            x2 = (numer[0] + numer[1] * x1 + numer[2] * x1**2) / den
            if x2 <= 0:
                continue

            def system(u, v):
                return (
                    (m1 + a1 * u) * (r + l2 * v) / l1 + a1 * u**2 / 2 - r * a1n - l2 * v * d1,
                    (m2 + a2 * v) * (r + l1 * u) / l2 + a2 * v**2 / 2 - r * a2n - l1 * u * d2,
                )

            x1, x2 = mp.findroot(system, (x1, x2))
            if x1 > 0 and x2 > 0:
                found.append((x1, x2))
    # corners: one firm idles, the other best-responds to that
    x2 = best_response(f2, l2, a2n, b2n, mp.mpf(0), r)
    if _idles(f1, l1, a1n, b1n, l2 * x2, r):
        found.append((mp.mpf(0), x2))
    x1 = best_response(f1, l1, a1n, b1n, mp.mpf(0), r)
    if _idles(f2, l2, a2n, b2n, l1 * x1, r):
        found.append((x1, mp.mpf(0)))
    unique = []
    for pair in found:
        if not any(abs(pair[0] - q[0]) + abs(pair[1] - q[1]) <= mp.mpf(10) ** -40 for q in unique):
            unique.append(pair)
    return unique


def value(firm: QuadraticFirm, lam, effort, own_next, rival_next, rival_hazard, r):
    a, m = mp.mpf(firm.scale), mp.mpf(firm.linear)
    hazard = lam * effort
    return (-(m * effort + a * effort**2 / 2) + hazard * own_next + rival_hazard * rival_next) / (
        r + hazard + rival_hazard
    )


def solve(stages, prize, loser_prize, discount, firms, productivity=None, selection="fastest"):
    """Backward induction; returns effort[k][i][j], value[k][i][j] and count[i][j] as mpmath numbers."""
    n1, n2 = stages
    r, p, loser = mp.mpf(discount), mp.mpf(prize), mp.mpf(loser_prize)
    lam = productivity or ([1.0] * n1, [1.0] * n2)
    val = [[[mp.mpf(0)] * (n2 + 1) for _ in range(n1 + 1)] for _ in range(2)]
    eff = [[[mp.mpf(0)] * (n2 + 1) for _ in range(n1 + 1)] for _ in range(2)]
    count = [[1] * (n2 + 1) for _ in range(n1 + 1)]
    for j in range(n2):
        val[0][n1][j], val[1][n1][j] = p, loser
    for i in range(n1):
        val[0][i][n2], val[1][i][n2] = loser, p
    for d in range(n1 + n2 - 2, -1, -1):
        for i in range(max(0, d - n2 + 1), min(d, n1 - 1) + 1):
            j = d - i
            l1, l2 = mp.mpf(lam[0][i]), mp.mpf(lam[1][j])
            own = (val[0][i + 1][j], val[1][i][j + 1])
            rival = (val[0][i][j + 1], val[1][i + 1][j])
            candidates = []
            for x1, x2 in state_equilibria(firms, (l1, l2), own, rival, r):
                v1 = value(firms[0], l1, x1, own[0], rival[0], l2 * x2, r)
                v2 = value(firms[1], l2, x2, own[1], rival[1], l1 * x1, r)
                candidates.append((x1, x2, v1, v2))
            if selection == "fastest":
                best = max(candidates, key=lambda c: l1 * c[0] + l2 * c[1])
            elif selection == "slowest":
                best = min(candidates, key=lambda c: l1 * c[0] + l2 * c[1])
            else:
                best = max(candidates, key=lambda c: c[2] + c[3])
            eff[0][i][j], eff[1][i][j], val[0][i][j], val[1][i][j] = best
            count[i][j] = len(candidates)
    return eff, val, count
