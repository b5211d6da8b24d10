package dev.railyard.scorer;

/** A category not seen in training reached an encoder whose policy is handle_unknown='error'. */
public class UnknownCategoryException extends ScorerException {
    public UnknownCategoryException(String step, int feature, Object value) {
        super("Step '" + step + "' feature " + feature + ": unknown category '" + value
                + "' (handle_unknown='error').");
    }
}
