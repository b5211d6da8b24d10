package dev.railyard.scorer;

/** Base of every exception the scorer throws on purpose. */
public class ScorerException extends RuntimeException {
    public ScorerException(String message) {
        super(message);
    }

    public ScorerException(String message, Throwable cause) {
        super(message, cause);
    }
}
