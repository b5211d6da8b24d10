package dev.railyard.scorer;

/** An input scikit-learn refuses (it raises), so the scorer refuses it too instead of scoring. */
public class RefusedInputException extends ScorerException {
    public RefusedInputException(String message) {
        super(message);
    }
}
