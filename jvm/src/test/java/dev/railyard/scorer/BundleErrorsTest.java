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
    void anArrayOrObjectWhereAScalarBelongsNamesTheColumn() throws IOException {
        Bundle bundle = Bundle.load(VECTORS.resolve("fraud_v3_xgb_classifier/bundle"));
        Map<String, Object> list = row();
        list.put("country", List.of("BR"));
        WrongTypeException e = assertThrows(WrongTypeException.class, () -> bundle.score(list));
        assertEquals("Column 'country' must be a string. Got an array.", e.getMessage());
        Map<String, Object> map = row();
        map.put("amount", Map.of("v", 1));
        e = assertThrows(WrongTypeException.class, () -> bundle.score(map));
        assertEquals("Column 'amount' must be a number. Got an object.", e.getMessage());
        // from JSON lines: an array stays an array (it used to become its text, "[\"BR\"]", and score)
        Map<String, Object> json = dev.railyard.scorer.io.JsonLines.row(dev.railyard.scorer.io.JsonLines.MAPPER.readTree(
                "{\"amount\": 1, \"hour\": 2, \"account_age_days\": 3, \"prev_txn_24h\": null, \"merchant_id\": \"m01\","
                        + " \"country\": [\"BR\"], \"card_brand\": {\"a\": 1}, \"channel\": \"web\"}"));
        e = assertThrows(WrongTypeException.class, () -> bundle.score(json));
        assertEquals("Column 'country' must be a string. Got an array.", e.getMessage());
    }

    @Test
    void numbersAndStringsFollowTheDocumentedRules() {
        Bundle bundle = Bundle.load(VECTORS.resolve("fraud_v3_xgb_classifier/bundle"));
        Map<String, Object> stringForNumber = row();
        stringForNumber.put("hour", "3");
        assertEquals("Column 'hour' must be a number. Got String '3'.",
                assertThrows(WrongTypeException.class, () -> bundle.score(stringForNumber)).getMessage());
        Map<String, Object> numberForString = row();
        numberForString.put("channel", 7L);
        assertEquals("Column 'channel' must be a string. Got Long '7'.",
                assertThrows(WrongTypeException.class, () -> bundle.score(numberForString)).getMessage());
        Map<String, Object> bool = row(); // a number column takes a boolean as numpy does: 1.0 / 0.0
        bool.put("hour", true);
        Map<String, Object> one = row();
        one.put("hour", 1);
        assertEquals(bundle.score(one).scores()[1], bundle.score(bool).scores()[1]);
    }

    @Test
    void rowsScikitLearnRefusesAreRefused() {
        Bundle lr = Bundle.load(VECTORS.resolve("fraud_v3_logistic_regression/bundle"));
        Map<String, Object> inf = row();
        inf.put("amount", Double.POSITIVE_INFINITY);
        RefusedInputException e = assertThrows(RefusedInputException.class, () -> lr.score(inf));
        assertTrue(e.getMessage().contains("contains infinity") && e.getMessage().contains("float64"), e.getMessage());
        Bundle tree = Bundle.load(VECTORS.resolve("decision_tree_classifier_nan/bundle"));
        Map<String, Object> big = row();
        big.put("amount", 1e39); // finite in float64, infinite in the trees' float32
        e = assertThrows(RefusedInputException.class, () -> tree.score(big));
        assertTrue(e.getMessage().contains("'pipeline/model'") && e.getMessage().contains("float32"), e.getMessage());
        Map<String, Object> max = row();
        max.put("amount", (double) Float.MAX_VALUE);
        assertEquals(2, tree.score(max).scores().length);
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
