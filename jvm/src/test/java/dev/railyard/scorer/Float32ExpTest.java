package dev.railyard.scorer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.railyard.scorer.models.Float32Exp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The float32 exp reproduces glibc's expf (what XGBoost's sigmoid calls) bit for bit. */
class Float32ExpTest {
    @Test
    void matchesGlibcExpfOnTheSharedVectors() throws IOException {
        List<String> lines = Files.readAllLines(Path.of("src/test/resources/libm_expf.tsv"));
        int mismatches = 0;
        String first = null;
        for (String line : lines) {
            String[] p = line.split("\t");
            float x = Float.intBitsToFloat(Integer.parseUnsignedInt(p[0], 16));
            int want = Integer.parseUnsignedInt(p[1], 16);
            int got = Float.floatToRawIntBits(Float32Exp.expf(x));
            if (got != want) {
                mismatches++;
                first = first == null ? line + " got " + Integer.toHexString(got) : first;
            }
        }
        assertEquals(0, mismatches, "expf mismatches, first: " + first);
        assertEquals(20009, lines.size());
    }

    @Test
    void correctlyRoundedExpIsNotEnough() {
        // glibc rounds this input up; the correctly rounded float is one ulp lower.
        float x = 32.564632f;
        assertEquals(0x56fc9f1c, Float.floatToRawIntBits(Float32Exp.expf(x)));
        assertEquals(0x56fc9f1b, Float.floatToRawIntBits((float) StrictMath.exp(x)));
    }
}
