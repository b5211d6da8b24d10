package dev.railyard.scorer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collection;
import java.util.Map;

/** A value's type does not match the input schema (e.g. a string for a number column, an array anywhere). */
public class WrongTypeException extends ScorerException {
    public WrongTypeException(String column, String expected, Object got) {
        super("Column '" + column + "' must be a " + expected + ". Got " + describe(got) + ".");
    }

    private static String describe(Object got) {
        if (got == null) {
            return "null";
        }
        if ((got instanceof JsonNode n && n.isArray()) || got instanceof Collection<?> || got.getClass().isArray()) {
            return "an array";
        }
        if ((got instanceof JsonNode n && n.isObject()) || got instanceof Map<?, ?>) {
            return "an object";
        }
        return got.getClass().getSimpleName() + " '" + got + "'";
    }
}
