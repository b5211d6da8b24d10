package dev.railyard.scorer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.railyard.scorer.io.CsvRows;
import dev.railyard.scorer.steps.SimpleImputer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Missing strings as scikit-learn sees them (docs/bundle-format.md, "Missing values"): in a
 * string column Java null is Python's None and Double.NaN is float('nan'), two different
 * values for the imputers and encoders; in a number column both are NaN.
 */
class MissingValuesTest {
    private static final Path VECTORS = VectorParityTest.vectorsDir();

    private static Map<String, Object> row(Object country) {
        Map<String, Object> row = new HashMap<>();
        row.put("amount", 12.5);
        row.put("hour", 3);
        row.put("account_age_days", 400L);
        row.put("prev_txn_24h", 1.0);
        row.put("merchant_id", "m01");
        row.put("country", country);
        row.put("card_brand", "visa");
        row.put("channel", "web");
        return row;
    }

    private static double[] score(String bundleCase, Object country) {
        return Bundle.load(VECTORS.resolve(bundleCase + "/bundle")).score(row(country)).scores();
    }

    @Test
    void oneHotKeepsNoneAndNaNAsTwoCategories() {
        // fitted on both kinds: categories BR DE FR GB IN US None NaN (country is the first block)
        double[] none = score("one_hot_ignore_missing_category", null);
        double[] nan = score("one_hot_ignore_missing_category", Double.NaN);
        assertEquals(1.0, none[6]);
        assertEquals(0.0, none[7]);
        assertEquals(0.0, nan[6]);
        assertEquals(1.0, nan[7]);
        assertArrayEquals(nan, score("one_hot_ignore_missing_category", Float.NaN));
    }

    @Test
    void imputerPassesNoneThroughAndImputesNaN() {
        // fitted on None only: SimpleImputer(missing_values=nan, fill 'missing') leaves None, which
        // the encoder learned as a category; NaN becomes 'missing', unseen, so all zeros
        double[] none = score("impute_constant_string_none_strings", null);
        double[] nan = score("impute_constant_string_none_strings", Double.NaN);
        double[] unseen = score("impute_constant_string_none_strings", "ZZ");
        assertFalse(Arrays.equals(none, nan));
        assertArrayEquals(unseen, nan);
    }

    @Test
    void ordinalGivesNoneAnIndexAndNaNTheEncodedMissingValue() {
        // OrdinalEncoder(unknown_value=-7, encoded_missing_value=-9) on merchant_id, country, ...
        double[] none = score("ordinal_unknown_value", null);
        double[] nan = score("ordinal_unknown_value", Double.NaN);
        assertEquals(6.0, none[1]);
        assertEquals(-9.0, nan[1]);
        double[] noneOnlyFit = score("ordinal_unknown_value_none_strings", Double.NaN);
        assertEquals(-7.0, noneOnlyFit[1]); // NaN not seen in training: unknown
    }

    @Test
    void imputerForNoneRefusesNaNAsScikitLearnDoes() {
        SimpleImputer imp = new SimpleImputer("imp", false, true, null, new String[] {"fill"}, new int[] {0});
        assertArrayEquals(new Object[] {"fill"}, imp.transform(new Object[] {null}));
        assertArrayEquals(new Object[] {"a"}, imp.transform(new Object[] {"a"}));
        RefusedInputException e = assertThrows(RefusedInputException.class,
                () -> imp.transform(new Object[] {Double.NaN}));
        assertTrue(e.getMessage().contains("Input contains NaN"), e.getMessage());
        SimpleImputer nanImp = new SimpleImputer("imp", false, false, null, new String[] {null}, new int[] {0});
        assertArrayEquals(new Object[] {null}, nanImp.transform(new Object[] {null}));
        assertArrayEquals(new Object[] {null}, nanImp.transform(new Object[] {Double.NaN})); // statistic None
    }

    @Test
    void numberColumnsTakeNullAndNaNAlike() {
        Bundle bundle = Bundle.load(VECTORS.resolve("fraud_v3_xgb_regressor/bundle"));
        Map<String, Object> a = row("BR");
        a.put("amount", null);
        Map<String, Object> b = row("BR");
        b.put("amount", Double.NaN);
        assertArrayEquals(bundle.score(a).scores(), bundle.score(b).scores());
    }

    @Test
    void csvEmptyFieldIsNaNAsInReadCsv() throws IOException {
        List<InputColumn> schema = List.of(new InputColumn("x", "number"), new InputColumn("s", "string"));
        List<Map<String, Object>> rows = CsvRows.read(new BufferedReader(new StringReader("x,s\n,\n1.5,a\n")), schema);
        assertTrue(((Double) rows.get(0).get("x")).isNaN());
        assertTrue(((Double) rows.get(0).get("s")).isNaN());
        assertEquals("a", rows.get(1).get("s"));
    }

    @Test
    void anUnknownMissingPolicyIsRefusedAtLoad(@TempDir Path tmp) throws IOException {
        Path from = VECTORS.resolve("one_hot_ignore_missing_category/bundle");
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path target = tmp.resolve("b").resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        Path manifest = tmp.resolve("b/manifest.json");
        Files.writeString(manifest, Files.readString(manifest).replace("\"null\": \"None\"", "\"null\": \"NaN\""));
        ManifestSealTest.reseal(manifest); // a policy this scorer does not implement, sealed as if exported so
        BundleFormatException e = assertThrows(BundleFormatException.class, () -> Bundle.load(tmp.resolve("b")));
        assertTrue(e.getMessage().contains("merchant_id") && e.getMessage().contains("missing-value policy"),
                e.getMessage());
    }
}
