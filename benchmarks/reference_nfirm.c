/*
 * A plain compiled reference for benchmarks/bench_nfirm.py: the race of n firms of
 * docs/theory/race.md (16)-(17) with quadratic costs c_k(x) = a_k x^2 / 2, productivity 1
 * and loser prize 0, solved by backward induction state by state.
 *
 * States are flat in C order over (N_0 + 1) x ... x (N_{n-1} + 1); the state after firm k's
 * success is flat + stride[k], so visiting the flat indices from the last to the first
 * meets every state after the states it depends on. At an open state, with A_k = V_k(s + e_k)
 * and B_kl = V_k(s + e_l), every firm's best response to the others' efforts is the
 * closed form of docs/theory/race.md (8) with s = r + H_{-k} and q = r A_k + sum_l h_l (A_k - B_kl);
 * the efforts are iterated (Gauss-Seidel, from every firm idle) until no effort moves by
 * more than 1e-15 of its size, and the values follow from (17). No certificate, no check,
 * one equilibrium: the loop a researcher would write in C, and the speed the library is
 * measured against.
 *
 * Build: cc -O2 -shared -fPIC reference_nfirm.c -o libreference_nfirm.so -lm
 */
#include <math.h>
#include <stdlib.h>

#define MAX_FIRMS 16

static double quadratic_response(double q, double s, double a)
{
    if (!(q > 0.0))
        return 0.0;
    double ratio = q / a;
    return 2.0 * ratio / (s + sqrt(s * s + 2.0 * ratio));
}

/* stages[k]: N_k; scale[k]: a_k; effort and value: n x size, firm-major, zero on entry. */
void solve_nfirm(int n, const long *stages, double prize, double r, const double *scale, double *effort,
                 double *value)
{
    long shape[MAX_FIRMS], stride[MAX_FIRMS], size = 1;
    for (int k = n - 1; k >= 0; --k) {
        shape[k] = stages[k] + 1;
        stride[k] = size;
        size *= shape[k];
    }
    long coordinate[MAX_FIRMS];
    double own[MAX_FIRMS], after[MAX_FIRMS * MAX_FIRMS], x[MAX_FIRMS];
    for (long flat = size - 1; flat >= 0; --flat) {
        long rest = flat;
        int finished = 0;
        for (int k = 0; k < n; ++k) {
            coordinate[k] = rest / stride[k];
            rest -= coordinate[k] * stride[k];
            if (coordinate[k] == stages[k])
                finished += 1;
        }
        if (finished > 0) { /* terminal: the winner gets the prize (unreachable states: shared) */
            for (int k = 0; k < n; ++k)
                value[k * size + flat] = coordinate[k] == stages[k] ? prize / finished : 0.0;
            continue;
        }
        for (int k = 0; k < n; ++k) {
            for (int l = 0; l < n; ++l)
                after[k * n + l] = value[k * size + flat + stride[l]];
            own[k] = after[k * n + k];
            x[k] = 0.0;
        }
        for (int it = 0; it < 1000; ++it) {
            double moved = 0.0;
            for (int k = 0; k < n; ++k) {
                double rivals = 0.0, q = r * own[k];
                for (int l = 0; l < n; ++l) {
                    if (l == k)
                        continue;
                    rivals += x[l];
                    q += x[l] * (own[k] - after[k * n + l]);
                }
                double next = quadratic_response(q, r + rivals, scale[k]);
                double change = fabs(next - x[k]);
                if (change > 1e-15 * fabs(next))
                    moved = fmax(moved, change);
                x[k] = next;
            }
            if (moved == 0.0)
                break;
        }
        double total = r;
        for (int k = 0; k < n; ++k)
            total += x[k];
        for (int k = 0; k < n; ++k) {
            double gain = -0.5 * scale[k] * x[k] * x[k] + x[k] * own[k];
            for (int l = 0; l < n; ++l)
                if (l != k)
                    gain += x[l] * after[k * n + l];
            value[k * size + flat] = gain / total;
            effort[k * size + flat] = x[k];
        }
    }
}
