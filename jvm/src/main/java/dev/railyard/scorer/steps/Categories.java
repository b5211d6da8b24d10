package dev.railyard.scorer.steps;

import com.fasterxml.jackson.databind.JsonNode;
import dev.railyard.scorer.WrongTypeException;
import dev.railyard.scorer.io.Encoded;
import java.util.HashMap;
import java.util.Map;

/**
 * The fitted categories of one encoder feature: strings or float64 numbers, plus whether
 * the missing value is itself a category (sklearn lists it last).
 */
final class Categories {
    static final int UNKNOWN = -1;

    private final boolean strings;
    private final Map<Object, Integer> index = new HashMap<>();
    private final int missingIndex;

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
        missingIndex = doc.get("has_missing").asBoolean() ? n : UNKNOWN;
    }

    private static Double key(double x) {
        return x == 0.0 ? 0.0 : x; // -0.0 and 0.0 are the same category
    }

    /** Index of the cell's category in sklearn's categories_, or UNKNOWN. */
    int lookup(Object cell, String step, int feature) {
        if (Cells.isMissing(cell)) {
            return missingIndex;
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

    boolean isMissingCategory(int i) {
        return i == missingIndex && i != UNKNOWN;
    }
}
