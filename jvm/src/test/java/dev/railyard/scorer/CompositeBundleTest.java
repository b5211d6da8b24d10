package dev.railyard.scorer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The composition bundles of the shared vectors (composite_route_fraud, composite_blend_fraud;
 * their rows are checked against Python by VectorParityTest): a routed row scores exactly as
 * its member's own bundle, any other row (unknown, empty, None or NaN merchant) as the
 * fallback's, a blend is w*member + (1-w)*fallback; every edit of the bundle is refused.
 */
class CompositeBundleTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path ROUTE = VectorParityTest.vectorsDir().resolve("composite_route_fraud/bundle");
    private static final Path BLEND = VectorParityTest.vectorsDir().resolve("composite_blend_fraud/bundle");

    private static Map<String, Object> row(Object merchant) {
        Map<String, Object> row = new HashMap<>();
        row.put("amount", 42.5);
        row.put("hour", 3);
        row.put("account_age_days", 120);
        row.put("prev_txn_24h", 1.0);
        row.put("merchant_id", merchant);
        row.put("country", "BR");
        row.put("card_brand", "visa");
        row.put("channel", "web");
        return row;
    }

    private static JsonNode manifest(Path dir) throws IOException {
        return JSON.readTree(dir.resolve("manifest.json").toFile());
    }

    private static Bundle member(Path dir, String hex) {
        return Bundle.load(dir.resolve("members").resolve(hex));
    }

    private static String routeOf(JsonNode manifest, String merchant) {
        for (JsonNode r : manifest.get("routes")) {
            if (r.get(0).asText().equals(merchant)) {
                return r.get(1).asText();
            }
        }
        throw new AssertionError("no route for " + merchant);
    }

    @Test
    void routedRowsScoreAsTheirMemberAndOthersAsTheFallback() throws IOException {
        Scorer scorer = Scorer.load(ROUTE);
        CompositeBundle composite = assertInstanceOf(CompositeBundle.class, scorer);
        JsonNode m = manifest(ROUTE);
        assertEquals(3, composite.routes());
        assertEquals(m.get("content_hash").asText(), scorer.contentHash());
        Bundle fallback = member(ROUTE, m.get("fallback").asText());
        for (String merchant : new String[] {"m01", "m02", "m03"}) {
            Bundle own = member(ROUTE, routeOf(m, merchant));
            assertArrayEquals(own.score(row(merchant)).scores(), scorer.score(row(merchant)).scores(), merchant);
        }
        for (Object other : new Object[] {"m999", "", "m00", null, Double.NaN}) {
            assertArrayEquals(fallback.score(row(other)).scores(), scorer.score(row(other)).scores(), "merchant " + other);
        }
        Map<String, Object> without = row("m01");
        without.remove("merchant_id");
        assertThrows(MissingColumnException.class, () -> scorer.score(without));
        assertThrows(WrongTypeException.class, () -> scorer.score(row(7)));
    }

    @Test
    void aBlendIsTheWeightedAverageWhereRouted() throws IOException {
        Scorer scorer = Scorer.load(BLEND);
        JsonNode m = manifest(BLEND);
        double w = m.get("weights").get("member").asDouble();
        assertEquals(0.3, w);
        Bundle fallback = member(BLEND, m.get("fallback").asText());
        Bundle own = member(BLEND, routeOf(m, "m02"));
        double[] a = own.score(row("m02")).scores();
        double[] g = fallback.score(row("m02")).scores();
        double[] got = scorer.score(row("m02")).scores();
        for (int i = 0; i < g.length; i++) {
            assertEquals(Double.doubleToLongBits(w * a[i] + (1.0 - w) * g[i]), Double.doubleToLongBits(got[i]));
        }
        assertArrayEquals(fallback.score(row("m999")).scores(), scorer.score(row("m999")).scores());
    }

    private static Path copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.sorted(Comparator.naturalOrder()).toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        return to;
    }

    private static String refusal(Path dir) {
        return assertThrows(BundleFormatException.class, () -> Scorer.load(dir)).getMessage();
    }

    @Test
    void editsAreRefused(@TempDir Path tmp) throws IOException {
        // a route moved to another member: the seal names the field
        Path moved = copy(ROUTE, tmp.resolve("moved"));
        ObjectNode m = (ObjectNode) manifest(moved);
        ArrayNode routes = (ArrayNode) m.get("routes");
        ((ArrayNode) routes.get(0)).set(1, routes.get(1).get(1));
        JSON.writeValue(moved.resolve("manifest.json").toFile(), m);
        assertTrue(refusal(moved).contains("'routes'"), refusal(moved));

        // a member bundle missing
        Path missing = copy(ROUTE, tmp.resolve("missing"));
        String hex = manifest(missing).get("fallback").asText();
        try (Stream<Path> files = Files.walk(missing.resolve("members").resolve(hex))) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        assertTrue(refusal(missing).contains("is missing from the bundle"), refusal(missing));

        // a member swapped for another (valid) bundle under the same name
        Path swapped = copy(ROUTE, tmp.resolve("swapped"));
        JsonNode sm = manifest(swapped);
        Path fallbackDir = swapped.resolve("members").resolve(sm.get("fallback").asText());
        Path other = swapped.resolve("members").resolve(routeOf(sm, "m01"));
        Files.copy(other.resolve("manifest.json"), fallbackDir.resolve("manifest.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (Stream<Path> steps = Files.list(other.resolve("steps"))) {
            for (Path s : steps.toList()) {
                Files.copy(s, fallbackDir.resolve("steps").resolve(s.getFileName().toString()),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        assertTrue(refusal(swapped).contains("has content hash"), refusal(swapped));
    }
}
