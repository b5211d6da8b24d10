package dev.railyard.scorer.steps;

import com.fasterxml.jackson.databind.JsonNode;
import dev.railyard.scorer.WrongTypeException;
import dev.railyard.scorer.io.Encoded;
import java.util.HashMap;
import java.util.Map;

/**
 * The fitted categories of one encoder feature: strings or float64 numbers, plus the
 * indices of None and of NaN when either is a category (sklearn keeps them apart and lists
 * them last, None first).
 */
final class Categories {
    static final int UNKNOWN = -1;

    private final boolean strings;
    private final Map<Object, Integer> index = new HashMap<>();
    private final int noneIndex;
    private final int nanIndex;
    /** The number categories' keys (NaN aside) sorted, and their indices: the map's lookups without boxing. */
    private final double[] sortedKeys;
    private final int[] sortedIndices;

    Categories(JsonNode doc) {
        strings = "string".equals(doc.get("kind").asText());
        int n;
        if (strings) {
            JsonNode values = doc.get("values");
            n = values.size();
            for (int i = 0; i < n; i++) {
                index.put(values.get(i).asText(), i);
            }
        } else {
            double[] values = Encoded.doubles(doc.get("values"));
            n = values.length;
            for (int i = 0; i < n; i++) {
                index.put(key(values[i]), i);
            }
        }
        JsonNode missing = doc.get("missing");
        if (missing == null || !missing.isObject()) {
            throw new dev.railyard.scorer.BundleFormatException("Encoder categories lack 'missing': " + doc);
        }
        noneIndex = missing.path("None").isInt() ? missing.get("None").asInt() : UNKNOWN;
        nanIndex = missing.path("NaN").isInt() ? missing.get("NaN").asInt() : UNKNOWN;
        double[] keys = index.keySet().stream().filter(k -> k instanceof Double d && !d.isNaN())
                .mapToDouble(k -> (Double) k).sorted().toArray();
        sortedKeys = keys;
        sortedIndices = new int[keys.length];
        for (int i = 0; i < keys.length; i++) {
            sortedIndices[i] = index.get(keys[i]);
        }
    }

    private static Double key(double x) {
        return x == 0.0 ? 0.0 : x; // -0.0 and 0.0 are the same category
    }

    /** Index of the cell's category in sklearn's categories_, or UNKNOWN. */
    int lookup(Object cell, String step, int feature) {
        if (Cells.isNone(cell)) {
            return noneIndex;
        }
        if (Cells.isNaN(cell)) {
            return nanIndex;
        }
        if (strings) {
            if (!(cell instanceof String)) {
                throw new WrongTypeException(step + "[" + feature + "]", "string", cell);
            }
            return index.getOrDefault(cell, UNKNOWN);
        }
        if (!(cell instanceof Double d)) {
            throw new WrongTypeException(step + "[" + feature + "]", "number", cell);
        }
        return index.getOrDefault(key(d), UNKNOWN);
    }

    /**
     * The category of every cell of column j of the batch, as {@link #lookup} gives it; a
     * cell lookup would throw for leaves its row out.
     */
    int[] lookup(Columns batch, int j) {
        int[] out = new int[batch.rows()];
        Object column = batch.column(j);
        if (column instanceof double[] numbers) {
            for (int r = 0; r < out.length; r++) {
                double v = numbers[r];
                if (Double.isNaN(v)) {
                    out[r] = nanIndex;
                } else if (strings) {
                    batch.leaveOut(r);
                    out[r] = UNKNOWN;
                } else {
                    out[r] = number(v);
                }
            }
            return out;
        }
        Object[] cells = (Object[]) column;
        for (int r = 0; r < out.length; r++) {
            Object cell = cells[r];
            if (Cells.isNone(cell)) {
                out[r] = noneIndex;
            } else if (Cells.isNaN(cell)) {
                out[r] = nanIndex;
            } else if (strings && cell instanceof String) {
                out[r] = index.getOrDefault(cell, UNKNOWN);
            } else if (!strings && cell instanceof Double d) {
                out[r] = number(d);
            } else {
                batch.leaveOut(r);
                out[r] = UNKNOWN;
            }
        }
        return out;
    }

    /** The index of number category x (not NaN), or UNKNOWN; -0.0 finds 0.0 as key() makes it. */
    private int number(double x) {
        int at = java.util.Arrays.binarySearch(sortedKeys, x == 0.0 ? 0.0 : x);
        return at >= 0 ? sortedIndices[at] : UNKNOWN;
    }

    /** Whether category i is NaN (OrdinalEncoder's encoded_missing_value; None is an ordinary category there). */
    boolean isNaNCategory(int i) {
        return i == nanIndex && i != UNKNOWN;
    }
}
