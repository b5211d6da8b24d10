package dev.railyard.scorer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Clear exceptions for a missing column, a wrong type, an unknown category (strict policy) and a damaged bundle. */
class BundleErrorsTest {
    private static final Path VECTORS = VectorParityTest.vectorsDir();

    private static Map<String, Object> row() {
        Map<String, Object> row = new HashMap<>();
        row.put("amount", 12.5);
        row.put("hour", 3);
        row.put("account_age_days", 400L);
        row.put("prev_txn_24h", null);
        row.put("merchant_id", "m01");
        row.put("country", "BR");
        row.put("card_brand", "visa");
        row.put("channel", "web");
        return row;
    }

    @Test
    void scoresAMapRowWithJavaTypes() {
        Bundle bundle = Bundle.load(VECTORS.resolve("fraud_v3_xgb_classifier/bundle"));
        Prediction p = bundle.score(row());
        assertEquals(List.of("proba_0", "proba_1"), bundle.scoreNames());
        assertEquals(2, p.scores().length);
        assertEquals(1.0, p.scores()[0] + p.scores()[1], 1e-6);
        assertNotNull(p.label());
        assertEquals("fraud_v3_xgb_classifier", bundle.modelName());
        assertTrue(bundle.contentHash().startsWith("sha256:"));
    }

    @Test
    void missingColumn() {
        Bundle bundle = Bundle.load(VECTORS.resolve("fraud_v3_xgb_classifier/bundle"));
        Map<String, Object> row = row();
        row.remove("channel");
        MissingColumnException e = assertThrows(MissingColumnException.class, () -> bundle.score(row));
        assertTrue(e.getMessage().contains("'channel'"), e.getMessage());
    }

    @Test
    void wrongType() {
        Bundle bundle = Bundle.load(VECTORS.resolve("fraud_v3_xgb_classifier/bundle"));
        Map<String, Object> row = row();
        row.put("amount", "12.5");
        assertThrows(WrongTypeException.class, () -> bundle.score(row));
        Map<String, Object> row2 = row();
        row2.put("country", 7);
        assertThrows(WrongTypeException.class, () -> bundle.score(row2));
    }

    @Test
    void unknownCategoryUnderTheStrictPolicy() {
        Bundle bundle = Bundle.load(VECTORS.resolve("one_hot_error/bundle"));
        Map<String, Object> row = row();
        row.put("country", "ZZ");
        UnknownCategoryException e = assertThrows(UnknownCategoryException.class, () -> bundle.score(row));
        assertTrue(e.getMessage().contains("'ZZ'"), e.getMessage());
    }

    @Test
    void unknownCategoryIsIgnoredUnderTheIgnorePolicy() {
        Bundle bundle = Bundle.load(VECTORS.resolve("fraud_v3_xgb_classifier/bundle"));
        Map<String, Object> row = row();
        row.put("country", "ZZ");
        assertEquals(2, bundle.score(row).scores().length);
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    @Test
    void tamperedDocumentIsRejected(@TempDir Path tmp) throws IOException {
        copy(VECTORS.resolve("standard_scaler/bundle"), tmp.resolve("b"));
        Path doc = tmp.resolve("b/steps/pipeline_ct_s.json");
        Files.writeString(doc, Files.readString(doc).replace("\"scale\"", "\"scale\" "));
        BundleFormatException e = assertThrows(BundleFormatException.class, () -> Bundle.load(tmp.resolve("b")));
        assertTrue(e.getMessage().contains("sha256"), e.getMessage());
    }

    @Test
    void unknownFormatVersionIsRejected(@TempDir Path tmp) throws IOException {
        copy(VECTORS.resolve("standard_scaler/bundle"), tmp.resolve("b"));
        Path manifest = tmp.resolve("b/manifest.json");
        Files.writeString(manifest, Files.readString(manifest).replace("\"format_version\": 3", "\"format_version\": 99"));
        BundleFormatException e = assertThrows(BundleFormatException.class, () -> Bundle.load(tmp.resolve("b")));
        assertTrue(e.getMessage().contains("format_version 99"), e.getMessage());
    }

    @Test
    void formatVersion1IsRejectedWithAReExportHint(@TempDir Path tmp) throws IOException {
        copy(VECTORS.resolve("standard_scaler/bundle"), tmp.resolve("b"));
        Path manifest = tmp.resolve("b/manifest.json");
        Files.writeString(manifest, Files.readString(manifest).replace("\"format_version\": 3", "\"format_version\": 1"));
        BundleFormatException e = assertThrows(BundleFormatException.class, () -> Bundle.load(tmp.resolve("b")));
        assertTrue(e.getMessage().contains("format_version 1 ") && e.getMessage().contains("Re-export"), e.getMessage());
        assertTrue(e.getMessage().contains("None and NaN"), e.getMessage());
    }
}
