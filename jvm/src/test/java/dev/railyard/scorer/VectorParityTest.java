package dev.railyard.scorer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.railyard.scorer.io.JsonLines;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Reproduces every case of the shared test vectors written by Python
 * (railyard_batch.bundle.vectors): 100% label agreement, max |diff| within the case's
 * tolerance, and bit-exact scores for cases marked exact. Override the vector folder
 * with -Drailyard.vectors=DIR.
 */
class VectorParityTest {
    static Path vectorsDir() {
        String override = System.getProperty("railyard.vectors");
        return Path.of(override != null ? override : "src/test/resources/vectors");
    }

    @TestFactory
    Stream<DynamicTest> everyCaseMatchesPython() throws IOException {
        Path dir = vectorsDir();
        assertTrue(Files.isDirectory(dir), "No test vectors at " + dir.toAbsolutePath());
        List<Path> cases;
        try (Stream<Path> s = Files.list(dir)) {
            cases = s.filter(Files::isDirectory).sorted().toList();
        }
        assertFalse(cases.isEmpty(), "No cases under " + dir);
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.getFileName().toString(), () -> check(c)));
    }

    private static List<JsonNode> lines(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (!line.isBlank()) {
                out.add(JsonLines.MAPPER.readTree(line));
            }
        }
        return out;
    }

    private static void check(Path caseDir) throws IOException {
        JsonNode meta = JsonLines.MAPPER.readTree(caseDir.resolve("case.json").toFile());
        boolean exact = meta.get("exact").asBoolean();
        double tolerance = meta.get("tolerance").asDouble();
        Scorer bundle = Scorer.load(caseDir.resolve("bundle")); // a single model or a composition
        List<Map<String, Object>> rows;
        try (BufferedReader in = Files.newBufferedReader(caseDir.resolve("input.jsonl"))) {
            rows = JsonLines.read(in);
        }
        List<JsonNode> expected = lines(caseDir.resolve("expected.jsonl"));
        assertEquals(expected.size(), rows.size(), "rows in input.jsonl vs expected.jsonl");
        double maxDiff = 0.0;
        int labelsAgree = 0;
        int bitExactRows = 0;
        int refused = 0;
        List<Map<String, Object>> scored = new ArrayList<>();
        for (int r = 0; r < rows.size(); r++) {
            JsonNode e = expected.get(r);
            Map<String, Object> row = rows.get(r);
            if (e.has("refused")) { // scikit-learn raised for this row: so must the scorer
                RefusedInputException x = assertThrows(RefusedInputException.class, () -> bundle.score(row),
                        "row " + r + " is refused in Python: " + e.get("refused").asText());
                assertTrue(x.getMessage().contains("as scikit-learn does"), x.getMessage());
                refused++;
                labelsAgree++;
                bitExactRows++;
                continue;
            }
            scored.add(row);
            Prediction p = bundle.score(row);
            JsonNode bits = e.get("scores_bits");
            assertEquals(bits.size(), p.scores().length, "score count, row " + r);
            boolean rowExact = true;
            for (int k = 0; k < bits.size(); k++) {
                double want = Double.longBitsToDouble(Long.parseUnsignedLong(bits.get(k).asText(), 16));
                double got = p.scores()[k];
                boolean same = Double.doubleToLongBits(want) == Double.doubleToLongBits(got);
                rowExact &= same;
                if (!same) {
                    double diff = (Double.isNaN(want) || Double.isNaN(got)) ? Double.POSITIVE_INFINITY : Math.abs(want - got);
                    maxDiff = Math.max(maxDiff, diff);
                }
            }
            bitExactRows += rowExact ? 1 : 0;
            Object wantLabel = e.get("label").isNull() ? null : label(e.get("label"));
            labelsAgree += Objects.equals(String.valueOf(wantLabel), String.valueOf(p.label())) ? 1 : 0;
        }
        List<Prediction> batch = bundle.scoreBatch(scored);
        for (int r = 0; r < scored.size(); r++) {
            Prediction one = bundle.score(scored.get(r));
            for (int k = 0; k < one.scores().length; k++) {
                assertEquals(Double.doubleToRawLongBits(one.scores()[k]), Double.doubleToRawLongBits(batch.get(r).scores()[k]),
                        "scoreBatch differs from score, row " + r);
            }
            assertEquals(one.label(), batch.get(r).label());
        }
        String summary = String.format("parity %-45s rows=%d refused=%d labels=%d/%d bit-exact=%d/%d max|diff|=%.3g",
                caseDir.getFileName(), rows.size(), refused, labelsAgree, rows.size(), bitExactRows, rows.size(), maxDiff);
        System.out.println(summary);
        assertEquals(rows.size(), labelsAgree, "label agreement: " + summary);
        assertTrue(maxDiff <= tolerance, "max |diff| above tolerance: " + summary);
        if (exact) {
            assertEquals(rows.size(), bitExactRows, "bit-exact rows: " + summary);
        }
    }

    private static Object label(JsonNode v) {
        return v.isTextual() ? v.asText() : v.isIntegralNumber() ? (Object) v.asLong() : (Object) v.asDouble();
    }
}
