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

    /** Whether category i is NaN (OrdinalEncoder's encoded_missing_value; None is an ordinary category there). */
    boolean isNaNCategory(int i) {
        return i == nanIndex && i != UNKNOWN;
    }
}
