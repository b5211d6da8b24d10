package dev.railyard.scorer.models;

/** Floating-point helpers that follow numpy/scipy's operation order. */
final class NumpyMath {
    private NumpyMath() {}

    /**
     * scipy.special.expit: 1 / (1 + exp(-x)) in float64, with glibc's exp (scipy's C++ calls
     * libm), which is not correctly rounded: Math.exp differs from it by one ulp on ~0.2% of
     * inputs. {@link Float64Exp} reproduces it bit for bit.
     */
    static double expit(double x) {
        return 1.0 / (1.0 + Float64Exp.exp(-x));
    }

    /** numpy's add.reduce over a contiguous row: first element, then pairwise sum of the rest. */
    static double sum(double[] a) {
        if (a.length == 0) {
            return 0.0;
        }
        return a[0] + pairwise(a, 1, a.length - 1);
    }

    private static double pairwise(double[] a, int from, int n) {
        if (n < 8) {
            double res = -0.0;
            for (int i = 0; i < n; i++) {
                res += a[from + i];
            }
            return res;
        } else if (n <= 128) {
            double[] r = new double[8];
            for (int j = 0; j < 8; j++) {
                r[j] = a[from + j];
            }
            int i;
            for (i = 8; i < n - (n % 8); i += 8) {
                for (int j = 0; j < 8; j++) {
                    r[j] += a[from + i + j];
                }
            }
            double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < n; i++) {
                res += a[from + i];
            }
            return res;
        }
        int n2 = n / 2;
        n2 -= n2 % 8;
        return pairwise(a, from, n2) + pairwise(a, from + n2, n - n2);
    }

    /**
     * sklearn.utils.extmath.softmax on one row: subtract the max, exp, divide by the numpy sum.
     * Python's exp here is numpy's own (SIMD, AVX512F on such CPUs), not glibc's, so Math.exp
     * stays: neither reproduces it bit for bit (multiclass LogisticRegression, within 1e-12).
     */
    static double[] softmax(double[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            max = Math.max(max, v);
        }
        double[] e = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            e[i] = Math.exp(z[i] - max);
        }
        double s = sum(e);
        for (int i = 0; i < z.length; i++) {
            e[i] /= s;
        }
        return e;
    }
}
