package dev.railyard.scorer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.railyard.scorer.io.JsonLines;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * scoreBatch is score row by row, on every case of the shared test vectors: the same scores
 * bit for bit and the same labels, and, for a batch with rows score refuses (scikit-learn's
 * refusals, missing columns, wrong types, unknown categories), the exception score throws
 * for the first such row, class and message.
 */
class BatchParityTest {
    /** Cells that replace one column's value: missing values, other types, an unseen category. */
    private static final List<Object> NUMBER_EDITS = List.of(nullCell(), Double.NaN, Float.NaN, 3, 7L, true, false,
            -0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e39, "7", List.of(1.0), Map.of("a", 1));
    private static final List<Object> STRING_EDITS = List.of(nullCell(), Double.NaN, Float.NaN, "unseen-category", "",
            1.5, 0.0, true, List.of("a"), Map.of("a", "b"));
    private static final Object MISSING = new Object();

    private static Object nullCell() {
        return new Object[] {null}; // List.of refuses null: unwrapped in edit()
    }

    @TestFactory
    Stream<DynamicTest> everyCaseScoresAsRowByRow() throws IOException {
        List<Path> cases;
        try (Stream<Path> s = Files.list(VectorParityTest.vectorsDir())) {
            cases = s.filter(Files::isDirectory).sorted().toList();
        }
        assertFalse(cases.isEmpty());
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.getFileName().toString(), () -> check(c)));
    }

    private static List<Map<String, Object>> rows(Path caseDir) throws IOException {
        try (BufferedReader in = Files.newBufferedReader(caseDir.resolve("input.jsonl"))) {
            return JsonLines.read(in);
        }
    }

    private static void check(Path caseDir) throws IOException {
        Scorer scorer = Scorer.load(caseDir.resolve("bundle"));
        List<Map<String, Object>> rows = rows(caseDir);
        // the vectors as they are: Python's refused rows among the others
        assertBatchIsRowByRow(scorer, rows);
        // sizes around the 64-row blocks and the 16-row lock step of the tree walk
        List<Map<String, Object>> scorable = new ArrayList<>();
        for (Map<String, Object> row : rows) {
            if (outcome(scorer, row) instanceof Prediction) {
                scorable.add(row);
            }
        }
        for (int n : new int[] {0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 130}) {
            assertBatchIsRowByRow(scorer, scorable.subList(0, Math.min(n, scorable.size())));
        }
        // every column given missing values, other types and an unseen category, among good rows
        List<Map<String, Object>> edited = new ArrayList<>();
        int at = 0;
        for (InputColumn col : scorer.inputSchema()) {
            List<Object> edits = new ArrayList<>(col.isNumber() ? NUMBER_EDITS : STRING_EDITS);
            edits.add(MISSING);
            for (Object value : edits) {
                edited.add(scorable.get(at++ % scorable.size()));
                edited.add(edit(scorable.get(at++ % scorable.size()), col.name(), value));
            }
        }
        assertBatchIsRowByRow(scorer, edited);
    }

    private static Map<String, Object> edit(Map<String, Object> row, String column, Object value) {
        Map<String, Object> out = new HashMap<>(row);
        if (value == MISSING) {
            out.remove(column);
        } else {
            out.put(column, value instanceof Object[] wrapped ? wrapped[0] : value);
        }
        return out;
    }

    private static Object outcome(Scorer scorer, Map<String, Object> row) {
        try {
            return scorer.score(row);
        } catch (RuntimeException e) {
            return e;
        }
    }

    /**
     * scoreBatch(rows) gives score's predictions, or throws score's exception for the first
     * row score refuses; then the same without that row, until no row is refused.
     */
    static void assertBatchIsRowByRow(Scorer scorer, List<Map<String, Object>> rows) {
        List<Map<String, Object>> batch = new ArrayList<>(rows);
        List<Object> outcomes = new ArrayList<>();
        for (Map<String, Object> row : batch) {
            outcomes.add(outcome(scorer, row));
        }
        while (true) {
            int refused = -1;
            for (int r = 0; r < outcomes.size() && refused < 0; r++) {
                refused = outcomes.get(r) instanceof RuntimeException ? r : -1;
            }
            if (refused < 0) {
                break;
            }
            RuntimeException want = (RuntimeException) outcomes.get(refused);
            RuntimeException got = assertThrows(RuntimeException.class, () -> scorer.scoreBatch(batch),
                    "row " + refused + " of the batch is refused by score: " + want);
            assertEquals(want.getClass(), got.getClass(), "exception class, batch row " + refused);
            assertEquals(want.getMessage(), got.getMessage(), "exception message, batch row " + refused);
            batch.remove(refused);
            outcomes.remove(refused);
        }
        List<Prediction> predictions = scorer.scoreBatch(batch);
        assertEquals(batch.size(), predictions.size());
        for (int r = 0; r < batch.size(); r++) {
            Prediction one = (Prediction) outcomes.get(r);
            Prediction got = predictions.get(r);
            assertEquals(one.scores().length, got.scores().length, "score count, row " + r);
            for (int k = 0; k < one.scores().length; k++) {
                assertEquals(Double.doubleToRawLongBits(one.scores()[k]), Double.doubleToRawLongBits(got.scores()[k]),
                        "scoreBatch differs from score, row " + r + " " + batch.get(r));
            }
            assertEquals(one.label(), got.label(), "label, row " + r);
        }
    }

    @Test
    void theEditsReachEveryKindOfRefusal() throws IOException {
        // the cases above are only as good as the refusals they meet: check that they do
        Path dir = VectorParityTest.vectorsDir();
        Scorer xgb = Scorer.load(dir.resolve("fraud_v3_xgb_classifier/bundle"));
        Scorer strict = Scorer.load(dir.resolve("one_hot_error/bundle"));
        Map<String, Object> row = rows(dir.resolve("fraud_v3_xgb_classifier")).get(0);
        assertTrue(outcome(xgb, edit(row, "amount", Double.POSITIVE_INFINITY)) instanceof RefusedInputException);
        assertTrue(outcome(xgb, edit(row, "amount", "7")) instanceof WrongTypeException);
        assertTrue(outcome(xgb, edit(row, "country", MISSING)) instanceof MissingColumnException);
        assertTrue(outcome(strict, edit(row, "country", "unseen-category")) instanceof UnknownCategoryException);
    }
}
