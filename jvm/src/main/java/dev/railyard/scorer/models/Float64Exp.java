package dev.railyard.scorer.models;

import java.math.BigDecimal;
import java.math.MathContext;

/**
 * exp(double) as scipy's expit computes it on Linux x86-64: glibc's exp (glibc ≥ 2.28), which
 * is not correctly rounded (it differs from Math.exp on about 1 input in 500), so neither
 * Math.exp nor StrictMath.exp reproduces it bit for bit.
 *
 * <p>The method (glibc's FMA build, selected on CPUs with FMA): with N = 128,
 * k = round(x·N/ln2) by adding 1.5·2^52 (fused), r = x − k·ln2/N with ln2/N split in a hi and
 * a lo part (fused), exp(x) = 2^(k/N) · (1 + tail + r + r²·(C2 + r·C3) + r⁴·(C4 + r·C5)),
 * where 2^(i/N) = H[i]·(1 + tail[i]) for the double H[i] nearest 2^(i/N) and the scale 2^(k/N)
 * is H[k mod N] with k div N added to its exponent bits. The last step is one fused
 * multiply-add, scale + scale·tmp. Where 2^(k/N) leaves the double range (|x| ≥ 512) the scale
 * is built 2^1009 lower (overflow side) or 2^1022 higher (underflow side) and rescaled; on the
 * underflow side scale·tmp is rounded once and used twice (not fused, as the C compiler does not
 * contract a product used in another block), and results below 1 (subnormal exp) are rounded
 * to the subnormal precision before the rescale.
 *
 * <p>Verified bit for bit against libm's exp (ctypes, glibc 2.36, FMA CPU) on 7.3·10^6 inputs:
 * uniform in [-40, 40], [-1, 1], [-745.2, 709.8], near overflow and underflow, around ±512,
 * random bit patterns, ties of x·N/ln2, ±0, ±inf, NaN; the table equals the one in libm byte for
 * byte. jvm/src/test/resources/libm_exp.tsv holds libm values the JVM test checks.
 */
public final class Float64Exp {
    private static final int N = 128;
    private static final double INV_LN2_N = 0x1.71547652b82fep0 * N;
    private static final double NEG_LN2_HI_N = -0x1.62e42fefa0000p-8;
    private static final double NEG_LN2_LO_N = -0x1.cf79abc9e3b3ap-47;
    private static final double SHIFT = 0x1.8p52;
    private static final double C2 = 0x1.ffffffffffdbdp-2;
    private static final double C3 = 0x1.555555555543cp-3;
    private static final double C4 = 0x1.55555cf172b91p-5;
    private static final double C5 = 0x1.1111167a4d017p-7;
    /** tail[i] at 2i; bits of H[i] less i·2^45 at 2i + 1, so adding k·2^45 gives the scale. */
    private static final long[] TABLE = table();

    private Float64Exp() {}

    /** H[i] = the double nearest 2^(i/N), tail[i] = the double nearest 2^(i/N) / H[i] − 1. */
    private static long[] table() {
        MathContext mc = new MathContext(80);
        BigDecimal n = BigDecimal.valueOf(N);
        long[] t = new long[2 * N];
        for (int i = 0; i < N; i++) {
            // Newton on y^N = 2^i from the double estimate: 53 → 106 → 212 → 424 bits.
            BigDecimal target = BigDecimal.valueOf(2).pow(i);
            BigDecimal y = new BigDecimal(Math.pow(2.0, i / (double) N));
            for (int it = 0; it < 3; it++) {
                BigDecimal yn1 = y.pow(N - 1, mc);
                BigDecimal step = y.multiply(yn1, mc).subtract(target).divide(yn1.multiply(n, mc), mc);
                y = y.subtract(step, mc);
            }
            double h = y.doubleValue(); // correctly rounded (through Double.parseDouble)
            BigDecimal hd = new BigDecimal(h);
            double tail = y.subtract(hd, mc).divide(hd, mc).doubleValue();
            t[2 * i] = Double.doubleToRawLongBits(tail);
            t[2 * i + 1] = Double.doubleToRawLongBits(h) - ((long) i << 45);
        }
        return t;
    }

    public static double exp(double x) {
        int abstop = (int) (Double.doubleToRawLongBits(x) >>> 52) & 0x7ff;
        if (abstop < 0x3c9) {
            return 1.0 + x; // |x| < 2^-54 (0 included): 1, rounded as glibc does
        }
        if (abstop >= 0x409) { // |x| ≥ 1024, inf, NaN
            if (x == Double.NEGATIVE_INFINITY) {
                return 0.0;
            }
            if (abstop == 0x7ff) {
                return 1.0 + x;
            }
            return x < 0 ? 0.0 : Double.POSITIVE_INFINITY;
        }
        double kd = Math.fma(INV_LN2_N, x, SHIFT);
        long ki = Double.doubleToRawLongBits(kd);
        kd -= SHIFT;
        double r = Math.fma(kd, NEG_LN2_LO_N, Math.fma(kd, NEG_LN2_HI_N, x));
        int idx = 2 * (int) (ki & (N - 1));
        double tail = Double.longBitsToDouble(TABLE[idx]);
        long sbits = TABLE[idx + 1] + (ki << 45);
        double r2 = r * r;
        double tmp = Math.fma(r2 * r2, Math.fma(r, C5, C4), Math.fma(r2, Math.fma(r, C3, C2), tail + r));
        if (abstop >= 0x408) {
            return large(tmp, sbits, ki); // 512 ≤ |x| < 1024
        }
        double scale = Double.longBitsToDouble(sbits);
        return Math.fma(scale, tmp, scale);
    }

    /** 2^(k/N) may be out of range: build the scale shifted into range, then rescale. */
    private static double large(double tmp, long sbits, long ki) {
        if ((ki & 0x80000000L) == 0) { // k > 0
            double scale = Double.longBitsToDouble(sbits - (1009L << 52));
            return 0x1p1009 * Math.fma(scale, tmp, scale);
        }
        double scale = Double.longBitsToDouble(sbits + (1022L << 52));
        double m = scale * tmp;
        double y = scale + m;
        if (y < 1.0) { // subnormal result: round to its precision first (no double rounding)
            double lo = scale - y + m;
            double hi = 1.0 + y;
            lo = 1.0 - hi + y + lo;
            y = (hi + lo) - 1.0;
            if (y == 0.0) {
                y = 0.0; // never −0
            }
        }
        return 0x1p-1022 * y;
    }
}
