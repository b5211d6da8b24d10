package dev.railyard.scorer;

/** A value's type does not match the input schema (e.g. a string for a number column). */
public class WrongTypeException extends ScorerException {
    public WrongTypeException(String column, String expected, Object got) {
        super("Column '" + column + "' must be a " + expected + ". Got "
                + (got == null ? "null" : got.getClass().getSimpleName() + " '" + got + "'") + ".");
    }
}
