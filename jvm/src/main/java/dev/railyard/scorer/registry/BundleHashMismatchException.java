package dev.railyard.scorer.registry;

/** The bundle loaded from a pointer's {@code bundle_uri} has another content hash than the pointer's {@code bundle_hash}. */
public class BundleHashMismatchException extends RegistryException {
    private final String expected;
    private final String actual;

    public BundleHashMismatchException(String message, String expected, String actual) {
        super(message);
        this.expected = expected;
        this.actual = actual;
    }

    /** The pointer's bundle_hash. */
    public String expected() {
        return expected;
    }

    /** The loaded bundle's content hash. */
    public String actual() {
        return actual;
    }
}
