package dev.railyard.scorer;

/** The bundle is unreadable, of an unknown format version, or fails its manifest's hashes. */
public class BundleFormatException extends ScorerException {
    public BundleFormatException(String message) {
        super(message);
    }

    public BundleFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
