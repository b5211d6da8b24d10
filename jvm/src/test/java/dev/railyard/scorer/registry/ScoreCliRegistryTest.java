package dev.railyard.scorer.registry;

import static dev.railyard.scorer.registry.RegistryFixture.FOREST;
import static dev.railyard.scorer.registry.RegistryFixture.XGB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.railyard.scorer.cli.ScoreCli;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ScoreCli --registry ROOT NAME@ALIAS}: scores with the bundle the alias points at, with
 * Python's exact numbers, and follows the alias when it moves; a bad reference is one line, exit 2. */
class ScoreCliRegistryTest {
    private static final String NAME = "fraud_v3/global";
    private static final String XGB_URI = "bundles/fraud_v3/global/xgb.bundle";
    private static final String FOREST_URI = "bundles/fraud_v3/global/forest.bundle";

    @TempDir
    Path root;

    private static final ObjectMapper JSON = new ObjectMapper();

    private List<String> score(String vectorCase, Path out) throws IOException {
        Path input = RegistryFixture.VECTORS.resolve(vectorCase).resolve("input.jsonl");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = ScoreCli.run(new String[] {"--registry", root.toString(), NAME + "@production", input.toString(),
                out.toString()}, System.out, new PrintStream(err, true, StandardCharsets.UTF_8));
        assertTrue(rc == 0 || rc == 1, "rc " + rc + ": " + err);
        return Files.readAllLines(out);
    }

    /** Each line as Python's expected.jsonl has it: the same score bits, or an error where Python refused. */
    private static void assertPythonsNumbers(String vectorCase, List<String> lines) throws IOException {
        List<String> want = Files.readAllLines(RegistryFixture.VECTORS.resolve(vectorCase).resolve("expected.jsonl"))
                .stream().filter(l -> !l.isBlank()).toList();
        assertEquals(want.size(), lines.size());
        int scored = 0;
        for (int r = 0; r < want.size(); r++) {
            JsonNode expected = JSON.readTree(want.get(r)).get("scores_bits");
            JsonNode got = JSON.readTree(lines.get(r));
            if (expected == null) {
                assertTrue(got.has("error"), "row " + r + ": " + lines.get(r));
            } else {
                assertEquals(expected, got.get("scores_bits"), "row " + r);
                scored++;
            }
        }
        assertTrue(scored > 10, "scored " + scored);
    }

    @Test
    void scoresWithTheAliasesBundleAndFollowsItWhenItMoves() throws IOException {
        RegistryFixture fx = new RegistryFixture(root);
        fx.addBundle(XGB, XGB_URI);
        fx.addBundle(FOREST, FOREST_URI);
        fx.point(NAME, "production", XGB_URI, 1);
        assertPythonsNumbers(XGB, score(XGB, root.resolve("a.jsonl")));
        fx.point(NAME, "production", FOREST_URI, 2);
        assertPythonsNumbers(FOREST, score(FOREST, root.resolve("b.jsonl")));
    }

    @Test
    void anUnknownAliasOrAReferenceWithoutOneIsOneLineAndExitTwo() throws IOException {
        RegistryFixture fx = new RegistryFixture(root);
        fx.addBundle(XGB, XGB_URI);
        fx.point(NAME, "production", XGB_URI, 1);
        Path input = root.resolve("rows.jsonl");
        Files.writeString(input, "{}\n");
        for (String ref : new String[] {NAME + "@candidate", NAME, "../etc@production"}) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int rc = ScoreCli.run(new String[] {"--registry", root.toString(), ref, input.toString()}, System.out,
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            String text = err.toString(StandardCharsets.UTF_8);
            assertEquals(2, rc, ref + ": " + text);
            assertEquals(1, text.strip().lines().count(), text);
            assertTrue(text.contains("Exception: "), text);
        }
    }
}
