/*
 * A plain compiled reference for benchmarks/bench_compiled.py: the symmetric-cost
 * patent race of docs/theory/race.md with c(x) = a x^g / g, productivity 1 and loser
 * prize 0, solved by backward induction state by state.
 *
 * At state (i, j) with continuation values A_k (own success) and B_k (rival success),
 * Newton's method runs on the two first-order conditions, docs/theory/race.md (1):
 *
 *     F_k = c'(x_k) (r + x_k + x_o) - c(x_k) - r A_k - x_o (A_k - B_k) = 0,
 *
 * started from the efforts of the neighbouring state. A firm whose values are 0 (they
 * underflowed) idles, and its rival plays its best response to an idle firm. A Newton
 * step that would cut an effort by more than 40% is replaced by the firm's best response
 * to the other's current effort. No certificate, no check: this is the loop a researcher
 * would write in C, and the speed the library is measured against.
 *
 * Build: cc -O2 -shared -fPIC reference_race.c -o libreference_race.so -lm
 */
#include <math.h>
#include <stddef.h>

/* Best response of (1) to rival hazard h: root of c'(x)(s + x) - c(x) = q, s = r + h. */
static double best_response(double q, double s, double a, double g)
{
    if (!(q > 0.0))
        return 0.0;
    if (g == 2.0) {
        double ratio = q / a;
        return 2.0 * ratio / (s + sqrt(s * s + 2.0 * ratio));
    }
    /* a s x^(g-1) + a (1 - 1/g) x^g = q; Newton in t = log x on an increasing convex
       function, from an upper bound, descends monotonically onto the root. */
    double kappa = 1.0 - 1.0 / g, log_ratio = log(q / a);
    double t = fmin((log_ratio - log(s)) / (g - 1.0), (log_ratio - log(kappa)) / g);
    for (int it = 0; it < 50; ++it) {
        double grow = kappa * exp(t);
        double residual = (g - 1.0) * t + log(s + grow) - log_ratio;
        double step = residual / ((g - 1.0) + grow / (s + grow));
        t -= step;
        if (fabs(step) <= 1e-15 * fmax(1.0, fabs(t)))
            break;
    }
    return exp(t);
}

static void cost_terms(double x, double a, double g, double *level, double *slope, double *bend)
{
    if (g == 2.0) {
        *slope = a * x;
        *level = 0.5 * a * x * x;
        *bend = a;
    } else {
        double power = a * pow(x, g - 1.0);
        *slope = power;
        *level = power * x / g;
        *bend = (g - 1.0) * power / x;
    }
}

static void solve_state(double a0, double b0, double a1, double b1, double r, double a, double g,
                        double *x0, double *x1)
{
    if (!(a0 > 0.0) || !(a1 > 0.0)) {
        *x0 = a0 > 0.0 ? best_response(r * a0, r, a, g) : 0.0;
        *x1 = a1 > 0.0 ? best_response(r * a1, r, a, g) : 0.0;
        return;
    }
    double y0 = *x0, y1 = *x1;
    if (!(y0 > 0.0) || !(y1 > 0.0)) {
        y0 = best_response(r * a0, r, a, g);
        y1 = best_response(r * a1 + y0 * (a1 - b1), r + y0, a, g);
    }
    for (int it = 0; it < 50; ++it) {
        double l0, s0, c0, l1, s1, c1;
        cost_terms(y0, a, g, &l0, &s0, &c0);
        cost_terms(y1, a, g, &l1, &s1, &c1);
        double total = r + y0 + y1;
        double f0 = s0 * total - l0 - r * a0 - y1 * (a0 - b0);
        double f1 = s1 * total - l1 - r * a1 - y0 * (a1 - b1);
        double j00 = c0 * total, j11 = c1 * total;
        double j01 = s0 - a0 + b0, j10 = s1 - a1 + b1;
        double det = j00 * j11 - j01 * j10;
        double d0 = (f0 * j11 - j01 * f1) / det, d1 = (j00 * f1 - j10 * f0) / det;
        /* A step that would cut an effort by more than 40% (a far-behind firm, whose effort
           can be orders of magnitude below its neighbour's) is replaced by that firm's best
           response to the other's current effort. */
        double n0 = d0 <= 0.4 * y0 ? y0 - d0 : best_response(r * a0 + y1 * (a0 - b0), r + y1, a, g);
        double n1 = d1 <= 0.4 * y1 ? y1 - d1 : best_response(r * a1 + n0 * (a1 - b1), r + n0, a, g);
        if (!(n0 > 0.0) || !(n1 > 0.0)) {
            y0 = n0;
            y1 = n1;
            break;
        }
        int done = fabs(n0 - y0) <= 1e-14 * n0 && fabs(n1 - y1) <= 1e-14 * n1;
        y0 = n0;
        y1 = n1;
        if (done)
            break;
    }
    *x0 = y0;
    *x1 = y1;
}

/* One race with n stages each; effort and value are (2, n+1, n+1), row-major. */
void solve_race(long n, double prize, double r, double a, double g, double *effort, double *value)
{
    long w = n + 1, plane = w * w;
    for (long i = 0; i <= n; ++i)
        for (long j = 0; j <= n; ++j) {
            long here = i * w + j;
            effort[here] = effort[plane + here] = 0.0;
            value[here] = i == n && j < n ? prize : i == n ? 0.5 * prize : 0.0;
            value[plane + here] = j == n && i < n ? prize : j == n ? 0.5 * prize : 0.0;
        }
    for (long i = n - 1; i >= 0; --i)
        for (long j = n - 1; j >= 0; --j) {
            long here = i * w + j, first = here + w, second = here + 1;
            long near = j + 1 < n ? second : first;
            double x0 = effort[near], x1 = effort[plane + near];
            double a0 = value[first], b0 = value[second];
            double a1 = value[plane + second], b1 = value[plane + first];
            solve_state(a0, b0, a1, b1, r, a, g, &x0, &x1);
            effort[here] = x0;
            effort[plane + here] = x1;
            double total = r + x0 + x1, level0, level1, s, c;
            cost_terms(x0, a, g, &level0, &s, &c);
            cost_terms(x1, a, g, &level1, &s, &c);
            if (x0 == 0.0)
                level0 = 0.0;
            if (x1 == 0.0)
                level1 = 0.0;
            value[here] = (-level0 + x0 * a0 + x1 * b0) / total;
            value[plane + here] = (-level1 + x1 * a1 + x0 * b1) / total;
        }
}

/* Many races of n stages each with their own discount rates, one after another. */
void solve_batch(long count, long n, double prize, const double *r, double a, double g,
                 double *effort, double *value)
{
    long size = 2 * (n + 1) * (n + 1);
    for (long k = 0; k < count; ++k)
        solve_race(n, prize, r[k], a, g, effort + k * size, value + k * size);
}
