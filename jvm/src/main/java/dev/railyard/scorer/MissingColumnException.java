package dev.railyard.scorer;

/** A row lacks a column of the bundle's input schema (a present key with a null value is a missing value, not this). */
public class MissingColumnException extends ScorerException {
    public MissingColumnException(String column) {
        super("Input row lacks column '" + column + "'.");
    }
}
