package dev.railyard.scorer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.railyard.scorer.models.Float64Exp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The float64 exp reproduces glibc's exp (what scipy's expit calls) bit for bit. */
class Float64ExpTest {
    @Test
    void matchesGlibcExpOnTheSharedVectors() throws IOException {
        // written by python -m railyard_batch.bundle.vectors (libm_exp_lines)
        List<String> lines = Files.readAllLines(Path.of("src/test/resources/libm_exp.tsv"));
        int mismatches = 0;
        int mathExpMisses = 0;
        String first = null;
        for (String line : lines) {
            String[] p = line.split("\t");
            double x = Double.longBitsToDouble(Long.parseUnsignedLong(p[0], 16));
            long want = Long.parseUnsignedLong(p[1], 16);
            double got = Float64Exp.exp(x);
            boolean same = Double.isNaN(got) ? Double.isNaN(Double.longBitsToDouble(want))
                    : Double.doubleToRawLongBits(got) == want;
            if (!same) {
                mismatches++;
                first = first == null ? line + " got " + Long.toHexString(Double.doubleToRawLongBits(got)) : first;
            }
            if (Double.doubleToRawLongBits(Math.exp(x)) != want && !Double.isNaN(x)) {
                mathExpMisses++;
            }
        }
        assertEquals(0, mismatches, "exp mismatches, first: " + first);
        assertEquals(20052, lines.size());
        // the vectors tell glibc's exp from an accurate one
        assertTrue(mathExpMisses >= 40, "Math.exp misses only " + mathExpMisses);
    }

    @Test
    void javasExpIsNotEnough() {
        // glibc gives exp(-0x1.e8dfa95f157p0) one ulp below Math.exp and StrictMath.exp.
        double x = -0x1.e8dfa95f157p0;
        assertEquals(0x1.2f5ef3edfa809p-3, Float64Exp.exp(x));
        assertEquals(0x1.2f5ef3edfa80ap-3, Math.exp(x));
        assertEquals(0x1.2f5ef3edfa80ap-3, StrictMath.exp(x));
    }

    @Test
    void edgesFollowGlibc() {
        assertEquals(1.0, Float64Exp.exp(0.0));
        assertEquals(1.0, Float64Exp.exp(-0.0));
        assertEquals(Double.POSITIVE_INFINITY, Float64Exp.exp(Double.POSITIVE_INFINITY));
        assertEquals(0.0, Float64Exp.exp(Double.NEGATIVE_INFINITY));
        assertTrue(Double.isNaN(Float64Exp.exp(Double.NaN)));
        assertEquals(Double.POSITIVE_INFINITY, Float64Exp.exp(709.7827128933841));
        assertEquals(Double.MIN_VALUE, Float64Exp.exp(-745.1332191019411));
        assertEquals(0.0, Float64Exp.exp(-745.1332191019412));
    }
}
