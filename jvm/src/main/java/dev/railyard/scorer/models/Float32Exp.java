package dev.railyard.scorer.models;

/**
 * expf as XGBoost computes it on Linux x86-64: glibc's expf, which is not correctly rounded
 * (it differs from the correctly rounded float on about 1 input in 10,000), so neither
 * (float) Math.exp nor (float) StrictMath.exp reproduces it bit for bit.
 *
 * <p>The method (glibc ≥ 2.27, its FMA build, selected on CPUs with FMA): with N = 32,
 * z = x·N/ln2 split as k + r (k rounded to nearest even by adding 1.5·2^52), then
 * exp(x) = 2^(k/N) · (c0·r³ + c1·r² + c2·r + 1) evaluated in double with fused
 * multiply-adds and rounded once to float. 2^(i/N) are the correctly rounded doubles.
 * Verified against libm's expf on 6·10^6 inputs (tests/bundle, xgb parity gates).
 */
public final class Float32Exp {
    private static final int N = 32;
    private static final double INV_LN2_N = 0x1.71547652b82fep+0 * N;
    private static final double SHIFT = 0x1.8p+52;
    private static final double C0 = 0x1.c6af84b912394p-5 / (N * N * N);
    private static final double C1 = 0x1.ebfce50fac4f3p-3 / (N * N);
    private static final double C2 = 0x1.62e42ff0c52d6p-1 / N;
    private static final double[] POW2 = {
            0x1.0000000000000p+0, 0x1.059b0d3158574p+0, 0x1.0b5586cf9890fp+0, 0x1.11301d0125b51p+0,
            0x1.172b83c7d517bp+0, 0x1.1d4873168b9aap+0, 0x1.2387a6e756238p+0, 0x1.29e9df51fdee1p+0,
            0x1.306fe0a31b715p+0, 0x1.371a7373aa9cbp+0, 0x1.3dea64c123422p+0, 0x1.44e086061892dp+0,
            0x1.4bfdad5362a27p+0, 0x1.5342b569d4f82p+0, 0x1.5ab07dd485429p+0, 0x1.6247eb03a5585p+0,
            0x1.6a09e667f3bcdp+0, 0x1.71f75e8ec5f74p+0, 0x1.7a11473eb0187p+0, 0x1.82589994cce13p+0,
            0x1.8ace5422aa0dbp+0, 0x1.93737b0cdc5e5p+0, 0x1.9c49182a3f090p+0, 0x1.a5503b23e255dp+0,
            0x1.ae89f995ad3adp+0, 0x1.b7f76f2fb5e47p+0, 0x1.c199bdd85529cp+0, 0x1.cb720dcef9069p+0,
            0x1.d5818dcfba487p+0, 0x1.dfc97337b9b5fp+0, 0x1.ea4afa2a490dap+0, 0x1.f50765b6e4540p+0,
    };
    /** Bits of 2^(i/N) less i·2^47, so that adding k·2^47 for k = i mod N gives 2^(k/N). */
    private static final long[] TABLE = new long[N];

    static {
        for (int i = 0; i < N; i++) {
            TABLE[i] = Double.doubleToRawLongBits(POW2[i]) - ((long) i << 47);
        }
    }

    private Float32Exp() {}

    public static float expf(float x) {
        if (Float.isNaN(x)) {
            return x;
        }
        if (x > 0x1.62e42ep6f) {
            return Float.POSITIVE_INFINITY;
        }
        if (x < -0x1.9fe368p6f) {
            return 0.0f;
        }
        double xd = x;
        double kd = Math.fma(INV_LN2_N, xd, SHIFT);
        long ki = Double.doubleToRawLongBits(kd);
        kd -= SHIFT;
        double r = Math.fma(INV_LN2_N, xd, -kd);
        double s = Double.longBitsToDouble(TABLE[(int) (ki & (N - 1))] + (ki << 47));
        double z = Math.fma(C0, r, C1);
        double r2 = r * r;
        double y = Math.fma(C2, r, 1.0);
        y = Math.fma(z, r2, y);
        return (float) (y * s);
    }

    /** XGBoost's common::Sigmoid(float): 1 / (expf(min(-x, 88.7)) + 1 + 1e-16), all in float. */
    public static float sigmoid(float x) {
        float e = expf(Math.min(-x, 88.7f));
        float denom = e + 1.0f + 1e-16f;
        return 1.0f / denom;
    }
}
